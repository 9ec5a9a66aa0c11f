"""UMT5's encoder (model_type "umt5": UMT5EncoderModel, UMT5ForTokenClassification): T5's layers
with a relative-position bias table in every block (modeling_umt5: each self-attention, the encoder's
and the decoder's, has its own `relative_attention_bias`) instead of the first block's shared by all;
UMT5ForSequenceClassification / UMT5ForQuestionAnswering run the decoder as T5's do."""

from __future__ import annotations

from ..config import UMT5Config
from ..weights import Weights
from . import t5
from .heads import span_logits, token_logits
from .t5 import EMBEDDING_PADDING_IDX, INPUT_NAMES, PREFIX, PROBE, WORD_EMBEDDINGS, check_feeds, max_positions  # noqa: F401

CLASS_NAMES = {"base": "UMT5EncoderModel"}


def base(ops, w: Weights, c: UMT5Config) -> None:
    ops.output("last_hidden_state", t5.encoder(ops, w, c, bias_per_layer=True))


def token_classification(ops, w: Weights, c: UMT5Config) -> None:
    token_logits(ops, w, t5.encoder(ops, w, c, bias_per_layer=True), c.num_labels, c.d_model)


def sequence_classification(ops, w: Weights, c: UMT5Config) -> None:
    t5.classifier_logits(ops, w, c, t5.encoder_decoder(ops, w, c, bias_per_layer=True))


def question_answering(ops, w: Weights, c: UMT5Config) -> None:
    span_logits(ops, w, t5.encoder_decoder(ops, w, c, bias_per_layer=True), c.d_model)
