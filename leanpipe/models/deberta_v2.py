"""DeBERTa-v2 and DeBERTa-v3 (model_type "deberta-v2") against the ops of leanpipe.engine (modeling_deberta_v2).

BERT's post-LN layers with disentangled attention: besides content-to-content q.k, each query scores
the relative position of every key (c2p: q . pos_key[rel(i, j)]) and each key the relative position
of every query (p2c: k_j . pos_query[rel(j, i)]), with `pos_key` / `pos_query` projected from the
shared `encoder.rel_embeddings` (LayerNorm-ed when norm_rel_ebd says so). Relative positions i - j
are log-bucketed beyond position_buckets / 2 and clipped to the embedding span; all three score
terms are divided by sqrt(D * (1 + number of position terms)). Padding is masked on both sides
(mask_i * mask_j), and the embeddings are zeroed at padded tokens. deberta-v2-xlarge/xxlarge add a
convolution over the embeddings after the first layer (conv_kernel_size).
Tensor names are the checkpoint's own: `deberta.encoder.layer.0.attention.self.query_proj.weight`.
Shapes: B batch, T tokens, H hidden, E embedding width, I intermediate, N heads, D head dim,
R relative embeddings (2 x span), V vocabulary, L labels.
"""

from __future__ import annotations

import numpy as np

from ..config import DebertaV2Config
from ..weights import Weights
from .heads import OneLabel, span_logits, token_logits
from .bert import finish_layer, layer_norm, linear
from .roberta import tied_decoder

PREFIX = "deberta"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


UNBOUNDED = 1 << 40  # no position table: any length runs


def max_positions(c: DebertaV2Config) -> int:
    """The longest input: max_position_embeddings with an absolute position table (position_biased_input);
    without one, any length, as in transformers (relative distances past the embeddings' reach all take
    the end rows; microsoft/deberta-v3-*'s tokenizers set no length limit either)."""
    return c.max_position_embeddings if c.position_biased_input else UNBOUNDED


def embedding_size(c: DebertaV2Config) -> int:
    return getattr(c, "embedding_size", c.hidden_size)


def max_relative_positions(c: DebertaV2Config) -> int:
    """max_relative_positions, or max_position_embeddings when it is < 1 (DebertaV2Encoder)."""
    return c.max_relative_positions if c.max_relative_positions >= 1 else c.max_position_embeddings


def span(c: DebertaV2Config) -> int:
    """Relative positions -span .. span-1 have embeddings: position_buckets when > 0, else max_relative_positions."""
    buckets = getattr(c, "position_buckets", -1)
    return buckets if buckets > 0 else max_relative_positions(c)


def position_types(c: DebertaV2Config) -> list[str]:
    return list(c.pos_att_type or []) if c.relative_attention else []


def log_bucket(rel: np.ndarray, buckets: int, max_position: int) -> np.ndarray:
    """make_log_bucket_position, in float32 as torch: distances below buckets / 2 stay exact, longer ones
    are log-spaced up to max_position: `log_bucket(np.array([-3, 0, 100, 200, -300]), 256, 512)` ->
    [-3, 0, 100, 169, -207]."""
    sign = np.sign(rel)
    mid = buckets // 2
    abs_pos = np.where((rel < mid) & (rel > -mid), mid - 1, np.abs(rel))
    log_pos = np.ceil(np.log(abs_pos.astype(np.float32) / np.float32(mid))
                      / np.log(np.float32((max_position - 1) / mid)) * np.float32(mid - 1)) + mid
    return np.where(abs_pos <= mid, rel, (log_pos * sign).astype(np.int64))


def index_tables(c: DebertaV2Config) -> tuple[np.ndarray, np.ndarray]:
    """(c2p, p2c) indices into the relative embeddings for every key offset d = j - i a model input
    can have, as tables of 2M - 1 rows for ops.relative_table (row M - 1 + d):
    c2p = clamp(rel(i - j) + span), p2c = clamp(-rel(i - j) + span), both in [0, 2 span). M reaches one past
    every distance the clamps leave distinct, so the end rows hold for all longer ones (ops.relative_table's clip)."""
    s = span(c)
    m = max(c.max_position_embeddings, max_relative_positions(c) + 1, s + 1)
    rel = -np.arange(-(m - 1), m)  # i - j for d = j - i
    buckets = getattr(c, "position_buckets", -1)
    if buckets > 0:
        rel = log_bucket(rel, buckets, max_relative_positions(c))
    return np.clip(rel + s, 0, 2 * s - 1), np.clip(-rel + s, 0, 2 * s - 1)


