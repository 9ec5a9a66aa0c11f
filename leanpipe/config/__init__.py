"""config.json -> a config object with transformers' defaults, attribute names and printing.

`BertConfig()` has hidden_size 768, 12 layers and vocab_size 30522, as in transformers;
`AutoConfig.from_pretrained(path)` picks the class from config.json's `model_type`.
Unknown keys are kept as attributes and printed; `id2label` has int keys.
The base class is in base.py, the architectures' classes in bert_like.py, other_encoders.py,
encoder_decoder.py, gemma.py and qwen.py (the decoder families whose embedding models leanpipe runs).
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigError
from .base import PretrainedConfig, dtype_name, read_config_dict  # noqa: F401  (the package's public names)
from .bert_like import (  # noqa: F401
    AlbertConfig,
    BertConfig,
    BigBirdConfig,
    CamembertConfig,
    ConvBertConfig,
    Data2VecTextConfig,
    DistilBertConfig,
    DPRConfig,
    ElectraConfig,
    ErnieConfig,
    IBertConfig,
    LayoutLMConfig,
    LongformerConfig,
    MegatronBertConfig,
    MobileBertConfig,
    MPNetConfig,
    RobertaConfig,
    RemBertConfig,
    RobertaPreLayerNormConfig,
    SqueezeBertConfig,
    XLMRobertaConfig,
    XLMRobertaXLConfig,
)
from .encoder_decoder import BartConfig, MT5Config, T5Config, UMT5Config  # noqa: F401
from .gemma import Gemma3TextConfig  # noqa: F401
from .qwen import Qwen2Config, Qwen3Config  # noqa: F401
from .llama import LlamaConfig, MistralConfig  # noqa: F401
from .other_encoders import CONV_ACTIVATIONS, DebertaConfig, DebertaV2Config, EsmConfig, FNetConfig, ModernBertConfig  # noqa: F401

CONFIG_CLASSES: dict[str, type[PretrainedConfig]] = {
    c.model_type: c
    for c in (BertConfig, ErnieConfig, DistilBertConfig, RobertaConfig, XLMRobertaConfig, CamembertConfig, ElectraConfig, AlbertConfig,
              MPNetConfig, ModernBertConfig, DebertaConfig, DebertaV2Config, EsmConfig, LongformerConfig, MobileBertConfig, Data2VecTextConfig,
              RobertaPreLayerNormConfig, XLMRobertaXLConfig, SqueezeBertConfig, MegatronBertConfig, BigBirdConfig, RemBertConfig, ConvBertConfig, FNetConfig, DPRConfig, IBertConfig, LayoutLMConfig, Gemma3TextConfig, Qwen3Config, Qwen2Config, LlamaConfig, MistralConfig, BartConfig, T5Config, MT5Config, UMT5Config)
}


def supported_model_types() -> list[str]:
    return sorted(CONFIG_CLASSES)


def config_class_for(data: dict[str, Any], *, source: Any = "config.json") -> type[PretrainedConfig]:
    model_type = data.get("model_type")
    if model_type is None:
        raise ConfigError(f"config.json of {source} has no 'model_type'; add it (e.g. \"bert\")")
    if not isinstance(model_type, str) or model_type not in CONFIG_CLASSES:
        raise ConfigError(
            f"model_type {model_type!r} ({source}) is not supported by leanpipe yet; "
            f"supported: {', '.join(supported_model_types())}"
        )
    return CONFIG_CLASSES[model_type]


class AutoConfig:
    """`AutoConfig.from_pretrained(path_or_repo_id)` -> the config class named by `model_type`."""

    def __init__(self) -> None:
        raise TypeError("use AutoConfig.from_pretrained(...) or AutoConfig.for_model(model_type)")

    @staticmethod
    def from_pretrained(name_or_path: str | os.PathLike, *, revision: str | None = None, **kwargs: Any) -> PretrainedConfig:
        return PretrainedConfig.from_pretrained(name_or_path, revision=revision, **kwargs)

    @staticmethod
    def for_model(model_type: str, **kwargs: Any) -> PretrainedConfig:
        return config_class_for({"model_type": model_type})(**kwargs)
