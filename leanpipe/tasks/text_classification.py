"""text-classification / sentiment-analysis: logits -> softmax/sigmoid -> labels with scores.

pipe("I love it") -> [{"label": "POSITIVE", "score": 0.9998}]    (transformers' shapes, see `finish`)
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from ..functional import sigmoid, softmax
from ..pipeline import Pipeline
from .base import Sample, Task, check_padding, single_chunk_samples, tokenize_texts

_UNSET = object()  # top_k not given: transformers' "legacy" answer, the best label only
FUNCTIONS = ("softmax", "sigmoid", "none")


class TextClassificationPipeline(Pipeline):
    """pipeline("text-classification") and ("sentiment-analysis"), named as in transformers."""


class TextClassification(Task):
    name = "text-classification"
    head = "sequence-classification"
    default_model = ("distilbert/distilbert-base-uncased-finetuned-sst-2-english", "714eb0f")
    pipeline_class = TextClassificationPipeline
    # padding: a tokenizer option transformers passes through; results do not depend on it (batches are padded anyway)
    parameters = {"top_k": _UNSET, "function_to_apply": None, "truncation": None, "max_length": None, "padding": None}
    removed_parameters = {"return_all_scores": "removed in transformers 5 (5.2 ignores it and returns the best label "
                                               "only); pass top_k=None for every label's score"}

    def gather_inputs(self, inputs: Any, params: dict[str, Any]) -> Any:
        if "function_to_apply" in params and params["function_to_apply"] is None:
            del params["function_to_apply"]  # transformers: None in a call keeps the pipeline's choice
        return super().gather_inputs(inputs, params)

    def check_params(self, params: dict[str, Any]) -> None:
        check_padding(params)
        top_k = params.get("top_k")
        if top_k is not _UNSET and top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)):
            raise InputError(f"top_k must be an integer (how many labels) or None (every label), got {top_k!r}")

    def normalize(self, inputs: Any) -> tuple[list[Any], bool]:
        if isinstance(inputs, dict):
            return [inputs], True
        if isinstance(inputs, list) and len(inputs) == 1 and isinstance(inputs[0], list) and len(inputs[0]) == 2:
            return [{"text": inputs[0][0], "text_pair": inputs[0][1]}], True  # [[text, pair]]: transformers' pair form
        return super().normalize(inputs)

    def encode(self, inputs: Sequence[Any], params: dict[str, Any]) -> list[Sample]:
        texts, pairs = [], []
        for x in inputs:
            if isinstance(x, dict):
                if "text" not in x:
                    raise InputError(f"a text pair is {{'text': ..., 'text_pair': ...}}; got keys {sorted(x)}")
                texts.append(x["text"])
                pairs.append(no_empty_pair(x.get("text_pair"), self.tokenizer))
            elif isinstance(x, list):
                raise InputError(
                    'to classify text pairs, send {"text": "My text", "text_pair": "My pair"} '
                    "(or a list of such dicts)"
                )
            else:
                texts.append(x)
                pairs.append(None)
        encodings = tokenize_texts(self.tokenizer, texts, pairs, truncation=params["truncation"],
                                   max_length=params["max_length"], padding=params["padding"])
        return single_chunk_samples(encodings)

    def postprocess(self, sample: Sample, params: dict[str, Any]) -> Any:
        config = self.model.config
        scores = apply_function(sample.outputs[0]["logits"], choose_function(config, params["function_to_apply"]))
        top_k = params["top_k"]
        if top_k is _UNSET:
            best = int(scores.argmax())
            return {"label": config.id2label[best], "score": float(scores[best])}
        ranked = sorted(
            ({"label": config.id2label[i], "score": float(s)} for i, s in enumerate(scores)),
            key=lambda d: d["score"],
            reverse=True,
        )
        return ranked if top_k is None else ranked[:top_k]

    def finish(self, results: list[Any], inputs: Any, single: bool, call_params: dict[str, Any]) -> Any:
        # transformers wraps a single string's answer in a list unless top_k was passed to the call.
        if isinstance(inputs, str) and "top_k" not in call_params:
            return [results[0]]
        return results[0] if single else results


def no_empty_pair(pair: Any, tokenizer: Any) -> Any:
    """A dict's text_pair as transformers' tokenizer reads it: a fast tokenizer tests `if text_pair`,
    so "" (like None or no key) is no pair, `<s> a </s>`; a Python one (EsmTokenizer, leanpipe's
    `slow`) tests `is not None` and encodes "" as an empty second segment, `<cls> a <eos> <eos>`."""
    if isinstance(pair, str) and not pair and not getattr(tokenizer, "slow", False):
        return None
    return pair


def choose_function(config: Any, requested: str | None) -> str:
    """transformers' rule (TextClassificationPipeline.postprocess): regression -> none; multi-label or
    one logit -> sigmoid; else softmax. A requested function ("softmax", "SIGMOID", ...) wins."""
    if requested is not None:
        name = str(getattr(requested, "value", requested)).lower()  # a string or transformers' ClassificationFunction
        if name not in FUNCTIONS:
            raise InputError(f"function_to_apply={requested!r} is not one of {list(FUNCTIONS)}")
        return name
    if config.problem_type == "regression":
        return "none"
    if config.problem_type == "multi_label_classification" or config.num_labels == 1:
        return "sigmoid"
    return "softmax"


def apply_function(logits: np.ndarray, name: str) -> np.ndarray:
    if name == "softmax":
        return softmax(logits, dim=-1)
    if name == "sigmoid":
        return sigmoid(logits)
    return logits
