"""DeBERTa (v1, model_type "deberta") against the ops of leanpipe.engine (modeling_deberta).

DeBERTa-v2's graph (deberta_v2.py) without what v2 added: no log-bucketed positions, no shared
position keys, no LayerNorm on the relative embeddings, no convolution. What v1 has of its own is
the attention's projections: one `in_proj` matrix (3H, H), no bias, whose rows interleave the heads
(q, k, v of head 0, then of head 1, ...), plus `q_bias` and `v_bias`; the content-to-position keys
come from `pos_proj` (no bias) and the position-to-content queries from `pos_q_proj`.
Tensor names are the checkpoint's own: `deberta.encoder.layer.0.attention.self.in_proj.weight`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import DebertaConfig
from ..weights import Weights
from . import deberta_v2 as v2
from .variants import heads_of

PREFIX = v2.PREFIX
INPUT_NAMES = v2.INPUT_NAMES
max_positions = v2.max_positions  # position_biased_input is a v1 key too
V2_ONLY = {"position_buckets": -1, "share_att_key": False, "norm_rel_ebd": "none", "conv_kernel_size": 0}


class AsV2:
    """A DeBERTa-v1 config read through DeBERTa-v2's code: the v2-only settings are off."""

    def __init__(self, config: DebertaConfig) -> None:
        self._config = config

    def __getattr__(self, name: str) -> Any:
        return V2_ONLY[name] if name in V2_ONLY else getattr(self._config, name)


def head_projections(in_proj: np.ndarray, heads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """in_proj (3H, H), rows [q_0 k_0 v_0 q_1 k_1 v_1 ...] per head -> (Wq, Wk, Wv), each (H, H) in head order."""
    width = in_proj.shape[1]
    per_head = np.asarray(in_proj, dtype=np.float32).reshape(heads, 3, -1, width)  # (N, 3, D, H)
    return tuple(np.ascontiguousarray(per_head[:, part].reshape(-1, width)) for part in range(3))


def attention(ops, w: Weights, c: AsV2, p: str, x, bias, rel, indices):
    """DisentangledSelfAttention (v1): content scores plus c2p / p2c position scores over one scale."""
    h, heads = c.hidden_size, c.num_attention_heads
    d, types = h // heads, v2.position_types(c)
    scale = 1 / np.sqrt(d * (1 + len({"c2p", "p2c"} & set(c.pos_att_type or []))))
    wq, wk, wv = head_projections(w.get(f"{p}.in_proj.weight", (3 * h, h)), heads)
    q = ops.linear(x, wq, w.get(f"{p}.q_bias", (h,)))  # (B, T, H)
    k = ops.linear(x, wk, None)
    v = ops.linear(x, wv, w.get(f"{p}.v_bias", (h,)))
    if "c2p" in types:
        pos_key = ops.linear(rel, w.get(f"{p}.pos_proj.weight", (h, h)), None)  # (R, H)
        bias = ops.add(bias, ops.relative_scores(q, pos_key, indices[0], heads, d, scale))  # (B, N, T, T)
    if "p2c" in types:
        pos_query = ops.linear(rel, w.get(f"{p}.pos_q_proj.weight", (h, h)), w.get(f"{p}.pos_q_proj.bias", (h,)))
        p2c = ops.relative_scores(k, pos_query, indices[1], heads, d, scale)  # (B, N, T_key, T_query)
        bias = ops.add(bias, ops.transpose(p2c, (0, 1, 3, 2)))
    return ops.attention_with_bias(q, k, v, bias, heads, d, scale=scale, every_query_sees_a_key=False)  # (B, T, H)


base, sequence_classification, token_classification, question_answering, masked_lm = heads_of(v2, AsV2, attend=attention)
