"""Qwen 3's decoder as an encoder (model_type "qwen3": Qwen/Qwen3-Embedding-0.6B and its fine-tunes, and
Qwen3ForSequenceClassification / TokenClassification / QuestionAnswering checkpoints) against the ops of
leanpipe.engine (modeling_qwen3's Qwen3Model).

Token embeddings, then pre-normed layers: RMSNorm -> attention, added; RMSNorm -> gated MLP
(down(silu(gate x) * up x)), added; a final RMSNorm. Every RMSNorm scales by its weight (not 1 + weight,
as Gemma's). Attention projects N query heads and num_key_value_heads key / value heads of head_dim,
normalises each head's queries and keys (q_norm, k_norm), rotates them (RoPE, positions 0..T-1 whatever
the padding, as transformers numbers them without position_ids) and scales scores by head_dim^-1/2.
It is causal: a query sees its own key and the real ones before it (a sliding layer the last
sliding_window of them); a padded query that sees no key (left padding) gets zeros, as torch's SDPA
gives it. The classifier reads the last token that is not the pad id (either padding side), as
transformers' GenericForSequenceClassification. Names are the checkpoint's own, `layers.0.self_attn.q_proj.weight`,
bare or under `model.` (`transformer.` for the question-answering head); `score.weight` / `qa_outputs.weight` for the heads.
"""

from __future__ import annotations

from ..config import Qwen3Config
from ..weights import Weights
from . import rotary_decoder
from .rotary_decoder import TABLE_LIMIT, check_feeds, last_token_scores  # noqa: F401  (check_feeds: the family's)

PREFIX = "model"
PROBE = "embed_tokens.weight"
WORD_EMBEDDINGS = ("embed_tokens.weight",)
INPUT_NAMES = ("input_ids", "attention_mask")
# rotary positions and masked padded keys: a text's vectors are the same padded on either side (up to
# rounding), so sentence-transformers' processor_kwargs={"padding_side": "left"} is taken (sentence_io)
PADDING_SIDE_FREE = True
HEAD_PREFIXES = {"question-answering": "transformer"}  # Qwen3ForQuestionAnswering's base_model_prefix, kept for old checkpoints


def max_positions(c: Qwen3Config) -> int:
    """Longest input: the rotary table's rows, max_position_embeddings (32,768 for Qwen3-Embedding), at most
    TABLE_LIMIT (8,192 rows of head_dim 128 take 8 MB; the full 32,768 would take 34 MB)."""
    return min(c.max_position_embeddings, TABLE_LIMIT)


def norm(ops, w: Weights, c: Qwen3Config, x, name: str):
    """Qwen3RMSNorm: x / sqrt(mean(x^2) + eps) * weight."""
    return ops.rms_norm(x, w.get(f"{name}.weight", (c.hidden_size,)), c.rms_norm_eps)


def attention(ops, w: Weights, c: Qwen3Config, p: str, x, rope, bias, seen):
    """Qwen3Attention -> o_proj output (B, T, H): q / k norms scaled by their weight, scores by head_dim^-1/2
    (rotary_decoder; Qwen3-Embedding-0.6B shares each of its 8 key / value heads between 2 query heads)."""
    return rotary_decoder.attention(ops, w, c, p, x, rope, bias, seen, scale=c.head_dim ** -0.5,
                                    norm_shift=0.0 if c.QK_NORM else None)


def encoder(ops, w: Weights, c: Qwen3Config):
    """input_ids, attention_mask -> final-normed hidden state (B, T, H)."""
    ids, mask = ops.input("input_ids"), ops.input("attention_mask")
    x = ops.embed(w.get("embed_tokens.weight", (c.vocab_size, c.hidden_size)), ids)
    rope_of = {kind: c.rope_parameters for kind in set(c.attention_kinds())}  # one rotary for every layer
    rope, bias, seen = rotary_decoder.causal_inputs(ops, c, ids, mask, rope_of, max_positions(c))
    for i, kind in enumerate(c.attention_kinds()):
        ops.hidden(x)
        p = f"layers.{i}"
        x = ops.add(x, attention(ops, w, c, p, norm(ops, w, c, x, f"{p}.input_layernorm"), rope[kind], bias[kind], seen[kind]))
        x = ops.add(x, rotary_decoder.mlp(ops, w, c, p, norm(ops, w, c, x, f"{p}.post_attention_layernorm"), c.hidden_act))
    x = norm(ops, w, c, x, "norm")
    ops.hidden(x)
    return x


def base(ops, w: Weights, c: Qwen3Config) -> None:
    ops.output("last_hidden_state", encoder(ops, w, c))


def sequence_classification(ops, w: Weights, c: Qwen3Config) -> None:
    last_token_scores(ops, w, c, encoder(ops, w, c))


def token_classification(ops, w: Weights, c: Qwen3Config) -> None:
    """`score` (with bias) on every token; dropout is identity at inference."""
    x = encoder(ops, w, c)  # (B, T, H)
    h, labels = c.hidden_size, c.num_labels
    ops.output("logits", ops.linear(x, w.get("score.weight", (labels, h), head=True), w.get("score.bias", (labels,), head=True)))


def question_answering(ops, w: Weights, c: Qwen3Config) -> None:
    """`qa_outputs` (with bias) on every token -> start and end logits (B, T)."""
    x = encoder(ops, w, c)  # (B, T, H)
    weight, bias = w.get("qa_outputs.weight", (2, c.hidden_size), head=True), w.get("qa_outputs.bias", (2,), head=True)
    start, end = ops.columns(ops.linear(x, weight, bias), 2)  # (B, T, 2)
    ops.output("start_logits", start)
    ops.output("end_logits", end)
