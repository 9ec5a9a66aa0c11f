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


RECORDS = ("hidden_states", "attentions")  # what an engine can be built to output besides the head's outputs


class Engine(Protocol):
    input_names: tuple[str, ...]

    records: frozenset[str]  # built with these outputs too: hidden_states.0, .1, ... and/or attentions.0, .1, ...

    def run(self, feeds: dict[str, np.ndarray], *, extras: bool = False) -> dict[str, np.ndarray]: ...

    def run_many(self, feeds: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]: ...  # run(f) of each, in order


def default_threads() -> int:
    """LEANPIPE_NUM_THREADS, else OMP_NUM_THREADS, else the cores this process may use."""
    for var in ("LEANPIPE_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def build_engine(
    forward: Forward, input_names: tuple[str, ...], kind: str = "onnx", *, num_threads: int | None = None,
    quantize: str | None = None, records: frozenset[str] = frozenset(),
) -> Engine:
    """`records`: "hidden_states" makes the definition's `ops.hidden(x)` calls outputs hidden_states.0, .1, ...;
    "attentions" makes every attention's probabilities outputs attentions.0, .1, ... (unfused attention)."""
    unknown = set(records) - set(RECORDS)
    if unknown:
        raise ValueError(f"records {sorted(unknown)}: each must be one of {RECORDS}")
    records = frozenset(records)
    if kind == "numpy":
        if quantize:
            raise InputError("quantize needs engine='onnx'; the NumPy engine runs fp32 only")
        from .numpy_engine import NumpyEngine

        return NumpyEngine(forward, input_names, records=records)
    if kind == "onnx":
        from .onnx_engine import OnnxEngine

        return OnnxEngine(forward, input_names, num_threads=num_threads or default_threads(), quantize=quantize,
                          records=records)
    raise InputError(f"engine={kind!r} is not one of {ENGINES}")
