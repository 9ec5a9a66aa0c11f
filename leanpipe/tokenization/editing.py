"""Growing a loaded tokenizer's vocabulary: add_tokens and add_special_tokens, as transformers 5.2 does.

    tok.add_tokens(["covid", "<ent>"])                      -> 2 (ids len(tok) and len(tok) + 1)
    tok.add_special_tokens({"pad_token": "<pad>", "extra_special_tokens": ["<q>"]}) -> 2

Both hand the tokens to the Rust backend (`Tokenizer.add_tokens` / `add_special_tokens`), which
gives each new one the next free id and skips one it already has (a token of the base vocabulary
keeps its id and is counted as not added). A plain string added with add_tokens is normalized
like the text (a lowercasing tokenizer lowercases the text before looking for it, so "NewTok"
never matches: add it lowercased, or as AddedToken("NewTok", normalized=False)); special tokens
given as strings are never normalized.

A model knows only its `vocab_size` rows: ids at or above it make it refuse the input, since
leanpipe cannot grow the embedding table (transformers' `model.resize_token_embeddings`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tokenizers import AddedToken

from ..errors import TokenizerError
from .esm_backend import esm_template
from .special_tokens import SPECIAL_TOKEN_NAMES

EXTRA_KEYS = ("extra_special_tokens", "additional_special_tokens")  # the second is transformers 4's name


def _special(token: str | AddedToken) -> AddedToken:
    """transformers' form of a special token given as a string: never stripped, split or normalized."""
    if isinstance(token, AddedToken):
        return token
    return AddedToken(token, rstrip=False, lstrip=False, normalized=False, special=True)


def _check_token(token: Any, key: str) -> None:
    if not isinstance(token, (str, AddedToken)):
        raise TokenizerError(f"{key}: {token!r} is not a token; pass a str or a tokenizers.AddedToken")


class VocabularyEditingMixin:
    """add_tokens / add_special_tokens for PreTrainedTokenizerFast (needs `_backend`, `_lock`, `_specials`)."""

    def add_tokens(self, new_tokens: str | AddedToken | Sequence[str | AddedToken], special_tokens: bool = False) -> int:
        """Add tokens the text should never split; returns how many are new to the vocabulary.

        `tok.add_tokens(["covid", "mRNA"])` -> 2; adding them again -> 0. `special_tokens=True` marks
        them special (dropped by `decode(..., skip_special_tokens=True)`, never normalized when given
        as strings) without naming them in `special_tokens_map`: use add_special_tokens for that.
        """
        if not new_tokens:
            return 0
        tokens = list(new_tokens) if isinstance(new_tokens, (list, tuple)) else [new_tokens]
        for token in tokens:
            _check_token(token, "add_tokens")
        with self._lock:
            if self.slow:
                return self._add_as_python_tokenizer(tokens, special_tokens)
            if special_tokens:
                return self._backend.add_special_tokens(tokens)
            return self._backend.add_tokens(tokens)

    def _add_as_python_tokenizer(self, tokens: list[str | AddedToken], special: bool) -> int:
        """EsmTokenizer is a Python tokenizer in transformers, whose add_tokens differs from the Rust one:
        a string among the special tokens is added as special, a special token not yet among them joins
        the extra special tokens, and "" is skipped (PreTrainedTokenizer._add_tokens)."""
        added = 0
        for token in tokens:
            if str(token) == "" or (isinstance(token, str) and token in self.get_added_vocab()):
                continue
            if isinstance(token, str):
                is_special = special or token in self.all_special_tokens
                token = AddedToken(token, rstrip=False, lstrip=False, normalized=not is_special, special=is_special)
            elif special:  # keeping its normalized flag (setting .special alone would reset it)
                token = AddedToken(token.content, single_word=token.single_word, lstrip=token.lstrip, rstrip=token.rstrip,
                                   normalized=token.normalized, special=True)
            added += self._backend.token_to_id(token.content) is None  # counted only when new to the vocabulary
            self._backend.add_tokens([token])
            if token.special and str(token) not in self.all_special_tokens:
                self._specials.extra.append(token)
        return added

    def add_special_tokens(
        self,
        special_tokens_dict: dict[str, str | AddedToken | Sequence[str | AddedToken]],
        replace_extra_special_tokens: bool = True,
    ) -> int:
        """Set named special tokens and extra special tokens, adding the new ones to the vocabulary.

        `tok.add_special_tokens({"pad_token": "<pad>", "extra_special_tokens": ["<q>", "<a>"]})` -> 3:
        `tok.pad_token == "<pad>"`, `tok.extra_special_tokens == ["<q>", "<a>"]`. Keys: bos_token,
        eos_token, unk_token, sep_token, pad_token, cls_token, mask_token, extra_special_tokens (or
        its old name additional_special_tokens). The extra list replaces the current one unless
        `replace_extra_special_tokens=False` extends it (replaced tokens stay in the vocabulary, no
        longer special to `all_special_tokens`). As in transformers, the [CLS] ... [SEP] layout
        keeps its tokens until the tokenizer is saved and loaded again.
        Returns the number of tokens new to the vocabulary.
        """
        if not special_tokens_dict:
            return 0
        entries = dict(special_tokens_dict)
        if "additional_special_tokens" in entries:
            entries.setdefault("extra_special_tokens", entries.pop("additional_special_tokens"))
        unknown = [key for key in entries if key not in SPECIAL_TOKEN_NAMES and key != "extra_special_tokens"]
        if unknown:
            raise TokenizerError(
                f"add_special_tokens() got key(s) {unknown}; use {list(SPECIAL_TOKEN_NAMES)} or "
                f"'extra_special_tokens' (a list), or add_tokens([...], special_tokens=True) for unnamed tokens"
            )
        to_add: list[AddedToken] = []
        for key, value in entries.items():
            if key == "extra_special_tokens":
                to_add += self._set_extra(value, replace_extra_special_tokens)
                continue
            _check_token(value, key)
            token = _special(value)
            self._specials.named[key] = token
            to_add.append(token)
        added = self.add_tokens(to_add, special_tokens=True)
        if self.slow:  # transformers' EsmTokenizer is Python: it reads cls/eos at each call
            with self._lock:
                self._backend.post_processor = esm_template(self._backend, self._specials)
        return added

    def _set_extra(self, value: Any, replace: bool) -> list[AddedToken]:
        """Replace (or extend) the extra special tokens; -> the tokens to hand to the backend."""
        if not isinstance(value, (list, tuple)):
            raise TokenizerError(f"extra_special_tokens must be a list of tokens, e.g. [\"<q>\"], got {value!r}")
        for token in value:
            _check_token(token, "extra_special_tokens")
        current = {str(token) for token in self._specials.extra}
        new = [_special(token) for token in value if replace or str(token) not in current]
        if replace and new:
            self._specials.extra = list(new)
        else:
            self._specials.extra.extend(new)
        return new
