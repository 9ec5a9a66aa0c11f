"""sentence-embeddings and sentence-similarity: one vector per text, pooled as sentence-transformers does.

pipe("A man is eating food.")                      -> [0.0365, -0.0121, ...]      (H floats)
pipe(["a", "b"])                                   -> [[...], [...]]
pipe.encode(["a", "b"])                            -> np.ndarray (2, H), like SentenceTransformer.encode
similarity({"source_sentence": "a", "sentences": ["b", "c"]}) -> [0.61, 0.12]  (cosine, in order)

Pooling, normalisation, the length limit and a default prompt come from the checkpoint's
sentence-transformers files (modules.json, 1_Pooling/config.json, sentence_bert_config.json,
config_sentence_transformers.json); see `leanpipe.pooling`.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from tokenizers import Encoding

from ..errors import InputError
from ..pipeline import Pipeline
from ..hub import hub_options
from ..pooling import SentenceConfig, cosine_similarity, l2_normalize, pool, prompt_tokens, read_sentence_config, sentence_options
from . import token_ids
from .base import Sample, Task, TooManyTokens, inputs_from_keywords, normalize_dicts, prompted, tokenize_texts


class TextTooLong(TooManyTokens):
    """truncation=False and a text longer than max_length()."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(length, limit, f"a text has {length} tokens, more than this model's limit of {limit} (max_seq_length); "
                                        f"pass truncation=True to cut it to {limit} tokens, as sentence-transformers does, or shorten it")


