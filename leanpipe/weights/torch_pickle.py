"""Read `pytorch_model.bin` without torch and without running the pickle's code.

A torch checkpoint is a pickle: loading it with `pickle` (or `torch.load(weights_only=False)`)
runs whatever functions it names. Here the unpickler resolves only the handful of globals that
rebuild a state dict of tensors (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, the
`torch.*Storage` types) to harmless stand-ins written below; any other global is refused before it
is called. Both of torch's formats are read: the zip archive (`torch.save` since 1.6:
`<name>/data.pkl` + `<name>/data/<key>`) and the legacy stream (magic number, protocol, sys info,
the pickle, the storage keys, then each storage's raw bytes).
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import CheckpointError

_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16, "BFloat16Storage": "bf16",
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
    "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _StorageType:
    """Stands in for `torch.FloatStorage` etc.: only its dtype is used."""

    def __init__(self, name: str) -> None:
        self.name, self.dtype = name, _STORAGE_DTYPES[name]

    def array(self, raw: bytes) -> np.ndarray:
        if self.dtype == "bf16":  # bfloat16: the top half of a float32
            return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        return np.frombuffer(raw, dtype=np.dtype(self.dtype).newbyteorder("<"))


def _rebuild_tensor(storage: Any, offset: int, size: tuple, stride: tuple, *_ignored: Any) -> Any:
    """torch._utils._rebuild_tensor(_v2): a strided view of the storage, made contiguous
    (deferred when the storage's bytes come after the pickle, as in the legacy format)."""
    if isinstance(storage, _Pending):
        return _Deferred(storage, offset, tuple(size), tuple(stride))
    return _strided(storage, offset, size, stride)


def _strided(storage: np.ndarray, offset: int, size: tuple, stride: tuple) -> np.ndarray:
    if not size:
        return storage[offset].copy()
    needed = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
    if min(size) > 0 and needed > storage.size:
        raise CheckpointError(f"a tensor of size {tuple(size)} reaches past its storage of {storage.size} elements")
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size), strides=[s * storage.itemsize for s in stride])
    return np.ascontiguousarray(view)


def _rebuild_parameter(data: Any, *_ignored: Any) -> Any:
    return data


class _Pending:
    """A legacy-format storage whose bytes are read after the pickle."""

    def __init__(self, key: str) -> None:
        self.key, self.value = key, None


class _Deferred:
    """A tensor over a `_Pending` storage, rebuilt once the storage's bytes are read."""

    def __init__(self, storage: _Pending, offset: int, size: tuple, stride: tuple) -> None:
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def build(self) -> np.ndarray:
        return _strided(self.storage.value, self.offset, self.size, self.stride)


_ALLOWED: dict[tuple[str, str], Callable[..., Any] | type] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch", "Size"): tuple,
}


class _SafeUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase, path: Path, read_storage: Callable[[tuple], np.ndarray]) -> None:
        super().__init__(file)
        self.path, self.read_storage = path, read_storage

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        found = _ALLOWED.get((module, name))
        if found is None:
            raise CheckpointError(
                f"{self.path} names {module}.{name}, which is not needed to rebuild tensors; refusing to "
                f"load it (a pickle can run any code). Convert the checkpoint to safetensors from a trusted machine."
            )
        return found

    def persistent_load(self, pid: Any) -> np.ndarray:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage" and isinstance(pid[1], _StorageType)):
            raise CheckpointError(f"{self.path}: unexpected persistent id {pid!r:.120}")
        return self.read_storage(pid)


def load_torch_pickle(path: Path) -> dict[str, np.ndarray]:
    """name -> array from a `pytorch_model.bin` in either of torch's formats."""
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            state = _load_zip(path)
        else:
            state = _load_legacy(path)
    except CheckpointError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, TypeError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"{path} is not a readable torch checkpoint ({type(exc).__name__}: {exc}); re-download it") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, np.ndarray) for v in state.values()):
        raise CheckpointError(f"{path} does not hold a state dict of tensors")
    return dict(state)


def _load_zip(path: Path) -> Any:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pickles) != 1:
            raise CheckpointError(f"{path}: expected one data.pkl in the archive, found {pickles}")
        prefix = pickles[0][: -len("data.pkl")]

        def read_storage(pid: tuple) -> np.ndarray:
            _, storage_type, key, _location, numel = pid[:5]
            array = storage_type.array(archive.read(f"{prefix}data/{key}"))
            if array.size < numel:
                raise CheckpointError(f"{path}: storage {key} holds {array.size} elements, {numel} expected")
            return array

        with archive.open(pickles[0]) as f:
            return _SafeUnpickler(f, path, read_storage).load()


def _load_legacy(path: Path) -> Any:
    with open(path, "rb") as f:
        def plain(what: str) -> Any:  # the header pickles hold only numbers, strings and dicts
            return _SafeUnpickler(f, path, lambda pid: (_ for _ in ()).throw(CheckpointError(f"{path}: storage in {what}"))).load()

        if plain("the magic number") != _LEGACY_MAGIC:
            raise CheckpointError(f"{path} is neither a zip archive nor a legacy torch file")
        plain("the protocol version")
        plain("the system info")
        wanted: dict[str, tuple] = {}
        storages: dict[str, _Pending] = {}

        def read_storage(pid: tuple) -> np.ndarray:
            _, storage_type, key, _location, numel, view = (pid + (None,))[:6]
            wanted[key] = (storage_type, numel)
            # the bytes come after the pickle: hand out a placeholder filled in below
            if view is not None:
                raise CheckpointError(f"{path}: storage views are not supported; re-save with a recent torch")
            return storages.setdefault(key, _Pending(key))

        state = _SafeUnpickler(f, path, read_storage).load()
        keys = plain("the storage keys")
        for key in keys:
            storage_type, numel = wanted[key]
            count = int.from_bytes(f.read(8), "little")
            itemsize = 2 if storage_type.dtype == "bf16" else np.dtype(storage_type.dtype).itemsize
            raw = f.read(count * itemsize)
            if count != numel or len(raw) != count * itemsize:
                raise CheckpointError(f"{path} is truncated: storage {key} is short")
            storages[key].value = storage_type.array(raw)
    return _resolve(state)


def _resolve(state: Any) -> Any:
    if isinstance(state, dict):
        return type(state)((k, v.build() if isinstance(v, _Deferred) else v) for k, v in state.items())
    return state
