"""MPNet against the ops of leanpipe.engine (modeling_mpnet).

BERT's post-LN layers without token types, with two differences: positions are RoBERTa's (counted
over non-pad tokens from `padding_idx` 1 + 1), and every layer adds one shared relative position bias
to its attention scores: T5-style buckets of the key's offset from the query, looked up in
`encoder.relative_attention_bias` (32 buckets, 128 max distance). Heads: RoBERTa's classifier
(`classifier.dense` + tanh + `classifier.out_proj`) and an `lm_head` with dense + GELU + layer_norm.
Tensor names are the checkpoint's own: `mpnet.encoder.layer.0.attention.attn.q.weight`.
Shapes: B batch, T tokens, H hidden, I intermediate, N heads, V vocabulary, L labels.
"""

from __future__ import annotations

import math

import numpy as np

from ..config import MPNetConfig
from ..weights import Weights
from .heads import choice_logits, span_logits, token_logits
from .bert import dense_add_norm, layer_norm, linear, pooler
from .roberta import classification_head, tied_decoder

PREFIX = "mpnet"
INPUT_NAMES = ("input_ids", "attention_mask")
PADDING_IDX = 1  # MPNetEmbeddings hard-codes it, whatever pad_token_id says
NUM_BUCKETS, MAX_DISTANCE = 32, 128  # compute_position_bias's defaults, used whatever the config says


def max_positions(c: MPNetConfig) -> int:
    """Longest input: positions run 2 .. T+1 (514 positions -> 512 tokens for mpnet-base)."""
    return c.max_position_embeddings - PADDING_IDX - 1


def distance_bucket(n: np.ndarray, buckets: int, max_distance: int) -> np.ndarray:
    """Bucket of each distance n >= 0 among `buckets`: exact below buckets / 2, then log-spaced up to
    `max_distance` (the last bucket beyond), in float32 as torch computes it (T5's and MPNet's
    relative_position_bucket). `distance_bucket(np.array([0, 7, 8, 200]), 16, 128)` -> [0, 7, 8, 15]."""
    exact = buckets // 2
    ratio = np.maximum(n, 1).astype(np.float32) / np.float32(exact)
    scaled = np.log(ratio) / np.float32(math.log(max_distance / exact)) * np.float32(buckets - exact)
    far = np.minimum(exact + scaled.astype(np.int64), buckets - 1)  # truncation, as torch's .to(long)
    return np.where(n < exact, n, far)


def relative_bucket(offset: np.ndarray, num_buckets: int = NUM_BUCKETS, max_distance: int = MAX_DISTANCE) -> np.ndarray:
    """Bucket of each key - query offset (MPNetEncoder.relative_position_bucket, bidirectional):
    keys before the query use buckets 0..15, after it 16..31; exact up to 8 apart, then log-spaced
    up to `max_distance`. `relative_bucket(np.array([-1, 0, 1, 200]))` -> [1, 0, 17, 31]."""
    half = num_buckets // 2
    return np.where(offset > 0, half, 0) + distance_bucket(np.abs(offset), half, max_distance)


def bias_by_offset(w: Weights, c: MPNetConfig) -> np.ndarray:
    """Bias per head for every offset a model input can have: (2M - 1, 1, N), row M - 1 + (j - i)."""
    heads, m = c.num_attention_heads, max_positions(c)
    table = w.get("encoder.relative_attention_bias.weight", (c.relative_attention_num_buckets, heads))  # (buckets, N)
    return np.ascontiguousarray(table[relative_bucket(np.arange(-(m - 1), m))][:, None])  # (2M - 1, 1, N)


def embeddings(ops, w: Weights, c: MPNetConfig):
    ids, h = ops.input("input_ids"), c.hidden_size
    x = ops.embed(w.get("embeddings.word_embeddings.weight", (c.vocab_size, h)), ids)  # (B, T, H)
    positions = ops.position_ids_from_mask(ids, PADDING_IDX)  # (B, T): 2, 3, ...; pads stay 1
    x = ops.add(x, ops.embed(w.get("embeddings.position_embeddings.weight", (c.max_position_embeddings, h)), positions))
    return layer_norm(ops, w, x, "embeddings.LayerNorm", h, c.layer_norm_eps)


