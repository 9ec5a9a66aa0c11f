"""sentence-transformers' static, sparse and EmbeddingGemma models, measured: leanpipe's SentenceTransformer on a
StaticEmbedding model (static-retrieval-mrl-en-v1's shape: a (30522, 1024) table over MiniLM's
tokenizer, random weights), SparseEncoder on a SPLADE model (a DistilBERT-base-sized masked LM with
random weights, max pooling) and SentenceTransformer on an embeddinggemma-300m-shaped model (Gemma 3's
bidirectional encoder, random weights, MiniLM's tokenizer; mean pooling, Dense 768 -> 3072 -> 768 without
bias, Normalize), against sentence-transformers, each library in its own child process with the same threads.

    HF_HUB_OFFLINE=1 python bench/sentence_models.py        # ~3 minutes; --threads, --out

Writes bench/results/sentence_models.md and .json. The checkpoints are saved by sentence-transformers
once into bench/.cache/. Throughput: median of 3 passes over the corpus (2,000 sentences for the static
model, the first 384 for SPLADE and EmbeddingGemma) after a warm-up pass; batch 1: median of 200 (static) or 20
single-sentence calls. The vectors of both libraries are compared (max abs difference).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkpoints import CACHE, TOKENIZER_FILES, minilm_path  # noqa: E402
from corpus import make_corpus  # noqa: E402
from measure import cpu_model, median, run_json, timed_passes  # noqa: E402

STATIC, SPLADE, GEMMA = CACHE / "static-embedding-random", CACHE / "splade-distilbert-random", CACHE / "embeddinggemma-random"
SETUPS = {"static": (STATIC, 2000, 200), "splade": (SPLADE, 384, 20), "embeddinggemma": (GEMMA, 384, 20)}  # folder, sentences, batch-1 calls
# embeddinggemma-300m's shape (bench/families.py's), on MiniLM's vocabulary
GEMMA_SHAPE = dict(vocab_size=30522, hidden_size=768, intermediate_size=1152, num_hidden_layers=24, num_attention_heads=3,
                   num_key_value_heads=1, head_dim=256, max_position_embeddings=2048, sliding_window=512,
                   query_pre_attn_scalar=256, use_bidirectional_attention=True, pad_token_id=0)
PASSES = 3


def build() -> dict:
    import shutil

    import torch
    import transformers
    from sentence_transformers import SentenceTransformer, SparseEncoder
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling, StaticEmbedding, Transformer
    from sentence_transformers.sparse_encoder.modules import MLMTransformer, SpladePooling
    from tokenizers import Tokenizer

    torch.manual_seed(0)
    tokenizer = Tokenizer.from_file(str(Path(minilm_path()) / "tokenizer.json"))
    SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_dim=1024)], device="cpu").save(str(STATIC))
    mlm = CACHE / "distilbert-mlm-random"
    transformers.DistilBertForMaskedLM(transformers.DistilBertConfig()).eval().save_pretrained(mlm)
    for name in TOKENIZER_FILES:
        shutil.copy(Path(minilm_path()) / name, mlm / name)
    SparseEncoder(modules=[MLMTransformer(str(mlm)), SpladePooling("max")], device="cpu").save(str(SPLADE))
    body = CACHE / "gemma3-text-random"
    transformers.Gemma3TextModel(transformers.Gemma3TextConfig(**GEMMA_SHAPE)).eval().save_pretrained(body)
    for name in TOKENIZER_FILES:
        shutil.copy(Path(minilm_path()) / name, body / name)
    dense = [Dense(768, 3072, bias=False, activation_function=torch.nn.Identity()),
             Dense(3072, 768, bias=False, activation_function=torch.nn.Identity())]
    SentenceTransformer(modules=[Transformer(str(body)), Pooling(768, "mean"), *dense, Normalize()], device="cpu").save(str(GEMMA))
    return {}


def measure(library: str) -> dict:
    import numpy as np

    corpus = make_corpus(2000)
    if library == "leanpipe":
        import leanpipe

        models = {"static": leanpipe.SentenceTransformer(str(STATIC)), "splade": leanpipe.SparseEncoder(str(SPLADE)),
                  "embeddinggemma": leanpipe.SentenceTransformer(str(GEMMA))}
    else:
        from sentence_transformers import SentenceTransformer, SparseEncoder

        models = {"static": SentenceTransformer(str(STATIC), device="cpu"), "splade": SparseEncoder(str(SPLADE), device="cpu"),
                  "embeddinggemma": SentenceTransformer(str(GEMMA), device="cpu")}
    out = {}
    for name, model in models.items():
        _, sentences, calls = SETUPS[name]
        texts = corpus[:sentences]
        encode = (lambda t: model.encode(t)) if name != "splade" or library == "leanpipe" else \
            (lambda t: model.encode(t, convert_to_sparse_tensor=False))
        vectors = np.asarray(encode(texts))  # warm-up pass; its vectors are compared
        seconds = timed_passes(lambda: encode(texts), PASSES)
        singles = []
        for i in range(calls):
            start = time.perf_counter()
            encode(texts[i])
            singles.append(time.perf_counter() - start)
        np.save(Path(CACHE) / f"{name}-{library}.npy", vectors[:64])
        out[name] = {"sentences": sentences, "seconds": seconds, "batch1_ms": 1000 * median(singles)}
    return out


def markdown(lp: dict, st: dict, diffs: dict, threads: int) -> str:
    lines = ["# sentence-transformers' static, sparse and EmbeddingGemma models: leanpipe vs sentence-transformers", "",
             f"{time.strftime('%Y-%m-%d %H:%M')}, {cpu_model()}. `python bench/sentence_models.py --threads {threads}`: a "
             f"StaticEmbedding model with a (30522, 1024) table, a SPLADE model (DistilBERT-base-sized masked LM, max "
             f"pooling) and an embeddinggemma-300m-shaped model (mean pooling, two Dense, Normalize), random "
             f"weights, saved by sentence-transformers; corpus sentences, median of {PASSES} passes; batch 1: median of "
             f"single-sentence calls.", "",
             "| model | sentences | leanpipe s | sentence-transformers s | speed-up | batch-1 ms (leanpipe / sentence-transformers) "
             "| max abs difference |", "|---|---|---|---|---|---|---|"]
    for name in SETUPS:
        a, b = lp[name], st[name]
        lines.append(f"| {name} | {a['sentences']} | {a['seconds']:.3f} | {b['seconds']:.3f} | {b['seconds'] / a['seconds']:.2f}x "
                     f"| {a['batch1_ms']:.2f} / {b['batch1_ms']:.2f} | {diffs[name]:.1e} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--child", choices=["build", "leanpipe", "sentence-transformers"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(build() if args.child == "build" else measure(args.child)))
        return
    child = [sys.executable, __file__, "--child"]
    if not all((folder / "modules.json").exists() for folder, _, _ in SETUPS.values()):
        run_json(child + ["build"], args.threads)
    lp, st = run_json(child + ["leanpipe"], args.threads), run_json(child + ["sentence-transformers"], args.threads)
    diffs = {name: float(np.abs(np.load(CACHE / f"{name}-leanpipe.npy") - np.load(CACHE / f"{name}-sentence-transformers.npy")).max())
             for name in SETUPS}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sentence_models.json").write_text(json.dumps({"leanpipe": lp, "sentence-transformers": st,
                                                               "max_abs_difference": diffs}, indent=1))
    (args.out / "sentence_models.md").write_text(markdown(lp, st, diffs, args.threads))
    print((args.out / "sentence_models.md").read_text())


if __name__ == "__main__":
    main(sys.argv[1:])
