"""What save() of leanpipe's sentence-transformers classes writes beyond the checkpoint's own files: the
object's current settings, where sentence-transformers 6.3 keeps them, so a reload in either library
behaves as the object did.

    write_settings(folder, {"similarity_fn_name": "dot", "truncate_dim": 64})  # config_sentence_transformers.json
    write_max_seq_length(folder, 128)   # sentence_bert_config.json, where the checkpoint keeps it there
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .pooling import TRANSFORMER_CONFIGS, kind_of

SETTINGS = "config_sentence_transformers.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")


def write_settings(folder: str | os.PathLike, updates: dict[str, Any], drop: tuple[str, ...] = ()) -> None:
    """config_sentence_transformers.json with `updates` set and `drop` removed; its other keys (the
    version sentence-transformers wrote, ...) kept."""
    path = Path(folder) / SETTINGS
    settings = {k: v for k, v in _read(path).items() if k not in drop}
    _write(path, {**settings, **updates})


def write_max_seq_length(folder: str | os.PathLike, value: int | None) -> None:
    """The Transformer module's sentence_bert_config.json max_seq_length, when that file has the key (older
    checkpoints; sentence-transformers reads it before the tokenizer's model_max_length, which a
    6.3-style checkpoint keeps alone and the tokenizer's save writes)."""
    modules = _read_list(Path(folder) / "modules.json")
    paths = [str(m.get("path", "")).strip("/") for m in modules if kind_of(m) in ("Transformer", "MLMTransformer")]
    for name in TRANSFORMER_CONFIGS:
        path = Path(folder, paths[0] if paths else "", name)
        config = _read(path) if path.is_file() else {}
        if "max_seq_length" in config:
            _write(path, {**config, "max_seq_length": value})
            return


def _read_list(path: Path) -> list[dict[str, Any]]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []


# A cross-encoder's one module, as sentence-transformers 6.3 saves it: a Transformer in the folder's root
# running the sequence classifier and giving its logits as the scores.
CROSS_ENCODER_MODULES = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"}]
CROSS_ENCODER_TRANSFORMER = {"transformer_task": "sequence-classification",
                             "modality_config": {"text": {"method": "forward", "method_output_name": "logits"}},
                             "module_output_name": "scores"}


def write_cross_encoder_modules(folder: str | os.PathLike) -> None:
    """modules.json and sentence_bert_config.json for a cross-encoder folder that has none (a plain
    transformers checkpoint): without them sentence-transformers ignores config_sentence_transformers.json."""
    if not (Path(folder) / "modules.json").exists():
        _write(Path(folder) / "modules.json", CROSS_ENCODER_MODULES)
        if not (Path(folder) / "sentence_bert_config.json").exists():
            _write(Path(folder) / "sentence_bert_config.json", CROSS_ENCODER_TRANSFORMER)
