"""Answers for a block of rows where one bad row cannot sink the others.

Every row gets an outcome, `(answer, None)` or `(None, "InputError: expected a string, got int: 7")`.
Rows run together in shared model batches; when a block fails, the answers it finished are kept
and the rest is split in halves and retried, down to single rows: one bad row in 10,000 costs
about 2 × log2(10,000) ≈ 28 extra pipeline calls, not 10,000.
"""

from __future__ import annotations

from typing import Any, Sequence

Outcome = tuple[Any, "str | None"]  # (answer, None) or (None, error message)


class RowError(ValueError):
    """A row without a usable input: the column is missing or null."""


def answer_rows(pipe: Any, rows: Sequence[dict[str, Any]], columns: Sequence[str], params: dict[str, Any]) -> list[Outcome]:
    """The outcome of each row, in order: each answer is `pipe(input, **params)`."""
    outcomes: list[Outcome | None] = [None] * len(rows)
    picked: list[tuple[int, Any]] = []  # (position, task input)
    for i, row in enumerate(rows):
        try:
            picked.append((i, task_input(row, columns)))
        except RowError as exc:
            outcomes[i] = (None, message(exc))
    answers = answer_inputs(pipe, [x for _, x in picked], params)
    for (i, _), outcome in zip(picked, answers):
        outcomes[i] = outcome
    return outcomes  # type: ignore[return-value]  # every position is filled above


def task_input(row: dict[str, Any], columns: Sequence[str]) -> Any:
    """`task_input({"id": 1, "text": "hi"}, ["text"])` -> "hi"; several columns -> {column: value}."""
    for c in columns:
        if row.get(c) is None:
            raise RowError(f"column {c!r} is {'null' if c in row else 'missing'}")
    return row[columns[0]] if len(columns) == 1 else {c: row[c] for c in columns}


def answer_inputs(pipe: Any, inputs: Sequence[Any], params: dict[str, Any]) -> list[Outcome]:
    """`pipe.answers(inputs)` as outcomes; failing inputs are found by bisection."""
    done: list[Outcome] = []
    try:
        for answer in pipe.answers(inputs, **params):
            done.append((answer, None))
    except Exception as exc:  # noqa: BLE001 - the failure goes into the failing row's error column
        rest = inputs[len(done):]
        if len(rest) <= 1:
            return done + [(None, message(exc)) for _ in rest]
        middle = len(rest) // 2
        return done + answer_inputs(pipe, rest[:middle], params) + answer_inputs(pipe, rest[middle:], params)
    return done


def message(exc: BaseException) -> str:
    """One line: 'InputError: expected a string, got int: 7'."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
