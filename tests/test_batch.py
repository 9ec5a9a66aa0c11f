"""`leanpipe batch`: resumable batch jobs over JSON Lines / CSV / Parquet files, and the Ray job.

The backbone: a job killed with SIGKILL at seeded random points and resumed until done writes the
same output, row for row, as a run that was never interrupted; no file a reader can see is ever
half-written; failing rows get an error column instead of stopping the job.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from leanpipe import pipeline
from leanpipe.batch import BatchJob, JobError, run_batch
from leanpipe.batch import local as batch_local
from leanpipe.batch.outcomes import answer_inputs
from leanpipe.cli import main

ROOT = Path(__file__).resolve().parents[1]
ATOL = 1e-6
N_ROWS = 3000
LONG = "word " * 600  # more tokens than the model's 512 positions: fails inside the model batch, not in encode
# a job run here: slow enough (small parts, tiny batches, one thread) that the kills land half-way
JOB_ARGS = ["--part-rows", "30", "--batch-size", "2", "--num-threads", "1"]


def text(i: int):
    """Row i's text: mostly short sentences; some null, some not a string, some too long."""
    if i % 701 == 5:
        return None
    if i % 907 == 8:
        return 12345
    if i % 1499 == 11:
        return LONG
    return f"row {i} says " + " ".join(["good", "bad", "fine", "odd"][(i * k) % 4] for k in range(i % 9))


def bad_kind(value) -> str | None:
    return "null" if value is None else "not text" if not isinstance(value, str) else "long" if value == LONG else None


@pytest.fixture(scope="module")
def model(checkpoints) -> str:
    return str(checkpoints["bert-cls"])


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("batch")
    with open(folder / "rows.jsonl", "w", encoding="utf-8") as f:
        for i in range(N_ROWS):
            f.write(json.dumps({"id": i, "text": text(i), "meta": {"n": i % 3}}) + "\n")
    return folder


@pytest.fixture(scope="module")
def reference(model, data) -> list[dict]:
    """An uninterrupted run, in this process."""
    out = data / "reference.jsonl"
    assert batch_cli(model, data / "rows.jsonl", out, *JOB_ARGS) == 0
    assert not (data / "reference.jsonl.parts").exists(), "the work folder is removed when the job is done"
    return read_jsonl(out)


