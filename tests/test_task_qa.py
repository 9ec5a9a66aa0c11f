"""question-answering against transformers 5.2.0's QuestionAnsweringPipeline on the same checkpoints:
answers (text, start, end) identical, scores within 1e-4, the same output shapes and errors.

The random tiny models give near-uniform span scores; the "-sharp" variants multiply the
qa_outputs weights so that a few spans stand out and the ranking means something.
"""

from __future__ import annotations

import pytest
import transformers

from checkpoints import copy_tokenizer
from leanpipe import AutoTokenizer, pipeline
from leanpipe.errors import InputError
from test_pipelines import same

transformers.logging.set_verbosity_error()

SHARPEN = 40.0
VARIANTS = ["bert-qa", "distilbert-qa", "bert-qa-sharp", "distilbert-qa-sharp"]

CTX = "My name is Wolfgang and I live in Berlin."
CJK = "北京是中国的首都。东京是日本的首都，大阪也在日本。"
ACCENTS = "Ångström met Renée at the café in São Paulo; naïve Zoë ordered crème brûlée."
FILLER = ["the", "river", "flows", "past", "old", "mills,", "and", "Émile", "counts", "boats", "near", "Zürich."]
LONG = " ".join(FILLER[i % len(FILLER)] + (str(i) if i % 7 == 0 else "") for i in range(2000)) + \
    " The treasure is buried under the lighthouse in Valparaíso"
SMALL_WINDOWS = {"max_seq_len": 64, "doc_stride": 16}

