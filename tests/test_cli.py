"""The `leanpipe` command: run (texts, stdin, files), models, tasks, help and errors.

Answers are compared with the same pipeline called in Python: each output line must be what
`pipeline(task, model)(input, **params)` returns.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from leanpipe import pipeline
from leanpipe.cli import main
from leanpipe.cli.common import CliError, parse_param
from leanpipe.cli.infer import infer_task
from leanpipe.cli.progress import Bar, NoBar, line, progress
from leanpipe.tasks import REGISTRY, available_tasks

ROOT = Path(__file__).resolve().parents[1]
ATOL = 1e-5
TEXTS = ["I love it", "I hate this so much!", "The movie was okay, not great, not terrible."]


def same(ours, theirs, where="answer"):
    """Recursive equality: strings and ints exact, floats within ATOL, same structure."""
    if isinstance(theirs, np.ndarray):
        theirs = theirs.tolist()
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), f"{where}: {ours!r} vs {theirs!r}"
        for k in theirs:
            same(ours[k], theirs[k], f"{where}.{k}")
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: {ours!r:.200} vs {theirs!r:.200}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, float):
        assert abs(ours - theirs) <= ATOL, f"{where}: {ours} vs {theirs} (diff {abs(ours - theirs):.3g})"
    else:
        assert ours == theirs, f"{where}: {ours!r} vs {theirs!r}"


def cli(*argv, stdin: str = "", capsys) -> tuple[int, str, str]:
    """Run `leanpipe argv...` in this process with `stdin`; (exit code, stdout, stderr)."""
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse: --help, usage errors
        code = exc.code
    finally:
        sys.stdin = old
    out, err = capsys.readouterr()
    return code, out, err


def subprocess_cli(*argv, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "leanpipe.cli", *map(str, argv)], input=stdin, capture_output=True,
                          text=True, env=env, timeout=120, cwd=ROOT)


def json_lines(text: str) -> list:
    return [json.loads(x) for x in text.splitlines() if x.strip()]


@pytest.fixture(scope="module")
def cls_pipe(checkpoints):
    return pipeline("text-classification", model=checkpoints["bert-cls"])


# --- run: texts and stdin ---------------------------------------------------------------------------


def test_run_texts_as_arguments_match_the_pipeline(checkpoints, cls_pipe, capsys):
    code, out, err = cli("run", "text-classification", "--model", checkpoints["bert-cls"], *TEXTS, capsys=capsys)
    assert code == 0, err
    got = json_lines(out)
    same(got, [cls_pipe(t) for t in TEXTS])


SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"  # text-classification's default


def default_classifier_cache(checkpoints, root: Path, monkeypatch, ref: str = "714eb0f") -> None:
    """text-classification's default checkpoint in a hub cache laid out as huggingface_hub leaves it
    (refs/REF -> the commit's snapshot), here a tiny DistilBERT classifier, read offline."""
    import huggingface_hub.constants as hc

    repo = root / ("models--" + SST2.replace("/", "--"))
    commit = hashlib.sha1(b"sst-2").hexdigest()
    shutil.copytree(checkpoints["distilbert-cls"], repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / ref).write_text(commit)
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(root))


def test_run_without_model_takes_the_tasks_default(checkpoints, tmp_path, monkeypatch, capsys):
    """As pipeline("text-classification"): transformers' default checkpoint at its pinned revision, here
    from a cache laid out as huggingface_hub leaves it (refs/714eb0f -> the commit), offline; without
    it in the cache, the error names the checkpoint."""
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "empty"))
    code, _, err = cli("run", "text-classification", TEXTS[0], capsys=capsys)
    assert code != 0 and SST2 in err
    default_classifier_cache(checkpoints, tmp_path / "hub", monkeypatch)
    code, out, err = cli("run", "text-classification", *TEXTS, capsys=capsys)
    assert code == 0, err
    assert f"using text-classification's default, {SST2} at revision 714eb0f" in err
    expected = pipeline("text-classification", model=checkpoints["distilbert-cls"])
    same(json_lines(out), [expected(t) for t in TEXTS])


