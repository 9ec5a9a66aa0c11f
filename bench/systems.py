"""The systems under test, one library per child process, loaded once and kept for the whole run:

    python bench/systems.py SPEC.json   # then, on stdin, {"model": "minilm", "step": "pipeline"} per line
                                        # -> one JSON line of timings per step; outputs saved as .npy

- leanpipe: `pipeline(task, model)` at batch 32 over the corpus (with the machine's SGEMM speed measured,
  in another process, right before and right after: the fp32 ceiling of that very run), at batch 1,
  and with quantize="int8";
- transformers: `pipeline(task, model, batch_size=32)` over the corpus and at batch 1, and the
  strongest plain-torch loop a careful user would write (length-sorted batches, inference_mode).

Embeddings come as arrays (`return_tensors=True`, both libraries: the pooling is array work) and
are mean-pooled over each text's real tokens inside the timed region; one extra run (`pipeline_lists`)
times the pipelines' default nested-list output as well. For the two-label classifier each answer becomes P(label 1) (its label is P > 0.5); the orchestrator compares the saved arrays (int8 vs fp32, leanpipe vs transformers).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkpoints import token_counts  # noqa: E402
from corpus import make_corpus  # noqa: E402
from measure import median, percentile, sgemm_gflops  # noqa: E402

BATCH = 32


def pooled(features: Any, n_tokens: int) -> np.ndarray:
    """Mean of (1, T, H) features (nested lists, NumPy or torch) over the first n_tokens rows
    (transformers pads each text's features to its batch's length)."""
    return np.asarray(features[0][:n_tokens], dtype=np.float32).mean(axis=0)


def pipeline_outputs(pipe: Any, model: dict, texts: list[str], counts: list[int], **call: Any) -> np.ndarray:
    """Run the pipeline over all texts; (N, H) mean-pooled embeddings or (N,) P(label 1)."""
    results = pipe(texts, truncation=True, **call)
    if model["kind"] == "embed":
        return np.stack([pooled(r, n) for r, n in zip(results, counts)])
    return np.array([positive_score(pipe, r) for r in results], dtype=np.float64)


def positive_score(pipe: Any, result: dict) -> float:
    """P(label 1) from the pipeline's best {label, score} (two labels: the other one has 1 - score)."""
    label_id = pipe.model.config.label2id[result["label"]]
    return result["score"] if label_id == 1 else 1.0 - result["score"]


def single_output(pipe: Any, model: dict, text: str, n_tokens: int) -> Any:
    result = pipe(text, truncation=True, **array_output(model))
    return pooled(result, n_tokens) if model["kind"] == "embed" else result[0]["label"]


def throughput(run: Callable[[], np.ndarray], warmup: Callable[[], object], reps: int) -> tuple[dict, np.ndarray]:
    """Median wall time of `reps` full runs after one warm-up call; returns the last run's outputs."""
    warmup()
    runs, outputs = [], None
    for _ in range(reps):
        start = time.perf_counter()
        outputs = run()
        runs.append(time.perf_counter() - start)
    return {"seconds": median(runs), "runs": runs}, outputs


def latency(call: Callable[[int], object], n_texts: int, calls: int) -> dict:
    """Batch-1 latency: `calls` single calls cycling through the corpus, after 5 warm-up calls."""
    for i in range(5):
        call(i % n_texts)
    times = []
    for i in range(calls):
        start = time.perf_counter()
        call(i % n_texts)
        times.append(time.perf_counter() - start)
    return {"median_ms": 1000 * median(times), "p90_ms": 1000 * percentile(times, 0.9), "calls": calls}


def array_output(model: dict) -> dict[str, Any]:
    """Feature extraction as arrays: what a user who pools the features asks for."""
    return {"return_tensors": True} if model["kind"] == "embed" else {}


