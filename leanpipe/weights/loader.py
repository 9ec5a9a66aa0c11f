"""Find a checkpoint's weight files (single or sharded safetensors) and map them into memory."""

from __future__ import annotations

import json
import os

import numpy as np

from .. import hub
from ..errors import CheckpointError
from .safetensors import load_safetensors

SAFETENSORS = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"


def load_weights(name_or_path: str | os.PathLike, *, revision: str | None = None) -> dict[str, np.ndarray]:
    """name -> array for every tensor of the checkpoint, memory-mapped (no copy)."""
    single = hub.resolve_file(name_or_path, SAFETENSORS, revision=revision, required=False)
    if single is not None:
        return load_safetensors(single)
    index = hub.resolve_file(name_or_path, SAFETENSORS_INDEX, revision=revision, required=False)
    if index is not None:
        return _load_sharded(name_or_path, index, revision)
    legacy = hub.resolve_file(name_or_path, "pytorch_model.bin", revision=revision, required=False)
    hint = (
        "it has only pytorch_model.bin, which leanpipe does not read yet; convert it once with "
        "`safetensors` (or save_pretrained in transformers, which writes model.safetensors)"
        if legacy is not None
        else "save the model with save_pretrained() or download the repo's model.safetensors"
    )
    raise CheckpointError(f"no {SAFETENSORS} or {SAFETENSORS_INDEX} in {name_or_path}: {hint}")


def _load_sharded(name_or_path, index_path, revision) -> dict[str, np.ndarray]:
    try:
        weight_map = json.loads(index_path.read_text(encoding="utf-8"))["weight_map"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{index_path} is not a safetensors index with a 'weight_map' ({exc!r})") from None
    tensors: dict[str, np.ndarray] = {}
    for shard in sorted(set(weight_map.values())):
        tensors.update(load_safetensors(hub.resolve_file(name_or_path, shard, revision=revision)))
    missing = sorted(set(weight_map) - set(tensors))
    if missing:
        raise CheckpointError(f"{index_path} lists tensors that no shard holds, e.g. {missing[:3]}")
    return tensors
