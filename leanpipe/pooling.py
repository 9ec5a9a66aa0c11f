"""Sentence vectors from token vectors, as sentence-transformers computes them, on NumPy.

A sentence-transformers checkpoint lists its modules in `modules.json` (Transformer -> Pooling ->
optional Dense layers (leanpipe.dense) -> optional Normalize, or a StaticEmbedding module
(leanpipe.static_embedding) in place of Transformer and Pooling); `read_sentence_config` turns those
files into a `SentenceConfig`, and `pool` reduces hidden states (B, T, H) to sentence vectors
(B, M*H) for the M pooling modes it names:

>>> config = read_sentence_config("sentence-transformers/all-MiniLM-L6-v2")
SentenceConfig(modes=('mean',), normalize=True, max_seq_length=256, ...)
>>> l2_normalize(pool(hidden, mask, config.modes))   # (B, 384)
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import hub
from .dense import Dense, dense_file_names, read_dense
from .errors import CheckpointError
from .static_embedding import StaticEmbedding, read_static_embedding, static_file_names

# The modes in the order sentence-transformers concatenates them when a legacy config enables
# several (sentence_transformers/sentence_transformer/modules/pooling.py _LEGACY_POOLING_MODE_KWARGS).
LEGACY_MODE_KEYS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}
MODES = tuple(LEGACY_MODE_KEYS.values())
# Where the Transformer module's settings live; sentence-transformers tries these names in order.
TRANSFORMER_CONFIGS = (
    "sentence_bert_config.json",
    "sentence_roberta_config.json",
    "sentence_distilbert_config.json",
    "sentence_camembert_config.json",
    "sentence_albert_config.json",
    "sentence_xlm-roberta_config.json",
    "sentence_xlnet_config.json",
)
SUPPORTED_MODULES = ("Transformer", "Pooling", "StaticEmbedding", "Dense", "Normalize")
SPARSE_MODULES = ("MLMTransformer", "SpladePooling")  # a SparseEncoder's (leanpipe.splade)


@dataclass(frozen=True)
class SentenceConfig:
    """How a checkpoint turns token vectors into one sentence vector.

    The defaults are what sentence-transformers does with a plain transformers checkpoint
    (no modules.json): mean pooling, no normalisation, the tokenizer's own length limit.
    """

    modes: tuple[str, ...] = ("mean",)
    normalize: bool = False  # a Normalize module follows the pooling
    max_seq_length: int | None = None  # sentence_bert_config.json; None: the tokenizer's / model's limit
    do_lower_case: bool = False  # sentence_bert_config.json: lowercase texts before tokenizing
    prompt: str = ""  # config_sentence_transformers.json's default prompt, put before every text
    include_prompt: bool = True  # the Pooling module's include_prompt: False leaves the prompt's tokens out
    dense: tuple[Dense, ...] = ()  # Dense modules after the pooling, in order (before a Normalize)
    static: StaticEmbedding | None = None  # a StaticEmbedding module instead of Transformer + Pooling

    def __post_init__(self) -> None:
        unknown = [m for m in self.modes if m not in MODES]
        if unknown or not self.modes:
            raise CheckpointError(f"pooling modes {list(self.modes)}: each must be one of {list(MODES)}")

    def width(self, hidden_size: int) -> int:
        """Numbers per sentence vector: the last Dense module's outputs, else one hidden vector per mode.
        The Dense modules must chain from the pooled width (CheckpointError naming the module otherwise)."""
        width = self.static.dimension if self.static is not None else len(self.modes) * hidden_size
        for layer in self.dense:
            if layer.weight.shape[1] != width:
                raise CheckpointError(f"the Dense module in {layer.folder}/ takes {layer.weight.shape[1]} numbers, but "
                                      f"what comes before it gives {width} ({len(self.modes)} pooling mode(s) x hidden "
                                      f"size {hidden_size}, or the previous Dense module); its config.json's "
                                      f"in_features must match")
            width = layer.out_features
        return width

    def project(self, pooled: np.ndarray) -> np.ndarray:
        """Pooled vectors (B, M*H) through the Dense modules -> (B, width)."""
        for layer in self.dense:
            pooled = layer(pooled)
        return pooled


def read_sentence_config(name_or_path: str | os.PathLike, *, revision: str | None = None) -> SentenceConfig:
    """Read modules.json and the files it points to; SentenceConfig() when there is no modules.json."""
    modules = _read_json(name_or_path, "modules.json", revision)
    if modules is None:
        return SentenceConfig()
    if not all(isinstance(m, dict) and isinstance(m.get("path", ""), str) for m in modules):
        raise CheckpointError(f"{name_or_path}/modules.json should list objects like {{\"type\": ..., \"path\": \"1_Pooling\"}}")
    _refuse_multi_vector(name_or_path, modules, revision)
    order = [(_module_kind(m, name_or_path), m.get("path", "")) for m in modules]
    kinds = dict(order)
    _check_order([kind for kind, _ in order], name_or_path)
    if "StaticEmbedding" in kinds:
        return SentenceConfig(
            static=read_static_embedding(name_or_path, kinds["StaticEmbedding"], revision=revision),
            normalize="Normalize" in kinds, dense=_dense_modules(name_or_path, order, revision),
            prompt=_default_prompt(name_or_path, revision))
    if "Pooling" not in kinds:
        raise CheckpointError(
            f"{name_or_path}/modules.json has no Pooling module, so it makes no sentence vector; "
            f"use the feature-extraction task for token vectors"
        )
    pooling = _read_json(name_or_path, _join(kinds["Pooling"], "config.json"), revision)
    if pooling is None:  # sentence-transformers cannot build the module either (no embedding_dimension)
        raise CheckpointError(f"{name_or_path}: modules.json lists a Pooling module in {kinds['Pooling'] or '.'!r} but "
                              f"{_join(kinds['Pooling'], 'config.json')} is missing; re-download the checkpoint")
    transformer = read_transformer_config(name_or_path, kinds.get("Transformer", ""), revision=revision)
    return SentenceConfig(
        modes=pooling_modes(pooling),
        normalize="Normalize" in kinds,
        dense=_dense_modules(name_or_path, order, revision),
        max_seq_length=transformer.get("max_seq_length"),
        do_lower_case=bool(transformer.get("do_lower_case", False)),
        prompt=_default_prompt(name_or_path, revision),
        include_prompt=bool(pooling.get("include_prompt", True)),
    )


def _refuse_multi_vector(name_or_path: str | os.PathLike, modules: list[Any], revision: str | None) -> None:
    """A late-interaction checkpoint (PyLate's model_type "ColBERT", sentence-transformers' MultiVectorEncoder)
    gives a vector per token, not per text: named, with the class that loads it."""
    settings = _read_json(name_or_path, "config_sentence_transformers.json", revision) or {}
    if settings.get("model_type") in ("ColBERT", "MultiVectorEncoder") or any(kind_of(m) == "MultiVectorMask" for m in modules):
        raise CheckpointError(f"{name_or_path} is a multi-vector (ColBERT-style) checkpoint: it gives a vector per token, "
                              f"scored with MaxSim; load it with leanpipe.MultiVectorEncoder")


def _dense_modules(name_or_path: str | os.PathLike, order: list[tuple[str, str]], revision: str | None) -> tuple[Dense, ...]:
    return tuple(read_dense(name_or_path, path.strip("/"), _read_json(name_or_path, _join(path, "config.json"), revision),
                            revision=revision) for kind, path in order if kind == "Dense")


def kind_of(module: Any) -> str:
    """A modules.json entry's class: {"type": "sentence_transformers.models.Pooling", ...} -> "Pooling"
    ("" for an entry that is not an object)."""
    return str(module.get("type", "")).rsplit(".", 1)[-1] if isinstance(module, dict) else ""


def module_kinds(name_or_path: str | os.PathLike, *, revision: str | None = None) -> list[str]:
    """modules.json's module classes in order, ["Transformer", "Pooling"] say; [] without a modules.json."""
    return [kind_of(m) for m in _read_json(name_or_path, "modules.json", revision) or []]


