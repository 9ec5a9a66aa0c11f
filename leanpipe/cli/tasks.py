"""`leanpipe tasks`: the registered tasks, their aliases, model head, default model and parameters."""

from __future__ import annotations

import argparse
from typing import Any

from .common import dumps


def add_parser(commands: Any) -> None:
    p = commands.add_parser("tasks", help="list the tasks leanpipe runs",
                            description="List the tasks in leanpipe's registry with their aliases, the model "
                                        "head each needs, the default model and the parameters --param takes.")
    p.add_argument("--json", action="store_true", help="one JSON document per task instead of a table")
    p.set_defaults(handler=run)


def task_rows() -> list[dict[str, Any]]:
    from ..tasks import ALIASES, REGISTRY, available_tasks, task_class

    present = set(available_tasks())
    rows = []
    for name in REGISTRY:
        row: dict[str, Any] = {"task": name, "aliases": sorted(a for a, n in ALIASES.items() if n == name),
                               "available": name in present}
        if name in present:
            cls = task_class(name)
            row.update(head=cls.head, default_model=cls.default_model[0], parameters=sorted(cls.parameters))
        rows.append(row)
    return rows


def run(args: argparse.Namespace) -> int:
    rows = task_rows()
    if args.json:
        for row in rows:
            print(dumps(row))
        return 0
    for row in rows:
        if not row["available"]:
            continue
        aliases = f" (also {', '.join(row['aliases'])})" if row["aliases"] else ""
        print(f"{row['task']}{aliases}")
        print(f"    head: {row['head']}   default model: {row['default_model']}")
        print(f"    --param: {', '.join(row['parameters']) or '(none)'}")
    missing = [r["task"] for r in rows if not r["available"]]
    if missing:
        print(f"registered, not implemented in this version: {', '.join(missing)}")
    return 0