def test_a_revision_without_model_applies_to_the_tasks_default(checkpoints, tmp_path, monkeypatch, capsys, caplog):
    """pipeline(task, revision=R) with no model: transformers loads its default checkpoint at R, not at
    the revision it pins (and warns that no model was supplied); the CLI's --revision alike."""
    default_classifier_cache(checkpoints, tmp_path, monkeypatch, ref="v2")
    with caplog.at_level("WARNING", logger="leanpipe.pipeline"):
        pipe = pipeline("text-classification", revision="v2")
    assert f"No model was supplied, defaulted to {SST2} and revision v2" in caplog.text
    expected = pipeline("text-classification", model=checkpoints["distilbert-cls"])
    same(pipe(TEXTS), expected(TEXTS))
    with pytest.raises(Exception, match="714eb0f"):  # the pinned revision is not in this cache
        pipeline("text-classification")
    code, out, err = cli("run", "text-classification", "--revision", "v2", TEXTS[0], capsys=capsys)
    assert code == 0, err
    same(json_lines(out), [expected(TEXTS[0])])


def test_batch_without_model_takes_the_tasks_default(checkpoints, tmp_path, monkeypatch, capsys):
    default_classifier_cache(checkpoints, tmp_path / "hub", monkeypatch)
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS))
    code, _, err = cli("batch", "text-classification", "-i", rows, "-o", tmp_path / "out.jsonl", capsys=capsys)
    assert code == 0, err
    expected = pipeline("text-classification", model=checkpoints["distilbert-cls"])
    got = json_lines((tmp_path / "out.jsonl").read_text())
    same([r["result"] for r in got], [expected(t) for t in TEXTS])
    assert [r["error"] for r in got] == [None] * len(TEXTS)


def test_serve_without_model_serves_the_tasks_default(checkpoints, tmp_path, monkeypatch, capsys):
    """`leanpipe serve --task T` loads T's default checkpoint (the app is built, the socket bound, and
    uvicorn's loop stubbed out); with neither --model nor --task, a usage error that says what to give."""
    import uvicorn

    default_classifier_cache(checkpoints, tmp_path / "hub", monkeypatch)
    built = {}
    import leanpipe.server as server

    real = server.create_app
    monkeypatch.setattr(server, "create_app", lambda model, task, **kw: built.setdefault("app", real(model, task, **kw)))
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: built.update(ran=True))
    code, _, err = cli("serve", "--task", "sentiment-analysis", "--port", "0", capsys=capsys)
    assert code == 0 and built.get("ran"), err
    assert f"serving {SST2} (sentiment-analysis)" in err
    service = built["app"].state.service
    expected = pipeline("text-classification", model=checkpoints["distilbert-cls"])
    assert service.info()["model_id"] == SST2
    same(service.pipe(TEXTS[0]), expected(TEXTS[0]))
    code, _, err = cli("serve", capsys=capsys)
    assert code == 2 and "--task TASK to serve that task's default model" in err


def test_run_options_after_texts_and_params(checkpoints, cls_pipe, capsys):
    code, out, err = cli("run", "sentiment-analysis", TEXTS[0], "-m", checkpoints["bert-cls"], "--param", "top_k=2",
                         "-p", "function_to_apply=sigmoid", capsys=capsys)
    assert code == 0, err
    same(json_lines(out), [cls_pipe(TEXTS[0], top_k=2, function_to_apply="sigmoid")])


def test_run_stdin_lines_json_list_in_a_subprocess(checkpoints, cls_pipe):
    done = subprocess_cli("run", "text-classification", "-m", checkpoints["bert-cls"], "--json-list", "-p", "top_k=null",
                          stdin="\n".join(TEXTS) + "\n")
    assert done.returncode == 0, done.stderr
    same(json.loads(done.stdout), [cls_pipe(t, top_k=None) for t in TEXTS])


def test_run_json_inputs_for_pairs_and_question_answering(checkpoints, cls_pipe, capsys):
    pair = {"text": "I love it", "text_pair": "Me too"}
    code, out, err = cli("run", "text-classification", "-m", checkpoints["bert-cls"], "--json", capsys=capsys,
                         stdin=json.dumps(pair) + "\n")
    assert code == 0, err
    same(json_lines(out), [cls_pipe(pair)])
    if "question-answering" not in available_tasks():
        pytest.skip("question-answering is not implemented yet")
    qa = pipeline("question-answering", model=checkpoints["bert-qa"])
    items = [{"question": "Who wrote it?", "context": "Ann wrote the book in 1990."},
             {"question": "When?", "context": "It rained on Monday."}]
    code, out, err = cli("run", "question-answering", "-m", checkpoints["bert-qa"], "--json", capsys=capsys,
                         stdin="".join(json.dumps(x) + "\n" for x in items))
    assert code == 0, err
    same(json_lines(out), [qa(question=x["question"], context=x["context"]) for x in items])


