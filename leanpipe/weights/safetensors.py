"""Read safetensors files without copying: each tensor is a NumPy view of a memory-mapped file;
write them (`save_safetensors`, for save_pretrained).

Format (safetensors spec): 8-byte little-endian header length N, N bytes of JSON
`{name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
then the raw little-endian data; offsets are relative to the end of the header.
"""

from __future__ import annotations

import json
import mmap
import os
import weakref
from pathlib import Path

import numpy as np

from ..errors import CheckpointError

_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16,
    "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
}
_MAX_HEADER = 100 * 1024 * 1024  # the spec's own limit


def read_header(path: Path, buf: bytes | mmap.mmap) -> tuple[dict, int]:
    """Parse and check the JSON header of a whole file's bytes; returns (entries, data offset)."""
    size = len(buf)
    if size < 8:
        raise CheckpointError(f"{path} is {size} bytes, too short for a safetensors file; re-download it")
    n = int.from_bytes(buf[:8], "little")
    if n > _MAX_HEADER or 8 + n > size:
        raise CheckpointError(f"{path}: header length {n} does not fit the file ({size} bytes); it is truncated or not safetensors")
    try:
        header = json.loads(bytes(buf[8 : 8 + n]))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise CheckpointError(f"{path}: safetensors header is not valid JSON ({exc}); re-download it") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: safetensors header must be a JSON object")
    header.pop("__metadata__", None)
    data_start, data_len = 8 + n, size - 8 - n
    for name, entry in header.items():
        _check_entry(path, name, entry, data_len)
    _check_no_overlap(path, header)
    return header, data_start


def _check_entry(path: Path, name: str, entry: object, data_len: int) -> None:
    """dtype known, shape a list of sizes, data_offsets [begin, end] inside the data and of the right length."""
    if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
        raise CheckpointError(f"{path}: entry {name!r} lacks dtype/shape/data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise CheckpointError(f"{path}: tensor {name!r} has dtype {dtype!r}; supported: {sorted(_DTYPES)}")
    if not isinstance(shape, list) or not all(_is_size(d) for d in shape):
        raise CheckpointError(f"{path}: tensor {name!r} has invalid shape {shape!r}; expected a list of sizes >= 0")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_size(o) for o in offsets):
        raise CheckpointError(f"{path}: tensor {name!r} has invalid data_offsets {offsets!r}; expected [begin, end]")
    begin, end = offsets
    if not (begin <= end <= data_len and end - begin == _nbytes(shape, np.dtype(_DTYPES[dtype]).itemsize, data_len)):
        raise CheckpointError(
            f"{path}: tensor {name!r} offsets [{begin}, {end}] do not match its shape {shape} and dtype "
            f"{dtype} within the {data_len}-byte data section; the file is truncated or corrupt"
        )


def _nbytes(shape: list[int], itemsize: int, limit: int) -> int:
    """Bytes the tensor needs, or limit + 1 if more (Python ints, stopped early: a hostile shape
    like [10**4000] * 1000 neither overflows nor takes long to multiply)."""
    if 0 in shape:
        return 0
    n = itemsize
    for d in shape:
        n *= d
        if n > limit:
            return limit + 1
    return n


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_no_overlap(path: Path, header: dict) -> None:
    """Tensors own disjoint byte ranges (the safetensors library refuses overlapping ones too)."""
    spans = sorted((*e["data_offsets"], name) for name, e in header.items())  # (begin, end, name)
    spans = [span for span in spans if span[1] > span[0]]  # empty tensors own no bytes
    for (_, end, first), (begin, _, second) in zip(spans, spans[1:]):
        if begin < end:
            raise CheckpointError(
                f"{path}: tensors {first!r} and {second!r} overlap (bytes from {begin} to {end}); the file is corrupt"
            )


_MAPPED: "weakref.WeakKeyDictionary[mmap.mmap, str]" = weakref.WeakKeyDictionary()  # open maps -> their file


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """name -> read-only array viewing the memory-mapped file (BF16 comes back as float32)."""
    if Path(path).stat().st_size == 0:
        raise CheckpointError(f"{path} is empty; re-download it")
    with open(path, "rb") as f:
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    _MAPPED[buf] = os.path.realpath(path)
    header, data_start = read_header(Path(path), buf)
    out = {}
    for name, entry in header.items():
        dtype = np.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<")
        begin, end = entry["data_offsets"]
        raw = np.frombuffer(buf, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=data_start + begin)
        raw = raw.reshape(entry["shape"])
        out[name] = _bf16_to_f32(raw) if entry["dtype"] == "BF16" else raw
    return out


def _bf16_to_f32(raw: np.ndarray) -> np.ndarray:
    # bfloat16 is the top half of a float32 (safetensors stores it as 2 raw bytes).
    return (raw.astype(np.uint32) << 16).view(np.float32)


def _mmap_of(array: np.ndarray) -> mmap.mmap | None:
    base = array
    while isinstance(base, (np.ndarray, memoryview)):
        base = base.base if isinstance(base, np.ndarray) else base.obj
    return base if isinstance(base, mmap.mmap) else None


def file_region(array: np.ndarray) -> tuple[str, int] | None:
    """(real path of the safetensors file, byte offset) when `array` is exactly a C-ordered run of a
    memory-mapped checkpoint's bytes (the tensor as stored), else None (converted or computed arrays)."""
    m = _mmap_of(array)
    if m is None or m.closed or m not in _MAPPED or not array.flags.c_contiguous:
        return None
    start = np.frombuffer(m, dtype=np.uint8, count=1).ctypes.data
    return _MAPPED[m], array.ctypes.data - start


def drop_resident_pages(arrays) -> int:
    """Tell the kernel it may drop the file pages behind memory-mapped `arrays` (they are re-read
    from disk if touched again). Called once an engine holds its own copy of the weights, so a
    loaded model does not count its checkpoint twice in RSS. Returns how many maps were advised."""
    maps = {}
    for array in arrays:
        base = _mmap_of(array)
        if base is not None:
            maps[id(base)] = base
    for m in maps.values():
        if not m.closed and hasattr(mmap, "MADV_DONTNEED"):
            m.madvise(mmap.MADV_DONTNEED)
    return len(maps)


def save_safetensors(tensors: dict[str, np.ndarray], path: Path, metadata: dict[str, str] | None = None) -> None:
    """Write `tensors` as one safetensors file (names in sorted order, data 8-byte aligned by the header's padding)."""
    names = {np.dtype(t).newbyteorder("<"): code for code, t in _DTYPES.items() if code != "BF16"}
    header: dict[str, object] = {"__metadata__": dict(metadata or {"format": "pt"})}
    arrays, offset = [], 0
    for name in sorted(tensors):
        array = np.asarray(tensors[name], order="C")  # (ascontiguousarray would make a 0-d tensor 1-d)
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        if array.dtype not in names:
            raise CheckpointError(f"tensor {name!r} has dtype {array.dtype}, which safetensors cannot store")
        header[name] = {"dtype": names[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        arrays.append(array)
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for array in arrays:
            f.write(memoryview(array.reshape(-1)).cast("B") if array.size else b"")
