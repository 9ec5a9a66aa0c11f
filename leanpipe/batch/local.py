"""`run_batch(job)`: a batch job on this machine, resumable after a crash.

The input streams through in blocks of `part_rows` rows; each block becomes a part file, then the
manifest records it. Killed at any moment, the next run with the same job skips the rows the
manifest counts and goes on, so no row is lost or written twice. When every row is done, the
parts are joined into the output (which appears complete, never half-written) and the work folder
is removed.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import itertools
import logging
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from ..cli.files import file_format, read_rows
from .job import BatchJob, JobError, differences
from .manifest import FILE, Manifest
from .outcomes import answer_rows
from .parts import PREFIX, assemble, part_path, remove_stale, write_part

log = logging.getLogger(__name__)
LOCK = "lock"


@dataclasses.dataclass(frozen=True)
class Summary:
    rows: int  # rows in the output
    errors: int  # rows with an error instead of a result
    resumed_at: int  # rows already done when this run started
    seconds: float


def run_batch(job: BatchJob, *, resume: bool = True, on_rows: Callable[[int], None] | None = None) -> Summary:
    """Run (or resume) `job`; `on_rows(n)` is called as rows finish (for a progress bar).

    resume=False discards the work folder of an earlier run and replaces an existing output.
    """
    start = time.monotonic()
    fmt_in, fmt_out = check_formats(job)
    job.work.mkdir(parents=True, exist_ok=True)
    with locked(job.work):
        manifest = open_manifest(job, resume)
        resumed_at = manifest.rows_done
        if on_rows and resumed_at:
            on_rows(resumed_at)
        if not manifest.finished:
            run_parts(job, manifest, fmt_in, fmt_out, on_rows)
        if not manifest.assembled:
            parts = [part_path(job.work, i, Path(job.output)) for i in range(len(manifest.parts))]
            assemble(parts, job, fmt_out, manifest.columns)
            manifest.assembled = True
            manifest.save(job.work)
        remove_work(job.work, Path(job.output))
    return Summary(manifest.rows_done, manifest.errors, resumed_at, time.monotonic() - start)


def check_formats(job: BatchJob) -> tuple[str, str]:
    fmt_in, fmt_out = file_format(job.input), file_format(job.output)
    if not Path(job.input).is_file():
        raise JobError(f"cannot read {job.input}: no such file")
    if Path(job.input).resolve() == Path(job.output).resolve():
        raise JobError("the output must differ from the input (the input is read while the output is written)")
    if fmt_out == "parquet" and fmt_in != "parquet":
        raise JobError("Parquet output needs a Parquet input (its schema); write .jsonl or .csv instead")
    return fmt_in, fmt_out


@contextlib.contextmanager
def locked(work: Path) -> Iterator[None]:
    """One process per work folder; the lock dies with its process, even on SIGKILL."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; run one job per output
        yield
        return
    with open(work / LOCK, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise JobError(f"another `leanpipe batch` is running on {work}; wait for it or stop it first") from None
        yield


def open_manifest(job: BatchJob, resume: bool) -> Manifest:
    """The manifest of the run to continue, or a fresh one (after checking nothing is overwritten by mistake)."""
    identity = job.identity()
    found = Manifest.load(job.work)
    if found is not None and resume and (found.rows_done or found.finished):  # nothing done: nothing to keep
        diffs = differences(found.job, identity)
        if diffs:
            raise JobError(f"{job.work / FILE} belongs to another job ({'; '.join(diffs)}); rerun with that job's "
                           f"arguments to resume it, or pass --no-resume (resume=False) to discard its "
                           f"{found.rows_done:,} done rows and start over")
        log.info("resuming %s: %d rows done in %d parts", job.work, found.rows_done, len(found.parts))
        remove_stale(job.work, len(found.parts), Path(job.output))
        return found
    if resume and Path(job.output).exists():
        raise JobError(f"{job.output} already exists (from a finished job?); pass --no-resume (resume=False) "
                       f"to compute it again and replace it, or choose another output")
    remove_stale(job.work, 0, Path(job.output))
    manifest = Manifest(job=identity)
    manifest.save(job.work)
    return manifest


def run_parts(job: BatchJob, manifest: Manifest, fmt_in: str, fmt_out: str,
              on_rows: Callable[[int], None] | None) -> None:
    rows = read_rows(job.input, fmt_in)
    collections.deque(itertools.islice(rows, manifest.rows_done), maxlen=0)  # skip the rows already done
    pipe = None
    while block := list(itertools.islice(rows, job.part_rows)):
        if manifest.columns is None:
            manifest.columns = first_columns(block[0], job)
        if pipe is None:
            pipe = load_pipeline(job)
        outcomes = answer_rows(pipe, block, job.columns, job.params)
        write_part(part_path(job.work, len(manifest.parts), Path(job.output)), job, fmt_out, block, outcomes,
                   manifest.columns)
        manifest.add_part(len(block), sum(error is not None for _, error in outcomes))
        manifest.save(job.work)
        if on_rows:
            on_rows(len(block))
    manifest.finished = True
    manifest.save(job.work)


def first_columns(row: dict[str, Any], job: BatchJob) -> list[str]:
    """The first row's columns (every part's CSV header); a column missing there is a typo, not a bad row."""
    missing = [c for c in job.columns if c not in row]
    if missing:
        raise JobError(f"{job.input}: the first row has no column {missing[0]!r}; its columns are {list(row)} "
                       f"(choose with --column)")
    return list(row)


def load_pipeline(job: BatchJob) -> Any:
    """The job's pipeline; its parameters are checked now (TypeError, InputError), not once per row.

    They are passed per call, as `leanpipe run` does, so each result is `pipe(value, **params)`
    (transformers answers `top_k` given to `pipeline()` in another shape than `top_k` given to the call)."""
    from ..pipeline import pipeline

    pipe = pipeline(job.task, model=job.model, **job.pipeline_options())
    list(pipe.answers([], **job.params))  # answers nothing; raises on a bad parameter
    return pipe


def remove_work(work: Path, output: Path) -> None:
    """The output is in place: delete the parts, then the manifest, then the folder if nothing else is in it."""
    for path in sorted(work.glob(f"{PREFIX}*{output.suffix}")):
        path.unlink()
    for name in (FILE, LOCK):
        with contextlib.suppress(FileNotFoundError):
            (work / name).unlink()
    with contextlib.suppress(OSError):
        work.rmdir()
