"""`leanpipe serve --model M` (or `--task T` alone: the task's default checkpoint): the HTTP server
(leanpipe.server) on uvicorn."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
from typing import Any, Iterator

from .common import CliError, add_model_options, model_and_revision, model_options, positive_int, resolve_task
from .infer import task_for_model

EXAMPLES = """examples:
  leanpipe serve --model ./my-classifier
  leanpipe serve --model sentence-transformers/all-MiniLM-L6-v2 --port 8080
  leanpipe serve --task zero-shot-classification   # the task's default model, as pipeline(task) takes it
  curl -s localhost:8080/ -d '{"inputs": "I love it"}' -H 'content-type: application/json'
"""


def add_parser(commands: Any) -> None:
    from ..server.settings import Settings

    d = Settings()
    p = commands.add_parser(
        "serve", help="serve a model over HTTP (Inference API and text-embeddings-inference routes)",
        description="Serve one model over HTTP: POST / answers as the Hugging Face Inference API does "
                    "(huggingface_hub.InferenceClient(base_url=...) works unchanged), plus "
                    "text-embeddings-inference's /embed /predict /rerank /similarity /tokenize /info "
                    "/health /metrics and /openapi.json. Needs `pip install 'leanpipe[server]'`.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_options(p, model_required=False)
    p.add_argument("--task", "-t", help="task for POST / (default: from config.json's architectures); "
                                        "without --model, the task's default model is served")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    p.add_argument("--api-key", default=os.environ.get("LEANPIPE_API_KEY"),
                   help="require `Authorization: Bearer KEY` (default: $LEANPIPE_API_KEY; none: open)")
    p.add_argument("--max-batch-tokens", type=positive_int, default=d.max_batch_tokens,
                   help=f"token budget of one merged batch of requests (default {d.max_batch_tokens})")
    p.add_argument("--max-wait-ms", type=float, default=d.max_wait_ms,
                   help=f"how long the batcher waits for more requests (default {d.max_wait_ms} ms)")
    p.add_argument("--max-concurrent-requests", type=positive_int, default=d.max_concurrent_requests,
                   help=f"requests queued or running before 429 (default {d.max_concurrent_requests})")
    p.add_argument("--max-body-bytes", type=positive_int, default=d.max_body_bytes,
                   help=f"largest request body before 413 (default {d.max_body_bytes})")
    p.add_argument("--max-client-batch-size", type=positive_int, default=d.max_client_batch_size,
                   help=f"most inputs in one request before 413 (default {d.max_client_batch_size})")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..server import create_app
        from ..server.protocol import uvicorn_config
        from ..server.settings import Settings
    except ImportError as exc:
        raise CliError(f"leanpipe serve needs starlette and uvicorn ({exc.name} is missing): "
                       f"pip install 'leanpipe[server]'") from None
    if args.model is None and args.task is None:
        raise CliError("give --model PATH_OR_REPO, or --task TASK to serve that task's default model "
                       "(see `leanpipe tasks`)", code=2)
    task = args.task or task_for_model(args.model, args.revision)
    resolve_task(task)
    model, revision = model_and_revision(args, task)
    settings = Settings(max_batch_tokens=args.max_batch_tokens, max_wait_ms=args.max_wait_ms,
                        max_concurrent_requests=args.max_concurrent_requests, max_body_bytes=args.max_body_bytes,
                        max_client_batch_size=args.max_client_batch_size, api_key=args.api_key)
    app = create_app(model, task, settings=settings, **model_options(args, revision))
    sock = bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    print(f"leanpipe: serving {model} ({task}) on http://{_url_host(host)}:{port}"
          f"{'' if args.api_key is None else ' (API key required)'}", file=sys.stderr, flush=True)
    config = uvicorn_config(app, log_level=args.log_level, timeout_graceful_shutdown=60)  # + a deadline on request heads
    with signals_noted():  # uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown; end with 0 instead
        uvicorn.Server(config).run(sockets=[sock])
    print("leanpipe: stopped after answering the requests in flight", file=sys.stderr)
    return 0


@contextlib.contextmanager
def signals_noted() -> Iterator[None]:
    """SIGINT/SIGTERM handlers that only note the signal, for the time uvicorn runs (it installs its
    own and, when it has shut down, restores these and raises the signal again)."""
    noted: list[int] = []
    old = {sig: signal.signal(sig, lambda number, frame: noted.append(number)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; binding here lets --port 0 report the port it got."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
