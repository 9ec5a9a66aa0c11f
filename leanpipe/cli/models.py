"""`leanpipe models`: the models in the local Hugging Face cache and whether leanpipe can load them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..weights.loader import SAFETENSORS, SAFETENSORS_INDEX, TORCH_BIN, TORCH_BIN_INDEX
from .common import CliError, dumps
from .infer import infer_task

WEIGHT_FILES = (SAFETENSORS, SAFETENSORS_INDEX, TORCH_BIN, TORCH_BIN_INDEX)  # what leanpipe.weights reads


def add_parser(commands: Any) -> None:
    p = commands.add_parser("models", help="list the models in the local Hugging Face cache",
                            description="List the model repos in the Hugging Face cache (the one transformers "
                                        "uses), with each one's model_type, task and whether leanpipe loads it.")
    p.add_argument("--cache-dir", help="cache folder (default: $HF_HUB_CACHE, ~/.cache/huggingface/hub)")
    p.add_argument("--json", action="store_true", help="one JSON document per model instead of a table")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    rows = cached_models(args.cache_dir)
    if args.json:
        for row in rows:
            print(dumps(row))
    elif not rows:
        print("no models in the Hugging Face cache", flush=True)
    else:
        print_table(rows)
    return 0


def cached_models(cache_dir: str | None) -> list[dict[str, Any]]:
    """One entry per cached model repo, for its most recently modified revision."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(cache_dir)
    except CacheNotFound:
        return []
    except OSError as exc:
        raise CliError(f"cannot read the Hugging Face cache: {exc}") from None
    rows = []
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model" or not repo.revisions:
            continue
        revision = max(repo.revisions, key=lambda r: r.last_modified)
        rows.append({"repo_id": repo.repo_id, "revision": revision.commit_hash[:12],
                     "refs": sorted(revision.refs), "size": repo.size_on_disk_str,
                     **describe(Path(revision.snapshot_path))})
    return rows


def describe(folder: Path) -> dict[str, Any]:
    """model_type, task and whether leanpipe loads the snapshot (with the reason when not)."""
    from ..config import supported_model_types

    static = _static(folder)
    if static is not None:
        return static
    routed = _module_kinds(folder) == ["Router"]
    if routed:  # inference-free SPLADE: the pipeline runs its default route's masked LM, from its folder
        from ..errors import LeanpipeError
        from ..sparse_router import default_splade_folders

        try:
            model_folder = default_splade_folders(folder)[0]
        except LeanpipeError as exc:
            return {"model_type": "sparse-router", "task": "sparse-embeddings", "loadable": False, "reason": str(exc)}
    else:
        model_folder = _transformer_folder(folder)  # an older sentence-transformers repo: 0_Transformer/
    config_path = folder / model_folder / "config.json"
    if not config_path.is_file():
        return {"model_type": None, "task": None, "loadable": False, "reason": "no config.json"}
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"model_type": None, "task": None, "loadable": False, "reason": "config.json is not valid JSON"}
    model_type, task = config.get("model_type"), infer_task(config)
    if routed or (task == "fill-mask" and "SpladePooling" in _module_kinds(folder)):  # a SparseEncoder (SPLADE) checkpoint
        task = "sparse-embeddings"
    reason = None
    if model_type not in supported_model_types():
        reason = f"model_type {model_type!r} not supported"
    elif task is not None and (missing := _missing_head(model_type, task)):
        reason = missing
    elif not any((config_path.parent / name).is_file() for name in WEIGHT_FILES):
        reason = f"no weights ({', '.join(WEIGHT_FILES)}) in the cached snapshot"
    return {"model_type": model_type, "task": task, "loadable": reason is None, "reason": reason}


def _transformer_folder(folder: Path) -> str:
    """Where modules.json puts the Transformer module ("" for the root, or without a readable modules.json)."""
    from ..errors import LeanpipeError
    from ..pooling import transformer_folder

    try:
        return transformer_folder(folder)
    except LeanpipeError:
        return ""


def _module_kinds(folder: Path) -> list[str]:
    """modules.json's module classes, ['Transformer', 'Pooling'] say; [] without a readable one."""
    from ..errors import LeanpipeError
    from ..pooling import module_kinds

    try:
        return module_kinds(folder)
    except LeanpipeError:  # not valid JSON, or not a list
        return []


def _static(folder: Path) -> dict[str, Any] | None:
    """A sentence-transformers StaticEmbedding snapshot (no config.json, or model2vec's): its row, else None."""
    from ..errors import LeanpipeError
    from ..pooling import read_sentence_config, uses_static_embedding

    try:
        if not uses_static_embedding(folder):
            return None
        read_sentence_config(folder)  # its tokenizer.json and table are there and belong together
    except LeanpipeError as exc:
        return {"model_type": "static-embedding", "task": "sentence-embeddings", "loadable": False, "reason": str(exc)}
    return {"model_type": "static-embedding", "task": "sentence-embeddings", "loadable": True, "reason": None}


def _missing_head(model_type: str, task: str) -> str | None:
    """Why leanpipe cannot run `task` on this architecture, or None when it can."""
    from ..errors import InputError
    from ..models import MODEL_CLASSES
    from ..tasks import task_class

    try:
        head = task_class(task).head
    except InputError:
        return f"task {task} not available yet"
    return None if (model_type, head) in MODEL_CLASSES else f"no {head} head for {model_type}"


def print_table(rows: list[dict[str, Any]]) -> None:
    header = ("MODEL", "REVISION", "SIZE", "MODEL TYPE", "TASK", "LOADABLE")
    lines = [header] + [(r["repo_id"], ",".join(r["refs"]) or r["revision"], r["size"], r["model_type"] or "-",
                         r["task"] or "-", "yes" if r["loadable"] else f"no: {r['reason']}") for r in rows]
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header) - 1)]
    for line in lines:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(line, widths)) + "  " + str(line[-1]))
