"""sentence-transformers' StaticEmbedding models (static-retrieval-mrl-en-v1, model2vec's potion models)
through leanpipe.SentenceTransformer, against sentence-transformers 6 on checkpoints it saved itself
(or laid out as the Hub's are): vectors within 1e-4 (1 - cosine <= 1e-5, max abs printed)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
st = pytest.importorskip("sentence_transformers")

from sentence_transformers.sentence_transformer.modules import Dense as STDense  # noqa: E402
from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

import leanpipe  # noqa: E402
from leanpipe.errors import CheckpointError, InputError  # noqa: E402
from leanpipe.static_embedding import mean_rows  # noqa: E402
from leanpipe.weights.safetensors import save_safetensors  # noqa: E402
from test_loading import make_cache  # noqa: E402
from test_task_embeddings import CORPUS, assert_same_vectors  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")

DIM = 64


def reference(folder):
    return st.SentenceTransformer(str(folder), device="cpu")


def static_module(minilm, dim=DIM, seed=0):
    torch.manual_seed(seed)
    return StaticEmbedding(Tokenizer.from_file(str(minilm / "tokenizer.json")), embedding_dim=dim)


@pytest.fixture(scope="module")
def saved(minilm, tmp_path_factory):
    """StaticEmbedding + Normalize as sentence-transformers 6 saves it (the module at the root), with
    query / document prompts."""
    folder = tmp_path_factory.mktemp("static") / "model"
    model = st.SentenceTransformer(modules=[static_module(minilm), Normalize()], device="cpu",
                                   prompts={"query": "query: ", "document": "passage: "})
    model.save(str(folder))
    return folder


@pytest.fixture(scope="module")
def pair(saved):
    return leanpipe.SentenceTransformer(saved), reference(saved)


@pytest.mark.parametrize("options", [
    {}, {"truncate_dim": 16}, {"truncate_dim": 16, "normalize_embeddings": True}, {"prompt": "query: "},
    {"prompt_name": "document"}, {"batch_size": 2}, {"precision": "ubinary"}, {"precision": "binary"},
])
def test_encode_matches_sentence_transformers(pair, options):
    ours, theirs = pair
    got, expected = ours.encode(CORPUS, **options), theirs.encode(CORPUS, **options)
    assert got.dtype == expected.dtype and got.shape == expected.shape, (got.dtype, got.shape, expected.shape)
    if got.dtype == np.float32:
        nonzero = np.abs(expected).sum(-1) > 0  # the empty text's vector is all zeros in both
        assert_same_vectors(got[nonzero], expected[nonzero], f"static {options}")
        assert not np.abs(got[~nonzero]).any()
    else:
        assert np.array_equal(got, expected)


def test_what_sentence_transformers_reports(pair):
    ours, theirs = pair
    assert ours.get_embedding_dimension() == theirs.get_sentence_embedding_dimension() == DIM
    assert ours.max_seq_length == theirs.max_seq_length == float("inf")
    assert type(ours.tokenizer) is type(theirs.tokenizer)  # tokenizers.Tokenizer
    single = ours.encode("A man is eating food.")
    assert single.shape == (DIM,)
    assert_same_vectors(single, theirs.encode("A man is eating food."), "one text")
    assert ours.encode([]).shape == (0, DIM)
    assert_same_vectors(ours.encode_query(["What are Pandas?"]), theirs.encode_query(["What are Pandas?"]), "encode_query")
    vectors = ours.encode(CORPUS[:3])
    np.testing.assert_allclose(ours.similarity(vectors, vectors), theirs.similarity(vectors, vectors).numpy(), atol=1e-5)
    assert "dimension=64" in repr(ours)


def test_hub_layout_0_static_embedding(minilm, tmp_path):
    """The Hub's static-retrieval-mrl-en-v1 layout: modules.json names sentence_transformers.models.StaticEmbedding
    in 0_StaticEmbedding/, no Normalize; loaded by repo id from a Hugging Face cache, offline."""
    import huggingface_hub.constants as hc

    folder = tmp_path / "hub"
    module = static_module(minilm, seed=1)
    (folder / "0_StaticEmbedding").mkdir(parents=True)
    module.save(str(folder / "0_StaticEmbedding"))
    (folder / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "0_StaticEmbedding",
                                                      "type": "sentence_transformers.models.StaticEmbedding"}]))
    (folder / "config_sentence_transformers.json").write_text(json.dumps({"similarity_fn_name": "cosine"}))
    make_cache(tmp_path / "cache", "leanpipe-test/static-mrl", {"main": folder})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "cache"))
        patch.setattr(hc, "HF_HUB_OFFLINE", True)
        ours = leanpipe.SentenceTransformer("leanpipe-test/static-mrl")
        got = ours.encode(CORPUS)
        ours.save_pretrained(tmp_path / "copy")
    expected = reference(folder).encode(CORPUS)
    nonzero = np.abs(expected).sum(-1) > 0
    assert_same_vectors(got[nonzero], expected[nonzero], "0_StaticEmbedding by repo id")
    assert np.linalg.norm(got[nonzero], axis=-1).max() > 1.01  # no Normalize module: not unit length
    assert sorted(p.relative_to(tmp_path / "copy").as_posix() for p in (tmp_path / "copy").rglob("*") if p.is_file()) == [
        "0_StaticEmbedding/model.safetensors", "0_StaticEmbedding/tokenizer.json", "config_sentence_transformers.json",
        "modules.json"]
    copied = reference(tmp_path / "copy").encode(CORPUS)
    assert_same_vectors(copied[nonzero], expected[nonzero], "the saved copy, read by sentence-transformers")


def test_save_pretrained_round_trip(pair, tmp_path):
    ours, theirs = pair
    ours.save_pretrained(tmp_path / "copy")
    again = leanpipe.SentenceTransformer(tmp_path / "copy")
    texts = ["A man is eating food.", "short"]
    assert_same_vectors(again.encode(texts, prompt_name="query"), theirs.encode(texts, prompt_name="query"), "round trip")
    assert_same_vectors(reference(tmp_path / "copy").encode(texts), theirs.encode(texts), "copy read by sentence-transformers")


def test_dense_after_static_embedding(minilm, tmp_path):
    torch.manual_seed(3)
    model = st.SentenceTransformer(modules=[static_module(minilm), STDense(DIM, 24), Normalize()], device="cpu")
    model.save(str(tmp_path / "m"))
    ours = leanpipe.SentenceTransformer(tmp_path / "m")
    assert ours.get_embedding_dimension() == 24
    got, expected = ours.encode(CORPUS), reference(tmp_path / "m").encode(CORPUS)
    assert_same_vectors(got[:4], expected[:4], "StaticEmbedding -> Dense -> Normalize")


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_model2vec_layout(minilm, tmp_path, dtype):
    """model2vec's files (potion-base-8M): `embeddings` with a token -> row `mapping` and per-token
    `weights` at the checkpoint's root, modules.json path "."; folded as sentence-transformers folds them."""
    rng = np.random.default_rng(0)
    vocab = Tokenizer.from_file(str(minilm / "tokenizer.json")).get_vocab_size()
    folder = tmp_path / "potion"
    folder.mkdir()
    shutil.copy(minilm / "tokenizer.json", folder / "tokenizer.json")
    save_safetensors({"embeddings": rng.standard_normal((500, 32)).astype(dtype),
                      "mapping": rng.integers(0, 500, vocab).astype(np.int64),
                      "weights": rng.uniform(0.1, 2.0, vocab).astype(np.float32)}, folder / "model.safetensors")
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": ".", "type": "sentence_transformers.models.StaticEmbedding"},
        {"idx": 1, "name": "1", "path": "1_Normalize", "type": "sentence_transformers.models.Normalize"}]))
    got, expected = leanpipe.SentenceTransformer(folder).encode(CORPUS), reference(folder).encode(CORPUS)
    nonzero = np.abs(expected).sum(-1) > 0
    assert_same_vectors(got[nonzero], expected[nonzero], f"model2vec {dtype}")


