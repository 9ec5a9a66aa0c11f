"""MobileBERT (model_type "mobilebert": google/mobilebert-uncased and its fine-tunes) against the ops of leanpipe.engine.

modeling_mobilebert: word embeddings of width E, each beside its neighbours' (trigram_input) and
projected to H, plus positions and token types, then a norm. Each layer narrows the H stream to the
inner width I (bottleneck.input; queries and keys from a second, shared bottleneck, values from the
H stream), runs attention and `num_feedforward_networks` FFNs at width I, each post-norm, and widens
back to H (output.bottleneck) with a residual from the layer's input. A norm is NoNorm (x * w + b)
or LayerNorm per `normalization_type`; the embeddings' and output.LayerNorm use torch's default eps.
The masked-LM decoder is [word embeddings (V, E) | cls.predictions.dense (H - E, V)^T] over H.
Tensor names are the checkpoint's own: `mobilebert.encoder.layer.0.bottleneck.attention.dense.weight`.
Shapes: B batch, T tokens, H hidden, I inner (intra_bottleneck_size), E embedding, V vocabulary, L labels.
"""

from __future__ import annotations

import numpy as np

from ..config import MobileBertConfig
from ..weights import Weights
from .heads import OneLabel, span_logits, token_logits
from .bert import linear

PREFIX = "mobilebert"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
TORCH_LAYER_NORM_EPS = 1e-5  # nn.LayerNorm's default, where MobileBERT passes no eps


def norm(ops, w: Weights, c: MobileBertConfig, x, name: str, width: int, eps: float | None = None, *, head: bool = False):
    """NoNorm (x * weight + bias) or LayerNorm, as `normalization_type` says."""
    gamma, beta = w.get(f"{name}.weight", (width,), head=head), w.get(f"{name}.bias", (width,), head=head)
    if c.normalization_type == "no_norm":
        return ops.add(ops.mul(x, ops.const(gamma)), ops.const(beta))
    return ops.layer_norm(x, gamma, beta, c.layer_norm_eps if eps is None else eps)


def dense_add_norm(ops, w: Weights, c: MobileBertConfig, x, residual, p: str, out: int, inp: int, eps: float | None = None):
    """norm(dense(x) + residual): every post-norm block of a layer (residual None: a bottleneck's
    projection). Under NoNorm the dense bias joins the norm's: (x W^T + r) * g + (b * g + beta), one
    Add fewer per block (a mobilebert-uncased-sized classifier: 702 -> 510 Adds per call)."""
    if c.normalization_type != "no_norm":
        y = linear(ops, w, x, f"{p}.dense", out, inp)
        return norm(ops, w, c, y if residual is None else ops.add(y, residual), f"{p}.LayerNorm", out, eps)
    y = ops.linear(x, w.get(f"{p}.dense.weight", (out, inp)), None)
    y = y if residual is None else ops.add(y, residual)
    gamma, beta, bias = (w.get(f"{p}.{name}", (out,)) for name in ("LayerNorm.weight", "LayerNorm.bias", "dense.bias"))
    return ops.add(ops.mul(y, ops.const(gamma)), ops.const(bias * gamma + beta))


def embeddings(ops, w: Weights, c: MobileBertConfig):
    ids, h, e = ops.input("input_ids"), c.hidden_size, c.embedding_size
    x = ops.embed(w.get("embeddings.word_embeddings.weight", (c.vocab_size, e)), ids)  # (B, T, E)
    if c.trigram_input:
        x = ops.trigram(x)  # (B, T, 3E)
    if c.trigram_input or e != h:
        x = linear(ops, w, x, "embeddings.embedding_transformation", h, 3 * e if c.trigram_input else e)
    x = ops.add(x, ops.position_embed(w.get("embeddings.position_embeddings.weight", (c.max_position_embeddings, h)), ids))
    x = ops.add(x, ops.embed(w.get("embeddings.token_type_embeddings.weight", (c.type_vocab_size, h)), ops.input("token_type_ids")))
    return norm(ops, w, c, x, "embeddings.LayerNorm", h, TORCH_LAYER_NORM_EPS)


