"""HTTP plumbing the routes share: JSON bodies with a size limit, JSON answers, errors as JSON.

Errors have text-embeddings-inference's shape: `{"error": "<what is wrong>", "error_type": "validation"}`.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..cli.common import to_jsonable
from ..errors import CheckpointError, ConfigError, LeanpipeError

ERROR_TYPES = {400: "empty", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "validation",
               422: "validation", 424: "backend", 429: "overloaded", 500: "backend", 503: "unhealthy"}


class HTTPError(Exception):
    """An answer other than 200: status code and a message saying what to change."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    def response(self) -> Response:
        return error_response(self.status, str(self))


def error_response(status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = {"error": message, "error_type": ERROR_TYPES.get(status, "backend")}
    return Response(json.dumps(body), status_code=status, media_type="application/json", headers=headers)


def json_response(value: Any) -> Response:
    try:
        body = json.dumps(to_jsonable(value), ensure_ascii=False, allow_nan=False)
    except ValueError:  # NaN or infinity in a score: the checkpoint's weights are broken
        raise HTTPError(424, "the model produced NaN or infinite values; check the checkpoint's weights") from None
    return Response(body, media_type="application/json")


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """The request body as a JSON object; 413 past `limit` bytes, 422 when it is not a JSON object."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise HTTPError(413, f"request body of {int(length):,} bytes is over the limit of {limit:,} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPError(413, f"request body is over the limit of {limit:,} bytes")
    try:
        value = json.loads(body)
    except ValueError as exc:
        raise HTTPError(422, f"the body is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise HTTPError(422, f'the body must be a JSON object like {{"inputs": ...}}, got a JSON {type(value).__name__}')
    return value


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
