"""LayoutLM (model_type "layoutlm") against transformers 5.2 on the same files.

Tiny random checkpoints of every head, perturbed so a wrong term shows, under MiniLM's WordPiece
tokenizer. Outputs within 1e-4 (max abs printed) on both engines, with token boxes (bbox) and without
(zeros, as transformers' default); hidden states, attentions, num_parameters and the pipelines as
transformers'; boxes outside the tables, upside down or of the wrong shape refused naming the fix."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from corpus import TEXTS  # noqa: E402
from family_checks import PARITY_MARKS, assert_same_encoding, check_head_on_engines, check_pipelines  # noqa: E402
from tiny_families import AUTO, HEAD_NAMES, check_config_defaults, reference_inputs, tiny_models  # noqa: E402

pytestmark = PARITY_MARKS
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, max_position_embeddings=128)
SHAPES = {"layoutlm": {}}
HEADS = {"Model": ("last_hidden_state", "pooler_output"), "ForSequenceClassification": ("logits",),
         "ForTokenClassification": ("logits",), "ForQuestionAnswering": ("start_logits", "end_logits"), "ForMaskedLM": ("logits",)}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory, "LayoutLM", SHAPES, **TINY)


def with_boxes(inputs: dict, seed: int = 0) -> dict:
    """`inputs` plus a random box per token: (x0, y0) in [0, 900), width and height in [0, 100]."""
    shape = inputs["input_ids"].shape
    g = torch.Generator().manual_seed(seed)
    x0, y0 = torch.randint(0, 900, shape, generator=g), torch.randint(0, 900, shape, generator=g)
    width, height = torch.randint(0, 101, shape, generator=g), torch.randint(0, 101, shape, generator=g)
    return {**inputs, "bbox": torch.stack([x0, y0, x0 + width, y0 + height], dim=-1)}


@pytest.mark.parametrize("head", list(HEADS))
def test_model_parity(models, head, support):
    """The first input carries boxes (the hidden states and attentions are checked on it), the others none."""
    folder = models(head)
    theirs = getattr(transformers, f"LayoutLM{head}").from_pretrained(folder).eval()
    references = reference_inputs(folder)
    check_head_on_engines(folder, theirs, AUTO[head], [with_boxes(references[0]), with_boxes(references[1], 1), *references],
                          HEADS[head], f"layoutlm/{head}")
    support("layoutlm", "head", HEAD_NAMES[head])


def test_boxes_change_the_answer(models):
    """A guard on the parity test: the boxes reach the output (the same ids with and without them differ)."""
    model = leanpipe.LayoutLMForTokenClassification.from_pretrained(models("ForTokenClassification"))
    inputs = {k: v.numpy() for k, v in with_boxes(reference_inputs(models("ForTokenClassification"))[0]).items()}
    plain = {k: v for k, v in inputs.items() if k != "bbox"}
    assert np.abs(model(**inputs).logits - model(**plain).logits).max() > 1e-3


def test_pipelines(models):
    """text-classification, feature-extraction, fill-mask, token-classification and question-answering
    as transformers' pipelines give them (boxes all zeros, as there)."""
    check_pipelines(models, "layoutlm")  # models("layoutlm", head): the one shape


def test_bbox_refusals(models):
    model = leanpipe.LayoutLMModel.from_pretrained(models("Model"))
    ids = np.array([[101, 7592, 102]])
    with pytest.raises(leanpipe.InputError, match=r"one integer box .* shape \(1, 3, 4\)"):
        model(ids, bbox=np.zeros((1, 3)))
    with pytest.raises(leanpipe.InputError, match=r"one integer box"):
        model(ids, bbox=np.zeros((1, 3, 4), np.float32))
    upside_down = np.array([[[0, 0, 0, 0], [10, 50, 20, 40], [1000, 1000, 1000, 1000]]])
    with pytest.raises(leanpipe.InputError, match=r"bbox\[0, 1\] = \[10, 50, 20, 40\] gives h = -10.*y0 <= y1"):
        model(ids, bbox=upside_down)
    with pytest.raises(leanpipe.InputError, match=r"bbox\[0, 2\].*outside \[0, 1024\).*normalised"):
        model(ids, bbox=np.array([[[0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 1024, 5]]]))


def test_config_defaults():
    check_config_defaults("LayoutLMConfig")


@pytest.mark.parametrize("files", ["tokenizer.json", "vocab.txt"])
def test_tokenizer(models, tmp_path, files, support):
    """model_type layoutlm (and tokenizer_class LayoutLMTokenizer) gives BERT's WordPiece in transformers
    5.2: ids and offsets as there, from tokenizer.json or vocab.txt alone."""
    folder = tmp_path / files
    shutil.copytree(models("Model"), folder)
    settings = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**settings, "tokenizer_class": "LayoutLMTokenizer"}))
    if files == "vocab.txt":
        (folder / "tokenizer.json").unlink()
    ours, theirs = leanpipe.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    options = dict(return_offsets_mapping=True, padding=True)
    assert_same_encoding(ours(TEXTS[:8], **options), theirs(TEXTS[:8], **options), f"layoutlm {files}")
    support("layoutlm", "tokenizer", files)
