"""transformers' zero-shot default, measured: a facebook/bart-large-mnli-shaped classifier (BART,
12 + 12 layers of 1024, random weights, NLI labels) in `pipeline("zero-shot-classification")`,
leanpipe against transformers, each in its own child process with the same threads.

    HF_HUB_OFFLINE=1 python bench/zero_shot.py          # ~4 minutes; --premises, --threads

Writes bench/results/zero_shot.md and zero_shot.json (or --out). The checkpoint is built once into
bench/.cache/bart-large-mnli-random/ with MiniLM's tokenizer files ([CLS] / [SEP] / [PAD] as BART's
<s> / </s> / <pad>, so both libraries read the same tokens). Throughput: the first --premises corpus
sentences against LABELS (one premise-hypothesis pair per label), median of 2 passes after a
warm-up pass (whose answers give the labels compared); transformers at its pipeline's default
batch_size (1) and at leanpipe's (32). Latency: one premise with the labels, median of 10 calls after 2.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkpoints import CACHE, TOKENIZER_FILES, minilm_path  # noqa: E402
from corpus import make_corpus  # noqa: E402
from measure import median, run_json, timed_passes  # noqa: E402

FOLDER = CACHE / "bart-large-mnli-random"
LABELS = ["politics", "sports", "cooking", "travel"]
NLI = {0: "contradiction", 1: "neutral", 2: "entailment"}
PASSES, CALLS = 2, 10


def build() -> dict:
    import torch
    import transformers

    torch.manual_seed(0)
    config = transformers.BartConfig(vocab_size=30522, pad_token_id=0, bos_token_id=101, eos_token_id=102,
                                     decoder_start_token_id=102, forced_eos_token_id=102, id2label=NLI,
                                     label2id={v: k for k, v in NLI.items()})  # bart-large's shape: the defaults
    transformers.BartForSequenceClassification(config).eval().save_pretrained(FOLDER)
    for name in TOKENIZER_FILES:
        shutil.copy(Path(minilm_path()) / name, FOLDER / name)
    return {}


def measure(library: str, premises: int) -> dict:
    texts = make_corpus(2000)[:premises]
    if library == "leanpipe":
        from leanpipe import pipeline

        pipes = {"leanpipe": pipeline("zero-shot-classification", model=str(FOLDER))}
    else:
        import transformers

        pipes = {f"transformers, batch_size={b}": transformers.pipeline("zero-shot-classification", model=str(FOLDER),
                                                                         batch_size=b) for b in (1, 32)}
    out: dict = {}
    for name, pipe in pipes.items():
        answers = pipe(texts, candidate_labels=LABELS)  # the warm-up pass gives the labels compared
        seconds = timed_passes(lambda: pipe(texts, candidate_labels=LABELS), PASSES)
        out[name] = {"seconds": seconds, "labels": [a["labels"][0] for a in answers]}
    first = next(iter(pipes.values()))
    for text in texts[:2]:
        first(text, candidate_labels=LABELS)
    calls = []
    for i in range(CALLS):
        start = time.perf_counter()
        first(texts[i % len(texts)], candidate_labels=LABELS)
        calls.append(time.perf_counter() - start)
    out["latency_ms"] = 1000 * median(calls)
    return out


def markdown(lp: dict, tf: dict, args: argparse.Namespace) -> str:
    pairs = args.premises * len(LABELS)
    rows = {"leanpipe": lp["leanpipe"], **{k: v for k, v in tf.items() if k.startswith("transformers")}}
    lines = ["# Zero-shot classification: leanpipe vs transformers", "",
             f"{time.strftime('%Y-%m-%d %H:%M')}. `python bench/zero_shot.py --premises {args.premises} --threads "
             f"{args.threads}`: a facebook/bart-large-mnli-shaped BART classifier with random weights, "
             f"{args.premises} corpus sentences x {len(LABELS)} candidate labels ({pairs} premise-hypothesis pairs), "
             f"median of {PASSES} passes; one premise with its {len(LABELS)} labels: median of {CALLS} calls.", "",
             "| system | seconds | premises/s | leanpipe's speed-up | same top label as leanpipe |", "|---|---|---|---|---|"]
    for name, r in rows.items():
        same = sum(a == b for a, b in zip(r["labels"], lp["leanpipe"]["labels"])) / len(r["labels"])
        lines.append(f"| {name} | {r['seconds']:.2f} | {args.premises / r['seconds']:.1f} | "
                     f"{r['seconds'] / lp['leanpipe']['seconds']:.2f}x | {100 * same:.0f}% |")
    lines += ["", f"One premise with {len(LABELS)} labels: leanpipe {lp['latency_ms']:.0f} ms, transformers "
                  f"(batch_size=1) {tf['latency_ms']:.0f} ms ({tf['latency_ms'] / lp['latency_ms']:.2f}x)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--premises", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--child", choices=["build", "leanpipe", "transformers"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(build() if args.child == "build" else measure(args.child, args.premises)))
        return
    child = [sys.executable, __file__, "--premises", str(args.premises), "--child"]
    if not (FOLDER / "config.json").exists():
        run_json(child + ["build"], args.threads)
    lp, tf = run_json(child + ["leanpipe"], args.threads), run_json(child + ["transformers"], args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "zero_shot.json").write_text(json.dumps({"leanpipe": lp, "transformers": tf}, indent=1))
    (args.out / "zero_shot.md").write_text(markdown(lp, tf, args))
    print((args.out / "zero_shot.md").read_text())


if __name__ == "__main__":
    main(sys.argv[1:])
