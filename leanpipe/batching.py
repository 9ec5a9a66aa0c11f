"""Length-sorted batching: the one place where every task, the CLI, the server and batch jobs
decide which tokenized items share a padded model batch (padding itself: tokenization.pad_encodings).

`plan_batches([5, 90, 7, 88], batch_size=2)` -> [[0, 2], [3, 1]]: items of similar length share a
batch, so little compute goes to padding; callers put results back in input order.
"""

from __future__ import annotations

from typing import Sequence

DEFAULT_BATCH_SIZE = 32
DEFAULT_MAX_TOKENS = 16384  # estimated tokens the server's batcher merges into one pipeline call
# Padded tokens per model call. A batch of 32 long texts runs faster as several smaller calls: the
# activations of a smaller call stay in cache between ops (2 cores with 2 MB of L2 each, 2,000
# bench sentences at batch_size=32): all-MiniLM-L6-v2 4-5% and a DistilBERT-base classifier 7% less
# time than with 16,384, the same answers (rows are computed independently). 512 and 1,024 were
# within 2% of it; 384 lost MiniLM's gain.
FORWARD_MAX_TOKENS = 768


# What one more model call costs, in padded tokens: its fixed overhead and the lower GEMM speed of
# fewer rows. The planner trades padding against calls with it (see plan_batches).
CALL_COST = 20


def plan_batches(lengths: Sequence[int], batch_size: int = DEFAULT_BATCH_SIZE, max_tokens: int = FORWARD_MAX_TOKENS,
                 call_cost: int = CALL_COST, equal_lengths: bool = False, alone_past: int | None = None) -> list[list[int]]:
    """Indices grouped into batches of at most `batch_size` items and `max_tokens` padded tokens (an
    item longer than that alone), cut from the items sorted by length (stable, so equal lengths keep
    input order) where they cost least: padded tokens plus `call_cost` per batch, by dynamic
    programming over the cut points. Cutting only when a batch is full left a wide spread of lengths
    in one batch when there are few items: 32 zero-shot pairs of 20-66 tokens ran as 3 calls at 68%
    real tokens, now 5 at 97% (a bart-large-mnli-sized model: 4.15 -> 2.90 s); all-MiniLM-L6-v2 on
    64 corpus sentences 174 -> 157 ms, on 10 49 -> 35 ms, on 2,000 unchanged (3.88 s, 82 -> 90 calls,
    98.5% -> 99.5% real tokens; the plan itself 5 ms).

    `equal_lengths=True` batches only items of the same length, so no item is padded: for models whose
    outputs at real tokens see the padding (MobileBERT's trigram embeddings) and for rows whose pad
    positions are results (feature-extraction with the tokenizer's padding=).
    `plan_batches([5, 7, 5, 7, 6], equal_lengths=True)` -> [[0, 2], [4], [1, 3]]

    `alone_past=N`: an item longer than N tokens is a batch of its own, for models whose outputs past
    that length depend on the batch's padded length (BigBird's block-sparse attention).
    `plan_batches([60, 5, 70, 6], alone_past=56)` -> [[1, 3], [0], [2]]"""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    sizes = [lengths[i] for i in order]
    n = len(sizes)
    best = [0] + [None] * n  # best[j]: least cost of the first j sorted items
    start = [0] * (n + 1)  # start[j]: where the last batch of that plan begins
    for j in range(1, n + 1):
        longest = sizes[j - 1]  # sorted ascending: the last item of a batch is its longest
        for i in range(j - 1, max(j - 1 - batch_size, -1), -1):  # the batch is sorted items i .. j-1
            count = j - i
            if count > 1 and (count * longest > max_tokens or (equal_lengths and sizes[i] != longest)
                              or (alone_past is not None and longest > alone_past)):
                break
            cost = best[i] + count * longest + call_cost
            if best[j] is None or cost < best[j]:
                best[j], start[j] = cost, i
    batches, j = [], n
    while j > 0:
        batches.append(order[start[j]:j])
        j = start[j]
    return batches[::-1]
