"""SPLADE sparse vectors, as sentence-transformers' SparseEncoder makes them from a masked-LM checkpoint
(naver/splade-v3, naver/splade-cocondenser-ensembledistil, prithivida/Splade_PP_en_v1, ...): one weight
per vocabulary entry, most of them zero.

modules.json lists an MLMTransformer (the checkpoint's *ForMaskedLM and its sentence_bert_config.json)
and a SpladePooling module (1_SpladePooling/config.json: "pooling_strategy" max | sum,
"activation_function" relu | log1p_relu). Per text: log(1 + relu(logits)) over its tokens (log1p once
more for log1p_relu), then the max (or sum) over the tokens (sentence_transformers/sparse_encoder/modules/
splade_pooling.py). A masked-LM checkpoint without modules.json gets max + relu, as sentence-transformers
builds it.

>>> splade(logits, "max", "relu")   # (T, V) MLM logits of one text -> (V,) weights >= 0
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .errors import CheckpointError
from .pooling import SPARSE_MODULES, _default_prompt, _join, _read_json, kind_of, read_transformer_config

STRATEGIES = ("max", "sum")
ACTIVATIONS = ("relu", "log1p_relu")


@dataclass(frozen=True)
class SpladeConfig:
    strategy: str = "max"  # how a text's token weights combine
    activation: str = "relu"  # log1p(relu(x)), or log1p(log1p(relu(x))) for log1p_relu (OpenSearch's models)
    max_seq_length: int | None = None  # the MLMTransformer's sentence_bert_config.json; None: the model's limit
    do_lower_case: bool = False
    prompt: str = ""  # config_sentence_transformers.json's default prompt

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES or self.activation not in ACTIVATIONS:
            raise CheckpointError(f"SpladePooling with pooling_strategy {self.strategy!r} and activation_function "
                                  f"{self.activation!r}: leanpipe runs {list(STRATEGIES)} x {list(ACTIVATIONS)}")


def splade(logits: np.ndarray, strategy: str = "max", activation: str = "relu") -> np.ndarray:
    """One text's MLM logits (T, V) -> its sparse vector (V,) float32 (all zeros for no tokens). For
    "max" the max over tokens comes first: relu and log1p never decrease, so log1p(relu(max)) is the max
    of log1p(relu(.)), with one log1p per vocabulary entry instead of one per token and entry."""
    if not len(logits):
        return np.zeros(logits.shape[-1], dtype=np.float32)
    weights = logits.max(axis=0) if strategy == "max" else logits  # (V,) or (T, V)
    weights = np.log1p(np.maximum(weights, 0, dtype=np.float32))
    if activation == "log1p_relu":
        weights = np.log1p(weights)
    return weights if strategy == "max" else weights.sum(axis=0)  # (V,)


def read_splade_config(name_or_path: str | os.PathLike, *, revision: str | None = None) -> SpladeConfig:
    """modules.json's MLMTransformer + SpladePooling settings; SpladeConfig() without modules.json."""
    modules = _read_json(name_or_path, "modules.json", revision)
    if modules is None:
        return SpladeConfig(prompt=_default_prompt(name_or_path, revision))
    kinds = [kind_of(m) for m in modules]
    if kinds != list(SPARSE_MODULES):
        raise CheckpointError(f"{name_or_path}/modules.json lists {kinds}; the sparse-embeddings pipeline runs an "
                              f"MLMTransformer then a SpladePooling module (SPLADE); a Router (inference-free SPLADE) "
                              f"runs in leanpipe.SparseEncoder; sparse autoencoders are not supported")
    transformer_path, pooling_path = (str(m.get("path", "")) for m in modules)
    return splade_modules(name_or_path, transformer_path, pooling_path, revision,
                          prompt=_default_prompt(name_or_path, revision))


def splade_modules(name_or_path: str | os.PathLike, transformer_path: str, pooling_path: str, revision: str | None, *,
                   prompt: str = "") -> SpladeConfig:
    """The settings of an MLMTransformer module in `transformer_path` and a SpladePooling in `pooling_path`."""
    pooling = _read_json(name_or_path, _join(pooling_path, "config.json"), revision) or {}
    transformer = read_transformer_config(name_or_path, transformer_path, revision=revision)
    return SpladeConfig(strategy=pooling.get("pooling_strategy", "max"), activation=pooling.get("activation_function", "relu"),
                        max_seq_length=transformer.get("max_seq_length"),
                        do_lower_case=bool(transformer.get("do_lower_case", False)), prompt=prompt)
