"""leanpipe.util against sentence_transformers.util (6.3) on all-MiniLM-L6-v2's embeddings: the same
scores (1e-5), hits, pairs and communities; NumPy arrays where it returns torch tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from leanpipe import SentenceTransformer, util

st_util = pytest.importorskip("sentence_transformers.util")

SENTENCES = [
    "A man is eating food.", "A man is eating a piece of bread.", "A man is eating pasta.",
    "The girl is carrying a baby.", "A woman carries her child.", "The baby is carried by the woman.",
    "A man is riding a horse.", "A man is riding a white horse on an enclosed ground.", "Someone rides a horse.",
    "A monkey is playing drums.", "Someone in a gorilla costume is playing a set of drums.",
    "A cheetah is running behind its prey.", "A cheetah chases prey on a field.", "The cat sleeps on the sofa.",
    "Stocks fell sharply on Monday.", "The market dropped at the start of the week.", "Two men pushed carts.",
]
QUERIES = ["Who is eating?", "a horse rider", "animals running fast", "financial news"]


@pytest.fixture(scope="module")
def embedded(minilm):
    model = SentenceTransformer(str(minilm))
    return model, model.encode(SENTENCES), model.encode(QUERIES)


def test_similarity_functions_match(embedded):
    _, corpus, queries = embedded
    for name in ("cos_sim", "dot_score", "euclidean_sim", "manhattan_sim", "pytorch_cos_sim"):
        ours, theirs = getattr(util, name)(queries, corpus), getattr(st_util, name)(queries, corpus).numpy()
        assert isinstance(ours, np.ndarray) and ours.shape == theirs.shape == (len(QUERIES), len(SENTENCES)), name
        print(f"{name}: max abs diff {np.abs(ours - theirs).max():.2e}")
        assert np.abs(ours - theirs).max() <= 1e-4 * max(1.0, np.abs(theirs).max()), name
    for name in ("pairwise_cos_sim", "pairwise_dot_score", "pairwise_euclidean_sim", "pairwise_manhattan_sim"):
        ours, theirs = getattr(util, name)(corpus[:4], corpus[4:8]), getattr(st_util, name)(corpus[:4], corpus[4:8]).numpy()
        assert np.allclose(ours, theirs, atol=1e-5), name
    assert np.allclose(util.cos_sim(torch.from_numpy(queries[0]), corpus), st_util.cos_sim(queries[0], corpus).numpy(), atol=1e-6)
    assert np.allclose(util.normalize_embeddings(corpus * 3), st_util.normalize_embeddings(torch.from_numpy(corpus * 3)).numpy(), atol=1e-6)
    sparse = torch.from_numpy(corpus[:3]).to_sparse()
    assert np.allclose(util.dot_score(sparse, corpus), st_util.dot_score(corpus[:3], corpus).numpy(), atol=1e-5)
    assert util.SimilarityFunction.DOT_PRODUCT.value == st_util.SimilarityFunction.DOT_PRODUCT.value == "dot"
    for precision in ("int8", "uint8", "binary", "ubinary"):
        for options in (dict(), dict(calibration_embeddings=corpus[5:])):
            ours, theirs = util.quantize_embeddings(corpus, precision, **options), st_util.quantize_embeddings(corpus, precision, **options)
            assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs), (precision, options)
    # 6.3 also names maxsim / meanmaxsim, for multi-vector (late-interaction) models, which leanpipe does not run
    assert [f.value for f in util.SimilarityFunction] == [f.value for f in st_util.SimilarityFunction if "maxsim" not in f.value]


@pytest.mark.parametrize("options", [dict(), dict(top_k=3), dict(top_k=50), dict(top_k=2, query_chunk_size=1, corpus_chunk_size=5),
                                     dict(top_k=4, score_function="dot_score")])
def test_semantic_search_matches(embedded, options):
    _, corpus, queries = embedded
    options = dict(options)
    if options.get("score_function") == "dot_score":
        ours = util.semantic_search(queries, corpus, **{**options, "score_function": util.dot_score})
        theirs = st_util.semantic_search(torch.from_numpy(queries), torch.from_numpy(corpus), **{**options, "score_function": st_util.dot_score})
    else:
        ours, theirs = util.semantic_search(queries, corpus, **options), st_util.semantic_search(torch.from_numpy(queries), torch.from_numpy(corpus), **options)
    assert [[hit["corpus_id"] for hit in hits] for hits in ours] == [[hit["corpus_id"] for hit in hits] for hits in theirs]
    for mine, ref in zip(ours, theirs):
        assert all(isinstance(h["score"], float) and isinstance(h["corpus_id"], int) for h in mine)
        assert np.allclose([h["score"] for h in mine], [h["score"] for h in ref], atol=1e-5)
    assert util.semantic_search(queries[0], corpus, top_k=1)[0][0]["corpus_id"] == ours[0][0]["corpus_id"]


def test_paraphrase_mining_and_communities_match(embedded, minilm):
    from sentence_transformers import SentenceTransformer as Theirs

    model, corpus, _ = embedded
    for options in (dict(), dict(top_k=2), dict(max_pairs=5), dict(top_k=3, query_chunk_size=4, corpus_chunk_size=6)):
        ours = util.paraphrase_mining(model, SENTENCES, **options)
        theirs = st_util.paraphrase_mining(Theirs(str(minilm)), SENTENCES, **options)
        assert [pair[1:] for pair in ours] == [pair[1:] for pair in theirs], options
        assert np.allclose([p[0] for p in ours], [p[0] for p in theirs], atol=1e-5)
        assert ours == util.paraphrase_mining_embeddings(corpus, **{k: v for k, v in options.items()})
    for threshold, size in ((0.5, 2), (0.6, 3), (0.9, 2), (0.3, 5), (0.5, 100)):
        ours = util.community_detection(corpus, threshold=threshold, min_community_size=size, batch_size=4)
        assert ours == st_util.community_detection(torch.from_numpy(corpus), threshold=threshold, min_community_size=size, batch_size=4), (threshold, size)
    assert util.community_detection(np.zeros((0, 4))) == st_util.community_detection(torch.zeros((0, 4))) == []
