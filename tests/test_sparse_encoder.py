"""SPLADE: leanpipe.SparseEncoder, pipeline("sparse-embeddings") and TEI's /embed_sparse against
sentence-transformers 6's SparseEncoder on checkpoints it saved (tiny BERT and DistilBERT masked LMs under
MLMTransformer + SpladePooling): vectors within 1e-4 (max abs printed), decoded tokens identical."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
st = pytest.importorskip("sentence_transformers")

from sentence_transformers.sparse_encoder.modules import MLMTransformer, SpladePooling  # noqa: E402

import leanpipe  # noqa: E402
from conftest import assert_close  # noqa: E402
from leanpipe.errors import CheckpointError, InputError  # noqa: E402
from test_task_embeddings import CORPUS  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")
ATOL = 1e-4
VARIANTS = {"bert-max-relu": ("bert-mlm", "max", "relu"), "distilbert-sum-log1p": ("distilbert-mlm", "sum", "log1p_relu")}


@pytest.fixture(scope="module")
def saved(checkpoints, tmp_path_factory):
    """name -> a SparseEncoder checkpoint sentence-transformers saved (with query / document prompts)."""
    root, found = tmp_path_factory.mktemp("splade"), {}
    for name, (base, strategy, activation) in VARIANTS.items():
        model = st.SparseEncoder(modules=[MLMTransformer(str(checkpoints[base]), max_seq_length=64),
                                          SpladePooling(strategy, activation)], device="cpu",
                                 prompts={"query": "query: ", "document": "passage: "})
        model.save(str(root / name))
        found[name] = root / name
    return found


def reference(folder):
    return st.SparseEncoder(str(folder), device="cpu")


def dense(tensor):
    return tensor.to_dense().numpy() if tensor.is_sparse else tensor.numpy()


@pytest.mark.parametrize("options", [{}, {"max_active_dims": 7}, {"prompt_name": "query"}, {"batch_size": 2}])
@pytest.mark.parametrize("name", list(VARIANTS))
def test_encode_matches_sentence_transformers(saved, name, options):
    ours, theirs = leanpipe.SparseEncoder(saved[name]), reference(saved[name])
    got, expected = ours.encode(CORPUS, **options), dense(theirs.encode(CORPUS, **options))
    assert got.dtype == np.float32 and got.shape == expected.shape == (len(CORPUS), 30522)
    assert_close(got, expected, ATOL, f"{name} {options}")
    assert np.array_equal(got > 0, expected > 0) or options.get("max_active_dims")  # the same active dimensions


def test_the_rest_of_the_api(saved):
    ours, theirs = leanpipe.SparseEncoder(saved["bert-max-relu"]), reference(saved["bert-max-relu"])
    one = ours.encode("What is SPLADE?")
    assert one.shape == (30522,)
    assert [t for t, _ in ours.decode(one, top_k=5)] == [t for t, _ in theirs.decode(theirs.encode("What is SPLADE?"), top_k=5)]
    assert len(ours.decode(ours.encode(CORPUS[:2]), top_k=3)) == 2
    queries, docs = ours.encode_query(CORPUS[:2]), ours.encode_document(CORPUS[2:4])
    assert_close(queries, dense(theirs.encode_query(CORPUS[:2])), ATOL, "encode_query")
    assert_close(docs, dense(theirs.encode_document(CORPUS[2:4])), ATOL, "encode_document")
    scores = ours.similarity(queries, docs)
    # dot products of ~30,000 weights: compared relative to their size (~1e3)
    np.testing.assert_allclose(scores, theirs.similarity(torch.from_numpy(queries), torch.from_numpy(docs)).numpy(), rtol=1e-5)
    sparse = ours.encode_query(CORPUS[:2], convert_to_tensor=True)
    assert sparse.is_sparse and sparse.shape == (2, 30522)
    np.testing.assert_allclose(ours.similarity(sparse, docs), scores, rtol=1e-6)
    capped = ours.encode(CORPUS[:3], max_active_dims=4)
    assert ours.sparsity(capped)["active_dims"] == 4.0
    assert ours.get_embedding_dimension() == 30522 and ours.max_seq_length == 64
    ours.save_pretrained(saved["bert-max-relu"].parent / "copy")
    assert_close(reference(saved["bert-max-relu"].parent / "copy").encode(CORPUS[:2], convert_to_sparse_tensor=False).numpy(),
                 ours.encode(CORPUS[:2]), ATOL, "saved copy in sentence-transformers")


def test_pipeline_and_plain_masked_lm(saved, checkpoints):
    """pipeline("sparse-embeddings"): non-zero weights by index (TEI's shape) or dense vectors; a masked-LM
    checkpoint without modules.json gets max + relu, as sentence-transformers builds it."""
    pipe = leanpipe.pipeline("sparse-embeddings", model=saved["bert-max-relu"])
    vector = leanpipe.SparseEncoder(saved["bert-max-relu"]).encode(CORPUS[0])
    pairs = pipe(CORPUS[0])
    assert [p["index"] for p in pairs] == np.flatnonzero(vector).tolist()
    assert_close([p["value"] for p in pairs], vector[vector > 0], ATOL, "pipeline values")
    assert len(pipe(CORPUS[:3], max_active_dims=5)[2]) == 5
    plain = leanpipe.SparseEncoder(checkpoints["bert-mlm"]).encode(CORPUS)
    assert_close(plain, dense(reference(checkpoints["bert-mlm"]).encode(CORPUS)), ATOL, "plain masked LM")
    with pytest.raises(InputError, match="max_active_dims must be a positive integer"):
        pipe("x", max_active_dims=0)


def test_served_as_tei_embed_sparse(saved):
    pytest.importorskip("starlette")
    from test_server import Running, post

    from leanpipe.server import Settings, create_app

    running = Running(create_app(saved["bert-max-relu"], "sparse-embeddings", settings=Settings()))
    try:
        got = post(running.url + "/embed_sparse", {"inputs": CORPUS[:2], "prompt_name": "query"})
        assert got.status_code == 200, got.text
        expected = leanpipe.pipeline("sparse-embeddings", model=saved["bert-max-relu"])(CORPUS[:2], prompt="query: ")
        assert [[p["index"] for p in row] for row in got.json()] == [[p["index"] for p in row] for row in expected]
        assert_close([p["value"] for p in got.json()[1]], [p["value"] for p in expected[1]], ATOL, "/embed_sparse")
        import httpx

        info = httpx.get(running.url + "/info", timeout=30).json()
        assert info["model_type"] == {"embedding": {"pooling": "splade"}} and info["task"] == "sparse-embeddings"
    finally:
        running.stop()


def test_refusals(saved, tmp_path):
    with pytest.raises(CheckpointError, match="SparseEncoder .SPLADE. checkpoint"):
        leanpipe.SentenceTransformer(saved["bert-max-relu"])
    routed = tmp_path / "routed"
    shutil.copytree(saved["bert-max-relu"], routed)
    modules = json.loads((routed / "modules.json").read_text())
    (routed / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "0_Router",
                                                      "type": "sentence_transformers.models.Router"}]))
    with pytest.raises(CheckpointError, match="router_config.json is missing"):
        leanpipe.SparseEncoder(routed)
    (routed / "router_config.json").write_text(json.dumps({
        "types": {"query_0_Csr": "sentence_transformers.sparse_encoder.modules.SparseAutoEncoder"},
        "structure": {"query": ["query_0_Csr"]}, "parameters": {"default_route": "query"}}))
    with pytest.raises(CheckpointError, match="route runs \\['SparseAutoEncoder'\\]"):
        leanpipe.SparseEncoder(routed)
    with pytest.raises(CheckpointError, match="route runs \\['SparseAutoEncoder'\\]"):  # the Router, not the masked LM at its root
        leanpipe.pipeline("sparse-embeddings", model=routed)
    (routed / "modules.json").write_text(json.dumps(modules))
    pooling = routed / modules[1]["path"] / "config.json"
    pooling.write_text(json.dumps({"pooling_strategy": "mean"}))
    with pytest.raises(CheckpointError, match="pooling_strategy 'mean'"):
        leanpipe.SparseEncoder(routed)


@pytest.fixture(scope="module")
def routed(checkpoints, tmp_path_factory):
    """An inference-free SPLADE checkpoint as sentence-transformers saves it (OpenSearch's doc-v2/v3 layout):
    a Router whose query route is a SparseStaticEmbedding, its document route a masked LM + SpladePooling."""
    from sentence_transformers.base.modules import Router
    from sentence_transformers.sparse_encoder.modules import SparseStaticEmbedding
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoints["bert-mlm"])
    torch.manual_seed(0)
    query = SparseStaticEmbedding(tokenizer, weight=torch.rand(tokenizer.vocab_size) * 3, frozen=True)
    document = [MLMTransformer(str(checkpoints["bert-mlm"]), max_seq_length=32), SpladePooling("sum", "log1p_relu")]
    folder = tmp_path_factory.mktemp("router") / "model"
    st.SparseEncoder(modules=[Router.for_query_document(query_modules=[query], document_modules=document)],
                     device="cpu").save(str(folder))
    return folder


def test_router_routes_match_sentence_transformers(routed, tmp_path, monkeypatch):
    """encode_query through the static weights (no model runs), encode_document and encode (the default
    route) through the masked LM; from the folder and by repo id from the cache (files in subfolders)."""
    import huggingface_hub.constants as hc

    from test_loading import make_cache

    theirs = reference(routed)
    make_cache(tmp_path / "cache", "leanpipe-test/inference-free", {"main": routed})
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)
    for source in (routed, "leanpipe-test/inference-free"):
        ours = leanpipe.SparseEncoder(source)
        for how in ("encode_query", "encode_document", "encode"):
            got, expected = getattr(ours, how)(CORPUS), dense(getattr(theirs, how)(CORPUS))
            assert_close(got, expected, ATOL, f"{source} {how}")
            assert np.array_equal(got > 0, expected > 0), how
        assert ours.decode(ours.encode_query("hello world")) == theirs.decode(theirs.encode_query("hello world"))
        assert_close(ours.encode(CORPUS[:2], task="query"), ours.encode_query(CORPUS[:2]), 0, "task=query")
        assert ours.max_seq_length == 32
        pipe = leanpipe.pipeline("sparse-embeddings", model=source)  # the default route, from its folders
        assert_close(np.stack(pipe(CORPUS, return_tensors=True)), dense(theirs.encode(CORPUS)), ATOL, f"{source} pipeline")
    with pytest.raises(InputError, match="not one of this SparseEncoder's routes"):
        ours.encode("x", task="passage")
    ours.save_pretrained(tmp_path / "copy")  # by repo id: the files come out of the cache's subfolders
    copied = reference(tmp_path / "copy")
    for how in ("encode_query", "encode_document"):
        assert_close(dense(getattr(copied, how)(CORPUS[:3])), getattr(ours, how)(CORPUS[:3]), ATOL, f"saved copy {how}")
    assert_close(leanpipe.SparseEncoder(tmp_path / "copy").encode_document(CORPUS[:3]), ours.encode_document(CORPUS[:3]), 0,
                 "the copy in leanpipe")


def test_router_default_route_in_the_pipeline_cli_and_server(routed, tmp_path, capsys):
    """pipeline("sparse-embeddings") (and a pipeline with no task: no config.json at the root, a Router)
    runs the Router's default route, the masked LM that encode runs there (documents: an index's work),
    as sentence-transformers' encode gives it; so do `leanpipe run` and the server's /embed_sparse. A
    default route of query weights, or none, is refused naming what runs it; other tasks name both."""
    import httpx

    from test_cli import cli
    from test_server import Running
    from leanpipe.server.app import create_app

    expected = dense(reference(routed).encode(CORPUS))
    for pipe in (leanpipe.pipeline("sparse-embeddings", model=routed), leanpipe.pipeline(model=str(routed))):
        got = np.stack(pipe(CORPUS, return_tensors=True, batch_size=4))
        assert_close(got, expected, ATOL, "pipeline over the Router's default route")
    code, out, err = cli("run", "sparse-embeddings", "-m", routed, CORPUS[0], capsys=capsys)
    assert code == 0, err
    weights = {d["index"]: d["value"] for d in json.loads(out)}
    assert sorted(weights) == list(np.flatnonzero(expected[0])), "leanpipe run: the text's active dimensions"
    assert_close(np.array(list(weights.values())), expected[0][sorted(weights)], ATOL, "leanpipe run")
    running = Running(create_app(str(routed), "sparse-embeddings"))
    try:
        served = httpx.post(running.url + "/embed_sparse", json={"inputs": CORPUS[:2]}, timeout=60).json()
    finally:
        running.stop()
    for row, vector in zip(served, expected[:2]):
        assert [d["index"] for d in row] == list(np.flatnonzero(vector)), "/embed_sparse"
    with pytest.raises(InputError, match=r"pipeline\('sparse-embeddings', model=...\) runs its default route"):
        leanpipe.pipeline("feature-extraction", model=routed)
    for default, match in (("query", "default route 'query' is a SparseStaticEmbedding.*encode_query"),
                           (None, "has no default route")):
        copy = tmp_path / f"default-{default}"
        shutil.copytree(routed, copy)
        settings = json.loads((copy / "router_config.json").read_text())
        settings["parameters"]["default_route"] = default
        (copy / "router_config.json").write_text(json.dumps(settings))
        with pytest.raises(InputError, match=match):
            leanpipe.pipeline("sparse-embeddings", model=copy)


def test_saved_max_active_dims(checkpoints, tmp_path):
    """config_sentence_transformers.json's max_active_dims (sentence-transformers 6.3 saves the constructor's)
    caps encode when the argument is None; save() writes the object's, and both libraries reload it."""
    folder = tmp_path / "capped"
    st.SparseEncoder(modules=[MLMTransformer(str(checkpoints["bert-mlm"]), max_seq_length=64), SpladePooling("max", "relu")],
                     device="cpu", max_active_dims=5).save(str(folder))
    ours, theirs = leanpipe.SparseEncoder(folder), reference(folder)
    assert ours.max_active_dims == theirs.max_active_dims == 5
    for options in ({}, {"max_active_dims": 9}):
        got, expected = ours.encode(CORPUS, **options), dense(theirs.encode(CORPUS, **options))
        assert_close(got, expected, ATOL, f"saved max_active_dims {options}")
        assert ours.sparsity(got)["active_dims"] == options.get("max_active_dims", 5)
    assert leanpipe.SparseEncoder(folder, max_active_dims=3).encode(CORPUS[:1]).astype(bool).sum() == 3
    ours.max_active_dims = 7
    ours.save(tmp_path / "copy")
    for reloaded in (leanpipe.SparseEncoder(tmp_path / "copy"), reference(tmp_path / "copy")):
        assert reloaded.max_active_dims == 7, type(reloaded).__module__
    assert_close(leanpipe.SparseEncoder(tmp_path / "copy").encode(CORPUS), dense(reference(tmp_path / "copy").encode(CORPUS)),
                 ATOL, "saved copy")


