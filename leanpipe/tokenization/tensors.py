"""`return_tensors=` conversion, and turning arrays/tensors of ids back into Python lists.

leanpipe supports None (Python lists), "np" (int64 NumPy arrays) and "pt" (int64 torch tensors;
torch is imported only then). torch is never imported to *read* ids: a tensor is recognised by
its type's module and converted with `.tolist()`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError, TokenizerError

SUPPORTED_TENSOR_TYPES = (None, "np", "pt")


def check_tensor_type(return_tensors: Any) -> str | None:
    """Validate `return_tensors`; transformers' TensorType.NUMPY is accepted as "np"."""
    value = getattr(return_tensors, "value", return_tensors)
    if value in SUPPORTED_TENSOR_TYPES:
        if value == "pt":
            _import_torch()
        return value
    raise TokenizerError(
        f"return_tensors={value!r} is not supported: leanpipe supports return_tensors=None (Python lists), "
        f"'np' (NumPy) and 'pt' (PyTorch)"
    )


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise TokenizerError(
            "return_tensors='pt' needs PyTorch, which is not installed: `pip install torch`, "
            "or use return_tensors='np' (leanpipe models accept NumPy arrays)"
        ) from None
    return torch


def to_array(key: str, value: Any) -> np.ndarray:
    """A (nested) list of ints -> int64 array; ragged rows raise TokenizerError naming the fix."""
    if isinstance(value, np.ndarray):
        return value.astype(np.int64, copy=False)
    if hasattr(value, "numpy") and type(value).__module__.startswith("torch"):
        return value.cpu().numpy().astype(np.int64, copy=False)
    try:
        return np.asarray(value, dtype=np.int64)
    except ValueError:
        raise TokenizerError(
            f"cannot make a tensor of {key!r}: the sequences have different lengths. Pass padding=True "
            f"(and truncation=True for texts longer than the model allows)"
        ) from None


def convert(data: dict[str, Any], tensor_type: str | None) -> dict[str, Any]:
    """Every value of `data` converted to `tensor_type` (a new dict; None leaves values as they are)."""
    if tensor_type is None:
        return dict(data)
    arrays = {key: to_array(key, value) for key, value in data.items()}
    if tensor_type == "np":
        return arrays
    torch = _import_torch()
    return {key: torch.from_numpy(array) for key, array in arrays.items()}


def to_python(value: Any) -> Any:
    """NumPy arrays/scalars and torch tensors (at any depth of lists) -> Python ints and lists.

    `to_python(np.array([[101, 102]]))` -> [[101, 102]]
    """
    if isinstance(value, (list, tuple)):
        return [to_python(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if type(value).__module__.startswith("torch") and hasattr(value, "tolist"):
        return value.tolist()
    return value


def as_ids(value: Any) -> list[int] | list[list[int]]:
    """Token ids in any accepted form -> a list of ints or a list of lists of ints.

    An int becomes [int]; a dict / BatchEncoding contributes its "input_ids".
    """
    if isinstance(value, dict):
        if "input_ids" not in value:
            raise InputError(f"cannot decode a dict without 'input_ids' (keys: {list(value)})")
        value = value["input_ids"]
    value = to_python(value)
    if isinstance(value, int):
        return [value]
    if not isinstance(value, list):
        raise InputError(f"token ids should be an int, a list, a NumPy array or a torch tensor, not {type(value).__name__}")
    return value
