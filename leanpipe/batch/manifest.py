"""The checkpoint of a batch job: `manifest.json` in its work folder, replaced atomically after
every part file, so it never claims a row whose part is not on disk.

    {"version": 1, "job": {...BatchJob.identity()...}, "columns": ["id", "text"],
     "parts": [10000, 10000], "rows_done": 20000, "errors": 3, "finished": false, "assembled": false}

`parts[i]` is the number of rows in part file i; the next run skips `rows_done` input rows.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from .durable import write_json_atomic
from .job import JobError

VERSION = 1
FILE = "manifest.json"


@dataclasses.dataclass
class Manifest:
    job: dict[str, Any]
    columns: list[str] | None = None  # the first input row's columns: the CSV header of every part
    parts: list[int] = dataclasses.field(default_factory=list)
    rows_done: int = 0
    errors: int = 0
    finished: bool = False  # every input row is in a part
    assembled: bool = False  # the final output is in place; only the work folder is left to remove

    def add_part(self, rows: int, errors: int) -> None:
        self.parts.append(rows)
        self.rows_done += rows
        self.errors += errors

    def save(self, work: Path) -> None:
        write_json_atomic(work / FILE, {"version": VERSION, **dataclasses.asdict(self)})

    @classmethod
    def load(cls, work: Path) -> "Manifest | None":
        """The manifest in `work`, or None when there is none."""
        path = work / FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError as exc:  # written atomically, so only a hand edit gets here
            raise JobError(f"{path} is not valid JSON ({exc}); delete {work} to start the job over") from None
        if data.pop("version", None) != VERSION:
            raise JobError(f"{path} was written by another leanpipe version; delete {work} to start the job over")
        known = {f.name for f in dataclasses.fields(cls)}
        manifest = cls(**{k: v for k, v in data.items() if k in known})
        if sum(manifest.parts) != manifest.rows_done:
            raise JobError(f"{path}: its parts hold {sum(manifest.parts)} rows but it says {manifest.rows_done} "
                           f"are done; delete {work} to start the job over")
        return manifest
