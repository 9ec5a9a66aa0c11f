"""Write the README's support matrix from what the tests prove.

    python scripts/support_matrix.py          # runs the parity tests, then rewrites README.md's table

Each parity test records (family, "head" | "tokenizer", what) through the `support` fixture
(tests/conftest.py) only when it passes; this script runs those tests with LEANPIPE_SUPPORT_FILE
set and renders the records between the README's support-matrix markers. Nothing is typed by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ["tests/test_models.py", "tests/test_tokenizer.py", "tests/test_families.py", "tests/test_families_more.py",
         "tests/test_esm.py", "tests/test_bart.py", "tests/test_t5.py", "tests/test_multiple_choice.py",
         "tests/test_pre_training.py", "tests/test_big_bird.py", "tests/test_rembert.py", "tests/test_convbert.py", "tests/test_fnet.py",
         "tests/test_dpr.py", "tests/test_ibert.py", "tests/test_layoutlm.py", "tests/test_gemma3.py", "tests/test_qwen3.py",
         "tests/test_qwen2.py", "tests/test_llama.py"]
HEADS = ["base", "sequence-classification", "token-classification", "question-answering", "masked-lm", "multiple-choice",
         "next-sentence-prediction", "pre-training"]
START, END = "<!-- support-matrix:start -->", "<!-- support-matrix:end -->"


def collect() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "support.json"
        tests = [t for t in TESTS if (ROOT / t).exists()]
        env = {**os.environ, "LEANPIPE_SUPPORT_FILE": str(target), "HF_HUB_OFFLINE": "1"}
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=ROOT, env=env, check=False)
        return [tuple(row) for row in json.loads(target.read_text())]


def render(records: list[tuple[str, str, str]]) -> str:
    families = sorted({family for family, _, _ in records})
    lines = [
        "| family | " + " | ".join(HEADS) + " | tokenizer files |",
        "|---|" + "---|" * (len(HEADS) + 1),
    ]
    for family in families:
        heads = {what for f, kind, what in records if f == family and kind == "head"}
        files = sorted({what for f, kind, what in records if f == family and kind == "tokenizer"})
        cells = ["yes" if h in heads else "-" for h in HEADS]
        lines.append(f"| `{family}` | " + " | ".join(cells) + f" | {', '.join(files) or '-'} |")
    return "\n".join(lines)


def main() -> None:
    table = render(collect())
    readme = ROOT / "README.md"
    text = readme.read_text()
    if START not in text or END not in text:
        sys.exit(f"README.md has no {START} ... {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table}\n{END}{tail}")
    print(table)


if __name__ == "__main__":
    main()
