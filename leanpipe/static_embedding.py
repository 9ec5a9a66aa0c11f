"""sentence-transformers' StaticEmbedding module on NumPy: a sentence vector is the mean of one trained
vector per token, with no transformer at all (sentence-transformers/static-retrieval-mrl-en-v1,
static-similarity-mrl-multilingual-v1, and model2vec's potion models through sentence-transformers).

The module's folder (`0_StaticEmbedding/`, or the checkpoint's root) holds tokenizer.json and the table:
`embedding.weight` (V, D) as sentence-transformers saves it, or model2vec's `embeddings` with an
optional `mapping` (token id -> row) and per-token `weights`, folded into one row per token id as
sentence-transformers folds them (StaticEmbedding.load / _fold_model2vec_weights). Texts are tokenized
without special tokens and without padding, truncated only if tokenizer.json itself says so, and
each vector is the mean of its tokens' rows (torch's EmbeddingBag, mode "mean": zeros for no tokens).

>>> module = read_static_embedding("sentence-transformers/static-retrieval-mrl-en-v1", "0_StaticEmbedding")
>>> module.embed(["What are Pandas?"]).shape   # (1, 1024)

`StaticModel` is such a checkpoint as the sentence-embeddings / sentence-similarity pipelines run it
(the CLI, batch jobs and the server through them); leanpipe.SentenceTransformer embeds with
`StaticEmbedding.embed` directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import hub
from .dense import WEIGHT_FILES
from .errors import CheckpointError, InputError

CHUNK = 4096  # texts tokenized together


@dataclass(frozen=True, eq=False)
class StaticEmbedding:
    """A token vector table and the tokenizer whose ids index it."""

    folder: str  # the module's folder in the checkpoint, "" for its root
    tokenizer: object  # tokenizers.Tokenizer, as tokenizer.json configures it (no padding)
    table: np.ndarray  # (V, D) float32, memory-mapped when the checkpoint stores float32

    @property
    def dimension(self) -> int:
        return int(self.table.shape[1])

    def embed(self, texts: Sequence[str], prompt: str = "") -> np.ndarray:
        """Texts -> (N, D) float32: the mean of each text's token rows (`prompt` put before every text)."""
        for text in texts:
            if not isinstance(text, str):
                raise InputError(f"expected a string, got {type(text).__name__}: {text!r:.80}")
        texts = [prompt + t for t in texts] if prompt else texts
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), CHUNK):
            part = list(texts[start:start + CHUNK])
            ids = [e.ids for e in self.tokenizer.encode_batch(part, add_special_tokens=False)]
            out[start:start + len(part)] = mean_rows(self.table, ids)
        return out


def mean_rows(table: np.ndarray, ids: Sequence[Sequence[int]]) -> np.ndarray:
    """(V, D), per text a list of row ids -> (N, D): each text's mean row; zeros for a text with none.
    One text at a time, so its rows stay in cache: 2,000 corpus sentences (44,887 tokens) over a
    (30522, 1024) table in 17 ms, where gathering all rows and np.add.reduceat took 360 ms (60 ms in
    groups of 256 rows)."""
    out = np.zeros((len(ids), table.shape[1]), dtype=np.float32)
    vocab = table.shape[0]
    for i, row in enumerate(ids):
        if not len(row):
            continue
        if min(row) < 0 or max(row) >= vocab:
            raise CheckpointError(f"the tokenizer gave token id {max(row) if max(row) >= vocab else min(row)}, but the "
                                  f"embedding table has {vocab} rows; the module's tokenizer.json and weights do not "
                                  f"belong together")
        np.add.reduce(table.take(row, axis=0), axis=0, out=out[i])
        out[i] /= len(row)
    return out


