"""The served model: the pipeline for its task, pipelines for other tasks on the same weights, the batcher.

A route names the task it runs (`/embed` -> sentence-embeddings, `/predict` -> text-classification
...). Any registered task whose model head matches the loaded model can run on it, sharing the
weights: a sentence-transformers checkpoint served for feature-extraction also answers `/embed`.
A route whose task needs another head answers 424 saying which model it needs.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import threading
from typing import Any

from .. import __version__
from ..errors import InputError, LeanpipeError
from ..pipeline import Pipeline, pipeline
from ..tasks import ALIASES, REGISTRY, task_class
from ..tasks.base import TooManyTokens
from . import limits
from .batcher import Batcher, Overloaded, ShuttingDown, estimate_tokens
from .http import HTTPError, as_http_error
from .metrics import Metrics
from .settings import Settings


class Service:
    def __init__(self, pipe: Pipeline, settings: Settings | None = None) -> None:
        self.pipe, self.settings = pipe, settings or Settings()
        self.task: str = pipe.runner.name
        self.model, self.tokenizer = pipe.model, pipe.tokenizer
        self._pipelines: dict[str, Pipeline] = {self.task: limits.limited(self, pipe)}  # what requests run
        self._lock = threading.Lock()
        self.batcher = Batcher(self._run, max_batch_tokens=self.settings.max_batch_tokens,
                               max_wait=self.settings.max_wait_ms / 1000,
                               max_pending=self.settings.max_concurrent_requests)
        self.metrics = Metrics({
            "leanpipe_queue_size": ("requests waiting for the batcher", lambda: self.batcher.queue_size),
            "leanpipe_requests_pending": ("requests queued or running", lambda: self.batcher.pending),
        })
        self.batcher.metrics = self.metrics

    @classmethod
    def load(cls, model: Any, task: str, *, settings: Settings | None = None, **options: Any) -> "Service":
        """`options`: pipeline()'s revision, batch_size, engine, num_threads, quantize."""
        return cls(pipeline(task, model, **options), settings)

    def pipeline_for(self, task: str, route: str, side: str = "right") -> Pipeline:
        """The pipeline for `task` on the loaded model, built on first use; 424 when the model cannot run it.
        side "left": one whose tokenizer cuts long texts on the left (TEI's truncation_direction), on its
        own copy of the tokenizer, so the shared one is never changed under other requests."""
        name = ALIASES.get(task, task)
        key = pipeline_key(name, side)
        with self._lock:
            if key in self._pipelines:
                return self._pipelines[key]
            try:
                cls = task_class(name)
            except InputError:
                raise HTTPError(424, f"{route} needs the {name} task, which this leanpipe version does not have yet") from None
            if cls.head != self.model.head:
                raise HTTPError(424, f"{route} needs a model for {name} (a {cls.head} model); this server runs "
                                     f"{self.model.name_or_path} ({self.model.head} model) for {self.task}")
            try:
                tokenizer = self.tokenizer if side == "right" else self.left_tokenizer
                pipe = limits.limited(self, pipeline(name, self.model, tokenizer=tokenizer, batch_size=self.pipe.batch_size))
            except LeanpipeError as exc:
                raise HTTPError(424, f"{route} needs the {name} task, which cannot run on this model: {exc}") from None
            self._pipelines[key] = pipe
            return pipe

    @functools.cached_property
    def left_tokenizer(self) -> Any:
        """A copy of the tokenizer (its own backend and lock) with transformers' truncation_side="left"."""
        tokenizer = copy.deepcopy(self.tokenizer)
        tokenizer.truncation_side = "left"
        return tokenizer


    @functools.cached_property
    def sentence_settings(self) -> dict[str, Any]:
        """The model's config_sentence_transformers.json ({} without one), read once."""
        from ..pooling import model_settings

        return model_settings(self.model)

    def prompt(self, name: str) -> str:
        """The text of prompt `name` in the model's config_sentence_transformers.json, as
        text-embeddings-inference's `prompt_name` looks it up; 422 naming the prompts there otherwise."""
        if not isinstance(name, str):
            raise HTTPError(422, f"prompt_name must be a string, got {name!r:.80}")
        prompts = self.sentence_settings.get("prompts") or {}
        if name not in prompts:
            found = f"the prompts are {sorted(prompts)}" if prompts else "it has no prompts"
            raise HTTPError(422, f"prompt_name {name!r} is not in {self.model.name_or_path}'s "
                                 f"config_sentence_transformers.json: {found}")
        return prompts[name]

    def default_prompt(self) -> str:
        """The prompt of the model's default_prompt_name ("" without one), which /embed applies too."""
        name = self.sentence_settings.get("default_prompt_name")
        return self.prompt(name) if name else ""

    async def infer(self, task: str, inputs: Any, params: dict[str, Any], route: str, side: str = "right") -> Any:
        """What `pipe(inputs, **params)` returns, computed by the batcher together with other requests;
        side "left": long texts cut on the left (see pipeline_for)."""
        pipe = self.pipeline_for(task, route, side)
        unknown = sorted(set(params) - set(pipe.runner.parameters))
        if unknown:
            raise HTTPError(422, f"{pipe.runner.name} does not take parameters {unknown}; it takes {sorted(pipe.runner.parameters)}")
        size = count_inputs(inputs)
        if size > self.settings.max_client_batch_size:
            raise HTTPError(413, f"batch size {size} > maximum allowed batch size {self.settings.max_client_batch_size}")
        try:
            future = self.batcher.submit(pipeline_key(pipe.runner.name, side), params, inputs,
                                         tokens=estimate_tokens(inputs), size=size)
        except Overloaded as exc:
            raise HTTPError(429, f"model is overloaded: {exc}") from None
        except ShuttingDown as exc:
            raise HTTPError(503, str(exc)) from None
        try:
            return await asyncio.wrap_future(future)
        except TooManyTokens as exc:  # TEI's refusal of a text past max_input_length, in this route's terms
            raise limits.too_long(exc.length, exc.limit, route, pipe.runner.name) from None
        except Exception as exc:
            raise as_http_error(exc) from None

    def _run(self, task: str, params: dict[str, Any], inputs: list[Any]) -> list[Any]:
        """The batcher's call, in its worker thread: one pipeline call for many requests."""
        return list(self._pipelines[task].answers(inputs, **params))

    def info(self) -> dict[str, Any]:
        """text-embeddings-inference's /info, plus the task and the routes this model answers."""
        s = self.settings
        return {
            "model_id": str(self.model.name_or_path),
            "model_sha": None,
            "model_dtype": "float32",
            "served_model_name": str(self.model.name_or_path),
            "model_type": self._model_type(),
            "max_concurrent_requests": s.max_concurrent_requests,
            "max_input_length": limits.max_input_length(self),
            "max_batch_tokens": s.max_batch_tokens,
            "max_batch_requests": None,
            "max_client_batch_size": s.max_client_batch_size,
            "auto_truncate": s.auto_truncate,
            "tokenization_workers": 1,
            "version": __version__,
            "sha": None,
            "docker_label": None,
            "task": self.task,
            "tasks": self.runnable_tasks(),
        }

    def runnable_tasks(self) -> list[str]:
        """Registered tasks whose module exists and whose head is the loaded model's."""
        found, allowed = [], getattr(self.model, "TASKS", None)  # a StaticModel runs only its sentence tasks
        for name in REGISTRY:
            try:
                if task_class(name).head == self.model.head and (allowed is None or name in allowed):
                    found.append(name)
            except InputError:
                continue
        return found

    def _model_type(self) -> dict[str, Any]:
        config = self.model.config
        if self.model.head == "sequence-classification":
            labels = {"id2label": {str(i): l for i, l in config.id2label.items()},
                      "label2id": {l: int(i) for i, l in config.id2label.items()}}
            return {"reranker" if self.task == "text-ranking" else "classifier": labels}
        if self.model.head == "base":
            return {"embedding": {"pooling": self._pooling()}}
        if self.task == "sparse-embeddings":  # as TEI describes a model served with --pooling splade
            return {"embedding": {"pooling": "splade"}}
        return {self.task: {}}

    def _pooling(self) -> str:
        try:
            from ..hub import hub_options
            from ..pooling import read_sentence_config, sentence_options

            with hub_options(sentence_options(self.model)):  # the repo root, also when the model is in 0_Transformer/
                return read_sentence_config(self.model.name_or_path, revision=self.model.revision).modes[0]
        except (ImportError, LeanpipeError):
            return "mean"


def pipeline_key(task: str, side: str) -> str:
    """Where a pipeline is kept (and the batcher's group): "sentence-embeddings", "sentence-embeddings@left"."""
    return task if side == "right" else f"{task}@{side}"


def count_inputs(inputs: Any) -> int:
    """Texts in a request, for the batch-size limit: a list's length; a dict's longest list
    (the sentences of a similarity request, the texts of a rerank request); else 1."""
    if isinstance(inputs, list):
        return len(inputs)
    if isinstance(inputs, dict):
        return max([len(v) for v in inputs.values() if isinstance(v, list)], default=1)
    return 1
