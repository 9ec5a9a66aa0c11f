"""SqueezeBERT (model_type "squeezebert": squeezebert/squeezebert-uncased, -mnli, -mnli-headless) against the ops of leanpipe.engine.

modeling_squeezebert is BERT's post-LN layer with each linear layer but the heads' replaced by a 1x1
Conv1d over the tokens, grouped (`q_groups`, `k_groups`, `v_groups`, `post_attention_groups`,
`intermediate_groups`, `output_groups`): output channel o of a convolution with G groups reads only the
input channels of its group, o // (out / G). transformers runs the layers on (B, H, T); leanpipe keeps
(B, T, H), which gives the same numbers. Embeddings, pooler and heads are BERT's, under the checkpoint's
own names: `transformer.encoder.layers.0.attention.query.weight` (H, H / q_groups, 1).
Shapes: B batch, T tokens, H hidden, I intermediate.
"""

from __future__ import annotations

from ..config import SqueezeBertConfig
from ..errors import InputError
from ..weights import Weights
from . import bert
from .bert import INPUT_NAMES  # noqa: F401  (the family's inputs, as BERT's)
from .variants import heads_of, pooler_unread

PREFIX = "transformer"


def conv(ops, w: Weights, x, name: str, out: int, inp: int, groups: int, activation: str | None = None):
    """The 1x1 Conv1d `name` over x (B, T, inp) -> (B, T, out); one group is a plain linear layer."""
    return ops.grouped_linear(x, w.get(f"{name}.weight", (out, inp // groups, 1)), w.get(f"{name}.bias", (out,)), groups,
                              activation)


def layer(ops, w: Weights, c: SqueezeBertConfig, i: int, x, mask, first_only: bool = False):
    """One layer: grouped Q/K/V and attention, LayerNorm(conv(a) + x), then the grouped FFN -> (B, T, H)
    (every row; `first_only` is never asked, see encoder)."""
    p, h, n, eps = f"encoder.layers.{i}", c.hidden_size, c.intermediate_size, c.layer_norm_eps
    q, k, v = (conv(ops, w, x, f"{p}.attention.{m}", h, h, groups)
               for m, groups in (("query", c.q_groups), ("key", c.k_groups), ("value", c.v_groups)))
    a = ops.attention(q, k, v, mask, c.num_attention_heads, h // c.num_attention_heads)  # (B, T, H)
    a = conv(ops, w, a, f"{p}.post_attention.conv1d", h, h, c.post_attention_groups)
    x = bert.layer_norm(ops, w, ops.add(a, x), f"{p}.post_attention.layernorm", h, eps)
    f = conv(ops, w, x, f"{p}.intermediate.conv1d", n, h, c.intermediate_groups, activation=c.hidden_act)  # (B, T, I)
    f = conv(ops, w, f, f"{p}.output.conv1d", h, n, c.output_groups)
    return bert.layer_norm(ops, w, ops.add(f, x), f"{p}.output.layernorm", h, eps)


def encoder(ops, w: Weights, c: SqueezeBertConfig, first_only: bool = False, embed=None):
    """BERT's embeddings, then the SqueezeBERT layers -> (B, T, H) (every row: `first_only` is BERT's
    saving for [CLS]-reading heads, which these layers do not take)."""
    if ops.records_attentions:
        raise InputError("output_attentions=True is not supported for SqueezeBERT (transformers returns its "
                         "pre-softmax attention scores there, not probabilities); leave it unset")
    return bert.layers(ops, w, c, bert.embeddings(ops, w, c), one_layer=layer)


base, sequence_classification, _token_classification, _question_answering, _masked_lm = heads_of(bert, encode=encoder)
# SqueezeBertModel has no add_pooling_layer: the token-level heads' checkpoints hold a pooler they do not read
token_classification, question_answering, masked_lm = map(pooler_unread, (_token_classification, _question_answering, _masked_lm))
(multiple_choice,) = heads_of(bert, encode=encoder, names=("multiple_choice",))
