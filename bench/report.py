"""results.md (Markdown tables) and results.png (chart) from the raw results and derived numbers."""

from __future__ import annotations

from pathlib import Path

from derive import LIST_SYSTEMS, SYSTEMS

FLOPS_FORMULA = (
    "FLOPs per real token = 2 × L × (4H² + 2HF) + L × 4 × T̄ × H "
    "(linear layers: Q, K, V, output, FFN in/out; attention: QKᵀ and probabilities×V at the corpus' "
    "mean real length T̄; embeddings, norms, GELU, softmax and the per-sentence head left out). "
    "fp32 ceiling (real tokens/s) = measured SGEMM FLOP/s ÷ FLOPs per token; the table's is the median over "
    "leanpipe's runs of the SGEMM measured around each."
)


def ratio_text(value: float | None, required: str) -> str:
    if value is None:
        return "—"
    if required.startswith("≤ 1/") and 0 < value < 1:
        return f"{value:.4f} (1/{1 / value:.1f})"
    return f"{value:.4f}" if value < 10 else f"{value:.1f}"


def verdict(passed: bool | None) -> str:
    return "not measured" if passed is None else "**pass**" if passed else "FAIL"


def header(raw: dict) -> list[str]:
    m, s, v = raw["machine"], raw["settings"], raw["machine"]["versions"]
    corpus = raw["corpus"]
    mode = ("**QUICK run** (smoke test: tiny corpus, 1 repetition; the numbers are not results)"
            if raw["mode"] == "quick" else "Full run")
    subsets = ", ".join(f"{k}: {n} sentences" for k, n in s["model_sentences"].items())
    return [
        "# leanpipe vs transformers: side-by-side benchmark",
        "",
        f"{mode}, {m['date']}. `python bench/run.py {' '.join(raw['argv'])}`".rstrip(),
        "",
        f"- Machine: {m['cpu']}, {m['usable_cores']} usable cores ({m['logical_cores']} logical, "
        f"{m['physical_cores']} physical), {m['memory_gb']} GB RAM, flags {' '.join(m['cpu_flags']) or '—'}",
        f"- Threads: {s['threads']} for every system (onnxruntime intra-op, torch.set_num_threads, OMP/MKL/OpenBLAS env); "
        f"leanpipe's lanes (a call's batches side by side, one core each): LEANPIPE_LANES={m.get('lanes', 'not recorded')}",
        f"- Versions: leanpipe {v['leanpipe']}, onnxruntime {v['onnxruntime']}, onnx {v['onnx']}, torch {v['torch']}, "
        f"transformers {v['transformers']}, tokenizers {v['tokenizers']}, numpy {v['numpy']}, Python {v['python']}",
        f"- Corpus (`bench/corpus.py`, seeded): {corpus['sentences']} sentences, words min/median/p90/max "
        f"{corpus['words_min']}/{corpus['words_median']}/{corpus['words_p90']}/{corpus['words_max']}, "
        f"{corpus['real_tokens']:,} real tokens (mean {corpus['mean_tokens']:.1f} per sentence)",
        f"- Throughput runs use: {subsets}. {s['reps']} round(s) in two long-lived processes, one per library, "
        f"taking turns step by step: leanpipe's pass over a model's sentences, then transformers' (transformers "
        f"first in even-numbered rounds), each after warming up on the first and the longest batch; then "
        f"{s['latency_calls']} single calls each for batch-1 latency; then leanpipe int8 and the torch loop, and int8's batch-1 latency. Tables give each system's median over the "
        f"rounds; a target's ratio is the median of the rounds' own ratios, each between runs seconds apart (this "
        f"shared host's speed drifts by 10-20% within minutes). Cold start: median of {s['cold_repeats']} fresh processes after a discarded warm-up process. "
        f"Import: median of {s['import_repeats']}.",
        f"- fp32 SGEMM (the best of numpy's BLAS and onnxruntime's MLAS over 512²-2048² squares and 768-row "
        f"encoder-shaped products, {s['threads']} threads, best of {s['sgemm_repeats']}, in its own process) right before "
        f"and right after each leanpipe fp32 throughput run: that run's ceiling uses the higher of the two. Also "
        + ", ".join(f"{g:.0f} GFLOP/s ({when})" for when, g in raw["sgemm"].get("measurements", {}).items()) + ".",
        "",
    ]