def read_static_embedding(name_or_path: str | os.PathLike, folder: str, *, revision: str | None = None) -> StaticEmbedding:
    """The StaticEmbedding module in `folder` ("" or "." for the root) of a folder or hub repo."""
    from tokenizers import Tokenizer

    folder = static_folder(folder)
    path = hub.resolve_file(name_or_path, _join(folder, "tokenizer.json"), revision=revision, required=False)
    if path is None:
        raise CheckpointError(f"{name_or_path}: the StaticEmbedding module in {folder or 'the root folder'} has no "
                              f"tokenizer.json; download the checkpoint's {folder or 'root'} folder too")
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # the Rust side raises plain Exceptions for a broken file
        raise CheckpointError(f"{path} could not be read as a tokenizers file ({exc}); re-download the checkpoint") from None
    tokenizer.no_padding()  # as sentence-transformers; tokenizer.json's own truncation stays, as there
    table = _table(name_or_path, folder, revision)
    if table.shape[0] < tokenizer.get_vocab_size():
        raise CheckpointError(f"{name_or_path}: the StaticEmbedding table has {table.shape[0]} rows for a vocabulary of "
                              f"{tokenizer.get_vocab_size()} tokens; its tokenizer.json and weights do not belong together")
    return StaticEmbedding(folder=folder, tokenizer=tokenizer, table=table)


def static_folder(path: str) -> str:
    """modules.json's path of the module, as a folder name in the checkpoint ("" for the root)."""
    return "" if path.strip("/") in ("", ".") else path.strip("/")


def static_file_names(name_or_path: str | os.PathLike, folder: str, *, revision: str | None = None) -> list[str]:
    """The module's files a copy of the checkpoint needs: tokenizer.json and its weights file."""
    folder = static_folder(folder)
    names = [_join(folder, "tokenizer.json")]
    for filename in WEIGHT_FILES:
        if hub.resolve_file(name_or_path, _join(folder, filename), revision=revision, required=False) is not None:
            return [*names, _join(folder, filename)]
    return names


def _join(folder: str, filename: str) -> str:
    return f"{folder}/{filename}" if folder else filename


def _table(name_or_path: str | os.PathLike, folder: str, revision: str | None) -> np.ndarray:
    from .weights.safetensors import load_safetensors
    from .weights.torch_pickle import load_torch_pickle

    for filename, load in zip(WEIGHT_FILES, (load_safetensors, load_torch_pickle)):
        path = hub.resolve_file(name_or_path, _join(folder, filename), revision=revision, required=False)
        if path is not None:
            return fold_table(load(path), str(path))
    raise CheckpointError(f"{name_or_path}: the StaticEmbedding module in {folder or 'the root folder'} has no "
                          f"{' or '.join(WEIGHT_FILES)}; download the checkpoint's {folder or 'root'} folder too")


def fold_table(weights: dict[str, np.ndarray], source: str) -> np.ndarray:
    """One float32 row per token id: `embedding.weight` as it is (no copy when float32), or model2vec's
    `embeddings` re-indexed by `mapping` and scaled by `weights` where present."""
    if "embedding.weight" in weights:
        table = weights["embedding.weight"]
    elif "embeddings" in weights:
        table = weights["embeddings"]
        mapping, scale = weights.get("mapping"), weights.get("weights")
        if mapping is not None:
            mapping = np.asarray(mapping).astype(np.int64)
            if mapping.ndim != 1 or (len(mapping) and (mapping.min() < 0 or mapping.max() >= len(table))):
                raise CheckpointError(f"{source}: 'mapping' must list one row of 'embeddings' (0..{len(table) - 1}) per "
                                      f"token; re-download the checkpoint")
            table = np.asarray(table)[mapping]
        if scale is not None:
            scale = np.asarray(scale, dtype=np.float32).reshape(-1)
            if len(scale) != len(table):
                raise CheckpointError(f"{source}: 'weights' has {len(scale)} values for {len(table)} token rows; "
                                      f"re-download the checkpoint")
            table = np.asarray(table, dtype=np.float32) * scale[:, None]
    else:
        raise CheckpointError(f"{source} has neither 'embedding.weight' (sentence-transformers) nor 'embeddings' "
                              f"(model2vec); found {sorted(weights)[:6]}; re-download the checkpoint")
    if table.ndim != 2 or not np.issubdtype(table.dtype, np.number):
        raise CheckpointError(f"{source}: the embedding table must be a (tokens, dimensions) matrix of numbers, found "
                              f"shape {list(table.shape)} of {table.dtype}")
    return table if table.dtype == np.float32 else np.asarray(table, dtype=np.float32)


@dataclass(frozen=True)
class StaticConfig:
    """What pipelines and the server read from a model's config, for a StaticEmbedding checkpoint."""

    hidden_size: int  # the vectors' width
    vocab_size: int  # rows of the table
    name_or_path: str
    model_type: str = "static-embedding"
    max_position_embeddings: None = None  # no positions: any length


