"""Hostile text: empty and whitespace-only strings, megabyte strings, lone surrogates, NUL and control
characters, zero-width and right-to-left marks, 10,000-item batches, and values that are not text.

Where transformers defines the behaviour, leanpipe's tokenizer output (ids, types, masks, offsets)
and pipeline output are compared with transformers' on the same inputs; elsewhere the answer is a
clear InputError / TypeError that names the input. A property-based test (hypothesis) compares
the MiniLM tokenizer's ids and offsets with transformers' fast tokenizer on generated Unicode text.
"""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest
import transformers

from leanpipe import AutoTokenizer, pipeline
from leanpipe.errors import InputError

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ATOL = 1e-4
MEGABYTE = "word " * 200_000  # 1,000,000 characters
HOSTILE = {
    "empty": "",
    "whitespace": " \t\n\r\u00a0\u2003 ",
    "nul-and-controls": "a\x00b\x01c\x7f d\x1b[31mred\x1b[0m\x08",
    "zero-width": "zero\u200bwidth\u200c join\u200d\ufeffbom \u2060word",
    "right-to-left": "\u202eevil\u202c mixed \u200fשלום\u200e and مرحبا بالعالم",
    "combining": "e\u0301te\u0301 cafe\u0301 \u0041\u030a ñ",
    "emoji": "👍🏽 family 👨‍👩‍👧 flags 🇫🇷 \U0010ffff",
    "cjk": "中文字符和日本語のテキスト",
    "long-word": "x" * 5000,
    "only-specials": "[CLS] [SEP] [MASK] [PAD]",
}


