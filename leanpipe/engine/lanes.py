"""Lanes: many batches of one call run side by side, one core each, instead of one after another on
all cores.

onnxruntime splits each op of a batch evenly over its intra-op threads and waits for the last one
at every op, so a batch runs at the pace of the slowest core. On a shared host the cores are not
always equal: on this 2-core VM (AMD EPYC) the same all-MiniLM-L6-v2 pass over the bench's 2,000
sentences (sorted batches of 32, engine only) took 5.6 s in some minutes and 6.3-6.8 s in others
with 2 intra-op threads, while a session with 1 intra-op thread driven by 2 threads, each taking
the next batch, took 5.45-5.7 s throughout; int8 3.6-3.9 s against 2.5 s; a DistilBERT-base
classifier 4.7-5.0 against 4.7-4.9 s. A batch of one call at a time (one sentence's latency)
still uses every core.

`worth_lanes([768, 700, 650, 90], lanes=2)` -> True: every lane gets about the same work when the
longest batches go first. One large batch (a direct `model(**inputs)` call; a pipeline call of too
few batches for lanes) is cut into pieces of rows that run side by side the same way (`row_pieces`).
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Sequence

import numpy as np

Feeds = dict[str, np.ndarray]
Outputs = dict[str, np.ndarray]

# LEANPIPE_LANES=0 keeps every call on the one multi-threaded session: no second session, so no
# second copy of the packed weight matrices (all-MiniLM-L6-v2 ~45 MB, a DistilBERT-base ~170 MB).
OFF_VALUES = ("0", "false", "no", "off")


def lanes_enabled() -> bool:
    return os.environ.get("LEANPIPE_LANES", "").strip().lower() not in OFF_VALUES


def worth_lanes(costs: Sequence[int], lanes: int) -> bool:
    """Whether batches of these costs (padded tokens) finish sooner `lanes` at a time, one core
    each: at least two batches per lane, and none longer than a lane's fair share, so handing out
    the longest first evens the lanes out (two batches of 768 and 90 tokens would leave one core
    idle while the other runs the long one alone at half speed)."""
    return lanes >= 2 and len(costs) >= 2 * lanes and max(costs) * lanes <= sum(costs)


# one batch is cut into pieces of about this many padded tokens when it holds at least one per lane:
# all-MiniLM-L6-v2, engine only, one padded batch against its rows cut into pieces on 2 lanes:
# 64 x 107 tokens 939 -> 822 ms, 128 x 131 2371 -> 1999 ms, 256 x 17 518 -> 473 ms, 4 x 384
# 222 -> 205 ms, 8 x 128 122 -> 115 ms; 32 x 25 (800 tokens) 90 -> 89 ms; smaller batches ran
# slower in pieces (8 x 20: 25 -> 35 ms with 4 pieces), so they stay whole. Those gains are the lanes'
# own, measured in minutes when the cores ran unequal; when they ran equal: 64 x 82 705 vs 703 ms
PIECE_TOKENS = 512


def row_pieces(rows: int, tokens: int, lanes: int) -> list[slice]:
    """Where to cut one batch of `rows` rows and `tokens` padded tokens so its pieces run side by side
    on `lanes` lanes: about PIECE_TOKENS each, at least two per lane, whole rows; [] (keep it whole)
    when it is smaller than a piece per lane or has fewer than two rows per lane.

    `row_pieces(8, 8 * 128, 2)` -> [slice(0, 2), slice(2, 4), slice(4, 6), slice(6, 8)]"""
    if lanes < 2 or rows < 2 * lanes or tokens < lanes * PIECE_TOKENS:
        return []
    n = min(rows, max(2 * lanes, tokens // PIECE_TOKENS))
    bounds = [rows * i // n for i in range(n + 1)]
    return [slice(a, b) for a, b in zip(bounds, bounds[1:])]


def joined_rows(parts: list[Outputs], pieces: list[slice]) -> Outputs | None:
    """The outputs of a batch's row pieces as the whole batch's, each output's rows in order; None when
    some output does not have one row per input row (it cannot be put together from pieces)."""
    for part, piece in zip(parts, pieces):
        if part.keys() != parts[0].keys() or any(np.ndim(v) == 0 or len(v) != piece.stop - piece.start for v in part.values()):
            return None
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def padded_tokens(feeds: Feeds) -> int:
    """(B, T) of the batch's largest input: its padded tokens. `{"input_ids": zeros((32, 20))}` -> 640"""
    return max((int(np.prod(a.shape[:2])) for a in feeds.values() if np.ndim(a) >= 2), default=0)


class Lanes:
    """`lanes` threads that each run whole batches through `run` (a session with one intra-op thread);
    idle, they exit when the Lanes object is collected (ThreadPoolExecutor's workers hold it weakly)."""

    def __init__(self, run: Callable[[Feeds], Outputs], lanes: int) -> None:
        self._run = run
        self._pool = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="leanpipe-lane")

    def run_all(self, feeds: list[Feeds], costs: Sequence[int]) -> list[Outputs]:
        """Each batch's outputs, in the order of `feeds`; handed to the lanes longest first."""
        futures: dict[int, Future] = {}
        try:
            for i in sorted(range(len(feeds)), key=lambda i: -costs[i]):
                futures[i] = self._pool.submit(self._run, feeds[i])
            return [futures[i].result() for i in range(len(feeds))]
        finally:  # a failed batch: the ones not started yet are dropped
            for future in futures.values():
                future.cancel()
