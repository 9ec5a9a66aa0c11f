"""XLM-RoBERTa: RoBERTa's architecture under its own config and model_type (modular_xlm_roberta).

Checkpoint tensors keep RoBERTa's names and `roberta.` prefix, so every function is RoBERTa's.
"""

from __future__ import annotations

from ..config import XLMRobertaConfig
from ..weights import Weights
from . import roberta
from .roberta import (  # noqa: F401  (the family's definition, re-exported)
    INPUT_NAMES,
    PREFIX,
    base,
    max_positions,
    multiple_choice,
    question_answering,
    sequence_classification,
    token_classification,
)


def masked_lm(ops, w: Weights, c: XLMRobertaConfig) -> None:
    """RoBERTa's LM head; transformers' XLMRobertaForMaskedLM builds it before the encoder, which only
    changes the name its tied table is counted under (num_parameters)."""
    roberta.masked_lm(ops, w, c, head_registered_first=True)
