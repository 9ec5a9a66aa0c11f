"""RemBERT (model_type "rembert") against transformers 5.2 on the same files.

Tiny random checkpoints of every head transformers has for RemBERT (but causal LM), perturbed so a
wrong term shows, with embeddings narrower than the hidden size and an LM head through a third
width, under MiniLM's WordPiece tokenizer. Outputs within 1e-4 (max abs printed) on both engines;
hidden states, attentions, num_parameters and the pipelines as transformers'; RemBERT's own
SentencePiece tokenizer read from tokenizer.json gives transformers' ids and offsets."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from family_checks import (PARITY_MARKS, check_pipelines,  # noqa: E402
                           check_head_on_engines, check_multiple_choice, int8_test)
from tiny_families import (AUTO, HEAD_NAMES, check_config_defaults, check_tokenizer_json_only, reference_inputs,  # noqa: E402
                           sentencepiece_folders, tiny_models)

pytestmark = PARITY_MARKS
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, input_embedding_size=16,
            output_embedding_size=24, max_position_embeddings=128)
HEADS = {"Model": ("last_hidden_state", "pooler_output"), "ForSequenceClassification": ("logits",),
         "ForTokenClassification": ("logits",), "ForQuestionAnswering": ("start_logits", "end_logits"), "ForMaskedLM": ("logits",)}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory, "RemBert", {"rembert": TINY})


@pytest.mark.parametrize("head", list(HEADS))
def test_model_parity(models, head, support):
    folder = models(head)
    references = reference_inputs(folder)
    theirs = getattr(transformers, f"RemBert{head}").from_pretrained(folder).eval()
    check_head_on_engines(folder, theirs, AUTO[head], references, HEADS[head], f"rembert/{head}")
    support("rembert", "head", HEAD_NAMES[head])


def test_multiple_choice(models, support):
    folder = models("ForMultipleChoice")
    check_multiple_choice(folder, transformers.RemBertForMultipleChoice.from_pretrained(folder).eval(), "rembert")
    support("rembert", "head", "multiple-choice")


def test_pipelines(models):
    """text-classification, feature-extraction, fill-mask, token-classification and question-answering
    as transformers' pipelines give them."""
    check_pipelines(models, "rembert")


def test_config_defaults():
    check_config_defaults("RemBertConfig")


def test_rembert_sentencepiece_tokenizer_from_tokenizer_json(tmp_path, support):
    """RemBERT's own tokenizer ([CLS] A [SEP] B [SEP] over SentencePiece) as transformers saves it: tokenizer.json,
    read as it is, gives transformers' ids, types, masks and offsets."""
    legacy, saved = sentencepiece_folders(tmp_path, "RemBert", "sentencepiece.model", pad_id=0, unk_id=3, bos_id=1, eos_id=2, control_symbols=["[SEP]", "[CLS]"], user_defined_symbols=["[MASK]"])
    check_tokenizer_json_only(legacy, saved, "RemBertTokenizer", "rembert")
    support("rembert", "tokenizer", "tokenizer.json")


test_int8_runs_near_fp32 = int8_test(["rembert"], ["Model", "ForSequenceClassification", "ForMaskedLM"])
