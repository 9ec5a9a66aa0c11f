"""Pipelines against transformers' own pipelines on the same checkpoints and inputs:
labels identical, scores and features within 1e-4 (max abs), the same output shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import transformers

from leanpipe import AutoModelForSequenceClassification, pipeline
from leanpipe.errors import CheckpointError, InputError
from leanpipe.tasks import TASKS

ATOL = 1e-4
TEXTS = [
    "I've been waiting for a HuggingFace course my whole life.",
    "I hate this so much!",
    "",
    "Ångström café naïve 中文字符 👍🏽",
    "short",
    "A much longer sentence that goes on and on, with commas, clauses and a few more words to make it long.",
    "   ",
    "The end.",
]


def same(ours, theirs, where="result"):
    """Recursive equality: strings and ints exact, floats within ATOL, same structure."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), f"{where}: {ours!r} vs {theirs!r}"
        for k in theirs:
            same(ours[k], theirs[k], f"{where}.{k}")
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: {type(ours)} len mismatch vs {len(theirs)}"
        if theirs and isinstance(theirs[0], float) and all(isinstance(x, float) for x in theirs):
            diff = float(np.abs(np.array(ours) - np.array(theirs)).max())
            assert diff <= ATOL, f"{where}: max abs difference {diff:.3g} > {ATOL}"
            return
        for i, (a, b) in enumerate(zip(ours, theirs)):
            same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, float):
        assert isinstance(ours, float) and abs(ours - theirs) <= ATOL, f"{where}: {ours} vs {theirs} (diff {abs(ours - theirs):.3g})"
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"


@pytest.fixture(scope="module")
def classifiers(checkpoints):
    out = {}
    for name in ("bert-cls", "distilbert-cls"):
        out[name] = (pipeline("text-classification", model=checkpoints[name]),
                     transformers.pipeline("text-classification", model=str(checkpoints[name])))
    return out


CALLS = [
    ("I love this.", {}),
    (TEXTS, {}),
    ("I love this.", {"top_k": None}),
    (TEXTS, {"top_k": None}),
    ("I love this.", {"top_k": 2}),
    (TEXTS, {"top_k": 1}),
    ("I love this.", {"top_k": 1}),
    (TEXTS, {"function_to_apply": "sigmoid"}),
    ("I love this.", {"function_to_apply": "none", "top_k": None}),
    ({"text": "Is it good?", "text_pair": "It is very good."}, {}),
    ([{"text": "Is it good?", "text_pair": "It is very good."}, {"text": "Bad.", "text_pair": "Yes"}], {}),
    (TEXTS, {"truncation": True, "max_length": 6}),
]


@pytest.mark.parametrize("name", ["bert-cls", "distilbert-cls"])
@pytest.mark.parametrize("inputs,kwargs", CALLS, ids=[f"call{i}" for i in range(len(CALLS))])
def test_text_classification_matches_transformers(classifiers, name, inputs, kwargs):
    ours, theirs = classifiers[name]
    same(ours(inputs, **kwargs), theirs(inputs, **kwargs))


def test_legacy_pair_form(classifiers):
    # [[text, pair]] is the old pair form transformers' code keeps a branch for but 5.2 no longer
    # reaches (it raises); leanpipe answers it as the dict form.
    ours, _ = classifiers["bert-cls"]
    assert ours([["Is it good?", "It is very good."]]) == ours({"text": "Is it good?", "text_pair": "It is very good."})


