"""Gemma 3's text model (model_type "gemma3_text") against the ops of leanpipe.engine (modeling_gemma3's
Gemma3TextModel): the bidirectional encoder (use_bidirectional_attention: google/embeddinggemma-300m and its
fine-tunes) and the causal model with its sequence classifier (Gemma3TextForSequenceClassification).

Token embeddings times sqrt(H), then pre- and post-normed layers: RMSNorm -> attention -> RMSNorm, added;
RMSNorm -> gated MLP (down(gelu_tanh(gate x) * up x)) -> RMSNorm, added; a final RMSNorm. Every RMSNorm
scales by (1 + weight). Attention projects N query heads and num_key_value_heads key / value heads of
head_dim, normalises each head's queries and keys (q_norm, k_norm), rotates them (RoPE, one theta for
full layers, one for sliding ones, positions 0..T-1 whatever the padding) and scales scores by
query_pre_attn_scalar^-1/2; a sliding layer's query sees keys fewer than config.window() positions away,
on both sides (causal: its own and those before it, the real ones; a left-padded query that sees none gets
zeros, as torch's SDPA gives it). Key / value heads shared by several query heads (grouped-query attention: embeddinggemma-300m
has one for its three) are projected once and shared inside the attention. Names are the checkpoint's own,
`layers.0.self_attn.q_proj.weight`, bare or under `model.`.
"""

from __future__ import annotations

import numpy as np

from ..config import Gemma3TextConfig
from ..weights import Weights
from . import rotary_decoder
from .modernbert import layer_kind_inputs
from .rotary_decoder import TABLE_LIMIT, check_feeds, last_token_scores  # noqa: F401  (check_feeds: the family's, as Qwen 3's)
from .rotary_decoder import norm_weight

PREFIX = "model"
PROBE = "embed_tokens.weight"
WORD_EMBEDDINGS = ("embed_tokens.weight",)
INPUT_NAMES = ("input_ids", "attention_mask")
# rotary positions and masked padded keys: a text's vectors are the same padded on either side (up to
# rounding), so sentence-transformers' processor_kwargs={"padding_side": "left"} is taken (sentence_io)
PADDING_SIDE_FREE = True


def max_positions(c: Gemma3TextConfig) -> int:
    """Longest input: the rotary tables' rows (transformers computes any position; real checkpoints'
    tokenizers stop at max_position_embeddings, and the default config's 131,072 rows would take 1 GB)."""
    return min(c.max_position_embeddings, TABLE_LIMIT)


def embed_scale(c: Gemma3TextConfig) -> float:
    """Gemma3TextScaledWordEmbedding's factor on every looked-up row: sqrt(H), as a float32."""
    return float(np.float32(c.hidden_size ** 0.5))


def norm(ops, w: Weights, c: Gemma3TextConfig, x, name: str):
    """Gemma3RMSNorm: x / sqrt(mean(x^2) + eps) * (1 + weight)."""
    return ops.rms_norm(x, norm_weight(w, name, c.hidden_size, 1.0), c.rms_norm_eps)


def attention(ops, w: Weights, c: Gemma3TextConfig, p: str, x, rope, bias, seen):
    """Gemma3Attention -> o_proj output (B, T, H): q / k norms scaled by 1 + weight, scores by
    query_pre_attn_scalar^-1/2 (rotary_decoder)."""
    return rotary_decoder.attention(ops, w, c, p, x, rope, bias, seen, scale=float(c.query_pre_attn_scalar) ** -0.5,
                                    norm_shift=1.0)


def encoder(ops, w: Weights, c: Gemma3TextConfig):
    """input_ids, attention_mask -> final-normed hidden state (B, T, H)."""
    ids, mask, h = ops.input("input_ids"), ops.input("attention_mask"), c.hidden_size
    x = ops.embed(w.get("embed_tokens.weight", (c.vocab_size, h)), ids)
    x = ops.mul(x, ops.const(np.array(embed_scale(c), dtype=np.float32)))  # Gemma3TextScaledWordEmbedding
    if c.use_bidirectional_attention is True:
        rope, bias, seen = layer_kind_inputs(ops, c, ids, mask, c.head_dim, max_positions(c), c.window() - 1)  # window() is exclusive
    else:
        rope, bias, seen = rotary_decoder.causal_inputs(ops, c, ids, mask, c.rope_parameters, max_positions(c))
    for i, kind in enumerate(c.layer_types):
        ops.hidden(x)
        p = f"layers.{i}"
        a = attention(ops, w, c, p, norm(ops, w, c, x, f"{p}.input_layernorm"), rope[kind], bias[kind], seen[kind])
        x = ops.add(x, norm(ops, w, c, a, f"{p}.post_attention_layernorm"))
        f = rotary_decoder.mlp(ops, w, c, p, norm(ops, w, c, x, f"{p}.pre_feedforward_layernorm"), c.hidden_activation)
        x = ops.add(x, norm(ops, w, c, f, f"{p}.post_feedforward_layernorm"))
    x = norm(ops, w, c, x, "norm")
    ops.hidden(x)
    return x


def base(ops, w: Weights, c: Gemma3TextConfig) -> None:
    ops.output("last_hidden_state", encoder(ops, w, c))


def sequence_classification(ops, w: Weights, c: Gemma3TextConfig) -> None:
    """Gemma3TextForSequenceClassification: `score` on the last non-pad token (GenericForSequenceClassification)."""
    last_token_scores(ops, w, c, encoder(ops, w, c))
