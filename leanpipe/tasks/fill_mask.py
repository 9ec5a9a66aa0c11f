"""fill-mask: the masked-LM's best tokens for each mask token, as transformers' FillMaskPipeline.

pipe("Paris is the [MASK] of France.", top_k=2)
-> [{"score": 0.9, "token": 3007, "token_str": "capital", "sequence": "paris is the capital of france."}, {...}]
Several masks in one text give one such list per mask (and sequences that keep the special tokens).
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from ..functional import softmax
from ..pipeline import Pipeline
from .base import Sample, Task

logger = logging.getLogger(__name__)

TOKENIZER_KWARGS = ("truncation", "max_length", "add_special_tokens")  # what tokenizer_kwargs may hold


class FillMaskPipeline(Pipeline):
    """pipeline("fill-mask"), named as in transformers."""


class FillMask(Task):
    name = "fill-mask"
    head = "masked-lm"
    token_outputs = frozenset({"logits"})
    default_model = ("distilbert/distilroberta-base", "fb53ab8")
    pipeline_class = FillMaskPipeline
    parameters = {"top_k": 5, "targets": None, "tokenizer_kwargs": None}

    def __init__(self, model: Any, tokenizer: Any) -> None:
        super().__init__(model, tokenizer)
        if tokenizer.mask_token_id is None:
            raise InputError(
                f"the tokenizer of {model.name_or_path!r} defines no mask_token; fill-mask needs the tokenizer "
                "saved with a masked-language model"
            )

    def gather_inputs(self, inputs: Any, params: dict[str, Any]) -> Any:
        # transformers reads top_k=None / targets=None / tokenizer_kwargs=None as "not given".
        for key in ("top_k", "targets", "tokenizer_kwargs"):
            if key in params and params[key] is None:
                del params[key]
        return super().gather_inputs(inputs, params)

    def encode(self, inputs: Sequence[Any], params: dict[str, Any]) -> list[Sample]:
        for text in inputs:
            if not isinstance(text, str):
                raise InputError(f"fill-mask takes a string or a list of strings, got {type(text).__name__}: {text!r:.80}")
        encodings = self.tokenizer.encode_batch_raw(list(inputs), **tokenizer_options(params["tokenizer_kwargs"]))
        targets = None if params["targets"] is None else target_ids(self.tokenizer, params["targets"])
        return [Sample([enc], data=(self._mask_positions(text, enc.ids), targets)) for text, enc in zip(inputs, encodings)]

    def _mask_positions(self, text: str, ids: list[int]) -> np.ndarray:
        positions = np.flatnonzero(np.asarray(ids) == self.tokenizer.mask_token_id)  # (M,)
        if positions.size == 0:
            mask = self.tokenizer.mask_token
            raise InputError(f"no mask token ({mask}) found in the input {text!r:.80}; write {mask} where a word should be filled in")
        return positions

    def postprocess(self, sample: Sample, params: dict[str, Any]) -> Any:
        positions, targets = sample.data
        probs = softmax(sample.outputs[0]["logits"][positions], dim=-1)  # (M, V): only the mask rows
        if targets is not None:
            probs = probs[:, targets]  # (M, K), not renormalized (as transformers)
        top_k = self.parameters["top_k"] if params["top_k"] is None else params["top_k"]  # None: the default
        if targets is not None:
            top_k = min(top_k, len(targets))
        if top_k > probs.shape[1]:
            raise InputError(f"top_k={top_k} is larger than the vocabulary ({probs.shape[1]} tokens); lower top_k")
        best = np.argsort(-probs, axis=-1, kind="stable")[:, :top_k]  # (M, k) columns of probs, best first
        tokens = best if targets is None else np.asarray(targets)[best]  # (M, k) vocabulary ids
        ids = np.asarray(sample.chunks[0].ids)  # (T,)
        single_mask = len(positions) == 1
        rows = [
            [self._proposal(ids, pos, int(t), float(probs[m, j]), single_mask) for j, t in zip(best[m], tokens[m])]
            for m, pos in enumerate(positions)
        ]
        return rows[0] if single_mask else rows

    def _proposal(self, ids: np.ndarray, position: int, token: int, score: float, single_mask: bool) -> dict[str, Any]:
        filled = ids.copy()
        filled[position] = token
        if self.tokenizer.pad_token_id is not None:  # transformers drops padding before decoding
            filled = filled[filled != self.tokenizer.pad_token_id]
        # with several masks transformers keeps the special tokens, so the other masks stay visible
        sequence = self.tokenizer.decode(filled.tolist(), skip_special_tokens=single_mask)
        return {"score": score, "token": token, "token_str": self.tokenizer.decode([token]), "sequence": sequence}

    def finish(self, results: list[Any], inputs: Any, single: bool, call_params: dict[str, Any]) -> Any:
        # transformers unwraps a list of one text as if the text came alone
        return results[0] if single or (isinstance(inputs, (list, tuple)) and len(inputs) == 1) else results


def tokenizer_options(tokenizer_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """tokenizer_kwargs -> encode_batch_raw keywords; transformers' tokenizer defaults (no truncation)."""
    kwargs = dict(tokenizer_kwargs or {})
    unknown = set(kwargs) - set(TOKENIZER_KWARGS)
    if unknown:
        raise InputError(f"tokenizer_kwargs {sorted(unknown)} are not supported; fill-mask takes {list(TOKENIZER_KWARGS)}")
    return {"truncation": kwargs.get("truncation"), "max_length": kwargs.get("max_length"),
            "add_special_tokens": kwargs.get("add_special_tokens", True)}


def target_ids(tokenizer: Any, targets: str | Sequence[str]) -> list[int]:
    """Vocabulary ids of the targets, as transformers picks them: the token itself, or else the first
    sub-token of the target (with a warning); duplicates dropped.  ["paris", "Lyon"] -> [3000, 10287]"""
    if isinstance(targets, str):
        targets = [targets]
    vocab = tokenizer.get_vocab()
    ids: list[int] = []
    for target in targets:
        if target in vocab:
            ids.append(vocab[target])
            continue
        pieces = tokenizer(target, add_special_tokens=False, max_length=1, truncation=True)["input_ids"]
        if not pieces:
            logger.warning(f"The specified target token `{target}` does not exist in the model vocabulary. "
                           "We cannot replace it with anything meaningful, ignoring it")
            continue
        logger.warning(f"The specified target token `{target}` does not exist in the model vocabulary. "
                       f"Replacing with `{tokenizer.convert_ids_to_tokens(pieces[0])}`.")
        ids.append(pieces[0])
    if not ids:
        raise InputError(f"targets={list(targets)!r} name no token of the vocabulary; pass at least one word the model knows")
    return list(dict.fromkeys(ids))
