"""Qwen 2's decoder as an encoder (model_type "qwen2": Qwen2ForSequenceClassification / TokenClassification /
QuestionAnswering checkpoints, Qwen2Model) against the ops of leanpipe.engine (modeling_qwen2).

Qwen 3's network (leanpipe.models.qwen3) without its per-head q_norm / k_norm, with biases on the q, k and v
projections (none on o_proj) and head_dim = hidden_size / num_attention_heads: the config decides both
(config.qwen.Qwen2Config). Causal, rotary positions 0..T-1, sliding layers where layer_types says; the
classifier reads the last token that is not the pad id. Names as the checkpoint's, `layers.0.self_attn.q_proj.bias`,
bare or under `model.` (`transformer.` for the question-answering head).
"""

from __future__ import annotations

from .qwen3 import (HEAD_PREFIXES, INPUT_NAMES, PADDING_SIDE_FREE, PREFIX, PROBE, WORD_EMBEDDINGS,  # noqa: F401  (the family's table)
                    base, check_feeds, max_positions, question_answering, sequence_classification, token_classification)
