"""Padding already-tokenized sequences: NumPy batches for leanpipe's batcher, and `tokenizer.pad`.

    pad_encodings([[101, 7592, 102], [101, 102]], pad_id=0)
    -> {"input_ids": [[101, 7592, 102], [101, 102, 0]],
        "attention_mask": [[1, 1, 1], [1, 1, 0]], "token_type_ids": [[0, 0, 0], [0, 0, 0]]}  (int64 arrays)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from tokenizers import Encoding

from ..errors import InputError


def padded_length(longest: int, max_length: int | None, pad_to_multiple_of: int | None) -> int:
    """Target length: `max_length` if given, else the longest row; rounded up to a multiple.

    `padded_length(13, None, 8)` -> 16
    """
    length = longest if max_length is None else max_length
    if pad_to_multiple_of and length % pad_to_multiple_of:
        length = (length // pad_to_multiple_of + 1) * pad_to_multiple_of
    return length


def _row(item: Encoding | Sequence[int]) -> tuple[Sequence[int], Sequence[int] | None, Sequence[int] | None]:
    """(ids, type_ids, attention_mask) of one item; None where a plain id list has no such field."""
    if isinstance(item, Encoding):
        return item.ids, item.type_ids, item.attention_mask
    if isinstance(item, dict):
        return item["input_ids"], item.get("token_type_ids"), item.get("attention_mask")
    return item, None, None


def pad_encodings(
    items: Sequence[Encoding | Sequence[int]],
    pad_id: int = 0,
    *,
    pad_type_id: int = 0,
    padding_side: str = "right",
    max_length: int | None = None,
    pad_to_multiple_of: int | None = None,
) -> dict[str, np.ndarray]:
    """Stack unpadded sequences into (B, T) int64 arrays: input_ids, attention_mask, token_type_ids.

    `items` are `tokenizers.Encoding`s (from `encode_batch_raw`), dicts with "input_ids", or plain
    id lists (type ids 0, mask 1). T is the longest row (or `max_length`), rounded up to
    `pad_to_multiple_of`. Rows longer than `max_length` raise InputError: truncate when encoding.
    """
    if padding_side not in ("right", "left"):
        raise InputError(f"padding_side must be 'right' or 'left', got {padding_side!r}")
    rows = [_row(item) for item in items]
    longest = max((len(ids) for ids, _, _ in rows), default=0)
    if max_length is not None and longest > max_length:
        raise InputError(
            f"a sequence has {longest} tokens, more than max_length={max_length}; encode with truncation=True"
        )
    length = padded_length(longest, max_length, pad_to_multiple_of)
    input_ids = np.full((len(rows), length), pad_id, dtype=np.int64)  # (B, T)
    token_type_ids = np.full((len(rows), length), pad_type_id, dtype=np.int64)  # (B, T)
    attention_mask = np.zeros((len(rows), length), dtype=np.int64)  # (B, T)
    for i, (ids, types, mask) in enumerate(rows):
        n = len(ids)
        cols = slice(0, n) if padding_side == "right" else slice(length - n, length)
        input_ids[i, cols] = ids
        token_type_ids[i, cols] = 0 if types is None else types
        attention_mask[i, cols] = 1 if mask is None else mask
    return {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}


def pad_example(
    features: dict[str, list[Any]],
    *,
    length: int,
    main_key: str,
    pad_id: int,
    pad_type_id: int,
    padding_side: str,
    return_attention_mask: bool,
) -> dict[str, list[Any]]:
    """Pad one example's lists to `length`, as transformers' `_pad` does.

    input ids get `pad_id`, token_type_ids `pad_type_id`, special_tokens_mask 1, attention_mask 0
    (created when missing and wanted); other keys are left as they are.
    """
    out = dict(features)
    ids = list(out[main_key])
    if return_attention_mask and "attention_mask" not in out:
        out["attention_mask"] = [1] * len(ids)
    missing = length - len(ids)
    if missing <= 0:
        return out
    fills = {main_key: pad_id, "token_type_ids": pad_type_id, "special_tokens_mask": 1}
    if return_attention_mask:
        fills["attention_mask"] = 0
    for key, fill in fills.items():
        if key in out:
            pad = [fill] * missing
            out[key] = list(out[key]) + pad if padding_side == "right" else pad + list(out[key])
    return out


def pad_features(
    features: dict[str, list[Any]],
    *,
    padding: str,
    max_length: int | None,
    pad_to_multiple_of: int | None,
    main_key: str,
    pad_id: int,
    pad_type_id: int,
    padding_side: str,
    return_attention_mask: bool,
) -> dict[str, list[Any]]:
    """transformers' `pad()` on Python lists: one example (flat lists) or a batch (lists of rows).

    `padding` is a resolved strategy ("longest", "max_length", "do_not_pad"; see strategies.py).
    """
    rows = features[main_key]
    single = not isinstance(rows[0], (list, tuple))
    if not single and any(len(value) != len(rows) for value in features.values()):
        raise InputError("pad(): every key must have one entry per example")
    examples = [features] if single else [{key: value[i] for key, value in features.items()} for i in range(len(rows))]
    longest = max(len(example[main_key]) for example in examples)
    length = 0  # "do_not_pad": nothing is shorter than 0
    if padding != "do_not_pad":
        length = padded_length(longest, max_length if padding == "max_length" else longest, pad_to_multiple_of)
    padded = [
        pad_example(example, length=length, main_key=main_key, pad_id=pad_id, pad_type_id=pad_type_id,
                    padding_side=padding_side, return_attention_mask=return_attention_mask)
        for example in examples
    ]
    return padded[0] if single else {key: [example[key] for example in padded] for key in padded[0]}
