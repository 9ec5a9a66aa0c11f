"""The batch planner: sorted by length, bounded by count and padded tokens, every index once."""

from __future__ import annotations

import pytest

from leanpipe.batching import plan_batches


def test_similar_lengths_share_a_batch():
    assert plan_batches([5, 90, 7, 88], batch_size=2) == [[0, 2], [3, 1]]


def test_token_budget_cuts_long_items_apart():
    # padded size of a batch = items x longest item; 3 x 100 would exceed the 200-token budget
    assert plan_batches([100, 100, 100, 3, 3], batch_size=32, max_tokens=200) == [[3, 4], [0, 1], [2]]


@pytest.mark.parametrize("n,batch_size", [(0, 4), (1, 1), (37, 8), (100, 32)])
def test_every_index_exactly_once(n, batch_size):
    lengths = [(i * 7919) % 61 + 1 for i in range(n)]
    batches = plan_batches(lengths, batch_size)
    assert sorted(i for b in batches for i in b) == list(range(n))
    assert all(len(b) <= batch_size for b in batches)


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        plan_batches([1, 2], 0)