def layer(ops, w: Weights, c: MobileBertConfig, i: int, x, mask):
    p, h, inner, n = f"encoder.layer.{i}", c.hidden_size, c.inner_size, c.intermediate_size
    if c.use_bottleneck:
        layer_input = dense_add_norm_free(ops, w, c, x, f"{p}.bottleneck.input", inner, h)
        if c.use_bottleneck_attention:
            q = k = v = layer_input
            w.skip(f"{p}.bottleneck.attention.")  # built by transformers when also key_query_shared, never used
        elif c.key_query_shared_bottleneck:
            q = k = dense_add_norm_free(ops, w, c, x, f"{p}.bottleneck.attention", inner, h)
            v = x
        else:
            q = k = v = x
    else:
        q = k = v = layer_input = x
    v_width = inner if c.use_bottleneck_attention else h  # queries and keys come in at the inner width
    a = ops.attention(linear(ops, w, q, f"{p}.attention.self.query", inner, inner),
                      linear(ops, w, k, f"{p}.attention.self.key", inner, inner),
                      linear(ops, w, v, f"{p}.attention.self.value", inner, v_width),
                      mask, c.num_attention_heads, inner // c.num_attention_heads, queries_match_mask=True)  # (B, T, I)
    a = dense_add_norm(ops, w, c, a, layer_input, f"{p}.attention.output", inner, inner)
    for j in range(c.num_feedforward_networks - 1):
        f = linear(ops, w, a, f"{p}.ffn.{j}.intermediate.dense", n, inner, activation=c.hidden_act)
        a = dense_add_norm(ops, w, c, f, a, f"{p}.ffn.{j}.output", inner, n)
    f = linear(ops, w, a, f"{p}.intermediate.dense", n, inner, activation=c.hidden_act)
    out = dense_add_norm(ops, w, c, f, a, f"{p}.output", inner, n, TORCH_LAYER_NORM_EPS)
    if c.use_bottleneck:
        out = dense_add_norm(ops, w, c, out, x, f"{p}.output.bottleneck", h, inner)
    return out


def dense_add_norm_free(ops, w: Weights, c: MobileBertConfig, x, p: str, out: int, inp: int):
    """norm(dense(x)), a bottleneck's projection (no residual)."""
    return dense_add_norm(ops, w, c, x, None, p, out, inp)


def encoder(ops, w: Weights, c: MobileBertConfig):
    mask = ops.input("attention_mask")
    x = embeddings(ops, w, c)
    ops.hidden(x)
    for i in range(c.num_hidden_layers):
        x = layer(ops, w, c, i, x, mask)
        ops.hidden(x)
    return x


def pooler(ops, w: Weights, c: MobileBertConfig, x):
    """The first token, through dense + tanh when `classifier_activation` -> (B, H)."""
    first = ops.first_token(x)
    if not c.classifier_activation:
        return first
    return linear(ops, w, first, "pooler.dense", c.hidden_size, c.hidden_size, activation="tanh")


def base(ops, w: Weights, c: MobileBertConfig) -> None:
    x = encoder(ops, w, c)
    ops.output("last_hidden_state", x)
    if w.has("pooler.dense.weight") or not c.classifier_activation:
        ops.output("pooler_output", pooler(ops, w, c, x))


def next_sentence_prediction(ops, w: Weights, c: MobileBertConfig) -> None:
    """MobileBertOnlyNSPHead: the pooled first token, then `cls.seq_relationship` (2, H) -> (B, 2)."""
    pooled = pooler(ops, w, c, encoder(ops, w, c))
    ops.output("logits", linear(ops, w, pooled, "cls.seq_relationship", 2, c.hidden_size, head=True))


def sequence_classification(ops, w: Weights, c: MobileBertConfig) -> None:
    pooled = pooler(ops, w, c, encoder(ops, w, c))
    ops.output("logits", linear(ops, w, pooled, "classifier", c.num_labels, c.hidden_size, head=True))  # (B, L)


def multiple_choice(ops, w: Weights, c: MobileBertConfig) -> None:
    """The sequence classifier scoring each (text, choice) row once -> (B * C, 1), as transformers'
    MobileBertForMultipleChoice."""
    sequence_classification(ops, w, OneLabel(c))


def token_classification(ops, w: Weights, c: MobileBertConfig) -> None:
    token_logits(ops, w, encoder(ops, w, c), c.num_labels, c.hidden_size)


def question_answering(ops, w: Weights, c: MobileBertConfig) -> None:
    span_logits(ops, w, encoder(ops, w, c), c.hidden_size)


def masked_lm(ops, w: Weights, c: MobileBertConfig) -> None:
    ops.output("logits", lm_logits(ops, w, c, encoder(ops, w, c)))  # (B, T, V)


def pre_training(ops, w: Weights, c: MobileBertConfig) -> None:
    """MobileBertForPreTraining: the MLM logits (B, T, V) and the next-sentence logits (B, 2) of one pass."""
    x = encoder(ops, w, c)
    ops.output("prediction_logits", lm_logits(ops, w, c, x))
    ops.output("seq_relationship_logits", linear(ops, w, pooler(ops, w, c, x), "cls.seq_relationship", 2, c.hidden_size,
                                                 head=True))


def lm_logits(ops, w: Weights, c: MobileBertConfig, x):
    """MobileBertLMPredictionHead over x (B, T, H): dense + act + LayerNorm (always LayerNorm), then
    logits over [decoder (tied to the word embeddings) | dense^T] + the decoder's bias -> (B, T, V)."""
    h, e, v, p = c.hidden_size, c.embedding_size, c.vocab_size, "cls.predictions"
    x = linear(ops, w, x, f"{p}.transform.dense", h, h, head=True, activation=c.hidden_act)
    x = ops.layer_norm(x, w.get(f"{p}.transform.LayerNorm.weight", (h,), head=True),
                       w.get(f"{p}.transform.LayerNorm.bias", (h,), head=True), c.layer_norm_eps)
    decoder = w.get(f"{p}.decoder.weight", (v, e), head=True) if w.has(f"{p}.decoder.weight", head=True) \
        else w.get("embeddings.word_embeddings.weight", (v, e))
    table = np.concatenate([decoder, w.get(f"{p}.dense.weight", (h - e, v), head=True).T], axis=1)  # (V, H)
    bias = w.get(f"{p}.decoder.bias" if w.has(f"{p}.decoder.bias", head=True) else f"{p}.bias", (v,), head=True)
    return ops.linear(x, table, bias)  # (B, T, V)
