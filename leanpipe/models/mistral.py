"""Mistral's decoder as an encoder (model_type "mistral": MistralModel and MistralForSequenceClassification / TokenClassification /
QuestionAnswering checkpoints) against the ops of leanpipe.engine (modeling_mistral).

Qwen 3's network (leanpipe.models.qwen3) as the config shapes it (config.llama.MistralConfig): no per-head q / k norms,
no biases, every layer seeing the last sliding_window tokens (null: all before it),
rotary positions 0..T-1 (rope_type default, linear or llama3); the classifier reads the last token that is not the
pad id. Names as the checkpoint's, `layers.0.self_attn.q_proj.weight`, bare or under `model.` (its question-answering
head's too).
"""

from __future__ import annotations

from .qwen3 import (INPUT_NAMES, PADDING_SIDE_FREE, PREFIX, PROBE, WORD_EMBEDDINGS,  # noqa: F401  (the family's table)
                    base, check_feeds, max_positions, question_answering, sequence_classification, token_classification)

HEAD_PREFIXES: dict[str, str] = {}  # MistralForQuestionAnswering keeps its base model under `model.`, unlike Llama's and Qwen's