def uses_static_embedding(name_or_path: str | os.PathLike, *, revision: str | None = None) -> bool:
    """Whether modules.json lists a StaticEmbedding module (a model with no transformer)."""
    return "StaticEmbedding" in module_kinds(name_or_path, revision=revision)


def _check_order(kinds: list[str], name_or_path: str | os.PathLike) -> None:
    """Transformer, Pooling (or one StaticEmbedding instead of both), Dense..., Normalize: the order
    leanpipe applies them in."""
    rank = {"Transformer": 0, "StaticEmbedding": 0, "Pooling": 1, "Dense": 2, "Normalize": 3}
    ranks = [rank[k] for k in kinds]
    static = kinds.count("StaticEmbedding")
    if (ranks != sorted(ranks) or kinds.count("Pooling") > 1 or kinds.count("Normalize") > 1
            or static > 1 or (static and ("Transformer" in kinds or "Pooling" in kinds))):
        raise CheckpointError(f"{name_or_path}/modules.json lists {kinds}; leanpipe runs a Transformer and one Pooling, "
                              f"or one StaticEmbedding, then any Dense modules and at most one Normalize, in that order")


def pooling_modes(pooling: dict[str, Any]) -> tuple[str, ...]:
    """1_Pooling/config.json -> modes in concatenation order.

    {"pooling_mode": "cls"} -> ("cls",);  {"pooling_mode_mean_tokens": true} -> ("mean",);
    no mode enabled -> ("mean",), as sentence-transformers falls back.
    """
    mode = pooling.get("pooling_mode")
    if mode is not None:
        return (mode,) if isinstance(mode, str) else tuple(mode)
    enabled = tuple(m for key, m in LEGACY_MODE_KEYS.items() if pooling.get(key, False))
    return enabled or ("mean",)


