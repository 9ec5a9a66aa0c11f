"""HTTP plumbing the routes share: JSON bodies with a size limit, JSON answers, errors as JSON.

Errors have text-embeddings-inference's shape: `{"error": "<what is wrong>", "error_type": "validation"}`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ..cli.common import to_jsonable
from ..errors import CheckpointError, ConfigError, LeanpipeError

ERROR_TYPES = {400: "empty", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 408: "timeout",
               413: "validation", 415: "validation", 422: "validation", 424: "backend", 429: "overloaded",
               500: "backend", 503: "unhealthy"}
MAX_DEPTH = 32  # nesting of a request's JSON; real requests need 4 ({"inputs": [["a", "b"]]})


class HTTPError(Exception):
    """An answer other than 200: status code and a message saying what to change."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    def response(self, errors: Callable[[int, str], Response] | None = None) -> Response:
        return (errors or error_response)(self.status, str(self))


def error_response(status: int, message: str) -> Response:
    body = {"error": message, "error_type": ERROR_TYPES.get(status, "backend")}
    return Response(json.dumps(body), status_code=status, media_type="application/json", headers=error_headers(status))


def error_headers(status: int) -> dict[str, str] | None:
    if status in (408, 413):  # the rest of the body may never come, or is not wanted: end the connection
        return {"Connection": "close"}
    return {"WWW-Authenticate": "Bearer"} if status == 401 else None


def json_response(value: Any) -> Response:
    try:
        body = json.dumps(to_jsonable(value), ensure_ascii=False, allow_nan=False)
    except ValueError:  # NaN or infinity in a score: the checkpoint's weights are broken
        raise HTTPError(424, "the model produced NaN or infinite values; check the checkpoint's weights") from None
    return Response(body, media_type="application/json")


async def read_json(request: Request, limit: int, timeout: float = 30.0) -> dict[str, Any]:
    """The request body as a JSON object: 415 for a non-JSON content type, 413 past `limit` bytes,
    408 when the whole body takes more than `timeout` seconds (a stalled or trickling client),
    422 when it is not a JSON object of at most MAX_DEPTH levels."""
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise HTTPError(413, f"request body of {int(length):,} bytes is over the limit of {limit:,} bytes")
    try:
        body = await asyncio.wait_for(_read_body(request, limit), timeout)
    except asyncio.TimeoutError:
        raise HTTPError(408, f"the request body did not arrive within {timeout:g} seconds") from None
    except ClientDisconnect:
        raise HTTPError(400, "the client closed the connection before sending the whole body") from None
    request.state.body_bytes = len(body)  # app.endpoint trims the heap after a large one (heap.py)
    # checked once the body is read, so the connection stays usable: answering first and closing
    # with the body unread resets it, and a keep-alive client (httpx) then loses its next request
    if kind != "application/json" and not kind.endswith("+json"):
        raise HTTPError(415, f"send the body as JSON with `content-type: application/json`, not {kind!r}")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise HTTPError(422, f"the body is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise HTTPError(422, f'the body must be a JSON object like {{"inputs": ...}}, got a JSON {type(value).__name__}')
    if _depth(value) > MAX_DEPTH:
        raise HTTPError(422, f"the body's JSON is nested more than {MAX_DEPTH} levels deep")
    return value


async def _read_body(request: Request, limit: int) -> bytearray:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPError(413, f"request body is over the limit of {limit:,} bytes")
    return body


def _depth(value: Any) -> int:
    """Nesting levels of a parsed JSON value, without recursion: {"a": [1]} -> 2."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def as_http_error(exc: BaseException) -> HTTPError:
    """What a failed pipeline call means for the client: its input (422) or the model (424)."""
    if isinstance(exc, HTTPError):
        return exc
    if isinstance(exc, (CheckpointError, ConfigError)):
        return HTTPError(424, str(exc))
    if isinstance(exc, (LeanpipeError, TypeError, ValueError, KeyError)):
        return HTTPError(422, str(exc).strip("'\"") or type(exc).__name__)
    return HTTPError(500, f"internal error ({type(exc).__name__}); see the server log")


def field(body: dict[str, Any], name: str, kinds: type | tuple[type, ...], default: Any, what: str) -> Any:
    """`body[name]` checked to be of `kinds` (or null: the default); 422 naming what it should be."""
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
        raise HTTPError(422, f"`{name}` must be {what}, got {json.dumps(value)[:80]}")
    return value


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)
