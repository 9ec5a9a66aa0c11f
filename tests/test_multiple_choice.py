"""AutoModelForMultipleChoice (transformers' XForMultipleChoice) for every family transformers 5.2 gives
one and leanpipe runs: tiny random checkpoints, inputs (batch, choices, sequence) from (prompt, choice)
pairs, logits (batch, choices) within 1e-4 of transformers' (max abs printed) on both engines."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
import family_fixtures  # noqa: E402
import more_family_fixtures  # noqa: E402
from checkpoints import TINY_BERT, TINY_DISTILBERT, copy_tokenizer  # noqa: E402
from conftest import assert_close  # noqa: E402
from family_checks import ATOL, ENGINES, PARITY_MARKS  # noqa: E402
from leanpipe.errors import InputError  # noqa: E402
from transformers.models.auto.modeling_auto import MODEL_FOR_MULTIPLE_CHOICE_MAPPING_NAMES  # noqa: E402

pytestmark = PARITY_MARKS

PROMPTS = ["The cat sat on the mat and then it", "Where do you keep the milk?"]
CHOICES = [["slept.", "flew to the moon over the river.", "ate its dinner"], ["In the fridge.", "On a cloud", "nowhere at all, really"]]
FAMILY_FIXTURES = list(family_fixtures.FAMILIES)
MORE_FIXTURES = ["mpnet", "modernbert", "deberta-v2"]
FAMILIES = ["bert", "distilbert", *FAMILY_FIXTURES, *MORE_FIXTURES]
# transformers 5.2 builds XLMRobertaForMultipleChoice and CamembertForMultipleChoice without the pooler they read
# and fails (IndexError); transformers 4 ran them as RobertaForMultipleChoice, which is the reference here
AS_ROBERTA = ("xlm-roberta", "camembert")


def _build_as_roberta(model_type, tokenizer_folder, folder):
    """A checkpoint as transformers 4 saved these two: RobertaForMultipleChoice's tensors under their config."""
    _, config_cls, _, kwargs = family_fixtures.SPECS[model_type]
    vocab = len(transformers.AutoTokenizer.from_pretrained(tokenizer_folder))
    torch.manual_seed(0)
    model = transformers.RobertaForMultipleChoice(getattr(transformers, config_cls)(vocab_size=vocab, **kwargs))
    more_family_fixtures.perturb(model)
    model.eval().save_pretrained(folder)
    for f in tokenizer_folder.iterdir():
        if f.name != "config.json":
            shutil.copy(f, folder / f.name)


def reference(model_type, folder):
    if model_type in AS_ROBERTA:
        return transformers.RobertaForMultipleChoice.from_pretrained(folder).eval()
    return transformers.AutoModelForMultipleChoice.from_pretrained(folder).eval()


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """model_type -> a tiny random <Prefix>ForMultipleChoice checkpoint with its tokenizer, built on first use."""
    root, cache, tokenizers = tmp_path_factory.mktemp("multiple-choice"), {}, {}

    def get(model_type: str):
        if model_type in cache:
            return cache[model_type]
        folder = root / model_type
        if model_type in ("bert", "distilbert"):
            config = (transformers.BertConfig(vocab_size=30522, **TINY_BERT) if model_type == "bert"
                      else transformers.DistilBertConfig(vocab_size=30522, **TINY_DISTILBERT))
            torch.manual_seed(0)
            model = getattr(transformers, "BertForMultipleChoice" if model_type == "bert" else "DistilBertForMultipleChoice")(config)
            more_family_fixtures.perturb(model)
            model.eval().save_pretrained(folder)
            copy_tokenizer(folder)
        elif model_type in FAMILY_FIXTURES:
            if "family" not in tokenizers:
                tokenizers["family"] = family_fixtures.build_tokenizers(root / "family-tokenizers")
            source = tokenizers["family"][f"{model_type}-json"]
            if model_type in AS_ROBERTA:
                _build_as_roberta(model_type, source, folder)
            else:
                family_fixtures.build_model(model_type, "ForMultipleChoice", source, folder)
        else:
            if "more" not in tokenizers:
                tokenizers["more"] = more_family_fixtures.build_tokenizers(root / "more-tokenizers")
            source = tokenizers["more"][more_family_fixtures.MODEL_TOKENIZER[model_type]]
            more_family_fixtures.build_model(model_type, "ForMultipleChoice", source, folder)
        cache[model_type] = folder
        return folder

    return get


def choice_inputs(tokenizer, return_tensors="pt"):
    """Each prompt paired with each of its choices: {name: (2, 3, T)}."""
    firsts = [p for p, options in zip(PROMPTS, CHOICES) for _ in options]
    seconds = [c for options in CHOICES for c in options]
    encoded = tokenizer(firsts, seconds, padding=True, return_tensors=return_tensors)
    return {k: v.reshape(len(PROMPTS), len(CHOICES[0]), -1) for k, v in encoded.items()}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("model_type", FAMILIES)
