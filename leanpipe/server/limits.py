"""text-embeddings-inference's input-length rule: with truncation off, a text longer than /info's
max_input_length is refused, never embedded whole nor cut.

    {"inputs": <292 tokens>, "truncate": false} on all-MiniLM-L6-v2 (max_seq_length 256) ->
    422 {"error": "Input validation error: `inputs` must have less than 256 tokens. Given: 292; send
         \"truncate\": true to cut it to 256 tokens", "error_type": "validation"}

TEI's words (core/src/tokenization.rs encode_input), then how to fix it in this route's terms. The
status is TEI's for ErrorType::Validation since 1.9.0: 422 (router/src/http/server.rs; 413 before,
changed by TEI PR #818 "Fix HTTP error code for validation"). max_input_length is TEI's too: the
sentence-transformers max_seq_length where the model has one, else the model's window.

Every task refuses such inputs while it tokenizes them for the model, so nothing is tokenized twice:
the sentence tasks themselves (tasks.sentence_similarity.TextTooLong, counted with their prompt), the
CHECKED ones through `Limited`, which checks the rows their own encode makes. Both raise
tasks.base.TooManyTokens, which the service words for the route with `too_long`.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..pipeline import Pipeline
from ..tasks.base import Sample, Task, TooManyTokens
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


def truncates(params: dict[str, Any]) -> bool:
    """Whether a pipeline call with these (merged) parameters cuts long texts: its truncation, or
    feature-extraction's transformers-style tokenize_kwargs truncation."""
    kwargs = params.get("tokenize_kwargs") or {}
    return bool(params.get("truncation") or (isinstance(kwargs, dict) and kwargs.get("truncation")))


class Limited:
    """A CHECKED task whose encode refuses, with TooManyTokens, a model row longer than `limit()`
    tokens in a call that does not truncate: the rows the task made for the model, counted after its
    own tokenization (a pair as one row, a prompt included), so no text is tokenized a second time.
    Every other attribute is the task's own. `limit` is called once, on the first such call."""

    def __init__(self, task: Task, limit: Callable[[], int]) -> None:
        self.inner, self._limit, self._value = task, limit, None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def encode(self, inputs: Sequence[Any], params: dict[str, Any]) -> list[Sample]:
        samples = self.inner.encode(inputs, params)
        if not truncates(params):
            longest = max((len(row) for sample in samples for row in sample.chunks), default=0)
            if self._value is None:
                self._value = self._limit()
            if longest > self._value:
                raise TooManyTokens(longest, self._value, f"an input has {longest} tokens, more than this server's "
                                                          f"limit of {self._value}; truncate it or shorten it")
        return samples


def limited(service: Any, pipe: Pipeline) -> Pipeline:
    """`pipe` for the server: a CHECKED task's pipeline gets a Limited task (TEI's max_input_length,
    the sparse model's own max_length), another pipeline is returned as it is."""
    task = pipe.runner
    if task.name not in CHECKED:
        return pipe
    limit = task.max_length if task.name == "sparse-embeddings" else (lambda: max_input_length(service))
    return type(pipe)(Limited(task, limit), batch_size=pipe.batch_size, task_name=pipe.task, **pipe.params)  # type: ignore[arg-type]
