"""The model ops as an ONNX graph builder: the same names as `NumpyOps`, emitting nodes.

Values are tensor names in the graph being built. Weights become initializers (transposed once
here where MatMul wants (in, out)), so onnxruntime runs the whole model in one call.
Shapes: B batch, T tokens, H hidden, N heads, D head dim.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from ..errors import ConfigError
from ..weights.safetensors import drop_resident_pages, file_region
from . import onnx_proto as proto
from .onnx_block_sparse import BlockSparseAttention
from .onnx_windowed import WindowedAttention
from .recording import Recording

OPSET = 23  # LayerNormalization is standard from 17, Attention from 23 (reductions take their axes as an input from 18)
IR_VERSION = 10
_NEG = float(np.finfo(np.float32).min)
_EXTERNAL_MIN = 1024  # elements; smaller constants are embedded in the graph
_EXTERNAL_TYPES = {np.dtype(np.float32): proto.FLOAT, np.dtype(np.int8): proto.INT8}  # what may be external
IN_MEMORY = "leanpipe-in-memory"  # the external-data location of arrays fed by reference


def int8_columns(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """w (out, in) -> (Wq (in, out) int8, scales (out,) float32): symmetric per output column in
    [-127, 127], w.T ~= Wq * scales, the values onnxruntime's quantize_dynamic (per_channel, QInt8) gave."""
    wt = np.asarray(w, dtype=np.float32).T  # (in, out)
    ws = (np.maximum(np.abs(wt).max(axis=0), 1e-30) / 127.0).astype(np.float32)
    return np.clip(np.rint(wt / ws), -127, 127).astype(np.int8), ws


