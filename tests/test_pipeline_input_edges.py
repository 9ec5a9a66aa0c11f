"""Pipeline inputs at the edges, against transformers 5.2's own pipelines on tiny checkpoints:

- text-classification's {"text": a, "text_pair": ""}: no pair for a fast tokenizer, an empty second
  segment for ESM's Python one, as transformers' tokenizers read it;
- max_length without truncation (text-classification, feature-extraction's tokenize_kwargs, the
  tokenizer itself): cut at max_length unless padding is asked for, with transformers' warning;
- feature-extraction's tokenize_kwargs add_special_tokens, padding, pad_to_multiple_of (pad
  positions are results, as in transformers);
- an empty text that becomes a row with no tokens, alone or in a batch: refused naming its index;
- MobileBERT (trigram embeddings see the padding): lists give each text its answer alone.
Scores and vectors within 1e-4 (family_checks.ATOL).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sentencepiece", reason="the test extra's sentencepiece trains the tiny DeBERTa-v2 .model")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from corpus import TEXTS  # noqa: E402
from family_checks import PARITY_MARKS, plain, same  # noqa: E402
from family_fixtures import build_model, build_tokenizers  # noqa: E402
from leanpipe.errors import InputError  # noqa: E402

pytestmark = PARITY_MARKS
LIST = [TEXTS[0], "a", TEXTS[3], "Hello world, how are you?", TEXTS[6]]  # mixed lengths, so batches pad
TASK_HEADS = {"feature-extraction": "Model", "text-classification": "ForSequenceClassification",
              "token-classification": "ForTokenClassification"}
ESM_VOCAB = ["<cls>", "<pad>", "<eos>", "<unk>", *"LAGVSERTIDPKQNFYMHWCXBUZO.-", "<null_1>", "<mask>"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict:
    """(family, task) -> a tiny checkpoint: RoBERTa, MobileBERT, DeBERTa-v2 with the tokenizer.json
    transformers 5.2 saves (no [CLS] / [SEP] template), ESM (a Python tokenizer in transformers)."""
    import more_family_fixtures as more

    root = tmp_path_factory.mktemp("edges")
    tokenizers = build_tokenizers(root / "tok", ("roberta", "mobilebert"))
    deberta = root / "tok" / "deberta-v2-legacy"
    more._deberta_legacy(deberta)
    transformers.DebertaV2Config(**more.SPECS["deberta-v2"][2]).save_pretrained(deberta)
    transformers.AutoTokenizer.from_pretrained(deberta).save_pretrained(root / "tok" / "deberta-v2-json")
    out = {}
    for task, head in TASK_HEADS.items():
        for family in ("roberta", "mobilebert"):
            out[family, task] = build_model(family, head, tokenizers[f"{family}-json"], root / f"{family}-{head}")
        out["deberta-v2", task] = more.build_model("deberta-v2", head, root / "tok" / "deberta-v2-json", root / f"deberta-v2-{head}")
    out["esm", "text-classification"] = _esm_classifier(root / "esm")
    return out


def _esm_classifier(folder):
    folder.mkdir()
    (folder / "vocab.txt").write_text("\n".join(ESM_VOCAB))
    config = transformers.EsmConfig(vocab_size=len(ESM_VOCAB), pad_token_id=1, mask_token_id=32, hidden_size=32,
                                    num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                                    id2label={0: "membrane", 1: "soluble", 2: "other"})
    torch.manual_seed(0)
    model = transformers.EsmForSequenceClassification(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    model.save_pretrained(folder)
    transformers.EsmTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    return folder


def pipes(folders, family, task):
    folder = folders[family, task]
    return leanpipe.pipeline(task, model=str(folder)), transformers.pipeline(task, model=str(folder))


# --- 1. an empty text_pair -------------------------------------------------------------------------

@pytest.mark.parametrize("family", ["roberta", "deberta-v2", "esm"])
def test_empty_text_pair_is_read_as_transformers_tokenizer_reads_it(folders, family):
    ours, theirs = pipes(folders, family, "text-classification")
    a = "MKVLAG" if family == "esm" else "a b c"
    for inputs in ({"text": a, "text_pair": ""}, {"text": a, "text_pair": None}, {"text": a},
                   [{"text": a, "text_pair": ""}, {"text": a, "text_pair": "QQ" if family == "esm" else "b"},
                    {"text": a}, {"text": a, "text_pair": ""}]):
        same(ours(inputs, top_k=None), theirs(inputs, top_k=None), f"{family} {inputs}")
    # the row the model sees: transformers' tokenizer(text=a, text_pair="") (RoBERTa: no pair; ESM: <eos> twice)
    params = {**ours.runner.parameters, **ours.params}
    [sample] = ours.runner.encode([{"text": a, "text_pair": ""}], params)
    assert sample.chunks[0].ids == theirs.tokenizer(text=a, text_pair="")["input_ids"]
    assert (sample.chunks[0].ids == theirs.tokenizer(a)["input_ids"]) == (family != "esm")


# --- 2. max_length without truncation --------------------------------------------------------------

@pytest.mark.parametrize("padding", [None, True, "do_not_pad", "max_length"])
def test_text_classification_max_length_alone_truncates_unless_padding(folders, padding):
    ours, theirs = pipes(folders, "roberta", "text-classification")
    kwargs = {"max_length": 3, **({} if padding is None else {"padding": padding})}
    for inputs in (TEXTS[0], LIST, {"text": TEXTS[0], "text_pair": TEXTS[1]}):
        with warnings.catch_warnings(record=True) as theirs_warned:
            warnings.simplefilter("always")
            expected = theirs(inputs, top_k=None, **kwargs)
        with warnings.catch_warnings(record=True) as ours_warned:
            warnings.simplefilter("always")
            got = ours(inputs, top_k=None, **kwargs)
        same(got, expected, f"{kwargs} {inputs!r:.40}")
        ignored = {str(w.message) for w in theirs_warned if "`max_length` is ignored" in str(w.message)}
        assert {str(w.message) for w in ours_warned if "`max_length` is ignored" in str(w.message)} == ignored  # once per call, not per text
        assert bool(ignored) == (padding is True)


def test_tokenizer_max_length_alone_truncates(folders):
    folder = folders["roberta", "feature-extraction"]
    ours, theirs = leanpipe.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    for args in ((TEXTS[0],), (LIST,), (TEXTS[0], TEXTS[1]), ([TEXTS[0], "a"], [TEXTS[1], "b"])):
        for kwargs in ({"max_length": 4}, {"max_length": 4, "padding": True}, {"max_length": 6, "padding": "max_length"}):
            assert plain(ours(*args, **kwargs)["input_ids"]) == plain(theirs(*args, **kwargs)["input_ids"]), (args, kwargs)


# --- 3. feature-extraction's tokenize_kwargs -------------------------------------------------------

TOKENIZE_KWARGS = [{"max_length": 4}, {"max_length": 4, "truncation": False}, {"add_special_tokens": False},
                   {"add_special_tokens": False, "max_length": 3}, {"padding": True}, {"padding": "longest"},
                   {"padding": True, "max_length": 3}, {"padding": "max_length", "max_length": 10},
                   {"padding": "max_length", "max_length": 4}, {"padding": "max_length", "max_length": 6, "truncation": True},
                   {"padding": True, "pad_to_multiple_of": 8}, {"padding": "do_not_pad", "max_length": 3},
                   {"padding": False, "max_length": 3}]


@pytest.mark.parametrize("family", ["roberta", "deberta-v2", "mobilebert"])
@pytest.mark.parametrize("kwargs", TOKENIZE_KWARGS, ids=str)
def test_feature_extraction_tokenize_kwargs(folders, family, kwargs):
    """As transformers (batch_size 1: each text tokenized and run alone): padded positions come back
    as vectors too; DeBERTa-v2's differ with more padding, so such rows are never padded further."""
    ours, theirs = pipes(folders, family, "feature-extraction")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for inputs in (TEXTS[0], LIST):
            expected = theirs(inputs, tokenize_kwargs=kwargs)
            same(ours(inputs, tokenize_kwargs=kwargs), expected, f"{family} {kwargs} {inputs!r:.30}")
            same(ours(inputs, tokenize_kwargs=kwargs, batch_size=1), expected, f"{family} {kwargs} batch_size=1")


