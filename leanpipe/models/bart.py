"""BART (facebook/bart-large-mnli, transformers' zero-shot default, and its fine-tunes) against the
ops of leanpipe.engine; tensor names as in modeling_bart.

One forward pass, no generation: the encoder reads the text; the decoder reads the same ids shifted
right by one (decoder_start_token_id first), each token attending to itself and the tokens before
it and, through cross-attention, to the encoder's output. Post-LN layers, learned positions offset
by 2, a LayerNorm on the embeddings of each side. The sequence classifier reads the decoder's row at
the last </s> (its last layer computes that row alone); question answering and the masked-LM
logits (BartForConditionalGeneration's, without generation) read every decoder row.
transformers' BartModel returns the decoder's last hidden state as `last_hidden_state` and the
encoder's as `encoder_last_hidden_state`.
"""

from __future__ import annotations

import math

import numpy as np

from ..config import BartConfig
from ..errors import InputError
from ..weights import Weights
from .bert import dense_add_norm, layer_norm, linear
from .heads import require_eos, span_logits
from .outputs import Seq2SeqLMOutput, Seq2SeqModelOutput, Seq2SeqQuestionAnsweringModelOutput, Seq2SeqSequenceClassifierOutput

PREFIX = "model"
# transformers' class for the masked-lm head (fill-mask) is the generation class, for its logits
CLASS_NAMES = {"masked-lm": "BartForConditionalGeneration"}
PROBE = "encoder.layernorm_embedding.weight"
INPUT_NAMES = ("input_ids", "attention_mask")
_EPS = 1e-5  # nn.LayerNorm's default, which modeling_bart keeps
_POSITION_OFFSET = 2  # BartLearnedPositionalEmbedding: row = position + 2
# the token table, under the names checkpoints store it (transformers ties all three to `shared`)
_TABLES = ("shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight")
WORD_EMBEDDINGS = _TABLES  # get_input_embeddings()


def check_feeds(head: str, feeds: dict[str, np.ndarray], c: BartConfig) -> None:
    """The sequence classifier reads each text's last </s>: every text needs one. (transformers also
    wants the same number in every text of a batch, for a reshape of its own; leanpipe reads each
    row alone, so a batch mixing single texts and pairs gives what transformers gives each text alone.)"""
    if head == "sequence-classification":
        require_eos(feeds, c.eos_token_id, "BART")


def token_table(w: Weights, c: BartConfig) -> np.ndarray:
    return w.first(_TABLES, (c.vocab_size, c.d_model))


def embeddings(ops, w: Weights, c: BartConfig, ids, part: str):
    """Token (times sqrt(d_model) with scale_embedding) + position rows, then `part`'s layernorm_embedding."""
    x = ops.embed(token_table(w, c), ids)  # (B, T, H)
    if c.scale_embedding:
        x = ops.mul(x, ops.const(np.array(math.sqrt(c.d_model), dtype=np.float32)))
    positions = w.get(f"{part}.embed_positions.weight", (c.max_position_embeddings + _POSITION_OFFSET, c.d_model))
    x = ops.add(x, ops.position_embed(positions, ids, offset=_POSITION_OFFSET))
    return layer_norm(ops, w, x, f"{part}.layernorm_embedding", c.d_model, _EPS)


def _projections(w: Weights, p: str, h: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(w.get(f"{p}.{m}_proj.weight", (h, h)), w.get(f"{p}.{m}_proj.bias", (h,))) for m in ("q", "k", "v")]


def _feed_forward(ops, w: Weights, c: BartConfig, p: str, x, width: int):
    f = linear(ops, w, x, f"{p}.fc1", width, c.d_model, activation=c.activation_function)
    return dense_add_norm(ops, w, f, x, f"{p}.fc2", f"{p}.final_layer_norm", c.d_model, width, _EPS)


