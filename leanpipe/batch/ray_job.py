"""`run_ray(job)`: the batch job on Ray Data, for a cluster.

    read_json / read_csv / read_parquet ─▶ map_batches(Scorer, actor pool) ─▶ write_json / write_csv / write_parquet

Each actor loads the model once (`Scorer.__init__`) and answers blocks of `part_rows` rows with
`num_threads` engine threads, and Ray reserves `num_cpus=num_threads` for it, so no core runs two
things. One CPU stays out of the pool: Ray Data starts the actors first, and if they hold every
CPU its own tasks (listing, reading, writing files) never start and the job hangs
(ray-project/ray#44687; seen here with Ray 2.60 on 2 CPUs, for Parquet even with num_cpus=0 reads).

Rows keep their columns and get `result` (the answer as JSON text) and `error`, as in the local
job; the output is a folder of files, not in input order (keep an id column). A Ray job has no
checkpoint: Ray retries failed tasks and restarts dead actors itself. Needs `pip install 'leanpipe[ray]'`.
Through Ray Client (a ray:// address) the driver part (`drive`) runs as a task on the cluster.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any

from ..cli.common import to_jsonable
from ..cli.files import FORMATS, file_format
from .job import BatchJob, JobError
from .outcomes import answer_rows

RESERVED_CPUS = 1  # for Ray Data's own tasks: listing, reading and writing files


@dataclasses.dataclass(frozen=True)
class RaySummary:
    rows: int
    errors: int
    actors: int
    threads: int
    seconds: float


def run_ray(job: BatchJob, *, address: str | None = None, actors: int | None = None, resume: bool = True) -> RaySummary:
    """Run `job` on Ray: the cluster at `address` (or $RAY_ADDRESS, else a new local instance),
    or the one this process is already connected to. `resume=False` replaces an existing output."""
    ray = import_ray()
    start = time.monotonic()
    file_format(job.input), output_format(job)  # an unknown format fails here, before connecting
    if not ray.is_initialized():
        connect(ray, address)
    if ray.util.client.ray.is_connected():
        # Ray Client (ray://): Ray Data cannot run its executor in the client process, so the job's
        # driver runs as a task on the cluster, which reads the input, loads the model and writes the output
        # there; local paths go as absolute paths, so a cluster on this machine finds what the user named
        try:
            rows, errors, actors, threads = ray.get(ray.remote(num_cpus=0)(drive).remote(absolute_paths(job), actors, resume))
        except ray.exceptions.RayTaskError as exc:  # the driver's own error, without Ray's remote traceback
            raise exc.cause if isinstance(exc.cause, JobError) else exc from None
    else:
        rows, errors, actors, threads = drive(job, actors, resume)
    return RaySummary(rows, errors, actors, threads, time.monotonic() - start)


def drive(job: BatchJob, actors: int | None, resume: bool) -> tuple[int, int, int, int]:
    """Read, score and write on the connected Ray cluster: (rows, failed rows, actors, threads per actor)."""
    ray = import_ray()
    fmt_in, fmt_out = file_format(job.input), output_format(job)
    check_output(job.output, resume)
    threads = job.num_threads or 1
    actors = plan_actors(int(ray.cluster_resources().get("CPU", 0)), threads, actors)
    scored = read(ray, job, fmt_in).map_batches(
        Scorer, fn_constructor_kwargs={"job": dataclasses.replace(job, num_threads=threads)},
        batch_size=job.part_rows, batch_format="pyarrow", num_cpus=threads,
        compute=ray.data.ActorPoolStrategy(size=actors))
    write(scored, job.output, fmt_out, "overwrite" if not resume else "error")
    rows, errors = count(ray, job, fmt_out)
    return rows, errors, actors, threads


def absolute_paths(job: BatchJob) -> BatchJob:
    """Relative local paths made absolute (this process' working directory is not a Ray worker's);
    URIs (s3://...) and a model that is a repo id, not a local folder, as they are."""
    def absolute(path: str) -> str:
        return path if "://" in path else os.path.abspath(path)

    model = os.path.abspath(job.model) if os.path.exists(job.model) else job.model
    return dataclasses.replace(job, input=absolute(job.input), output=absolute(job.output), model=model)


def connect(ray: Any, address: str | None, attempts: int = 3) -> None:
    """ray.init(address): a JobError that says what to check when a ray:// client server does not answer.
    A client server that fails to start this session's own server (on a head whose agents are still
    starting: "Initialization failure from server", seen right after `ray start`) is asked again."""
    target = address or os.environ.get("RAY_ADDRESS", "")
    for attempt in range(attempts):
        try:
            ray.init(address=address)
            return
        except ConnectionError as exc:
            transient = "Initialization failure from server" in str(exc) and attempt + 1 < attempts
            if not transient:
                _connection_failed(exc, target)
            time.sleep(2)


def _connection_failed(exc: ConnectionError, target: str) -> None:
    """Ray's own error for a cluster address; for a ray:// address, a JobError naming what to check."""
    if not target.startswith("ray://"):
        raise exc
    raise JobError(
        f"could not connect to the Ray client server at {target} ({exc}): check the host and port (the head's "
        f"--ray-client-server-port, 10001 by default); a cluster with token authentication (Ray 2.59+ turns it on "
        f"for clusters started with `ray start`) also needs RAY_AUTH_MODE=token here, with its token in "
        f"RAY_AUTH_TOKEN or ~/.ray/auth_token (`ray get-auth-token` on the head prints it)") from None


def import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise JobError("--ray needs Ray Data: pip install 'leanpipe[ray]'") from None
    return ray


def output_format(job: BatchJob) -> str:
    """The output folder's format: from its name (`scored.parquet/`) if it has a known extension, else the input's."""
    suffix = Path(job.output.rstrip("/")).suffix.lower()
    return FORMATS[suffix] if suffix in FORMATS else file_format(job.input)


def check_output(output: str, resume: bool) -> None:
    """A local output folder that already has files is replaced only on request (Ray would add to it)."""
    if "://" in output or not resume:
        return  # a remote folder: Ray's own mode="error" refuses an existing one
    path = Path(output)
    if path.is_file() or (path.is_dir() and any(path.iterdir())):
        raise JobError(f"{output} already exists; pass --no-resume (resume=False) to replace it, or choose another "
                       f"--output (Ray jobs are not resumed: Ray retries failed tasks itself)")


def plan_actors(cpus: int, threads: int, actors: int | None) -> int:
    """`plan_actors(9, 2, None)` -> 4: as many replicas as fit, each with `threads` cores of its own,
    leaving one CPU for reading and writing."""
    free = cpus - RESERVED_CPUS
    if free < threads:
        raise JobError(f"the Ray cluster has {cpus} CPUs and Ray Data needs {RESERVED_CPUS} for reading and writing; "
                       f"--num-threads {threads} per actor does not fit in the other {free}")
    if actors is None:
        return free // threads
    if actors * threads > free:
        raise JobError(f"--actors {actors} x --num-threads {threads} = {actors * threads} CPUs, but the Ray cluster "
                       f"has {cpus}, one of them for reading and writing; use at most --actors {free // threads}")
    return actors


def read(ray: Any, job: BatchJob, fmt: str) -> Any:
    if fmt == "jsonl":
        return ray.data.read_json(job.input)
    if fmt == "parquet":
        return ray.data.read_parquet(job.input)
    import pyarrow as pa
    import pyarrow.csv as pacsv

    # CSV cells are text, as in the local job: no number guessing for the input columns
    return ray.data.read_csv(job.input, parse_options=pacsv.ParseOptions(delimiter="\t" if fmt == "tsv" else ","),
                             convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in job.columns}))