def test_init_time_parameters_and_batching(checkpoints):
    folder = checkpoints["bert-cls"]
    theirs = transformers.pipeline("text-classification", model=str(folder), top_k=None)
    expected = theirs(TEXTS)
    for batch_size in (1, 3, 32):
        ours = pipeline("sentiment-analysis", model=folder, top_k=None, batch_size=batch_size)
        same(ours(TEXTS), expected, f"batch_size={batch_size}")
    # without a task, the checkpoint's own from config.json's architectures (transformers asks the Hub, offline it cannot)
    inferred = pipeline(model=folder, top_k=None)
    assert inferred.task == "text-classification"
    same(inferred(TEXTS), expected, "task from config.json")
    assert pipeline(model=AutoModelForSequenceClassification.from_pretrained(folder), tokenizer=folder).task == "text-classification"
    with pytest.raises(InputError, match="needs a task, or a model"):
        pipeline()
    # pipe.task is the name the caller gave, as transformers keeps it (not the canonical name)
    assert ours.task == transformers.pipeline("sentiment-analysis", model=str(folder)).task == "sentiment-analysis"
    assert pipeline("text-classification", model=folder).task == "text-classification"
    same(pipeline("text-classification", model=folder)(TEXTS, batch_size=2), transformers.pipeline(
        "text-classification", model=str(folder))(TEXTS))


def test_pipeline_save_pretrained_loads_in_both_libraries(classifiers, tmp_path):
    """pipe.save_pretrained(folder), as in transformers: config, weights and tokenizer in one folder,
    which transformers' pipeline and leanpipe's both load to the same answers."""
    ours, theirs = classifiers["distilbert-cls"]
    ours.save_pretrained(tmp_path / "saved")
    expected = theirs(TEXTS, top_k=None)
    same(transformers.pipeline("text-classification", model=str(tmp_path / "saved"))(TEXTS, top_k=None), expected,
         "transformers on the saved folder")
    same(pipeline("text-classification", model=tmp_path / "saved")(TEXTS, top_k=None), expected, "leanpipe on the saved folder")
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="is a file"):
        ours.save_pretrained(tmp_path / "file")


def test_generator_input(classifiers):
    ours, theirs = classifiers["bert-cls"]
    same(ours(t for t in TEXTS), theirs(t for t in TEXTS))
    assert list(ours.stream(iter(TEXTS))) == ours(TEXTS)


@pytest.mark.parametrize("name", ["minilm", "distilbert", "bert"])
def test_feature_extraction_matches_transformers(checkpoints, minilm, name):
    folder = minilm if name == "minilm" else checkpoints[name]
    ours = pipeline("feature-extraction", model=folder)
    theirs = transformers.pipeline("feature-extraction", model=str(folder))
    same(ours("I've been waiting for a HuggingFace course my whole life."),
         theirs("I've been waiting for a HuggingFace course my whole life."))
    same(ours(TEXTS, batch_size=4), theirs(TEXTS))  # ours sorts and pads; features are per text, unpadded
    arr = ours("hello world", return_tensors=True)
    assert arr.shape == (1, 4, ours.model.config.hidden_size)


def test_default_models_are_transformers_defaults():
    from transformers.pipelines import SUPPORTED_TASKS

    shared = [name for name in TASKS if name in SUPPORTED_TASKS]  # sentence-similarity etc. are not transformers tasks
    assert "text-classification" in shared and "feature-extraction" in shared
    for name in shared:
        assert TASKS[name].default_model == SUPPORTED_TASKS[name]["default"]["model"], name


def test_default_model_offline_error_names_the_checkpoint():
    with pytest.raises(CheckpointError, match="distilbert/distilbert-base-uncased-finetuned-sst-2-english"):
        pipeline("sentiment-analysis")
    # transformers' zero-shot default, a BART, is leanpipe's too (not in this offline cache)
    with pytest.raises(CheckpointError, match="facebook/bart-large-mnli"):
        pipeline("zero-shot-classification")


