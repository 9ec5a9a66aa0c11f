"""Shaping `tokenizer(...)` arguments into what `tokenizers.Tokenizer.encode_batch` takes, and back.

    batch_inputs("Hi", "there", is_split_into_words=False) -> ([("Hi", "there")], False)
    batch_inputs(["a", "b"], None, is_split_into_words=False) -> (["a", "b"], True)
"""

from __future__ import annotations

from typing import Any

from tokenizers import Encoding

from ..errors import InputError

TEXT_FORMS = (
    "a string, a list of strings (a batch, or one pre-split text with is_split_into_words=True), "
    "or a list of lists of strings (a batch of pre-split texts)"
)


def _is_text(value: Any) -> bool:
    """transformers' `_is_valid_text_input`: str, list[str], list[list[str]] or list[list[list[str]]]."""
    if isinstance(value, str):
        return True
    if not isinstance(value, (list, tuple)):
        return False
    if len(value) == 0 or isinstance(value[0], str):
        return True
    if not isinstance(value[0], (list, tuple)):
        return False
    if len(value[0]) == 0 or isinstance(value[0][0], str):
        return True
    if isinstance(value[0][0], (list, tuple)):
        return len(value[0][0]) == 0 or isinstance(value[0][0][0], str)
    return False


def batch_inputs(text: Any, text_pair: Any, *, is_split_into_words: bool, slow: bool = False) -> tuple[list[Any], bool]:
    """(inputs for encode_batch, whether the caller passed a batch). `slow`: a tokenizer transformers
    has only in Python (ESM), which keeps an empty second text as an (empty) pair."""
    for name, value in (("text", text), ("text_pair", text_pair)):
        if name == "text_pair" and value is None:
            continue
        if value is None or not _is_text(value):
            raise InputError(f"{name} must be {TEXT_FORMS}; got {type(value).__name__}")
    if is_split_into_words:
        batched = isinstance(text, (list, tuple)) and bool(text) and isinstance(text[0], (list, tuple))
    else:
        batched = isinstance(text, (list, tuple))
    if not batched:
        # transformers' fast tokenizers test `if text_pair`, so an empty second text means "no pair"
        return ([(text, text_pair)] if text_pair or (slow and text_pair is not None) else [text]), False
    if isinstance(text_pair, str):
        raise InputError("text is a batch, so text_pair must be a list of the same length, not a string")
    if text_pair is None:
        return list(text), True
    if len(text) != len(text_pair):
        raise InputError(f"text has {len(text)} items but text_pair has {len(text_pair)}; they must match")
    return list(zip(text, text_pair)), True


def collect_outputs(
    encodings: list[Encoding],
    *,
    keys: dict[str, bool],
    with_overflow: bool,
) -> tuple[dict[str, list[Any]], list[Encoding]]:
    """Rows of model inputs from encodings (overflow chunks as extra rows when `with_overflow`).

    `keys` switches the optional outputs: token_type_ids, attention_mask, special_tokens_mask,
    offset_mapping, length. Returns (data, flat list of encodings, one per row).
    """
    data: dict[str, list[Any]] = {"input_ids": []}
    data.update({key: [] for key, wanted in keys.items() if wanted})
    flat: list[Encoding] = []
    sample_mapping: list[int] = []
    for sample, encoding in enumerate(encodings):
        rows = [encoding, *encoding.overflowing] if with_overflow else [encoding]
        for row in rows:
            data["input_ids"].append(row.ids)
            if keys["token_type_ids"]:
                data["token_type_ids"].append(row.type_ids)
            if keys["attention_mask"]:
                data["attention_mask"].append(row.attention_mask)
            if keys["special_tokens_mask"]:
                data["special_tokens_mask"].append(row.special_tokens_mask)
            if keys["offset_mapping"]:
                data["offset_mapping"].append(row.offsets)
            if keys["length"]:
                data["length"].append(len(row.ids))
            flat.append(row)
            sample_mapping.append(sample)
    if with_overflow:
        data["overflow_to_sample_mapping"] = sample_mapping
    return data, flat


def unbatch(data: dict[str, list[Any]]) -> dict[str, Any]:
    """Drop the batch level for a single text, as transformers does (list-valued rows only).

    `{"input_ids": [[101, 102]], "length": [2]}` -> `{"input_ids": [101, 102], "length": [2]}`
    """
    return {key: (value[0] if value and isinstance(value[0], list) else value) for key, value in data.items()}


def flatten_overflow(encodings: list[Encoding]) -> tuple[list[Encoding], list[int]]:
    """Each encoding followed by its overflow chunks, and the input index of every chunk.

    For two texts where the first overflowed once: ([e0, e0_overflow, e1], [0, 0, 1]).
    """
    flat: list[Encoding] = []
    mapping: list[int] = []
    for sample, encoding in enumerate(encodings):
        chunks = [encoding, *encoding.overflowing]
        flat += chunks
        mapping += [sample] * len(chunks)
    return flat, mapping
