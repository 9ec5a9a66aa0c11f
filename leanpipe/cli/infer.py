"""The CLI's task for a checkpoint (`--task` left out): tasks/from_config.infer_task, or an error."""

from __future__ import annotations

import os

from ..errors import InputError
from ..tasks.from_config import checkpoint_task, infer_task  # noqa: F401  (infer_task re-exported for the CLI's modules)
from .common import CliError


def task_for_model(model: str | os.PathLike, revision: str | None = None) -> str:
    """`--task` left out: the checkpoint's own task, or an error asking for --task."""
    try:
        return checkpoint_task(model, revision, fix="pass --task (see `leanpipe tasks`)")
    except InputError as exc:
        raise CliError(str(exc), code=2) from None
