"""ESM protein language models (model_type "esm": ESM-2, ESM-1b) against the ops of leanpipe.engine.

Pre-LN layers (modeling_esm): x + attention(LayerNorm(x)), then x + FFN(LayerNorm(x)) with erf
GELU, and a final `emb_layer_norm_after`. ESM-2 rotates queries and keys (rotary, theta 10,000,
over positions 0..T-1); ESM-1b adds learned positions counted as RoBERTa counts them. With
`token_dropout` the <mask> rows of the embeddings are zeroed and each text scaled by
0.88 / (1 - its share of <mask> tokens), as in training.

One deliberate difference from transformers 5.2: that share is taken over each text's real tokens
(its attention mask), as ESM's own code and transformers 4 take it. transformers 5.2 no longer
passes the attention mask to the embeddings and divides by the padded length, so in a padded batch
its answer for a text with <mask> tokens depends on the longest text beside it; leanpipe gives every
text the answer transformers gives it alone (which is also what transformers' fill-mask pipeline
gives at its default batch size of 1).

Tensor names are the checkpoint's own: `esm.encoder.layer.0.attention.self.query.weight`, `lm_head.dense`.
Shapes: B batch, T tokens, H hidden, I intermediate, N heads, D head dim, V vocabulary, L labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import EsmConfig
from ..weights import Weights
from .heads import token_logits
from .bert import layer_norm, linear, pooler
from .modernbert import rotary_tables
from .roberta import classification_head, tied_decoder

PREFIX = "esm"
INPUT_NAMES = ("input_ids", "attention_mask")
MASK_RATIO_TRAIN = 0.15 * 0.8  # "Hardcoded as the ratio used in all ESM model training runs"
ROTARY_THETA = 10000.0
ROTARY_POSITIONS = 8192  # rotary positions have no table in the checkpoint: texts up to this many tokens


def max_positions(c: EsmConfig) -> int:
    """Longest input: learned positions run pad_token_id+1 .. T+pad_token_id (1024 for ESM-1b);
    rotary ones are computed, up to ROTARY_POSITIONS."""
    if c.position_embedding_type == "rotary":
        return max(ROTARY_POSITIONS, c.max_position_embeddings)
    return c.max_position_embeddings - c.pad_token_id - 1


def embeddings(ops, w: Weights, c: EsmConfig):
    """input_ids -> (B, T, H): word embeddings, token dropout, learned positions, optional LayerNorm
    (transformers 5.2 does not zero the padding rows here; attention masks them)."""
    ids, h = ops.input("input_ids"), c.hidden_size
    x = ops.embed(w.get("embeddings.word_embeddings.weight", (c.vocab_size, h)), ids)  # (B, T, H)
    if c.token_dropout:
        x = ops.mask_token_dropout(x, ids, ops.input("attention_mask"), c.mask_token_id, MASK_RATIO_TRAIN)
    if c.position_embedding_type == "absolute":
        positions = ops.position_ids_from_mask(ids, c.pad_token_id)  # (B, T): pad+1, pad+2, ...; pads stay pad
        x = ops.add(x, ops.embed(w.get("embeddings.position_embeddings.weight", (c.max_position_embeddings, h)), positions))
    if c.emb_layer_norm_before:
        x = layer_norm(ops, w, x, "embeddings.layer_norm", h, c.layer_norm_eps)
    return x


def attention(ops, w: Weights, c: EsmConfig, p: str, x, mask, rope):
    """EsmAttention's self-attention block on the normed input x: Q, K, V (rotated when rotary) -> (B, T, H)."""
    h, heads = c.hidden_size, c.num_attention_heads
    qkv = [(w.get(f"{p}.self.{m}.weight", (h, h)), w.get(f"{p}.self.{m}.bias", (h,))) for m in ("query", "key", "value")]
    if rope is None:  # ESM-1b: plain scaled dot-product attention, the fused kernel
        return ops.self_attention(x, qkv, mask, heads, h // heads)
    q, k, v = (ops.linear(x, weight, bias) for weight, bias in qkv)
    # ESM scales the query before rotating it; rotation is linear, so scaling the scores after is the same
    q, k = (ops.rotary(a, rope[0], rope[1], heads, h // heads) for a in (q, k))
    return ops.attention(q, k, v, mask, heads, h // heads, queries_match_mask=True)


def layer(ops, w: Weights, c: EsmConfig, i: int, x, mask, rope):
    """One pre-LN layer: x + Wo(attention(LN(x))), then x + FFN(LN(x)) -> (B, T, H)."""
    p, h, n, eps = f"encoder.layer.{i}", c.hidden_size, c.intermediate_size, c.layer_norm_eps
    a = attention(ops, w, c, f"{p}.attention", layer_norm(ops, w, x, f"{p}.attention.LayerNorm", h, eps), mask, rope)
    x = ops.add(x, linear(ops, w, a, f"{p}.attention.output.dense", h, h))
    f = linear(ops, w, layer_norm(ops, w, x, f"{p}.LayerNorm", h, eps), f"{p}.intermediate.dense", n, h, activation="gelu")
    return ops.add(x, ops.down_projection(f, w.get(f"{p}.output.dense.weight", (h, n)), w.get(f"{p}.output.dense.bias", (h,))))


def encoder(ops, w: Weights, c: EsmConfig):
    """input_ids, attention_mask -> final-normed hidden state (B, T, H)."""
    ids, mask = ops.input("input_ids"), ops.input("attention_mask")
    w.skip("contact_head.")  # EsmModel's contact prediction from attention maps: not a pipeline task
    x = embeddings(ops, w, c)
    rope = None
    if c.position_embedding_type == "rotary":
        tables = rotary_tables(ROTARY_THETA, c.hidden_size // c.num_attention_heads, max_positions(c))
        rope = tuple(ops.position_embed(t, ids) for t in tables)  # cos, sin: (T, D) each
    for i in range(c.num_hidden_layers):
        ops.hidden(x)  # each layer's input; the last of hidden_states is the final-normed output, as transformers ties it
        x = layer(ops, w, c, i, x, mask, rope)
    x = layer_norm(ops, w, x, "encoder.emb_layer_norm_after", c.hidden_size, c.layer_norm_eps)
    ops.hidden(x)
    return x


def base(ops, w: Weights, c: EsmConfig) -> None:
    x = encoder(ops, w, c)
    ops.output("last_hidden_state", x)
    if w.has("pooler.dense.weight"):  # checkpoints saved from the task models have none
        ops.output("pooler_output", pooler(ops, w, c, x))


def sequence_classification(ops, w: Weights, c: EsmConfig) -> None:
    """EsmClassificationHead: <cls> -> dense + tanh -> out_proj, as RoBERTa's (B, L)."""
    ops.output("logits", classification_head(ops, w, encoder(ops, w, c), c.hidden_size, c.num_labels, "tanh"))


def token_classification(ops, w: Weights, c: EsmConfig) -> None:
    x = encoder(ops, w, c)  # (B, T, H)
    token_logits(ops, w, x, c.num_labels, c.hidden_size)


def masked_lm(ops, w: Weights, c: EsmConfig) -> None:
    """EsmLMHead: dense + erf GELU + layer_norm, then the decoder tied to the word embeddings (its own
    weight when the checkpoint has one) + lm_head.bias -> (B, T, V)."""
    h = c.hidden_size
    x = linear(ops, w, encoder(ops, w, c), "lm_head.dense", h, h, head=True, activation="gelu")
    x = ops.layer_norm(x, w.get("lm_head.layer_norm.weight", (h,), head=True),
                       w.get("lm_head.layer_norm.bias", (h,), head=True), c.layer_norm_eps)
    ops.output("logits", tied_decoder(ops, w, x, "lm_head.decoder", ("lm_head.bias",), c.vocab_size, h))


# --- contact prediction (EsmModel.predict_contacts / EsmForMaskedLM.predict_contacts) -------------

CONTACT_EOS_ID = 2  # EsmContactPredictionHead's eos_idx


def predict_contacts(model: Any, tokens: Any, attention_mask: Any) -> Any:
    """Residue-residue contact probabilities (B, T-2, T-2) from every layer's attention maps, as
    ESM's contact head computes them: padding and <eos> rows and columns zeroed, <cls> / last position
    dropped, maps symmetrized and average-product corrected, then `contact_head.regression` + sigmoid.
    Needs the checkpoint's contact_head tensors (ESM-2 and ESM-1b checkpoints have them)."""
    from ..functional import _as_array, _back, sigmoid
    from .inputs import to_ids

    out = model(input_ids=tokens, attention_mask=attention_mask, output_attentions=True)
    ids, mask = to_ids(tokens, "tokens"), to_ids(attention_mask, "attention_mask").astype(np.float32)  # (B, T)
    maps = np.stack([_as_array(a)[0] for a in out.attentions], axis=1)  # (B, L, N, T, T)
    maps = maps * mask[:, None, None, None, :] * mask[:, None, None, :, None]
    keep = (ids != CONTACT_EOS_ID).astype(np.float32)
    maps = (maps * (keep[:, :, None] * keep[:, None, :])[:, None, None])[..., :-1, :-1][..., 1:, 1:]
    b, layers, heads, t, _ = maps.shape
    maps = maps.reshape(b, layers * heads, t, t)
    maps = maps + maps.transpose(0, 1, 3, 2)  # symmetrize
    corrected = maps - maps.sum(-1, keepdims=True) * maps.sum(-2, keepdims=True) / maps.sum((-1, -2), keepdims=True)
    weight, bias = _contact_head(model, layers * heads)
    logits = corrected.transpose(0, 2, 3, 1) @ weight[0] + bias[0]  # (B, T', T')
    return _back(sigmoid(logits.astype(np.float32)), _as_array(tokens)[1])  # a torch tensor when tokens were one


def _contact_head(model: Any, width: int) -> tuple[np.ndarray, np.ndarray]:
    """contact_head.regression's weight (1, L*N) and bias (1,), read again (memory-mapped) from the
    checkpoint the model was loaded from: the encoder's graph does not hold them."""
    from .. import hub

    with hub.hub_options(model.hub_options):
        w = model._load_weights(model.name_or_path, model.revision, model.left_out)
    return w.get("contact_head.regression.weight", (1, width)), w.get("contact_head.regression.bias", (1,))


MODEL_METHODS = {head: {"predict_contacts": predict_contacts} for head in ("base", "masked-lm")}
