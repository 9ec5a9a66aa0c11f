"""sentence-transformers' module views of a loaded leanpipe model: `len(model)`, `model[0]`, `model[-1]`,
`for module in model`, with the attributes code written for sentence-transformers 6.3 reads:

    model = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")
    list(model)          # [Transformer({...'architecture': 'BertModel'}), Pooling({...}), Normalize({...})]
    model[0].auto_model  # the leanpipe BertModel;  model[0].max_seq_length = 128  (the model's too)
    model[1].pooling_mode, model[1].get_embedding_dimension()   # 'mean', 384
    model.tokenize(["a", "b"])   # {"input_ids": (2, T) int64, "token_type_ids": ..., "attention_mask": ...}

Views, not copies: the Transformer module reads and sets its owner's tokenizer and max_seq_length; the
others describe the checkpoint's modules (pooling.SentenceConfig) and refuse to be changed, since
changing them would not change what encode computes.
"""

from __future__ import annotations

import dataclasses
import warnings
from types import SimpleNamespace
from typing import Any, Iterator, Sequence

import numpy as np

from .errors import InputError
from .pooling import MODES, LEGACY_MODE_KEYS, SentenceConfig
from .tasks.base import prompted

# get_pooling_mode_str's order in sentence-transformers <= 5 (not the order the modes are concatenated in)
MODE_STR_ORDER = ("cls", "mean", "max", "mean_sqrt_len_tokens", "weightedmean", "lasttoken")


def _renamed(old: str, new: str) -> None:
    """sentence-transformers 6's warning for a method called by its older name."""
    warnings.warn(f"The `{old}` method has been renamed to `{new}`.", FutureWarning, stacklevel=3)


class _Module:
    """What every module view has: sentence-transformers' `Module.__repr__` over get_config_dict()."""

    def get_config_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config_dict()})"


class Transformer(_Module):
    """The model and its tokenizer. `max_seq_length` is the owner's (SentenceTransformer, CrossEncoder,
    SparseEncoder): setting either sets both, as in sentence-transformers."""

    def __init__(self, owner: Any, transformer_task: str = "feature-extraction",
                 method_output_name: str = "last_hidden_state", module_output_name: str = "token_embeddings",
                 do_lower_case: bool = False) -> None:
        self._owner = owner
        self.transformer_task = transformer_task
        self.modality_config = {"text": {"method": "forward", "method_output_name": method_output_name}}
        self.module_output_name = module_output_name
        self.do_lower_case = do_lower_case

    @property
    def auto_model(self) -> Any:
        """The leanpipe model (BertModel, ...): `.config`, `(**inputs)`, `.run_feeds(...)`."""
        return self._owner._pipe.model

    model = auto_model

    @property
    def config(self) -> Any:
        return self.auto_model.config

    @property
    def tokenizer(self) -> Any:
        return self._owner.tokenizer

    processor = tokenizer  # sentence-transformers 6's name for a text model's tokenizer

    @property
    def max_seq_length(self) -> int:
        return self._owner.max_seq_length

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        self._owner.max_seq_length = value

    def get_embedding_dimension(self) -> int:
        """The hidden size: numbers per token vector."""
        return int(self.config.hidden_size)

    def get_word_embedding_dimension(self) -> int:
        _renamed("get_word_embedding_dimension", "get_embedding_dimension")
        return self.get_embedding_dimension()

    def tokenize(self, texts: Sequence[Any], prompt: str | None = None) -> dict[str, Any]:
        """As the owner's preprocess (sentence-transformers 6: the module's preprocess)."""
        return tokenize(self.tokenizer, texts, self.max_seq_length, self.do_lower_case, prompt)

    preprocess = tokenize

    def get_config_dict(self) -> dict[str, Any]:
        return {"transformer_task": self.transformer_task, "modality_config": self.modality_config,
                "module_output_name": self.module_output_name}

    def __repr__(self) -> str:
        return f"Transformer({dict(self.get_config_dict(), architecture=type(self.auto_model).__name__)})"


class MLMTransformer(Transformer):
    """The masked-LM Transformer of a SparseEncoder checkpoint whose modules.json names this older class
    (sentence-transformers 6 loads it as such and prints it as a Transformer, as here)."""