def embeddings(ops, w: Weights, c: DebertaV2Config, mask):
    """Word (+ position when position_biased_input) (+ token type) embeddings, E wide, projected to H by
    `embed_proj` when E != H, LayerNorm, then zero at padded tokens -> (B, T, H)."""
    ids, e, h = ops.input("input_ids"), embedding_size(c), c.hidden_size
    x = ops.embed(w.get("embeddings.word_embeddings.weight", (c.vocab_size, e)), ids)  # (B, T, E)
    if c.position_biased_input:
        table = w.get("embeddings.position_embeddings.weight", (c.max_position_embeddings, e))
        x = ops.add(x, ops.position_embed(table, ids))
    if c.type_vocab_size > 0:
        types = w.get("embeddings.token_type_embeddings.weight", (c.type_vocab_size, e))
        x = ops.add(x, ops.embed(types, ops.input("token_type_ids")))
    if e != h:
        x = ops.linear(x, w.get("embeddings.embed_proj.weight", (h, e)), None)  # (B, T, H)
    return ops.zero_masked(layer_norm(ops, w, x, "embeddings.LayerNorm", h, c.layer_norm_eps), mask)


def relative_embeddings(ops, w: Weights, c: DebertaV2Config):
    """encoder.rel_embeddings (R, H), LayerNorm-ed when norm_rel_ebd names layer_norm (DebertaV2Encoder.get_rel_embedding)."""
    h = c.hidden_size
    rel = ops.const(w.get("encoder.rel_embeddings.weight", (2 * span(c), h)))
    norms = [x.strip() for x in getattr(c, "norm_rel_ebd", "none").lower().split("|")]
    return layer_norm(ops, w, rel, "encoder.LayerNorm", h, c.layer_norm_eps) if "layer_norm" in norms else rel


def attention(ops, w: Weights, c: DebertaV2Config, p: str, x, bias, rel, indices):
    """DisentangledSelfAttention: content scores plus c2p / p2c position scores, all over the same scale."""
    h, heads = c.hidden_size, c.num_attention_heads
    d, types = h // heads, position_types(c)
    # scale_factor counts pos_att_type's terms even when relative_attention is off (DisentangledSelfAttention)
    scale = 1 / np.sqrt(d * (1 + len({"c2p", "p2c"} & set(c.pos_att_type or []))))
    q, k, v = (linear(ops, w, x, f"{p}.{m}_proj", h, h) for m in ("query", "key", "value"))  # (B, T, H) each
    share = getattr(c, "share_att_key", False)
    if "c2p" in types:
        pos_key = linear(ops, w, rel, f"{p}.key_proj" if share else f"{p}.pos_key_proj", h, h)  # (R, H)
        bias = ops.add(bias, ops.relative_scores(q, pos_key, indices[0], heads, d, scale))  # (B, N, T, T)
    if "p2c" in types:
        pos_query = linear(ops, w, rel, f"{p}.query_proj" if share else f"{p}.pos_query_proj", h, h)  # (R, H)
        p2c = ops.relative_scores(k, pos_query, indices[1], heads, d, scale)  # (B, N, T_key, T_query)
        bias = ops.add(bias, ops.transpose(p2c, (0, 1, 3, 2)))  # (B, N, T, T)
    return ops.attention_with_bias(q, k, v, bias, heads, d, scale=scale, every_query_sees_a_key=False)  # (B, T, H)


def layer(ops, w: Weights, c: DebertaV2Config, i: int, x, bias, rel, indices, attend=None):
    p = f"encoder.layer.{i}"
    return finish_layer(ops, w, c, p, (attend or attention)(ops, w, c, f"{p}.attention.self", x, bias, rel, indices), x)


def encoder(ops, w: Weights, c: DebertaV2Config, attend=None):
    """input_ids, token_type_ids, attention_mask -> last hidden state (B, T, H). `attend`: the
    self-attention function (DeBERTa-v1 passes its own; default `attention`)."""
    ids, mask = ops.input("input_ids"), ops.input("attention_mask")
    x = embeddings(ops, w, c, mask)
    bias = ops.mask_bias(mask, pairwise=True)  # (B, 1, T, T): padded queries see nothing either
    rel, indices = None, None
    if c.relative_attention:
        rel = relative_embeddings(ops, w, c)  # (R, H)
        indices = tuple(ops.relative_table(table, ids, clip=True) for table in index_tables(c))  # (T, T) each
        # only the embeddings this input's offsets reach are projected in every layer: (R', H), R' <= 2T - 1
        rel, indices = ops.used_rows(rel, indices)
    ops.hidden(x)
    embedded = x
    for i in range(c.num_hidden_layers):
        x = layer(ops, w, c, i, x, bias, rel, indices, attend)
        if i == 0 and getattr(c, "conv_kernel_size", 0) > 0:
            x = convolution(ops, w, c, embedded, x, mask)
        ops.hidden(x)
    return x


