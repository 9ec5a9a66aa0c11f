"""T5 (T5EncoderModel, T5ForTokenClassification, T5ForSequenceClassification, T5ForQuestionAnswering)
against the ops of leanpipe.engine; tensor names as in modeling_t5. mT5 and UMT5 reuse it (mt5.py, umt5.py).

What sentence-transformers loads for T5 checkpoints (sentence-transformers/gtr-t5-base,
sentence-t5-base: T5EncoderModel, then mean pooling, a Dense module and Normalize). Pre-norm layers
with T5LayerNorm (RMS: no mean taken out, no bias): x + Wo(attention(norm(x))), then x + FFN(norm(x)),
and a `final_layer_norm`. No absolute positions: every layer adds one shared bias to its scores,
looked up by the bucket of the key's offset from the query (the first block's
`relative_attention_bias`; MPNet's buckets, with the config's count and max distance). The scores
are not scaled by 1/sqrt(d_kv) (T5 folds that into its weights' initialisation). The FFN is
`wo(relu(wi(x)))`, or gated as in T5 v1.1 / flan-t5: `wo(gelu_new(wi_0(x)) * wi_1(x))`.

T5ForSequenceClassification and T5ForQuestionAnswering run the whole encoder-decoder in one pass,
as transformers does without decoder inputs: the decoder reads the ids shifted right
(decoder_start_token_id first), with causal self-attention plus its own position bias (one-directional
buckets) and unbiased cross-attention to the encoder's output; the classifier reads the decoder's row
at each text's last </s>. No generation.

transformers' AutoModel gives the encoder-decoder T5Model for model_type t5, which needs
decoder_input_ids; leanpipe's base model for t5 is T5EncoderModel (the encoder's last_hidden_state),
also when a T5Model / T5ForConditionalGeneration checkpoint is loaded (its decoder and lm_head are
left unread).
Shapes: B batch, T tokens, H d_model, A num_heads x d_kv, F d_ff, N heads, L labels.
"""

from __future__ import annotations

import numpy as np

from ..config import T5Config
from ..errors import ConfigError, InputError
from ..weights import Weights
from .heads import require_eos, span_logits, token_logits
from .mpnet import distance_bucket, relative_bucket

PREFIX = "transformer"  # T5ForTokenClassification's / ForSequenceClassification's; the others' checkpoints have none
PROBE = "encoder.final_layer_norm.weight"
WORD_EMBEDDINGS = ("shared.weight", "encoder.embed_tokens.weight")  # get_input_embeddings()
EMBEDDING_PADDING_IDX = False  # transformers' T5 table is an nn.Embedding without padding_idx
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
    return w.first(("shared.weight", "encoder.embed_tokens.weight"), (c.vocab_size, c.d_model))


def rms_norm(ops, w: Weights, x, name: str, c: T5Config):
    return ops.rms_norm(x, w.get(f"{name}.weight", (c.d_model,)), c.layer_norm_epsilon)


def attention(ops, w: Weights, c: T5Config, p: str, x, bias, keys_from=None):
    """T5Attention on the normed x: unscaled scores + `bias` (position bias and mask) -> Wo -> (B, T, H).
    Keys and values from `keys_from` (the decoder's EncDecAttention: the encoder's output), else from x."""
    inner, h = c.num_heads * c.d_kv, c.d_model
    memory = x if keys_from is None else keys_from
    q = ops.linear(x, w.get(f"{p}.q.weight", (inner, h)), None)  # (B, T, A)
    k, v = (ops.linear(memory, w.get(f"{p}.{m}.weight", (inner, h)), None) for m in "kv")
    ctx = ops.attention_with_bias(q, k, v, bias, c.num_heads, c.d_kv, scale=1.0, queries_match_keys=keys_from is None)  # (B, T, A)
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


def encoder(ops, w: Weights, c: T5Config, *, bias_per_layer: bool = False, alone: bool = True):
    """input_ids, attention_mask -> final-normed hidden state (B, T, H). The first block's position
    bias serves every layer; `bias_per_layer`: each block has its own table (UMT5). `alone`: no
    decoder reads it (an encoder-decoder checkpoint's decoder and lm_head are left unread)."""
    if alone:
        w.skip("decoder.")
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


# --- the decoder: T5ForSequenceClassification and T5ForQuestionAnswering run the whole model -------

def causal_bucket(offset: np.ndarray, num_buckets: int, max_distance: int) -> np.ndarray:
    """Bucket of each key - query offset for the decoder (T5Attention._relative_position_bucket with
    bidirectional=False, in float32 as torch): keys after the query share bucket 0 (the causal mask
    hides them), earlier ones exact up to num_buckets / 2 back, then log-spaced up to max_distance.
    `causal_bucket(np.array([-1, 0, 3]), 32, 128)` -> [1, 0, 0]."""
    return distance_bucket(np.maximum(-offset, 0), num_buckets, max_distance)


