"""What leanpipe's sentence-transformers classes (SentenceTransformer, SparseEncoder, CrossEncoder) share
at their edges: loading arguments -> pipeline() keywords, the device check, the shape of what encode returns."""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from .errors import InputError


def _load_options(cache_folder: str | None, token: Any, local_files_only: bool, revision: str | None,
                  model_kwargs: dict[str, Any] | None, trust_remote_code: bool, num_threads: int | None,
                  quantize: str | None) -> dict[str, Any]:
    """pipeline() keywords for sentence-transformers' loading arguments."""
    kwargs = dict(model_kwargs or {})
    kwargs.update({k: v for k, v in (("cache_dir", cache_folder), ("local_files_only", local_files_only or None)) if v})
    return dict(revision=revision, token=token, model_kwargs=kwargs, trust_remote_code=trust_remote_code or None,
                num_threads=num_threads, quantize=quantize)


def _check_device(device: Any) -> None:
    if device is not None and str(device) != "cpu":
        raise InputError(f"device={device!r}: leanpipe runs on the CPU; leave device unset")


def _as_output(matrix: np.ndarray, single: bool, convert_to_numpy: bool, convert_to_tensor: bool) -> Any:
    """sentence-transformers' return shapes: (N, D) array, or one (D,) row for a single input;
    a list of rows when convert_to_numpy=False; torch tensors when convert_to_tensor=True."""
    if convert_to_tensor:
        try:
            import torch
        except ImportError:
            raise InputError("convert_to_tensor=True needs torch; leanpipe returns NumPy arrays without it "
                             "(leave convert_to_tensor unset)") from None
        tensor = torch.from_numpy(np.ascontiguousarray(matrix))
        return tensor[0] if single else tensor
    if not convert_to_numpy:
        rows = list(matrix)
        return rows[0] if single else rows
    return matrix[0] if single else matrix


class TorchStyle:
    """The torch-module calls code written for sentence-transformers makes on a loaded model: .device,
    .dtype, eval() / cpu() / to("cpu") returning the model itself. leanpipe runs float32 on the CPU, so
    to() refuses another device or dtype instead of ignoring it."""

    @property
    def device(self) -> Any:
        from .models.base import cpu_device

        return cpu_device()

    @property
    def dtype(self) -> Any:
        import sys

        torch = sys.modules.get("torch")
        return torch.float32 if torch is not None else np.dtype(np.float32)

    def eval(self) -> Any:
        return self

    def cpu(self) -> Any:
        return self

    def to(self, *args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            if str(value) not in ("cpu", "torch.float32", "float32"):
                raise InputError(f"to({value!r}): leanpipe runs in float32 on the CPU; call to('cpu') or nothing")
        return self

    def get_max_seq_length(self) -> Any:
        """max_seq_length, by sentence-transformers' older (deprecated) name."""
        return self.max_seq_length  # type: ignore[attr-defined]


def legacy_names(**renames: str) -> Callable:
    """sentence-transformers 6.x's renamed keywords, still taken under their old names as it takes them:
    `@legacy_names(sentences="inputs")` lets `encode(sentences=texts)` reach `inputs`; both is refused."""
    def wrap(method: Callable) -> Callable:
        @functools.wraps(method)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise InputError(f"{method.__name__}() got both {old}= and {new}=; pass {new}= only")
                    kwargs[new] = kwargs.pop(old)
            return method(self, *args, **kwargs)
        return call
    return wrap