def plain(value):
    """NumPy scalars and tuples -> Python values, for comparison."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def same(ours, theirs, where="answer"):
    ours, theirs = plain(ours), plain(theirs)
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), f"{where}: {ours!r} vs {theirs!r}"
        for k in theirs:
            same(ours[k], theirs[k], f"{where}.{k}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: length {len(ours)} vs {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, float):
        assert abs(ours - theirs) <= ATOL, f"{where}: {ours} vs {theirs} (diff {abs(ours - theirs):.3g})"
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"


@pytest.fixture(scope="module")
def tokenizers(minilm):
    return AutoTokenizer.from_pretrained(minilm), transformers.AutoTokenizer.from_pretrained(str(minilm))


@pytest.fixture(scope="module")
def nli(checkpoints, tmp_path_factory):
    """bert-cls with NLI labels, for zero-shot classification."""
    folder = tmp_path_factory.mktemp("hostile") / "nli"
    shutil.copytree(checkpoints["bert-cls"], folder)
    config = json.loads((folder / "config.json").read_text())
    config["id2label"] = {"0": "contradiction", "1": "neutral", "2": "entailment"}
    config["label2id"] = {"contradiction": 0, "neutral": 1, "entailment": 2}
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture(scope="module")
def pipes(checkpoints, nli):
    """task -> (leanpipe pipeline, transformers pipeline) on the same tiny checkpoint."""
    models = {"text-classification": checkpoints["bert-cls"], "token-classification": checkpoints["bert-tok"],
              "fill-mask": checkpoints["bert-mlm"], "question-answering": checkpoints["bert-qa"],
              "zero-shot-classification": nli, "feature-extraction": checkpoints["bert"]}
    return {task: (pipeline(task, model=folder), transformers.pipeline(task, model=str(folder)))
            for task, folder in models.items()}


def encode_both(tokenizers, texts, pairs=None, **kwargs):
    ours, theirs = tokenizers
    args = (texts,) if pairs is None else (texts, pairs)
    return (ours(*args, return_offsets_mapping=True, **kwargs), theirs(*args, return_offsets_mapping=True, **kwargs))


def assert_same_encoding(ours, theirs, what):
    assert set(ours.keys()) == set(theirs.keys()), what
    for key in theirs.keys():
        assert plain(ours[key]) == plain(theirs[key]), f"{what}: {key} differs"


# --- the tokenizer against transformers -------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HOSTILE))
def test_tokenizer_matches_transformers_on_hostile_text(name, tokenizers):
    text = HOSTILE[name]
    assert_same_encoding(*encode_both(tokenizers, text), f"{name} alone")
    assert_same_encoding(*encode_both(tokenizers, [text, "ok " + text], [text, "x"], padding=True), f"{name} pairs")
    assert_same_encoding(*encode_both(tokenizers, [text], truncation=True, max_length=8, stride=2,
                                      return_overflowing_tokens=True), f"{name} windows")


def test_tokenizer_megabyte_string_truncates_as_transformers(tokenizers):
    ours, theirs = encode_both(tokenizers, MEGABYTE, truncation=True)  # model_max_length: 512
    assert len(ours["input_ids"]) == 512
    assert_same_encoding(ours, theirs, "1 MB, truncation=True")
    start = time.monotonic()
    full = tokenizers[0](MEGABYTE)["input_ids"]  # no truncation: every token, as transformers gives
    assert len(full) == 200_002 and time.monotonic() - start < 10


def test_tokenizer_batch_of_ten_thousand(tokenizers):
    texts = [list(HOSTILE.values())[i % len(HOSTILE)][: i % 97] + str(i) for i in range(10_000)]
    ours, theirs = tokenizers[0](texts, truncation=True, max_length=64), tokenizers[1](texts, truncation=True, max_length=64)
    assert ours["input_ids"] == theirs["input_ids"] and ours["attention_mask"] == theirs["attention_mask"]


def test_lone_surrogates_are_refused_naming_the_input(tokenizers, pipes):
    # transformers refuses them too (TypeError from `tokenizers`); leanpipe says which input and where
    with pytest.raises(TypeError):
        tokenizers[1]("a\ud800b")
    for call in (lambda: tokenizers[0](["fine", "a\ud800b"]), lambda: pipes["text-classification"][0](["fine", "a\ud800b"])):
        with pytest.raises(InputError, match=r"input 1 contains the lone surrogate '\\ud800' at character 1"):
            call()
    with pytest.raises(InputError, match="lone surrogate"):
        tokenizers[0]("ok", "\udfff pair")


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=60),
       pair=st.none() | st.text(st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_property_minilm_tokenizer_ids_and_offsets_match_transformers(text, pair, tokenizers):
    """Any Unicode text (no lone surrogates: they are not text): identical ids, types and offsets."""
    assert_same_encoding(*encode_both(tokenizers, text, pair), repr((text, pair)))


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(texts=st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), min_size=1, max_size=4),
       max_length=st.integers(6, 20), stride=st.integers(0, 3))
def test_property_minilm_batches_with_truncation_and_windows_match_transformers(texts, max_length, stride, tokenizers):
    got = encode_both(tokenizers, texts, padding=True, truncation=True, max_length=max_length, stride=stride,
                      return_overflowing_tokens=True, return_special_tokens_mask=True)
    assert_same_encoding(*got, repr(texts))


# --- pipelines: hostile strings against transformers -----------------------------------------------------------

SHORT_HOSTILE = [name for name in HOSTILE if name != "long-word"]


@pytest.mark.parametrize("name", SHORT_HOSTILE)
def test_text_classification_and_ner_match_transformers_on_hostile_text(name, pipes):
    text = HOSTILE[name]
    ours, theirs = pipes["text-classification"]
    same(ours(text, top_k=None), theirs(text, top_k=None), f"text-classification {name}")
    ours, theirs = pipes["token-classification"]
    for strategy in ("none", "simple"):
        same(ours(text, aggregation_strategy=strategy), theirs(text, aggregation_strategy=strategy), f"ner {name} {strategy}")


@pytest.mark.parametrize("name", ["whitespace", "nul-and-controls", "zero-width", "right-to-left", "emoji"])
def test_other_tasks_match_transformers_on_hostile_text(name, pipes):
    text = HOSTILE[name]
    ours, theirs = pipes["zero-shot-classification"]
    same(ours(text, candidate_labels=["a", "b"]), theirs(text, candidate_labels=["a", "b"]), f"zero-shot {name}")
    ours, theirs = pipes["fill-mask"]
    same(ours(text + " [MASK]"), theirs(text + " [MASK]"), f"fill-mask {name}")
    ours, theirs = pipes["question-answering"]
    same(ours(question="what is it?", context=text), theirs(question="what is it?", context=text), f"qa {name}")
    ours, theirs = pipes["feature-extraction"]
    assert np.abs(np.asarray(ours(text)) - np.asarray(theirs(text))).max() <= ATOL


def test_empty_strings_as_transformers(pipes):
    same(pipes["text-classification"][0](""), pipes["text-classification"][1](""))
    assert pipes["token-classification"][0]("") == [] == pipes["token-classification"][1]("")
    with pytest.raises(InputError):  # transformers: ValueError "at least one label and at least one sequence"
        pipes["zero-shot-classification"][0]("", candidate_labels=["a"])
    with pytest.raises(InputError, match="context"):  # transformers: ValueError "`context` cannot be empty"
        pipes["question-answering"][0](question="what?", context="")
    with pytest.raises(InputError, match="question"):
        pipes["question-answering"][0](question="", context="some text")
    with pytest.raises(InputError, match=r"\[MASK\]"):  # no mask token to fill
        pipes["fill-mask"][0]("")


def test_megabyte_strings(pipes, minilm):
    ours, theirs = pipes["text-classification"]
    with pytest.raises(InputError, match="truncation=True"):  # transformers fails inside torch (index error)
        ours(MEGABYTE)
    same(ours(MEGABYTE, truncation=True, top_k=None), theirs(MEGABYTE, truncation=True, top_k=None), "1 MB classified")
    ours, theirs = pipes["feature-extraction"]
    with pytest.raises(InputError, match="truncation=True"):
        ours(MEGABYTE)
    assert np.abs(np.asarray(ours(MEGABYTE, truncation=True)) - np.asarray(theirs(MEGABYTE, truncation=True))).max() <= ATOL
    ours, theirs = pipes["token-classification"]  # truncates to the model window, as transformers does
    same(ours(MEGABYTE), theirs(MEGABYTE), "1 MB ner")
    embed = pipeline("sentence-embeddings", model=minilm)  # truncates to max_seq_length, as sentence-transformers
    assert np.abs(np.asarray(embed(MEGABYTE)) - np.asarray(embed("word " * 1000))).max() <= 1e-5
    answer = pipes["question-answering"][0](question="which word?", context=MEGABYTE[:100_000])  # strided windows
    assert MEGABYTE[answer["start"]:answer["end"]] == answer["answer"]


def test_batch_of_ten_thousand_in_order(pipes):
    unique = [HOSTILE[name] + f" {i}" for i, name in enumerate(SHORT_HOSTILE)]
    expected = pipes["text-classification"][1](unique, top_k=None)
    texts = [unique[i % len(unique)] for i in range(10_000)]
    start = time.monotonic()
    got = pipes["text-classification"][0](texts, top_k=None, batch_size=64)
    print(f"10,000 texts classified in {time.monotonic() - start:.1f} s")
    assert len(got) == 10_000
    for i in range(0, 10_000, 7):
        same(got[i], expected[i % len(unique)], f"item {i}")


# --- not text at all ----------------------------------------------------------------------------------------------

NOT_TEXT = {"none": None, "int": 5, "float": 1.5, "bytes": b"abc", "nested": [["a", ["b"]]], "list-with-none": ["a", None],
            "list-with-number": ["a", 3], "dict": {"x": 1}, "set": {"a"}}
TASK_CALLS = {
    "text-classification": lambda pipe, x: pipe(x),
    "token-classification": lambda pipe, x: pipe(x),
    "fill-mask": lambda pipe, x: pipe(x),
    "zero-shot-classification": lambda pipe, x: pipe(x, candidate_labels=["a", "b"]),
    "question-answering": lambda pipe, x: pipe(question="what?", context=x),
    "feature-extraction": lambda pipe, x: pipe(x),
}


@pytest.mark.parametrize("task", list(TASK_CALLS))
@pytest.mark.parametrize("kind", list(NOT_TEXT))
def test_values_that_are_not_text_get_a_clear_error(task, kind, pipes):
    value = NOT_TEXT[kind]
    with pytest.raises((InputError, TypeError)) as caught:
        TASK_CALLS[task](pipes[task][0], value)
    message = str(caught.value)
    assert any(word in message for word in ("str", "input", "text")), message  # says what it takes
    if value is not None:  # and names what it got
        parts = list(value) if isinstance(value, (list, dict, set)) else []  # an item or a dict's keys
        shown = [type(value).__name__, repr(value)[:20], repr(parts)] + [repr(v) for v in parts]
        assert any(s in message for s in shown), message


def test_tokenizer_refuses_values_that_are_not_text(tokenizers):
    for value in (None, 5, b"abc", [1, 2], [["a"], [1]], {"a": 1}):
        with pytest.raises(InputError, match="text must be"):
            tokenizers[0](value)
