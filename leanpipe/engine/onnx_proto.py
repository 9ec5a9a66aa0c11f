"""A minimal protobuf writer for the ONNX messages leanpipe emits, so the fp32 path needs no `onnx`.

Each function returns one message of onnx/onnx.proto (proto2) as serialized bytes, mirroring the
`onnx.helper` function of the same purpose: `node` ~ make_node, `tensor` ~ numpy_helper.from_array,
`value_info` ~ make_tensor_value_info, `graph` ~ make_graph, `model` ~ make_model. Fields are written
in field-number order, as protobuf writes them, so the bytes equal onnx's `SerializeToString()`
(tests/test_onnx_proto.py checks this).

Wire format (protobuf.dev/programming-guides/encoding): a field is a key varint
(field number << 3 | wire type) then a varint (type 0), 4 little-endian bytes (type 5) or a length
varint and that many bytes (type 2: strings, bytes, sub-messages). proto2 repeated scalars without
[packed = true] repeat the key per element: AttributeProto.ints [0, 2] -> 40 00 40 02.
"""

from __future__ import annotations

import numbers
import struct
from typing import Sequence, Union

import numpy as np

# TensorProto.DataType
FLOAT, UINT8, INT8, UINT16, INT16, INT32, INT64, BOOL, FLOAT16, DOUBLE, UINT32, UINT64 = 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13
DATA_TYPES = {
    np.dtype(np.float32): FLOAT, np.dtype(np.uint8): UINT8, np.dtype(np.int8): INT8, np.dtype(np.uint16): UINT16,
    np.dtype(np.int16): INT16, np.dtype(np.int32): INT32, np.dtype(np.int64): INT64, np.dtype(np.bool_): BOOL,
    np.dtype(np.float16): FLOAT16, np.dtype(np.float64): DOUBLE, np.dtype(np.uint32): UINT32, np.dtype(np.uint64): UINT64,
}
EXTERNAL = 1  # TensorProto.DataLocation
# AttributeProto.AttributeType
_ATTR_FLOAT, _ATTR_INT, _ATTR_STRING, _ATTR_GRAPH, _ATTR_FLOATS, _ATTR_INTS, _ATTR_STRINGS = 1, 2, 3, 5, 6, 7, 8


class Graph(bytes):
    """A serialized GraphProto (from `graph`) meant as a node attribute: an If node's branches."""

AttributeValue = Union[int, float, str, bytes, Sequence[int], Sequence[float], Sequence[str]]
Dim = Union[int, str, None]


# --- wire format ---------------------------------------------------------------------------------
def _varint(value: int) -> bytes:
    """Base-128, low 7 bits first; a negative int64 as its 64-bit two's complement (10 bytes).
    300 -> b'\\xac\\x02'; -1 -> b'\\xff' * 9 + b'\\x01'."""
    value &= (1 << 64) - 1
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _int(number: int, value: int) -> bytes:
    """An int32 / int64 / enum field (wire type 0)."""
    return _varint(number << 3) + _varint(value)


def _float(number: int, value: float) -> bytes:
    """A float field (wire type 5): 4 little-endian bytes."""
    return _varint(number << 3 | 5) + struct.pack("<f", value)


def _bytes(number: int, payload: bytes | memoryview) -> bytes:
    """A string, bytes or sub-message field (wire type 2): length, then the payload."""
    return b"".join((_varint(number << 3 | 2), _varint(len(payload)), payload))


def _str(number: int, text: str) -> bytes:
    return _bytes(number, text.encode("utf-8"))


# --- messages --------------------------------------------------------------------------------------
def operator_set(domain: str, version: int) -> bytes:
    """OperatorSetIdProto: domain = 1, version = 2. The domain is written even when "" (default ONNX
    ops), as make_opsetid does."""
    return _str(1, domain) + _int(2, version)


def _string_entry(key: str, value: str) -> bytes:
    """StringStringEntryProto: key = 1, value = 2."""
    return _str(1, key) + _str(2, value)


def attribute(name: str, value: AttributeValue) -> bytes:
    """AttributeProto: name = 1, f = 2, i = 3, s = 4, g = 6, floats = 7, ints = 8, strings = 9, type = 20.
    The kind follows the Python value, as make_attribute: 0 -> INT, 1e-5 -> FLOAT, [0, 2, 1, 3] -> INTS,
    a `Graph` -> GRAPH."""
    if isinstance(value, Graph):
        return _str(1, name) + _bytes(6, value) + _int(20, _ATTR_GRAPH)
    if isinstance(value, numbers.Integral):
        return _str(1, name) + _int(3, int(value)) + _int(20, _ATTR_INT)
    if isinstance(value, numbers.Real):
        return _str(1, name) + _float(2, float(value)) + _int(20, _ATTR_FLOAT)
    if isinstance(value, (str, bytes)):
        return _str(1, name) + _bytes(4, _utf8(value)) + _int(20, _ATTR_STRING)
    values = list(value)
    if values and all(isinstance(v, numbers.Integral) for v in values):
        return _str(1, name) + b"".join(_int(8, int(v)) for v in values) + _int(20, _ATTR_INTS)
    if values and all(isinstance(v, numbers.Real) for v in values):
        return _str(1, name) + b"".join(_float(7, float(v)) for v in values) + _int(20, _ATTR_FLOATS)
    if values and all(isinstance(v, (str, bytes)) for v in values):
        return _str(1, name) + b"".join(_bytes(9, _utf8(v)) for v in values) + _int(20, _ATTR_STRINGS)
    raise TypeError(f"attribute {name}={value!r}: pass an int, a float, a string, or a non-empty list of one of those")


