"""sentence-transformers' two everyday classes over leanpipe's engine, for code that uses them:

    model = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")
    vectors = model.encode(["A man is eating food.", "A man rides a horse."])   # (2, 384) float32
    model.similarity(vectors, vectors)                                         # (2, 2) cosine

    reranker = CrossEncoder("cross-encoder/ms-marco-MiniLM-L6-v2")
    reranker.predict([("query", "passage"), ...])                              # (N,) sigmoid scores
    reranker.rank("query", ["passage", ...])                                   # best first

Same checkpoint files and answers as sentence-transformers 5/6 (modules.json pooling and Normalize,
sentence_bert_config.json, config_sentence_transformers.json prompts and similarity function, a
cross-encoder's config.json activation). Results are NumPy arrays; with convert_to_tensor=True,
torch tensors when torch is installed. Only what inference needs: no training, no multi-process pools.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
from typing import Any, Iterator, Sequence

import numpy as np

from .errors import InputError
from .cross_encoder import CrossEncoder  # noqa: F401  (leanpipe.CrossEncoder is looked up here)
from .pooling import l2_normalize, model_settings
from .sentence_io import (TorchStyle, _as_output, _check_device, _load_options, legacy_names,  # noqa: F401  (leanpipe.sparse_encoder's too)
                          config_overrides_checked, load_arguments, loading_kwargs, processor_kwargs_of, reload_tokenizer)
from .sentence_modules import ModuleSequence, sentence_modules
from .sentence_pool import PoolCalls, check_pool_call
from .sentence_save import write_max_seq_length, write_settings
from .similarity import PRECISIONS, SIMILARITIES, quantize_embeddings, similarity, similarity_name, similarity_pairwise
DOCUMENT_PROMPTS = ("document", "passage", "corpus")  # encode_document's prompt names, in sentence-transformers' order


def _token_output(tokens: list[np.ndarray], single: bool, convert_to_tensor: bool) -> Any:
    """Token vectors (T_i, H) per text, as sentence-transformers returns them (torch tensors on request)."""
    if convert_to_tensor:
        tokens = [_as_output(t, False, True, True) for t in tokens]
    return tokens[0] if single else tokens


def _texts(inputs: Any) -> tuple[list[str], bool]:
    """encode's input as (texts, whether one string was given); anything else than a string or a
    sequence of them is refused naming it (the strings themselves are checked when tokenized)."""
    if isinstance(inputs, str):
        return [inputs], True
    if isinstance(inputs, (list, tuple)) or (hasattr(inputs, "__iter__") and not isinstance(inputs, (bytes, dict))):
        return list(inputs), False
    raise InputError(f"encode takes a string or a list of strings, got {type(inputs).__name__}")


class _Encoder(TorchStyle, PoolCalls):
    """What SentenceTransformer and SparseEncoder share: prompts (config_sentence_transformers.json's,
    plus the caller's), encode_query / encode_document, and the similarity function."""

    _similarity_fn_name: str
    default_similarity = "cosine"  # what None means

    @property
    def similarity_fn_name(self) -> str:
        """"cosine", "dot", "euclidean" or "manhattan"; settable by name or SimilarityFunction member
        (None: the class's default), anything else refused when set."""
        return self._similarity_fn_name

    @similarity_fn_name.setter
    def similarity_fn_name(self, value: Any) -> None:
        self._similarity_fn_name = similarity_name(self.default_similarity if value is None else value)

    def _set_prompts(self, settings: dict[str, Any], prompts: dict[str, str] | None, default_prompt_name: str | None,
                     similarity_fn_name: Any) -> None:
        self.prompts = {"query": "", "document": "", **(settings.get("prompts") or {}), **(prompts or {})}
        self.default_prompt_name = default_prompt_name or settings.get("default_prompt_name")
        if self.default_prompt_name is not None and self.default_prompt_name not in self.prompts:
            raise InputError(f"default_prompt_name {self.default_prompt_name!r} is not one of the prompts {sorted(self.prompts)}")
        saved = settings.get("similarity_fn_name")  # one sentence-transformers does not know is ignored, as there
        self.similarity_fn_name = similarity_fn_name or (saved if saved in SIMILARITIES else None)

    def _resolve_prompt(self, prompt: str | None, prompt_name: str | None) -> str:
        if prompt is not None:
            return prompt
        if prompt_name is not None:
            if prompt_name not in self.prompts:
                raise InputError(f"prompt_name {prompt_name!r} is not one of the prompts {sorted(self.prompts)}")
            return self.prompts[prompt_name]
        return self.prompts.get(self.default_prompt_name, "") if self.default_prompt_name else ""

    @legacy_names(sentences="inputs")
    def encode(self, inputs: Any, prompt_name: str | None = None, prompt: str | None = None, **options: Any) -> Any:
        raise NotImplementedError

    @legacy_names(sentences="inputs")
    def encode_query(self, inputs: str | Sequence[str], prompt_name: str | None = None, prompt: str | None = None,
                     **options: Any) -> Any:
        """encode with the "query" prompt unless another is given (empty when the checkpoint has none)."""
        if prompt_name is None and prompt is None and "query" in self.prompts:
            prompt_name = "query"
        return self.encode(inputs, prompt_name=prompt_name, prompt=prompt, **options)

    @legacy_names(sentences="inputs")
    def encode_document(self, inputs: str | Sequence[str], prompt_name: str | None = None, prompt: str | None = None,
                        **options: Any) -> Any:
        """encode with the first of the "document", "passage", "corpus" prompts unless another is given."""
        if prompt_name is None and prompt is None:
            prompt_name = next((name for name in DOCUMENT_PROMPTS if name in self.prompts), None)
        return self.encode(inputs, prompt_name=prompt_name, prompt=prompt, **options)

    def similarity(self, embeddings1: Any, embeddings2: Any) -> np.ndarray:
        """(N, D), (M, D) -> (N, M) under the model's similarity function."""
        return similarity(embeddings1, embeddings2, self.similarity_fn_name)

    def similarity_pairwise(self, embeddings1: Any, embeddings2: Any) -> np.ndarray:
        return similarity_pairwise(embeddings1, embeddings2, self.similarity_fn_name)


class SentenceTransformer(ModuleSequence, _Encoder):
    """sentence-transformers' SentenceTransformer for a Transformer + Pooling (+ Normalize) checkpoint.

    `prompts` / `default_prompt_name` add to and override config_sentence_transformers.json's;
    `truncate_dim` (else config_sentence_transformers.json's) keeps the first dimensions of every vector
    (Matryoshka models). `processor_kwargs` (or its older name `tokenizer_kwargs`) are the tokenizer's
    from_pretrained overrides (model_max_length sets max_seq_length, do_lower_case, truncation_side, ...);
    `config_kwargs` override config.json (a dtype other than float32 is refused there and in model_kwargs).
    `len(model)`, `model[0]` and iteration give its modules (leanpipe.sentence_modules)."""

    def __init__(self, model_name_or_path: str | os.PathLike, device: Any = None, prompts: dict[str, str] | None = None,
                 default_prompt_name: str | None = None, similarity_fn_name: str | None = None,
                 cache_folder: str | None = None, trust_remote_code: bool = False, revision: str | None = None,
                 local_files_only: bool = False, token: Any = None, truncate_dim: int | None = None,
                 model_kwargs: dict[str, Any] | None = None, backend: str = "torch", *,
                 processor_kwargs: dict[str, Any] | None = None, config_kwargs: dict[str, Any] | None = None,
                 tokenizer_kwargs: dict[str, Any] | None = None,
                 num_threads: int | None = None, quantize: str | None = None) -> None:
        from .pipeline import pipeline

        processor_kwargs, options = load_arguments(device, backend, processor_kwargs, tokenizer_kwargs, cache_folder, token,
                                                   local_files_only, revision, model_kwargs, config_kwargs,
                                                   trust_remote_code, num_threads, quantize)
        self._static = _static_model(model_name_or_path, options)  # a StaticEmbedding checkpoint, or None
        if self._static is not None:
            _refuse_static_kwargs(processor_kwargs, config_kwargs)
        with config_overrides_checked(config_kwargs):
            self._pipe = pipeline("sentence-embeddings", self._static or model_name_or_path, **options)
        settings = model_settings(self._pipe.model)
        self._set_prompts(settings, prompts, default_prompt_name, similarity_fn_name)
        self.truncate_dim = truncate_dim if truncate_dim is not None else settings.get("truncate_dim")
        if self._static is None:
            reload_tokenizer(self._pipe, processor_kwargs, revision, self._pipe.runner.sentence_config.do_lower_case)
            limit = (processor_kwargs or {}).get("model_max_length")
            if limit is not None:  # the tokenizer's limit wins over sentence_bert_config.json's, uncapped, as there
                self.max_seq_length = limit
            else:  # sentence-transformers sets the tokenizer's limit to the module's
                self._pipe.tokenizer.model_max_length = self.max_seq_length

    def _build_modules(self) -> list[Any]:
        return sentence_modules(self, self._pipe.runner.sentence_config, self._pipe.model.config.hidden_size)

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None) -> dict[str, Any]:
        """Texts (or (text, text) pairs) -> the first module's padded inputs, as sentence-transformers'
        tokenize (its preprocess) makes them, as (B, T) int64 NumPy arrays: input_ids, token_type_ids
        (when the model takes them), attention_mask, cut at max_seq_length. A `prompt` goes before each
        text (with "prompt_length", as there); its non-tensor "modality" entry is left out. A
        StaticEmbedding model: input_ids and offsets."""
        return self[0].preprocess(inputs, prompt=prompt)

    def tokenize(self, texts: Sequence[Any], **options: Any) -> dict[str, Any]:
        """sentence-transformers 6's deprecated name for preprocess."""
        return self.preprocess(texts, **options)

    @property
    def tokenizer(self) -> Any:
        """The tokenizer (a tokenizers.Tokenizer for a StaticEmbedding model, as sentence-transformers')."""
        return self._pipe.tokenizer if self._static is None else self._static.static.tokenizer

    @property
    def max_seq_length(self) -> int | float:
        """Tokens per text after truncation (sentence_bert_config.json's, else the model's); settable.
        A StaticEmbedding model has no limit: inf, as in sentence-transformers."""
        return self._pipe.runner.max_length() if self._static is None else math.inf

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        if self._static is not None:
            raise InputError("a StaticEmbedding model averages all of a text's tokens and has no max_seq_length to set "
                             "(sentence-transformers' is fixed at inf too); cut the texts before encoding them")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"max_seq_length must be a positive number of tokens, got {value!r}")
        runner = self._pipe.runner
        runner.sentence_config = dataclasses.replace(runner.sentence_config, max_seq_length=value)
        self._pipe.tokenizer.model_max_length = value

    @contextlib.contextmanager
    def truncate_embeddings(self, truncate_dim: int | None) -> Iterator[None]:
        """`with model.truncate_embeddings(16): model.encode(...)` gives 16-number vectors inside the block
        (None: full width), as sentence-transformers; the model's own truncate_dim comes back after."""
        before = self.truncate_dim
        try:
            self.truncate_dim = truncate_dim
            yield
        finally:
            self.truncate_dim = before

    truncate_sentence_embeddings = truncate_embeddings  # the older name

    def get_embedding_dimension(self) -> int:
        full = self._pipe.runner.sentence_config.width(self._pipe.model.config.hidden_size)
        return min(full, self.truncate_dim) if self.truncate_dim else full

    get_sentence_embedding_dimension = get_embedding_dimension  # the older name

    @legacy_names(sentences="inputs")
    def encode(self, inputs: str | Sequence[str], prompt_name: str | None = None, prompt: str | None = None,
               batch_size: int = 32, show_progress_bar: bool | None = None, output_value: str = "sentence_embedding",
               precision: str = "float32", convert_to_numpy: bool = True, convert_to_tensor: bool = False,
               device: Any = None, normalize_embeddings: bool = False, truncate_dim: int | None = None,
               pool: dict[str, Any] | None = None, chunk_size: int | None = None) -> Any:
        """Texts -> float32 (N, D) vectors (one text -> (D,)), as SentenceTransformer.encode: the
        checkpoint's pooling and Normalize, then `truncate_dim`, then `normalize_embeddings`. `pool`,
        a list of CPU `device`s and `chunk_size`: sentence-transformers' multi-process call, run here in
        this process (leanpipe.sentence_pool)."""
        check_pool_call(pool, device, chunk_size)
        if output_value not in ("sentence_embedding", "token_embeddings"):
            raise InputError(f"output_value={output_value!r} is not 'sentence_embedding' or 'token_embeddings'")
        if precision not in PRECISIONS:
            raise InputError(f"precision={precision!r} is not one of {list(PRECISIONS)}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
        texts, single = _texts(inputs)
        prompt = self._resolve_prompt(prompt, prompt_name)
        if output_value == "token_embeddings":  # (T, H) per text: a list, as sentence-transformers gives it
            if self._static is not None:
                raise InputError("a StaticEmbedding model makes sentence vectors only (it has no token embeddings); "
                                 "leave output_value at 'sentence_embedding'")
            tokens = self._pipe(texts, batch_size=batch_size, return_tensors=True, prompt=prompt, token_embeddings=True)
            return _as_output(np.empty(0), single, False, False) if not tokens else _token_output(tokens, single, convert_to_tensor)
        if self._static is not None:  # straight through the table: 2-3x the pipeline's speed for these models
            matrix = _static_vectors(self._static, texts, prompt)
        else:
            vectors = self._pipe(texts, batch_size=batch_size, return_tensors=True, prompt=prompt) if texts else []
            matrix = np.stack(vectors).astype(np.float32, copy=False) if texts else \
                np.zeros((0, self.get_embedding_dimension()), np.float32)
        dims = truncate_dim if truncate_dim is not None else self.truncate_dim
        if dims is not None:
            matrix = matrix[:, :dims]
        if normalize_embeddings and len(matrix):
            matrix = l2_normalize(matrix)
        return _as_output(quantize_embeddings(matrix, precision), single, convert_to_numpy, convert_to_tensor)

    def encode_multi_process(self, sentences: Sequence[str], pool: dict[str, Any], prompt_name: str | None = None,
                             prompt: str | None = None, batch_size: int = 32, chunk_size: int | None = None,
                             show_progress_bar: bool | None = None, precision: str = "float32",
                             normalize_embeddings: bool = False, truncate_dim: int | None = None) -> np.ndarray:
        """sentence-transformers' deprecated name for encode(sentences, pool=pool, ...)."""
        return self.encode(sentences, prompt_name=prompt_name, prompt=prompt, batch_size=batch_size,
                           show_progress_bar=show_progress_bar, precision=precision, normalize_embeddings=normalize_embeddings,
                           truncate_dim=truncate_dim, pool=pool, chunk_size=chunk_size)

    def save_pretrained(self, path: str | os.PathLike, model_name: str | None = None, create_model_card: bool = True,
                        train_datasets: list[str] | None = None, safe_serialization: bool = True) -> None:
        """The model, tokenizer and sentence-transformers files, loadable by both libraries, carrying this
        object's settings as sentence-transformers 6.3 saves them: max_seq_length (the tokenizer's
        model_max_length, and sentence_bert_config.json's where the checkpoint keeps it there), prompts,
        default_prompt_name, similarity_fn_name and truncate_dim (config_sentence_transformers.json).
        The model-card and serialization options are sentence-transformers'; leanpipe writes no model card."""
        self._pipe.save_pretrained(path)
        if self._static is None:
            write_max_seq_length(path, self.max_seq_length)
        truncate = {"truncate_dim": self.truncate_dim} if self.truncate_dim is not None else {}
        write_settings(path, {"model_type": "SentenceTransformer", "prompts": self.prompts,
                              "default_prompt_name": self.default_prompt_name,
                              "similarity_fn_name": self.similarity_fn_name, **truncate}, drop=("truncate_dim",))

    save = save_pretrained

    def __repr__(self) -> str:  # its modules: list(model), each printed as sentence-transformers prints it
        return f"SentenceTransformer({self._pipe.model.name_or_path!r}, dimension={self.get_embedding_dimension()})"


def _refuse_static_kwargs(processor_kwargs: dict[str, Any] | None, config_kwargs: dict[str, Any] | None) -> None:
    """A StaticEmbedding model has no config.json and its tokenizer is the module's tokenizer.json: settings
    for them cannot apply (download options can)."""
    from .hub import HUB_OPTIONS

    for name, given in (("processor_kwargs", processor_kwargs), ("config_kwargs", config_kwargs)):
        settings = sorted(k for k in (given or {}) if k not in HUB_OPTIONS + ("revision", "trust_remote_code"))
        if settings:
            raise InputError(f"{name} {settings}: this is a StaticEmbedding model (a table of token vectors with its "
                             f"own tokenizer.json, no transformer config), which has nothing they could change; "
                             f"leave {name} unset")


def _static_model(name_or_path: str | os.PathLike, options: dict[str, Any]):
    """The checkpoint as a static_embedding.StaticModel, or None when its modules.json lists no
    StaticEmbedding (then it is a Transformer checkpoint, for the sentence-embeddings pipeline)."""
    from .static_embedding import load_static_model

    return load_static_model(name_or_path, revision=options.get("revision"), hub_options=_hub_options(options))


def _hub_options(options: dict[str, Any]) -> dict[str, Any]:
    """The download options (cache_dir, local_files_only, token, ...) among _load_options' pipeline() keywords."""
    from .hub import take_hub_options

    token = {"token": options["token"]} if options.get("token") is not None else {}
    return {**take_hub_options(dict(options.get("model_kwargs") or {})), **token}


def _static_vectors(model: Any, texts: list[str], prompt: str) -> np.ndarray:
    """(N, D) float32 from a StaticModel: the StaticEmbedding means (the prompt before every text), its
    Dense modules, and its Normalize module when there is one (the pipeline's answers, without batching)."""
    config = model.sentence_config
    matrix = config.project(config.static.embed(texts, prompt))
    return l2_normalize(matrix) if config.normalize and len(matrix) else matrix
