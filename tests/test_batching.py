"""The batch planner: sorted by length, bounded by count and padded tokens, every index once."""

from __future__ import annotations

import pytest

from leanpipe.batching import CALL_COST, FORWARD_MAX_TOKENS, plan_batches


def test_similar_lengths_share_a_batch():
    assert plan_batches([5, 90, 7, 88], batch_size=2) == [[0, 2], [3, 1]]


def test_token_budget_cuts_long_items_apart():
    # padded size of a batch = items x longest item; 3 x 100 would exceed the 200-token budget
    assert plan_batches([100, 100, 100, 3, 3], batch_size=32, max_tokens=200) == [[3, 4], [0, 1], [2]]


def test_default_budget_keeps_each_model_call_small():
    """batch_size=32 texts of 100 tokens run as calls of at most FORWARD_MAX_TOKENS padded tokens
    (faster: the activations stay in cache); a single text longer than the budget still runs alone."""
    batches = plan_batches([100] * 32, batch_size=32)
    assert sorted(i for b in batches for i in b) == list(range(32))
    assert all(len(b) * 100 <= FORWARD_MAX_TOKENS for b in batches)
    assert plan_batches([5, 2000, 6], batch_size=32) == [[0, 2], [1]]


@pytest.mark.parametrize("n,batch_size", [(0, 4), (1, 1), (37, 8), (100, 32)])
def test_every_index_exactly_once(n, batch_size):
    lengths = [(i * 7919) % 61 + 1 for i in range(n)]
    batches = plan_batches(lengths, batch_size)
    assert sorted(i for b in batches for i in b) == list(range(n))
    assert all(len(b) <= batch_size for b in batches)


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        plan_batches([1, 2], 0)


def _cost(batches, lengths, call_cost=CALL_COST):
    return sum(len(b) * max(lengths[i] for i in b) + call_cost for b in batches)


def test_few_items_of_mixed_lengths_are_cut_where_padding_costs_more_than_a_call():
    """Four short and four long texts: one batch would pad the short ones to the long ones' length
    (8 x 60 tokens); two calls compute 4 x 10 + 4 x 60."""
    assert plan_batches([10, 60, 10, 60, 10, 60, 10, 60], batch_size=32) == [[0, 2, 4, 6], [1, 3, 5, 7]]
    assert plan_batches([10, 11, 12, 13], batch_size=32) == [[0, 1, 2, 3]]  # a call costs more than 6 tokens of padding


@pytest.mark.parametrize("seed", range(5))
def test_the_plan_costs_no_more_than_cutting_full_batches(seed):
    """Against the plain plan (sorted, cut when a batch is full or over the token budget) on random
    lengths: never more padded tokens + calls, every constraint kept."""
    import random

    rng = random.Random(seed)
    lengths = [rng.choice([rng.randint(3, 30), rng.randint(30, 200)]) for _ in range(rng.randint(1, 300))]
    order, plain, current = sorted(range(len(lengths)), key=lengths.__getitem__), [], []
    for i in order:
        if current and (len(current) >= 32 or (len(current) + 1) * lengths[i] > FORWARD_MAX_TOKENS):
            plain.append(current)
            current = []
        current.append(i)
    plain += [current] if current else []
    planned = plan_batches(lengths, 32)
    assert sorted(i for b in planned for i in b) == list(range(len(lengths)))
    assert all(len(b) <= 32 and (len(b) == 1 or len(b) * max(lengths[i] for i in b) <= FORWARD_MAX_TOKENS) for b in planned)
    assert _cost(planned, lengths) <= _cost(plain, lengths)


def test_equal_lengths_batches_never_pad():
    lengths = [5, 7, 5, 7, 6, 5, 5]
    batches = plan_batches(lengths, batch_size=2, equal_lengths=True)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len({lengths[i] for i in b}) == 1 and len(b) <= 2 for b in batches)
    assert plan_batches([5, 7, 5, 7, 6], equal_lengths=True) == [[0, 2], [4], [1, 3]]


def test_items_past_alone_past_run_alone():
    """BigBird's block-sparse length: longer items get batches of their own, shorter ones batch as before."""
    assert plan_batches([60, 5, 70, 6], alone_past=56) == [[1, 3], [0], [2]]
    lengths = [57, 58, 59, 10, 12, 56, 56]
    plan = plan_batches(lengths, batch_size=8, alone_past=56)
    assert sorted(i for b in plan for i in b) == list(range(len(lengths)))
    assert all(len(b) == 1 for b in plan if max(lengths[i] for i in b) > 56)
    assert [3, 4, 5, 6] in plan or any(set(b) >= {5, 6} for b in plan)  # under the length they still share batches
