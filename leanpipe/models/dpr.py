"""DPR (model_type "dpr": facebook/dpr-question_encoder-* and dpr-ctx_encoder-*, their fine-tunes)
against the ops of leanpipe.engine.

modeling_dpr's encoders are a BERT without a pooler (`bert_model`) whose output is the [CLS] token's
last hidden state, through `encode_proj` (H -> projection_dim) when projection_dim > 0: one vector per
text, `pooler_output`, with hidden_states / attentions but no last_hidden_state. The question and
context encoders are the same network under two names, so their checkpoints differ in the prefix:
`question_encoder.bert_model.embeddings...` / `ctx_encoder.bert_model.embeddings...`. AutoModel gives
the question encoder, as in transformers; DPRContextEncoder is CONTEXT, this module under the other
prefix. (DPRReader, the span reader, is not here.)
"""

from __future__ import annotations

from types import SimpleNamespace

from ..config import DPRConfig
from ..weights import Weights
from . import bert
from .bert import INPUT_NAMES, linear  # noqa: F401  (BERT's inputs)
from .outputs import ModelOutput

PREFIX = "question_encoder.bert_model"  # where the BERT weights sit (Weights finds them under it)
BASE_MODEL_PREFIX = "question_encoder"  # transformers' base_model_prefix for the class
CLASS_NAMES = {"base": "DPRQuestionEncoder"}
SIBLINGS = {"ctx_encoder": "DPRContextEncoder"}  # a checkpoint under this prefix is the other class's (base.py says so)


class DPREncoderOutput(ModelOutput):
    """`pooler_output` (B, projection_dim or H): the [CLS] vector (DPRQuestionEncoderOutput / DPRContextEncoderOutput)."""

    fields = ("pooler_output", "hidden_states", "attentions")


OUTPUTS = {"base": DPREncoderOutput}


def encoder_output(prefix: str):
    """The head of an encoder whose projection is `{prefix}.encode_proj`: [CLS] after BERT's layers,
    projected when projection_dim > 0 -> "pooler_output" (B, D)."""

    def base(ops, w: Weights, c: DPRConfig) -> None:
        x = ops.first_token(bert.encoder(ops, w, c, first_only=True))  # (B, H): only [CLS] is read
        if c.projection_dim > 0:
            x = linear(ops, w, x, f"{prefix}.encode_proj", c.projection_dim, c.hidden_size, head=True)
        ops.output("pooler_output", x)

    return base


base = encoder_output(BASE_MODEL_PREFIX)

# DPRContextEncoder: the same network under "ctx_encoder" (models/__init__.py builds its class from this)
CONTEXT = SimpleNamespace(
    __name__=f"{__name__}.context", PREFIX="ctx_encoder.bert_model", BASE_MODEL_PREFIX="ctx_encoder",
    INPUT_NAMES=INPUT_NAMES, OUTPUTS=OUTPUTS, SIBLINGS={"question_encoder": "DPRQuestionEncoder"},
    base=encoder_output("ctx_encoder"))
