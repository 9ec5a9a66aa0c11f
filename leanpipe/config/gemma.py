"""Gemma 3's text config (model_type "gemma3_text"), for its bidirectional encoders (google/embeddinggemma-300m and
fine-tunes: sentence-transformers checkpoints whose Transformer module is a Gemma3TextModel) and its causal
models' base and sequence classifier (Gemma3TextForSequenceClassification)."""

from __future__ import annotations

import copy
from typing import Any

from ..errors import ConfigError
from .base import ROPE_KEYS, PretrainedConfig, _is_int, check_decoder_sizes, check_rotary_layers

ROPE_KINDS = ("full_attention", "sliding_attention")


class Gemma3TextConfig(PretrainedConfig):
    """configuration_gemma3's Gemma3TextConfig with transformers 5.2's defaults (gemma-3-2b's shape).

    Layers are "sliding_attention" or "full_attention" (`layer_types`, else every `sliding_window_pattern`-th
    layer full); each kind has its rotary theta (`rope_parameters`, or config.json's older `rope_theta` /
    `rope_local_base_freq`; rope_type default, linear or llama3). With `use_bidirectional_attention` every query
    sees keys on both sides, a sliding layer those fewer than (sliding_window // 2) + 1 positions away
    (`window()`), as transformers computes it; `sliding_window` itself stays the value config.json gives
    (transformers 5.2 stores the computed one, so its save / load round trip halves the window again;
    leanpipe's does not). Without it (Gemma 3 as a language model) attention is causal, a sliding layer's
    query seeing its own key and the sliding_window - 1 before it.
    """

    model_type = "gemma3_text"
    defaults = {
        "attention_bias": False,
        "attention_dropout": 0.0,
        "attn_logit_softcapping": None,
        "bos_token_id": 2,
        "eos_token_id": 1,
        "final_logit_softcapping": None,
        "head_dim": 256,
        "hidden_activation": "gelu_pytorch_tanh",
        "hidden_size": 2304,
        "initializer_range": 0.02,
        "intermediate_size": 9216,
        "layer_types": None,
        "max_position_embeddings": 131_072,
        "num_attention_heads": 8,
        "num_hidden_layers": 26,
        "num_key_value_heads": 4,
        "pad_token_id": 0,
        "query_pre_attn_scalar": 256,
        "rms_norm_eps": 1e-6,
        "rope_parameters": None,
        "sliding_window": 4096,
        "tie_word_embeddings": True,
        "use_bidirectional_attention": False,
        "use_cache": True,
        "vocab_size": 262_208,
    }
    DEFAULT_THETA = {"full_attention": 1_000_000.0, "sliding_attention": 10_000.0}

    def __init__(self, **kwargs: Any) -> None:
        thetas = {"full_attention": kwargs.pop("rope_theta", None), "sliding_attention": kwargs.pop("rope_local_base_freq", None)}
        scaling = kwargs.pop("rope_scaling", None)
        pattern = kwargs.pop("sliding_window_pattern", kwargs.pop("_sliding_window_pattern", 6))
        super().__init__(**kwargs)
        self._sliding_window_pattern = pattern
        layers = self.num_hidden_layers
        if self.layer_types is None and _is_int(pattern) and pattern >= 1 and _is_int(layers):  # else validate() refuses
            self.layer_types = ["sliding_attention" if (i + 1) % pattern else "full_attention" for i in range(layers)]
        rope = copy.deepcopy(self.rope_parameters) or {kind: {"rope_type": "default"} for kind in ROPE_KINDS}
        if isinstance(rope, dict) and all(isinstance(v, dict) for v in rope.values()):
            if isinstance(scaling, dict):  # the older key: it scales the global layers' rotary only
                rope.setdefault("full_attention", {"rope_type": "default"}).update(scaling)
            for kind in ROPE_KINDS:
                params = rope.setdefault(kind, {"rope_type": "default"})
                params.setdefault("rope_theta", thetas[kind] if thetas[kind] is not None else self.DEFAULT_THETA[kind])
                params.setdefault("rope_type", params.get("type", "default"))
                if params["rope_type"] == "llama3":
                    params.setdefault("original_max_position_embeddings", self.max_position_embeddings)
        self.rope_parameters = rope

    def attention_kinds(self) -> list[str]:
        """Each layer's "full_attention" / "sliding_attention": layer_types."""
        return self.layer_types

    def window(self) -> int:
        """How far apart a sliding layer's query and key may be, exclusive: (sliding_window // 2) + 1 for a
        bidirectional model, as transformers' config sets it at load."""
        return self.sliding_window // 2 + 1 if self.use_bidirectional_attention is True else self.sliding_window

    def validate(self) -> None:
        where = f"({self._name_or_path or 'config'}/config.json)"
        if self.use_bidirectional_attention not in (True, False, None):  # null: causal, as transformers reads it
            raise ConfigError(f"use_bidirectional_attention={self.use_bidirectional_attention!r} must be true or false {where}")
        check_decoder_sizes(self, ("hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim", "intermediate_size",
                                   "sliding_window"), where)
        if self.attn_logit_softcapping is not None:  # final_logit_softcapping is the LM head's, which leanpipe does not run
            raise ConfigError(f"attn_logit_softcapping={self.attn_logit_softcapping!r} is not supported (Gemma 3 sets null) {where}")
        if not isinstance(self.query_pre_attn_scalar, (int, float)) or self.query_pre_attn_scalar <= 0:
            raise ConfigError(f"query_pre_attn_scalar={self.query_pre_attn_scalar!r} must be a positive number {where}")
        check_rotary_layers(self.layer_types, self.num_hidden_layers, self.rope_parameters, ROPE_KINDS,
                            "sliding_window_pattern, a positive integer", where, rope_types=tuple(ROPE_KEYS))
