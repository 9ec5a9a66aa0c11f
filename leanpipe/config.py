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


class PretrainedConfig:
    """Base config: attribute access to every config.json key, with per-architecture defaults.

    >>> BertConfig(num_labels=3).id2label
    {0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2'}
    """

    model_type: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    # transformers' generic names -> this architecture's own key (DistilBERT says `dim`).
    attribute_map: ClassVar[dict[str, str]] = {}

    def __init__(self, **kwargs: Any) -> None:
        if "torch_dtype" in kwargs:  # the older name of `dtype`
            kwargs.setdefault("dtype", kwargs.pop("torch_dtype"))
        kwargs = {self.attribute_map.get(k, k): v for k, v in kwargs.items()}
        num_labels = kwargs.pop("num_labels", None)
        values = {**copy.deepcopy(_BASE_DEFAULTS), **copy.deepcopy(self.defaults), **kwargs}
        values["model_type"] = self.model_type or values.get("model_type", "")
        for key, value in values.items():
            object.__setattr__(self, key, value)
        self.id2label = _int_keys(self.id2label, "id2label")
        if self.label2id is None or ("id2label" in kwargs and "label2id" not in kwargs):
            # transformers 5 leaves label2id None here; the inverse of id2label is what users want from it
            self.label2id = {label: i for i, label in self.id2label.items()}
        else:
            self.label2id = {label: int(i) for label, i in self.label2id.items()}
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

    # --- loading ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, config_dict: dict[str, Any], **kwargs: Any) -> "PretrainedConfig":
        return cls(**{**config_dict, **kwargs})

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | os.PathLike, *, revision: str | None = None, **kwargs: Any
    ) -> "PretrainedConfig":
        """Read config.json from a folder or a hub repo id; keyword arguments override its keys."""
        data = read_config_dict(name_or_path, revision=revision)
        config_cls = cls if cls.model_type else config_class_for(data, source=name_or_path)
        if cls.model_type and data.get("model_type") not in (None, cls.model_type):
            raise ConfigError(
                f"{name_or_path} is a {data['model_type']!r} checkpoint, not {cls.model_type!r}; "
                f"load it with AutoConfig / the {data['model_type']} classes"
            )
        config = config_cls.from_dict(data, **kwargs)
        config._name_or_path = str(name_or_path)
        config.validate()
        return config

    def validate(self) -> None:
        """Check what the model code relies on; raise ConfigError naming the key."""

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


CONFIG_CLASSES: dict[str, type[PretrainedConfig]] = {
    c.model_type: c
    for c in (BertConfig, DistilBertConfig, RobertaConfig, XLMRobertaConfig, ElectraConfig, AlbertConfig)
}


def supported_model_types() -> list[str]:
    return sorted(CONFIG_CLASSES)


def config_class_for(data: dict[str, Any], *, source: Any = "config.json") -> type[PretrainedConfig]:
    model_type = data.get("model_type")
    if model_type is None:
        raise ConfigError(f"config.json of {source} has no 'model_type'; add it (e.g. \"bert\")")
    if model_type not in CONFIG_CLASSES:
        raise ConfigError(
            f"model_type {model_type!r} ({source}) is not supported by leanpipe yet; "
            f"supported: {', '.join(supported_model_types())}"
        )
    return CONFIG_CLASSES[model_type]


def read_config_dict(name_or_path: str | os.PathLike, *, revision: str | None = None) -> dict[str, Any]:
    path = hub.resolve_file(name_or_path, "config.json", revision=revision)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
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
