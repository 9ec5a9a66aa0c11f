"""ConvBERT (model_type "convbert": YituTech/conv-bert-base / -medium-small / -small and fine-tunes)
against the ops of leanpipe.engine.

modeling_convbert is ELECTRA's embeddings (E wide, `embeddings_project` to H when E != H) and heads
(no pooler; RoBERTa's classifier head with hidden_act; the generator's masked LM) over layers whose
self-attention is two halves, each `all_head_size` = A wide (N = num_attention_heads // head_ratio
heads of D = H / N / 2): ordinary attention, and a span-based dynamic convolution in which each token
and head gets its own softmaxed kernel of `conv_kernel_size` (k) weights over the k tokens around it,
computed from the query times a separable convolution of the input (`key_conv_attn_layer`:
depthwise, then pointwise). The two halves are joined ([attention | convolution], (B, T, 2A) = H)
before the output dense (one product over the joined halves, the checkpoint's matrix as it is). With `num_groups` > 1
the FFN's two products are grouped (GroupedLinearLayer).

The convolutions read the padding around a text's last tokens as transformers' do, so a padded row's
real tokens depend on its padding: the pipelines batch such a model's texts only with texts of their
own length (pipeline.padding_changes_outputs), which gives transformers' answer for each text alone.
Multiple choice reads its sequence summary (ConvBertSequenceSummary) at the last position of each
padded row, as transformers does: ConvBertConfig sets no summary_type, and "last" is the default there.
"""

from __future__ import annotations

import numpy as np

from ..config import ConvBertConfig
from ..errors import ConfigError
from ..weights import Weights
from . import bert, electra
from .bert import INPUT_NAMES, layer_norm, linear  # noqa: F401  (the family's inputs, as BERT's)
from .heads import choice_logits
from .roberta import classification_head

PREFIX = "convbert"
PADDING_LEAKS = True  # pipeline.padding_changes_outputs: batch texts only with texts of their own length