def _module_kind(module: dict[str, Any], name_or_path: str | os.PathLike, *, sparse: bool = False) -> str:
    """'sentence_transformers.models.Pooling' -> 'Pooling'; other module types are refused (a SPLADE
    checkpoint's MLMTransformer and SpladePooling too, naming what runs it, unless `sparse`)."""
    kind = kind_of(module)
    if kind in SPARSE_MODULES and not sparse:
        raise CheckpointError(f"{name_or_path} is a sentence-transformers SparseEncoder (SPLADE) checkpoint: its vectors "
                              f"come from pipeline('sparse-embeddings', model=...) or leanpipe.SparseEncoder")
    if kind not in SUPPORTED_MODULES + (SPARSE_MODULES if sparse else ()):
        raise CheckpointError(
            f"{name_or_path}/modules.json lists a {module.get('type')!r} module; leanpipe runs only "
            f"{list(SUPPORTED_MODULES)} (another module would change the vectors)"
        )
    return kind


def read_transformer_config(
    name_or_path: str | os.PathLike, folder: str = "", *, revision: str | None = None
) -> dict[str, Any]:
    """sentence_bert_config.json (or a legacy name) as a dict: max_seq_length, do_lower_case; {} if absent."""
    for filename in TRANSFORMER_CONFIGS:
        found = _read_json(name_or_path, _join(folder, filename), revision)
        if found is not None:
            return found
    return {}


def read_model_settings(name_or_path: str | os.PathLike, *, revision: str | None = None) -> dict[str, Any]:
    """config_sentence_transformers.json as a dict ({} when absent): prompts, default_prompt_name,
    similarity_fn_name."""
    found = _read_json(name_or_path, "config_sentence_transformers.json", revision)
    if found is not None and not isinstance(found, dict):
        raise CheckpointError(f"{name_or_path}/config_sentence_transformers.json must hold a JSON object")
    return found or {}


def model_settings(model: Any) -> dict[str, Any]:
    """read_model_settings for a loaded model, from where it was loaded (its cache_dir, token, ...)."""
    with hub.hub_options(sentence_options(model)):
        return read_model_settings(model.name_or_path, revision=model.revision)


def transformer_folder(name_or_path: str | os.PathLike, *, revision: str | None = None) -> str:
    """The folder modules.json puts the Transformer (or a SparseEncoder's MLMTransformer) module in, whose
    config.json, weights and tokenizer files the model is loaded from: "" for the root, as
    sentence-transformers >= 2.x saves it; "0_Transformer" in checkpoints older versions saved
    (some early sentence-transformers/* repos); "" without modules.json too."""
    modules = _read_json(name_or_path, "modules.json", revision) or []
    first = next((m for m in modules if kind_of(m) in ("Transformer", "MLMTransformer")), None)
    folder = str(first.get("path", "")).strip("/") if first is not None else ""
    if ".." in Path(folder).parts:
        raise CheckpointError(f"{name_or_path}/modules.json puts the Transformer module in {folder!r}, outside the "
                              f"checkpoint; its path must be a folder inside it, like \"0_Transformer\" (or \"\")")
    return folder


