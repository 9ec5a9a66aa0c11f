"""What leanpipe's sentence-transformers classes (SentenceTransformer, SparseEncoder, CrossEncoder) share
at their edges: loading arguments -> pipeline() keywords, the device check, the shape of what encode returns."""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Callable, Iterator

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


def load_arguments(device: Any, backend: str, processor_kwargs: dict[str, Any] | None,
                   tokenizer_kwargs: dict[str, Any] | None, cache_folder: str | None, token: Any, local_files_only: bool,
                   revision: str | None, model_kwargs: dict[str, Any] | None, config_kwargs: dict[str, Any] | None,
                   trust_remote_code: bool, num_threads: int | None, quantize: str | None
                   ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """A sentence-transformers class's loading arguments checked (a CPU device, a backend it names) ->
    (processor_kwargs, pipeline() keywords)."""
    _check_device(device)
    if backend not in ("torch", "onnx", "openvino"):
        raise InputError(f"backend={backend!r} is not one of sentence-transformers' 'torch', 'onnx', 'openvino' "
                         f"(leanpipe runs its own engine for each)")
    options = _load_options(cache_folder, token, local_files_only, revision,
                            loading_kwargs(model_kwargs, config_kwargs, revision), trust_remote_code, num_threads, quantize)
    return processor_kwargs_of(processor_kwargs, tokenizer_kwargs), options


def _dtype_name(value: Any) -> str:
    """torch.float16 -> "float16"; np.float32 / "float32" -> "float32"; "auto" -> "auto"."""
    text = str(value)
    if text.startswith("torch."):
        return text[len("torch."):]
    try:
        return np.dtype(value).name
    except TypeError:
        return text


def _check_dtypes(kwargs: dict[str, Any] | None, where: str) -> None:
    """A dtype / torch_dtype in model_kwargs or config_kwargs: float32 and "auto" are what leanpipe runs
    (it widens float16 / bfloat16 checkpoints to float32); another is refused, naming the fix."""
    for key in ("dtype", "torch_dtype"):
        value = (kwargs or {}).get(key)
        if value is not None and _dtype_name(value) not in ("auto", "float32"):
            raise InputError(f"{where}={{{key!r}: {value!r}}}: leanpipe computes in float32 on the CPU (float16 and "
                             f"bfloat16 checkpoints are widened to float32), so it cannot run the model in "
                             f"{_dtype_name(value)}; leave {key} unset or pass torch.float32 / \"auto\" (quantize='int8' "
                             f"gives a smaller, faster model)")


def _same_revision(kwargs: dict[str, Any], where: str, revision: str | None) -> dict[str, Any]:
    """`kwargs` without its "revision", which must be the model's own: the config and tokenizer are read
    from the model's files."""
    kwargs = dict(kwargs)
    asked = kwargs.pop("revision", None)
    if asked is not None and asked != revision:
        raise InputError(f"{where}={{'revision': {asked!r}}} differs from revision={revision!r}: leanpipe reads the "
                         f"model, its config and its tokenizer from one revision; pass revision={asked!r} instead")
    return kwargs


def loading_kwargs(model_kwargs: dict[str, Any] | None, config_kwargs: dict[str, Any] | None,
                   revision: str | None) -> dict[str, Any] | None:
    """sentence-transformers 6.3's model_kwargs and config_kwargs -> pipeline()'s model_kwargs: download
    options for the files, the rest as config.json overrides (num_hidden_layers=3, layer_norm_eps=...), as
    AutoConfig.from_pretrained(**config_kwargs) applies them there (model_kwargs' keys win on a clash).
    A dtype other than float32 is refused."""
    _check_dtypes(model_kwargs, "model_kwargs")
    _check_dtypes(config_kwargs, "config_kwargs")
    if config_kwargs is None:
        return model_kwargs
    return {**_same_revision(config_kwargs, "config_kwargs", revision), **(model_kwargs or {})}


@contextlib.contextmanager
def config_overrides_checked(config_kwargs: dict[str, Any] | None) -> Iterator[None]:
    """A CheckpointError while loading with config_kwargs, said as theirs: an override the weights do not
    fit (num_hidden_layers=3 on a 6-layer checkpoint: leanpipe loads every tensor and drops no layers,
    where transformers drops the unused ones with a warning)."""
    from .errors import CheckpointError
    from .hub import HUB_OPTIONS

    settings = {k: v for k, v in (config_kwargs or {}).items() if k not in HUB_OPTIONS + ("revision", "trust_remote_code")}
    try:
        yield
    except CheckpointError as exc:
        if not settings:
            raise
        raise InputError(f"config_kwargs={settings!r} make a config this checkpoint's weights do not fit, which "
                         f"leanpipe refuses rather than drop or invent weights: {exc}. Leave those keys out") from None


def reload_tokenizer(pipe: Any, processor_kwargs: dict[str, Any] | None, revision: str | None, lower: bool = False) -> None:
    """The pipeline's tokenizer read again from the model's files with sentence-transformers 6.3's
    processor_kwargs (tokenizer_kwargs) as from_pretrained overrides: model_max_length, do_lower_case,
    truncation_side, special tokens, ... (padding_side "left" only for a family whose vectors do not depend
    on the side: PADDING_SIDE_FREE); nothing for {} or None. `lower`: the module's do_lower_case, applied to the
    tokenizer at load as sentence-transformers applies it (tasks.base.lowercased_by)."""
    from .tasks.base import lowercased_by

    if processor_kwargs:
        _reloaded(pipe, processor_kwargs, revision)
    if lower:
        lowercased_by(pipe.tokenizer)


def _reloaded(pipe: Any, processor_kwargs: dict[str, Any], revision: str | None) -> None:
    from .errors import TokenizerError
    from .pipeline import check_vocabulary
    from .tokenization import AutoTokenizer

    overrides = _same_revision(processor_kwargs, "processor_kwargs", revision)
    model = pipe.model
    side_free = getattr(getattr(model, "family", None), "PADDING_SIDE_FREE", False)
    if overrides.get("padding_side", "right") != "right" and not side_free:
        raise InputError(f"processor_kwargs={{'padding_side': {overrides['padding_side']!r}}}: leanpipe pads each batch "
                         f"on the right, which gives every text the vectors it has alone; left padding shifts the "
                         f"positions of a BERT-style model's shorter texts (sentence-transformers' vectors then depend on "
                         f"the batch), which leanpipe does not reproduce. Leave padding_side unset (the rotary decoders, Qwen 2 / 3, "
                         f"Llama, Mistral, and Gemma 3's encoder take either side)")
    try:
        tokenizer = AutoTokenizer.from_pretrained(model.name_or_path, revision=model.revision,
                                                  **{**model.hub_options, **overrides})
    except TokenizerError as exc:
        raise InputError(f"processor_kwargs (tokenizer_kwargs): {exc}") from None
    check_vocabulary(tokenizer, model)
    pipe.tokenizer = pipe.runner.tokenizer = tokenizer


def processor_kwargs_of(processor_kwargs: dict[str, Any] | None, legacy: dict[str, Any] | None) -> dict[str, Any] | None:
    """processor_kwargs, or tokenizer_kwargs (its name before sentence-transformers 6) when only that is
    given; both given: processor_kwargs, as there (the older one is dropped)."""
    return processor_kwargs if processor_kwargs is not None else legacy


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
