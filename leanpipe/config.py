"""config.json -> a config object with transformers' defaults, attribute names and printing.

`BertConfig()` has hidden_size 768, 12 layers and vocab_size 30522, as in transformers;
`AutoConfig.from_pretrained(path)` picks the class from config.json's `model_type`.
Unknown keys are kept as attributes and printed; `id2label` has int keys.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any, ClassVar

from . import hub
from .errors import ConfigError

# The keys transformers' PreTrainedConfig has on every model, with its defaults (5.2.0).
# A key equal to its default here is left out when a config is printed, as transformers does.
_BASE_DEFAULTS: dict[str, Any] = {
    "_name_or_path": "",
    "architectures": None,
    "chunk_size_feed_forward": 0,
    "dtype": None,
    "id2label": {0: "LABEL_0", 1: "LABEL_1"},
    "is_encoder_decoder": False,
    "label2id": {"LABEL_0": 0, "LABEL_1": 1},
    "model_type": "",
    "output_attentions": False,
    "output_hidden_states": False,
    "problem_type": None,
    "return_dict": True,
}
_PROBLEM_TYPES = (None, "regression", "single_label_classification", "multi_label_classification")
# Sizes the model code computes with (config.json key -> smallest valid value), checked when a
# class has the key: a "768" or -1 from a hand-edited config.json fails here, naming the key.
_SIZES = {
    "vocab_size": 1, "hidden_size": 1, "num_attention_heads": 1, "num_hidden_layers": 0, "intermediate_size": 1,
    "max_position_embeddings": 1, "type_vocab_size": 1, "embedding_size": 1, "num_hidden_groups": 1,
    "inner_group_num": 1, "dim": 1, "n_heads": 1, "n_layers": 0, "hidden_dim": 1, "relative_attention_num_buckets": 1,
}


class PretrainedConfig:
    """Base config: attribute access to every config.json key, with per-architecture defaults.

    >>> BertConfig(num_labels=3).id2label
    {0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2'}
    """

    model_type: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    # transformers' generic names -> this architecture's own key (DistilBERT says `dim`).
    attribute_map: ClassVar[dict[str, str]] = {}
    # an architecture's own lower bounds for check_types (DeBERTa-v3 has type_vocab_size 0)
    size_minimums: ClassVar[dict[str, int]] = {}

    def __init__(self, **kwargs: Any) -> None:
        if "torch_dtype" in kwargs:  # the older name of `dtype`
            kwargs.setdefault("dtype", kwargs.pop("torch_dtype"))
        if "dtype" in kwargs:  # torch.float16 / np.float16 from from_pretrained -> "float16", as config.json spells it
            kwargs["dtype"] = dtype_name(kwargs["dtype"])
        kwargs = {self.attribute_map.get(k, k): v for k, v in kwargs.items()}
        num_labels = kwargs.pop("num_labels", None)
        values = {**copy.deepcopy(_BASE_DEFAULTS), **copy.deepcopy(self.defaults), **kwargs}
        values["model_type"] = self.model_type or values.get("model_type", "")
        clashes = [k for k in values if not isinstance(k, str) or k.startswith("__") or callable(getattr(type(self), k, None))]
        if clashes:  # {"to_dict": 5} would shadow a method, {"__class__": 5} break the object
            raise ConfigError(f"config keys {clashes[:5]} are reserved (the config object's methods or Python internals); remove them")
        for key, value in values.items():
            object.__setattr__(self, key, value)
        self.id2label = _int_keys(self.id2label, "id2label")
        if self.label2id is None or ("id2label" in kwargs and "label2id" not in kwargs):
            # transformers 5 leaves label2id None here; the inverse of id2label is what users want from it
            self.label2id = {label: i for i, label in self.id2label.items()}
        else:
            self.label2id = _int_values(self.label2id, "label2id")
        if num_labels is not None and (not isinstance(num_labels, int) or isinstance(num_labels, bool) or num_labels < 0):
            raise ConfigError(f"num_labels={num_labels!r} must be a non-negative integer")
        if num_labels is not None and ("id2label" not in kwargs or len(self.id2label) != num_labels):
            if "id2label" in kwargs:
                raise ConfigError(
                    f"num_labels={num_labels} contradicts id2label with {len(self.id2label)} labels; pass one of them"
                )
            self.num_labels = num_labels
        if self.problem_type not in _PROBLEM_TYPES:
            raise ConfigError(f"problem_type {self.problem_type!r} is not one of {list(_PROBLEM_TYPES)}")

    # --- transformers' aliases -------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        mapped = type(self).attribute_map.get(name)
        if mapped is not None:
            return getattr(self, mapped)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, type(self).attribute_map.get(name, name), value)

    @property
    def num_labels(self) -> int:
        return len(self.id2label)

    @num_labels.setter
    def num_labels(self, n: int) -> None:
        if n != len(self.id2label or {}):
            self.id2label = {i: f"LABEL_{i}" for i in range(n)}
            self.label2id = {label: i for i, label in self.id2label.items()}

    @property
    def name_or_path(self) -> str:
        return self._name_or_path

    @name_or_path.setter
    def name_or_path(self, value: str) -> None:
        self._name_or_path = value

    # --- loading ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, config_dict: dict[str, Any], **kwargs: Any) -> "PretrainedConfig":
        # dtype="auto" (from_pretrained's): the checkpoint's own dtype stays, as transformers resolves it
        overrides = {k: v for k, v in kwargs.items() if not (k in ("dtype", "torch_dtype") and v == "auto")}
        if "torch_dtype" in overrides:  # the caller's, under either name, over the file's
            overrides.setdefault("dtype", overrides.pop("torch_dtype"))
        return cls(**{**config_dict, **overrides})

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | os.PathLike, *, revision: str | None = None, **kwargs: Any
    ) -> "PretrainedConfig":
        """Read config.json from a folder or a hub repo id; keyword arguments override its keys, except
        transformers' download arguments (cache_dir, token, local_files_only, force_download)."""
        from .placement import remote_code

        options = hub.take_hub_options(kwargs)
        trust_remote_code = kwargs.pop("trust_remote_code", None)
        with hub.hub_options(options):
            data = read_config_dict(name_or_path, revision=revision)
        if refusal := remote_code(data.get("auto_map"), trust_remote_code, name_or_path, "config.json"):
            raise ConfigError(refusal)
        config_cls = cls if cls.model_type else config_class_for(data, source=name_or_path)
        if cls.model_type and data.get("model_type") not in (None, cls.model_type):
            raise ConfigError(
                f"{name_or_path} is a {data['model_type']!r} checkpoint, not {cls.model_type!r}; "
                f"load it with AutoConfig / the {data['model_type']} classes"
            )
        try:
            config = config_cls.from_dict(data, **kwargs)
        except ConfigError as exc:  # id2label, label2id, num_labels, problem_type: name the file
            raise ConfigError(f"{exc} ({name_or_path}/config.json)") from None
        config._name_or_path = str(name_or_path)
        config.check_types()
        config.validate()
        return config

    def validate(self) -> None:
        """Check what the model code relies on; raise ConfigError naming the key."""

    def check_types(self) -> None:
        """The sizes, eps and pad id the model code uses have usable types and values, or ConfigError
        naming the key: `hidden_size="768"` or `vocab_size=-1` fail here, not deep inside the engine."""
        where = f"{self._name_or_path or 'config'}/config.json"
        own = type(self).defaults
        for key, low in {**_SIZES, **self.size_minimums}.items():
            value = getattr(self, key, None) if key in own else None
            if key in own and not (_is_int(value) and value >= low):
                raise ConfigError(f"{key}={value!r} in {where} must be an integer >= {low}")
        eps = getattr(self, "layer_norm_eps", 0.0)
        if not (isinstance(eps, (int, float)) and not isinstance(eps, bool) and 0 <= eps < float("inf")):
            raise ConfigError(f"layer_norm_eps={eps!r} in {where} must be a small non-negative number such as 1e-12")
        pad = getattr(self, "pad_token_id", None)
        if pad is not None and not _is_int(pad):
            raise ConfigError(f"pad_token_id={pad!r} in {where} must be an integer or null")

    # --- saving and printing ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items()}

    def to_diff_dict(self) -> dict[str, Any]:
        """The keys transformers prints: those not at the generic defaults, plus the class's own."""
        full = self.to_dict()
        base = _BASE_DEFAULTS
        own = type(self).defaults
        out = {
            k: v
            for k, v in full.items()
            if k not in base or v != base[k] or (k in own and v != own[k]) or k == "model_type"
        }
        out.pop("_name_or_path", None)
        if out.get("model_type") == "":
            del out["model_type"]
        return out

    def to_json_string(self, use_diff: bool = True) -> str:
        data = self.to_diff_dict() if use_diff else self.to_dict()
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    def save_pretrained(self, folder: str | os.PathLike) -> None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / "config.json").write_text(self.to_json_string(use_diff=False))

    def __repr__(self) -> str:
        return f"{type(self).__name__} {self.to_json_string()}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PretrainedConfig) and self.to_dict() == other.to_dict()

    def _require_divisible(self, width_key: str, heads_key: str) -> None:
        width, heads = getattr(self, width_key), getattr(self, heads_key)
        if not isinstance(width, int) or not isinstance(heads, int) or heads <= 0 or width % heads:
            raise ConfigError(
                f"{width_key}={width!r} must be a positive multiple of {heads_key}={heads!r} "
                f"({self._name_or_path or 'config'}/config.json)"
            )


