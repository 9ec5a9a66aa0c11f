"""Where checkpoint files come from: a local folder, or a repo id in the Hugging Face cache.

`resolve_file("sentence-transformers/all-MiniLM-L6-v2", "config.json")` returns the path of that
file in the cache that transformers shares (downloading it unless `HF_HUB_OFFLINE=1`).
huggingface_hub is imported only when a repo id has to be resolved, so loading from a folder
costs no import time.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from pathlib import Path
from typing import Any, Iterator

from .errors import CheckpointError

# transformers' from_pretrained arguments that say where and how to download, passed to hf_hub_download;
# `subfolder` also applies to a local folder (its files are read from folder/subfolder)
HUB_OPTIONS = ("cache_dir", "token", "local_files_only", "force_download", "subfolder")
_OPTIONS: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("leanpipe_hub_options", default={})


def take_hub_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the download arguments out of from_pretrained's keywords (`use_auth_token`, transformers'
    older name, as `token`); None values count as not given.
    `take_hub_options({"cache_dir": "/data/hf", "num_labels": 3})` -> {"cache_dir": "/data/hf"}, kwargs keeps num_labels."""
    if "use_auth_token" in kwargs:
        kwargs.setdefault("token", kwargs.pop("use_auth_token"))
    found = {name: kwargs.pop(name) for name in HUB_OPTIONS if name in kwargs}
    return {name: value for name, value in found.items() if value is not None}


@contextlib.contextmanager
def hub_options(options: dict[str, Any]) -> Iterator[None]:
    """Files resolved from a repo id inside this block use these download options (cache_dir, token, ...)."""
    reset = _OPTIONS.set({**_OPTIONS.get(), **options})
    try:
        yield
    finally:
        _OPTIONS.reset(reset)


def is_local(name_or_path: str | os.PathLike) -> bool:
    """True when `name_or_path` is an existing folder (then the hub is never asked)."""
    return Path(name_or_path).is_dir()


def resolve_file(
    name_or_path: str | os.PathLike,
    filename: str,
    *,
    revision: str | None = None,
    required: bool = True,
) -> Path | None:
    """Local path of `filename` in a folder or hub repo (in its `subfolder` when the hub options name
    one, as transformers' from_pretrained(..., subfolder=)); None if absent and not `required`."""
    if is_local(name_or_path):
        folder = Path(name_or_path) / (_OPTIONS.get().get("subfolder") or "")
        path = folder / filename
        if path.is_file():
            return path
        if required:
            found = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else f"no folder {folder}"
            raise CheckpointError(
                f"{filename} not found in folder {folder}; a checkpoint saved with "
                f"save_pretrained() has it. Found: {found}"
            )
        return None
    return _resolve_hub_file(str(name_or_path), filename, revision=revision, required=required)


def _resolve_hub_file(repo_id: str, filename: str, *, revision: str | None, required: bool) -> Path | None:
    import huggingface_hub
    from huggingface_hub import errors as hub_errors

    options = _OPTIONS.get()
    try:
        return Path(huggingface_hub.hf_hub_download(repo_id, filename, revision=revision, **options))
    except (hub_errors.LocalEntryNotFoundError, hub_errors.OfflineModeIsEnabled) as exc:
        if not required and _revision_is_cached(repo_id, revision, options.get("cache_dir")):
            return None
        why = "local_files_only=True is set" if options.get("local_files_only") else \
            "the hub cannot be reached or HF_HUB_OFFLINE=1 is set"
        raise CheckpointError(
            f"cannot find {_in_subfolder(filename, options)} for {repo_id!r} (revision {revision or 'main'}) in the Hugging Face "
            f"cache {options.get('cache_dir') or huggingface_hub.constants.HF_HUB_CACHE}, and {why}. Download it "
            f"once with network access (`hf download {repo_id}`) or pass a local folder. ({type(exc).__name__})"
        ) from None
    except hub_errors.RepositoryNotFoundError:
        raise CheckpointError(
            f"{repo_id!r} is not a folder and not a repo on the Hugging Face Hub; check the name "
            f"(private and gated repos need `hf auth login` or token=)."
        ) from None
    except hub_errors.EntryNotFoundError:
        # The repo (or its cached revision) exists but has no such file.
        if required:
            raise CheckpointError(f"{_in_subfolder(filename, options)} not found in {repo_id} (revision {revision or 'main'})") from None
        return None
    except hub_errors.HFValidationError:
        raise CheckpointError(
            f"{repo_id!r} is neither an existing folder nor a valid Hugging Face repo id "
            f"(like 'sentence-transformers/all-MiniLM-L6-v2'); check the path."
        ) from None
    except hub_errors.RevisionNotFoundError:
        raise CheckpointError(f"revision {revision!r} does not exist in {repo_id!r}") from None


def _in_subfolder(filename: str, options: dict[str, Any]) -> str:
    return f"{options['subfolder'].strip('/')}/{filename}" if options.get("subfolder") else filename


def _revision_is_cached(repo_id: str, revision: str | None, cache_dir: str | os.PathLike | None = None) -> bool:
    """True when the cache holds a snapshot for this repo and revision (so a missing file is truly absent).
    The snapshot itself, not one file in it: a sentence-transformers StaticEmbedding repo has no config.json,
    and asking for its config.json made every optional file it lacks look "not downloaded"."""
    import huggingface_hub

    try:
        huggingface_hub.snapshot_download(repo_id, revision=revision, cache_dir=cache_dir, local_files_only=True)
    except Exception:  # not cached (LocalEntryNotFoundError), or not a valid repo id
        return False
    return True
