"""Model classes per architecture and head, and the Auto classes that pick one from config.json."""

from __future__ import annotations

import os
from typing import Any

from ..config import BertConfig, DistilBertConfig, PretrainedConfig, supported_model_types
from ..errors import ConfigError
from . import bert, distilbert
from .base import HEADS, PreTrainedModel
from .outputs import BaseModelOutput, ModelOutput, SequenceClassifierOutput


def _model_class(name: str, family, config_class, head: str) -> type[PreTrainedModel]:
    return type(name, (PreTrainedModel,), {"family": family, "config_class": config_class, "head": head, "__module__": __name__})


BertModel = _model_class("BertModel", bert, BertConfig, "base")
BertForSequenceClassification = _model_class("BertForSequenceClassification", bert, BertConfig, "sequence-classification")
DistilBertModel = _model_class("DistilBertModel", distilbert, DistilBertConfig, "base")
DistilBertForSequenceClassification = _model_class(
    "DistilBertForSequenceClassification", distilbert, DistilBertConfig, "sequence-classification"
)

# (model_type, head) -> class; the single table the Auto classes read.
MODEL_CLASSES: dict[tuple[str, str], type[PreTrainedModel]] = {
    (cls.config_class.model_type, cls.head): cls
    for cls in (BertModel, BertForSequenceClassification, DistilBertModel, DistilBertForSequenceClassification)
}


def model_class(model_type: str, head: str) -> type[PreTrainedModel]:
    """The class for this architecture and head, or a ConfigError listing what is supported."""
    found = MODEL_CLASSES.get((model_type, head))
    if found is None:
        having = sorted(t for t, h in MODEL_CLASSES if h == head)
        raise ConfigError(
            f"no {head} model for model_type {model_type!r}; supported for {head}: {having} "
            f"(all known model types: {supported_model_types()})"
        )
    return found


def load_model(name_or_path: str | os.PathLike, head: str, *, revision: str | None = None, **kwargs: Any) -> PreTrainedModel:
    """Load a checkpoint as the `head` model its config.json's model_type calls for."""
    from ..config import AutoConfig

    loading = {k: kwargs.pop(k) for k in ("engine", "num_threads", "quantize") if k in kwargs}
    config = kwargs.pop("config", None) or AutoConfig.from_pretrained(name_or_path, revision=revision, **kwargs)
    return model_class(config.model_type, head).from_pretrained(name_or_path, revision=revision, config=config, **loading)


class _AutoModelBase:
    head = "base"

    def __init__(self) -> None:
        raise TypeError(f"use {type(self).__name__}.from_pretrained(path_or_repo_id)")

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, *, revision: str | None = None, **kwargs: Any) -> PreTrainedModel:
        """Keyword arguments: engine ("onnx" | "numpy"), num_threads, quantize (None | "int8"), config, or config overrides."""
        return load_model(name_or_path, cls.head, revision=revision, **kwargs)


class AutoModel(_AutoModelBase):
    head = "base"


class AutoModelForSequenceClassification(_AutoModelBase):
    head = "sequence-classification"


__all__ = [
    "AutoModel", "AutoModelForSequenceClassification", "BertModel", "BertForSequenceClassification",
    "DistilBertModel", "DistilBertForSequenceClassification", "PreTrainedModel", "ModelOutput",
    "BaseModelOutput", "SequenceClassifierOutput", "HEADS", "MODEL_CLASSES", "load_model", "model_class",
]
