"""sentence-transformers' multi-process pool calls on leanpipe's SentenceTransformer, CrossEncoder and
SparseEncoder: start_multi_process_pool / encode(pool=...) / encode(device=[...]) / chunk_size /
stop_multi_process_pool / encode_multi_process run (in this process, see leanpipe.sentence_pool) and
give exactly the answers of the same call without a pool, which the sentence-model tests hold to
sentence-transformers' within 1e-4 (checked here once more for the pooled call). Bad pools, devices
and chunk sizes fail as in sentence-transformers, naming the fix."""

from __future__ import annotations

import numpy as np
import pytest

st = pytest.importorskip("sentence_transformers")

import leanpipe  # noqa: E402
from conftest import assert_close  # noqa: E402
from leanpipe.errors import InputError  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")
SENTENCES = ["A man is eating food.", "A man is riding a white horse.", "short", "The quick brown fox. " * 30] * 3


@pytest.fixture(scope="module")
def embedder(minilm):
    return leanpipe.SentenceTransformer(minilm)


@pytest.mark.parametrize("call", [
    {"pool": "started"}, {"pool": "started", "chunk_size": 2}, {"device": ["cpu", "cpu"]}, {"device": ["cpu:0", "cpu:1"], "chunk_size": 5},
])
def test_pooled_encode_is_the_plain_encode(embedder, minilm, call):
    pool = embedder.start_multi_process_pool()
    call = {**call, "pool": pool} if call.get("pool") == "started" else call
    try:
        got = embedder.encode(SENTENCES, normalize_embeddings=True, **call)
    finally:
        embedder.stop_multi_process_pool(pool)
    assert np.array_equal(got, embedder.encode(SENTENCES, normalize_embeddings=True))
    expected = st.SentenceTransformer(str(minilm), device="cpu").encode(SENTENCES, normalize_embeddings=True)
    assert_close(got, expected, 1e-4, f"pooled encode {sorted(call)}")


def test_pool_shape_and_the_deprecated_encode_multi_process(embedder):
    pool = embedder.start_multi_process_pool(["cpu", "cpu"])
    assert {"input", "output", "processes"} <= set(pool) and pool["target_devices"] == ["cpu", "cpu"]
    assert np.array_equal(embedder.encode_multi_process(SENTENCES, pool, chunk_size=3), embedder.encode(SENTENCES))
    assert embedder.encode(SENTENCES[0], pool=pool).shape == (384,)
    embedder.stop_multi_process_pool(pool)
    type(embedder).stop_multi_process_pool(pool)  # a static method in sentence-transformers


def test_cross_and_sparse_encoders_take_a_pool(checkpoints, tmp_path):
    from sentence_transformers.sparse_encoder.models import MLMTransformer, SpladePooling

    cross = leanpipe.CrossEncoder(checkpoints["bert-cls"])
    pairs = [("a question", "an answer to it"), ("hello", "world")] * 3
    pool = cross.start_multi_process_pool()
    assert np.array_equal(cross.predict(pairs, pool=pool, chunk_size=2), cross.predict(pairs))
    cross.stop_multi_process_pool(pool)
    st.SparseEncoder(modules=[MLMTransformer(str(checkpoints["bert-mlm"])), SpladePooling("max")], device="cpu").save(str(tmp_path))
    sparse = leanpipe.SparseEncoder(tmp_path)
    got = sparse.encode(SENTENCES, device=["cpu", "cpu"], convert_to_sparse_tensor=False)
    assert np.array_equal(np.asarray(got), np.asarray(sparse.encode(SENTENCES, convert_to_sparse_tensor=False)))


@pytest.mark.parametrize("call,error,match", [
    ({"pool": {"processes": []}}, InputError, "start_multi_process_pool"),
    ({"device": ["cuda:0", "cuda:1"]}, InputError, "CPU"),
    ({"device": []}, InputError, "non-empty list"),
    ({"device": ["cpu"], "chunk_size": 0}, ValueError, "chunk_size must be a positive integer"),
])
def test_bad_pool_calls_name_the_fix(embedder, call, error, match):
    with pytest.raises(error, match=match):
        embedder.encode(SENTENCES, **call)


def test_pool_on_another_device_is_refused(embedder):
    with pytest.raises(InputError, match="runs on the CPU"):
        embedder.start_multi_process_pool(["cuda:0"])
