"""The attention and gated MLP that Gemma 3's, Qwen 3's and Qwen 2's layers share (modeling_gemma3,
modeling_qwen3, modeling_qwen2): grouped-query attention with rotated (Gemma 3, Qwen 3: per-head RMS-normed)
queries and keys, and down(act(gate x) * up x). The config gives hidden_size, num_attention_heads,
num_key_value_heads, head_dim, rms_norm_eps and attention_bias (or projection_biases) under these names."""

from __future__ import annotations

import numpy as np

from ..config.base import rope_scaling_key
from ..errors import InputError
from ..weights import Weights
from .modernbert import rotary_tables

TABLE_LIMIT = 8192  # rotary rows built per kind: max_position_embeddings, at most this (8,192 rows of head_dim 128 take 8 MB)


def causal_inputs(ops, c, ids, mask, rope_of: dict[str, dict], positions: int):
    """Per kind of layer in c.attention_kinds(): its rotary (cos, sin) rows for positions 0..T-1 from `rope_of[kind]`
    (rope_parameters; kinds with the same parameters share one pair), its causal mask bias (a sliding layer's query
    sees its own key and the window() - 1 before it) and `seen` (B, T, 1): 1 where a query sees some key (a
    left-padded query sees none). Qwen's, Llama's, Mistral's and causal Gemma 3's."""
    kinds, built, rope = sorted(set(c.attention_kinds())), {}, {}
    for kind in kinds:
        params = rope_of[kind]
        key = (float(params["rope_theta"]), rope_scaling_key(params))
        if key not in built:
            built[key] = tuple(ops.position_embed(t, ids) for t in rotary_tables(key[0], c.head_dim, positions, key[1]))
        rope[kind] = built[key]
    bias = {kind: ops.mask_bias(mask, causal=True, window=c.window() - 1 if kind == "sliding_attention" else None) for kind in kinds}
    return rope, bias, {kind: ops.queries_with_keys(b) for kind, b in bias.items()}


def projection(ops, w: Weights, c, x, name: str, heads: int, bias: bool):
    """x @ W.T (+ its bias) for `heads` heads of head_dim -> (B, T, heads * D)."""
    out = heads * c.head_dim
    return ops.linear(x, w.get(f"{name}.weight", (out, c.hidden_size)), w.get(f"{name}.bias", (out,)) if bias else None)


def biases(c) -> tuple[bool, bool]:
    """(q / k / v biases, o_proj bias): attention_bias for both (Gemma 3, Qwen 3); a config's own
    `projection_biases` where they differ (Qwen 2: q, k, v always, o_proj never)."""
    own = getattr(type(c), "projection_biases", None)
    return own(c) if own else (bool(c.attention_bias), bool(c.attention_bias))


def norm_weight(w: Weights, name: str, width: int, shift: float) -> np.ndarray:
    """An RMSNorm's scale: shift + weight (Gemma's 1 + w), or the weight itself for shift 0 (Qwen's)."""
    weight = w.get(f"{name}.weight", (width,))
    return np.float32(shift) + weight if shift else weight


def attention(ops, w: Weights, c, p: str, x, rope, bias, seen, *, scale: float, norm_shift: float | None):
    """Self-attention under the mask `bias` -> o_proj output (B, T, H). Queries and keys are normed per head
    (q_norm, k_norm, scaled by norm_shift + weight: Gemma's 1 + w, Qwen 3's w; norm_shift None: no such norms,
    Qwen 2) and rotated; key / value heads shared by several query heads are projected once and shared
    inside the attention. `seen` (B, T, 1), when given, zeroes queries that see no key, as torch's SDPA
    gives them."""
    n, kv, d, eps = c.num_attention_heads, c.num_key_value_heads, c.head_dim, c.rms_norm_eps
    qkv_bias, o_bias = biases(c)
    q = projection(ops, w, c, x, f"{p}.self_attn.q_proj", n, qkv_bias)
    k = projection(ops, w, c, x, f"{p}.self_attn.k_proj", kv, qkv_bias)
    v = projection(ops, w, c, x, f"{p}.self_attn.v_proj", kv, qkv_bias)
    if norm_shift is not None:
        q = ops.head_rms_norm(q, norm_weight(w, f"{p}.self_attn.q_norm", d, norm_shift), eps, n, d)
        k = ops.head_rms_norm(k, norm_weight(w, f"{p}.self_attn.k_norm", d, norm_shift), eps, kv, d)
    cos, sin = rope
    q, k = ops.rotary(q, cos, sin, n, d), ops.rotary(k, cos, sin, kv, d)
    a = ops.attention_with_bias(q, k, v, bias, n, d, scale, queries_match_keys=True, kv_heads=kv)
    h = c.hidden_size
    out = w.get(f"{p}.self_attn.o_proj.weight", (h, n * d))
    return ops.linear(a if seen is None else ops.mul(a, seen), out, w.get(f"{p}.self_attn.o_proj.bias", (h,)) if o_bias else None)


def mlp(ops, w: Weights, c, p: str, x, activation: str):
    """down(act(gate(x)) * up(x)), with biases where the config has mlp_bias (Llama's; none elsewhere)."""
    h, i = c.hidden_size, c.intermediate_size
    own = getattr(type(c), "mlp_biased", None)  # Llama's mlp_bias; Mistral, Qwen and Gemma have none
    biased = bool(own(c)) if own else False

    def bias(name: str, width: int):
        return w.get(f"{p}.mlp.{name}.bias", (width,)) if biased else None

    gate = ops.linear(x, w.get(f"{p}.mlp.gate_proj.weight", (i, h)), bias("gate_proj", i), activation)
    up = ops.linear(x, w.get(f"{p}.mlp.up_proj.weight", (i, h)), bias("up_proj", i))
    return ops.down_projection(ops.mul(gate, up), w.get(f"{p}.mlp.down_proj.weight", (h, i)), bias("down_proj", h))


def last_token_scores(ops, w: Weights, c, x) -> None:
    """GenericForSequenceClassification: `score` (no bias) on the last token that is not pad_token_id, or on the
    last position when the config has no pad id (then one text a call: check_feeds). x: (B, T, H)."""
    pooled = ops.last_token(x) if c.pad_token_id is None else ops.last_unmatched(x, ops.input("input_ids"), c.pad_token_id)
    ops.output("logits", ops.linear(pooled, w.get("score.weight", (c.num_labels, c.hidden_size), head=True), None))


def check_feeds(head: str, feeds: dict[str, np.ndarray], c) -> None:
    """A classifier without a pad id cannot tell padding from text, so it takes one text a call, as transformers refuses."""
    if head == "sequence-classification" and c.pad_token_id is None and len(feeds["input_ids"]) > 1:
        raise InputError(f"this {c.model_type} classifier's config.json has no pad_token_id, so it cannot find each text's last "
                         f"token in a padded batch of {len(feeds['input_ids'])}: pass one text a call, or set pad_token_id "
                         f"(the tokenizer's pad id) in config.json or from_pretrained(..., pad_token_id=...)")
