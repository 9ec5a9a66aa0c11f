"""The ASGI app: routes, the API-key and metrics middleware, and the batcher's lifetime.

    app = create_app("sentence-transformers/all-MiniLM-L6-v2", "feature-extraction")
    uvicorn.Server(uvicorn_config(app, port=8080)).run()   # leanpipe.server.uvicorn_config; or: leanpipe serve --model ...
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import time
from typing import Any, AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import LeanpipeError
from . import heap, openai_api, openapi, tei
from .dimensions import cut
from .hf_api import refuse_empty, request_format, task_for
from .http import HTTPError, as_http_error, error_response, json_response, read_json
from .service import Service
from .settings import Settings

log = logging.getLogger("leanpipe.server")
Handler = Callable[[Service, dict[str, Any]], Awaitable[Any]]
PUBLIC = {("GET", "/"), ("GET", "/health"), ("GET", "/ping"), ("GET", "/metrics")}  # no API key needed, as TEI


def create_app(model: Any, task: str | None = None, *, settings: Settings | None = None, **options: Any) -> Starlette:
    """Load `model` (a folder or repo id) for `task` (default: from its config.json) and build the app.

    `options` are pipeline()'s: revision, batch_size, engine, num_threads, quantize.
    """
    if task is None:
        task = _task_of(model, options.get("revision"))
    return build_app(Service.load(model, task, settings=settings, **options))


def _task_of(model: Any, revision: str | None) -> str:
    from ..tasks.from_config import checkpoint_task

    return checkpoint_task(model, revision, fix="pass task=")


def build_app(service: Service) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.batcher.start()
        log.info("leanpipe: %s ready for %s", service.model.name_or_path, service.task)
        yield
        await run_in_threadpool(service.batcher.stop)  # in-flight requests are done; answer what is queued

    routes = [
        Route("/", endpoint(inference_api), methods=["POST"]),
        *[Route(path, endpoint(handler), methods=["POST"]) for path, handler in tei.ROUTES.items()],
        *[Route(path, endpoint(handler, openai_api.error_response), methods=["POST"]) for path, handler in openai_api.ROUTES.items()],
        Route("/", health, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/ping", health, methods=["GET"]),
        Route("/info", lambda request: json_response(service.info()), methods=["GET"]),
        *[Route(path, _getter(answer), methods=["GET"]) for path, answer in openai_api.GET_ROUTES.items()],
        Route("/metrics", lambda request: Response(service.metrics.render(), media_type="text/plain; version=0.0.4"),
              methods=["GET"]),
        Route("/openapi.json", lambda request: json_response(openapi.document(service.task)), methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(Guard, service=service)],
                    exception_handlers={404: _not_found, 405: _not_allowed, Exception: _crashed})
    app.state.service = service
    return app


def endpoint(handler: Handler, errors: Callable[[int, str], Response] | None = None) -> Callable[[Request], Awaitable[Response]]:
    """A POST route: JSON body in (size-limited), JSON answer out, every failure as a JSON error
    (`errors` shapes it: TEI's {error, error_type} by default)."""
    async def run(request: Request) -> Response:
        service: Service = request.app.state.service
        try:
            body = await read_json(request, service.settings.max_body_bytes, service.settings.body_timeout_s)
            return json_response(await handler(service, body))
        except (HTTPError, LeanpipeError, ValueError, TypeError, LookupError) as exc:
            return as_http_error(exc).response(errors)
        finally:
            if getattr(request.state, "body_bytes", 0) >= heap.LARGE_BODY_BYTES:
                await run_in_threadpool(heap.trim)  # its freed pages back to the system (heap.py)
    return run


def _getter(answer: Callable[[Service], Any]) -> Callable[[Request], Response]:
    return lambda request: json_response(answer(request.app.state.service))


async def inference_api(service: Service, body: dict[str, Any]) -> Any:
    """POST /: the served task (or, on an embedding model, the one the body's shape asks for: see
    hf_api.task_for), in the Hugging Face Inference API's shapes."""
    task = task_for(service.task, body)
    parse, reply = request_format(task)
    inputs, params = parse(body)
    refuse_empty(inputs)
    if "prompt_name" in params:  # text-embeddings-inference's, on sentence embeddings
        params["prompt"] = service.prompt(params.pop("prompt_name"))
    dimensions, side = params.pop("dimensions", None), params.pop("truncation_side", "right")
    answer = await service.infer(task, inputs, params, "/", side=side)
    if dimensions is not None:  # sentence embeddings cut as /embed cuts them
        normalize = params.get("normalize")
        normalize = service.pipeline_for(task, "/").runner.sentence_config.normalize if normalize is None else normalize
        single = not isinstance(inputs, list)
        answer = cut([answer] if single else answer, dimensions, renormalize=normalize, model=service.model.name_or_path)
        answer = answer[0] if single else answer
    return reply(inputs, answer)


async def health(request: Request) -> Response:
    service: Service = request.app.state.service
    if not service.batcher.alive():
        return error_response(503, "unhealthy: the batcher is not running")
    return Response(status_code=200)


def errors_for(path: str) -> Callable[[int, str], Response]:
    """The error body a client of `path` parses: OpenAI's {"error": {"message", ...}} under /v1/
    (the openai client puts that message in the exception it raises), TEI's {error, error_type} elsewhere."""
    return openai_api.error_response if path.startswith("/v1/") else error_response


async def _not_found(request: Request, exc: Exception) -> Response:
    return errors_for(request.url.path)(404, f"no route {request.url.path}; see /openapi.json")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return errors_for(request.url.path)(405, f"{request.method} is not allowed on {request.url.path}; see /openapi.json")


async def _crashed(request: Request, exc: Exception) -> Response:
    log.error("request to %s failed", request.url.path, exc_info=exc)
    return errors_for(request.url.path)(500, f"internal error ({type(exc).__name__}); see the server log")


class Guard:
    """ASGI middleware: the API key (401 without `Authorization: Bearer KEY`) and request metrics."""

    def __init__(self, app: Any, service: Service) -> None:
        self.app, self.service = app, service
        key = service.settings.api_key
        self.expected = None if key is None else f"Bearer {key}".encode()
        self.routes = {"/", "/health", "/ping", "/info", "/metrics", "/openapi.json", *tei.ROUTES, *openai_api.ROUTES,
                       *openai_api.GET_ROUTES}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.monotonic(), 500

        async def watch(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        method, path = scope["method"], scope["path"]
        try:
            if self.expected is not None and (method, path) not in PUBLIC and not self._authorized(scope):
                message = "missing or wrong API key: send `Authorization: Bearer <key>`"
                await errors_for(path)(401, message)(scope, receive, watch)
            else:
                await self.app(scope, receive, watch)
        finally:
            route = path if path in self.routes else "other"
            self.service.metrics.request(route, method, status, time.monotonic() - start)

    def _authorized(self, scope: dict[str, Any]) -> bool:
        sent = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        return hmac.compare_digest(sent, self.expected or b"")