@dataclasses.dataclass(frozen=True, repr=False)
class Pooling(_Module):
    """Token vectors (B, T, H) -> one vector per text, by `pooling_mode` (a mode, or a tuple of modes
    whose vectors are concatenated). The pooling_mode_* flags and get_pooling_mode_str() are
    sentence-transformers <= 5's view of the same setting."""

    embedding_dimension: int
    pooling_mode: str | tuple[str, ...] = "mean"
    include_prompt: bool = True

    POOLING_MODES = MODES

    @property
    def _modes(self) -> tuple[str, ...]:
        return (self.pooling_mode,) if isinstance(self.pooling_mode, str) else tuple(self.pooling_mode)

    @property
    def pooling_output_dimension(self) -> int:
        return len(self._modes) * self.embedding_dimension

    @property
    def word_embedding_dimension(self) -> int:
        return self.embedding_dimension

    def get_embedding_dimension(self) -> int:
        return self.pooling_output_dimension

    def get_sentence_embedding_dimension(self) -> int:
        _renamed("get_sentence_embedding_dimension", "get_embedding_dimension")
        return self.get_embedding_dimension()

    def get_pooling_mode_str(self) -> str:
        """"mean", "cls", "cls+max", ... (sentence-transformers <= 5; 6 has `pooling_mode` only)."""
        return "+".join(m for m in MODE_STR_ORDER if m in self._modes)

    def get_config_dict(self) -> dict[str, Any]:
        return {"embedding_dimension": self.embedding_dimension, "pooling_mode": self.pooling_mode,
                "include_prompt": self.include_prompt}


for _key, _mode in LEGACY_MODE_KEYS.items():  # pooling_mode_mean_tokens, ...: True when the mode is in use
    setattr(Pooling, _key, property(lambda self, mode=_mode: mode in self._modes))


@dataclasses.dataclass(frozen=True, repr=False)
class Dense(_Module):
    """A linear layer (and activation) after the pooling: `linear.weight` (out, in), `linear.bias` (out,)
    as NumPy arrays; `activation_function` is the torch class path sentence-transformers saves."""

    in_features: int
    out_features: int
    bias: bool
    activation_function: str
    linear: Any
    use_residual: bool = False
    module_input_name: str = "sentence_embedding"
    module_output_name: str = "sentence_embedding"

    def get_embedding_dimension(self) -> int:
        return self.out_features

    def get_sentence_embedding_dimension(self) -> int:
        _renamed("get_sentence_embedding_dimension", "get_embedding_dimension")
        return self.out_features

    def get_config_dict(self) -> dict[str, Any]:
        config = {"in_features": self.in_features, "out_features": self.out_features, "bias": self.bias,
                  "activation_function": self.activation_function, "module_input_name": self.module_input_name,
                  "module_output_name": self.module_output_name}
        return {**config, "use_residual": True} if self.use_residual else config  # left out at its default, as there


@dataclasses.dataclass(frozen=True, repr=False)
class Normalize(_Module):
    """Scales every sentence vector to unit length."""

    module_input_name: str = "sentence_embedding"
    module_output_name: str = "sentence_embedding"

    def get_config_dict(self) -> dict[str, Any]:
        return {"module_input_name": self.module_input_name, "module_output_name": self.module_output_name}


@dataclasses.dataclass(frozen=True, repr=False)
class StaticEmbedding(_Module):
    """A table of token vectors whose mean is the sentence vector (no transformer, no length limit)."""

    tokenizer: Any  # tokenizers.Tokenizer
    embedding_dim: int
    num_embeddings: int
    max_seq_length = float("inf")

    def get_embedding_dimension(self) -> int:
        return self.embedding_dim

    def tokenize(self, texts: Sequence[str], prompt: str | None = None) -> dict[str, np.ndarray]:
        """{"input_ids": all texts' ids end to end (N,), "offsets": where each text starts (B,)}, as
        sentence-transformers' StaticEmbedding.preprocess (no special tokens; `prompt` before each text)."""
        rows = [e.ids for e in self.tokenizer.encode_batch(prompted(_text_list(texts), prompt or ""), add_special_tokens=False)]
        lengths = [len(r) for r in rows]
        return {"input_ids": np.array([i for r in rows for i in r], dtype=np.int64),
                "offsets": np.cumsum([0] + lengths[:-1]).astype(np.int64)}

    preprocess = tokenize

    def get_config_dict(self) -> dict[str, Any]:
        return {}


@dataclasses.dataclass(frozen=True, repr=False)
class SpladePooling(_Module):
    """A SparseEncoder's pooling: each vocabulary entry's weight over the tokens (max or sum of
    log1p(relu(logits))). `embedding_dimension` is the vocabulary size (sentence-transformers leaves it
    None until its first encode)."""

    pooling_strategy: str
    activation_function: str
    embedding_dimension: int

    def get_embedding_dimension(self) -> int:
        return self.embedding_dimension

    def get_config_dict(self) -> dict[str, Any]:
        return {"pooling_strategy": self.pooling_strategy, "activation_function": self.activation_function,
                "embedding_dimension": self.embedding_dimension}


def _text_list(texts: Any) -> list[Any]:
    if isinstance(texts, str):
        raise InputError("tokenize takes a list of texts (or of (text, text) pairs); wrap one text in a list")
    return list(texts)


