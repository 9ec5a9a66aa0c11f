"""Qwen 2 (model_type "qwen2": Qwen2ForSequenceClassification / TokenClassification / QuestionAnswering, Qwen2Model)
against transformers 5.2 on the same files: Qwen 3's network without q_norm / k_norm, with biases on the q / k / v
projections and none on o_proj (tests/test_qwen3.py checks the rest of what they share).

Tiny random checkpoints, perturbed so a wrong term shows, under MiniLM's WordPiece tokenizer: grouped-query
attention, sliding-window layers, and a config.json that names its own head_dim (Qwen2Attention reads it);
batches padded on the right and on the left. last_hidden_state and logits within 1e-4 (max abs printed) on
both engines; the text-classification pipeline; the config's defaults."""

from __future__ import annotations

import json
import shutil

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from corpus import TEXTS  # noqa: E402
from family_checks import PARITY_MARKS, check_head_on_engines  # noqa: E402
from test_qwen3 import AUTO, HEADS, inputs, qwen_tokenizer, same_text_classification  # noqa: E402,F401  (qwen_tokenizer: a fixture)
from tiny_families import check_config_defaults, tiny_models  # noqa: E402

pytestmark = PARITY_MARKS
TINY = dict(hidden_size=48, intermediate_size=40, num_hidden_layers=3, num_attention_heads=4, max_position_embeddings=128,
            pad_token_id=0)
SHAPES = {"gqa": {"num_key_value_heads": 2, "rope_theta": 5000.0},
          "sliding": {"num_key_value_heads": 1, "use_sliding_window": True, "sliding_window": 6, "max_window_layers": 1},
          "head-dim": {"num_key_value_heads": 2, "head_dim": 16}}  # not 48 / 4


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory, "Qwen2", SHAPES, **TINY)


@pytest.mark.parametrize("shape,head", [(shape, head) for shape in SHAPES for head in HEADS
                                        if shape != "head-dim" or head == "Model"])
def test_head_parity(models, shape, head, support):
    folder = models(shape, head)
    auto, name, keys = AUTO[head]
    theirs = getattr(transformers, f"Qwen2{head}").from_pretrained(folder).eval()
    check_head_on_engines(folder, theirs, auto, inputs(folder), keys, f"qwen2/{shape}/{head}")
    ours = getattr(leanpipe, f"Qwen2{head}").from_pretrained(folder)
    c = theirs.config  # Qwen2Attention's head_dim: config.json's, else hidden_size / num_attention_heads
    assert type(ours).__name__ == f"Qwen2{head}"
    assert ours.config.head_dim == getattr(c, "head_dim", c.hidden_size // c.num_attention_heads)
    support("qwen2", "head", name)


def test_text_classification_pipeline(models):
    same_text_classification(models("gqa", "ForSequenceClassification"), "qwen2")


def test_config_defaults():
    check_config_defaults("Qwen2Config")
    assert leanpipe.Qwen2Config().head_dim == transformers.Qwen2Config().hidden_size // 32
    assert "head_dim" not in leanpipe.Qwen2Config().to_dict()  # derived, as transformers', not saved


def test_tokenizer(qwen_tokenizer, tmp_path, support):  # noqa: F811  (the fixture imported above)
    """Qwen2Tokenizer's tokenizer.json under a qwen2 config: the same ids, offsets and class as transformers'."""
    from family_checks import assert_same_encoding

    folder = tmp_path / "qwen2-tokenizer"
    shutil.copytree(qwen_tokenizer[0], folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "qwen2", "architectures": ["Qwen2Model"]}))
    ours, theirs = leanpipe.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    assert type(ours).__name__ == type(theirs).__name__ == "Qwen2Tokenizer"
    texts = [*TEXTS[:8], "Ünïcödé   spaces\tand\nnew lines, émojis 🙂 and digits 12345"]
    options = dict(return_offsets_mapping=True, padding=True)
    assert_same_encoding(ours(texts, **options), theirs(texts, **options), "qwen2 tokenizer")
    support("qwen2", "tokenizer", "tokenizer.json")