def causal_bias_by_offset(w: Weights, c: T5Config, block: int = 0) -> np.ndarray:
    """The decoder's self-attention bias per head for offsets -D .. D, (2D + 1, N): the causal mask
    folded in (float32's minimum for keys after the query, so clipping far offsets keeps both right)."""
    d, heads = c.relative_attention_max_distance, c.num_heads
    table = w.get(f"decoder.block.{block}.layer.0.SelfAttention.relative_attention_bias.weight",
                  (c.relative_attention_num_buckets, heads))  # (buckets, N)
    offsets = np.arange(-d, d + 1)
    rows = table[causal_bucket(offsets, c.relative_attention_num_buckets, d)].astype(np.float32)  # (2D + 1, N)
    rows[offsets > 0] = np.finfo(np.float32).min
    return np.ascontiguousarray(rows)


def decoder_self_bias(ops, w: Weights, c: T5Config, block: int, ids):
    """(1, N, T, T): position bias + causal mask (no padding mask: transformers' decoder attends to
    every earlier position of the shifted ids)."""
    table = ops.relative_table(causal_bias_by_offset(w, c, block), ids, clip=True)  # (T, T, N)
    return ops.transpose(table, (2, 0, 1))  # (N, T, T), broadcast over the batch


def decoder_layer(ops, w: Weights, c: T5Config, i: int, y, memory, self_bias, cross_bias):
    p = f"decoder.block.{i}.layer"
    y = ops.add(y, attention(ops, w, c, f"{p}.0.SelfAttention", rms_norm(ops, w, y, f"{p}.0.layer_norm", c), self_bias))
    # EncDecAttention: no position bias (the decoder's table is its self-attention's only)
    y = ops.add(y, attention(ops, w, c, f"{p}.1.EncDecAttention", rms_norm(ops, w, y, f"{p}.1.layer_norm", c),
                             cross_bias, keys_from=memory))
    return ops.add(y, feed_forward(ops, w, c, f"{p}.2.DenseReluDense", rms_norm(ops, w, y, f"{p}.2.layer_norm", c)))


def encoder_decoder(ops, w: Weights, c: T5Config, *, bias_per_layer: bool = False):
    """The whole model on input_ids: the encoder, then the decoder over the ids shifted right
    (decoder_start_token_id first, T5's _shift_right) -> the decoder's final-normed state (B, T, H)."""
    if ops.records_hidden or ops.records_attentions:
        raise InputError("output_hidden_states / output_attentions are not supported for T5's encoder-decoder heads "
                         "(transformers splits them into encoder_, decoder_ and cross_ parts); leave them unset")
    if getattr(ops, "for_quantization", False):
        raise InputError("quantize='int8' is not offered for T5's encoder-decoder heads: on test checkpoints its "
                         "decoder's logits moved 5-7% from fp32's (the encoder heads stay within 3%); load it without quantize")
    start = getattr(c, "decoder_start_token_id", None)
    if start is None:
        raise ConfigError(f"{c.name_or_path or 'config'}/config.json has no decoder_start_token_id, which T5's decoder "
                          f"starts from (transformers refuses it too); T5 checkpoints set it to the pad id: add "
                          f'"decoder_start_token_id": {c.pad_token_id}')
    w.skip("lm_head.")
    # a table some checkpoints hold for the first cross-attention, which no T5 reads (transformers ignores it too)
    w.skip("decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.")
    ids, mask = ops.input("input_ids"), ops.input("attention_mask")
    memory = encoder(ops, w, c, bias_per_layer=bias_per_layer, alone=False)  # (B, T, H)
    cross_bias = ops.mask_bias(mask)  # (B, 1, 1, T): the encoder's real tokens
    shifted = ops.shift_right(ids, start)
    y = ops.embed(token_table(w, c), shifted)  # (B, T, H)
    self_bias = decoder_self_bias(ops, w, c, 0, shifted)
    for i in range(c.num_decoder_layers):
        if bias_per_layer and i > 0:
            self_bias = decoder_self_bias(ops, w, c, i, shifted)
        y = decoder_layer(ops, w, c, i, y, memory, self_bias, cross_bias)
    return rms_norm(ops, w, y, "decoder.final_layer_norm", c)


def check_feeds(head: str, feeds: dict[str, np.ndarray], c: T5Config) -> None:
    """The sequence classifier reads each text's last </s>: every text needs one."""
    if head == "sequence-classification":
        require_eos(feeds, c.eos_token_id, "T5")


def classifier_logits(ops, w: Weights, c: T5Config, decoded) -> None:
    """T5ClassificationHead on the decoder's row at each text's last </s>: dense, tanh, out_proj -> (B, L)."""
    h = c.d_model
    row = ops.first_token(ops.last_match(decoded, ops.input("input_ids"), c.eos_token_id))  # (B, H)
    row = ops.linear(row, w.get("classification_head.dense.weight", (h, h), head=True),
                     w.get("classification_head.dense.bias", (h,), head=True), activation="tanh")
    ops.output("logits", ops.linear(row, w.get("classification_head.out_proj.weight", (c.num_labels, h), head=True),
                                    w.get("classification_head.out_proj.bias", (c.num_labels,), head=True)))


def sequence_classification(ops, w: Weights, c: T5Config) -> None:
    classifier_logits(ops, w, c, encoder_decoder(ops, w, c))


def question_answering(ops, w: Weights, c: T5Config) -> None:
    """T5ForQuestionAnswering: `qa_outputs` over the decoder's rows -> start and end logits (B, T)
    (transformers sizes it by num_labels and splits two columns: a checkpoint with another count fails there too)."""
    span_logits(ops, w, encoder_decoder(ops, w, c), c.d_model)
