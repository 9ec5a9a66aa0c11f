"""transformers 5.2 pipeline surface beyond the tasks' own answers, against transformers on the same
tiny checkpoints: dataset inputs (an iterator of per-item results, lazily computed), `config=`, and
the pipeline class names (`isinstance(pipe, TextClassificationPipeline)`)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
import transformers
from transformers.pipelines.pt_utils import KeyDataset, KeyPairDataset

import leanpipe
from checkpoints import TINY_BERT, copy_tokenizer
from leanpipe import AutoConfig, pipeline
from leanpipe.errors import CheckpointError, InputError
from test_pipelines import TEXTS, same
from test_task_ner import plain
from test_task_zero_shot import build_nli

transformers.logging.set_verbosity_error()
pytestmark = pytest.mark.usefixtures("torch_one_thread")

ROWS = [{"text": t, "pair": f"pair {i}"} for i, t in enumerate(TEXTS[:5])]


class Texts:
    """A dataset of the caller's own: len() and [i], no torch; records which items were read."""

    def __init__(self, items):
        self.items, self.read = list(items), []

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        self.read.append(i)
        return self.items[i]


class TorchTexts(torch.utils.data.Dataset):
    """The same as a torch Dataset: what transformers iterates (it runs a plain class as one input)."""

    def __init__(self, items):
        self.items = list(items)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


@pytest.fixture(scope="module")
def classify(checkpoints):
    folder = checkpoints["bert-cls"]
    return pipeline("text-classification", model=folder), transformers.pipeline("text-classification", model=str(folder))


@pytest.fixture(scope="module")
def nli(tmp_path_factory):
    return build_nli("bert", tmp_path_factory.mktemp("compat-nli"))


# --- dataset inputs -------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [None, 1, 2, 3])
def test_key_dataset_as_transformers(classify, batch_size):
    """An iterator (not a list) with one result per item, transformers' len() (batches of batch_size)."""
    ours, theirs = classify
    dataset = KeyDataset(ROWS, "text")
    got, expected = ours(dataset, batch_size=batch_size), theirs(dataset, batch_size=batch_size)
    assert iter(got) is got and not isinstance(got, list)
    assert len(got) == len(expected), f"len {len(got)} vs transformers' {len(expected)}"
    same(list(got), list(expected))
    assert list(got) == []  # consumed, as transformers' iterator


def test_dataset_with_call_parameters(classify):
    ours, theirs = classify
    dataset = KeyDataset(ROWS, "text")
    same(list(ours(dataset, top_k=None, batch_size=2)), list(theirs(dataset, top_k=None, batch_size=2)))
    same(list(ours(dataset, top_k=2, function_to_apply="sigmoid")), list(theirs(dataset, top_k=2, function_to_apply="sigmoid")))
    pairs = KeyPairDataset(ROWS, "text", "pair")
    same(list(ours(pairs, batch_size=2)), list(theirs(pairs, batch_size=2)))


def test_users_own_dataset_class(classify):
    """No torch base class needed: any len() + [i] object is a dataset, read lazily, item by item.
    transformers takes such a class only as a torch Dataset, and answers it the same."""
    ours, theirs = classify
    texts = Texts(TEXTS)
    results = ours(texts, batch_size=3)
    assert texts.read == []  # nothing read or run before the first result is asked for
    first = next(results)
    assert texts.read == list(range(len(TEXTS)))  # read once each (one chunk of the stream)
    same([first, *results], list(theirs(TorchTexts(TEXTS), batch_size=3)))
    same(list(ours(Texts(TEXTS))), ours(TEXTS))  # each item's entry of the list answer
    empty = ours(Texts([]))
    assert len(empty) == len(theirs(TorchTexts([]))) == 0 and list(empty) == []


def test_other_inputs_keep_their_meaning(classify):
    """Lists, generators and tuples still give lists, as before (transformers 5.2 reads a generator whole)."""
    ours, theirs = classify
    assert isinstance(ours(TEXTS[:2]), list) and isinstance(ours(t for t in TEXTS[:2]), list)
    assert ours(tuple(TEXTS[:2])) == ours(TEXTS[:2])
    with pytest.raises(InputError, match="expected a string, got ndarray"):
        ours(np.array(TEXTS[:2]))


def test_dataset_errors_at_the_call(classify):
    """Bad parameters fail when pipe(dataset, ...) is called; a bad item fails when it is reached."""
    ours, _ = classify
    with pytest.raises(TypeError, match="does not take"):
        ours(Texts(TEXTS), colour="blue")
    results = ours(Texts(["fine", 3]))
    with pytest.raises(InputError, match="expected a string, got int"):
        next(results)


