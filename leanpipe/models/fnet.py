"""FNet (model_type "fnet": google/fnet-base, google/fnet-large and fine-tunes) against the ops of
leanpipe.engine.

modeling_fnet is BERT with every self-attention replaced by the real part of a 2-D Fourier transform
over the tokens and hidden units (torch.fft.fftn(x, dim=(1, 2)).real), then LayerNorm over it plus
the input (`fourier.output.LayerNorm`); its embeddings end in a `projection` Linear after their
LayerNorm. BERT's pooler and heads (every task model builds the pooler; only the sequence
classifier, multiple choice, next-sentence prediction and pre-training read it).

There is no attention mask: the transform mixes every position, padding included, in transformers
too, so a padded row's answers depend on its padding. The pipelines batch such a model's texts only
with texts of their own length (each text gets its answer alone, as transformers' pipeline gives it),
and there are no attentions to return (output_attentions is refused).
"""

from __future__ import annotations

from ..config import FNetConfig
from ..errors import InputError
from ..weights import Weights
from . import bert
from .bert import INPUT_NAMES, layer_norm, linear  # noqa: F401  (BERT's inputs; the mask is never read)
from .variants import heads_of, pooler_unread

PREFIX = "fnet"
PADDING_LEAKS = True  # pipeline.padding_changes_outputs


def embeddings(ops, w: Weights, c: FNetConfig):
    """BERT's word + token-type + position sum and LayerNorm, then `embeddings.projection` -> (B, T, H)."""
    x = layer_norm(ops, w, bert.embedding_sum(ops, w, c), "embeddings.LayerNorm", c.hidden_size, c.layer_norm_eps)
    return linear(ops, w, x, "embeddings.projection", c.hidden_size, c.hidden_size)


def encoder(ops, w: Weights, c: FNetConfig, first_only: bool = False, embed=None):
    """input_ids, token_type_ids -> last hidden state (B, T, H), every row (each mixes all of them)."""
    if ops.records_attentions:
        raise InputError("output_attentions=True is not supported for FNet: it has no attention (a Fourier "
                         "transform mixes the tokens); leave it unset")
    return bert.layers(ops, w, c, embeddings(ops, w, c), one_layer=layer, masked=False)


def layer(ops, w: Weights, c: FNetConfig, i: int, x, _mask=None, first_only: bool = False):
    """LayerNorm(Fourier mix + x), then BERT's FFN block -> (B, T, H), every row (`first_only` is never asked)."""
    p, h, n, eps = f"encoder.layer.{i}", c.hidden_size, c.intermediate_size, c.layer_norm_eps
    x = layer_norm(ops, w, ops.add(ops.fourier_mix(x, h), x), f"{p}.fourier.output.LayerNorm", h, eps)
    f = linear(ops, w, x, f"{p}.intermediate.dense", n, h, activation=c.hidden_act)  # (B, T, I)
    return bert.dense_add_norm(ops, w, f, x, f"{p}.output.dense", f"{p}.output.LayerNorm", h, n, eps)


base, sequence_classification, multiple_choice, next_sentence_prediction, pre_training = heads_of(
    bert, encode=encoder, names=("base", "sequence_classification", "multiple_choice", "next_sentence_prediction", "pre_training"))
token_classification, question_answering, masked_lm = map(pooler_unread, heads_of(
    bert, encode=encoder, names=("token_classification", "question_answering", "masked_lm")))
