"""sentence-transformers' multi-process pool, as far as it fits a CPU engine:

    pool = model.start_multi_process_pool()          # or (["cpu", "cpu"])
    vectors = model.encode(sentences, pool=pool)     # or encode(..., device=["cpu", "cpu"]), chunk_size=...
    model.stop_multi_process_pool(pool)

sentence-transformers starts one worker process per target device, each with its own copy of the
model. On a CPU that buys nothing leanpipe's engine does not already do: onnxruntime spreads every
batch over all cores with its own threads, and two one-thread processes measured 0-2% faster than one
two-thread process here (all-MiniLM-L6-v2, README), at twice the memory. So a leanpipe pool starts no
process: its work runs in the calling process, with the same answers (embeddings, scores) as
without it, and the pool only records the devices it was given. Anything but the CPU is refused.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

from .errors import InputError
from .placement import check_placement

logger = logging.getLogger(__name__)

POOL_KEYS = ("input", "output", "processes")


def start_pool(target_devices: Sequence[Any] | None = None) -> dict[str, Any]:
    """The pool `encode(pool=...)` takes: {"input": None, "output": None, "processes": [],
    "target_devices": [...]} (sentence-transformers' keys; no queues, no processes)."""
    devices = ["cpu"] if target_devices is None else list(check_devices(target_devices, "target_devices"))
    logger.info("leanpipe runs a multi-process pool's work in this process (its engine uses every core): %s", devices)
    return {"input": None, "output": None, "processes": [], "target_devices": devices}


def stop_pool(pool: Any) -> None:
    """Nothing to stop; the pool is checked so a wrong argument still fails as it would in sentence-transformers."""
    check_pool(pool)


def check_devices(devices: Any, what: str = "device") -> list[Any]:
    """A list of CPU devices ("cpu", "cpu:0", torch.device("cpu"), -1); InputError naming the fix otherwise."""
    if not isinstance(devices, (list, tuple)) or not devices:
        raise InputError(f"{what}={devices!r}: give a non-empty list of devices, e.g. ['cpu', 'cpu']")
    for device in devices:
        check_placement(str(device).split(":")[0] if str(device).startswith("cpu:") else device, None)
    return list(devices)


def check_pool(pool: Any) -> None:
    if not isinstance(pool, dict) or not all(key in pool for key in POOL_KEYS):
        raise InputError(f"pool={type(pool).__name__}: pass the dict that start_multi_process_pool() returned")


def check_pool_call(pool: Any, device: Any, chunk_size: Any) -> None:
    """encode / predict's pool arguments: a pool from start_multi_process_pool, a list of CPU devices
    (sentence-transformers starts a temporary pool on them), and a positive chunk_size (or None)."""
    if pool is not None:
        check_pool(pool)
    if isinstance(device, (list, tuple)):
        check_devices(device)
    elif device is not None:
        check_placement(device, None)
    if chunk_size is not None and (not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size <= 0):
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size}.")


class PoolCalls:
    """start_multi_process_pool / stop_multi_process_pool / encode_multi_process on a model class."""

    def start_multi_process_pool(self, target_devices: Sequence[Any] | None = None) -> dict[str, Any]:
        return start_pool(target_devices)

    @staticmethod
    def stop_multi_process_pool(pool: Any) -> None:
        stop_pool(pool)
