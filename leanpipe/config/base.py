"""The config base class: config.json -> an object with transformers' defaults, attribute names and printing.

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

from .. import hub
from ..errors import ConfigError

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
        if num_labels is not None:
            self.check_num_labels(num_labels)
        if num_labels is not None and ("id2label" not in kwargs or len(self.id2label) != num_labels):
            if "id2label" in kwargs:
                raise ConfigError(
                    f"num_labels={num_labels} contradicts id2label with {len(self.id2label)} labels; pass one of them"
                )
            self.num_labels = num_labels
        if self.problem_type not in _PROBLEM_TYPES:
            raise ConfigError(f"problem_type {self.problem_type!r} is not one of {list(_PROBLEM_TYPES)}")

    @staticmethod
    def check_num_labels(num_labels: Any) -> None:
        if not isinstance(num_labels, int) or isinstance(num_labels, bool) or num_labels < 0:
            raise ConfigError(f"num_labels={num_labels!r} must be a non-negative integer")

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
    def use_return_dict(self) -> bool:
        """What model calls return without return_dict= (transformers: return_dict, unless torchscript)."""
        return bool(self.return_dict) and not getattr(self, "torchscript", False)

    def update(self, config_dict: dict[str, Any]) -> None:
        """Set each key of `config_dict` as an attribute, as transformers' PretrainedConfig.update."""
        for key, value in config_dict.items():
            setattr(self, key, value)

    def update_from_string(self, update_str: str) -> None:
        """"hidden_dropout_prob=0.1,output_attentions=true": each key must exist; its value is parsed as
        the type of the current value (bool from true/false/1/0), as transformers does."""
        for pair in update_str.split(","):
            key, sep, text = pair.partition("=")
            if not sep or not hasattr(self, key):
                raise ConfigError(f"update_from_string: {pair!r} is not key=value with a key of this config")
            current = getattr(self, key)
            if isinstance(current, bool):
                if text.lower() not in ("true", "false", "1", "0"):
                    raise ConfigError(f"update_from_string: {key} takes true or false, got {text!r}")
                value: Any = text.lower() in ("true", "1")
            elif isinstance(current, (int, float)):
                try:
                    value = type(current)(text)
                except ValueError:
                    raise ConfigError(f"update_from_string: {key} takes a {type(current).__name__}, got {text!r}") from None
            elif isinstance(current, str):
                value = text
            else:
                raise ConfigError(f"update_from_string: {key} holds a {type(current).__name__}; set it with update()")
            setattr(self, key, value)

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
        if "num_labels" in overrides and "id2label" not in overrides:
            # the caller's label count over the file's labels: LABEL_0 ... as transformers sets it afterwards
            num_labels = overrides.pop("num_labels")
            config = cls(**{**config_dict, **overrides})
            config.check_num_labels(num_labels)
            config.num_labels = num_labels
            return config
        return cls(**{**config_dict, **overrides})

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | os.PathLike, *, revision: str | None = None, **kwargs: Any
    ) -> "PretrainedConfig":
        """Read config.json from a folder or a hub repo id; keyword arguments override its keys, except
        transformers' download arguments (cache_dir, token, local_files_only, force_download)."""
        from ..placement import remote_code
        from . import config_class_for

        options = hub.take_hub_options(kwargs)
        trust_remote_code = kwargs.pop("trust_remote_code", None)
        return_unused = kwargs.pop("return_unused_kwargs", False)
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
        unused = {k: v for k, v in kwargs.items() if not config_cls.knows(k, data)} if return_unused else {}
        try:
            config = config_cls.from_dict(data, **{k: v for k, v in kwargs.items() if k not in unused})
        except ConfigError as exc:  # id2label, label2id, num_labels, problem_type: name the file
            raise ConfigError(f"{exc} ({name_or_path}/config.json)") from None
        config._name_or_path = str(name_or_path)
        config.check_types()
        config.validate()
        return (config, unused) if return_unused else config

    @classmethod
    def knows(cls, key: str, data: dict[str, Any]) -> bool:
        """Whether `key` names a setting of this config (its file's, its class's or transformers' generic
        ones): return_unused_kwargs=True hands back the others instead of setting them."""
        return (key in data or key in _BASE_DEFAULTS or key in cls.defaults or key in cls.attribute_map
                or key in ("num_labels", "dtype", "torch_dtype", "name_or_path") or hasattr(cls, key))

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


