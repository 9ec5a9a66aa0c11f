"""Comparing and quantizing sentence vectors as sentence-transformers 6 does, on NumPy:

    similarity(a, b, "cosine")            # (N, D), (M, D) -> (N, M)
    similarity_pairwise(a, b, "dot")      # (N, D), (N, D) -> (N,)
    quantize_embeddings(vectors, "int8")  # (N, D) float32 -> (N, D) int8, buckets over each dimension's range

Used by leanpipe.SentenceTransformer and leanpipe.SparseEncoder (their similarity_fn_name and
encode(precision=...)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError
from .pooling import l2_normalize

SIMILARITIES = ("cosine", "dot", "euclidean", "manhattan")
PRECISIONS = ("float32", "int8", "uint8", "binary", "ubinary")
CHUNK_ELEMENTS = 1 << 24  # (rows, M, D) differences per step of the distance functions: 64 MB of float32


def similarity_name(value: Any) -> str:
    """A similarity function's name: one of SIMILARITIES, or sentence-transformers' SimilarityFunction
    member for it (compared by its .value, so sentence-transformers need not be imported).

    >>> similarity_name(SimilarityFunction.DOT_PRODUCT)
    'dot'
    """
    name = getattr(value, "value", value)
    if not isinstance(name, str) or name not in SIMILARITIES:
        raise InputError(f"similarity_fn_name={value!r} is not one of {list(SIMILARITIES)} "
                         f"(or a sentence_transformers.SimilarityFunction member)")
    return name


def quantize_embeddings(embeddings: np.ndarray, precision: str, ranges: np.ndarray | None = None,
                        calibration_embeddings: np.ndarray | None = None) -> np.ndarray:
    """(N, D) float32 -> sentence-transformers' quantized vectors. int8 / uint8: 256 buckets per dimension
    between `ranges` ((2, D): minima, maxima), else the minimum and maximum of `calibration_embeddings`,
    else of these embeddings (which needs more than one); binary / ubinary: one bit per dimension (> 0), packed."""
    if precision == "float32":
        return embeddings
    if embeddings.ndim == 2 and not len(embeddings):  # nothing to bucket or pack: (0, width) of the right type
        width = embeddings.shape[1] if precision.endswith("int8") else (embeddings.shape[1] + 7) // 8
        return np.zeros((0, width), np.int8 if precision in ("int8", "binary") else np.uint8)
    if precision in ("int8", "uint8"):
        if ranges is None:
            ranges = _ranges(embeddings if calibration_embeddings is None else np.atleast_2d(calibration_embeddings),
                             precision, calibration_embeddings is not None)
        starts = np.asarray(ranges[0], dtype=np.float32)  # (D,)
        steps = (np.asarray(ranges[1], dtype=np.float32) - starts) / 255
        steps = np.where(steps == 0, 1, steps)  # a constant dimension goes to bucket 0, not NaN
        buckets = np.clip(np.floor((embeddings - starts) / steps), 0, 255)  # (N, D)
        return buckets.astype(np.uint8) if precision == "uint8" else (buckets - 128).astype(np.int8)
    packed = np.packbits(embeddings > 0, axis=-1)  # (N, ceil(D / 8))
    return (packed - 128).astype(np.int8) if precision == "binary" else packed


def _ranges(calibration: np.ndarray, precision: str, given: bool) -> np.ndarray:
    """(2, D): each dimension's minimum and maximum over the calibration rows."""
    if len(calibration) < 2 and not given:
        raise InputError(f"precision={precision!r} buckets each dimension between its minimum and maximum over the "
                         f"texts encoded together, and one text has no range: encode more than one text at once, or "
                         f"encode in float32 and call leanpipe.similarity.quantize_embeddings(vectors, {precision!r}, "
                         f"calibration_embeddings=...) with vectors of representative texts")
    return np.stack([calibration.min(axis=0), calibration.max(axis=0)])


def _rows(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    return tuple(np.atleast_2d(np.asarray(x, dtype=np.float32)) for x in (a, b))


def _distances(a: np.ndarray, b: np.ndarray, norm) -> np.ndarray:
    """(N, D), (M, D) -> (N, M) norms of the differences, taken on the differences themselves: the
    expansion |a|^2 - 2ab + |b|^2 cancels to ~5e-4 instead of 0 for a vector and itself."""
    out = np.empty((len(a), len(b)), dtype=np.float32)
    step = max(1, CHUNK_ELEMENTS // max(1, b.size))
    for start in range(0, len(a), step):
        out[start:start + step] = norm(a[start:start + step, None, :] - b[None, :, :])  # (n, M, D) -> (n, M)
    return out


def _euclidean(diff: np.ndarray) -> np.ndarray:
    return np.sqrt((diff * diff).sum(-1))


def _manhattan(diff: np.ndarray) -> np.ndarray:
    return np.abs(diff).sum(-1)


def similarity(a: Any, b: Any, kind: str = "cosine") -> np.ndarray:
    """(N, D) x (M, D) -> (N, M): cosine, dot, or the negative euclidean / manhattan distance."""
    a, b = _rows(a, b)
    if kind == "cosine":
        return l2_normalize(a) @ l2_normalize(b).T
    if kind == "dot":
        return a @ b.T
    if kind in ("euclidean", "manhattan"):
        return -_distances(a, b, _euclidean if kind == "euclidean" else _manhattan)
    raise InputError(f"similarity function {kind!r} is not one of {list(SIMILARITIES)}")


def similarity_pairwise(a: Any, b: Any, kind: str = "cosine") -> np.ndarray:
    """Row i of a with row i of b: (N, D), (N, D) -> (N,)."""
    a, b = _rows(a, b)
    if kind == "cosine":
        return (l2_normalize(a) * l2_normalize(b)).sum(-1)
    if kind == "dot":
        return (a * b).sum(-1)
    if kind == "euclidean":
        return -_euclidean(a - b)
    if kind == "manhattan":
        return -_manhattan(a - b)
    raise InputError(f"similarity function {kind!r} is not one of {list(SIMILARITIES)}")
