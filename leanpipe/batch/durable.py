"""Files that are either absent or complete: written under a temporary name, flushed to disk
(fsync), then renamed into place (os.replace is atomic on POSIX and Windows).

A crash (even SIGKILL or a power cut, once the rename is on disk) leaves the old file or the new
one, never half of one: `write_json_atomic(path, {"rows_done": 3000})`.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Iterator

TMP_SUFFIX = ".tmp"


def temp_name(path: Path) -> Path:
    """'out/part-00003.jsonl' -> 'out/.part-00003.jsonl.tmp' (hidden, in the same folder, so the rename is atomic)."""
    return path.with_name(f".{path.name}{TMP_SUFFIX}")


def fsync_file(path: Path) -> None:
    """Flush a closed file's data to disk (any descriptor of the file flushes the same inode)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(tmp: Path, path: Path) -> None:
    """Move a finished temporary file to its final name, durably."""
    fsync_file(tmp)
    os.replace(tmp, path)
    fsync_dir(path.parent)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """`with atomic_path(p) as tmp: write(tmp)`: `p` appears complete when the block ends without error."""
    tmp = temp_name(path)
    try:
        yield tmp
        publish(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_json_atomic(path: Path, value: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
