"""sentence-transformers 6's MultiVectorEncoder over leanpipe's engine, for late-interaction (ColBERT-style)
retrieval: one vector per token, scored with MaxSim.

    model = MultiVectorEncoder("answerdotai/answerai-colbert-small-v1")
    queries = model.encode_query(["What is ColBERT?"])                  # [(32, 96)]: expanded to 32 tokens
    documents = model.encode_document(["ColBERT scores every token."])  # [(T_i, 96)], punctuation skipped
    model.similarity(queries, documents)                                 # (1, 1) MaxSim

Same vectors and scores as sentence-transformers 6.3 for its own saves, PyLate's and Stanford-NLP ColBERT's
(leanpipe.multi_vector_config reads them): the prompt (or legacy prefix marker) before each text, queries cut
or padded to the expansion width with [MASK] tokens that the encoder does not attend to (unless the checkpoint
says so) but that are scored, documents cut at document_length, the token-level Dense and Normalize, the
skiplist. Results are lists of float32 NumPy arrays (sentence-transformers gives torch tensors unless
convert_to_numpy=True); similarity takes either. Token pooling is not there.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Sequence

import numpy as np

from .errors import InputError
from .hub import hub_options
from .multi_vector_config import expansion_config, read_multi_vector_config
from .multi_vector_scores import SIMILARITIES, maxsim, maxsim_pairwise, normalized
from .pipeline import padded_batches, padding_changes_outputs, run_batches, runs_alone_past
from .sentence_io import config_overrides_checked, legacy_names, load_arguments, reload_tokenizer
from .sentence_models import _Encoder, _hub_options, _texts
from .sentence_pool import check_pool_call

logger = logging.getLogger(__name__)
TASKS = ("query", "document")


class MultiVectorEncoder(_Encoder):
    """sentence-transformers' MultiVectorEncoder for a late-interaction checkpoint. `prompts` /
    `default_prompt_name` add to and override the checkpoint's; `similarity_fn_name` "maxsim" (default) or
    "meanmaxsim"; `truncate_dim` keeps the first dimensions of every token vector (then re-normalized);
    `processor_kwargs` / `config_kwargs` as SentenceTransformer takes them."""

    def __init__(self, model_name_or_path: str | os.PathLike, *, device: Any = None, prompts: dict[str, str] | None = None,
                 default_prompt_name: str | None = None, cache_folder: str | None = None, trust_remote_code: bool = False,
                 revision: str | None = None, local_files_only: bool = False, token: Any = None,
                 model_kwargs: dict[str, Any] | None = None, processor_kwargs: dict[str, Any] | None = None,
                 config_kwargs: dict[str, Any] | None = None, backend: str = "torch",
                 similarity_fn_name: str | None = None, token_pooling: Any = None, truncate_dim: int | None = None,
                 tokenizer_kwargs: dict[str, Any] | None = None, num_threads: int | None = None,
                 quantize: str | None = None) -> None:
        from .pipeline import pipeline

        _refuse_token_pooling(token_pooling)
        processor_kwargs, options = load_arguments(device, backend, processor_kwargs, tokenizer_kwargs, cache_folder, token,
                                                   local_files_only, revision, model_kwargs, config_kwargs,
                                                   trust_remote_code, num_threads, quantize)
        with hub_options(_hub_options(options)):
            self.config = read_multi_vector_config(model_name_or_path, revision=revision)
        with config_overrides_checked(config_kwargs):
            self._pipe = pipeline("feature-extraction", model_name_or_path, **options)
        reload_tokenizer(self._pipe, processor_kwargs, revision, self.config.do_lower_case)
        self._register_prefixes()
        limit = (processor_kwargs or {}).get("model_max_length")
        self._max_seq_length = int(limit) if limit is not None else self._default_length()
        self.width = self.config.width(self._pipe.model.config.hidden_size)
        saved = self.config.similarity_fn_name  # PyLate's "MaxSim" and single-vector names are not taken, as there
        self._set_prompts({"prompts": self.config.prompts, "default_prompt_name": self.config.default_prompt_name},
                          prompts, default_prompt_name, similarity_fn_name or (saved if saved in SIMILARITIES else None))
        self.truncate_dim = truncate_dim if truncate_dim is not None else self.config.truncate_dim
        self.query_expansion = self.config.expansion
        self._skip_ids = self._skiplist_ids()

    # ---- settings -------------------------------------------------------------------------------------

    @property
    def tokenizer(self) -> Any:
        return self._pipe.tokenizer

    @property
    def model(self) -> Any:
        """The encoder (leanpipe's model for the Transformer module)."""
        return self._pipe.model

    @property
    def max_seq_length(self) -> int:
        """Tokens per text after truncation when no query / document length applies; settable."""
        return self._max_seq_length

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"max_seq_length must be a positive number of tokens, got {value!r}")
        self._max_seq_length = value

    @property
    def similarity_fn_name(self) -> str:
        """"maxsim" (the sum over query tokens of their best document token) or "meanmaxsim" (divided by the
        query's tokens); settable by name or SimilarityFunction member."""
        return self._similarity_fn_name

    @similarity_fn_name.setter
    def similarity_fn_name(self, value: Any) -> None:
        name = getattr(value, "value", value)
        name = "maxsim" if name is None else name
        if name not in SIMILARITIES:
            raise InputError(f"MultiVectorEncoder scores with {list(SIMILARITIES)}, got {value!r}: cosine, dot, euclidean "
                             f"and manhattan are defined on single vectors, not on a text's token vectors")
        self._similarity_fn_name = name

    @property
    def query_expansion(self) -> dict[str, Any] | None:
        """{"strategy": "fixed" | "min", "attend", "token", "length"}, or None (queries not expanded); settable."""
        return self._expansion

    @query_expansion.setter
    def query_expansion(self, value: dict[str, Any] | None) -> None:
        try:
            expansion = expansion_config(value)
        except Exception as exc:
            raise InputError(str(exc)) from None
        model = self._pipe.model
        positions = model.family.max_positions(model.config) if hasattr(model.family, "max_positions") else \
            getattr(model.config, "max_position_embeddings", None)
        if expansion is not None and positions is not None and expansion["length"] > positions:
            raise InputError(f"query_expansion length {expansion['length']} is more tokens than this model reads ({positions}); "
                             f"use a length of at most {positions} (ColBERT uses 32)")
        if expansion is not None and self.config.query_length is not None and self.config.query_length < expansion["length"]:
            raise InputError(f"query_length={self.config.query_length} is smaller than the query_expansion length "
                             f"{expansion['length']}, which is the queries' least width; drop query_length or raise it")
        if expansion is not None and expansion["token"] is None and self.tokenizer.mask_token_id is None and \
                self.tokenizer.eos_token_id is None:
            raise InputError("query_expansion has no token and this tokenizer has neither a mask nor an eos token to expand "
                             "queries with; name one: query_expansion={..., 'token': '<your token>'}")
        if expansion is not None and not self.config.has_mask:
            logger.warning("query_expansion is set but the model has no MultiVectorMask module, so the expansion tokens "
                           "are not scored (as in sentence-transformers)")
        if expansion is not None and expansion["token"] is not None:
            token = expansion["token"]
            if self.tokenizer.convert_tokens_to_ids(token) in (None, self.tokenizer.unk_token_id) and token != self.tokenizer.unk_token:
                raise InputError(f"query_expansion token={token!r} is not in this tokenizer's vocabulary; "
                                 f"leave it None for the mask token")
        self._expansion = expansion

    def get_embedding_dimension(self) -> int:
        """Numbers per token vector (truncate_dim when set and smaller)."""
        return min(self.width, self.truncate_dim) if self.truncate_dim else self.width

    def get_max_seq_length(self) -> int:
        return self.max_seq_length

    def _default_length(self) -> int:
        """sentence_bert_config.json's max_seq_length, else the tokenizer's limit capped at the model's
        positions (sentence-transformers' Transformer module)."""
        if self.config.max_seq_length is not None:
            return self.config.max_seq_length
        positions = getattr(self._pipe.model.config, "max_position_embeddings", None)
        limit = int(self.tokenizer.model_max_length)
        return limit if positions is None or positions == -1 else min(limit, int(positions))

    def _register_prefixes(self) -> None:
        """A PyLate / Stanford-NLP marker the tokenizer knows but splits ([unused0] -> "[", "unused", "##0",
        "]") becomes a special token, as sentence-transformers registers it, so the prompt holding it gives
        the one token the model was trained with."""
        from tokenizers import AddedToken

        tokenizer, known = self.tokenizer, {**self.tokenizer.get_vocab(), **self.tokenizer.added_tokens_encoder}
        register = []
        for value in self.config.prefixes.values():
            if not value or not value.split():
                continue
            for prefix in (value, value.split(None, 1)[0]):
                if prefix not in known:
                    continue
                if tokenizer.tokenize(prefix) != [prefix]:
                    register.append(AddedToken(prefix, normalized=False, special=True))
                break
        if register:
            tokenizer.add_special_tokens({"additional_special_tokens": register}, replace_extra_special_tokens=False)

    def _skiplist_ids(self) -> np.ndarray:
        """The skiplist words as token ids; one that is not a single token (the unknown token's id) is dropped
        with a warning, as sentence-transformers does, so real unknown tokens stay scored."""
        tokenizer, ids, dropped = self.tokenizer, [], []
        unk_id, unk = tokenizer.unk_token_id, tokenizer.unk_token
        for word in self.config.skiplist_words:
            found = tokenizer.convert_tokens_to_ids(word)
            if found is None or (unk_id is not None and found == unk_id and word != unk):
                dropped.append(word)
            else:
                ids.append(found)
        if dropped:
            logger.warning(f"skiplist words {dropped} are not single tokens of this tokenizer; they are not skipped")
        return np.asarray(ids, dtype=np.int64)

    # ---- encoding -------------------------------------------------------------------------------------

    @legacy_names(sentences="inputs")
    def encode_query(self, inputs: str | Sequence[str], prompt_name: str | None = None, prompt: str | None = None,
                     **options: Any) -> Any:
        """encode as queries: the "query" prompt (the query marker), query_length, the expansion."""
        return super().encode_query(inputs, prompt_name=prompt_name, prompt=prompt, task="query", **options)

    @legacy_names(sentences="inputs")
    def encode_document(self, inputs: str | Sequence[str], prompt_name: str | None = None, prompt: str | None = None,
                        **options: Any) -> Any:
        """encode as documents: the first of the "document", "passage", "corpus" prompts, document_length,
        the skiplist."""
        return super().encode_document(inputs, prompt_name=prompt_name, prompt=prompt, task="document", **options)

    @legacy_names(sentences="inputs")
    def encode(self, inputs: str | Sequence[str], prompt_name: str | None = None, prompt: str | None = None,
               batch_size: int = 32, show_progress_bar: bool | None = None, output_value: str | None = "token_embeddings",
               convert_to_numpy: bool = False, device: Any = None, normalize_embeddings: bool = False,
               token_pooling: Any = None, truncate_dim: int | None = None, pool: dict[str, Any] | None = None,
               chunk_size: int | None = None, task: str | None = None, **kwargs: Any) -> Any:
        """Texts -> a (T_i, D) float32 array per text (one text -> its array), as MultiVectorEncoder.encode.
        `task` "query" / "document" (None counts as a document for the skiplist); `output_value=None`: a dict
        per text of its token_embeddings, scoring attention_mask and input_ids, padded to the longest text of its
        batch as sentence-transformers batches them."""
        if "convert_to_tensor" in kwargs:
            raise InputError("MultiVectorEncoder.encode() has no convert_to_tensor: a text's vectors are as many as its "
                             "tokens, so there is nothing to stack; it returns a list of arrays")
        if kwargs:
            raise InputError(f"MultiVectorEncoder.encode() got arguments it does not use: {sorted(kwargs)}")
        check_pool_call(pool, device, chunk_size)
        _refuse_token_pooling(token_pooling)
        if output_value not in ("token_embeddings", None):
            raise InputError(f'output_value must be "token_embeddings" or None (per-text feature dicts), got {output_value!r}')
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
        if task not in (None, *TASKS):
            raise InputError(f"task={task!r} is not 'query', 'document' or None")
        texts, single = _texts(inputs)
        prompt = self._resolve_prompt(prompt, prompt_name)
        dims = truncate_dim if truncate_dim is not None else self.truncate_dim
        encodings, expansion = self._encodings(texts, prompt, task)
        model = self._pipe.model
        if output_value is None or self.tokenizer.padding_side == "left":
            # batched and padded as sentence-transformers does (texts sorted by characters, the tokenizer's side):
            # the raw outputs' widths, and a left-padding tokenizer's vectors, depend on the batch there
            order = np.argsort([-len(t) for t in texts]).tolist()  # numpy's default sort, as there: ties not in order
            plan = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
            batches = [(rows, self._padded([encodings[i] for i in rows], expansion)) for rows in plan]
        else:  # by tokens (leanpipe.batching), less padding; a right-padded text's vectors do not depend on its batch
            batches = [(rows, self._expanded(feeds, expansion)) for rows, feeds in padded_batches(
                self.tokenizer, encodings, batch_size, equal_lengths=padding_changes_outputs(model),
                alone_past=runs_alone_past(model))]
        outputs = run_batches(model, [(rows, model.check_inputs(**feeds)) for rows, (feeds, _) in batches])
        results: list[Any] = [None] * len(texts)
        for (rows, out), (_, (feeds, expanded)) in zip(outputs, batches):
            vectors = self._token_vectors(out["last_hidden_state"])  # (B, T, D)
            keep = self._scoring_mask(feeds, expanded, task)
            for r, i in enumerate(rows):
                results[i] = (_raw(vectors[r], keep[r], feeds, expanded, r) if output_value is None else vectors[r][keep[r]])
        if output_value is not None:
            results = [_finish(e, normalize_embeddings, dims) for e in results]
        elif dims is not None:
            results = [{**r, "token_embeddings": normalized(r["token_embeddings"][..., :dims])} for r in results]
        return results[0] if single else results

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, task: str | None = None) -> dict[str, np.ndarray]:
        """Texts -> the encoder's (B, T) int64 feeds as sentence-transformers' Transformer makes them for `task`
        (one batch, padded to its longest on the tokenizer's side), with "query_expansion_positions" (B, T) when
        expanded: a query with the "fixed" expansion is cut or padded to its length, the pads becoming the
        expansion token (the tokenizer's mask token)."""
        encodings, expansion = self._encodings(list(inputs), prompt or "", task)
        feeds, expanded = self._padded(encodings, expansion)
        return feeds if expanded is None else {**feeds, "query_expansion_positions": expanded}

    def _padded(self, encodings: list[Any], expansion: dict[str, Any] | None) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
        """One batch padded on the tokenizer's side (a "fixed" expansion's queries to its length), then expanded."""
        fixed = expansion is not None and expansion["strategy"] == "fixed"
        return self._expanded(self.tokenizer.pad_batch(encodings, max_length=expansion["length"] if fixed else None), expansion)

    def _encodings(self, texts: list[Any], prompt: str, task: str | None) -> tuple[list[Any], dict[str, Any] | None]:
        """The texts (after the prompt) tokenized and cut for `task`: at the "fixed" expansion's length, else at
        query_length / document_length, else at max_seq_length ("min": at least the expansion's length)."""
        from .tasks.base import prompted

        texts = prompted([_text(t) for t in texts], prompt)  # do_lower_case: the tokenizer lowercases (at load)
        expansion = self.query_expansion if task == "query" else None
        limit = {"query": self.config.query_length, "document": self.config.document_length}.get(task or "")
        max_length = limit if limit is not None else self.max_seq_length
        if expansion is not None:
            if expansion["strategy"] == "fixed":
                max_length = expansion["length"]
            elif limit is not None:
                max_length = max(limit, expansion["length"])
        return self.tokenizer.encode_batch_raw(texts, max_length=max_length) if texts else [], expansion

    def _expanded(self, feeds: dict[str, np.ndarray], expansion: dict[str, Any] | None
                  ) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
        feeds = {k: np.asarray(v, dtype=np.int64) for k, v in feeds.items() if k in self._pipe.model.family.INPUT_NAMES}
        if expansion is None:
            return feeds, None
        return _expanded(feeds, expansion, self._expansion_id(expansion))

    def _expansion_id(self, expansion: dict[str, Any]) -> int | None:
        tokenizer = self.tokenizer
        if expansion["token"] is not None:
            return tokenizer.convert_tokens_to_ids(expansion["token"])
        return tokenizer.mask_token_id if tokenizer.mask_token_id is not None else tokenizer.eos_token_id

    def _token_vectors(self, hidden: np.ndarray) -> np.ndarray:
        """(B, T, H) -> (B, T, D) through the Dense modules and Normalize in modules.json's order."""
        for step in self.config.steps:
            hidden = normalized(hidden) if step == "normalize" else step(hidden)
        return hidden.astype(np.float32, copy=False)

    def _scoring_mask(self, feeds: dict[str, np.ndarray], expanded: np.ndarray | None, task: str | None) -> np.ndarray:
        """MultiVectorMask: the real tokens, a query's expansion positions, less the skiplist's tokens for its
        tasks (a text with no task is a document), and for tasks other than queries only keep_only_token_ids."""
        ids, keep = feeds["input_ids"], feeds["attention_mask"].astype(bool)
        if not self.config.has_mask:  # no MultiVectorMask module: the attended tokens, as sentence-transformers slices
            return keep
        if task == "query" and expanded is not None:
            keep = keep | expanded
        if (task or "document") in self.config.skiplist_tasks and len(self._skip_ids):
            keep = keep & ~np.isin(ids, self._skip_ids)
        if task != "query" and self.config.keep_only_token_ids:
            keep = keep & np.isin(ids, np.asarray(self.config.keep_only_token_ids, dtype=np.int64))
        return keep

    # ---- scoring --------------------------------------------------------------------------------------

    def similarity(self, embeddings1: Any, embeddings2: Any, **options: Any) -> np.ndarray:
        """(N queries) x (M documents) -> (N, M) float32 MaxSim (meanmaxsim: / each query's tokens); documents
        with no token score -1e9, as in sentence-transformers."""
        return maxsim(embeddings1, embeddings2, length_normalize=self._length_normalize(options), **options)

    def similarity_pairwise(self, embeddings1: Any, embeddings2: Any, **options: Any) -> np.ndarray:
        """Query i against document i -> (N,) float32."""
        return maxsim_pairwise(embeddings1, embeddings2, length_normalize=self._length_normalize(options), **options)

    def _length_normalize(self, options: dict[str, Any]) -> bool:
        unknown = set(options) - {"length_normalize", "a_mask", "b_mask", "chunk_elements", "device"}
        if unknown:
            raise InputError(f"similarity() takes length_normalize, a_mask, b_mask, chunk_elements and device; got {sorted(unknown)}")
        return bool(options.pop("length_normalize", self.similarity_fn_name == "meanmaxsim"))

    def __repr__(self) -> str:
        steps = ", ".join("Normalize" if s == "normalize" else f"Dense({s.weight.shape[1]} -> {s.out_features})"
                          for s in self.config.steps)
        return (f"MultiVectorEncoder({type(self._pipe.model).__name__}, {steps}, query_expansion={self.query_expansion}, "
                f"similarity={self.similarity_fn_name})")


