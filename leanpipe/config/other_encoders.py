"""Configs of the encoders with their own layouts: ModernBERT, DeBERTa v1 / v2 / v3, ESM."""

from __future__ import annotations

import copy
from typing import Any

from ..errors import ConfigError
from .base import PretrainedConfig, _is_int, check_rotary_layers


class ModernBertConfig(PretrainedConfig):
    """ModernBERT's config with transformers' defaults (ModernBERT-base's shape).

    Layers alternate global and sliding-window attention (`layer_types`, derived from
    `global_attn_every_n_layers` when absent); each kind has its rotary theta in `rope_parameters`,
    built from config.json's older `global_rope_theta` / `local_rope_theta` when given
    (configuration_modernbert). A sliding layer sees keys up to `local_attention // 2` tokens away.
    """

    model_type = "modernbert"
    defaults = {
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 50281,
        "classifier_activation": "gelu",
        "classifier_bias": False,
        "classifier_dropout": 0.0,
        "classifier_pooling": "cls",
        "cls_token_id": 50281,
        "decoder_bias": True,
        "deterministic_flash_attn": False,
        "embedding_dropout": 0.0,
        "eos_token_id": 50282,
        "global_attn_every_n_layers": 3,
        "hidden_activation": "gelu",
        "hidden_size": 768,
        "initializer_cutoff_factor": 2.0,
        "initializer_range": 0.02,
        "intermediate_size": 1152,
        "layer_types": None,
        "local_attention": 128,
        "max_position_embeddings": 8192,
        "mlp_bias": False,
        "mlp_dropout": 0.0,
        "norm_bias": False,
        "norm_eps": 1e-5,
        "num_attention_heads": 12,
        "num_hidden_layers": 22,
        "pad_token_id": 50283,
        "rope_parameters": None,
        "sep_token_id": 50282,
        "sparse_pred_ignore_index": -100,
        "sparse_prediction": False,
        "tie_word_embeddings": True,
        "vocab_size": 50368,
    }
    LAYER_TYPES = ("full_attention", "sliding_attention")
    DEFAULT_THETA = {"full_attention": 160_000.0, "sliding_attention": 10_000.0}

    def __init__(self, **kwargs: Any) -> None:
        if "sliding_window" in kwargs:  # the half window, as transformers' property spells it
            half = kwargs.pop("sliding_window")
            if not (_is_int(half) and half >= 0):
                raise ConfigError(f"sliding_window={half!r} must be a number of tokens (half of local_attention)")
            kwargs["local_attention"] = 2 * half
        thetas = {"full_attention": kwargs.pop("global_rope_theta", None),
                  "sliding_attention": kwargs.pop("local_rope_theta", None)}
        scaling = kwargs.pop("rope_scaling", None)
        kwargs.pop("reference_compile", None)  # deprecated; transformers drops it from the config too
        super().__init__(**kwargs)
        every, layers = self.global_attn_every_n_layers, self.num_hidden_layers
        if self.layer_types is None and _is_int(every) and every >= 1 and _is_int(layers):  # else validate() refuses
            self.layer_types = [self.LAYER_TYPES[bool(i % every)] for i in range(layers)]  # every n-th global, from 0
        rope = copy.deepcopy(self.rope_parameters) or {kind: {"rope_type": "default"} for kind in self.LAYER_TYPES}
        if isinstance(rope, dict) and all(isinstance(v, dict) for v in rope.values()) and isinstance(scaling or {}, dict):
            for kind in self.LAYER_TYPES:
                params = rope.setdefault(kind, {"rope_type": "default"})
                params.update(scaling or {})
                params.setdefault("rope_theta", thetas[kind] if thetas[kind] is not None else self.DEFAULT_THETA[kind])
                params.setdefault("rope_type", params.get("type", "default"))
        self.rope_parameters = rope

    @property
    def sliding_window(self) -> int:
        """Keys at most this far from the query are seen by a sliding layer (local_attention // 2)."""
        return self.local_attention // 2

    def validate(self) -> None:
        self._require_divisible("hidden_size", "num_attention_heads")
        where = f"({self._name_or_path or 'config'}/config.json)"
        if self.classifier_pooling not in ("cls", "mean"):
            raise ConfigError(f"classifier_pooling={self.classifier_pooling!r} must be 'cls' or 'mean' {where}")
        if not (_is_int(self.local_attention) and self.local_attention >= 0):
            raise ConfigError(f"local_attention={self.local_attention!r} must be a window of tokens, e.g. 128 {where}")
        eps = self.norm_eps
        if not (isinstance(eps, (int, float)) and not isinstance(eps, bool) and 0 <= eps < float("inf")):
            raise ConfigError(f"norm_eps={self.norm_eps!r} must be a small non-negative number such as 1e-05 {where}")
        check_rotary_layers(self.layer_types, self.num_hidden_layers, self.rope_parameters, self.LAYER_TYPES,
                            "global_attn_every_n_layers, a positive integer", where)


