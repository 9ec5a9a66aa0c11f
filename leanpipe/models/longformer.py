"""Longformer (model_type "longformer": allenai/longformer-base-4096, ...) against the ops of leanpipe.engine.

RoBERTa's embeddings and post-LN layers with Longformer's self-attention (modeling_longformer):
a token attends to the keys at most attention_window / 2 positions away, and to every token with
global attention; a token with global attention attends to every token through its own projections
(query_global, key_global, value_global). Padding queries get a zero attention output, as there.

transformers computes the window band chunk by chunk over inputs padded to a multiple of the window;
leanpipe's ONNX engine cuts the queries into blocks of at least the half-window, each against its
own keys and its neighbours' (engine ops `sliding_attention`), with no padding for short texts; the
NumPy engine computes the same scores as one masked (T, T) attention.

Global attention comes from the `global_attention_mask` input, or as transformers sets it when it is
not given: the <s> token for sequence classification, the question's tokens (those before the first
</s>) for question answering, none for the other heads.
Tensor names are the checkpoint's own: `longformer.encoder.layer.0.attention.self.query_global.weight`.
"""

from __future__ import annotations

import numpy as np

from ..config import LongformerConfig
from ..errors import InputError
from ..weights import Weights
from .heads import choice_logits, span_logits, token_logits
from .bert import finish_layer, linear, pooler
from .roberta import classification_head, embeddings, max_positions, tied_decoder  # noqa: F401  (max_positions: RoBERTa's)

PREFIX = "longformer"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids", "global_attention_mask")


def default_global_attention_mask(head: str, ids: np.ndarray, c: LongformerConfig) -> np.ndarray:
    """transformers' global attention when the caller gives none: (B, T) int64."""
    glob = np.zeros_like(ids)
    if head == "sequence-classification":
        glob[:, 0] = 1
    elif head == "question-answering":
        sep = ids == c.sep_token_id  # (B, T)
        has_sep = sep.any(axis=1)
        if not has_sep.all():
            raise InputError(f"question answering with Longformer puts global attention on the question, the tokens "
                             f"before the first </s> (id {c.sep_token_id}); row {int(np.argmin(has_sep))} has none. "
                             f"Tokenize (question, context) pairs, or pass global_attention_mask")
        first_sep = sep.argmax(axis=1)  # (B,)
        glob = (np.arange(ids.shape[1])[None, :] < first_sep[:, None]).astype(np.int64)
    elif head == "multiple-choice":  # each (text, choice) row: the choice, every token after the pair's </s></s>
        sep = ids == c.sep_token_id
        counts = sep.sum(axis=1)
        if (counts != 3).any():
            row = int(np.flatnonzero(counts != 3)[0])
            raise InputError(f"multiple choice with Longformer puts global attention on each choice, the tokens after "
                             f"the pair's </s></s>, and needs exactly three </s> (id {c.sep_token_id}) per (text, choice) "
                             f"row, as transformers asserts; row {row} has {int(counts[row])}. Tokenize (text, choice) "
                             f"pairs, or pass global_attention_mask")
        first_sep = sep.argmax(axis=1)  # (B * C,); padding after the choice is global too, and stays masked
        glob = (np.arange(ids.shape[1])[None, :] > first_sep[:, None] + 1).astype(np.int64)
    return glob