def test_transformers_placement_arguments(checkpoints):
    """What transformers code passes to pipeline() / from_pretrained for torch placement runs unchanged
    when it fits a CPU float32 engine (same answers), and is refused with the fix when it does not."""
    import json

    folder = checkpoints["bert-cls"]
    expected = pipeline("text-classification", model=folder)(TEXTS)
    for kwargs in ({"device": torch.device("cpu")}, {"device": "cpu"}, {"device": -1}, {"device_map": "auto"},
                   {"device_map": {"": "cpu"}}, {"dtype": "auto"}, {"torch_dtype": torch.bfloat16}, {"use_fast": True},
                   {"trust_remote_code": False}, {"trust_remote_code": True}, {"model_kwargs": {"low_cpu_mem_usage": True, "attn_implementation": "eager"}},
                   {"num_workers": 2}, {"framework": "pt"}):
        same(pipeline("text-classification", model=folder, **kwargs)(TEXTS), expected, str(kwargs))
    same(pipeline("text-classification", model=folder)(TEXTS, num_workers=4, batch_size=2), expected, "num_workers per call")
    for kwargs, message in (({"device": "cuda:0"}, "runs on the CPU"), ({"device": 0}, "runs on the CPU"),
                            ({"device_map": {"": 0}}, "runs on the CPU"), ({"framework": "tf"}, "no TensorFlow")):
        with pytest.raises(InputError, match=message):
            pipeline("text-classification", model=folder, **kwargs)
    model = AutoModelForSequenceClassification.from_pretrained(folder, device_map="auto", low_cpu_mem_usage=True, attn_implementation="sdpa",
                                            torch_dtype=torch.float16)
    saved = json.loads(model.config.to_json_string())
    assert saved["dtype"] == "float16" and not {"device_map", "low_cpu_mem_usage", "attn_implementation"} & set(saved)
    inputs = transformers.AutoTokenizer.from_pretrained(folder)(TEXTS[:2], padding=True, return_tensors="pt").to(model.device)
    assert model.device == torch.device("cpu") and model.dtype == torch.float32
    assert model(**inputs).logits.dtype == torch.float32  # computed in float32 whatever dtype says
    # torch module habits: the same model back, still float32 on the CPU
    assert model.eval().cpu().float().half().bfloat16().to("cpu") is model and model.dtype == torch.float32
    assert model.to(torch.device("cpu"), dtype=torch.float16).to(torch.float32).to(device="cpu", non_blocking=True) is model
    for device in ("cuda", "cuda:0", 0, torch.device("meta")):  # was silently kept on the CPU
        with pytest.raises(InputError, match=r"model.to\(.*runs on the CPU"):
            model.to(device)
    assert model.training is False and model.main_input_name == "input_ids"
    # model.forward(**inputs) is model(**inputs), as in torch (it was an internal method taking a feeds dict)
    assert np.array_equal(model.forward(**inputs).logits.numpy(), model(**inputs).logits.numpy())
    assert model.forward(inputs["input_ids"], return_dict=False)[0].shape == (2, model.config.num_labels)
    assert pipeline("text-classification", model=folder).device == torch.device("cpu")  # transformers' pipe.device
    with pytest.raises(InputError, match="output_loading_info"):
        AutoModelForSequenceClassification.from_pretrained(folder, output_loading_info=True)


def test_bad_pipeline_arguments(checkpoints):
    with pytest.raises(InputError, match=r"unknown task 'summarization'; leanpipe supports \[.*'sentiment-analysis'"):
        pipeline("summarization", model=checkpoints["bert-cls"])
    pipe = pipeline("text-classification", model=checkpoints["bert-cls"])
    with pytest.raises(TypeError, match="does not take \\['topk'\\]"):
        pipe("x", topk=2)
    with pytest.raises(InputError, match="expected a string, got int"):
        pipe(["ok", 3])
    with pytest.raises(InputError, match="function_to_apply='softplus'"):
        pipe("x", function_to_apply="softplus")
    with pytest.raises(InputError, match="truncation=True"):
        pipe("word " * 600)
    with pytest.raises(InputError, match="needs a sequence-classification model"):
        from leanpipe import AutoModel
        pipeline("text-classification", model=AutoModel.from_pretrained(checkpoints["bert"]), tokenizer=checkpoints["bert"])
