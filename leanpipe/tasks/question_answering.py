"""question-answering (extractive): the spans of a context that best answer a question.

    qa(question="Where do I live?", context="My name is Wolfgang and I live in Berlin")
    -> {"score": 0.9191, "start": 34, "end": 40, "answer": "Berlin"}

transformers removed this pipeline after 5.2.0; leanpipe keeps 5.2.0's behaviour. A context longer
than `max_seq_len` tokens is cut into windows that overlap by `doc_stride` tokens, each window one
chunk of the Sample; the answers of all windows are pooled (same text, case-insensitive: scores
added) and ranked. Span scores are start probability x end probability, each a softmax over the
window's context tokens (and [CLS]), computed in float32 as transformers does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from tokenizers import Encoding

from ..errors import InputError
from ..pipeline import Pipeline
from .base import Sample, Task, check_padding

_MISSING = object()
MASKED = np.float32(-10000.0)  # transformers' logit for tokens that cannot be in an answer
NO_NULL_YET = 1000000.0  # transformers' starting "minimum null score"


@dataclass(frozen=True)
class Settings:
    """The call's parameters with transformers' defaults filled in and checked."""

    top_k: int
    max_answer_len: int
    max_seq_len: int
    doc_stride: int
    handle_impossible_answer: bool
    align_to_words: bool


def resolve_settings(params: dict[str, Any], model_max_length: int) -> Settings:
    """None means "transformers' default": max_seq_len min(model_max_length, 384), doc_stride
    min(max_seq_len // 2, 128), top_k 1, max_answer_len 15."""
    top_k = 1 if params["top_k"] is None else params["top_k"]
    max_answer_len = 15 if params["max_answer_len"] is None else params["max_answer_len"]
    if top_k < 1:
        raise InputError(f"top_k parameter should be >= 1 (got {top_k})")
    if max_answer_len < 1:
        raise InputError(f"max_answer_len parameter should be >= 1 (got {max_answer_len})")
    max_seq_len = params["max_seq_len"] if params["max_seq_len"] is not None else min(model_max_length, 384)
    doc_stride = params["doc_stride"] if params["doc_stride"] is not None else min(max_seq_len // 2, 128)
    if doc_stride > max_seq_len:
        raise InputError(f"`doc_stride` ({doc_stride}) is larger than `max_seq_len` ({max_seq_len}); lower doc_stride")
    impossible, align = params["handle_impossible_answer"], params["align_to_words"]
    return Settings(top_k, max_answer_len, max_seq_len, doc_stride,
                    bool(impossible) if impossible is not None else False,
                    bool(align) if align is not None else True)


class QuestionAnsweringPipeline(Pipeline):
    """pipeline("question-answering"), named as in transformers."""


class QuestionAnswering(Task):
    name = "question-answering"
    head = "question-answering"
    token_outputs = frozenset({"start_logits", "end_logits"})
    default_model = ("distilbert/distilbert-base-cased-distilled-squad", "564e9b5")
    pipeline_class = QuestionAnsweringPipeline
    # max_question_len is accepted and, as in transformers' fast-tokenizer path, not used. padding (the
    # tokenizer's) is checked and ignored: padded tokens are outside the context, so transformers' answers
    # do not change with it (scores within float rounding), except with a left-padding tokenizer, where
    # transformers 5.2 misplaces spans in padded windows; leanpipe answers as without padding there too.
    parameters = {"top_k": 1, "doc_stride": None, "max_answer_len": 15, "max_seq_len": None,
                  "max_question_len": 64, "handle_impossible_answer": False, "align_to_words": True, "padding": None}

    def check_params(self, params: dict[str, Any]) -> None:
        check_padding(params)

    def gather_inputs(self, inputs: Any, params: dict[str, Any]) -> Any:
        """qa(question=..., context=...) as transformers takes it; also qa({"question": ..., "context": ...})
        and lists of such dicts (transformers 4.x accepted those; 5.2 takes keywords only)."""
        question, context = params.pop("question", _MISSING), params.pop("context", _MISSING)
        if inputs is not None:
            if question is not _MISSING or context is not _MISSING:
                raise InputError("pass either question=/context= or dicts {'question': ..., 'context': ...}, not both")
            return inputs
        if question is _MISSING or context is _MISSING:
            raise InputError("question-answering needs both question= and context= "
                             "(or a dict {'question': ..., 'context': ...}, or a list of them)")
        return pair_up(question, context)

    def normalize(self, inputs: Any) -> tuple[list[Any], bool]:
        if isinstance(inputs, (list, tuple)):
            return list(inputs), len(inputs) == 1  # transformers answers a list of one as one
        return [inputs], True

    def encode(self, inputs: Sequence[Any], params: dict[str, Any]) -> list[Sample]:
        settings = resolve_settings(params, self.tokenizer.model_max_length)
        pairs = [check_item(x) for x in inputs]
        questions, contexts = [q for q, _ in pairs], [c for _, c in pairs]
        if self.question_first:  # the context is the segment cut into windows
            kept, cut, strategy = questions, contexts, "only_second"
        else:
            kept, cut, strategy = contexts, questions, "only_first"
        self.check_windows(kept, cut, settings)
        encodings = self.tokenizer.encode_batch_raw(kept, cut, truncation=strategy,
                                                    max_length=settings.max_seq_len, stride=settings.doc_stride)
        samples = [Sample([enc, *enc.overflowing], data=context) for enc, context in zip(encodings, contexts)]
        self.check_positions(samples, settings)
        return samples

    @property
    def question_first(self) -> bool:
        """transformers puts the question first unless the tokenizer pads on the left."""
        return self.tokenizer.padding_side == "right"

    def check_windows(self, kept: list[str], cut: list[str], settings: Settings) -> None:
        """Fail clearly where the tokenizer would fail obscurely (a Rust panic for the stride): each
        window holds the whole kept segment, so the cut one needs room for more than doc_stride tokens."""
        specials = self.tokenizer.num_special_tokens_to_add(pair=True)
        kept_lengths = [len(e) for e in self.tokenizer.encode_batch_raw(kept, add_special_tokens=False, truncation=False)]
        for i, kept_len in enumerate(kept_lengths):
            room = settings.max_seq_len - specials - kept_len  # tokens of the cut segment per window
            if room > settings.doc_stride:
                continue
            cut_len = len(self.tokenizer.encode_batch_raw([cut[i]], add_special_tokens=False, truncation=False)[0])
            if kept_len + cut_len + specials <= settings.max_seq_len:
                continue  # fits in one window: nothing is cut
            what = "question" if self.question_first else "context"
            if room <= 0:
                raise InputError(f"the {what} of input {i} is {kept_len} tokens, which leaves no room in a window of "
                                 f"max_seq_len={settings.max_seq_len}; shorten it or raise max_seq_len")
            raise InputError(f"doc_stride={settings.doc_stride} must be smaller than the {room} tokens each window has "
                             f"left beside the {what} of input {i} (max_seq_len={settings.max_seq_len}); "
                             f"lower doc_stride or raise max_seq_len")

    def check_positions(self, samples: list[Sample], settings: Settings) -> None:
        limit = getattr(self.model.config, "max_position_embeddings", None)
        longest = max((len(c) for s in samples for c in s.chunks), default=0)
        if limit is not None and longest > limit:
            raise InputError(f"max_seq_len={settings.max_seq_len} makes windows of {longest} tokens but the model "
                             f"has {limit} positions; use max_seq_len <= {limit}")

    def postprocess(self, sample: Sample, params: dict[str, Any]) -> Any:
        settings = resolve_settings(params, self.tokenizer.model_max_length)
        # transformers fetches extra spans when aligning to words, as several may become one answer
        fetch = settings.top_k * 2 + 10 if settings.align_to_words else settings.top_k
        sequence = 1 if self.question_first else 0  # the context's sequence index in each window
        pool: dict[str, dict[str, Any]] = {}  # lower-cased answer text -> answer, in order found
        null_score = NO_NULL_YET
        for window, out in zip(sample.chunks, sample.outputs):
            allowed = answer_tokens(window, self.question_first, self.tokenizer.cls_token_id)  # (T,)
            start = probabilities(out["start_logits"], allowed)  # (T,)
            end = probabilities(out["end_logits"], allowed)  # (T,)
            if settings.handle_impossible_answer:
                null_score = min(null_score, float(start[0] * end[0]))
            start[0] = end[0] = 0.0  # [CLS] scores the null answer only, never a span
            for s, e, score in best_spans(start, end, allowed, fetch, settings.max_answer_len):
                first, last = char_span(window, s, e, sequence, settings.align_to_words)
                add_answer(pool, sample.data, first, last, score)
        answers = list(pool.values())
        if settings.handle_impossible_answer:
            answers.append({"score": null_score, "start": 0, "end": 0, "answer": ""})
        ranked = sorted(answers, key=lambda a: a["score"], reverse=True)[: settings.top_k]
        return ranked[0] if len(ranked) == 1 else ranked  # transformers' shape: one answer bare, else a list


def pair_up(question: Any, context: Any) -> Any:
    """question=/context= keywords -> one dict, or a list of dicts (one context may serve many questions)."""
    if isinstance(question, str) and isinstance(context, str):
        return {"question": question, "context": context}
    if isinstance(question, (list, tuple)) and isinstance(context, str):
        return [{"question": q, "context": context} for q in question]
    if isinstance(question, (list, tuple)) and isinstance(context, (list, tuple)):
        if len(question) != len(context):
            raise InputError(f"Questions and contexts don't have the same lengths ({len(question)} and {len(context)})")
        return [{"question": q, "context": c} for q, c in zip(question, context)]
    raise InputError(f"question= and context= must be two strings, a list of questions and one context, or two "
                     f"lists of the same length; got {type(question).__name__} and {type(context).__name__}")


def check_item(item: Any) -> tuple[str, str]:
    """{"question": "Who?", "context": "Ann did."} -> ("Who?", "Ann did."), with transformers' errors."""
    if not isinstance(item, dict):
        raise InputError(f"each question-answering input is a dict {{'question': ..., 'context': ...}}; "
                         f"got {type(item).__name__}: {item!r:.80}")
    for key in ("question", "context"):
        if key not in item:
            raise InputError(f"You need to provide a dictionary with keys {{question:..., context:...}}; got {sorted(item)}")
        value = item[key]
        if value is None:
            raise InputError(f"`{key}` cannot be None")
        if not isinstance(value, str):
            raise InputError(f"`{key}` must be a string, got {type(value).__name__}: {value!r:.80}")
        if not value:
            raise InputError(f"`{key}` cannot be empty")
    return item["question"], item["context"]


def answer_tokens(window: Encoding, question_first: bool, cls_id: int | None) -> np.ndarray:
    """(T,) bool: tokens an answer may use: the context's, and [CLS] (the null answer's token).
    With the context first (left-padding tokenizers) transformers masks nothing, so neither do we."""
    if not question_first:
        return np.ones(len(window), dtype=bool)
    allowed = np.array([sid == 1 for sid in window.sequence_ids], dtype=bool)  # (T,)
    if cls_id is not None:
        allowed |= np.asarray(window.ids) == cls_id
    return allowed


def probabilities(logits: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """(T,) float32 softmax over the allowed tokens; the others get transformers' -10000 logit."""
    x = np.where(allowed, logits.astype(np.float32, copy=False), MASKED)  # (T,)
    x = np.exp(x - x.max())
    return x / x.sum()


def best_spans(
    start: np.ndarray, end: np.ndarray, allowed: np.ndarray, k: int, max_answer_len: int
) -> list[tuple[int, int, float]]:
    """The k best (start, end, score) with start <= end < start + max_answer_len, best first, minus
    those touching a token outside the context (transformers' decode_spans: same ranking, same ties)."""
    scores = np.tril(np.triu(np.outer(start, end)), max_answer_len - 1)  # (T, T)
    flat = scores.ravel()
    order = top_indices(flat, k)
    starts, ends = np.unravel_index(order, scores.shape)
    ok = allowed.copy()
    ok[0] |= ok.any()  # transformers' membership test also matches the row index 0 of its (1, T) mask
    keep = ok[starts] & ok[ends]
    return [(int(s), int(e), float(scores[s, e])) for s, e in zip(starts[keep], ends[keep])]


def top_indices(flat: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, largest first, broken as transformers breaks ties."""
    if k == 1:
        return np.array([np.argmax(flat)])
    if flat.size <= k:
        return np.argsort(-flat)
    idx = np.argpartition(-flat, k)[:k]
    return idx[np.argsort(-flat[idx])]


def char_span(window: Encoding, s: int, e: int, sequence: int, align_to_words: bool) -> tuple[int, int]:
    """Token span -> character span in the context; widened to whole words when asked and possible
    (a token with no word, e.g. [CLS], keeps its own offsets)."""
    if align_to_words:
        first_word, last_word = window.token_to_word(s), window.token_to_word(e)
        if first_word is not None and last_word is not None:
            first = window.word_to_chars(first_word, sequence)
            last = window.word_to_chars(last_word, sequence)
            if first is not None and last is not None:
                return first[0], last[1]
    return window.offsets[s][0], window.offsets[e][1]


def add_answer(pool: dict[str, dict[str, Any]], context: str, first: int, last: int, score: float) -> None:
    """Pool by text, ignoring case: an answer already found gains the score and keeps its place and span."""
    text = context[first:last]
    found = pool.get(text.lower())
    if found is not None:
        found["score"] += score
    else:
        pool[text.lower()] = {"score": score, "start": first, "end": last, "answer": text}
