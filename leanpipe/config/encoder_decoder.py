"""Configs of the encoder-decoders leanpipe runs: BART (classification, spans, fill-mask logits) and
T5 (its encoder)."""

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


class T5Config(PretrainedConfig):
    """T5's config with transformers' defaults (t5-small's shape). leanpipe runs T5's encoder
    (T5EncoderModel, what sentence-transformers' T5 checkpoints such as gtr-t5-base load, and
    T5ForTokenClassification). `feed_forward_proj` "relu" (T5) or "gated-gelu" (T5 v1.1, flan-t5):
    transformers derives `dense_act_fn` ("gelu" -> "gelu_new") and `is_gated_act` from it."""

    model_type = "t5"
    attribute_map = {"hidden_size": "d_model", "num_attention_heads": "num_heads", "num_hidden_layers": "num_layers",
                     "head_dim": "d_kv"}
    defaults = {
        "classifier_dropout": 0.0,
        "d_ff": 2048,
        "d_kv": 64,
        "d_model": 512,
        "dropout_rate": 0.1,
        "eos_token_id": 1,
        "feed_forward_proj": "relu",
        "initializer_factor": 1.0,
        "is_decoder": False,
        "is_encoder_decoder": True,
        "layer_norm_epsilon": 1e-6,
        "num_heads": 8,
        "num_layers": 6,
        "pad_token_id": 0,
        "relative_attention_max_distance": 128,
        "relative_attention_num_buckets": 32,
        "tie_word_embeddings": True,
        "use_cache": True,
        "vocab_size": 32128,
    }
    size_minimums = {"d_model": 1, "d_kv": 1, "d_ff": 1, "num_heads": 1, "num_layers": 0,
                     "relative_attention_max_distance": 1}
    ACTIVATIONS = ("relu", "gelu_new", "gelu")  # the dense_act_fn values leanpipe's engines run

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if "num_decoder_layers" not in self.__dict__ or self.num_decoder_layers is None:
            object.__setattr__(self, "num_decoder_layers", self.num_layers)  # transformers: symmetry by default
        proj = self.feed_forward_proj
        parts = proj.split("-") if isinstance(proj, str) else []
        object.__setattr__(self, "dense_act_fn", "gelu_new" if proj == "gated-gelu" else parts[-1] if parts else None)
        object.__setattr__(self, "is_gated_act", bool(parts) and parts[0] == "gated")
        if self.model_type == "t5":  # T5 v1.1's files say False, which tells transformers not to scale decoder outputs
            object.__setattr__(self, "scale_decoder_outputs", self.tie_word_embeddings is True)
        if self.model_type in ("t5", "mt5"):  # both configs force it (the weights are always tied)
            object.__setattr__(self, "tie_word_embeddings", True)

    def validate(self) -> None:
        proj = self.feed_forward_proj
        parts = proj.split("-") if isinstance(proj, str) else []
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[0] != "gated"):
            raise ConfigError(f"feed_forward_proj={proj!r} ({self._name_or_path or 'config'}/config.json) must be "
                              f"'gated-ACT' or 'ACT', e.g. 'gated-gelu' or 'relu'")
        if self.dense_act_fn not in self.ACTIVATIONS:
            raise ConfigError(f"feed_forward_proj={proj!r}: leanpipe runs T5's FFN with {list(self.ACTIVATIONS)} "
                              f"(plain or gated), not {self.dense_act_fn!r}")
        for key in ("relative_attention_num_buckets",):
            if not (_is_int(getattr(self, key)) and getattr(self, key) >= 4):
                raise ConfigError(f"{key}={getattr(self, key)!r} must be an integer >= 4")


class MT5Config(T5Config):
    """mT5's config (google/mt5-*): T5 v1.1's layout with transformers' MT5Config defaults (a 250,112
    piece vocabulary, gated-GELU); leanpipe runs its encoder as T5's."""

    model_type = "mt5"
    defaults = {
        **T5Config.defaults,
        "bos_token_id": None,
        "d_ff": 1024,
        "decoder_start_token_id": 0,
        "feed_forward_proj": "gated-gelu",
        "num_heads": 6,
        "num_layers": 8,
        "tie_word_embeddings": True,  # forced, as transformers' MT5Config forces it
        "tokenizer_class": "T5Tokenizer",
        "vocab_size": 250112,
    }


class UMT5Config(T5Config):
    """UMT5's config (google/umt5-*): mT5's shape with a position-bias table in every layer;
    transformers' UMT5Config defaults (it does not force tie_word_embeddings)."""

    model_type = "umt5"
    defaults = {**MT5Config.defaults}
    del defaults["bos_token_id"]
