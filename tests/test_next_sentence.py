"""AutoModelForNextSentencePrediction (BERT's pre-training NSP head) for the families transformers 5.2 gives
one and leanpipe runs: tiny random checkpoints, (text, next text) pairs, logits (batch, 2) within 1e-4 of
transformers' (max abs printed) on both engines."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
import family_fixtures  # noqa: E402
import more_family_fixtures  # noqa: E402
from checkpoints import TINY_BERT, copy_tokenizer  # noqa: E402
from conftest import assert_close  # noqa: E402
from family_checks import ATOL, ENGINES, PARITY_MARKS  # noqa: E402

pytestmark = PARITY_MARKS

FIRST = ["The cat sat on the mat.", "Where do you keep the milk?", "short"]
SECOND = ["Then it fell asleep in the sun.", "Quantum chromodynamics describes the strong force.", "a longer second text here"]
FAMILIES = ["bert", "ernie", "megatron-bert", "mobilebert"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root, cache = tmp_path_factory.mktemp("next-sentence"), {}

    def get(model_type: str):
        if model_type not in cache:
            folder = root / model_type
            if model_type == "bert":
                torch.manual_seed(0)
                model = transformers.BertForNextSentencePrediction(transformers.BertConfig(vocab_size=30522, **TINY_BERT))
                more_family_fixtures.perturb(model)
                model.eval().save_pretrained(folder)
                copy_tokenizer(folder)
            else:
                if "tokenizers" not in cache:
                    cache["tokenizers"] = family_fixtures.build_tokenizers(root / "tokenizers")
                family_fixtures.build_model(model_type, "ForNextSentencePrediction", cache["tokenizers"][f"{model_type}-json"], folder)
            cache[model_type] = folder
        return cache[model_type]

    return get


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("model_type", FAMILIES)
def test_logits_match_transformers(models, model_type, engine, support):
    folder = models(model_type)
    theirs = transformers.AutoModelForNextSentencePrediction.from_pretrained(folder).eval()
    ours = leanpipe.AutoModelForNextSentencePrediction.from_pretrained(folder, engine=engine)
    assert type(ours).__name__ == type(theirs).__name__
    inputs = transformers.AutoTokenizer.from_pretrained(folder)(FIRST, SECOND, padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = theirs(**inputs).logits
    got = ours(**inputs).logits
    assert got.shape == expected.shape == (3, 2)
    assert_close(got.numpy(), expected.numpy(), ATOL, f"{model_type} ForNextSentencePrediction logits ({engine})")
    support(model_type, "head", "next-sentence-prediction")