def encoder_layer(ops, w: Weights, c: BartConfig, i: int, x, mask):
    p, h, n = f"encoder.layers.{i}", c.d_model, c.encoder_attention_heads
    a = ops.self_attention(x, _projections(w, f"{p}.self_attn", h), mask, n, h // n)  # (B, T, H)
    x = dense_add_norm(ops, w, a, x, f"{p}.self_attn.out_proj", f"{p}.self_attn_layer_norm", h, h, _EPS)
    return _feed_forward(ops, w, c, p, x, c.encoder_ffn_dim)


def _attend(ops, w: Weights, c: BartConfig, p: str, queries, keys_from, mask):
    """LayerNorm(out_proj(attention) + queries) of attention block `p` (self_attn, encoder_attn): its
    queries from `queries`, keys and values from `keys_from` where `mask` (B, T) is 1."""
    h, n = c.d_model, c.decoder_attention_heads
    (wq, bq), (wk, bk), (wv, bv) = _projections(w, p, h)
    a = ops.attention(ops.linear(queries, wq, bq), ops.linear(keys_from, wk, bk), ops.linear(keys_from, wv, bv), mask, n, h // n)
    return dense_add_norm(ops, w, a, queries, f"{p}.out_proj", f"{p}_layer_norm", h, h, _EPS)


def decoder_layer(ops, w: Weights, c: BartConfig, i: int, y, memory, mask):
    """Causal self-attention, cross-attention to the encoder's `memory` over its real tokens, FFN; each post-LN."""
    p, h, n = f"decoder.layers.{i}", c.d_model, c.decoder_attention_heads
    a = ops.causal_self_attention(y, _projections(w, f"{p}.self_attn", h), n, h // n)
    y = dense_add_norm(ops, w, a, y, f"{p}.self_attn.out_proj", f"{p}.self_attn_layer_norm", h, h, _EPS)
    y = _attend(ops, w, c, f"{p}.encoder_attn", y, memory, mask)
    return _feed_forward(ops, w, c, p, y, c.decoder_ffn_dim)


def last_row_layer(ops, w: Weights, c: BartConfig, i: int, y, memory, mask, ids):
    """decoder_layer for one row per text, the one at its last </s> (B, 1, H): all a sequence
    classifier reads of the last layer. That row's query sees the keys up to its position, as the
    causal mask lets it; keys, values and the cross-attention's memory stay every row's."""
    p = f"decoder.layers.{i}"
    row = ops.last_match(y, ids, c.eos_token_id)  # (B, 1, H)
    row = _attend(ops, w, c, f"{p}.self_attn", row, y, ops.through_last_match(ids, c.eos_token_id))
    row = _attend(ops, w, c, f"{p}.encoder_attn", row, memory, mask)
    return _feed_forward(ops, w, c, p, row, c.decoder_ffn_dim)


def encoder_decoder(ops, w: Weights, c: BartConfig, last_row: bool = False):
    """-> (decoder's last hidden state, encoder's), each (B, T, H); `last_row`: the decoder's row at
    each text's last </s> alone, (B, 1, H) (its last layer computes that row only: ~7% of a
    bart-base-sized classifier's work saved).
    Recorded in order (split_records names them): hidden states, the encoder's embeddings and each of
    its layers, then the decoder's; attentions, each encoder layer's, then each decoder layer's self-
    and cross-attention."""
    for part in ("encoder.version", "decoder.version"):  # fairseq's leftovers, which transformers ignores too
        w.skip(part)
    ids, mask = ops.input("input_ids"), ops.input("attention_mask")
    x = embeddings(ops, w, c, ids, "encoder")
    ops.hidden(x)
    for i in range(c.encoder_layers):
        x = encoder_layer(ops, w, c, i, x, mask)
        ops.hidden(x)
    y = embeddings(ops, w, c, ops.shift_right(ids, c.decoder_start_token_id), "decoder")
    ops.hidden(y)
    for i in range(c.decoder_layers):
        last = last_row and i == c.decoder_layers - 1
        y = last_row_layer(ops, w, c, i, y, x, mask, ids) if last else decoder_layer(ops, w, c, i, y, x, mask)
        ops.hidden(y)
    if last_row and c.decoder_layers == 0:
        y = ops.last_match(y, ids, c.eos_token_id)
    return y, x


def base(ops, w: Weights, c: BartConfig) -> None:
    decoded, encoded = encoder_decoder(ops, w, c)
    ops.output("last_hidden_state", decoded)
    ops.output("encoder_last_hidden_state", encoded)


def sequence_classification(ops, w: Weights, c: BartConfig) -> None:
    """BartClassificationHead over the decoder's row at each text's last </s>: dense, tanh, out_proj.
    Recorded calls run the decoder's last layer on every row (transformers' hidden states hold them all)."""
    every_row = ops.keeps_every_row
    decoded, encoded = encoder_decoder(ops, w, c, last_row=not every_row)
    if every_row:
        decoded = ops.last_match(decoded, ops.input("input_ids"), c.eos_token_id)  # (B, 1, H)
    ops.extra("encoder_last_hidden_state", encoded)
    row, h = ops.first_token(decoded), c.d_model  # (B, H)
    row = linear(ops, w, row, "classification_head.dense", h, h, head=True, activation="tanh")
    ops.output("logits", linear(ops, w, row, "classification_head.out_proj", c.num_labels, h, head=True))


def masked_lm(ops, w: Weights, c: BartConfig) -> None:
    """BartForConditionalGeneration's logits, what fill-mask reads: the decoder's rows times the token
    table (`lm_head`, tied to `shared`) plus `final_logits_bias` (zeros when a checkpoint lacks it, as
    transformers initializes it)."""
    decoded, encoded = encoder_decoder(ops, w, c)
    ops.extra("encoder_last_hidden_state", encoded)
    table = w.get("lm_head.weight", (c.vocab_size, c.d_model), head=True) if w.has("lm_head.weight", head=True) else token_table(w, c)
    bias = (w.get("final_logits_bias", (1, c.vocab_size), head=True).reshape(-1) if w.has("final_logits_bias", head=True)
            else np.zeros(c.vocab_size, dtype=np.float32))
    ops.output("logits", ops.linear(decoded, table, bias))  # (B, T, V)


def _no_generation(self, *_args, **_kwargs):
    raise InputError("leanpipe's BartForConditionalGeneration computes logits (fill-mask: pipeline('fill-mask', model=...)); "
                     "it does not generate text (summarization, translation): use transformers for generate()")


def question_answering(ops, w: Weights, c: BartConfig) -> None:
    decoded, encoded = encoder_decoder(ops, w, c)
    ops.extra("encoder_last_hidden_state", encoded)
    span_logits(ops, w, decoded, c.d_model)


# transformers' output classes: the head's outputs, then the decoder's and encoder's parts (outputs.Seq2SeqOutput)
OUTPUTS = {"base": Seq2SeqModelOutput, "sequence-classification": Seq2SeqSequenceClassifierOutput,
           "question-answering": Seq2SeqQuestionAnsweringModelOutput, "masked-lm": Seq2SeqLMOutput}


def split_records(outputs: dict, c: BartConfig) -> dict:
    """A recorded call's `hidden_states` and `attentions` (in encoder_decoder's order) -> transformers'
    fields: encoder_hidden_states (embeddings + each encoder layer), decoder_hidden_states (the same for
    the decoder), encoder_attentions, decoder_attentions and cross_attentions (one per layer each).
    With 2 encoder and 1 decoder layers: attentions (e0, e1, d0, x0) -> (e0, e1), (d0,), (x0,)."""
    outputs, n = dict(outputs), c.encoder_layers
    if "hidden_states" in outputs:
        hidden = outputs.pop("hidden_states")
        outputs["encoder_hidden_states"], outputs["decoder_hidden_states"] = hidden[:n + 1], hidden[n + 1:]
    if "attentions" in outputs:
        probs = outputs.pop("attentions")
        outputs["encoder_attentions"], outputs["decoder_attentions"], outputs["cross_attentions"] = (
            probs[:n], probs[n::2], probs[n + 1::2])
    return outputs


MODEL_METHODS = {"masked-lm": {"generate": _no_generation}}