def write(ds: Any, output: str, fmt: str, mode: str) -> None:
    if fmt == "jsonl":
        ds.write_json(output, mode=mode)
    elif fmt == "parquet":
        ds.write_parquet(output, mode=mode)
    else:
        import pyarrow.csv as pacsv

        delimiter = "\t" if fmt == "tsv" else ","
        ds.write_csv(output, mode=mode, arrow_csv_args_fn=lambda: {"write_options": pacsv.WriteOptions(delimiter=delimiter)})


def count(ray: Any, job: BatchJob, fmt: str) -> tuple[int, int]:
    """(rows, failed rows) in the written output, read back (Parquet: only the error column)."""
    tallies = read(ray, dataclasses.replace(job, input=job.output), fmt).select_columns([job.error_column]).map_batches(
        _tally, fn_kwargs={"column": job.error_column}, batch_format="pyarrow", batch_size=None)
    rows = errors = 0
    for tally in tallies.iter_rows():
        rows, errors = rows + tally["rows"], errors + tally["errors"]
    return rows, errors


def _tally(table: Any, column: str) -> dict[str, list[int]]:
    errors = table.column(column).to_pylist()  # None, or "" in CSV, for rows that did not fail
    return {"rows": [table.num_rows], "errors": [sum(1 for e in errors if e)]}


class Scorer:
    """One model replica in a Ray actor: the model loads once, then each call answers a block of rows.

    `Scorer(job)(table)` -> the table with the result column (JSON text) and the error column added.
    """

    def __init__(self, job: BatchJob) -> None:
        from .local import load_pipeline

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # the actor's cores are the engine's
        self.job = job
        self.pipe = load_pipeline(job)

    def __call__(self, table: Any) -> Any:
        import pyarrow as pa

        for name in (self.job.result_column, self.job.error_column):
            if name in table.column_names:
                raise JobError(f"the input already has a column {name!r}; name the added columns with "
                               f"--result-column / --error-column")
        outcomes = answer_rows(self.pipe, table.to_pylist(), self.job.columns, self.job.params)
        results = [None if error is not None else json.dumps(to_jsonable(answer), ensure_ascii=False)
                   for answer, error in outcomes]
        table = table.append_column(self.job.result_column, pa.array(results, pa.string()))
        return table.append_column(self.job.error_column, pa.array([e for _, e in outcomes], pa.string()))
