"""zero-shot-classification against transformers' ZeroShotClassificationPipeline on tiny NLI-style
checkpoints: labels in the same order, scores within 1e-4, the same shapes and the same refusals."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
import transformers

from checkpoints import TINY_BERT, TINY_DISTILBERT, copy_tokenizer
from leanpipe import pipeline
from leanpipe.errors import ConfigError, InputError
from test_pipelines import same

# name -> (config class, model class, config kwargs, NLI labels by id); distilbert puts entailment first
MODELS = {
    "bert": ("BertConfig", "BertForSequenceClassification", TINY_BERT, ["contradiction", "neutral", "entailment"]),
    "distilbert": ("DistilBertConfig", "DistilBertForSequenceClassification", TINY_DISTILBERT, ["ENTAILMENT", "NEUTRAL", "CONTRADICTION"]),
}


def build_nli(name: str, folder) -> str:
    """A tiny random 'NLI' classifier whose logits depend visibly on the hypothesis: encoder matrices x10,
    pooler x5, classifier x30 (random tiny models otherwise score every label ~1/L)."""
    config_cls, model_cls, kwargs, labels = MODELS[name]
    config = getattr(transformers, config_cls)(
        vocab_size=30522, **kwargs, id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)}
    )
    torch.manual_seed(1)
    model = getattr(transformers, model_cls)(config).eval()
    with torch.no_grad():
        for key, p in model.named_parameters():
            if ("encoder." in key or "transformer." in key) and key.endswith("weight") and "norm" not in key.lower():
                p.mul_(10)
            elif key in ("bert.pooler.dense.weight", "pre_classifier.weight"):
                p.mul_(5)
            elif key == "classifier.weight":
                p.mul_(30)
    model.save_pretrained(folder)
    copy_tokenizer(folder)
    return str(folder)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return {name: build_nli(name, tmp_path_factory.mktemp(f"{name}-nli")) for name in MODELS}


@pytest.fixture(scope="module")
def pipes(folders):
    return {
        name: (pipeline("zero-shot-classification", model=folder), transformers.pipeline("zero-shot-classification", model=folder))
        for name, folder in folders.items()
    }


LABELS = ["positive", "very negative", "sports", "science fiction", "café au lait"]
TEXTS = ["I love this movie, it is great.", "The match ended 2-1 after extra time.", "short", "Ångström naïve 中文 👍🏽"]
CALLS = [
    ("I love this movie, it is great.", {"candidate_labels": LABELS}),
    (TEXTS, {"candidate_labels": LABELS}),
    (TEXTS, {"candidate_labels": LABELS, "multi_label": True}),
    (["I love this movie, it is great."], {"candidate_labels": "positive, very negative,, sports ,"}),  # a list of one stays a list
    ("I love this movie, it is great.", {"candidate_labels": ["sports"]}),  # one label: entailment vs contradiction
    ("I love this movie, it is great.", {"candidate_labels": "sports"}),
    (TEXTS, {"candidate_labels": LABELS, "hypothesis_template": "The topic of this text is {}!"}),
    ("I love this movie.", {"candidate_labels": ["same", "same", "other"]}),
    ("word " * 600, {"candidate_labels": LABELS}),  # the premise is truncated, never the hypothesis
]


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("inputs,kwargs", CALLS, ids=[f"call{i}" for i in range(len(CALLS))])
def test_zero_shot_matches_transformers(pipes, name, inputs, kwargs):
    ours, theirs = pipes[name]
    same(ours(inputs, **kwargs), theirs(inputs, **kwargs))


def test_positional_labels_pipeline_parameters_and_batching(pipes):
    (lp, tp) = pipes["bert"]
    same(lp(TEXTS, LABELS, batch_size=3), tp(TEXTS, LABELS))
    ours = pipeline("zero-shot-classification", model=lp.model, tokenizer=lp.tokenizer, candidate_labels=LABELS, multi_label=True)
    theirs = transformers.pipeline("zero-shot-classification", model=tp.model, tokenizer=tp.tokenizer, candidate_labels=LABELS, multi_label=True)
    same(ours(TEXTS), theirs(TEXTS))
    same(ours(TEXTS, multi_label=False), theirs(TEXTS, multi_label=False))


def test_scores_are_not_trivial(pipes):
    # the fixture's scaling works: the labels' scores differ clearly, so the order compared above means something
    result = pipes["bert"][0]("I love this movie, it is great.", candidate_labels=LABELS)
    assert result["scores"][0] - result["scores"][-1] > 0.05, result


@pytest.mark.parametrize(
    "inputs,kwargs",
    [
        ("text", {"candidate_labels": []}),
        ("text", {"candidate_labels": ""}),
        ("text", {"candidate_labels": " , ,"}),
        ("", {"candidate_labels": ["a"]}),
        ("text", {"candidate_labels": ["a"], "hypothesis_template": "no braces"}),
    ],
)
def test_refused_like_transformers(pipes, inputs, kwargs):
    ours, theirs = pipes["bert"]
    with pytest.raises(ValueError):
        theirs(inputs, **kwargs)
    with pytest.raises(InputError):
        ours(inputs, **kwargs)


def test_missing_labels_and_extra_arguments(pipes):
    ours, theirs = pipes["bert"]
    with pytest.raises(TypeError):
        theirs("text")
    with pytest.raises(TypeError, match="candidate_labels"):
        ours("text")
    with pytest.raises(TypeError, match="extra arguments"):
        ours("text", ["a"], candidate_labels=["b"])
    with pytest.raises(InputError, match="cannot be formatted"):
        ours("text", ["a"], hypothesis_template="{name}")


def test_model_without_entailment_label(folders, tmp_path):
    folder = shutil.copytree(folders["bert"], tmp_path / "no-entailment")
    config = json.loads((folder / "config.json").read_text())
    config["id2label"] = {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"}
    config["label2id"] = {"LABEL_0": 0, "LABEL_1": 1, "LABEL_2": 2}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match=r"entailment.*\['LABEL_0', 'LABEL_1', 'LABEL_2'\]"):
        pipeline("zero-shot-classification", model=folder)


def test_hypothesis_longer_than_the_limit(folders, tmp_path):
    # transformers: when only_first cannot make room (the hypothesis alone is too long) it does not truncate
    folder = shutil.copytree(folders["bert"], tmp_path / "short-limit")
    tokenizer_config = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**tokenizer_config, "model_max_length": 16}))
    ours, theirs = pipeline("zero-shot-classification", model=folder), transformers.pipeline("zero-shot-classification", model=str(folder))
    labels = ["sports", "a label long enough that its hypothesis does not fit in sixteen tokens at all"]
    premise = "A premise of several words that gets truncated to make room for the hypothesis."
    same(ours([premise, "short"], candidate_labels=labels), theirs([premise, "short"], candidate_labels=labels))
    encodings = ours.runner.encode([premise], {**ours.runner.parameters, "candidate_labels": labels})[0].chunks
    assert [len(e) for e in encodings][0] == 16 and len(encodings[1]) > 16  # truncated; left whole


def test_hypothesis_longer_than_the_model(pipes):
    ours, _ = pipes["bert"]  # transformers fails inside torch with an index error here
    with pytest.raises(InputError, match="too long"):
        ours("premise", candidate_labels=["word " * 600])