def test_truncation_in_tokenizer_json_applies(minilm, tmp_path):
    """sentence-transformers keeps the truncation tokenizer.json sets (and only that)."""
    model = st.SentenceTransformer(modules=[static_module(minilm)], device="cpu")
    model.save(str(tmp_path / "m"))
    config = json.loads((tmp_path / "m" / "tokenizer.json").read_text())
    config["truncation"] = {"direction": "Right", "max_length": 5, "strategy": "LongestFirst", "stride": 0}
    (tmp_path / "m" / "tokenizer.json").write_text(json.dumps(config))
    texts = ["one two three four five six seven eight", "one two three four five"]
    got, expected = leanpipe.SentenceTransformer(tmp_path / "m").encode(texts), reference(tmp_path / "m").encode(texts)
    assert_same_vectors(got, expected, "truncated by tokenizer.json")
    assert np.allclose(got[0], got[1])


def test_mean_rows_edges():
    table = np.arange(12, dtype=np.float32).reshape(6, 2)
    got = mean_rows(table, [[1, 3], [], [5], []])
    assert got.tolist() == [[4.0, 5.0], [0.0, 0.0], [10.0, 11.0], [0.0, 0.0]]
    assert mean_rows(table, [[], []]).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    with pytest.raises(CheckpointError, match="do not belong together"):
        mean_rows(table, [[6]])


