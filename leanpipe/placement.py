"""transformers' torch placement arguments (device, device_map, trust_remote_code, ...), taken as far
as they fit leanpipe: a CPU float32 engine that runs no code shipped with a checkpoint.
What fits is accepted and changes nothing; the rest is refused with the fix."""

from __future__ import annotations

import sys
from typing import Any

from .errors import InputError

# from_pretrained arguments about loading, not the config: accepted, nothing to do on a CPU float32 engine
LOADER_NO_OPS = ("low_cpu_mem_usage", "attn_implementation", "use_safetensors", "_fast_init")


def check_placement(device: Any, device_map: Any) -> None:
    """pipeline()'s torch placement arguments, as far as a CPU engine honours them: device None / -1 /
    "cpu" / torch.device("cpu"); device_map None / "cpu" / "auto" / {...: "cpu"}. InputError with
    the fix otherwise. (dtype / torch_dtype are accepted: leanpipe computes in float32 whatever they
    say, as it loads fp16 / bf16 checkpoints.)"""
    if device is not None and device != -1 and str(device) != "cpu":
        raise InputError(f"device={device!r}: leanpipe runs on the CPU; leave device unset")
    places = device_map.values() if isinstance(device_map, dict) else [device_map]
    if not all(place in (None, "cpu", "auto", -1) or str(place) == "cpu" for place in places):
        raise InputError(f"device_map={device_map!r}: leanpipe runs on the CPU; leave device_map unset")


def check_to(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """`model.to(...)`'s arguments as far as a CPU float32 engine honours them: the CPU ("cpu",
    torch.device("cpu")) is accepted, and a dtype too (kept in float32, as half() and from_pretrained(dtype=)
    are); another device ("cuda", 0, torch.device("mps")) is refused with the fix."""
    for value in (*args, kwargs.get("device")):
        if value is None or isinstance(value, bool) or str(value) == "cpu":
            continue
        if isinstance(value, type) or type(value).__name__ == "dtype" or hasattr(value, "shape"):
            continue  # a dtype (torch's, NumPy's) or a tensor to take the dtype / device of
        if isinstance(value, str) and value.removeprefix("torch.") in ("float32", "float16", "bfloat16", "float", "half"):
            continue
        raise InputError(f"model.to({value!r}): leanpipe runs on the CPU; call to('cpu') or nothing (inputs.to(model.device) "
                         f"moves inputs to it)")


def remote_code(auto_map: Any, trust_remote_code: bool | None, source: Any, file: str) -> str | None:
    """What is wrong with trust_remote_code for a checkpoint whose `file` has this `auto_map`, or None.

    As in transformers, trust_remote_code=True only matters when the checkpoint ships code (an
    auto_map): without one it loads transformers' own architecture, and so does leanpipe. With one,
    True asks to run that code, which leanpipe never does; unset, transformers runs its own code for
    the model_type, and so does leanpipe."""
    if not trust_remote_code or not auto_map:
        return None
    from .config import supported_model_types

    shipped = sorted(map(str, auto_map.values())) if isinstance(auto_map, dict) else auto_map
    return (f"{source} ships its own code ({file}'s auto_map: {shipped}) and trust_remote_code=True asks to run it; "
            f"leanpipe never runs code shipped with a checkpoint. Leave trust_remote_code unset to load it as its "
            f"model_type with the standard architecture (as transformers does then; the shipped code may compute "
            f"something else), or use transformers. leanpipe runs {supported_model_types()}")


def take_loader_options(kwargs: dict[str, Any]) -> None:
    """Pop from_pretrained's loading arguments out of `kwargs` (they are not config keys), checking
    device_map: `take_loader_options({"device_map": "auto", "num_labels": 3})` leaves {"num_labels": 3}."""
    check_placement(None, kwargs.pop("device_map", None))
    if kwargs.pop("ignore_mismatched_sizes", False):
        raise InputError("ignore_mismatched_sizes=True is not supported: transformers gives the mismatched head new "
                         "random weights to train, and leanpipe trains nothing; load the checkpoint with its own "
                         "num_labels / id2label")
    for name in LOADER_NO_OPS:
        kwargs.pop(name, None)
    if kwargs.get("output_loading_info"):
        raise InputError("output_loading_info=True is not supported (leanpipe logs unused checkpoint tensors and "
                         "refuses missing ones); leave it unset")
    kwargs.pop("output_loading_info", None)


def cpu_device() -> Any:
    """Where leanpipe computes, as transformers names it: torch.device("cpu") when the caller uses torch
    (so `inputs.to(model.device)` works), else "cpu"."""
    torch = sys.modules.get("torch")
    return torch.device("cpu") if torch is not None else "cpu"
