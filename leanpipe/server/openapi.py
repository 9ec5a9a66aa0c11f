"""The OpenAPI 3.0 document served at /openapi.json, written by hand (no framework generates it)."""

from __future__ import annotations

from typing import Any

from .. import __version__

STR_OR_LIST = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
IDS = {"type": "array", "items": {"type": "integer", "minimum": 0}}  # a tokenizer's input_ids, special tokens included
# TEI's Input: a text, one input as token ids, or a list mixing texts and id lists
EMBED_INPUTS = {"oneOf": [{"type": "string"}, IDS, {"type": "array", "items": {"oneOf": [{"type": "string"}, IDS]}}]}
BOOL = {"type": "boolean"}
FLOATS = {"type": "array", "items": {"type": "number"}}
ERROR = {"type": "object", "properties": {"error": {"type": "string"}, "error_type": {"type": "string"}}}
ERRORS = {
    "400": "empty input", "401": "missing or wrong API key (when the server has one)", "413": "body or batch too large",
    "422": "invalid input, with the reason (a text past /info's max_input_length without truncation, as TEI)", "424": "the loaded model cannot run this route's task",
    "429": "too many requests queued", "503": "shutting down",
}


def _obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _post(summary: str, body: dict[str, Any], answer: dict[str, Any], example: Any) -> dict[str, Any]:
    responses = {"200": {"description": "OK", "content": {"application/json": {"schema": answer}}}}
    for code, text in ERRORS.items():
        responses[code] = {"description": text, "content": {"application/json": {"schema": ERROR}}}
    return {"post": {"summary": summary, "requestBody": {"required": True, "content": {
        "application/json": {"schema": body, "example": example}}}, "responses": responses}}


def _get(summary: str, media: str = "application/json") -> dict[str, Any]:
    return {"get": {"summary": summary, "responses": {"200": {"description": "OK", "content": {media: {}}}}}}


def document(task: str) -> dict[str, Any]:
    pair = {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2}
    return {
        "openapi": "3.0.3",
        "info": {"title": "leanpipe", "version": __version__,
                 "description": f"Hugging Face Inference API (POST /, task {task}), text-embeddings-inference routes "
                                f"and OpenAI's /v1/embeddings"},
        "paths": {
            "/": _post(f"run {task}: the Hugging Face Inference API shape",
                       _obj(["inputs"], inputs={}, parameters={"type": "object"}), {},
                       {"inputs": "I love it", "parameters": {}}),
            "/embed": _post("sentence embeddings", _obj(["inputs"], inputs=EMBED_INPUTS, normalize=BOOL, truncate=BOOL,
                                                                 dimensions={"type": "integer"}),
                            {"type": "array", "items": FLOATS}, {"inputs": "What is Deep Learning?"}),
            "/embed_all": _post("token embeddings", _obj(["inputs"], inputs=EMBED_INPUTS, truncate=BOOL),
                                {"type": "array", "items": {"type": "array", "items": FLOATS}}, {"inputs": "Hello"}),
            "/embed_sparse": _post("SPLADE weights of a masked-LM checkpoint (--task sparse-embeddings): each input's non-zero ones",
                                   _obj(["inputs"], inputs=EMBED_INPUTS, truncate=BOOL, prompt_name={"type": "string"}),
                                   {"type": "array", "items": {"type": "array", "items": _obj(["index", "value"], index={"type": "integer"},
                                                                                          value={"type": "number"})}},
                                   {"inputs": "What is SPLADE?"}),
            "/predict": _post("classify texts or text pairs",
                              _obj(["inputs"], inputs={"oneOf": [{"type": "string"}, pair, {"type": "array", "items": pair}]},
                                   raw_scores=BOOL, truncate=BOOL),
                              {"type": "array"}, {"inputs": "I love it"}),
            "/rerank": _post("rank texts against a query with a cross-encoder",
                             _obj(["query", "texts"], query={"type": "string"}, texts={"type": "array", "items": {"type": "string"}},
                                  raw_scores=BOOL, return_text=BOOL, truncate=BOOL),
                             {"type": "array", "items": _obj(["index", "score"], index={"type": "integer"},
                                                              score={"type": "number"}, text={"type": "string"})},
                             {"query": "What is Deep Learning?", "texts": ["Deep Learning is ...", "Cheese is ..."]}),
            "/similarity": _post("cosine similarity of a sentence with others",
                                 _obj(["inputs"], inputs=_obj(["source_sentence", "sentences"], source_sentence={"type": "string"},
                                                              sentences={"type": "array", "items": {"type": "string"}})),
                                 FLOATS, {"inputs": {"source_sentence": "a cat", "sentences": ["a dog", "a car"]}}),
            "/tokenize": _post("tokens with ids and UTF-8 byte offsets", _obj(["inputs"], inputs=STR_OR_LIST, add_special_tokens=BOOL),
                               {"type": "array"}, {"inputs": "Hello world"}),
            "/decode": _post("token ids back to text", _obj(["ids"], ids={"type": "array"}, skip_special_tokens=BOOL),
                             {"type": "array", "items": {"type": "string"}}, {"ids": [101, 7592, 102]}),
            "/v1/embeddings": _post(
                "OpenAI's embeddings route (normalized sentence embeddings; encoding_format float or base64)",
                _obj(["input"], input=EMBED_INPUTS, model={"type": "string"}, encoding_format={"enum": ["float", "base64"]},
                     dimensions={"type": "integer"}, user={"type": "string"}),
                _obj(["object", "data", "model", "usage"], object={"type": "string"}, data={"type": "array", "items": _obj(
                    ["object", "index", "embedding"], object={"type": "string"}, index={"type": "integer"},
                    embedding={"oneOf": [FLOATS, {"type": "string"}]})}, model={"type": "string"},
                     usage=_obj(["prompt_tokens", "total_tokens"], prompt_tokens={"type": "integer"},
                                total_tokens={"type": "integer"})),
                {"input": ["What is Deep Learning?"], "model": "any", "encoding_format": "float"}),
            "/v1/models": _get("the served model, as OpenAI lists models"),
            "/info": _get("the model, its task and the server's limits"),
            "/health": _get("200 while the batcher runs, 503 otherwise"),
            "/metrics": _get("Prometheus metrics", "text/plain"),
            "/openapi.json": _get("this document"),
        },
    }
