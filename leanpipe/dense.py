"""sentence-transformers' Dense module on NumPy: a linear layer (and activation) some checkpoints put
after pooling, e.g. sentence-transformers/LaBSE (768 -> 768, tanh) and
distiluse-base-multilingual-cased (768 -> 512, tanh).

A module folder such as `2_Dense/` holds config.json
({"in_features": 768, "out_features": 512, "bias": true,
  "activation_function": "torch.nn.modules.activation.Tanh"}) and the weights `linear.weight` (out, in),
`linear.bias` (out,) in model.safetensors or pytorch_model.bin
(sentence_transformers/base/modules/dense.py, Dense.forward: activation(linear(x)) [+ residual]).

>>> layer = read_dense("sentence-transformers/LaBSE", "2_Dense", config)  # config: 2_Dense/config.json
>>> layer(pooled).shape   # (B, 768) -> (B, 768)
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import hub
from .blas_threads import single_threaded
from .errors import CheckpointError

logger = logging.getLogger(__name__)
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")  # the order sentence-transformers tries them


def _gelu(x: np.ndarray) -> np.ndarray:
    """torch.nn.GELU() as configured by class name alone: exact erf GELU (approximate='none')."""
    from .engine.numpy_ops import _erf

    return 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))


# torch.nn activation classes by name, each built with no arguments as sentence-transformers builds them
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "Identity": lambda x: x,
    "Tanh": np.tanh,
    "ReLU": lambda x: np.maximum(x, np.float32(0)),
    "GELU": _gelu,
    "Sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "SiLU": lambda x: x / (1.0 + np.exp(-x)),
}
DEFAULT_ACTIVATION = "Tanh"  # Dense's default, also what it falls back to for a path outside torch.*


@dataclass(frozen=True, eq=False)
class Dense:
    """One Dense module: (B, in) -> (B, out)."""

    folder: str  # the module's folder in the checkpoint, e.g. "2_Dense"
    weight: np.ndarray  # (out, in), linear.weight
    bias: np.ndarray | None  # (out,), linear.bias; None when config.json says "bias": false
    activation: str  # a key of ACTIVATIONS
    residual: np.ndarray | None = None  # (out, in), residual.weight: use_residual with in != out
    use_residual: bool = False

    @property
    def out_features(self) -> int:
        return int(self.weight.shape[0])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        with single_threaded():  # between two engine calls: NumPy's BLAS threads would spin on their cores
            return self._apply(x)

    def _apply(self, x: np.ndarray) -> np.ndarray:
        y = x @ self.weight.T  # (B, out)
        if self.bias is not None:
            y = y + self.bias
        y = ACTIVATIONS[self.activation](y).astype(np.float32, copy=False)
        if self.use_residual:  # added after the activation (Dense.forward)
            y = y + (x if self.residual is None else x @ self.residual.T)
        return y


def read_dense(name_or_path: str | os.PathLike, folder: str, config: dict[str, Any] | None, *,
               revision: str | None = None, tokens: bool = False, shape_from_weight: bool = False) -> Dense:
    """The Dense module in `folder` of a checkpoint (a local folder or hub repo), given its parsed
    config.json (None when the folder has none). `tokens`: a multi-vector model's, on token_embeddings
    (else only sentence_embedding is taken); `shape_from_weight`: in / out read from linear.weight (a
    Stanford-NLP ColBERT's projection, stored beside the encoder's weights with no config)."""
    weights, source = _weights(name_or_path, folder, revision) if shape_from_weight else ({}, "")
    if shape_from_weight:
        n_out, n_in = np.shape(_tensor(weights, "linear.weight", None, source))
        config = {**(config or {}), "in_features": int(n_in), "out_features": int(n_out)}
    _check_config(config, f"{name_or_path}/{folder}/config.json")
    if not shape_from_weight:
        weights, source = _weights(name_or_path, folder, revision)
    n_in, n_out = config.get("in_features"), config.get("out_features")
    bias, use_residual = bool(config.get("bias", True)), bool(config.get("use_residual", False))
    weight = _tensor(weights, "linear.weight", (n_out, n_in), source)
    residual = _tensor(weights, "residual.weight", (n_out, n_in), source) if use_residual and n_in != n_out else None
    level = "token_embeddings" if tokens else "sentence_embedding"
    for key in ("module_input_name", "module_output_name"):
        if config.get(key, level) not in (None, level):
            where = ("a multi-vector model's Dense modules on token_embeddings" if tokens else
                     "Dense modules on the sentence embedding here (token-level Dense modules belong to multi-vector "
                     "models: leanpipe.MultiVectorEncoder)")
            raise CheckpointError(f"{name_or_path}/{folder}/config.json: {key} {config[key]!r}: leanpipe runs {where}")
    return Dense(folder=folder, weight=weight, bias=_tensor(weights, "linear.bias", (n_out,), source) if bias else None,
                 activation=_activation(config.get("activation_function"), name_or_path, folder),
                 residual=residual, use_residual=use_residual)


def dense_file_names(name_or_path: str | os.PathLike, folder: str, *, revision: str | None = None) -> list[str]:
    """The files of a Dense module that a copy of the checkpoint needs: config.json and its weights."""
    names = [f"{folder}/config.json"]
    for filename in WEIGHT_FILES:
        if hub.resolve_file(name_or_path, f"{folder}/{filename}", revision=revision, required=False) is not None:
            return [*names, f"{folder}/{filename}"]
    return names


def _check_config(config: dict[str, Any] | None, where: str) -> None:
    if config is None:
        raise CheckpointError(f"{where} is missing; download the checkpoint's Dense folder too")
    sizes = [config.get(k) for k in ("in_features", "out_features")]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in sizes):
        raise CheckpointError(f"{where} should give a Dense module's in_features and out_features as positive "
                              f"integers, found {config!r:.200}; re-download the checkpoint")


def _weights(name_or_path: str | os.PathLike, folder: str, revision: str | None) -> tuple[dict[str, np.ndarray], str]:
    from .weights.safetensors import load_safetensors
    from .weights.torch_pickle import load_torch_pickle

    for filename, load in zip(WEIGHT_FILES, (load_safetensors, load_torch_pickle)):
        path = hub.resolve_file(name_or_path, f"{folder}/{filename}" if folder else filename, revision=revision,
                                required=False)
        if path is not None:  # pytorch_model.bin read without torch and without running pickle code
            return load(path), str(path)
    raise CheckpointError(f"{name_or_path}: the Dense module in {folder}/ has no {' or '.join(WEIGHT_FILES)}; "
                          f"download the checkpoint's {folder}/ folder too")


def _tensor(weights: dict[str, np.ndarray], name: str, shape: tuple | None, source: str) -> np.ndarray:
    if name not in weights:
        raise CheckpointError(f"{source} has no {name!r} (found {sorted(weights)[:6]}); re-download the checkpoint")
    array = np.asarray(weights[name], dtype=np.float32)
    if shape is not None and array.shape != shape:
        raise CheckpointError(f"{source}: {name} has shape {list(array.shape)}, config.json says {list(shape)}")
    return array


def _activation(spec: Any, name_or_path: str | os.PathLike, folder: str) -> str:
    """'torch.nn.modules.activation.Tanh' -> 'Tanh'. As sentence-transformers (without
    trust_remote_code): no key, or a path outside torch.*, gives Tanh."""
    if spec is None:
        return DEFAULT_ACTIVATION
    if not isinstance(spec, str) or not spec.startswith("torch."):
        logger.warning(f"{name_or_path}/{folder}: activation function {spec!r} is not a torch.nn class; using "
                       f"{DEFAULT_ACTIVATION}, as sentence-transformers does without trust_remote_code")
        return DEFAULT_ACTIVATION
    name = spec.rsplit(".", 1)[-1]
    if name not in ACTIVATIONS:
        raise CheckpointError(f"{name_or_path}/{folder}/config.json: activation_function {spec!r} is not one leanpipe "
                              f"runs; it runs {sorted(ACTIVATIONS)}")
    return name