def check_decoder_sizes(c: Any, keys: tuple[str, ...], where: str) -> None:
    """A decoder family's sizes `keys` (positive integers), its query heads a multiple of its key / value
    heads, and rms_norm_eps, or ConfigError naming the key (Gemma 3's, Qwen 3's)."""
    for key in keys:
        value = getattr(c, key)
        if not (_is_int(value) and value >= 1):
            raise ConfigError(f"{key}={value!r} must be a positive integer {where}")
    if c.num_attention_heads % c.num_key_value_heads:
        raise ConfigError(f"num_attention_heads={c.num_attention_heads} must be a multiple of num_key_value_heads="
                          f"{c.num_key_value_heads} {where}")
    eps = c.rms_norm_eps
    if not (isinstance(eps, (int, float)) and not isinstance(eps, bool) and 0 <= eps < float("inf")):
        raise ConfigError(f"rms_norm_eps={eps!r} must be a small non-negative number such as 1e-06 {where}")


def check_rotary_layers(types: Any, layers: int, rope: Any, kinds: tuple[str, ...], hint: str, where: str,
                        rope_types: tuple[str, ...] = ("default",)) -> None:
    """A rotary encoder's `layer_types` (a list of `layers` names from `kinds`; `hint` names the key that
    derives it) and its `rope_parameters` per kind used (a rope_type of `rope_types` with its keys, a positive
    rope_theta), or ConfigError naming the key (ModernBERT's, Gemma 3's, the decoders')."""
    if not isinstance(types, list) or len(types) != layers or not set(types) <= set(kinds):
        raise ConfigError(f"layer_types must list {layers} of {list(kinds)} (or give {hint}) {where}")
    for kind in set(types):
        params = rope.get(kind) if isinstance(rope, dict) else None
        if not isinstance(params, dict) or params.get("rope_type") not in rope_types:
            found = params.get("rope_type") if isinstance(params, dict) else params
            raise ConfigError(f"rope_parameters[{kind!r}] has rope_type {found!r} (rope_scaling in older config.json "
                              f"files); leanpipe runs {list(rope_types)}, not other rotary scalings {where}")
        theta = params.get("rope_theta")
        if not _positive(theta):
            raise ConfigError(f"rope_theta={theta!r} for {kind} must be a positive number such as 10000.0 {where}")
        for key in ROPE_KEYS.get(params["rope_type"], ()):
            if not _positive(params.get(key)):
                raise ConfigError(f"rope_parameters of rope_type {params['rope_type']!r} needs a positive {key}, got "
                                  f"{params.get(key)!r} {where}")


# the keys each rotary scaling leanpipe runs reads (modeling_rope_utils: _compute_linear_scaling_rope_parameters,
# _compute_llama3_parameters)
ROPE_KEYS = {"default": (), "linear": ("factor",),
             "llama3": ("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings")}


def standard_rope(rope_parameters: Any, rope_scaling: Any, rope_theta: Any, default_theta: float, max_positions: Any) -> Any:
    """One rope_parameters dict as transformers 5.2 standardizes it (RotaryEmbeddingConfigMixin): the older
    rope_scaling wins over rope_parameters, rope_theta (else the class's default) and rope_type (its older name
    "type", else "default") filled in, and llama3's original_max_position_embeddings defaulting to
    max_position_embeddings. Anything not a dict is returned as it is, for validate() to refuse."""
    rope = copy.deepcopy(rope_scaling or rope_parameters)
    rope = {} if rope is None else rope
    if not isinstance(rope, dict):
        return rope
    rope.setdefault("rope_theta", rope_theta if rope_theta is not None else default_theta)
    rope.setdefault("rope_type", rope.get("type", "default"))
    if rope["rope_type"] == "llama3":
        rope.setdefault("original_max_position_embeddings", max_positions)
    return rope


def rope_scaling_key(params: dict[str, Any]) -> tuple:
    """A checked rope_parameters dict's scaling as a hashable key for the rotary tables: () for "default",
    ("linear", factor), ("llama3", factor, low_freq_factor, high_freq_factor, original_max_position_embeddings)."""
    kind = params.get("rope_type", "default")
    return () if kind == "default" else (kind, *(float(params[k]) for k in ROPE_KEYS[kind]))


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf")


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


def read_config_dict(name_or_path: str | os.PathLike, *, revision: str | None = None) -> dict[str, Any]:
    """config.json of a folder or repo id, or a JSON file given by its path (as transformers' AutoConfig takes it)."""
    given = Path(name_or_path)
    path = given if given.is_file() else hub.resolve_file(name_or_path, "config.json", revision=revision)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, or nested past Python's recursion limit
        raise ConfigError(f"{path} is not valid JSON ({exc}); re-download the checkpoint") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object, got {type(data).__name__}")
    return data
