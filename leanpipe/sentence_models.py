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

import dataclasses
import math
import os
from typing import Any, Sequence

import numpy as np

from .errors import InputError
from .functional import sigmoid, softmax
from .pooling import l2_normalize, model_settings
from .similarity import PRECISIONS, SIMILARITIES, quantize_embeddings, similarity, similarity_name, similarity_pairwise
DOCUMENT_PROMPTS = ("document", "passage", "corpus")  # encode_document's prompt names, in sentence-transformers' order


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


def _token_output(tokens: list[np.ndarray], single: bool, convert_to_tensor: bool) -> Any:
    """Token vectors (T_i, H) per text, as sentence-transformers returns them (torch tensors on request)."""
    if convert_to_tensor:
        tokens = [_as_output(t, False, True, True) for t in tokens]
    return tokens[0] if single else tokens


def _texts(sentences: Any) -> tuple[list[str], bool]:
    """encode's input as (texts, whether one string was given); anything else than a string or a
    sequence of them is refused naming it (the strings themselves are checked when tokenized)."""
    if isinstance(sentences, str):
        return [sentences], True
    if isinstance(sentences, (list, tuple)) or (hasattr(sentences, "__iter__") and not isinstance(sentences, (bytes, dict))):
        return list(sentences), False
    raise InputError(f"encode takes a string or a list of strings, got {type(sentences).__name__}")


class _Encoder:
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

    def encode(self, sentences: Any, prompt_name: str | None = None, prompt: str | None = None, **options: Any) -> Any:
        raise NotImplementedError

    def encode_query(self, sentences: str | Sequence[str], prompt_name: str | None = None, prompt: str | None = None,
                     **options: Any) -> Any:
        """encode with the "query" prompt unless another is given (empty when the checkpoint has none)."""
        if prompt_name is None and prompt is None and "query" in self.prompts:
            prompt_name = "query"
        return self.encode(sentences, prompt_name=prompt_name, prompt=prompt, **options)

    def encode_document(self, sentences: str | Sequence[str], prompt_name: str | None = None, prompt: str | None = None,
                        **options: Any) -> Any:
        """encode with the first of the "document", "passage", "corpus" prompts unless another is given."""
        if prompt_name is None and prompt is None:
            prompt_name = next((name for name in DOCUMENT_PROMPTS if name in self.prompts), None)
        return self.encode(sentences, prompt_name=prompt_name, prompt=prompt, **options)

    def similarity(self, embeddings1: Any, embeddings2: Any) -> np.ndarray:
        """(N, D), (M, D) -> (N, M) under the model's similarity function."""
        return similarity(embeddings1, embeddings2, self.similarity_fn_name)

    def similarity_pairwise(self, embeddings1: Any, embeddings2: Any) -> np.ndarray:
        return similarity_pairwise(embeddings1, embeddings2, self.similarity_fn_name)