def targets_table(derived: dict) -> list[str]:
    lines = ["## Targets", "", "| target | model | measured | required | result | detail |", "|---|---|---|---|---|---|"]
    for t in derived["targets"]:
        lines.append(f"| {t['name']} | {t['model']} | {ratio_text(t['measured'], t['required'])} | {t['required']} | "
                     f"{verdict(t['passed'])} | {t['detail']} |")
    return lines + [""]


def int8_table(derived: dict) -> list[str]:
    """The int8 option against the same bounds as fp32's batch-1, cold start and RSS targets (information)."""
    rows = derived.get("int8_option") or []
    if not rows:
        return []
    lines = ["## The int8 option against the same bounds", "",
             "Information, not targets (the targets above are leanpipe's default, fp32; int8 is `quantize=\"int8\"`, "
             "its accuracy in the output agreement table below).", "",
             "| int8 vs transformers | model | measured | bound | within | detail |", "|---|---|---|---|---|---|"]
    for t in rows:
        lines.append(f"| {t['name']} | {t['model']} | {ratio_text(t['measured'], t['required'])} | {t['required']} | "
                     f"{'yes' if t['passed'] else 'no'} | {t['detail']} |")
    return lines + [""]


def throughput_table(raw: dict, derived: dict) -> list[str]:
    lines = ["## Throughput, batch 32 (real = unpadded tokens)", "",
             "| model | system | sentences | seconds | sentences/s | real tokens/s | share of fp32 ceiling |",
             "|---|---|---|---|---|---|---|"]
    for key, d in derived["models"].items():
        n = raw["models"][key]["sentences"]
        for name in SYSTEMS + LIST_SYSTEMS:
            r = d["systems"].get(name)
            if r is None and name in LIST_SYSTEMS:
                continue
            if r is None:
                lines.append(f"| {key} | {name} | {n} | — | — | — | not available (see below) |")
                continue
            lines.append(f"| {key} | {name} | {n} | {r['seconds']:.2f} | {r['sentences_s']:,.1f} | {r['tokens_s']:,.0f} | "
                         f"{100 * r['ceiling_share']:.0f}% |")
        lines.append(f"| {key} | *fp32 ceiling* | | | | {d['ceiling_tokens_s']:,.0f} | 100% |")
    flops = "; ".join(f"{k}: {m['flops']['flops'] / 1e6:.1f} MFLOP/token "
                      f"(L={m['shape']['layers']}, H={m['shape']['hidden']}, F={m['shape']['ffn']}, T̄={m['mean_tokens']:.1f})"
                      for k, m in raw["models"].items())
    notes = sorted({m["leanpipe"]["int8"]["reason"] for m in raw["models"].values()
                    if not m["leanpipe"].get("int8", {}).get("available", True)})
    lists = ("Embeddings are timed as arrays (`return_tensors=True`) for both libraries; the rows marked "
             "*lists* are one run of feature extraction's default output, nested Python lists, for the same sentences.")
    return lines + ["", lists, "", FLOPS_FORMULA, "", flops, ""] + [f"int8: {n}" for n in notes] + ([""] if notes else [])


def latency_cold_table(raw: dict) -> list[str]:
    lines = ["## Batch-1 latency and cold start", "",
             "| model | system | latency median ms | latency p90 ms | cold start s (process start → first result) | peak RSS MB |",
             "|---|---|---|---|---|---|"]
    for key, m in raw["models"].items():
        for lib in ("leanpipe", "transformers", "leanpipe int8"):
            lat = m[lib]["latency"] if lib in m else m["leanpipe"].get("int8_latency", {})
            cold = m["cold_start"].get(lib)
            if "median_ms" not in lat or cold is None:
                continue
            lines.append(f"| {key} | {lib} pipeline | {lat['median_ms']:.1f} | {lat['p90_ms']:.1f} | "
                         f"{cold['seconds']:.2f} | {cold['peak_rss_mb']:.0f} |")
    return lines + [""]


