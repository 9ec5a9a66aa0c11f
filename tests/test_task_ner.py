"""token-classification (ner) against transformers 5.2's own pipeline on the same checkpoints:
labels, words, start/end and output shapes identical, scores within 1e-4, every aggregation strategy,
long texts cut into strided windows, pre-split words, caller-given offsets, and the errors."""

from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pytest
import transformers
from transformers.pipelines.token_classification import AggregationStrategy

from checkpoints import SPECS, copy_tokenizer
from leanpipe import pipeline
from leanpipe.errors import InputError

ATOL = 1e-4
STRATEGIES = [None, "none", "simple", "first", "average", "max"]
SHORT_WINDOW = 24  # model_max_length of the "-short" copies, so stride windows are a few words long
SENTENCE = (
    "Hugging Face Inc. is a company based in New York City; Wolfgang Amadeus Mozart's unbelievably "
    "Ångström café naïve 中文字符 👍🏽 don't ☃☃ x\u0378y (e.g. U.S.A.) -- 1,234.5%!"
)
TEXTS = [SENTENCE, "", "Paris", "   ", "Ça va? Überraschung im Straßenverkehr.", "[MASK] and [UNK] typed in"]
LONG = " ".join([SENTENCE] * 2)


def plain(x):
    """transformers' answer with NumPy scalars made Python ones (its scores are np.float32)."""
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [plain(v) for v in x]
    return x.item() if isinstance(x, np.generic) else x