CALLS = {
    "simple": dict(question="Where do I live?", context=CTX),
    "top_k=3": dict(question="Where do I live?", context=CTX, top_k=3),
    "impossible": dict(question="Where do I live?", context=CTX, handle_impossible_answer=True),
    "impossible top_k=3": dict(question="Who am I?", context=CTX, handle_impossible_answer=True, top_k=3),
    "not aligned": dict(question="Who met Renée?", context=ACCENTS, align_to_words=False, top_k=3),
    "max_answer_len=3": dict(question="Who am I?", context=CTX, max_answer_len=3, top_k=5),
    "one word": dict(question="What city?", context="Valparaíso", top_k=3),
    "blank context": dict(question="What?", context="   "),
    "questions, one context": dict(question=["Who am I?", "Where?", "And?"], context=CTX),
    "questions and contexts": dict(question=["Who?", "Where?"], context=[ACCENTS, CJK], top_k=2),
    "list of one": dict(question=["Who am I?"], context=[CTX]),
    "cjk": dict(question="日本的首都是哪里？", context=CJK, top_k=3),
    "cjk not aligned": dict(question="日本的首都是哪里？", context=CJK, top_k=3, align_to_words=False),
    "accents": dict(question="What did Zoë order?", context=ACCENTS, top_k=3),
    "special tokens in context": dict(question="Which?", context="a [CLS] b [SEP] c [MASK] d", top_k=4),
    "long, small windows": dict(question="Where is the treasure?", context=LONG, top_k=3, **SMALL_WINDOWS),
    "long, small windows, impossible": dict(question="Where is the treasure?", context=LONG,
                                            handle_impossible_answer=True, top_k=2, **SMALL_WINDOWS),
    "long, default windows": dict(question="Where is the treasure?", context=LONG, max_answer_len=4),
}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """transformers runs every window separately; on a shared 2-core machine torch's thread pool makes
    those tiny calls 20x slower than one thread does."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def folders(checkpoints, tmp_path_factory):
    import torch

    out = {name: checkpoints[name] for name in ("bert-qa", "distilbert-qa")}
    for name in ("bert-qa", "distilbert-qa"):
        model = transformers.AutoModelForQuestionAnswering.from_pretrained(str(checkpoints[name]))
        with torch.no_grad():
            model.qa_outputs.weight.mul_(SHARPEN)
        folder = tmp_path_factory.mktemp(f"{name}-sharp")
        model.eval().save_pretrained(folder)
        copy_tokenizer(folder)
        out[f"{name}-sharp"] = folder
    return out


@pytest.fixture(scope="module")
def pipes(folders):
    """variant -> (leanpipe pipeline, transformers pipeline)."""
    return {name: (pipeline("question-answering", model=folder),
                   transformers.pipeline("question-answering", model=str(folder))) for name, folder in folders.items()}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("call", list(CALLS))
def test_matches_transformers(pipes, variant, call):
    ours, theirs = pipes[variant]
    same(ours(**CALLS[call]), theirs(**CALLS[call]), f"{variant} {call}")


def test_output_shapes(pipes):
    ours, _ = pipes["bert-qa-sharp"]
    assert set(ours(question="Who?", context=CTX)) == {"score", "start", "end", "answer"}
    assert isinstance(ours(question="Who?", context=CTX, top_k=2), list)
    assert isinstance(ours(question=["Who?"], context=[CTX], top_k=2), list)  # a list of one answered as one
    batch = ours(question=["Who?", "Where?"], context=CTX, top_k=2)
    assert len(batch) == 2 and all(isinstance(r, list) and len(r) == 2 for r in batch)
    assert ours(question=[], context=[]) == []


def test_long_context_windows(pipes):
    """Windows overlap by doc_stride tokens and reach the last token of the context, as transformers cuts them."""
    ours, theirs = pipes["bert-qa"]
    question = "Where is the treasure?"
    [sample] = ours.runner.encode([{"question": question, "context": LONG}], {**ours.runner.parameters, **SMALL_WINDOWS})
    expected = theirs.tokenizer(question, LONG, truncation="only_second", max_length=64, stride=16,
                                return_overflowing_tokens=True, return_offsets_mapping=True)
    assert len(sample.chunks) == len(expected["input_ids"]) > 40
    assert [c.ids for c in sample.chunks] == expected["input_ids"]
    assert [c.offsets for c in sample.chunks] == expected["offset_mapping"]
    assert sample.chunks[-1].offsets[-2][1] == len(LONG)  # the last context token, before [SEP]


def test_answer_at_the_very_end(pipes):
    """Logits that point at the context's last word, in its last window only: the answer is that word,
    with character offsets into the whole context."""
    import numpy as np

    ours, _ = pipes["bert-qa"]
    params = {**ours.runner.parameters, **SMALL_WINDOWS}
    [sample] = ours.runner.encode([{"question": "Where is the treasure?", "context": LONG}], params)
    first = LONG.rindex("Valparaíso")
    for i, window in enumerate(sample.chunks):
        start, end = np.zeros(len(window), np.float32), np.zeros(len(window), np.float32)  # (T,)
        if i == len(sample.chunks) - 1:
            start[[t for t, (a, _) in enumerate(window.offsets) if a == first and window.sequence_ids[t] == 1]] = 20.0
            end[len(window) - 2] = 20.0  # the last context token, before [SEP]
        sample.outputs.append({"start_logits": start, "end_logits": end})
    answer = ours.runner.postprocess(sample, params)
    assert (answer["answer"], answer["start"], answer["end"]) == ("Valparaíso", first, len(LONG))
    assert answer["score"] > 0.99


def test_dict_inputs_and_batching(pipes, folders):
    # transformers 5.2 takes keywords only; leanpipe also takes the dicts transformers 4.x took.
    ours, theirs = pipes["distilbert-qa-sharp"]
    items = [{"question": "Who?", "context": ACCENTS}, {"question": "Where?", "context": LONG}]
    expected = theirs(question=[i["question"] for i in items], context=[i["context"] for i in items], top_k=2)
    same(ours(items, top_k=2), expected)
    same(ours(items, top_k=2, batch_size=1), expected)
    same(ours(items[:1], top_k=2), expected[0])
    same(ours(items[0], top_k=2), expected[0])
    same(list(ours.stream(iter(items), top_k=2)), expected)
    at_init = pipeline("question-answering", model=folders["distilbert-qa-sharp"], top_k=2, batch_size=3)
    same(at_init(items), expected)


def test_context_first_tokenizer(folders):
    """A left-padding tokenizer puts the context first (the question is what windows cut) and masks
    nothing, in transformers and here."""
    folder = folders["bert-qa-sharp"]
    ours = pipeline("question-answering", model=folder, tokenizer=AutoTokenizer.from_pretrained(folder, padding_side="left"))
    theirs = transformers.pipeline("question-answering", model=str(folder),
                                   tokenizer=transformers.AutoTokenizer.from_pretrained(str(folder), padding_side="left"))
    for call in ("top_k=3", "impossible top_k=3", "cjk", "questions and contexts"):
        same(ours(**CALLS[call]), theirs(**CALLS[call]), call)
    with pytest.raises(InputError, match="the context of input 0 is"):
        ours(**CALLS["long, small windows"])


PADDINGS = ["max_length", True, "longest", "do_not_pad", False, None]
PADDED_CALLS = ["top_k=3", "long, small windows", "questions and contexts", "impossible top_k=3"]


@pytest.mark.parametrize("padding", PADDINGS)
def test_padding_as_transformers(pipes, padding):
    """transformers 5.2 passes padding= to its tokenizer; padded tokens are outside the context, so its
    answers are those without padding (scores within float rounding); leanpipe's are exactly those."""
    ours, theirs = pipes["bert-qa-sharp"]
    for call in PADDED_CALLS:
        kwargs = {**CALLS[call], "padding": padding}
        got = ours(**kwargs)
        same(got, theirs(**kwargs), f"padding={padding!r} {call}")
        assert got == ours(**CALLS[call])
    at_init = pipeline("question-answering", model=ours.model, tokenizer=ours.tokenizer, padding=padding)
    assert at_init(**CALLS["top_k=3"]) == ours(**CALLS["top_k=3"])


