"""I-BERT (model_type "ibert": kssteven/ibert-roberta-base / -large and their fine-tunes) against the
ops of leanpipe.engine.

modeling_ibert is RoBERTa built from quantization-aware modules (QuantLinear, IntGELU, IntSoftmax,
IntLayerNorm, ...). With quant_mode false, the released checkpoints' setting, each of them runs its
float operation (linear, erf GELU, softmax, layer norm) and the model is RoBERTa under the prefix
`ibert.` (max abs 3e-8 from transformers' RobertaModel on the same weights); that is what leanpipe
runs, with RoBERTa's heads (its masked-LM decoder untied, weight and bias: transformers 5.2 ties neither for I-BERT).
quant_mode true (integer-only arithmetic) is refused by IBertConfig. The checkpoints also hold the
quantization buffers, which the float path never reads: they are forgotten at load (UNREAD_BUFFERS).
"""

from __future__ import annotations

from . import roberta
from .roberta import INPUT_NAMES, max_positions  # noqa: F401  (RoBERTa's inputs and positions)
from .variants import heads_of

PREFIX = "ibert"
# QuantLinear / QuantEmbedding / QuantAct / IntSoftmax / IntLayerNorm buffers (quant mode only)
UNREAD_BUFFERS = ("weight_integer", "bias_integer", "weight_scaling_factor", "fc_scaling_factor", "act_scaling_factor",
                  ".x_min", ".x_max", ".shift")

# its embeddings are QuantEmbedding modules, not nn.Embedding: transformers' num_parameters(exclude_embeddings=True)
# keeps them, and so does leanpipe's
EMBEDDING_TABLES: frozenset[str] = frozenset()

base, sequence_classification, token_classification, question_answering = heads_of(
    roberta, names=("base", "sequence_classification", "token_classification", "question_answering"))
(multiple_choice,) = heads_of(roberta, names=("multiple_choice",))


def masked_lm(ops, w, c) -> None:
    """RoBERTa's LM head as transformers 5.2's IBertLMHead runs it: the decoder's own weight and bias;
    `lm_head.bias`, a parameter its forward never reads, is held and counted as there."""
    roberta.masked_lm(ops, w, c, bias_names=("lm_head.decoder.bias", "lm_head.bias"))
    if w.has("lm_head.bias", head=True):
        w.skip("lm_head.bias", head=True)
