"""MegatronBERT (model_type "megatron-bert": NVIDIA's Megatron-LM BERTs converted to transformers,
IDEA-CCNL/Erlangshen-MegatronBert-*) against the ops of leanpipe.engine.

modeling_megatron_bert is BERT with its LayerNorms moved: none on the embeddings (word + token type
+ absolute position), one before self-attention (`attention.ln`) and one before the FFN (the layer's
`ln`) in each pre-LN layer, RoBERTa-PreLayerNorm's layout, and a final `encoder.ln`. Pooler and heads
are BERT's. Tensor names are the checkpoint's own: `bert.encoder.layer.0.attention.ln.weight`.
"""

from __future__ import annotations

from ..config import MegatronBertConfig
from ..weights import Weights
from . import bert, roberta_prelayernorm
from .bert import INPUT_NAMES, PREFIX  # noqa: F401  (BERT's inputs and prefix)
from .roberta_prelayernorm import Norms
from .variants import heads_of

MEGATRON = Norms(attention="attention.ln", feed_forward="ln", final="encoder.ln", embeddings=False)


def encoder(ops, w: Weights, c: MegatronBertConfig, first_only: bool = False, embed=None):
    """input_ids, token_type_ids, attention_mask -> final-normed hidden state (B, T, H), every row
    (`first_only` is BERT's saving for post-LN layers; these layers end in the final norm)."""
    return roberta_prelayernorm.layers(ops, w, c, MEGATRON, bert.embedding_sum(ops, w, c))


base, sequence_classification, token_classification, question_answering, masked_lm = heads_of(bert, encode=encoder)
multiple_choice, next_sentence_prediction, pre_training = heads_of(
    bert, encode=encoder, names=("multiple_choice", "next_sentence_prediction", "pre_training"))
