"""The `leanpipe` command: run, batch, serve, models, tasks.

    leanpipe run text-classification --model ./my-classifier "I love it"
    leanpipe batch text-classification --model ./my-classifier -i reviews.jsonl -o scored.jsonl
    leanpipe serve --model sentence-transformers/all-MiniLM-L6-v2

Exit codes: 0 done; 1 the work failed (missing model, unreadable file, bad input); 2 bad command
line (unknown task or option, bad --param). Failures print one line, `leanpipe: error: <reason>`;
set LEANPIPE_DEBUG=1 to see the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from .. import __version__
from . import batch, models, run, serve, tasks
from .common import CliError

COMMANDS = (run, batch, serve, models, tasks)
# What a user can get wrong: these print one line; anything else is a bug and keeps its traceback.
EXPECTED = (CliError, OSError, ValueError, TypeError, LookupError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leanpipe", description="Hugging Face encoder pipelines without torch.")
    parser.add_argument("--version", action="version", version=f"leanpipe {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (`python -m leanpipe.cli` and the console script exit with it)."""
    args = parse(list(sys.argv[1:] if argv is None else argv))
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("leanpipe: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `leanpipe run ... | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes stdout
        return 0
    except EXPECTED as exc:
        if os.environ.get("LEANPIPE_DEBUG"):
            raise
        print(f"leanpipe: error: {one_line(exc)}", file=sys.stderr)
        return exc.code if isinstance(exc, CliError) else 1


def parse(argv: list[str]) -> argparse.Namespace:
    """Options may come before or after positional texts (`run TASK "text" --model M`), which
    argparse allows only when a command's own parser reads its arguments intermixed."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    command = commands.choices.get(argv[0]) if argv else None
    if command is None:
        return parser.parse_args(argv)
    return command.parse_intermixed_args(argv[1:])


def one_line(exc: BaseException) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in message:
        message = f"{exc.filename}: {message}"
    return message


def console() -> None:
    """The `leanpipe` console script."""
    sys.exit(main())
