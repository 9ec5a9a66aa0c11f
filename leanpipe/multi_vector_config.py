"""What a late-interaction (ColBERT-style) checkpoint says about its vectors, read as sentence-transformers
6.3's MultiVectorEncoder reads it (multi_vector_encoder/model.py: _parse_model_config, _load_default_modules,
_maybe_load_stanford_metadata, _apply_legacy_fixups), from the three layouts on the Hub:

- sentence-transformers' own (config_sentence_transformers.json model_type "MultiVectorEncoder"): modules.json
  lists Transformer, a token-level Dense, MultiVectorMask and Normalize; the Transformer's
  sentence_bert_config.json holds query_length, document_length and query_expansion;
- PyLate (model_type "ColBERT", e.g. answerdotai/answerai-colbert-small-v1, lightonai/GTE-ModernColBERT-v1):
  modules.json lists Transformer and PyLate's Dense; config_sentence_transformers.json holds query_prefix /
  document_prefix, query_length (the expansion width), document_length, attend_to_expansion_tokens,
  skiplist_words, do_query_expansion; the mask (punctuation by default) and Normalize are implied;
- Stanford-NLP ColBERT (config.json architectures ["HF_ColBERT"], e.g. colbert-ir/colbertv2.0): the
  projection is `linear.weight` among the encoder's weights, the settings in artifact.metadata.

>>> config = read_multi_vector_config("answerdotai/answerai-colbert-small-v1")
MultiVectorConfig(steps=(Dense, 'normalize'), expansion={'strategy': 'fixed', 'attend': False, 'length': 32}, ...)
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass, field
from typing import Any

from .dense import Dense, read_dense
from .errors import CheckpointError
from .pooling import _join, _read_json, kind_of, read_transformer_config

MODEL_TYPES = ("MultiVectorEncoder", "ColBERT")  # config_sentence_transformers.json's, ColBERT being PyLate's
MODULES = ("Transformer", "Dense", "MultiVectorMask", "Normalize")
STRATEGIES = ("fixed", "min")
PYLATE_MARKERS = ("query_length", "document_length", "query_expansion", "do_query_expansion", "attend_to_expansion_tokens",
                  "attend_to_mask_tokens", "query_prefix", "document_prefix", "skiplist_words")
CANONICAL_QUERY_LENGTH = 32  # ColBERT's query width when a checkpoint does not give one


@dataclass(frozen=True)
class MultiVectorConfig:
    """How token vectors become a text's multi-vector embedding.

    `steps`: the Dense modules and "normalize" in modules.json's order (applied to every token);
    the scoring mask keeps the real tokens, a query's expansion positions, and drops skiplist tokens
    for the tasks in `skiplist_tasks` (tasks other than "query" keep only `keep_only_token_ids` when set).
    `expansion`: {"strategy", "attend", "token", "length"} or None (sentence-transformers' query_expansion).
    `prefixes`: markers of a PyLate / Stanford-NLP checkpoint ([unused0], "[Q] ", ...) that are registered as
    special tokens so a prompt holding them stays one piece."""

    steps: tuple[Any, ...] = ()
    query_length: int | None = None
    document_length: int | None = None
    expansion: dict[str, Any] | None = None
    skiplist_words: tuple[str, ...] = ()
    skiplist_tasks: tuple[str, ...] = ("document",)
    keep_only_token_ids: tuple[int, ...] | None = None
    has_mask: bool = True  # a MultiVectorMask module (or the layout's implied one); without it the attended tokens count
    max_seq_length: int | None = None
    do_lower_case: bool = False
    prompts: dict[str, str] = field(default_factory=dict)
    default_prompt_name: str | None = None
    similarity_fn_name: str | None = None
    truncate_dim: int | None = None
    prefixes: dict[str, str] = field(default_factory=dict)

    def width(self, hidden_size: int) -> int:
        """Numbers per token vector: the last Dense module's outputs (each must take what comes before it)."""
        for step in self.steps:
            if isinstance(step, Dense):
                if step.weight.shape[1] != hidden_size:
                    raise CheckpointError(f"the Dense module in {step.folder or 'the checkpoint root'} takes "
                                          f"{step.weight.shape[1]} numbers per token, but the model before it gives "
                                          f"{hidden_size}; its config.json's in_features must match")
                hidden_size = step.out_features
        return hidden_size


def model_type(name_or_path: str | os.PathLike, revision: str | None) -> str | None:
    """"MultiVectorEncoder" for the three late-interaction layouts, else config_sentence_transformers.json's
    model_type (None without one): what sentence-transformers' MultiVectorEncoder._get_model_type decides."""
    settings = _read_json(name_or_path, "config_sentence_transformers.json", revision) or {}
    found = settings.get("model_type")
    if found in MODEL_TYPES:
        return "MultiVectorEncoder"
    if found is not None:
        return found
    if _is_stanford(name_or_path, revision):
        return "MultiVectorEncoder"
    modules = _read_json(name_or_path, "modules.json", revision) or []
    return "MultiVectorEncoder" if any(kind_of(m) == "MultiVectorMask" for m in modules) else None


def _is_stanford(name_or_path: str | os.PathLike, revision: str | None) -> bool:
    config = _read_json(name_or_path, "config.json", revision) or {}
    return "HF_ColBERT" in (config.get("architectures") or [])


def read_multi_vector_config(name_or_path: str | os.PathLike, *, revision: str | None = None) -> MultiVectorConfig:
    """The checkpoint's MultiVectorConfig; CheckpointError naming what to load it with when it is not a
    late-interaction checkpoint (sentence-transformers would add an untrained random projection)."""
    kind = model_type(name_or_path, revision)
    if kind != "MultiVectorEncoder":
        raise CheckpointError(
            f"{name_or_path} is not a multi-vector (ColBERT-style) checkpoint: its config_sentence_transformers.json "
            f"says model_type {kind!r} and it has no HF_ColBERT architecture, so sentence-transformers' MultiVectorEncoder "
            f"would add a randomly initialised projection that needs training first. Load a late-interaction checkpoint "
            f"(PyLate's, sentence-transformers' MultiVectorEncoder saves, or Stanford-NLP ColBERT); for one vector per "
            f"text use leanpipe.SentenceTransformer")
    settings = _read_json(name_or_path, "config_sentence_transformers.json", revision) or {}
    prompts, prefixes = _prompts(settings)
    knobs, skiplist = _legacy_knobs(settings), settings.get("skiplist_words")
    modules = _read_json(name_or_path, "modules.json", revision)
    if _is_stanford(name_or_path, revision) and modules is None:  # sentence-transformers' rule: modules.json wins
        return _stanford(name_or_path, revision, settings, prompts)
    if not modules:
        raise CheckpointError(f"{name_or_path} says it is a {settings.get('model_type')} checkpoint but has no modules.json; "
                              f"re-download the checkpoint")
    order = [(_module_kind(m, name_or_path), str(m.get("path", "")).strip("/")) for m in modules]
    if order[0][0] != "Transformer" or [k for k, _ in order].count("Transformer") != 1:
        raise CheckpointError(f"{name_or_path}/modules.json should list one Transformer module first, then Dense, "
                              f"MultiVectorMask and Normalize modules; it lists {[k for k, _ in order]}")
    transformer = read_transformer_config(name_or_path, order[0][1], revision=revision)
    steps: list[Any] = []
    mask: dict[str, Any] | None = None
    for kind, folder in order[1:]:
        module_config = _read_json(name_or_path, _join(folder, "config.json"), revision)
        if kind == "Dense":
            steps.append(read_dense(name_or_path, folder, _token_level(module_config), revision=revision, tokens=True))
        elif kind == "Normalize":
            _check_token_normalize(module_config, name_or_path, folder)
            steps.append("normalize")
        else:  # MultiVectorMask
            mask = module_config or {}
    if settings.get("model_type") == "ColBERT":  # PyLate <= 3 listed [Transformer, Dense]; the rest was built in
        mask = {"skiplist_words": skiplist if skiplist is not None else list(string.punctuation)}
        steps.append("normalize")
    merged = {**knobs, **{k: transformer[k] for k in ("query_length", "document_length", "query_expansion") if k in transformer}}
    return _config(steps, merged, mask, transformer, settings, prompts, prefixes)


def _config(steps: list[Any], knobs: dict[str, Any], mask: dict[str, Any] | None, transformer: dict[str, Any],
            settings: dict[str, Any], prompts: dict[str, str], prefixes: dict[str, str]) -> MultiVectorConfig:
    has_mask, mask = mask is not None, mask or {}
    tasks = mask.get("skiplist_tasks")
    keep = mask.get("keep_only_token_ids")
    return MultiVectorConfig(
        steps=tuple(steps), query_length=_length(knobs.get("query_length"), "query_length"),
        document_length=_length(knobs.get("document_length"), "document_length"),
        expansion=expansion_config(knobs.get("query_expansion")),
        skiplist_words=tuple(mask.get("skiplist_words") or ()),
        skiplist_tasks=tuple([tasks] if isinstance(tasks, str) else tasks if tasks is not None else ["document"]),
        keep_only_token_ids=tuple(keep) if keep is not None else None, has_mask=has_mask,
        max_seq_length=_length(transformer.get("max_seq_length"), "max_seq_length"),
        do_lower_case=bool(transformer.get("do_lower_case", False)),
        prompts=prompts, default_prompt_name=settings.get("default_prompt_name"),
        similarity_fn_name=settings.get("similarity_fn_name"), truncate_dim=settings.get("truncate_dim"), prefixes=prefixes)


def _prompts(settings: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The saved prompts with PyLate's query_prefix / document_prefix put before the query / document
    prompt (PyLate inserted them ahead of any prompt text), and those prefixes."""
    prompts, prefixes = dict(settings.get("prompts") or {}), {}
    for key, role in (("query_prefix", "query"), ("document_prefix", "document")):
        if key in settings:
            prefix = settings[key] or ""
            prefixes[role] = prefix
            prompts[role] = prefix + (prompts.get(role) or "").removeprefix(prefix)
    return prompts, prefixes


def _legacy_knobs(settings: dict[str, Any]) -> dict[str, Any]:
    """PyLate's top-level query_length / document_length / do_query_expansion / attend_to_expansion_tokens as
    the Transformer module's query_length, document_length and query_expansion (the expansion on, "fixed" at
    query_length or 32, unless do_query_expansion is false)."""
    knobs = {k: settings[k] for k in ("query_length", "document_length", "query_expansion")
             if k in settings and (settings[k] is not None or k == "query_expansion")}
    if "query_expansion" not in knobs and any(k in settings for k in PYLATE_MARKERS):
        if settings.get("do_query_expansion") is False:
            knobs["query_expansion"] = None
        else:
            attend = settings.get("attend_to_expansion_tokens", settings.get("attend_to_mask_tokens"))
            length = knobs.pop("query_length", None) or settings.get("query_length") or CANONICAL_QUERY_LENGTH
            knobs["query_expansion"] = {"strategy": "fixed", "attend": bool(attend), "length": length}
    return knobs


def _stanford(name_or_path: str | os.PathLike, revision: str | None, settings: dict[str, Any],
              prompts: dict[str, str]) -> MultiVectorConfig:
    """A Stanford-NLP ColBERT checkpoint: [unused0] / [unused1] markers (or artifact.metadata's), queries
    [MASK]-expanded to query_maxlen (32), documents cut at doc_maxlen, punctuation skipped unless
    mask_punctuation is false, and `linear.weight` from the encoder's own weight file as the projection."""
    metadata = _read_json(name_or_path, "artifact.metadata", revision) or {}
    prefixes = {"query": (metadata.get("query_token_id") or "[unused0]") + " ",
                "document": (metadata.get("doc_token_id") or "[unused1]") + " "}
    for role, marker in prefixes.items():
        prompts.setdefault(role, marker)
    knobs = {"query_expansion": {"strategy": "fixed", "attend": bool(metadata.get("attend_to_mask_tokens")),
                                 "length": metadata.get("query_maxlen") or CANONICAL_QUERY_LENGTH}}
    if metadata.get("doc_maxlen") is not None:
        knobs["document_length"] = metadata["doc_maxlen"]
    skiplist = list(string.punctuation) if metadata.get("mask_punctuation", True) else []
    transformer = read_transformer_config(name_or_path, "", revision=revision)
    dense = read_dense(name_or_path, "", {"in_features": None, "out_features": None, "bias": False,
                                          "activation_function": "torch.nn.modules.linear.Identity"},
                       revision=revision, tokens=True, shape_from_weight=True)
    return _config([dense, "normalize"], knobs, {"skiplist_words": skiplist}, transformer, settings, prompts, prefixes)


def expansion_config(value: Any) -> dict[str, Any] | None:
    """sentence-transformers' query_expansion checked and completed ({"strategy", "attend", "token", "length"})."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise CheckpointError(f"query_expansion must be an object like {{\"strategy\": \"fixed\", \"length\": 32}}, got {value!r}")
    unknown = set(value) - {"strategy", "attend", "token", "length"}
    if unknown:
        raise CheckpointError(f"query_expansion has unknown keys {sorted(unknown)}; it takes strategy, attend, token, length")
    if value.get("strategy") not in STRATEGIES:
        raise CheckpointError(f"query_expansion strategy {value.get('strategy')!r} is not one of {list(STRATEGIES)}")
    attend = value.get("attend", False)
    if not isinstance(attend, bool):
        raise CheckpointError(f"query_expansion attend must be true or false, got {attend!r}")
    length = value.get("length")
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise CheckpointError(f"query_expansion needs a positive integer length (the query width; ColBERT uses 32), "
                              f"got {length!r}")
    return {"strategy": value["strategy"], "attend": attend, "token": value.get("token"), "length": length}


def _length(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CheckpointError(f"{name} must be a positive number of tokens, got {value!r}")
    return value


def _module_kind(module: Any, name_or_path: str | os.PathLike) -> str:
    kind = kind_of(module)
    if kind not in MODULES:
        raise CheckpointError(f"{name_or_path}/modules.json lists a {module.get('type') if isinstance(module, dict) else module!r} "
                              f"module; leanpipe's MultiVectorEncoder runs {list(MODULES)} (token pooling and other "
                              f"modules are not supported)")
    return kind


def _token_level(config: dict[str, Any] | None) -> dict[str, Any] | None:
    """A late-interaction model's Dense module works on token vectors: PyLate's and older saves name no
    input, which sentence-transformers' MultiVectorEncoder reads as token_embeddings."""
    if config is None:
        return None
    return {**config, "module_input_name": config.get("module_input_name") or "token_embeddings"}


def _check_token_normalize(config: dict[str, Any] | None, name_or_path: str | os.PathLike, folder: str) -> None:
    name = (config or {}).get("module_input_name", "sentence_embedding")
    if name != "token_embeddings":
        raise CheckpointError(f"{name_or_path}/{folder or '.'}: a Normalize module on {name!r}; a multi-vector model "
                              f"normalizes token_embeddings (its config.json's module_input_name)")

