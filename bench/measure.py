"""Timing helpers: wall-clock statistics, child processes, cold start, import time, SGEMM, machine info.

Everything that starts a library runs in a child process with the same thread settings, so the
two libraries never share a process (torch's and onnxruntime's thread pools never meet) and each
cold-start number includes the interpreter's own start, as a user sees it.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent  # the leanpipe repo: on PYTHONPATH of every child
READY = "BENCH-READY"


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile: percentile([1, 2, 3, 4], 0.5) -> 2.5."""
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def timed_passes(run: Callable[[], object], passes: int) -> float:
    """Median wall time of `passes` calls of run()."""
    times = []
    for _ in range(passes):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return median(times)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def child_env(threads: int) -> dict[str, str]:
    """The environment of every child: the repo importable, offline, one thread count for all libraries."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # run as installed code runs: with bytecode caches
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_VERBOSITY"] = "error"
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "LEANPIPE_NUM_THREADS"):
        env[var] = str(threads)
    return env


def run_json(args: list[str], threads: int, timeout: float = 1800) -> dict:
    """Run a child that prints one JSON object on its last stdout line; return that object."""
    proc = subprocess.run(args, env=child_env(threads), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} ... failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def family_arguments(doc: str, families: dict, argv: list[str], **options: tuple[type, object]):
    """The command line of the per-family benchmarks (families.py, long_inputs.py): --families (checked
    against `families`), --threads, --out, the hidden --child ROLE FAMILY, and `options` (name -> (type,
    default)). Returns (args, the chosen family names)."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--families", default=",".join(families), help=f"comma-separated, of {list(families)}")
    for name, (kind, default) in options.items():
        parser.add_argument(f"--{name}", type=kind, default=default)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--child", nargs=2, metavar=("ROLE", "FAMILY"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.families.split(",") if n.strip()]
    unknown = sorted(set(names) - set(families))
    if unknown:
        parser.error(f"unknown families {unknown}; choose from {list(families)}")
    return args, names


def cold_start_once(code: str, threads: int) -> dict[str, float]:
    """Spawn `python -c code`; the time from before spawning until it prints READY (its first
    result), and its peak RSS (ru_maxrss, which the child prints after READY)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], env=child_env(threads), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    first_result = None
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == READY and first_result is None:
            first_result = time.perf_counter() - start
        lines.append(line.strip())
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.wait() != 0 or first_result is None:
        raise RuntimeError(f"cold start child failed:\n{stderr[-3000:]}")
    return {"seconds": first_result, "peak_rss_mb": int(lines[-1]) / 1024}  # ru_maxrss is in KiB on Linux


def cold_start(code: str, threads: int, repeats: int) -> dict[str, object]:
    """Median of `repeats` fresh processes, after one discarded process that warms the bytecode and
    page caches (a program that has run once on the machine, as after `pip install`)."""
    cold_start_once(code, threads)
    runs = [cold_start_once(code, threads) for _ in range(repeats)]
    return {
        "seconds": median([r["seconds"] for r in runs]),
        "peak_rss_mb": median([r["peak_rss_mb"] for r in runs]),
        "runs": runs,
    }


def cold_start_code(library: str, task: str, model_path: str, sentence: str, quantize: str | None = None) -> str:
    """The child script: import, load, run one sentence, say READY, print peak RSS (KiB); `quantize`
    ("int8"): leanpipe's option."""
    threads_arg = ", num_threads=int(os.environ['LEANPIPE_NUM_THREADS'])" if library == "leanpipe" else ""
    threads_arg += f", quantize={quantize!r}" if quantize else ""
    return (
        "import os, resource\n"
        f"from {library} import pipeline\n"
        f"pipe = pipeline({task!r}, model={model_path!r}{threads_arg})\n"
        f"result = pipe({sentence!r}, truncation=True)\n"
        f"print({READY!r}, flush=True)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)\n"
    )


def import_time(statement: str, threads: int, repeats: int) -> dict[str, object]:
    """Seconds spent in `statement` (e.g. 'import leanpipe') in a fresh interpreter; median of repeats."""
    code = f"import time\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)\n"
    runs = []
    for _ in range(repeats):
        proc = subprocess.run([sys.executable, "-c", code], env=child_env(threads), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{statement!r} failed:\n{proc.stderr[-2000:]}")
        runs.append(float(proc.stdout.strip().splitlines()[-1]))
    return {"seconds": median(runs), "runs": runs}


SGEMM_CODE = """
import json, time, numpy as np
rng = np.random.default_rng(0)
# squares, and the shapes of a 6 x 768-row batch's products (32 texts x 24 tokens through 384/768 -> 4x FFNs)
SHAPES = [(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (768, 384, 1536), (768, 768, 3072), (768, 3072, 768)]

def best_rate(run, m, k, n):
    run()
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter(); run(); times.append(time.perf_counter() - t)
    return 2 * m * k * n / min(times) / 1e9

def mlas(m, k, n, b):
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["y"])], "sgemm",
                              [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])], [numpy_helper.from_array(b, "b")])
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = THREADS, 1
    return ort.InferenceSession(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString(),
                                options, providers=["CPUExecutionProvider"])

by_library = {}
for m, k, n in SHAPES:
    a, b = rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)
    shape = f"{m}x{k}x{n}"
    by_library.setdefault("numpy", {})[shape] = best_rate(lambda: a @ b, m, k, n)
    try:
        session = mlas(m, k, n, b)
    except ImportError:  # no onnxruntime / onnx in this environment: numpy's BLAS alone
        continue
    by_library.setdefault("onnxruntime", {})[shape] = best_rate(lambda: session.run(None, {"a": a}), m, k, n)
best = {library: max(rates.values()) for library, rates in by_library.items()}
print(json.dumps({"gflops": max(best.values()), "by_library": best, "by_shape": by_library}))
"""


def sgemm_gflops(threads: int, repeats: int) -> dict:
    """The machine's fp32 matmul GFLOP/s at `threads` threads: the best of numpy's BLAS and onnxruntime's
    MLAS (where installed) over 512²-2048² squares and 768-row products shaped like an encoder's, each the
    best of `repeats` (on this host MLAS at 768 rows ran ~10% above numpy's squares, which alone
    once put a model above its "ceiling")."""
    code = SGEMM_CODE.replace("REPEATS", str(repeats)).replace("THREADS", str(threads))
    return run_json([sys.executable, "-c", code], threads)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags() -> list[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return sorted(f for f in flags if f.startswith(("avx", "fma", "amx")) or f in ("vnni",))
    except OSError:
        pass
    return []


VERSIONS_CODE = """
import json, importlib.metadata as md, leanpipe
names = ["onnxruntime", "onnx", "numpy", "tokenizers", "torch", "transformers"]
out = {"leanpipe": leanpipe.__version__, "python": __import__("platform").python_version()}
for n in names:
    try: out[n] = md.version(n)
    except md.PackageNotFoundError: out[n] = "not installed"
print(json.dumps(out))
"""


def machine_info(threads: int) -> dict:
    import psutil

    return {
        "cpu": cpu_model(),
        "logical_cores": psutil.cpu_count(logical=True),
        "physical_cores": psutil.cpu_count(logical=False),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_flags": cpu_flags(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "threads": threads,
        "lanes": os.environ.get("LEANPIPE_LANES", "") or "on",  # leanpipe.engine.lanes; LEANPIPE_LANES=0: off
        "versions": run_json([sys.executable, "-c", VERSIONS_CODE], threads),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
