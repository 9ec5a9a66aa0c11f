"""sentence-transformers' `util` on NumPy: what user code calls on embeddings after `model.encode`.

    from leanpipe import SentenceTransformer, util
    hits = util.semantic_search(model.encode(queries), model.encode(corpus), top_k=5)

Same functions, arguments and results as sentence_transformers.util (6.3), except that matrices
come back as NumPy arrays where it returns torch tensors. Inputs may be NumPy arrays, lists, or
torch tensors (dense or sparse, as SparseEncoder's convert_to_tensor=True gives them).
"""

from __future__ import annotations

import enum
import heapq
from typing import Any, Callable

import numpy as np

from .errors import InputError
from .similarity import quantize_embeddings, similarity, similarity_pairwise

__all__ = [
    "SimilarityFunction", "community_detection", "cos_sim", "dot_score", "euclidean_sim", "manhattan_sim",
    "normalize_embeddings", "pairwise_cos_sim", "pairwise_dot_score", "pairwise_euclidean_sim",
    "pairwise_manhattan_sim", "paraphrase_mining", "paraphrase_mining_embeddings", "pytorch_cos_sim",
    "quantize_embeddings", "semantic_search",
]


class SimilarityFunction(str, enum.Enum):
    """The names a model's similarity_fn_name takes (DOT and DOT_PRODUCT are the same)."""

    COSINE = "cosine"
    DOT_PRODUCT = "dot"
    DOT = "dot"
    EUCLIDEAN = "euclidean"
    MANHATTAN = "manhattan"


def _matrix(x: Any) -> np.ndarray:
    """Embeddings as a float32 (N, D) array: one vector becomes one row; torch tensors (also sparse) and lists taken."""
    if hasattr(x, "is_sparse") and x.is_sparse:
        x = x.to_dense()
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    array = np.asarray(x, dtype=np.float32)
    if array.ndim not in (1, 2):
        raise InputError(f"embeddings must be one vector or a (N, D) matrix, got shape {array.shape}")
    return np.atleast_2d(array)


def _scorer(name: str, kind: str, pairwise: bool, doc: str) -> Callable[[Any, Any], np.ndarray]:
    """One of sentence-transformers' score functions, named as there."""
    measure = similarity_pairwise if pairwise else similarity

    def score(a: Any, b: Any) -> np.ndarray:
        return measure(_matrix(a), _matrix(b), kind)

    score.__name__ = score.__qualname__ = name
    score.__doc__ = doc
    return score


MATRIX, ROWS = "(N, D) x (M, D) -> (N, M)", "row i of a with row i of b: (N, D) x (N, D) -> (N,)"
cos_sim = _scorer("cos_sim", "cosine", False, f"{MATRIX} cosine similarities.")
pytorch_cos_sim = cos_sim
dot_score = _scorer("dot_score", "dot", False, f"{MATRIX} dot products.")
euclidean_sim = _scorer("euclidean_sim", "euclidean", False, f"{MATRIX} negative euclidean distances (higher is more similar).")
manhattan_sim = _scorer("manhattan_sim", "manhattan", False, f"{MATRIX} negative manhattan distances (higher is more similar).")
pairwise_cos_sim = _scorer("pairwise_cos_sim", "cosine", True, f"{ROWS} cosine similarities.")
pairwise_dot_score = _scorer("pairwise_dot_score", "dot", True, f"{ROWS} dot products.")
pairwise_euclidean_sim = _scorer("pairwise_euclidean_sim", "euclidean", True, f"{ROWS} negative euclidean distances.")
pairwise_manhattan_sim = _scorer("pairwise_manhattan_sim", "manhattan", True, f"{ROWS} negative manhattan distances.")


