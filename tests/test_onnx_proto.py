"""leanpipe's own ONNX writer (leanpipe/engine/onnx_proto.py) against the `onnx` package.

Every message it writes is compared with what onnx.helper builds from the same arguments: the bytes
are equal (protobuf writes fields in field-number order, and so does the writer), they parse with
`onnx.load_from_string` and pass `onnx.checker` (see `check`). Whole graphs are compared by tracing
models once with the writer and once with `HELPER` (the onnx.helper calls onnx_ops made before it
had the writer). Then leanpipe runs fp32 with `onnx` unimportable, and quantize="int8" without it
names the extra.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the reference; in the test and int8 extras")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from leanpipe import AutoModel, AutoModelForQuestionAnswering, AutoModelForSequenceClassification  # noqa: E402
from leanpipe.engine import onnx_ops, onnx_proto as proto  # noqa: E402


def _external(name, shape, location, data_type=TensorProto.FLOAT, offset=None, length=None):
    t = TensorProto(name=name, data_type=data_type, dims=list(shape), data_location=TensorProto.EXTERNAL)
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            entry = t.external_data.add()
            entry.key, entry.value = key, str(value)
    return t


# onnx_proto's functions built with onnx.helper, returning messages (model(): its serialized bytes)
HELPER = SimpleNamespace(
    FLOAT=TensorProto.FLOAT, UINT8=TensorProto.UINT8, INT32=TensorProto.INT32, INT64=TensorProto.INT64, BOOL=TensorProto.BOOL,
    node=lambda op, inputs, outputs, *, name=None, domain=None, attributes=None:
        helper.make_node(op, inputs, outputs, name=name, domain=domain, **(attributes or {})),
    tensor=lambda name, array: numpy_helper.from_array(np.asarray(array, order="C"), name),
    external_tensor=_external,
    value_info=helper.make_tensor_value_info,
    graph=lambda nodes, name, inputs, outputs, initializers=(): helper.make_graph(nodes, name, inputs, outputs, initializers),
    operator_set=helper.make_opsetid,
    model=lambda graph, opsets, ir_version:
        helper.make_model(graph, opset_imports=opsets, ir_version=ir_version).SerializeToString(),
)


def check(model_bytes: bytes) -> None:
    """onnx.checker on the parsed model, after filling in two things it cannot see: the graph outputs'
    shape, which leanpipe leaves open (onnxruntime accepts any rank), and the in-memory external data
    (the checker looks for a file named by `location`), here zeros of the right size."""
    model = onnx.load_from_string(model_bytes)
    for out in model.graph.output:
        out.type.tensor_type.shape.SetInParent()
    for t in model.graph.initializer:
        if t.data_location == TensorProto.EXTERNAL:
            t.ClearField("external_data")
            t.ClearField("data_location")
            t.raw_data = bytes(4 * int(np.prod(t.dims)))
    onnx.checker.check_model(model)


def assert_same_model(ours: bytes, reference: bytes) -> None:
    """Equal bytes; on a difference, the first differing message, so the failure points at a field."""
    if ours == reference:
        check(ours)
        return
    a, b = onnx.load_from_string(ours), onnx.load_from_string(reference)
    for part in ("node", "initializer", "input", "output"):
        mine, theirs = list(getattr(a.graph, part)), list(getattr(b.graph, part))
        assert len(mine) == len(theirs), f"graph.{part}: {len(mine)} vs onnx's {len(theirs)}"
        for m, t in zip(mine, theirs):
            assert m == t, f"graph.{part} differs:\n{m}\nonnx.helper:\n{t}"
    assert a == b, f"models differ outside the graph's lists:\n{a.opset_import} {a.ir_version}"
    raise AssertionError(f"same messages but bytes differ ({len(ours)} vs {len(reference)} bytes)")


# --- single messages ------------------------------------------------------------------------------

NODES = [
    ("Add", ["a", "b"], ["c"], {}),  # no name, no domain, no attributes
    ("Gemm", ["x", "w", ""], ["y"], {"name": "y", "attributes": {"transB": 1}}),  # "" skips an optional input
    ("Gather", ["x", "i"], ["g"], {"name": "g", "attributes": {"axis": -1}}),  # negative int64: 10-byte varint
    ("LayerNormalization", ["x", "s", "b"], ["n"], {"attributes": {"epsilon": 1e-12, "axis": -1}}),  # sorted by name
    ("Transpose", ["x"], ["t"], {"attributes": {"perm": [0, 2, 1, 3]}}),
    ("ReduceMax", ["x"], ["m"], {"attributes": {"axes": [-1], "keepdims": 0}}),
    ("Cast", ["x"], ["f"], {"attributes": {"to": TensorProto.FLOAT}}),
    ("Attention", ["x", "w", "b", "m"], ["o"],
     {"name": "o", "domain": "com.microsoft", "attributes": {"num_heads": 12, "mask_filter_value": float(np.finfo(np.float32).min)}}),
    ("Custom", [], ["o"], {"domain": "", "attributes": {"mode": "linear", "raw": b"\x00\xff", "scales": [0.5, -2.0, 1e30],
                                                        "names": ["a", "bé"], "flag": True, "none": None}}),
]


@pytest.mark.parametrize("op, inputs, outputs, kwargs", NODES, ids=[n[0] for n in NODES])
def test_node_bytes_equal_onnx_helper(op, inputs, outputs, kwargs):
    ours = proto.node(op, inputs, outputs, **kwargs)
    assert ours == HELPER.node(op, inputs, outputs, **kwargs).SerializeToString()
    assert onnx.NodeProto.FromString(ours).op_type == op


ARRAYS = {
    "float32": np.arange(6, dtype=np.float32).reshape(2, 3) / 7,
    "float16": np.array([1.5, -2.25], dtype=np.float16),
    "float64": np.array([np.pi], dtype=np.float64),
    "int8": np.array([-128, 127], dtype=np.int8), "uint8": np.array([0, 255], dtype=np.uint8),
    "int16": np.array([-3], dtype=np.int16), "uint16": np.array([65535], dtype=np.uint16),
    "int32": np.array([[1, -2]], dtype=np.int32), "uint32": np.array([2**32 - 1], dtype=np.uint32),
    "int64": np.array([0, -1, 2**40], dtype=np.int64), "uint64": np.array([2**64 - 1], dtype=np.uint64),
    "bool": np.array([True, False, True]),
    "0-d float32": np.array(0.5, dtype=np.float32), "0-d int64": np.array(-7, dtype=np.int64),
    "empty": np.zeros((0, 3), dtype=np.float32),
    "transposed": np.arange(12, dtype=np.float32).reshape(3, 4).T,  # not C-contiguous: written in C order
}


@pytest.mark.parametrize("kind", ARRAYS)
def test_tensor_bytes_equal_numpy_helper(kind):
    array = ARRAYS[kind]
    ours = proto.tensor("w_1", array)
    assert ours == HELPER.tensor("w_1", array).SerializeToString()
    back = numpy_helper.to_array(onnx.TensorProto.FromString(ours))
    assert back.shape == array.shape and np.array_equal(back, array)


def test_tensor_writes_big_endian_arrays_little_endian():  # numpy_helper.from_array refuses them
    values = np.array([1.0, -2.5, 3e-8], dtype=">f4")
    assert proto.tensor("b", values) == proto.tensor("b", values.astype("<f4"))


def test_tensor_refuses_a_dtype_without_encoding():
    with pytest.raises(TypeError, match="complex64 has no ONNX encoding"):
        proto.tensor("c", np.zeros(2, dtype=np.complex64))


def test_attribute_refuses_an_empty_or_mixed_list():
    for value in ([], [1, "a"]):
        with pytest.raises(TypeError, match="non-empty list"):
            proto.attribute("axes", value)


def test_external_placeholder_bytes_equal_onnx():
    ours = proto.external_tensor("w_3", (30522, 768), "leanpipe-in-memory")
    assert ours == _external("w_3", (30522, 768), "leanpipe-in-memory").SerializeToString()
    parsed = onnx.TensorProto.FromString(ours)
    assert parsed.data_location == TensorProto.EXTERNAL and parsed.external_data[0].value == "leanpipe-in-memory"


def test_file_backed_external_tensor_bytes_equal_onnx():
    """A checkpoint tensor named by its file and byte range (onnxruntime is handed the mapped array)."""
    ours = proto.external_tensor("w_4", (384, 1536), "model.safetensors", offset=123456, length=384 * 1536 * 4)
    assert ours == _external("w_4", (384, 1536), "model.safetensors", offset=123456, length=384 * 1536 * 4).SerializeToString()
    entries = {e.key: e.value for e in onnx.TensorProto.FromString(ours).external_data}
    assert entries == {"location": "model.safetensors", "offset": "123456", "length": str(384 * 1536 * 4)}


@pytest.mark.parametrize("shape", [["batch", "sequence"], None, [], ["batch", 3, None], [0]])
def test_value_info_bytes_equal_onnx_helper(shape):
    ours = proto.value_info("input_ids", TensorProto.INT64, shape)
    assert ours == helper.make_tensor_value_info("input_ids", TensorProto.INT64, shape).SerializeToString()


def tiny_model(p) -> bytes:
    """y = x + 1 for x (batch, 2), written by `p` (onnx_proto or HELPER)."""
    nodes = [p.node("Add", ["x", "one"], ["y"], name="y"), p.node("Identity", ["y"], ["out"])]
    graph = p.graph(nodes, "g", [p.value_info("x", TensorProto.FLOAT, ["batch", 2])],
                    [p.value_info("out", TensorProto.FLOAT, None)], [p.tensor("one", np.ones(2, dtype=np.float32))])
    return p.model(graph, [p.operator_set("", 17)], 8)


def test_small_model_parses_checks_and_runs():
    ours = tiny_model(proto)
    assert_same_model(ours, tiny_model(HELPER))
    import onnxruntime as ort

    out = ort.InferenceSession(ours, providers=["CPUExecutionProvider"]).run(None, {"x": np.zeros((3, 2), np.float32)})
    assert np.array_equal(out[0], np.ones((3, 2), np.float32))


# --- whole graphs ----------------------------------------------------------------------------------

def every_op(ops) -> None:
    """Calls each OnnxOps op once (shapes need not fit: the graph is compared, not run)."""
    rng = np.random.default_rng(0)
    w = lambda *shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
    H, N, D = 32, 4, 8
    qkv = [(w(H, H), w(H)) for _ in range(3)]
    ids, mask = ops.input("input_ids"), ops.input("attention_mask")
    x = ops.layer_norm(ops.add(ops.embed(w(100, H), ids), ops.position_embed(w(64, H), ids)), w(H), w(H), 1e-12)
    x = ops.add(x, ops.embed(w(130, H), ops.position_ids_from_mask(ids, 1)))
    q, k, v = (ops.linear(x, w_, b_) for w_, b_ in qkv)
    outs = [ops.attention(q, k, v, mask, N, D), ops.self_attention(x, qkv, mask, N, D),
            ops.self_attention(x, qkv, mask, N, D, first_only=True)]
    bias = ops.mask_bias(mask, pairwise=True, window=2)
    outs += [ops.attention_with_bias(q, k, v, ops.add(bias, ops.mask_bias(mask)), N, D, scale=0.3),
             ops.self_attention_with_bias(x, qkv, mask, bias, N, D), ops.queries_with_keys(bias)]
    rel = ops.relative_table(w(7, H), ids)
    outs += [ops.relative_scores(q, rel, ops.input("token_type_ids"), N, D, 0.25), ops.zero_masked(x, mask)]
    rows, shifted = ops.used_rows(ops.const(w(13, H)), (ops.relative_table(np.arange(13), ids),) * 2)
    outs += [rows, *shifted]
    for act in ("gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "tanh", None):
        outs.append(ops.linear(x, w(40, H), w(40) if act != "relu" else None, act))
    outs.append(ops.dense_add_norm(ops.activation(x, "gelu"), w(H, H), w(H), x, w(H), w(H), 1e-5))
    cos, sin = ops.position_embed(w(64, D), ids), ops.position_embed(w(64, D), ids)
    outs += [ops.rotary(q, cos, sin, N, D), ops.masked_mean(x, mask), ops.first_token(x), ops.first_rows(x),
             ops.transpose(x, (0, 2, 1)), ops.mul(x, x), *ops.columns(x, 2),
             ops.grouped_linear(x, w(H, H // 4, 1), w(H), 4, "gelu"), ops.grouped_linear(x, w(40, H // 2, 1), w(40), 2),
             ops.grouped_linear(x, w(H, H, 1), w(H), 1, "relu"),
             ops.position_embed(w(66, H), ids, offset=2), ops.causal_self_attention(x, qkv, N, D),
             ops.last_match(x, ops.shift_right(ids, 2), 2), ops.through_last_match(ids, 2),
             ops.first_query_keys(mask, ops.input("token_type_ids"), 3)]
    for i, out in enumerate(outs):
        ops.output(f"out_{i}", out)


def traced(forward, *, for_quantization: bool, writer) -> bytes:
    old, onnx_ops.proto = onnx_ops.proto, writer
    try:
        ops = onnx_ops.OnnxOps(for_quantization=for_quantization)
        forward(ops)
        return ops.model()
    finally:
        onnx_ops.proto = old


@pytest.mark.parametrize("for_quantization", [False, True], ids=["fp32", "int8-input"])
def test_every_op_builds_the_graph_onnx_helper_builds(for_quantization):
    ours = traced(every_op, for_quantization=for_quantization, writer=proto)
    assert_same_model(ours, traced(every_op, for_quantization=for_quantization, writer=HELPER))


def loaded_graph(monkeypatch, load, writer) -> bytes:
    """The graph `load()` hands onnxruntime (before int8 quantization) when onnx_ops uses `writer`."""
    built, model = [], onnx_ops.OnnxOps.model
    monkeypatch.setattr(onnx_ops, "proto", writer)
    monkeypatch.setattr(onnx_ops.OnnxOps, "model", lambda self: built.append(model(self)) or built[-1])
    load()
    monkeypatch.undo()
    return built[-1]


@pytest.mark.parametrize("name, cls, quantize", [
    ("bert-cls", AutoModelForSequenceClassification, None), ("distilbert-qa", AutoModelForQuestionAnswering, None),
    ("bert-cls", AutoModelForSequenceClassification, "int8"), ("minilm", AutoModel, None)])
def test_real_models_give_the_graph_onnx_helper_gives(monkeypatch, checkpoints, minilm, name, cls, quantize):
    folder = minilm if name == "minilm" else checkpoints[name]
    load = lambda: cls.from_pretrained(folder, quantize=quantize)  # noqa: E731
    assert_same_model(loaded_graph(monkeypatch, load, proto), loaded_graph(monkeypatch, load, HELPER))


# --- without the onnx package ----------------------------------------------------------------------

SCRIPT = r"""
import sys, json
sys.modules["onnx"] = None  # any `import onnx` now raises ImportError
from leanpipe import pipeline, AutoModel
from leanpipe.errors import InputError
folder = sys.argv[1]
out = pipeline("text-classification", model=folder, top_k=None)(["I love it", "I hate it"])
hidden = AutoModel.from_pretrained(folder)(input_ids=[[101, 7592, 102]]).last_hidden_state
try:
    AutoModel.from_pretrained(folder, quantize="int8")
    int8_error = None