class _SentenceTask(Task):
    """What both tasks share: tokenizing as sentence-transformers does, and pooling one chunk."""

    head = "base"
    token_outputs = frozenset({"last_hidden_state"})
    module_subfolder = True  # pipeline() loads the model and tokenizer from the Transformer module's folder
    # The Hugging Face Inference API's default for sentence-similarity (transformers has no such task).
    default_model = ("sentence-transformers/all-MiniLM-L6-v2", "c9745ed1d9f207416be6d2e6f8de32d1f16199bf")

    def __init__(self, model: Any, tokenizer: Any) -> None:
        super().__init__(model, tokenizer)
        # a StaticModel brings its own (read with its StaticEmbedding table); a transformer checkpoint's is read here,
        # from the checkpoint's root (an older one's model and tokenizer are in its 0_Transformer/)
        self.sentence_config = getattr(model, "sentence_config", None) or _read_config(model)
        self.sentence_config.width(model.config.hidden_size)  # Dense modules that do not fit are refused here
        self.static = self.sentence_config.static is not None  # no special tokens, the table's own length rule
        self._prompt_lengths: dict[tuple[str, int | None], int] = {}  # (prompt, max length) -> its tokens

    def max_length(self) -> int | None:
        """sentence_bert_config.json's max_seq_length, else the tokenizer's limit capped at the
        model's positions where its config has max_position_embeddings (sentence-transformers'
        Transformer module; T5 has none). A StaticEmbedding model: tokenizer.json's truncation length,
        else None (no limit), as sentence-transformers."""
        if self.static:
            return self.model.max_length
        if self.sentence_config.max_seq_length is not None:
            return int(self.sentence_config.max_seq_length)
        positions = getattr(self.model.config, "max_position_embeddings", None)
        limit = int(self.tokenizer.model_max_length)
        return limit if positions is None else min(limit, int(positions))

    def check_params(self, params: dict[str, Any]) -> None:
        if "truncation" in params and not isinstance(params["truncation"], bool):
            raise InputError(f"truncation must be True or False, got {params['truncation']!r}")
        if params.get("prompt") is not None and not isinstance(params["prompt"], str):
            raise InputError(f"prompt must be a string put before every text (\"\" for none), got {params['prompt']!r}")

    def tokenize(self, texts: Sequence[Any], truncation: bool, prompt: str | None = None) -> list[Encoding | list[int]]:
        """`texts` are strings or TokenIds, one model row each. `prompt` goes before every text; None:
        the checkpoint's default prompt (often none). TokenIds are run as given (no prompt, no special
        tokens added), cut to max_length() when truncating. truncation=False: TextTooLong for a row
        past max_length() (the model's window, or the shorter max_seq_length it was trained with), as
        the other pipelines refuse texts past the window."""
        if prompt and token_ids.any_ids(texts):
            raise InputError(f"prompt {prompt!r} goes before texts, and token ids are run as they are: "
                             f"put the prompt's ids before them, or send text")
        max_length = self.max_length() if truncation else None
        rows = token_ids.merged(texts, lambda t: self._tokenize_texts(t, max_length, prompt),
                                lambda ids: token_ids.rows(self.tokenizer, ids, max_length))
        limit = self.max_length()
        if not truncation and limit is not None and not self.static:  # a StaticEmbedding model cuts only when asked
            longest = max((len(e) for e in rows), default=0)
            if longest > limit:
                raise TextTooLong(longest, limit)
        return rows

    def _tokenize_texts(self, texts: Sequence[str], max_length: int | None, prompt: str | None) -> list[Encoding]:
        """Texts tokenized as sentence-transformers does, cut at `max_length` (None: not cut)."""
        c = self.sentence_config
        texts = prompted(texts, c.prompt if prompt is None else prompt, self.tokenizer, c.do_lower_case)
        if self.static:  # sentence-transformers' StaticEmbedding: no special tokens, cut only at tokenizer.json's length
            return tokenize_texts(self.tokenizer, texts, None, truncation=max_length is not None, max_length=max_length,
                                  add_special_tokens=False)
        return tokenize_texts(self.tokenizer, texts, None, truncation=max_length is not None, max_length=max_length)

    def skipped(self, prompt: str | None) -> int:
        """Leading tokens the pooling leaves out: the prompt's when the Pooling module has include_prompt
        false (sentence-transformers' prompt_length), else none. `prompt` None: the default prompt."""
        c = self.sentence_config
        text = c.prompt if prompt is None else prompt
        if c.include_prompt or self.static or not text:
            return 0
        key = (text, self.max_length())
        if key not in self._prompt_lengths:
            self._prompt_lengths[key] = prompt_tokens(self.tokenizer, prompted([text], "", self.tokenizer, c.do_lower_case)[0], key[1])
        return self._prompt_lengths[key]

    def embed(self, outputs: dict[str, np.ndarray], skip: int = 0) -> np.ndarray:
        """One chunk's token vectors (T, H) -> its sentence vector (W,): pooled (M*H) over all but its
        first `skip` tokens, through the checkpoint's Dense modules if any, not normalised."""
        hidden = outputs["last_hidden_state"][None]  # (1, T, H), this text's tokens only
        c = self.sentence_config
        return c.project(pool(hidden, np.ones(hidden.shape[:2], dtype=np.int64), c.modes, skip))[0]


class SentenceEmbeddingPipeline(Pipeline):
    """The sentence-embeddings pipeline, with sentence-transformers' `encode` besides `pipe(texts)`."""

    def encode(
        self, sentences: str | Sequence[str], batch_size: int = 32, normalize_embeddings: bool | None = None
    ) -> np.ndarray:
        """Texts -> float32 array (N, H); one text -> (H,), as SentenceTransformer.encode.

        normalize_embeddings: True scales every vector to unit length; None or False leaves them as
        the checkpoint makes them (normalised when its modules.json has a Normalize module).
        """
        single = isinstance(sentences, str)
        texts = [sentences] if single else list(sentences)
        extra = {"normalize": True} if normalize_embeddings else {}  # else the pipeline's own setting
        vectors = self(texts, batch_size=batch_size, return_tensors=True, **extra)
        if not vectors:
            width = self.runner.sentence_config.width(self.model.config.hidden_size)
            return np.zeros((0, width), dtype=np.float32)
        matrix = np.stack(vectors).astype(np.float32, copy=False)  # (N, H)
        return matrix[0] if single else matrix


