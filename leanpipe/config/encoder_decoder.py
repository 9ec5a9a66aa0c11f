"""Configs of the encoder-decoders leanpipe runs for classification and spans: BART."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .base import PretrainedConfig, _is_int


class BartConfig(PretrainedConfig):
    """BART's config with transformers' defaults (bart-large's shape; three labels, as
    configuration_bart). `hidden_size` reads `d_model`, `num_attention_heads` the encoder's heads,
    and `num_hidden_layers` is the encoder's layer count, as transformers sets it."""

    model_type = "bart"
    attribute_map = {"hidden_size": "d_model", "num_attention_heads": "encoder_attention_heads"}
    defaults = {
        "activation_dropout": 0.0,
        "activation_function": "gelu",
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "classifier_dropout": 0.0,
        "d_model": 1024,
        "decoder_attention_heads": 16,
        "decoder_ffn_dim": 4096,
        "decoder_layerdrop": 0.0,
        "decoder_layers": 12,
        "decoder_start_token_id": 2,
        "dropout": 0.1,
        "encoder_attention_heads": 16,
        "encoder_ffn_dim": 4096,
        "encoder_layerdrop": 0.0,
        "encoder_layers": 12,
        "eos_token_id": 2,
        "id2label": {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"},
        "init_std": 0.02,
        "is_decoder": False,
        "is_encoder_decoder": True,
        "label2id": {"LABEL_0": 0, "LABEL_1": 1, "LABEL_2": 2},
        "max_position_embeddings": 1024,
        "num_hidden_layers": 12,
        "pad_token_id": 1,
        "scale_embedding": False,
        "tie_word_embeddings": True,
        "use_cache": True,
        "vocab_size": 50265,
    }
    size_minimums = {"d_model": 1, "encoder_layers": 0, "decoder_layers": 0, "encoder_attention_heads": 1,
                     "decoder_attention_heads": 1, "encoder_ffn_dim": 1, "decoder_ffn_dim": 1}

    def __init__(self, **kwargs: Any) -> None:
        if "encoder_layers" in kwargs and "num_hidden_layers" not in kwargs:
            kwargs["num_hidden_layers"] = kwargs["encoder_layers"]  # transformers: num_hidden_layers = encoder_layers
        super().__init__(**kwargs)

    def validate(self) -> None:
        self._require_divisible("d_model", "encoder_attention_heads")
        self._require_divisible("d_model", "decoder_attention_heads")
        for key in ("eos_token_id", "decoder_start_token_id"):
            if not _is_int(getattr(self, key)):
                raise ConfigError(f"{key}={getattr(self, key)!r} ({self._name_or_path or 'config'}/config.json) must be "
                                  f"a token id: BART's decoder starts from decoder_start_token_id and its classifier "
                                  f"reads the last eos_token_id")
