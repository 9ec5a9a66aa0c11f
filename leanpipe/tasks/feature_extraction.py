"""feature-extraction: the last hidden state of every token, as nested lists (1, T, H) per text."""

from __future__ import annotations

from typing import Any, Sequence


from ..errors import InputError
from ..pipeline import Pipeline
from .base import Sample, Task, single_chunk_samples, tokenize_texts


class FeatureExtractionPipeline(Pipeline):
    """pipeline("feature-extraction"), named as in transformers."""


class FeatureExtraction(Task):
    name = "feature-extraction"
    head = "base"
    token_outputs = frozenset({"last_hidden_state"})
    default_model = ("distilbert/distilbert-base-cased", "6ea8117")
    pipeline_class = FeatureExtractionPipeline
    parameters = {"truncation": None, "tokenize_kwargs": None, "return_tensors": False}

    def encode(self, inputs: Sequence[Any], params: dict[str, Any]) -> list[Sample]:
        kwargs = dict(params["tokenize_kwargs"] or {})
        if params["truncation"] is not None:
            if "truncation" in kwargs:
                raise InputError("truncation given twice: as an argument and in tokenize_kwargs; keep one")
            kwargs["truncation"] = params["truncation"]
        unknown = set(kwargs) - {"truncation", "max_length"}
        if unknown:
            raise InputError(f"tokenize_kwargs {sorted(unknown)} are not supported; leanpipe takes truncation and max_length")
        encodings = tokenize_texts(self.tokenizer, inputs, None, truncation=kwargs.get("truncation"), max_length=kwargs.get("max_length"))
        return single_chunk_samples(encodings)

    def postprocess(self, sample: Sample, params: dict[str, Any]) -> Any:
        hidden = sample.outputs[0]["last_hidden_state"][None]  # (1, T, H), this text's tokens only
        return hidden if params["return_tensors"] else hidden.tolist()
