"""Special tokens: which ones a checkpoint declares, and which tokens the backend must learn.

transformers reads special tokens from tokenizer_config.json (and, for older checkpoints without
an `added_tokens_decoder` entry there, from special_tokens_map.json, added_tokens.json and the
`added_tokens` list of tokenizer.json), then adds every added token plus every named special token
to the Rust tokenizer as an `AddedToken`, so that "[CLS]" in a text is never split and
`decode(..., skip_special_tokens=True)` drops it. This module reproduces that bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tokenizers import AddedToken, Tokenizer

from ..errors import CheckpointError, TokenizerError

# Order matters: it is the order of `all_special_tokens` and `special_tokens_map` in transformers.
SPECIAL_TOKEN_NAMES = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")

Token = str | AddedToken


def as_token(value: Any, *, where: str, special: bool = False) -> Token | None:
    """A config value -> str or AddedToken.

    `"[CLS]"` stays a str; `{"content": "[CLS]", "lstrip": false, ...}` (with or without the
    `"__type": "AddedToken"` marker transformers writes) becomes an AddedToken.
    """
    if value is None or isinstance(value, (str, AddedToken)):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        fields = {k: v for k, v in value.items() if k != "__type"}
        if special:
            fields["special"] = True
        try:
            return AddedToken(**fields)
        except TypeError as exc:
            raise CheckpointError(f"bad added-token entry {value!r} in {where}: {exc}") from None
    raise CheckpointError(f"{where} should be a string or an AddedToken object, found {value!r}")


@dataclass
class SpecialTokens:
    """The named special tokens (`named["cls_token"] == "[CLS]"`) plus extra special tokens."""

    named: dict[str, Token] = field(default_factory=dict)
    extra: list[Token] = field(default_factory=list)

    def ordered_names(self) -> list[str]:
        """Standard names in transformers' order, then model-specific names in insertion order."""
        return [n for n in SPECIAL_TOKEN_NAMES if n in self.named] + [
            n for n in self.named if n not in SPECIAL_TOKEN_NAMES
        ]

    def all_tokens(self) -> list[str]:
        """Unique token strings, named ones first: ['[UNK]', '[SEP]', '[PAD]', '[CLS]', '[MASK]']."""
        seen: dict[str, None] = {}
        for token in [*(self.named[n] for n in self.ordered_names()), *self.extra]:
            if token is not None:
                seen.setdefault(str(token), None)
        return list(seen)

    def as_map(self) -> dict[str, str]:
        """{'unk_token': '[UNK]', ...} for the tokens that are set, in transformers' order."""
        return {name: str(self.named[name]) for name in self.ordered_names() if self.named[name] is not None}


def collect_special_tokens(init: dict[str, Any], defaults: dict[str, str] | None = None) -> SpecialTokens:
    """Pop the special-token entries out of the tokenizer_config-style dict `init`.

    `defaults` fills names the dict lacks (BertTokenizer's "[CLS]" etc.); an explicit null stays unset.
    Standard names keep transformers' order; other `*_token` keys (model-specific tokens such as
    `image_token`) follow them, as transformers' `_set_model_specific_special_tokens` does.
    """
    defaults = defaults or {}
    named: dict[str, Token] = {}
    for name in SPECIAL_TOKEN_NAMES:
        token = as_token(init.pop(name, defaults.get(name)), where=name)
        if token is not None:
            named[name] = token
    extra_value = init.pop("extra_special_tokens", None)
    legacy_extra = init.pop("additional_special_tokens", None)
    if extra_value is None:
        extra_value = legacy_extra
    extra: list[Token] = []
    if isinstance(extra_value, dict):  # named model-specific tokens
        for name, value in extra_value.items():
            named[name] = as_token(value, where=f"extra_special_tokens.{name}")
    elif isinstance(extra_value, (list, tuple)):
        extra = [as_token(t, where="extra_special_tokens", special=True) for t in extra_value]
    elif extra_value is not None:
        raise CheckpointError(f"extra_special_tokens should be a list or a dict, found {extra_value!r}")
    for name in [k for k in init if k.endswith("_token") and _is_token_value(init[k])]:
        named[name] = as_token(init.pop(name), where=name)
    return SpecialTokens(named=named, extra=extra)


def _is_token_value(value: Any) -> bool:
    """True for "<img>", an AddedToken, or a serialized {"__type": "AddedToken", ...}."""
    if isinstance(value, dict):
        return value.get("__type") == "AddedToken"
    return isinstance(value, (str, AddedToken))


def tokens_to_add(added: dict[int, AddedToken], specials: SpecialTokens, existing: set[str]) -> list[AddedToken]:
    """The AddedTokens transformers hands to `Tokenizer.add_tokens`, in its order.

    Every declared added token (sorted by id), then each special token that is neither among
    them nor in `existing` (the backend's current added tokens) as `AddedToken(token,
    special=True)`, then the extra special tokens likewise.
    """
    result = [token for _, token in sorted(added.items())]
    known = existing | {str(token) for token in result}
    named_strings = {str(token) for token in specials.named.values()}
    for token in [*specials.named.values(), *specials.extra]:
        if token is None or str(token) in known:
            continue
        known.add(str(token))
        if isinstance(token, str):
            token = AddedToken(token, special=True)
        elif not token.special and str(token) in named_strings:
            token.special = True
        result.append(token)
    return result


def register_tokens(backend: Tokenizer, added: dict[int, AddedToken], specials: SpecialTokens) -> None:
    """Teach `backend` the added and special tokens (tokens already in the vocabulary keep their id)."""
    existing = {token.content for token in backend.get_added_tokens_decoder().values()}
    tokens = tokens_to_add(added, specials, existing)
    if tokens:
        backend.add_tokens(tokens)


def special_strings(init: dict[str, Any]) -> set[str]:
    """Contents of the named and extra special tokens in a config dict, without popping them."""
    values = [init.get(name) for name in SPECIAL_TOKEN_NAMES]
    extra = init.get("extra_special_tokens", init.get("additional_special_tokens"))
    values += list(extra) if isinstance(extra, (list, tuple)) else []
    return {str(as_token(v, where="special token")) for v in values if v}


def prefer_declared(specials: SpecialTokens, added: dict[int, AddedToken]) -> None:
    """Swap a special token's plain string for the AddedToken declared with the same content.

    transformers does this so that lstrip/rstrip/normalized flags of e.g. "<mask>" survive.
    """
    by_content = {str(token): token for token in added.values()}
    for name, token in specials.named.items():
        if token is not None and str(token) in by_content:
            specials.named[name] = by_content[str(token)]


class TokenAttribute:
    """Descriptor for a named special token: `tok.cls_token` -> "[CLS]" (None when unset)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        token = obj._specials.named.get(self.name)
        return None if token is None else str(token)

    def __set__(self, obj: Any, value: str | AddedToken | None) -> None:
        if value is not None and not isinstance(value, (str, AddedToken)):
            raise TokenizerError(f"{self.name} must be a string or None, got {value!r}")
        obj._specials.named[self.name] = value


class TokenIdAttribute:
    """Descriptor for a special token's id: `tok.cls_token_id` -> 101 (None when the token is unset)."""

    def __init__(self, token_name: str) -> None:
        self.token_name = token_name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        token = obj._specials.named.get(self.token_name)
        return None if token is None else obj.convert_tokens_to_ids(str(token))

    def __set__(self, obj: Any, value: int | None) -> None:
        obj._specials.named[self.token_name] = None if value is None else obj.convert_ids_to_tokens(int(value))
