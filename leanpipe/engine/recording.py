"""What both ops classes record as extra outputs when asked: transformers' `hidden_states` and
`attentions`, numbered in the order the model definition produces them. A subclass provides
`output(name, x)` (a graph output, or an array kept for the NumPy engine). `extra(name, x)` is one
more output that only recorded calls return, under `extras.<name>` (BART's encoder_last_hidden_state
beside its heads' outputs, as transformers returns it with theirs)."""

from __future__ import annotations

from typing import Any


class Recording:
    records_hidden: bool = False  # `hidden(x)` makes outputs hidden_states.0, .1, ...
    records_attentions: bool = False  # every attention's probabilities -> outputs attentions.0, .1, ...

    def _start_recording(self, *, records_hidden: bool, records_attentions: bool) -> None:
        self.records_hidden, self.records_attentions = records_hidden, records_attentions
        self._hidden_count = self._attention_count = 0

    def output(self, name: str, x: Any) -> None:
        raise NotImplementedError

    @property
    def keeps_every_row(self) -> bool:
        """Recorded hidden states and attentions hold every token of every layer: no first-row-only last layer."""
        return self.records_hidden or self.records_attentions

    def hidden(self, x: Any) -> None:
        """One more of transformers' `hidden_states` (the embeddings' output, then each layer's), when recording."""
        if self.records_hidden:
            self.output(f"hidden_states.{self._hidden_count}", x)
            self._hidden_count += 1

    def _record_probs(self, probs: Any) -> Any:
        """One more of transformers' `attentions` (B, N, T, T), when recording; returns `probs`."""
        if self.records_attentions:
            self.output(f"attentions.{self._attention_count}", probs)
            self._attention_count += 1
        return probs

    def extra(self, name: str, x: Any) -> None:
        """Output `extras.<name>` when recording anything (a plain call of a head never computes it)."""
        if self.keeps_every_row:
            self.output(f"extras.{name}", x)
