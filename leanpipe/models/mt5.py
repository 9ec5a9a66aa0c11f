"""mT5's encoder (model_type "mt5": MT5EncoderModel, MT5ForTokenClassification): T5 v1.1's layout
under its own names, so the same definition as leanpipe.models.t5 (tensor names included)."""

from __future__ import annotations

from .t5 import INPUT_NAMES, PREFIX, PROBE, base, max_positions, token_classification  # noqa: F401

CLASS_NAMES = {"base": "MT5EncoderModel"}
