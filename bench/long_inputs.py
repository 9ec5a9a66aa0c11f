"""Long inputs side by side: the families built for them, base-sized with random weights, on one text of
4,096 tokens, leanpipe against transformers (torch, inference mode), each in its own child process with
the same threads.

    HF_HUB_OFFLINE=1 python bench/long_inputs.py                    # ~3 minutes
    HF_HUB_OFFLINE=1 python bench/long_inputs.py --families bigbird --tokens 2048

bigbird: bigbird-roberta-base's shape, block-sparse attention (blocks of 64, 3 random blocks, all block 0
in eval); longformer: longformer-base-4096's shape (windows of 512, no global token: the base model's
default). Both return
the last hidden state; the outputs are compared (max abs difference) as well as timed: best of 2 calls
after one warm-up call, and the child's peak RSS (both the model and the run).
Writes bench/results/long_inputs.md and long_inputs.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkpoints import CACHE  # noqa: E402
from measure import family_arguments, run_json  # noqa: E402

# name -> (transformers config class, keyword arguments, its base model class)
FAMILIES = {
    "bigbird": ("BigBirdConfig", dict(vocab_size=30522, pad_token_id=0, sep_token_id=102), "BigBirdModel"),
    "longformer": ("LongformerConfig", dict(vocab_size=30522, max_position_embeddings=4098, pad_token_id=1,
                                            attention_window=512), "LongformerModel"),
}
CALLS = 2


def folder(name: str) -> Path:
    return CACHE / "long" / name


def build(name: str) -> dict:
    import torch
    import transformers

    config_class, kwargs, model_class = FAMILIES[name]
    torch.manual_seed(0)
    getattr(transformers, model_class)(getattr(transformers, config_class)(**kwargs)).eval().save_pretrained(folder(name))
    return {}


def inputs(tokens: int) -> np.ndarray:
    """One text of `tokens` ids: [CLS], seeded random word ids, [SEP] (the same for both libraries)."""
    ids = np.random.default_rng(0).integers(1000, 30000, (1, tokens))
    ids[0, 0], ids[0, -1] = 101, 102
    return ids


def measure(library: str, name: str, tokens: int, out: Path) -> dict:
    ids = inputs(tokens)
    if library == "leanpipe":
        import leanpipe

        model = leanpipe.AutoModel.from_pretrained(folder(name))
        run = lambda: model(input_ids=ids).last_hidden_state  # noqa: E731
    else:
        import torch
        import transformers

        model = transformers.AutoModel.from_pretrained(folder(name)).eval()

        def run():
            with torch.inference_mode():
                return model(input_ids=torch.from_numpy(ids)).last_hidden_state.numpy()
    run()
    times = []
    for _ in range(CALLS):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    path = out / f"long-{name}-{library}.npy"
    np.save(path, result)
    return {"seconds": min(times), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "outputs": str(path)}


def markdown(rows: list[dict], args: argparse.Namespace) -> str:
    lines = ["# Long inputs: leanpipe vs transformers", "",
             f"{time.strftime('%Y-%m-%d %H:%M')}. `python bench/long_inputs.py --tokens {args.tokens} --threads {args.threads}`: "
             f"base-sized random-weight base models, one text of {args.tokens} tokens, best of {CALLS} calls after a "
             f"warm-up; peak RSS of each library's process.", "",
             "| family | leanpipe s | transformers s | speed-up | max abs diff | peak RSS MB (leanpipe / transformers) |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lp, tf = r["leanpipe"], r["transformers"]
        lines.append(f"| {r['family']} | {lp['seconds']:.2f} | {tf['seconds']:.2f} | {tf['seconds'] / lp['seconds']:.2f}x | "
                     f"{r['max_abs_diff']:.1e} | {lp['peak_rss_mb']:,.0f} / {tf['peak_rss_mb']:,.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    args, names = family_arguments(__doc__, FAMILIES, argv, tokens=(int, 4096))
    if args.child:
        role, name = args.child
        work = build(name) if role == "build" else measure(role, name, args.tokens, args.out)
        print(json.dumps(work))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names:
        child = [sys.executable, __file__, "--tokens", str(args.tokens), "--out", str(args.out), "--child"]
        if not (folder(name) / "config.json").exists():
            run_json(child + ["build", name], args.threads)
        row = {"family": name, "tokens": args.tokens}
        for library in ("leanpipe", "transformers"):
            row[library] = run_json(child + [library, name], args.threads)
        saved = [Path(row[library].pop("outputs")) for library in ("leanpipe", "transformers")]
        diff = np.abs(np.load(saved[0]) - np.load(saved[1])).max()
        for path in saved:
            path.unlink()
        row["max_abs_diff"] = float(diff)
        rows.append(row)
        print(f"{name}: {row['transformers']['seconds'] / row['leanpipe']['seconds']:.2f}x transformers, max abs {diff:.1e}", flush=True)
    (args.out / "long_inputs.json").write_text(json.dumps(rows, indent=1))
    (args.out / "long_inputs.md").write_text(markdown(rows, args))
    print(f"wrote {args.out / 'long_inputs.md'}")


if __name__ == "__main__":
    main(sys.argv[1:])
