"""`leanpipe batch --ray --ray-address ray://HOST:PORT`: the batch job through Ray Client, against a
head node that `ray start --head` runs in its own session on loopback, with token authentication
on (Ray 2.59+ turns it on for clusters started that way). The CLI runs in a subprocess from another
working directory, with relative paths; the answers are the pipeline's own. About 20 s.

In its own module so it runs after test_batch.py's local Ray instance has shut down (two Ray
instances on 2 CPUs would starve each other)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray.data")
pytest.importorskip("grpc", reason="ray:// needs Ray Client (pip install 'ray[client]', in leanpipe[ray])")

from leanpipe import pipeline  # noqa: E402
from leanpipe.batch import ray_job  # noqa: E402
from leanpipe.batch.job import JobError  # noqa: E402

TEXTS = [f"sentence number {i}: {'and more words ' * (i % 7)}".strip() for i in range(120)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_processes(sid: int) -> list[int]:
    """Every process in session `sid` (what `ray start` started: it detaches from its parent, not from its session)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp session ...
            if int(fields[3]) == sid:
                found.append(int(entry))
    return found


@pytest.fixture(scope="module")
def ray_head():
    """(address, environment) of a fresh head node; its processes are killed, and only them, at the end."""
    temp = tempfile.mkdtemp(prefix="lprc")  # short: Ray's socket paths must stay under 107 bytes
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "LEANPIPE_TEST_RAY_TEMP": temp, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16),
           "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    client_port = free_port()
    ray_cli = Path(sys.executable).with_name("ray")
    start = subprocess.Popen([str(ray_cli), "start", "--head", "--port", str(free_port()), "--ray-client-server-port",
                              str(client_port), "--num-cpus", "2", "--include-dashboard", "false",
                              "--node-ip-address", "127.0.0.1", "--temp-dir", temp],
                             env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = start.communicate(timeout=120)
    address = f"ray://127.0.0.1:{client_port}"
    try:
        assert start.returncode == 0, out
        wait_for_client_server(address, env)
        yield address, env
    finally:
        for pid in session_processes(start.pid):
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        subprocess.run(["rm", "-rf", temp], check=False)


def client_server_log(env: dict) -> str:
    """The end of the head's Ray Client server logs, for a failure message."""
    logs = sorted(Path(env["LEANPIPE_TEST_RAY_TEMP"]).glob("session_latest/logs/ray_client_server*.err"))
    return "".join(f"\n--- {log.name}:\n{log.read_text()[-3000:]}" for log in logs)


def wait_for_client_server(address: str, env: dict, attempts: int = 4) -> None:
    """A first Ray Client session right after `ray start` can fail while the head's agents are still
    starting ("Starting Ray client server failed", seen about one run in four on this 2-core machine):
    run a trivial task through the address until one succeeds, so the test measures the job."""
    probe = f"import ray; ray.init({address!r}); assert ray.get(ray.remote(lambda: 1).remote()) == 1"
    for attempt in range(attempts):
        done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
        if done.returncode == 0:
            return
        time.sleep(2)
    raise AssertionError(f"the Ray Client server at {address} never answered:\n{done.stderr[-2000:]}{client_server_log(env)}")


def run_cli(env: dict, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "leanpipe.cli", "batch", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_ray_client_job_matches_the_pipeline(ray_head, minilm, tmp_path):
    address, env = ray_head
    work = tmp_path / "work"
    work.mkdir()
    (work / "in.jsonl").write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    args = ["sentence-embeddings", "-m", str(minilm), "-i", "in.jsonl", "-o", "out", "--ray", "--ray-address", address]
    done = run_cli(env, work, *args)
    assert done.returncode == 0, done.stderr[-3000:] + client_server_log(env)
    assert f"{len(TEXTS)} rows -> out/ on Ray (1 actor x 1 thread)" in done.stderr, done.stderr[-3000:]

    rows = [json.loads(line) for f in sorted((work / "out").iterdir()) for line in f.read_text().splitlines()]
    rows.sort(key=lambda r: r["id"])
    assert [r["id"] for r in rows] == list(range(len(TEXTS))) and all(r["error"] is None for r in rows)
    got = np.array([json.loads(r["result"]) for r in rows])
    expected = np.array(pipeline("sentence-embeddings", model=minilm)(TEXTS))
    diff = float(np.abs(got - expected).max())
    assert diff <= 1e-5, f"Ray Client job vs the pipeline: max abs difference {diff:.3g}"

    again = run_cli(env, work, *args)  # the driver's own error, as the local job words it, no Ray traceback
    assert again.returncode == 1 and "out already exists; pass --no-resume" in again.stderr, again.stderr[-3000:]
    assert "Traceback" not in again.stderr


def test_unreachable_client_server_says_what_to_check(monkeypatch):
    class Ray:
        @staticmethod
        def init(address=None):
            raise ConnectionError("ray client connection timeout")

    with pytest.raises(JobError, match=r"ray://head:10001 \(ray client connection timeout\).*RAY_AUTH_MODE=token"):
        ray_job.connect(Ray, "ray://head:10001")
    monkeypatch.setenv("RAY_ADDRESS", "ray://other:10001")
    with pytest.raises(JobError, match="ray://other:10001"):
        ray_job.connect(Ray, None)
    with pytest.raises(ConnectionError):  # not a client address: Ray's own error
        ray_job.connect(Ray, "127.0.0.1:6379")


def test_a_client_server_still_starting_is_asked_again(monkeypatch):
    calls = []

    class Ray:
        @staticmethod
        def init(address=None):
            calls.append(address)
            if len(calls) < 3:
                raise ConnectionError("Initialization failure from server: Starting Ray client server failed")

    monkeypatch.setattr(ray_job.time, "sleep", lambda seconds: None)
    ray_job.connect(Ray, "ray://head:10001")
    assert calls == ["ray://head:10001"] * 3
    calls.clear()
    with pytest.raises(JobError, match="Initialization failure"):  # not forever: the third failure is said
        ray_job.connect(Ray, "ray://head:10001", attempts=2)