def attention(ops, w: Weights, c: LongformerConfig, p: str, x, mask, glob, window: int):
    """LongformerSelfAttention: windowed attention (half-width `window`) plus global attention -> (B, T, H)."""
    h, heads = c.hidden_size, c.num_attention_heads
    q, k, v = (linear(ops, w, x, f"{p}.{m}", h, h) for m in ("query", "key", "value"))
    gk, gv = (linear(ops, w, x, f"{p}.{m}_global", h, h) for m in ("key", "value"))
    query_global = (w.get(f"{p}.query_global.weight", (h, h)), w.get(f"{p}.query_global.bias", (h,)))  # for global rows only
    return ops.sliding_attention(q, k, v, x, query_global, gk, gv, mask, glob, window, heads, h // heads)


def first_row_attention(ops, w: Weights, c: LongformerConfig, p: str, x, mask, glob, window: int):
    """`attention`'s output for the first row alone (B, 1, H), what a last layer computes for a
    classifier reading <s>: through the global projections over every real key where that row is
    global (the default for sequence classification), else through q, k, v over the real keys at
    most `window` away and the global ones; zeros where it is padding."""
    h, heads = c.hidden_size, c.num_attention_heads
    first = ops.first_rows(x)  # (B, 1, H)
    k, v, gk, gv = (linear(ops, w, x, f"{p}.{m}", h, h) for m in ("key", "value", "key_global", "value_global"))
    local = ops.attention(linear(ops, w, first, f"{p}.query", h, h), k, v, ops.first_query_keys(mask, glob, window), heads, h // heads)
    everywhere = ops.attention(linear(ops, w, first, f"{p}.query_global", h, h), gk, gv, mask, heads, h // heads)
    return ops.zero_masked(ops.select_rows(ops.first_rows(glob), everywhere, local), ops.first_rows(mask))


def encoder(ops, w: Weights, c: LongformerConfig, first_only: bool = False):
    """input_ids, token_type_ids, attention_mask, global_attention_mask -> last hidden state (B, T, H);
    `first_only`: the <s> row alone (B, 1, H), its last layer computing only that row (a random-weight
    longformer-base classifier on 4 x 2,048 tokens: 10.1-10.4 -> 9.7 s a call, the same logits)."""
    if ops.records_attentions:
        raise InputError("output_attentions=True is not supported for Longformer (transformers returns its "
                         "sliding-window layout, (B, N, T, window + 1), and global attentions apart); leave it unset")
    mask, glob = ops.input("attention_mask"), ops.input("global_attention_mask")
    first_only = first_only and not ops.keeps_every_row  # hidden_states hold every row of every layer
    x = embeddings(ops, w, c)
    ops.hidden(x)
    windows = c.windows()
    for i, window in enumerate(windows):
        p = f"encoder.layer.{i}"
        if first_only and i == len(windows) - 1:
            a = first_row_attention(ops, w, c, f"{p}.attention.self", x, mask, glob, window // 2)
            x = finish_layer(ops, w, c, p, a, ops.first_rows(x))
        else:
            x = finish_layer(ops, w, c, p, attention(ops, w, c, f"{p}.attention.self", x, mask, glob, window // 2), x)
        ops.hidden(x)
    return x


def base(ops, w: Weights, c: LongformerConfig) -> None:
    x = encoder(ops, w, c)
    ops.output("last_hidden_state", x)
    if w.has("pooler.dense.weight"):
        ops.output("pooler_output", pooler(ops, w, c, x))


def sequence_classification(ops, w: Weights, c: LongformerConfig) -> None:
    """LongformerClassificationHead on <s>: dense + tanh -> out_proj, as RoBERTa's (B, L)."""
    ops.output("logits", classification_head(ops, w, encoder(ops, w, c, first_only=True), c.hidden_size, c.num_labels, "tanh"))


def multiple_choice(ops, w: Weights, c: LongformerConfig) -> None:
    """LongformerForMultipleChoice: the pooler, then `classifier` (1, H) per (text, choice) row -> (B * C, 1)."""
    choice_logits(ops, w, pooler(ops, w, c, encoder(ops, w, c)), c.hidden_size)


def token_classification(ops, w: Weights, c: LongformerConfig) -> None:
    token_logits(ops, w, encoder(ops, w, c), c.num_labels, c.hidden_size)


def question_answering(ops, w: Weights, c: LongformerConfig) -> None:
    span_logits(ops, w, encoder(ops, w, c), c.hidden_size)


def masked_lm(ops, w: Weights, c: LongformerConfig) -> None:
    """LongformerLMHead: dense + erf GELU + layer_norm, then the decoder tied to the word embeddings + lm_head.bias."""
    h = c.hidden_size
    x = linear(ops, w, encoder(ops, w, c), "lm_head.dense", h, h, head=True, activation="gelu")
    x = ops.layer_norm(x, w.get("lm_head.layer_norm.weight", (h,), head=True),
                       w.get("lm_head.layer_norm.bias", (h,), head=True), c.layer_norm_eps)
    ops.output("logits", tied_decoder(ops, w, x, "lm_head.decoder", ("lm_head.bias", "lm_head.decoder.bias"), c.vocab_size, h))
