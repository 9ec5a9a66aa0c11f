"""The two task heads every family shares, as transformers names their tensors (`classifier`, `qa_outputs`),
and the input rule of the encoder-decoders' classifiers."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..weights import Weights


def token_logits(ops, w: Weights, x, labels: int, width: int) -> None:
    """A label score per token: `classifier` over x (B, T, H) -> "logits" (B, T, L) (dropout is identity)."""
    weight, bias = w.get("classifier.weight", (labels, width), head=True), w.get("classifier.bias", (labels,), head=True)
    ops.output("logits", ops.linear(x, weight, bias))


def span_logits(ops, w: Weights, x, width: int) -> None:
    """Extractive QA: `qa_outputs` over x (B, T, H) -> "start_logits" and "end_logits" (B, T)."""
    weight, bias = w.get("qa_outputs.weight", (2, width), head=True), w.get("qa_outputs.bias", (2,), head=True)
    start, end = ops.columns(ops.linear(x, weight, bias), 2)  # (B, T, 2) -> (B, T) each
    ops.output("start_logits", start)
    ops.output("end_logits", end)


def choice_logits(ops, w: Weights, pooled, width: int) -> None:
    """Multiple choice: `classifier` scoring each (text, choice) row's pooled vector (B * C, H) once ->
    "logits" (B * C, 1); the model reshapes them to (B, C)."""
    weight, bias = w.get("classifier.weight", (1, width), head=True), w.get("classifier.bias", (1,), head=True)
    ops.output("logits", ops.linear(pooled, weight, bias))


class OneLabel:
    """A config seen with num_labels = 1: where a family's multiple-choice model is its sequence
    classifier scoring each (text, choice) row once (BERT, DistilBERT, ALBERT, DeBERTa-v2, ModernBERT, ...)."""

    num_labels = 1

    def __init__(self, config) -> None:
        self._config = config

    def __getattr__(self, name: str):
        return getattr(self._config, name)


def require_eos(feeds: dict[str, np.ndarray], eos_id: int, family: str) -> None:
    """An encoder-decoder's sequence classifier reads each text's last </s> (BART's, T5's): every
    text of the batch needs one, or InputError naming the text."""
    counts = (feeds["input_ids"] == eos_id).sum(axis=1)
    if counts.size and counts.min() == 0:
        raise InputError(f"{family}'s classifier reads each text's last </s> (id {eos_id}), and text "
                         f"{int(counts.argmin())} has none; tokenize with the model's tokenizer and add_special_tokens=True")
