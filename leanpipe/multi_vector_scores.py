"""MaxSim, the late-interaction score, on NumPy, as sentence-transformers 6.3's util.similarity.maxsim scores:
for each query token its best dot product with any document token, summed over the query's tokens
(MeanMaxSim: divided by their number).

>>> maxsim([q], [d1, d2])     # q (Tq, D), d (Td, D) -> (1, 2)

Inputs: a list of (T_i, D) arrays (or torch tensors), a padded (N, T, D) array whose all-zero rows are
padding, or one (T, D) array (a batch of one). A document with no token scores -1e9, below any real one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError

SIMILARITIES = ("maxsim", "meanmaxsim")
EMPTY_DOCUMENT_SCORE = np.float32(-1e9)
_CHUNK = 50_000_000  # numbers per block of token-pair scores (200 MB)


def normalized(x: np.ndarray) -> np.ndarray:
    """Each vector over its last axis divided by its length (at least 1e-12), as torch's F.normalize."""
    norms = np.sqrt(np.sum(x.astype(np.float32) ** 2, axis=-1, keepdims=True))
    return (x / np.maximum(norms, np.float32(1e-12))).astype(np.float32, copy=False)


def _items(x: Any, name: str) -> list[np.ndarray]:
    """One side's vectors as a list of (T_i, D) float32 arrays."""
    if isinstance(x, (list, tuple)):
        items = [_array(v, name) for v in x]
    else:
        array = _array(x, name)
        if array.ndim == 2:
            items = [array]
        elif array.ndim == 3:  # padded: all-zero rows are padding
            items = [row[np.any(row != 0, axis=-1)] for row in array]
        else:
            raise InputError(f"{name}: expected token vectors (T, D), a list of them or a padded (N, T, D) array, "
                             f"got shape {list(array.shape)}")
    for item in items:
        if item.ndim != 2:
            raise InputError(f"{name}: each text's vectors must be (tokens, dimensions), got shape {list(item.shape)}")
    return items


def _array(x: Any, name: str) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor (sentence-transformers' output)
        x = x.detach().cpu().float().numpy()
    try:
        return np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: not an array of token vectors ({exc})") from None


def _padded(items: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(N, T, D) zero-padded and its (N, T) mask."""
    width, dims = max(len(i) for i in items), items[0].shape[1]
    out, mask = np.zeros((len(items), width, dims), np.float32), np.zeros((len(items), width), bool)
    for n, item in enumerate(items):
        out[n, :len(item)], mask[n, :len(item)] = item, True
    return out, mask


def _check_dims(queries: list[np.ndarray], documents: list[np.ndarray]) -> None:
    dims = {i.shape[1] for i in queries + documents}
    if len(dims) > 1:
        raise InputError(f"token vectors of different widths {sorted(dims)}: score vectors from the same model "
                         f"(and the same truncate_dim)")


def maxsim(queries: Any, documents: Any, *, length_normalize: bool = False, a_mask: Any = None, b_mask: Any = None,
           chunk_elements: int | None = None, device: Any = None) -> np.ndarray:
    """(N, M) float32: query i against document j. `a_mask` / `b_mask` (per-item 1-D masks, or (N, T)): tokens with
    0 / False left out; `chunk_elements`: numbers per block of token-pair scores; `device`: the CPU only."""
    a, b = _options(queries, documents, a_mask, b_mask, chunk_elements, device)
    if not a or not b:
        return np.zeros((len(a), len(b)), np.float32)
    _check_dims(a, b)
    docs, mask = _padded(b)
    scores = np.zeros((len(a), len(b)), np.float32)
    step = max(1, (chunk_elements or _CHUNK) // max(1, docs.shape[1] * max(len(q) for q in a)))
    for i, query in enumerate(a):
        for start in range(0, len(b), step):
            scores[i, start:start + step] = _best_sums(query, docs[start:start + step], mask[start:start + step])
    return _finish(scores, a, ~mask.any(axis=1)[None, :], length_normalize)


def maxsim_pairwise(queries: Any, documents: Any, *, length_normalize: bool = False, a_mask: Any = None, b_mask: Any = None,
                    chunk_elements: int | None = None, device: Any = None) -> np.ndarray:
    """(N,) float32: query i against document i (the options as maxsim's)."""
    a, b = _options(queries, documents, a_mask, b_mask, chunk_elements, device)
    if len(a) != len(b):
        raise InputError(f"similarity_pairwise scores query i against document i: got {len(a)} queries and {len(b)} documents")
    if not a:
        return np.zeros(0, np.float32)
    _check_dims(a, b)
    scores = np.array([_best_sums(q, d[None], np.ones((1, len(d)), bool))[0] if len(d) else 0.0
                       for q, d in zip(a, b)], np.float32)
    return _finish(scores[:, None], a, np.array([[len(d) == 0] for d in b]), length_normalize)[:, 0]


def _options(queries: Any, documents: Any, a_mask: Any, b_mask: Any, chunk_elements: Any, device: Any
             ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Both sides as lists of (T_i, D) arrays with their masks applied; the scoring options checked."""
    if device is not None and str(device) != "cpu":
        raise InputError(f"device={device!r}: leanpipe scores on the CPU; leave device unset")
    if chunk_elements is not None and (isinstance(chunk_elements, bool) or not isinstance(chunk_elements, int) or chunk_elements < 1):
        raise InputError(f"chunk_elements must be a positive integer, got {chunk_elements!r}")
    return _masked(_items(queries, "queries"), a_mask, "a_mask"), _masked(_items(documents, "documents"), b_mask, "b_mask")


def _masked(items: list[np.ndarray], mask: Any, name: str) -> list[np.ndarray]:
    """Each item's tokens where its mask row is true (a row shorter than the item counts its missing end false)."""
    if mask is None:
        return items
    rows = [_array(m, name) for m in mask] if isinstance(mask, (list, tuple)) else list(np.atleast_2d(_array(mask, name)))
    if len(rows) == 1 and len(items) > 1:
        rows = rows * len(items)
    if len(rows) != len(items):
        raise InputError(f"{name} has {len(rows)} rows for {len(items)} texts")
    keep = [np.pad(r.astype(bool), (0, max(0, len(item) - len(r))))[:len(item)] for r, item in zip(rows, items)]
    return [item[k] for item, k in zip(items, keep)]


def _best_sums(query: np.ndarray, docs: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """query (Tq, D), docs (M, Td, D) with mask (M, Td) -> (M,): sum over query tokens of the best document token."""
    if docs.shape[1] == 0 or len(query) == 0:
        return np.zeros(len(docs), np.float32)
    pairs = np.einsum("qd,mtd->mqt", query, docs)  # (M, Tq, Td)
    pairs = np.where(mask[:, None, :], pairs, np.finfo(np.float32).min)
    best = np.where(mask.any(axis=1)[:, None], pairs.max(axis=2), np.float32(0))  # a document with no token: _finish
    return best.sum(axis=1, dtype=np.float32)


def _finish(scores: np.ndarray, queries: list[np.ndarray], empty: np.ndarray, length_normalize: bool) -> np.ndarray:
    """Empty documents at -1e9; MeanMaxSim divides by each query's tokens (at least 1)."""
    scores = np.where(empty, EMPTY_DOCUMENT_SCORE, scores).astype(np.float32)
    if length_normalize:
        scores = scores / np.array([max(len(q), 1) for q in queries], np.float32)[:, None]
    return scores
