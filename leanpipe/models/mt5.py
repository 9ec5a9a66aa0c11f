"""mT5's encoder (model_type "mt5": MT5EncoderModel, MT5ForTokenClassification): T5 v1.1's layout
under its own names, so the same definition as leanpipe.models.t5 (tensor names included)."""

from __future__ import annotations

from .t5 import (  # noqa: F401
    EMBEDDING_PADDING_IDX, INPUT_NAMES, PREFIX, PROBE, WORD_EMBEDDINGS, base, check_feeds, max_positions, question_answering, sequence_classification,
    token_classification,
)

CLASS_NAMES = {"base": "MT5EncoderModel"}
