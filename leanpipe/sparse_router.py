"""Inference-free SPLADE: a SparseEncoder checkpoint whose modules.json is one Router (OpenSearch's
opensearch-neural-sparse-encoding-doc-v2/v3 models): queries go through a SparseStaticEmbedding (a
weight per vocabulary entry, e.g. IDF: each distinct token of the query gets its weight, no model runs),
documents through a masked LM and SpladePooling, each route's modules in their own subfolder.

router_config.json: {"types": {folder: module class}, "structure": {"query": [folders], "document":
[folders]}, "parameters": {"default_route": "document", ...}} (sentence_transformers/base/modules/router.py).

>>> route = read_router("opensearch-project/opensearch-neural-sparse-encoding-doc-v3-distill")
>>> route.routes["query"]    # ("SparseStaticEmbedding", "query_0_SparseStaticEmbedding")
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from . import hub
from .errors import CheckpointError, InputError
from .pooling import _read_json, module_kinds

ROUTE_SHAPES = {("SparseStaticEmbedding",): "static", ("MLMTransformer", "SpladePooling"): "splade"}


@dataclass(frozen=True)
class Router:
    routes: dict[str, tuple[str, tuple[str, ...]]]  # route -> ("static" | "splade", its module folders)
    default_route: str | None


def is_router(name_or_path: str | os.PathLike, revision: str | None = None) -> bool:
    return module_kinds(name_or_path, revision=revision) == ["Router"]


def read_router(name_or_path: str | os.PathLike, revision: str | None = None) -> Router:
    """router_config.json's routes, each a SparseStaticEmbedding or an MLMTransformer + SpladePooling."""
    config = _read_json(name_or_path, "router_config.json", revision)
    if not config:
        raise CheckpointError(f"{name_or_path}: modules.json names a Router but router_config.json is missing; "
                              f"re-download the checkpoint")
    types, routes = config.get("types") or {}, {}
    for route, folders in (config.get("structure") or {}).items():
        kinds = tuple(str(types.get(f, "")).rsplit(".", 1)[-1] for f in folders)
        if kinds not in ROUTE_SHAPES:
            raise CheckpointError(f"{name_or_path}: the Router's {route!r} route runs {list(kinds)}; leanpipe runs a "
                                  f"SparseStaticEmbedding or an MLMTransformer then a SpladePooling on a route")
        routes[route] = (ROUTE_SHAPES[kinds], tuple(folders))
    default = (config.get("parameters") or {}).get("default_route")
    return Router(routes=routes, default_route=default)


def default_splade_folders(name_or_path: str | os.PathLike, revision: str | None = None) -> tuple[str, ...] | None:
    """The module folders of the route a Router checkpoint takes when no task is named (its default
    route), which pipeline("sparse-embeddings") runs; None for a checkpoint that is no Router. A default
    route that runs no model (the query weights) or none at all is refused naming what runs it."""
    try:
        if not is_router(name_or_path, revision):
            return None
    except CheckpointError:
        return None
    router = read_router(name_or_path, revision)
    route = router.default_route
    encoder = f"leanpipe.SparseEncoder({str(name_or_path)!r})"
    if route not in router.routes:
        raise InputError(f"{name_or_path} is an inference-free SparseEncoder whose Router has no default route "
                         f"(routes {sorted(router.routes)}); the sparse-embeddings pipeline runs the default one: load it "
                         f"with {encoder} and call encode_query / encode_document")
    kind, folders = router.routes[route]
    if kind != "splade":
        raise InputError(f"{name_or_path}: its Router's default route {route!r} is a SparseStaticEmbedding (a weight per "
                         f"token, no model), which the pipeline does not run; {encoder}.encode_query does")
    return folders