def test_run_feature_extraction_on_minilm(minilm, capsys):
    code, out, err = cli("run", "feature-extraction", "-m", minilm, "Hello world", "A longer sentence here.", capsys=capsys)
    assert code == 0, err
    got = json_lines(out)
    pipe = pipeline("feature-extraction", model=minilm)
    same(got, [pipe("Hello world"), pipe("A longer sentence here.")])
    assert np.asarray(got[0]).shape == (1, 4, 384)


# --- run: files ---------------------------------------------------------------------------------------


def test_run_csv_keeps_columns_and_adds_the_result(checkpoints, cls_pipe, tmp_path, capsys):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = [{"id": "1", "review": 'bad, really "bad"'}, {"id": "2", "review": "ünïcode ok"}, {"id": "3", "review": ""}]
    with open(src, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["id", "review"])
        w.writeheader()
        w.writerows(rows)
    code, _, err = cli("run", "text-classification", "-m", checkpoints["bert-cls"], "-i", src, "-o", dst, "-c", "review",
                       "--result-column", "sentiment", capsys=capsys)
    assert code == 0, err
    with open(dst, newline="", encoding="utf-8") as f:
        out = list(csv.DictReader(f))
    assert [(r["id"], r["review"]) for r in out] == [(r["id"], r["review"]) for r in rows]
    same([json.loads(r["sentiment"]) for r in out], [cls_pipe(r["review"]) for r in rows])


def test_run_jsonl_to_stdout_with_two_columns_as_a_pair(checkpoints, cls_pipe, tmp_path, capsys):
    src = tmp_path / "pairs.jsonl"
    rows = [{"text": "I love it", "text_pair": "so do I", "n": 1}, {"text": "No", "text_pair": "yes", "n": 2}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows) + "\n")  # a blank line is skipped
    code, out, err = cli("run", "text-classification", "-m", checkpoints["bert-cls"], "-i", src, "-c", "text",
                         "-c", "text_pair", capsys=capsys)
    assert code == 0, err
    got = json_lines(out)
    assert [{k: r[k] for k in ("text", "text_pair", "n")} for r in got] == rows
    same([r["result"] for r in got], [cls_pipe({"text": r["text"], "text_pair": r["text_pair"]}) for r in rows])


def test_run_streams_a_file_longer_than_one_pipeline_chunk(checkpoints, cls_pipe, tmp_path, capsys):
    from leanpipe.pipeline import CHUNK

    n = CHUNK + 300
    src, dst = tmp_path / "big.jsonl", tmp_path / "big-out.jsonl"
    src.write_text("".join(json.dumps({"i": i, "text": TEXTS[i % 3]}) + "\n" for i in range(n)))
    code, _, err = cli("run", "text-classification", "-m", checkpoints["bert-cls"], "-i", src, "-o", dst, capsys=capsys)
    assert code == 0, err
    out = json_lines(dst.read_text())
    assert [r["i"] for r in out] == list(range(n))
    expected = [cls_pipe(t) for t in TEXTS]
    for r in out[:: 97]:
        same(r["result"], expected[r["i"] % 3], f"row {r['i']}")


