"""Longformer's windowed + global attention as ONNX nodes, by blocks: a mixin of OnnxOps (onnx_ops.py),
kept apart because it is one long op that only Longformer uses (NumpyOps has the (T, T) reference)."""

from __future__ import annotations

import numpy as np

from . import onnx_proto as proto

_NEG = float(np.finfo(np.float32).min)


class WindowedAttention:
    """OnnxOps' `sliding_attention`; uses its graph plumbing (_node, _ints, _i64, _scalar, ...)."""

    def sliding_attention(self, q: str, k: str, v: str, x: str, query_global: tuple, gk: str, gv: str, mask: str, glob: str, window: int,
                          heads: int, head_dim: int) -> str:
        """Longformer's attention (see NumpyOps), computed by blocks instead of as one (T, T) matrix.

        The T queries are cut into nb = T // window blocks of b = ceil(T / nb) >= window rows (one block
        up to 3 * window tokens, where that is no more work);
        block k sees the keys from k*b - m to (k+1)*b + m, m = min(window, (nb - 1) * b) (one block:
        its own keys only), under the band |i - j| <= window, the padding mask and "not global"; every
        query also sees the global tokens' keys (gathered with TopK, at most G of them per text), in
        one softmax with its local keys. The rows of global tokens are then attention over every key
        through the global projections (the query one applied to those rows of x alone,
        `query_global` = (weight, bias)), scattered into place; padding queries are zero."""
        n, d, h = heads, head_dim, heads * head_dim
        one_d = lambda x: self._node("Unsqueeze", [x, self._ints([0])])  # noqa: E731  (scalar -> (1,))
        zero, one, w = self._i64(0), self._i64(1), self._i64(window)
        scale = self._scalar(float(1 / np.sqrt(d)))
        glob = self._node("Mul", [glob, mask], "glob")  # as transformers: padding never has global attention
        t = self._node("Squeeze", [self._node("Gather", [self._node("Shape", [q]), self._ints([1])]), self._ints([0])], "t")
        # up to 3 * window tokens one block (a query sees at most all T keys, no more than the 3 * window of blocks)
        nb = self._node("Where", [self._node("Greater", [t, self._i64(3 * window)]), self._node("Div", [t, w]), one], "blocks")
        b = self._node("Div", [self._node("Add", [t, self._node("Sub", [nb, one])]), nb], "block")
        tp = self._node("Mul", [nb, b], "t_padded")
        m = self._node("Min", [w, self._node("Mul", [self._node("Sub", [nb, one]), b])], "margin")
        span = self._node("Add", [b, self._node("Mul", [m, self._i64(2)])], "keys_per_block")
        tail = self._node("Sub", [tp, t])

        def pad_tokens(x: str, before: str, after: str, rank: int) -> str:
            zeros = [self._ints([0])] * rank
            pads = self._node("Concat", [zeros[0], one_d(before), *zeros[2:], zeros[0], one_d(after), *zeros[2:]], axis=0)
            return self._node("Pad", [x, pads], "padded")

        # queries (B, N, nb, b, D)
        qb = self._node("Reshape", [pad_tokens(q, zero, tail, 3),
                                    self._node("Concat", [self._ints([0]), one_d(nb), one_d(b), self._ints([n, d])], axis=0)])
        qb = self._node("Transpose", [qb], perm=[0, 3, 1, 2, 4])
        # each block's keys and values: gathered from the tokens padded by m before and m + tail after
        index = self._node("Add", [self._node("Unsqueeze", [self._node("Mul", [self._node("Range", [zero, nb, one]), b]), self._ints([1])]),
                                   self._node("Unsqueeze", [self._node("Range", [zero, span, one]), self._ints([0])])], "key_index")  # (nb, L)
        after = self._node("Add", [m, tail])
        heads_shape = self._ints([0, 0, 0, n, d])
        kb = self._node("Reshape", [self._node("Gather", [pad_tokens(k, m, after, 3), index], axis=1), heads_shape])  # (B, nb, L, N, D)
        kb = self._node("Transpose", [kb], perm=[0, 3, 1, 4, 2])  # (B, N, nb, D, L)
        vb = self._node("Reshape", [self._node("Gather", [pad_tokens(v, m, after, 3), index], axis=1), heads_shape])
        vb = self._node("Transpose", [vb], perm=[0, 3, 1, 2, 4])  # (B, N, nb, L, D)
        # which keys a block's query may see locally: real, not global, within the band
        local_key = self._node("And", [self._node("Cast", [mask], to=proto.BOOL),
                                       self._node("Not", [self._node("Cast", [glob], to=proto.BOOL)])])  # (B, T)
        local_key = self._node("Cast", [local_key], to=proto.INT64)
        local_key = self._node("Gather", [pad_tokens(local_key, m, after, 2), index], axis=1)  # (B, nb, L)
        local_key = self._node("Unsqueeze", [self._node("Cast", [local_key], to=proto.BOOL), self._ints([1, 3])])  # (B, 1, nb, 1, L)
        rows = self._node("Unsqueeze", [self._node("Range", [zero, b, one]), self._ints([1])])  # (b, 1)
        cols = self._node("Sub", [self._node("Unsqueeze", [self._node("Range", [zero, span, one]), self._ints([0])]), m])  # (1, L)
        band = self._node("LessOrEqual", [self._node("Abs", [self._node("Sub", [cols, rows])]), w], "band")  # (b, L)
        local_bias = self._node("Where", [self._node("And", [local_key, band]), self._scalar(0.0), self._scalar(_NEG)])
        local_scores = self._node("Add", [self._node("Mul", [self._node("MatMul", [qb, kb]), scale]), local_bias])  # (B, N, nb, b, L)
        # the global tokens of each text, earliest first: G = the most any text has (at least one slot)
        g = self._node("Max", [self._node("ReduceMax", [self._node("ReduceSum", [glob, self._ints([1])], keepdims=0)], keepdims=0), one])
        earliest = self._node("Cast", [self._node("Mul", [glob, self._node("Sub", [t, self._positions()])])], to=proto.FLOAT)  # (B, T)
        found, slots = self._node("TopK", [earliest, one_d(g)], "global", n_out=2, axis=1)  # (B, G)
        valid = self._node("Greater", [found, self._scalar(0.0)])  # (B, G): a slot holding a global token
        slots3 = self._node("Expand", [self._node("Unsqueeze", [slots, self._ints([2])]),
                                       self._node("Concat", [self._node("Shape", [slots]), self._ints([h])], axis=0)])  # (B, G, H)
        kg = self._node("Transpose", [self._node("Reshape", [self._node("GatherElements", [k, slots3], axis=1), self._ints([0, 0, n, d])])],
                        perm=[0, 2, 3, 1])  # (B, N, D, G)
        vg = self._node("Transpose", [self._node("Reshape", [self._node("GatherElements", [v, slots3], axis=1), self._ints([0, 0, n, d])])],
                        perm=[0, 2, 1, 3])  # (B, N, G, D)
        kg, vg = (self._node("Unsqueeze", [x, self._ints([2])]) for x in (kg, vg))  # (B, N, 1, D, G), (B, N, 1, G, D)
        global_bias = self._node("Unsqueeze", [self._node("Where", [valid, self._scalar(0.0), self._scalar(_NEG)]), self._ints([1, 2, 3])])
        global_scores = self._node("Add", [self._node("Mul", [self._node("MatMul", [qb, kg]), scale]), global_bias])  # (B, N, nb, b, G)
        probs = self._node("Softmax", [self._node("Concat", [local_scores, global_scores], axis=-1)], axis=-1)
        sizes = self._node("Concat", [one_d(span), one_d(g)], axis=0)
        local_probs, global_probs = self._node("Split", [probs, sizes], "probs", n_out=2, axis=-1)
        ctx = self._node("Add", [self._node("MatMul", [local_probs, vb]), self._node("MatMul", [global_probs, vg])])  # (B, N, nb, b, D)
        ctx = self._node("Reshape", [self._node("Transpose", [ctx], perm=[0, 2, 3, 1, 4]), self._ints([0, -1, h])])  # (B, tp, H)
        out = self._node("Slice", [ctx, one_d(zero), one_d(t), self._ints([1])], "windowed")  # (B, T, H)
        # the global tokens' own rows: every real key, through the global projections
        gq = self._gemm(self._node("GatherElements", [x, slots3], axis=1), *query_global)  # (B, G, H): the global rows only
        gqs = self._node("Transpose", [self._node("Reshape", [gq, self._ints([0, 0, n, d])])],
                         perm=[0, 2, 1, 3])  # (B, N, G, D)
        gks = self._node("Transpose", [self._node("Reshape", [gk, self._ints([0, 0, n, d])])], perm=[0, 2, 3, 1])  # (B, N, D, T)
        gvs = self._node("Transpose", [self._node("Reshape", [gv, self._ints([0, 0, n, d])])], perm=[0, 2, 1, 3])  # (B, N, T, D)
        scores = self._node("Add", [self._node("Mul", [self._node("MatMul", [gqs, gks]), scale]), self.mask_bias(mask)])  # (B, N, G, T)
        rows_g = self._node("MatMul", [self._node("Softmax", [scores], axis=-1), gvs])  # (B, N, G, D)
        rows_g = self._node("Reshape", [self._node("Transpose", [rows_g], perm=[0, 2, 1, 3]), self._ints([0, 0, h])])  # (B, G, H)
        kept = self._node("GatherElements", [out, slots3], axis=1)  # an empty slot writes back what is there
        rows_g = self._node("Where", [self._node("Unsqueeze", [valid, self._ints([2])]), rows_g, kept])
        out = self._node("ScatterElements", [out, slots3, rows_g], axis=1)
        return self._same_lead(self.zero_masked(out, mask), q)

    def trigram(self, x: str) -> str:
        """[next, this, previous] token vectors side by side, zeros past either end (see NumpyOps)."""
        nxt = self._node("Pad", [self._node("Slice", [x, self._ints([1]), self._ints([np.iinfo(np.int64).max]), self._ints([1])]),
                                 self._ints([0, 0, 0, 0, 1, 0])])
        prev = self._node("Pad", [self._node("Slice", [x, self._ints([0]), self._ints([-1]), self._ints([1])]),
                                  self._ints([0, 1, 0, 0, 0, 0])])
        return self._same_lead(self._node("Concat", [nxt, x, prev], "trigram", axis=-1), x)

    def first_query_keys(self, mask: str, also: str, window: int) -> str:
        """(B, T) int64: the keys sliding attention lets the first query see (see NumpyOps)."""
        near = self._node("LessOrEqual", [self._positions(), self._i64(window)], "near")  # (T,)
        seen = self._node("Or", [near, self._node("Cast", [also], to=proto.BOOL)], "seen")  # (B, T)
        seen = self._node("And", [seen, self._node("Cast", [mask], to=proto.BOOL)], "seen")
        return self._node("Cast", [seen], "first_keys", to=proto.INT64)
