"""text-ranking (rerank) against sentence-transformers' CrossEncoder on a tiny random cross-encoder
(BertForSequenceClassification, num_labels=1): scores within 1e-4, the same order, and
text-embeddings-inference's /rerank answer shape."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import transformers
from sentence_transformers import CrossEncoder

from checkpoints import TINY_BERT, copy_tokenizer
from conftest import assert_close
from leanpipe import pipeline
from leanpipe.errors import InputError

QUERY = "What is deep learning?"
TEXTS = [
    "Deep learning is a subset of machine learning based on neural networks.",
    "The cheese shop sells Gruyère, Comté and Roquefort.",
    "",
    "Réseaux de neurones profonds: apprentissage à plusieurs couches 🧠",
    "深度学习是机器学习的一个分支。",
    " ".join(["Neural networks learn layered representations of data."] * 70),  # > 512 tokens with the query
    "short",
]


def build_cross_encoder(folder, num_labels, seed):
    config = transformers.BertConfig(vocab_size=30522, num_labels=num_labels, **TINY_BERT)
    torch.manual_seed(seed)
    model = transformers.BertForSequenceClassification(config)
    with torch.no_grad():  # a random model's [CLS] vectors barely differ: amplify so the scores spread
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
        model.bert.pooler.dense.weight.mul_(20)
        model.classifier.weight.copy_(torch.randn_like(model.classifier.weight) * 3)
    model.eval().save_pretrained(folder)
    copy_tokenizer(folder)
    return folder


@pytest.fixture(scope="module")
def cross_encoder(tmp_path_factory):
    return build_cross_encoder(tmp_path_factory.mktemp("rerank") / "bert-rerank", num_labels=1, seed=0)


@pytest.fixture(scope="module")
def rerank(cross_encoder):
    return pipeline("rerank", model=cross_encoder)


@pytest.fixture(scope="module")
def reference(cross_encoder):
    model = CrossEncoder(str(cross_encoder), device="cpu")
    pairs = [(QUERY, t) for t in TEXTS]
    return {
        "sigmoid": model.predict(pairs, batch_size=3, convert_to_numpy=True),
        "raw": model.predict(pairs, batch_size=3, activation_fn=torch.nn.Identity(), convert_to_numpy=True),
    }


def expected_ranks(scores, texts=None):
    order = np.argsort(-np.asarray(scores), kind="stable")
    return [{"index": int(i), **({"text": texts[i]} if texts else {}), "score": float(scores[i])} for i in order]


def check_ranks(ours, theirs):
    assert [r["index"] for r in ours] == [r["index"] for r in theirs], f"order {ours} vs {theirs}"
    assert [list(r) for r in ours] == [list(r) for r in theirs]
    assert all(isinstance(r["score"], float) for r in ours)
    assert_close([r["score"] for r in ours], [r["score"] for r in theirs], 1e-4, "scores")
    if "text" in theirs[0]:
        assert [r["text"] for r in ours] == [r["text"] for r in theirs]


def test_scores_match_cross_encoder(rerank, reference):
    scores = reference["sigmoid"]
    assert float(scores.max() - scores.min()) > 0.3, "the scaled head should spread the scores"
    check_ranks(rerank({"query": QUERY, "texts": TEXTS}, batch_size=2), expected_ranks(scores))
    check_ranks(rerank(query=QUERY, texts=TEXTS), expected_ranks(scores))


def test_raw_scores_return_text_top_k(rerank, reference):
    check_ranks(rerank({"query": QUERY, "texts": TEXTS}, raw_scores=True), expected_ranks(reference["raw"]))
    check_ranks(rerank({"query": QUERY, "texts": TEXTS}, return_text=True), expected_ranks(reference["sigmoid"], TEXTS))
    top = rerank({"query": QUERY, "texts": TEXTS}, top_k=2, return_text=True)
    check_ranks(top, expected_ranks(reference["sigmoid"], TEXTS)[:2])
    assert rerank({"query": QUERY, "texts": TEXTS}, top_k=100) == rerank({"query": QUERY, "texts": TEXTS})
    assert np.allclose(1 / (1 + np.exp(-np.array([r["score"] for r in rerank(query=QUERY, texts=TEXTS, raw_scores=True)]))),
                       sorted(reference["sigmoid"], reverse=True), atol=1e-5)


def test_several_requests(rerank, reference):
    requests = [{"query": QUERY, "texts": TEXTS}, {"query": QUERY, "texts": TEXTS[:2]}, {"query": "x", "texts": ["y"]}]
    ours = rerank(requests)
    assert isinstance(ours, list) and len(ours) == 3
    check_ranks(ours[0], expected_ranks(reference["sigmoid"]))
    check_ranks(ours[1], expected_ranks(reference["sigmoid"][:2]))
    assert [r["index"] for r in ours[2]] == [0]


def test_ties_come_out_last_index_first(rerank):
    # TEI sorts ascending and reverses: identical texts get identical scores, highest index first
    ours = rerank(query=QUERY, texts=["same text", "other", "same text"])
    same = [r["index"] for r in ours if r["index"] != 1]
    assert same == [2, 0]


def test_errors(rerank, cross_encoder, tmp_path):
    with pytest.raises(InputError, match="cannot be empty"):
        rerank({"query": QUERY, "texts": []})
    with pytest.raises(InputError, match="cannot be empty"):
        rerank(query=QUERY, texts=[])
    with pytest.raises(InputError, match="query"):
        rerank({"query": QUERY, "texts": "one string"})
    with pytest.raises(InputError, match="keyword"):
        rerank({"query": QUERY, "texts": ["a"], "raw_scores": True})
    with pytest.raises(InputError, match="query"):
        rerank("just a string")
    with pytest.raises(InputError, match="truncation=True"):
        rerank(query=QUERY, texts=TEXTS, truncation=False)
    with pytest.raises(InputError, match="top_k"):
        rerank(query=QUERY, texts=TEXTS, top_k=0)
    with pytest.raises(TypeError, match="not both"):
        rerank({"query": QUERY, "texts": ["a"]}, query="b")
    with pytest.raises(TypeError, match="does not take"):
        rerank(query=QUERY, texts=["a"], return_documents=True)
    with pytest.raises(InputError, match="top_k"):
        pipeline("rerank", model=cross_encoder, top_k=-1)
    two_labels = build_cross_encoder(tmp_path / "two-labels", num_labels=2, seed=1)
    with pytest.raises(InputError, match="text-classification"):
        pipeline("text-ranking", model=two_labels)


def test_truncation_false_keeps_short_pairs_whole(rerank, reference):
    short = TEXTS[:5]
    check_ranks(rerank(query=QUERY, texts=short, truncation=False), expected_ranks(reference["sigmoid"][:5]))
