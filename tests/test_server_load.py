"""The HTTP server under load and under abuse, on loopback, bounded in count and time.

One server process (so its memory can be measured) serves a tiny text classifier. Sixteen clients
send well-formed requests for five seconds while another client misbehaves; none of the good
requests may fail, and p50/p99 latency are printed. Then each kind of abuse (oversized, malformed,
wrongly typed and too deeply nested bodies, too many or too long inputs, lone surrogates, clients
that stall or trickle their body, idle connections) must get a 4xx answer or be cut off, the server
must stay healthy and answer correctly, and its RSS must grow by less than RSS_BOUND_MB.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from leanpipe import pipeline  # noqa: E402

CLIENTS, LOAD_SECONDS = 16, 5.0
BODY_TIMEOUT_S = 1.5  # the server's body_timeout_s and header_timeout_s here (default 30 s and 10 s): stalled clients are cut off quickly
RSS_BOUND_MB = 60
TEXTS = ["I love it", "I hate this so much!", "The movie was okay.", "\u200bzero width", "", "שלום עולם", "a\x00b", "x" * 300]

LAUNCH = r"""
import socket, sys, uvicorn
from leanpipe.server import Settings, create_app, uvicorn_config
timeout = float(sys.argv[2])
app = create_app(sys.argv[1], "text-classification", settings=Settings(body_timeout_s=timeout, header_timeout_s=timeout),
                 num_threads=1)
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(512)
print(sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn_config(app, log_level="error", timeout_graceful_shutdown=5)).run(sockets=[sock])
"""


class Server:
    """`leanpipe.server` in its own process on a free loopback port."""

    def __init__(self, model: Path) -> None:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
        self.proc = subprocess.Popen([sys.executable, "-c", LAUNCH, str(model), str(BODY_TIMEOUT_S)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        line = self.proc.stdout.readline()
        assert line.strip().isdigit(), f"the server did not start: {self.proc.stderr.read()[-3000:]}"
        self.port = int(line)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while not self._healthy():
            assert time.monotonic() < deadline and self.proc.poll() is None, "the server never became healthy"
            time.sleep(0.05)

    def _healthy(self) -> bool:
        try:
            return httpx.get(self.url + "/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture(scope="module")
def server(checkpoints):
    if not Path("/proc/self/status").exists():
        pytest.skip("RSS is read from /proc (Linux)")
    running = Server(checkpoints["bert-cls"])
    yield running
    running.stop()


@pytest.fixture(scope="module")
def expected(checkpoints) -> dict[str, list]:
    pipe = pipeline("text-classification", model=checkpoints["bert-cls"])
    return {text: [pipe(text, top_k=None)] for text in TEXTS}  # POST / answers [[{label, score}, ...]]


def close_enough(got, want) -> bool:
    return [[d["label"] for d in r] for r in got] == [[d["label"] for d in r] for r in want] and all(
        abs(a["score"] - b["score"]) <= 1e-4 for r, s in zip(got, want) for a, b in zip(r, s))


# --- raw sockets, for clients that misbehave ---------------------------------------------------------------------


def raw_headers(server: Server, path: str = "/", length: int | None = 100, content_type: str = "application/json",
                chunked: bool = False) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}"]
    lines += ["Transfer-Encoding: chunked"] if chunked else [f"Content-Length: {length}"]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def read_status(sock: socket.socket, timeout: float = 30) -> int:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError(f"closed without an answer after {data!r}")
        data += chunk
    return int(data.split(b" ", 2)[1])


def closed_by_server(sock: socket.socket, timeout: float = 10) -> bool:
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
        return True
    except (ConnectionResetError, socket.timeout):
        return False


# --- load ------------------------------------------------------------------------------------------------------


def well_formed_client(url: str, seed: int, stop: threading.Event, out: list, expected: dict) -> None:
    rng = np.random.default_rng(seed)
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            text = TEXTS[rng.integers(len(TEXTS))]
            start = time.monotonic()
            try:
                r = client.post(url + "/", json={"inputs": text})
                ok = r.status_code == 200 and close_enough(r.json(), expected[text])
                out.append((time.monotonic() - start, ok, r.status_code if not ok else 200, text))
            except httpx.HTTPError as exc:
                out.append((time.monotonic() - start, False, repr(exc), text))


def misbehaving_client(server: Server, stop: threading.Event, statuses: list) -> None:
    """Meanwhile: a stalled body, malformed JSON, a wrong content type, a trickled body, in a loop."""
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            try:
                stalled = raw_headers(server, length=100)
                stalled.sendall(b'{"inputs": ')
                statuses.append(client.post(server.url + "/", content=b"{nope", headers={"content-type": "application/json"}).status_code)
                statuses.append(client.post(server.url + "/", content=b"inputs=x", headers={"content-type": "text/plain"}).status_code)
                statuses.append(read_status(stalled))
                stalled.close()
            except (OSError, httpx.HTTPError) as exc:  # recorded for the test to fail on, not lost with the thread
                statuses.append(repr(exc))


def test_sixteen_clients_for_five_seconds_with_a_misbehaving_one(server, expected):
    stop, results, abuse = threading.Event(), [], []
    threads = [threading.Thread(target=well_formed_client, args=(server.url, i, stop, results, expected)) for i in range(CLIENTS)]
    threads.append(threading.Thread(target=misbehaving_client, args=(server, stop, abuse)))
    for t in threads:
        t.start()
    time.sleep(LOAD_SECONDS)
    stop.set()
    for t in threads:
        t.join(60)
    latencies = np.array([r[0] for r in results]) * 1000
    failed = [r for r in results if not r[1]]
    print(f"\n{len(results)} requests from {CLIENTS} clients in {LOAD_SECONDS:.0f} s ({len(results) / LOAD_SECONDS:.0f}/s): "
          f"p50 {np.percentile(latencies, 50):.1f} ms, p99 {np.percentile(latencies, 99):.1f} ms, "
          f"max {latencies.max():.1f} ms; {len(abuse)} abusive requests answered {sorted(set(map(str, abuse)))}")
    assert not failed, f"{len(failed)} well-formed requests failed, e.g. {failed[:3]}"
    assert len(results) >= CLIENTS * 5
    assert abuse and set(abuse) <= {408, 415, 422}, sorted(set(map(str, abuse)))


# --- abuse -------------------------------------------------------------------------------------------------------


def post(server: Server, body, path: str = "/", content_type: str = "application/json", **kw) -> httpx.Response:
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return httpx.post(server.url + path, content=content, headers={"content-type": content_type}, timeout=60, **kw)


ABUSE = [
    # (what, path, body, content type, status, part of the message)
    ("malformed JSON", "/", b'{"inputs": "x"', "application/json", 422, "not valid JSON"),
    ("not UTF-8", "/", b'{"inputs": "\xff\xfe"}', "application/json", 422, "not valid JSON"),
    ("a JSON string", "/", b'"inputs"', "application/json", 422, "JSON object"),
    ("nested 100,000 deep", "/", b'{"inputs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "application/json", 422, "JSON"),
    ("nested 40 deep", "/", b'{"inputs": ' + b"[" * 40 + b'"x"' + b"]" * 40 + b"}", "application/json", 422, "nested"),
    ("text/plain", "/", b'{"inputs": "x"}', "text/plain", 415, "content-type: application/json"),
    ("a form", "/", b"inputs=x", "application/x-www-form-urlencoded", 415, "content-type"),
    ("multipart", "/embed", b"--b\r\n\r\nx\r\n--b--", "multipart/form-data; boundary=b", 415, "content-type"),
    ("a lone surrogate", "/", b'{"inputs": "a\\ud800b"}', "application/json", 422, "lone surrogate"),
    ("a number as text", "/", b'{"inputs": 5}', "application/json", 422, "string"),
    ("null inputs", "/predict", b'{"inputs": null}', "application/json", 422, "inputs"),
    ("1,025 inputs", "/", json.dumps({"inputs": ["a"] * 1025}).encode(), "application/json", 413, "batch size 1025"),
    ("1.5 MB text, no truncation", "/", json.dumps({"inputs": "word " * 300_000}).encode(), "application/json", 422,
     'send "parameters": {"truncation": true}'),  # the HTTP knob, not the pipeline's truncation=True
    ("unknown parameter", "/", b'{"inputs": "x", "parameters": {"top_k": 1, "evil": true}}', "application/json", 422, "evil"),
    ("huge top_k", "/", b'{"inputs": "x", "parameters": {"top_k": 1e308}}', "application/json", 422, "top_k"),
    ("ids out of range", "/decode", b'{"ids": [99999999999999999999]}', "application/json", 422, "ids"),
]


@pytest.mark.parametrize("what, path, body, content_type, status, message", ABUSE, ids=[a[0] for a in ABUSE])
def test_abusive_request_gets_4xx(what, path, body, content_type, status, message, server):
    r = post(server, body, path, content_type)
    assert r.status_code == status and message in r.json()["error"], f"{what}: {r.status_code} {r.text[:300]}"


def test_over_long_inputs_are_truncated_where_the_route_says_so(server):
    r = post(server, {"inputs": "word " * 300_000}, "/predict")  # text-embeddings-inference's auto_truncate
    assert r.status_code == 200 and len(r.json()) == 3


def test_oversized_bodies_get_413_without_being_read(server):
    sock = raw_headers(server, length=50_000_000)  # says 50 MB, sends nothing more
    assert read_status(sock) == 413 and closed_by_server(sock)
    chunked = httpx.post(server.url + "/", content=iter([b'{"inputs": "'] + [b"w" * 65536] * 40 + [b'"}']), timeout=30)
    assert chunked.status_code == 413  # 2.6 MB without a Content-Length: cut off at 2 MB


def test_slow_clients_time_out_without_blocking_others(server, expected):
    stalled = raw_headers(server, length=100)  # headers, then half a body, then nothing
    stalled.sendall(b'{"inputs": "wai')
    trickle = raw_headers(server, length=1000)  # a byte every 100 ms: would take 100 s
    quiet = socket.create_connection(("127.0.0.1", server.port))  # partial headers, then nothing
    quiet.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(50)]  # connect, say nothing
    start = time.monotonic()
    while time.monotonic() - start < BODY_TIMEOUT_S / 2:  # others are answered at once meanwhile
        t0 = time.monotonic()
        r = post(server, {"inputs": TEXTS[0]})
        assert r.status_code == 200 and close_enough(r.json(), expected[TEXTS[0]])
        assert time.monotonic() - t0 < 1.0
        trickle.sendall(b" ")
        time.sleep(0.1)
    for sock in (stalled, trickle, quiet):  # a stalled body, a trickled one, half a head: 408, then closed
        assert read_status(sock, timeout=BODY_TIMEOUT_S + 10) == 408
        assert closed_by_server(sock)
    for sock in idle:  # never said anything: closed without an answer
        sock.settimeout(10)
        assert sock.recv(65536) == b""
    assert time.monotonic() - start < BODY_TIMEOUT_S + 5
    for sock in (stalled, trickle, quiet, *idle):
        sock.close()
    assert httpx.get(server.url + "/health").status_code == 200


def test_a_kept_alive_connection_that_stalls_in_its_next_head_gets_408(server):
    body = json.dumps({"inputs": TEXTS[0]}).encode()
    sock = raw_headers(server, length=len(body))
    sock.sendall(body)
    assert read_status(sock) == 200
    sock.settimeout(0.3)  # the rest of the answer (if it came in more than one piece); then half of the next head
    try:
        while sock.recv(65536):
            pass
    except socket.timeout:
        pass
    sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
    start = time.monotonic()
    assert read_status(sock, timeout=BODY_TIMEOUT_S + 10) == 408
    assert closed_by_server(sock) and time.monotonic() - start < BODY_TIMEOUT_S + 2
    sock.close()


def test_memory_stays_bounded_and_the_server_healthy_after_abuse(server, expected):
    for _ in range(20):
        post(server, {"inputs": TEXTS[1]})
    before = server.rss_mb()
    junk = b'{"inputs": "' + b"\x00" * 1_900_000  # just under the 2 MB limit, never valid JSON
    for round_ in range(3):
        for what, path, body, content_type, status, _ in ABUSE:
            if round_ == 0 or len(body) < 100_000:  # the 1.5 MB text is tokenized: once is enough
                assert post(server, body, path, content_type).status_code == status, what
        for _ in range(20):
            assert post(server, junk).status_code == 422
        sock = raw_headers(server, length=50_000_000)
        assert read_status(sock) == 413
        sock.close()
    after = server.rss_mb()
    print(f"\nserver RSS: {before:.0f} MB before the abuse, {after:.0f} MB after (bound: +{RSS_BOUND_MB} MB)")
    assert after - before < RSS_BOUND_MB
    assert httpx.get(server.url + "/health").status_code == 200
    for text in TEXTS[:3]:
        r = post(server, {"inputs": text})
        assert r.status_code == 200 and close_enough(r.json(), expected[text])


def test_the_batcher_keeps_nothing_of_a_served_request():
    """Once a request is answered, the worker holds none of it until the next one arrives: not its
    inputs, not a failed call's traceback (whose frames held the tokenizer's encodings of a 1.5 MB text,
    ~50 MB, until the next request; see test_memory_stays_bounded_and_the_server_healthy_after_abuse)."""
    import gc
    import weakref

    from leanpipe.server.batcher import Batcher

    class Inputs(list):  # a list that can be weakly referenced
        pass

    held = []

    def run(task, params, inputs):
        encodings = Inputs(["what a failed call's frame holds"])  # noqa: F841  (a local of the failing frame)
        held.append(weakref.ref(encodings))
        raise ValueError("too long")

    batcher = Batcher(run, max_batch_tokens=100, max_wait=0.0, max_pending=10)
    batcher.start()
    try:
        request = Inputs(["some text"])
        sent = weakref.ref(request)
        future = batcher.submit("text-classification", {}, request, tokens=3, size=1)
        del request
        with pytest.raises(ValueError, match="too long"):
            future.result(timeout=10)
        del future
        time.sleep(0.2)  # the worker is back waiting for the next request
        gc.collect()
        assert sent() is None and held[0]() is None
    finally:
        batcher.stop(5)
