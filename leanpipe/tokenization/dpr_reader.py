"""DPR's reader tokenizer: question, passage titles and texts in, one row per passage; and the search for
the best answer spans in a DPRReader's output (transformers' DPRReaderTokenizer, tokenization_dpr).

    tok = DPRReaderTokenizer.from_pretrained("facebook/dpr-reader-single-nq-base")
    inputs = tok(questions="What is love ?", titles=["Haddaway"], texts=["'What Is Love' is a song ..."],
                 return_tensors="np")
    spans = tok.decode_best_spans(inputs, DPRReader.from_pretrained(...)(**inputs))
    spans[0].text -> the best span of the most relevant passage

Each row is `[CLS] question [SEP] title [SEP] text`, the text's tokens without special tokens, cut at
max_length when truncation is asked for (a plain cut: no closing [SEP]), as transformers builds it.
"""

from __future__ import annotations

import collections
from typing import Any

import numpy as np

from ..errors import InputError

DPRSpanPrediction = collections.namedtuple(
    "DPRSpanPrediction", ["span_score", "relevance_score", "doc_id", "start_index", "end_index", "text"])


class DPRReaderMixin:
    """`__call__(questions, titles, texts)` and `decode_best_spans`, over a BertTokenizer."""

    def __call__(self, questions: Any = None, titles: Any = None, texts: Any = None, padding: bool | str = False,
                 truncation: bool | str = False, max_length: int | None = None, return_tensors: str | None = None,
                 return_attention_mask: bool | None = None, **kwargs: Any) -> Any:
        """Without titles and texts: the questions tokenized as BertTokenizer does (with one of them: as
        (question, that) pairs). With both: one row per passage, the question repeated when it is one string."""
        call = dict(padding=padding, truncation=truncation, max_length=max_length, return_tensors=return_tensors,
                    return_attention_mask=return_attention_mask, **kwargs)
        if titles is None and texts is None:
            return super().__call__(questions, **call)
        if titles is None or texts is None:
            return super().__call__(questions, titles if texts is None else texts, **call)
        titles = [titles] if isinstance(titles, str) else list(titles)
        texts = [texts] if isinstance(texts, str) else list(texts)
        if len(titles) != len(texts):
            raise InputError(f"DPRReaderTokenizer needs one title per text: got {len(titles)} titles and {len(texts)} texts")
        if not isinstance(questions, (str, list, tuple)):
            raise InputError(f"give the question: tok(questions=\"...\", titles=[...], texts=[...]); got questions={questions!r:.80}")
        questions = [questions] * len(titles) if isinstance(questions, str) else list(questions)
        if len(questions) != len(titles):
            raise InputError(f"give one question string for all {len(titles)} passages, or one question per passage: "
                             f"got {len(questions)} questions")
        heads = super().__call__(questions, titles, padding=False, truncation=False)["input_ids"]
        bodies = super().__call__(texts, add_special_tokens=False, padding=False, truncation=False)["input_ids"]
        rows = [head + body for head, body in zip(heads, bodies)]
        if truncation and max_length is not None:
            rows = [row[:max_length] for row in rows]
        encoded: dict[str, list[list[int]]] = {"input_ids": rows}
        if return_attention_mask is not False:  # as transformers: a [PAD] id inside a text is masked too
            encoded["attention_mask"] = [[int(i != self.pad_token_id) for i in row] for row in rows]
        return self.pad(encoded, padding=padding, max_length=max_length, return_tensors=return_tensors)

    def decode_best_spans(self, reader_input: Any, reader_output: Any, num_spans: int = 16, max_answer_length: int = 64,
                          num_spans_per_passage: int = 4) -> list[DPRSpanPrediction]:
        """The best answer spans: passages by descending relevance_logits, in each up to
        `num_spans_per_passage` spans of at most `max_answer_length` tokens from the passage part of the row
        (after the question's [SEP]), by descending start + end logit, none inside another; `num_spans` in all.
        Scores are Python floats (transformers gives 0-d tensors of the same values)."""
        ids = _rows(reader_input["input_ids"])
        start_logits, end_logits, relevance = (_array(_field(reader_output, name, i)) for i, name in
                                               enumerate(("start_logits", "end_logits", "relevance_logits")))
        order = sorted(range(len(relevance)), key=lambda i: relevance[i], reverse=True)  # stable, as transformers'
        found: list[DPRSpanPrediction] = []
        for doc in order:
            row = ids[doc]
            try:
                offset = row.index(self.sep_token_id, 2) + 1  # what follows the question's [SEP]
            except ValueError:
                raise InputError(f"row {doc} of input_ids has no [SEP] after its question: pass what the tokenizer's "
                                 f"__call__(questions=, titles=, texts=) returned") from None
            length = row.index(self.pad_token_id) if row[-1] == self.pad_token_id else len(row)
            for start, end in best_spans(start_logits[doc][offset:length], end_logits[doc][offset:length],
                                         max_answer_length, num_spans_per_passage):
                start, end = start + offset, end + offset
                found.append(DPRSpanPrediction(float(start_logits[doc][start] + end_logits[doc][end]), float(relevance[doc]),
                                               doc, start, end, self.decode(row[start:end + 1])))
            if len(found) >= num_spans:
                break
        return found[:num_spans]


def best_spans(start: np.ndarray, end: np.ndarray, max_answer_length: int, top: int) -> list[tuple[int, int]]:
    """Up to `top` (start, end) index pairs (end inclusive, end - start < max_answer_length) by descending
    start[s] + end[e] (float32; ties in (start, length) order), skipping a span that holds or lies inside one
    already chosen (overlapping ones are kept, as transformers' _get_best_spans does)."""
    n = len(start)
    candidates = [(s, s + k) for s in range(n) for k in range(min(max_answer_length, n - s))]
    if not candidates:
        return []
    pairs = np.array(candidates)
    scores = np.asarray(start, np.float32)[pairs[:, 0]] + np.asarray(end, np.float32)[pairs[:, 1]]
    chosen: list[tuple[int, int]] = []
    for i in np.argsort(-scores, kind="stable"):
        s, e = candidates[i]
        if any(s <= s0 <= e0 <= e or s0 <= s <= e <= e0 for s0, e0 in chosen):
            continue
        chosen.append((s, e))
        if len(chosen) == top:
            break
    return chosen


def _field(output: Any, name: str, index: int) -> Any:
    """A DPRReader output's field, by name (ModelOutput, dict) or position (a return_dict=False tuple)."""
    if isinstance(output, (tuple, list)):
        return output[index]
    try:
        return output[name]
    except (KeyError, TypeError):
        return getattr(output, name)


def _array(value: Any) -> np.ndarray:
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def _rows(input_ids: Any) -> list[list[int]]:
    return [[int(i) for i in row] for row in (_array(input_ids) if not isinstance(input_ids, list) else input_ids)]