def same(ours, theirs, where="result"):
    """Recursive equality: strings and ints exact, floats within ATOL, the same structure and types."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{where}: {ours!r} vs {theirs!r}"
        for k in theirs:
            same(ours[k], theirs[k], f"{where}.{k}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: {ours!r:.300} vs {theirs!r:.300}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, float):
        assert type(ours) is float and abs(ours - theirs) <= ATOL, f"{where}: {ours} vs {theirs} (diff {abs(ours - theirs):.3g})"
    else:
        assert type(ours) is type(theirs) and ours == theirs, f"{where}: {ours!r} != {theirs!r}"


def build(name: str, folder, scale: float = 30.0):
    """SPECS[name] with its classifier scaled up: a random head gives every token the same label."""
    import torch

    config_cls, model_cls, kwargs = SPECS[name]
    torch.manual_seed(0)
    model = getattr(transformers, model_cls)(getattr(transformers, config_cls)(vocab_size=30522, **kwargs))
    with torch.no_grad():
        model.classifier.weight.mul_(scale)
    model.eval().save_pretrained(folder)
    copy_tokenizer(folder)
    return folder


def edit_json(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """bert / distilbert NER checkpoints; "-short": model_max_length 24; "bert-words": a generic fast
    tokenizer without the "##" prefix, so both libraries fall back to the space heuristic for words."""
    root = tmp_path_factory.mktemp("ner")
    out = {"bert": build("bert-tok", root / "bert"), "distilbert": build("distilbert-tok", root / "distilbert")}
    for name in ("bert", "distilbert"):
        short = shutil.copytree(out[name], root / f"{name}-short")
        edit_json(short / "tokenizer_config.json", lambda c: c.update(model_max_length=SHORT_WINDOW))
        out[f"{name}-short"] = short
    words = shutil.copytree(out["bert"], root / "bert-words")
    edit_json(words / "tokenizer_config.json", lambda c: c.update(tokenizer_class="PreTrainedTokenizerFast"))
    edit_json(words / "tokenizer.json", lambda t: t["model"].update(continuing_subword_prefix=""))
    out["bert-words"] = words
    return out


@pytest.fixture(scope="module")
def pipes(folders):
    """name -> (leanpipe pipeline, transformers pipeline)."""
    import torch

    transformers.logging.set_verbosity_error()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: threads only add overhead on a shared 2-core machine
    yield {
        name: (pipeline("token-classification", model=folder),
               transformers.pipeline("token-classification", model=str(folder)))
        for name, folder in folders.items()
    }
    torch.set_num_threads(threads)


def compare(pipes, name, inputs, **kwargs):
    ours, theirs = pipes[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the word heuristic's UserWarning, in both libraries
        expected = plain(theirs(inputs, **kwargs))
        got = ours(inputs, **kwargs)
    same(got, expected)
    return got


def strategy_kwargs(strategy):
    return {} if strategy is None else {"aggregation_strategy": strategy}


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("name", ["bert", "distilbert"])
def test_matches_transformers(pipes, name, strategy):
    kw = strategy_kwargs(strategy)
    single = compare(pipes, name, SENTENCE, **kw)
    compare(pipes, name, TEXTS, **kw)
    compare(pipes, name, "", **kw)
    compare(pipes, name, SENTENCE, ignore_labels=[], **kw)
    compare(pipes, name, SENTENCE, ignore_labels=["I-LOC", "O", "LOC"], **kw)
    labels = {e.get("entity", e.get("entity_group")) for e in single}
    assert len(labels) >= 2, f"the scaled head should give several labels, got {labels}"


def test_entities_span_subwords(pipes):
    # "unbelievably" is un ##bel ##ie ##va ##bly: word strategies must keep it whole
    for strategy in ("first", "average", "max"):
        words = [e["word"] for e in compare(pipes, "bert", SENTENCE, aggregation_strategy=strategy, ignore_labels=[])]
        assert "unbelievably" in " ".join(words)
        assert not any(w.startswith("##") for w in words)


@pytest.mark.parametrize("strategy", [None, "simple", "first", "average", "max"])
@pytest.mark.parametrize("name", ["bert-short", "distilbert-short"])
def test_stride_windows(pipes, name, strategy):
    kw = strategy_kwargs(strategy)
    assert len(pipes[name][0].tokenizer(LONG)["input_ids"]) > 4 * SHORT_WINDOW
    for stride in (0, 5, 14):
        compare(pipes, name, LONG, stride=stride, **kw)
    compare(pipes, name, [LONG, "Paris", "", SENTENCE], stride=8, **kw)
    compare(pipes, name, LONG, **kw)  # no stride: truncated to the window, as transformers does


def test_long_text_in_a_512_window(pipes):
    text = " ".join([SENTENCE] * 30)
    assert len(pipes["bert"][0].tokenizer(text)["input_ids"]) > 1500
    for strategy in ("simple", "first", "max"):
        compare(pipes, "bert", text, stride=16, aggregation_strategy=strategy)
    compare(pipes, "bert", text, stride=100)
    compare(pipes, "bert", text)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_pre_split_words(pipes, strategy):
    kw = strategy_kwargs(strategy)
    words = ["Hugging", "Face", "unbelievably", "Ångström", "中文", "", "New-York", "U.S.A.", "☃"]
    got = compare(pipes, "bert", words, is_split_into_words=True, **kw)  # one text: [[...]]
    assert len(got) == 1
    compare(pipes, "bert", [words, ["Paris"], []], is_split_into_words=True, **kw)
    compare(pipes, "distilbert", words, is_split_into_words=True, delimiter=" | ", **kw)
    compare(pipes, "bert", [words, words[::-1]], is_split_into_words=True, delimiter="", **kw)
    if strategy != "none":
        compare(pipes, "bert-short", words * 6, is_split_into_words=True, stride=6, **kw)


def test_split_words_only_per_call(pipes, folders):
    # transformers reads is_split_into_words from the call: given to pipeline() it is overridden
    ours = pipeline("token-classification", model=folders["bert"], is_split_into_words=True, delimiter="-")
    theirs = transformers.pipeline("token-classification", model=str(folders["bert"]), is_split_into_words=True)
    same(ours(["Hello", "world"]), plain(theirs(["Hello", "world"])))
    same(ours(["Hello", "world"], is_split_into_words=True), plain(theirs(["Hello", "world"], is_split_into_words=True)))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_offset_mapping(pipes, strategy):
    kw = strategy_kwargs(strategy)
    text = "hello world unbelievably"
    offsets = pipes["bert"][0].tokenizer(text, return_offsets_mapping=True)["offset_mapping"]
    shifted = [(s, e + 1 if e else 0) for s, e in offsets]  # the caller's offsets are used as given
    compare(pipes, "bert", text, offset_mapping=offsets, **kw)
    compare(pipes, "bert", text, offset_mapping=shifted, **kw)
    compare(pipes, "bert", [text], offset_mapping=[shifted], **kw)


def test_offset_mapping_batch_is_per_text(pipes):
    # transformers 5.2 applies the first text's mapping to every text of a batch; leanpipe gives each
    # text its own, which equals transformers run on each text alone
    ours, theirs = pipes["bert"]
    texts = ["hello world", "ab unbelievably cd"]
    mappings = [ours.tokenizer(t, return_offsets_mapping=True)["offset_mapping"] for t in texts]
    expected = [plain(theirs(t, offset_mapping=m)) for t, m in zip(texts, mappings)]
    same(ours(texts, offset_mapping=mappings), expected)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_word_heuristic_without_subword_prefix(pipes, strategy):
    assert pipes["bert-words"][0].tokenizer.backend_tokenizer.model.continuing_subword_prefix == ""
    kw = strategy_kwargs(strategy)
    compare(pipes, "bert-words", SENTENCE, **kw)
    compare(pipes, "bert-words", TEXTS, **kw)


def test_strategy_spellings(pipes):
    for spelling in ("SIMPLE", "Average", AggregationStrategy.MAX, AggregationStrategy.NONE):
        compare(pipes, "bert", SENTENCE, aggregation_strategy=spelling)


def test_output_shapes_and_types(pipes):
    ours = pipes["bert"][0]
    tokens = ours(SENTENCE, ignore_labels=[])
    assert tokens and all(list(e) == ["entity", "score", "index", "word", "start", "end"] for e in tokens)
    assert all(type(e["score"]) is float and type(e["index"]) is int for e in tokens)
    groups = ours([SENTENCE], aggregation_strategy="first", ignore_labels=[])
    assert len(groups) == 1 and all(list(e) == ["entity_group", "score", "word", "start", "end"] for e in groups[0])
    assert ours((t for t in ["Paris", "Berlin"])) == ours(["Paris", "Berlin"])


def test_stride_with_default_strategy_set_in_pipeline(pipes, folders):
    # transformers judges stride vs aggregation_strategy="none" within one call only
    ours = pipeline("token-classification", model=folders["bert-short"], aggregation_strategy="none")
    theirs = transformers.pipeline("token-classification", model=str(folders["bert-short"]), aggregation_strategy="none")
    same(ours(LONG, stride=4), plain(theirs(LONG, stride=4)))


BAD_CALLS = [
    (LONG, {"stride": 4, "aggregation_strategy": "none"}),
    (LONG, {"stride": 4, "aggregation_strategy": "NONE"}),
    (LONG, {"stride": SHORT_WINDOW, "aggregation_strategy": "simple"}),
    (LONG, {"stride": SHORT_WINDOW + 10, "aggregation_strategy": "first"}),
    (LONG, {"stride": SHORT_WINDOW - 2, "aggregation_strategy": "simple"}),  # no room: the tokenizer panics
    ("hello", {"aggregation_strategy": 1}),
    ([], {}),
    (None, {}),
    (5, {}),
    (["a", 5], {}),
    ("hello world", {"is_split_into_words": True}),
    ([["a", "b"], "c"], {"is_split_into_words": True}),
    ([["a", 3]], {"is_split_into_words": True}),
    (["hello world", "x"], {"offset_mapping": [(0, 0), (0, 5), (6, 11), (0, 0)]}),
    ("hello world", {"offset_mapping": [[0, 0], [0, 5], [6, 11], [0, 0]]}),
]


@pytest.mark.parametrize("inputs,kwargs", BAD_CALLS, ids=[f"bad{i}" for i in range(len(BAD_CALLS))])
def test_errors_where_transformers_fails(pipes, inputs, kwargs):
    ours, theirs = pipes["bert-short"]
    with pytest.raises(BaseException):  # ValueError or TypeError, or the tokenizer's PanicException
        theirs(inputs, **kwargs)
    with pytest.raises(InputError):
        ours(inputs, **kwargs)


def test_errors_at_construction(folders):
    for kwargs in ({"stride": 3, "aggregation_strategy": "none"}, {"stride": SHORT_WINDOW}, {"aggregation_strategy": "bogus"}):
        with pytest.raises((ValueError, KeyError)):
            transformers.pipeline("token-classification", model=str(folders["bert-short"]), **kwargs)
        with pytest.raises(InputError):
            pipeline("token-classification", model=folders["bert-short"], **kwargs)
    with pytest.raises(TypeError):
        pipeline("token-classification", model=folders["bert-short"], truncation=True)
    with pytest.raises(InputError, match="offset_mapping"):
        pipeline("token-classification", model=folders["bert-short"], offset_mapping=[(0, 0)])


def test_offset_mapping_too_short(pipes):
    with pytest.raises(InputError, match="one pair per token"):
        pipes["bert"][0]("hello world", offset_mapping=[(0, 0), (0, 5)])
