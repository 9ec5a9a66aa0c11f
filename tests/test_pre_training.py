"""The pre-training heads. AutoModelForPreTraining (transformers' XForPreTraining) for the families that
have one: BERT, ERNIE, MegatronBERT and MobileBERT (MLM + next-sentence logits), ALBERT (MLM +
sentence-order logits), ELECTRA (the discriminator's per-token logits, what google/electra-*-discriminator
checkpoints are); other families' AutoModelForPreTraining is their masked LM, as in transformers. And
AutoModelForNextSentencePrediction (BERT, ERNIE, MegatronBERT, MobileBERT). Tiny random checkpoints,
(text, next text) pairs; every output within 1e-4 of transformers' (max abs printed) on both engines."""

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
OUTPUTS = {"bert": ("prediction_logits", "seq_relationship_logits"), "albert": ("prediction_logits", "sop_logits"),
           "electra": ("logits",)}
FAMILIES = ["bert", "ernie", "megatron-bert", "mobilebert", "albert", "electra"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root, cache = tmp_path_factory.mktemp("pre-training"), {}

    def get(model_type: str, head: str = "ForPreTraining"):
        if (model_type, head) not in cache:
            folder = root / f"{model_type}-{head}"
            if model_type == "bert":
                torch.manual_seed(0)
                model = getattr(transformers, f"Bert{head}")(transformers.BertConfig(vocab_size=30522, **TINY_BERT))
                more_family_fixtures.perturb(model)
                model.eval().save_pretrained(folder)
                copy_tokenizer(folder)
            else:
                if "tokenizers" not in cache:
                    cache["tokenizers"] = family_fixtures.build_tokenizers(root / "tokenizers")
                family_fixtures.build_model(model_type, head, cache["tokenizers"][f"{model_type}-json"], folder)
            cache[model_type, head] = folder
        return cache[model_type, head]

    return get


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("model_type", FAMILIES)
def test_outputs_match_transformers(models, model_type, engine, support):
    folder = models(model_type)
    theirs = transformers.AutoModelForPreTraining.from_pretrained(folder).eval()
    ours = leanpipe.AutoModelForPreTraining.from_pretrained(folder, engine=engine)
    assert type(ours).__name__ == type(theirs).__name__
    inputs = transformers.AutoTokenizer.from_pretrained(folder)(FIRST, SECOND, padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = theirs(**inputs)
    got = ours(**inputs)
    names = OUTPUTS.get(model_type, OUTPUTS["bert"])
    assert list(got.keys()) == list(names)
    for name in names:
        assert_close(got[name].numpy(), getattr(expected, name).numpy(), ATOL, f"{model_type} ForPreTraining {name} ({engine})")
    assert [t.shape for t in got.to_tuple()] == [t.shape for t in expected.to_tuple()]
    support(model_type, "head", "pre-training")


def test_other_families_get_their_masked_lm(models):
    folder = models("roberta", "ForMaskedLM")
    ours = leanpipe.AutoModelForPreTraining.from_pretrained(folder)
    assert type(ours).__name__ == type(transformers.AutoModelForPreTraining.from_pretrained(folder)).__name__ == "RobertaForMaskedLM"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("model_type", ["bert", "ernie", "megatron-bert", "mobilebert"])
def test_next_sentence_logits_match_transformers(models, model_type, engine, support):
    folder = models(model_type, "ForNextSentencePrediction")
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