def test_max_seq_length_is_settable(saved):
    """model.max_seq_length = 8 cuts every text to 8 tokens, as sentence-transformers' setter does."""
    ours, theirs = leanpipe.SparseEncoder(saved["bert-max-relu"]), reference(saved["bert-max-relu"])
    ours.max_seq_length = theirs.max_seq_length = 8
    assert ours.max_seq_length == theirs.max_seq_length == 8 and ours.tokenizer.model_max_length == 8
    assert_close(ours.encode(CORPUS), dense(theirs.encode(CORPUS)), ATOL, "max_seq_length 8")
    with pytest.raises(InputError, match="positive number of tokens"):
        ours.max_seq_length = 0


def test_intersection_matches_sentence_transformers(saved):
    ours, theirs = leanpipe.SparseEncoder(saved["bert-max-relu"]), reference(saved["bert-max-relu"])
    query, documents = ours.encode_query(CORPUS[0]), ours.encode_document(CORPUS)
    their_query, their_documents = theirs.encode_query(CORPUS[0]), theirs.encode_document(CORPUS)
    for second, their_second in ((documents[1], their_documents[1]), (documents, their_documents)):
        got, expected = ours.intersection(query, second), dense(theirs.intersection(their_query, their_second))
        assert got.shape == expected.shape and np.array_equal(got > 0, expected > 0)
        assert_close(got, expected, 1e-3 * max(1.0, float(np.abs(expected).max())), "intersection")
    as_torch = ours.intersection(torch.from_numpy(query), torch.from_numpy(documents[1]))
    assert as_torch.is_sparse and np.allclose(dense(as_torch), ours.intersection(query, documents[1]))
    mine, ref = ours.decode(ours.intersection(query, documents[1]), top_k=3), theirs.decode(theirs.intersection(their_query, their_documents[1]), top_k=3)
    assert [token for token, _ in mine] == [token for token, _ in ref]
    assert_close([w for _, w in mine], [w for _, w in ref], 1e-4, "decoded intersection")
    with pytest.raises(InputError, match="one vector"):
        ours.intersection(documents, query)
