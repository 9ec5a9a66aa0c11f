"""leanpipe.SentenceTransformer and leanpipe.CrossEncoder against sentence-transformers on the same files:
the real all-MiniLM-L6-v2 (Normalize module), a copy with prompts and another similarity function,
and tiny cross-encoders with one and three labels. Vectors and scores within 1e-4 (max abs printed)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
st = pytest.importorskip("sentence_transformers")

import leanpipe  # noqa: E402
from conftest import assert_close  # noqa: E402
from leanpipe.errors import InputError  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")

ATOL = 1e-4
SENTENCES = ["A man is eating food.", "A man is riding a white horse on an enclosed ground.", "Ångström café naïve",
             "short", "The quick brown fox jumps over the lazy dog. " * 40]


@pytest.fixture(scope="module")
def embedders(minilm, tmp_path_factory):
    """(leanpipe, sentence-transformers) for MiniLM as shipped, and for a copy with query/passage
    prompts, a default prompt and dot-product similarity in config_sentence_transformers.json."""
    prompted = tmp_path_factory.mktemp("prompted") / "model"
    shutil.copytree(minilm, prompted)
    (prompted / "config_sentence_transformers.json").write_text(json.dumps({
        "prompts": {"query": "query: ", "passage": "passage: ", "title": "title: "}, "default_prompt_name": "title",
        "similarity_fn_name": "dot"}))
    return {name: (leanpipe.SentenceTransformer(folder), st.SentenceTransformer(str(folder), device="cpu"))
            for name, folder in (("minilm", minilm), ("prompted", prompted))}


@pytest.mark.parametrize("options", [
    {}, {"normalize_embeddings": True}, {"truncate_dim": 64}, {"truncate_dim": 64, "normalize_embeddings": True},
    {"prompt": "query: "}, {"prompt_name": "query"}, {"batch_size": 2}, {"precision": "binary"}, {"precision": "ubinary"},
])
@pytest.mark.parametrize("name", ["minilm", "prompted"])
def test_encode_matches_sentence_transformers(embedders, name, options):
    ours, theirs = embedders[name]
    got, expected = ours.encode(SENTENCES, **options), theirs.encode(SENTENCES, **options)
    assert got.dtype == expected.dtype and got.shape == expected.shape, (got.dtype, got.shape, expected.dtype, expected.shape)
    assert_close(got, expected, ATOL, f"{name} encode {options}")


@pytest.mark.parametrize("precision", ["int8", "uint8"])
def test_integer_precisions_within_one_step(embedders, precision):
    """Buckets from this batch's range, as sentence-transformers without calibration: float32 rounding
    can put a value on the other side of a bucket edge, so one step apart at most."""
    ours, theirs = embedders["minilm"]
    got, expected = ours.encode(SENTENCES, precision=precision), theirs.encode(SENTENCES, precision=precision)
    assert got.dtype == expected.dtype and np.abs(got.astype(int) - expected.astype(int)).max() <= 1


def test_query_document_similarity_and_shapes(embedders):
    for name, (ours, theirs) in embedders.items():
        assert ours.prompts == theirs.prompts and ours.default_prompt_name == theirs.default_prompt_name, name
        assert ours.similarity_fn_name == theirs.similarity_fn_name, name
        assert ours.get_embedding_dimension() == theirs.get_embedding_dimension() == 384
        assert ours.get_sentence_embedding_dimension() == 384 and ours.max_seq_length == theirs.max_seq_length
        assert_close(ours.encode_query(SENTENCES), theirs.encode_query(SENTENCES), ATOL, f"{name} encode_query")
        assert_close(ours.encode_document(SENTENCES), theirs.encode_document(SENTENCES), ATOL, f"{name} encode_document")
        one = ours.encode(SENTENCES[0])
        assert one.shape == (384,) and isinstance(ours.encode(SENTENCES[:2], convert_to_numpy=False), list)
        assert ours.encode([]).shape == (0, 384)
        vectors = ours.encode(SENTENCES)
        for kind in ("cosine", "dot", "euclidean", "manhattan"):
            ours.similarity_fn_name = theirs.similarity_fn_name = kind
            assert_close(ours.similarity(vectors, vectors[:2]), theirs.similarity(vectors, vectors[:2]).numpy(), 1e-3, f"{name} {kind}")
            assert_close(ours.similarity_pairwise(vectors, vectors[::-1]),
                         theirs.similarity_pairwise(vectors, vectors[::-1].copy()).numpy(), 1e-3, f"{name} pairwise {kind}")
        assert isinstance(ours.encode(SENTENCES[:2], convert_to_tensor=True), torch.Tensor)


def test_token_embeddings(embedders):
    """output_value="token_embeddings": each text's (T_i, H) token vectors, special tokens included,
    before pooling (sentence-transformers returns torch tensors; leanpipe NumPy arrays)."""
    for name, (ours, theirs) in embedders.items():
        got, expected = ours.encode(SENTENCES, output_value="token_embeddings"), theirs.encode(SENTENCES, output_value="token_embeddings")
        assert [g.shape for g in got] == [tuple(e.shape) for e in expected], name
        for i, (g, e) in enumerate(zip(got, expected)):
            assert_close(g, e.numpy(), ATOL, f"{name} token embeddings of text {i}")
        assert ours.encode(SENTENCES[0], output_value="token_embeddings").shape == tuple(expected[0].shape)


def test_max_seq_length_is_settable(minilm):
    ours, theirs = leanpipe.SentenceTransformer(minilm), st.SentenceTransformer(str(minilm), device="cpu")
    ours.max_seq_length = theirs.max_seq_length = 8
    assert_close(ours.encode(SENTENCES), theirs.encode(SENTENCES), ATOL, "max_seq_length 8")
    with pytest.raises(InputError, match="max_seq_length"):
        ours.max_seq_length = 0


def test_bad_arguments_name_the_fix(embedders):
    ours, _ = embedders["prompted"]
    for call, message in ((lambda: ours.encode("x", prompt_name="nope"), "prompt_name 'nope' is not one of"),
                          (lambda: ours.encode("x", output_value="attention"), "output_value"),
                          (lambda: ours.encode("x", precision="fp8"), "precision"),
                          (lambda: ours.encode("x", device="cuda"), "runs on the CPU"),
                          (lambda: ours.encode("x", batch_size=0), "batch_size")):
        with pytest.raises(InputError, match=message):
            call()


@pytest.fixture(scope="module")
def cross_encoders(minilm, tmp_path_factory):
    """Tiny BERT cross-encoders over MiniLM's vocabulary: one label (sigmoid), one label saved with
    an Identity activation, three labels."""
    found = {}
    for labels, activation in ((1, None), (1, "torch.nn.modules.linear.Identity"), (3, None)):
        folder = tmp_path_factory.mktemp(f"cross{labels}")
        config = transformers.BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
                                         num_labels=labels)
        if activation:
            config.sentence_transformers = {"activation_fn": activation}
        torch.manual_seed(labels)
        transformers.BertForSequenceClassification(config).eval().save_pretrained(folder)
        for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            if (minilm / name).exists():
                shutil.copy(minilm / name, folder / name)
        found[(labels, activation)] = (leanpipe.CrossEncoder(folder), st.CrossEncoder(str(folder), device="cpu"))
    return found


PAIRS = [("what is deep learning?", "Deep learning is a kind of machine learning."), ("hi", "cheese " * 600), ("a", "b")]


def test_cross_encoder_matches_sentence_transformers(cross_encoders):
    for key, (ours, theirs) in cross_encoders.items():
        for options in ({}, {"apply_softmax": True}, {"batch_size": 1}):
            got, expected = ours.predict(PAIRS, **options), theirs.predict(PAIRS, **options)
            assert got.shape == expected.shape, (key, got.shape, expected.shape)
            assert_close(got, expected, ATOL, f"cross-encoder {key} {options}")
        assert_close(ours.predict(PAIRS[0]), theirs.predict(PAIRS[0]), ATOL, f"cross-encoder {key} one pair")
        if key[0] == 1:
            documents = ["doc one", "another document", "x", "Deep learning is a kind of machine learning."]
            got = ours.rank("what is deep learning?", documents, return_documents=True, top_k=3)
            expected = theirs.rank("what is deep learning?", documents, return_documents=True, top_k=3)
            assert [(r["corpus_id"], r["text"]) for r in got] == [(r["corpus_id"], r["text"]) for r in expected]
            assert_close([r["score"] for r in got], [float(r["score"]) for r in expected], ATOL, f"rank {key}")
    ours, _ = cross_encoders[(3, None)]
    with pytest.raises(InputError, match="one output score"):
        ours.rank("q", ["d"])
    with pytest.raises(InputError, match="pairs"):
        ours.predict([("only one text",)])


@pytest.mark.parametrize("bad", [None, 5, b"text", {"a": 1}])
def test_encode_refuses_what_is_not_text(embedders, bad):
    ours, _ = embedders["minilm"]
    with pytest.raises(InputError, match=f"encode takes a string or a list of strings, got {type(bad).__name__}"):
        ours.encode(bad)


@pytest.fixture(scope="module")
def prompt_excluded(minilm, tmp_path_factory):
    """mode -> a checkpoint sentence-transformers saved whose Pooling has include_prompt=False (MiniLM's
    weights; query / document prompts, and "document" as the default prompt)."""
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    found = {}
    for mode in ("mean", "cls", "max", "weightedmean", "lasttoken", ("mean", "weightedmean")):
        folder = tmp_path_factory.mktemp("noprompt") / "model"
        st.SentenceTransformer(modules=[Transformer(str(minilm), max_seq_length=32), Pooling(384, mode, include_prompt=False)],
                               device="cpu", prompts={"query": "query: ", "document": "Represent this document: "},
                               default_prompt_name="document").save(str(folder))
        found[mode if isinstance(mode, str) else "+".join(mode)] = folder
    return found


@pytest.mark.parametrize("mode", ["mean", "cls", "max", "weightedmean", "lasttoken", "mean+weightedmean"])
def test_pooling_leaves_the_prompt_out(prompt_excluded, mode):
    """include_prompt=False: the prompt's tokens ([CLS] and the prompt, as sentence-transformers counts them)
    are not pooled, for encode(prompt=...), prompt_name=, the default prompt, encode_query / encode_document,
    and the sentence-embeddings pipeline."""
    folder = prompt_excluded[mode]
    ours, theirs = leanpipe.SentenceTransformer(folder), st.SentenceTransformer(str(folder), device="cpu")
    for options in ({}, {"prompt": "query: "}, {"prompt_name": "query"}, {"prompt": ""}, {"batch_size": 2}):
        assert_close(ours.encode(SENTENCES, **options), theirs.encode(SENTENCES, **options), ATOL, f"{mode} {options}")
    assert_close(ours.encode_query(SENTENCES), theirs.encode_query(SENTENCES), ATOL, f"{mode} encode_query")
    assert_close(ours.encode_document(SENTENCES), theirs.encode_document(SENTENCES), ATOL, f"{mode} encode_document")
    pipe = leanpipe.pipeline("sentence-embeddings", folder)
    assert_close(np.stack(pipe(SENTENCES, prompt="query: ", return_tensors=True)), theirs.encode(SENTENCES, prompt="query: "),
                 ATOL, f"{mode} pipeline prompt")
    assert_close(np.stack(pipe(SENTENCES, return_tensors=True)), theirs.encode(SENTENCES), ATOL, f"{mode} pipeline default prompt")


def test_distances_of_a_vector_to_itself_are_zero(embedders):
    """euclidean / manhattan on the differences, as sentence-transformers 6.3 (torch.cdist): a vector's
    distance to itself is 0 (the |a|^2 - 2ab + |b|^2 expansion left ~5e-4)."""
    ours, theirs = embedders["minilm"]
    vectors = ours.encode(SENTENCES)
    for kind in ("euclidean", "manhattan"):
        ours.similarity_fn_name = theirs.similarity_fn_name = kind
        got, expected = ours.similarity(vectors, vectors), theirs.similarity(vectors, vectors).numpy()
        assert_close(got, expected, ATOL, f"{kind} similarity")
        assert_close(np.diag(got), np.zeros(len(vectors)), 1e-6, f"{kind} self-distance")
        assert_close(ours.similarity(vectors[:1], vectors[1:]), theirs.similarity(vectors[:1], vectors[1:]).numpy(), ATOL, kind)
    ours.similarity_fn_name = theirs.similarity_fn_name = "cosine"


def test_one_text_has_no_integer_range(embedders):
    """precision int8 / uint8 buckets over the batch's range: one text has none. sentence-transformers 6.3
    raises; leanpipe too, naming the fix (several texts, or calibration embeddings)."""
    from leanpipe.similarity import quantize_embeddings

    ours, theirs = embedders["minilm"]
    for precision in ("int8", "uint8"):
        with pytest.raises(ValueError):
            theirs.encode(SENTENCES[0], precision=precision)
        with pytest.raises(InputError, match="encode more than one text at once.*calibration_embeddings"):
            ours.encode(SENTENCES[0], precision=precision)
        with pytest.raises(InputError, match="more than one text"):
            ours.encode(SENTENCES[:1], precision=precision)
        calibration = ours.encode(SENTENCES)
        got = quantize_embeddings(calibration[:1], precision, calibration_embeddings=calibration)
        expected = st.quantize_embeddings(calibration[:1], precision, calibration_embeddings=calibration)
        assert got.dtype == expected.dtype and np.array_equal(got, expected)
        assert ours.encode([], precision=precision).shape == (0, 384)


def test_similarity_fn_name_takes_the_enum_and_refuses_unknown_names(minilm):
    ours = leanpipe.SentenceTransformer(minilm, similarity_fn_name=st.SimilarityFunction.DOT_PRODUCT)
    assert ours.similarity_fn_name == "dot"
    for member in st.SimilarityFunction:
        if member.value in ("cosine", "dot", "euclidean", "manhattan"):
            ours.similarity_fn_name = member
            assert ours.similarity_fn_name == member.value
    with pytest.raises(InputError, match=r"'bogus' is not one of \['cosine', 'dot', 'euclidean', 'manhattan'\]"):
        ours.similarity_fn_name = "bogus"
    with pytest.raises(InputError, match="is not one of"):
        leanpipe.SentenceTransformer(minilm, similarity_fn_name="l2")
    ours.similarity_fn_name = None
    assert ours.similarity_fn_name == "cosine"


@pytest.fixture(scope="module")
def cross_encoder_saves(cross_encoders, tmp_path_factory):
    """name -> a cross-encoder folder: sentence-transformers 6.3 saves (its activation in
    config_sentence_transformers.json) with Identity, Tanh and its default, and a pre-4.0 config.json
    (sbert_ce_default_activation_function: Identity)."""
    plain = tmp_path_factory.mktemp("plain-cross") / "model"
    cross_encoders[(1, None)][1].model.save_pretrained(str(plain))
    cross_encoders[(1, None)][1].tokenizer.save_pretrained(str(plain))
    found = {}
    for name, activation in (("identity", torch.nn.Identity()), ("tanh", torch.nn.Tanh()), ("default", None)):
        found[name] = tmp_path_factory.mktemp(f"cross-{name}") / "model"
        st.CrossEncoder(str(plain), device="cpu", activation_fn=activation).save(str(found[name]))
    found["legacy"] = tmp_path_factory.mktemp("cross-legacy") / "model"
    shutil.copytree(plain, found["legacy"])
    config = json.loads((found["legacy"] / "config.json").read_text())
    config["sbert_ce_default_activation_function"] = "torch.nn.modules.linear.Identity"
    (found["legacy"] / "config.json").write_text(json.dumps(config))
    return found


@pytest.mark.parametrize("name", ["identity", "tanh", "default", "legacy"])
def test_cross_encoder_reads_the_saved_activation(cross_encoder_saves, name):
    ours, theirs = leanpipe.CrossEncoder(cross_encoder_saves[name]), st.CrossEncoder(str(cross_encoder_saves[name]), device="cpu")
    assert_close(ours.predict(PAIRS), theirs.predict(PAIRS), ATOL, f"cross-encoder saved with {name} activation")
    assert_close([r["score"] for r in ours.rank("a", ["b", "c d"])], [r["score"] for r in theirs.rank("a", ["b", "c d"])],
                 ATOL, f"rank {name}")


def test_cross_encoder_max_seq_length_and_config(cross_encoders):
    ours, theirs = cross_encoders[(3, None)]
    assert ours.max_seq_length == theirs.max_seq_length == 512 and ours.max_length == 512
    assert ours.config.id2label == theirs.config.id2label and ours.config.num_labels == 3
    folder = str(ours.model.name_or_path)
    for length in (8, 20):
        ours, theirs = leanpipe.CrossEncoder(folder), st.CrossEncoder(folder, device="cpu")
        ours.max_seq_length = theirs.max_seq_length = length
        assert ours.max_seq_length == ours.max_length == length
        assert_close(ours.predict(PAIRS), theirs.predict(PAIRS), ATOL, f"max_seq_length={length}")
        ours, theirs = leanpipe.CrossEncoder(folder, max_length=length), st.CrossEncoder(folder, device="cpu", max_length=length)
        assert ours.max_seq_length == theirs.max_seq_length == length
        assert_close(ours.predict(PAIRS), theirs.predict(PAIRS), ATOL, f"max_length={length}")
        ours.max_length = 12
        assert ours.max_seq_length == 12
    with pytest.raises(InputError, match="max_seq_length"):
        ours.max_seq_length = 0


@pytest.mark.parametrize("method", ["save", "save_pretrained"])
def test_cross_encoder_save_keeps_its_settings(cross_encoders, cross_encoder_saves, tmp_path, method):
    """save() writes the activation (config_sentence_transformers.json, as 6.3) and max_seq_length (the
    tokenizer's model_max_length); both libraries reload the same scores."""
    for key, source in ((("identity-6.3", cross_encoder_saves["identity"])), (("3 labels", cross_encoders[(3, None)][0].model.name_or_path))):
        ours = leanpipe.CrossEncoder(source)
        ours.max_seq_length = 10
        getattr(ours, method)(tmp_path / key)
        expected = ours.predict(PAIRS)
        for reloaded in (leanpipe.CrossEncoder(tmp_path / key), st.CrossEncoder(str(tmp_path / key), device="cpu")):
            assert reloaded.max_seq_length == 10, key
            assert_close(reloaded.predict(PAIRS), expected, ATOL, f"{key} reloaded in {type(reloaded).__module__}")
    ours = leanpipe.CrossEncoder(cross_encoders[(1, None)][0].model.name_or_path, activation_fn=torch.nn.Tanh())
    getattr(ours, method)(tmp_path / "tanh")
    theirs = st.CrossEncoder(str(tmp_path / "tanh"), device="cpu")
    assert type(theirs.activation_fn).__name__ == "Tanh"
    assert_close(leanpipe.CrossEncoder(tmp_path / "tanh").predict(PAIRS), theirs.predict(PAIRS), ATOL, "Tanh saved")


def test_saved_truncate_dim_and_the_tokenizer_limit(minilm, tmp_path):
    """config_sentence_transformers.json's truncate_dim is used (the argument wins), and the tokenizer's
    model_max_length is the model's max_seq_length (256 for all-MiniLM-L6-v2), as sentence-transformers 6.3."""
    folder = tmp_path / "truncated"
    shutil.copytree(minilm, folder)
    settings = json.loads((folder / "config_sentence_transformers.json").read_text())
    (folder / "config_sentence_transformers.json").write_text(json.dumps({**settings, "truncate_dim": 32}))
    for options in ({}, {"truncate_dim": 64}):
        ours, theirs = leanpipe.SentenceTransformer(folder, **options), st.SentenceTransformer(str(folder), device="cpu", **options)
        assert ours.truncate_dim == theirs.truncate_dim and ours.get_embedding_dimension() == theirs.get_embedding_dimension()
        assert_close(ours.encode(SENTENCES), theirs.encode(SENTENCES), ATOL, f"saved truncate_dim {options}")
        assert ours.tokenizer.model_max_length == theirs.tokenizer.model_max_length == 256
        ours.max_seq_length = theirs.max_seq_length = 12
        assert ours.tokenizer.model_max_length == theirs.tokenizer.model_max_length == 12


@pytest.mark.parametrize("method", ["save", "save_pretrained"])
def test_save_carries_the_objects_settings(minilm, tmp_path, method):
    """Settings changed after loading (max_seq_length, similarity_fn_name) or given to the constructor
    (prompts, default_prompt_name, truncate_dim) are in the saved folder, as sentence-transformers 6.3 writes
    them: both libraries reload them and encode alike."""
    ours = leanpipe.SentenceTransformer(minilm, prompts={"query": "q: ", "passage": "p: "}, default_prompt_name="passage",
                                        truncate_dim=128)
    ours.max_seq_length, ours.similarity_fn_name = 16, "dot"
    getattr(ours, method)(tmp_path / "saved")
    expected = ours.encode(SENTENCES)
    for reloaded in (leanpipe.SentenceTransformer(tmp_path / "saved"), st.SentenceTransformer(str(tmp_path / "saved"), device="cpu")):
        where = type(reloaded).__module__
        assert reloaded.max_seq_length == 16 and reloaded.similarity_fn_name == "dot", where
        assert reloaded.prompts == ours.prompts and reloaded.default_prompt_name == "passage", where
        assert reloaded.truncate_dim == 128 and reloaded.get_embedding_dimension() == 128, where
        assert_close(reloaded.encode(SENTENCES), expected, ATOL, f"reloaded in {where}")
        assert_close(reloaded.encode_query(SENTENCES), ours.encode_query(SENTENCES), ATOL, f"encode_query reloaded in {where}")


def test_torch_style_calls(embedders, cross_encoders):
    """device, dtype, eval(), cpu(), to("cpu") and get_max_seq_length() as on sentence-transformers' models."""
    for ours, theirs in (embedders["minilm"], cross_encoders[(1, None)]):
        assert ours.eval() is ours and ours.cpu() is ours and ours.to("cpu") is ours and ours.to(torch.device("cpu")) is ours
        assert ours.device == theirs.device and ours.dtype == theirs.dtype == torch.float32
        assert ours.get_max_seq_length() == theirs.get_max_seq_length() == ours.max_seq_length
        with pytest.raises(InputError, match="float32 on the CPU"):
            ours.to("cuda")
        with pytest.raises(InputError, match="float32 on the CPU"):
            ours.to(torch.float16)


def test_six_x_argument_names_and_their_old_ones(embedders, cross_encoders):
    """sentence-transformers 6.x names encode's / predict's first argument `inputs` and still takes
    `sentences=` (and predict's old `activation_fct=`); leanpipe takes both, and refuses both at once."""
    ours, theirs = embedders["minilm"]
    texts = ["a first text", "and a second one"]
    for keyword in ("inputs", "sentences"):
        assert_close(ours.encode(**{keyword: texts}), theirs.encode(**{keyword: texts}), ATOL, f"encode({keyword}=)")
        assert_close(ours.encode_query(**{keyword: texts}), theirs.encode_query(**{keyword: texts}), ATOL, f"encode_query({keyword}=)")
    with pytest.raises(InputError, match="both sentences= and inputs="):
        ours.encode(sentences=texts, inputs=texts)
    ours_ce, theirs_ce = cross_encoders[(3, None)]
    for keyword in ("inputs", "sentences"):
        expected = theirs_ce.predict(**{keyword: PAIRS}, activation_fct=torch.nn.Sigmoid())
        assert_close(ours_ce.predict(**{keyword: PAIRS}, activation_fct=torch.nn.Sigmoid()), expected, ATOL, f"predict({keyword}=)")


def test_truncate_embeddings_block(embedders):
    ours, theirs = embedders["minilm"]
    texts = ["a first text", "and a second one"]
    for name in ("truncate_embeddings", "truncate_sentence_embeddings"):
        with getattr(ours, name)(16), getattr(theirs, name)(16):
            got, expected = ours.encode(texts), theirs.encode(texts)
            assert got.shape == expected.shape == (2, 16) and ours.get_embedding_dimension() == 16
            assert_close(got, expected, ATOL, name)
        assert ours.encode(texts).shape == (2, 384) and ours.truncate_dim is None
