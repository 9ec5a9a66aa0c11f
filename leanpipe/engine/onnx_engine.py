"""Trace a model definition once into an ONNX graph and run it with onnxruntime."""

from __future__ import annotations

import numpy as np

from .onnx_ops import OnnxOps


class OnnxEngine:
    def __init__(self, forward, input_names: tuple[str, ...], *, num_threads: int) -> None:
        import onnxruntime as ort

        ops = OnnxOps()
        forward(ops)
        model_bytes = ops.model().SerializeToString()
        del ops
        options = ort.SessionOptions()
        options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
        used = {i.name for i in self.session.get_inputs()}
        self.input_names = tuple(n for n in input_names if n in used)
        self.output_names = [o.name for o in self.session.get_outputs()]

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        values = self.session.run(self.output_names, {n: feeds[n] for n in self.input_names})
        return dict(zip(self.output_names, values))
