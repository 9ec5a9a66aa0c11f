"""XLM-RoBERTa: RoBERTa's architecture under its own config and model_type (modular_xlm_roberta).

Checkpoint tensors keep RoBERTa's names and `roberta.` prefix, so every function is RoBERTa's.
"""

from __future__ import annotations

from .roberta import (  # noqa: F401  (the family's definition, re-exported)
    INPUT_NAMES,
    PREFIX,
    base,
    masked_lm,
    max_positions,
    multiple_choice,
    question_answering,
    sequence_classification,
    token_classification,
)
