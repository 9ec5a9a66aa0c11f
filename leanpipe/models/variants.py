"""A family defined as another family's heads with one piece swapped (ERNIE's embeddings, DeBERTa-v1's
attention): `base, sequence_classification, ... = heads_of(bert, embed=ernie_embeddings)`."""

from __future__ import annotations

from typing import Any, Callable

HEAD_FUNCTIONS = ("base", "sequence_classification", "token_classification", "question_answering", "masked_lm")


def heads_of(family: Any, view: Callable[[Any], Any] | None = None, *, names: tuple[str, ...] = HEAD_FUNCTIONS,
             **keywords: Any) -> tuple[Callable, ...]:
    """`family`'s head functions `names` (HEAD_FUNCTIONS by default, in that order), each called as
    head(ops, w, view(c), **keywords)."""
    def variant(head: Callable) -> Callable:
        def run(ops: Any, w: Any, c: Any) -> None:
            head(ops, w, view(c) if view else c, **keywords)

        run.__name__, run.__doc__ = head.__name__, f"{family.__name__}.{head.__name__} with {sorted(keywords)} swapped."
        return run

    return tuple(variant(getattr(family, name)) for name in names)


def pooler_unread(head: Callable) -> Callable:
    """`head` for a family whose every task model transformers builds with a pooler (SqueezeBERT, FNet,
    BigBird) where this head reads none: the checkpoint's `pooler.*` is marked read, so it loads quietly
    and num_parameters() counts it as transformers does."""
    def run(ops: Any, w: Any, c: Any) -> None:
        w.skip("pooler.")
        head(ops, w, c)

    run.__name__, run.__doc__ = head.__name__, head.__doc__
    return run
