"""data2vec-text (model_type "data2vec-text": facebook/data2vec-text-base and its fine-tunes):
RoBERTa's architecture and heads (modeling_data2vec_text) with the checkpoint prefix `data2vec_text.`.
"""

from __future__ import annotations

from .roberta import (  # noqa: F401  (the family's definition, re-exported)
    INPUT_NAMES,
    base,
    masked_lm,
    max_positions,
    question_answering,
    sequence_classification,
    token_classification,
)

PREFIX = "data2vec_text"
