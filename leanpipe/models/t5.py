"""T5's encoder (T5EncoderModel, T5ForTokenClassification) against the ops of leanpipe.engine;
tensor names as in modeling_t5.

What sentence-transformers loads for T5 checkpoints (sentence-transformers/gtr-t5-base,
sentence-t5-base: T5EncoderModel, then mean pooling, a Dense module and Normalize). Pre-norm layers
with T5LayerNorm (RMS: no mean taken out, no bias): x + Wo(attention(norm(x))), then x + FFN(norm(x)),
and a `final_layer_norm`. No absolute positions: every layer adds one shared bias to its scores,
looked up by the bucket of the key's offset from the query (the first block's
`relative_attention_bias`; MPNet's buckets, with the config's count and max distance). The scores
are not scaled by 1/sqrt(d_kv) (T5 folds that into its weights' initialisation). The FFN is
`wo(relu(wi(x)))`, or gated as in T5 v1.1 / flan-t5: `wo(gelu_new(wi_0(x)) * wi_1(x))`.

transformers' AutoModel gives the encoder-decoder T5Model for model_type t5, which needs
decoder_input_ids; leanpipe runs no decoder, so its base model for t5 is T5EncoderModel (the
encoder's last_hidden_state), also when a T5Model / T5ForConditionalGeneration checkpoint is loaded
(its decoder and lm_head are left unread).
Shapes: B batch, T tokens, H d_model, A num_heads x d_kv, F d_ff, N heads, L labels.
"""

from __future__ import annotations

import numpy as np

from ..config import T5Config
from ..weights import Weights
from .heads import token_logits
from .mpnet import relative_bucket

PREFIX = "transformer"  # T5ForTokenClassification's; T5EncoderModel's checkpoints have none
PROBE = "encoder.final_layer_norm.weight"
INPUT_NAMES = ("input_ids", "attention_mask")
CLASS_NAMES = {"base": "T5EncoderModel"}
UNBOUNDED = 1 << 40  # relative positions only: no length limit of the model's own


def max_positions(c: T5Config) -> int:
    """T5 has no position table: any length runs (its tokenizer's model_max_length, 512, still truncates)."""
    return UNBOUNDED


def bias_by_offset(w: Weights, c: T5Config, block: int = 0) -> np.ndarray:
    """Bias per head for offsets -D .. D (D = relative_attention_max_distance; further ones fall in the
    end buckets): (2D + 1, N), row D + (j - i) (T5Attention.compute_bias, bidirectional), from `block`'s table."""
    d, heads = c.relative_attention_max_distance, c.num_heads
    table = w.get(f"encoder.block.{block}.layer.0.SelfAttention.relative_attention_bias.weight",
                  (c.relative_attention_num_buckets, heads))  # (buckets, N)
    buckets = relative_bucket(np.arange(-d, d + 1), c.relative_attention_num_buckets, d)
    return np.ascontiguousarray(table[buckets])  # (2D + 1, N)


def token_table(w: Weights, c: T5Config) -> np.ndarray:
    """`shared.weight`, or the encoder's copy of it where a checkpoint stores only that."""
    names = [n for n in ("shared.weight", "encoder.embed_tokens.weight") if w.has(n)]
    tables = [w.get(n, (c.vocab_size, c.d_model)) for n in names]  # reading both marks both as used
    return tables[0] if tables else w.get("shared.weight", (c.vocab_size, c.d_model))  # the error names shared.weight


def rms_norm(ops, w: Weights, x, name: str, c: T5Config):
    return ops.rms_norm(x, w.get(f"{name}.weight", (c.d_model,)), c.layer_norm_epsilon)


def attention(ops, w: Weights, c: T5Config, p: str, x, bias):
    """T5Attention on the normed x: unscaled scores + the position bias (+ mask) -> Wo -> (B, T, H)."""
    inner, h = c.num_heads * c.d_kv, c.d_model
    q, k, v = (ops.linear(x, w.get(f"{p}.{m}.weight", (inner, h)), None) for m in "qkv")  # (B, T, A) each
    ctx = ops.attention_with_bias(q, k, v, bias, c.num_heads, c.d_kv, scale=1.0)  # (B, T, A)
    return ops.linear(ctx, w.get(f"{p}.o.weight", (h, inner)), None)  # (B, T, H)


def feed_forward(ops, w: Weights, c: T5Config, p: str, x):
    """T5DenseActDense or T5DenseGatedActDense on the normed x -> (B, T, H)."""
    h, f, act = c.d_model, c.d_ff, c.dense_act_fn
    if c.is_gated_act:
        gate = ops.linear(x, w.get(f"{p}.wi_0.weight", (f, h)), None, activation=act)  # (B, T, F)
        y = ops.mul(gate, ops.linear(x, w.get(f"{p}.wi_1.weight", (f, h)), None))
    else:
        y = ops.linear(x, w.get(f"{p}.wi.weight", (f, h)), None, activation=act)  # (B, T, F)
    return ops.down_projection(y, w.get(f"{p}.wo.weight", (h, f)), None)  # (B, T, H)


def layer(ops, w: Weights, c: T5Config, i: int, x, bias):
    p = f"encoder.block.{i}.layer"
    x = ops.add(x, attention(ops, w, c, f"{p}.0.SelfAttention", rms_norm(ops, w, x, f"{p}.0.layer_norm", c), bias))
    return ops.add(x, feed_forward(ops, w, c, f"{p}.1.DenseReluDense", rms_norm(ops, w, x, f"{p}.1.layer_norm", c)))


def scores_bias(ops, w: Weights, c: T5Config, block: int, ids, mask):
    """The position bias of `block`'s table plus the padding mask: (B, N, T, T)."""
    table = ops.relative_table(bias_by_offset(w, c, block), ids, clip=True)  # (T, T, N)
    return ops.add(ops.transpose(table, (2, 0, 1)), ops.mask_bias(mask))


def encoder(ops, w: Weights, c: T5Config, *, bias_per_layer: bool = False):
    """input_ids, attention_mask -> final-normed hidden state (B, T, H). The first block's position
    bias serves every layer; `bias_per_layer`: each block has its own table (UMT5)."""
    w.skip("decoder.")  # an encoder-decoder checkpoint's other parts (T5Model, T5ForConditionalGeneration)
    w.skip("lm_head.")
    ids, mask = ops.input("input_ids"), ops.input("attention_mask")
    x = ops.embed(token_table(w, c), ids)  # (B, T, H), not scaled
    bias = scores_bias(ops, w, c, 0, ids, mask)  # (B, N, T, T)
    for i in range(c.num_layers):
        ops.hidden(x)  # each layer's input; the last of hidden_states is the final-normed output, as transformers'
        if bias_per_layer and i > 0:
            bias = scores_bias(ops, w, c, i, ids, mask)
        x = layer(ops, w, c, i, x, bias)
    x = rms_norm(ops, w, x, "encoder.final_layer_norm", c)
    ops.hidden(x)
    return x


def base(ops, w: Weights, c: T5Config) -> None:
    ops.output("last_hidden_state", encoder(ops, w, c))


def token_classification(ops, w: Weights, c: T5Config) -> None:
    """T5ForTokenClassification: the encoder, then `classifier` per token -> (B, T, L)."""
    token_logits(ops, w, encoder(ops, w, c), c.num_labels, c.d_model)
