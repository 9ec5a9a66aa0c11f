"""sentence-transformers' CrossEncoder over leanpipe's engine: (text, text) pairs -> scores.

    reranker = CrossEncoder("cross-encoder/ms-marco-MiniLM-L6-v2")
    reranker.predict([("query", "passage"), ...])      # (N,) sigmoid scores
    reranker.rank("query", ["passage", ...])           # best first

The activation is read as sentence-transformers 6.3 reads it: config_sentence_transformers.json's
"activation_fn" (6.x saves), else config.json's "sentence_transformers": {"activation_fn": ...} (4.x-5.x),
else its "sbert_ce_default_activation_function" (before 4.0), else sigmoid for one label and none for
several. A saved class outside torch is only used with trust_remote_code=True, as there.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Sequence

import numpy as np

from .errors import InputError
from .functional import sigmoid, softmax
from .hub import hub_options
from .pooling import model_settings, module_kinds, read_transformer_config, transformer_folder
from .sentence_io import TorchStyle, _as_output, config_overrides_checked, legacy_names, load_arguments, reload_tokenizer
from .sentence_modules import ModuleSequence, Transformer
from .sentence_pool import PoolCalls, check_pool_call
from .sentence_save import write_cross_encoder_modules, write_settings

logger = logging.getLogger(__name__)

# short name -> (what runs it, the torch class sentence-transformers saves for it)
ACTIVATIONS = {
    "sigmoid": (sigmoid, "torch.nn.modules.activation.Sigmoid"),
    "identity": (lambda x: x, "torch.nn.modules.linear.Identity"),
    "softmax": (lambda x: softmax(x, dim=-1), "torch.nn.modules.activation.Softmax"),
    "tanh": (np.tanh, "torch.nn.modules.activation.Tanh"),
}


class CrossEncoder(ModuleSequence, TorchStyle, PoolCalls):
    """sentence-transformers' CrossEncoder for a sequence classifier checkpoint.

    `max_length` (or the max_seq_length property) cuts each pair to that many tokens; without it
    processor_kwargs' model_max_length, else the tokenizer's capped at the model's positions, as
    sentence-transformers. `processor_kwargs` (`tokenizer_kwargs`) and `config_kwargs` as
    SentenceTransformer takes them. `model[0]` is its one module, a Transformer."""

    def __init__(self, model_name_or_path: str | os.PathLike, num_labels: int | None = None, max_length: int | None = None,
                 activation_fn: Any = None, device: Any = None, cache_folder: str | None = None,
                 trust_remote_code: bool = False, revision: str | None = None, local_files_only: bool = False,
                 token: Any = None, model_kwargs: dict[str, Any] | None = None, backend: str = "torch", *,
                 processor_kwargs: dict[str, Any] | None = None, config_kwargs: dict[str, Any] | None = None,
                 tokenizer_kwargs: dict[str, Any] | None = None,
                 num_threads: int | None = None, quantize: str | None = None) -> None:
        from .pipeline import pipeline

        processor_kwargs, options = load_arguments(device, backend, processor_kwargs, tokenizer_kwargs, cache_folder, token,
                                                   local_files_only, revision, model_kwargs, config_kwargs,
                                                   trust_remote_code, num_threads, quantize)
        with config_overrides_checked(config_kwargs):
            self._pipe = pipeline("text-classification", model_name_or_path, **options)
        self._do_lower_case = _lowercases(self._pipe.model)
        reload_tokenizer(self._pipe, processor_kwargs, revision, self._do_lower_case)
        self.model, self.tokenizer = self._pipe.model, self._pipe.tokenizer
        if num_labels is not None and num_labels != self.model.config.num_labels:
            raise InputError(f"num_labels={num_labels}: {model_name_or_path} has {self.model.config.num_labels} labels; "
                             f"leanpipe runs trained cross-encoders only (leave num_labels unset)")
        self._settings = _settings(self.model)
        if max_length is None:  # max_length wins over processor_kwargs' model_max_length, as there
            max_length = (processor_kwargs or {}).get("model_max_length")
            max_length = self._default_max_length() if max_length is None else max_length
        self.max_seq_length = max_length
        self.activation_fn = activation_fn if activation_fn is not None else self._saved_activation(trust_remote_code)

    def _build_modules(self) -> list[Any]:
        return [Transformer(self, "sequence-classification", method_output_name="logits", module_output_name="scores",
                            do_lower_case=self._do_lower_case)]

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None) -> dict[str, Any]:
        """(text, text) pairs (or texts) -> the model's padded inputs as sentence-transformers' tokenize
        (its preprocess) makes them, as (B, T) int64 NumPy arrays cut at max_seq_length (longest_first)."""
        return self[0].preprocess(inputs, prompt=prompt)

    def tokenize(self, texts: Sequence[Any], **options: Any) -> dict[str, Any]:
        """sentence-transformers 6's deprecated name for preprocess."""
        return self.preprocess(texts, **options)

    @property
    def config(self) -> Any:
        """The model's config (config.json), as CrossEncoder.config."""
        return self.model.config

    @property
    def num_labels(self) -> int:
        return self.model.config.num_labels

    @property
    def max_seq_length(self) -> int:
        """Tokens per pair after truncation: the tokenizer's model_max_length, as sentence-transformers 6.3
        keeps it (max_length= at load, else the tokenizer's capped at the model's positions); settable."""
        return int(self.tokenizer.model_max_length)

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"max_seq_length must be a positive number of tokens, got {value!r}")
        self.tokenizer.model_max_length = value

    max_length = max_seq_length  # the older name, still sentence-transformers' (deprecated) alias

    def _default_max_length(self) -> int:
        positions = getattr(self.model.config, "max_position_embeddings", None)
        limit = int(self.tokenizer.model_max_length)
        return limit if positions in (None, -1) else min(limit, int(positions))

    @property
    def activation_fn(self):
        """The function applied to the logits (N, L) -> (N, L); set it by torch class path, short name
        ("sigmoid", "identity", "softmax", "tanh") or a callable (a torch module is applied to a tensor)."""
        return self._activation

    @activation_fn.setter
    def activation_fn(self, spec: Any) -> None:
        self._activation, self._activation_path = _activation(spec)

    def _saved_activation(self, trusted: bool) -> str:
        config = self.model.config
        saved = getattr(config, "sentence_transformers", None)
        for path in (self._settings.get("activation_fn"),
                     saved.get("activation_fn") if isinstance(saved, dict) else None,
                     getattr(config, "sbert_ce_default_activation_function", None)):  # before v4
            if path and (trusted or str(path).startswith("torch.")):
                return path
            if path:
                logger.warning("activation_fn %r is not a torch class; using the default activation instead "
                               "(load with trust_remote_code=True to use it, as sentence-transformers)", path)
        return "sigmoid" if self.num_labels == 1 else "identity"

    @legacy_names(sentences="inputs", activation_fct="activation_fn")
    def predict(self, inputs: Sequence[Sequence[str]] | Sequence[str], batch_size: int = 32,
                show_progress_bar: bool | None = None, activation_fn: Any = None, apply_softmax: bool | None = False,
                convert_to_numpy: bool = True, convert_to_tensor: bool = False, device: Any = None,
                pool: dict[str, Any] | None = None, chunk_size: int | None = None) -> Any:
        """Pairs -> scores: (N,) for one label, (N, L) for several; one pair -> one score (or (L,)).
        `pool`, a list of CPU `device`s and `chunk_size`: the multi-process call, run in this process
        (leanpipe.sentence_pool)."""
        check_pool_call(pool, device, chunk_size)
        single = len(inputs) == 2 and all(isinstance(s, str) for s in inputs)
        pairs = [tuple(inputs)] if single else [tuple(p) for p in inputs]
        for pair in pairs:
            if len(pair) != 2 or not all(isinstance(s, str) for s in pair):
                raise InputError(f"CrossEncoder.predict takes (text, text) pairs; got {pair!r:.80}")
        logits = self._logits(pairs, batch_size)  # (N, L)
        activation = self.activation_fn if activation_fn is None else _activation(activation_fn)[0]
        scores = activation(logits)
        if apply_softmax and scores.shape[1] > 1:
            scores = softmax(scores, dim=-1)
        scores = scores[:, 0] if scores.shape[1] == 1 else scores
        return _as_output(scores.astype(np.float32), single, convert_to_numpy, convert_to_tensor)

    @legacy_names(sentences="inputs", activation_fct="activation_fn")
    def rank(self, query: str, documents: Sequence[str], top_k: int | None = None, return_documents: bool = False,
             batch_size: int = 32, show_progress_bar: bool | None = None, activation_fn: Any = None,
             apply_softmax: bool = False, convert_to_numpy: bool = True, convert_to_tensor: bool = False) -> list[dict[str, Any]]:
        """[{"corpus_id": i, "score": s (, "text": document)}, ...], best first (top_k of them)."""
        if self.num_labels != 1:
            raise InputError(f"rank needs a cross-encoder with one output score; this one has {self.num_labels} labels")
        scores = self.predict([(query, d) for d in documents], batch_size=batch_size, activation_fn=activation_fn)
        ranked = [{"corpus_id": i, "score": float(s), **({"text": documents[i]} if return_documents else {})}
                  for i, s in enumerate(np.atleast_1d(scores))]
        ranked.sort(key=lambda r: r["score"], reverse=True)
        return ranked[:top_k] if top_k is not None else ranked

    def _logits(self, pairs: list[tuple[str, str]], batch_size: int) -> np.ndarray:
        """(N, L) logits, computed in length-sorted batches and returned in input order."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
        from .pipeline import padded_batches, run_batches

        encodings = self.tokenizer.encode_batch_raw([a for a, _ in pairs], [b for _, b in pairs],
                                                    max_length=self.max_seq_length)
        out = np.zeros((len(pairs), self.num_labels), np.float32)
        batches = [(batch, self.model.check_inputs(**padded)) for batch, padded in padded_batches(self.tokenizer, encodings, batch_size)]
        for batch, result in run_batches(self.model, batches):
            out[batch] = result["logits"]
        return out

    def save_pretrained(self, path: str | os.PathLike) -> None:
        """The model, the tokenizer (its model_max_length: max_seq_length) and config_sentence_transformers.json
        with the activation as sentence-transformers 6.3 writes it; loadable by both libraries."""
        self._pipe.save_pretrained(path)
        write_cross_encoder_modules(path)
        write_settings(path, {"model_type": "CrossEncoder", "activation_fn": self._activation_path,
                              "prompts": self._settings.get("prompts") or {},
                              "default_prompt_name": self._settings.get("default_prompt_name")})

    save = save_pretrained

    def __repr__(self) -> str:
        return f"CrossEncoder({self.model.name_or_path!r}, num_labels={self.num_labels})"


def _settings(model: Any) -> dict[str, Any]:
    """config_sentence_transformers.json as a dict, when the checkpoint has a modules.json too: without one
    sentence-transformers 6.3 loads the folder as a plain transformers model and does not read it. {} otherwise."""
    with hub_options(model.hub_options):
        listed = module_kinds(model.name_or_path, revision=model.revision)
    return model_settings(model) if listed else {}


def _lowercases(model: Any) -> bool:
    """sentence_bert_config.json's do_lower_case, when the checkpoint has a modules.json (as _settings reads it)."""
    with hub_options(model.hub_options):
        listed = module_kinds(model.name_or_path, revision=model.revision)
        return bool(listed) and bool(read_transformer_config(model.name_or_path, transformer_folder(
            model.name_or_path, revision=model.revision), revision=model.revision).get("do_lower_case", False))


def _activation(spec: Any) -> tuple[Any, str]:
    """An activation given as sentence-transformers saves it ("torch.nn.modules.activation.Sigmoid"),
    a short name, or a callable (a torch module is applied to a tensor) -> (function on (N, L) arrays,
    the class path save() writes)."""
    if callable(spec) and not isinstance(spec, str):
        def run(x: np.ndarray) -> np.ndarray:
            try:
                import torch
            except ImportError:
                return np.asarray(spec(x), dtype=np.float32)
            return spec(torch.from_numpy(x)).detach().numpy()

        kind = spec if isinstance(spec, type) else type(spec)
        return run, f"{kind.__module__}.{kind.__qualname__}"
    name = str(spec).rsplit(".", 1)[-1].lower()
    if name not in ACTIVATIONS:
        raise InputError(f"activation_fn {spec!r}: leanpipe applies Sigmoid, Identity, Softmax, Tanh or a callable")
    function, path = ACTIVATIONS[name]
    return function, str(spec) if "." in str(spec) else path
