"""Dynamic batching: concurrent requests share model batches.

Requests go into a queue. One worker thread takes the first waiting request, then keeps taking
more for up to `max_wait` seconds or until their estimated tokens reach `max_batch_tokens`, and
runs each group of requests for the same task and parameters as ONE pipeline call
(`Pipeline.answers`), whose length-sorted batching then mixes their inputs. Each request gets its
own answer back through a future. The worker is the only thread that runs models.

    batcher = Batcher(run, max_batch_tokens=16384, max_wait=0.002, max_pending=512)
    future = batcher.submit("text-classification", {"top_k": None}, "I love it", tokens=5, inputs=1)
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable

from ..tasks.token_ids import TokenIds
from .metrics import Metrics

log = logging.getLogger("leanpipe.server")

# run(task, params, [one request's inputs, ...]) -> [that request's answer, ...]
Runner = Callable[[str, dict[str, Any], list[Any]], list[Any]]
_STOP = object()


class Overloaded(Exception):
    """max_pending requests are already queued or running (HTTP 429)."""


class ShuttingDown(Exception):
    """The server is stopping and takes no new work (HTTP 503)."""


@dataclass
class Job:
    task: str
    params: dict[str, Any]
    inputs: Any  # one request's pipeline input: a text, a list of texts, a dict ...
    tokens: int  # estimated, for the token budget
    size: int  # number of inputs, for the metrics
    future: Future = field(default_factory=Future)
    queued_at: float = field(default_factory=time.monotonic)

    @property
    def key(self) -> str:
        """Requests with equal keys run in one pipeline call."""
        return self.task + json.dumps(self.params, sort_keys=True, default=repr)


class Batcher:
    def __init__(self, run: Runner, *, max_batch_tokens: int, max_wait: float, max_pending: int,
                 metrics: Metrics | None = None) -> None:
        self.run, self.max_batch_tokens, self.max_wait, self.max_pending = run, max_batch_tokens, max_wait, max_pending
        self.metrics = metrics
        self._queue: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self._pending = 0  # submitted and not yet answered
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="leanpipe-batcher", daemon=True)

    # --- the request side (event loop) ----------------------------------------------------------

    def submit(self, task: str, params: dict[str, Any], inputs: Any, *, tokens: int, size: int) -> Future:
        with self._lock:
            if self._closed:
                raise ShuttingDown("the server is shutting down; retry on another instance")
            if self._pending >= self.max_pending:
                raise Overloaded(f"{self._pending} requests are already queued or running (limit "
                                 f"{self.max_pending}); retry shortly")
            self._pending += 1
        job = Job(task, params, inputs, tokens, size)
        self._queue.put(job)
        return job.future

    @property
    def queue_size(self) -> int:
        """Requests waiting for the worker (not counting the group it is running)."""
        return self._queue.qsize()

    @property
    def pending(self) -> int:
        return self._pending

    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Take no new requests, answer every queued one, then end the worker."""
        with self._lock:
            self._closed = True
        self._queue.put(_STOP)
        if self._thread.is_alive():
            self._thread.join(timeout)

    # --- the worker thread ------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._serve_next():
            pass

    def _serve_next(self) -> bool:
        """Wait for a request, run it with those collected after it; True when a stop came. Its own
        frame, so that nothing of a served group (its inputs, answers, a failure and the encodings its
        traceback held: ~50 MB for a 1.5 MB text refused as too long) outlives it until the next request."""
        first = self._queue.get()
        if first is _STOP:
            return True
        jobs, stop = self._collect(first)
        groups: dict[str, list[Job]] = {}
        for job in jobs:
            groups.setdefault(job.key, []).append(job)
        for group in groups.values():
            try:
                self._run_group(group)
            except Exception:  # a bug here must not end the worker and hang every later request
                log.exception("batcher failed on a group of %d requests", len(group))
        return stop

    def _collect(self, first: Job) -> tuple[list[Job], bool]:
        """`first` and the requests that follow it within max_wait, up to the token budget."""
        jobs, tokens = [first], first.tokens
        deadline = time.monotonic() + self.max_wait
        while tokens < self.max_batch_tokens:
            left = deadline - time.monotonic()
            try:
                job = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if job is _STOP:
                return jobs, True
            jobs.append(job)
            tokens += job.tokens
        return jobs, False

    def _run_group(self, group: list[Job]) -> None:
        live = [job for job in group if job.future.set_running_or_notify_cancel()]  # skip clients that left
        self._release(len(group) - len(live))
        if live:
            self._run_jobs(live)

    def _run_jobs(self, jobs: list[Job]) -> None:
        """One pipeline call for all `jobs`; if it fails, each half on its own, so that one bad
        request fails alone and costs about 2*log2(len(jobs)) extra calls, not one per request."""
        start = time.monotonic()
        try:
            answers = self.run(jobs[0].task, jobs[0].params, [job.inputs for job in jobs])
        except Exception as exc:
            if len(jobs) == 1:
                self._answer(jobs[0], exc=exc)
            else:
                self._run_jobs(jobs[: len(jobs) // 2])
                self._run_jobs(jobs[len(jobs) // 2:])
            return
        if self.metrics is not None:
            self.metrics.batch(len(jobs), sum(j.size for j in jobs), sum(j.tokens for j in jobs),
                               time.monotonic() - start, [start - j.queued_at for j in jobs])
        for job, answer in zip(jobs, answers):
            self._answer(job, answer)

    def _answer(self, job: Job, result: Any = None, exc: BaseException | None = None) -> None:
        if exc is not None:
            if not isinstance(exc, (ValueError, TypeError, LookupError)):
                log.error("pipeline call failed", exc_info=exc)
            job.future.set_exception(exc.with_traceback(None))  # logged above if a bug; its frames hold the batch
        else:
            job.future.set_result(result)
        self._release(1)

    def _release(self, n: int) -> None:
        with self._lock:
            self._pending -= n


def estimate_tokens(value: Any) -> int:
    """A cheap token count for the budget, without tokenizing: about 4 characters per token.

    estimate_tokens("I love it") -> 4;  estimate_tokens({"question": "Who?", "context": "Ann."}) -> 6;
    estimate_tokens(TokenIds([101, 7592, 102])) -> 3
    """
    if isinstance(value, str):
        return len(value) // 4 + 2  # + [CLS] and [SEP]
    if isinstance(value, TokenIds):
        return len(value)
    if isinstance(value, dict):
        return sum(estimate_tokens(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(estimate_tokens(v) for v in value)
    return 1
