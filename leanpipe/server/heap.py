"""Give freed heap memory back to the system after a large request.

A request near the body limit (2 MB of text, tokenized to find it too long, or 1,000 long texts)
makes the tokenizer and the JSON parser allocate a few hundred MB for a moment; glibc keeps those
pages in its arenas after they are freed, so without this the server's RSS stays near the high-water
mark (tests/test_server_load.py's abuse, whose 1.5 MB text is tokenized to be refused as too long, on
a tiny model's fresh server: 91 -> 220 MB without, 91 -> 103 MB with). malloc_trim(0) returns the free
pages of every arena. A no-op where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

LARGE_BODY_BYTES = 256_000  # requests at least this large are followed by a trim


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim with
        return None


def trim() -> None:
    """Return the heap's free pages to the system (glibc's malloc_trim(0))."""
    release = _malloc_trim()
    if release is not None:
        release(0)
