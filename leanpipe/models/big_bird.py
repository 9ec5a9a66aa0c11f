"""BigBird (model_type "big_bird": google/bigbird-roberta-base / -large and their fine-tunes) against
the ops of leanpipe.engine.

modeling_big_bird is BERT's layout, tensor names and all (`bert.encoder.layer.0.attention.self.query`),
with three differences: gelu_new by default (config.json's hidden_act), the word embeddings times
sqrt(hidden_size) when `rescale_embeddings`, and a pooler that is one Linear (`bert.pooler`, not
`pooler.dense`) which every task model builds, though only multiple choice and pre-training read it.
Its sequence classifier is RoBERTa's head with hidden_act where RoBERTa has tanh.

Attention. Under attention_type "block_sparse" (the released models') transformers runs full
attention on a batch of up to (5 + 2 * num_random_blocks) * block_size tokens (704 for them) and
block-sparse attention past that (modeling_big_bird BigBirdModel.forward): the tokens padded to
whole blocks, each block of queries seeing a few blocks of keys. Its "random" key blocks are drawn
only in training; in eval mode they are all block 0. leanpipe computes exactly that, deciding per
batch (ops.big_bird_attention). Two differences, both about transformers' state rather than its
answers: after one short batch transformers switches the model to full attention for good (later
long batches then run full attention), where leanpipe decides each batch afresh, as a newly loaded
transformers model does; and its hidden_states / attentions past the length keep the block padding
(Tp positions, where last_hidden_state has T), leanpipe's have T. Probabilities recorded for padding
queries there differ (transformers' masks leave those rows partly unmasked; their outputs are zero
in both).

Question answering (BigBirdForQuestionAnswering) has its own head, a BERT FFN block (intermediate,
output with LayerNorm over the residual) before `qa_outputs`, and masks the question: tokens before
the first `config.sep_token_id` (its position + 1, the first token excepted) get 1e6 taken off their
logits, and without token_type_ids those tokens get type 0, the rest type 1 (modeling_big_bird).
"""

from __future__ import annotations

import numpy as np

from ..config import BigBirdConfig
from ..weights import Weights
from . import albert, bert
from .albert import pooler  # ALBERT's pooler is BigBird's: one Linear named `pooler`, then tanh
from .bert import INPUT_NAMES, PREFIX, layer_norm, linear  # noqa: F401  (BERT's inputs and prefix)
from .heads import token_logits

INPUT_NAMES = (*INPUT_NAMES, "question_mask")  # the QA head's, derived from the ids (derived_feeds)
from .roberta import classification_head
from .variants import pooler_unread


def runs_alone_past(c: BigBirdConfig) -> int | None:
    """The longest batch transformers runs with full attention (None: always). Past it a text's blocks
    are laid over its batch's padded length, so pipelines run such texts alone (pipeline.runs_alone_past)."""
    if c.attention_type != "block_sparse":
        return None
    return (5 + 2 * c.num_random_blocks) * c.block_size


def derived_feeds(head: str, feeds: dict[str, np.ndarray], c: BigBirdConfig, *, token_types_given: bool) -> dict[str, np.ndarray]:
    """For question answering: "question_mask" (B, T), 1 on a text's question tokens but the first (the
    positions before its first sep_token_id, + 1), and token_type_ids from it when none were given."""
    if head != "question-answering":
        return {}
    ids = feeds["input_ids"]
    question = np.argmax(ids == c.sep_token_id, axis=1)[:, None] + 1  # (B, 1): no sep -> 1, the first token alone
    mask = (np.arange(ids.shape[1])[None, :] < question).astype(np.int64)  # (B, T)
    types = {} if token_types_given else {"token_type_ids": 1 - mask}
    mask[:, 0] = 0
    return {"question_mask": mask, **types}


def embeddings(ops, w: Weights, c: BigBirdConfig):
    """Word (times sqrt(H) when rescale_embeddings) + token-type + position embeddings, LayerNorm -> (B, T, H)."""
    ids, h = ops.input("input_ids"), c.hidden_size
    x = ops.embed(w.get("embeddings.word_embeddings.weight", (c.vocab_size, h)), ids)  # (B, T, H)
    if c.rescale_embeddings:
        x = ops.mul(x, ops.const(np.array(h ** 0.5, dtype=np.float32)))
    x = ops.add(x, ops.embed(w.get("embeddings.token_type_embeddings.weight", (c.type_vocab_size, h)),
                             ops.input("token_type_ids")))
    x = ops.add(x, ops.position_embed(w.get("embeddings.position_embeddings.weight", (c.max_position_embeddings, h)), ids))
    return layer_norm(ops, w, x, "embeddings.LayerNorm", h, c.layer_norm_eps)


