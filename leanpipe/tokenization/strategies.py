"""`padding=` / `truncation=` / `max_length=` arguments -> one resolved plan, as transformers resolves them.

transformers' rules (tokenization_utils_base._get_padding_truncation_strategies):
- `max_length` alone (padding False, truncation None) switches truncation on ("longest_first");
- `padding=True` is "longest", `truncation=True` is "longest_first";
- with no `max_length`, "max_length" padding and any truncation use `model_max_length`, and are
  dropped when the model has no limit (model_max_length = int(1e30)).

    plan_encoding(padding=False, truncation=None, max_length=8, model_max_length=512)
    -> EncodePlan(padding='do_not_pad', truncation='longest_first', max_length=8)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from ..errors import TokenizerError

LARGE_INTEGER = int(1e20)  # transformers: any model_max_length above this means "no limit"
PADDING_VALUES = ("longest", "max_length", "do_not_pad")
TRUNCATION_VALUES = ("longest_first", "only_first", "only_second", "do_not_truncate")


@dataclass(frozen=True)
class EncodePlan:
    """Resolved strategies: padding in PADDING_VALUES, truncation in TRUNCATION_VALUES."""

    padding: str
    truncation: str
    max_length: int | None

    @property
    def pads(self) -> bool:
        return self.padding != "do_not_pad"

    @property
    def truncates(self) -> bool:
        return self.truncation != "do_not_truncate"


def _enum_value(value: Any) -> Any:
    """transformers' PaddingStrategy.LONGEST -> "longest"; anything else unchanged."""
    return value if isinstance(value, (bool, str)) or value is None else getattr(value, "value", value)


def _strategy(kind: str, value: Any, on: str, off: str, allowed: tuple[str, ...]) -> str:
    value = _enum_value(value)
    if value is True:
        return on
    if value is False or value is None:
        return off
    if value in allowed:
        return value
    raise TokenizerError(f"{kind}={value!r} is not valid; use True, False or one of {allowed}")


def padding_strategy(padding: Any) -> str:
    """True -> "longest", False/None -> "do_not_pad", a valid string -> itself."""
    return _strategy("padding", padding, "longest", "do_not_pad", PADDING_VALUES)


def truncation_strategy(truncation: Any) -> str:
    """True -> "longest_first", False/None -> "do_not_truncate", a valid string -> itself."""
    return _strategy("truncation", truncation, "longest_first", "do_not_truncate", TRUNCATION_VALUES)


def implied_truncation(*, padding: Any, truncation: Any, max_length: int | None, verbose: bool = True) -> Any:
    """transformers' rule for a truncation= not given: `max_length` alone (padding False, truncation None)
    switches it on ("longest_first"); padding=True with max_length and no truncation warns that
    max_length is ignored. Other values come back as given (enums as their strings).

    implied_truncation(padding=False, truncation=None, max_length=4) -> "longest_first"
    """
    padding, truncation = _enum_value(padding), _enum_value(truncation)
    if max_length is not None and padding is False and truncation is None:
        return "longest_first"  # transformers' backward-compatible default; it tests `padding is False`
    if padding is True and verbose and max_length is not None and truncation_strategy(truncation) == "do_not_truncate":
        warnings.warn(
            "`max_length` is ignored when `padding`=`True` and there is no truncation strategy. "
            "To pad to max length, use `padding='max_length'`.",
            stacklevel=4,
        )
    return truncation


def plan_encoding(
    *,
    padding: Any,
    truncation: Any,
    max_length: int | None,
    model_max_length: int,
    pad_to_multiple_of: int | None = None,
    has_pad_token: bool = True,
    verbose: bool = True,
) -> EncodePlan:
    """Apply transformers' defaults to the user's arguments (see the module docstring)."""
    truncation = implied_truncation(padding=padding, truncation=truncation, max_length=max_length, verbose=verbose)
    pad = padding_strategy(padding)
    trunc = truncation_strategy(truncation)
    if max_length is None:
        unlimited = model_max_length > LARGE_INTEGER
        if pad == "max_length":
            pad, max_length = ("do_not_pad", None) if unlimited else (pad, model_max_length)
        if trunc != "do_not_truncate":
            trunc, max_length = ("do_not_truncate", max_length) if unlimited else (trunc, model_max_length)
    if pad != "do_not_pad" and not has_pad_token:
        raise TokenizerError(
            "asked to pad but the tokenizer has no pad token; set one, e.g. tokenizer.pad_token = tokenizer.eos_token"
        )
    if trunc != "do_not_truncate" and pad != "do_not_pad" and pad_to_multiple_of and max_length is not None:
        if max_length % pad_to_multiple_of:
            raise TokenizerError(
                f"truncation and padding are both on but max_length={max_length} is not a multiple of "
                f"pad_to_multiple_of={pad_to_multiple_of}; pick a max_length that is"
            )
    return EncodePlan(padding=pad, truncation=trunc, max_length=max_length)


def rust_truncation(plan: EncodePlan, *, stride: int, side: str) -> dict[str, Any] | None:
    """Arguments for `tokenizers.Tokenizer.enable_truncation`, or None for no truncation."""
    if not plan.truncates:
        return None
    if plan.max_length is None:
        raise TokenizerError("truncation needs max_length (the model has no model_max_length); pass max_length=")
    return {"max_length": plan.max_length, "stride": stride, "strategy": plan.truncation, "direction": side}


def rust_padding(
    plan: EncodePlan, *, pad_id: int, pad_token: str, side: str, pad_to_multiple_of: int | None, pad_type_id: int = 0
) -> dict[str, Any] | None:
    """Arguments for `tokenizers.Tokenizer.enable_padding`, or None for no padding."""
    if not plan.pads:
        return None
    return {
        "length": plan.max_length if plan.padding == "max_length" else None,
        "direction": side,
        "pad_id": pad_id,
        "pad_type_id": pad_type_id,
        "pad_token": pad_token,
        "pad_to_multiple_of": pad_to_multiple_of,
    }
