"""sentence-transformers' SparseEncoder over leanpipe's engine, for SPLADE checkpoints:

    model = SparseEncoder("naver/splade-cocondenser-ensembledistil")
    vectors = model.encode(["What is SPLADE?", "Sparse lexical vectors."])   # (2, 30522) float32, mostly zeros
    model.decode(vectors[0], top_k=5)                                        # [("splade", 2.1), ...]
    model.similarity(vectors, vectors)                                       # (2, 2) dot products

Same vectors as sentence-transformers 6 (leanpipe.splade); inference-free checkpoints (a Router: static
query weights, a masked LM for documents) route encode_query / encode_document (leanpipe.sparse_router). Results are NumPy arrays, dense (N, V);
`convert_to_tensor=True` gives sentence-transformers' torch tensors (sparse COO unless
convert_to_sparse_tensor=False) when torch is installed.
"""

from __future__ import annotations

import dataclasses

import os
from typing import Any, Sequence

import numpy as np

from . import sparse_router
from .errors import CheckpointError, InputError
from .hub import hub_options
from .pooling import model_settings, module_kinds, read_model_settings, sentence_options
from .sentence_io import config_overrides_checked, load_arguments, reload_tokenizer
from .sentence_models import _Encoder, _hub_options, _texts, legacy_names
from .sentence_modules import MLMTransformer, ModuleSequence, SpladePooling, Transformer
from .sentence_pool import check_pool_call
from .sentence_save import write_settings
from .tasks.base import prompted
from .tasks.sparse_embeddings import top_dims

SIMILARITY = "dot"  # SparseEncoder's default similarity function


