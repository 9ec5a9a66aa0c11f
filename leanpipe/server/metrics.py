"""Prometheus metrics in the text exposition format (no client library): counters, gauges, histograms.

leanpipe_requests_total{route="/embed",method="POST",status="200"} 12
leanpipe_request_duration_seconds_bucket{route="/embed",le="0.005"} 3
leanpipe_queue_size 0
leanpipe_batch_requests_bucket{le="4"} 7            (requests merged into one pipeline call)
"""

from __future__ import annotations

import threading
from typing import Callable

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
COUNT_BUCKETS = tuple(float(2**i) for i in range(13))  # 1 .. 4096
TOKEN_BUCKETS = tuple(float(2**i) for i in range(4, 21))  # 16 .. 1M


class Histogram:
    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * len(buckets)  # per bucket, not cumulative
        self.total, self.n = 0.0, 0

    def observe(self, value: float) -> None:
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1
                break
        self.total += value
        self.n += 1

    def lines(self, name: str, labels: str) -> list[str]:
        sep = "," if labels else ""
        out, running = [], 0
        for bound, count in zip(self.buckets, self.counts):
            running += count
            out.append(f'{name}_bucket{{{labels}{sep}le="{bound:g}"}} {running}')
        out.append(f'{name}_bucket{{{labels}{sep}le="+Inf"}} {self.n}')
        braces = f"{{{labels}}}" if labels else ""
        out += [f"{name}_sum{braces} {self.total:.6g}", f"{name}_count{braces} {self.n}"]
        return out


class Metrics:
    """Thread-safe: the event loop records requests, the batcher's worker records batches."""

    def __init__(self, gauges: dict[str, tuple[str, Callable[[], float]]] | None = None) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, int], int] = {}
        self._latency: dict[str, Histogram] = {}
        self._batch = {"requests": Histogram(COUNT_BUCKETS), "inputs": Histogram(COUNT_BUCKETS),
                       "tokens": Histogram(TOKEN_BUCKETS), "duration_seconds": Histogram(LATENCY_BUCKETS)}
        self._queue_time = Histogram(LATENCY_BUCKETS)
        self.gauges = dict(gauges or {})  # name -> (help, read the current value)

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            key = (route, method, status)
            self._requests[key] = self._requests.get(key, 0) + 1
            self._latency.setdefault(route, Histogram(LATENCY_BUCKETS)).observe(seconds)

    def batch(self, requests: int, inputs: int, tokens: int, seconds: float, queued: list[float]) -> None:
        """One pipeline call: how many requests and inputs it merged, their estimated tokens, its time."""
        with self._lock:
            for name, value in (("requests", requests), ("inputs", inputs), ("tokens", tokens), ("duration_seconds", seconds)):
                self._batch[name].observe(value)
            for wait in queued:
                self._queue_time.observe(wait)

    def render(self) -> str:
        with self._lock:
            out = _header("leanpipe_requests_total", "counter", "HTTP requests by route, method and status")
            out += [f'leanpipe_requests_total{{route="{r}",method="{m}",status="{s}"}} {n}'
                    for (r, m, s), n in sorted(self._requests.items())]
            out += _header("leanpipe_request_duration_seconds", "histogram", "request latency by route")
            for route, hist in sorted(self._latency.items()):
                out += hist.lines("leanpipe_request_duration_seconds", f'route="{route}"')
            out += _header("leanpipe_queue_duration_seconds", "histogram", "time a request waited for the batcher")
            out += self._queue_time.lines("leanpipe_queue_duration_seconds", "")
            for name, hist in self._batch.items():
                out += _header(f"leanpipe_batch_{name}", "histogram", f"per merged pipeline call: {name.replace('_', ' ')}")
                out += hist.lines(f"leanpipe_batch_{name}", "")
        for name, (help_text, read) in self.gauges.items():
            out += _header(name, "gauge", help_text) + [f"{name} {read():g}"]
        return "\n".join(out) + "\n"


def _header(name: str, kind: str, help_text: str) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