def normalize_embeddings(embeddings: Any) -> np.ndarray:
    """Each row scaled to unit length (a zero row stays zero)."""
    rows = _matrix(embeddings)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def _top(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the k best columns and their scores, best first (ties: lower column first)."""
    k = min(k, scores.shape[1])
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


def semantic_search(query_embeddings: Any, corpus_embeddings: Any, query_chunk_size: int = 100,
                    corpus_chunk_size: int = 500000, top_k: int = 10,
                    score_function: Callable[[Any, Any], Any] = cos_sim) -> list[list[dict[str, int | float]]]:
    """For each query, the top_k corpus entries by `score_function`: [[{"corpus_id", "score"}, ...], ...],
    best first. The chunk sizes bound the memory of one score block, as in sentence-transformers."""
    queries, corpus = _matrix(query_embeddings), _matrix(corpus_embeddings)
    if score_function is cos_sim:  # normalize once, then dot products: the same scores
        queries, corpus, score_function = normalize_embeddings(queries), normalize_embeddings(corpus), dot_score
    best: list[list[tuple[float, int]]] = [[] for _ in range(len(queries))]
    for c0 in range(0, len(corpus), corpus_chunk_size):
        for q0 in range(0, len(queries), query_chunk_size):
            scores = np.asarray(score_function(queries[q0:q0 + query_chunk_size], corpus[c0:c0 + corpus_chunk_size]))
            ids, values = _top(scores, top_k)
            for row, (row_ids, row_values) in enumerate(zip(ids.tolist(), values.tolist())):
                merged = best[q0 + row] + [(v, c0 + i) for i, v in zip(row_ids, row_values)]
                best[q0 + row] = sorted(merged, key=lambda hit: (-hit[0], hit[1]))[:top_k]
    return [[{"corpus_id": i, "score": score} for score, i in hits] for hits in best]


def paraphrase_mining(model: Any, sentences: list[str], show_progress_bar: bool = False, batch_size: int = 32,
                      query_chunk_size: int = 5000, corpus_chunk_size: int = 100000, max_pairs: int = 500000,
                      top_k: int = 100, score_function: Callable[[Any, Any], Any] = cos_sim,
                      truncate_dim: int | None = None, prompt_name: str | None = None,
                      prompt: str | None = None) -> list[list[float | int]]:
    """The most similar pairs of `sentences` as [score, i, j] (i < j), best first, encoded by `model`."""
    embeddings = model.encode(sentences, batch_size=batch_size, show_progress_bar=show_progress_bar,
                              truncate_dim=truncate_dim, prompt_name=prompt_name, prompt=prompt)
    return paraphrase_mining_embeddings(embeddings, query_chunk_size, corpus_chunk_size, max_pairs, top_k, score_function)


def paraphrase_mining_embeddings(embeddings: Any, query_chunk_size: int = 5000, corpus_chunk_size: int = 100000,
                                 max_pairs: int = 500000, top_k: int = 100,
                                 score_function: Callable[[Any, Any], Any] = cos_sim) -> list[list[float | int]]:
    """Each row's top_k other rows by `score_function` (taken as symmetric: one score per pair), the
    max_pairs best pairs as [score, i, j] with i < j, best first."""
    rows = _matrix(embeddings)
    pairs: dict[tuple[int, int], float] = {}
    for q0 in range(0, len(rows), query_chunk_size):
        scores = np.concatenate([np.asarray(score_function(rows[q0:q0 + query_chunk_size], rows[c0:c0 + corpus_chunk_size]))
                                 for c0 in range(0, len(rows), corpus_chunk_size)], axis=1)
        ids, values = _top(scores, top_k + 1)
        for row, (row_ids, row_values) in enumerate(zip(ids.tolist(), values.tolist())):
            i = q0 + row
            for j, score in [(j, s) for j, s in zip(row_ids, row_values) if j != i][:top_k]:
                pairs.setdefault((min(i, j), max(i, j)), score)
    kept = heapq.nlargest(max_pairs, pairs.items(), key=lambda item: item[1])
    return [[score, i, j] for (i, j), score in kept]


def community_detection(embeddings: Any, threshold: float = 0.75, min_community_size: int = 10,
                        batch_size: int = 1024, show_progress_bar: bool = False) -> list[list[int]]:
    """Groups of rows whose cosine similarity to a central row is at least `threshold`, each at least
    min_community_size long, largest first, the central row first in each; no row in two groups."""
    rows = _matrix(embeddings) if len(embeddings) else np.zeros((0, 0), np.float32)
    if len(rows) == 0 or len(rows) < min_community_size:
        return []
    rows = normalize_embeddings(rows)
    found: list[tuple[int, np.ndarray]] = []
    for start in range(0, len(rows), batch_size):
        scores = rows[start:start + batch_size] @ rows.T
        for row, row_scores in enumerate(scores):
            order = np.argsort(-row_scores, kind="stable")
            members = order[row_scores[order] >= threshold]
            if len(members) >= min_community_size:
                found.append((start + row, members))
    found.sort(key=lambda item: len(item[1]), reverse=True)
    used, communities = np.zeros(len(rows), dtype=bool), []
    for center, members in found:
        if used[center]:
            continue
        free = members[~used[members]]
        if len(free) >= min_community_size:
            community = [center] + [int(m) for m in free if m != center]
            communities.append(community)
            used[community] = True
    return sorted(communities, key=len, reverse=True)