def route_pipeline(name_or_path: str | os.PathLike, options: dict[str, Any], folders: tuple[str, ...]) -> Any:
    """pipeline("sparse-embeddings") over a Router route's MLMTransformer folder (`options`: pipeline()'s
    keyword arguments), with that route's SpladePooling settings."""
    from .pipeline import pipeline
    from .splade import splade_modules

    routed = {**options, "model_kwargs": {**(options.get("model_kwargs") or {}), "subfolder": folders[0]}}
    pipe = pipeline("sparse-embeddings", name_or_path, **routed)
    root = {k: v for k, v in pipe.model.hub_options.items() if k != "subfolder"}
    with hub.hub_options(root):  # the route's two folders, from the repo's root
        pipe.runner.splade_config = splade_modules(name_or_path, folders[0], folders[1], options.get("revision"))
    return pipe


class StaticSparse:
    """SparseStaticEmbedding: each distinct token of a text (no special tokens, cut at the tokenizer's
    model_max_length) gets its entry of `weight` (V,); the rest of the vector is zero."""

    def __init__(self, name_or_path: str | os.PathLike, folder: str, revision: str | None, options: dict[str, Any]) -> None:
        from .tokenization import AutoTokenizer
        from .weights.safetensors import load_safetensors

        with hub.hub_options({**options, "subfolder": folder}):
            self.tokenizer = AutoTokenizer.from_pretrained(name_or_path, revision=revision)
            path = hub.resolve_file(name_or_path, "model.safetensors", revision=revision, required=False)
        if path is None:
            raise CheckpointError(f"{name_or_path}/{folder} has no model.safetensors with the query weights; "
                                  f"re-download the checkpoint")
        tensors = load_safetensors(path)
        if "weight" not in tensors or np.ndim(tensors["weight"]) != 1:
            raise CheckpointError(f"{path} should hold 'weight', one number per vocabulary entry; found {sorted(tensors)[:4]}")
        self.weight = np.asarray(tensors["weight"], dtype=np.float32)  # (V,)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch_raw(list(texts), add_special_tokens=False, truncation=True)
        out = np.zeros((len(texts), len(self.weight)), dtype=np.float32)
        for row, encoding in zip(out, encodings):
            ids = np.unique(np.asarray(encoding.ids, dtype=np.int64))
            if len(ids) and ids.max() >= len(self.weight):
                raise InputError(f"token id {int(ids.max())} is outside the {len(self.weight)} query weights")
            row[ids] = self.weight[ids]
        return out


ROOT_FILES = ("modules.json", "router_config.json", "config_sentence_transformers.json")
STATIC_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                "vocab.txt")
SPLADE_FILES = ("sentence_bert_config.json",)  # besides the model and tokenizer its pipeline saves


def save(router: Router, routes: dict[str, Any], source: tuple, path: str | os.PathLike) -> None:
    """A Router checkpoint's files under `path`, as sentence-transformers lays them out: its root files,
    each static route's folder, each SPLADE route's model + tokenizer (saved by its pipeline), module
    config and pooling config."""
    import shutil
    from pathlib import Path

    name_or_path, revision, options = source
    target = Path(path)
    if target.is_file():
        raise InputError(f"{path} is a file; save_pretrained writes a folder")

    def copy(names: Sequence[str], folder: str = "") -> None:
        with hub.hub_options({**options, "subfolder": folder}):
            for filename in names:
                found = hub.resolve_file(name_or_path, filename, revision=revision, required=False)
                if found is not None:
                    (target / folder).mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(found, target / folder / filename)

    copy(ROOT_FILES)
    for route, (kind, folders) in router.routes.items():
        if kind == "static":
            copy(STATIC_FILES, folders[0])
        else:
            routes[route].save_pretrained(target / folders[0])
            copy(SPLADE_FILES, folders[0])
            copy(("config.json",), folders[1])


def route_of(router: Router, task: str | None) -> str:
    """The route a call takes: its task ("query" / "document"), else the Router's default."""
    route = task if task is not None else router.default_route
    if route not in router.routes:
        raise InputError(f"this SparseEncoder routes {sorted(router.routes)}; pass task= one of them "
                         f"(encode_query / encode_document do)" if task is None else
                         f"task={task!r} is not one of this SparseEncoder's routes {sorted(router.routes)}")
    return route
