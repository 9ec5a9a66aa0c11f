"""LayoutLM (model_type "layoutlm": microsoft/layoutlm-base-uncased, -large-uncased and their fine-tunes,
e.g. for FUNSD / CORD token classification) against the ops of leanpipe.engine.

modeling_layoutlm is BERT with the page layout added to the embeddings: every token's bounding box
(x0, y0, x1, y1), on a 0-1000 grid, indexes `x_position_embeddings` (x0 and x1), `y_position_embeddings`
(y0 and y1), `h_position_embeddings` (y1 - y0) and `w_position_embeddings` (x1 - x0), and the six rows
join the word, position and token-type embeddings before their LayerNorm. The model takes `bbox`
(B, T, 4) beside BERT's inputs, all zeros when not given (as transformers' models and pipelines give
it); `derived_feeds` splits it into the six (B, T) index arrays the graph reads, refusing a box out of
the tables or upside down. BERT's layers, pooler and heads under the prefix `layoutlm.`; every task
model has the pooler (its checkpoint holds it), read only by the base model and the sequence classifier.
"""

from __future__ import annotations

import numpy as np

from ..config import LayoutLMConfig
from ..errors import InputError
from ..weights import Weights
from . import bert
from .bert import layer_norm
from .variants import heads_of, pooler_unread

PREFIX = "layoutlm"
# (B, T) index arrays from bbox, and the table each reads: left, upper, right, lower, height, width
LAYOUT = (("bbox_x0", "x"), ("bbox_y0", "y"), ("bbox_x1", "x"), ("bbox_y1", "y"), ("bbox_h", "h"), ("bbox_w", "w"))
INPUT_NAMES = (*bert.INPUT_NAMES, "bbox", *(name for name, _ in LAYOUT))  # bbox is the caller's; the graph reads LAYOUT


def derived_feeds(head: str, feeds: dict[str, np.ndarray], c: LayoutLMConfig, *, token_types_given: bool) -> dict[str, np.ndarray]:
    """bbox (B, T, 4) -> its coordinates, heights and widths as (B, T) arrays, each inside the tables
    (transformers fails with an IndexError on such a box, or on a negative height or width)."""
    box = feeds["bbox"]
    x0, y0, x1, y1 = (box[..., i] for i in range(4))
    parts = dict(zip((name for name, _ in LAYOUT), (x0, y0, x1, y1, y1 - y0, x1 - x0)))
    size = c.max_2d_position_embeddings
    for name, values in parts.items():
        if values.size and (values.min() < 0 or values.max() >= size):
            row, col = np.argwhere((values < 0) | (values >= size))[0]
            raise InputError(f"bbox[{row}, {col}] = {box[row, col].tolist()} gives {name.removeprefix('bbox_')} = {values[row, col]}, "
                             f"outside [0, {size}): boxes are (x0, y0, x1, y1) with x0 <= x1 and y0 <= y1, each normalised "
                             f"to 0-1000 (1000 * x / page width, 1000 * y / page height)")
    return parts


def embeddings(ops, w: Weights, c: LayoutLMConfig):
    """Word + position + token-type embeddings (BERT's) + the six layout rows, then LayerNorm -> (B, T, H)."""
    h, size = c.hidden_size, c.max_2d_position_embeddings
    x = bert.embedding_sum(ops, w, c)
    tables = {axis: w.get(f"embeddings.{axis}_position_embeddings.weight", (size, h)) for axis in ("x", "y", "h", "w")}
    for name, axis in LAYOUT:
        x = ops.add(x, ops.embed(tables[axis], ops.input(name)))
    return layer_norm(ops, w, x, "embeddings.LayerNorm", h, c.layer_norm_eps)


base, sequence_classification = heads_of(bert, embed=embeddings, names=("base", "sequence_classification"))
token_classification, question_answering, masked_lm = map(pooler_unread, heads_of(
    bert, embed=embeddings, names=("token_classification", "question_answering", "masked_lm")))