def layer(ops, w: Weights, c: MPNetConfig, i: int, x, mask, bias):
    p, h, n = f"encoder.layer.{i}", c.hidden_size, c.intermediate_size
    qkv = [(w.get(f"{p}.attention.attn.{m}.weight", (h, h)), w.get(f"{p}.attention.attn.{m}.bias", (h,))) for m in "qkv"]
    a = ops.self_attention_with_bias(x, qkv, mask, bias, c.num_attention_heads, h // c.num_attention_heads)  # (B, T, H)
    x = dense_add_norm(ops, w, a, x, f"{p}.attention.attn.o", f"{p}.attention.LayerNorm", h, h, c.layer_norm_eps)
    f = linear(ops, w, x, f"{p}.intermediate.dense", n, h, activation=c.hidden_act)  # (B, T, I)
    return dense_add_norm(ops, w, f, x, f"{p}.output.dense", f"{p}.output.LayerNorm", h, n, c.layer_norm_eps)


def encoder(ops, w: Weights, c: MPNetConfig):
    """input_ids, attention_mask -> last hidden state (B, T, H)."""
    x, mask = embeddings(ops, w, c), ops.input("attention_mask")
    table = ops.relative_table(bias_by_offset(w, c), ops.input("input_ids"))  # (T, T, 1, N)
    bias = ops.transpose(table, (2, 3, 0, 1))  # (1, N, T, T): computed once, added in every layer
    ops.hidden(x)
    for i in range(c.num_hidden_layers):
        x = layer(ops, w, c, i, x, mask, bias)
        ops.hidden(x)
    return x


def base(ops, w: Weights, c: MPNetConfig) -> None:
    x = encoder(ops, w, c)
    ops.output("last_hidden_state", x)
    if w.has("pooler.dense.weight"):  # MPNetModel(add_pooling_layer=False) and task checkpoints have none
        ops.output("pooler_output", pooler(ops, w, c, x))


def sequence_classification(ops, w: Weights, c: MPNetConfig) -> None:
    x = encoder(ops, w, c)  # (B, T, H); MPNetClassificationHead is RoBERTa's
    ops.output("logits", classification_head(ops, w, x, c.hidden_size, c.num_labels, "tanh"))  # (B, L)


def multiple_choice(ops, w: Weights, c: MPNetConfig) -> None:
    """MPNetForMultipleChoice: the pooler (not the sequence classifier's head), then `classifier` (1, H)
    per (text, choice) row -> (B * C, 1)."""
    choice_logits(ops, w, pooler(ops, w, c, encoder(ops, w, c)), c.hidden_size)


def token_classification(ops, w: Weights, c: MPNetConfig) -> None:
    x = encoder(ops, w, c)  # (B, T, H)
    token_logits(ops, w, x, c.num_labels, c.hidden_size)


def question_answering(ops, w: Weights, c: MPNetConfig) -> None:
    span_logits(ops, w, encoder(ops, w, c), c.hidden_size)


def masked_lm(ops, w: Weights, c: MPNetConfig) -> None:
    """MPNetLMHead: dense + erf GELU + layer_norm, then the decoder tied to the word embeddings."""
    h = c.hidden_size
    x = linear(ops, w, encoder(ops, w, c), "lm_head.dense", h, h, head=True, activation="gelu")  # (B, T, H)
    x = ops.layer_norm(x, w.get("lm_head.layer_norm.weight", (h,), head=True),
                       w.get("lm_head.layer_norm.bias", (h,), head=True), c.layer_norm_eps)
    ops.output("logits", tied_decoder(ops, w, x, "lm_head.decoder", ("lm_head.bias", "lm_head.decoder.bias"), c.vocab_size, h))