def test_dataset_token_classification(checkpoints):
    folder = checkpoints["bert-tok"]
    ours, theirs = pipeline("ner", model=folder), transformers.pipeline("ner", model=str(folder))
    dataset = KeyDataset(ROWS, "text")
    for kwargs in ({}, {"aggregation_strategy": "simple", "batch_size": 2}):
        same(list(ours(dataset, **kwargs)), plain(list(theirs(dataset, **kwargs))), str(kwargs))


def test_dataset_fill_mask(checkpoints):
    folder = checkpoints["bert-mlm"]
    ours, theirs = pipeline("fill-mask", model=folder), transformers.pipeline("fill-mask", model=str(folder))
    dataset = KeyDataset([{"t": "Paris is the [MASK] of France."}, {"t": "[MASK] and [MASK] again"}, {"t": "a [MASK]"}], "t")
    same(list(ours(dataset, top_k=3, batch_size=2)), list(theirs(dataset, top_k=3, batch_size=2)))


def test_dataset_feature_extraction(checkpoints):
    folder = checkpoints["bert"]
    ours, theirs = pipeline("feature-extraction", model=folder), transformers.pipeline("feature-extraction", model=str(folder))
    dataset = KeyDataset(ROWS, "text")
    # features are per text, unpadded (transformers pads them to the batch when batch_size > 1; README)
    same(list(ours(dataset, batch_size=2)), list(theirs(dataset)))
    for a, b in zip(ours(dataset, return_tensors=True), theirs(dataset, return_tensors=True)):
        assert a.shape == tuple(b.shape) and float(np.abs(a - b.numpy()).max()) <= 1e-4


def test_dataset_zero_shot(nli):
    ours, theirs = pipeline("zero-shot-classification", model=nli), transformers.pipeline("zero-shot-classification", model=nli)
    dataset = KeyDataset([r for r in ROWS if r["text"].strip()], "text")
    labels = ["sports", "cooking", "science"]
    same(list(ours(dataset, labels, batch_size=2)), list(theirs(dataset, labels, batch_size=2)))
    same(list(ours(dataset, candidate_labels=labels, multi_label=True)), list(theirs(dataset, candidate_labels=labels, multi_label=True)))


def test_dataset_question_answering(checkpoints):
    """transformers 5.2's QA pipeline takes keywords only (no dataset); leanpipe takes a dataset of
    {"question", "context"} dicts as it takes a list of them, each answered as transformers answers it."""
    folder = checkpoints["bert-qa"]
    ours, theirs = pipeline("question-answering", model=folder), transformers.pipeline("question-answering", model=str(folder))
    items = [{"question": "Who?", "context": "Ann met Bob in Paris."}, {"question": "Where?", "context": TEXTS[5]}]
    got = ours(Texts(items), top_k=2, batch_size=1)
    assert len(got) == 2
    same(list(got), [theirs(**item, top_k=2) for item in items])


# --- config= --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def relabelled(checkpoints, tmp_path_factory):
    """The classifier's folder with other labels and problem_type in config.json."""
    folder = shutil.copytree(checkpoints["bert-cls"], tmp_path_factory.mktemp("relabelled") / "model")
    data = json.loads((folder / "config.json").read_text())
    data.update(id2label={"0": "A", "1": "B", "2": "C"}, label2id={"A": 0, "B": 1, "C": 2},
                problem_type="multi_label_classification")
    (folder / "config.json").write_text(json.dumps(data))
    return folder


