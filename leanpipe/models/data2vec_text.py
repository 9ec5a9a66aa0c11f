"""data2vec-text (model_type "data2vec-text": facebook/data2vec-text-base and its fine-tunes):
RoBERTa's architecture and heads (modeling_data2vec_text) with the checkpoint prefix `data2vec_text.`.
"""

from __future__ import annotations

from . import roberta
from .roberta import INPUT_NAMES, max_positions  # noqa: F401  (RoBERTa's inputs and positions)
from .variants import heads_of

PREFIX = "data2vec_text"

base, sequence_classification, token_classification, question_answering, masked_lm = heads_of(roberta)
(multiple_choice,) = heads_of(roberta, names=("multiple_choice",))