def test_refusals_name_the_fix(pair, saved, minilm, tmp_path):
    ours, _ = pair
    with pytest.raises(InputError, match="no token embeddings"):
        ours.encode(["a"], output_value="token_embeddings")
    with pytest.raises(InputError, match="no max_seq_length"):
        ours.max_seq_length = 128
    with pytest.raises(InputError, match="leave quantize unset"):
        leanpipe.SentenceTransformer(saved, quantize="int8")
    for task in ("feature-extraction", "text-classification"):
        with pytest.raises(InputError, match=r"runs \['sentence-embeddings', 'sentence-similarity'\]"):
            leanpipe.pipeline(task, model=saved)
    with pytest.raises(InputError, match="leave quantize unset"):
        leanpipe.pipeline("sentence-embeddings", model=saved, quantize="int8")
    with pytest.raises(InputError, match="expected a string"):
        ours.encode(["a", 3])
    small = tmp_path / "small"
    shutil.copytree(saved, small)
    save_safetensors({"embedding.weight": np.zeros((100, DIM), np.float32)}, small / "model.safetensors")
    with pytest.raises(CheckpointError, match="100 rows for a vocabulary of 30522"):
        leanpipe.SentenceTransformer(small)
    (small / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.StaticEmbedding"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    with pytest.raises(CheckpointError, match="or one StaticEmbedding"):
        leanpipe.SentenceTransformer(small)
    (small / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.StaticEmbedding"}]))
    (small / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="has no model.safetensors or pytorch_model.bin"):
        leanpipe.SentenceTransformer(small)


def test_sentence_pipelines_match_sentence_transformers(pair, saved, tmp_path):
    """pipeline("sentence-embeddings" / "sentence-similarity") on a StaticEmbedding checkpoint (what the CLI,
    batch jobs and the server run): the same vectors as sentence-transformers, and its task found from
    modules.json when none is named."""
    _, theirs = pair
    embed = leanpipe.pipeline(model=saved)
    assert embed.task == "sentence-embeddings" and embed.model.head == "base"
    expected = theirs.encode(CORPUS)
    nonzero = np.abs(expected).sum(-1) > 0
    got = np.array(embed(CORPUS, batch_size=3))
    assert_same_vectors(got[nonzero], expected[nonzero], "sentence-embeddings pipeline")
    assert_same_vectors(embed.encode(CORPUS[:3]), expected[:3], "pipe.encode")
    queried = np.array(embed(CORPUS[:3], prompt="query: "))
    assert_same_vectors(queried, theirs.encode(CORPUS[:3], prompt_name="query"), "prompt")
    similar = leanpipe.pipeline("sentence-similarity", model=saved)
    scores = similar({"source_sentence": CORPUS[0], "sentences": CORPUS[1:4]})
    want = theirs.similarity(theirs.encode(CORPUS[:1]), theirs.encode(CORPUS[1:4])).numpy()[0]
    np.testing.assert_allclose(scores, want, atol=1e-5)
    embed.save_pretrained(tmp_path / "copy")
    assert_same_vectors(reference(tmp_path / "copy").encode(CORPUS[:3]), expected[:3], "pipeline copy in sentence-transformers")


def test_served_over_tei_and_openai_routes(saved, pair):
    """`leanpipe serve` on a StaticEmbedding checkpoint (TEI itself has no static models): /embed,
    /v1/embeddings (usage counts the tokens the table averaged: no special tokens), /similarity, /info;
    routes for other tasks answer 424."""
    pytest.importorskip("starlette")
    from test_server import Running, post

    from leanpipe.server import Settings, create_app

    _, theirs = pair
    running = Running(create_app(saved, settings=Settings()))
    try:
        texts = ["A man is eating food.", "What are Pandas?"]
        expected = theirs.encode(texts)
        got = post(running.url + "/embed", {"inputs": texts})
        assert got.status_code == 200, got.text
        assert_same_vectors(np.array(got.json()), expected, "/embed")
        openai = post(running.url + "/v1/embeddings", {"input": texts, "encoding_format": "float"}).json()
        assert_same_vectors(np.array([d["embedding"] for d in openai["data"]]), expected, "/v1/embeddings")
        tokens = sum(len(e.ids) for e in theirs.tokenizer.encode_batch(texts, add_special_tokens=False))
        assert openai["usage"]["prompt_tokens"] == tokens
        sims = post(running.url + "/similarity", {"inputs": {"source_sentence": texts[0], "sentences": texts[1:]}}).json()
        np.testing.assert_allclose(sims, [float(expected[0] @ expected[1])], atol=1e-5)
        info = httpx_get(running.url + "/info")
        assert info["task"] == "sentence-embeddings" and sorted(info["tasks"]) == ["sentence-embeddings", "sentence-similarity"]
        assert post(running.url + "/embed_all", {"inputs": texts}).status_code == 424
    finally:
        running.stop()


def httpx_get(url):
    import httpx

    return httpx.get(url, timeout=30).json()


def test_a_cached_repo_without_config_json_or_optional_files(saved, tmp_path):
    """A repo id whose snapshot has no config.json (StaticEmbedding repos have none) and no
    config_sentence_transformers.json: its missing optional files are absent, not "not downloaded"."""
    import huggingface_hub.constants as hc

    bare = tmp_path / "bare"
    shutil.copytree(saved, bare)
    (bare / "config_sentence_transformers.json").unlink()
    make_cache(tmp_path / "cache", "leanpipe-test/bare-static", {"main": bare})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "cache"))
        patch.setattr(hc, "HF_HUB_OFFLINE", True)
        got = leanpipe.SentenceTransformer("leanpipe-test/bare-static").encode(CORPUS[:2])
    assert_same_vectors(got, reference(bare).encode(CORPUS[:2]), "bare repo by id")
