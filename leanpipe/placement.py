"""transformers' torch placement arguments (device, device_map, trust_remote_code, ...), taken as far
as they fit leanpipe: a CPU float32 engine that runs no code shipped with a checkpoint.
What fits is accepted and changes nothing; the rest is refused with the fix."""

from __future__ import annotations

from typing import Any

from .errors import InputError

# from_pretrained arguments about loading, not the config: accepted, nothing to do on a CPU float32 engine
LOADER_NO_OPS = ("low_cpu_mem_usage", "attn_implementation", "use_safetensors", "_fast_init")


def check_placement(device: Any, device_map: Any, trust_remote_code: bool | None) -> None:
    """pipeline()'s torch placement arguments, as far as a CPU engine honours them: device None / -1 /
    "cpu" / torch.device("cpu"); device_map None / "cpu" / "auto" / {...: "cpu"}; trust_remote_code
    not True. InputError with the fix otherwise. (dtype / torch_dtype are accepted: leanpipe computes
    in float32 whatever they say, as it loads fp16 / bf16 checkpoints.)"""
    if device is not None and device != -1 and str(device) != "cpu":
        raise InputError(f"device={device!r}: leanpipe runs on the CPU; leave device unset")
    places = device_map.values() if isinstance(device_map, dict) else [device_map]
    if not all(place in (None, "cpu", "auto", -1) or str(place) == "cpu" for place in places):
        raise InputError(f"device_map={device_map!r}: leanpipe runs on the CPU; leave device_map unset")
    if trust_remote_code:
        raise InputError("trust_remote_code=True is not supported: leanpipe never runs code shipped with a checkpoint; "
                         "leave it unset")


def take_loader_options(kwargs: dict[str, Any]) -> None:
    """Pop from_pretrained's loading arguments out of `kwargs` (they are not config keys), checking
    device_map: `take_loader_options({"device_map": "auto", "num_labels": 3})` leaves {"num_labels": 3}."""
    check_placement(None, kwargs.pop("device_map", None), None)
    for name in LOADER_NO_OPS:
        kwargs.pop(name, None)
    if kwargs.get("output_loading_info"):
        raise InputError("output_loading_info=True is not supported (leanpipe logs unused checkpoint tensors and "
                         "refuses missing ones); leave it unset")
    kwargs.pop("output_loading_info", None)