class SentenceTransformer(_Encoder):
    """sentence-transformers' SentenceTransformer for a Transformer + Pooling (+ Normalize) checkpoint.

    `prompts` / `default_prompt_name` add to and override config_sentence_transformers.json's;
    `truncate_dim` keeps the first dimensions of every vector (Matryoshka models)."""

    def __init__(self, model_name_or_path: str | os.PathLike, device: Any = None, prompts: dict[str, str] | None = None,
                 default_prompt_name: str | None = None, similarity_fn_name: str | None = None,
                 cache_folder: str | None = None, trust_remote_code: bool = False, revision: str | None = None,
                 local_files_only: bool = False, token: Any = None, truncate_dim: int | None = None,
                 model_kwargs: dict[str, Any] | None = None, backend: str = "torch", *,
                 num_threads: int | None = None, quantize: str | None = None) -> None:
        from .pipeline import pipeline

        _check_device(device)
        if backend not in ("torch", "onnx", "openvino"):
            raise InputError(f"backend={backend!r} is not one of sentence-transformers' 'torch', 'onnx', 'openvino' "
                             f"(leanpipe runs its own engine for each)")
        options = _load_options(cache_folder, token, local_files_only, revision, model_kwargs, trust_remote_code,
                                num_threads, quantize)
        self._static = _static_model(model_name_or_path, options)  # a StaticEmbedding checkpoint, or None
        self._pipe = pipeline("sentence-embeddings", self._static or model_name_or_path, **options)
        self._set_prompts(model_settings(self._pipe.model), prompts, default_prompt_name, similarity_fn_name)
        self.truncate_dim = truncate_dim

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

    def get_embedding_dimension(self) -> int:
        full = self._pipe.runner.sentence_config.width(self._pipe.model.config.hidden_size)
        return min(full, self.truncate_dim) if self.truncate_dim else full

    get_sentence_embedding_dimension = get_embedding_dimension  # the older name

    def encode(self, sentences: str | Sequence[str], prompt_name: str | None = None, prompt: str | None = None,
               batch_size: int = 32, show_progress_bar: bool | None = None, output_value: str = "sentence_embedding",
               precision: str = "float32", convert_to_numpy: bool = True, convert_to_tensor: bool = False,
               device: Any = None, normalize_embeddings: bool = False, truncate_dim: int | None = None) -> Any:
        """Texts -> float32 (N, D) vectors (one text -> (D,)), as SentenceTransformer.encode: the
        checkpoint's pooling and Normalize, then `truncate_dim`, then `normalize_embeddings`."""
        _check_device(device)
        if output_value not in ("sentence_embedding", "token_embeddings"):
            raise InputError(f"output_value={output_value!r} is not 'sentence_embedding' or 'token_embeddings'")
        if precision not in PRECISIONS:
            raise InputError(f"precision={precision!r} is not one of {list(PRECISIONS)}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
        texts, single = _texts(sentences)
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

    def save_pretrained(self, path: str | os.PathLike) -> None:
        """The model, tokenizer and sentence-transformers files, loadable by both libraries."""
        self._pipe.save_pretrained(path)

    save = save_pretrained

    def __repr__(self) -> str:
        return f"SentenceTransformer({self._pipe.model.name_or_path!r}, dimension={self.get_embedding_dimension()})"


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


class CrossEncoder:
    """sentence-transformers' CrossEncoder: (text, text) pairs -> scores from a sequence classifier.

    The activation is the checkpoint's (config.json "sentence_transformers": {"activation_fn": ...}),
    else sigmoid for one label and none for several, as sentence-transformers picks it."""

    def __init__(self, model_name_or_path: str | os.PathLike, num_labels: int | None = None, max_length: int | None = None,
                 activation_fn: Any = None, device: Any = None, cache_folder: str | None = None,
                 trust_remote_code: bool = False, revision: str | None = None, local_files_only: bool = False,
                 token: Any = None, model_kwargs: dict[str, Any] | None = None, backend: str = "torch", *,
                 num_threads: int | None = None, quantize: str | None = None) -> None:
        from .pipeline import pipeline

        _check_device(device)
        pipe = pipeline("text-classification", model_name_or_path,
                        **_load_options(cache_folder, token, local_files_only, revision, model_kwargs, trust_remote_code,
                                        num_threads, quantize))
        self.model, self.tokenizer = pipe.model, pipe.tokenizer
        if num_labels is not None and num_labels != self.model.config.num_labels:
            raise InputError(f"num_labels={num_labels}: {model_name_or_path} has {self.model.config.num_labels} labels; "
                             f"leanpipe runs trained cross-encoders only (leave num_labels unset)")
        self.max_length = max_length
        self.activation_fn = _activation(activation_fn if activation_fn is not None else self._default_activation())

    @property
    def num_labels(self) -> int:
        return self.model.config.num_labels

    def _default_activation(self) -> str:
        saved = getattr(self.model.config, "sentence_transformers", None) or {}
        path = saved.get("activation_fn") if isinstance(saved, dict) else None
        path = path or getattr(self.model.config, "sbert_ce_default_activation_function", None)  # before v4
        if path:
            return path
        return "sigmoid" if self.num_labels == 1 else "identity"

    def predict(self, sentences: Sequence[Sequence[str]] | Sequence[str], batch_size: int = 32,
                show_progress_bar: bool | None = None, activation_fn: Any = None, apply_softmax: bool | None = False,
                convert_to_numpy: bool = True, convert_to_tensor: bool = False, device: Any = None) -> Any:
        """Pairs -> scores: (N,) for one label, (N, L) for several; one pair -> one score (or (L,))."""
        _check_device(device)
        single = len(sentences) == 2 and all(isinstance(s, str) for s in sentences)
        pairs = [tuple(sentences)] if single else [tuple(p) for p in sentences]
        for pair in pairs:
            if len(pair) != 2 or not all(isinstance(s, str) for s in pair):
                raise InputError(f"CrossEncoder.predict takes (text, text) pairs; got {pair!r:.80}")
        logits = self._logits(pairs, batch_size)  # (N, L)
        activation = self.activation_fn if activation_fn is None else _activation(activation_fn)
        scores = activation(logits)
        if apply_softmax and scores.shape[1] > 1:
            scores = softmax(scores, dim=-1)
        scores = scores[:, 0] if scores.shape[1] == 1 else scores
        return _as_output(scores.astype(np.float32), single, convert_to_numpy, convert_to_tensor)

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
        from .pipeline import padded_batches

        limit = self.max_length or min(int(self.tokenizer.model_max_length), int(self.model.config.max_position_embeddings))
        encodings = self.tokenizer.encode_batch_raw([a for a, _ in pairs], [b for _, b in pairs], max_length=limit)
        out = np.zeros((len(pairs), self.num_labels), np.float32)
        for batch, padded in padded_batches(self.tokenizer, encodings, batch_size):
            out[batch] = self.model.run_feeds(self.model.check_inputs(**padded))["logits"]
        return out


def _activation(spec: Any):
    """An activation given as sentence-transformers saves it ("torch.nn.modules.activation.Sigmoid"),
    a short name, or a callable (a torch module is applied to a tensor)."""
    if callable(spec) and not isinstance(spec, str):
        def run(x: np.ndarray) -> np.ndarray:
            try:
                import torch
            except ImportError:
                return np.asarray(spec(x), dtype=np.float32)
            return spec(torch.from_numpy(x)).detach().numpy()

        return run
    name = str(spec).rsplit(".", 1)[-1].lower()
    if name == "sigmoid":
        return sigmoid
    if name == "identity":
        return lambda x: x
    if name == "softmax":
        return lambda x: softmax(x, dim=-1)
    if name == "tanh":
        return np.tanh
    raise InputError(f"activation_fn {spec!r}: leanpipe applies Sigmoid, Identity, Softmax, Tanh or a callable")
