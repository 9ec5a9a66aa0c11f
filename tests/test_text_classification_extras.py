"""text-classification's choice of scoring function against transformers 5.2 on tiny variants:
multi-label (sigmoid), one logit (sigmoid), regression (raw logits), `function_to_apply` overriding
the default, `top_k=None` on multi-label models. Labels identical, scores within 1e-4."""

from __future__ import annotations

import pytest
import torch
import transformers

from checkpoints import TINY_BERT, TINY_DISTILBERT, copy_tokenizer
from leanpipe import pipeline
from leanpipe.errors import InputError
from leanpipe.tasks.text_classification import choose_function
from test_pipelines import same

TOPICS = {0: "world news", 1: "sports", 2: "science and tech", 3: "business"}  # labels with spaces
FAMILIES = {"bert": ("BertConfig", "BertForSequenceClassification", TINY_BERT),
            "distilbert": ("DistilBertConfig", "DistilBertForSequenceClassification", TINY_DISTILBERT)}
# name -> (family, config kwargs, the function transformers picks by default)
VARIANTS = {
    "bert-multilabel": ("bert", {"problem_type": "multi_label_classification", "id2label": TOPICS}, "sigmoid"),
    "distilbert-multilabel": ("distilbert", {"problem_type": "multi_label_classification", "id2label": TOPICS}, "sigmoid"),
    "bert-one-logit": ("bert", {"num_labels": 1}, "sigmoid"),
    "distilbert-regression": ("distilbert", {"problem_type": "regression", "num_labels": 1}, "none"),
    "bert-regression-2": ("bert", {"problem_type": "regression", "id2label": {0: "valence", 1: "arousal"}}, "none"),
    "distilbert-single-label": ("distilbert", {"problem_type": "single_label_classification", "id2label": TOPICS}, "softmax"),
}


def build_variant(name: str, folder) -> str:
    """A tiny classifier with logits spread over a few units (encoder x10, classifier x30), saved with
    label2id so transformers' config has it too."""
    family, kwargs, _ = VARIANTS[name]
    config_cls, model_cls, size = FAMILIES[family]
    if "id2label" in kwargs:
        kwargs = {**kwargs, "label2id": {v: k for k, v in kwargs["id2label"].items()}}
    torch.manual_seed(2)
    model = getattr(transformers, model_cls)(getattr(transformers, config_cls)(vocab_size=30522, **size, **kwargs)).eval()
    with torch.no_grad():
        for key, p in model.named_parameters():
            if ("encoder." in key or "transformer." in key) and key.endswith("weight") and "norm" not in key.lower():
                p.mul_(10)
            elif key == "classifier.weight":
                p.mul_(30)
    model.save_pretrained(folder)
    copy_tokenizer(folder)
    return str(folder)


@pytest.fixture(scope="module")
def pipes(tmp_path_factory):
    out = {}
    for name in VARIANTS:
        folder = build_variant(name, tmp_path_factory.mktemp(name))
        out[name] = (pipeline("text-classification", model=folder), transformers.pipeline("text-classification", model=folder))
    return out


TEXTS = ["I love this.", "Stocks fell sharply on Monday.", "The team won the final 3-0.", "", "Ångström café 中文 👍🏽"]
CALLS = [
    ("I love this.", {}),
    (TEXTS, {}),
    ("I love this.", {"top_k": None}),
    (TEXTS, {"top_k": None}),
    (TEXTS, {"top_k": 2}),
    ("I love this.", {"top_k": 1}),
    (TEXTS, {"function_to_apply": "softmax", "top_k": None}),
    (TEXTS, {"function_to_apply": "SIGMOID", "top_k": None}),
    (TEXTS, {"function_to_apply": "none"}),
    ({"text": "Is it good?", "text_pair": "It is very good."}, {"top_k": None}),
    ("I love this.", {"padding": True}),  # a tokenizer option transformers passes through: same answers
    (TEXTS, {"padding": "max_length", "truncation": True, "max_length": 12, "top_k": None}),
]


@pytest.mark.parametrize("name", list(VARIANTS))
@pytest.mark.parametrize("inputs,kwargs", CALLS, ids=[f"call{i}" for i in range(len(CALLS))])
def test_matches_transformers(pipes, name, inputs, kwargs):
    ours, theirs = pipes[name]
    same(ours(inputs, **kwargs), theirs(inputs, **kwargs))


@pytest.mark.parametrize("name", list(VARIANTS))
def test_default_function(pipes, name):
    ours, _ = pipes[name]
    assert choose_function(ours.model.config, None) == VARIANTS[name][2]


def test_regression_scores_are_raw_logits(pipes):
    ours, _ = pipes["bert-regression-2"]
    logits = ours.model(**ours.tokenizer(TEXTS, padding=True, return_tensors="np")).logits  # (B, 2)
    for row, result in zip(logits, ours(TEXTS, top_k=None)):
        assert {r["label"]: r["score"] for r in result} == pytest.approx({"valence": float(row[0]), "arousal": float(row[1])}, abs=1e-5)
    assert (logits < 0).any() or (logits > 1).any(), "raw logits should leave [0, 1] somewhere, or the test proves nothing"


def test_pipeline_level_function_kept_when_call_passes_none(pipes):
    (lp, tp) = pipes["bert-multilabel"]
    ours = pipeline("text-classification", model=lp.model, tokenizer=lp.tokenizer, function_to_apply="softmax")
    theirs = transformers.pipeline("text-classification", model=tp.model, tokenizer=tp.tokenizer, function_to_apply="softmax")
    same(ours(TEXTS, top_k=None, function_to_apply=None), theirs(TEXTS, top_k=None, function_to_apply=None))
    same(ours(TEXTS, top_k=None, function_to_apply="none"), theirs(TEXTS, top_k=None, function_to_apply="none"))


def test_unknown_function_is_refused(pipes):
    ours, theirs = pipes["bert-multilabel"]
    with pytest.raises(KeyError):  # transformers 5.2 looks the name up in an enum ("default" is not in it)
        theirs("I love this.", function_to_apply="default")
    with pytest.raises(InputError, match="softmax"):
        ours("I love this.", function_to_apply="default")


def test_return_all_scores_says_use_top_k(pipes):
    ours, _ = pipes["bert-multilabel"]
    with pytest.raises(InputError, match="return_all_scores: removed in transformers 5.*pass top_k=None"):
        ours("I love this.", return_all_scores=True)
    with pytest.raises(InputError, match="top_k=None"):
        pipeline("text-classification", model=ours.model, tokenizer=ours.tokenizer, return_all_scores=True)
    with pytest.raises(InputError, match="padding must be"):
        ours("I love this.", padding="sideways")
