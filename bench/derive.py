"""From raw timings to the numbers in the table: rates, the fp32 ceiling, ratios, targets.

Pure functions of the raw results dict (results.json["raw"]); nothing here runs a model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

SYSTEMS = ("leanpipe", "leanpipe int8", "transformers pipeline", "torch loop")
# feature extraction's default output, nested Python lists (one run each; embeddings only)
LIST_SYSTEMS = ("leanpipe, lists", "transformers pipeline, lists")


@dataclass(frozen=True)
class Target:
    name: str
    model: str
    measured: float | None  # None: could not be measured
    required: str  # e.g. "<= 0.125"
    passed: bool | None
    detail: str


def cosine_stats(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Row-wise cosine of two (N, H) embedding arrays: {'mean': ..., 'min': ...}."""
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {"mean": float(cos.mean()), "min": float(cos.min())}


def label_stats(p: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """Two-label answers given as P(label 1), p against the reference ref.

    agreement: identical argmax labels (P > 0.5); label_1_share says how far from trivial that is
    (the bench classifier's trained head puts about half the corpus in each class), and the largest |ΔP|.
    """
    return {
        "agreement": float(((p > 0.5) == (ref > 0.5)).mean()),
        "max_abs_diff": float(np.abs(p - ref).max()),
        "label_1_share": float((ref > 0.5).mean()),
        "spread": float(np.percentile(ref, 90) - np.percentile(ref, 10)),  # how far apart sentences' P are
    }


def compare(kind: str, a_path: str, b_path: str) -> dict[str, float]:
    """a against the reference b: cosine for embeddings, label statistics for the classifier."""
    a, b = np.load(a_path), np.load(b_path)
    return cosine_stats(a, b) if kind == "embed" else label_stats(a, b)


def rates(seconds: float, sentences: int, tokens: int, ceiling: float) -> dict[str, float]:
    tok_s = tokens / seconds
    return {"seconds": seconds, "sentences_s": sentences / seconds, "tokens_s": tok_s, "ceiling_share": tok_s / ceiling}


def paired(numerators: list[float], denominators: list[float]) -> float:
    """Median over rounds of numerator_i / denominator_i (run i of two systems, minutes apart):
    the ratio with the host's slow drift taken out. Falls back to the ratio of the medians."""
    if len(numerators) == len(denominators) and numerators:
        return float(np.median([a / b for a, b in zip(numerators, denominators)]))
    return float(np.median(numerators) / np.median(denominators))


def run_ceilings(model: dict) -> list[float]:
    """Per leanpipe fp32 run, the fp32 ceiling in real tokens/s from the SGEMM measured (measure.sgemm_gflops) right
    before and right after it (the higher of the two: the strictest share)."""
    around = model["leanpipe"]["pipeline"].get("sgemm_around") or []
    return [max(pair) * 1e9 / model["flops"]["flops"] for pair in around]


def system_rates(model: dict, ceiling: float) -> dict[str, dict]:
    """sentences/s, real tokens/s and share of the fp32 ceiling for each system that ran."""
    n, tokens = model["sentences"], model["real_tokens"]
    timings = {
        "leanpipe": model["leanpipe"]["pipeline"],
        "leanpipe int8": model["leanpipe"].get("int8", {}),
        "transformers pipeline": model["transformers"]["pipeline"],
        "torch loop": model["transformers"]["torch_loop"],
        "leanpipe, lists": model["leanpipe"].get("pipeline_lists", {}),
        "transformers pipeline, lists": model["transformers"].get("pipeline_lists", {}),
    }
    return {name: rates(t["seconds"], n, tokens, ceiling) for name, t in timings.items() if "seconds" in t}


def bound_text(op: str, bound: float) -> str:
    """'<=', 0.125 -> '≤ 1/8'; '>=', 4 -> '≥ 4'; '>=', 0.8 -> '≥ 0.8'."""
    sign = {"<=": "≤", ">=": "≥", "<": "<"}[op]
    if 0 < bound < 1 and abs(1 / bound - round(1 / bound)) < 1e-9:
        return f"{sign} 1/{round(1 / bound)}"
    return f"{sign} {bound:g}"


def check(name: str, model: str, measured: float | None, op: str, bound: float, detail: str) -> Target:
    if measured is None:
        return Target(name, model, None, bound_text(op, bound), None, detail)
    passed = measured <= bound if op == "<=" else measured >= bound if op == ">=" else measured < bound
    return Target(name, model, measured, bound_text(op, bound), passed, detail)


def model_targets(key: str, model: dict, systems: dict[str, dict], quality: dict) -> list[Target]:
    """Each speed ratio is the median over rounds of that round's ratio (`paired`); the details
    give each system's median over the rounds."""
    lp, tf = model["cold_start"]["leanpipe"], model["cold_start"]["transformers"]
    lean, runs = systems["leanpipe"], model["leanpipe"]["pipeline"]["runs"]
    tokens = model["real_tokens"]
    lat_lp, lat_tf = model["leanpipe"]["latency"], model["transformers"]["latency"]
    pipe_runs, loop_runs = model["transformers"]["pipeline"]["runs"], model["transformers"]["torch_loop"]["runs"]
    ceilings = run_ceilings(model)
    share = paired([tokens / t for t in runs], ceilings) if ceilings else lean["ceiling_share"]
    around = [g for pair in model["leanpipe"]["pipeline"].get("sgemm_around") or [] for g in pair]
    sgemm_range = f"; SGEMM around the runs {min(around):.0f}–{max(around):.0f} GFLOP/s" if around else ""
    targets = [
        check("cold start, leanpipe / transformers", key, lp["seconds"] / tf["seconds"], "<=", 1 / 8,
              f"{lp['seconds']:.2f} s vs {tf['seconds']:.2f} s"),
        check("peak RSS at first result, leanpipe / transformers", key, lp["peak_rss_mb"] / tf["peak_rss_mb"], "<=", 1 / 4,
              f"{lp['peak_rss_mb']:.0f} MB vs {tf['peak_rss_mb']:.0f} MB"),
        check("throughput, leanpipe / transformers pipeline", key, paired(pipe_runs, runs), ">=", 4,
              f"{lean['tokens_s']:,.0f} vs {systems['transformers pipeline']['tokens_s']:,.0f} real tok/s"),
        check("throughput, leanpipe / sorted torch loop", key, paired(loop_runs, runs), ">=", 1.15,
              f"{lean['tokens_s']:,.0f} vs {systems['torch loop']['tokens_s']:,.0f} real tok/s"),
        check("throughput, share of fp32 ceiling", key, share, ">=", 0.8,
              f"{lean['tokens_s']:,.0f} of {lean['tokens_s'] / lean['ceiling_share']:,.0f} real tok/s{sgemm_range}"),
        check("batch-1 latency (median), leanpipe / transformers", key,
              paired(lat_lp.get("rounds_ms", [lat_lp["median_ms"]]), lat_tf.get("rounds_ms", [lat_tf["median_ms"]])), "<=", 1 / 3,
              f"{lat_lp['median_ms']:.1f} ms vs {lat_tf['median_ms']:.1f} ms"),
    ]
    int8 = systems.get("leanpipe int8")
    reason = "not available" if model["leanpipe"].get("int8", {}).get("reason") else ""
    targets.append(check("int8 throughput / leanpipe fp32", key,
                         int8 and paired(runs, model["leanpipe"]["int8"]["runs"]), ">=", 2,
                         f"{int8['tokens_s']:,.0f} vs {lean['tokens_s']:,.0f} real tok/s" if int8 else reason))
    if model["kind"] == "classify":
        q = quality.get("int8 vs leanpipe fp32", {})
        targets.append(check("int8 label agreement with fp32 (argmax)", key, q.get("agreement"), ">=", 0.99,
                             f"over {model['sentences']} sentences; fp32 says label 1 for {100 * q['label_1_share']:.0f}% "
                             f"of them; max abs ΔP {q['max_abs_diff']:.1e}" if q else reason))
    else:
        cos = quality.get("int8 vs leanpipe fp32", {})
        targets.append(check("int8 embedding cosine with fp32 (mean)", key, cos.get("mean"), ">=", 0.99,
                             f"min {cos['min']:.4f}" if cos else reason))
    return targets


def int8_option(key: str, model: dict) -> list[Target]:
    """The int8 option against the bounds of the fp32 targets it could stand in for: batch-1 latency,
    cold start and peak RSS against transformers'. Information, not targets: the issue's targets are
    leanpipe's default, fp32."""
    cold, tf = model["cold_start"].get("leanpipe int8"), model["cold_start"]["transformers"]
    lat, lat_tf = model["leanpipe"].get("int8_latency", {}), model["transformers"]["latency"]
    rows = []
    if "median_ms" in lat:
        rows.append(check("batch-1 latency (median), leanpipe int8 / transformers", key,
                          paired(lat.get("rounds_ms", [lat["median_ms"]]), lat_tf.get("rounds_ms", [lat_tf["median_ms"]])),
                          "<=", 1 / 3, f"{lat['median_ms']:.1f} ms vs {lat_tf['median_ms']:.1f} ms"))
    if cold:
        rows.append(check("cold start, leanpipe int8 / transformers", key, cold["seconds"] / tf["seconds"], "<=", 1 / 8,
                          f"{cold['seconds']:.2f} s vs {tf['seconds']:.2f} s"))
        rows.append(check("peak RSS at first result, leanpipe int8 / transformers", key, cold["peak_rss_mb"] / tf["peak_rss_mb"],
                          "<=", 1 / 4, f"{cold['peak_rss_mb']:.0f} MB vs {tf['peak_rss_mb']:.0f} MB"))
    return rows


def global_targets(raw: dict) -> list[Target]:
    install = raw.get("install")
    if install and "error" in install:
        install = None
    size = None if not install else install["leanpipe"]["mb"] / install["transformers"]["mb"]
    detail = (f"{install['leanpipe']['mb']:.0f} MB vs {install['transformers']['mb']:.0f} MB" if install
              else (raw.get("install") or {}).get("error", "not measured (--skip-install with no cached result)"))
    imp = raw["imports"]["import leanpipe"]["seconds"]
    return [
        check("install size, leanpipe / transformers+torch", "-", size, "<=", 1 / 10, detail),
        check("`import leanpipe` seconds", "-", imp, "<", 0.3, f"{imp * 1000:.0f} ms"),
    ]


def ceiling(raw: dict, model: dict) -> float:
    """fp32 ceiling in real tokens/s: measured SGEMM FLOP/s over the model's FLOPs per token; the
    median of the ceilings around leanpipe's runs (else the fastest SGEMM of the whole run)."""
    around = run_ceilings(model)
    return float(np.median(around)) if around else raw["sgemm"]["gflops"] * 1e9 / model["flops"]["flops"]


def quality(model: dict) -> dict[str, dict]:
    """int8 vs fp32, and leanpipe vs transformers as a sanity check of what was timed."""
    kind, lp, tf = model["kind"], model["leanpipe"], model["transformers"]
    out = {
        "leanpipe fp32 vs transformers pipeline": compare(kind, lp["pipeline"]["outputs"], tf["pipeline"]["outputs"]),
        "torch loop vs transformers pipeline": compare(kind, tf["torch_loop"]["outputs"], tf["pipeline"]["outputs"]),
    }
    if lp.get("int8", {}).get("available"):
        out["int8 vs leanpipe fp32"] = compare(kind, lp["int8"]["outputs"], lp["pipeline"]["outputs"])
    return out


def derive(raw: dict) -> dict[str, Any]:
    models: dict[str, Any] = {}
    targets: list[Target] = []
    int8: list[Target] = []
    for key, model in raw["models"].items():
        top = ceiling(raw, model)
        systems = system_rates(model, top)
        q = quality(model)
        models[key] = {"ceiling_tokens_s": top, "systems": systems, "quality": q}
        targets += model_targets(key, model, systems, q)
        int8 += int8_option(key, model)
    targets += global_targets(raw)
    return {"models": models, "targets": [asdict(t) for t in targets], "int8_option": [asdict(t) for t in int8]}
