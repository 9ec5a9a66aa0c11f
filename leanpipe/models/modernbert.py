"""ModernBERT against the ops of leanpipe.engine (modeling_modernbert).

Pre-norm layers (the first without attention norm) over token embeddings + LayerNorm, no position
embeddings: queries and keys are rotated (RoPE) instead, with one theta for global layers and one
for sliding-window layers (which see keys at most `local_attention // 2` tokens away). The MLP is
gated: `Wi` -> (input, gate) -> act(input) * gate -> `Wo`. Linears and norms carry biases only
where the config says (`attention_bias`, `mlp_bias`, `norm_bias`). A final norm ends the encoder;
every task head first runs `head` (dense + act + norm); sequence classification pools [CLS] or the
masked mean (`classifier_pooling`).
Tensor names are the checkpoint's own: `model.layers.0.attn.Wqkv.weight`, `head.dense.weight`.
Shapes: B batch, T tokens, H hidden, I intermediate, N heads, D head dim, V vocabulary, L labels.
"""

from __future__ import annotations

import functools

import numpy as np

from ..config import ModernBertConfig
from ..config.base import rope_scaling_key
from ..weights import Weights
from .heads import OneLabel

PREFIX = "model"
PROBE = "embeddings.tok_embeddings.weight"
WORD_EMBEDDINGS = ("embeddings.tok_embeddings.weight",)  # get_input_embeddings()
INPUT_NAMES = ("input_ids", "attention_mask")


def linear(ops, w: Weights, x, name: str, out: int, inp: int, bias: bool, *, head: bool = False, activation=None):
    """x @ weight.T (+ bias when the config gives this kind of linear one)."""
    b = w.get(f"{name}.bias", (out,), head=head) if bias else None
    return ops.linear(x, w.get(f"{name}.weight", (out, inp), head=head), b, activation)


def linear_parts(ops, w: Weights, x, name: str, parts: int, width: int, inp: int, bias: bool):
    """The fused linear `name` (parts x width outputs: Wqkv's q | k | v, Wi's input | gate) as one
    linear per part over row slices of its weight (views, no copy) -> `parts` tensors (B, T, width):
    cheaper than one wide product and a Split (ModernBERT-base's 22 layers: the Splits were 2.6% of a call)."""
    weight = w.get(f"{name}.weight", (parts * width, inp))
    b = w.get(f"{name}.bias", (parts * width,)) if bias else None
    return [ops.linear(x, weight[i * width:(i + 1) * width], None if b is None else b[i * width:(i + 1) * width])
            for i in range(parts)]


def norm(ops, w: Weights, c: ModernBertConfig, x, name: str, *, head: bool = False):
    """LayerNorm, bias-free unless `norm_bias` (nn.LayerNorm(bias=config.norm_bias))."""
    h = c.hidden_size
    beta = w.get(f"{name}.bias", (h,), head=head) if c.norm_bias else _zeros(h)
    return ops.layer_norm(x, w.get(f"{name}.weight", (h,), head=head), beta, c.norm_eps)


@functools.lru_cache(maxsize=4)
def _zeros(width: int) -> np.ndarray:
    """One shared zero bias per width, so the ONNX graph stores it once."""
    return np.zeros(width, np.float32)


