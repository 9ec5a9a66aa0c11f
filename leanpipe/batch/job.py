"""What a batch job is: a task and model run on every row of one file, written to another.

The fields that decide the answers (task, model, parameters, columns, the input file itself) are
the job's identity: a job is resumed only by a run with the same identity. Batch size, threads and
rows per part change speed, not answers, so they may differ between runs of one job.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from ..errors import LeanpipeError

DEFAULT_PART_ROWS = 10_000  # rows per part file: a crash loses at most this much work


class JobError(LeanpipeError, ValueError):
    """A batch job cannot start or go on: another job's leftovers, a locked folder, bad options."""


@dataclasses.dataclass(frozen=True)
class BatchJob:
    """`BatchJob("text-classification", "./model", "in.jsonl", "out.jsonl")`.

    `input` and `output` are paths; on Ray they may also be URIs (s3://..., gs://...).
    """

    task: str
    model: str
    input: str
    output: str
    columns: tuple[str, ...] = ("text",)  # one column -> its value is the input; several -> {column: value}
    params: dict[str, Any] = dataclasses.field(default_factory=dict)  # task parameters, e.g. {"top_k": 2}
    result_column: str = "result"
    error_column: str = "error"
    revision: str | None = None
    engine: str = "onnx"
    quantize: str | None = None
    batch_size: int | None = None
    num_threads: int | None = None
    part_rows: int = DEFAULT_PART_ROWS
    work_dir: str | None = None  # default: next to the output, "<output>.parts"

    def __post_init__(self) -> None:
        for name in ("input", "output", "model", "work_dir"):  # accept Path objects; store text
            value = getattr(self, name)
            if isinstance(value, os.PathLike):
                object.__setattr__(self, name, os.fspath(value))
        if self.part_rows < 1:
            raise JobError(f"part_rows must be at least 1, got {self.part_rows}")
        if not self.columns:
            raise JobError("columns is empty; name the input column(s), e.g. ('text',)")
        if self.result_column == self.error_column:
            raise JobError(f"the result and error columns are both named {self.result_column!r}; rename one")

    @property
    def work(self) -> Path:
        """The folder with the part files and the manifest while the job runs."""
        output = Path(self.output)
        return Path(self.work_dir) if self.work_dir is not None else output.with_name(output.name + ".parts")

    def pipeline_options(self) -> dict[str, Any]:
        """Keyword arguments of `pipeline(task, model, ...)` (the task parameters go to each call)."""
        return {"revision": self.revision, "batch_size": self.batch_size, "engine": self.engine,
                "num_threads": self.num_threads, "quantize": self.quantize}

    def identity(self) -> dict[str, Any]:
        """What a manifest records and a resumed run must match; JSON values only."""
        stat = os.stat(self.input)
        return {
            "task": self.task,
            "model": model_key(self.model),
            "revision": self.revision,
            "engine": self.engine,
            "quantize": self.quantize,
            "params": json.loads(json.dumps(self.params, sort_keys=True, default=str)),
            "columns": list(self.columns),
            "result_column": self.result_column,
            "error_column": self.error_column,
            "input": {"path": str(Path(self.input).resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns},
            "output": str(Path(self.output).resolve()),
        }


def model_key(model: str) -> str:
    """A folder as its absolute path ('./m' and '/work/m' are one model); a repo id as given."""
    return str(Path(model).resolve()) if os.path.isdir(model) else str(model)


def differences(recorded: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """`differences({"model": "a"}, {"model": "b"})` -> ["model: 'a' there, 'b' now"]."""
    keys = sorted(set(recorded) | set(now))
    return [f"{k}: {recorded.get(k)!r} there, {now.get(k)!r} now" for k in keys if recorded.get(k) != now.get(k)]