def layer(ops, w: Weights, c: BigBirdConfig, i: int, x, mask, first_only: bool = False):
    """BERT's layer with BigBird's attention (ops.big_bird_attention: full, or block-sparse past its length)
    under attention_type "block_sparse". The first token's row alone is the same either way: transformers'
    first block of queries sees every key."""
    if c.attention_type != "block_sparse" or first_only:
        return bert.layer(ops, w, c, i, x, mask, first_only)
    p, h, n = f"encoder.layer.{i}", c.hidden_size, c.num_attention_heads
    q, v = (linear(ops, w, x, f"{p}.attention.self.{m}", h, h) for m in ("query", "value"))  # (B, T, H) each
    # K's bias adds the same q . b_k to every score of a query, which its softmax takes out (as self_attention)
    k = ops.linear(x, w.get(f"{p}.attention.self.key.weight", (h, h)), None)
    w.get(f"{p}.attention.self.key.bias", (h,))  # held and counted all the same
    a = ops.big_bird_attention(q, k, v, mask, n, h // n, c.block_size, c.num_random_blocks)
    return bert.finish_layer(ops, w, c, p, a, x)


def encoder(ops, w: Weights, c: BigBirdConfig, first_only: bool = False):
    return bert.encoder(ops, w, c, first_only=first_only, embed=embeddings, one_layer=layer)


def base(ops, w: Weights, c: BigBirdConfig) -> None:
    """ALBERT's base: the pooler output where the checkpoint has `pooler` (BigBirdModel(add_pooling_layer=False) has none)."""
    albert.base(ops, w, c, encode=encoder)


@pooler_unread
def sequence_classification(ops, w: Weights, c: BigBirdConfig) -> None:
    """BigBirdClassificationHead on the first token: dense, hidden_act, out_proj -> (B, L)."""
    x = encoder(ops, w, c, first_only=True)  # (B, 1, H)
    ops.output("logits", classification_head(ops, w, x, c.hidden_size, c.num_labels, c.hidden_act))


@pooler_unread
def token_classification(ops, w: Weights, c: BigBirdConfig) -> None:
    token_logits(ops, w, encoder(ops, w, c), c.num_labels, c.hidden_size)


@pooler_unread
def masked_lm(ops, w: Weights, c: BigBirdConfig) -> None:
    """BigBirdOnlyMLMHead: BERT's `cls.predictions` -> (B, T, V)."""
    ops.output("logits", bert.lm_logits(ops, w, c, encoder(ops, w, c)))


@pooler_unread
def question_answering(ops, w: Weights, c: BigBirdConfig) -> None:
    """BigBirdForQuestionAnsweringHead, then 1e6 off the question's logits -> start_logits, end_logits (B, T)."""
    h, n, p = c.hidden_size, c.intermediate_size, "qa_classifier"
    x = encoder(ops, w, c)  # (B, T, H)
    f = linear(ops, w, x, f"{p}.intermediate.dense", n, h, head=True, activation=c.hidden_act)  # (B, T, I)
    y = ops.dense_add_norm(f, w.get(f"{p}.output.dense.weight", (h, n), head=True), w.get(f"{p}.output.dense.bias", (h,), head=True),
                           x, w.get(f"{p}.output.LayerNorm.weight", (h,), head=True),
                           w.get(f"{p}.output.LayerNorm.bias", (h,), head=True), c.layer_norm_eps)
    logits = linear(ops, w, y, f"{p}.qa_outputs", 2, h, head=True)  # (B, T, 2)
    shifted = ops.add(logits, ops.const(np.array(-1e6, dtype=np.float32)))  # logits - 1e6, as logits - mask * 1e6
    start, end = ops.columns(ops.select_rows(ops.input("question_mask"), shifted, logits), 2)
    ops.output("start_logits", start)
    ops.output("end_logits", end)


def multiple_choice(ops, w: Weights, c: BigBirdConfig) -> None:
    """The pooler, then `classifier` (1, H) per (text, choice) row -> (B * C, 1)."""
    pooled = pooler(ops, w, c, encoder(ops, w, c, first_only=True))
    ops.output("logits", linear(ops, w, pooled, "classifier", 1, c.hidden_size, head=True))


def pre_training(ops, w: Weights, c: BigBirdConfig) -> None:
    """BigBirdForPreTraining: the MLM logits (B, T, V) and the next-sentence logits (B, 2) on the pooler."""
    x = encoder(ops, w, c)
    ops.output("prediction_logits", bert.lm_logits(ops, w, c, x))
    ops.output("seq_relationship_logits", linear(ops, w, pooler(ops, w, c, x), "cls.seq_relationship", 2, c.hidden_size,
                                                 head=True))