def convolution(ops, w: Weights, c: DebertaV2Config, embedded, x, mask):
    """ConvLayer (deberta-v2-xlarge/xxlarge), after the first layer: a same-length convolution over the
    embeddings' output, zeroed at padding, conv_act, added to the first layer's output, LayerNorm, and
    zeroed at padding again -> (B, T, H)."""
    h, k, groups = c.hidden_size, c.conv_kernel_size, getattr(c, "conv_groups", 1)
    weight = w.get("encoder.conv.conv.weight", (h, h // groups, k))
    out = ops.conv1d(embedded, weight, w.get("encoder.conv.conv.bias", (h,)), groups)  # (B, T, H)
    out = ops.activation(ops.zero_masked(out, mask), getattr(c, "conv_act", "tanh"))
    return ops.zero_masked(layer_norm(ops, w, ops.add(x, out), "encoder.conv.LayerNorm", h, c.layer_norm_eps), mask)


def base(ops, w: Weights, c: DebertaV2Config, *, attend=None) -> None:
    ops.output("last_hidden_state", encoder(ops, w, c, attend))


def sequence_classification(ops, w: Weights, c: DebertaV2Config, *, attend=None) -> None:
    """ContextPooler (first token -> dense -> pooler_hidden_act), then the classifier."""
    p = c.pooler_hidden_size
    x = ops.first_token(encoder(ops, w, c, attend))  # (B, H)
    pooled = linear(ops, w, x, "pooler.dense", p, p, head=True, activation=c.pooler_hidden_act)  # (B, P)
    ops.output("logits", linear(ops, w, pooled, "classifier", c.num_labels, p, head=True))  # (B, L)


def multiple_choice(ops, w: Weights, c: DebertaV2Config, *, attend=None) -> None:
    """The sequence classifier scoring each (text, choice) row once -> (B * C, 1), as transformers'
    DebertaV2ForMultipleChoice."""
    sequence_classification(ops, w, OneLabel(c), attend=attend)


def token_classification(ops, w: Weights, c: DebertaV2Config, *, attend=None) -> None:
    x = encoder(ops, w, c, attend)  # (B, T, H)
    token_logits(ops, w, x, c.num_labels, c.hidden_size)


def question_answering(ops, w: Weights, c: DebertaV2Config, *, attend=None) -> None:
    span_logits(ops, w, encoder(ops, w, c, attend), c.hidden_size)


def masked_lm(ops, w: Weights, c: DebertaV2Config, *, attend=None) -> None:
    """legacy (the default): cls.predictions (dense H -> E + hidden_act + LayerNorm, decoder tied to the
    word embeddings); otherwise lm_predictions.lm_head (dense H -> H + hidden_act + LayerNorm, then the
    word embeddings' transpose + bias)."""
    h, e, v, eps = c.hidden_size, embedding_size(c), c.vocab_size, c.layer_norm_eps
    x = encoder(ops, w, c, attend)  # (B, T, H)
    if c.legacy:
        p = "cls.predictions"
        x = linear(ops, w, x, f"{p}.transform.dense", e, h, head=True, activation=c.hidden_act)  # (B, T, E)
        x = ops.layer_norm(x, w.get(f"{p}.transform.LayerNorm.weight", (e,), head=True),
                           w.get(f"{p}.transform.LayerNorm.bias", (e,), head=True), eps)
        ops.output("logits", tied_decoder(ops, w, x, f"{p}.decoder", (f"{p}.bias", f"{p}.decoder.bias"), v, e))  # (B, T, V)
        return
    p = "lm_predictions.lm_head"
    x = linear(ops, w, x, f"{p}.dense", h, h, head=True, activation=c.hidden_act)  # (B, T, H)
    x = ops.layer_norm(x, w.get(f"{p}.LayerNorm.weight", (h,), head=True), w.get(f"{p}.LayerNorm.bias", (h,), head=True), eps)
    table = w.get("embeddings.word_embeddings.weight", (v, e))  # (V, E); E == H here (matmul with the embeddings)
    ops.output("logits", ops.linear(x, table, w.get(f"{p}.bias", (v,), head=True)))  # (B, T, V)
