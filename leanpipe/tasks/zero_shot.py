"""zero-shot-classification: an NLI model scores "premise entails 'This example is {label}.'" per label,
as transformers' ZeroShotClassificationPipeline.

pipe("I love this film", candidate_labels=["cinema", "sports"])
-> {"sequence": "I love this film", "labels": ["cinema", "sports"], "scores": [0.93, 0.07]}
Each premise x label pair is one chunk of the premise's Sample.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from tokenizers import Encoding

from ..errors import ConfigError, InputError, TokenizerError
from ..functional import softmax
from ..pipeline import Pipeline
from .base import Sample, Task

DEFAULT_TEMPLATE = "This example is {}."


class ZeroShotClassificationPipeline(Pipeline):
    """pipeline("zero-shot-classification"), named as in transformers."""


class ZeroShotClassification(Task):
    name = "zero-shot-classification"
    head = "sequence-classification"
    default_model = ("facebook/bart-large-mnli", "d7645e1")
    pipeline_class = ZeroShotClassificationPipeline
    parameters = {"candidate_labels": None, "hypothesis_template": DEFAULT_TEMPLATE, "multi_label": False}

    def __init__(self, model: Any, tokenizer: Any) -> None:
        super().__init__(model, tokenizer)
        self.entailment_id = entailment_id(model.config, model.name_or_path)

    def gather_args(self, inputs: Any, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        # transformers: pipe(sequences, candidate_labels) is pipe(sequences, candidate_labels=...)
        if len(args) == 1 and "candidate_labels" not in params:
            params["candidate_labels"] = args[0]
            return inputs
        raise TypeError(f"zero-shot-classification takes pipe(sequences, candidate_labels, ...); got extra arguments {args!r:.120}")

    def encode(self, inputs: Sequence[Any], params: dict[str, Any]) -> list[Sample]:
        labels = parse_labels(params["candidate_labels"])
        hypotheses = make_hypotheses(params["hypothesis_template"], labels)
        for text in inputs:
            if not isinstance(text, str) or not text:
                raise InputError(f"zero-shot-classification classifies non-empty strings, got {text!r:.80}")
        premises = [text for text in inputs for _ in labels]
        encodings = self._encode_pairs(premises, hypotheses * len(inputs), labels * len(inputs))
        n = len(labels)
        return [Sample(encodings[i * n:(i + 1) * n], data=(text, labels)) for i, text in enumerate(inputs)]

    def _encode_pairs(self, premises: list[str], hypotheses: list[str], labels: list[Any]) -> list[Encoding]:
        """Premise + hypothesis, truncating only the premise (the hypothesis carries the label)."""
        try:
            return self.tokenizer.encode_batch_raw(premises, hypotheses, truncation="only_first")
        except TokenizerError as exc:
            if "too short" not in str(exc):
                raise
        # transformers: when even the whole premise cannot make room for a hypothesis, do not truncate
        return [self._encode_pair(p, h, label) for p, h, label in zip(premises, hypotheses, labels)]

    def _encode_pair(self, premise: str, hypothesis: str, label: Any) -> Encoding:
        try:
            return self.tokenizer.encode_batch_raw([premise], [hypothesis], truncation="only_first")[0]
        except TokenizerError as exc:
            if "too short" not in str(exc):
                raise
        encoding = self.tokenizer.encode_batch_raw([premise], [hypothesis], truncation=False)[0]
        limit = self.model.config.max_position_embeddings
        if len(encoding) > limit:
            raise InputError(
                f"the hypothesis for label {label!r} ({hypothesis!r:.60}) is too long: with its premise it has "
                f"{len(encoding)} tokens and the model takes {limit}; shorten the label or the hypothesis_template"
            )
        return encoding

    def postprocess(self, sample: Sample, params: dict[str, Any]) -> Any:
        text, labels = sample.data
        logits = np.stack([out["logits"] for out in sample.outputs])  # (L, C): one row per label
        scores = label_scores(logits, self.entailment_id, bool(params["multi_label"]))  # (L,)
        order = np.argsort(scores)[::-1]  # best first; transformers reverses numpy's argsort too
        return {"sequence": text, "labels": [labels[i] for i in order], "scores": [float(scores[i]) for i in order]}


def label_scores(logits: np.ndarray, entail: int, multi_label: bool) -> np.ndarray:
    """(L, C) NLI logits -> (L,) scores. One label or multi_label: each label's own softmax over
    [contradiction, entailment]; otherwise a softmax of the entailment logits across the labels."""
    if multi_label or len(logits) == 1:
        contradiction = -1 if entail == 0 else 0  # transformers' choice: the first class, or the last
        return softmax(logits[:, [contradiction, entail]], dim=-1)[:, 1]  # (L,)
    return softmax(logits[:, entail], dim=-1)  # (L,)


def entailment_id(config: Any, name: str) -> int:
    """The id of the first label2id label starting with "entail" (any case), as transformers finds it."""
    for label, i in config.label2id.items():
        if str(label).lower().startswith("entail"):
            return int(i)
    raise ConfigError(
        f"zero-shot-classification needs an NLI model with an 'entailment' label; {name!r} has labels "
        f"{list(config.label2id)}. Use an NLI checkpoint, or name its labels in config.json's label2id/id2label"
    )


def parse_labels(candidate_labels: Any) -> list[Any]:
    """A list as given, or a comma-separated string split and stripped: "a, b,,c" -> ["a", "b", "c"]."""
    if candidate_labels is None:
        raise TypeError('zero-shot-classification needs candidate_labels, e.g. pipe(text, candidate_labels=["sports", "politics"])')
    if isinstance(candidate_labels, str):
        labels = [label.strip() for label in candidate_labels.split(",") if label.strip()]
    else:
        labels = list(candidate_labels)
    if not labels:
        raise InputError(f"candidate_labels={candidate_labels!r} holds no label; pass at least one, e.g. ['sports', 'politics']")
    return labels


def make_hypotheses(template: str, labels: list[Any]) -> list[str]:
    """"This example is {}." x ["sports"] -> ["This example is sports."]; a template without {} is refused
    (checked with the first label, as transformers does)."""
    if not isinstance(template, str):
        raise InputError(f"hypothesis_template must be a string with {{}} for the label, got {template!r:.80}")
    try:
        hypotheses = [template.format(label) for label in labels]
    except (IndexError, KeyError, ValueError) as exc:
        raise InputError(f"hypothesis_template {template!r} cannot be formatted ({exc!r}); use one {{}} where the label goes") from None
    if hypotheses[0] == template:
        raise InputError(f"hypothesis_template {template!r} has no {{}} for the label; write it like {DEFAULT_TEMPLATE!r}")
    return hypotheses
