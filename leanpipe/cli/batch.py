"""`leanpipe batch TASK [-m M] -i IN -o OUT`: a task on every row of a large file, resumable
(without -m, the task's default checkpoint, as `pipeline(TASK)` takes it).

Unlike `run --input`, the output is written in part files with a checkpoint, so a job killed at
any point continues where it stopped when the same command runs again; a failing row gets an
error column instead of stopping the job; the output file appears only when complete.
With --ray the same job runs on Ray Data (a local instance or a cluster).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import CliError, add_model_options, model_and_revision, parse_params, positive_int
from .files import count_rows, file_format
from .progress import progress

EXAMPLES = """examples:
  leanpipe batch text-classification -m ./my-classifier -i reviews.jsonl -o scored.jsonl
  leanpipe batch sentence-embeddings -m sentence-transformers/all-MiniLM-L6-v2 -i docs.parquet -o vectors.parquet
  leanpipe batch text-classification -m ./my-classifier -i reviews.csv -o scored/ --ray --actors 4
  RAY_ADDRESS=ray://head:10001 leanpipe batch text-classification -m ./my-classifier -i s3://b/in.jsonl -o s3://b/out/ --ray

Run the same command again after a crash or Ctrl-C: it resumes from the last part file.
"""


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "batch", help="run a task on a large file, resumable (or on Ray)",
        description="Run a task on every row of a JSON Lines / CSV / TSV / Parquet file, streaming, with a "
                    "checkpoint after every part file so that the same command resumes a killed job. Each "
                    "output row is its input row plus a result column and an error column.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("task", help="task name, e.g. text-classification (see `leanpipe tasks`)")
    add_model_options(p, model_required=False)
    p.add_argument("--param", "-p", action="append", metavar="KEY=VALUE",
                   help="a task parameter, JSON or plain text (repeatable): --param top_k=2")
    files = p.add_argument_group("files")
    files.add_argument("--input", "-i", required=True, metavar="FILE", help="rows to process: .jsonl, .csv, .tsv or .parquet")
    files.add_argument("--output", "-o", required=True, metavar="FILE",
                       help="the result file (its extension picks the format; Parquet needs a Parquet input); "
                            "with --ray, a folder of files")
    files.add_argument("--column", "-c", action="append", metavar="NAME",
                       help="input column (default text); repeat for a dict input, e.g. -c question -c context")
    files.add_argument("--result-column", default="result", metavar="NAME", help="name of the result column (default result)")
    files.add_argument("--error-column", default="error", metavar="NAME",
                       help="name of the column with each failed row's error (default error)")
    job = p.add_argument_group("job")
    job.add_argument("--part-rows", type=positive_int, default=None, metavar="N",
                     help="rows per part file and checkpoint (default 10000); with --ray, rows per actor call")
    job.add_argument("--work-dir", metavar="DIR", help="where parts and the manifest go while the job runs "
                                                       "(default OUTPUT.parts, removed at the end)")
    job.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                     help="continue the unfinished job of the same arguments (default); --no-resume starts over "
                          "and replaces the output")
    ray = p.add_argument_group("ray")
    ray.add_argument("--ray", action="store_true", help="run on Ray Data (pip install 'leanpipe[ray]')")
    ray.add_argument("--ray-address", metavar="ADDR",
                     help="an existing cluster, e.g. ray://head:10001 or auto (default: $RAY_ADDRESS, else a local instance)")
    ray.add_argument("--actors", type=positive_int, metavar="N",
                     help="model replicas (default: (the cluster's CPUs - 1) / --num-threads, which defaults to 1 "
                          "with --ray; one CPU stays free for reading and writing)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    params = parse_params(args.param, args.task)
    if (args.ray_address or args.actors) and not args.ray:
        raise CliError("--ray-address and --actors go with --ray", code=2)
    job = make_job(args, params)
    if args.ray:
        return run_on_ray(job, args)
    from ..batch import run_batch

    bar = progress(count_rows(job.input, file_format(job.input)) if sys.stderr.isatty() and Path(job.input).is_file() else None)
    try:
        try:
            summary = run_batch(job, resume=args.resume, on_rows=bar.update)
        finally:
            bar.close()
    except KeyboardInterrupt:
        print("leanpipe: stopped; run the same command again to resume from the last part file", file=sys.stderr)
        raise
    resumed = f", resumed at row {summary.resumed_at + 1:,}" if summary.resumed_at else ""
    print(f"leanpipe: {summary.rows:,} rows -> {job.output} in {summary.seconds:.1f} s{resumed}{failed(summary.errors, job)}",
          file=sys.stderr)
    return 0


def make_job(args: argparse.Namespace, params: dict[str, Any]) -> Any:
    from ..batch import DEFAULT_PART_ROWS, BatchJob

    model, revision = model_and_revision(args, args.task)
    return BatchJob(
        task=args.task, model=model, input=args.input, output=args.output,
        columns=tuple(args.column or ["text"]), params=params,
        result_column=args.result_column, error_column=args.error_column,
        revision=revision, engine=args.engine, quantize=args.quantize, batch_size=args.batch_size,
        num_threads=args.num_threads, part_rows=args.part_rows or DEFAULT_PART_ROWS,
        work_dir=args.work_dir)


def run_on_ray(job: Any, args: argparse.Namespace) -> int:
    if args.work_dir:
        raise CliError("--work-dir is for local jobs; Ray writes straight into the --output folder", code=2)
    from ..batch import ray_job

    summary = ray_job.run_ray(job, address=args.ray_address, actors=args.actors, resume=args.resume)
    print(f"leanpipe: {summary.rows:,} rows -> {job.output}/ on Ray ({plural(summary.actors, 'actor')} x "
          f"{plural(summary.threads, 'thread')}) in {summary.seconds:.1f} s{failed(summary.errors, job)}", file=sys.stderr)
    return 0


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def failed(errors: int, job: Any) -> str:
    return f"; {errors:,} rows failed (see the {job.error_column!r} column)" if errors else ""
