"""The task registry: task name (and aliases) -> task class. Everything that runs tasks reads it.

Task modules are imported on first use, so a pipeline loads only the task it runs.
"""

from __future__ import annotations

import importlib

from ..errors import InputError
from .base import Sample, Task

# task name -> "module:Class" under leanpipe.tasks
REGISTRY: dict[str, str] = {
    "text-classification": "text_classification:TextClassification",
    "feature-extraction": "feature_extraction:FeatureExtraction",
    "token-classification": "token_classification:TokenClassification",
    "question-answering": "question_answering:QuestionAnswering",
    "fill-mask": "fill_mask:FillMask",
    "zero-shot-classification": "zero_shot:ZeroShotClassification",
    "sentence-similarity": "sentence_similarity:SentenceSimilarity",
    "sentence-embeddings": "sentence_similarity:SentenceEmbeddings",
    "text-ranking": "reranking:Reranking",
    "sparse-embeddings": "sparse_embeddings:SparseEmbeddings",
}
ALIASES = {"sentiment-analysis": "text-classification", "ner": "token-classification", "rerank": "text-ranking"}


def _load(name: str) -> type[Task] | None:
    module, cls = REGISTRY[name].split(":")
    try:
        return getattr(importlib.import_module(f".{module}", __name__), cls)
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.{module}":  # registered but not written yet
            return None
        raise


def available_tasks() -> list[str]:
    """Task names (with aliases) whose implementation is present."""
    names = [n for n in REGISTRY if _load(n) is not None]
    return sorted(names + [a for a, n in ALIASES.items() if n in names])


def task_class(name: str) -> type[Task]:
    canonical = ALIASES.get(name, name)
    found = _load(canonical) if canonical in REGISTRY else None
    if found is None:
        raise InputError(f"unknown task {name!r}; leanpipe supports {available_tasks()}")
    return found


class _Tasks(dict):
    """TASKS[name] -> class, for the tasks that are implemented (read-only view of the registry)."""

    def __init__(self) -> None:
        super().__init__({n: c for n in REGISTRY if (c := _load(n)) is not None})


def __getattr__(name: str):
    if name == "TASKS":
        return _Tasks()
    raise AttributeError(name)


__all__ = ["REGISTRY", "ALIASES", "Sample", "Task", "task_class", "available_tasks"]
