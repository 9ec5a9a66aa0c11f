"""A progress bar on stderr for `leanpipe run --input`, shown only when a person is watching.

Uses tqdm when it is installed; otherwise a one-line bar of its own:
`  1,024/10,000 rows  10% | 412.3 rows/s | ETA 0:00:21`
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


def progress(total: int | None, *, stream: TextIO | None = None) -> Any:
    """A bar with `.update(n)` and `.close()`; a silent one when stderr is not a terminal."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return Bar(total, stream)
    return tqdm(total=total, unit=" rows", file=stream, dynamic_ncols=True)


class NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class Bar:
    """Rows done, percent, rows/s and ETA, redrawn at most ten times a second."""

    def __init__(self, total: int | None, stream: TextIO) -> None:
        self.total, self.stream = total, stream
        self.done = 0
        self.start = self.drawn = time.monotonic()

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.drawn >= 0.1:
            self.drawn = now
            self._draw(now)

    def close(self) -> None:
        self._draw(time.monotonic())
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self, now: float) -> None:
        self.stream.write("\r" + line(self.done, self.total, now - self.start))
        self.stream.flush()


def line(done: int, total: int | None, elapsed: float) -> str:
    """`line(50, 200, 10.0)` -> '  50/200 rows  25% | 5.0 rows/s | ETA 0:00:30'."""
    rate = done / elapsed if elapsed > 0 else 0.0
    if total:
        eta = (total - done) / rate if rate > 0 and total > done else 0.0
        return (f"  {done:,}/{total:,} rows {100 * min(done / total, 1):3.0f}% | {rate:,.1f} rows/s | "
                f"ETA {_clock(eta)}")
    return f"  {done:,} rows | {rate:,.1f} rows/s | {_clock(elapsed)}"


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