@functools.lru_cache(maxsize=8)
def rotary_tables(theta: float, head_dim: int, positions: int, scaling: tuple = ()) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of position * inverse frequency, for every position: (positions, D) each.

    Computed in float32 as ModernBertRotaryEmbedding does (inv_freq = 1 / theta^(2i/D), the
    frequencies repeated once: emb = cat(freqs, freqs)); `scaling` (config.base.rope_scaling_key) rescales
    the frequencies as the decoders' linear / llama3 rotary scalings do. Cached, as the NumPy engine asks
    on every call.
    """
    inv_freq = inverse_frequencies(theta, head_dim, scaling)
    freqs = np.arange(positions, dtype=np.float32)[:, None] * inv_freq[None, :]  # (P, D/2)
    emb = np.concatenate([freqs, freqs], axis=-1)  # (P, D)
    return np.cos(emb), np.sin(emb)


def inverse_frequencies(theta: float, head_dim: int, scaling: tuple = ()) -> np.ndarray:
    """(D/2,) float32: 1 / theta^(2i/D), then ("linear", factor): / factor; ("llama3", factor, low, high,
    original): Llama 3.1's, long wavelengths / factor, short ones kept, the band between interpolated
    (modeling_rope_utils._compute_llama3_parameters, in float32 as there)."""
    d = head_dim
    inv_freq = (1.0 / (theta ** (np.arange(0, d, 2, dtype=np.int64).astype(np.float32) / d))).astype(np.float32)
    if not scaling:
        return inv_freq
    kind, factor, *rest = scaling
    factor = np.float32(factor)
    if kind == "linear":
        return (inv_freq / factor).astype(np.float32)
    low, high, original = (np.float32(v) for v in rest)
    wavelen = np.float32(2 * np.pi) / inv_freq
    scaled = np.where(wavelen > original / low, inv_freq / factor, inv_freq).astype(np.float32)
    smooth = (original / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < original / high) & ~(wavelen > original / low)
    return np.where(medium, smoothed, scaled).astype(np.float32)


def layer_kind_inputs(ops, c, ids, mask, head_dim: int, positions: int, window: int):
    """Per kind of layer in c.layer_types ("full_attention", "sliding_attention"): its rotary (cos, sin)
    rows for the batch's positions, (T, D) each, from rope_parameters[kind]'s theta over `positions`
    table rows; its mask bias (sliding: keys at most `window` tokens away); and `seen`, (B, T, 1), 1
    where a sliding layer's query sees some key (None for full layers: every query sees its own).
    ModernBERT's and Gemma 3's encoders."""
    kinds = sorted(set(c.layer_types))
    rope = {kind: tuple(ops.position_embed(t, ids) for t in rotary_tables(float(c.rope_parameters[kind]["rope_theta"]), head_dim,
                                                                          positions, rope_scaling_key(c.rope_parameters[kind])))
            for kind in kinds}
    bias = {kind: ops.mask_bias(mask, window=window if kind == "sliding_attention" else None) for kind in kinds}
    seen = {kind: ops.queries_with_keys(bias[kind]) if kind == "sliding_attention" else None for kind in kinds}
    return rope, bias, seen


def attention(ops, w: Weights, c: ModernBertConfig, p: str, x, rope, bias, seen):
    """Fused QKV projection, rotary q/k, attention under `bias` (mask and window) -> Wo: (B, T, H).

    `seen` (B, T, 1), when given, zeroes the attention of queries that see no key, as torch's SDPA
    (transformers' default) does for padding far from every token in sliding layers.
    """
    h, heads = c.hidden_size, c.num_attention_heads
    q, k, v = linear_parts(ops, w, x, f"{p}.attn.Wqkv", 3, h, h, c.attention_bias)  # (B, T, H) each
    cos, sin = rope
    q, k = (ops.rotary(a, cos, sin, heads, h // heads) for a in (q, k))
    a = ops.attention_with_bias(q, k, v, bias, heads, h // heads, queries_match_keys=True)  # (B, T, H)
    return linear(ops, w, a if seen is None else ops.mul(a, seen), f"{p}.attn.Wo", h, h, c.attention_bias)


def mlp(ops, w: Weights, c: ModernBertConfig, p: str, x):
    """Gated MLP: Wi -> (input, gate) -> act(input) * gate -> Wo (ModernBertMLP)."""
    h, n = c.hidden_size, c.intermediate_size
    inp, gate = linear_parts(ops, w, x, f"{p}.mlp.Wi", 2, n, h, c.mlp_bias)  # (B, T, I) each
    wo = w.get(f"{p}.mlp.Wo.weight", (h, n))
    bo = w.get(f"{p}.mlp.Wo.bias", (h,)) if c.mlp_bias else None
    return ops.down_projection(ops.mul(ops.activation(inp, c.hidden_activation), gate), wo, bo)


def encoder(ops, w: Weights, c: ModernBertConfig):
    """input_ids, attention_mask -> final-normed hidden state (B, T, H)."""
    ids, mask = ops.input("input_ids"), ops.input("attention_mask")
    x = ops.embed(w.get("embeddings.tok_embeddings.weight", (c.vocab_size, c.hidden_size)), ids)  # (B, T, H)
    x = norm(ops, w, c, x, "embeddings.norm")
    rope, bias, seen = layer_kind_inputs(ops, c, ids, mask, c.hidden_size // c.num_attention_heads,
                                         c.max_position_embeddings, c.sliding_window)
    for i, kind in enumerate(c.layer_types):
        ops.hidden(x)  # each layer's input; the last of hidden_states is the final-normed output, as transformers ties it
        p = f"layers.{i}"
        h = x if i == 0 else norm(ops, w, c, x, f"{p}.attn_norm")  # layer 0 has no attn_norm (nn.Identity)
        x = ops.add(x, attention(ops, w, c, p, h, rope[kind], bias[kind], seen[kind]))
        x = ops.add(x, mlp(ops, w, c, p, norm(ops, w, c, x, f"{p}.mlp_norm")))
    x = norm(ops, w, c, x, "final_norm")
    ops.hidden(x)
    return x


def prediction_head(ops, w: Weights, c: ModernBertConfig, x):
    """ModernBertPredictionHead: dense (classifier_bias) + classifier_activation + norm, shape kept."""
    h = c.hidden_size
    x = linear(ops, w, x, "head.dense", h, h, c.classifier_bias, head=True, activation=c.classifier_activation)
    return norm(ops, w, c, x, "head.norm", head=True)


def base(ops, w: Weights, c: ModernBertConfig) -> None:
    ops.output("last_hidden_state", encoder(ops, w, c))


def sequence_classification(ops, w: Weights, c: ModernBertConfig) -> None:
    x = encoder(ops, w, c)  # (B, T, H)
    pooled = ops.first_token(x) if c.classifier_pooling == "cls" else ops.masked_mean(x, ops.input("attention_mask"))
    pooled = prediction_head(ops, w, c, pooled)  # (B, H); dropout is identity at inference
    ops.output("logits", linear(ops, w, pooled, "classifier", c.num_labels, c.hidden_size, True, head=True))  # (B, L)


def multiple_choice(ops, w: Weights, c: ModernBertConfig) -> None:
    """The sequence classifier scoring each (text, choice) row once -> (B * C, 1), as transformers'
    ModernBertForMultipleChoice."""
    sequence_classification(ops, w, OneLabel(c))


def token_classification(ops, w: Weights, c: ModernBertConfig) -> None:
    x = prediction_head(ops, w, c, encoder(ops, w, c))  # (B, T, H)
    ops.output("logits", linear(ops, w, x, "classifier", c.num_labels, c.hidden_size, True, head=True))  # (B, T, L)


def question_answering(ops, w: Weights, c: ModernBertConfig) -> None:
    x = prediction_head(ops, w, c, encoder(ops, w, c))  # (B, T, H)
    start, end = ops.columns(linear(ops, w, x, "classifier", 2, c.hidden_size, True, head=True), 2)  # (B, T, 2)
    ops.output("start_logits", start)  # (B, T)
    ops.output("end_logits", end)


def masked_lm(ops, w: Weights, c: ModernBertConfig) -> None:
    """`head`, then `decoder`, tied to the token embeddings unless the checkpoint has its own (+ decoder_bias)."""
    h, v = c.hidden_size, c.vocab_size
    x = prediction_head(ops, w, c, encoder(ops, w, c))  # (B, T, H)
    if w.has("decoder.weight", head=True):
        table = w.get("decoder.weight", (v, h), head=True)
    else:
        table = w.get("embeddings.tok_embeddings.weight", (v, h))
    bias = w.get("decoder.bias", (v,), head=True) if c.decoder_bias else None
    ops.output("logits", ops.linear(x, table, bias))  # (B, T, V)
