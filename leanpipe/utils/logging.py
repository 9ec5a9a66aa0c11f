"""`from leanpipe import logging; logging.set_verbosity_error()`: transformers.logging's verbosity
controls, acting on the "leanpipe" logger (every leanpipe module logs under it). leanpipe shows no
progress bars, so the progress-bar switches only record the choice."""

from __future__ import annotations

import logging as _logging

CRITICAL, FATAL, ERROR, WARNING, WARN, INFO, DEBUG, NOTSET = (
    _logging.CRITICAL, _logging.FATAL, _logging.ERROR, _logging.WARNING, _logging.WARN, _logging.INFO, _logging.DEBUG,
    _logging.NOTSET)
ROOT = "leanpipe"
_progress_bar = {"enabled": True}


def get_logger(name: str | None = None) -> _logging.Logger:
    """The "leanpipe" logger, or the one named `name`, as transformers.logging.get_logger."""
    return _logging.getLogger(name or ROOT)


def get_verbosity() -> int:
    """The "leanpipe" logger's effective level (WARNING unless set)."""
    return get_logger().getEffectiveLevel()


def set_verbosity(verbosity: int) -> None:
    get_logger().setLevel(verbosity)


def set_verbosity_debug() -> None:
    set_verbosity(DEBUG)


def set_verbosity_info() -> None:
    set_verbosity(INFO)


def set_verbosity_warning() -> None:
    set_verbosity(WARNING)


def set_verbosity_error() -> None:
    set_verbosity(ERROR)


def disable_progress_bar() -> None:
    _progress_bar["enabled"] = False


def enable_progress_bar() -> None:
    _progress_bar["enabled"] = True


def is_progress_bar_enabled() -> bool:
    return _progress_bar["enabled"]


def disable_propagation() -> None:
    get_logger().propagate = False


def enable_propagation() -> None:
    get_logger().propagate = True