def sentence_options(model: Any) -> dict[str, Any]:
    """Where a loaded model's sentence-transformers files are (modules.json, config_sentence_transformers.json,
    1_Pooling/, ...): the hub options it was loaded with (cache_dir, token, ...), less the subfolder when
    that is the Transformer module's folder modules.json names at the root (pipeline() loads an older
    checkpoint's model and tokenizer from its 0_Transformer/). Another subfolder holds them itself."""
    options = dict(getattr(model, "hub_options", {}) or {})
    subfolder = str(options.get("subfolder") or "").strip("/")
    if not subfolder:
        return options
    root = {**options, "subfolder": None}  # None, not left out: it overrides an enclosing hub_options' subfolder
    with hub.hub_options(root):
        return root if transformer_folder(model.name_or_path, revision=model.revision) == subfolder else options


def _default_prompt(name_or_path: str | os.PathLike, revision: str | None) -> str:
    """The prompt sentence-transformers puts before every text when none is asked for (it goes before
    the text either way; SentenceConfig.include_prompt decides whether its tokens are pooled)."""
    config = _read_json(name_or_path, "config_sentence_transformers.json", revision) or {}
    name = config.get("default_prompt_name")
    if not name:
        return ""
    prompts = config.get("prompts") or {}
    if name not in prompts:
        raise CheckpointError(
            f"config_sentence_transformers.json: default_prompt_name {name!r} is not in prompts {sorted(prompts)}"
        )
    return prompts[name]


def sentence_files(name_or_path: str | os.PathLike, *, revision: str | None = None) -> dict[str, Path]:
    """The sentence-transformers files a checkpoint has, by their path in it: modules.json, the
    default prompt's config_sentence_transformers.json, the Transformer module's sentence_bert_config.json,
    the Pooling module's config.json, each Dense module's config and weights and a StaticEmbedding
    module's tokenizer.json and weights ({} for a plain transformers checkpoint). What
    `Pipeline.save_pretrained` and `SentenceTransformer.save_pretrained` copy so the saved folder pools, normalizes and truncates the same."""
    found = {name: hub.resolve_file(name_or_path, name, revision=revision, required=False)
             for name in ("modules.json", "config_sentence_transformers.json")}
    modules = _read_json(name_or_path, "modules.json", revision) or []
    for module in modules:
        kind, folder = _module_kind(module, name_or_path, sparse=True), str(module.get("path", ""))
        names = (TRANSFORMER_CONFIGS if kind in ("Transformer", "MLMTransformer")
                 else ("config.json",) if kind in ("Pooling", "SpladePooling") else ())
        for filename in names:
            found[_join(folder, filename)] = hub.resolve_file(name_or_path, _join(folder, filename), revision=revision,
                                                              required=False)
        extra = dense_file_names if kind == "Dense" else static_file_names if kind == "StaticEmbedding" else None
        if extra is not None:
            for name in extra(name_or_path, folder.strip("/"), revision=revision):
                found[name] = hub.resolve_file(name_or_path, name, revision=revision)
    return {name: path for name, path in found.items() if path is not None}


def copy_sentence_files(name_or_path: str | os.PathLike, folder: str | os.PathLike, *, revision: str | None = None) -> None:
    """sentence_files' files into `folder` under the same relative paths (nothing when saving into the
    folder they came from), for a model and tokenizer saved into `folder` itself. A Transformer module in
    a subfolder (0_Transformer/) comes out at the root, as sentence-transformers 6.3 saves it: its
    sentence_bert_config.json moves up and modules.json gives it the path ""."""
    moved = transformer_folder(name_or_path, revision=revision)
    for name, source in sentence_files(name_or_path, revision=revision).items():
        target = Path(folder) / (name[len(moved) + 1:] if moved and name.startswith(moved + "/") else name)
        target.parent.mkdir(parents=True, exist_ok=True)
        if moved and name == "modules.json":
            modules = [{**m, "path": ""} if kind_of(m) in ("Transformer", "MLMTransformer") else m
                       for m in json.loads(source.read_text(encoding="utf-8"))]
            target.write_text(json.dumps(modules, indent=2), encoding="utf-8")
        elif not target.exists() or target.resolve() != source.resolve():
            shutil.copyfile(source, target)


def _join(folder: str, filename: str) -> str:
    return f"{folder.strip('/')}/{filename}" if folder.strip("/") else filename


def _read_json(name_or_path: str | os.PathLike, filename: str, revision: str | None) -> Any:
    path = hub.resolve_file(name_or_path, filename, revision=revision, required=False)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # bad JSON or UTF-8, or nested too deep
        raise CheckpointError(f"{path} is not valid JSON ({exc}); re-download the checkpoint") from None
    if not isinstance(data, list if filename == "modules.json" else dict):
        raise CheckpointError(f"{path} should hold a JSON {'list' if filename == 'modules.json' else 'object'}, "
                              f"found {type(data).__name__}; re-download the checkpoint")
    return data


