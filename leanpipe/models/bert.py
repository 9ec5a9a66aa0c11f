"""BERT, written once against the ops of leanpipe.engine (NumPy or ONNX).

Tensor names are the checkpoint's own (modeling_bert): `encoder.layer.{i}.attention.self.query`.
Shapes: B batch, T tokens, H hidden, I intermediate, V vocabulary, L labels.
"""

from __future__ import annotations

from ..config import BertConfig
from ..weights import Weights
from .heads import OneLabel, span_logits, token_logits

PREFIX = "bert"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def linear(ops, w: Weights, x, name: str, out: int, inp: int, *, head: bool = False, activation: str | None = None):
    weight, bias = w.get(f"{name}.weight", (out, inp), head=head), w.get(f"{name}.bias", (out,), head=head)
    return ops.linear(x, weight, bias, activation)


def dense_add_norm(ops, w: Weights, x, residual, dense: str, norm: str, out: int, inp: int, eps: float):
    """LayerNorm(dense(x) + residual), the output of every post-LN block (dropout is identity here)."""
    return ops.dense_add_norm(
        x, w.get(f"{dense}.weight", (out, inp)), w.get(f"{dense}.bias", (out,)), residual,
        w.get(f"{norm}.weight", (out,)), w.get(f"{norm}.bias", (out,)), eps,
    )


def layer_norm(ops, w: Weights, x, name: str, width: int, eps: float):
    return ops.layer_norm(x, w.get(f"{name}.weight", (width,)), w.get(f"{name}.bias", (width,)), eps)


def embeddings(ops, w: Weights, c: BertConfig):
    return layer_norm(ops, w, embedding_sum(ops, w, c), "embeddings.LayerNorm", c.hidden_size, c.layer_norm_eps)


def embedding_sum(ops, w: Weights, c: BertConfig):
    """Word + token-type + position embeddings, before their LayerNorm -> (B, T, H)."""
    ids, h = ops.input("input_ids"), c.hidden_size
    x = ops.embed(w.get("embeddings.word_embeddings.weight", (c.vocab_size, h)), ids)  # (B, T, H)
    types = w.get("embeddings.token_type_embeddings.weight", (c.type_vocab_size, h))
    x = ops.add(x, ops.embed(types, ops.input("token_type_ids")))
    return ops.add(x, ops.position_embed(w.get("embeddings.position_embeddings.weight", (c.max_position_embeddings, h)), ids))