class SparseEncoder(ModuleSequence, _Encoder):
    """A masked-LM checkpoint (MLMTransformer + SpladePooling in modules.json, or none) as SPLADE vectors.
    `processor_kwargs` (`tokenizer_kwargs`) and `config_kwargs` as SentenceTransformer takes them (for every
    masked-LM route of a Router checkpoint); `model[0]`, `model[1]`: its Transformer and SpladePooling modules."""

    default_similarity = SIMILARITY

    def __init__(self, model_name_or_path: str | os.PathLike, device: Any = None, prompts: dict[str, str] | None = None,
                 default_prompt_name: str | None = None, similarity_fn_name: str | None = None,
                 cache_folder: str | None = None, trust_remote_code: bool = False, revision: str | None = None,
                 local_files_only: bool = False, token: Any = None, max_active_dims: int | None = None,
                 model_kwargs: dict[str, Any] | None = None, backend: str = "torch", *,
                 processor_kwargs: dict[str, Any] | None = None, config_kwargs: dict[str, Any] | None = None,
                 tokenizer_kwargs: dict[str, Any] | None = None,
                 num_threads: int | None = None, quantize: str | None = None) -> None:
        processor_kwargs, options = load_arguments(device, backend, processor_kwargs, tokenizer_kwargs, cache_folder, token,
                                                   local_files_only, revision, model_kwargs, config_kwargs,
                                                   trust_remote_code, num_threads, quantize)
        hub = _hub_options(options)
        with hub_options(hub):
            routed = sparse_router.is_router(model_name_or_path, revision)
            self._router = sparse_router.read_router(model_name_or_path, revision) if routed else None
            settings = read_model_settings(model_name_or_path, revision=revision) if routed else None
        self._routes: dict[str, Any] = {}  # route -> its pipeline or StaticSparse (a Router checkpoint)
        self._source = (model_name_or_path, revision, hub)  # where a Router checkpoint's own files are
        if self._router is None:
            with config_overrides_checked(config_kwargs):
                self._pipe = _splade_pipeline(model_name_or_path, options, None)
            settings = model_settings(self._pipe.model)
        else:
            for route, (kind, folders) in self._router.routes.items():
                with config_overrides_checked(config_kwargs):
                    self._routes[route] = (_splade_pipeline(model_name_or_path, options, folders) if kind == "splade" else
                                           sparse_router.StaticSparse(model_name_or_path, folders[0], revision, hub))
            pipes = [r for r in self._routes.values() if not isinstance(r, sparse_router.StaticSparse)]
            if not pipes:
                raise CheckpointError(f"{model_name_or_path}: no route of its Router runs a masked LM; leanpipe needs one")
            self._pipe = pipes[0]  # its tokenizer decodes, its vocabulary is the vectors' width
        for pipe in self._masked_lms():
            reload_tokenizer(pipe, processor_kwargs, revision, pipe.runner.splade_config.do_lower_case)
        if (processor_kwargs or {}).get("model_max_length") is not None:  # over sentence_bert_config.json's, as there
            self.max_seq_length = processor_kwargs["model_max_length"]
        self._set_prompts(settings, prompts, default_prompt_name, similarity_fn_name)
        self.max_active_dims = _check_dims(max_active_dims if max_active_dims is not None else settings.get("max_active_dims"))

    @property
    def tokenizer(self) -> Any:
        return self._pipe.tokenizer

    @property
    def max_seq_length(self) -> int:
        return self._pipe.runner.max_length()

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        """Tokens per text after truncation, for every masked-LM route (and its tokenizer's limit), as
        sentence-transformers sets its MLMTransformer's."""
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"max_seq_length must be a positive number of tokens, got {value!r}")
        for pipe in self._masked_lms():
            pipe.runner.splade_config = dataclasses.replace(pipe.runner.splade_config, max_seq_length=value)
            pipe.tokenizer.model_max_length = value

    def _masked_lms(self) -> list[Any]:
        """The masked-LM pipelines: the model's one, or each of a Router's masked-LM routes."""
        return list({id(p): p for p in [self._pipe, *self._routes.values()] if hasattr(p, "runner")}.values())

    def _build_modules(self) -> list[Any]:
        if self._router is not None:
            raise InputError("module views of a Router checkpoint (inference-free SPLADE) are not available in leanpipe; "
                             "its routes are encode_query's and encode_document's")
        config, model = self._pipe.runner.splade_config, self._pipe.model
        with hub_options(sentence_options(model)):
            listed = module_kinds(model.name_or_path, revision=model.revision)
        kind = MLMTransformer if "MLMTransformer" in listed else Transformer  # the class modules.json names
        return [kind(self, "fill-mask", method_output_name="logits", do_lower_case=config.do_lower_case),
                SpladePooling(config.strategy, config.activation, self.get_embedding_dimension())]

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None) -> dict[str, Any]:
        """Texts -> the masked LM's padded inputs as sentence-transformers' tokenize makes them: (B, T) int64
        NumPy arrays cut at max_seq_length (a `prompt` before each text)."""
        return self[0].preprocess(inputs, prompt=prompt)

    def tokenize(self, texts: Sequence[Any], **options: Any) -> dict[str, Any]:
        """sentence-transformers 6's deprecated name for preprocess."""
        return self.preprocess(texts, **options)

    def get_embedding_dimension(self) -> int:
        """The vocabulary size: one weight per token."""
        return int(self._pipe.model.config.vocab_size)

    get_sentence_embedding_dimension = get_embedding_dimension

    @legacy_names(sentences="inputs")
    def encode(self, inputs: str | Sequence[str], prompt_name: str | None = None, prompt: str | None = None,
               batch_size: int = 32, show_progress_bar: bool | None = None, convert_to_tensor: bool = False,
               convert_to_sparse_tensor: bool = True, save_to_cpu: bool = False, device: Any = None,
               max_active_dims: int | None = None, pool: dict[str, Any] | None = None, chunk_size: int | None = None,
               task: str | None = None, **_options: Any) -> Any:
        """Texts -> (N, V) float32 SPLADE vectors (one text -> (V,)); the `max_active_dims` largest weights
        of each kept when set (here or at load). `task` ("query" / "document") picks a Router's route;
        without it the Router's default route (encode_query / encode_document set it). `pool`, a list of
        CPU `device`s and `chunk_size`: the multi-process call, run in this process (leanpipe.sentence_pool)."""
        check_pool_call(pool, device, chunk_size)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
        texts, single = _texts(inputs)
        dims = _check_dims(max_active_dims) if max_active_dims is not None else self.max_active_dims
        runner = self._routes[sparse_router.route_of(self._router, task)] if self._router else self._pipe
        prompt = self._resolve_prompt(prompt, prompt_name)
        if isinstance(runner, sparse_router.StaticSparse):
            vectors = [top_dims(v, dims) for v in runner.encode(prompted(texts, prompt))]
        else:
            vectors = runner(texts, batch_size=batch_size, return_tensors=True, prompt=prompt, max_active_dims=dims) if texts else []
        matrix = np.stack(vectors) if texts else np.zeros((0, self.get_embedding_dimension()), np.float32)
        if convert_to_tensor:
            return _as_torch(matrix[0] if single else matrix, convert_to_sparse_tensor)
        return matrix[0] if single else matrix

    @legacy_names(sentences="inputs")
    def encode_query(self, inputs: str | Sequence[str], prompt_name: str | None = None, prompt: str | None = None,
                     **options: Any) -> Any:
        """encode through a Router's "query" route (when it has one), with the "query" prompt unless another is given."""
        return super().encode_query(inputs, prompt_name, prompt, **self._task("query", options))

    @legacy_names(sentences="inputs")
    def encode_document(self, inputs: str | Sequence[str], prompt_name: str | None = None, prompt: str | None = None,
                        **options: Any) -> Any:
        return super().encode_document(inputs, prompt_name, prompt, **self._task("document", options))

    def _task(self, route: str, options: dict[str, Any]) -> dict[str, Any]:
        if self._router is not None and route in self._router.routes:
            options = {"task": route, **options}
        return options

    def decode(self, embeddings: Any, top_k: int | None = None) -> list:
        """(V,) -> [(token, weight), ...] largest first (its non-zero weights, or the top_k); (N, V) -> one
        such list per row."""
        matrix = _dense(embeddings)
        rows = [matrix] if matrix.ndim == 1 else list(matrix)
        decoded = []
        for row in rows:
            order = [i for i in np.argsort(-row, kind="stable") if row[i] > 0][:top_k]
            tokens = self.tokenizer.convert_ids_to_tokens([int(i) for i in order])
            decoded.append([(token, float(row[i])) for token, i in zip(tokens, order)])
        return decoded[0] if matrix.ndim == 1 else decoded

    def similarity(self, embeddings1: Any, embeddings2: Any) -> np.ndarray:
        """(N, V), (M, V) -> (N, M), dot products unless configured; torch sparse vectors taken too."""
        return super().similarity(_dense(embeddings1), _dense(embeddings2))

    def similarity_pairwise(self, embeddings1: Any, embeddings2: Any) -> np.ndarray:
        return super().similarity_pairwise(_dense(embeddings1), _dense(embeddings2))

    @staticmethod
    def intersection(embeddings_1: Any, embeddings_2: Any) -> Any:
        """The weights two SPLADE vectors share: embeddings_1 (V,) times embeddings_2 (V,) or (N, V),
        keeping the positive products (the dimensions active in both), e.g. for decode(). NumPy in,
        NumPy out; torch in (dense or sparse), a torch sparse tensor out, as sentence-transformers."""
        torch_in = any(hasattr(e, "detach") for e in (embeddings_1, embeddings_2))
        first, second = _dense(embeddings_1), _dense(embeddings_2)
        if first.ndim != 1:
            raise InputError(f"embeddings_1 must be one vector (V,), got shape {first.shape}")
        if second.ndim not in (1, 2) or second.shape[-1] != first.shape[0]:
            raise InputError(f"embeddings_2 must be (V,) or (N, V) with V = {first.shape[0]}, got shape {second.shape}")
        product = first * second
        shared = np.where(product > 0, product, np.float32(0)).astype(np.float32)
        return _as_torch(shared, sparse=True) if torch_in else shared

    @staticmethod
    def sparsity(embeddings: Any) -> dict[str, float]:
        """{"active_dims": mean non-zero weights per vector, "sparsity_ratio": mean share of zeros}."""
        matrix = np.atleast_2d(_dense(embeddings))
        active = float((matrix != 0).sum(axis=1).mean()) if len(matrix) else 0.0
        return {"active_dims": active, "sparsity_ratio": 1.0 - active / matrix.shape[1]}

    def save_pretrained(self, path: str | os.PathLike) -> None:
        """The checkpoint's files into `path`, loadable by both libraries (a Router's routes too), with this
        object's prompts, default_prompt_name, similarity_fn_name and max_active_dims in
        config_sentence_transformers.json, as sentence-transformers 6.3 writes them."""
        if self._router is None:
            self._pipe.save_pretrained(path)
        else:
            sparse_router.save(self._router, self._routes, self._source, path)
        dims = {"max_active_dims": self.max_active_dims} if self.max_active_dims is not None else {}
        write_settings(path, {"model_type": "SparseEncoder", "prompts": self.prompts,
                              "default_prompt_name": self.default_prompt_name,
                              "similarity_fn_name": self.similarity_fn_name, **dims}, drop=("max_active_dims",))

    save = save_pretrained

    def __repr__(self) -> str:
        return f"SparseEncoder({self._pipe.model.name_or_path!r}, dimension={self.get_embedding_dimension()})"


