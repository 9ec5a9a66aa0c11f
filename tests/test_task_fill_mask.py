"""fill-mask against transformers' FillMaskPipeline on the same tiny masked-LM checkpoints:
tokens and sequences identical, scores within 1e-4, the same nesting for one text, a list, one
mask or several."""

from __future__ import annotations

import logging

import pytest
import torch
import transformers

from checkpoints import TINY_BERT, TINY_DISTILBERT, copy_tokenizer
from leanpipe import pipeline
from leanpipe.errors import InputError
from test_pipelines import same

# (config class, model class, config kwargs, LayerNorm in front of the vocabulary projection)
MODELS = {
    "bert": ("BertConfig", "BertForMaskedLM", TINY_BERT, "cls.predictions.transform.LayerNorm.weight"),
    "distilbert": ("DistilBertConfig", "DistilBertForMaskedLM", TINY_DISTILBERT, "vocab_layer_norm.weight"),
}


def build_peaked_mlm(name: str, folder) -> str:
    """A tiny random masked LM whose predictions are not near-uniform, so the top-k order is well defined:
    encoder matrices x10 (attention that depends on the input), the LayerNorm before the vocabulary x30."""
    config_cls, model_cls, kwargs, vocab_norm = MODELS[name]
    torch.manual_seed(0)
    model = getattr(transformers, model_cls)(getattr(transformers, config_cls)(vocab_size=30522, **kwargs)).eval()
    with torch.no_grad():
        params = dict(model.named_parameters())
        for key, p in params.items():
            if ("encoder." in key or "transformer." in key) and key.endswith("weight") and "norm" not in key.lower():
                p.mul_(10)
        params[vocab_norm].mul_(30)
    model.save_pretrained(folder)
    copy_tokenizer(folder)
    return str(folder)


@pytest.fixture(scope="module")
def pipes(tmp_path_factory):
    out = {}
    for name in MODELS:
        folder = build_peaked_mlm(name, tmp_path_factory.mktemp(f"{name}-mlm-peaked"))
        out[name] = (pipeline("fill-mask", model=folder), transformers.pipeline("fill-mask", model=folder))
    return out


TEXTS = ["Paris is the [MASK] of France.", "I want to [MASK] a book.", "[MASK]", "The [MASK] is blue, the grass is green and the sun is out."]
CALLS = [
    ("Paris is the [MASK] of France.", {}),
    (TEXTS, {}),
    (["Paris is the [MASK] of France."], {}),  # a list of one comes back unwrapped, as in transformers
    ("[MASK] is what we need [MASK]", {}),  # masks at the start and the end: one list per mask
    (["[MASK] and [MASK] and [MASK].", "only [MASK] here"], {"top_k": 2}),
    ("[MASK]", {"top_k": 1}),
    (TEXTS, {"top_k": 12}),
    ("Paris is the [MASK] of France.", {"top_k": None}),
    ("Paris is the [MASK] of France.", {"targets": "capital"}),
    ("Paris is the [MASK] of France.", {"targets": ["capital", "city", "Zzyzx", "city", "ÉCOLE"]}),  # out of vocab, repeated
    ("Paris is the [MASK] of France.", {"targets": ["capital", "city"], "top_k": 1}),
    ("Paris is the [MASK] of France.", {"targets": ["[PAD]", "[SEP]", "[CLS]", "[MASK]"]}),  # special tokens dropped from sequences
    ("[MASK] the [MASK] [PAD] end", {"targets": ["[PAD]", "the"]}),
    ("Paris is the [MASK] of France. " + "More words follow here. " * 10, {"tokenizer_kwargs": {"truncation": True, "max_length": 12}}),
    ("Paris is the [MASK] of France.", {"tokenizer_kwargs": {"add_special_tokens": False}}),
    ("Ångström café naïve 中文 [MASK] 👍🏽 don't", {}),
]


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("inputs,kwargs", CALLS, ids=[f"call{i}" for i in range(len(CALLS))])
def test_fill_mask_matches_transformers(pipes, name, inputs, kwargs):
    ours, theirs = pipes[name]
    same(ours(inputs, **kwargs), theirs(inputs, **kwargs))


def test_pipeline_level_parameters_and_batching(pipes):
    (lp, tp), targets = pipes["bert"], ["capital", "city", "town", "village"]
    ours = pipeline("fill-mask", model=lp.model, tokenizer=lp.tokenizer, top_k=3, targets=targets)
    theirs = transformers.pipeline("fill-mask", model=tp.model, tokenizer=tp.tokenizer, top_k=3, targets=targets)
    same(ours(TEXTS, batch_size=3), theirs(TEXTS))
    same(ours(TEXTS, top_k=None), theirs(TEXTS, top_k=None))  # None means "not given": the pipeline's top_k stays


def test_no_mask_is_an_error_naming_the_mask_token(pipes):
    ours, theirs = pipes["bert"]
    with pytest.raises(InputError, match=r"\[MASK\]"):
        ours(["Paris is the [MASK] of France.", "No mask here."])
    with pytest.raises(Exception, match="No mask_token"):
        theirs("No mask here.")
    with pytest.raises(InputError, match=r"\[MASK\]"):  # the mask cut away by truncation
        ours("A long text " * 10 + "[MASK]", tokenizer_kwargs={"truncation": True, "max_length": 8})


@pytest.mark.parametrize("targets", [[], "", [" ", ""]])
def test_targets_that_name_no_token(pipes, targets):
    ours, theirs = pipes["bert"]
    with pytest.raises(ValueError, match="At least one target"):
        theirs("Paris is the [MASK].", targets=targets)
    with pytest.raises(InputError, match="targets="):
        ours("Paris is the [MASK].", targets=targets)


def test_out_of_vocabulary_target_warns_as_transformers(pipes, caplog):
    ours, _ = pipes["bert"]
    with caplog.at_level(logging.WARNING, logger="leanpipe"):
        result = ours("Paris is the [MASK].", targets=["Zzyzx"])
    assert [r["token_str"] for r in result] == ["z"]
    assert "The specified target token `Zzyzx` does not exist in the model vocabulary. Replacing with `z`." in caplog.text


def test_bad_arguments(pipes):
    ours, _ = pipes["bert"]
    with pytest.raises(InputError, match="tokenizer_kwargs"):
        ours("Paris is the [MASK].", tokenizer_kwargs={"padding": "max_length"})
    with pytest.raises(InputError, match="top_k"):
        ours("Paris is the [MASK].", top_k=10**6)
    with pytest.raises(TypeError, match="fill-mask does not take"):
        ours("Paris is the [MASK].", topk=3)
    with pytest.raises(InputError, match="string"):
        ours([["Paris is the [MASK]."]])
    assert ours([]) == []
