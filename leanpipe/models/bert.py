"""BERT, written once against the ops of leanpipe.engine (NumPy or ONNX).

Tensor names are the checkpoint's own (modeling_bert): `encoder.layer.{i}.attention.self.query`.
Shapes: B batch, T tokens, H hidden, I intermediate, V vocabulary, L labels.
"""

from __future__ import annotations

from ..config import BertConfig
from ..weights import Weights

PREFIX = "bert"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def linear(ops, w: Weights, x, name: str, out: int, inp: int, *, head: bool = False):
    return ops.linear(x, w.get(f"{name}.weight", (out, inp), head=head), w.get(f"{name}.bias", (out,), head=head))


def layer_norm(ops, w: Weights, x, name: str, width: int, eps: float):
    return ops.layer_norm(x, w.get(f"{name}.weight", (width,)), w.get(f"{name}.bias", (width,)), eps)


def embeddings(ops, w: Weights, c: BertConfig):
    ids, h = ops.input("input_ids"), c.hidden_size
    x = ops.embed(w.get("embeddings.word_embeddings.weight", (c.vocab_size, h)), ids)  # (B, T, H)
    types = w.get("embeddings.token_type_embeddings.weight", (c.type_vocab_size, h))
    x = ops.add(x, ops.embed(types, ops.input("token_type_ids")))
    x = ops.add(x, ops.position_embed(w.get("embeddings.position_embeddings.weight", (c.max_position_embeddings, h)), ids))
    return layer_norm(ops, w, x, "embeddings.LayerNorm", h, c.layer_norm_eps)


def layer(ops, w: Weights, c: BertConfig, i: int, x, mask):
    p, h, n = f"encoder.layer.{i}", c.hidden_size, c.intermediate_size
    qkv = [
        (w.get(f"{p}.attention.self.{m}.weight", (h, h)), w.get(f"{p}.attention.self.{m}.bias", (h,)))
        for m in ("query", "key", "value")
    ]
    q, k, v = ops.linears(x, qkv)  # (B, T, H) each
    a = ops.attention(q, k, v, mask, c.num_attention_heads, h // c.num_attention_heads)  # (B, T, H)
    a = linear(ops, w, a, f"{p}.attention.output.dense", h, h)
    x = layer_norm(ops, w, ops.add(a, x), f"{p}.attention.output.LayerNorm", h, c.layer_norm_eps)
    f = ops.activation(linear(ops, w, x, f"{p}.intermediate.dense", n, h), c.hidden_act)  # (B, T, I)
    f = linear(ops, w, f, f"{p}.output.dense", h, n)  # (B, T, H)
    return layer_norm(ops, w, ops.add(f, x), f"{p}.output.LayerNorm", h, c.layer_norm_eps)


def encoder(ops, w: Weights, c: BertConfig):
    """input_ids, token_type_ids, attention_mask -> last hidden state (B, T, H)."""
    x, mask = embeddings(ops, w, c), ops.input("attention_mask")
    for i in range(c.num_hidden_layers):
        x = layer(ops, w, c, i, x, mask)
    return x


def pooler(ops, w: Weights, c: BertConfig, x):
    """tanh(dense(hidden state of [CLS])) -> (B, H)."""
    h = c.hidden_size
    return ops.activation(linear(ops, w, ops.first_token(x), "pooler.dense", h, h), "tanh")


def base(ops, w: Weights, c: BertConfig) -> None:
    x = encoder(ops, w, c)
    ops.output("last_hidden_state", x)
    if w.has("pooler.dense.weight"):  # BertModel(add_pooling_layer=False) checkpoints have none
        ops.output("pooler_output", pooler(ops, w, c, x))


def sequence_classification(ops, w: Weights, c: BertConfig) -> None:
    pooled = pooler(ops, w, c, encoder(ops, w, c))  # dropout is identity at inference
    ops.output("logits", linear(ops, w, pooled, "classifier", c.num_labels, c.hidden_size, head=True))  # (B, L)
