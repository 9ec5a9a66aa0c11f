"""RoBERTa (and XLM-RoBERTa, the same architecture) against the ops of leanpipe.engine.

BERT's layers with two differences (modeling_roberta): position ids count only non-pad tokens and
start after `pad_token_id` (pads keep position `pad_token_id`), and the heads read `<s>` through
`classifier.dense` + tanh + `classifier.out_proj` / an `lm_head` with its own dense + GELU + LayerNorm.
Tensor names are the checkpoint's own: `roberta.embeddings.word_embeddings.weight`, `lm_head.dense`.
Shapes: B batch, T tokens, H hidden, E embedding width, V vocabulary, L labels.
"""

from __future__ import annotations

from ..config import RobertaConfig
from ..errors import CheckpointError
from ..weights import Weights
from .heads import choice_logits, span_logits, token_logits
from .bert import layer_norm, layers, linear, pooler

PREFIX = "roberta"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def max_positions(c: RobertaConfig) -> int:
    """Longest input: positions run pad_token_id+1 .. T+pad_token_id (514 - 1 - 1 = 512 for roberta-base)."""
    return c.max_position_embeddings - c.pad_token_id - 1


def embeddings(ops, w: Weights, c: RobertaConfig):
    ids, h = ops.input("input_ids"), c.hidden_size
    x = ops.embed(w.get("embeddings.word_embeddings.weight", (c.vocab_size, h)), ids)  # (B, T, H)
    types = w.get("embeddings.token_type_embeddings.weight", (c.type_vocab_size, h))
    x = ops.add(x, ops.embed(types, ops.input("token_type_ids")))
    positions = ops.position_ids_from_mask(ids, c.pad_token_id)  # (B, T): pad+1, pad+2, ...; pads stay pad
    x = ops.add(x, ops.embed(w.get("embeddings.position_embeddings.weight", (c.max_position_embeddings, h)), positions))
    return layer_norm(ops, w, x, "embeddings.LayerNorm", h, c.layer_norm_eps)


def encoder(ops, w: Weights, c: RobertaConfig, first_only: bool = False):
    """input_ids, token_type_ids, attention_mask -> last hidden state (B, T, H); BERT's layers
    (`first_only`: the `<s>` row alone, (B, 1, H), as bert.encoder)."""
    return layers(ops, w, c, embeddings(ops, w, c), first_only)


def classification_head(ops, w: Weights, x, hidden: int, labels: int, activation: str):
    """`<s>` -> classifier.dense + activation -> classifier.out_proj: (B, T, H) -> (B, L).

    RoBERTa uses tanh; ELECTRA the same head with GELU (ElectraClassificationHead).
    """
    first = linear(ops, w, ops.first_token(x), "classifier.dense", hidden, hidden, head=True, activation=activation)
    return linear(ops, w, first, "classifier.out_proj", labels, hidden, head=True)  # (B, L)


def tied_decoder(ops, w: Weights, x, name: str, bias_names: tuple[str, ...], vocab: int, width: int,
                 *, head_registered_first: bool = False):
    """Project (B, T, E) onto the vocabulary with `{name}.weight`, or the word embeddings it is tied to
    when the checkpoint leaves it out; the bias is the first of `bias_names` present -> (B, T, V).
    `head_registered_first`: transformers' model builds its LM head before the encoder (XLM-R, CamemBERT),
    so the tied table's parameter is named `{name}.weight` (num_parameters(exclude_embeddings=True) counts it)."""
    weight = f"{name}.weight"
    if w.has(weight, head=True):
        table = w.get(weight, (vocab, width), head=True)  # (V, E)
    else:
        table = w.get("embeddings.word_embeddings.weight", (vocab, width))
        if head_registered_first:
            w.count_as("embeddings.word_embeddings.weight", weight)
    bias = next((b for b in bias_names if w.has(b, head=True)), bias_names[-1])
    return ops.linear(x, table, w.get(bias, (vocab,), head=True))


def base(ops, w: Weights, c: RobertaConfig) -> None:
    x = encoder(ops, w, c)
    ops.output("last_hidden_state", x)
    if w.has("pooler.dense.weight"):  # RobertaModel(add_pooling_layer=False) and task checkpoints have none
        ops.output("pooler_output", pooler(ops, w, c, x))


def sequence_classification(ops, w: Weights, c: RobertaConfig) -> None:
    x = encoder(ops, w, c, first_only=True)  # (B, 1, H): the head reads <s> only; dropout is identity
    ops.output("logits", classification_head(ops, w, x, c.hidden_size, c.num_labels, "tanh"))  # (B, L)


def multiple_choice(ops, w: Weights, c: RobertaConfig) -> None:
    """RobertaForMultipleChoice: the pooler (tanh(dense(<s>))), not the sequence classifier's head, then
    `classifier` (1, H) per (text, choice) row -> (B * C, 1). XLM-RoBERTa's and CamemBERT's too, as
    transformers 4 ran them: transformers 5.2 builds those two without a pooler and then fails reading
    its output (IndexError), so a checkpoint they saved has no pooler and is refused here."""
    if not w.has("pooler.dense.weight"):
        raise CheckpointError(f"{w.source} has no pooler ({w.base_key('pooler.dense.weight')}), which a RoBERTa-style "
                              f"multiple-choice head reads; transformers 5.2's XLMRobertaForMultipleChoice and "
                              f"CamembertForMultipleChoice save none (and fail to run); use a checkpoint trained with "
                              f"its pooler (transformers 4 saved one)")
    choice_logits(ops, w, pooler(ops, w, c, encoder(ops, w, c, first_only=True)), c.hidden_size)


def token_classification(ops, w: Weights, c: RobertaConfig) -> None:
    x = encoder(ops, w, c)  # (B, T, H)
    token_logits(ops, w, x, c.num_labels, c.hidden_size)


def question_answering(ops, w: Weights, c: RobertaConfig) -> None:
    span_logits(ops, w, encoder(ops, w, c), c.hidden_size)


def masked_lm(ops, w: Weights, c: RobertaConfig, *, bias_names: tuple[str, ...] = ("lm_head.bias", "lm_head.decoder.bias"),
              head_registered_first: bool = False) -> None:
    """RobertaLMHead: dense + erf GELU + layer_norm, then the decoder tied to the word embeddings
    (its own weight when the checkpoint has one); the bias is the first of `bias_names` it has."""
    h = c.hidden_size
    x = linear(ops, w, encoder(ops, w, c), "lm_head.dense", h, h, head=True, activation="gelu")  # gelu is erf GELU
    x = ops.layer_norm(x, w.get("lm_head.layer_norm.weight", (h,), head=True),
                       w.get("lm_head.layer_norm.bias", (h,), head=True), c.layer_norm_eps)
    ops.output("logits", tied_decoder(ops, w, x, "lm_head.decoder", bias_names, c.vocab_size, h,
                                      head_registered_first=head_registered_first))
