"""The HTTP server: the Hugging Face Inference API's `POST /` and text-embeddings-inference's routes
over leanpipe's pipelines, with dynamic batching of concurrent requests. Needs starlette + uvicorn
(`pip install 'leanpipe[server]'`); `leanpipe serve --model M` runs it.

    from leanpipe.server import create_app, uvicorn_config
    app = create_app("./my-classifier")          # an ASGI app
    uvicorn.Server(uvicorn_config(app, port=8080)).run()

`uvicorn_config` adds a deadline on each request's line and headers (Settings.header_timeout_s), which
plain `uvicorn.run(app)` does not have: there a client that connects and stalls holds its connection.
"""

from __future__ import annotations

from typing import Any

from .settings import Settings


def create_app(model: Any, task: str | None = None, *, settings: Settings | None = None, **options: Any) -> Any:
    """See `leanpipe.server.app.create_app` (imported here on first use: it needs starlette)."""
    from .app import create_app as build

    return build(model, task, settings=settings, **options)


def uvicorn_config(app: Any, **options: Any) -> Any:
    """See `leanpipe.server.protocol.uvicorn_config` (imported here on first use: it needs uvicorn)."""
    from .protocol import uvicorn_config as build

    return build(app, **options)


__all__ = ["Settings", "create_app", "uvicorn_config"]
