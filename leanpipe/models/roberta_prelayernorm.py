"""RoBERTa with pre-LN layers: RoBERTa-PreLayerNorm (model_type "roberta-prelayernorm"), and through
`Norms`, XLM-RoBERTa-XL (xlm_roberta_xl.py) which names its norms differently and has none on the embeddings
(MegatronBERT, megatron_bert.py, runs the same layers over BERT's embeddings).

Each layer: x + Wo(attention(LN(x))), then x + FFN(LN(x)); a final LayerNorm ends the encoder
(modeling_roberta_prelayernorm, modeling_xlm_roberta_xl). Embeddings, positions and every head are RoBERTa's.
Tensor names are the checkpoint's own: `roberta_prelayernorm.encoder.layer.0.intermediate.LayerNorm.weight`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import RobertaConfig
from ..weights import Weights
from . import roberta
from .bert import layer_norm, linear, pooler
from .heads import choice_logits, span_logits, token_logits
from .roberta import INPUT_NAMES, classification_head, max_positions, tied_decoder  # noqa: F401  (RoBERTa's inputs and positions)

PREFIX = "roberta_prelayernorm"


@dataclass(frozen=True)
class Norms:
    """Where a pre-LN RoBERTa keeps its LayerNorms (tensor-name stems)."""

    attention: str = "attention.LayerNorm"  # per layer, before self-attention
    feed_forward: str = "intermediate.LayerNorm"  # per layer, before the FFN
    final: str = "LayerNorm"  # after the last layer (the model's own, or "encoder.LayerNorm")
    embeddings: bool = True  # embeddings.LayerNorm after the embedding sum


PRE_LAYER_NORM = Norms()


def embeddings(ops, w: Weights, c: RobertaConfig, norms: Norms):
    if norms.embeddings:
        return roberta.embeddings(ops, w, c)
    ids, h = ops.input("input_ids"), c.hidden_size
    x = ops.embed(w.get("embeddings.word_embeddings.weight", (c.vocab_size, h)), ids)  # (B, T, H)
    x = ops.add(x, ops.embed(w.get("embeddings.token_type_embeddings.weight", (c.type_vocab_size, h)), ops.input("token_type_ids")))
    positions = ops.position_ids_from_mask(ids, c.pad_token_id)  # (B, T): pad+1, pad+2, ...; pads stay pad
    return ops.add(x, ops.embed(w.get("embeddings.position_embeddings.weight", (c.max_position_embeddings, h)), positions))


def layer(ops, w: Weights, c: RobertaConfig, norms: Norms, i: int, x, mask):
    p, h, n, eps = f"encoder.layer.{i}", c.hidden_size, c.intermediate_size, c.layer_norm_eps
    qkv = [(w.get(f"{p}.attention.self.{m}.weight", (h, h)), w.get(f"{p}.attention.self.{m}.bias", (h,)))
           for m in ("query", "key", "value")]
    a = ops.self_attention(layer_norm(ops, w, x, f"{p}.{norms.attention}", h, eps), qkv, mask,
                           c.num_attention_heads, h // c.num_attention_heads)  # (B, T, H)
    x = ops.add(x, linear(ops, w, a, f"{p}.attention.output.dense", h, h))
    f = linear(ops, w, layer_norm(ops, w, x, f"{p}.{norms.feed_forward}", h, eps), f"{p}.intermediate.dense", n, h,
               activation=c.hidden_act)  # (B, T, I)
    return ops.add(x, ops.down_projection(f, w.get(f"{p}.output.dense.weight", (h, n)), w.get(f"{p}.output.dense.bias", (h,))))


def encoder(ops, w: Weights, c: RobertaConfig, norms: Norms):
    """input_ids, token_type_ids, attention_mask -> final-normed hidden state (B, T, H)."""
    return layers(ops, w, c, norms, embeddings(ops, w, c, norms))


def layers(ops, w: Weights, c, norms: Norms, x):
    """The pre-LN layer stack and the final norm over embedded inputs x (B, T, H) -> (B, T, H);
    MegatronBERT runs it over BERT's embeddings."""
    mask = ops.input("attention_mask")
    for i in range(c.num_hidden_layers):
        ops.hidden(x)  # each layer's input; the last of hidden_states is the final-normed output, as transformers ties it
        x = layer(ops, w, c, norms, i, x, mask)
    x = layer_norm(ops, w, x, norms.final, c.hidden_size, c.layer_norm_eps)
    ops.hidden(x)
    return x


def base(ops, w: Weights, c: RobertaConfig, norms: Norms = PRE_LAYER_NORM) -> None:
    x = encoder(ops, w, c, norms)
    ops.output("last_hidden_state", x)
    if w.has("pooler.dense.weight"):
        ops.output("pooler_output", pooler(ops, w, c, x))


def sequence_classification(ops, w: Weights, c: RobertaConfig, norms: Norms = PRE_LAYER_NORM) -> None:
    ops.output("logits", classification_head(ops, w, encoder(ops, w, c, norms), c.hidden_size, c.num_labels, "tanh"))


def multiple_choice(ops, w: Weights, c: RobertaConfig, norms: Norms = PRE_LAYER_NORM) -> None:
    """The pooler, then `classifier` (1, H) per (text, choice) row -> (B * C, 1), as RoBERTa's."""
    choice_logits(ops, w, pooler(ops, w, c, encoder(ops, w, c, norms)), c.hidden_size)


def token_classification(ops, w: Weights, c: RobertaConfig, norms: Norms = PRE_LAYER_NORM) -> None:
    token_logits(ops, w, encoder(ops, w, c, norms), c.num_labels, c.hidden_size)


def question_answering(ops, w: Weights, c: RobertaConfig, norms: Norms = PRE_LAYER_NORM) -> None:
    span_logits(ops, w, encoder(ops, w, c, norms), c.hidden_size)


def masked_lm(ops, w: Weights, c: RobertaConfig, norms: Norms = PRE_LAYER_NORM) -> None:
    """RoBERTa's LM head: dense + erf GELU + layer_norm, then the decoder tied to the word embeddings."""
    h = c.hidden_size
    x = linear(ops, w, encoder(ops, w, c, norms), "lm_head.dense", h, h, head=True, activation="gelu")
    x = ops.layer_norm(x, w.get("lm_head.layer_norm.weight", (h,), head=True),
                       w.get("lm_head.layer_norm.bias", (h,), head=True), c.layer_norm_eps)
    ops.output("logits", tied_decoder(ops, w, x, "lm_head.decoder", ("lm_head.bias", "lm_head.decoder.bias"), c.vocab_size, h))