class SentenceEmbeddings(_SentenceTask):
    name = "sentence-embeddings"
    # normalize None: as the checkpoint says (a Normalize module in modules.json -> True);
    # prompt None: the checkpoint's default prompt (config_sentence_transformers.json), "" for none;
    # token_embeddings: each text's token vectors (T, H) before pooling, as sentence-transformers'
    # output_value="token_embeddings" (special tokens included, no normalisation)
    parameters = {"normalize": None, "truncation": True, "return_tensors": False, "prompt": None, "token_embeddings": False}
    pipeline_class = SentenceEmbeddingPipeline

    def encode(self, inputs: Sequence[Any], params: dict[str, Any]) -> list[Sample]:
        rows = self.tokenize(inputs, params["truncation"], params["prompt"])
        return [Sample([row], data=isinstance(x, token_ids.TokenIds)) for x, row in zip(inputs, rows)]  # data: no prompt

    def postprocess(self, sample: Sample, params: dict[str, Any]) -> Any:
        if params["token_embeddings"]:
            tokens = sample.outputs[0]["last_hidden_state"]  # (T, H), this text's tokens
            return tokens if params["return_tensors"] else tokens.tolist()
        skip = 0 if sample.data else self.skipped(params["prompt"])  # token ids have no prompt to leave out
        vector = self.embed(sample.outputs[0], skip)  # (M*H,)
        normalize = self.sentence_config.normalize if params["normalize"] is None else params["normalize"]
        if normalize:
            vector = l2_normalize(vector)
        return vector if params["return_tensors"] else vector.tolist()


class SentenceSimilarityPipeline(Pipeline):
    """pipeline("sentence-similarity") (the Hugging Face Inference API's task; transformers has none)."""


class SentenceSimilarity(_SentenceTask):
    """The Hugging Face Inference API's sentence-similarity: cosine of the source with each sentence."""

    name = "sentence-similarity"
    parameters = {"truncation": True, "prompt": None}  # prompt None: the checkpoint's default prompt
    pipeline_class = SentenceSimilarityPipeline

    def gather_inputs(self, inputs: Any, params: dict[str, Any]) -> Any:
        return super().gather_inputs(inputs_from_keywords(inputs, params, ("source_sentence", "sentences")), params)

    def normalize(self, inputs: Any) -> tuple[list[Any], bool]:
        return normalize_dicts(
            inputs, 'sentence-similarity takes {"source_sentence": "text", "sentences": ["text", ...]} (or a list of such dicts)'
        )

    def encode(self, inputs: Sequence[Any], params: dict[str, Any]) -> list[Sample]:
        groups = [[x["source_sentence"], *x["sentences"]] for x in map(_check_similarity_input, inputs)]
        encodings = iter(self.tokenize([t for group in groups for t in group], params["truncation"], params["prompt"]))
        return [Sample([next(encodings) for _ in group]) for group in groups]  # chunk 0: the source

    def postprocess(self, sample: Sample, params: dict[str, Any]) -> Any:
        skip = self.skipped(params["prompt"])
        vectors = np.stack([self.embed(out, skip) for out in sample.outputs])  # (1 + N, H)
        return cosine_similarity(vectors[:1], vectors[1:])[0].tolist()  # N floats


def _read_config(model: Any) -> SentenceConfig:
    with hub_options(sentence_options(model)):
        return read_sentence_config(model.name_or_path, revision=model.revision)


def _check_similarity_input(x: dict[str, Any]) -> dict[str, Any]:
    source, sentences = x.get("source_sentence"), x.get("sentences")
    if not isinstance(source, str) or not isinstance(sentences, (list, tuple)):
        raise InputError(
            'sentence-similarity takes {"source_sentence": "text", "sentences": ["text", ...]}; '
            f"got keys {sorted(x)} with source_sentence {type(source).__name__} and sentences {type(sentences).__name__}"
        )
    return x
