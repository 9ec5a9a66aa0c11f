"""leanpipe.SentenceTransformer's module views, tokenize() and the processor_kwargs / tokenizer_kwargs /
config_kwargs / model_kwargs loading arguments, against sentence-transformers 6.3 on the real
all-MiniLM-L6-v2 and on copies of it (multi-mode pooling + Dense, do_lower_case, a StaticEmbedding model).
Token ids must be equal; vectors within 1e-4 (max abs difference printed on failure)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
st = pytest.importorskip("sentence_transformers")

import leanpipe  # noqa: E402
from conftest import assert_close  # noqa: E402
from leanpipe.errors import InputError  # noqa: E402
from test_dense_module import dense, with_dense  # noqa: E402
from test_static_embedding import static_module  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")

ATOL = 1e-4
TEXTS = ["A man is eating food.", "Hello WORLD Ångström café", "short", "", "x y z " * 200]
PAIRS = [("what is eaten?", "A man is eating food."), ("Hello", "WORLD " * 300)]


def theirs_of(folder, **options):
    return st.SentenceTransformer(str(folder), device="cpu", **options)


@pytest.fixture(scope="module")
def minilm_pair(minilm):
    return leanpipe.SentenceTransformer(minilm), theirs_of(minilm)


@pytest.fixture(scope="module")
def dense_folder(minilm, tmp_path_factory):
    """Pooling cls + mean concatenated (768), a Dense 768 -> 32 (tanh), no Normalize."""
    folder = tmp_path_factory.mktemp("dense") / "model"
    return with_dense(minilm, folder, [dense(768, 32)], pooling=["cls", "mean"], normalize=False)


def assert_same_inputs(got, expected, what):
    """Our NumPy dict against sentence-transformers' tensors: same keys (less its "modality" string),
    int64, equal values."""
    expected = {k: v.numpy() for k, v in expected.items() if k != "modality"}
    assert list(got) == list(expected), f"{what}: keys {list(got)} != {list(expected)}"
    for key, value in expected.items():
        assert got[key].dtype == np.int64 and got[key].shape == value.shape, (what, key, got[key].shape, value.shape)
        assert np.array_equal(got[key], value), f"{what}: {key} differs at {np.argwhere(got[key] != value)[:5].tolist()}"


# --- module views ----------------------------------------------------------------------------------


def test_modules_match_sentence_transformers(minilm_pair):
    ours, theirs = minilm_pair
    assert len(ours) == len(theirs) == 3
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs] == ["Transformer", "Pooling", "Normalize"]
    for mine, reference in zip(ours, theirs):
        assert repr(mine) == repr(reference)
    assert ours[-1] is ours[2] and ours._first_module() is ours[0] and ours._last_module() is ours[-1]
    assert [type(m).__name__ for m in ours[1:]] == ["Pooling", "Normalize"]
    with pytest.raises(IndexError, match="3 modules"):
        ours[3]


def test_transformer_module(minilm_pair):
    ours, theirs = minilm_pair
    module, reference = ours[0], theirs[0]
    assert module.auto_model is ours._pipe.model and type(module.auto_model).__name__ == type(reference.auto_model).__name__
    assert module.tokenizer is ours.tokenizer and module.config.hidden_size == reference.config.hidden_size
    assert module.max_seq_length == reference.max_seq_length == 256
    assert module.get_embedding_dimension() == reference.get_embedding_dimension() == 384
    with pytest.warns(FutureWarning, match="get_embedding_dimension"):
        assert module.get_word_embedding_dimension() == 384
    assert module.do_lower_case == reference.do_lower_case and module.transformer_task == reference.transformer_task


def test_max_seq_length_kept_in_sync(minilm):
    ours, theirs = leanpipe.SentenceTransformer(minilm), theirs_of(minilm)
    for value in (16, 100):
        ours[0].max_seq_length = theirs[0].max_seq_length = value
        assert ours.max_seq_length == ours.tokenizer.model_max_length == theirs.max_seq_length == value
        assert_same_inputs(ours.tokenize(TEXTS), theirs.tokenize(TEXTS), f"module max_seq_length={value}")
        assert_close(ours.encode(TEXTS), theirs.encode(TEXTS), ATOL, f"encode after module max_seq_length={value}")
    ours.max_seq_length = 40
    assert ours[0].max_seq_length == 40


def test_pooling_and_normalize_modules(minilm_pair):
    ours, theirs = minilm_pair
    pooling, reference = ours[1], theirs[1]
    for name in ("embedding_dimension", "pooling_mode", "include_prompt", "pooling_output_dimension"):
        assert getattr(pooling, name) == getattr(reference, name), name
    assert pooling.get_embedding_dimension() == reference.get_embedding_dimension() == 384
    with pytest.warns(FutureWarning):
        assert pooling.get_sentence_embedding_dimension() == 384
    # sentence-transformers <= 5's view of the same setting
    assert pooling.get_pooling_mode_str() == "mean" and pooling.pooling_mode_mean_tokens
    assert not (pooling.pooling_mode_cls_token or pooling.pooling_mode_max_tokens or pooling.pooling_mode_lasttoken)
    with pytest.raises(AttributeError):  # a view: changing it would not change encode
        pooling.pooling_mode = "cls"
    assert ours[2].get_config_dict() == theirs[2].get_config_dict()


def test_dense_and_multi_mode_pooling(dense_folder):
    ours, theirs = leanpipe.SentenceTransformer(dense_folder), theirs_of(dense_folder)
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs] == ["Transformer", "Pooling", "Dense"]
    assert [repr(m) for m in ours] == [repr(m) for m in theirs]
    pooling, layer, reference = ours[1], ours[2], theirs[2]
    assert pooling.pooling_mode == theirs[1].pooling_mode == ("cls", "mean")
    assert pooling.get_embedding_dimension() == theirs[1].get_embedding_dimension() == 768
    assert pooling.get_pooling_mode_str() == "cls+mean" and pooling.pooling_mode_cls_token and pooling.pooling_mode_mean_tokens
    assert layer.get_config_dict() == reference.get_config_dict()
    assert layer.get_embedding_dimension() == reference.get_embedding_dimension() == 32
    assert_close(layer.linear.weight, reference.linear.weight.detach().numpy(), 0, "Dense linear.weight")
    assert_close(layer.linear.bias, reference.linear.bias.detach().numpy(), 0, "Dense linear.bias")
    assert_close(ours.encode(TEXTS), theirs.encode(TEXTS), ATOL, "encode with cls+mean and Dense")


def test_static_embedding_model(minilm, tmp_path):
    folder = tmp_path / "static"
    st.SentenceTransformer(modules=[static_module(minilm), st.sentence_transformer.modules.Normalize()],
                           device="cpu").save(str(folder))
    ours, theirs = leanpipe.SentenceTransformer(folder), theirs_of(folder)
    assert [repr(m) for m in ours] == [repr(m) for m in theirs] and len(ours) == 2
    assert ours[0].get_embedding_dimension() == theirs[0].get_embedding_dimension()
    assert ours[0].max_seq_length == theirs[0].max_seq_length == float("inf")
    assert_same_inputs(ours.tokenize(TEXTS), theirs.tokenize(TEXTS), "StaticEmbedding tokenize")


# --- tokenize --------------------------------------------------------------------------------------


@pytest.mark.parametrize("texts", [TEXTS, TEXTS[:1], PAIRS, ["ünïcödé 東京 🙂"]], ids=["texts", "one", "pairs", "unicode"])
def test_tokenize_matches_sentence_transformers(minilm_pair, texts):
    ours, theirs = minilm_pair
    assert_same_inputs(ours.tokenize(texts), theirs.tokenize(texts), f"tokenize {texts!r:.60}")
    assert ours.tokenize(texts)["input_ids"].shape[1] <= 256


@pytest.mark.parametrize("texts", [TEXTS, PAIRS], ids=["texts", "pairs"])
@pytest.mark.parametrize("prompt", [None, "query: ", "Represent this sentence for searching relevant passages: "])
def test_preprocess_with_a_prompt_matches_sentence_transformers(minilm_pair, texts, prompt):
    """6.3's preprocess(inputs, prompt=): the prompt before each text (a pair's first), and its
    "prompt_length" (the prompt's tokens with [CLS], without the trailing [SEP]) beside the arrays."""
    ours, theirs = minilm_pair
    got, expected = ours.preprocess(texts, prompt=prompt), theirs.preprocess(texts, prompt=prompt)
    assert got.get("prompt_length") == expected.get("prompt_length"), (got.get("prompt_length"), expected.get("prompt_length"))
    arrays = {k: v for k, v in expected.items() if k != "prompt_length"}
    assert_same_inputs({k: v for k, v in got.items() if k != "prompt_length"}, arrays, f"preprocess prompt={prompt!r}")
    if prompt is None:
        assert_same_inputs(ours.tokenize(texts), theirs.tokenize(texts), "tokenize is preprocess")


def test_tokenize_edges(minilm_pair):
    ours, theirs = minilm_pair
    assert ours.tokenize([]) == theirs.tokenize([]) == {}
    with pytest.raises(InputError, match="list"):
        ours.tokenize("one text")
    with pytest.raises(InputError, match="not a mix"):
        ours.tokenize(["text", ("a", "b")])


def test_tokenize_and_encode_with_do_lower_case(minilm, tmp_path):
    """sentence_bert_config.json's do_lower_case lowercases before a tokenizer that keeps case
    (do_lower_case=False given to the tokenizer)."""
    folder = tmp_path / "lower"
    shutil.copytree(minilm, folder)
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 64, "do_lower_case": True}))
    for kwargs in ({}, {"processor_kwargs": {"do_lower_case": False}}):
        ours, theirs = leanpipe.SentenceTransformer(folder, **kwargs), theirs_of(folder, **kwargs)
        assert ours[0].do_lower_case is theirs[0].do_lower_case is True
        # inside the tokenizer, as 6.3 lowercases: "[MASK]" stays one token, letters one by one ("ΟΔΟΣ" -> "οδοσ")
        texts = TEXTS + ["ÅNGSTRÖM", "a [MASK] b", "ΟΔΟΣ Straße"]
        assert_same_inputs(ours.tokenize(texts), theirs.tokenize(texts), f"lower {kwargs}")
        assert_close(ours.encode(texts), theirs.encode(texts), ATOL, f"encode lower {kwargs}")
    fresh, theirs = leanpipe.SentenceTransformer(folder, processor_kwargs={"do_lower_case": False}), \
        theirs_of(folder, processor_kwargs={"do_lower_case": False})
    assert fresh.tokenizer.tokenize("HELLO World") == theirs.tokenizer.tokenize("HELLO World")  # at load, before any encode


