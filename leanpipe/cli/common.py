"""What the CLI commands share: the one-line error, `--param key=value`, model options, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np


class CliError(Exception):
    """A failure the user can fix; `leanpipe` prints `leanpipe: error: <message>` and exits `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def parse_param(text: str) -> tuple[str, Any]:
    """`top_k=3` -> ("top_k", 3); the value is JSON when it parses as JSON, else the plain string.

    `function_to_apply=sigmoid` -> ("function_to_apply", "sigmoid");
    `candidate_labels=["sport", "politics"]` -> ("candidate_labels", ["sport", "politics"]).
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise CliError(f"--param {text!r}: write it as key=value, e.g. --param top_k=3", code=2)
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def parse_params(items: list[str] | None, task: str) -> dict[str, Any]:
    """All --param options, checked against the task's parameters before any model is loaded."""
    params = dict(parse_param(p) for p in items or [])
    known = resolve_task(task).parameters
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise CliError(f"--param {', '.join(unknown)}: {task} takes {sorted(known) or 'no parameters'}", code=2)
    return params


def resolve_task(name: str) -> Any:
    """The task class for a name or alias; an unknown name is a usage error listing the tasks."""
    from ..errors import InputError
    from ..tasks import task_class

    try:
        return task_class(name)
    except InputError as exc:
        raise CliError(str(exc), code=2) from None


def add_model_options(parser: argparse.ArgumentParser, *, model_required: bool = True) -> None:
    """`model_required=False`: without --model, the task's default checkpoint, as pipeline(task) takes it."""
    parser.add_argument("--model", "-m", required=model_required, metavar="PATH_OR_REPO",
                        help="checkpoint folder or Hugging Face repo id (read from the local cache when offline)"
                             + ("" if model_required else "; default: the task's default model, as transformers' "
                                                          "pipeline(task) takes it"))
    parser.add_argument("--revision", help="branch, tag or commit of a hub repo (default: main)")
    parser.add_argument("--batch-size", type=positive_int, help="inputs per model batch (default 32)")
    parser.add_argument("--engine", choices=("onnx", "numpy"), default="onnx", help="compute engine (default onnx)")
    parser.add_argument("--num-threads", type=positive_int, help="threads for the engine (default: all cores)")
    parser.add_argument("--quantize", choices=("int8",), help="dynamic int8 quantization (faster, less exact)")


def model_and_revision(args: argparse.Namespace, task: str) -> tuple[str, str | None]:
    """--model and --revision; without --model, the task's default checkpoint at the revision it pins
    (a --revision given wins), as pipeline(task) takes them."""
    if args.model is not None:
        return args.model, args.revision
    model, pinned = resolve_task(task).default_model
    revision = args.revision if args.revision is not None else pinned
    print(f"leanpipe: no --model given; using {task}'s default, {model} at revision {revision}", file=sys.stderr)
    return model, revision


def model_options(args: argparse.Namespace, revision: str | None) -> dict[str, Any]:
    """The keyword arguments of `pipeline()` that the model options set (`revision` as model_and_revision gives it)."""
    return {"revision": revision, "batch_size": args.batch_size, "engine": args.engine,
            "num_threads": args.num_threads, "quantize": args.quantize}


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def to_jsonable(value: Any) -> Any:
    """Pipeline answers as plain JSON values: NumPy arrays -> lists, NumPy scalars -> numbers."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def dumps(value: Any) -> str:
    """One line of JSON (UTF-8 text kept as is)."""
    return json.dumps(to_jsonable(value), ensure_ascii=False)
