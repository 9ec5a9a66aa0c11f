"""RemBERT (model_type "rembert": google/rembert and its fine-tunes) against the ops of leanpipe.engine.

modeling_rembert is BERT with decoupled embeddings: word, token-type and position tables
`input_embedding_size` wide (256) under a LayerNorm, mapped up to `hidden_size` by
`encoder.embedding_hidden_mapping_in` (as ALBERT's) before BERT's layers; BERT's pooler, sequence and
token classifiers, span head and multiple choice; and an untied LM head that goes through
`output_embedding_size` (1,664): `cls.predictions.dense` + hidden_act + LayerNorm, then its own
decoder. Tensor names are the checkpoint's own: `rembert.encoder.layer.0.attention.self.query.weight`.
"""

from __future__ import annotations

from ..config import RemBertConfig
from ..weights import Weights
from . import bert
from .bert import INPUT_NAMES, layer_norm, linear  # noqa: F401  (the family's inputs, as BERT's)
from .variants import heads_of

PREFIX = "rembert"


def embeddings(ops, w: Weights, c: RemBertConfig):
    """Word + token-type + position embeddings (E wide) and their LayerNorm, mapped to H -> (B, T, H)."""
    ids, e = ops.input("input_ids"), c.input_embedding_size
    x = ops.embed(w.get("embeddings.word_embeddings.weight", (c.vocab_size, e)), ids)  # (B, T, E)
    x = ops.add(x, ops.embed(w.get("embeddings.token_type_embeddings.weight", (c.type_vocab_size, e)), ops.input("token_type_ids")))
    x = ops.add(x, ops.position_embed(w.get("embeddings.position_embeddings.weight", (c.max_position_embeddings, e)), ids))
    x = layer_norm(ops, w, x, "embeddings.LayerNorm", e, c.layer_norm_eps)
    return linear(ops, w, x, "encoder.embedding_hidden_mapping_in", c.hidden_size, e)  # (B, T, H)


def lm_logits(ops, w: Weights, c: RemBertConfig, x):
    """RemBertLMPredictionHead over x (B, T, H): dense to O + hidden_act + LayerNorm, decoder -> (B, T, V)."""
    o, p = c.output_embedding_size, "cls.predictions"
    x = linear(ops, w, x, f"{p}.dense", o, c.hidden_size, head=True, activation=c.hidden_act)  # (B, T, O)
    x = ops.layer_norm(x, w.get(f"{p}.LayerNorm.weight", (o,), head=True), w.get(f"{p}.LayerNorm.bias", (o,), head=True),
                       c.layer_norm_eps)
    return linear(ops, w, x, f"{p}.decoder", c.vocab_size, o, head=True)


def masked_lm(ops, w: Weights, c: RemBertConfig) -> None:
    ops.output("logits", lm_logits(ops, w, c, bert.encoder(ops, w, c, embed=embeddings)))  # (B, T, V)


base, sequence_classification, token_classification, question_answering = heads_of(
    bert, embed=embeddings, names=("base", "sequence_classification", "token_classification", "question_answering"))
(multiple_choice,) = heads_of(bert, embed=embeddings, names=("multiple_choice",))
