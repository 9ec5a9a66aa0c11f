"""The task registry: task name (and aliases) -> task class. Everything that runs tasks reads it."""

from __future__ import annotations

from ..errors import InputError
from .base import Task
from .feature_extraction import FeatureExtraction
from .text_classification import TextClassification

TASKS: dict[str, type[Task]] = {t.name: t for t in (TextClassification, FeatureExtraction)}
ALIASES = {"sentiment-analysis": "text-classification"}


def task_class(name: str) -> type[Task]:
    canonical = ALIASES.get(name, name)
    if canonical not in TASKS:
        raise InputError(f"unknown task {name!r}; leanpipe supports {sorted(TASKS) + sorted(ALIASES)}")
    return TASKS[canonical]


__all__ = ["TASKS", "ALIASES", "Task", "task_class", "TextClassification", "FeatureExtraction"]
