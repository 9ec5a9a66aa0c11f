"""save_vocabulary: the base vocabulary in the files a family's older loaders read.

    WordPiece (BERT, MPNet, ...)      -> vocab.txt, one token per line in id order
    byte-level BPE (RoBERTa, DeBERTa) -> vocab.json + merges.txt
    SentencePiece (XLM-R, ALBERT, T5, DeBERTa-v2) -> a copy of the checkpoint's .model file
    ESM                               -> vocab.txt
    e.g. `tok.save_vocabulary("out")` -> ("out/vocab.txt",); with filename_prefix="x": "out/x-vocab.txt".

Added tokens are not in these files (transformers' save_pretrained keeps them in tokenizer.json and
tokenizer_config.json), as in transformers 4, whose fast tokenizers wrote them through the Rust
model's `save` as done here. transformers 5.2's own save_vocabulary differs: it copies only the
first file it loaded from (vocab.txt, vocab.json or the .model) under the name "tokenizer.model",
without merges.txt, and fails for a tokenizer loaded from tokenizer.json alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tokenizers import Tokenizer

from ..errors import InputError, TokenizerError
from . import files as F

# recipe -> the SentencePiece file its checkpoints ship (sentencepiece_backend.py, deberta_backend.py)
SENTENCEPIECE_FILES = {
    "XLMRobertaTokenizer": "sentencepiece.bpe.model",
    "CamembertTokenizer": "sentencepiece.bpe.model",
    "AlbertTokenizer": "spiece.model",
    "T5Tokenizer": "spiece.model",
    "DebertaV2Tokenizer": "spm.model",
}
MODEL_FILES = {"WordPiece": "vocab.txt", "BPE": "vocab.json + merges.txt"}


def _named(folder: Path, prefix: str | None, filename: str) -> Path:
    return folder / (f"{prefix}-{filename}" if prefix else filename)


def write_vocabulary(
    backend: Tokenizer, recipe: str, files: F.TokenizerFiles | None, folder: Path, prefix: str | None, *, slow: bool
) -> tuple[str, ...]:
    """Write the vocabulary files of `backend` (built by `recipe` from `files`) into `folder`."""
    if not folder.is_dir():
        raise InputError(f"{folder} is not an existing folder; create it first (save_pretrained creates its folder)")
    if recipe in SENTENCEPIECE_FILES:
        return (_copy_model_file(files, SENTENCEPIECE_FILES[recipe], _named(folder, prefix, SENTENCEPIECE_FILES[recipe])),)
    if slow:  # ESM: vocab.txt in id order, as EsmTokenizer.save_vocabulary writes it
        vocab = backend.get_vocab(with_added_tokens=False)
        path = _named(folder, prefix, "vocab.txt")
        path.write_text("\n".join(sorted(vocab, key=vocab.__getitem__)), encoding="utf-8")
        return (str(path),)
    kind = type(backend.model).__name__
    if kind not in MODEL_FILES:
        raise TokenizerError(
            f"save_vocabulary() writes WordPiece and BPE vocabularies and copies SentencePiece .model files; "
            f"this tokenizer's model is {kind}, with no .model file: use save_pretrained(folder), whose "
            f"tokenizer.json holds the whole tokenizer"
        )
    return tuple(backend.model.save(str(folder), prefix))


def _copy_model_file(files: F.TokenizerFiles | None, filename: str, target: Path) -> str:
    source = files.find(filename) if files is not None else None
    if source is None:
        where = files.name_or_path if files is not None else "the tokenizer object"
        raise TokenizerError(
            f"save_vocabulary() copies the SentencePiece model {filename}, and {where} has none (it was loaded "
            f"from tokenizer.json); use save_pretrained(folder) instead, whose tokenizer.json both libraries load"
        )
    if Path(source).resolve() != target.resolve():
        shutil.copyfile(source, target)
    return str(target)
