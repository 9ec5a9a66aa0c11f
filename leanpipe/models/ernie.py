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

PREFIX = "ernie"


def embeddings(ops, w: Weights, c: ErnieConfig):
    ids, h = ops.input("input_ids"), c.hidden_size
    x = ops.embed(w.get("embeddings.word_embeddings.weight", (c.vocab_size, h)), ids)  # (B, T, H)
    types = w.get("embeddings.token_type_embeddings.weight", (c.type_vocab_size, h))
    x = ops.add(x, ops.embed(types, ops.input("token_type_ids")))
    x = ops.add(x, ops.position_embed(w.get("embeddings.position_embeddings.weight", (c.max_position_embeddings, h)), ids))
    if c.use_task_id:  # task_type_ids default to zeros: row 0 for every token
        x = ops.add(x, ops.const(w.get("embeddings.task_type_embeddings.weight", (c.task_type_vocab_size, h))[0]))
    return layer_norm(ops, w, x, "embeddings.LayerNorm", h, c.layer_norm_eps)


def _ernie(head):
    def run(ops, w: Weights, c: ErnieConfig) -> None:
        head(ops, w, c, embed=embeddings)

    run.__doc__ = f"BERT's {head.__name__} over ERNIE's embeddings."
    return run


base = _ernie(bert.base)
sequence_classification = _ernie(bert.sequence_classification)
token_classification = _ernie(bert.token_classification)
question_answering = _ernie(bert.question_answering)
masked_lm = _ernie(bert.masked_lm)
