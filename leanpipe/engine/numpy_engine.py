"""Run a model definition eagerly with NumPy, op by op."""

from __future__ import annotations

import numpy as np

from .numpy_ops import NumpyOps


class NumpyEngine:
    def __init__(self, forward, input_names: tuple[str, ...]) -> None:
        self.forward, self.input_names = forward, input_names

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        ops = NumpyOps(feeds)
        self.forward(ops)
        return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in ops.outputs.items()}
