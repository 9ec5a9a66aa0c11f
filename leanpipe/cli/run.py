"""`leanpipe run TASK [--model M]`: a task on texts (arguments or stdin lines) or on a file's rows
(without --model, the task's default checkpoint, as `pipeline(TASK)` takes it).

Each input's answer is exactly what `pipeline(TASK, M)(input, **params)` returns; inputs share model
batches through `Pipeline.answers`, and files stream through without being read whole.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from typing import Any, Iterable, Iterator

from .common import CliError, add_model_options, dumps, model_and_revision, model_options, parse_params
from .files import RowWriter, count_rows, file_format, parquet_schema, read_rows
from .progress import progress

EXAMPLES = """examples:
  leanpipe run text-classification --model ./my-classifier "I love it" "I hate it"
  cat texts.txt | leanpipe run feature-extraction --model sentence-transformers/all-MiniLM-L6-v2
  leanpipe run text-classification -m ./my-classifier --param top_k=2 --json-list "great"
  echo '{"question": "Who?", "context": "Ann wrote it."}' | leanpipe run question-answering -m ./qa --json
  leanpipe run text-classification -m ./my-classifier --input reviews.csv --output scored.csv --column review
"""


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "run", help="run a task on texts, stdin lines or a file",
        description="Run a task on texts given as arguments, on stdin (one per line), or on the rows of a "
                    "JSON Lines / CSV / TSV / Parquet file. Prints one JSON document per input.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("task", help="task name, e.g. text-classification (see `leanpipe tasks`)")
    add_model_options(p, model_required=False)
    p.add_argument("--param", "-p", action="append", metavar="KEY=VALUE",
                   help="a task parameter, JSON or plain text (repeatable): --param top_k=2")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="inputs; without any, lines are read from stdin")
    p.add_argument("--json", action="store_true", dest="json_inputs",
                   help='each TEXT or stdin line is a JSON value, e.g. {"text": "a", "text_pair": "b"}')
    p.add_argument("--json-list", action="store_true", help="print one JSON list instead of one document per line")
    files = p.add_argument_group("files")
    files.add_argument("--input", "-i", metavar="FILE", help="rows to process: .jsonl, .csv, .tsv or .parquet")
    files.add_argument("--output", "-o", metavar="FILE",
                       help="where the rows go, each with a result column (default: stdout, in the input's format)")
    files.add_argument("--column", "-c", action="append", metavar="NAME",
                       help="input column (default text); repeat for a dict input, e.g. -c question -c context")
    files.add_argument("--result-column", default="result", metavar="NAME", help="name of the added column (default result)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    params = parse_params(args.param, args.task)
    if args.input is not None:
        return run_file(args, params)
    if args.output is not None or args.column:
        raise CliError("--output and --column go with --input FILE", code=2)
    pipe = load(args)
    texts = args.texts or None
    if texts is None and sys.stdin.isatty():
        print("leanpipe: reading inputs from stdin, one per line (Ctrl-D to finish)", file=sys.stderr)
        answers: Iterable[Any] = (a for line in stdin_lines() for a in pipe.answers([decode(line, args)], **params))
    else:
        inputs = (decode(x, args) for x in (texts if texts is not None else stdin_lines()))
        answers = pipe.answers(inputs, **params)
    if args.json_list:
        print(dumps(list(answers)))
    else:
        for answer in answers:
            print(dumps(answer), flush=texts is None)
    return 0


def load(args: argparse.Namespace) -> Any:
    from ..pipeline import pipeline

    model, revision = model_and_revision(args, args.task)
    return pipeline(args.task, model=model, **model_options(args, revision))


def stdin_lines() -> Iterator[str]:
    for line in sys.stdin:
        yield line.rstrip("\r\n")


def decode(text: str, args: argparse.Namespace) -> Any:
    if not args.json_inputs:
        return text
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CliError(f"--json: {text[:60]!r} is not JSON ({exc})") from None


def run_file(args: argparse.Namespace, params: dict[str, Any]) -> int:
    if args.texts:
        raise CliError("give texts or --input FILE, not both", code=2)
    fmt_in = file_format(args.input)
    fmt_out = file_format(args.output) if args.output else fmt_in
    if args.output and args.output == args.input:
        raise CliError("--output must differ from --input (the input is read while the output is written)", code=2)
    rows = read_rows(args.input, fmt_in)
    pipe = load(args)
    schema = parquet_schema(args.input) if fmt_in == fmt_out == "parquet" else None
    writer = RowWriter(args.output, fmt_out, args.result_column, schema)
    if args.output is None:
        writer.use_stdout(sys.stdout)
    bar = progress(count_rows(args.input, fmt_in) if sys.stderr.isatty() else None)
    columns = args.column or ["text"]
    kept: collections.deque[dict[str, Any]] = collections.deque()  # rows whose answers are still in the pipeline

    def inputs() -> Iterator[Any]:
        for number, row in enumerate(rows, 1):
            kept.append(row)
            yield pick(row, columns, number)

    start, done = time.monotonic(), 0
    try:
        for answer in pipe.answers(inputs(), **params):
            writer.write(kept.popleft(), answer)
            bar.update(1)
            done += 1
    finally:
        bar.close()
        writer.close()
    if sys.stderr.isatty():
        print(f"leanpipe: {done:,} rows -> {args.output or 'stdout'} in {time.monotonic() - start:.1f} s", file=sys.stderr)
    return 0


def pick(row: dict[str, Any], columns: list[str], number: int) -> Any:
    """The task input in a row: one column's value, or {column: value} for several columns."""
    for c in columns:
        if c not in row:
            raise CliError(f"row {number} has no column {c!r}; its columns are {list(row)} (choose with --column)")
        if row[c] is None:
            raise CliError(f"row {number}: column {c!r} is empty")
    return row[columns[0]] if len(columns) == 1 else {c: row[c] for c in columns}
