"""Qwen 3's and Qwen 2's configs (model_types "qwen3", "qwen2"), for their embedding models and classifiers:
Qwen/Qwen3-Embedding-0.6B and its fine-tunes (sentence-transformers checkpoints whose Transformer module is a
Qwen3Model), Qwen3ForSequenceClassification / TokenClassification / QuestionAnswering checkpoints, and the
same heads of Qwen 2 / Qwen 2.5 fine-tunes."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .base import ROPE_KEYS, PretrainedConfig, _is_int, check_decoder_sizes, check_rotary_layers, standard_rope

KINDS = ("full_attention", "sliding_attention")


class Qwen3Config(PretrainedConfig):
    """configuration_qwen3's Qwen3Config with transformers 5.2's defaults (Qwen3-8B's shape).

    A causal decoder: each token sees itself and the real tokens before it; a "sliding_attention" layer
    (`layer_types`, else layers from `max_window_layers` on when `use_sliding_window`) only the last
    `sliding_window` of them. The rotary theta is `rope_parameters["rope_theta"]`, or config.json's older
    `rope_theta` (Qwen3-Embedding-0.6B's: 1,000,000); rope_types "default", "linear" and "llama3" run (YaRN,
    dynamic and longrope are refused). `sliding_window`
    reads null unless `use_sliding_window`, as transformers sets it.
    """

    model_type = "qwen3"
    QK_NORM = True  # q_norm / k_norm on each head's queries and keys
    defaults = {
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": None,
        "eos_token_id": None,
        "head_dim": 128,
        "hidden_act": "silu",
        "hidden_size": 4096,
        "initializer_range": 0.02,
        "intermediate_size": 22016,
        "layer_types": None,
        "max_position_embeddings": 32768,
        "max_window_layers": 28,
        "num_attention_heads": 32,
        "num_hidden_layers": 32,
        "num_key_value_heads": 32,
        "pad_token_id": None,
        "rms_norm_eps": 1e-6,
        "rope_parameters": None,
        "sliding_window": 4096,
        "tie_word_embeddings": False,
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": 151_936,
    }
    DEFAULT_THETA = 10_000.0

    def __init__(self, **kwargs: Any) -> None:
        theta = kwargs.pop("rope_theta", None)
        scaling = kwargs.pop("rope_scaling", None)
        super().__init__(**kwargs)
        if self.num_key_value_heads is None:  # transformers: "for backward compatibility"
            self.num_key_value_heads = self.num_attention_heads
        if not self.use_sliding_window:
            self.sliding_window = None
        layers = self.num_hidden_layers
        if self.layer_types is None and _is_int(layers) and _is_int(self.max_window_layers):  # else validate() refuses
            self.layer_types = ["sliding_attention" if self.sliding_window is not None and i >= self.max_window_layers
                                else "full_attention" for i in range(layers)]
        self.rope_parameters = standard_rope(self.rope_parameters, scaling, theta, self.DEFAULT_THETA, self.max_position_embeddings)

    def validate(self) -> None:
        where = f"({self._name_or_path or 'config'}/config.json)"
        check_decoder_sizes(self, ("hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim", "intermediate_size"), where)
        if self.sliding_window is not None and not (_is_int(self.sliding_window) and self.sliding_window >= 1):
            raise ConfigError(f"sliding_window={self.sliding_window!r} must be a positive integer or null {where}")
        if "sliding_attention" in (self.layer_types or ()) and self.sliding_window is None:
            raise ConfigError(f"layer_types has sliding_attention layers but sliding_window is null (use_sliding_window="
                              f"{self.use_sliding_window!r}); set use_sliding_window true and a sliding_window {where}")
        rope = self.rope_parameters
        per_kind = {kind: rope for kind in KINDS} if isinstance(rope, dict) else rope
        check_rotary_layers(self.layer_types, self.num_hidden_layers, per_kind, KINDS,
                            "use_sliding_window and max_window_layers", where, rope_types=tuple(ROPE_KEYS))

    def attention_kinds(self) -> list[str]:
        """Each layer's "full_attention" / "sliding_attention": layer_types."""
        return self.layer_types

    def window(self) -> int:
        """How many keys a sliding layer's query sees: itself and the sliding_window - 1 before it."""
        return self.sliding_window


class Qwen2Config(Qwen3Config):
    """configuration_qwen2's Qwen2Config with transformers 5.2's defaults: Qwen 3's layers without q_norm / k_norm,
    biases on the q / k / v projections always and never on o_proj (modeling_qwen2's Qwen2Attention), and
    head_dim = hidden_size / num_attention_heads unless config.json names one (Qwen2Attention reads it then)."""

    model_type = "qwen2"
    QK_NORM = False
    defaults = {k: v for k, v in Qwen3Config.defaults.items() if k not in ("head_dim", "attention_bias")}

    def __getattr__(self, name: str) -> Any:
        if name == "head_dim":
            return self.hidden_size // self.num_attention_heads if _is_int(self.hidden_size) and _is_int(
                self.num_attention_heads) and self.num_attention_heads > 0 else None
        return super().__getattr__(name)

    def projection_biases(self) -> tuple[bool, bool]:
        return True, False
