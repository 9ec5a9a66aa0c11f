"""Side-by-side benchmark of leanpipe and transformers (CPU torch): one command, one table.

    HF_HUB_OFFLINE=1 python bench/run.py              # full run, ~15 minutes on 2 cores
    HF_HUB_OFFLINE=1 python bench/run.py --quick      # smoke test, well under a minute
    python bench/run.py --threads 1 --skip-install

Writes bench/results/{results.md, results.png, results.json} (a --quick run writes
bench/results/quick/ instead, so it never overwrites a full result). Phases run one after the
other, never two measurements at the same time. Each library's systems live in one long-lived child
process for the throughput and latency rounds; the two children take turns step by step (leanpipe's
pass, then transformers' pass of the same corpus, ...), so each ratio is taken between runs seconds
apart.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import measure  # noqa: E402
from measure import median  # noqa: E402
from checkpoints import (DISTILBERT_DIR, bench_models, distilbert_ready, flops_per_token,  # noqa: E402
                         minilm_path, model_shape, token_counts)
from corpus import describe, make_corpus  # noqa: E402
from derive import derive  # noqa: E402
from report import chart, markdown  # noqa: E402

FULL = {"corpus_size": 2000, "distilbert_sentences": 500, "reps": 3, "latency_calls": 200,
        "cold_repeats": 3, "import_repeats": 5, "sgemm_repeats": 20}
QUICK = {"corpus_size": 64, "distilbert_sentences": 64, "reps": 1, "latency_calls": 16,
         "cold_repeats": 1, "import_repeats": 1, "sgemm_repeats": 5}
LIBRARIES = ("leanpipe", "transformers")
IMPORTS = ("import leanpipe", "from leanpipe import pipeline", "from transformers import pipeline")
COLD_SENTENCE = "I've been waiting for a HuggingFace course my whole life."


START = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} +{time.perf_counter() - START:4.0f}s] {message}", flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    default_threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="64 sentences, 1 repetition, no install size")
    parser.add_argument("--threads", type=int, default=default_threads, help="threads for every system (default: all cores)")
    parser.add_argument("--skip-install", action="store_true", help="reuse the cached install sizes from results.json")
    parser.add_argument("--reps", type=int, default=None, help="rounds, libraries taking turns (default 3; --quick 1)")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default bench/results[/quick])")
    return parser.parse_args(argv)


def settings(args: argparse.Namespace) -> dict:
    s = dict(QUICK if args.quick else FULL, threads=args.threads)
    if args.reps:
        s["reps"] = args.reps
    s["model_sentences"] = {"minilm": s["corpus_size"], "distilbert": min(s["corpus_size"], s.pop("distilbert_sentences"))}
    return s


def ensure_distilbert(threads: int) -> None:
    if distilbert_ready():
        return
    log(f"building the DistilBERT-base-sized classifier (random body, trained head) into {DISTILBERT_DIR} (once)")
    measure.run_json([sys.executable, str(HERE / "checkpoints.py"), str(DISTILBERT_DIR), minilm_path()], threads)


def describe_models(s: dict, corpus: list[str]) -> dict:
    """Per model: task, shape, sentences and real tokens of its throughput subset, FLOPs per token."""
    out = {}
    for m in bench_models():
        texts = corpus[: s["model_sentences"][m.key]]
        tokens = sum(token_counts(m.path, texts))
        shape = model_shape(m.path)
        out[m.key] = {**asdict(m), "shape": shape, "sentences": len(texts), "real_tokens": tokens,
                      "mean_tokens": tokens / len(texts), "flops": flops_per_token(shape, tokens / len(texts))}
    return out


class Worker:
    """One library's long-lived child (systems.py): loads every model's systems once, then runs the
    steps it is asked for, one at a time, while the other library's child waits."""

    def __init__(self, library: str, models: dict, s: dict, out_dir: Path) -> None:
        spec = {"library": library, "threads": s["threads"], "corpus_size": s["corpus_size"], "reps": 1,
                "latency_calls": s["latency_calls"], "sgemm_repeats": s["sgemm_repeats"], "out_dir": str(out_dir),
                "models": [{k: m[k] for k in ("key", "path", "task", "kind", "sentences")} for m in models.values()]}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(spec, f)
        self.library, self.spec_path = library, f.name
        self.stderr = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen([sys.executable, str(HERE / "systems.py"), f.name], env=measure.child_env(s["threads"]),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        self.load_seconds = self._answer()["load_seconds"]

    def run(self, model: str, step: str) -> dict:
        self.proc.stdin.write(json.dumps({"model": model, "step": step}) + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def _answer(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.stderr.seek(0)
            raise RuntimeError(f"{self.library}'s child stopped ({self.proc.returncode}):\n{self.stderr.read()[-3000:]}")
        return json.loads(line)

    def close(self) -> None:
        """End the child (its stdin closed, it exits; killed if it does not within a minute)."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            self.stderr.close()
            os.unlink(self.spec_path)


# the steps of a round, in order: (leanpipe's, transformers'), paired so each ratio's two runs are seconds apart
# (leanpipe's step, transformers' step); None: that library has no step there
PAIRED_STEPS = [("pipeline", "pipeline"), ("latency", "latency"), ("int8", "torch_loop"), ("int8_latency", None)]


def run_rounds(models: dict, s: dict, out_dir: Path) -> dict[str, dict[str, list]]:
    """Both libraries' children alive at once, taking turns step by step: round r runs, per model,
    leanpipe's pipeline pass then transformers' (transformers first in rounds 2, 4, ..., so a drift of
    the host's speed favours neither), the two batch-1 latency runs, leanpipe int8 and the torch loop;
    the nested-list runs in the first round only. -> per model and library, one result per round."""
    workers = {}
    try:
        for lib in LIBRARIES:  # one loads while the other waits
            log(f"loading {lib}'s systems in a long-lived child")
            workers[lib] = Worker(lib, models, s, out_dir)
        rounds = {key: {lib: [] for lib in LIBRARIES} for key in models}
        for r in range(s["reps"]):
            order = LIBRARIES if r % 2 == 0 else LIBRARIES[::-1]
            for key in models:
                results: dict[str, dict] = {lib: {"load_seconds": workers[lib].load_seconds[key]} for lib in LIBRARIES}
                steps = PAIRED_STEPS + ([("lists", "lists")] if r == 0 and s.get("lists", True) else [])
                for pair in steps:
                    for lib in order:
                        step = pair[LIBRARIES.index(lib)]
                        if step is None:
                            continue
                        log(f"round {r + 1}/{s['reps']}: {key} {lib} {step}")
                        results[lib]["pipeline_lists" if step == "lists" else step] = workers[lib].run(key, step)
                results["transformers"]["torch_threads"] = results["transformers"]["torch_loop"].get("torch_threads")
                for lib in LIBRARIES:
                    rounds[key][lib].append(results[lib])
        return rounds
    finally:
        for worker in workers.values():
            worker.close()


def merge_rounds(rounds: list[dict]) -> dict:
    """One library's results for one model over the rounds, in the shape of a single child's: each
    throughput measurement's `runs` in round order (run i of every system comes from round i, so
    ratios can be taken round by round), its `seconds` their median; latency the median of the
    rounds' medians, with `rounds_ms`; everything else from the first round."""
    merged = dict(rounds[0])
    for name, first in rounds[0].items():
        if all(isinstance(r.get(name), dict) and "runs" in r[name] for r in rounds):
            runs = [x for r in rounds for x in r[name]["runs"]]
            merged[name] = {**first, "runs": runs, "seconds": median(runs), "outputs": rounds[-1][name].get("outputs")}
            if "sgemm_around" in first:
                merged[name]["sgemm_around"] = [r[name]["sgemm_around"] for r in rounds]
    for name in ("latency", "int8_latency"):
        latencies = [r.get(name, {}) for r in rounds]
        if all("median_ms" in x for x in latencies):
            merged[name] = {"median_ms": median([x["median_ms"] for x in latencies]),
                            "p90_ms": median([x["p90_ms"] for x in latencies]),
                            "calls": sum(x["calls"] for x in latencies), "rounds_ms": [x["median_ms"] for x in latencies]}
    return merged


def cached_install(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())["raw"].get("install")
    except (OSError, ValueError, KeyError):
        return None


def install_sizes(args: argparse.Namespace, out: Path) -> dict | None:
    if args.quick or args.skip_install:
        cached = cached_install(out / "results.json") or cached_install(HERE / "results" / "results.json")
        cached = cached if cached and "key" in cached else None
        log("install size: " + (f"reusing cached result {cached['key']}" if cached else "skipped, nothing cached"))
        return cached
    from install import measure_install_sizes

    log("install size: two fresh virtualenvs (leanpipe; transformers + torch)")
    try:
        result = measure_install_sizes()
    except Exception as exc:  # keep the timings already measured; the table says what went wrong
        log(f"install size failed: {exc}")
        return {"error": f"{type(exc).__name__}: {str(exc)[-500:]}"}
    result["measured"] = time.strftime("%Y-%m-%d")
    return result


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    s = settings(args)
    out = args.out or HERE / "results" / ("quick" if args.quick else "")
    out.mkdir(parents=True, exist_ok=True)
    threads = s["threads"]
    started = time.perf_counter()

    log(f"{'quick' if args.quick else 'full'} run, {threads} threads -> {out}")
    corpus = make_corpus(s["corpus_size"])
    ensure_distilbert(threads)
    models = describe_models(s, corpus)
    counts = token_counts(minilm_path(), corpus)
    raw: dict = {"mode": "quick" if args.quick else "full", "argv": argv, "settings": s,
                 "machine": measure.machine_info(threads),
                 "corpus": {**describe(corpus), "real_tokens": sum(counts), "mean_tokens": sum(counts) / len(counts)}}
    sgemm: dict[str, dict] = {}  # the machine's speed at the start and the end (and around each leanpipe run: systems.py)

    def measure_sgemm(when: str) -> None:
        log(f"fp32 SGEMM ({when})")
        sgemm[when] = measure.sgemm_gflops(threads, s["sgemm_repeats"])

    measure_sgemm("start")
    log("import times")
    raw["imports"] = {stmt: measure.import_time(stmt, threads, s["import_repeats"]) for stmt in IMPORTS}
    for lib, quantize in (("leanpipe", None), ("transformers", None), ("leanpipe", "int8")):
        for key, m in models.items():
            name = lib if quantize is None else f"{lib} {quantize}"
            log(f"cold start: {name} {key}")
            code = measure.cold_start_code(lib, m["task"], m["path"], COLD_SENTENCE, quantize)
            m.setdefault("cold_start", {})[name] = measure.cold_start(code, threads, s["cold_repeats"])
    outputs = HERE / ".cache" / "outputs"
    # The host's speed drifts by 10-20% within minutes: the libraries take turns step by step
    rounds = run_rounds(models, s, outputs)
    for key in models:
        for lib in ("leanpipe", "transformers"):
            models[key][lib] = merge_rounds(rounds[key][lib])
    measure_sgemm("end")
    best = max(sgemm.values(), key=lambda m: m["gflops"])
    raw["sgemm"] = {**best, "measurements": {when: m["gflops"] for when, m in sgemm.items()}}
    raw["models"] = models
    raw["install"] = install_sizes(args, out)
    raw["elapsed_seconds"] = time.perf_counter() - started

    derived = derive(raw)
    (out / "results.json").write_text(json.dumps({"raw": raw, "derived": derived}, indent=1))
    table = markdown(raw, derived)
    (out / "results.md").write_text(table + "\n")
    chart(raw, derived, out / "results.png")
    print(table)
    log(f"done in {raw['elapsed_seconds']:.0f} s: {out / 'results.md'}, results.png, results.json")


if __name__ == "__main__":
    main(sys.argv[1:])