class DebertaV2Config(PretrainedConfig):
    """DeBERTa-v2's config with transformers' defaults (deberta-v2-xlarge's shape); DeBERTa-v3
    checkpoints use it too (model_type "deberta-v2").

    Attention is disentangled when `relative_attention`: content-to-position and position-to-content
    scores (`pos_att_type`, a list, or "c2p|p2c" as older config.json files spell it) over relative
    positions, log-bucketed into `position_buckets` when > 0, within `max_relative_positions`
    (max_position_embeddings when < 1). `share_att_key` reuses the content projections for positions;
    `norm_rel_ebd` "layer_norm" normalizes the relative embeddings (configuration_deberta_v2).
    """

    model_type = "deberta-v2"
    size_minimums = {"type_vocab_size": 0}  # 0: no token type embeddings (DebertaV2Embeddings)
    defaults = {
        "attention_probs_dropout_prob": 0.1,
        "bos_token_id": None,
        "eos_token_id": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 1536,
        "initializer_range": 0.02,
        "intermediate_size": 6144,
        "layer_norm_eps": 1e-7,
        "legacy": True,
        "max_position_embeddings": 512,
        "max_relative_positions": -1,
        "num_attention_heads": 24,
        "num_hidden_layers": 24,
        "pad_token_id": 0,
        "pooler_dropout": 0,
        "pooler_hidden_act": "gelu",
        "pos_att_type": None,
        "position_biased_input": True,
        "relative_attention": False,
        "tie_word_embeddings": True,
        "type_vocab_size": 0,
        "vocab_size": 128100,
    }

    def __init__(self, **kwargs: Any) -> None:
        if isinstance(kwargs.get("pos_att_type"), str):  # "p2c|c2p" in older config.json files
            kwargs["pos_att_type"] = [x.strip() for x in kwargs["pos_att_type"].lower().split("|")]
        super().__init__(**kwargs)
        if "pooler_hidden_size" not in kwargs:
            self.pooler_hidden_size = self.hidden_size

    def validate(self) -> None:
        self._require_divisible("hidden_size", "num_attention_heads")
        where = f"({self._name_or_path or 'config'}/config.json)"
        kinds = self.pos_att_type
        if kinds is not None and not (isinstance(kinds, list) and all(isinstance(k, str) for k in kinds)):
            raise ConfigError(f"pos_att_type={kinds!r} must be a list such as [\"p2c\", \"c2p\"] or \"p2c|c2p\" {where}")
        unknown = set(kinds or []) - {"c2p", "p2c"}
        if unknown:
            raise ConfigError(f"pos_att_type {sorted(unknown)} is not supported (only 'c2p' and 'p2c') {where}")
        for key in ("position_buckets", "max_relative_positions", "conv_kernel_size", "pooler_hidden_size",
                    "attention_head_size"):
            if hasattr(self, key) and not _is_int(getattr(self, key)):
                raise ConfigError(f"{key}={getattr(self, key)!r} must be an integer {where}")
        if not isinstance(getattr(self, "norm_rel_ebd", "none"), str):
            raise ConfigError(f"norm_rel_ebd={self.norm_rel_ebd!r} must be a string such as \"layer_norm\" {where}")
        if getattr(self, "conv_kernel_size", 0) > 0:
            self._check_convolution(where)
        head_size = getattr(self, "attention_head_size", self.hidden_size // self.num_attention_heads)
        if head_size * self.num_attention_heads != self.hidden_size:
            raise ConfigError(f"attention_head_size={head_size} times num_attention_heads must equal hidden_size {where}")


    def _check_convolution(self, where: str) -> None:
        """deberta-v2-xlarge's ConvLayer: an odd kernel (an even one changes the length, which transformers
        cannot add back either), groups dividing hidden_size, an activation leanpipe runs."""
        kernel, groups, act = self.conv_kernel_size, getattr(self, "conv_groups", 1), getattr(self, "conv_act", "tanh")
        if kernel % 2 == 0:
            raise ConfigError(f"conv_kernel_size={kernel} must be odd: the convolution keeps the sequence length "
                              f"only for odd kernels (transformers fails on this checkpoint too) {where}")
        if not _is_int(groups) or groups <= 0 or self.hidden_size % groups:
            raise ConfigError(f"conv_groups={groups!r} must be a positive divisor of hidden_size={self.hidden_size} {where}")
        if act not in CONV_ACTIVATIONS:
            raise ConfigError(f"conv_act={act!r} has no leanpipe implementation; it runs {list(CONV_ACTIVATIONS)} {where}")


class DebertaConfig(DebertaV2Config):
    """DeBERTa (v1)'s config: DebertaV2Config's keys with deberta-base's defaults (configuration_deberta).
    The v2 additions (position_buckets, share_att_key, norm_rel_ebd, conv_kernel_size) mean nothing to
    v1's model and are ignored; `talking_head` (no released checkpoint uses it) is refused."""

    model_type = "deberta"
    defaults = {**DebertaV2Config.defaults, "hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
                "num_hidden_layers": 12, "vocab_size": 50265}

    def validate(self) -> None:
        if getattr(self, "talking_head", False):
            raise ConfigError(f"talking_head=true (DeBERTa-v1's head-mixing projections) is not supported by leanpipe "
                              f"({self._name_or_path or 'config'}/config.json)")
        super().validate()


class FNetConfig(PretrainedConfig):
    """FNet (google/fnet-base, google/fnet-large): BERT's layout with each layer's attention replaced by
    the real part of a 2-D Fourier transform over tokens and hidden units, so there are no attention
    heads; configuration_fnet's defaults (gelu_new, 4 token types, a 32,000-piece SentencePiece vocabulary)."""

    model_type = "fnet"
    defaults = {
        "bos_token_id": 1,
        "eos_token_id": 2,
        "hidden_act": "gelu_new",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 768,
        "initializer_range": 0.02,
        "intermediate_size": 3072,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "num_hidden_layers": 12,
        "pad_token_id": 3,
        "tie_word_embeddings": True,
        "tpu_short_seq_length": 512,
        "type_vocab_size": 4,
        "use_tpu_fourier_optimizations": False,
        "vocab_size": 32000,
    }

    def validate(self) -> None:
        if self.use_tpu_fourier_optimizations:
            raise ConfigError("use_tpu_fourier_optimizations=True is not supported: transformers then multiplies by "
                              "a DFT matrix of tpu_short_seq_length cut to the input's length, which is not the "
                              "Fourier transform of shorter inputs; leanpipe runs the exact transform (set it to false)")


class EsmConfig(PretrainedConfig):
    """ESM protein language models (facebook/esm2_t6_8M_UR50D ... esm2_t48_15B, esm1b_t33_650M_UR50S):
    transformers' defaults (configuration_esm). ESM-2 rotates queries and keys (`position_embedding_type`
    "rotary"), ESM-1b adds learned positions ("absolute"); `token_dropout` rescales the embeddings by
    the share of <mask> tokens, as in training. ESMFold (`is_folding_model`) is not an encoder task model."""

    model_type = "esm"
    defaults = {
        "add_cross_attention": False,
        "attention_probs_dropout_prob": 0.1,
        "emb_layer_norm_before": None,
        "esmfold_config": None,
        "hidden_dropout_prob": 0.1,
        "hidden_size": 768,
        "initializer_range": 0.02,
        "intermediate_size": 3072,
        "is_decoder": False,
        "is_folding_model": False,
        "layer_norm_eps": 1e-12,
        "mask_token_id": None,
        "max_position_embeddings": 1026,
        "num_attention_heads": 12,
        "num_hidden_layers": 12,
        "pad_token_id": None,
        "position_embedding_type": "absolute",
        "tie_word_embeddings": True,
        "token_dropout": False,
        "use_cache": True,
        "vocab_list": None,
        "vocab_size": None,
    }

    def validate(self) -> None:
        where = f"{self._name_or_path or 'config'}/config.json"
        self._require_divisible("hidden_size", "num_attention_heads")
        if self.is_folding_model:
            raise ConfigError(f"{where} is an ESMFold structure model (is_folding_model); leanpipe runs ESM encoders "
                              f"(AutoModel, AutoModelForMaskedLM, ...) such as facebook/esm2_t33_650M_UR50D")
        if self.is_decoder:
            raise ConfigError(f"is_decoder=true in {where}: leanpipe runs ESM as the encoder it is trained as; set it to false")
        if self.position_embedding_type not in ("absolute", "rotary"):
            raise ConfigError(f"position_embedding_type={self.position_embedding_type!r} in {where} is not one of "
                              f"ESM's 'absolute' (ESM-1b) and 'rotary' (ESM-2)")
        if (self.token_dropout and not _is_int(self.mask_token_id)) or (
                self.position_embedding_type == "absolute" and not _is_int(self.pad_token_id)):
            raise ConfigError(f"{where} needs mask_token_id (token_dropout) and pad_token_id (absolute positions) "
                              f"as integers: 32 and 1 in ESM's vocabulary")


CONV_ACTIVATIONS = ("gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "tanh")
