"""Part files of a batch job and the final output assembled from them.

`part-00000.jsonl`, `part-00001.jsonl`, ... each hold `part_rows` consecutive input rows (the
last one fewer) with the result and error columns added, in the output's format. Each appears
only when complete (written under a temporary name, fsynced, renamed), and so does the output.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any, Sequence

from ..cli.files import RowWriter, output_schema, parquet_schema, require_pyarrow
from .durable import TMP_SUFFIX, atomic_path
from .job import BatchJob
from .outcomes import Outcome

PREFIX = "part-"


def part_path(work: Path, index: int, output: Path) -> Path:
    """`part_path(Path("w"), 3, Path("out.csv"))` -> w/part-00003.csv."""
    return work / f"{PREFIX}{index:05d}{output.suffix}"


def write_part(path: Path, job: BatchJob, fmt: str, rows: Sequence[dict[str, Any]], outcomes: Sequence[Outcome],
               columns: list[str]) -> None:
    """One part file, complete or absent."""
    schema = parquet_schema(job.input) if fmt == "parquet" else None
    with atomic_path(path) as tmp:
        writer = RowWriter(tmp, fmt, job.result_column, schema, error_column=job.error_column, columns=columns)
        try:
            for row, (answer, error) in zip(rows, outcomes):
                writer.write(row, answer, error)
        finally:
            writer.close()


def remove_stale(work: Path, keep: int, output: Path) -> None:
    """Delete temporary files and parts a crash left after the last one the manifest counts."""
    for path in work.iterdir():
        if path.name.endswith(TMP_SUFFIX):
            path.unlink()
        elif path.name.startswith(PREFIX) and path.suffix == output.suffix and _index(path) >= keep:
            path.unlink()


def _index(path: Path) -> int:
    digits = path.stem[len(PREFIX):]
    return int(digits) if digits.isdigit() else -1


def assemble(parts: list[Path], job: BatchJob, fmt: str, columns: list[str] | None) -> None:
    """The parts, in order, as one output file that appears complete (CSV: one header)."""
    with atomic_path(Path(job.output)) as tmp:
        if fmt == "parquet":
            _join_parquet(parts, tmp, output_schema(parquet_schema(job.input), [job.result_column, job.error_column]))
        else:
            header = _csv_header(columns, job, fmt) if fmt in ("csv", "tsv") else b""
            _join_text(parts, tmp, header)


def _csv_header(columns: list[str] | None, job: BatchJob, fmt: str) -> bytes:
    """The header line RowWriter writes at the top of every CSV part (empty if no row was read)."""
    if columns is None:
        return b""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter="\t" if fmt == "tsv" else ",").writerow([*columns, job.result_column, job.error_column])
    return buffer.getvalue().encode("utf-8")


def _join_text(parts: list[Path], target: Path, header: bytes) -> None:
    """JSON Lines: the parts one after another; CSV: the header once, then each part without it."""
    with open(target, "wb") as out:
        out.write(header)
        for part in parts:
            with open(part, "rb") as f:
                if header and f.read(len(header)) != header:
                    raise AssertionError(f"{part} does not start with the header the job wrote")
                shutil.copyfileobj(f, out, 1 << 20)


def _join_parquet(parts: list[Path], target: Path, schema: Any) -> None:
    pq = require_pyarrow().parquet
    with pq.ParquetWriter(target, schema) as writer:
        for part in parts:  # a part is at most part_rows rows: one row group each
            writer.write_table(pq.read_table(part, schema=schema))
