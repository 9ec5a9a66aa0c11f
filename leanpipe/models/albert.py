"""ALBERT against the ops of leanpipe.engine (modeling_albert).

Factorised embeddings: `embedding_size` (E) wide, mapped to `hidden_size` (H) by
`encoder.embedding_hidden_mapping_in`. Layers are shared: `num_hidden_groups` groups of
`inner_group_num` layers (`encoder.albert_layer_groups.{g}.albert_layers.{j}`), layer i of
`num_hidden_layers` running group int(i / (layers / groups)). The pooler is one Linear named `pooler`.
Shapes: B batch, T tokens, H hidden, I intermediate, E embedding width, V vocabulary, L labels.
"""

from __future__ import annotations

from ..config import AlbertConfig
from ..weights import Weights
from .heads import OneLabel, span_logits, token_logits
from .bert import dense_add_norm, linear
from .electra import embeddings
from .roberta import tied_decoder

PREFIX = "albert"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def albert_layer(ops, w: Weights, c: AlbertConfig, p: str, x, mask, first_only: bool = False):
    """Post-LN attention block then feed-forward block, with ALBERT's own names under `p`
    (`first_only`: the first row alone (B, 1, H), as bert.layer)."""
    h, n, eps = c.hidden_size, c.intermediate_size, c.layer_norm_eps
    qkv = [
        (w.get(f"{p}.attention.{m}.weight", (h, h)), w.get(f"{p}.attention.{m}.bias", (h,)))
        for m in ("query", "key", "value")
    ]
    a = ops.self_attention(x, qkv, mask, c.num_attention_heads, h // c.num_attention_heads, first_only=first_only)
    x = ops.first_rows(x) if first_only else x  # (B, T or 1, H)
    x = dense_add_norm(ops, w, a, x, f"{p}.attention.dense", f"{p}.attention.LayerNorm", h, h, eps)
    f = linear(ops, w, x, f"{p}.ffn", n, h, activation=c.hidden_act)  # (B, T, I); gelu_new by default
    return dense_add_norm(ops, w, f, x, f"{p}.ffn_output", f"{p}.full_layer_layer_norm", h, n, eps)


def group_of(c: AlbertConfig, i: int) -> int:
    """Which layer group runs at depth i: 12 layers, 1 group -> 0 always; 12 layers, 3 groups -> i // 4."""
    return int(i / (c.num_hidden_layers / c.num_hidden_groups))  # AlbertTransformer's own float arithmetic


def encoder(ops, w: Weights, c: AlbertConfig, first_only: bool = False):
    """input_ids, token_type_ids, attention_mask -> last hidden state (B, T, H) (`first_only`: (B, 1, H), as bert.encoder)."""
    mask = ops.input("attention_mask")
    x = linear(ops, w, embeddings(ops, w, c), "encoder.embedding_hidden_mapping_in", c.hidden_size, c.embedding_size)  # (B, T, H)
    first_only = first_only and not ops.keeps_every_row  # hidden_states / attentions hold every row of every layer
    ops.hidden(x)
    for i in range(c.num_hidden_layers):
        g = group_of(c, i)
        for j in range(c.inner_group_num):
            last = i == c.num_hidden_layers - 1 and j == c.inner_group_num - 1
            x = albert_layer(ops, w, c, f"encoder.albert_layer_groups.{g}.albert_layers.{j}", x, mask, first_only and last)
            ops.hidden(x)  # transformers records every AlbertLayer call: inner_group_num per depth
    return x


def pooler(ops, w: Weights, c: AlbertConfig, x):
    """tanh(pooler(hidden state of [CLS])) -> (B, H)."""
    h = c.hidden_size
    return linear(ops, w, ops.first_token(x), "pooler", h, h, activation="tanh")


def base(ops, w: Weights, c: AlbertConfig, *, encode=encoder) -> None:
    """`encode`: another family's encoder under ALBERT's one-Linear pooler (BigBird's)."""
    x = encode(ops, w, c)
    ops.output("last_hidden_state", x)
    if w.has("pooler.weight"):  # AlbertModel(add_pooling_layer=False) checkpoints have none
        ops.output("pooler_output", pooler(ops, w, c, x))


def sequence_classification(ops, w: Weights, c: AlbertConfig) -> None:
    pooled = pooler(ops, w, c, encoder(ops, w, c, first_only=True))  # (B, H); dropout is identity at inference
    ops.output("logits", linear(ops, w, pooled, "classifier", c.num_labels, c.hidden_size, head=True))  # (B, L)


def multiple_choice(ops, w: Weights, c: AlbertConfig) -> None:
    """The sequence classifier scoring each (text, choice) row once -> (B * C, 1), as transformers'
    AlbertForMultipleChoice."""
    sequence_classification(ops, w, OneLabel(c))


def token_classification(ops, w: Weights, c: AlbertConfig) -> None:
    x = encoder(ops, w, c)  # (B, T, H)
    token_logits(ops, w, x, c.num_labels, c.hidden_size)


def question_answering(ops, w: Weights, c: AlbertConfig) -> None:
    span_logits(ops, w, encoder(ops, w, c), c.hidden_size)


def masked_lm(ops, w: Weights, c: AlbertConfig) -> None:
    ops.output("logits", lm_logits(ops, w, c, encoder(ops, w, c)))  # (B, T, V)


def pre_training(ops, w: Weights, c: AlbertConfig) -> None:
    """AlbertForPreTraining: the MLM logits (B, T, V) and the sentence-order logits (B, L) of one pass."""
    x = encoder(ops, w, c)
    ops.output("prediction_logits", lm_logits(ops, w, c, x))
    ops.output("sop_logits", linear(ops, w, pooler(ops, w, c, x), "sop_classifier.classifier", c.num_labels, c.hidden_size,
                                    head=True))


def lm_logits(ops, w: Weights, c: AlbertConfig, x):
    """AlbertMLMHead over x (B, T, H): dense H -> E + hidden_act + LayerNorm, then the decoder tied to the
    word embeddings -> (B, T, V)."""
    h, e, p = c.hidden_size, c.embedding_size, "predictions"
    x = linear(ops, w, x, f"{p}.dense", e, h, head=True, activation=c.hidden_act)  # (B, T, E)
    x = ops.layer_norm(x, w.get(f"{p}.LayerNorm.weight", (e,), head=True),
                       w.get(f"{p}.LayerNorm.bias", (e,), head=True), c.layer_norm_eps)
    return tied_decoder(ops, w, x, f"{p}.decoder", (f"{p}.bias", f"{p}.decoder.bias"), c.vocab_size, e)
