"""sparse-embeddings: SPLADE vectors from a masked-LM checkpoint, as sentence-transformers' SparseEncoder
and text-embeddings-inference's /embed_sparse make them (leanpipe.splade).

pipe("What is SPLADE?")                       -> [{"index": 2054, "value": 1.31}, ...]  (non-zero weights, by index)
pipe(["a", "b"], return_tensors=True)         -> [array (V,), array (V,)]
pipe(texts, max_active_dims=64)               -> only each text's 64 largest weights kept
pipe(TokenIds([101, 2054, 2003, 102]))         -> a text's vector from its token ids, run as given (tasks.token_ids)
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from ..hub import hub_options
from ..pipeline import Pipeline
from ..pooling import sentence_options
from ..splade import read_splade_config, splade
from . import token_ids
from .base import Sample, Task, prompted, single_chunk_samples, tokenize_texts


class SparseEmbeddingsPipeline(Pipeline):
    """pipeline("sparse-embeddings") (leanpipe's task; transformers has none)."""


class SparseEmbeddings(Task):
    name = "sparse-embeddings"
    head = "masked-lm"
    token_outputs = frozenset({"logits"})
    module_subfolder = True  # pipeline() loads the model and tokenizer from the MLMTransformer module's folder
    # sentence-transformers' SparseEncoder docs' first model (transformers has no such task); no pinned commit here
    default_model = ("naver/splade-cocondenser-ensembledistil", "main")
    pipeline_class = SparseEmbeddingsPipeline
    # prompt None: the checkpoint's default prompt; max_active_dims None: every non-zero weight
    parameters = {"truncation": True, "prompt": None, "return_tensors": False, "max_active_dims": None}

    def __init__(self, model: Any, tokenizer: Any) -> None:
        super().__init__(model, tokenizer)
        with hub_options(sentence_options(model)):  # the root's, above an older checkpoint's 0_MLMTransformer/
            self.splade_config = read_splade_config(model.name_or_path, revision=model.revision)

    def check_params(self, params: dict[str, Any]) -> None:
        if "truncation" in params and not isinstance(params["truncation"], bool):
            raise InputError(f"truncation must be True or False, got {params['truncation']!r}")
        if params.get("prompt") is not None and not isinstance(params["prompt"], str):
            raise InputError(f"prompt must be a string put before every text (\"\" for none), got {params['prompt']!r}")
        dims = params.get("max_active_dims")
        if dims is not None and (isinstance(dims, bool) or not isinstance(dims, int) or dims < 1):
            raise InputError(f"max_active_dims must be a positive integer (or None for all), got {dims!r}")

    def max_length(self) -> int:
        """The MLMTransformer's max_seq_length, else the tokenizer's limit capped at the model's positions."""
        if self.splade_config.max_seq_length is not None:
            return int(self.splade_config.max_seq_length)
        positions = getattr(self.model.config, "max_position_embeddings", None)
        limit = int(self.tokenizer.model_max_length)
        return limit if positions is None else min(limit, int(positions))

    def tokenize(self, texts: Sequence[str], truncation: bool, prompt: str | None = None):
        c = self.splade_config
        return tokenize_texts(self.tokenizer, prompted(texts, c.prompt if prompt is None else prompt, self.tokenizer, c.do_lower_case), None,
                              truncation=truncation, max_length=self.max_length() if truncation else None)

    def encode(self, inputs: Sequence[Any], params: dict[str, Any]) -> list[Sample]:
        """Texts, and TokenIds run as given (no prompt, no special tokens added), cut where a text is."""
        truncation = params["truncation"]
        return single_chunk_samples(token_ids.merged(
            inputs, lambda texts: self.tokenize(texts, truncation, params["prompt"]),
            lambda ids: token_ids.rows(self.tokenizer, ids, self.max_length() if truncation else None)))

    def keep(self, outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Pooled as each batch finishes: a text's (T, V) logits are not held until the chunk ends."""
        c = self.splade_config
        return {"splade": splade(outputs["logits"], c.strategy, c.activation)}  # (V,)

    def postprocess(self, sample: Sample, params: dict[str, Any]) -> Any:
        vector = top_dims(sample.outputs[0]["splade"], params["max_active_dims"])
        if params["return_tensors"]:
            return vector
        nonzero = np.flatnonzero(vector)
        return [{"index": int(i), "value": float(vector[i])} for i in nonzero]


def top_dims(vector: np.ndarray, k: int | None) -> np.ndarray:
    """Only the `k` largest weights of a (V,) vector kept, the rest zero (sentence-transformers'
    select_max_active_dims: ties at the cut broken by position); None keeps them all."""
    if k is None or k >= vector.shape[-1]:
        return vector
    keep = np.argsort(-vector, kind="stable")[:k]
    out = np.zeros_like(vector)
    out[keep] = vector[keep]
    return out
