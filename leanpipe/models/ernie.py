"""ERNIE (model_type "ernie": nghuyong/ernie-3.0-*, ernie-health-zh, ...) against the ops of leanpipe.engine.

BERT's graph and heads (modeling_ernie is modeling_bert plus one embedding): with `use_task_id`, a
task-type embedding joins the word, token-type and position embeddings before their LayerNorm.
leanpipe takes no task_type_ids input, so every token gets row 0, as transformers gives a call
without task_type_ids. Tensor names are the checkpoint's own: `ernie.embeddings.task_type_embeddings.weight`.
"""

from __future__ import annotations

from ..config import ErnieConfig
from ..weights import Weights
from . import bert
from .bert import INPUT_NAMES, layer_norm  # noqa: F401  (the family's inputs, as BERT's)
from .variants import heads_of

PREFIX = "ernie"


def embeddings(ops, w: Weights, c: ErnieConfig):
    h = c.hidden_size
    x = bert.embedding_sum(ops, w, c)  # word + token type + position, (B, T, H)
    if c.use_task_id:  # task_type_ids default to zeros: row 0 for every token
        x = ops.add(x, ops.const(w.get("embeddings.task_type_embeddings.weight", (c.task_type_vocab_size, h))[0]))
    return layer_norm(ops, w, x, "embeddings.LayerNorm", h, c.layer_norm_eps)


base, sequence_classification, token_classification, question_answering, masked_lm = heads_of(bert, embed=embeddings)
multiple_choice, next_sentence_prediction, pre_training = heads_of(
    bert, embed=embeddings, names=("multiple_choice", "next_sentence_prediction", "pre_training"))
