"""DPR (model_type "dpr") against transformers 5.2 on the same files.

Tiny random DPRQuestionEncoder and DPRContextEncoder checkpoints, perturbed so a wrong term shows, under
MiniLM's WordPiece tokenizer, without and with a projection (projection_dim). pooler_output within 1e-4
(max abs printed) on both engines; hidden states, attentions, num_parameters, AutoModel, the tokenizer
and the feature-extraction pipeline as transformers'."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from conftest import assert_close  # noqa: E402
from corpus import TEXTS  # noqa: E402
from family_checks import ATOL, PARITY_MARKS, assert_same_encoding, check_head_on_engines  # noqa: E402
from tiny_families import check_config_defaults, reference_inputs, tiny_models  # noqa: E402

pytestmark = PARITY_MARKS
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, max_position_embeddings=128)
SHAPES = {"plain": {}, "projected": {"projection_dim": 24}}
ENCODERS = ("QuestionEncoder", "ContextEncoder")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory, "DPR", SHAPES, **TINY)


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_encoder_parity(models, shape, encoder, support):
    folder = models(shape, encoder)
    theirs = getattr(transformers, f"DPR{encoder}").from_pretrained(folder).eval()
    # tuple_like_theirs: with return_dict=False transformers 5.2's DPR encoders drop the hidden states (DPREncoder
    # takes BertModel's pooler-less tuple as one item longer than it is); leanpipe's tuple keeps them
    check_head_on_engines(folder, theirs, f"DPR{encoder}", reference_inputs(folder), ("pooler_output",), f"dpr/{shape}/{encoder}",
                          tuple_like_theirs=False)
    with torch.no_grad():
        first = theirs(**reference_inputs(folder)[0], return_dict=False)[0].numpy()
    assert_close(getattr(leanpipe, f"DPR{encoder}").from_pretrained(folder)(**{k: v.numpy() for k, v in reference_inputs(folder)[0].items()},
                                                                          return_dict=False)[0], first, ATOL, "return_dict=False [0]")
    support("dpr", "head", "base")


def test_auto_model_is_the_question_encoder(models):
    """AutoModel reads model_type dpr as transformers does: DPRQuestionEncoder. A context encoder's
    checkpoint holds its weights under ctx_encoder.: refused, naming what it found."""
    ours = leanpipe.AutoModel.from_pretrained(models("plain", "QuestionEncoder"))
    assert type(ours).__name__ == type(transformers.AutoModel.from_pretrained(models("plain", "QuestionEncoder"))).__name__
    with pytest.raises(leanpipe.CheckpointError, match=r"ctx_encoder.*load it with leanpipe.DPRContextEncoder.from_pretrained"):
        leanpipe.AutoModel.from_pretrained(models("plain", "ContextEncoder"))
    with pytest.raises(leanpipe.CheckpointError, match=r"load it with leanpipe.DPRQuestionEncoder.from_pretrained"):
        leanpipe.DPRContextEncoder.from_pretrained(models("plain", "QuestionEncoder"))


def test_feature_extraction_pipeline(models):
    """transformers' pipeline returns the model's first output, pooler_output: (1, H) per text."""
    folder = models("projected", "QuestionEncoder")
    ours, theirs = leanpipe.pipeline("feature-extraction", model=folder), transformers.pipeline("feature-extraction", model=str(folder))
    for text in TEXTS[:4]:
        got, expected = np.array(ours(text)), np.array(theirs(text))
        assert got.shape == expected.shape == (1, 24)
        assert_close(got, expected, ATOL, "dpr feature-extraction")
    untasked = leanpipe.pipeline(model=str(folder))  # config.json's architectures: DPRQuestionEncoder
    assert untasked.task == "feature-extraction" and np.array_equal(np.array(untasked(TEXTS[0])), np.array(ours(TEXTS[0])))


def test_tokenizer_under_dpr_names(models, tmp_path, support):
    """tokenizer_config.json naming DPRQuestionEncoderTokenizer (model_type dpr picks it too): BERT's
    WordPiece with do_lower_case as the file says, from tokenizer.json or vocab.txt alone, ids and offsets
    as transformers' BertTokenizer gives them. transformers 5.2's DPR classes drop do_lower_case (their
    __init__ keeps it from BertTokenizer's), so with the uncased vocabulary of the released checkpoints
    "I" becomes [UNK] there; leanpipe lowercases, as those models were trained and transformers 4 did."""
    source = models("plain", "QuestionEncoder")
    for files in ("tokenizer.json", "vocab.txt"):
        folder = tmp_path / files
        shutil.copytree(source, folder)
        settings = json.loads((folder / "tokenizer_config.json").read_text())
        assert settings["do_lower_case"] is True
        (folder / "tokenizer_config.json").write_text(json.dumps({**settings, "tokenizer_class": "DPRQuestionEncoderTokenizer"}))
        if files == "vocab.txt":
            (folder / "tokenizer.json").unlink()
        ours = leanpipe.AutoTokenizer.from_pretrained(folder)
        bert = transformers.BertTokenizer.from_pretrained(folder)
        options = dict(return_offsets_mapping=True, padding=True)
        assert_same_encoding(ours(TEXTS[:8], **options), bert(TEXTS[:8], **options), f"dpr {files}")
        unk = transformers.AutoTokenizer.from_pretrained(folder)("I agree")["input_ids"][1]
        assert unk == 100 and ours("I agree")["input_ids"][1] == bert.convert_tokens_to_ids("i"), "transformers 5.2's DPR class"
        support("dpr", "tokenizer", files)


def test_config_defaults():
    check_config_defaults("DPRConfig")
