"""BigBird's attention as ONNX nodes: a mixin of OnnxOps (onnx_ops.py), kept apart because it is one
long op that only BigBird uses (NumpyOps.big_bird_attention is the reference and says what it computes).

Which attention runs depends on the batch's length T, known only when the graph runs: an If node
picks ONNX's fused Attention up to (5 + 2 * random_blocks) * block tokens and the block-sparse
branch past it, so one session (one packed copy of the weights) serves both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np

from . import onnx_proto as proto

_NEG = float(np.finfo(np.float32).min)


class BlockSparseAttention:
    """OnnxOps' `big_bird_attention`; uses its graph plumbing (_node, _ints, _i64, _scalar, ...)."""

    def big_bird_attention(self, q: str, k: str, v: str, mask: str, heads: int, head_dim: int, block: int,
                           random_blocks: int) -> str:
        """q, k, v (B, T, H), mask (B, T) -> (B, T, H): full attention up to (5 + 2 * random_blocks) * block
        tokens, block-sparse past that (see NumpyOps). Recording the probabilities, one unfused graph
        computes both as attention over every key with the block pattern as a bias."""
        t, sparse = self._longer_than((5 + 2 * random_blocks) * block)
        if self.records_attentions:
            return self._same_lead(self._big_bird_dense(q, k, v, mask, t, sparse, heads, head_dim, block, random_blocks), q)
        bias = self._bias_for_queries(self._mask_to_bias(mask), q, square=True)  # made out here: later layers reuse it
        full = self._branch(lambda: self._attend(q, k, v, bias, heads))
        blocks = self._branch(lambda: self._block_sparse(q, k, v, mask, t, heads, head_dim, block, random_blocks))
        return self._same_lead(self._node("If", [sparse], "big_bird_attn", then_branch=blocks, else_branch=full), q)

    def _longer_than(self, limit: int) -> tuple[str, str]:
        """(T, T > limit) from the batch's input_ids, made once for every layer."""
        if ("longer_than", limit) not in self._mask_bias:
            ids = self.input("input_ids")
            t = self._node("Squeeze", [self._node("Gather", [self._node("Shape", [ids]), self._ints([1])]), self._ints([0])], "t")
            self._mask_bias[("longer_than", limit)] = (t, self._node("Greater", [t, self._i64(limit)], "block_sparse"))
        return self._mask_bias[("longer_than", limit)]

    def _branch(self, build: Callable[[], str]) -> proto.Graph:
        """The nodes `build` emits, as a subgraph whose one output is what it returns (an If branch)."""
        with self._nodes_apart() as nodes:
            out = build()
        return proto.Graph(proto.graph(nodes, self._name("branch"), [], [proto.value_info(out, proto.FLOAT, None)]))

    @contextlib.contextmanager
    def _nodes_apart(self) -> Iterator[list[bytes]]:
        """Collect nodes in a list of their own; the caches of shared tensors are restored after, so no
        later node outside reuses a tensor that only exists inside the subgraph."""
        caches = ("_mask_bias", "_derived", "_leads", "_shapes")
        saved = self.nodes, {name: dict(getattr(self, name)) for name in caches}
        self.nodes = []
        try:
            yield self.nodes
        finally:
            self.nodes = saved[0]
            for name, value in saved[1].items():
                setattr(self, name, value)

    def _to_whole_blocks(self, t: str, size: str) -> str:
        """The tokens T needs to become a multiple of the block size: (size - T % size) % size."""
        return self._node("Mod", [self._node("Sub", [size, self._node("Mod", [t, size])]), size], "pad")

    def _padded(self, q: str, k: str, v: str, mask: str, pad: str) -> tuple[str, str, str, str]:
        """q, k, v (B, T, H) and mask (B, T) with `pad` more tokens at the end: zeros, masked out."""
        after = self._node("Unsqueeze", [pad, self._ints([0])])
        tokens = self._node("Concat", [self._ints([0, 0, 0, 0]), after, self._ints([0])], axis=0)
        qp, kp, vp = (self._node("Pad", [x, tokens], "padded") for x in (q, k, v))  # (B, Tp, H)
        keys = self._node("Pad", [mask, self._node("Concat", [self._ints([0, 0, 0]), after], axis=0)], "keys")  # (B, Tp)
        return qp, kp, vp, keys

    def _block_sparse(self, q: str, k: str, v: str, mask: str, t: str, heads: int, head_dim: int, block: int,
                      random_blocks: int) -> str:
        """The block-sparse branch by blocks, as modeling_big_bird computes it in eval mode: tokens padded
        to Tp = nb * block; query blocks 0 and nb - 1 over every key; each block i between over the key
        blocks [0, i - 1, i, i + 1, nb - 1] (5 slots; i - 1 = 0 and i + 1 = nb - 1 masked as repeats), with
        log(1 + random_blocks) added on slot 0 for the "random" blocks, all block 0 in eval."""
        n, d, h, bs = heads, head_dim, heads * head_dim, block
        one_d = lambda x: self._node("Unsqueeze", [x, self._ints([0])])  # noqa: E731  (scalar -> (1,))
        column = lambda x: self._node("Unsqueeze", [x, self._ints([1])])  # noqa: E731  (m,) -> (m, 1)
        zero, one, size = self._i64(0), self._i64(1), self._i64(bs)
        pad = self._to_whole_blocks(t, size)
        nb = self._node("Div", [self._node("Add", [t, pad]), size], "blocks")
        last = self._node("Sub", [nb, one], "last_block")
        qp, kp, vp, keys = self._padded(q, k, v, mask, pad)
        blocked = self._node("Concat", [self._ints([0]), one_d(nb), self._ints([bs, n, d])], axis=0)
        qb, kb, vb = (self._node("Transpose", [self._node("Reshape", [x, blocked])], perm=[0, 3, 1, 2, 4])
                      for x in (qp, kp, vp))  # (B, N, nb, bs, D)
        scale = self._scalar(float(1 / np.sqrt(d)))
        # query blocks 0 and nb - 1: every key
        split = self._ints([0, 0, n, d])
        k_all = self._node("Unsqueeze", [self._node("Transpose", [self._node("Reshape", [kp, split])], perm=[0, 2, 3, 1]),
                                         self._ints([2])])  # (B, N, 1, D, Tp)
        v_all = self._node("Unsqueeze", [self._node("Transpose", [self._node("Reshape", [vp, split])], perm=[0, 2, 1, 3]),
                                         self._ints([2])])  # (B, N, 1, Tp, D)
        real = self._node("Cast", [keys], to=proto.BOOL)
        key_bias = self._node("Unsqueeze", [self._node("Where", [real, self._scalar(0.0), self._scalar(_NEG)]),
                                            self._ints([1, 2, 3])])  # (B, 1, 1, 1, Tp)
        q_ends = self._node("Gather", [qb, self._node("Concat", [self._ints([0]), one_d(last)], axis=0)], axis=2)  # (B, N, 2, bs, D)
        scores = self._node("Add", [self._node("Mul", [self._node("MatMul", [q_ends, k_all]), scale]), key_bias])
        ends = self._node("MatMul", [self._node("Softmax", [scores], axis=-1), v_all])  # (B, N, 2, bs, D)
        first, final = self._node("Split", [ends, self._ints([1, 1])], "ends", n_out=2, axis=2)
        # query blocks 1 .. nb - 2: five key blocks each
        rows = self._node("Range", [one, last, one], "rows")  # (m,)
        nothing = self._node("Mul", [rows, zero])
        index = self._node("Concat", [column(nothing), column(self._node("Sub", [rows, one])), column(rows),
                                      column(self._node("Add", [rows, one])), column(self._node("Add", [nothing, last]))],
                           "slots", axis=1)  # (m, 5) key blocks
        gathered = self._ints([0, 0, 0, 5 * bs, d])
        k_mid = self._node("Transpose", [self._node("Reshape", [self._node("Gather", [kb, index], axis=2), gathered])],
                           perm=[0, 1, 2, 4, 3])  # (B, N, m, D, 5 bs)
        v_mid = self._node("Reshape", [self._node("Gather", [vb, index], axis=2), gathered])  # (B, N, m, 5 bs, D)
        q_mid = self._node("Slice", [qb, one_d(one), one_d(last), self._ints([2])])  # (B, N, m, bs, D)
        key_blocks = self._node("Reshape", [keys, self._node("Concat", [self._ints([0]), one_d(nb), self._ints([bs])], axis=0)])
        seen = self._node("Reshape", [self._node("Gather", [key_blocks, index], axis=1), self._ints([0, 0, 5 * bs])])  # (B, m, 5 bs)
        seen = self._node("Unsqueeze", [self._node("Cast", [seen], to=proto.BOOL), self._ints([1, 3])])  # (B, 1, m, 1, 5 bs)
        always = self._node("GreaterOrEqual", [rows, one])
        slots = self._node("Concat", [column(always), column(self._node("Greater", [rows, one])), column(always),
                                      column(self._node("Less", [rows, self._node("Sub", [last, one])])), column(always)],
                           axis=1)  # (m, 5): slot i - 1 repeats block 0 for i = 1, slot i + 1 the last for i = nb - 2
        slots = self._node("Mul", [self._node("Unsqueeze", [self._node("Cast", [slots], to=proto.FLOAT), self._ints([2])]),
                                   self.const(np.ones(bs, dtype=np.float32), key=("ones", bs))])  # (m, 5, bs)
        slots = self._node("Cast", [self._node("Reshape", [slots, self._ints([0, 5 * bs])])], to=proto.BOOL)  # (m, 5 bs)
        allowed = self._node("And", [seen, self._node("Unsqueeze", [slots, self._ints([0, 1, 3])])])  # (B, 1, m, 1, 5 bs)
        weights = np.repeat(np.array([np.log1p(random_blocks), 0, 0, 0, 0], dtype=np.float32), bs)  # (5 bs,)
        bias = self._node("Where", [allowed, self.const(weights, key=("big_bird_slots", bs, random_blocks)), self._scalar(_NEG)])
        scores = self._node("Add", [self._node("Mul", [self._node("MatMul", [q_mid, k_mid]), scale]), bias])  # (B, N, m, bs, 5 bs)
        middle = self._node("MatMul", [self._node("Softmax", [scores], axis=-1), v_mid])  # (B, N, m, bs, D)
        ctx = self._node("Concat", [first, middle, final], axis=2)  # (B, N, nb, bs, D)
        ctx = self._node("Reshape", [self._node("Transpose", [ctx], perm=[0, 2, 3, 1, 4]), self._ints([0, -1, h])])  # (B, Tp, H)
        ctx = self._node("Slice", [ctx, self._ints([0]), one_d(t), self._ints([1])], "block_sparse")  # (B, T, H)
        return self.zero_masked(ctx, mask)

    def _big_bird_dense(self, q: str, k: str, v: str, mask: str, t: str, sparse: str, heads: int, head_dim: int,
                        block: int, random_blocks: int) -> str:
        """Both regimes as one unfused attention over every key (to record its probabilities): when
        `sparse`, tokens padded to whole blocks and log(times seen) added per (query, key) block pair,
        minus infinity where unseen, as NumpyOps; the recorded probabilities are one copy's, as
        transformers reports block 0's under its random copies."""
        n, d, h = heads, head_dim, heads * head_dim
        one_d = lambda x: self._node("Unsqueeze", [x, self._ints([0])])  # noqa: E731
        zero, one, size = self._i64(0), self._i64(1), self._i64(block)
        pad = self._node("Where", [sparse, self._to_whole_blocks(t, size), zero])
        tp = self._node("Add", [t, pad])
        qp, kp, vp, keys = self._padded(q, k, v, mask, pad)
        of_block = self._node("Div", [self._node("Range", [zero, tp, one]), size])  # (Tp,) each token's block
        last = self._node("Sub", [self._node("Div", [tp, size]), one])
        qblk, kblk = (self._node("Unsqueeze", [of_block, self._ints([axis])]) for axis in (1, 0))  # (Tp, 1), (1, Tp)
        ends = lambda x: self._node("Or", [self._node("Equal", [x, zero]), self._node("Equal", [x, last])])  # noqa: E731
        global_row = ends(qblk)
        near = self._node("LessOrEqual", [self._node("Abs", [self._node("Sub", [qblk, kblk])]), one])
        seen = self._node("Or", [self._node("Or", [global_row, near]), ends(kblk)])  # (Tp, Tp)
        seen = self._node("Or", [seen, self._node("Not", [sparse])])
        repeated = self._node("And", [sparse, self._node("And", [self._node("Not", [global_row]), self._node("Equal", [kblk, zero])])])
        count = self._node("Where", [repeated, self._scalar(float(1 + random_blocks)), self._scalar(1.0)])  # (Tp, Tp)
        allowed = self._node("And", [self._node("Unsqueeze", [seen, self._ints([0, 1])]),
                                     self._node("Unsqueeze", [self._node("Cast", [keys], to=proto.BOOL), self._ints([1, 2])])])
        bias = self._node("Where", [allowed, self._node("Log", [count]), self._scalar(_NEG)])  # (B, 1, Tp, Tp)
        split = self._ints([0, 0, n, d])
        qh = self._node("Transpose", [self._node("Reshape", [qp, split])], perm=[0, 2, 1, 3])  # (B, N, Tp, D)
        kt = self._node("Transpose", [self._node("Reshape", [kp, split])], perm=[0, 2, 3, 1])  # (B, N, D, Tp)
        vh = self._node("Transpose", [self._node("Reshape", [vp, split])], perm=[0, 2, 1, 3])  # (B, N, Tp, D)
        scores = self._node("Add", [self._node("Mul", [self._node("MatMul", [qh, kt]), self._scalar(float(1 / np.sqrt(d)))]), bias])
        probs = self._node("Softmax", [scores], axis=-1)  # (B, N, Tp, Tp)
        window = self._node("Concat", [one_d(t), one_d(t)], axis=0)
        self._record_probs(self._node("Slice", [self._node("Div", [probs, count]), self._ints([0, 0]), window, self._ints([2, 3])]))
        ctx = self._node("Transpose", [self._node("MatMul", [probs, vh])], perm=[0, 2, 1, 3])  # (B, Tp, N, D)
        ctx = self._node("Slice", [self._node("Reshape", [ctx, self._ints([0, 0, h])]), self._ints([0]), one_d(t), self._ints([1])])
        return self._node("Where", [sparse, self.zero_masked(ctx, mask), ctx], "attn")  # (B, T, H)
