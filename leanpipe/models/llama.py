"""Llama's decoder as an encoder (model_type "llama": LlamaModel and LlamaForSequenceClassification / TokenClassification /
QuestionAnswering checkpoints) against the ops of leanpipe.engine (modeling_llama).

Qwen 3's network (leanpipe.models.qwen3) as the config shapes it (config.llama.LlamaConfig): no per-head q / k norms,
biases on the q / k / v / o projections with attention_bias and on the MLP with mlp_bias, every layer causal,
rotary positions 0..T-1 (rope_type default, linear or llama3); the classifier reads the last token that is not the
pad id. Names as the checkpoint's, `layers.0.self_attn.q_proj.weight`, bare or under `model.` (`transformer.` for
the question-answering head).
"""

from __future__ import annotations

from .qwen3 import (HEAD_PREFIXES, INPUT_NAMES, PADDING_SIDE_FREE, PREFIX, PROBE, WORD_EMBEDDINGS,  # noqa: F401  (the family's table)
                    base, check_feeds, max_positions, question_answering, sequence_classification, token_classification)