def test_cross_encoder_do_lower_case(minilm, tmp_path):
    """A cross-encoder whose sentence_bert_config.json says do_lower_case (over a tokenizer that keeps case), as
    sentence-transformers 6.3's CrossEncoder reads it: the same ids and scores."""
    st = pytest.importorskip("sentence_transformers")
    import transformers

    folder = tmp_path / "ce"
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                     intermediate_size=37, num_labels=1)
    transformers.BertForSequenceClassification(config).eval().save_pretrained(folder)
    for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(minilm / name, folder / name)
    st.CrossEncoder(str(folder), device="cpu").save(str(tmp_path / "saved"))
    saved = tmp_path / "saved"
    (saved / "sentence_bert_config.json").write_text(json.dumps({
        **json.loads((saved / "sentence_bert_config.json").read_text()), "do_lower_case": True}))
    settings = json.loads((saved / "tokenizer_config.json").read_text())
    (saved / "tokenizer_config.json").write_text(json.dumps({**settings, "do_lower_case": False}))
    ours, theirs = leanpipe.CrossEncoder(str(saved)), st.CrossEncoder(str(saved), device="cpu")
    assert ours[0].do_lower_case is theirs[0].do_lower_case is True
    pairs = [("HELLO World", "A Cased DOCUMENT"), ("ΟΔΟΣ", "Straße [MASK]")]
    assert_close(ours.predict(pairs), theirs.predict(pairs), ATOL, "cross-encoder do_lower_case")