except InputError as exc:
    int8_error = str(exc)
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "onnx" and sys.modules[m] is not None)
print(json.dumps({"labels": len(out[0]), "total": sum(s["score"] for s in out[0]), "hidden": list(hidden.shape),
                  "int8_error": int8_error, "loaded": loaded}))
"""


def test_fp32_and_int8_run_without_onnx(checkpoints):
    """Neither path imports the onnx package: leanpipe writes its graphs itself, int8 ones included."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(checkpoints["bert-cls"])], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["labels"] == 3 and abs(report["total"] - 1) < 1e-5 and report["hidden"] == [1, 3, 32]
    assert report["loaded"] == []
    assert report["int8_error"] is None


def test_if_node_with_graph_branches_equals_onnx_helper():
    """An If node's branches (BigBird's attention) as GRAPH attributes, byte for byte as onnx.helper writes them."""
    def branch(writer, name, op):
        return writer.graph([writer.node(op, ["x"], [f"{name}_y"])], name, [], [writer.value_info(f"{name}_y", writer.FLOAT, None)])

    ours = proto.node("If", ["c"], ["y"], name="y", attributes={"then_branch": proto.Graph(branch(proto, "then", "Identity")),
                                                               "else_branch": proto.Graph(branch(proto, "else", "Neg"))})
    reference = helper.make_node("If", ["c"], ["y"], name="y", then_branch=branch(HELPER, "then", "Identity"),
                                 else_branch=branch(HELPER, "else", "Neg"))
    assert ours == reference.SerializeToString()