def dtype_name(value: Any) -> Any:
    """`dtype_name(torch.bfloat16)` -> "bfloat16", `dtype_name(np.float32)` -> "float32"; anything else
    as it is (the value is recorded only: leanpipe computes in float32)."""
    import numpy as np

    if type(value).__module__ == "torch" and str(value).startswith("torch."):  # a torch.dtype
        return str(value)[len("torch."):]
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return np.dtype(value).name
    return value  # strings, None, and whatever else config.json holds, unchanged


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_values(mapping: Any, key: str) -> dict[str, int]:
    """label2id: {"POSITIVE": "1"} -> {"POSITIVE": 1}; ConfigError when a value is not an index."""
    if not isinstance(mapping, dict):
        raise ConfigError(f"{key} must be a mapping from label to class index, got {type(mapping).__name__}")
    try:
        return {label: int(i) for label, i in mapping.items()}
    except (TypeError, ValueError, OverflowError):  # OverflowError: Infinity (json.loads reads it)
        raise ConfigError(f"{key} values must be class indices (0, 1, ...); got {list(mapping.values())[:5]}") from None


def _int_keys(mapping: Any, key: str) -> dict[int, str]:
    if not isinstance(mapping, dict):
        raise ConfigError(f"{key} must be a mapping from class index to label, got {type(mapping).__name__}")
    try:
        return {int(k): v for k, v in mapping.items()}
    except (TypeError, ValueError):
        raise ConfigError(f"{key} keys must be class indices (0, 1, ...); got {list(mapping)[:5]}") from None


