"""Checkpoint weights: find the files, memory-map them, look tensors up by checkpoint name."""

from .loader import load_weights, load_weights_from
from .store import Weights

__all__ = ["load_weights", "load_weights_from", "Weights"]
