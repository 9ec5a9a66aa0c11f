"""feature-extraction: the last hidden state of every token, as nested lists (1, T, H) per text.
An input may be token ids (tasks.token_ids.TokenIds), run as given: add_special_tokens does not apply to them."""

from __future__ import annotations

from typing import Any, Sequence

from tokenizers import Encoding

from ..errors import InputError
from ..pipeline import Pipeline
from ..tokenization.strategies import plan_encoding
from . import token_ids
from .base import Sample, Task, single_chunk_samples, tokenize_texts

# what tokenize_kwargs may hold: the tokenizer options that decide which tokens a text becomes
TOKENIZE_KWARGS = ("truncation", "max_length", "add_special_tokens", "padding", "pad_to_multiple_of")


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
        kwargs = tokenize_options(params["tokenize_kwargs"], params["truncation"])
        padding = kwargs.get("padding")
        if padding is None or padding is False:
            encodings = token_ids.merged(
                inputs,
                lambda texts: tokenize_texts(self.tokenizer, texts, None, truncation=kwargs.get("truncation"),
                                             max_length=kwargs.get("max_length"), padding=padding,
                                             add_special_tokens=kwargs.get("add_special_tokens", True)),
                lambda ids: token_ids.rows(self.tokenizer, ids, ids_length(self.tokenizer, kwargs)))
        else:
            encodings = [padded_alone(self.tokenizer, text, kwargs) for text in inputs]
        return single_chunk_samples(encodings)

    def keeps_padding(self, params: dict[str, Any]) -> bool:
        padding = (params["tokenize_kwargs"] or {}).get("padding")
        return not (padding is None or padding is False)

    def postprocess(self, sample: Sample, params: dict[str, Any]) -> Any:
        """(1, T, H): this text's tokens only. A model with no last_hidden_state (DPR's encoders) gives its
        first output, one vector per text, (1, H), as transformers' pipeline returns model_outputs[0]."""
        outputs = sample.outputs[0]
        hidden = (outputs["last_hidden_state"] if "last_hidden_state" in outputs else outputs["pooler_output"])[None]
        return hidden if params["return_tensors"] else hidden.tolist()


def tokenize_options(tokenize_kwargs: dict[str, Any] | None, truncation: Any) -> dict[str, Any]:
    """tokenize_kwargs with the pipeline's truncation= merged in, as transformers merges them; options
    outside TOKENIZE_KWARGS are refused naming those."""
    kwargs = dict(tokenize_kwargs or {})
    if truncation is not None:
        if "truncation" in kwargs:
            raise InputError("truncation given twice: as an argument and in tokenize_kwargs; keep one")
        kwargs["truncation"] = truncation
    unknown = set(kwargs) - set(TOKENIZE_KWARGS)
    if unknown:
        raise InputError(f"tokenize_kwargs {sorted(unknown)} are not supported; feature-extraction takes {list(TOKENIZE_KWARGS)}")
    return kwargs


def ids_length(tokenizer: Any, kwargs: dict[str, Any]) -> int | None:
    """Where TokenIds are cut under these tokenize_kwargs: where a text would be (max_length, else the
    tokenizer's model_max_length), or None when a text would not be cut."""
    plan = plan_encoding(padding=False, truncation=kwargs.get("truncation"), max_length=kwargs.get("max_length"),
                         model_max_length=int(tokenizer.model_max_length), verbose=False)
    return plan.max_length if plan.truncates else None


def padded_alone(tokenizer: Any, text: Any, kwargs: dict[str, Any]) -> Encoding:
    """One text tokenized with padding= as transformers' pipeline tokenizes it, alone: padding=True
    pads it to its own length (nothing, or up to pad_to_multiple_of), "max_length" to max_length. Its
    pad positions stay in the row (mask 0), so their vectors are returned as transformers returns them."""
    if isinstance(text, token_ids.TokenIds):
        raise InputError("token ids are run as given, not padded: leave padding out of tokenize_kwargs to send TokenIds")
    if not isinstance(text, str):
        raise InputError(f"expected a string, got {type(text).__name__}: {text!r:.80}")
    return tokenizer(text, **kwargs).encodings[0]
