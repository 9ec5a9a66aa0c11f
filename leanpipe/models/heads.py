"""The two task heads every family shares, as transformers names their tensors (`classifier`, `qa_outputs`)."""

from __future__ import annotations

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
