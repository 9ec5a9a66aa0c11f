"""Small NumPy products between engine calls, on one BLAS thread.

NumPy's OpenBLAS runs a product of a few MB on every core, and its worker threads then busy-wait for a
while before sleeping; onnxruntime's own threads, running the next batch meanwhile, lose those cores.
A sentence-transformers Dense module (embeddinggemma-300m's 768 -> 3072 -> 768 after each batch) made
every call of an embeddinggemma-300m-shaped SentenceTransformer.encode take 48 ms instead of 18 ms for
one short text (session.run itself 35 instead of 17 ms), and LaBSE-style models pay the same. Inside
`single_threaded()` OpenBLAS runs on the calling thread only; the count is restored after, so the
NumPy engine and the user's own NumPy keep every core. A no-op where the BLAS is not an OpenBLAS that
can be found in this process (/proc/self/maps) and set at run time.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import threading
from pathlib import Path
from typing import Iterator

# OpenBLAS's thread-count functions under the names its builds export (NumPy's wheels: scipy-openblas)
_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads")
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _openblas() -> tuple | None:
    """(get, set) of the OpenBLAS this process has loaded, or None."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for path in sorted({line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower() and "/" in line}):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for setter in _SETTERS:
            getter = setter.replace("_set_", "_get_")
            if hasattr(lib, setter) and hasattr(lib, getter):
                return getattr(lib, getter), getattr(lib, setter)
    return None


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """NumPy's BLAS on one thread inside the block (see the module's docstring)."""
    blas = _openblas()
    if blas is None:
        yield
        return
    get, set_ = blas
    with _lock:
        before = get()
        set_(1)
        try:
            yield
        finally:
            set_(before)
