"""Where the post-processor puts special tokens, read from its JSON, for id-level helpers.

transformers 5 dropped `build_inputs_with_special_tokens` from fast tokenizers; leanpipe keeps it
(collators and older code call it) and derives it from the same post-processor the encoder uses:

    layout = template_layout(bert_post_processor)
    layout.pair == [([101], 0), ("A", 0), ([102], 0), ("B", 1), ([102], 1)]
    apply_layout(layout.single, [7592], None) == ([101, 7592, 102], [0, 0, 0], [1, 0, 1])
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Union

from ..errors import TokenizerError

Piece = tuple[Union[str, list[int]], int]  # ("A" | "B" | special ids, type id)


@dataclass(frozen=True)
class Layout:
    """Pieces of the single-text and pair templates."""

    single: list[Piece]
    pair: list[Piece]


def _template_pieces(template: list[dict[str, Any]], special_tokens: dict[str, Any]) -> list[Piece]:
    pieces: list[Piece] = []
    for item in template:
        if "Sequence" in item:
            pieces.append((item["Sequence"]["id"], item["Sequence"]["type_id"]))
        else:
            token = item["SpecialToken"]
            pieces.append((list(special_tokens[token["id"]]["ids"]), token["type_id"]))
    return pieces


def layout_from_json(state: dict[str, Any] | None) -> Layout:
    """Layout of a serialized post-processor (TemplateProcessing, BertProcessing, RobertaProcessing,
    a Sequence holding one of those, or none at all)."""
    kind = (state or {}).get("type")
    if kind is None or kind == "ByteLevel":
        return Layout(single=[("A", 0)], pair=[("A", 0), ("B", 1)])
    if kind == "TemplateProcessing":
        specials = state["special_tokens"]
        return Layout(_template_pieces(state["single"], specials), _template_pieces(state["pair"], specials))
    if kind in ("BertProcessing", "RobertaProcessing"):
        cls, sep = [state["cls"][1]], [state["sep"][1]]
        if kind == "BertProcessing":
            pair = [(cls, 0), ("A", 0), (sep, 0), ("B", 1), (sep, 1)]
        else:
            pair = [(cls, 0), ("A", 0), (sep, 0), (sep, 0), ("B", 0), (sep, 0)]
        return Layout(single=[(cls, 0), ("A", 0), (sep, 0)], pair=pair)
    if kind == "Sequence":
        inner = [p for p in state["processors"] if p.get("type") != "ByteLevel"]
        return layout_from_json(inner[0] if inner else None)
    raise TokenizerError(f"cannot lay out special tokens for a {kind} post-processor")


def layout_of(post_processor: Any) -> Layout:
    """Layout of a live `tokenizers` post-processor object (None allowed)."""
    return layout_from_json(None if post_processor is None else json.loads(post_processor.__getstate__()))


def apply_layout(
    pieces: list[Piece], ids_0: list[int], ids_1: list[int] | None
) -> tuple[list[int], list[int], list[int]]:
    """(ids, token type ids, special-tokens mask) of the sequences placed into `pieces`."""
    ids: list[int] = []
    types: list[int] = []
    mask: list[int] = []
    for what, type_id in pieces:
        if isinstance(what, list):
            chunk, is_special = what, 1
        else:
            chunk, is_special = (ids_0 if what == "A" else ids_1 or []), 0
        ids += chunk
        types += [type_id] * len(chunk)
        mask += [is_special] * len(chunk)
    return ids, types, mask
