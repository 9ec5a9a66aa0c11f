"""Model inputs: lists, NumPy arrays or torch tensors -> checked int64 arrays (B, T)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import InputError


def is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def to_ids(x: Any, name: str) -> np.ndarray:
    """One input as a 2-D int64 array; a 1-D input is refused with the fix."""
    if is_torch(x):
        x = x.detach().cpu().numpy()
    try:
        array = np.asarray(x)
    except ValueError:
        raise InputError(f"{name} is ragged; pad it first: tokenizer(texts, padding=True, return_tensors='np')") from None
    if array.dtype == object:
        raise InputError(f"{name} is ragged or not numeric; pad it first: tokenizer(texts, padding=True)")
    if array.ndim == 1:
        raise InputError(
            f"{name} has shape {array.shape} but models take a batch (batch, sequence); "
            f"wrap it in a batch: model([ids]) or torch.tensor([ids])"
        )
    if array.ndim != 2:
        raise InputError(f"{name} must be 2-D (batch, sequence), got shape {array.shape}")
    if array.size and not (np.issubdtype(array.dtype, np.integer) or array.dtype == bool):
        raise InputError(f"{name} must hold integer ids, got dtype {array.dtype}")
    return array.astype(np.int64, copy=False)


def flatten_choices(*given: Any) -> tuple[int, list[Any]]:
    """A multiple-choice model's inputs (B, C, T), each (text, choice) pair tokenized as one row, ->
    (C, the inputs as (B * C, T) arrays, None where not given)."""
    arrays = [None if x is None else x.detach().cpu().numpy() if is_torch(x) else np.asarray(x) for x in given]
    shapes = {a.shape for a in arrays if a is not None}
    if arrays[0] is None or arrays[0].dtype == object or arrays[0].ndim != 3:
        shape = "none" if arrays[0] is None else getattr(arrays[0], "shape", "ragged")
        raise InputError(f"a multiple-choice model takes input_ids of shape (batch, choices, sequence), got {shape}: "
                         f"tokenize the (prompt, choice) pairs with padding=True and give each question's rows one "
                         f"batch entry, e.g. {{k: v[None] for k, v in tokenizer(prompts, choices, padding=True, "
                         f"return_tensors='np').items()}} for one question")
    if len(shapes) > 1:
        raise InputError(f"input_ids, attention_mask, token_type_ids (and Longformer's global_attention_mask) must "
                         f"have the same (batch, choices, sequence) shape, got {sorted(shapes)}")
    return int(arrays[0].shape[1]), [None if a is None else a.reshape(-1, a.shape[-1]) for a in arrays]


def refuse_empty_rows(lengths: Sequence[int], inputs: Sequence[Any], first: int = 0) -> None:
    """Model rows (one per input) without a single token: an empty text with a tokenizer that adds no
    special tokens (DeBERTa-v3 as transformers 5.2 saves it), alone or in a batch, is refused naming
    its index (`first` is the index of inputs[0] in the caller's inputs); a padded batch would
    otherwise compute it from padding alone.

    `refuse_empty_rows([3, 0], ["hello", ""])` -> InputError naming input 1
    """
    for i, (n, x) in enumerate(zip(lengths, inputs)):
        if n == 0:
            raise InputError(f"input {first + i} ({x!r:.80}) gives the model a row with no tokens: an empty text, and "
                             f"no special tokens such as [CLS] / [SEP] around it (this tokenizer adds none, or "
                             f"add_special_tokens=False); remove it or give it some text")


def prepare(
    input_ids: Any,
    attention_mask: Any,
    token_type_ids: Any,
    *,
    vocab_size: int,
    max_positions: int,
    type_vocab_size: int | None,
) -> dict[str, np.ndarray]:
    """Check and complete the feeds: the mask defaults to ones and token types to zeros."""
    if input_ids is None:
        raise InputError("input_ids is required: model(input_ids=..., attention_mask=...)")
    ids = to_ids(input_ids, "input_ids")
    if ids.shape[1] == 0:
        raise InputError("input_ids has no tokens; tokenize with add_special_tokens=True or skip empty inputs")
    bad = ids[(ids < 0) | (ids >= vocab_size)]
    if bad.size:
        raise InputError(
            f"input_ids contains {bad.flat[0]}, outside the model's vocabulary of {vocab_size}; "
            f"use the tokenizer that belongs to this checkpoint. If tokens were added to it (add_tokens / "
            f"add_special_tokens: then len(tokenizer) > {vocab_size}), transformers would need "
            f"model.resize_token_embeddings(len(tokenizer)) and fine-tuning, which leanpipe cannot offer (no "
            f"training: the new rows would be random); encode without the added tokens, or use a checkpoint "
            f"saved after fine-tuning with them"
        )
    if ids.shape[1] > max_positions:
        raise InputError(
            f"sequence length {ids.shape[1]} exceeds the model's {max_positions} positions; "
            f"tokenize with truncation=True (or max_length<={max_positions})"
        )
    feeds = {"input_ids": ids}
    feeds["attention_mask"] = np.ones_like(ids) if attention_mask is None else same_shape(attention_mask, "attention_mask", ids)
    types = np.zeros_like(ids) if token_type_ids is None else same_shape(token_type_ids, "token_type_ids", ids)
    if type_vocab_size is not None and types.size and (types.min() < 0 or types.max() >= type_vocab_size):
        raise InputError(f"token_type_ids must be in [0, {type_vocab_size}); got {types.max()}")
    feeds["token_type_ids"] = types
    return feeds


def boxes(bbox: Any, ids: np.ndarray) -> np.ndarray:
    """LayoutLM's bbox: one (x0, y0, x1, y1) integer box per token, (B, T, 4) int64; zeros when None."""
    if bbox is None:
        return np.zeros((*ids.shape, 4), np.int64)
    if is_torch(bbox):
        bbox = bbox.detach().cpu().numpy()
    try:
        array = np.asarray(bbox)
    except ValueError:
        array = np.asarray(None)
    if array.shape != (*ids.shape, 4) or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise InputError(f"bbox must hold one integer box (x0, y0, x1, y1) per token, shape {(*ids.shape, 4)} for these "
                         f"input_ids; got shape {getattr(array, 'shape', None)} and dtype {array.dtype}: give the boxes of "
                         f"each token, padded like the ids (e.g. [0, 0, 0, 0] for [CLS] / [PAD], [1000, 1000, 1000, 1000] for [SEP])")
    return array.astype(np.int64, copy=False)


def same_shape(x: Any, name: str, ids: np.ndarray) -> np.ndarray:
    array = to_ids(x, name)
    if array.shape != ids.shape:
        raise InputError(f"{name} has shape {array.shape} but input_ids has {ids.shape}; they must match")
    return array
