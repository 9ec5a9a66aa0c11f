"""I-BERT (model_type "ibert") against transformers 5.2 on the same files.

Tiny random checkpoints of every head, perturbed so a wrong term shows, saved by transformers with
their quantization buffers, under MiniLM's WordPiece tokenizer. quant_mode false (the released
checkpoints'): outputs within 1e-4 (max abs printed) on both engines; hidden states, attentions,
num_parameters and the pipelines as transformers'; quant_mode true is refused naming the fix."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from family_checks import PARITY_MARKS, check_head_on_engines, check_multiple_choice, check_pipelines  # noqa: E402
from tiny_families import AUTO, HEAD_NAMES, check_config_defaults, reference_inputs, tiny_models  # noqa: E402

pytestmark = PARITY_MARKS
# pad 0: MiniLM's tokenizer pads with 0, and RoBERTa-style positions count from the pad id
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, max_position_embeddings=130,
            pad_token_id=0)
SHAPES = {"ibert": {}}
HEADS = {"Model": ("last_hidden_state", "pooler_output"), "ForSequenceClassification": ("logits",),
         "ForTokenClassification": ("logits",), "ForQuestionAnswering": ("start_logits", "end_logits"), "ForMaskedLM": ("logits",)}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory, "IBert", SHAPES, **TINY)


@pytest.mark.parametrize("head", list(HEADS))
def test_model_parity(models, head, support):
    folder = models(head)
    assert any(name.endswith("weight_integer") for name in leanpipe_tensors(folder))  # the buffers are there, unread
    theirs = getattr(transformers, f"IBert{head}").from_pretrained(folder).eval()
    check_head_on_engines(folder, theirs, AUTO[head], reference_inputs(folder), HEADS[head], f"ibert/{head}")
    support("ibert", "head", HEAD_NAMES[head])


def leanpipe_tensors(folder):
    from leanpipe.weights.safetensors import load_safetensors

    return load_safetensors(folder / "model.safetensors")


def test_multiple_choice(models, support):
    folder = models("ForMultipleChoice")
    check_multiple_choice(folder, transformers.IBertForMultipleChoice.from_pretrained(folder).eval(), "ibert")
    support("ibert", "head", "multiple-choice")


def test_pipelines(models):
    """text-classification, feature-extraction, fill-mask, token-classification and question-answering
    as transformers' pipelines give them."""
    check_pipelines(models, "ibert")  # models("ibert", head): the one shape


def test_config_defaults_and_quant_mode(tmp_path):
    check_config_defaults("IBertConfig")
    leanpipe.IBertConfig(quant_mode=True).save_pretrained(tmp_path)
    with pytest.raises(leanpipe.ConfigError, match="quant_mode=True .* set \"quant_mode\": false"):
        leanpipe.AutoConfig.from_pretrained(tmp_path)


@pytest.mark.parametrize("kind", ["legacy", "json"])
def test_tokenizer_is_robertas(tmp_path, kind, support):
    """model_type ibert gives RoBERTa's byte-level BPE in transformers 5.2 (tokenization_auto): from
    vocab.json + merges.txt, and from the tokenizer.json transformers saves, ids and offsets as there."""
    import shutil

    from tokenizers import ByteLevelBPETokenizer

    from corpus import PAIRS, TEXTS
    from family_checks import assert_same_encoding

    legacy, saved = tmp_path / "legacy", tmp_path / "json"
    legacy.mkdir()
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(TEXTS * 3, vocab_size=400, min_frequency=1, show_progress=False,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.save_model(str(legacy))
    transformers.IBertConfig(vocab_size=bpe.get_vocab_size()).save_pretrained(legacy)
    transformers.AutoTokenizer.from_pretrained(legacy).save_pretrained(saved)
    shutil.copy(legacy / "config.json", saved / "config.json")
    folder = legacy if kind == "legacy" else saved
    ours, theirs = leanpipe.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    options = dict(return_offsets_mapping=True, padding=True)
    assert_same_encoding(ours(TEXTS[:10], **options), theirs(TEXTS[:10], **options), f"ibert {kind}")
    firsts, seconds = [a for a, _ in PAIRS[:4]], [b for _, b in PAIRS[:4]]
    assert_same_encoding(ours(firsts, seconds, padding=True), theirs(firsts, seconds, padding=True), f"ibert {kind} pairs")
    support("ibert", "tokenizer", "tokenizer.json" if kind == "json" else "vocab.json + merges.txt")
