"""ELECTRA (the discriminator and generator encoders) against the ops of leanpipe.engine.

BERT's layers over embeddings `embedding_size` (E) wide, projected to `hidden_size` (H) by
`embeddings_project` when E != H (modeling_electra). No pooler. The sequence classifier is
RoBERTa's head with GELU; the masked LM is the generator's `generator_predictions` (H -> E,
GELU, LayerNorm) and `generator_lm_head`, tied to the word embeddings.
Shapes: B batch, T tokens, H hidden, E embedding width, V vocabulary, L labels. The heads take
`encode` (default `encoder`): ConvBERT runs them over its own layers.
"""

from __future__ import annotations

from ..config import ElectraConfig
from ..errors import ConfigError
from ..weights import Weights
from .heads import choice_logits, span_logits, token_logits
from .bert import layer_norm, layers, linear
from .roberta import classification_head, tied_decoder

PREFIX = "electra"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def embeddings(ops, w: Weights, c):
    """Word + token type + position embeddings, `embedding_size` wide, then LayerNorm -> (B, T, E).

    ALBERT's embeddings are the same (modeling_albert AlbertEmbeddings).
    """
    ids, e = ops.input("input_ids"), c.embedding_size
    x = ops.embed(w.get("embeddings.word_embeddings.weight", (c.vocab_size, e)), ids)  # (B, T, E)
    types = w.get("embeddings.token_type_embeddings.weight", (c.type_vocab_size, e))
    x = ops.add(x, ops.embed(types, ops.input("token_type_ids")))
    x = ops.add(x, ops.position_embed(w.get("embeddings.position_embeddings.weight", (c.max_position_embeddings, e)), ids))
    return layer_norm(ops, w, x, "embeddings.LayerNorm", e, c.layer_norm_eps)


def encoder(ops, w: Weights, c: ElectraConfig, first_only: bool = False):
    """input_ids, token_type_ids, attention_mask -> last hidden state (B, T, H) (`first_only`: (B, 1, H), as bert.encoder)."""
    x = embeddings(ops, w, c)
    if c.embedding_size != c.hidden_size:  # ElectraModel creates embeddings_project only then
        x = linear(ops, w, x, "embeddings_project", c.hidden_size, c.embedding_size)  # (B, T, H)
    return layers(ops, w, c, x, first_only)


def base(ops, w: Weights, c: ElectraConfig, *, encode=encoder) -> None:
    ops.output("last_hidden_state", encode(ops, w, c))


def sequence_classification(ops, w: Weights, c: ElectraConfig, *, encode=encoder) -> None:
    x = encode(ops, w, c, first_only=True)  # (B, 1, H): the head reads the first token only
    # "although BERT uses tanh here, it seems Electra authors used gelu here" (modeling_electra)
    ops.output("logits", classification_head(ops, w, x, c.hidden_size, c.num_labels, "gelu"))  # (B, L)


def multiple_choice(ops, w: Weights, c: ElectraConfig, *, encode=encoder) -> None:
    """ElectraForMultipleChoice: the sequence summary (the first token, `sequence_summary.summary` (H, H)
    when summary_use_proj, then summary_activation), then `classifier` (1, H) per (text, choice) row."""
    summary_type = getattr(c, "summary_type", "first")
    if summary_type != "first":
        raise ConfigError(f"ELECTRA's multiple-choice summary_type {summary_type!r}: leanpipe runs \"first\" (the "
                          f"default, and what ELECTRA checkpoints use)")
    x = ops.first_token(encode(ops, w, c, first_only=True))  # (B * C, H)
    activation = getattr(c, "summary_activation", None) or None
    if getattr(c, "summary_use_proj", True):
        x = linear(ops, w, x, "sequence_summary.summary", c.hidden_size, c.hidden_size, head=True, activation=activation)
    elif activation:
        x = ops.activation(x, activation)
    choice_logits(ops, w, x, c.hidden_size)


def token_classification(ops, w: Weights, c: ElectraConfig, *, encode=encoder) -> None:
    x = encode(ops, w, c)  # (B, T, H)
    token_logits(ops, w, x, c.num_labels, c.hidden_size)


def question_answering(ops, w: Weights, c: ElectraConfig, *, encode=encoder) -> None:
    span_logits(ops, w, encode(ops, w, c), c.hidden_size)


def pre_training(ops, w: Weights, c: ElectraConfig, *, encode=encoder) -> None:
    """ElectraForPreTraining, the discriminator (google/electra-*-discriminator): per token, how likely the
    generator replaced it: dense + hidden_act, then `dense_prediction` (1, H) -> "logits" (B, T)."""
    h, p = c.hidden_size, "discriminator_predictions"
    x = linear(ops, w, encode(ops, w, c), f"{p}.dense", h, h, head=True, activation=c.hidden_act)
    (scores,) = ops.columns(linear(ops, w, x, f"{p}.dense_prediction", 1, h, head=True), 1)  # (B, T, 1) -> (B, T)
    ops.output("logits", scores)


def masked_lm(ops, w: Weights, c: ElectraConfig, *, encode=encoder) -> None:
    """ElectraGeneratorPredictions (dense H -> E, erf GELU whatever hidden_act says, LayerNorm) + generator_lm_head."""
    h, e, p = c.hidden_size, c.embedding_size, "generator_predictions"
    x = linear(ops, w, encode(ops, w, c), f"{p}.dense", e, h, head=True, activation="gelu")  # (B, T, E)
    x = ops.layer_norm(x, w.get(f"{p}.LayerNorm.weight", (e,), head=True),
                       w.get(f"{p}.LayerNorm.bias", (e,), head=True), c.layer_norm_eps)
    ops.output("logits", tied_decoder(ops, w, x, "generator_lm_head", ("generator_lm_head.bias",), c.vocab_size, e))
