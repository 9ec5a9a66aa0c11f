"""Batch jobs: a task run on every row of a file larger than memory, resumable after a crash.

>>> from leanpipe.batch import BatchJob, run_batch
>>> job = BatchJob("text-classification", "./my-classifier", Path("reviews.jsonl"), Path("scored.jsonl"))
>>> run_batch(job)            # killed half-way? the same call again resumes where it stopped
Summary(rows=1000000, errors=2, resumed_at=410000, seconds=812.3)

Each output row is its input row with two columns added: `result` (what `pipeline(task, model)(value)`
returns) and `error` (None, or why that row failed). `leanpipe.batch.ray_job` runs the same job
on a Ray cluster; it is imported only when used.
"""

from .job import DEFAULT_PART_ROWS, BatchJob, JobError
from .local import Summary, run_batch

__all__ = ["BatchJob", "JobError", "Summary", "run_batch", "DEFAULT_PART_ROWS"]