def quality_table(derived: dict) -> list[str]:
    lines = ["## Output agreement (over the throughput sentences)", "", "| model | comparison | result |", "|---|---|---|"]
    for key, d in derived["models"].items():
        for name, q in d["quality"].items():
            text = (f"label agreement {100 * q['agreement']:.2f}% (label 1 for {100 * q['label_1_share']:.0f}% of "
                    f"sentences); max abs ΔP {q['max_abs_diff']:.1e} (p10–p90 spread of P {q['spread']:.1e})" if "agreement" in q
                    else f"cosine mean {q['mean']:.5f}, min {q['min']:.5f}")
            lines.append(f"| {key} | {name} | {text} |")
    return lines + [""]


def install_import_table(raw: dict) -> list[str]:
    lines = ["## Install size and import time", "", "| what | leanpipe | transformers |", "|---|---|---|"]
    install = raw.get("install")
    install = None if install and "error" in install else install
    if install:
        lines.append(f"| site-packages of a fresh venv, MB (pip itself excluded) | {install['leanpipe']['mb']:.0f} | "
                     f"{install['transformers']['mb']:.0f} |")
    else:
        lines.append("| site-packages of a fresh venv | not measured | not measured |")
    imp = raw["imports"]
    lines.append(f"| `import leanpipe`, s (names load lazily) | {imp['import leanpipe']['seconds']:.3f} | |")
    lines.append(f"| `from … import pipeline`, s | {imp['from leanpipe import pipeline']['seconds']:.3f} | "
                 f"{imp['from transformers import pipeline']['seconds']:.3f} |")
    if install:
        lines.append("")
        for side in ("leanpipe", "transformers"):
            big = ", ".join(f"{k} {v:.0f}" for k, v in install[side].get("largest", {}).items())
            lines.append(f"- largest in the {side} venv, MB: {big}")
        lines += ["", f"Install sizes measured with key `{install['key']}` ({install.get('measured', '')}); "
                      "the environments' `pip freeze` are in results.json."]
    return lines + [""]


def markdown(raw: dict, derived: dict) -> str:
    parts = header(raw) + targets_table(derived) + int8_table(derived) + throughput_table(raw, derived) + latency_cold_table(raw)
    parts += quality_table(derived) + install_import_table(raw)
    return "\n".join(parts)


def chart(raw: dict, derived: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [2, 1]})
    keys = list(derived["models"])
    width = 0.8 / len(SYSTEMS)
    for i, name in enumerate(SYSTEMS):
        values = [derived["models"][k]["systems"].get(name, {}).get("tokens_s", 0) for k in keys]
        xs = [g + (i - (len(SYSTEMS) - 1) / 2) * width for g in range(len(keys))]
        bars = left.bar(xs, values, width, label=name)
        for bar, value in zip(bars, values):
            left.annotate(f"{value:,.0f}" if value else "n/a", (bar.get_x() + bar.get_width() / 2, value),
                          ha="center", va="bottom", fontsize=7)
    for g, k in enumerate(keys):
        top = derived["models"][k]["ceiling_tokens_s"]
        left.hlines(top, g - 0.45, g + 0.45, colors="black", linestyles="dashed",
                    label="fp32 ceiling (SGEMM)" if g == 0 else None)
    left.set_xticks(range(len(keys)), keys)
    left.set_ylabel("real tokens / s (batch 32)")
    left.set_title(f"Throughput, {raw['settings']['threads']} threads")
    left.legend(fontsize=8)
    for j, lib in enumerate(("leanpipe", "transformers")):
        values = [raw["models"][k]["cold_start"][lib]["seconds"] for k in keys]
        bars = right.bar([g + (j - 0.5) * 0.35 for g in range(len(keys))], values, 0.35, label=lib)
        for bar, k in zip(bars, keys):
            rss = raw["models"][k]["cold_start"][lib]["peak_rss_mb"]
            right.annotate(f"{rss:.0f} MB", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                           ha="center", va="bottom", fontsize=7)
    right.set_xticks(range(len(keys)), keys)
    right.set_ylabel("seconds, process start → first result")
    right.set_title("Cold start (label: peak RSS)")
    right.legend(fontsize=8)
    if raw["mode"] == "quick":
        fig.suptitle("QUICK run: smoke test, not a result", color="red")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
