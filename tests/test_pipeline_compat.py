"""transformers 5.2 pipeline surface beyond the tasks' own answers, against transformers on the same
tiny checkpoints: dataset inputs (an iterator of per-item results, lazily computed), `config=`, and
the pipeline class names (`isinstance(pipe, TextClassificationPipeline)`)."""

from __future__ import annotations

import pytest
import torch
import transformers

import leanpipe
from checkpoints import TINY_BERT, copy_tokenizer
from leanpipe import pipeline
from test_pipelines import TEXTS
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