class BertConfig(PretrainedConfig):
    """BERT's config with transformers' defaults (bert-base-uncased's shape)."""

    model_type = "bert"
    defaults = {
        "add_cross_attention": False,
        "attention_probs_dropout_prob": 0.1,
        "bos_token_id": None,
        "classifier_dropout": None,
        "eos_token_id": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 768,
        "initializer_range": 0.02,
        "intermediate_size": 3072,
        "is_decoder": False,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "num_attention_heads": 12,
        "num_hidden_layers": 12,
        "pad_token_id": 0,
        "tie_word_embeddings": True,
        "type_vocab_size": 2,
        "use_cache": True,
        "vocab_size": 30522,
    }

    def validate(self) -> None:
        self._require_divisible("hidden_size", "num_attention_heads")
        kind = getattr(self, "position_embedding_type", "absolute")
        if kind != "absolute":
            raise ConfigError(
                f"position_embedding_type={kind!r} is not supported yet (only 'absolute'); "
                f"see the README's support table"
            )


class ErnieConfig(BertConfig):
    """ERNIE (nghuyong/ernie-3.0-*, ernie-health-zh, ...): BERT's config and defaults plus the task-type
    embedding ERNIE 3.0 adds to every token when `use_task_id` (configuration_ernie)."""

    model_type = "ernie"
    defaults = {**BertConfig.defaults, "task_type_vocab_size": 3, "use_task_id": False}


