"""sentence-transformers' static, sparse, EmbeddingGemma and late-interaction models, measured: leanpipe's
SentenceTransformer on a StaticEmbedding model (static-retrieval-mrl-en-v1's shape: a (30522, 1024) table over
MiniLM's tokenizer, random weights), SparseEncoder on a SPLADE model (a DistilBERT-base-sized masked LM with
random weights, max pooling), SentenceTransformer on an embeddinggemma-300m-shaped model (Gemma 3's
bidirectional encoder, random weights, MiniLM's tokenizer; mean pooling, Dense 768 -> 3072 -> 768 without
bias, Normalize) and MultiVectorEncoder on a ColBERT in PyLate's layout (all-MiniLM-L6-v2's real encoder, a
random 384 -> 96 projection as answerai-colbert-small-v1's, queries expanded to 32 tokens, documents cut at
180, punctuation skipped; documents timed, batch 1 a query), against sentence-transformers, each library in
its own child process with the same threads.

    HF_HUB_OFFLINE=1 python bench/sentence_models.py        # ~3 minutes; --threads, --out

Writes bench/results/sentence_models.md and .json. The checkpoints are saved by sentence-transformers
once into bench/.cache/. Throughput: median of 3 passes over the corpus (2,000 sentences for the static
model, the first 384 for SPLADE and EmbeddingGemma) after a warm-up pass; batch 1: median of 200 (static) or 20
single-sentence calls. The vectors of both libraries are compared (max abs difference).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkpoints import CACHE, TOKENIZER_FILES, minilm_path  # noqa: E402
from corpus import make_corpus  # noqa: E402
from measure import cpu_model, median, run_json, timed_passes  # noqa: E402

STATIC, SPLADE, GEMMA = CACHE / "static-embedding-random", CACHE / "splade-distilbert-random", CACHE / "embeddinggemma-random"
COLBERT = CACHE / "colbert-minilm-pylate"
SETUPS = {"static": (STATIC, 2000, 200), "splade": (SPLADE, 384, 20), "embeddinggemma": (GEMMA, 384, 20),
          "colbert": (COLBERT, 1000, 100)}  # folder, sentences, batch-1 calls
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
    build_colbert()
    return {}


def build_colbert() -> None:
    """PyLate's layout around all-MiniLM-L6-v2's encoder (leanpipe.multi_vector_config's docstring)."""
    import shutil
    import string

    import numpy as np
    from safetensors.numpy import save_file

    if COLBERT.exists():
        shutil.rmtree(COLBERT)
    shutil.copytree(minilm_path(), COLBERT)
    settings = {"model_type": "ColBERT", "prompts": {}, "query_prefix": "[unused0]", "document_prefix": "[unused1]",
                "query_length": 32, "document_length": 180, "attend_to_expansion_tokens": False,
                "skiplist_words": list(string.punctuation)}
    files = {"modules.json": [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                              {"idx": 1, "name": "1", "path": "1_Dense", "type": "pylate.models.Dense.Dense"}],
             "config_sentence_transformers.json": settings,
             "sentence_bert_config.json": {"max_seq_length": 179, "do_lower_case": False},
             "1_Dense/config.json": {"in_features": 384, "out_features": 96, "bias": False,
                                     "activation_function": "torch.nn.modules.linear.Identity", "use_residual": False}}
    for name, data in files.items():
        (COLBERT / name).parent.mkdir(parents=True, exist_ok=True)
        (COLBERT / name).write_text(json.dumps(data, indent=2))
    weight = np.random.default_rng(0).normal(0, 0.05, (96, 384)).astype(np.float32)
    save_file({"linear.weight": weight}, str(COLBERT / "1_Dense" / "model.safetensors"))


def measure(library: str) -> dict:
    import numpy as np

    corpus = make_corpus(2000)
    if library == "leanpipe":
        import leanpipe

        models = {"static": leanpipe.SentenceTransformer(str(STATIC)), "splade": leanpipe.SparseEncoder(str(SPLADE)),
                  "embeddinggemma": leanpipe.SentenceTransformer(str(GEMMA)), "colbert": leanpipe.MultiVectorEncoder(str(COLBERT))}
    else:
        from sentence_transformers import MultiVectorEncoder, SentenceTransformer, SparseEncoder

        models = {"static": SentenceTransformer(str(STATIC), device="cpu"), "splade": SparseEncoder(str(SPLADE), device="cpu"),
                  "embeddinggemma": SentenceTransformer(str(GEMMA), device="cpu"),
                  "colbert": MultiVectorEncoder(str(COLBERT), device="cpu")}
    out = {}
    for name, model in models.items():
        _, sentences, calls = SETUPS[name]
        texts = corpus[:sentences]
        encode, single = _calls(name, model, library)
        vectors = encode(texts)  # warm-up pass; its vectors are compared
        vectors = np.concatenate(vectors[:64]) if name == "colbert" else np.asarray(vectors)
        seconds = timed_passes(lambda: encode(texts), PASSES)
        singles = []
        for i in range(calls):
            start = time.perf_counter()
            single(texts[i])
            singles.append(time.perf_counter() - start)
        np.save(Path(CACHE) / f"{name}-{library}.npy", vectors[:64])
        out[name] = {"sentences": sentences, "seconds": seconds, "batch1_ms": 1000 * median(singles)}
    return out


def _calls(name: str, model, library: str):
    """(encode a list, encode one text) for a model: a ColBERT encodes documents (numpy arrays from both
    libraries) and one query at batch 1; SPLADE's sentence-transformers vectors dense."""
    if name == "colbert":
        return (functools.partial(model.encode_document, convert_to_numpy=True),
                functools.partial(model.encode_query, convert_to_numpy=True))
    if name == "splade" and library != "leanpipe":
        dense = functools.partial(model.encode, convert_to_sparse_tensor=False)
        return dense, dense
    return model.encode, model.encode


def markdown(lp: dict, st: dict, diffs: dict, threads: int) -> str:
    lines = ["# sentence-transformers' static, sparse, EmbeddingGemma and ColBERT models: leanpipe vs sentence-transformers", "",
             f"{time.strftime('%Y-%m-%d %H:%M')}, {cpu_model()}. `python bench/sentence_models.py --threads {threads}`: a "
             f"StaticEmbedding model with a (30522, 1024) table, a SPLADE model (DistilBERT-base-sized masked LM, max "
             f"pooling) and an embeddinggemma-300m-shaped model (mean pooling, two Dense, Normalize), random "
             f"weights, saved by sentence-transformers, and a ColBERT in PyLate's layout (all-MiniLM-L6-v2's encoder, a "
             f"random 384 -> 96 projection; encode_document timed, a query at batch 1); corpus sentences, median of "
             f"{PASSES} passes; batch 1: median of single-sentence calls.", "",
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
