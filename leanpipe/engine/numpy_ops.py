"""The model ops evaluated eagerly with NumPy: the readable reference for every architecture.

A model definition (leanpipe/models/*.py) calls these ops; `onnx_ops.OnnxOps` implements the same
names by emitting graph nodes instead. Shapes: B batch, T tokens, H hidden, N heads, D head dim.
"""

from __future__ import annotations

import numpy as np

_NEG = np.float32(np.finfo(np.float32).min)  # additive mask for padded keys, as transformers uses


class NumpyOps:
    """Each op computes its result now. `feeds` holds the input arrays by name."""

    def __init__(self, feeds: dict[str, np.ndarray]) -> None:
        self.feeds = feeds
        self.outputs: dict[str, np.ndarray] = {}

    def input(self, name: str) -> np.ndarray:
        return self.feeds[name]

    def const(self, array: np.ndarray) -> np.ndarray:
        return array

    def embed(self, table: np.ndarray, ids: np.ndarray) -> np.ndarray:
        return table[ids]  # (B, T, H)

    def position_embed(self, table: np.ndarray, ids: np.ndarray) -> np.ndarray:
        return table[: ids.shape[1]][None]  # (1, T, H): positions 0..T-1

    def add(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def linear(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, activation: str | None = None) -> np.ndarray:
        y = x @ w.T  # (..., out); w is (out, in) as checkpoints store it
        y = y + b if b is not None else y
        return self.activation(y, activation) if activation else y

    def dense_add_norm(self, x: np.ndarray, w: np.ndarray, b: np.ndarray, residual: np.ndarray,
                       gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
        """LayerNorm(x @ w.T + b + residual): a post-LN block's output."""
        return self.layer_norm(self.linear(x, w, b) + residual, gamma, beta, eps)

    def linears(self, x: np.ndarray, pairs: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
        return [self.linear(x, w, b) for w, b in pairs]

    def layer_norm(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + np.float32(eps)) * gamma + beta

    def activation(self, x: np.ndarray, name: str) -> np.ndarray:
        if name == "gelu":  # BERT uses the exact erf GELU, not the tanh one (modeling_bert ACT2FN)
            return 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))
        if name in ("gelu_new", "gelu_pytorch_tanh"):
            return 0.5 * x * (1.0 + np.tanh(np.float32(np.sqrt(2 / np.pi)) * (x + 0.044715 * x**3)))
        if name == "relu":
            return np.maximum(x, 0)
        if name == "tanh":
            return np.tanh(x)
        raise ValueError(f"activation {name!r} has no NumPy implementation")

    def attention(self, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray, heads: int, head_dim: int) -> np.ndarray:
        """Scaled dot-product attention over keys where `mask` (B, T) is 1."""
        b, t, h = q.shape
        d = head_dim
        q, k, v = (a.reshape(b, t, heads, d).transpose(0, 2, 1, 3) for a in (q, k, v))  # (B, N, T, D)
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(d))  # (B, N, T, T)
        scores = scores + np.where(mask[:, None, None, :] > 0, np.float32(0), _NEG)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        return (probs @ v).transpose(0, 2, 1, 3).reshape(b, t, h)  # (B, T, H)

    def self_attention(self, x: np.ndarray, qkv: list[tuple[np.ndarray, np.ndarray]], mask: np.ndarray, heads: int, head_dim: int) -> np.ndarray:
        """Q/K/V projections of `x`, then attention (one fused op in the ONNX engine)."""
        q, k, v = self.linears(x, qkv)  # (B, T, H) each
        return self.attention(q, k, v, mask, heads, head_dim)

    def columns(self, x: np.ndarray, n: int) -> list[np.ndarray]:
        """(..., n) -> n arrays (...): e.g. QA logits (B, T, 2) -> start (B, T), end (B, T)."""
        return [x[..., i] for i in range(n)]

    def first_token(self, x: np.ndarray) -> np.ndarray:
        return x[:, 0]  # (B, H)

    def output(self, name: str, x: np.ndarray) -> None:
        self.outputs[name] = x

    def position_ids_from_mask(self, ids: np.ndarray, pad_id: int) -> np.ndarray:
        """RoBERTa's positions: pad_id+1, pad_id+2, ... over non-pad tokens, pad_id on pads.

        `position_ids_from_mask([[0, 5, 2, 1]], pad_id=1)` -> [[2, 3, 4, 1]] (modeling_roberta
        create_position_ids_from_input_ids).
        """
        mask = (ids != pad_id).astype(np.int64)  # (B, T)
        return np.cumsum(mask, axis=1) * mask + pad_id  # (B, T)


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26); NumPy has none and SciPy is not a dependency."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return (sign * (1.0 - poly * np.exp(-a * a))).astype(x.dtype)