class OnnxOps(Recording, WindowedAttention, BlockSparseAttention):
    """Builds a graph; `model()` returns the finished ModelProto, serialized (onnx_proto writes it)."""

    def __init__(self, *, for_quantization: bool = False, records_hidden: bool = False, records_attentions: bool = False) -> None:
        # int8: the products come out as onnxruntime's int8 kernels, their weights quantized here (_int8_weight)
        self.for_quantization = for_quantization
        self.per_text: set[str] = set()  # tensors with one row per text (pooled, first token), under int8
        self._spill = None  # int8: the temporary file its quantized weights are mapped from (_spilled)
        # hidden states and attention probabilities as graph outputs (attention runs unfused then)
        self._start_recording(records_hidden=records_hidden, records_attentions=records_attentions)
        # serialized NodeProto / TensorProto / ValueInfoProto messages, in graph order
        self.nodes: list[bytes] = []
        self.initializers: list[bytes] = []
        self.inputs: dict[str, bytes] = {}
        self.outputs: list[bytes] = []
        self._consts: dict[tuple, str] = {}
        self._vectors: set[str] = set()  # constants of rank 0 or 1: broadcast along the last axis
        self._mask_bias: dict[str, str] = {}
        self._derived: dict[tuple, object] = {}  # tensors made once from another: a grouped split, rotary caches
        self._count = 0
        self._alive: list[object] = []
        self.external: dict[str, np.ndarray] = {}  # initializer name -> array onnxruntime copies
        # initializer name -> a tensor as stored in a memory-mapped checkpoint file under `folder`:
        # the graph names its file and offset, and onnxruntime is handed the mapped array to use in place
        self.shared: dict[str, np.ndarray] = {}
        self.folder: str | None = None
        # tensor name -> a 1-D int64 tensor holding its leading dims (all but the last), shared by
        # the tensors of one residual stream, so reshaping an int8 row-quantized product back to them
        # (_unflatten) costs no Shape/Slice/Concat
        self._leads: dict[str, str] = {}
        self._shapes: dict[tuple[str, int], str] = {}

    # --- plumbing ----------------------------------------------------------------------------
    def _name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def _node(self, op: str, inputs: list[str], hint: str | None = None, n_out: int = 1, *, domain: str | None = None,
              **attrs) -> str | list[str]:
        """Appends one node (its attributes as keywords: axis=-1, perm=[0, 2, 1, 3]); returns its output name(s)."""
        outs = [self._name(hint or op.lower()) for _ in range(n_out)]
        self.nodes.append(proto.node(op, inputs, outs, name=outs[0], domain=domain, attributes=attrs))
        if self.for_quantization and any(i in self.per_text for i in inputs):
            self.per_text.update(outs)  # computed from one row per text: still one row per text
        return outs[0] if n_out == 1 else outs

    def _per_text(self, y: str) -> str:
        """Mark y as one row per text (a pooled vector, the first token): under int8 the products over
        such rows stay fp32, as they cost nothing next to the per-token ones."""
        self.per_text.add(y)
        return y

    def const(self, array: np.ndarray, key: tuple | None = None) -> str:
        """An initializer holding `array`; the same `key` (or the same array object) is stored once.

        Large float arrays are not copied into the graph: the graph names them as external data and
        `external` hands onnxruntime the arrays themselves (memory-mapped checkpoint tensors).
        """
        key = key or ("id", id(array))
        self._alive.append(array)  # an id() key stays unique only while its array lives
        if key not in self._consts:
            name = self._name("w")
            if array.size >= _EXTERNAL_MIN and array.dtype in _EXTERNAL_TYPES:  # int8: quantized weights
                self.initializers.append(self._external(name, array))
            else:
                self.initializers.append(proto.tensor(name, np.asarray(array)))  # 0-d stays 0-d
            self._consts[key] = name
            if np.ndim(array) <= 1:
                self._vectors.add(name)
        return self._consts[key]

    def _external(self, name: str, array: np.ndarray) -> bytes:
        """The placeholder of a large float (or int8) array: its place in the checkpoint file when it is one
        stored tensor (all from one folder), else a name onnxruntime gets the array under."""
        region = file_region(array)
        if region is not None and os.path.dirname(region[0]) == (self.folder or os.path.dirname(region[0])):
            path, offset = region
            self.folder = os.path.dirname(path)
            self.shared[name] = array
            return proto.external_tensor(name, array.shape, os.path.basename(path), offset=offset, length=array.nbytes)
        self.external[name] = np.require(array, requirements="C")
        return proto.external_tensor(name, array.shape, IN_MEMORY, data_type=_EXTERNAL_TYPES[array.dtype])

    def _ints(self, values: list[int]) -> str:
        return self.const(np.array(values, dtype=np.int64), key=("ints", tuple(values)))

    def _i64(self, value: int) -> str:
        """A 0-d int64 constant (a count, an index, a window), stored once per value."""
        return self.const(np.array(value, dtype=np.int64), key=("i64", value))

    def _scalar(self, value: float) -> str:
        return self.const(np.array(value, dtype=np.float32), key=("f32", value))

    # --- the ops -----------------------------------------------------------------------------
    def input(self, name: str) -> str:
        if name not in self.inputs:
            self.inputs[name] = proto.value_info(name, proto.INT64, ["batch", "sequence"])
        return name

    def embed(self, table: np.ndarray, ids: str) -> str:
        return self._node("Gather", [self.const(table), ids], "embed")  # (B, T, H)

    def position_embed(self, table: np.ndarray, ids: str, offset: int = 0) -> str:
        """Rows offset .. offset + T - 1 of `table` for ids (B, T) -> (T, H)."""
        t = self._node("Slice", [self._node("Shape", [ids]), self._ints([1]), self._ints([2])], "t")
        end = self._node("Add", [t, self._ints([offset])], "t") if offset else t
        return self._node("Slice", [self.const(table), self._ints([offset]), end, self._ints([0])], "pos")  # (T, H)

    def add(self, a: str, b: str) -> str:
        return self._elementwise("Add", a, b)

    def _elementwise(self, op: str, a: str, b: str) -> str:
        """a op b; the result keeps the leading dims of an operand when the other has the same ones or
        is a constant vector (broadcast along the last axis), so an int8 product reshapes back for free."""
        y = self._node(op, [a, b])
        for x, other in ((a, b), (b, a)):
            if x in self._leads and (self._leads[x] == self._leads.get(other) or other in self._vectors):
                self._leads[y] = self._leads[x]
                break
        return y

    def _same_lead(self, y: str, x: str) -> str:
        """Record that y has x's leading dims (an op that keeps the shape, or changes only the last dim)."""
        if x in self._leads:
            self._leads[y] = self._leads[x]
        return y

    def _lead(self, x: str) -> str:
        if x not in self._leads:
            self._leads[x] = self._node("Slice", [self._node("Shape", [x]), self._ints([0]), self._ints([-1])], "lead")
        return self._leads[x]

    def _gemm(self, x: str, w: np.ndarray, b: np.ndarray | None) -> str:
        """x @ w.T (+ b) for x of any rank, with w in the checkpoint's own (out, in) layout (no copy)."""
        if self.for_quantization and x not in self.per_text and w.shape[1] <= w.shape[0]:
            # int8: x quantized per tensor inside the kernel (uint8, asymmetric), w per output column. An
            # in > out product stays fp32 (classifier and span heads; the FFN down-projections come
            # through down_projection, int8 per token: their post-GELU inputs lose too much under one
            # scale for the batch, all-MiniLM-L6-v2's mean-pooled cosine with fp32 0.9907, min 0.971,
            # against 0.9946, min 0.984 per token), as do products over one row per text (a pooler,
            # DistilBERT's pre_classifier, a classifier's last layer on its first token): negligible work
            # (the bench's DistilBERT classifier, 500 sentences: 0.99-1.01 s int8 either way), max
            # |P int8 - P fp32| 4.2e-3 -> 3.8e-3.
            wq, ws = self._int8_weight(w)
            y = self._same_lead(self._node("DynamicQuantizeMatMul", [x, wq, ws], "matmul_int8", domain="com.microsoft"), x)
            return self.add(y, self.const(b)) if b is not None else y
        # FusedMatMul: MatMul with a transposed B, which onnxruntime packs once like MatMul's; on x's own
        # rank, so no Reshape to 2-D and back per layer as Gemm needs (all-MiniLM-L6-v2 at batch 32:
        # 2.6% more tokens/s over five alternating pairs of runs; DistilBERT-base size unchanged)
        y = self._same_lead(self._node("FusedMatMul", [x, self.const(w)], "matmul", domain="com.microsoft",
                                       transB=1), x)  # (..., out)
        return self.add(y, self.const(b)) if b is not None else y

    def _unflatten(self, y: str, x: str, out: int) -> str:
        """(N, out) rows of a linear layer back to x's leading dims: (..., out)."""
        lead = self._lead(x)
        if (lead, out) not in self._shapes:
            self._shapes[(lead, out)] = self._node("Concat", [lead, self._ints([out])], "shape", axis=0)
        return self._same_lead(self._node("Reshape", [y, self._shapes[(lead, out)]], "linear"), x)

    def _int8_weight(self, w, key: tuple | None = None) -> tuple[str, str]:
        """w (out, in), stored once as (in, out) int8 with a scale per output column, symmetric in
        [-127, 127]: what onnxruntime's dynamic quantizer (quantize_dynamic, per_channel, QInt8) stored for
        leanpipe's MatMul and Attention weights, value for value. Quantized here, in NumPy: the quantizer
        itself took 1.3 s for all-MiniLM-L6-v2 (one column at a time in Python), plus the onnx package and
        a copy of the whole graph. `w` may be a list of matrices to stack (Q, K, V). Once quantized, the
        checkpoint's pages it read are let go (as the fp32 path does while onnxruntime packs): a
        DistilBERT-base-sized classifier's int8 load peaked at 429 MB RSS without, against 250 MB fp32.
        -> (int8 weight, scales) initializer names."""
        parts = w if isinstance(w, list) else [w]
        key = key or ("id", id(w))
        self._alive.append(w)  # the key may hold its id
        if ("q8", key) not in self._consts:
            wq, ws = int8_columns(parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0))
            self.const(self._spilled(wq), key=("q8", key))
            self.const(ws, key=("q8s", key))
            del wq
            drop_resident_pages(parts)
        return self._consts[("q8", key)], self._consts[("q8s", key)]

    def _spilled(self, array: np.ndarray) -> np.ndarray:
        """`array` written to an unnamed temporary file and mapped back read-only: onnxruntime packs
        the int8 weights into its own buffers, and the engine then lets these file pages go, so they
        are not held twice (peak RSS at the first answer: a DistilBERT-base-sized classifier 210 -> 165 MB,
        all-MiniLM-L6-v2 112 -> 103 MB). Where no temporary file can be written, the array stays in memory."""
        try:
            if self._spill is None:
                self._spill = tempfile.TemporaryFile(prefix="leanpipe-int8-")
            f = self._spill
            offset = f.seek(0, os.SEEK_END)
            f.write(b"\0" * (-offset % 64))  # each array 64-byte aligned
            start = f.tell()
            f.write(np.ascontiguousarray(array).tobytes())
            f.flush()
            return np.memmap(f, dtype=array.dtype, mode="r", offset=start, shape=array.shape)
        except OSError:  # a read-only or full temporary directory: hold it in memory instead
            return array

    def _int8_rows(self, x: str, w: np.ndarray, b: np.ndarray | None) -> str:
        """x @ w.T + b in int8, with a scale and zero point per row of x (per token) and a scale per
        output column of w: x ~= s * (q - z) per row (q uint8), w.T ~= Wq * ws (Wq int8, symmetric), so
        x @ w.T ~= s * (q @ Wq - z * colsum(Wq)) * ws. onnxruntime's MatMulInteger takes one zero point
        for all of x, so the rows' own are taken out of its int32 result. x86 CPUs without VNNI sum pairs
        of u8 x s8 products in int16, which can saturate: simulated on all-MiniLM-L6-v2's down-projections
        (64 bench sentences) that hits 1e-7 of the pairs and leaves the error unchanged (onnxruntime's
        session.x64quantprecision, which avoids it, made int8 2.5x slower here, VNNI or not)."""
        out, inp = w.shape
        self._alive.append(w)  # the keys below hold its id (ALBERT runs one layer's weights many times)
        if ("int8", id(w)) not in self._consts:
            wq, ws = int8_columns(w)
            colsum = wq.sum(axis=0, dtype=np.int64).astype(np.float32)  # (out,), exact in float32 (|sum| < 2**24)
            for part, array in (("int8", self._spilled(wq)), ("scale", ws), ("colsum", colsum)):
                self.const(array, key=(part, id(w)))
            del wq
            drop_resident_pages([w])
        wq, ws, colsum = (self._consts[(part, id(w))] for part in ("int8", "scale", "colsum"))
        flat = self._node("Reshape", [x, self._ints([-1, inp])], "flat")  # (N, in)
        lo = self._node("Min", [self._node("ReduceMin", [flat, self._ints([1])], keepdims=1), self._scalar(0.0)], "row_min")  # (N, 1)
        hi = self._node("Max", [self._node("ReduceMax", [flat, self._ints([1])], keepdims=1), self._scalar(0.0)], "row_max")
        span = self._node("Max", [self._node("Sub", [hi, lo]), self._scalar(1e-30)])
        scale = self._node("Div", [span, self._scalar(255.0)], "row_scale")  # (N, 1), > 0
        zero = self._node("Round", [self._node("Div", [self._node("Neg", [lo]), scale])], "row_zero")  # (N, 1), in 0..255
        zero_u8 = self._node("Cast", [self._node("Reshape", [zero, self._ints([-1])])], to=proto.UINT8)  # (N,)
        q = self._node("QuantizeLinear", [flat, self._node("Reshape", [scale, self._ints([-1])]), zero_u8], "q", axis=0)
        acc = self._node("Cast", [self._node("MatMulInteger", [q, wq], "acc")], to=proto.FLOAT)  # (N, out)
        acc = self._node("Sub", [acc, self._node("Mul", [zero, colsum])])
        y = self._node("Mul", [acc, self._node("Mul", [scale, ws])])  # (N, out)
        y = self._node("Add", [y, self.const(b)], "int8_rows") if b is not None else y
        return self._unflatten(y, x, out)

    def linear(self, x: str, w: np.ndarray, b: np.ndarray | None, activation: str | None = None) -> str:
        """x @ w.T + b, then `activation`; bias + erf GELU run as one BiasGelu kernel."""
        return self._bias_activation(self._gemm(x, w, None), b, activation, x)

    def _bias_activation(self, y: str, b: np.ndarray | None, activation: str | None, x: str) -> str:
        """y + b, then `activation`, with x's leading dims: the end of every linear layer (bias + exact
        erf GELU, as BERT's ACT2FN["gelu"], as one BiasGelu kernel)."""
        if activation == "gelu" and b is not None:
            return self._same_lead(self._node("BiasGelu", [y, self.const(b)], "bias_gelu", domain="com.microsoft"), x)
        y = self.add(y, self.const(b)) if b is not None else y
        return self._same_lead(self.activation(y, activation), x) if activation else y

    def grouped_linear(self, x: str, w: np.ndarray, b: np.ndarray, groups: int, activation: str | None = None) -> str:
        """torch's Conv1d(in, out, 1, groups) over the tokens (see NumpyOps) as one batched MatMul of the
        groups, (G, N, in / G) @ (G, in / G, out / G), between two transposes; N = B x T rows (SqueezeBERT:
        a squeezebert-uncased-sized classifier at batch 32 ran 1.3x faster than as ONNX Conv, which loops
        over the texts). Under int8 these MatMuls stay fp32 (the quantizer takes 2-D weights)."""
        out, width = w.shape[0], w.shape[1]
        if groups == 1:
            return self.linear(x, w.reshape(out, width), b, activation)
        if ("groups", x, groups) not in self._derived:  # Q, K and V read the same split of x
            split = self._node("Reshape", [x, self._ints([-1, groups, width])])  # (N, G, in / G)
            self._derived[("groups", x, groups)] = self._node("Transpose", [split], "by_group", perm=[1, 0, 2])
        weight = np.ascontiguousarray(w.reshape(groups, out // groups, width).transpose(0, 2, 1))  # (G, in / G, out / G)
        self._alive.append(w)
        y = self._node("MatMul", [self._derived[("groups", x, groups)], self.const(weight, key=("groups", id(w)))],
                       "grouped")  # (G, N, out / G)
        y = self._node("Reshape", [self._node("Transpose", [y], perm=[1, 0, 2]), self._ints([-1, out])])  # (N, out)
        return self._bias_activation(self._unflatten(y, x, out), b, activation, x)  # (B, T, out)

    def down_projection(self, x: str, w: np.ndarray, b: np.ndarray | None) -> str:
        """x @ w.T (+ b) for an FFN's down-projection (in > out) that no norm follows (ModernBERT's
        gated MLP `Wo`, and the one inside dense_add_norm): under int8 its post-activation input is
        quantized per token (_int8_rows)."""
        return self._int8_rows(x, w, b) if self.for_quantization and x not in self.per_text else self._gemm(x, w, b)

    def concat_last(self, parts: list[str]) -> str:
        """Tensors side by side along their last axis (see NumpyOps), with the first one's leading dims."""
        return self._same_lead(self._node("Concat", list(parts), "joined", axis=-1), parts[0])

    def dense_add_norm(self, x: str, w: np.ndarray, b: np.ndarray, residual: str, gamma: np.ndarray, beta: np.ndarray, eps: float) -> str:
        """LayerNorm(x @ w.T + b + residual): a post-LN block's output, as FusedMatMul, Add, Add, LayerNormalization.

        Not com.microsoft SkipLayerNormalization: its CPU kernel (onnxruntime 1.32) took 4x the time
        of Add + LayerNormalization on (768, 384) (0.93 vs 0.22 ms) before the linear layers became
        FusedMatMul + Add; on (32, 24, 384) with the bias it now costs what Add + Add + LayerNormalization
        cost (0.684 vs 0.691 ms), so there is nothing to win. The engine keeps the optimizer pass that
        would fuse them off (onnx_engine.DISABLED_OPTIMIZERS; it does not match FusedMatMul's Add anyway)."""
        wide = w.shape[1] > w.shape[0]  # an FFN down-projection
        summed = self.add(self.down_projection(x, w, b) if wide else self._gemm(x, w, b), residual)
        return self.layer_norm(summed, gamma, beta, eps)

    def layer_norm(self, x: str, gamma: np.ndarray, beta: np.ndarray, eps: float) -> str:
        y = self._node("LayerNormalization", [x, self.const(gamma), self.const(beta)], "ln", axis=-1, epsilon=float(eps))
        return self._same_lead(y, x)

    def activation(self, x: str, name: str) -> str:
        if name == "gelu":  # exact erf GELU, as BERT uses (modeling_bert ACT2FN["gelu"]), in one kernel
            return self._node("Gelu", [x], "gelu", domain="com.microsoft")
        if name in ("gelu_new", "gelu_pytorch_tanh"):
            cube = self._node("Mul", [self._node("Pow", [x, self._scalar(3.0)]), self._scalar(0.044715)])
            inner = self._node("Mul", [self._node("Add", [x, cube]), self._scalar(float(np.sqrt(2 / np.pi)))])
            half = self._node("Mul", [x, self._scalar(0.5)])
            return self._node("Mul", [half, self._node("Add", [self._node("Tanh", [inner]), self._scalar(1.0)])])
        if name in ("relu", "tanh"):
            return self._node(name.capitalize(), [x])
        if name in ("silu", "swish"):  # x * sigmoid(x), as torch's SiLU (Qwen 3's MLP gate)
            return self._node("Mul", [x, self._node("Sigmoid", [x])], "silu")
        raise ConfigError(f"activation {name!r} (config.json's hidden_act / activation) has no ONNX implementation; "
                          f"leanpipe runs gelu, gelu_new, gelu_pytorch_tanh, relu, tanh and silu")

    def attention(self, q: str, k: str, v: str, mask: str, heads: int, head_dim: int, *,
                  queries_match_mask: bool = False) -> str:
        """Scaled dot-product attention of q (B, Tq, H) over keys k, v (B, Tk, H) where `mask` (B, Tk) is 1:
        ONNX's Attention (`_attend`), or unfused MatMul / Softmax / MatMul when recording the probabilities.
        `queries_match_mask`: Tq is the mask's T (self-attention), so the mask's bias is shaped once for
        every layer instead of from q's shape in each."""
        if not self.records_attentions:
            bias = self._bias_for_queries(self._mask_to_bias(mask), q, queries_match_mask)  # (B, 1, Tq, Tk)
            return self._same_lead(self._attend(q, k, v, bias, heads), q)  # (B, Tq, H)
        split = self._ints([0, 0, heads, -1])
        qh = self._node("Transpose", [self._node("Reshape", [q, split])], perm=[0, 2, 1, 3])  # (B, N, T, D)
        kt = self._node("Transpose", [self._node("Reshape", [k, split])], perm=[0, 2, 3, 1])  # (B, N, D, T)
        vh = self._node("Transpose", [self._node("Reshape", [v, split])], perm=[0, 2, 1, 3])  # (B, N, T, D)
        scores = self._node("Mul", [self._node("MatMul", [qh, kt]), self._scalar(float(1 / np.sqrt(head_dim)))])
        scores = self._node("Add", [scores, self._mask_to_bias(mask)])  # (B, N, T, T)
        probs = self._record_probs(self._node("Softmax", [scores], axis=-1))
        ctx = self._node("Transpose", [self._node("MatMul", [probs, vh])], perm=[0, 2, 1, 3])  # (B, T, N, D)
        return self._node("Reshape", [ctx, self._ints([0, 0, -1])], "attn")  # (B, T, H)

    def _mask_i32(self, mask: str) -> str:
        """The (B, T) attention mask as int32, the fused kernels' key mask (made once per mask)."""
        if ("i32", mask) not in self._mask_bias:
            self._mask_bias[("i32", mask)] = self._node("Cast", [mask], "mask_i32", to=proto.INT32)
        return self._mask_bias[("i32", mask)]

    def _mask_to_bias(self, mask: str) -> str:
        if mask not in self._mask_bias:
            m = self._node("Cast", [mask], to=proto.FLOAT)
            bias = self._node("Mul", [self._node("Sub", [self._scalar(1.0), m]), self._scalar(_NEG)])
            self._mask_bias[mask] = self._node("Unsqueeze", [bias, self._ints([1, 2])], "mask_bias")  # (B, 1, 1, T)
        return self._mask_bias[mask]

    def self_attention(self, x: str, qkv: list[tuple[np.ndarray, np.ndarray]], mask: str, heads: int, head_dim: int,
                       *, first_only: bool = False) -> str:
        """Q/K/V projections, each one FusedMatMul over the checkpoint's own matrix (+ its bias, but K's,
        see below), then ONNX's Attention (opset 23) with the padding mask as an additive (B, 1, T, T)
        bias (`_attend`).

        Not onnxruntime's fused Attention kernel (com.microsoft), which projects Q, K and V per text and
        head (T x head_dim products), nor its MultiHeadAttention, whose core costs more per head: one
        layer's block on 32 x 25 tokens took 2.74 ms against 3.11 (MultiHeadAttention) and 3.26
        (Attention) at all-MiniLM-L6-v2's size, 9.37 / 9.89 / 12.7 ms at DistilBERT-base's, and on one
        20-token text 0.129 / 0.205 / 0.156 ms (8 x 128 at base size: 14.0 / 14.3 / 13.9 ms).
        int8 keeps the Attention kernel (its quantized form ran 5% faster than three quantized
        products + MultiHeadAttention, with the same answers); the quantizer takes its fused weight.

        `first_only`: the first token's output alone (B, 1, H): its query attends to the keys and
        values of every token, a sixth of the work of a full layer's block."""
        if self.records_attentions:  # the fused kernels keep no probabilities
            q, k, v = (self._gemm(x, w_, b_) for w_, b_ in qkv)  # (B, T, H) each
            return self._same_lead(self.attention(q, k, v, mask, heads, head_dim), x)
        if self.for_quantization and not first_only:
            return self._same_lead(self._q_attention(x, qkv, heads, self._mask_i32(mask), mask_filter_value=_NEG), x)
        (wq, bq), (wk, _), (wv, bv) = qkv
        q = self._gemm(self.first_rows(x) if first_only else x, wq, bq)  # (B, 1 or T, H)
        # K's bias adds q . b_k to every score of a query alike, which its softmax takes out: dropped
        # (exact in arithmetic; one Add less per layer, ~2% of a batch-1 call of all-MiniLM-L6-v2)
        k, v = self._gemm(x, wk, None), self._gemm(x, wv, bv)  # (B, T, H) each, the mapped weights as they are
        bias = self._mask_to_bias(mask)  # (B, 1, 1, T)
        bias = bias if first_only else self._bias_for_queries(bias, q, square=True)  # (B, 1, 1 or T, T)
        return self._same_lead(self._attend(q, k, v, bias, heads), q)

    def _attend(self, q: str, k: str, v: str, bias: str, heads: int, scale: float | None = None, kv_heads: int | None = None) -> str:
        """softmax(q k^T / sqrt(head_dim) + bias) v per head, as ONNX's Attention (opset 23): q (B, Tq, H),
        k and v (B, Tk, H, or kv_heads heads shared by groups of query heads), the additive float `bias`
        broadcast to (B, heads, Tq, Tk) with its Tq axis present (onnxruntime 1.32 requires it), -> (B, Tq, H)."""
        scaled = {} if scale is None else {"scale": float(scale)}  # default 1 / sqrt(head_dim)
        return self._node("Attention", [q, k, v, bias], "attn", q_num_heads=heads, kv_num_heads=kv_heads or heads, **scaled)

    def causal_self_attention(self, x: str, qkv: list[tuple[np.ndarray, np.ndarray]], heads: int, head_dim: int) -> str:
        """A decoder's self-attention, each token over itself and the tokens before it, no padding
        mask (see NumpyOps): onnxruntime's fused Attention kernel with `unidirectional`."""
        if self.records_attentions:  # the fused kernel keeps no probabilities
            q, k, v = (self._gemm(x, w_, b_) for w_, b_ in qkv)  # (B, T, H) each
            return self._same_lead(self.attention_with_bias(q, k, v, self._causal_bias(), heads, head_dim), x)
        if self.for_quantization:
            return self._same_lead(self._q_attention(x, qkv, heads, "", unidirectional=1, mask_filter_value=_NEG), x)
        w, b = self._qkv_weights(qkv)
        y = self._node("Attention", [x, w, b], "attn", domain="com.microsoft", num_heads=heads, unidirectional=1,
                       mask_filter_value=_NEG)  # (B, T, H)
        return self._same_lead(y, x)

    def _causal_bias(self) -> str:
        """(T, T) additive bias: 0 where key j <= query i, float32 min after it; built once."""
        if ("causal",) not in self._mask_bias:
            before = self._node("LessOrEqual", [self._offsets(), self._i64(0)], "before")  # j - i <= 0
            self._mask_bias[("causal",)] = self._node("Where", [before, self._scalar(0.0), self._scalar(_NEG)], "causal")
        return self._mask_bias[("causal",)]

    def shift_right(self, ids: str, first: int) -> str:
        """(B, T) ids -> `first`, then each row's ids but its last (see NumpyOps)."""
        start = self._node("Slice", [ids, self._ints([0]), self._ints([1]), self._ints([1])], "first")  # (B, 1)
        start = self._node("Add", [self._node("Mul", [start, self._i64(0)]), self._i64(first)], "start")  # (B, 1) of `first`
        rest = self._node("Slice", [ids, self._ints([0]), self._ints([-1]), self._ints([1])], "rest")  # (B, T - 1)
        return self._node("Concat", [start, rest], "shifted", axis=1)  # (B, T)

    def last_match(self, x: str, ids: str, token_id: int) -> str:
        """(B, T, H) -> (B, 1, H): each text's row at the last position where `ids` is `token_id` (see NumpyOps)."""
        at = self._node("Unsqueeze", [self._last_position(ids, token_id), self._ints([2])], "last")  # (B, 1, 1)
        return self._per_text(self._node("GatherND", [x, at], "last_row", batch_dims=1))  # (B, 1, H)

    def last_unmatched(self, x: str, ids: str, token_id: int) -> str:
        """(B, T, H) -> (B, H): each text's row at the last position where `ids` is not `token_id`, 0
        when every id is it (see NumpyOps)."""
        other = self._node("Not", [self._node("Equal", [ids, self._i64(token_id)])], "not_pad")  # (B, T)
        where = self._node("Where", [other, self._positions(), self._i64(0)], "real_at")  # (B, T)
        last = self._node("ReduceMax", [where, self._ints([1])], "last_real", keepdims=1)  # (B, 1)
        return self._per_text(self._node("GatherND", [x, last], "last_real_row", batch_dims=1))  # (B, H)

    def through_last_match(self, ids: str, token_id: int) -> str:
        """(B, T) int64: 1 up to and including each text's last `token_id` (see NumpyOps)."""
        seen = self._node("LessOrEqual", [self._positions(), self._last_position(ids, token_id)], "through")  # (B, T)
        return self._node("Cast", [seen], "through", to=proto.INT64)

    def _last_position(self, ids: str, token_id: int) -> str:
        """(B, 1) int64: the last position of `token_id` in each row of ids, -1 where absent; built once."""
        if ("last", ids, token_id) not in self._derived:
            hit = self._node("Equal", [ids, self._i64(token_id)], "hit")  # (B, T)
            where = self._node("Where", [hit, self._positions(), self._i64(-1)], "hit_at")  # (B, T)
            self._derived[("last", ids, token_id)] = self._node("ReduceMax", [where, self._ints([1])], "last", keepdims=1)
        return self._derived[("last", ids, token_id)]

    def _qkv_weights(self, qkv: list[tuple[np.ndarray, np.ndarray]]) -> tuple[str, str]:
        """The Attention kernel's fused (H, 3H) weight and (3H,) bias. For fp32 the weight is the
        checkpoint's three matrices joined in the graph (Concat + Transpose), which onnxruntime's
        constant folding computes once at load: no copy of ours, and the mapped originals stay in place."""
        key = tuple(id(w_) for w_, _ in qkv)
        self._alive.append(qkv)
        if ("qkvw", key) not in self._consts:
            cat = self._node("Concat", [self.const(w_) for w_, _ in qkv], "qkv", axis=0)  # (3H, H)
            self._consts[("qkvw", key)] = self._node("Transpose", [cat], "qkv_t", perm=[1, 0])  # (H, 3H)
        return self._consts[("qkvw", key)], self.const(np.concatenate([b_ for _, b_ in qkv]), key=("qkvb", key))

    def _q_attention(self, x: str, qkv: list[tuple[np.ndarray, np.ndarray]], heads: int, mask: str, **attrs) -> str:
        """int8 self-attention: onnxruntime's QAttention on x quantized per tensor (uint8) and the Q, K, V
        weights joined (3H, H) and quantized per output column, as its quantizer made it of the fused
        Attention kernel (which ran 5% faster than three int8 products and fp32 attention)."""
        key = tuple(id(w_) for w_, _ in qkv)
        self._alive.append(qkv)
        wq, ws = self._int8_weight([w_ for w_, _ in qkv], key=("qkv8", key))  # (3H, H) stacked
        b = self.const(np.concatenate([b_ for _, b_ in qkv]), key=("qkvb", key))
        xq, xs, xz = self._node("DynamicQuantizeLinear", [x], "x_u8", n_out=3)
        return self._node("QAttention", [xq, wq, b, xs, ws, mask, xz], "attn_int8", domain="com.microsoft",
                          num_heads=heads, **attrs)  # (B, T, H)

    def first_rows(self, x: str) -> str:
        """(B, T, ...) -> (B, 1, ...): the first token, keeping the axis."""
        return self._per_text(self._node("Slice", [x, self._ints([0]), self._ints([1]), self._ints([1])], "first"))

    def columns(self, x: str, n: int) -> list[str]:
        """(..., n) -> n tensors (...): e.g. QA logits (B, T, 2) -> start (B, T), end (B, T)."""
        parts = self._node("Split", [x, self._ints([1] * n)], "col", n_out=n, axis=-1)
        parts = [parts] if n == 1 else parts
        return [self._node("Squeeze", [p, self._ints([-1])], "col") for p in parts]

    def first_token(self, x: str) -> str:
        return self._per_text(self._node("Gather", [x, self.const(np.array(0, dtype=np.int64), key=("i0",))], "cls", axis=1))

    def last_token(self, x: str) -> str:
        """(B, T, H) -> (B, H): the last position of each row, padding or not (see NumpyOps)."""
        return self._per_text(self._node("Gather", [x, self._i64(-1)], "last", axis=1))

    def output(self, name: str, x: str) -> None:
        self.nodes.append(proto.node("Identity", [x], [name]))
        self.outputs.append(proto.value_info(name, proto.FLOAT, None))  # any shape

    def position_ids_from_mask(self, ids: str, pad_id: int) -> str:
        """RoBERTa's positions: pad_id+1, pad_id+2, ... over non-pad tokens, pad_id on pads (see NumpyOps)."""
        pad = self._i64(pad_id)
        mask = self._node("Cast", [self._node("Not", [self._node("Equal", [ids, pad])])], "not_pad", to=proto.INT64)
        counted = self._node("CumSum", [mask, self._i64(1)], "cumsum")  # (B, T)
        return self._node("Add", [self._node("Mul", [counted, mask]), pad], "position_ids")  # (B, T)

    # --- relative positions and attention with an additive bias (MPNet, ModernBERT, DeBERTa) ----
    def _positions(self) -> str:
        """(T,) int64 0 .. T-1, from the input_ids every graph has; built once."""
        if ("positions",) not in self._mask_bias:
            t = self._node("Gather", [self._node("Shape", [self.input("input_ids")]), self._ints([1])], "t")  # (1,)
            t = self._node("Squeeze", [t, self._ints([0])], "t")
            zero, one = self._i64(0), self._i64(1)
            self._mask_bias[("positions",)] = self._node("Range", [zero, t, one], "positions")  # (T,)
        return self._mask_bias[("positions",)]

    def _offsets(self) -> str:
        """(T, T) int64 key offsets j - i, built once per graph (every input is (B, T))."""
        if ("offsets",) not in self._mask_bias:
            pos = self._positions()  # (T,)
            rows = self._node("Unsqueeze", [pos, self._ints([1])], "rows")  # (T, 1)
            cols = self._node("Unsqueeze", [pos, self._ints([0])], "cols")  # (1, T)
            self._mask_bias[("offsets",)] = self._node("Sub", [cols, rows], "offsets")  # (T, T)
        return self._mask_bias[("offsets",)]

    def relative_table(self, table: np.ndarray, ids: str, *, clip: bool = False) -> str:
        """Rows of `table` picked by the key's offset from the query: out[i, j] = table[j - i + M - 1]
        for a table of 2M - 1 rows -> (T, T, ...); `clip`: offsets beyond +-(M - 1) take the end rows (see NumpyOps)."""
        mid = (table.shape[0] - 1) // 2
        offsets = self._offsets()  # (T, T)
        if clip:
            offsets = self._node("Max", [self._node("Min", [offsets, self._i64(mid)]), self._i64(-mid)], "rel_clip")
        index = self._node("Add", [offsets, self._i64(mid)], "rel_index")  # (T, T)
        return self._node("Gather", [self.const(table), index], "rel_table")

    def rms_norm(self, x: str, gamma: np.ndarray, eps: float) -> str:
        """x / sqrt(mean(x^2) + eps) * gamma over the last axis (see NumpyOps): onnxruntime's
        SimplifiedLayerNormalization kernel."""
        y = self._node("SimplifiedLayerNormalization", [x, self.const(gamma)], "rms", axis=-1, epsilon=float(eps))
        return self._same_lead(y, x)

    def head_rms_norm(self, x: str, gamma: np.ndarray, eps: float, heads: int, head_dim: int) -> str:
        """rms_norm over each head's values (see NumpyOps): SimplifiedLayerNormalization on (B, T, N, D)."""
        split = self._node("Reshape", [x, self._ints([0, 0, heads, head_dim])], "heads")
        y = self._node("SimplifiedLayerNormalization", [split, self.const(gamma)], "rms", axis=-1, epsilon=float(eps))
        return self._same_lead(self._node("Reshape", [y, self._ints([0, 0, heads * head_dim])], "rms"), x)

    def transpose(self, x: str, perm: tuple[int, ...]) -> str:
        return self._node("Transpose", [x], perm=list(perm))

    def mask_bias(self, mask: str, *, pairwise: bool = False, window: int | None = None, also: str | None = None,
                  causal: bool = False) -> str:
        """Additive attention mask: 0 where query i may see key j, float32 min elsewhere (see NumpyOps)."""
        key = ("bias", mask, pairwise, window, also, causal)
        if key not in self._mask_bias:
            seen = self._node("Cast", [mask], "mask_bool", to=proto.BOOL)  # (B, T)
            keep = self._node("Unsqueeze", [seen, self._ints([1, 2])], "keep")  # (B, 1, 1, T)
            if pairwise:
                keep = self._node("And", [keep, self._node("Unsqueeze", [seen, self._ints([1, 3])])], "keep")  # (B, 1, T, T)
            if causal:
                before = self._node("LessOrEqual", [self._offsets(), self._i64(0)], "causal")  # (T, T): key j <= query i
                keep = self._node("And", [keep, before], "keep")  # (B, 1, T, T)
            if window is not None:
                near = self._i64(window)
                inside = self._node("LessOrEqual", [self._node("Abs", [self._offsets()]), near], "window")  # (T, T)
                if also is not None:
                    anywhere = self._node("Unsqueeze", [self._node("Cast", [also], to=proto.BOOL), self._ints([1, 2])])  # (B, 1, 1, T)
                    inside = self._node("Or", [inside, anywhere], "window")  # (B, 1, T, T)
                keep = self._node("And", [keep, inside], "keep")  # (B, 1, T, T)
            self._mask_bias[key] = self._node("Where", [keep, self._scalar(0.0), self._scalar(_NEG)], "mask_bias")
        return self._mask_bias[key]

    def attention_with_bias(self, q: str, k: str, v: str, bias: str, heads: int, head_dim: int,
                            scale: float | None = None, *, every_query_sees_a_key: bool = True,
                            queries_match_keys: bool = False, kv_heads: int | None = None) -> str:
        """softmax(q k^T * scale + bias) v per head; `bias` carries the mask too (see NumpyOps): ONNX's
        Attention (opset 23) with `bias` as its float mask, or unfused MatMul / Softmax / MatMul when
        recording the probabilities, or when some query row may have every key masked (DeBERTa's
        pairwise mask on padded queries), where onnxruntime's Attention answers otherwise than a
        softmax over equal scores, which transformers' padded rows hold.

        A ModernBERT-base-sized classifier on 384 corpus sentences at batch 32: 6.64-6.90 vs 6.99-7.15 s
        unfused, batch-1 33.0 vs 33.8 ms (two rounds each, fresh processes). (onnxruntime's
        MultiHeadAttention with this bias as `attention_bias` measured no faster for DeBERTa-v3-base and
        3-10% slower for ModernBERT-base than the unfused graph.)"""
        if not self.records_attentions and every_query_sees_a_key:
            return self._same_lead(self._attend(q, k, v, self._bias_for_queries(bias, q, queries_match_keys), heads, scale,
                                                kv_heads), q)
        split = self._ints([0, 0, heads, head_dim])
        qh = self._node("Transpose", [self._node("Reshape", [q, split])], perm=[0, 2, 1, 3])  # (B, N, T, D)
        kt = self._heads_for_queries(k, heads, kv_heads or heads, head_dim, keys=True)  # (B, N, D, T)
        vh = self._heads_for_queries(v, heads, kv_heads or heads, head_dim)  # (B, N, T, D)
        scale = float(1 / np.sqrt(head_dim)) if scale is None else float(scale)
        scores = self._node("Mul", [self._node("MatMul", [qh, kt]), self._scalar(scale)])
        probs = self._record_probs(self._node("Softmax", [self._node("Add", [scores, bias])], axis=-1))  # (B, N, T, T)
        ctx = self._node("Transpose", [self._node("MatMul", [probs, vh])], perm=[0, 2, 1, 3])  # (B, T, N, D)
        return self._node("Reshape", [ctx, self._ints([0, 0, heads * head_dim])], "attn")  # (B, T, H)

    def _heads_for_queries(self, x: str, heads: int, kv_heads: int, head_dim: int, *, keys: bool = False) -> str:
        """v (B, T, kv_heads * D) -> (B, heads, T, D), or k -> (B, heads, D, T) with `keys`, each of its heads
        repeated for the heads / kv_heads query heads that share it (consecutive, as transformers' repeat_kv);
        without sharing, one Reshape and one Transpose."""
        split = self._node("Reshape", [x, self._ints([0, 0, kv_heads, head_dim])])
        if kv_heads == heads:
            return self._node("Transpose", [split], perm=[0, 2, 3, 1] if keys else [0, 2, 1, 3])
        y = self._node("Transpose", [split], perm=[0, 2, 1, 3])  # (B, KV, T, D)
        grouped = self._node("Expand", [self._node("Unsqueeze", [y, self._ints([2])]), self._ints([1, 1, heads // kv_heads, 1, 1])])
        y = self._node("Reshape", [grouped, self._ints([0, heads, -1, head_dim])], "kv_heads")  # (B, N, T, D)
        return self._node("Transpose", [y], perm=[0, 1, 3, 2]) if keys else y

    def _bias_for_queries(self, bias: str, q: str, square: bool) -> str:
        """An additive score bias (B or 1, N or 1, Tq or 1, Tk) -- a padding mask's (mask_bias), or one
        with position terms -- with its query axis made Tq (ONNX's Attention in onnxruntime 1.32
        broadcasts the others, not that one). Made once per bias when `square` says Tq is the bias's
        own Tk (self-attention); else from q's leading dims, once per tracked lead, usually per layer."""
        source = None if square else self._lead(q)  # [B, Tq]
        if ("full", bias, source) not in self._mask_bias:
            keys = self._node("Slice", [self._node("Shape", [bias]), self._ints([-1]), self._ints([4])])  # [Tk]
            queries = keys if square else self._node("Slice", [source, self._ints([1]), self._ints([2])])  # [Tq]
            size = self._node("Concat", [self._ints([1, 1]), queries, keys], axis=0)
            self._mask_bias[("full", bias, source)] = self._node("Expand", [bias, size], "bias_queries")
        return self._mask_bias[("full", bias, source)]

    def self_attention_with_bias(self, x: str, qkv: list[tuple[np.ndarray, np.ndarray]], mask: str, bias: str,
                                 heads: int, head_dim: int) -> str:
        """Q/K/V projections and attention with an additive bias (1 or B, N, T, T) on the scores: three
        FusedMatMuls and ONNX's Attention with the bias plus the padding mask's, as self_attention (an
        mpnet-base-sized classifier on 384 corpus sentences at batch 32: 6.12 vs 6.41 s with onnxruntime's
        fused Attention kernel through its MultiHeadAttention, batch-1 the same). int8 quantizes the three
        products and keeps this attention in fp32: QAttention has no input for the bias (int8 ran through
        it until 2026-12-06 and so dropped the bias: an MPNet with a strong relative bias gave relative
        error 0.41 from fp32, 0.008 this way)."""
        if self.records_attentions:  # the fused kernel keeps no probabilities
            q, k, v = (self._gemm(x, w_, b_) for w_, b_ in qkv)  # (B, T, H) each
            return self._same_lead(self.attention_with_bias(q, k, v, self.add(bias, self._mask_to_bias(mask)), heads, head_dim), x)
        (wq, bq), (wk, _), (wv, bv) = qkv
        q, k, v = self._gemm(x, wq, bq), self._gemm(x, wk, None), self._gemm(x, wv, bv)  # (B, T, H) each; K's bias: see self_attention
        return self._same_lead(self._attend(q, k, v, self.add(bias, self._mask_to_bias(mask)), heads), x)  # (B, T, H)

    # --- rotary positions, gated MLPs and pooling (ModernBERT) ----------------------------------
    def mul(self, a: str, b: str) -> str:
        return self._elementwise("Mul", a, b)

    def fourier_mix(self, x: str, width: int) -> str:
        """Re(F_T x F_H) for x (B, T, H), the real part of its 2-D DFT (see NumpyOps), as real products:
        C_T (x C_H) - S_T (x S_H) with C, S the DFT's cosine and sine matrices. F_H is a constant; F_T is
        built for the batch's T from (j * k mod T), so every angle stays below 2 pi in float32."""
        h = width
        jk = np.outer(np.arange(h), np.arange(h)) % h
        cos_h, sin_h = (self.const(f(2 * np.pi * jk / h).astype(np.float32), key=(name, h))
                        for f, name in ((np.cos, "dft_cos"), (np.sin, "dft_sin")))
        if ("dft_t",) not in self._derived:
            t = self._node("Squeeze", [self._node("Slice", [self._node("Shape", [x]), self._ints([1]), self._ints([2])])], "t")
            r = self._node("Range", [self._i64(0), t, self._i64(1)], "positions")  # (T,)
            jk_t = self._node("Mod", [self._node("Mul", [self._node("Unsqueeze", [r, self._ints([1])]),
                                                         self._node("Unsqueeze", [r, self._ints([0])])]), t])  # (T, T)
            angle = self._node("Div", [self._node("Mul", [self._node("Cast", [jk_t], to=proto.FLOAT), self._scalar(float(2 * np.pi))]),
                                       self._node("Cast", [t], to=proto.FLOAT)], "dft_angle")
            self._derived[("dft_t",)] = (self._node("Cos", [angle], "dft_cos_t"), self._node("Sin", [angle], "dft_sin_t"))
        cos_t, sin_t = self._derived[("dft_t",)]
        real = self._node("MatMul", [cos_t, self._node("MatMul", [x, cos_h])])
        return self._same_lead(self._node("Sub", [real, self._node("MatMul", [sin_t, self._node("MatMul", [x, sin_h])])], "fourier"), x)

    def depthwise_conv(self, x: str, w: np.ndarray) -> str:
        """x (B, T, C) through ONNX Conv with one k-wide filter per channel (group=C), w (C, k), zero
        padding k // 2 each side (see NumpyOps) -> (B, T, C)."""
        channels, k = w.shape
        self._alive.append(w)
        kernel = self.const(np.ascontiguousarray(w, dtype=np.float32).reshape(channels, 1, k), key=("depthwise", id(w)))
        y = self._node("Conv", [self._node("Transpose", [x], perm=[0, 2, 1]), kernel], "depthwise", group=channels,
                       kernel_shape=[k], pads=[k // 2, k // 2])  # (B, C, T)
        return self._same_lead(self._node("Transpose", [y], perm=[0, 2, 1]), x)

    def dynamic_conv(self, v: str, logits: str, heads: int, k: int) -> str:
        """ConvBERT's dynamic convolution (see NumpyOps): the softmaxed per-token kernels times k shifted
        views of v, padded with zeros -> (B, T, A)."""
        kernel = self._node("Softmax", [self._node("Reshape", [logits, self._ints([0, 0, heads, k])])], "conv_kernel", axis=-1)
        p = (k - 1) // 2
        padded = self._node("Pad", [v, self._ints([0, p, 0, 0, k - 1 - p, 0])], "conv_pad")  # (B, T + k - 1, A)
        padded = self._node("Reshape", [padded, self._ints([0, 0, heads, -1])])  # (B, T + k - 1, N, D)
        t = self._node("Slice", [self._node("Shape", [v]), self._ints([1]), self._ints([2])], "t")
        out = None
        for j in range(k):
            view = self._node("Slice", [padded, self._ints([j]), self._node("Add", [t, self._ints([j])]), self._ints([1])], "shift")
            weight = self._node("Slice", [kernel, self._ints([j]), self._ints([j + 1]), self._ints([3])], "kernel_j")  # (B, T, N, 1)
            term = self._node("Mul", [view, weight])
            out = term if out is None else self._node("Add", [out, term])
        return self._same_lead(self._node("Reshape", [out, self._ints([0, 0, -1])], "dynamic_conv"), v)

    def rotary(self, x: str, cos: str, sin: str, heads: int, head_dim: int) -> str:
        """x * cos + rotate_half(x) * sin per head (see NumpyOps), as onnxruntime's RotaryEmbedding kernel
        (com.microsoft, non-interleaved): cos, sin from position_embed, (T, D) = (angles, angles); the
        kernel takes their first halves as its caches, positions 0..T-1 (position_ids [0])."""
        if ("rotary", cos, sin) not in self._derived:  # once per table, shared by q and k of every layer
            halves = [self._node("Slice", [t, self._ints([0]), self._ints([head_dim // 2]), self._ints([1])], "rope_half")
                      for t in (cos, sin)]  # (T, D / 2) each
            self._derived[("rotary", cos, sin)] = halves
        cos_half, sin_half = self._derived[("rotary", cos, sin)]
        y = self._node("RotaryEmbedding", [x, self._ints([0]), cos_half, sin_half], "rotary", domain="com.microsoft",
                       num_heads=heads, interleaved=0)
        return self._same_lead(y, x)  # (B, T, H)

    def masked_mean(self, x: str, mask: str) -> str:
        """Mean over the tokens where `mask` (B, T) is 1: (B, T, H) -> (B, H)."""
        m = self._node("Unsqueeze", [self._node("Cast", [mask], to=proto.FLOAT), self._ints([-1])], "m")  # (B, T, 1)
        total = self._node("ReduceSum", [self._node("Mul", [x, m]), self._ints([1])], keepdims=0)  # (B, H)
        return self._per_text(self._node("Div", [total, self._node("ReduceSum", [m, self._ints([1])], keepdims=0)], "mean"))

    def queries_with_keys(self, bias: str) -> str:
        """1.0 for each query that sees at least one key under the mask_bias `bias`, else 0.0 -> (B, T, 1)."""
        seen = self._node("Cast", [self._node("Equal", [bias, self._scalar(0.0)])], to=proto.FLOAT)  # (B, 1, T, T)
        any_key = self._node("ReduceMax", [seen, self._ints([-1])], keepdims=0)  # (B, 1, T)
        return self._node("Transpose", [any_key], perm=[0, 2, 1])  # (B, T, 1)

    # --- disentangled attention (DeBERTa) -------------------------------------------------------
    def conv1d(self, x: str, w: np.ndarray, b: np.ndarray, groups: int) -> str:
        """A same-length convolution along the tokens (see NumpyOps): ONNX Conv on (B, H, T)."""
        pad = (w.shape[2] - 1) // 2
        y = self._node("Conv", [self.transpose(x, (0, 2, 1)), self.const(w), self.const(b)], "conv",
                       group=groups, pads=[pad, pad], kernel_shape=[w.shape[2]])  # (B, H, T)
        return self._same_lead(self.transpose(y, (0, 2, 1)), x)

    def mask_token_dropout(self, x: str, ids: str, mask: str, token_id: int, ratio: float) -> str:
        """ESM's token dropout at inference (see NumpyOps): rows of `token_id` zeroed, each text scaled
        by (1 - ratio) / (1 - its share of such tokens among its real tokens)."""
        hit = self._node("Cast", [self._node("Equal", [ids, self._i64(token_id)])],
                         to=proto.FLOAT)  # (B, T)
        count = self._node("ReduceSum", [hit, self._ints([1])], keepdims=1)  # (B, 1)
        real = self._node("ReduceSum", [self._node("Cast", [mask], to=proto.FLOAT), self._ints([1])], keepdims=1)
        share = self._node("Div", [count, self._node("Max", [real, self._scalar(1.0)])])  # (B, 1)
        scale = self._node("Unsqueeze", [self._node("Sub", [self._scalar(1.0), share]), self._ints([-1])])  # (B, 1, 1)
        keep = self._node("Unsqueeze", [self._node("Sub", [self._scalar(1.0), hit]), self._ints([-1])])  # (B, T, 1)
        scaled = self._node("Mul", [self._node("Mul", [x, keep]), self._scalar(float(np.float32(1.0 - ratio)))])
        return self._same_lead(self._node("Div", [scaled, scale], "token_dropout"), x)

    def select_rows(self, choose: str, a: str, b: str) -> str:
        """Rows of `a` where `choose` (B, T) is 1, else of `b` (see NumpyOps)."""
        pick = self._node("Unsqueeze", [self._node("Cast", [choose], to=proto.BOOL), self._ints([-1])], "pick")  # (B, T, 1)
        return self._same_lead(self._node("Where", [pick, a, b], "rows"), b)

    def zero_masked(self, x: str, mask: str) -> str:
        """x (B, T, H) with the rows where `mask` (B, T) is 0 set to zero."""
        m = self._node("Unsqueeze", [self._node("Cast", [mask], to=proto.FLOAT), self._ints([-1])], "m")  # (B, T, 1)
        return self._node("Mul", [x, m], "masked")

    def used_rows(self, table: str, indices: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        """The rows of `table` (R, ...) that `indices` pick, as one slice, and the indices shifted into it
        (see NumpyOps). DeBERTa-v3 keeps 512 relative embeddings, of which a 24-token batch uses 47:
        projecting only those in every layer took a DeBERTa-v3-base-sized classifier from 8.9 to 7.1 s
        on 384 sentences at batch 32, and from 79 to 32 ms per single sentence."""
        lo = self._node("Min", [self._node("ReduceMin", [i], keepdims=0) for i in indices], "rows_lo")  # ()
        hi = self._node("Max", [self._node("ReduceMax", [i], keepdims=0) for i in indices], "rows_hi")
        start = self._node("Reshape", [lo, self._ints([1])])
        end = self._node("Reshape", [self._node("Add", [hi, self._i64(1)]), self._ints([1])])
        rows = self._node("Slice", [table, start, end, self._ints([0])], "used_rows")  # (R', ...)
        return rows, tuple(self._node("Sub", [i, lo], "rel_index") for i in indices)

    def relative_scores(self, x: str, pos: str, index: str, heads: int, head_dim: int, scale: float) -> str:
        """out[b, n, i, j] = x[b, i, n] . pos[index[i, j], n] * scale -> (B, N, T, T) (see NumpyOps):
        one MatMul against every relative position, then a Gather of row i's entries at index[i, :]."""
        xh = self._node("Transpose", [self._node("Reshape", [x, self._ints([0, 0, heads, head_dim])])], perm=[0, 2, 1, 3])
        ph = self._node("Transpose", [self._node("Reshape", [pos, self._ints([-1, heads, head_dim])])], perm=[1, 2, 0])
        full = self._node("MatMul", [xh, ph], "rel_full")  # (B, N, T, R)
        r = self._node("Gather", [self._node("Shape", [full]), self._ints([3])], "r")  # (1,)
        rows = self._node("Mul", [self._node("Unsqueeze", [self._positions(), self._ints([1])]), r], "row_base")  # (T, 1)
        flat = self._node("Reshape", [full, self._ints([0, 0, -1])], "rel_flat")  # (B, N, T * R)
        picked = self._node("Gather", [flat, self._node("Add", [rows, index])], "rel_scores", axis=2)  # (B, N, T, T)
        return self._node("Mul", [picked, self._scalar(float(scale))], "rel_scores")

    def model(self) -> bytes:
        """The serialized ModelProto (IR version 10, opsets ai.onnx 23 and com.microsoft 1)."""
        graph = proto.graph(self.nodes, "leanpipe", list(self.inputs.values()), self.outputs, self.initializers)
        return proto.model(graph, [proto.operator_set("", OPSET), proto.operator_set("com.microsoft", 1)], ir_version=IR_VERSION)