def _splade_pipeline(name_or_path: str | os.PathLike, options: dict[str, Any], folders: tuple[str, ...] | None):
    """pipeline("sparse-embeddings") over the checkpoint, or over a Router route's MLMTransformer folder
    with that route's SpladePooling settings."""
    from .pipeline import pipeline

    if folders is None:
        return pipeline("sparse-embeddings", name_or_path, **options)
    return sparse_router.route_pipeline(name_or_path, options, folders)


def _check_dims(dims: Any) -> int | None:
    if dims is not None and (isinstance(dims, bool) or not isinstance(dims, int) or dims < 1):
        raise InputError(f"max_active_dims must be a positive integer (or None for all), got {dims!r}")
    return dims


def _dense(x: Any) -> np.ndarray:
    """NumPy, torch dense or torch sparse vectors -> a float32 NumPy array."""
    if type(x).__module__.startswith("torch"):
        x = x.to_dense() if x.is_sparse else x
        return x.detach().cpu().numpy().astype(np.float32, copy=False)
    return np.asarray(x, dtype=np.float32)


def _as_torch(matrix: np.ndarray, sparse: bool) -> Any:
    try:
        import torch
    except ImportError:
        raise InputError("convert_to_tensor=True needs torch; leanpipe returns NumPy arrays without it "
                         "(leave convert_to_tensor unset)") from None
    tensor = torch.from_numpy(np.ascontiguousarray(matrix))
    return tensor.to_sparse() if sparse else tensor


__all__ = ["SparseEncoder", "top_dims"]
