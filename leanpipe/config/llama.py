"""Llama's and Mistral's configs (model_types "llama", "mistral"), for their classifiers and base models run as
encoders: LlamaForSequenceClassification / TokenClassification / QuestionAnswering (reward models, SmolLM- and
Llama-3.2-based classifiers) and MistralModel / Mistral*For* checkpoints (Mistral-based embedding models)."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .base import ROPE_KEYS, PretrainedConfig, _is_int, check_decoder_sizes, check_rotary_layers, standard_rope

KINDS = ("full_attention", "sliding_attention")


class LlamaConfig(PretrainedConfig):
    """configuration_llama's LlamaConfig with transformers 5.2's defaults (Llama-2-7B's shape).

    Causal attention over every layer; biases on the q / k / v / o projections with attention_bias, on the MLP
    with mlp_bias; head_dim from config.json, else hidden_size / num_attention_heads (stored, as transformers
    stores it). Rotary: rope_parameters (or the older rope_theta / rope_scaling) of rope_type "default",
    "linear" or "llama3" (Llama 3.1 / 3.2's); YaRN, dynamic and longrope are refused."""

    model_type = "llama"
    QK_NORM = False
    DEFAULT_THETA = 10_000.0
    defaults = {
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "head_dim": None,
        "hidden_act": "silu",
        "hidden_size": 4096,
        "initializer_range": 0.02,
        "intermediate_size": 11008,
        "max_position_embeddings": 2048,
        "mlp_bias": False,
        "num_attention_heads": 32,
        "num_hidden_layers": 32,
        "num_key_value_heads": None,
        "pad_token_id": None,
        "pretraining_tp": 1,
        "rms_norm_eps": 1e-6,
        "rope_parameters": None,
        "tie_word_embeddings": False,
        "use_cache": True,
        "vocab_size": 32000,
    }

    def __init__(self, **kwargs: Any) -> None:
        theta, scaling = kwargs.pop("rope_theta", None), kwargs.pop("rope_scaling", None)
        super().__init__(**kwargs)
        if self.num_key_value_heads is None:  # transformers: "for backward compatibility"
            self.num_key_value_heads = self.num_attention_heads
        if self.head_dim is None and _is_int(self.hidden_size) and _is_int(self.num_attention_heads) and self.num_attention_heads > 0:
            self.head_dim = self.hidden_size // self.num_attention_heads
        self.rope_parameters = standard_rope(self.rope_parameters, scaling, theta, self.DEFAULT_THETA, self.max_position_embeddings)

    def validate(self) -> None:
        where = f"({self._name_or_path or 'config'}/config.json)"
        check_decoder_sizes(self, ("hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim", "intermediate_size"), where)
        window = self.window()
        if window is not None and not (_is_int(window) and window >= 1):
            raise ConfigError(f"sliding_window={window!r} must be a positive integer or null {where}")
        rope = self.rope_parameters
        check_rotary_layers(self.attention_kinds(), self.num_hidden_layers, {kind: rope for kind in KINDS} if isinstance(rope, dict) else rope,
                            KINDS, "num_hidden_layers", where, rope_types=tuple(ROPE_KEYS))

    def attention_kinds(self) -> list[str]:
        """Each layer's kind: "sliding_attention" everywhere when window() is set, else "full_attention"."""
        kind = "full_attention" if self.window() is None else "sliding_attention"
        return [kind] * self.num_hidden_layers if _is_int(self.num_hidden_layers) else []

    def window(self) -> int | None:
        """How many keys a query sees (itself and those before it), or None: all of them."""
        return None

    def projection_biases(self) -> tuple[bool, bool]:
        return bool(self.attention_bias), bool(self.attention_bias)

    def mlp_biased(self) -> bool:
        return bool(self.mlp_bias)


class MistralConfig(LlamaConfig):
    """configuration_mistral's MistralConfig with transformers 5.2's defaults (Mistral-7B's shape): Llama's layers
    without biases, every layer attending to the last sliding_window tokens (null: all of them). A layer_types key
    in config.json is ignored, as transformers ignores it for Mistral."""

    model_type = "mistral"
    # Llama's defaults without its bias and tensor-parallel keys, with Mistral-7B's sizes and window
    defaults = {**{k: v for k, v in LlamaConfig.defaults.items() if k not in ("attention_bias", "mlp_bias", "pretraining_tp")},
                "intermediate_size": 14336, "max_position_embeddings": 4096 * 32, "num_key_value_heads": 8,
                "sliding_window": 4096}

    def window(self) -> int | None:
        return self.sliding_window

    def projection_biases(self) -> tuple[bool, bool]:
        return False, False

    def mlp_biased(self) -> bool:
        return False