# --- loading arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    {"processor_kwargs": {"model_max_length": 20, "truncation_side": "left"}},
    {"tokenizer_kwargs": {"model_max_length": 300}},  # the older name; past sentence_bert_config.json's 256
    {"processor_kwargs": {"do_lower_case": False}},  # the cased view of an uncased vocabulary: many [UNK]
    {"config_kwargs": {"layer_norm_eps": 1e-2}},
    {"config_kwargs": {"hidden_dropout_prob": 0.5}},  # training only: no change, in either library
    {"model_kwargs": {"torch_dtype": torch.float32}},
    {"model_kwargs": {"dtype": "auto"}, "config_kwargs": {"dtype": "float32"}},
], ids=lambda kwargs: json.dumps(kwargs, default=str))
def test_loading_kwargs_match_sentence_transformers(minilm, kwargs):
    ours, theirs = leanpipe.SentenceTransformer(minilm, **kwargs), theirs_of(minilm, **kwargs)
    assert ours.max_seq_length == theirs.max_seq_length == ours[0].max_seq_length
    assert_same_inputs(ours.tokenize(TEXTS + [p for pair in PAIRS for p in pair]),
                       theirs.tokenize(TEXTS + [p for pair in PAIRS for p in pair]), f"tokenize {kwargs}")
    assert_close(ours.encode(TEXTS), theirs.encode(TEXTS), ATOL, f"encode {kwargs}")


@pytest.mark.parametrize("kwargs, message", [
    ({"model_kwargs": {"torch_dtype": torch.float16}}, "float32"),
    ({"model_kwargs": {"dtype": "bfloat16"}}, "float32"),
    ({"config_kwargs": {"torch_dtype": torch.bfloat16}}, "config_kwargs"),
    ({"config_kwargs": {"num_hidden_layers": 3}}, "do not fit"),
    ({"processor_kwargs": {"no_such_setting": 1}}, "no_such_setting"),
    ({"processor_kwargs": {"padding_side": "left"}}, "pads each batch on the right"),
    ({"config_kwargs": {"revision": "other"}}, "one revision"),
    ({"processor_kwargs": {"revision": "other"}}, "one revision"),
])
def test_loading_kwargs_that_cannot_apply_are_refused(minilm, kwargs, message):
    with pytest.raises(InputError, match=message):
        leanpipe.SentenceTransformer(minilm, **kwargs)


