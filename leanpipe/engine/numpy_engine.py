"""Run a model definition eagerly with NumPy, op by op."""

from __future__ import annotations

import numpy as np

from .numpy_ops import NumpyOps


class NumpyEngine:
    def __init__(self, forward, input_names: tuple[str, ...], *, hidden_states: bool = False) -> None:
        self.forward, self.input_names, self.hidden_states = forward, input_names, hidden_states

    def run(self, feeds: dict[str, np.ndarray], *, hidden_states: bool = False) -> dict[str, np.ndarray]:
        """The outputs by name; hidden_states.0, .1, ... too when asked for (and built with them)."""
        ops = NumpyOps(feeds, records_hidden=hidden_states and self.hidden_states)
        self.forward(ops)
        return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in ops.outputs.items()}
