"""ConvBERT (model_type "convbert") against transformers 5.2 on the same files.

Tiny random checkpoints of every head leanpipe runs for ConvBERT, perturbed so a
wrong term shows, with embeddings narrower than the layers, the FFN in two groups and a 5-token
kernel, under MiniLM's WordPiece tokenizer. Outputs within 1e-4 (max abs printed) on both engines;
hidden states, attentions, num_parameters and the pipelines as transformers'; BertTokenizer as there."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from corpus import TEXTS  # noqa: E402
from family_checks import (PARITY_MARKS, assert_same_encoding, check_pipelines,  # noqa: E402
                           check_head_on_engines, check_multiple_choice, int8_test)
from tiny_families import (AUTO, HEAD_NAMES, check_config_defaults, check_texts_alone_in_batches,  # noqa: E402
                           reference_inputs, tiny_models)

pytestmark = PARITY_MARKS
# "convbert": embeddings narrower than the layers, the FFN in 2 groups, a 5-token kernel; "plain": conv-bert-base's
# layout (embeddings as wide as the layers, no groups, 9 tokens); "ratio": head_ratio above the heads (one head a half)
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=128)
SHAPES = {"convbert": dict(TINY, intermediate_size=40, embedding_size=16, num_groups=2, conv_kernel_size=5),
          "plain": dict(TINY, intermediate_size=37, embedding_size=32),
          "ratio": dict(TINY, intermediate_size=37, embedding_size=32, num_attention_heads=2, head_ratio=4, conv_kernel_size=3)}
HEADS = {"Model": ("last_hidden_state",), "ForSequenceClassification": ("logits",),
         "ForTokenClassification": ("logits",), "ForQuestionAnswering": ("start_logits", "end_logits"), "ForMaskedLM": ("logits",)}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory, "ConvBert", SHAPES)


@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_model_parity(models, shape, head, support):
    folder = models(shape, head)
    references = reference_inputs(folder)
    theirs = getattr(transformers, f"ConvBert{head}").from_pretrained(folder).eval()
    check_head_on_engines(folder, theirs, AUTO[head], references, HEADS[head], f"convbert/{shape}/{head}")
    support("convbert", "head", HEAD_NAMES[head])


def test_multiple_choice(models, tmp_path, support):
    """Its sequence summary reads each (text, choice) row's last position, padding included, as transformers
    does (summary_type "last", its default); summary_type "first" with a tanh projection too."""
    folder = models("convbert", "ForMultipleChoice")
    check_multiple_choice(folder, transformers.ConvBertForMultipleChoice.from_pretrained(folder).eval(), "convbert")
    config = transformers.ConvBertConfig.from_pretrained(folder)
    config.update({"summary_type": "first", "summary_use_proj": True, "summary_activation": "tanh"})
    torch.manual_seed(0)
    projected = transformers.ConvBertForMultipleChoice(config).eval()
    projected.save_pretrained(tmp_path)
    transformers.AutoTokenizer.from_pretrained(folder).save_pretrained(tmp_path)
    check_multiple_choice(tmp_path, projected, "convbert summary first + tanh projection")
    config.update({"summary_type": "attn"})
    config.save_pretrained(tmp_path)
    with pytest.raises(leanpipe.ConfigError, match="summary_type 'attn'"):
        leanpipe.AutoModelForMultipleChoice.from_pretrained(tmp_path)
    support("convbert", "head", "multiple-choice")


def test_pipelines(models):
    """text-classification, feature-extraction, fill-mask, token-classification and question-answering
    as transformers' pipelines give them."""
    check_pipelines(models, "convbert")


def test_config_defaults_and_refusals(tmp_path):
    check_config_defaults("ConvBertConfig")
    leanpipe.ConvBertConfig(conv_kernel_size=4).save_pretrained(tmp_path)
    with pytest.raises(leanpipe.ConfigError, match="conv_kernel_size=4 is even"):
        leanpipe.AutoConfig.from_pretrained(tmp_path)


def test_pipelines_batch_texts_of_one_length(models):
    check_texts_alone_in_batches(models("Model"))


def test_tokenizer_from_vocab_txt(models, tmp_path, support):
    """transformers 5.2 gives model type convbert BertTokenizer: from vocab.txt alone too."""
    import shutil

    shutil.copy(models("Model") / "config.json", tmp_path / "config.json")
    shutil.copy(models("Model") / "vocab.txt", tmp_path / "vocab.txt")
    for folder, files in ((tmp_path, "vocab.txt"), (models("Model"), "tokenizer.json")):
        ours, theirs = leanpipe.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
        assert type(ours).__name__ == type(theirs).__name__ == "BertTokenizer"
        options = dict(return_offsets_mapping=True, padding=True)
        assert_same_encoding(ours(TEXTS[:8], **options), theirs(TEXTS[:8], **options), f"convbert {files}")
        support("convbert", "tokenizer", files)


test_int8_runs_near_fp32 = int8_test(["convbert"], ["Model", "ForSequenceClassification", "ForMaskedLM"])
