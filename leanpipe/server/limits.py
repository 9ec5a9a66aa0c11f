"""text-embeddings-inference's input-length rule: with truncation off, a text longer than /info's
max_input_length is refused, never embedded whole nor cut.

    {"inputs": <292 tokens>, "truncate": false} on all-MiniLM-L6-v2 (max_seq_length 256) ->
    422 {"error": "Input validation error: `inputs` must have less than 256 tokens. Given: 292; send
         \"truncate\": true to cut it to 256 tokens", "error_type": "validation"}

TEI's words (core/src/tokenization.rs encode_input), then how to fix it in this route's terms. The
status is TEI's for ErrorType::Validation since 1.9.0: 422 (router/src/http/server.rs; 413 before,
changed by TEI PR #818 "Fix HTTP error code for validation"). max_input_length is TEI's too: the
sentence-transformers max_seq_length where the model has one, else the model's window.

The sentence tasks refuse such texts themselves (tasks.sentence_similarity.TextTooLong, counted with
their prompt); for the others `check` counts the tokens before the request is queued.
"""

from __future__ import annotations

from typing import Any

from .http import HTTPError

CHECKED = ("feature-extraction", "text-classification", "text-ranking", "sparse-embeddings")


def max_input_length(service: Any) -> int:
    """TEI's max_input_length: the task's own limit (sentence_bert_config.json's max_seq_length, else
    the model's positions) where it has one, else the tokenizer's, capped at the model's positions."""
    config, tokenizer = service.model.config, service.tokenizer
    window = min(int(tokenizer.model_max_length),
                 int(getattr(config, "max_position_embeddings", None) or tokenizer.model_max_length))
    runner = service.pipe.runner
    if service.model.head == "base":  # the sentence pipeline's limit, whichever base task is served
        try:
            runner = service.pipeline_for("sentence-embeddings", "/info").runner
        except HTTPError:
            pass
    limit = getattr(runner, "max_length", None)
    limit = limit() if callable(limit) else limit
    return window if limit is None else int(limit)


def hint(route: str, task: str) -> str:
    """How a client of `route` asks for truncation."""
    if route == "/v1/embeddings":
        return "shorten it: this server does not cut texts on /v1/embeddings (it runs with auto_truncate off)"
    if route == "/similarity" or (route == "/" and task == "sentence-similarity"):
        return 'send "parameters": {"truncate": true} to cut it to {limit} tokens'
    if route == "/" and task not in ("feature-extraction", "sentence-embeddings"):
        return 'send "parameters": {"truncation": true} to cut it to {limit} tokens'
    return 'send "truncate": true to cut it to {limit} tokens'


def too_long(length: int, limit: int, route: str, task: str) -> HTTPError:
    fix = hint(route, task).replace("{limit}", str(limit))
    return HTTPError(422, f"Input validation error: `inputs` must have less than {limit} tokens. Given: {length}; {fix}")


def truncating(pipe: Any, params: dict[str, Any]) -> bool:
    """Whether this call cuts long texts: its truncation, else the task's default (None: no)."""
    value = params.get("truncation", pipe.params.get("truncation", pipe.runner.parameters.get("truncation")))
    kwargs = params.get("tokenize_kwargs") or {}  # feature-extraction's transformers-style knob
    return bool(value or (isinstance(kwargs, dict) and kwargs.get("truncation")))


def check(service: Any, pipe: Any, inputs: Any, params: dict[str, Any], route: str) -> None:
    """TEI's refusal for a request of a CHECKED task that does not truncate; inputs of another
    shape are left to the pipeline to refuse."""
    task = pipe.runner.name
    if task not in CHECKED or truncating(pipe, params):
        return
    items = inputs if isinstance(inputs, list) else [inputs]
    if task == "sparse-embeddings":
        texts = [t for t in items if isinstance(t, str)]
        lengths = [len(e) for e in pipe.runner.tokenize(texts, False, params.get("prompt"))] if texts else []
        limit = pipe.runner.max_length()
    else:
        lengths, limit = token_counts(pipe.tokenizer, *segments(task, items)), max_input_length(service)
    longest = max(lengths, default=0)
    if longest > limit:
        raise too_long(longest, limit, route, task)


def segments(task: str, items: list[Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """The single texts and the (text, pair) pairs the task will tokenize, as far as they are well formed."""
    singles = [x for x in items if isinstance(x, str)]
    pairs: list[tuple[str, str]] = []
    for x in items:
        if not isinstance(x, dict):
            continue
        if task == "text-ranking" and isinstance(x.get("query"), str) and isinstance(x.get("texts"), list):
            pairs += [(x["query"], t) for t in x["texts"] if isinstance(t, str)]
        elif task == "text-classification" and isinstance(x.get("text"), str):
            if isinstance(x.get("text_pair"), str):
                pairs.append((x["text"], x["text_pair"]))
            else:
                singles.append(x["text"])
    return singles, pairs


def token_counts(tokenizer: Any, singles: list[str], pairs: list[tuple[str, str]]) -> list[int]:
    counts = [len(e) for e in tokenizer.encode_batch_raw(singles, truncation=False)] if singles else []
    if pairs:
        encodings = tokenizer.encode_batch_raw([a for a, _ in pairs], [b for _, b in pairs], truncation=False)
        counts += [len(e) for e in encodings]
    return counts