def layer(ops, w: Weights, c: BertConfig, i: int, x, mask, first_only: bool = False):
    """One post-LN layer -> (B, T, H); `first_only`: just the first token's row (B, 1, H), which is all
    a head reading [CLS] needs from the last layer (keys and values still see every token)."""
    p, h = f"encoder.layer.{i}", c.hidden_size
    qkv = [
        (w.get(f"{p}.attention.self.{m}.weight", (h, h)), w.get(f"{p}.attention.self.{m}.bias", (h,)))
        for m in ("query", "key", "value")
    ]
    a = ops.self_attention(x, qkv, mask, c.num_attention_heads, h // c.num_attention_heads, first_only=first_only)
    return finish_layer(ops, w, c, p, a, ops.first_rows(x) if first_only else x)  # (B, T or 1, H)


def finish_layer(ops, w: Weights, c, p: str, a, x):
    """The rest of a post-LN layer `p` after its self-attention output a: LayerNorm(Wo a + x), then
    LayerNorm(FFN(that) + that) -> (B, T, H) (BERT's names; DeBERTa and Longformer share them)."""
    h, n, eps = c.hidden_size, c.intermediate_size, c.layer_norm_eps
    x = dense_add_norm(ops, w, a, x, f"{p}.attention.output.dense", f"{p}.attention.output.LayerNorm", h, h, eps)
    f = linear(ops, w, x, f"{p}.intermediate.dense", n, h, activation=c.hidden_act)  # (B, T, I)
    return dense_add_norm(ops, w, f, x, f"{p}.output.dense", f"{p}.output.LayerNorm", h, n, eps)


def encoder(ops, w: Weights, c: BertConfig, first_only: bool = False, embed=None, one_layer=None):
    """input_ids, token_type_ids, attention_mask -> last hidden state (B, T, H); `first_only`: (B, 1, H),
    the [CLS] row alone, for heads that read nothing else (the last layer skips the other rows).
    `embed`: the embeddings function (ERNIE passes its own; default `embeddings`); `one_layer`: see `layers`."""
    return layers(ops, w, c, (embed or embeddings)(ops, w, c), first_only, one_layer)


def layers(ops, w: Weights, c, x, first_only: bool = False, one_layer=None, masked: bool = True):
    """BERT's layer stack over embedded inputs x (B, T, H) -> (B, T, H), or (B, 1, H) with
    `first_only` (the last layer computes the first row alone); RoBERTa and ELECTRA share it.
    `one_layer`: a family's own layer, called as `layer` is (BigBird's attention; default `layer`);
    `masked=False`: layers that read no attention mask get None (FNet's Fourier mixing)."""
    mask = ops.input("attention_mask") if masked else None
    first_only = first_only and not ops.keeps_every_row  # hidden_states / attentions hold every row of every layer
    ops.hidden(x)
    for i in range(c.num_hidden_layers):
        x = (one_layer or layer)(ops, w, c, i, x, mask, first_only and i == c.num_hidden_layers - 1)
        ops.hidden(x)
    return x


def pooler(ops, w: Weights, c: BertConfig, x):
    """tanh(dense(hidden state of [CLS])) -> (B, H)."""
    h = c.hidden_size
    return linear(ops, w, ops.first_token(x), "pooler.dense", h, h, activation="tanh")


def base(ops, w: Weights, c: BertConfig, *, embed=None, encode=encoder) -> None:
    """`embed` / `encode`: another family's embeddings or whole encoder under BERT's pooler and heads
    (ERNIE's embeddings, SqueezeBERT's layers); `encode` takes `encoder`'s arguments."""
    x = encode(ops, w, c, embed=embed)
    ops.output("last_hidden_state", x)
    if w.has("pooler.dense.weight"):  # BertModel(add_pooling_layer=False) checkpoints have none
        ops.output("pooler_output", pooler(ops, w, c, x))


def sequence_classification(ops, w: Weights, c: BertConfig, *, embed=None, encode=encoder) -> None:
    pooled = pooler(ops, w, c, encode(ops, w, c, first_only=True, embed=embed))  # dropout is identity at inference
    ops.output("logits", linear(ops, w, pooled, "classifier", c.num_labels, c.hidden_size, head=True))  # (B, L)


def multiple_choice(ops, w: Weights, c: BertConfig, *, embed=None, encode=encoder) -> None:
    """BertForMultipleChoice: pooler, then `classifier` (1, H) per (text, choice) row -> (B * C, 1)."""
    sequence_classification(ops, w, OneLabel(c), embed=embed, encode=encode)


def next_sentence_prediction(ops, w: Weights, c: BertConfig, *, embed=None, encode=encoder) -> None:
    """BertOnlyNSPHead: the pooler, then `cls.seq_relationship` (2, H) -> (B, 2)."""
    pooled = pooler(ops, w, c, encode(ops, w, c, first_only=True, embed=embed))
    ops.output("logits", linear(ops, w, pooled, "cls.seq_relationship", 2, c.hidden_size, head=True))


def token_classification(ops, w: Weights, c: BertConfig, *, embed=None, encode=encoder) -> None:
    x = encode(ops, w, c, embed=embed)  # (B, T, H)
    token_logits(ops, w, x, c.num_labels, c.hidden_size)


def question_answering(ops, w: Weights, c: BertConfig, *, embed=None, encode=encoder) -> None:
    span_logits(ops, w, encode(ops, w, c, embed=embed), c.hidden_size)


def masked_lm(ops, w: Weights, c: BertConfig, *, embed=None, encode=encoder) -> None:
    ops.output("logits", lm_logits(ops, w, c, encode(ops, w, c, embed=embed)))  # (B, T, V)


def pre_training(ops, w: Weights, c: BertConfig, *, embed=None, encode=encoder) -> None:
    """BertForPreTraining: the MLM logits (B, T, V) and the next-sentence logits (B, 2) of one pass."""
    x = encode(ops, w, c, embed=embed)  # (B, T, H)
    ops.output("prediction_logits", lm_logits(ops, w, c, x))
    ops.output("seq_relationship_logits", linear(ops, w, pooler(ops, w, c, x), "cls.seq_relationship", 2, c.hidden_size,
                                                 head=True))


def lm_logits(ops, w: Weights, c: BertConfig, x):
    """BertLMPredictionHead over x (B, T, H): dense + act + LayerNorm, then the decoder tied to the word
    embeddings -> (B, T, V)."""
    h, p = c.hidden_size, "cls.predictions"
    x = linear(ops, w, x, f"{p}.transform.dense", h, h, head=True, activation=c.hidden_act)
    x = ops.layer_norm(x, w.get(f"{p}.transform.LayerNorm.weight", (h,), head=True),
                       w.get(f"{p}.transform.LayerNorm.bias", (h,), head=True), c.layer_norm_eps)
    decoder = f"{p}.decoder.weight" if w.has(f"{p}.decoder.weight", head=True) else None
    table = w.get(decoder, (c.vocab_size, h), head=True) if decoder else w.get("embeddings.word_embeddings.weight")
    bias_name = f"{p}.bias" if w.has(f"{p}.bias", head=True) else f"{p}.decoder.bias"
    return ops.linear(x, table, w.get(bias_name, (c.vocab_size,), head=True))  # (B, T, V)
