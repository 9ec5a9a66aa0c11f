"""Read safetensors files without copying: each tensor is a NumPy view of a memory-mapped file.

Format (safetensors spec): 8-byte little-endian header length N, N bytes of JSON
`{name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
then the raw little-endian data; offsets are relative to the end of the header.
"""

from __future__ import annotations

import json
import mmap
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
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: safetensors header is not valid JSON ({exc}); re-download it") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: safetensors header must be a JSON object")
    header.pop("__metadata__", None)
    data_start, data_len = 8 + n, size - 8 - n
    for name, entry in header.items():
        _check_entry(path, name, entry, data_len)
    return header, data_start


def _check_entry(path: Path, name: str, entry: object, data_len: int) -> None:
    if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
        raise CheckpointError(f"{path}: entry {name!r} lacks dtype/shape/data_offsets")
    if entry["dtype"] not in _DTYPES:
        raise CheckpointError(f"{path}: tensor {name!r} has dtype {entry['dtype']!r}; supported: {sorted(_DTYPES)}")
    begin, end = entry["data_offsets"]
    shape = entry["shape"]
    if not all(isinstance(d, int) and d >= 0 for d in shape):
        raise CheckpointError(f"{path}: tensor {name!r} has invalid shape {shape}")
    nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(_DTYPES[entry["dtype"]]).itemsize
    if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= data_len and end - begin == nbytes):
        raise CheckpointError(
            f"{path}: tensor {name!r} offsets [{begin}, {end}] do not match its shape {shape} and dtype "
            f"{entry['dtype']} within the {data_len}-byte data section; the file is truncated or corrupt"
        )


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """name -> read-only array viewing the memory-mapped file (BF16 comes back as float32)."""
    if Path(path).stat().st_size == 0:
        raise CheckpointError(f"{path} is empty; re-download it")
    with open(path, "rb") as f:
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
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


def drop_resident_pages(arrays) -> int:
    """Tell the kernel it may drop the file pages behind memory-mapped `arrays` (they are re-read
    from disk if touched again). Called once an engine holds its own copy of the weights, so a
    loaded model does not count its checkpoint twice in RSS. Returns how many maps were advised."""
    maps = {}
    for array in arrays:
        base = array
        while isinstance(base, (np.ndarray, memoryview)):
            base = base.base if isinstance(base, np.ndarray) else base.obj
        if isinstance(base, mmap.mmap):
            maps[id(base)] = base
    for m in maps.values():
        if not m.closed and hasattr(mmap, "MADV_DONTNEED"):
            m.madvise(mmap.MADV_DONTNEED)
    return len(maps)
