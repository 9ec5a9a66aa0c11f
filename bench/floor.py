"""How fast can batch-1 be on this machine? The linear layers alone, nothing else, in onnxruntime.

    python bench/floor.py                 # both bench models, ~1 minute

For each bench model, one ONNX graph holds only its encoder's matrix products (per layer Q, K, V,
output, FFN in and FFN out; FusedMatMul, the checkpoint's (out, in) layout, packed once as leanpipe's
are) over one text of the corpus' mean real length. It runs twice: with a distinct random matrix per
layer, as a real model reads them (all its fp32 weights streamed from memory on every call), and with
layer 0's matrices reused by every layer (the same FLOPs, the weights hot in cache). Beside them:
the FLOPs at the measured SGEMM rate, the weight bytes at the measured two-thread read bandwidth, and
transformers' batch-1 latency / 3 from bench/results/results.json (the issue's target) when present.
A batch-1 call cannot beat its "distinct" row with onnxruntime's kernels; it also runs embeddings,
norms, attention and GELU. Writes bench/results/floor.md and floor.json.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import cpu_model, sgemm_gflops  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
CALLS, THREADS = 300, 2
# name -> (layers, hidden, intermediate): the bench models' shapes (bench/checkpoints.py)
MODELS = {"minilm": (6, 384, 1536), "distilbert": (6, 768, 3072)}


def linear_chain(layers: int, hidden: int, ffn: int, *, distinct: bool):
    """An onnxruntime session over `layers` blocks of six products, x (1, T, hidden) in."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    shapes = [(hidden, hidden)] * 4 + [(ffn, hidden), (hidden, ffn)]  # (out, in)
    nodes, weights, x = [], {}, "x"
    for layer in range(layers):
        for j, (out, inp) in enumerate(shapes):
            name = f"w{layer if distinct else 0}_{j}"
            if name not in weights:
                weights[name] = numpy_helper.from_array((rng.standard_normal((out, inp)) * 0.02).astype(np.float32), name)
            source = x if j != 5 else f"y{layer}_4"  # Q, K, V, output and FFN-in read the block's input
            nodes.append(helper.make_node("FusedMatMul", [source, name], [f"y{layer}_{j}"], domain="com.microsoft", transB=1))
        x = f"y{layer}_5"
    graph = helper.make_graph(nodes, "linear_chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, None, hidden])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)], list(weights.values()))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def median_ms(session, tokens: int, hidden: int) -> float:
    x = np.random.default_rng(1).standard_normal((1, tokens, hidden)).astype(np.float32)
    for _ in range(20):
        session.run(None, {"x": x})
    times = []
    for _ in range(CALLS):
        start = time.perf_counter()
        session.run(None, {"x": x})
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def read_bandwidth_gbs(megabytes: int = 512) -> float:
    """Best of 8: two threads each reading half of a `megabytes` float32 array (np.dot of it with itself)."""
    data = np.ones(megabytes * 2**20 // 4, np.float32)
    halves = np.array_split(data, THREADS)
    best = float("inf")
    for _ in range(8):
        workers = [threading.Thread(target=np.dot, args=(h, h)) for h in halves]
        start = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        best = min(best, time.perf_counter() - start)
    return data.nbytes / best / 1e9


def last_run() -> dict[str, dict]:
    """Per bench model, the last full run's mean tokens and transformers' batch-1 median (ms), if any."""
    try:
        models = json.loads((RESULTS / "results.json").read_text())["raw"]["models"]
        return {name: dict(tokens=m["mean_tokens"], transformers_ms=m["transformers"]["latency"]["median_ms"])
                for name, m in models.items()}
    except (OSError, KeyError, ValueError):
        return {}


def main() -> None:
    gflops, bandwidth = sgemm_gflops(THREADS, repeats=20)["gflops"], read_bandwidth_gbs()
    reference = last_run()
    rows = []
    for name, (layers, hidden, ffn) in MODELS.items():
        tokens = round(reference.get(name, {}).get("tokens", 24))  # the corpus' mean real length
        per_token = 2 * layers * (4 * hidden * hidden + 2 * hidden * ffn)
        weight_mb = per_token / 2 * 4 / 1e6  # one fp32 per multiply-add per token
        distinct = median_ms(linear_chain(layers, hidden, ffn, distinct=True), tokens, hidden)
        shared = median_ms(linear_chain(layers, hidden, ffn, distinct=False), tokens, hidden)
        target = reference.get(name, {}).get("transformers_ms")
        rows.append(dict(model=name, tokens=tokens, weight_mb=round(weight_mb, 1), distinct_ms=round(distinct, 2),
                         shared_ms=round(shared, 2), flops_ms=round(per_token * tokens / gflops / 1e6, 2),
                         bytes_ms=round(weight_mb / 1e3 / bandwidth * 1e3, 2),
                         target_ms=round(target / 3, 2) if target else None))
        print(rows[-1], flush=True)
    write(rows, gflops, bandwidth)


def write(rows: list[dict], gflops: float, bandwidth: float) -> None:
    RESULTS.mkdir(exist_ok=True)
    cpu = cpu_model()  # the host changes between hours here (an Intel Xeon with AMX, an AMD EPYC)
    (RESULTS / "floor.json").write_text(json.dumps(dict(cpu=cpu, sgemm_gflops=gflops, read_gbs=bandwidth, rows=rows), indent=1))
    lines = [
        "# Batch-1 floor: the linear layers alone",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')}, {cpu}. `python bench/floor.py`: one text of {rows[0]['tokens']} tokens, "
        f"{THREADS} threads, median of {CALLS} onnxruntime calls. SGEMM {gflops:.0f} GFLOP/s, "
        f"two-thread read bandwidth {bandwidth:.1f} GB/s (both measured now).",
        "",
        "| model | fp32 weights MB | linear layers, weights from memory (ms) | same FLOPs, weights in cache (ms) "
        "| FLOPs at SGEMM rate (ms) | weight bytes at read bandwidth (ms) | target: transformers' batch-1 / 3 (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        target = f"{r['target_ms']:.2f}" if r["target_ms"] else "(run bench/run.py)"
        lines.append(f"| {r['model']} | {r['weight_mb']:.0f} | {r['distinct_ms']:.2f} | {r['shared_ms']:.2f} "
                     f"| {r['flops_ms']:.2f} | {r['bytes_ms']:.2f} | {target} |")
    (RESULTS / "floor.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