def warmup(texts: list[str], counts: list[int]) -> tuple[list[str], list[int]]:
    """The warm-up before a process's timed run: its first batch and its longest batch, so every
    library has met the largest shapes and grown its buffers before the clock starts."""
    longest = sorted(range(len(texts)), key=counts.__getitem__)[-BATCH:]
    picked = list(range(min(BATCH, len(texts)))) + longest
    return [texts[i] for i in picked], [counts[i] for i in picked]


def measure_pipeline(pipe: Any, model: dict, spec: dict, reps: int | None = None, **call: Any) -> tuple[dict, np.ndarray]:
    texts = make_corpus(spec["corpus_size"])[: model["sentences"]]
    counts = token_counts(model["path"], texts)
    return throughput(lambda: pipeline_outputs(pipe, model, texts, counts, **call),
                      lambda: pipeline_outputs(pipe, model, *warmup(texts, counts), **call), reps or spec["reps"])


def measure_lists(pipe: Any, model: dict, spec: dict, **call: Any) -> dict:
    """Feature extraction's default output (nested Python lists), one timed run: the cost of the lists
    (in the first round only)."""
    if model["kind"] != "embed" or not spec.get("lists", True):
        return {}
    timing, _ = measure_pipeline(pipe, model, spec, reps=1, **call)
    return timing


def measure_latency(pipe: Any, model: dict, spec: dict) -> dict:
    texts = make_corpus(spec["corpus_size"])
    counts = token_counts(model["path"], texts)
    return latency(lambda i: single_output(pipe, model, texts[i], counts[i]), len(texts), spec["latency_calls"])


def save(spec: dict, name: str, outputs: np.ndarray) -> str:
    path = Path(spec["out_dir"]) / f"{name}.npy"
    np.save(path, outputs)
    return str(path)


class Leanpipe:
    """leanpipe's systems for one model, loaded once: each step one timed measurement."""

    steps = ("pipeline", "lists", "latency", "int8", "int8_latency")

    def __init__(self, model: dict, spec: dict) -> None:
        from leanpipe import pipeline

        self.model, self.spec = model, spec
        start = time.perf_counter()
        self.pipe = pipeline(model["task"], model=model["path"], num_threads=spec["threads"])
        self.load_seconds = time.perf_counter() - start
        self.int8_pipe: Any = None

    def pipeline(self) -> dict:
        spec, model = self.spec, self.model
        before = sgemm_gflops(spec["threads"], spec["sgemm_repeats"])["gflops"]  # the machine's speed right now
        result, outputs = measure_pipeline(self.pipe, model, spec, batch_size=BATCH, **array_output(model))
        result["sgemm_around"] = [before, sgemm_gflops(spec["threads"], spec["sgemm_repeats"])["gflops"]]
        result["outputs"] = save(spec, f"leanpipe-{model['key']}-fp32", outputs)
        return result

    def lists(self) -> dict:
        return measure_lists(self.pipe, self.model, self.spec, batch_size=BATCH)

    def latency(self) -> dict:
        return measure_latency(self.pipe, self.model, self.spec)

    def _int8(self) -> dict | None:
        """Load the int8 pipeline once; None, or why it is not available."""
        from leanpipe import pipeline

        if self.int8_pipe is None:
            try:
                self.int8_pipe = pipeline(self.model["task"], model=self.model["path"], num_threads=self.spec["threads"],
                                          quantize="int8")
            except TypeError as exc:
                return {"available": False, "reason": f"not available: {exc}"}
            except Exception as exc:  # a failure of the new option must not sink the whole benchmark
                return {"available": False, "reason": f"failed: {type(exc).__name__}: {exc}"}
        return None

    def int8(self) -> dict:
        if missing := self._int8():
            return missing
        result, outputs = measure_pipeline(self.int8_pipe, self.model, self.spec, batch_size=BATCH, **array_output(self.model))
        result.update(available=True, outputs=save(self.spec, f"leanpipe-{self.model['key']}-int8", outputs))
        return result

    def int8_latency(self) -> dict:
        """Batch-1 latency of the int8 option (information beside the fp32 targets)."""
        return self._int8() or measure_latency(self.int8_pipe, self.model, self.spec)


