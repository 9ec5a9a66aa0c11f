"""ConvBERT (model_type "convbert") against transformers 5.2 on the same files.

Tiny random checkpoints of every head leanpipe runs for ConvBERT (not multiple choice), perturbed so a
wrong term shows, with embeddings narrower than the layers, the FFN in two groups and a 5-token
kernel, under MiniLM's WordPiece tokenizer. Outputs within 1e-4 (max abs printed) on both engines;
hidden states, attentions, num_parameters and the pipelines as transformers'; BertTokenizer as there."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from checkpoints import LABELS3, NER_LABELS, copy_tokenizer  # noqa: E402
from corpus import PAIRS, TEXTS  # noqa: E402
from family_checks import (PARITY_MARKS, assert_same_encoding, check_classification_and_features,  # noqa: E402
                           check_fill_mask, check_head_on_engines, check_ner_and_qa, int8_test)
from more_family_fixtures import perturb  # noqa: E402

pytestmark = PARITY_MARKS
# "convbert": embeddings narrower than the layers, the FFN in 2 groups, a 5-token kernel; "plain": conv-bert-base's
# layout (embeddings as wide as the layers, no groups, 9 tokens); "ratio": head_ratio above the heads (one head a half)
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=128)
SHAPES = {"convbert": dict(TINY, intermediate_size=40, embedding_size=16, num_groups=2, conv_kernel_size=5),
          "plain": dict(TINY, intermediate_size=37, embedding_size=32),
          "ratio": dict(TINY, intermediate_size=37, embedding_size=32, num_attention_heads=2, head_ratio=4, conv_kernel_size=3)}
HEADS = {"Model": ("last_hidden_state",), "ForSequenceClassification": ("logits",),
         "ForTokenClassification": ("logits",), "ForQuestionAnswering": ("start_logits", "end_logits"), "ForMaskedLM": ("logits",)}
AUTO = {"Model": "AutoModel", "ForSequenceClassification": "AutoModelForSequenceClassification",
        "ForTokenClassification": "AutoModelForTokenClassification", "ForQuestionAnswering": "AutoModelForQuestionAnswering",
        "ForMaskedLM": "AutoModelForMaskedLM", "ForMultipleChoice": "AutoModelForMultipleChoice"}
HEAD_NAMES = {"Model": "base", "ForSequenceClassification": "sequence-classification", "ForTokenClassification": "token-classification",
              "ForQuestionAnswering": "question-answering", "ForMaskedLM": "masked-lm"}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """models(head) or models(shape, head) (the shared checks' call, shape "convbert") -> a tiny random
    ConvBert<head> checkpoint folder (built once) with MiniLM's tokenizer."""
    root, built = tmp_path_factory.mktemp("convbert"), {}

    def build(*key: str):
        shape, head = (key[0] if len(key) == 2 else "convbert"), key[-1]
        if (shape, head) not in built:
            labels = {"ForSequenceClassification": {"id2label": LABELS3}, "ForTokenClassification": {"id2label": NER_LABELS}}.get(head, {})
            config = transformers.ConvBertConfig(vocab_size=30522, **SHAPES[shape], **labels)
            torch.manual_seed(len(built))
            model = getattr(transformers, f"ConvBert{head}")(config)
            perturb(model)
            folder = root / f"{shape}-{head}"
            model.eval().save_pretrained(folder)
            copy_tokenizer(folder)
            built[(shape, head)] = folder
        return built[(shape, head)]

    return build


@pytest.mark.parametrize("head", list(HEADS))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_model_parity(models, shape, head, support):
    folder = models(shape, head)
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    references = [dict(tok(TEXTS[:6], padding=True, truncation=True, max_length=48, return_tensors="pt")),
                  dict(tok([a for a, _ in PAIRS[:4]], [b for _, b in PAIRS[:4]], padding=True, return_tensors="pt")),
                  dict(tok(["one"], return_tensors="pt"))]
    theirs = getattr(transformers, f"ConvBert{head}").from_pretrained(folder).eval()
    check_head_on_engines(folder, theirs, AUTO[head], references, HEADS[head], f"convbert/{shape}/{head}")
    support("convbert", "head", HEAD_NAMES[head])


def test_pipelines(models):
    """text-classification, feature-extraction, fill-mask, token-classification and question-answering
    as transformers' pipelines give them."""
    check_classification_and_features(models, "convbert")
    check_fill_mask(models, "convbert")
    check_ner_and_qa(models, "convbert")


def test_config_defaults_and_refusals(tmp_path):
    ours, theirs = leanpipe.ConvBertConfig().to_dict(), transformers.ConvBertConfig().to_dict()
    assert {k: v for k, v in ours.items() if k != "transformers_version"} == {k: v for k, v in theirs.items() if k != "transformers_version"}
    leanpipe.ConvBertConfig(conv_kernel_size=4).save_pretrained(tmp_path)
    with pytest.raises(leanpipe.ConfigError, match="conv_kernel_size=4 is even"):
        leanpipe.AutoConfig.from_pretrained(tmp_path)


def test_pipelines_batch_texts_of_one_length(models):
    """The span convolutions read the padding next to a text's last tokens (transformers' do too): a
    batch of different lengths gives each text the answer it gets alone, as transformers' pipeline."""
    texts = ["short", "a somewhat longer text with more words in it", "mid length text"]
    ours = leanpipe.pipeline("feature-extraction", model=models("Model"))
    alone = [np.array(ours(t)) for t in texts]
    together = ours(texts, batch_size=3)
    for a, b in zip(alone, together):
        assert np.array_equal(a, np.array(b))


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
