"""OpenAI's embeddings route, as text-embeddings-inference serves it, so `openai.OpenAI(base_url=...)`
(and what is built on it) works against leanpipe unchanged:

  POST /v1/embeddings  {input: str | [str] | [int] | [[int]], model, encoding_format: "float" | "base64", dimensions?, user?}
  -> {object: "list", data: [{object: "embedding", index, embedding}], model, usage: {prompt_tokens, total_tokens}}
  GET /v1/models       -> {object: "list", data: [{id, object: "model", created, owned_by}]}

The vectors are the sentence-embeddings task's, L2-normalized as OpenAI's are; `dimensions` keeps the
first n numbers and normalizes again, as OpenAI shortens embeddings. `model` is accepted
whatever it names (the server runs one model) and answered with the served model's id; base64 is the
float32 little-endian bytes, which OpenAI's Python client asks for by default and decodes itself.
Token ids are this model's tokenizer's (OpenAI's are its own models'), run as given, as TEI takes them;
usage counts every token the model ran, ids included.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from .dimensions import cut, requested
from .http import HTTPError, error_headers, field
from .service import Service
from .tei import embed_inputs

ROUTE = "/v1/embeddings"
FORMATS = ("float", "base64")


async def embeddings(service: Service, body: dict[str, Any]) -> dict[str, Any]:
    items = embed_inputs(body, service, "input")  # texts, or token ids as OpenAI's array of ints / of int arrays
    encoding = field(body, "encoding_format", str, "float", '"float" or "base64"')
    if encoding not in FORMATS:
        raise HTTPError(422, f"encoding_format must be one of {list(FORMATS)}, got {encoding!r}")
    field(body, "model", str, "", "a string (any: this server runs one model)")
    field(body, "user", str, "", "a string")
    dimensions = requested(body)
    truncate = service.settings.auto_truncate
    vectors = await service.infer("sentence-embeddings", items, {"normalize": True, "truncation": truncate}, ROUTE)
    vectors = cut(vectors, dimensions, renormalize=True, model=service.model.name_or_path)
    task = service.pipeline_for("sentence-embeddings", ROUTE).runner
    encodings = await run_in_threadpool(task.tokenize, items, truncate)
    tokens = sum(len(e) for e in encodings)  # a text's tokens with its special ones, or the ids as sent (cut)
    data = [{"object": "embedding", "index": i, "embedding": _encode(v, encoding)} for i, v in enumerate(vectors)]
    return {"object": "list", "data": data, "model": str(service.model.name_or_path),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def _encode(vector: list[float], encoding: str) -> list[float] | str:
    """`_encode([1.0], "base64")` -> "AACAPw==" (float32, little-endian), as OpenAI sends it."""
    if encoding == "float":
        return vector
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def error_response(status: int, message: str) -> Response:
    """OpenAI's error body, whose message OpenAI's client puts in the exception it raises."""
    kind = "authentication_error" if status == 401 else "invalid_request_error" if status < 500 else "server_error"
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return Response(json.dumps(body), status_code=status, media_type="application/json", headers=error_headers(status))


def models(service: Service) -> dict[str, Any]:
    """GET /v1/models: the one served model, as OpenAI lists models (`client.models.list()`)."""
    return {"object": "list", "data": [{"id": str(service.model.name_or_path), "object": "model", "created": 0,
                                        "owned_by": "leanpipe"}]}


ROUTES = {ROUTE: embeddings}
GET_ROUTES = {"/v1/models": models}
