"""XLM-RoBERTa-XL / XXL (model_type "xlm-roberta-xl": facebook/xlm-roberta-xl, xlm-roberta-xxl):
RoBERTa-PreLayerNorm's layers under XLM-R's `roberta.` prefix, with the norms named as modeling_xlm_roberta_xl
names them (`attention.self_attn_layer_norm`, the layer's `LayerNorm` before the FFN, `encoder.LayerNorm`
at the end) and no LayerNorm on the embeddings.
"""

from __future__ import annotations

from . import roberta_prelayernorm
from .roberta import INPUT_NAMES, PREFIX, max_positions  # noqa: F401  (XLM-R's inputs, prefix and positions)
from .roberta_prelayernorm import Norms
from .variants import heads_of

XL = Norms(attention="attention.self_attn_layer_norm", feed_forward="LayerNorm", final="encoder.LayerNorm", embeddings=False)

base, sequence_classification, token_classification, question_answering, masked_lm = heads_of(roberta_prelayernorm, norms=XL)
(multiple_choice,) = heads_of(roberta_prelayernorm, norms=XL, names=("multiple_choice",))
