"""NumPy versions of the torch functions people apply to logits: `softmax(logits, dim=-1)`."""

from __future__ import annotations

from typing import Any

import numpy as np


def _as_array(x: Any) -> tuple[np.ndarray, bool]:
    if type(x).__module__.startswith("torch"):
        return x.detach().cpu().numpy(), True
    return np.asarray(x, dtype=np.float32) if not isinstance(x, np.ndarray) else x, False


def _back(y: np.ndarray, was_torch: bool) -> Any:
    if was_torch:
        import torch

        return torch.from_numpy(np.ascontiguousarray(y))
    return y


def softmax(x: Any, dim: int = -1) -> Any:
    """exp(x) / sum(exp(x)) along `dim`, shifted by the max for stability (as transformers does)."""
    a, was_torch = _as_array(x)
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    return _back(e / e.sum(axis=dim, keepdims=True), was_torch)


def sigmoid(x: Any) -> Any:
    a, was_torch = _as_array(x)
    return _back(1.0 / (1.0 + np.exp(-a)), was_torch)