def batch_cli(model, src, dst, *extra) -> int:
    return main(["batch", "text-classification", "-m", str(model), "-i", str(src), "-o", str(dst), *map(str, extra)])


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def same(ours, theirs, where="row"):
    """Equal structure; strings, ints and None exact; floats within ATOL."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), f"{where}: {ours!r:.200} vs {theirs!r:.200}"
        for k in theirs:
            same(ours[k], theirs[k], f"{where}.{k}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: {ours!r:.200} vs {theirs!r:.200}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, float):
        assert abs(ours - theirs) <= ATOL, f"{where}: {ours} vs {theirs} (diff {abs(ours - theirs):.3g})"
    else:
        assert ours == theirs, f"{where}: {ours!r:.200} vs {theirs!r:.200}"


# --- the answers and the error column ------------------------------------------------------------------------------


def test_rows_keep_their_columns_and_get_the_pipeline_answer(model, reference):
    pipe = pipeline("text-classification", model=model)
    assert [r["id"] for r in reference] == list(range(N_ROWS))
    good = [r for r in reference if r["error"] is None]
    assert len(good) == sum(bad_kind(text(i)) is None for i in range(N_ROWS))
    for r in good[::97]:
        assert r["meta"] == {"n": r["id"] % 3} and r["text"] == text(r["id"])
        same(r["result"], pipe(r["text"]), f"row {r['id']}")


def test_bad_rows_get_the_error_column(reference):
    failed = {r["id"]: r for r in reference if r["error"] is not None}
    kinds = {i: bad_kind(text(i)) for i in range(N_ROWS) if bad_kind(text(i))}
    assert set(failed) == set(kinds) and set(kinds.values()) == {"null", "not text", "long"}
    for i, r in failed.items():
        assert r["result"] is None
        expected = {"null": "column 'text' is null", "not text": "expected a string, got int",
                    "long": "truncation=True"}[kinds[i]]
        assert expected in r["error"], f"row {i}: {r['error']!r}"


def test_one_bad_input_costs_a_few_calls_not_one_per_row():
    class Pipe:  # answers len(x); fails a whole call that contains a bad input
        calls = 0

        def answers(self, inputs):
            Pipe.calls += 1
            for chunk in (inputs[i:i + 100] for i in range(0, len(inputs), 100)):
                if "bad" in chunk:
                    raise ValueError("bad input\n in the batch")
                yield from (len(x) for x in chunk)

    inputs = ["ok"] * 1000
    inputs[737] = "bad"
    outcomes = answer_inputs(Pipe(), inputs, {})
    assert outcomes[737] == (None, "ValueError: bad input in the batch")
    assert [o for i, o in enumerate(outcomes) if i != 737] == [(2, None)] * 999
    assert Pipe.calls <= 2 * 10 + 1, Pipe.calls


# --- crashes: SIGKILL at random points, then resume ----------------------------------------------------------------


def progress(work: Path) -> int:
    try:
        return json.loads((work / "manifest.json").read_text())["rows_done"]
    except (OSError, ValueError, KeyError):
        return 0


class Watcher(threading.Thread):
    """Polls the output, the parts and the manifest while jobs run; records anything half-written."""

    def __init__(self, output: Path, part_rows: int) -> None:
        super().__init__(daemon=True)
        self.output, self.work, self.part_rows = output, output.with_name(output.name + ".parts"), part_rows
        self.problems: list[str] = []
        self.looks = self.parts_seen = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.look()
            except Exception as exc:  # e.g. a torn manifest: a finding for the test, not a dead thread
                self.problems.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.003)

    def look(self) -> None:
        with contextlib.suppress(FileNotFoundError):  # files vanish while the job cleans up
            if self.output.exists() and len(self.output.read_bytes().splitlines()) != N_ROWS:
                self.problems.append(f"{self.output} is half-written")
            for part in sorted(self.work.glob("part-*.jsonl")):
                lines = part.read_bytes().splitlines()
                self.parts_seen += 1
                if len(lines) != self.part_rows or not all(line.endswith(b"}") for line in lines):
                    self.problems.append(f"{part.name} has {len(lines)} lines")
            manifest = self.work / "manifest.json"
            if manifest.exists():
                json.loads(manifest.read_text())  # never a torn write
            self.looks += 1


def test_killed_job_resumes_to_the_same_output(model, data, reference):
    out = data / "killed.jsonl"
    work = data / "killed.jsonl.parts"
    cmd = [sys.executable, "-m", "leanpipe.cli", "batch", "text-classification", "-m", model,
           "-i", str(data / "rows.jsonl"), "-o", str(out), *JOB_ARGS]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    rnd = random.Random(1234)
    watcher = Watcher(out, part_rows=30)  # N_ROWS is a multiple of 30: every part is full
    watcher.start()
    kills: list[int] = []
    try:
        for attempt in range(6):
            before = progress(work)
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
            if len(kills) < 3:
                target = before + rnd.randint(1, 500)  # a seeded random point: after this many rows, give or take
                deadline = time.monotonic() + 60
                while proc.poll() is None and progress(work) < target and time.monotonic() < deadline:
                    time.sleep(0.002)
                time.sleep(rnd.uniform(0, 0.02))  # anywhere inside the next part: tokenizing, writing, renaming
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(timeout=30)
                    kills.append(progress(work))
                    assert not out.exists(), "the output appeared before the job finished"
                    continue
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            break
    finally:
        watcher.stop.set()
        watcher.join(timeout=5)
    assert len(kills) == 3 and kills == sorted(kills) and 0 < kills[0] and kills[-1] < N_ROWS, kills
    assert "resumed at row" in err and "rows failed" in err
    assert watcher.looks > 10 and watcher.parts_seen > 10 and not watcher.problems, watcher.problems[:5]
    assert not work.exists()
    rows = read_jsonl(out)
    assert len(rows) == N_ROWS
    for ours, theirs in zip(rows, reference):
        same(ours, theirs, f"row {theirs['id']}")


class Crash(BaseException):
    """Stands in for a kill: not an Exception, so nothing catches it."""


def crash_after(monkeypatch, parts: int) -> None:
    real = batch_local.write_part
    count = iter(range(10**6))

    def write_part(*args, **kwargs):
        if next(count) == parts:
            raise Crash
        real(*args, **kwargs)

    monkeypatch.setattr(batch_local, "write_part", write_part)


def test_csv_job_resumes_with_one_header(model, tmp_path, monkeypatch):
    src = tmp_path / "in.csv"
    lines = ["id,text,lang"] + [f"{i},\"row {i}, with a comma\",en" for i in range(50)]
    lines[18] = "17"  # a short row: no text cell
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    job = BatchJob("text-classification", model, src, tmp_path / "out.csv", part_rows=7)
    crash_after(monkeypatch, parts=3)
    with pytest.raises(Crash):
        run_batch(job)
    assert json.loads((tmp_path / "out.csv.parts" / "manifest.json").read_text())["rows_done"] == 21
    monkeypatch.undo()
    summary = run_batch(job)
    assert (summary.rows, summary.errors, summary.resumed_at) == (50, 1, 21)
    uninterrupted = BatchJob("text-classification", model, src, tmp_path / "ref.csv", part_rows=7)
    run_batch(uninterrupted)
    assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["id", "text", "lang", "result", "error"] and len(rows) == 50
    assert rows[17]["error"] == "RowError: column 'text' is null" and rows[17]["result"] == ""
    assert all(r["error"] == "" and json.loads(r["result"])[0]["label"] for i, r in enumerate(rows) if i != 17)


def test_parquet_job(model, tmp_path, monkeypatch):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    texts = [f"parquet row {i}" if i % 10 else None for i in range(40)]
    pq.write_table(pa.table({"id": list(range(40)), "text": texts}), tmp_path / "in.parquet")
    job = BatchJob("text-classification", model, tmp_path / "in.parquet", tmp_path / "out.parquet", part_rows=16,
                   params={"top_k": 2})
    crash_after(monkeypatch, parts=1)
    with pytest.raises(Crash):
        run_batch(job)
    monkeypatch.undo()
    assert run_batch(job).resumed_at == 16
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.schema.names == ["id", "text", "result", "error"] and table.column("id").to_pylist() == list(range(40))
    pipe = pipeline("text-classification", model=model)
    for t, result, error in zip(texts, table.column("result").to_pylist(), table.column("error").to_pylist()):
        if t is None:
            assert result is None and error == "RowError: column 'text' is null"
        else:
            assert error is None
            same(json.loads(result), pipe(t, top_k=2))


# --- what may and may not be resumed ---------------------------------------------------------------------------------


def test_a_different_job_is_not_resumed(model, data, tmp_path, monkeypatch, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": f"t {i}"}) + "\n" for i in range(20)))
    out = tmp_path / "out.jsonl"
    crash_after(monkeypatch, parts=1)
    with pytest.raises(Crash):
        batch_cli(model, src, out, "--part-rows", "5")
    monkeypatch.undo()
    capsys.readouterr()
    assert batch_cli(model, src, out, "--part-rows", "5", "--param", "top_k=2") == 1
    err = capsys.readouterr().err
    assert "belongs to another job" in err and "params: {} there, {'top_k': 2} now" in err and "--no-resume" in err
    assert not out.exists()
    assert batch_cli(model, src, out, "--part-rows", "5", "--param", "top_k=2", "--no-resume") == 0
    assert [len(r["result"]) for r in read_jsonl(out)] == [2] * 20
    capsys.readouterr()
    assert batch_cli(model, src, out, "--part-rows", "5") == 1  # finished: not silently recomputed
    assert "already exists" in capsys.readouterr().err


def test_one_job_per_work_folder(model, tmp_path):
    fcntl = pytest.importorskip("fcntl")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "a"}) + "\n")
    work = tmp_path / "out.jsonl.parts"
    work.mkdir()
    with open(work / "lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(JobError, match="another `leanpipe batch` is running"):
            run_batch(BatchJob("text-classification", model, src, tmp_path / "out.jsonl"))


def test_usage_errors(model, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"body": "a"}) + "\n")
    assert batch_cli(model, src, tmp_path / "out.jsonl") == 1
    assert "the first row has no column 'text'" in capsys.readouterr().err
    assert batch_cli(model, src, tmp_path / "out.parquet") == 1
    assert "Parquet output needs a Parquet input" in capsys.readouterr().err
    assert batch_cli(model, src, tmp_path / "out.jsonl", "--actors", "2") == 2
    assert "go with --ray" in capsys.readouterr().err


# --- Ray -----------------------------------------------------------------------------------------------------------


def test_actor_planning_never_oversubscribes():
    from leanpipe.batch.ray_job import plan_actors

    assert plan_actors(9, 2, None) == 4 and plan_actors(2, 1, None) == 1 and plan_actors(8, 3, 2) == 2
    with pytest.raises(JobError, match="use at most --actors 2"):
        plan_actors(5, 2, 3)
    with pytest.raises(JobError, match="does not fit"):
        plan_actors(2, 2, None)  # one CPU stays free for Ray Data's reading and writing


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    """A two-CPU Ray instance on the loopback address, without the dashboard, for this module."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    import tempfile

    saved = os.environ.get("RAY_USAGE_STATS_ENABLED")
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    temp = tempfile.mkdtemp(prefix="lpray")  # short: Ray's socket paths must stay under 107 bytes
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", _temp_dir=temp,
             log_to_driver=False, configure_logging=False)
    try:
        yield ray
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
        if saved is None:
            os.environ.pop("RAY_USAGE_STATS_ENABLED", None)
        else:
            os.environ["RAY_USAGE_STATS_ENABLED"] = saved