def attention_shape(c: ConvBertConfig) -> tuple[int, int]:
    """(heads N, head width D) of each half, as ConvBertSelfAttention sizes them."""
    heads = c.num_attention_heads // c.head_ratio
    heads = max(heads, 1)  # fewer heads than head_ratio: one head
    return heads, (c.hidden_size // heads) // 2


def self_attention(ops, w: Weights, c: ConvBertConfig, p: str, x, mask):
    """ConvBertSelfAttention + ConvBertSelfOutput: -> LayerNorm(dense([attention | convolution]) + x), (B, T, H)."""
    h, k = c.hidden_size, c.conv_kernel_size
    heads, d = attention_shape(c)
    a = heads * d
    s = f"{p}.attention.self"
    q, key, value = (linear(ops, w, x, f"{s}.{m}", a, h) for m in ("query", "key", "value"))  # (B, T, A) each
    separable = f"{s}.key_conv_attn_layer"
    kc = ops.depthwise_conv(x, w.get(f"{separable}.depthwise.weight", (h, 1, k)).reshape(h, k))  # (B, T, H)
    kc = ops.linear(kc, w.get(f"{separable}.pointwise.weight", (a, h, 1)).reshape(a, h),
                    w.get(f"{separable}.bias", (a, 1)).reshape(a))  # (B, T, A)
    kernel_logits = linear(ops, w, ops.mul(kc, q), f"{s}.conv_kernel_layer", heads * k, a)  # (B, T, N * k)
    conv = ops.dynamic_conv(linear(ops, w, x, f"{s}.conv_out_layer", a, h), kernel_logits, heads, k)  # (B, T, A)
    context = ops.attention(q, key, value, mask, heads, d, queries_match_mask=True)  # (B, T, A)
    joined = ops.concat_last([context, conv])  # (B, T, 2A), as transformers joins the halves
    return bert.dense_add_norm(ops, w, joined, x, f"{p}.attention.output.dense", f"{p}.attention.output.LayerNorm",
                               h, 2 * a, c.layer_norm_eps)


def ffn_linear(ops, w: Weights, c: ConvBertConfig, x, name: str, out: int, inp: int, activation: str | None = None):
    """nn.Linear, or with num_groups > 1 GroupedLinearLayer (weight (G, in / G, out / G)), as the
    grouped 1x1 convolution ops.grouped_linear runs: output o of group g reads that group's inputs."""
    if c.num_groups == 1:
        return linear(ops, w, x, name, out, inp, activation=activation)
    g = c.num_groups
    grouped = w.get(f"{name}.weight", (g, inp // g, out // g))
    conv_layout = np.ascontiguousarray(grouped.transpose(0, 2, 1).reshape(out, inp // g))  # (out, in / G)
    return ops.grouped_linear(x, conv_layout, w.get(f"{name}.bias", (out,)), g, activation)


def layer(ops, w: Weights, c: ConvBertConfig, i: int, x, mask, first_only: bool = False):
    """One layer over every row (its convolutions need them all; `first_only` is never asked, see encoder)."""
    p, h, n, eps = f"encoder.layer.{i}", c.hidden_size, c.intermediate_size, c.layer_norm_eps
    x = self_attention(ops, w, c, p, x, mask)
    f = ffn_linear(ops, w, c, x, f"{p}.intermediate.dense", n, h, activation=c.hidden_act)  # (B, T, I)
    y = ffn_linear(ops, w, c, f, f"{p}.output.dense", h, n)
    return layer_norm(ops, w, ops.add(y, x), f"{p}.output.LayerNorm", h, eps)


def encoder(ops, w: Weights, c: ConvBertConfig, first_only: bool = False):
    """input_ids, token_type_ids, attention_mask -> last hidden state (B, T, H) (every row: the
    convolutions need every token's, so `first_only` changes nothing)."""
    x = electra.embeddings(ops, w, c)
    if c.embedding_size != c.hidden_size:  # ConvBertModel creates embeddings_project only then
        x = linear(ops, w, x, "embeddings_project", c.hidden_size, c.embedding_size)
    return bert.layers(ops, w, c, x, one_layer=layer)


def base(ops, w: Weights, c: ConvBertConfig) -> None:
    electra.base(ops, w, c, encode=encoder)


def sequence_classification(ops, w: Weights, c: ConvBertConfig) -> None:
    """ConvBertClassificationHead on the first token: dense, hidden_act, out_proj -> (B, L)."""
    ops.output("logits", classification_head(ops, w, encoder(ops, w, c), c.hidden_size, c.num_labels, c.hidden_act))


def token_classification(ops, w: Weights, c: ConvBertConfig) -> None:
    electra.token_classification(ops, w, c, encode=encoder)


def question_answering(ops, w: Weights, c: ConvBertConfig) -> None:
    electra.question_answering(ops, w, c, encode=encoder)


def masked_lm(ops, w: Weights, c: ConvBertConfig) -> None:
    """ConvBertGeneratorPredictions (dense H -> E, GELU, LayerNorm) and generator_lm_head, as ELECTRA's."""
    electra.masked_lm(ops, w, c, encode=encoder)


SUMMARIES = {"last": "last_token", "cls_index": "last_token", "first": "first_token"}  # cls_index: none given -> the last


def multiple_choice(ops, w: Weights, c: ConvBertConfig) -> None:
    """ConvBertForMultipleChoice: the sequence summary (config summary_type, "last" by default: each (text,
    choice) row's last position, padding or not; `sequence_summary.summary` (H, H or num_labels) when
    summary_use_proj, then summary_activation), then `classifier` (1, H) -> (B * C, 1)."""
    kind = getattr(c, "summary_type", "last")
    if kind not in SUMMARIES:
        raise ConfigError(f"ConvBERT's multiple-choice summary_type {kind!r}: leanpipe runs {sorted(SUMMARIES)} "
                          f"(\"last\" is transformers' default)")
    x = getattr(ops, SUMMARIES[kind])(encoder(ops, w, c))  # (B * C, H)
    h, activation = c.hidden_size, getattr(c, "summary_activation", None) or None
    if getattr(c, "summary_use_proj", False):
        out = c.num_labels if getattr(c, "summary_proj_to_labels", False) and c.num_labels > 0 else h
        x = linear(ops, w, x, "sequence_summary.summary", out, h, head=True, activation=activation)
    elif activation:
        x = ops.activation(x, activation)
    choice_logits(ops, w, x, h)
