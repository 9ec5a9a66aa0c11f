"""Comparison helpers the family parity tests share: encodings, nested results, pipelines."""

from __future__ import annotations

import numpy as np
import transformers

import leanpipe

ATOL = 1e-4


def plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def assert_same_encoding(ours, theirs, what):
    assert list(ours.keys()) == list(theirs.keys()), what
    for key in theirs:
        assert plain(ours[key]) == plain(theirs[key]), f"{what}: {key}"
    for mine, ref in zip(ours.encodings, theirs.encodings, strict=True):
        assert (mine.tokens, mine.word_ids, mine.sequence_ids) == (ref.tokens, ref.word_ids, ref.sequence_ids), what


def same(ours, theirs, where="result"):
    """Recursive equality: strings and ints exact, floats within ATOL (transformers' NER scores are np.float32)."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), f"{where}: {ours!r} vs {theirs!r}"
        for k in theirs:
            same(ours[k], theirs[k], f"{where}.{k}")
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: {ours!r} vs {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, (float, np.floating)):  # transformers' NER scores are np.float32
        assert abs(ours - theirs) <= ATOL, f"{where}: {ours} vs {theirs} (diff {abs(ours - theirs):.3g})"
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"


PIPELINE_TEXTS = ["I've been waiting for a HuggingFace course my whole life.", "I hate this so much!",
                  "Ångström café naïve 中文字符 👍🏽", "short"]


def both_pipelines(task, folder):
    return leanpipe.pipeline(task, model=folder), transformers.pipeline(task, model=str(folder))