class DistilBertConfig(PretrainedConfig):
    """DistilBERT's config with transformers' defaults (distilbert-base-uncased's shape)."""

    model_type = "distilbert"
    attribute_map = {"hidden_size": "dim", "num_attention_heads": "n_heads", "num_hidden_layers": "n_layers"}
    defaults = {
        "activation": "gelu",
        "attention_dropout": 0.1,
        "bos_token_id": None,
        "dim": 768,
        "dropout": 0.1,
        "eos_token_id": None,
        "hidden_dim": 3072,
        "initializer_range": 0.02,
        "max_position_embeddings": 512,
        "n_heads": 12,
        "n_layers": 6,
        "pad_token_id": 0,
        "qa_dropout": 0.1,
        "seq_classif_dropout": 0.2,
        "sinusoidal_pos_embds": False,
        "tie_word_embeddings": True,
        "vocab_size": 30522,
    }

    def validate(self) -> None:
        self._require_divisible("dim", "n_heads")


class RobertaConfig(BertConfig):
    """RoBERTa's config with transformers' defaults: BERT's keys, pad 1 / bos 0 / eos 2, 50265 tokens.

    Positions start after `pad_token_id` (modeling_roberta), so a checkpoint with
    max_position_embeddings=514 and pad_token_id=1 takes 512 tokens.
    """

    model_type = "roberta"
    defaults = {**BertConfig.defaults, "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "vocab_size": 50265}


class XLMRobertaConfig(RobertaConfig):
    """XLM-RoBERTa: RoBERTa's architecture and defaults, except vocab_size 30522 (configuration_xlm_roberta)."""

    model_type = "xlm-roberta"
    defaults = {**RobertaConfig.defaults, "vocab_size": 30522}


class MobileBertConfig(BertConfig):
    """MobileBERT (google/mobilebert-uncased, ...): transformers' defaults (configuration_mobilebert).
    Narrow layers (`intra_bottleneck_size`) between bottleneck projections of the `hidden_size` stream,
    `num_feedforward_networks` stacked FFNs per layer, NoNorm (x * w + b) or LayerNorm, and word
    embeddings of `embedding_size` taken with their neighbours (`trigram_input`)."""

    model_type = "mobilebert"
    defaults = {
        "attention_probs_dropout_prob": 0.1,
        "classifier_activation": True,
        "classifier_dropout": None,
        "embedding_size": 128,
        "hidden_act": "relu",
        "hidden_dropout_prob": 0.0,
        "hidden_size": 512,
        "initializer_range": 0.02,
        "intermediate_size": 512,
        "intra_bottleneck_size": 128,
        "key_query_shared_bottleneck": True,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "normalization_type": "no_norm",
        "num_attention_heads": 4,
        "num_feedforward_networks": 4,
        "num_hidden_layers": 24,
        "pad_token_id": 0,
        "tie_word_embeddings": True,
        "trigram_input": True,
        "true_hidden_size": 128,
        "type_vocab_size": 2,
        "use_bottleneck": True,
        "use_bottleneck_attention": False,
        "vocab_size": 30522,
    }

    @property
    def inner_size(self) -> int:
        """The width attention and the FFNs run at (transformers' true_hidden_size, derived as there)."""
        return self.intra_bottleneck_size if self.use_bottleneck else self.hidden_size

    def validate(self) -> None:
        where = f"{self._name_or_path or 'config'}/config.json"
        if self.normalization_type not in ("no_norm", "layer_norm"):
            raise ConfigError(f"normalization_type={self.normalization_type!r} in {where} is not 'no_norm' or 'layer_norm'")
        if not _is_int(self.num_feedforward_networks) or self.num_feedforward_networks < 1:
            raise ConfigError(f"num_feedforward_networks={self.num_feedforward_networks!r} in {where} must be an integer >= 1")
        width, heads = self.inner_size, self.num_attention_heads
        if not _is_int(width) or width < 1 or width % heads:
            raise ConfigError(f"the attention width {width!r} (intra_bottleneck_size, or hidden_size without use_bottleneck) "
                              f"in {where} must be a positive multiple of num_attention_heads={heads}")


class LongformerConfig(RobertaConfig):
    """Longformer (allenai/longformer-base-4096, ...): RoBERTa's config with transformers'
    LongformerConfig defaults, plus `attention_window` (one even size, or one per layer): a token
    attends to the keys within half that distance, and to every token with global attention."""

    model_type = "longformer"
    defaults = {
        "attention_probs_dropout_prob": 0.1,
        "attention_window": 512,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 768,
        "initializer_range": 0.02,
        "intermediate_size": 3072,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "num_attention_heads": 12,
        "num_hidden_layers": 12,
        "onnx_export": False,
        "pad_token_id": 1,
        "sep_token_id": 2,
        "tie_word_embeddings": True,
        "type_vocab_size": 2,
        "vocab_size": 30522,
    }

    def windows(self) -> list[int]:
        """The attention window of every layer."""
        w = self.attention_window
        return [w] * self.num_hidden_layers if isinstance(w, int) else list(w)

    def validate(self) -> None:
        super().validate()
        w, where = self.attention_window, f"{self._name_or_path or 'config'}/config.json"
        sizes = [w] if isinstance(w, int) and not isinstance(w, bool) else w if isinstance(w, list) else None
        if not sizes or not all(_is_int(x) and x > 0 and x % 2 == 0 for x in sizes) or (
                isinstance(w, list) and len(w) != self.num_hidden_layers):
            raise ConfigError(f"attention_window={w!r} in {where} must be a positive even number of tokens, or a "
                              f"list of {self.num_hidden_layers} of them (one per layer), e.g. 512")
        if not _is_int(self.sep_token_id):
            raise ConfigError(f"sep_token_id={self.sep_token_id!r} in {where} must be the </s> id (2 in RoBERTa's vocabulary)")


class Data2VecTextConfig(RobertaConfig):
    """data2vec-text: RoBERTa's architecture and defaults, except vocab_size 30522 (configuration_data2vec_text)."""

    model_type = "data2vec-text"
    defaults = {**RobertaConfig.defaults, "vocab_size": 30522}


class RobertaPreLayerNormConfig(RobertaConfig):
    """RoBERTa-PreLayerNorm (andreasmadsen/efficient_mlm_*): RoBERTa's keys and defaults, pre-LN layers."""

    model_type = "roberta-prelayernorm"


class XLMRobertaXLConfig(RobertaConfig):
    """XLM-RoBERTa-XL / XXL (facebook/xlm-roberta-xl): pre-LN layers, no embedding norm; transformers'
    defaults are the XL shape (configuration_xlm_roberta_xl)."""

    model_type = "xlm-roberta-xl"
    defaults = {**RobertaConfig.defaults, "vocab_size": 250880, "hidden_size": 2560, "num_hidden_layers": 36,
                "num_attention_heads": 32, "intermediate_size": 10240, "max_position_embeddings": 514,
                "type_vocab_size": 1, "layer_norm_eps": 1e-05}


class CamembertConfig(XLMRobertaConfig):
    """CamemBERT: RoBERTa's architecture with XLM-RoBERTa's defaults (configuration_camembert), French
    vocabulary; transformers 5.2's has no tie_word_embeddings (so its masked-LM head ties nothing)."""

    model_type = "camembert"
    defaults = {k: v for k, v in XLMRobertaConfig.defaults.items() if k != "tie_word_embeddings"}


class ElectraConfig(BertConfig):
    """ELECTRA's config with transformers' defaults (electra-small's discriminator shape).

    Embeddings are `embedding_size` wide and projected to `hidden_size` when the two differ.
    """

    model_type = "electra"
    defaults = {
        **BertConfig.defaults,
        "embedding_size": 128,
        "hidden_size": 256,
        "intermediate_size": 1024,
        "num_attention_heads": 4,
        "summary_activation": "gelu",
        "summary_last_dropout": 0.1,
        "summary_type": "first",
        "summary_use_proj": True,
    }


class AlbertConfig(PretrainedConfig):
    """ALBERT's config with transformers' defaults (albert-xxlarge's shape): factorised embeddings
    (`embedding_size`), `num_hidden_groups` groups of `inner_group_num` layers shared across depth."""

    model_type = "albert"
    defaults = {
        "attention_probs_dropout_prob": 0,
        "bos_token_id": 2,
        "classifier_dropout_prob": 0.1,
        "embedding_size": 128,
        "eos_token_id": 3,
        "hidden_act": "gelu_new",
        "hidden_dropout_prob": 0,
        "hidden_size": 4096,
        "initializer_range": 0.02,
        "inner_group_num": 1,
        "intermediate_size": 16384,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "num_attention_heads": 64,
        "num_hidden_groups": 1,
        "num_hidden_layers": 12,
        "pad_token_id": 0,
        "tie_word_embeddings": True,
        "type_vocab_size": 2,
        "vocab_size": 30000,
    }

    def validate(self) -> None:
        self._require_divisible("hidden_size", "num_attention_heads")
        groups, layers = self.num_hidden_groups, self.num_hidden_layers
        if not isinstance(groups, int) or not 1 <= groups <= layers:
            raise ConfigError(
                f"num_hidden_groups={groups!r} must be between 1 and num_hidden_layers={layers!r} "
                f"({self._name_or_path or 'config'}/config.json)"
            )


class MPNetConfig(PretrainedConfig):
    """MPNet's config with transformers' defaults (mpnet-base's shape): BERT's keys without token types,
    pad 1 / bos 0 / eos 2, and `relative_attention_num_buckets` rows of relative position bias."""

    model_type = "mpnet"
    defaults = {
        "attention_probs_dropout_prob": 0.1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 768,
        "initializer_range": 0.02,
        "intermediate_size": 3072,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "num_attention_heads": 12,
        "num_hidden_layers": 12,
        "pad_token_id": 1,
        "relative_attention_num_buckets": 32,
        "tie_word_embeddings": True,
        "vocab_size": 30527,
    }

    def validate(self) -> None:
        self._require_divisible("hidden_size", "num_attention_heads")
        buckets = self.relative_attention_num_buckets
        if not isinstance(buckets, int) or buckets < 32:
            # MPNetEncoder.compute_position_bias always computes 32 buckets, whatever the config says
            raise ConfigError(
                f"relative_attention_num_buckets={buckets!r} must be at least 32: MPNet looks up 32 relative "
                f"position buckets ({self._name_or_path or 'config'}/config.json)"
            )


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
        types = self.layer_types
        if not isinstance(types, list) or len(types) != self.num_hidden_layers or not set(types) <= set(self.LAYER_TYPES):
            raise ConfigError(f"layer_types must list {self.num_hidden_layers} of {list(self.LAYER_TYPES)} (or give "
                              f"global_attn_every_n_layers, a positive integer) {where}")
        rope = self.rope_parameters
        for kind in set(types):
            params = rope.get(kind) if isinstance(rope, dict) else None
            if not isinstance(params, dict) or params.get("rope_type") != "default":
                found = params.get("rope_type") if isinstance(params, dict) else params
                raise ConfigError(f"rope_parameters[{kind!r}] has rope_type {found!r}; only 'default' is supported {where}")
            theta = params.get("rope_theta")
            if not (isinstance(theta, (int, float)) and not isinstance(theta, bool) and 0 < theta < float("inf")):
                raise ConfigError(f"rope_theta={theta!r} for {kind} must be a positive number such as 10000.0 {where}")


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

CONFIG_CLASSES: dict[str, type[PretrainedConfig]] = {
    c.model_type: c
    for c in (BertConfig, ErnieConfig, DistilBertConfig, RobertaConfig, XLMRobertaConfig, CamembertConfig, ElectraConfig, AlbertConfig,
              MPNetConfig, ModernBertConfig, DebertaConfig, DebertaV2Config, EsmConfig, LongformerConfig, MobileBertConfig, Data2VecTextConfig,
              RobertaPreLayerNormConfig, XLMRobertaXLConfig)
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


def read_config_dict(name_or_path: str | os.PathLike, *, revision: str | None = None) -> dict[str, Any]:
    path = hub.resolve_file(name_or_path, "config.json", revision=revision)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, or nested past Python's recursion limit
        raise ConfigError(f"{path} is not valid JSON ({exc}); re-download the checkpoint") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object, got {type(data).__name__}")
    return data


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
