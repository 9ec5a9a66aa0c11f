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

import numpy as np

from ..config import DPRConfig
from ..errors import ConfigError
from ..weights import Weights
from . import bert
from .bert import INPUT_NAMES, linear  # noqa: F401  (BERT's inputs)
from .outputs import ModelOutput

PREFIX = "question_encoder.bert_model"  # where the BERT weights sit (Weights finds them under it)
BASE_MODEL_PREFIX = "question_encoder"  # transformers' base_model_prefix for the class
CLASS_NAMES = {"base": "DPRQuestionEncoder"}
# a checkpoint under one of these prefixes is that class's: base.py names it when another class loads it
SIBLINGS = {"question_encoder": "DPRQuestionEncoder", "ctx_encoder": "DPRContextEncoder", "span_predictor": "DPRReader"}


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
    INPUT_NAMES=INPUT_NAMES, OUTPUTS=OUTPUTS, SIBLINGS=SIBLINGS,
    base=encoder_output("ctx_encoder"))


class DPRReaderOutput(ModelOutput):
    """`start_logits`, `end_logits` (n_passages, T) and `relevance_logits` (n_passages,): transformers'
    DPRReaderOutput (its tokenizer's decode_best_spans reads them)."""

    fields = ("start_logits", "end_logits", "relevance_logits", "hidden_states", "attentions")


def reader(ops, w: Weights, c: DPRConfig) -> None:
    """DPRSpanPredictor: BERT's last hidden state x (B, T, H) -> span logits from `qa_outputs` (H -> 2) at
    every token, a passage's relevance from `qa_classifier` (H -> 1) at [CLS]. transformers sizes both to
    encode_proj's width but applies them to x, so a reader runs only where that is H (its encode_proj then
    unused); other widths are refused as the model loads."""
    if c.projection_dim not in (0, c.hidden_size):
        raise ConfigError(f"a DPRReader with projection_dim={c.projection_dim} and hidden_size={c.hidden_size} cannot run: "
                          f"transformers sizes its qa_outputs / qa_classifier to projection_dim but applies them to the "
                          f"hidden states (a shape error there too); set projection_dim to 0 in config.json")
    x, h = bert.encoder(ops, w, c), c.hidden_size
    span = ops.linear(x, w.get("span_predictor.qa_outputs.weight", (2, h), head=True),
                      w.get("span_predictor.qa_outputs.bias", (2,), head=True))
    start, end = ops.columns(span, 2)  # (B, T, 2) -> (B, T) each
    ops.output("start_logits", start)
    ops.output("end_logits", end)
    relevance = ops.linear(ops.first_token(x), w.get("span_predictor.qa_classifier.weight", (1, h), head=True),
                           w.get("span_predictor.qa_classifier.bias", (1,), head=True))
    ops.output("relevance_logits", ops.columns(relevance, 1)[0])  # (B, 1) -> (B,)


def reader_feeds(head: str, feeds: dict[str, np.ndarray], c: DPRConfig, *, token_types_given: bool) -> dict[str, np.ndarray]:
    """DPRReader.forward takes no token_type_ids (a BertTokenizer's pair types are swallowed by its **kwargs):
    its BERT sees type 0 everywhere, and so does leanpipe's, whatever the caller passes."""
    return {"token_type_ids": np.zeros_like(feeds["input_ids"])}


# DPRReader: the span reader, BERT under "span_predictor.encoder.bert_model" (models/__init__.py builds its class)
READER = SimpleNamespace(
    __name__=f"{__name__}.reader", PREFIX="span_predictor.encoder.bert_model", BASE_MODEL_PREFIX="span_predictor",
    INPUT_NAMES=INPUT_NAMES, OUTPUTS={"base": DPRReaderOutput}, derived_feeds=reader_feeds,
    SIBLINGS=SIBLINGS, base=reader)