def run_bounded(fn, seconds: float):
    """fn() in a thread; a Ray job that hangs fails the test instead of the whole run."""
    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(value=fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the Ray job did not finish in {seconds} s"
    return box["value"]


def test_ray_job_matches_the_local_job(local_ray, model, data, reference, capsys):
    src = data / "ray-in.jsonl"
    rows = [r for r in read_jsonl(data / "rows.jsonl")[:1000] if bad_kind(r["text"]) in (None, "null")]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))  # Arrow's JSON reader needs one type per column
    out = data / "ray-out"
    code = run_bounded(lambda: batch_cli(model, src, out, "--ray", "--part-rows", "200"), 120)
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"{len(rows):,} rows" in err and "1 actor x 1 thread" in err

    written = sorted(local_ray.data.read_json(str(out)).take_all(), key=lambda r: r["id"])  # as a user reads it back
    expected = {r["id"]: r for r in reference}
    assert [r["id"] for r in written] == [r["id"] for r in rows]
    for row in written:
        want = expected[row["id"]]
        if want["error"] is None:
            same(json.loads(row["result"]), want["result"], f"row {row['id']}")
            assert row["error"] is None
        else:
            assert row["error"] == want["error"]

    assert batch_cli(model, src, out, "--ray") == 1  # not silently appended to
    assert "already exists; pass --no-resume" in capsys.readouterr().err
    assert batch_cli(model, src, data / "ray-out-2", "--ray", "--actors", "3") == 1
    assert "use at most --actors 1" in capsys.readouterr().err
