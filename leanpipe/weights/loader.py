"""Find a checkpoint's weight files (single or sharded safetensors) and map them into memory."""

from __future__ import annotations

import json
import os

import numpy as np

from .. import hub
from ..errors import CheckpointError
from .safetensors import load_safetensors
from .torch_pickle import load_torch_pickle

SAFETENSORS = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
TORCH_BIN = "pytorch_model.bin"
TORCH_BIN_INDEX = "pytorch_model.bin.index.json"


def load_weights(name_or_path: str | os.PathLike, *, revision: str | None = None) -> dict[str, np.ndarray]:
    """name -> array for every tensor of the checkpoint, memory-mapped (no copy)."""
    return load_weights_from(name_or_path, revision=revision)[0]


def load_weights_from(name_or_path: str | os.PathLike, *, revision: str | None = None) -> tuple[dict[str, np.ndarray], str]:
    """(name -> array, the weight file read), so that errors about a tensor can name the file."""
    single = hub.resolve_file(name_or_path, SAFETENSORS, revision=revision, required=False)
    if single is not None:
        return load_safetensors(single), str(single)
    index = hub.resolve_file(name_or_path, SAFETENSORS_INDEX, revision=revision, required=False)
    if index is not None:
        return _load_sharded(name_or_path, index, revision, load_safetensors), str(index)
    legacy = hub.resolve_file(name_or_path, TORCH_BIN, revision=revision, required=False)
    if legacy is not None:  # read without torch and without running pickle code
        return load_torch_pickle(legacy), str(legacy)
    legacy_index = hub.resolve_file(name_or_path, TORCH_BIN_INDEX, revision=revision, required=False)
    if legacy_index is not None:
        return _load_sharded(name_or_path, legacy_index, revision, load_torch_pickle), str(legacy_index)
    raise CheckpointError(
        f"no {SAFETENSORS}, {SAFETENSORS_INDEX}, {TORCH_BIN} or {TORCH_BIN_INDEX} in {name_or_path}; "
        f"save the model with save_pretrained() or download the repo's weight files"
    )


def _load_sharded(name_or_path, index_path, revision, load_shard) -> dict[str, np.ndarray]:
    try:
        weight_map = json.loads(index_path.read_text(encoding="utf-8"))["weight_map"]
    except (ValueError, RecursionError, KeyError, TypeError) as exc:  # ValueError: bad JSON or UTF-8
        raise CheckpointError(f"{index_path} is not a weight index with a 'weight_map' ({exc!r})") from None
    if not isinstance(weight_map, dict) or not all(_is_shard_name(f) for f in weight_map.values()):
        raise CheckpointError(
            f"{index_path}: 'weight_map' must map tensor names to shard file names in the same folder "
            f"(like \"model-00001-of-00002.safetensors\"); re-download the checkpoint"
        )
    tensors: dict[str, np.ndarray] = {}
    for shard in sorted(set(weight_map.values())):
        tensors.update(load_shard(hub.resolve_file(name_or_path, shard, revision=revision)))
    missing = sorted(set(weight_map) - set(tensors))
    if missing:
        raise CheckpointError(f"{index_path} lists tensors that no shard holds, e.g. {missing[:3]}")
    return tensors


def _is_shard_name(name: object) -> bool:
    """A path inside the checkpoint: not absolute, no `..` (an index must not point elsewhere)."""
    if not isinstance(name, str) or not name:
        return False
    parts = name.replace("\\", "/").split("/")
    return parts[0] != "" and ".." not in parts
