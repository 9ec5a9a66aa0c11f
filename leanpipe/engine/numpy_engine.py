"""Run a model definition eagerly with NumPy, op by op."""

from __future__ import annotations

import numpy as np

from .numpy_ops import NumpyOps


class NumpyEngine:
    def __init__(self, forward, input_names: tuple[str, ...], *, records: frozenset[str] = frozenset()) -> None:
        self.forward, self.input_names, self.records = forward, input_names, records

    def run(self, feeds: dict[str, np.ndarray], *, extras: bool = False) -> dict[str, np.ndarray]:
        """The outputs by name; with `extras`, the recorded hidden_states.* / attentions.* too."""
        ops = NumpyOps(feeds, records_hidden=extras and "hidden_states" in self.records,
                       records_attentions=extras and "attentions" in self.records)
        self.forward(ops)
        return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in ops.outputs.items()}

    def run_many(self, feeds: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
        """The head's outputs of each batch, one after another."""
        return [self.run(f) for f in feeds]
