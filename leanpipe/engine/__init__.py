"""Compute engines: how a model definition (a function of `ops`) becomes something that runs.

`build_engine(forward, "onnx")` traces `forward` once into an ONNX graph run by onnxruntime (the
default, fastest on CPU); `build_engine(forward, "numpy")` evaluates it eagerly with NumPy on every
call (the readable reference and the fallback when onnxruntime is missing). Both return arrays
keyed by output name.
"""

from __future__ import annotations

import os
from typing import Callable, Protocol

import numpy as np

from ..errors import InputError

ENGINES = ("onnx", "numpy")
Forward = Callable[[object], None]


class Engine(Protocol):
    input_names: tuple[str, ...]

    hidden_states: bool  # built with the definition's hidden_states.* outputs

    def run(self, feeds: dict[str, np.ndarray], *, hidden_states: bool = False) -> dict[str, np.ndarray]: ...


def default_threads() -> int:
    """LEANPIPE_NUM_THREADS, else OMP_NUM_THREADS, else the cores this process may use."""
    for var in ("LEANPIPE_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def build_engine(
    forward: Forward, input_names: tuple[str, ...], kind: str = "onnx", *, num_threads: int | None = None,
    quantize: str | None = None, hidden_states: bool = False,
) -> Engine:
    """`hidden_states`: the definition's `ops.hidden(x)` calls become outputs hidden_states.0, .1, ..."""
    if kind == "numpy":
        if quantize:
            raise InputError("quantize needs engine='onnx'; the NumPy engine runs fp32 only")
        from .numpy_engine import NumpyEngine

        return NumpyEngine(forward, input_names, hidden_states=hidden_states)
    if kind == "onnx":
        from .onnx_engine import OnnxEngine

        return OnnxEngine(forward, input_names, num_threads=num_threads or default_threads(), quantize=quantize,
                          hidden_states=hidden_states)
    raise InputError(f"engine={kind!r} is not one of {ENGINES}")
