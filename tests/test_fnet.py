"""FNet (model_type "fnet") against transformers 5.2 on the same files.

Tiny random checkpoints of every head transformers has for FNet, perturbed so a wrong term shows,
under MiniLM's WordPiece tokenizer, with gelu_new (FNet's default) and with ReLU. Outputs within 1e-4
(max abs printed) on both engines, padded batches included (the Fourier transform mixes the padding
in, in both); hidden states, num_parameters, int8 and the pipelines as transformers' (texts batched
only with texts of their own length); output_attentions refused (FNet has none)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from corpus import PAIRS, TEXTS  # noqa: E402
from family_checks import (PARITY_MARKS, assert_same_encoding, check_pipelines,  # noqa: E402
                           check_head_on_engines, check_multiple_choice, int8_test)
from leanpipe.errors import InputError  # noqa: E402
from tiny_families import (AUTO, HEAD_NAMES, check_config_defaults, check_texts_alone_in_batches,  # noqa: E402
                           reference_inputs, sentencepiece_folders, tiny_models)

pytestmark = PARITY_MARKS
# "fnet": a tiny FNet (gelu_new, 4 token types); "relu": another activation and 2 token types
TINY = dict(hidden_size=32, num_hidden_layers=2, intermediate_size=37, max_position_embeddings=128)
SHAPES = {"fnet": TINY, "relu": dict(TINY, hidden_act="relu", type_vocab_size=2)}
HEADS = {"Model": ("last_hidden_state", "pooler_output"), "ForSequenceClassification": ("logits",),
         "ForTokenClassification": ("logits",), "ForQuestionAnswering": ("start_logits", "end_logits"), "ForMaskedLM": ("logits",),
         "ForNextSentencePrediction": ("logits",), "ForPreTraining": ("prediction_logits", "seq_relationship_logits")}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory, "FNet", SHAPES)


@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_model_parity(models, shape, head, support):
    folder = models(shape, head)
    references = reference_inputs(folder)
    theirs = getattr(transformers, f"FNet{head}").from_pretrained(folder).eval()
    check_head_on_engines(folder, theirs, AUTO[head], references, HEADS[head], f"fnet/{shape}/{head}", attentions=False)
    with pytest.raises(InputError, match="no attention"):
        getattr(leanpipe, AUTO[head]).from_pretrained(folder)(**{k: v.numpy() for k, v in references[0].items()}, output_attentions=True)
    support("fnet", "head", HEAD_NAMES[head])


def test_multiple_choice(models, support):
    folder = models("ForMultipleChoice")
    check_multiple_choice(folder, transformers.FNetForMultipleChoice.from_pretrained(folder).eval(), "fnet")
    support("fnet", "head", "multiple-choice")


def test_pipelines(models):
    """text-classification, feature-extraction, fill-mask, token-classification and question-answering
    as transformers' pipelines give them."""
    check_pipelines(models, "fnet")


def test_config_defaults_and_refusals(tmp_path):
    check_config_defaults("FNetConfig")
    leanpipe.FNetConfig(use_tpu_fourier_optimizations=True).save_pretrained(tmp_path)
    with pytest.raises(leanpipe.ConfigError, match="use_tpu_fourier_optimizations=True is not supported"):
        leanpipe.AutoConfig.from_pretrained(tmp_path)


def test_pipelines_batch_texts_of_one_length(models):
    check_texts_alone_in_batches(models("Model"))


def test_fnet_tokenizer(tmp_path, support):
    """FNetTokenizer (ALBERT's SentencePiece recipe, input_ids and token_type_ids, no attention mask) from
    spiece.model and from the tokenizer.json transformers saves: ids, types and offsets as transformers'."""
    legacy, saved = sentencepiece_folders(tmp_path, "FNet", "spiece.model", pad_id=0, unk_id=1, bos_id=-1, eos_id=-1,
                                          control_symbols=["[CLS]", "[SEP]"], user_defined_symbols=["[MASK]"])
    for folder, files in ((legacy, "spiece.model"), (saved, "tokenizer.json")):
        ours, theirs = leanpipe.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
        assert type(ours).__name__ == type(theirs).__name__ == "FNetTokenizer"
        options = dict(return_offsets_mapping=True, padding=True)
        texts = TEXTS[:10] + ["Hello [MASK] World", "  Ångström  café "]
        assert_same_encoding(ours(texts, **options), theirs(texts, **options), f"fnet {files}")
        firsts, seconds = [a for a, _ in PAIRS[:4]], [b for _, b in PAIRS[:4]]
        assert_same_encoding(ours(firsts, seconds, **options), theirs(firsts, seconds, **options), f"fnet pairs {files}")
        assert list(ours("hi").keys()) == list(theirs("hi").keys()) == ["input_ids", "token_type_ids"]
        support("fnet", "tokenizer", files)


test_int8_runs_near_fp32 = int8_test(["fnet"], ["Model", "ForSequenceClassification", "ForMaskedLM"])
