"""Run a model definition eagerly with NumPy, op by op."""

from __future__ import annotations

import numpy as np

from .numpy_ops import NumpyOps


class NumpyEngine:
    def __init__(self, forward, input_names: tuple[str, ...], *, hidden_states: bool = False) -> None:
        self.forward, self.input_names, self.hidden_states = forward, input_names, hidden_states

    def run(self, feeds: dict[str, np.ndarray], names: list[str] | None = None) -> dict[str, np.ndarray]:
        """The outputs by name (`names`: just those)."""
        ops = NumpyOps(feeds, records_hidden=self.hidden_states)
        self.forward(ops)
        return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in ops.outputs.items() if names is None or k in names}