def torch_loop(tokenizer: Any, model: Any, texts: list[str], kind: str) -> np.ndarray:
    """What a careful torch user writes: inference_mode, batches of 32 sorted by token length,
    mean pooling (embeddings) or softmax (labels) in torch, results in input order."""
    import torch

    with torch.inference_mode():
        lengths = [len(ids) for ids in tokenizer(texts, truncation=True)["input_ids"]]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        out: list[Any] = [None] * len(texts)
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            batch = tokenizer([texts[i] for i in rows], padding=True, truncation=True, return_tensors="pt")
            output = model(**batch)
            if kind == "embed":
                mask = batch["attention_mask"].unsqueeze(-1).to(output.last_hidden_state.dtype)  # (B, T, 1)
                values = (output.last_hidden_state * mask).sum(1) / mask.sum(1)  # (B, H)
            else:
                values = output.logits.softmax(-1)[:, 1]  # (B,) P(label 1); the label is its argmax
            for row, i in enumerate(rows):
                out[i] = values[row]
        return torch.stack(out).numpy()


class Transformers:
    """transformers' pipeline and the sorted torch loop for one model, loaded once."""

    steps = ("pipeline", "lists", "latency", "torch_loop")

    def __init__(self, model: dict, spec: dict) -> None:
        import torch
        from transformers import pipeline

        torch.set_num_threads(spec["threads"])
        self.model, self.spec = model, spec
        start = time.perf_counter()
        self.pipe = pipeline(model["task"], model=model["path"], batch_size=BATCH, device="cpu")
        self.load_seconds = time.perf_counter() - start
        self.pipe.model.eval()

    def pipeline(self) -> dict:
        result, outputs = measure_pipeline(self.pipe, self.model, self.spec, **array_output(self.model))
        result["outputs"] = save(self.spec, f"transformers-{self.model['key']}", outputs)
        return result

    def lists(self) -> dict:
        return measure_lists(self.pipe, self.model, self.spec)

    def latency(self) -> dict:
        return measure_latency(self.pipe, self.model, self.spec)

    def torch_loop(self) -> dict:
        import torch

        texts = make_corpus(self.spec["corpus_size"])[: self.model["sentences"]]
        counts = token_counts(self.model["path"], texts)
        tok, net, kind = self.pipe.tokenizer, self.pipe.model, self.model["kind"]
        result, outputs = throughput(lambda: torch_loop(tok, net, texts, kind),
                                     lambda: torch_loop(tok, net, warmup(texts, counts)[0], kind), self.spec["reps"])
        result["outputs"] = save(self.spec, f"torchloop-{self.model['key']}", outputs)
        result["torch_threads"] = torch.get_num_threads()
        return result


SYSTEMS = {"leanpipe": Leanpipe, "transformers": Transformers}


def serve(spec_path: str) -> None:
    """Load one library's systems for every model in the spec, say so, then run the steps asked for on
    stdin, one JSON line each ({"model": key, "step": name}), answering each with one JSON line.
    Whatever else writes to stdout (a library's print, C code) goes to stderr, so it cannot garble them."""
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    spec = json.loads(Path(spec_path).read_text())
    Path(spec["out_dir"]).mkdir(parents=True, exist_ok=True)
    systems = {m["key"]: SYSTEMS[spec["library"]](m, spec) for m in spec["models"]}
    answers.write(json.dumps({"load_seconds": {k: s.load_seconds for k, s in systems.items()}}) + "\n")
    answers.flush()
    for line in sys.stdin:
        ask = json.loads(line)
        system = systems[ask["model"]]
        if ask["step"] not in system.steps:
            raise ValueError(f"{spec['library']} has no step {ask['step']!r}; it has {system.steps}")
        answers.write(json.dumps(getattr(system, ask["step"])()) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve(sys.argv[1])