def test_config_argument_as_transformers(checkpoints, relabelled):
    """transformers 5.2 reads config= (to pick the model classes it tries) and builds the model from
    the checkpoint's own config.json: the relabelled config changes neither library's answers."""
    folder = str(checkpoints["bert-cls"])
    theirs_config = transformers.AutoConfig.from_pretrained(str(relabelled))
    pairs = [(str(relabelled), str(relabelled)), (relabelled, str(relabelled)), (theirs_config, theirs_config),
             (AutoConfig.from_pretrained(relabelled), theirs_config), (folder, folder)]  # (ours, transformers')
    for config, their_config in pairs:
        ours = pipeline("text-classification", model=folder, config=config)
        theirs = transformers.pipeline("text-classification", model=folder, config=their_config)
        same(ours(TEXTS, top_k=None), theirs(TEXTS, top_k=None), f"config={config!r:.60}")
    # a loaded model: config= is not used (transformers 5.2 then cannot guess a tokenizer; leanpipe takes the model's)
    ours = pipeline("text-classification", model=leanpipe.AutoModelForSequenceClassification.from_pretrained(folder), config=folder)
    theirs = transformers.pipeline("text-classification", model=transformers.AutoModelForSequenceClassification.from_pretrained(folder),
                                   config=folder, tokenizer=folder)
    same(ours(TEXTS), theirs(TEXTS), "loaded model")
    # positional, in transformers' order: (task, model, config, tokenizer)
    same(pipeline("text-classification", folder, str(relabelled), folder)(TEXTS),
         transformers.pipeline("text-classification", folder, str(relabelled), folder)(TEXTS), "positional")
    overrides = {"id2label": {0: "x", 1: "y", 2: "z"}}
    same(pipeline("text-classification", model=folder, config=str(relabelled), model_kwargs=overrides)(TEXTS),
         transformers.pipeline("text-classification", model=folder, config=str(relabelled), model_kwargs=overrides)(TEXTS))


def test_config_argument_errors(checkpoints, tmp_path):
    folder = checkpoints["bert-cls"]
    with pytest.raises(CheckpointError, match="config.json"):
        pipeline("text-classification", model=folder, config=tmp_path)  # transformers: OSError
    with pytest.raises(InputError, match="config must be a folder, a repo id or a config object"):
        pipeline("text-classification", model=folder, config={"model_type": "bert"})  # transformers: AttributeError


def test_engine_options_in_model_kwargs(checkpoints):
    """leanpipe's loading options (engine, num_threads, quantize) given in model_kwargs, where a transformers
    user puts from_pretrained's arguments, act as pipeline()'s own; the two disagreeing is an InputError."""
    folder = checkpoints["bert-cls"]
    plain = pipeline("text-classification", model=folder)
    for options in ({"engine": "numpy"}, {"num_threads": 1}):
        same(pipeline("text-classification", model=folder, model_kwargs=options)(TEXTS, top_k=None),
             plain(TEXTS, top_k=None), f"model_kwargs={options}")
    assert type(pipeline("text-classification", model=folder, model_kwargs={"engine": "numpy"}).model.engine).__name__ == "NumpyEngine"
    with pytest.raises(InputError, match="disagree"):
        pipeline("text-classification", model=folder, num_threads=2, model_kwargs={"num_threads": 1})


# --- class names ------------------------------------------------------------------------------------


def test_pipeline_class_names_as_transformers(checkpoints, nli):
    cases = [("text-classification", checkpoints["bert-cls"]), ("sentiment-analysis", checkpoints["bert-cls"]),
             ("token-classification", checkpoints["bert-tok"]), ("ner", checkpoints["bert-tok"]),
             ("question-answering", checkpoints["bert-qa"]), ("fill-mask", checkpoints["bert-mlm"]),
             ("feature-extraction", checkpoints["bert"]), ("zero-shot-classification", nli)]
    for task, folder in cases:
        ours, theirs = pipeline(task, model=folder), transformers.pipeline(task, model=str(folder))
        name = type(theirs).__name__
        assert type(ours).__name__ == name, f"{task}: {type(ours).__name__} vs transformers' {name}"
        assert isinstance(ours, getattr(leanpipe, name)) and isinstance(ours, leanpipe.Pipeline)
        assert repr(ours).startswith(f"{name}(task={task!r}")
    assert leanpipe.NerPipeline is leanpipe.TokenClassificationPipeline  # as transformers.NerPipeline
    assert not isinstance(pipeline("fill-mask", model=checkpoints["bert-mlm"]), leanpipe.TextClassificationPipeline)


def test_leanpipe_task_class_names(checkpoints, minilm, tmp_path):
    """leanpipe's own tasks have a class each too (not exported: transformers has no such names)."""
    reranker = tmp_path / "reranker"
    transformers.BertForSequenceClassification(transformers.BertConfig(vocab_size=30522, num_labels=1, **TINY_BERT)).save_pretrained(reranker)
    copy_tokenizer(reranker)
    cases = {"sentence-embeddings": ("SentenceEmbeddingPipeline", minilm), "sentence-similarity": ("SentenceSimilarityPipeline", minilm),
             "text-ranking": ("TextRankingPipeline", reranker), "sparse-embeddings": ("SparseEmbeddingsPipeline", checkpoints["bert-mlm"])}
    for task, (name, folder) in cases.items():
        pipe = pipeline(task, model=folder)
        assert type(pipe).__name__ == name and isinstance(pipe, leanpipe.Pipeline)