def test_feature_extraction_refuses_other_tokenize_kwargs(folders):
    ours, _ = pipes(folders, "roberta", "feature-extraction")
    with pytest.raises(InputError, match="stride.*takes"):
        ours("a", tokenize_kwargs={"stride": 2})


# --- 4. an empty text ----------------------------------------------------------------------------

@pytest.mark.parametrize("task", ["token-classification", "text-classification", "feature-extraction"])
def test_empty_text_with_special_tokens_is_answered(folders, task):
    ours, theirs = pipes(folders, "roberta", task)
    for inputs in ("", ["hello", ""], ["", TEXTS[0], ""]):
        same(plain(ours(inputs)), plain(theirs(inputs)), f"{task} {inputs!r}")


@pytest.mark.parametrize("task", ["token-classification", "text-classification", "feature-extraction"])
def test_a_row_with_no_tokens_is_refused_naming_its_index(folders, task):
    ours, theirs = pipes(folders, "deberta-v2", task)
    assert ours.tokenizer("")["input_ids"] == []  # transformers 5.2's saved DeBERTa-v3 tokenizer adds no [CLS]/[SEP]
    for inputs, index in (("", 0), (["hello", ""], 1), (["hello", "world", "", ""], 2)):
        with pytest.raises(Exception):  # transformers: a RuntimeError from inside the model
            theirs(inputs)
        with pytest.raises(InputError, match=rf"input {index} \(''\) gives the model a row with no tokens"):
            ours(inputs)


def test_no_special_tokens_and_an_empty_text_is_refused(folders):
    ours, _ = pipes(folders, "roberta", "feature-extraction")
    with pytest.raises(InputError, match="input 1 .*add_special_tokens=False"):
        ours(["a", ""], tokenize_kwargs={"add_special_tokens": False})


# --- 5. MobileBERT: padding reaches real tokens --------------------------------------------------

@pytest.mark.parametrize("task,kwargs", [("feature-extraction", {}), ("text-classification", {"top_k": None}),
                                         ("token-classification", {}),
                                         ("token-classification", {"aggregation_strategy": "simple"})])
def test_mobilebert_lists_answer_each_text_as_alone(folders, task, kwargs):
    ours, theirs = pipes(folders, "mobilebert", task)
    texts = LIST + [LIST[0], "b", "Hello world, how are you?"]  # equal lengths may share a batch
    expected = [plain(theirs(x, **kwargs)) for x in texts]
    same(plain(ours(texts, **kwargs)), expected, f"{task} {kwargs}")
    same(plain(ours(texts, batch_size=3, **kwargs)), expected, f"{task} {kwargs} batch_size=3")


def test_mobilebert_model_still_matches_transformers_on_a_padded_batch(folders):
    folder = folders["mobilebert", "feature-extraction"]
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    batch = tokenizer(LIST, padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = transformers.AutoModel.from_pretrained(folder)(**batch).last_hidden_state.numpy()
    got = leanpipe.AutoModel.from_pretrained(folder)(**{k: v.numpy() for k, v in batch.items()}).last_hidden_state
    assert float(np.abs(np.asarray(got) - expected).max()) <= 1e-4
