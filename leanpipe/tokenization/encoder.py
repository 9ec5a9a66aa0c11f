"""Encoding methods of PreTrainedTokenizerFast: `__call__`, `encode`, `tokenize`, `pad`, and the raw
batch API the pipelines use.

The Rust tokenizer's truncation and padding are set for one `encode_batch` call under a lock and
cleared right after, so no call sees another's settings (transformers leaves them set instead).

Pipelines: `encode_batch_raw(texts)` (truncated, unpadded `tokenizers.Encoding`s; fast, no Python
per-token work) -> sort by length -> `pad_batch(chunk)` -> {"input_ids": (B, T) int64, ...}.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from tokenizers import Encoding

from ..errors import InputError, TokenizerError
from .batch_encoding import BatchEncoding
from .inputs import batch_inputs, collect_outputs, unbatch
from .padding import pad_encodings, pad_features
from .strategies import EncodePlan, plan_encoding, rust_padding, rust_truncation
from .tensors import check_tensor_type, to_python

logger = logging.getLogger(__name__)


class EncoderMixin:
    """Mixed into PreTrainedTokenizerFast, which provides the backend, special tokens and settings."""

    def _encode_rows(
        self,
        inputs: list[Any],
        *,
        add_special_tokens: bool,
        is_pretokenized: bool,
        truncation: dict[str, Any] | None,
        padding: dict[str, Any] | None,
        split_special_tokens: bool | None = None,
    ) -> list[Encoding]:
        """One `encode_batch` call with exactly the given truncation/padding, which are cleared after
        (and `split_special_tokens` for this call alone, when given)."""
        with self._lock:
            backend = self._backend
            kept = backend.encode_special_tokens
            try:
                if split_special_tokens is not None:
                    backend.encode_special_tokens = bool(split_special_tokens)
                if truncation is not None:
                    backend.enable_truncation(**truncation)
                if padding is not None:
                    backend.enable_padding(**padding)
                return backend.encode_batch(inputs, add_special_tokens=add_special_tokens, is_pretokenized=is_pretokenized)
            except BaseException as exc:  # the Rust side raises Exception, or pyo3's PanicException
                if not _is_rust_error(exc):
                    raise
                if isinstance(exc, TypeError):
                    raise InputError(_unencodable(inputs) or f"every text must be a string (or a list of words): {exc}") from None
                hint = " (lower stride or raise max_length)" if "stride" in str(exc) or "runcat" in str(exc) else ""
                raise TokenizerError(f"tokenizers could not encode the input: {exc}{hint}") from None
            finally:
                backend.no_truncation()
                backend.no_padding()
                backend.encode_special_tokens = kept

    def _plan(
        self, padding: Any, truncation: Any, max_length: int | None, pad_to_multiple_of: int | None, verbose: bool
    ) -> EncodePlan:
        return plan_encoding(
            padding=padding,
            truncation=truncation,
            max_length=max_length,
            model_max_length=self.model_max_length,
            pad_to_multiple_of=pad_to_multiple_of,
            has_pad_token=self.pad_token is not None and (self.pad_token_id or 0) >= 0,
            verbose=verbose,
        )

    def _side(self, name: str, value: str | None) -> str:
        side = getattr(self, name) if value is None else value
        if side not in ("right", "left"):
            raise TokenizerError(f"{name} must be 'right' or 'left', got {side!r}")
        return side

    def __call__(
        self,
        text: Any = None,
        text_pair: Any = None,
        *,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        stride: int = 0,
        is_split_into_words: bool = False,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_tensors: str | None = None,
        return_token_type_ids: bool | None = None,
        return_attention_mask: bool | None = None,
        return_overflowing_tokens: bool = False,
        return_special_tokens_mask: bool = False,
        return_offsets_mapping: bool = False,
        return_length: bool = False,
        verbose: bool = True,
        split_special_tokens: bool | None = None,
    ) -> BatchEncoding:
        """Tokenize one text, a batch, or (batches of) pairs, exactly as transformers' fast tokenizers.
        `split_special_tokens=True` tokenizes "[CLS]" in a text as ordinary characters for this call
        (None: the tokenizer's own `split_special_tokens`).

        `tok("Hello world")` -> {'input_ids': [101, 7592, 2088, 102], 'token_type_ids': [0, 0, 0, 0],
        'attention_mask': [1, 1, 1, 1]}; a batch gives lists of rows, `return_tensors="np"` (B, T) arrays.
        """
        tensor_type = check_tensor_type(return_tensors)
        plan = self._plan(padding, truncation, max_length, pad_to_multiple_of, verbose)
        inputs, batched = batch_inputs(text, text_pair, is_split_into_words=is_split_into_words, slow=self.slow)
        pad_id = self.pad_token_id
        encodings = self._encode_rows(
            inputs,
            add_special_tokens=add_special_tokens,
            is_pretokenized=is_split_into_words,
            truncation=rust_truncation(plan, stride=stride, side=self._side("truncation_side", None)),
            padding=rust_padding(
                plan,
                pad_id=pad_id if pad_id is not None else 0,
                pad_token=self.pad_token or "",
                side=self._side("padding_side", padding_side),
                pad_to_multiple_of=pad_to_multiple_of,
            ),
            split_special_tokens=split_special_tokens,
        )
        names = self.model_input_names
        keys = {
            "token_type_ids": "token_type_ids" in names if return_token_type_ids is None else return_token_type_ids,
            "attention_mask": "attention_mask" in names if return_attention_mask is None else return_attention_mask,
            "special_tokens_mask": return_special_tokens_mask,
            "offset_mapping": return_offsets_mapping and not self.slow,  # a Python tokenizer in transformers has none
            "length": return_length,
        }
        data, flat = collect_outputs(encodings, keys=keys, with_overflow=return_overflowing_tokens)
        self._warn_if_too_long(data["input_ids"], plan.max_length, verbose)
        if not batched and tensor_type is None and not return_overflowing_tokens:
            data = unbatch(data)
            if self.slow and "length" in data:  # a Python tokenizer's length of one text is a number
                data["length"] = data["length"][0]
        return BatchEncoding(data, flat, tensor_type=tensor_type)

    def _warn_if_too_long(self, rows: list[list[int]], max_length: int | None, verbose: bool) -> None:
        """transformers' one-time warning for sequences longer than model_max_length."""
        if max_length is not None or not verbose or self._warned_too_long or self.model_max_length == 0:
            return
        longest = max((len(row) for row in rows), default=0)
        if longest > self.model_max_length:
            logger.warning(
                "Token indices sequence length is longer than the specified maximum sequence length for this "
                "model (%d > %d). Running this sequence through the model will result in indexing errors; "
                "pass truncation=True",
                longest,
                self.model_max_length,
            )
            self._warned_too_long = True

    def encode(
        self,
        text: Any,
        text_pair: Any = None,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        stride: int = 0,
        padding_side: str | None = None,
        return_tensors: str | None = None,
        *,
        is_split_into_words: bool = False,
        pad_to_multiple_of: int | None = None,
        verbose: bool = True,
    ) -> Any:
        """Only the input ids: `encode("Hello world")` -> [101, 7592, 2088, 102]."""
        return self(
            text,
            text_pair,
            add_special_tokens=add_special_tokens,
            padding=padding,
            truncation=truncation,
            max_length=max_length,
            stride=stride,
            padding_side=padding_side,
            return_tensors=return_tensors,
            is_split_into_words=is_split_into_words,
            pad_to_multiple_of=pad_to_multiple_of,
            verbose=verbose,
        )["input_ids"]

    def tokenize(self, text: str, pair: str | None = None, add_special_tokens: bool = False) -> list[str]:
        """Token strings: `tokenize("Hello worlds")` -> ['hello', 'worlds'] (no [CLS]/[SEP] by default)."""
        return self(text, pair, add_special_tokens=add_special_tokens, verbose=False).tokens()

    # --- raw batch API for pipelines ---------------------------------------------------------------

    def encode_batch_raw(
        self,
        texts: Sequence[str] | Sequence[Sequence[str]],
        pairs: Sequence[str] | Sequence[Sequence[str]] | None = None,
        *,
        add_special_tokens: bool = True,
        truncation: bool | str = True,
        max_length: int | None = None,
        stride: int = 0,
        is_split_into_words: bool = False,
    ) -> list[Encoding]:
        """Truncated, unpadded encodings of a batch, one `tokenizers.Encoding` per text.

        `truncation=True` without max_length truncates to model_max_length (as transformers does).
        Overflow chunks, when truncation cut something, are in `encoding.overflowing`; see
        `leanpipe.tokenization.flatten_overflow`. Pad later with `pad_batch` / `pad_encodings`.
        """
        if isinstance(texts, str) or (pairs is not None and isinstance(pairs, str)):
            raise InputError("encode_batch_raw takes lists of texts; wrap a single text in a list")
        if pairs is not None and len(pairs) != len(texts):
            raise InputError(f"texts has {len(texts)} items but pairs has {len(pairs)}; they must match")
        plan = plan_encoding(padding=False, truncation=truncation, max_length=max_length,
                             model_max_length=self.model_max_length, verbose=False)
        inputs = list(texts) if pairs is None else list(zip(texts, pairs))
        return self._encode_rows(
            inputs,
            add_special_tokens=add_special_tokens,
            is_pretokenized=is_split_into_words,
            truncation=rust_truncation(plan, stride=stride, side=self.truncation_side),
            padding=None,
        )

    def pad_batch(
        self,
        encodings: Sequence[Encoding | Sequence[int]],
        *,
        max_length: int | None = None,
        pad_to_multiple_of: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Pad encodings to (B, T) int64 arrays with this tokenizer's pad id and side.

        Keys are the model's input names among input_ids / attention_mask / token_type_ids.
        """
        if self.pad_token_id is None:
            raise TokenizerError("this tokenizer has no pad token; set tokenizer.pad_token first")
        arrays = pad_encodings(
            encodings,
            self.pad_token_id,
            pad_type_id=self.pad_token_type_id,
            padding_side=self.padding_side,
            max_length=max_length,
            pad_to_multiple_of=pad_to_multiple_of,
        )
        return {key: arrays[key] for key in self.model_input_names if key in arrays}

    # --- pad(): transformers' collator-style padding of already-encoded examples ------------------

    def pad(
        self,
        encoded_inputs: Any,
        padding: bool | str = True,
        max_length: int | None = None,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_attention_mask: bool | None = None,
        return_tensors: str | None = None,
        verbose: bool = True,
    ) -> BatchEncoding:
        """Pad one example or a batch (dict of lists, or list of dicts as a DataLoader collates).

        `tok.pad([{"input_ids": [101, 102]}, {"input_ids": [101, 7592, 102]}], return_tensors="np")`
        -> input_ids [[101, 102, 0], [101, 7592, 102]], attention_mask [[1, 1, 0], [1, 1, 1]].
        """
        if isinstance(encoded_inputs, (list, tuple)) and encoded_inputs and isinstance(encoded_inputs[0], Mapping):
            encoded_inputs = {key: [example[key] for example in encoded_inputs] for key in encoded_inputs[0].keys()}
        main = self.model_input_names[0]
        if not isinstance(encoded_inputs, Mapping) or main not in encoded_inputs:
            found = list(encoded_inputs.keys()) if isinstance(encoded_inputs, Mapping) else type(encoded_inputs).__name__
            raise InputError(f"pad() needs examples with {main!r}; got {found}")
        if return_attention_mask is None:
            return_attention_mask = "attention_mask" in self.model_input_names
        features = dict(encoded_inputs)
        first = features[main]
        if len(first) == 0:
            return BatchEncoding({**features, **({"attention_mask": []} if return_attention_mask else {})})
        if return_tensors is None and not isinstance(_first_leaf(first), (int, list, tuple)):
            return_tensors = "pt" if type(_first_leaf(first)).__module__.startswith("torch") else "np"
        plan = self._plan(padding, None, max_length, None, verbose)
        padded = pad_features(
            {key: to_python(value) for key, value in features.items()},
            padding=plan.padding,
            max_length=plan.max_length,
            pad_to_multiple_of=pad_to_multiple_of,
            main_key=main,
            pad_id=self.pad_token_id,
            pad_type_id=self.pad_token_type_id,
            padding_side=self._side("padding_side", padding_side),
            return_attention_mask=return_attention_mask,
        )
        return BatchEncoding(padded, tensor_type=return_tensors)


def _unencodable(inputs: list[Any]) -> str:
    """Why `tokenizers` refused strings: a lone surrogate ("\\ud800", e.g. from JSON "\\ud800" or
    surrogateescape decoding) has no UTF-8 form. "" when no input has one."""
    for i, item in enumerate(inputs):
        texts = [item] if isinstance(item, str) else [t for t in _leaves(item) if isinstance(t, str)]
        for text in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                return (f"input {i} contains the lone surrogate {text[exc.start]!r} at character {exc.start}, which is "
                        f"not valid Unicode and cannot be tokenized; clean it first, e.g. "
                        f"text.encode('utf-8', 'replace').decode('utf-8')")
    return ""


def _leaves(item: Any) -> list[Any]:
    """The strings inside a pair or a pre-split text: ("a", ["b", "c"]) -> ["a", "b", "c"]."""
    if isinstance(item, (list, tuple)):
        return [leaf for part in item for leaf in _leaves(part)]
    return [item]


def _is_rust_error(exc: BaseException) -> bool:
    """An Exception or a PanicException (a BaseException) from `tokenizers`, not e.g. Ctrl-C."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _first_leaf(rows: Any) -> Any:
    """First element of the first non-empty row (or of `rows` itself when it is flat)."""
    first = rows[0]
    if isinstance(first, (list, tuple)):
        for row in rows:
            if len(row):
                return row[0]
    return first