# --- CrossEncoder and SparseEncoder ----------------------------------------------------------------


@pytest.fixture(scope="module")
def cross_folder(minilm, tmp_path_factory):
    """A tiny one-label BERT cross-encoder over MiniLM's vocabulary."""
    transformers = pytest.importorskip("transformers")
    folder = tmp_path_factory.mktemp("cross") / "model"
    config = transformers.BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                                     num_labels=1)
    torch.manual_seed(1)
    transformers.BertForSequenceClassification(config).eval().save_pretrained(folder)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(minilm / name, folder / name)
    return folder


def test_cross_encoder_modules_and_tokenize(cross_folder):
    ours, theirs = leanpipe.CrossEncoder(cross_folder), st.CrossEncoder(str(cross_folder), device="cpu")
    assert len(ours) == len(theirs) == 1 and [repr(m) for m in ours] == [repr(m) for m in theirs]
    assert ours[0].auto_model is ours.model and ours[0].max_seq_length == theirs[0].max_seq_length == 512
    assert_same_inputs(ours.tokenize(PAIRS), theirs.tokenize(PAIRS), "CrossEncoder tokenize")
    ours[0].max_seq_length = theirs[0].max_seq_length = 24
    assert ours.max_seq_length == 24
    assert_same_inputs(ours.tokenize(PAIRS), theirs.tokenize(PAIRS), "CrossEncoder tokenize at 24")
    assert_close(ours.predict(PAIRS), theirs.predict(PAIRS), ATOL, "CrossEncoder predict at 24")


@pytest.mark.parametrize("kwargs", [
    {"tokenizer_kwargs": {"model_max_length": 30}, "config_kwargs": {"layer_norm_eps": 1e-2}},
    {"max_length": 50, "processor_kwargs": {"model_max_length": 30, "truncation_side": "left"}},  # max_length wins
    {"processor_kwargs": {"do_lower_case": False}},
], ids=["tokenizer+config", "max_length-wins", "cased"])
def test_cross_encoder_loading_kwargs(cross_folder, kwargs):
    ours, theirs = leanpipe.CrossEncoder(cross_folder, **kwargs), st.CrossEncoder(str(cross_folder), device="cpu", **kwargs)
    assert ours.max_seq_length == theirs.max_seq_length
    assert_same_inputs(ours.tokenize(PAIRS), theirs.tokenize(PAIRS), f"CrossEncoder tokenize {kwargs}")
    assert_close(ours.predict(PAIRS), theirs.predict(PAIRS), ATOL, f"CrossEncoder predict {kwargs}")
    with pytest.raises(InputError, match="float32"):
        leanpipe.CrossEncoder(cross_folder, model_kwargs={"torch_dtype": torch.float16})


@pytest.fixture(scope="module")
def splade_folder(checkpoints, tmp_path_factory):
    from sentence_transformers.sparse_encoder.modules import MLMTransformer, SpladePooling as STSpladePooling

    folder = tmp_path_factory.mktemp("splade") / "model"
    st.SparseEncoder(modules=[MLMTransformer(str(checkpoints["bert-mlm"]), max_seq_length=64),
                              STSpladePooling("max", "relu")], device="cpu").save(str(folder))
    return folder


@pytest.mark.parametrize("kwargs", [{}, {"tokenizer_kwargs": {"model_max_length": 12}}], ids=["plain", "model_max_length"])
def test_sparse_encoder_modules_tokenize_and_kwargs(splade_folder, kwargs):
    ours, theirs = leanpipe.SparseEncoder(splade_folder, **kwargs), st.SparseEncoder(str(splade_folder), device="cpu", **kwargs)
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs] == ["MLMTransformer", "SpladePooling"]
    assert repr(ours[0]) == repr(theirs[0]) and ours.max_seq_length == theirs.max_seq_length == ours[0].max_seq_length
    pooling = ours[1].get_config_dict()
    assert pooling.pop("embedding_dimension") == ours.get_embedding_dimension()  # theirs: None until the first encode
    assert pooling == {k: v for k, v in theirs[1].get_config_dict().items() if k != "embedding_dimension"}
    assert_same_inputs(ours.tokenize(TEXTS), theirs.tokenize(TEXTS), f"SparseEncoder tokenize {kwargs}")
    assert_close(ours.encode(TEXTS), theirs.encode(TEXTS).to_dense().numpy(), ATOL, f"SparseEncoder encode {kwargs}")