def _text(item: Any) -> str:
    if not isinstance(item, str):
        raise InputError(f"MultiVectorEncoder encodes strings, got {type(item).__name__}")
    return item


def _expanded(feeds: dict[str, np.ndarray], expansion: dict[str, Any], token_id: int | None
              ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """ColBERT's query expansion: rows widened to the floor `length` when shorter ("min"), the padded
    positions under it become `token_id`, and attend to the others when expansion["attend"]."""
    floor = expansion["length"]
    width = feeds["input_ids"].shape[1]
    if width < floor:
        feeds = {k: np.pad(v, ((0, 0), (0, floor - width))) for k, v in feeds.items()}
    mask = feeds["attention_mask"]
    positions = (mask == 0) & (np.arange(mask.shape[1]) < floor)[None, :]
    if expansion["strategy"] == "fixed" and not positions.any(axis=1).all():
        logger.warning(f"a query filled all {floor} tokens of the query expansion; what came after was cut, as this model "
                       f"reads queries at exactly that width")
    if token_id is not None:
        feeds["input_ids"] = np.where(positions, token_id, feeds["input_ids"])
    if expansion["attend"]:
        feeds["attention_mask"] = np.where(positions, 1, mask)
    return feeds, positions


def _raw(vectors: np.ndarray, keep: np.ndarray, feeds: dict[str, np.ndarray], expanded: np.ndarray | None, row: int
         ) -> dict[str, np.ndarray]:
    """output_value=None's per-text dict: its padded token vectors, scoring mask and feeds (and expansion positions)."""
    out = {"token_embeddings": vectors, "attention_mask": keep, **{k: v[row] for k, v in feeds.items() if k != "attention_mask"}}
    return out if expanded is None else {**out, "query_expansion_positions": expanded[row]}


def _finish(vectors: np.ndarray, normalize: bool, dims: int | None) -> np.ndarray:
    if normalize:
        vectors = normalized(vectors)
    if dims is not None:
        vectors = normalized(vectors[..., :dims])
    return vectors


def _refuse_token_pooling(token_pooling: Any) -> None:
    if token_pooling is not None:
        raise InputError("token_pooling is not available in leanpipe's MultiVectorEncoder: leave it None (every "
                         "scored token keeps its vector)")
