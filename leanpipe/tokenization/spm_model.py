"""Read the pieces of a SentencePiece `.model` file without the sentencepiece package.

A `.model` file is a serialized `sentencepiece.ModelProto` (sentencepiece_model.proto). transformers
5.2's converters take only its pieces from it: `ModelProto.pieces` (field 1), each a message with
`piece` (1, string), `score` (2, float) and `type` (3, enum: 1 NORMAL, 2 UNKNOWN, 3 CONTROL,
4 USER_DEFINED, 5 UNUSED, 6 BYTE). This file decodes exactly those fields of the protobuf wire
format and skips every other one.

    read_pieces("spiece.model")[:2] -> [Piece("<pad>", 0.0, 3), Piece("<unk>", 0.0, 2)]
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from ..errors import CheckpointError

NORMAL, UNKNOWN, CONTROL, USER_DEFINED = 1, 2, 3, 4
_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5


@dataclass(frozen=True)
class Piece:
    piece: str
    score: float = 0.0
    type: int = NORMAL  # the proto's default


class _Truncated(ValueError):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """(value, next position) of the base-128 varint at `pos`."""
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise _Truncated("varint runs past the end")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if byte < 0x80:
            return value, pos


def _fields(data: bytes):
    """Yield (field number, wire type, value) of one message; value is an int, float bits or bytes."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _varint(data, pos)
        elif wire == _FIXED64:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == _FIXED32:
            value, pos = data[pos:pos + 4], pos + 4
        elif wire == _BYTES:
            size, pos = _varint(data, pos)
            value, pos = data[pos:pos + size], pos + size
        else:
            raise _Truncated(f"unsupported wire type {wire}")
        if pos > len(data):
            raise _Truncated("field runs past the end")
        yield number, wire, value


def _piece(data: bytes) -> Piece:
    piece, score, kind = "", 0.0, NORMAL
    for number, wire, value in _fields(data):
        if number == 1 and wire == _BYTES:
            piece = value.decode("utf-8")
        elif number == 2 and wire == _FIXED32:
            score = struct.unpack("<f", value)[0]
        elif number == 3 and wire == _VARINT:
            kind = value
    return Piece(piece, score, kind)


def read_pieces(path: Path) -> list[Piece]:
    """The vocabulary of a SentencePiece model file, in id order."""
    try:
        data = Path(path).read_bytes()
        pieces = [_piece(value) for number, wire, value in _fields(data) if number == 1 and wire == _BYTES]
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from None
    except (_Truncated, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is not a SentencePiece model ({exc}); download the checkpoint again") from None
    if not pieces:
        raise CheckpointError(f"{path} holds no SentencePiece pieces; it is empty or not a .model file")
    return pieces
