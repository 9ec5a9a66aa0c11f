"""Which task a checkpoint is for, read from config.json's `architectures`.

`infer_task({"architectures": ["BertForSequenceClassification"]})` -> "text-classification".
"""

from __future__ import annotations

from typing import Any

# class-name suffix -> task, checked in this order ("Model" last: only for a base class like BertModel)
SUFFIX_TASKS = (
    ("ForSequenceClassification", "text-classification"),
    ("ForTokenClassification", "token-classification"),
    ("ForQuestionAnswering", "question-answering"),
    ("ForMaskedLM", "fill-mask"),
    ("Model", "feature-extraction"),
)


def infer_task(config: dict[str, Any]) -> str | None:
    """The task for the first architecture leanpipe recognises, or None."""
    for arch in map(str, config.get("architectures") or []):
        for suffix, task in SUFFIX_TASKS:
            if arch.endswith(suffix) and (suffix != "Model" or is_base_model(arch)):
                return task
    return None


def is_base_model(arch: str) -> bool:
    """'BertModel' yes; 'GPT2LMHeadModel', 'T5ForConditionalGenerationModel' no."""
    return arch.endswith("Model") and "For" not in arch and "Head" not in arch
