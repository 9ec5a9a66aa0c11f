"""`dimensions`: embeddings cut to their first n numbers (Matryoshka), on /embed, POST / and /v1/embeddings.

    cut([[3.0, 4.0, 12.0]], 2, renormalize=True, model="m")  -> [[0.6, 0.8]]
    cut([[3.0, 4.0, 12.0]], 2, renormalize=False, model="m") -> [[3.0, 4.0]]

text-embeddings-inference (core/src/infer.rs embed_pooled) keeps the first n numbers and then
normalizes when the request normalizes; OpenAI's vectors are always normalized, so /v1/embeddings
always renormalizes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .http import HTTPError, field


def requested(body: dict[str, Any]) -> int | None:
    """The body's `dimensions` (None when absent); 422 when it is not an integer."""
    return field(body, "dimensions", int, None, "a positive integer")


def cut(vectors: list[list[float]], dimensions: int | None, *, renormalize: bool, model: Any) -> list[list[float]]:
    """Each vector's first `dimensions` numbers, scaled back to unit length when `renormalize`;
    422 unless 1 <= dimensions <= the vectors' width."""
    if dimensions is None or not vectors:
        return vectors
    size = len(vectors[0])
    if not 0 < dimensions <= size:
        raise HTTPError(422, f"dimensions={dimensions} must be between 1 and {size}, the numbers per text of {model}")
    return [shorten(v, dimensions) if renormalize else list(v[:dimensions]) for v in vectors]


def shorten(vector: list[float], dimensions: int) -> list[float]:
    """OpenAI's `dimensions`: the first `dimensions` numbers, scaled back to unit length (as for
    Matryoshka-trained models; for others the shortened vector is still a unit vector, only less exact)."""
    head = np.asarray(vector[:dimensions], dtype=np.float64)
    norm = float(np.linalg.norm(head))
    return (head / norm if norm > 0 else head).astype(np.float32).tolist()