def test_run_parquet_round_trip(checkpoints, cls_pipe, tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    src, dst = tmp_path / "in.parquet", tmp_path / "out.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3], "text": TEXTS, "weight": [0.5, None, 2.0]}), src)
    code, _, err = cli("run", "text-classification", "-m", checkpoints["bert-cls"], "-i", src, "-o", dst, capsys=capsys)
    assert code == 0, err
    table = pq.read_table(dst)
    assert table.schema.names == ["id", "text", "weight", "result"]
    assert table.column("weight").to_pylist() == [0.5, None, 2.0]
    same([json.loads(x) for x in table.column("result").to_pylist()], [cls_pipe(t) for t in TEXTS])


def test_parquet_without_pyarrow_says_how_to_install(checkpoints, tmp_path, monkeypatch, capsys):
    src = tmp_path / "in.parquet"
    src.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow -> ImportError
    code, _, err = cli("run", "text-classification", "-m", checkpoints["bert-cls"], "-i", src, capsys=capsys)
    assert code == 1 and "pip install 'leanpipe[files]'" in err


# --- errors: one line, non-zero, no traceback -------------------------------------------------------------


@pytest.mark.parametrize("argv, code, message", [
    (["run", "no-such-task", "-m", "{cls}", "x"], 2, "unknown task 'no-such-task'"),
    (["run", "text-classification", "-m", "{missing}", "x"], 1, "neither an existing folder"),
    (["run", "text-classification", "-m", "{cls}", "-p", "top_k"], 2, "write it as key=value"),
    (["run", "text-classification", "-m", "{cls}", "-p", "colour=red", "x"], 2, "text-classification takes"),
    (["run", "text-classification", "-m", "{cls}", "-i", "{missing}.jsonl"], 1, "no such file"),
    (["run", "text-classification", "-m", "{cls}", "-i", "{tmp}/data.txt"], 1, "unknown file type '.txt'"),
    (["run", "text-classification", "-m", "{cls}", "-i", "{tmp}/rows.jsonl", "-c", "body"], 1, "has no column 'body'"),
    (["run", "text-classification", "-m", "{cls}", "-i", "{tmp}/bad.jsonl"], 1, "line 2 is not JSON"),
    (["run", "text-classification", "-m", "{cls}", "-i", "{tmp}/rows.jsonl", "-o", "{tmp}/rows.jsonl"], 2, "must differ"),
    (["run", "text-classification", "-m", "{cls}", "--json", "{{oops"], 1, "is not JSON"),
    (["run", "text-classification", "-m", "{cls}", "--output", "x.jsonl", "text"], 2, "go with --input"),
    (["serve", "-m", "{missing}"], 1, "neither an existing folder"),
    (["serve", "-m", "{cls}", "--task", "nope"], 2, "unknown task 'nope'"),
])
def test_bad_input_exits_non_zero_with_one_line(argv, code, message, checkpoints, tmp_path, capsys):
    (tmp_path / "rows.jsonl").write_text('{"text": "a"}\n')
    (tmp_path / "bad.jsonl").write_text('{"text": "a"}\n{text\n')
    (tmp_path / "data.txt").write_text("a\n")
    names = {"cls": checkpoints["bert-cls"], "missing": tmp_path / "missing", "tmp": tmp_path}
    got, out, err = cli(*[a.format(**names) for a in argv], capsys=capsys)
    assert got == code, err
    assert message in err and err.startswith("leanpipe: error: ") and err.count("\n") == 1, err


def test_errors_in_a_subprocess_have_no_traceback(tmp_path):
    done = subprocess_cli("run", "text-classification", "-m", tmp_path / "nothing-here", "hello")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stderr.startswith("leanpipe: error:"), done.stderr
    done = subprocess_cli("frobnicate")
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_help_on_every_command(capsys):
    for command in ([], ["run"], ["serve"], ["models"], ["tasks"]):
        code, out, _ = cli(*command, "--help", capsys=capsys)
        assert code == 0 and "usage: leanpipe" in out
    done = subprocess_cli("--help")
    assert done.returncode == 0 and all(c in done.stdout for c in ("run", "serve", "models", "tasks"))


# --- tasks, models, task inference ------------------------------------------------------------------------------


def test_tasks_lists_the_registry(capsys):
    code, out, _ = cli("tasks", "--json", capsys=capsys)
    rows = json_lines(out)
    assert code == 0 and [r["task"] for r in rows] == list(REGISTRY)
    cls_row = next(r for r in rows if r["task"] == "text-classification")
    assert cls_row["head"] == "sequence-classification" and "top_k" in cls_row["parameters"]
    assert "sentiment-analysis" in cls_row["aliases"]
    code, out, _ = cli("tasks", capsys=capsys)
    assert code == 0 and "text-classification (also sentiment-analysis)" in out


def test_models_lists_the_hugging_face_cache(checkpoints, tmp_path, capsys):
    cache = tmp_path / "hub"

    def add(repo_id: str, folder: Path) -> None:
        commit = hashlib.sha1(repo_id.encode()).hexdigest()
        repo = cache / ("models--" + repo_id.replace("/", "--"))
        shutil.copytree(folder, repo / "snapshots" / commit)
        (repo / "refs").mkdir(parents=True)
        (repo / "refs" / "main").write_text(commit)

    add("test/tiny-bert-cls", checkpoints["bert-cls"])
    add("test/tiny-bert", checkpoints["bert"])
    gpt = tmp_path / "gpt"
    gpt.mkdir()
    (gpt / "config.json").write_text(json.dumps({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"]}))
    add("test/gpt", gpt)
    no_weights = tmp_path / "no-weights"
    shutil.copytree(checkpoints["bert-cls"], no_weights, ignore=shutil.ignore_patterns("*.safetensors"))
    add("test/no-weights", no_weights)
    static = tmp_path / "static"  # a sentence-transformers StaticEmbedding model: no config.json
    static.mkdir()
    shutil.copy(checkpoints["bert"] / "tokenizer.json", static / "tokenizer.json")
    (static / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "",
                                                      "type": "sentence_transformers.models.StaticEmbedding"}]))
    from leanpipe.weights.safetensors import save_safetensors
    save_safetensors({"embedding.weight": np.zeros((30522, 8), np.float32)}, static / "model.safetensors")
    add("test/static", static)
    splade = tmp_path / "splade"
    shutil.copytree(checkpoints["bert-mlm"], splade)
    (splade / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.sparse_encoder.models.MLMTransformer"},
        {"idx": 1, "name": "1", "path": "1_SpladePooling", "type": "sentence_transformers.sparse_encoder.models.SpladePooling"}]))
    add("test/splade", splade)
    router = tmp_path / "router"
    router.mkdir()
    (router / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Router"}]))
    add("test/router", router)
    code, out, err = cli("models", "--cache-dir", cache, "--json", capsys=capsys)
    assert code == 0, err
    rows = {r["repo_id"]: r for r in json_lines(out)}
    assert rows["test/static"]["loadable"] and rows["test/static"]["task"] == "sentence-embeddings", rows["test/static"]
    assert rows["test/splade"]["loadable"] and rows["test/splade"]["task"] == "sparse-embeddings", rows["test/splade"]
    assert not rows["test/router"]["loadable"] and "router_config.json is missing" in rows["test/router"]["reason"]
    assert rows["test/tiny-bert-cls"]["loadable"] and rows["test/tiny-bert-cls"]["task"] == "text-classification"
    assert rows["test/tiny-bert"]["task"] == "feature-extraction" and rows["test/tiny-bert"]["refs"] == ["main"]
    assert not rows["test/gpt"]["loadable"] and "gpt2" in rows["test/gpt"]["reason"]
    assert not rows["test/no-weights"]["loadable"] and "no weights" in rows["test/no-weights"]["reason"]
    code, out, _ = cli("models", "--cache-dir", cache, capsys=capsys)
    assert code == 0 and "test/tiny-bert-cls" in out and "no: model_type 'gpt2' not supported" in out
    code, out, _ = cli("models", "--cache-dir", tmp_path / "empty", capsys=capsys)
    assert code == 0 and "no models" in out


@pytest.mark.parametrize("architecture, task", [
    ("BertForSequenceClassification", "text-classification"), ("DistilBertForTokenClassification", "token-classification"),
    ("BertForQuestionAnswering", "question-answering"), ("BertForMaskedLM", "fill-mask"), ("BertModel", "feature-extraction"),
    ("GPT2LMHeadModel", None),
])
def test_task_inference_from_architectures(architecture, task):
    assert infer_task({"architectures": [architecture]}) == task


def test_param_values_are_json_or_text():
    assert parse_param("top_k=3") == ("top_k", 3)
    assert parse_param('candidate_labels=["a b", "c"]') == ("candidate_labels", ["a b", "c"])
    assert parse_param("function_to_apply=sigmoid") == ("function_to_apply", "sigmoid")
    assert parse_param("hypothesis_template=It is {}.") == ("hypothesis_template", "It is {}.")
    with pytest.raises(CliError):
        parse_param("=3")


# --- progress bar ---------------------------------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(monkeypatch):
    assert isinstance(progress(10, stream=io.StringIO()), NoBar)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # our own bar when tqdm is missing
    terminal = FakeTerminal()
    bar = progress(4, stream=terminal)
    assert isinstance(bar, Bar)
    bar.update(2)
    bar.close()
    assert "2/4 rows" in terminal.getvalue() and "ETA" in terminal.getvalue()
    assert line(50, 200, 10.0) == "  50/200 rows  25% | 5.0 rows/s | ETA 0:00:30"
    assert line(7, None, 2.0) == "  7 rows | 3.5 rows/s | 0:00:02"