def _utf8(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def node(op_type: str, inputs: Sequence[str], outputs: Sequence[str], *, name: str | None = None,
         domain: str | None = None, attributes: dict[str, AttributeValue] | None = None) -> bytes:
    """NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7.
    Attributes are sorted by name and "" inputs mark skipped optional inputs, as in make_node."""
    fields = [_str(1, i) for i in inputs] + [_str(2, o) for o in outputs]
    if name:
        fields.append(_str(3, name))
    fields.append(_str(4, op_type))
    fields += [_bytes(5, attribute(k, v)) for k, v in sorted((attributes or {}).items()) if v is not None]
    if domain is not None:
        fields.append(_str(7, domain))
    return b"".join(fields)


def tensor(name: str, array: np.ndarray) -> bytes:
    """TensorProto with the data inline: dims = 1, data_type = 2, name = 8, raw_data = 9 (C order,
    little-endian). A 0-d array has no dims: np.array(1, np.int64) -> data_type 7, raw_data 01 00 .. 00."""
    data_type = DATA_TYPES.get(array.dtype.newbyteorder("="))
    if data_type is None:
        raise TypeError(f"tensor {name!r}: dtype {array.dtype} has no ONNX encoding here; "
                        f"cast it to one of {sorted(str(d) for d in DATA_TYPES)}")
    data = np.require(array, dtype=array.dtype.newbyteorder("<"), requirements="C")
    raw = memoryview(data.reshape(-1)).cast("B")  # the array's bytes, not a copy
    dims = [_int(1, d) for d in array.shape]
    return b"".join([*dims, _int(2, data_type), *([_str(8, name)] if name else []), _bytes(9, raw)])


def external_tensor(name: str, shape: Sequence[int], location: str, data_type: int = FLOAT,
                    offset: int | None = None, length: int | None = None) -> bytes:
    """TensorProto whose data lives elsewhere: dims = 1, data_type = 2, name = 8,
    external_data = 13 ({"location": location[, "offset", "length"]}), data_location = 14 (EXTERNAL).
    onnxruntime takes the data from SessionOptions.add_external_initializers when `location` is no
    file, or reads `length` bytes at `offset` of the file `location` (unless given the array itself)."""
    dims = [_int(1, d) for d in shape]
    entries = [("location", location)] + [(k, str(v)) for k, v in (("offset", offset), ("length", length)) if v is not None]
    data = [_bytes(13, _string_entry(k, v)) for k, v in entries]
    return b"".join([*dims, _int(2, data_type), _str(8, name), *data, _int(14, EXTERNAL)])


def value_info(name: str, elem_type: int, shape: Sequence[Dim] | None) -> bytes:
    """ValueInfoProto: name = 1, type = 2 -> TypeProto.tensor_type = 1 -> Tensor: elem_type = 1,
    shape = 2 -> TensorShapeProto.dim = 1 -> Dimension: dim_value = 1 | dim_param = 2.
    shape None: no shape (any rank); ["batch", 3]: a symbolic and a fixed dim; None in it: unknown."""
    tensor_type = _int(1, elem_type)
    if shape is not None:
        tensor_type += _bytes(2, b"".join(_bytes(1, _dimension(d)) for d in shape))
    return _str(1, name) + _bytes(2, _bytes(1, tensor_type))


def _dimension(d: Dim) -> bytes:
    """TensorShapeProto.Dimension: dim_value = 1 (an int), dim_param = 2 (a name), neither for None."""
    if d is None:
        return b""
    if isinstance(d, str):
        return _str(2, d)
    return _int(1, int(d))


def graph(nodes: Sequence[bytes], name: str, inputs: Sequence[bytes], outputs: Sequence[bytes],
          initializers: Sequence[bytes] = ()) -> bytes:
    """GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12; the parts are
    messages from `node`, `tensor` / `external_tensor` and `value_info`."""
    fields = [_bytes(1, n) for n in nodes] + [_str(2, name)] + [_bytes(5, t) for t in initializers]
    fields += [_bytes(11, v) for v in inputs] + [_bytes(12, v) for v in outputs]
    return b"".join(fields)


def model(graph_bytes: bytes, opset_imports: Sequence[bytes], ir_version: int) -> bytes:
    """ModelProto: ir_version = 1, graph = 7, opset_import = 8 (messages from `operator_set`)."""
    return b"".join([_int(1, ir_version), _bytes(7, graph_bytes), *(_bytes(8, o) for o in opset_imports)])