def test_padding_with_a_left_padding_tokenizer(folders):
    """With a left-padding tokenizer, transformers 5.2 misplaces the spans of padded windows (its
    answers change with padding="max_length"); leanpipe answers as both libraries do without padding."""
    folder = folders["bert-qa-sharp"]
    ours = pipeline("question-answering", model=folder, tokenizer=AutoTokenizer.from_pretrained(folder, padding_side="left"))
    theirs = transformers.pipeline("question-answering", model=str(folder),
                                   tokenizer=transformers.AutoTokenizer.from_pretrained(str(folder), padding_side="left"))
    for call in ("top_k=3", "questions and contexts"):
        same(ours(**CALLS[call], padding="max_length"), theirs(**CALLS[call]), call)


def test_bad_padding_refused_as_transformers(pipes):
    for pipe in pipes["bert-qa"]:
        with pytest.raises(ValueError, match="foo"):
            pipe(**CALLS["simple"], padding="foo")
    with pytest.raises(InputError, match="padding must be True, False, 'longest', 'max_length' or 'do_not_pad'"):
        pipes["bert-qa"][0](**CALLS["simple"], padding="foo")


ERRORS = [
    (dict(question="", context=CTX), "`question` cannot be empty"),
    (dict(question="Who?", context=""), "`context` cannot be empty"),
    (dict(question=["Who?", ""], context=CTX), "`question` cannot be empty"),
    (dict(question=["Who?", None], context=CTX), "`question` cannot be None"),
    (dict(question=["a", "b"], context=[CTX]), "Questions and contexts don't have the same lengths"),
    (dict(question="Who?", context=CTX, top_k=0), r"top_k parameter should be >= 1 \(got 0\)"),
    (dict(question="Who?", context=CTX, max_answer_len=0), r"max_answer_len parameter should be >= 1 \(got 0\)"),
    (dict(question="Who?", context=CTX, doc_stride=500), r"`doc_stride` \(500\) is larger than `max_seq_len` \(384\)"),
]


@pytest.mark.parametrize("kwargs,message", ERRORS)
def test_errors_as_transformers(pipes, kwargs, message):
    ours, theirs = pipes["bert-qa"]
    for pipe in (ours, theirs):
        with pytest.raises(ValueError, match=message):
            pipe(**kwargs)


def test_errors_that_say_how_to_fix(pipes):
    ours, _ = pipes["bert-qa"]
    with pytest.raises(InputError, match="needs both question= and context="):
        ours(question="Who?")
    with pytest.raises(InputError, match="two strings, a list of questions and one context"):
        ours(question="Who?", context=[CTX])
    with pytest.raises(InputError, match="not both"):
        ours({"question": "Who?", "context": CTX}, question="Who?")
    with pytest.raises(InputError, match="keys"):
        ours({"question": "Who?"})
    with pytest.raises(InputError, match="is a dict"):
        ours("Who?")
    with pytest.raises(TypeError, match="does not take"):
        ours(question="Who?", context=CTX, padding_side="left")
    # transformers fails inside the tokenizer here (an exception, or a Rust panic for the stride)
    with pytest.raises(InputError, match="leaves no room"):
        ours(question="word " * 70, context=LONG, max_seq_len=64, doc_stride=8)
    with pytest.raises(InputError, match="lower doc_stride or raise max_seq_len"):
        ours(question="word " * 30, context=LONG, max_seq_len=64, doc_stride=32)
    with pytest.raises(InputError, match="use max_seq_len <= 512"):
        ours(question="Who?", context=LONG, max_seq_len=1000)
    # nothing is cut, so the stride does not matter (as in transformers)
    ours(question="word " * 30, context=CTX, max_seq_len=64, doc_stride=32)