class StaticModel:
    """A StaticEmbedding checkpoint as the sentence-embeddings / sentence-similarity pipelines run it
    (and so the CLI, batch jobs and the server): `forward` gives each token's row of the table as its
    "hidden state", which the task mean-pools, as EmbeddingBag averages them. Tokenized without special
    tokens, truncated only where tokenizer.json says so (see `max_length`)."""

    head = "base"
    TASKS = ("sentence-embeddings", "sentence-similarity")  # pipelines that run it
    takes_empty_rows = True  # an empty text has no tokens and averages to zeros, as in sentence-transformers
    INPUT_NAMES = ("input_ids", "attention_mask")

    def __init__(self, name_or_path: str | os.PathLike, sentence_config, *, revision: str | None = None,
                 hub_options: dict | None = None) -> None:
        self.sentence_config = sentence_config  # pooling.SentenceConfig with .static set
        self.static: StaticEmbedding = sentence_config.static
        self.revision, self.hub_options = revision, dict(hub_options or {})
        self.config = StaticConfig(hidden_size=self.static.dimension, vocab_size=int(self.static.table.shape[0]),
                                   name_or_path=str(name_or_path))
        self.engine_kind = "numpy"

    @property
    def name_or_path(self) -> str:
        return self.config.name_or_path

    @property
    def max_length(self) -> int | None:
        """tokenizer.json's own truncation length (sentence-transformers keeps it), else None: no limit."""
        truncation = self.static.tokenizer.truncation
        return int(truncation["max_length"]) if truncation else None

    def tokenizer(self):
        """leanpipe's tokenizer over the module's tokenizer.json (no special tokens are added when the
        pipelines call it for this model)."""
        from .tokenization import PreTrainedTokenizerFast

        return PreTrainedTokenizerFast(tokenizer_object=self.static.tokenizer, name_or_path=self.name_or_path)

    def check_inputs(self, input_ids, attention_mask=None, token_type_ids=None, **_unused) -> dict[str, np.ndarray]:
        ids = np.asarray(input_ids, dtype=np.int64)
        if ids.ndim != 2:
            raise InputError(f"input_ids must be 2-D (batch, sequence), got shape {ids.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.config.vocab_size):
            raise InputError(f"input_ids must be token ids below {self.config.vocab_size}, the rows of "
                             f"{self.name_or_path}'s table")
        mask = np.ones_like(ids) if attention_mask is None else np.asarray(attention_mask, dtype=np.int64)
        return {"input_ids": ids, "attention_mask": mask}

    def run_feeds(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """(B, T) ids -> "last_hidden_state" (B, T, D): each token's row of the table."""
        return {"last_hidden_state": self.static.table.take(feeds["input_ids"], axis=0)}

    def save_pretrained(self, save_directory: str | os.PathLike, **_options) -> None:
        """The checkpoint's sentence-transformers files (modules.json, the module's tokenizer.json and
        weights, Dense / Normalize modules, prompts) into `save_directory`."""
        from pathlib import Path

        from .hub import hub_options
        from .pooling import copy_sentence_files

        if Path(save_directory).is_file():
            raise InputError(f"{save_directory} is a file; save_pretrained writes a folder")
        with hub_options(self.hub_options):
            copy_sentence_files(self.name_or_path, save_directory, revision=self.revision)

    def __repr__(self) -> str:
        return f"StaticModel({self.name_or_path!r}, dimension={self.static.dimension})"


def load_static_model(name_or_path: str | os.PathLike, *, revision: str | None = None,
                      hub_options: dict | None = None) -> StaticModel | None:
    """The checkpoint as a StaticModel, or None when its modules.json lists no StaticEmbedding module."""
    from .hub import hub_options as using
    from .pooling import read_sentence_config, uses_static_embedding

    with using(dict(hub_options or {})):
        try:
            if not uses_static_embedding(name_or_path, revision=revision):
                return None
        except CheckpointError:  # no modules.json to read (not in the cache, say)
            return None
        return StaticModel(name_or_path, read_sentence_config(name_or_path, revision=revision), revision=revision,
                           hub_options=hub_options)
