"""Row files for `leanpipe run --input/--output`: JSON Lines, CSV/TSV, Parquet (with pyarrow).

Rows are read and written one at a time (Parquet: a record batch at a time), so a file larger
than memory streams through. Every row comes back with its columns and one result column added:
in JSON Lines the result is a JSON value; in CSV and Parquet it is a JSON string. Batch jobs
(`leanpipe batch`) add an error column too: the message for a row that failed, else null/empty.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, Iterator

from .common import CliError, dumps, to_jsonable

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
PARQUET_BATCH = 1024  # rows per Parquet record batch, read and written


def file_format(path: str | os.PathLike) -> str:
    """'data.csv' -> 'csv', from the extension; anything else is an error naming the supported ones."""
    found = FORMATS.get(Path(path).suffix.lower())
    if found is None:
        raise CliError(f"{path}: unknown file type {Path(path).suffix or '(no extension)'!r}; "
                       f"use one of {', '.join(FORMATS)}")
    return found


def require_pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise CliError("Parquet files need pyarrow: pip install 'leanpipe[files]'") from None
    return pyarrow


def read_rows(path: str | os.PathLike, fmt: str) -> Iterator[dict[str, Any]]:
    """The rows of a file as dicts, lazily; errors name the file and the line."""
    if not Path(path).is_file():
        raise CliError(f"cannot read {path}: no such file")
    if fmt == "jsonl":
        return _read_jsonl(path)
    if fmt in ("csv", "tsv"):
        return _read_csv(path, "\t" if fmt == "tsv" else ",")
    return _read_parquet(require_pyarrow(), path)  # pyarrow checked now, before any model loads


def _read_jsonl(path: str | os.PathLike) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise CliError(f"{path} line {number} is not JSON ({exc})") from None
            if not isinstance(row, dict):
                raise CliError(f"{path} line {number} is a JSON {type(row).__name__}; each line must be an object")
            yield row


def _read_csv(path: str | os.PathLike, delimiter: str) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        yield from csv.DictReader(f, delimiter=delimiter)


def _read_parquet(pa: Any, path: str | os.PathLike) -> Iterator[dict[str, Any]]:
    for batch in pa.parquet.ParquetFile(path).iter_batches(batch_size=PARQUET_BATCH):
        yield from batch.to_pylist()


def count_rows(path: str | os.PathLike, fmt: str) -> int | None:
    """Rows in the file, for the progress bar (a fast line count; None when unknown)."""
    if fmt == "parquet":
        return require_pyarrow().parquet.ParquetFile(path).metadata.num_rows
    lines = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            lines += block.count(b"\n")
    return max(lines - (fmt != "jsonl"), 0)  # CSV/TSV: minus the header (quoted newlines make this approximate)


def parquet_schema(path: str | os.PathLike) -> Any:
    return require_pyarrow().parquet.ParquetFile(path).schema_arrow


class RowWriter:
    """Writes rows, each with `result_column` added, to a file (or stdout for JSON Lines/CSV/TSV).

    With `error_column`, every row also gets that column: None, or the message of a row that
    failed (whose result is then None). `columns` fixes the CSV header (default: the first row's).
    """

    def __init__(self, path: str | os.PathLike | None, fmt: str, result_column: str, schema: Any = None, *,
                 error_column: str | None = None, columns: list[str] | None = None) -> None:
        self.fmt, self.result_column, self.error_column, self.schema = fmt, result_column, error_column, schema
        if fmt == "parquet" and (path is None or schema is None):
            raise CliError("Parquet output needs a Parquet input and an --output file; write .jsonl or .csv instead")
        self._file = None if path is None or fmt == "parquet" else open(path, "w", encoding="utf-8", newline="")
        self._stream = self._file
        self._path = path
        self._csv: csv.DictWriter | None = None
        self._columns = columns
        self._buffer: list[dict[str, Any]] = []
        self._parquet: Any = None

    def use_stdout(self, stream: Any) -> None:
        self._stream = stream

    def write(self, row: dict[str, Any], result: Any, error: str | None = None) -> None:
        for name, option in ((self.result_column, "--result-column"), (self.error_column, "--error-column")):
            if name in row:
                raise CliError(f"the input already has a column {name!r}; name the added column with {option}")
        if self.fmt == "jsonl":
            self._stream.write(dumps({**row, **self._added(result, error)}) + "\n")
        elif self.fmt in ("csv", "tsv"):
            self._write_csv(row, result, error)
        else:
            json_result = None if error is not None else json.dumps(to_jsonable(result), ensure_ascii=False)
            self._buffer.append({**row, **self._added(json_result, error)})
            if len(self._buffer) >= PARQUET_BATCH:
                self._flush_parquet()

    def _added(self, result: Any, error: str | None) -> dict[str, Any]:
        """The columns this writer adds: {result: ...} or {result: ..., error: ...}."""
        if self.error_column is None:
            return {self.result_column: result}
        return {self.result_column: None if error is not None else result, self.error_column: error}

    def _write_csv(self, row: dict[str, Any], result: Any, error: str | None) -> None:
        if self._csv is None:
            self._columns = [*(self._columns if self._columns is not None else row), *self._added(None, None)]
            self._csv = csv.DictWriter(self._stream, self._columns, delimiter="\t" if self.fmt == "tsv" else ",")
            self._csv.writeheader()
        extra = sorted(set(row) - set(self._columns or []))
        if extra:
            raise CliError(f"a row has columns {extra} that the first row lacks; CSV output needs the same columns in every row")
        cell = result if isinstance(result, str) else json.dumps(to_jsonable(result), ensure_ascii=False)
        added = self._added("" if error is not None else cell, error)  # a failed row: empty result cell
        self._csv.writerow({**{k: _csv_cell(v) for k, v in row.items()}, **added})

    def _flush_parquet(self) -> None:
        pa = require_pyarrow()
        if self._parquet is None:
            self.schema = output_schema(self.schema, [*self._added(None, None)])
            self._parquet = pa.parquet.ParquetWriter(self._path, self.schema)
        if self._buffer:
            self._parquet.write_batch(pa.RecordBatch.from_pylist(self._buffer, schema=self.schema))
            self._buffer = []

    def close(self) -> None:
        if self.fmt == "parquet":
            self._flush_parquet()
            self._parquet.close()
        if self._file is not None:
            self._file.close()
        elif self._stream is not None:
            self._stream.flush()


def output_schema(input_schema: Any, added: list[str]) -> Any:
    """A Parquet input's schema with the added (JSON text) columns at the end."""
    pa = require_pyarrow()
    for name in added:
        input_schema = input_schema.append(pa.field(name, pa.string()))
    return input_schema


def _csv_cell(value: Any) -> Any:
    """A non-text cell (from a JSON Lines or Parquet input) as CSV text: nested values as JSON."""
    return json.dumps(to_jsonable(value), ensure_ascii=False) if isinstance(value, (dict, list)) else value
