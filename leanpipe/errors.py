"""Errors raised at leanpipe's boundaries. Each message says what is wrong and how to fix it."""


class LeanpipeError(Exception):
    """Base class of every error leanpipe raises on purpose."""


class CheckpointError(LeanpipeError, OSError):
    """A checkpoint is missing a file, or a file in it is broken or does not fit the config.

    Subclasses OSError because transformers raises OSError for a checkpoint it cannot find,
    so code written against transformers keeps catching it.
    """


class ConfigError(LeanpipeError, ValueError):
    """config.json is not valid JSON, lacks a required key, or names an unsupported model_type."""


class TokenizerError(LeanpipeError, ValueError):
    """Tokenizer files are missing or broken, or a tokenizer argument is invalid."""


class InputError(LeanpipeError, ValueError):
    """The caller passed inputs of the wrong kind or shape (e.g. 1-D ids, ids outside the vocabulary)."""