# ---- pooling: hidden (B, T, H) float, mask (B, T) 0/1 -> (B, H) ----------------------------------


def pool(hidden: np.ndarray, mask: np.ndarray, modes: Sequence[str], skip: int = 0) -> np.ndarray:
    """The modes' vectors side by side: (B, T, H), (B, T) -> (B, len(modes) * H).

    `skip`: leave out each row's first `skip` attended tokens (a prompt's, for a Pooling module with
    include_prompt false); weighted mean still counts positions from the row's first token, as
    sentence-transformers' Pooling does."""
    mask = np.asarray(mask)
    first = mask.argmax(axis=1) if mask.shape[1] else np.zeros(len(mask), np.int64)  # (B,) the first attended
    # token: left padding shifts it (a text of no tokens, T = 0: a StaticEmbedding's empty string)
    if skip:
        positions = np.arange(mask.shape[1])[None, :]  # (1, T)
        mask = np.where(positions < (first + skip)[:, None], 0, mask)  # (B, T)
    return np.concatenate([weighted_mean_pool(hidden, mask, first) if m == "weightedmean" else POOLERS[m](hidden, mask)
                           for m in modes], axis=-1)


def prompt_tokens(tokenizer: Any, prompt: str, max_length: int | None) -> int:
    """How many leading tokens of a prompted text are the prompt's, counted as sentence-transformers
    counts them: the prompt tokenized alone with special tokens, less a trailing special token
    ("query: " -> [CLS] query : [SEP] -> 3 for BERT)."""
    if not prompt:
        return 0
    ids = tokenizer.encode_batch_raw([prompt], None, truncation=max_length is not None, max_length=max_length)[0].ids
    return len(ids) - 1 if ids and ids[-1] in set(tokenizer.all_special_ids) else len(ids)


def cls_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The first attended token (position 0 unless the batch is left-padded)."""
    first = mask.argmax(axis=1)  # (B,)
    return hidden[np.arange(len(hidden)), first]  # (B, H)


def max_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-feature maximum over attended tokens (-inf where a row attends to nothing, as torch)."""
    return np.where(mask[..., None] > 0, hidden, -np.inf).max(axis=1).astype(hidden.dtype)  # (B, H)


def _masked_sum(hidden: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = mask[..., None].astype(hidden.dtype)  # (B, T, 1)
    return (hidden * m).sum(axis=1), np.maximum(m.sum(axis=1), 1e-9)  # (B, H), (B, 1); clamp as Pooling does


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    total, count = _masked_sum(hidden, mask)
    return total / count  # (B, H)


def mean_sqrt_len_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Sum over attended tokens divided by sqrt(their count)."""
    total, count = _masked_sum(hidden, mask)
    return total / np.sqrt(count)  # (B, H)


def weighted_mean_pool(hidden: np.ndarray, mask: np.ndarray, first: np.ndarray | None = None) -> np.ndarray:
    """Token i (counted from 1 from the first attended token, or from `first` (B,)) weighs i: later tokens count more."""
    first = mask.argmax(axis=1) if first is None else first  # (B,)
    positions = np.arange(1, hidden.shape[1] + 1, dtype=hidden.dtype)[None, :]  # (1, T)
    weights = mask.astype(hidden.dtype) * (positions - first[:, None])  # (B, T); left padding shifts
    total = (hidden * weights[..., None]).sum(axis=1)  # (B, H)
    return total / np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)


def last_token_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The last attended token; a row attending to nothing gives zeros (as sentence-transformers)."""
    t = hidden.shape[1]
    last = t - 1 - mask[:, ::-1].argmax(axis=1)  # (B,)
    last = np.where(mask.max(axis=1) > 0, last, 0)
    rows = np.arange(len(hidden))
    return hidden[rows, last] * mask[rows, last][:, None].astype(hidden.dtype)  # (B, H)


POOLERS = {
    "cls": cls_pool,
    "max": max_pool,
    "mean": mean_pool,
    "mean_sqrt_len_tokens": mean_sqrt_len_pool,
    "weightedmean": weighted_mean_pool,
    "lasttoken": last_token_pool,
}


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; norms below 1e-12 are clamped (torch.nn.functional.normalize)."""
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, H), (M, H) -> (N, M), as sentence_transformers.util.cos_sim."""
    return l2_normalize(a) @ l2_normalize(b).T
