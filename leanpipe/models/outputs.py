"""Model outputs with transformers' access patterns: `out.logits`, `out["logits"]`, `out[0]`."""

from __future__ import annotations

from typing import Any


class ModelOutput(dict):
    """A dict of the outputs that are present, in order, also readable as attributes and by position."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"this output has no {name!r}; it has {list(self)}") from None

    def __getitem__(self, key: str | int | slice) -> Any:
        if isinstance(key, (int, slice)):
            return self.to_tuple()[key]
        return super().__getitem__(key)

    def to_tuple(self) -> tuple:
        return tuple(self.values())


class BaseModelOutput(ModelOutput):
    """`last_hidden_state` (B, T, H); BERT also `pooler_output` (B, H)."""


class SequenceClassifierOutput(ModelOutput):
    """`logits` (B, num_labels)."""


class TokenClassifierOutput(ModelOutput):
    """`logits` (B, T, num_labels)."""


class QuestionAnsweringModelOutput(ModelOutput):
    """`start_logits` and `end_logits`, each (B, T)."""


class MaskedLMOutput(ModelOutput):
    """`logits` (B, T, vocab_size)."""
