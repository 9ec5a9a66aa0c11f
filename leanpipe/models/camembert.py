"""CamemBERT: RoBERTa's architecture under its own config and model_type (modular_camembert).

Checkpoint tensors keep RoBERTa's names and `roberta.` prefix, so every function but the masked-LM
head is RoBERTa's.
"""

from __future__ import annotations

from ..config import CamembertConfig
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


def masked_lm(ops, w: Weights, c: CamembertConfig) -> None:
    """RoBERTa's LM head, with the decoder's own bias: transformers 5.2's CamembertConfig has no
    tie_word_embeddings, so CamembertForMaskedLM ties nothing and runs `lm_head.decoder.weight` and
    `.bias` as stored. A checkpoint without them (transformers 4 dropped tied copies) gets the word
    embeddings and `lm_head.bias`, as they were tied when it was trained; transformers 5.2 would
    initialize them at random there."""
    roberta.masked_lm(ops, w, c, bias_names=("lm_head.decoder.bias", "lm_head.bias"), head_registered_first=True)
    if w.has("lm_head.decoder.bias", head=True):  # transformers' model also holds lm_head.bias, unused
        w.skip("lm_head.bias", head=True)