def test_logits_match_transformers(models, model_type, engine, support):
    folder = models(model_type)
    theirs = reference(model_type, folder)
    ours = leanpipe.AutoModelForMultipleChoice.from_pretrained(folder, engine=engine)
    assert type(ours).__name__ == MODEL_FOR_MULTIPLE_CHOICE_MAPPING_NAMES[model_type]
    inputs = choice_inputs(transformers.AutoTokenizer.from_pretrained(folder))
    with torch.no_grad():
        expected = theirs(**inputs).logits
    got = ours(**inputs).logits
    assert isinstance(got, torch.Tensor) and got.shape == expected.shape == (2, 3), (got.shape, expected.shape)
    assert_close(got.numpy(), expected.numpy(), ATOL, f"{model_type} ForMultipleChoice logits ({engine})")
    support(model_type, "head", "multiple-choice")


def test_numpy_inputs_hidden_states_and_refusals(models):
    folder = models("bert")
    theirs = transformers.BertForMultipleChoice.from_pretrained(folder).eval()
    ours = leanpipe.BertForMultipleChoice.from_pretrained(folder)
    tokenizer = leanpipe.AutoTokenizer.from_pretrained(folder)
    inputs = choice_inputs(tokenizer, return_tensors="np")
    got = ours(**inputs, output_hidden_states=True)
    assert isinstance(got.logits, np.ndarray) and got.logits.shape == (2, 3)
    with torch.no_grad():
        expected = theirs(**{k: torch.from_numpy(v) for k, v in inputs.items()}, output_hidden_states=True)
    assert_close(got.logits, expected.logits.numpy(), ATOL, "numpy inputs")
    assert len(got.hidden_states) == len(expected.hidden_states)
    for mine, ref in zip(got.hidden_states, expected.hidden_states):  # (B * C, T, H), as transformers flattens them
        assert_close(mine, ref.numpy(), ATOL, "hidden states per (text, choice) row")
    logits, = ours(**inputs, return_dict=False)
    assert logits.shape == (2, 3)
    flat = {k: v.reshape(6, -1) for k, v in inputs.items()}
    with pytest.raises(InputError, match=r"\(batch, choices, sequence\), got \(6, "):
        ours(**flat)
    with pytest.raises(InputError, match="same"):
        ours(input_ids=inputs["input_ids"], attention_mask=flat["attention_mask"])
    with pytest.raises(InputError, match=r"\(batch, choices, sequence\), got none"):
        ours(attention_mask=inputs["attention_mask"])
    with pytest.raises(InputError, match="has no pipeline task"):
        leanpipe.pipeline(model=ours)


def test_xlm_roberta_saved_by_transformers_5_is_refused(models, tmp_path):
    """What transformers 5.2's XLMRobertaForMultipleChoice saves has no pooler: refused with the reason."""
    source = models("xlm-roberta")
    torch.manual_seed(0)
    config = transformers.AutoConfig.from_pretrained(source)
    transformers.XLMRobertaForMultipleChoice(config).save_pretrained(tmp_path / "m")
    with pytest.raises(leanpipe.CheckpointError, match="has no pooler"):
        leanpipe.AutoModelForMultipleChoice.from_pretrained(tmp_path / "m")


def test_longformer_global_attention_on_the_choices(models):
    """Longformer's default global attention for multiple choice (each choice's tokens, after the pair's
    </s></s>), and a global_attention_mask given as (batch, choices, sequence)."""
    folder = models("longformer")
    theirs = transformers.LongformerForMultipleChoice.from_pretrained(folder).eval()
    ours = leanpipe.LongformerForMultipleChoice.from_pretrained(folder)
    inputs = choice_inputs(transformers.AutoTokenizer.from_pretrained(folder))
    glob = torch.zeros_like(inputs["input_ids"])
    glob[..., 0] = 1  # only <s>: other logits than the default's
    with torch.no_grad():
        expected, default = theirs(**inputs, global_attention_mask=glob).logits, theirs(**inputs).logits
    got = ours(**inputs, global_attention_mask=glob).logits
    assert_close(got.numpy(), expected.numpy(), ATOL, "Longformer multiple choice, global attention on <s>")
    assert float((expected - default).abs().max()) > 2 * ATOL  # the mask matters: ignoring it would fail the check above
    one_sep = {k: v[..., :4] for k, v in inputs.items()}
    with pytest.raises(InputError, match="exactly three </s>"):
        ours(**one_sep)