def tokenize(tokenizer: Any, texts: Sequence[Any], max_length: int, lower: bool = False,
             prompt: str | None = None) -> dict[str, Any]:
    """Texts (or (text, text) pairs) -> the padded model inputs sentence-transformers' Transformer module
    makes: (B, T) int64 arrays, cut at `max_length` tokens (longest_first for pairs), padded to the
    longest row; token_type_ids when the tokenizer's model takes them. [] -> {} as there. A `prompt`
    goes before each text (a pair's first), and "prompt_length" says how many tokens it takes with the
    leading special token (the prompt alone, its trailing special token not counted), as there.

    tokenize(tok, ["hello world"], 256) -> {"input_ids": [[101, 7592, 2088, 102]], "token_type_ids": ..., ...}"""
    items = _text_list(texts)
    if not items:
        return {}
    pairs = [isinstance(x, (tuple, list)) for x in items]
    if any(pairs) and not all(pairs) or any(p and len(x) != 2 for p, x in zip(pairs, items)):
        raise InputError("tokenize takes texts, or (text, text) pairs, not a mix; got "
                         f"{[type(x).__name__ for x in items][:6]}")
    if all(pairs):
        first, second = prompted([a for a, _ in items], prompt or "", tokenizer, lower), prompted([b for _, b in items], "")
    else:
        first, second = prompted(items, prompt or "", tokenizer, lower), None
    encoded = tokenizer(first, second, padding=True, truncation="longest_first", max_length=max_length,
                        return_tensors="np")
    arrays: dict[str, Any] = {key: np.asarray(value, dtype=np.int64) for key, value in encoded.items()}
    if prompt:
        ids = tokenize(tokenizer, [prompt], max_length, lower)["input_ids"][0]
        arrays["prompt_length"] = len(ids) - (1 if int(ids[-1]) in tokenizer.all_special_ids else 0)
    return arrays


def sentence_modules(owner: Any, config: SentenceConfig, hidden_size: int) -> list[_Module]:
    """A SentenceTransformer's modules in modules.json's order: Transformer and Pooling (or a
    StaticEmbedding), the Dense modules, Normalize when there is one. Without a modules.json, a
    Transformer and mean Pooling, as sentence-transformers builds them."""
    if config.static is not None:
        static = config.static
        modules: list[_Module] = [StaticEmbedding(static.tokenizer, static.dimension, int(static.table.shape[0]))]
    else:
        mode = config.modes[0] if len(config.modes) == 1 else tuple(config.modes)
        modules = [Transformer(owner, do_lower_case=config.do_lower_case),
                   Pooling(hidden_size, mode, config.include_prompt)]
    modules += [_dense_view(layer) for layer in config.dense]
    return modules + [Normalize()] if config.normalize else modules


def _dense_view(layer: Any) -> Dense:
    """A leanpipe.dense.Dense as sentence-transformers' Dense module."""
    return Dense(in_features=int(layer.weight.shape[1]), out_features=layer.out_features, bias=layer.bias is not None,
                 activation_function=ACTIVATION_PATHS.get(layer.activation, layer.activation),
                 linear=SimpleNamespace(weight=layer.weight, bias=layer.bias), use_residual=layer.use_residual)


ACTIVATION_PATHS = {"Identity": "torch.nn.modules.linear.Identity", "Tanh": "torch.nn.modules.activation.Tanh",
                    "ReLU": "torch.nn.modules.activation.ReLU", "GELU": "torch.nn.modules.activation.GELU",
                    "Sigmoid": "torch.nn.modules.activation.Sigmoid", "SiLU": "torch.nn.modules.activation.SiLU"}


class ModuleSequence:
    """torch.nn.Sequential's reading side, as on sentence-transformers' models: len(model), model[i]
    (a slice: a list), iteration, _first_module() / _last_module(). Subclasses build the list in
    `_build_modules()`, once."""

    _module_list: list[Any] | None = None

    def _build_modules(self) -> list[Any]:
        raise NotImplementedError

    def _modules_view(self) -> list[Any]:
        if self._module_list is None:
            self._module_list = self._build_modules()
        return self._module_list

    def __len__(self) -> int:
        return len(self._modules_view())

    def __bool__(self) -> bool:  # a loaded model is true, without building its modules (`if model:`)
        return True

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, bool) or not isinstance(index, (int, slice)):
            raise InputError(f"modules are indexed by position (model[0], model[-1]), got {index!r}")
        try:
            return self._modules_view()[index]
        except IndexError:
            raise IndexError(f"index {index} is out of range: this model has {len(self)} modules") from None

    def __iter__(self) -> Iterator[Any]:
        return iter(self._modules_view())

    def _first_module(self) -> Any:
        return self._modules_view()[0]

    def _last_module(self) -> Any:
        return self._modules_view()[-1]
