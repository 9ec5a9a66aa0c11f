"""The model ops evaluated eagerly with NumPy: the readable reference for every architecture.

A model definition (leanpipe/models/*.py) calls these ops; `onnx_ops.OnnxOps` implements the same
names by emitting graph nodes instead. Shapes: B batch, T tokens, H hidden, N heads, D head dim.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from .recording import Recording

_NEG = np.float32(np.finfo(np.float32).min)  # additive mask for padded keys, as transformers uses


class NumpyOps(Recording):
    """Each op computes its result now. `feeds` holds the input arrays by name."""

    def __init__(self, feeds: dict[str, np.ndarray], *, records_hidden: bool = False, records_attentions: bool = False) -> None:
        self.feeds = feeds
        self.outputs: dict[str, np.ndarray] = {}
        self._start_recording(records_hidden=records_hidden, records_attentions=records_attentions)

    def input(self, name: str) -> np.ndarray:
        return self.feeds[name]

    def const(self, array: np.ndarray) -> np.ndarray:
        return array

    def embed(self, table: np.ndarray, ids: np.ndarray) -> np.ndarray:
        return table[ids]  # (B, T, H)

    def position_embed(self, table: np.ndarray, ids: np.ndarray, offset: int = 0) -> np.ndarray:
        return table[offset: offset + ids.shape[1]][None]  # (1, T, H): rows offset .. offset + T - 1

    def add(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def linear(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, activation: str | None = None) -> np.ndarray:
        y = x @ w.T  # (..., out); w is (out, in) as checkpoints store it
        y = y + b if b is not None else y
        return self.activation(y, activation) if activation else y

    def grouped_linear(self, x: np.ndarray, w: np.ndarray, b: np.ndarray, groups: int, activation: str | None = None) -> np.ndarray:
        """torch's Conv1d(in, out, 1, groups) over the tokens of x (B, T, in), w (out, in / groups, 1) as
        stored: output channel o reads the inputs of its group o // (out / groups) -> (B, T, out)."""
        out, width = w.shape[0], w.shape[1]
        parts = x.reshape(*x.shape[:-1], groups, width)  # (B, T, G, in / G)
        y = np.einsum("...gi,goi->...go", parts, w.reshape(groups, out // groups, width)).reshape(*x.shape[:-1], out) + b
        return self.activation(y, activation) if activation else y

    def down_projection(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        """An FFN's down-projection: a linear here (the ONNX engine quantizes it per token under int8)."""
        return self.linear(x, w, b)

    def dense_add_norm(self, x: np.ndarray, w: np.ndarray, b: np.ndarray, residual: np.ndarray,
                       gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
        """LayerNorm(x @ w.T + b + residual): a post-LN block's output."""
        return self.layer_norm(self.linear(x, w, b) + residual, gamma, beta, eps)

    def linears(self, x: np.ndarray, pairs: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
        return [self.linear(x, w, b) for w, b in pairs]

    def layer_norm(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + np.float32(eps)) * gamma + beta

    def activation(self, x: np.ndarray, name: str) -> np.ndarray:
        if name == "gelu":  # BERT uses the exact erf GELU, not the tanh one (modeling_bert ACT2FN)
            return 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))
        if name in ("gelu_new", "gelu_pytorch_tanh"):
            return 0.5 * x * (1.0 + np.tanh(np.float32(np.sqrt(2 / np.pi)) * (x + 0.044715 * x**3)))
        if name == "relu":
            return np.maximum(x, 0)
        if name == "tanh":
            return np.tanh(x)
        if name in ("silu", "swish"):  # x * sigmoid(x), as torch's SiLU (Qwen 3's MLP gate)
            return x / (np.float32(1) + np.exp(-x))
        raise ConfigError(f"activation {name!r} (config.json's hidden_act / activation) has no NumPy implementation; "
                          f"leanpipe runs gelu, gelu_new, gelu_pytorch_tanh, relu, tanh and silu")

    def attention(self, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray, heads: int, head_dim: int, *,
                  queries_match_mask: bool = False) -> np.ndarray:
        """Scaled dot-product attention over keys where `mask` (B, T) is 1; q may have fewer rows (S) than k, v (T).
        (`queries_match_mask` only helps the ONNX graph shape its mask.)"""
        b, s, h = q.shape
        d = head_dim
        q, k, v = (a.reshape(b, a.shape[1], heads, d).transpose(0, 2, 1, 3) for a in (q, k, v))  # (B, N, S|T, D)
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(d))  # (B, N, S, T)
        scores = scores + np.where(mask[:, None, None, :] > 0, np.float32(0), _NEG)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = self._record_probs(scores / scores.sum(-1, keepdims=True))
        return (probs @ v).transpose(0, 2, 1, 3).reshape(b, s, h)  # (B, S, H)

    def big_bird_attention(self, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray, heads: int, head_dim: int,
                           block: int, random_blocks: int) -> np.ndarray:
        """BigBird's self-attention as transformers runs it in eval mode (modeling_big_bird) -> (B, T, H).

        Up to (5 + 2 * random_blocks) * block tokens: full attention. Past that, block-sparse: the
        tokens padded to whole blocks; the first and last block of queries see every key; a query in
        block i of the others sees key blocks 0, i - 1, i, i + 1 and the last, plus `random_blocks`
        "random" blocks, which transformers draws only in training: in eval they are all block 0, so
        block 0 is in that softmax 1 + random_blocks times. Computed here as attention over all keys
        with log(how many times a key block is seen) added to the scores (minus infinity for 0), one
        head at a time; padding queries' outputs are zero, as transformers multiplies them out."""
        b, t, h = q.shape
        if t <= (5 + 2 * random_blocks) * block:
            return self.attention(q, k, v, mask, heads, head_dim)
        tp = -(-t // block) * block
        nb = tp // block
        counts = np.zeros((nb, nb), dtype=np.float32)  # counts[i, j]: times query block i sees key block j
        counts[[0, -1]] = 1
        for i in range(1, nb - 1):
            counts[i, [i - 1, i, i + 1, nb - 1]] = 1
            counts[i, 0] = 1 + random_blocks
        counts = np.repeat(np.repeat(counts, block, axis=0), block, axis=1)  # (Tp, Tp) over tokens
        keys = np.pad(mask, ((0, 0), (0, tp - t))) > 0  # (B, Tp)
        seen = (counts > 0)[None] & keys[:, None, :]  # (B, Tp, Tp)
        bias = np.where(seen, np.log(np.maximum(counts, 1))[None], _NEG)  # (B, Tp, Tp)
        qh, kh, vh = (np.pad(a, ((0, 0), (0, tp - t), (0, 0))).reshape(b, tp, heads, head_dim).transpose(0, 2, 1, 3)
                      for a in (q, k, v))  # (B, N, Tp, D)
        out, kept = np.empty_like(qh), []
        for n in range(heads):  # one (B, Tp, Tp) score matrix at a time
            scores = qh[:, n] @ kh[:, n].transpose(0, 2, 1) / np.float32(np.sqrt(head_dim)) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            probs = scores / scores.sum(-1, keepdims=True)
            out[:, n] = probs @ vh[:, n]
            if self.records_attentions:  # one copy's probability, as transformers reports block 0's
                kept.append((probs / np.maximum(counts, 1))[:, :t, :t])
        if kept:
            self._record_probs(np.stack(kept, axis=1))  # (B, N, T, T)
        return self.zero_masked(out.transpose(0, 2, 1, 3).reshape(b, tp, h)[:, :t], mask)

    def self_attention(self, x: np.ndarray, qkv: list[tuple[np.ndarray, np.ndarray]], mask: np.ndarray, heads: int,
                       head_dim: int, *, first_only: bool = False) -> np.ndarray:
        """Q/K/V projections of `x`, then attention (one fused op in the ONNX engine) -> (B, T, H).

        `first_only`: only the first token's output (B, 1, H), as a last layer computes for a head
        that reads [CLS] alone; keys and values still come from every token."""
        (wq, bq), *kv = qkv
        q = self.linear(self.first_rows(x) if first_only else x, wq, bq)
        k, v = self.linears(x, kv)  # (B, T, H) each
        return self.attention(q, k, v, mask, heads, head_dim)

    def causal_self_attention(self, x: np.ndarray, qkv: list[tuple[np.ndarray, np.ndarray]], heads: int,
                              head_dim: int) -> np.ndarray:
        """A decoder's self-attention: Q/K/V projections of `x`, each token attending to itself and the
        tokens before it, with no padding mask (BART's decoder; padding is on the right, so no real
        token sees a pad) -> (B, T, H)."""
        q, k, v = self.linears(x, qkv)  # (B, T, H) each
        before = np.tri(x.shape[1], dtype=bool)  # key j <= query i
        return self.attention_with_bias(q, k, v, np.where(before, np.float32(0), _NEG)[None, None], heads, head_dim)

    def shift_right(self, ids: np.ndarray, first: int) -> np.ndarray:
        """(B, T) ids -> `first`, then each row's ids but its last (BART's decoder_input_ids):
        `shift_right([[0, 5, 2]], 2)` -> [[2, 0, 5]]."""
        return np.concatenate([np.full_like(ids[:, :1], first), ids[:, :-1]], axis=1)

    def last_match(self, x: np.ndarray, ids: np.ndarray, token_id: int) -> np.ndarray:
        """(B, T, H) -> (B, 1, H): each text's row at the last position where `ids` is `token_id`
        (BART's classifier reads the last </s>); callers check that every text has one."""
        return x[np.arange(x.shape[0]), _last_position(ids, token_id)][:, None]

    def last_unmatched(self, x: np.ndarray, ids: np.ndarray, token_id: int) -> np.ndarray:
        """(B, T, H) -> (B, H): each text's row at the last position where `ids` is not `token_id` (the
        pad id), position 0 when every id is it: transformers' GenericForSequenceClassification, which
        takes the rightmost non-pad token whichever side the padding is on."""
        last = np.where(ids != token_id, np.arange(ids.shape[1]), 0).max(axis=1)  # (B,)
        return x[np.arange(x.shape[0]), last]

    def through_last_match(self, ids: np.ndarray, token_id: int) -> np.ndarray:
        """(B, T) int64: 1 at the positions up to and including each text's last `token_id`, the keys
        a causal query at that position sees."""
        return (np.arange(ids.shape[1])[None] <= _last_position(ids, token_id)[:, None]).astype(np.int64)

    def first_rows(self, x: np.ndarray) -> np.ndarray:
        return x[:, :1]  # (B, 1, H)

    def columns(self, x: np.ndarray, n: int) -> list[np.ndarray]:
        """(..., n) -> n arrays (...): e.g. QA logits (B, T, 2) -> start (B, T), end (B, T)."""
        return [x[..., i] for i in range(n)]

    def first_token(self, x: np.ndarray) -> np.ndarray:
        return x[:, 0]  # (B, H)

    def last_token(self, x: np.ndarray) -> np.ndarray:
        """(B, T, H) -> (B, H): the last position of each row, padding or not."""
        return x[:, -1]

    def output(self, name: str, x: np.ndarray) -> None:
        self.outputs[name] = x

    def position_ids_from_mask(self, ids: np.ndarray, pad_id: int) -> np.ndarray:
        """RoBERTa's positions: pad_id+1, pad_id+2, ... over non-pad tokens, pad_id on pads.

        `position_ids_from_mask([[0, 5, 2, 1]], pad_id=1)` -> [[2, 3, 4, 1]] (modeling_roberta
        create_position_ids_from_input_ids).
        """
        mask = (ids != pad_id).astype(np.int64)  # (B, T)
        return np.cumsum(mask, axis=1) * mask + pad_id  # (B, T)

    # --- relative positions and attention with an additive bias (MPNet, ModernBERT, DeBERTa) ----
    def relative_table(self, table: np.ndarray, ids: np.ndarray, *, clip: bool = False) -> np.ndarray:
        """Rows of `table` picked by the key's offset from the query: out[i, j] = table[j - i + M - 1]
        for a table of 2M - 1 rows (offsets -(M-1) .. M-1) -> (T, T, ...).

        `relative_table(np.array([10, 11, 12]), ids of length 2)` -> [[11, 12], [10, 11]].
        """
        pos, mid = np.arange(ids.shape[1]), (table.shape[0] - 1) // 2
        offsets = pos[None, :] - pos[:, None]  # (T, T): key - query
        if clip:  # offsets past the table's ends take its end rows (T5's buckets saturate there)
            offsets = np.clip(offsets, -mid, mid)
        return table[offsets + mid]  # (T, T, ...)

    def rms_norm(self, x: np.ndarray, gamma: np.ndarray, eps: float) -> np.ndarray:
        """x / sqrt(mean(x^2) + eps) * gamma over the last axis: no mean taken out, no bias (T5LayerNorm)."""
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + np.float32(eps)) * gamma

    def head_rms_norm(self, x: np.ndarray, gamma: np.ndarray, eps: float, heads: int, head_dim: int) -> np.ndarray:
        """rms_norm over each head's head_dim values of x (B, T, heads * head_dim), gamma (head_dim,):
        Gemma 3's q_norm / k_norm."""
        b, t, _ = x.shape
        return self.rms_norm(x.reshape(b, t, heads, head_dim), gamma, eps).reshape(b, t, heads * head_dim)

    def transpose(self, x: np.ndarray, perm: tuple[int, ...]) -> np.ndarray:
        return x.transpose(perm)

    def mask_bias(self, mask: np.ndarray, *, pairwise: bool = False, window: int | None = None,
                  also: np.ndarray | None = None, causal: bool = False) -> np.ndarray:
        """Additive attention mask: 0 where query i may see key j, float32 min elsewhere.

        Keys where `mask` (B, T) is 0 are hidden -> (B, 1, 1, T). `pairwise`: padded queries see
        nothing either (DeBERTa's mask_i * mask_j); `window`: only keys with |i - j| <= window
        (ModernBERT's local layers), or, with `also` (B, T), keys where it is 1 at any distance
        (Longformer's global tokens); `causal`: only keys j <= i (a decoder's: Qwen 3); each of
        the last three gives (B, 1, T, T).
        """
        keep = mask[:, None, None, :] > 0  # (B, 1, 1, T)
        if pairwise:
            keep = keep & (mask[:, None, :, None] > 0)  # (B, 1, T, T)
        if causal:
            keep = keep & np.tri(mask.shape[1], dtype=bool)  # key j <= query i
        if window is not None:
            pos = np.arange(mask.shape[1])
            near = np.abs(pos[None, :] - pos[:, None]) <= window  # (T, T)
            if also is not None:
                near = near | (also[:, None, None, :] > 0)  # (B, 1, T, T)
            keep = keep & near  # (B, 1, T, T)
        return np.where(keep, np.float32(0), _NEG)

    def sliding_attention(self, q: np.ndarray, k: np.ndarray, v: np.ndarray, x: np.ndarray, query_global: tuple,
                          gk: np.ndarray, gv: np.ndarray, mask: np.ndarray, glob: np.ndarray, window: int, heads: int,
                          head_dim: int) -> np.ndarray:
        """Longformer's self-attention (modeling_longformer): a query sees the real keys at most `window`
        positions away and every global key (`glob` (B, T) 1, never padding), through q, k, v; a
        global token's row is instead attention over every real key through gq, gk, gv; padding
        queries give zeros. As one (T, T) masked attention (the ONNX engine computes it by blocks)."""
        glob = glob * (mask > 0)
        local = self.attention_with_bias(q, k, v, self.mask_bias(mask, window=window, also=glob), heads, head_dim)
        everywhere = self.attention(self.linear(x, *query_global), gk, gv, mask, heads, head_dim)  # query_global: (w, b)
        return self.zero_masked(self.select_rows(glob, everywhere, local), mask)

    def first_query_keys(self, mask: np.ndarray, also: np.ndarray, window: int) -> np.ndarray:
        """(B, T) int64: the keys sliding attention lets the first query (position 0) see: real ones at
        most `window` positions away, or where `also` (Longformer's global tokens) is 1."""
        near = np.arange(mask.shape[1])[None] <= window
        return ((mask > 0) & (near | (also > 0))).astype(np.int64)

    def concat_last(self, parts: list[np.ndarray]) -> np.ndarray:
        """Arrays side by side along their last axis: (B, T, A) and (B, T, C) -> (B, T, A + C)."""
        return np.concatenate(parts, axis=-1)

    def trigram(self, x: np.ndarray) -> np.ndarray:
        """Each token's vector beside its neighbours': (B, T, E) -> (B, T, 3E) = [next, this, previous],
        zeros past either end (MobileBERT's trigram_input)."""
        zero = np.zeros_like(x[:, :1])
        return np.concatenate([np.concatenate([x[:, 1:], zero], axis=1), x, np.concatenate([zero, x[:, :-1]], axis=1)], axis=-1)

    def select_rows(self, choose: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Row t of text b from `a` where `choose` (B, T) is 1, else from `b`: (B, T, H) each."""
        return np.where(choose[:, :, None] > 0, a, b)

    def attention_with_bias(self, q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: np.ndarray, heads: int,
                            head_dim: int, scale: float | None = None, *, every_query_sees_a_key: bool = True,
                            queries_match_keys: bool = False, kv_heads: int | None = None) -> np.ndarray:
        """softmax(q k^T * scale + bias) v per head; `bias` (B or 1, N or 1, T, T) carries the mask too
        (see mask_bias). `scale` defaults to 1/sqrt(head_dim). `kv_heads`: k and v hold that many heads,
        each shared by heads / kv_heads consecutive query heads (grouped-query attention). `every_query_sees_a_key`
        and `queries_match_keys` only steer the ONNX graph's kernel and mask shaping: the result here is the same."""
        b, t, _ = q.shape
        q = q.reshape(b, t, heads, head_dim).transpose(0, 2, 1, 3)  # (B, N, T, D)
        group = heads // (kv_heads or heads)
        k, v = (np.repeat(a.reshape(b, t, -1, head_dim).transpose(0, 2, 1, 3), group, axis=1) for a in (k, v))  # (B, N, T, D)
        scale = 1 / np.sqrt(head_dim) if scale is None else scale
        scores = q @ k.transpose(0, 1, 3, 2) * np.float32(scale) + bias  # (B, N, T, T)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = self._record_probs(scores / scores.sum(-1, keepdims=True))
        return (probs @ v).transpose(0, 2, 1, 3).reshape(b, t, heads * head_dim)  # (B, T, H)

    def self_attention_with_bias(self, x: np.ndarray, qkv: list[tuple[np.ndarray, np.ndarray]], mask: np.ndarray,
                                 bias: np.ndarray, heads: int, head_dim: int) -> np.ndarray:
        """Q/K/V projections of `x`, then attention over keys where `mask` (B, T) is 1 with the
        additive `bias` (1 or B, N, T, T) on the scores (one fused op in the ONNX engine)."""
        q, k, v = self.linears(x, qkv)  # (B, T, H) each
        return self.attention_with_bias(q, k, v, bias + self.mask_bias(mask), heads, head_dim)

    # --- rotary positions, gated MLPs and pooling (ModernBERT) ----------------------------------
    def mul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a * b

    # --- Fourier mixing (FNet) -------------------------------------------------------------------
    def fourier_mix(self, x: np.ndarray, width: int) -> np.ndarray:
        """The real part of the 2-D discrete Fourier transform of x (B, T, H = width) over tokens and
        hidden units, as torch.fft.fftn(x, dim=(1, 2)).real (computed here in float64)."""
        return np.fft.fft2(x.astype(np.float64), axes=(1, 2)).real.astype(np.float32)

    # --- span convolutions (ConvBERT) ----------------------------------------------------------
    def depthwise_conv(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """torch's Conv1d(C, C, k, groups=C, padding=k // 2, bias=False) over the tokens of x (B, T, C),
        w (C, k): out[t, c] = sum_j w[c, j] * x[t + j - k // 2, c], zero past either end (odd k)."""
        k, p, t = w.shape[1], w.shape[1] // 2, x.shape[1]
        padded = np.pad(x, ((0, 0), (p, p), (0, 0)))
        return sum(padded[:, j:j + t] * w[:, j] for j in range(k)).astype(np.float32)

    def dynamic_conv(self, v: np.ndarray, logits: np.ndarray, heads: int, k: int) -> np.ndarray:
        """ConvBERT's span-based dynamic convolution: v (B, T, A), per token and head a kernel of k
        weights, softmax(logits (B, T, heads * k)), over the k tokens around it (zero past either end):
        out[t, h, d] = sum_j kernel[t, h, j] * v[t + j - (k - 1) // 2, h, d] -> (B, T, A)."""
        b, t, a = v.shape
        kernel = logits.reshape(b, t, heads, k)
        kernel = np.exp(kernel - kernel.max(-1, keepdims=True))
        kernel = kernel / kernel.sum(-1, keepdims=True)  # (B, T, N, k)
        p = (k - 1) // 2
        padded = np.pad(v, ((0, 0), (p, k - 1 - p), (0, 0))).reshape(b, t + k - 1, heads, a // heads)
        return sum(padded[:, j:j + t] * kernel[..., j:j + 1] for j in range(k)).reshape(b, t, a).astype(np.float32)

    def rotary(self, x: np.ndarray, cos: np.ndarray, sin: np.ndarray, heads: int, head_dim: int) -> np.ndarray:
        """Rotary position embedding of each head: x * cos + rotate_half(x) * sin, where rotate_half
        turns (x1, x2) into (-x2, x1) (modeling_modernbert apply_rotary_pos_emb). x (B, T, H);
        cos, sin from position_embed: (1, T, D)."""
        b, t, _ = x.shape
        xh = x.reshape(b, t, heads, head_dim)  # (B, T, N, D)
        half = head_dim // 2
        rotated = np.concatenate((-xh[..., half:], xh[..., :half]), axis=-1)
        out = xh * cos[:, :, None] + rotated * sin[:, :, None]  # cos, sin (1, T, 1, D)
        return out.reshape(b, t, heads * head_dim)  # (B, T, H)

    def masked_mean(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean over the tokens where `mask` (B, T) is 1: (B, T, H) -> (B, H)."""
        m = mask[:, :, None].astype(x.dtype)  # (B, T, 1)
        return (x * m).sum(1) / m.sum(1)

    def queries_with_keys(self, bias: np.ndarray) -> np.ndarray:
        """1.0 for each query that sees at least one key under the mask_bias `bias` (B, 1, T, T), else
        0.0 -> (B, T, 1). torch's SDPA, transformers' default attention, returns zeros for the others."""
        return (bias == 0).any(-1).transpose(0, 2, 1).astype(np.float32)  # (B, T, 1)

    # --- disentangled attention (DeBERTa) -------------------------------------------------------
    def conv1d(self, x: np.ndarray, w: np.ndarray, b: np.ndarray, groups: int) -> np.ndarray:
        """A same-length convolution along the tokens, as torch's Conv1d(H, H, k, padding=(k - 1) // 2,
        groups) on x.transpose(1, 2): x (B, T, H), w (H_out, H / groups, k) odd k, b (H_out,) -> (B, T, H_out)."""
        k, pad = w.shape[2], (w.shape[2] - 1) // 2
        t, width, out = x.shape[1], w.shape[1], w.shape[0] // groups
        padded = np.pad(x, ((0, 0), (pad, pad), (0, 0)))
        parts = []
        for g in range(groups):
            wg = w[g * out:(g + 1) * out]  # (out, width, k)
            xg = padded[:, :, g * width:(g + 1) * width]
            parts.append(sum(xg[:, j:j + t] @ wg[:, :, j].T for j in range(k)))
        return np.concatenate(parts, axis=-1) + b

    def mask_token_dropout(self, x: np.ndarray, ids: np.ndarray, mask: np.ndarray, token_id: int, ratio: float) -> np.ndarray:
        """ESM's token dropout at inference: rows of x (B, T, H) whose id is `token_id` set to zero and
        each text scaled by (1 - ratio) / (1 - its share of such tokens among its real tokens)."""
        hit = ids == token_id  # (B, T)
        share = hit.sum(axis=1).astype(np.float32) / np.maximum(mask.sum(axis=1), 1).astype(np.float32)  # (B,)
        kept = np.where(hit[:, :, None], np.float32(0.0), x)
        return kept * np.float32(1.0 - ratio) / (np.float32(1.0) - share)[:, None, None]

    def zero_masked(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """x (B, T, H) with the rows where `mask` (B, T) is 0 set to zero."""
        return x * mask[:, :, None].astype(x.dtype)

    def used_rows(self, table: np.ndarray, indices: tuple[np.ndarray, ...]) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """The rows of `table` (R, ...) that `indices` (arrays of row numbers, each a contiguous run as
        relative positions are) pick: one slice table[lo:hi + 1], and the indices shifted into it."""
        lo, hi = min(int(i.min()) for i in indices), max(int(i.max()) for i in indices)
        return table[lo:hi + 1], tuple(i - lo for i in indices)

    def relative_scores(self, x: np.ndarray, pos: np.ndarray, index: np.ndarray, heads: int, head_dim: int,
                        scale: float) -> np.ndarray:
        """Each token's score against the relative-position vector `index` picks for it, per head:
        out[b, n, i, j] = x[b, i, n] . pos[index[i, j], n] * scale. x (B, T, H) from the tokens, pos
        (R, H) from the relative embeddings, index (T, T) in [0, R) -> (B, N, T, T) (modeling_deberta_v2
        disentangled_attention_bias: the bmm then torch.gather)."""
        b, t, _ = x.shape
        xh = x.reshape(b, t, heads, head_dim).transpose(0, 2, 1, 3)  # (B, N, T, D)
        ph = pos.reshape(-1, heads, head_dim).transpose(1, 2, 0)  # (N, D, R)
        full = xh @ ph  # (B, N, T, R)
        return full[:, :, np.arange(t)[:, None], index] * np.float32(scale)  # (B, N, T, T)


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26); NumPy has none and SciPy is not a dependency."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return (sign * (1.0 - poly * np.exp(-a * a))).astype(x.dtype)


def _last_position(ids: np.ndarray, token_id: int) -> np.ndarray:
    """(B,) the last position of `token_id` in each row of ids (B, T), -1 where it is absent."""
    return np.where(ids == token_id, np.arange(ids.shape[1]), -1).max(axis=1)
