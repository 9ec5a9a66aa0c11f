"""Reading the tokenizer files of a checkpoint, with errors that name the broken file.

A checkpoint may hold any of: tokenizer.json (a serialized `tokenizers.Tokenizer`), vocab.txt
(one WordPiece token per line), tokenizer_config.json, special_tokens_map.json, added_tokens.json
and config.json. `TokenizerFiles.locate(path)` finds the ones present (every path goes through
`leanpipe.hub.resolve_file`, so a folder and a Hub repo id work alike).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer
from tokenizers.models import WordPiece

from ..errors import CheckpointError
from ..hub import resolve_file

TOKENIZER_FILE = "tokenizer.json"
VOCAB_FILE = "vocab.txt"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_MAP_FILE = "special_tokens_map.json"
ADDED_TOKENS_FILE = "added_tokens.json"
MODEL_CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class TokenizerFiles:
    """Paths of the tokenizer files a checkpoint has; None for each file it lacks."""

    name_or_path: str
    tokenizer_json: Path | None
    vocab_txt: Path | None
    tokenizer_config: Path | None
    special_tokens_map: Path | None
    added_tokens: Path | None
    model_config: Path | None
    revision: str | None = None

    @classmethod
    def locate(cls, name_or_path: str | os.PathLike, *, revision: str | None = None) -> TokenizerFiles:
        """Look every file up once; `TokenizerFiles.locate("bert-base-uncased").vocab_txt` -> Path."""
        if Path(name_or_path).is_file():
            raise CheckpointError(
                f"{name_or_path} is a file; pass the folder that holds tokenizer.json or vocab.txt "
                f"(for example {Path(name_or_path).parent})"
            )

        def find(filename: str) -> Path | None:
            return resolve_file(name_or_path, filename, revision=revision, required=False)

        return cls(
            name_or_path=str(name_or_path),
            tokenizer_json=find(TOKENIZER_FILE),
            vocab_txt=find(VOCAB_FILE),
            tokenizer_config=find(TOKENIZER_CONFIG_FILE),
            special_tokens_map=find(SPECIAL_TOKENS_MAP_FILE),
            added_tokens=find(ADDED_TOKENS_FILE),
            model_config=find(MODEL_CONFIG_FILE),
            revision=revision,
        )

    def find(self, filename: str) -> Path | None:
        """A family's own file (vocab.json, merges.txt, spiece.model ...), looked up only when a recipe needs it."""
        return resolve_file(self.name_or_path, filename, revision=self.revision, required=False)


def read_json_object(path: Path | None) -> dict[str, Any]:
    """The JSON object stored in `path` ({} when path is None); CheckpointError if it is not one.

    `read_json_object(Path("tokenizer_config.json"))` -> {"do_lower_case": True, ...}
    """
    if path is None:
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(
            f"{path.name} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}) in {path}; "
            f"the file is truncated or corrupt: download or save the checkpoint again"
        ) from None
    except (ValueError, RecursionError) as exc:  # nested too deep, or an integer too long to parse
        raise CheckpointError(f"{path.name} is not usable JSON ({exc}) in {path}; download or save the checkpoint again") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} should hold a JSON object {{...}}, found {type(data).__name__}")
    return data


def load_tokenizer_json(path: Path) -> Tokenizer:
    """A `tokenizers.Tokenizer` from tokenizer.json, or CheckpointError naming the file and the cause."""
    raw = read_json_object(path)  # gives the precise JSON error before the Rust parser's terse one
    try:
        return Tokenizer.from_str(json.dumps(raw))
    except BaseException as exc:  # the Rust side raises a bare Exception, or pyo3's PanicException
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise  # Ctrl-C, SystemExit
        import tokenizers

        raise CheckpointError(
            f"{path} is JSON but tokenizers {tokenizers.__version__} cannot build a tokenizer from it: {exc}. "
            f"Re-save it with a recent `tokenizers`, or delete it to fall back to vocab.txt"
        ) from None


def tokenizer_json_vocab(path: Path) -> dict[str, int]:
    """The WordPiece vocabulary inside tokenizer.json: {"[PAD]": 0, ..., "##s": 2015, ...}."""
    model = read_json_object(path).get("model")
    vocab = model.get("vocab") if isinstance(model, dict) else None
    if isinstance(vocab, list):  # Unigram-style [[token, score], ...]; only the order matters here
        vocab = {(item[0] if isinstance(item, list) and item else item): i for i, item in enumerate(vocab)}
    if not isinstance(vocab, dict) or not vocab:
        raise CheckpointError(f"{path} has no model.vocab mapping; it is not a WordPiece tokenizer.json")
    bad = [(k, v) for k, v in vocab.items() if not isinstance(k, str) or type(v) is not int or v < 0]
    if bad:
        raise CheckpointError(f"{path}: model.vocab should map token -> id >= 0; bad entries: {bad[:3]}")
    return vocab


def read_vocab_txt(path: Path) -> dict[str, int]:
    """vocab.txt -> {token: line number}, read by `tokenizers` itself so ids match transformers exactly."""
    try:
        vocab = WordPiece.read_file(str(path))
    except Exception as exc:
        raise CheckpointError(f"cannot read the WordPiece vocabulary {path}: {exc}") from None
    if not vocab:
        raise CheckpointError(f"{path} is empty; a BERT vocabulary has one token per line")
    return vocab


def read_added_tokens(path: Path | None) -> dict[str, int]:
    """Legacy added_tokens.json: {"<new>": 30522}; {} when absent."""
    data = read_json_object(path)
    bad = [k for k, v in data.items() if not isinstance(v, int)]
    if bad:
        raise CheckpointError(f"{path} should map token -> integer id; bad entries: {bad[:5]}")
    return data


def read_model_config(path: Path | None) -> tuple[str | None, str | None]:
    """(model_type, tokenizer_class) from config.json, each None when absent: ("bert", None)."""
    config = read_json_object(path)
    model_type, tokenizer_class = config.get("model_type"), config.get("tokenizer_class")
    return (
        model_type if isinstance(model_type, str) and model_type else None,
        tokenizer_class if isinstance(tokenizer_class, str) and tokenizer_class else None,
    )
