"""Which task a checkpoint is for, read from config.json's `architectures`.

`infer_task({"architectures": ["BertForSequenceClassification"]})` -> "text-classification".
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import CheckpointError, InputError

# class-name suffix -> task, checked in this order ("Model" last: only for a base class like BertModel)
SUFFIX_TASKS = (
    ("ForSequenceClassification", "text-classification"),
    ("ForTokenClassification", "token-classification"),
    ("ForQuestionAnswering", "question-answering"),
    ("ForMaskedLM", "fill-mask"),
    ("Model", "feature-extraction"),
    ("DPRQuestionEncoder", "feature-extraction"),  # one vector per text (AutoModel gives this class for dpr)
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


# model head -> task, for a loaded model (pipeline(model=AutoModelFor...(...)) without a task)
HEAD_TASKS = {"base": "feature-extraction", "sequence-classification": "text-classification",
              "token-classification": "token-classification", "question-answering": "question-answering",
              "masked-lm": "fill-mask"}


def checkpoint_task(model: str | os.PathLike, revision: str | None, *, fix: str) -> str:
    """The task config.json's architectures name, or InputError ending with `fix` (how to name it)."""
    from ..config import read_config_dict

    try:
        config = read_config_dict(model, revision=revision)
    except CheckpointError:
        if _static(model, revision):  # sentence-transformers' StaticEmbedding checkpoints have no config.json
            return "sentence-embeddings"
        if _router(model, revision):  # nor do inference-free SPLADE ones (a Router, its models in subfolders)
            return "sparse-embeddings"
        raise
    task = infer_task(config)
    if task is None:
        if _static(model, revision):  # or model2vec's own config.json
            return "sentence-embeddings"
        if "DPRReader" in (config.get("architectures") or []):  # no pipeline task in transformers either
            raise InputError(f"{model} is a DPRReader, which no pipeline task runs (transformers has none): load it with "
                             f"leanpipe.DPRReader.from_pretrained and read its spans with "
                             f"DPRReaderTokenizer.from_pretrained(...).decode_best_spans(inputs, outputs)")
        raise InputError(f"cannot tell the task of {model} from config.json's architectures {config.get('architectures')}; {fix}")
    return task


def _router(model: str | os.PathLike, revision: str | None) -> bool:
    from ..sparse_router import is_router

    try:
        return is_router(model, revision)
    except CheckpointError:
        return False


def _static(model: str | os.PathLike, revision: str | None) -> bool:
    from ..pooling import uses_static_embedding

    try:
        return uses_static_embedding(model, revision=revision)
    except CheckpointError:
        return False
