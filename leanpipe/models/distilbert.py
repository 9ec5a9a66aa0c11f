"""DistilBERT against the ops of leanpipe.engine; tensor names as in modeling_distilbert.

No token types and no pooler; the classifier reads [CLS] through `pre_classifier` + ReLU.
"""

from __future__ import annotations

from ..config import DistilBertConfig
from ..weights import Weights
from .heads import OneLabel, span_logits, token_logits
from .bert import dense_add_norm, layer_norm, linear

PREFIX = "distilbert"
INPUT_NAMES = ("input_ids", "attention_mask")
_EPS = 1e-12  # modeling_distilbert hard-codes LayerNorm eps


def embeddings(ops, w: Weights, c: DistilBertConfig):
    ids = ops.input("input_ids")
    x = ops.embed(w.get("embeddings.word_embeddings.weight", (c.vocab_size, c.dim)), ids)  # (B, T, H)
    x = ops.add(x, ops.position_embed(w.get("embeddings.position_embeddings.weight", (c.max_position_embeddings, c.dim)), ids))
    return layer_norm(ops, w, x, "embeddings.LayerNorm", c.dim, _EPS)


def layer(ops, w: Weights, c: DistilBertConfig, i: int, x, mask, first_only: bool = False):
    """One post-LN layer -> (B, T, H); `first_only`: the first row alone (B, 1, H), as bert.layer."""
    p, h, n = f"transformer.layer.{i}", c.dim, c.hidden_dim
    qkv = [(w.get(f"{p}.attention.{m}.weight", (h, h)), w.get(f"{p}.attention.{m}.bias", (h,))) for m in ("q_lin", "k_lin", "v_lin")]
    a = ops.self_attention(x, qkv, mask, c.n_heads, h // c.n_heads, first_only=first_only)  # (B, T or 1, H)
    x = ops.first_rows(x) if first_only else x
    x = dense_add_norm(ops, w, a, x, f"{p}.attention.out_lin", f"{p}.sa_layer_norm", h, h, _EPS)
    f = linear(ops, w, x, f"{p}.ffn.lin1", n, h, activation=c.activation)  # (B, T, I)
    return dense_add_norm(ops, w, f, x, f"{p}.ffn.lin2", f"{p}.output_layer_norm", h, n, _EPS)


def encoder(ops, w: Weights, c: DistilBertConfig, first_only: bool = False):
    """-> last hidden state (B, T, H); `first_only`: the [CLS] row alone (B, 1, H), as bert.encoder."""
    x, mask = embeddings(ops, w, c), ops.input("attention_mask")
    first_only = first_only and not ops.keeps_every_row  # hidden_states / attentions hold every row of every layer
    ops.hidden(x)
    for i in range(c.n_layers):
        x = layer(ops, w, c, i, x, mask, first_only and i == c.n_layers - 1)
        ops.hidden(x)
    return x


def base(ops, w: Weights, c: DistilBertConfig) -> None:
    ops.output("last_hidden_state", encoder(ops, w, c))


def sequence_classification(ops, w: Weights, c: DistilBertConfig) -> None:
    cls = ops.first_token(encoder(ops, w, c, first_only=True))  # (B, H)
    cls = linear(ops, w, cls, "pre_classifier", c.dim, c.dim, head=True, activation="relu")
    ops.output("logits", linear(ops, w, cls, "classifier", c.num_labels, c.dim, head=True))  # (B, L)


def multiple_choice(ops, w: Weights, c: DistilBertConfig) -> None:
    """The sequence classifier scoring each (text, choice) row once -> (B * C, 1), as transformers'
    DistilBertForMultipleChoice."""
    sequence_classification(ops, w, OneLabel(c))


def token_classification(ops, w: Weights, c: DistilBertConfig) -> None:
    x = encoder(ops, w, c)  # (B, T, H)
    token_logits(ops, w, x, c.num_labels, c.dim)


def question_answering(ops, w: Weights, c: DistilBertConfig) -> None:
    span_logits(ops, w, encoder(ops, w, c), c.dim)


def masked_lm(ops, w: Weights, c: DistilBertConfig) -> None:
    """vocab_transform + act + vocab_layer_norm, then vocab_projector tied to the word embeddings."""
    x = linear(ops, w, encoder(ops, w, c), "vocab_transform", c.dim, c.dim, head=True, activation=c.activation)
    x = ops.layer_norm(x, w.get("vocab_layer_norm.weight", (c.dim,), head=True),
                       w.get("vocab_layer_norm.bias", (c.dim,), head=True), _EPS)
    tied = "vocab_projector.weight"
    table = w.get(tied, (c.vocab_size, c.dim), head=True) if w.has(tied, head=True) else w.get("embeddings.word_embeddings.weight")
    ops.output("logits", ops.linear(x, table, w.get("vocab_projector.bias", (c.vocab_size,), head=True)))  # (B, T, V)
