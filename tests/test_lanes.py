"""Lanes (leanpipe.engine.lanes): a call's batches run side by side on a session with one intra-op
thread, one core each, with the same outputs as one after another on the multi-threaded session."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from leanpipe import AutoModel, pipeline
from leanpipe.engine.lanes import Lanes, joined_rows, padded_tokens, row_pieces, worth_lanes

SENTENCES = [("the cat sat on the mat " * (1 + i % 9)).strip() for i in range(40)]


@pytest.mark.parametrize("costs,lanes,expected", [
    ([768, 700, 650, 90], 2, True),
    ([768, 90, 80, 70], 2, False),  # the long batch alone would keep one core busy after the other is done
    ([500, 500, 500], 2, False),  # fewer than two batches per lane
    ([100] * 8, 1, False),  # one thread: nothing to run side by side
    ([100] * 8, 4, True),
])
def test_worth_lanes(costs, lanes, expected):
    assert worth_lanes(costs, lanes) is expected


@pytest.mark.parametrize("rows,tokens,lanes,expected", [
    (8, 8 * 128, 2, [(0, 2), (2, 4), (4, 6), (6, 8)]),  # one piece per 512 tokens, but two per lane at least
    (10, 10 * 512, 2, [(i, i + 1) for i in range(10)]),
    (7, 7 * 300, 2, [(0, 1), (1, 3), (3, 5), (5, 7)]),  # uneven: whole rows, sizes differ by one at most
    (64, 64 * 100, 4, None),  # 12 pieces of 5 or 6 rows
    (32, 800, 2, []),  # less than a piece per lane: runs whole on every core
    (3, 3 * 512, 2, []),  # fewer than two rows per lane
    (64, 64 * 128, 1, []),  # one thread
])
def test_row_pieces_cut_a_large_batch_into_whole_rows(rows, tokens, lanes, expected):
    pieces = row_pieces(rows, tokens, lanes)
    if expected is not None:
        assert [(p.start, p.stop) for p in pieces] == expected
    if pieces:
        assert pieces[0].start == 0 and pieces[-1].stop == rows
        assert all(a.stop == b.start for a, b in zip(pieces, pieces[1:]))
        assert len(pieces) >= 2 * lanes and max(p.stop - p.start for p in pieces) - min(p.stop - p.start for p in pieces) <= 1


def test_joined_rows_puts_the_pieces_back_in_order():
    pieces = [slice(0, 2), slice(2, 3)]
    parts = [{"h": np.arange(4).reshape(2, 2), "p": np.array([0.0, 1.0])}, {"h": np.array([[4, 5]]), "p": np.array([2.0])}]
    joined = joined_rows(parts, pieces)
    assert joined["h"].tolist() == [[0, 1], [2, 3], [4, 5]] and joined["p"].tolist() == [0.0, 1.0, 2.0]
    assert joined_rows([{"n": np.float32(3)}, {"n": np.float32(4)}], pieces) is None  # no row axis
    assert joined_rows([{"h": np.zeros((1, 2))}, {"h": np.zeros((1, 2))}], pieces) is None  # not a row per input row


def test_padded_tokens_counts_rows_times_length():
    assert padded_tokens({"input_ids": np.zeros((32, 20), np.int64), "bbox": np.zeros((32, 20, 4), np.int64)}) == 640


def test_lanes_keep_the_order_and_run_longest_first():
    started: list[int] = []
    lock = threading.Lock()

    def run(feeds):
        with lock:
            started.append(int(feeds["x"][0, 0]))
        time.sleep(0.01)
        return {"y": feeds["x"] * 2}

    lanes = Lanes(run, 2)
    feeds = [{"x": np.full((1, n), n)} for n in (3, 9, 1, 7, 5)]
    out = lanes.run_all(feeds, [n for n in (3, 9, 1, 7, 5)])
    assert [int(o["y"][0, 0]) for o in out] == [6, 18, 2, 14, 10]
    assert started[:2] == [9, 7] and sorted(started) == [1, 3, 5, 7, 9]


def test_a_failing_batch_raises_its_own_error():
    def run(feeds):
        if feeds["x"][0, 0] == 2:
            raise ValueError("batch 2 failed")
        return {"y": feeds["x"]}

    lanes = Lanes(run, 2)
    with pytest.raises(ValueError, match="batch 2 failed"):
        lanes.run_all([{"x": np.full((1, 1), i)} for i in range(6)], [1] * 6)
    assert [int(o["y"][0, 0]) for o in lanes.run_all([{"x": np.full((1, 1), 7)}] * 4, [1] * 4)] == [7] * 4  # still usable


def _feeds(model, texts):
    from leanpipe import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model.name_or_path)
    return [model.check_inputs(**tok(texts[i:i + 4], padding=True, return_tensors="np")) for i in range(0, len(texts), 4)]


@pytest.mark.parametrize("quantize", [None, "int8"])
def test_run_many_on_lanes_equals_one_batch_at_a_time(checkpoints, quantize):
    model = AutoModel.from_pretrained(checkpoints["bert"], num_threads=2, quantize=quantize)
    feeds = _feeds(model, SENTENCES)
    alone = [model.run_feeds(f) for f in feeds]
    side_by_side = model.run_many(feeds)
    assert model.engine._lanes is not None, "10 batches on 2 threads should run on lanes"
    for a, b in zip(alone, side_by_side):
        assert a.keys() == b.keys()
        for name in a:
            diff = float(np.abs(a[name] - b[name]).max())
            assert diff <= 1e-6, f"{quantize or 'fp32'} {name}: lanes differ from the 2-thread session by {diff:.3g}"


def test_no_lanes_when_turned_off_or_one_thread(checkpoints, monkeypatch):
    monkeypatch.setenv("LEANPIPE_LANES", "0")
    model = AutoModel.from_pretrained(checkpoints["bert"], num_threads=2)
    model.run_many(_feeds(model, SENTENCES))
    assert model.engine._lanes is None
    monkeypatch.delenv("LEANPIPE_LANES")
    single = AutoModel.from_pretrained(checkpoints["bert"], num_threads=1)
    single.run_many(_feeds(single, SENTENCES))
    assert single.engine._lanes is None


def test_pipeline_on_lanes_gives_the_answers_of_single_calls(minilm):
    """all-MiniLM-L6-v2 over 40 sentences at batch_size=4 (10 batches, lanes) and one by one (no lanes)."""
    pipe = pipeline("feature-extraction", model=minilm, num_threads=2)
    together = pipe(SENTENCES, batch_size=4, return_tensors=True)
    assert pipe.model.engine._lanes is not None
    for text, vectors in zip(SENTENCES, together):
        alone = pipe(text, return_tensors=True)
        diff = float(np.abs(np.asarray(alone) - np.asarray(vectors)).max())
        assert diff <= 1e-5, f"{text!r}: {diff:.3g}"


def test_int8_lanes_only_from_the_same_graph(checkpoints):
    """int8 lanes trace the model again (its graph holds the weights); a config edited since gives another
    graph, so the calls run one batch at a time, on the session that was built, with its answers."""
    model = AutoModel.from_pretrained(checkpoints["bert"], num_threads=2, quantize="int8")
    feeds = _feeds(model, SENTENCES)
    alone = [model.run_feeds(f) for f in feeds]
    model.config.layer_norm_eps = 0.5  # traced into the graph's LayerNormalization nodes
    side_by_side = model.run_many(feeds)
    assert model.engine._lanes is False
    for a, b in zip(alone, side_by_side):
        assert all(np.array_equal(a[name], b[name]) for name in a)


LONG = [(" ".join(["the cat sat on the mat"] * 10) + f" {i}") for i in range(24)]  # 24 rows of ~65 tokens


@pytest.mark.parametrize("name", ["bert", "bert-qa", "distilbert-cls"])
def test_a_large_batch_runs_in_row_pieces_with_the_same_outputs(checkpoints, monkeypatch, name):
    """One padded batch of 24 x ~65 tokens given to the model directly: cut into pieces of rows on the
    lanes, joined back, the same outputs as the whole batch on the 2-thread session."""
    from leanpipe import AutoModelForQuestionAnswering, AutoModelForSequenceClassification, AutoTokenizer

    loader = {"bert": AutoModel, "bert-qa": AutoModelForQuestionAnswering, "distilbert-cls": AutoModelForSequenceClassification}[name]
    model = loader.from_pretrained(checkpoints[name], num_threads=2)
    inputs = dict(AutoTokenizer.from_pretrained(checkpoints[name])(LONG, padding=True, return_tensors="np"))
    assert inputs["input_ids"].size >= 1024, "the batch should be large enough to cut"
    monkeypatch.setenv("LEANPIPE_LANES", "0")
    whole = model(**inputs)
    assert model.engine._lanes is None
    monkeypatch.delenv("LEANPIPE_LANES")
    pieces = model(**inputs)
    assert model.engine._lanes, "the batch should have run on lanes"
    assert whole.keys() == pieces.keys()
    for key in whole.keys():
        a, b = np.asarray(whole[key]), np.asarray(pieces[key])
        assert a.shape == b.shape, f"{name} {key}: {b.shape} in pieces, {a.shape} whole"
        diff = float(np.abs(a - b).max())
        assert diff <= 1e-6, f"{name} {key}: pieces differ from the whole batch by {diff:.3g}"


def test_small_batches_and_recorded_calls_run_whole(checkpoints):
    model = AutoModel.from_pretrained(checkpoints["bert"], num_threads=2)
    from leanpipe import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(checkpoints["bert"])
    model(**tok(SENTENCES[:8], padding=True, return_tensors="np"))  # 8 short rows: under a piece per lane
    model(**tok(LONG, padding=True, return_tensors="np"), output_hidden_states=True)  # hidden_states: whole
    assert model.engine._lanes is None


def test_idle_workers_stop_spinning_soon(checkpoints):
    """Both sessions (the lanes' too) bound how long their intra-op workers spin once idle, so a second
    model's session in the same process does not share its cores with a spinning idle one."""
    from leanpipe.engine.onnx_engine import SPIN_MICROSECONDS

    model = AutoModel.from_pretrained(checkpoints["bert"], num_threads=2)
    model.run_many(_feeds(model, SENTENCES))
    for session in (model.engine.session, model.engine._lanes._run.session):
        value = session.get_session_options().get_session_config_entry("session.intra_op.spin_duration_us")
        assert value == str(SPIN_MICROSECONDS)
