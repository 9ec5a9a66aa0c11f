"""transformers' top-level helpers that user scripts call around a pipeline: `logging`
(set_verbosity_error() ...), `set_seed`, `is_torch_available`."""

from __future__ import annotations

import importlib.util
import random
import sys

from . import logging

__all__ = ["is_torch_available", "logging", "set_seed"]


def is_torch_available() -> bool:
    """Whether torch is installed (leanpipe itself never needs it): as transformers answers."""
    return "torch" in sys.modules or importlib.util.find_spec("torch") is not None


def set_seed(seed: int, deterministic: bool = False) -> None:
    """Seed Python's `random`, NumPy and, when the caller uses it, torch, as transformers does. leanpipe's
    inference draws no random numbers, so its answers do not depend on it; `deterministic` is accepted
    (torch.use_deterministic_algorithms when torch is in use)."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
        if deterministic:
            torch.use_deterministic_algorithms(True)
