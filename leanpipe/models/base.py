"""A loaded model: config + memory-mapped weights + an engine running one head's definition.

`BertForSequenceClassification.from_pretrained(path)(**tokenizer(texts, return_tensors="np")).logits`
behaves as in transformers, without torch. Inputs may be lists, NumPy arrays or torch tensors;
outputs are NumPy arrays, or torch tensors when the inputs were.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

import numpy as np

from ..config import PretrainedConfig
from ..engine import build_engine
from ..errors import ConfigError
from ..weights import Weights, load_weights_from
from . import inputs
from .outputs import (
    BaseModelOutput,
    MaskedLMOutput,
    ModelOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)

PROBE = "embeddings.word_embeddings.weight"  # bare or prefixed; a family module may name its own PROBE


@dataclass(frozen=True)
class Head:
    """What a task model computes: the definition's function name and its output class."""

    function: str
    output: type[ModelOutput]


HEADS = {
    "base": Head("base", BaseModelOutput),
    "sequence-classification": Head("sequence_classification", SequenceClassifierOutput),
    "token-classification": Head("token_classification", TokenClassifierOutput),
    "question-answering": Head("question_answering", QuestionAnsweringModelOutput),
    "masked-lm": Head("masked_lm", MaskedLMOutput),
}


class PreTrainedModel:
    """A model of one architecture (`family`, a module of leanpipe.models) with one head."""

    family: ClassVar[ModuleType]
    config_class: ClassVar[type[PretrainedConfig]]
    head: ClassVar[str] = "base"
    revision: str | None = None

    def __init__(
        self, config: PretrainedConfig, weights: Weights, *, engine: str = "onnx", num_threads: int | None = None, quantize: str | None = None
    ) -> None:
        self.config, self.engine_kind = config, engine
        definition = getattr(self.family, HEADS[self.head].function)
        self.engine = build_engine(
            lambda ops: definition(ops, weights, config), self.family.INPUT_NAMES, engine, num_threads=num_threads, quantize=quantize
        )
        if engine == "numpy":  # it reads the weights as it runs: run one token now, so load-time checks see them
            self.engine.run(self.check_inputs([[0]]))
        weights.check_unused()

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | os.PathLike,
        *,
        revision: str | None = None,
        config: PretrainedConfig | None = None,
        engine: str = "onnx",
        num_threads: int | None = None,
        quantize: str | None = None,
        **config_overrides: Any,
    ) -> "PreTrainedModel":
        """Load config.json and the safetensors weights from a folder or a hub repo id.

        engine: "onnx" (default) or "numpy"; num_threads: compute threads; quantize: None or "int8".
        """
        config = config or cls.config_class.from_pretrained(name_or_path, revision=revision, **config_overrides)
        if config.model_type != cls.config_class.model_type:
            raise ConfigError(f"{name_or_path} is a {config.model_type!r} model; load it with the Auto classes")
        tensors, source = load_weights_from(name_or_path, revision=revision)
        weights = Weights(tensors, prefix=cls.family.PREFIX, probe=getattr(cls.family, "PROBE", PROBE), source=source)
        model = cls(config, weights, engine=engine, num_threads=num_threads, quantize=quantize)
        model.revision = revision  # tasks read the checkpoint's other files (modules.json ...) at the same revision
        return model

    @property
    def name_or_path(self) -> str:
        return self.config.name_or_path

    def __call__(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        token_type_ids: Any = None,
        *,
        return_dict: bool | None = None,
    ) -> ModelOutput:
        outputs = self.forward(self.check_inputs(input_ids, attention_mask, token_type_ids))
        if any(inputs.is_torch(x) for x in (input_ids, attention_mask, token_type_ids)):
            import torch

            outputs = {k: torch.from_numpy(v) for k, v in outputs.items()}
        return HEADS[self.head].output(outputs)

    def check_inputs(self, input_ids: Any, attention_mask: Any = None, token_type_ids: Any = None) -> dict[str, np.ndarray]:
        """Any supported input kind -> int64 feeds, refused with the fix when they cannot fit this model."""
        c = self.config
        return inputs.prepare(
            input_ids,
            attention_mask,
            token_type_ids,
            vocab_size=c.vocab_size,
            max_positions=self.family.max_positions(c) if hasattr(self.family, "max_positions") else c.max_position_embeddings,
            type_vocab_size=getattr(c, "type_vocab_size", None) or None,  # 0: the model has no token types (DeBERTa-v3)
        )

    def forward(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Checked int64 feeds -> float32 outputs by name; the pipelines call this directly."""
        return self.engine.run(feeds)

    # transformers habits that mean nothing at inference: keep user code running.
    def eval(self) -> "PreTrainedModel":
        return self

    def to(self, *_args: Any, **_kwargs: Any) -> "PreTrainedModel":
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(engine={self.engine_kind!r}, config={self.config.name_or_path or 'default'!r})"
