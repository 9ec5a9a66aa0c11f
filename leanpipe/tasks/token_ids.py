"""Pre-tokenized inputs: token ids a caller already has, run by the model as they are.

    pipe = pipeline("sentence-embeddings", "sentence-transformers/all-MiniLM-L6-v2")
    ids = pipe.tokenizer("A man is eating food.")["input_ids"]   # [101, 1037, 2158, ..., 102]
    pipe(TokenIds(ids)) == pipe("A man is eating food.")            # the same vector

The ids are the whole model input: no special tokens are added, no prompt goes before them and no
lower-casing applies. Truncation cuts them to the task's length on the tokenizer's truncation_side;
without it a task refuses them past its limit as it refuses a text. text-embeddings-inference takes
`inputs` as ids the same way (core/src/tokenization.rs decodes them and encodes the text again
without special tokens, which gives the ids back); ids outside the vocabulary, which TEI's decode
drops without a word, are refused here. The sentence tasks and feature-extraction take them.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from ..errors import InputError


@dataclass(frozen=True)
class TokenIds:
    """One input given as token ids: TokenIds([101, 7592, 102]). Ids are non-negative integers, at
    least one; whether they are in the vocabulary is checked against the task's tokenizer."""

    ids: tuple[int, ...]

    def __init__(self, ids: Iterable[Any]) -> None:
        if isinstance(ids, (str, bytes)):
            raise InputError(f"TokenIds takes a list of integer token ids, got a string: {ids!r:.80}")
        values = tuple(ids)
        for i, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise InputError(f"token ids must be integers; position {i} holds {v!r:.40} ({type(v).__name__})")
            if v < 0:
                raise InputError(f"token ids must be non-negative; position {i} holds {v}")
        if not values:
            raise InputError("token ids cannot be empty: give at least one id (e.g. the tokenizer's input_ids)")
        object.__setattr__(self, "ids", tuple(int(v) for v in values))

    def __len__(self) -> int:
        return len(self.ids)


def rows(tokenizer: Any, items: Sequence[TokenIds], max_length: int | None) -> list[list[int]]:
    """Model rows for `items`: each one's ids, cut to `max_length` (None: not cut) on the tokenizer's
    truncation_side, as the tokenizer cuts a text; InputError naming an id outside its vocabulary.

    rows(tokenizer, [TokenIds([101, 7592, 2088, 102])], 2) -> [[101, 7592]]  (truncation_side "right")
    """
    size = len(tokenizer)  # the vocabulary with added tokens: every id a text can become
    for item in items:
        worst = max(item.ids)
        if worst >= size:
            raise InputError(f"token id {worst} is not in the tokenizer's vocabulary, whose ids are "
                             f"0 to {size - 1}; send ids from this model's tokenizer")
    if max_length is None:
        return [list(item.ids) for item in items]
    left = getattr(tokenizer, "truncation_side", "right") == "left"
    return [list(item.ids[-max_length:] if left else item.ids[:max_length]) for item in items]


def merged(items: Sequence[Any], texts: Callable[[list[Any]], list[Any]],
           ids: Callable[[list[TokenIds]], list[Any]]) -> list[Any]:
    """One row per item, in order: `texts` called once on the items that are not TokenIds (so its own
    checks refuse what is not a text), `ids` once on those that are.

    merged(["a", TokenIds([5])], texts=f, ids=g) -> [f(["a"])[0], g([TokenIds([5])])[0]]
    """
    at_ids = [i for i, x in enumerate(items) if isinstance(x, TokenIds)]
    if not at_ids:
        return texts(list(items))
    at_texts = [i for i, x in enumerate(items) if not isinstance(x, TokenIds)]
    out: list[Any] = [None] * len(items)
    for where, made in ((at_ids, ids([items[i] for i in at_ids])),
                        (at_texts, texts([items[i] for i in at_texts]) if at_texts else [])):
        for i, row in zip(where, made):
            out[i] = row
    return out


def any_ids(items: Sequence[Any]) -> bool:
    return any(isinstance(x, TokenIds) for x in items)
