"""BatchEncoding: the dict a tokenizer call returns, with transformers' attribute and alignment helpers.

    enc = tokenizer(["Hello world"], return_offsets_mapping=True)
    enc["input_ids"] == enc.input_ids == [[101, 7592, 2088, 102]]
    enc.tokens(0) == ['[CLS]', 'hello', 'world', '[SEP]'];  enc.char_to_token(0, 6) == 2
"""

from __future__ import annotations

from typing import Any, NamedTuple

from tokenizers import Encoding

from ..errors import InputError
from .tensors import check_tensor_type, convert


class CharSpan(NamedTuple):
    """Characters [start, end) of the original text."""

    start: int
    end: int


class TokenSpan(NamedTuple):
    """Tokens [start, end) of an encoded sequence."""

    start: int
    end: int


class BatchEncoding(dict):
    """A dict of model inputs ("input_ids", "attention_mask", ...) that also keeps the Rust encodings.

    `enc.input_ids` is `enc["input_ids"]`; `enc[0]` is the `tokenizers.Encoding` of the first row.
    """

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        encodings: list[Encoding] | None = None,
        tensor_type: str | None = None,
        n_sequences: int | None = None,
    ) -> None:
        super().__init__(convert(data or {}, check_tensor_type(tensor_type)))
        self._encodings = encodings
        if n_sequences is None and encodings:
            n_sequences = encodings[0].n_sequences
        self._n_sequences = n_sequences

    def __getitem__(self, item: str | int | slice) -> Any:
        if isinstance(item, str):
            return dict.__getitem__(self, item)
        if self._encodings is not None:
            return self._encodings[item]
        if isinstance(item, slice):
            return {key: value[item] for key, value in self.items()}
        raise KeyError(f"{item!r}: use a key such as 'input_ids', an int (needs encodings) or a slice")

    def __getattr__(self, item: str) -> Any:
        if item.startswith("__") or item in ("_encodings", "_n_sequences"):
            raise AttributeError(item)
        try:
            return dict.__getitem__(self, item)
        except KeyError:
            raise AttributeError(f"BatchEncoding has no key or attribute {item!r}; keys: {list(self)}") from None

    def __getstate__(self) -> dict[str, Any]:
        return {"encodings": self._encodings, "n_sequences": self._n_sequences}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._encodings = state.get("encodings")
        self._n_sequences = state.get("n_sequences")

    def __repr__(self) -> str:
        return f"BatchEncoding({dict.__repr__(self)})"

    @property
    def data(self) -> dict[str, Any]:
        """The plain dict of inputs (transformers' UserDict attribute)."""
        return dict(self)

    @property
    def encodings(self) -> list[Encoding] | None:
        """The `tokenizers.Encoding` of every row (overflow rows included), or None."""
        return self._encodings

    @property
    def n_sequences(self) -> int | None:
        """1 for single texts, 2 for pairs, None when unknown."""
        return self._n_sequences

    @property
    def is_fast(self) -> bool:
        return self._encodings is not None

    def convert_to_tensors(self, tensor_type: str | None = None) -> BatchEncoding:
        """Convert the values in place to "np" arrays or "pt" tensors; returns self."""
        self.update(convert(dict(self), check_tensor_type(tensor_type)))
        return self

    def to(self, device: Any, *, non_blocking: bool = False) -> BatchEncoding:
        """Move torch tensors to `device`; other values are left alone. Returns self."""
        for key, value in list(self.items()):
            if type(value).__module__.startswith("torch") and hasattr(value, "to"):
                self[key] = value.to(device=device, non_blocking=non_blocking)
        return self

    # --- alignment helpers (need the Rust encodings) ---------------------------------------------

    def _encoding(self, batch_index: int) -> Encoding:
        if not self._encodings:
            raise InputError("this BatchEncoding carries no tokenizers encodings (it was built by pad())")
        return self._encodings[batch_index]

    def _split(self, first: int, second: int | None) -> tuple[int, int]:
        """(batch_or_index, index) call convention: one argument means batch 0."""
        return (0, first) if second is None else (first, second)

    def tokens(self, batch_index: int = 0) -> list[str]:
        """Token strings of row `batch_index`: ['[CLS]', 'hello', '[SEP]']."""
        return self._encoding(batch_index).tokens

    def word_ids(self, batch_index: int = 0) -> list[int | None]:
        """Word index of every token, None for special tokens: [None, 0, 1, 1, None]."""
        return self._encoding(batch_index).word_ids

    def sequence_ids(self, batch_index: int = 0) -> list[int | None]:
        """0 / 1 for tokens of the first / second text, None for special tokens."""
        return self._encoding(batch_index).sequence_ids

    def token_to_sequence(self, batch_or_token_index: int, token_index: int | None = None) -> int | None:
        batch, token = self._split(batch_or_token_index, token_index)
        encoding = self._encoding(batch)
        return encoding.token_to_sequence(token if token >= 0 else len(encoding) + token)

    def token_to_word(self, batch_or_token_index: int, token_index: int | None = None) -> int | None:
        batch, token = self._split(batch_or_token_index, token_index)
        encoding = self._encoding(batch)
        return encoding.token_to_word(token if token >= 0 else len(encoding) + token)

    def token_to_chars(self, batch_or_token_index: int, token_index: int | None = None) -> CharSpan | None:
        batch, token = self._split(batch_or_token_index, token_index)
        span = self._encoding(batch).token_to_chars(token)
        return CharSpan(*span) if span is not None else None

    def word_to_tokens(
        self, batch_or_word_index: int, word_index: int | None = None, sequence_index: int = 0
    ) -> TokenSpan | None:
        batch, word = self._split(batch_or_word_index, word_index)
        span = self._encoding(batch).word_to_tokens(word, sequence_index)
        return TokenSpan(*span) if span is not None else None

    def word_to_chars(
        self, batch_or_word_index: int, word_index: int | None = None, sequence_index: int = 0
    ) -> CharSpan | None:
        batch, word = self._split(batch_or_word_index, word_index)
        span = self._encoding(batch).word_to_chars(word, sequence_index)
        return CharSpan(*span) if span is not None else None

    def char_to_token(
        self, batch_or_char_index: int, char_index: int | None = None, sequence_index: int = 0
    ) -> int | None:
        batch, char = self._split(batch_or_char_index, char_index)
        return self._encoding(batch).char_to_token(char, sequence_index)

    def char_to_word(
        self, batch_or_char_index: int, char_index: int | None = None, sequence_index: int = 0
    ) -> int | None:
        batch, char = self._split(batch_or_char_index, char_index)
        return self._encoding(batch).char_to_word(char, sequence_index)
