"""The CLI's task for a checkpoint (`--task` left out): tasks/from_config.infer_task, or an error."""

from __future__ import annotations

import os

from ..tasks.from_config import infer_task  # noqa: F401  (re-exported for the CLI's modules)
from .common import CliError


def task_for_model(model: str | os.PathLike, revision: str | None = None) -> str:
    """`--task` left out: the checkpoint's own task, or an error asking for --task."""
    from ..config import read_config_dict

    config = read_config_dict(model, revision=revision)
    task = infer_task(config)
    if task is None:
        raise CliError(f"cannot tell the task of {model} from config.json's architectures "
                       f"{config.get('architectures')}; pass --task (see `leanpipe tasks`)", code=2)
    return task
