"""token-classification / ner: a label for every token, optionally merged into words and entities,
as transformers 5.2's TokenClassificationPipeline computes them.

    pipe("My name is Wolfgang")
    -> [{"entity": "B-PER", "score": 0.99, "index": 4, "word": "wolfgang", "start": 11, "end": 19}]
    pipe("My name is Wolfgang", aggregation_strategy="simple")
    -> [{"entity_group": "PER", "score": 0.99, "word": "wolfgang", "start": 11, "end": 19}]

Per text: tokenize (with `stride`: every overlapping window of a long text) -> softmax per token ->
skip special tokens -> ("first" / "average" / "max": one label per word) -> (all but "none": merge
neighbours with one tag, B- starting a new entity) -> drop `ignore_labels` -> (several windows: of
overlapping entities keep the longest, then the more confident).
"""

from __future__ import annotations

import types
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
from tokenizers import Encoding

from ..errors import InputError
from ..pipeline import Pipeline
from .base import Sample, Task

STRATEGIES = ("none", "simple", "first", "average", "max")
WORD_STRATEGIES = ("first", "average", "max")  # one label per word, so words are never split
NO_LIMIT = int(1e20)  # transformers: a model_max_length above this means the tokenizer never truncates


@dataclass(frozen=True)
class WithOffsets:
    """A text sent with the caller's offset_mapping: one (start, end) per token, specials included."""

    text: Any
    offsets: list[tuple[int, int]]


@dataclass(frozen=True)
class Text:
    """What postprocess needs of one input besides the model outputs."""

    sentence: str  # the text character offsets point into (pre-split words: joined by the delimiter)
    word_starts: list[int] | None  # pre-split words: where word i starts in `sentence`
    offsets: list[tuple[int, int]] | None  # the caller's offset_mapping, used for every window


@dataclass(frozen=True)
class Token:
    """One non-special token with its label distribution (transformers' "pre-entity")."""

    word: str  # the vocabulary token ("##ing"); an unknown token's original characters
    scores: np.ndarray  # (L,) softmax over the labels, float32
    start: int | None  # None: a tokenizer without offsets (transformers' Python ones, e.g. ESM's)
    end: int | None
    index: int  # position in its window, special tokens counted
    is_subword: bool  # continues the word of the token before it


class TokenClassificationPipeline(Pipeline):
    """pipeline("token-classification") and ("ner"), named as in transformers (also NerPipeline)."""


NerPipeline = TokenClassificationPipeline  # transformers' other name for it


class TokenClassification(Task):
    name = "token-classification"
    head = "token-classification"
    token_outputs = frozenset({"logits"})
    default_model = ("dbmdz/bert-large-cased-finetuned-conll03-english", "4c53496")
    pipeline_class = TokenClassificationPipeline
    parameters = {
        "aggregation_strategy": None,  # None: not given ("none", but allowed with stride)
        "ignore_labels": None,  # None: ["O"]
        "stride": None,  # None: a long text is truncated; an int: cut into windows overlapping by it
        "is_split_into_words": False,
        "delimiter": None,  # joins pre-split words into the sentence offsets point into; None: " "
        "offset_mapping": None,  # per call only (see gather_inputs)
    }

    # --- arguments ---------------------------------------------------------------------------------

    def check_params(self, params: dict[str, Any]) -> None:
        strategy = strategy_of(params.get("aggregation_strategy"))
        if not self.tokenizer.is_fast:  # transformers' Python tokenizers (ESM's) give no offsets
            if strategy in WORD_STRATEGIES:
                raise InputError(f"aggregation_strategy={strategy!r} needs words, which {type(self.tokenizer).__name__} "
                                 f"(a Python tokenizer in transformers, no offsets) does not give; use \"simple\" or \"none\"")
            if params.get("stride") is not None:
                raise InputError(f"stride needs a tokenizer with offsets to merge the windows; "
                                 f"{type(self.tokenizer).__name__} has none (as in transformers): leave stride unset")
            if params.get("is_split_into_words"):
                raise InputError(f"is_split_into_words=True needs a tokenizer with offsets; {type(self.tokenizer).__name__} "
                                 f"has none (as in transformers): pass the text as one string")
        if params.get("stride") is not None:
            check_stride(params["stride"], self.tokenizer)
            if strategy == "none":
                raise InputError(
                    'stride was given to read all of a long text, but aggregation_strategy="none" keeps '
                    'one entry per token and cannot merge the overlapping windows; use "simple", "first", '
                    '"average" or "max"'
                )
        if params.get("ignore_labels") is not None and not isinstance(params["ignore_labels"], (str, list, tuple, set)):
            raise InputError(f"ignore_labels must be a list of labels such as ['O'], got {params['ignore_labels']!r}")
        if params.get("offset_mapping") is not None:
            raise InputError(
                "offset_mapping belongs to the texts of one call: pipe(text, offset_mapping=[(0, 0), (0, 5), ...]), "
                "not pipeline(...) or stream()"
            )

    def gather_inputs(self, inputs: Any, params: dict[str, Any]) -> Any:
        # transformers reads these two from the call alone: a call without them resets them to the
        # defaults, whatever pipeline(...) was given
        split = params.setdefault("is_split_into_words", False)
        params.setdefault("delimiter", None)
        offsets = params.pop("offset_mapping", None)
        if isinstance(inputs, types.GeneratorType):
            if not offsets:
                return inputs
            inputs = list(inputs)
        if not isinstance(inputs, (str, list, tuple)) or (not isinstance(inputs, str) and len(inputs) == 0):
            raise InputError(
                f"token-classification needs at least one input: a string, a list of strings, or with "
                f"is_split_into_words=True a list of words (or a list of such lists); got {inputs!r:.80}"
            )
        if split and not isinstance(inputs, str) and not all(isinstance(x, (list, tuple)) for x in inputs):
            inputs = [list(inputs)]  # one pre-split text: transformers answers with a list holding its list
        return attach_offsets(inputs, offsets) if offsets else inputs

    # --- preprocess --------------------------------------------------------------------------------

    def encode(self, inputs: Sequence[Any], params: dict[str, Any]) -> list[Sample]:
        split = bool(params["is_split_into_words"])
        delimiter = " " if params["delimiter"] is None else params["delimiter"]
        pieces, texts = zip(*(prepare(x, split, delimiter) for x in inputs))
        stride = params["stride"]
        encodings = self.tokenizer.encode_batch_raw(
            list(pieces),
            truncation=self.tokenizer.model_max_length > 0,  # transformers always cuts at the model's limit
            stride=stride or 0,
            is_split_into_words=split,
        )
        return [Sample(windows(enc, stride is not None), data=text) for enc, text in zip(encodings, texts)]

    # --- postprocess -------------------------------------------------------------------------------

    def postprocess(self, sample: Sample, params: dict[str, Any]) -> list[dict[str, Any]]:
        strategy = strategy_of(params["aggregation_strategy"]) or "none"
        ignore = ignored_labels(params["ignore_labels"])
        entities: list[dict[str, Any]] = []
        for encoding, outputs in zip(sample.chunks, sample.outputs):
            tokens = self.tokens(encoding, outputs["logits"], sample.data, strategy)
            kept = [e for e in self.entities(tokens, strategy)
                    if e.get("entity") not in ignore and e.get("entity_group") not in ignore]
            entities += kept
        return merge_overlapping(entities) if len(sample.chunks) > 1 else entities

    def tokens(self, encoding: Encoding, logits: np.ndarray, text: Text, strategy: str) -> list[Token]:
        """The window's non-special tokens with their scores, characters and word membership."""
        scores = softmax32(logits)  # (T, L)
        vocab_tokens = self.tokenizer.convert_ids_to_tokens(encoding.ids)
        offsets = encoding.offsets if text.offsets is None else text.offsets
        if text.offsets is None and not self.tokenizer.is_fast:  # as transformers: the token, no characters
            return [Token(vocab_tokens[i], scores[i], None, None, i, False)
                    for i, special in enumerate(encoding.special_tokens_mask) if not special]
        if len(offsets) < len(encoding):
            raise InputError(
                f"offset_mapping has {len(offsets)} (start, end) pairs but the text has {len(encoding)} tokens; "
                f"give one pair per token, special tokens included"
            )
        word_aware = bool(getattr(self.tokenizer.backend_tokenizer.model, "continuing_subword_prefix", None))
        if not word_aware and strategy in WORD_STRATEGIES and len(encoding):
            warnings.warn("Tokenizer does not support real words, using fallback heuristic", UserWarning, stacklevel=2)
        unk_id = self.tokenizer.unk_token_id
        found = []
        for i, special in enumerate(encoding.special_tokens_mask):
            if special:
                continue
            start, end = token_span(offsets, i, encoding.word_ids[i], text)
            original = text.sentence[start:end]
            if encoding.ids[i] == unk_id:  # "[UNK]" says nothing: show the characters, start a word
                found.append(Token(original, scores[i], start, end, i, False))
                continue
            word = vocab_tokens[i]
            if word_aware:  # "##ing" is longer than the "ing" it covers
                is_subword = len(word) != len(original)
            else:  # no space before the token in the text
                is_subword = start > 0 and " " not in text.sentence[start - 1 : start + 1]
            found.append(Token(word, scores[i], start, end, i, is_subword))
        return found

    def entities(self, tokens: list[Token], strategy: str) -> list[dict[str, Any]]:
        """Label tokens ("none", "simple") or words (the others); group unless "none"."""
        id2label = self.model.config.id2label
        to_string = self.tokenizer.convert_tokens_to_string
        if strategy in ("none", "simple"):
            labelled = [label_token(t, id2label) for t in tokens]
        else:
            labelled = [label_word(word, strategy, id2label, to_string) for word in split_words(tokens)]
        return labelled if strategy == "none" else group_entities(labelled, to_string)


# --- arguments ---------------------------------------------------------------------------------------


def strategy_of(value: Any) -> str | None:
    """None (not given) or a name in STRATEGIES; any case, and transformers' AggregationStrategy members."""
    if value is None:
        return None
    name = value.lower() if isinstance(value, str) else None
    if name not in STRATEGIES:
        raise InputError(f"aggregation_strategy={value!r} is not one of {list(STRATEGIES)}")
    return name


def check_stride(stride: Any, tokenizer: Any) -> None:
    """A stride is an int below the window's room for text (model_max_length minus special tokens)."""
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 0:
        raise InputError(f"stride must be a non-negative int (tokens shared by neighbouring windows), got {stride!r}")
    limit = tokenizer.model_max_length
    if stride >= limit:
        raise InputError(
            f"stride={stride} must be less than tokenizer.model_max_length={limit} (or even lower if the "
            f"tokenizer adds special tokens)"
        )
    room = limit - tokenizer.num_special_tokens_to_add(pair=False)
    if limit <= NO_LIMIT and stride >= room:
        raise InputError(
            f"stride={stride} leaves no new tokens per window: a window holds {room} text tokens "
            f"(model_max_length {limit} minus special tokens); use a stride below {room}"
        )


def ignored_labels(value: Any) -> Any:
    """The labels to drop; None means ["O"], a single string is one label."""
    if value is None:
        return ["O"]
    return [value] if isinstance(value, str) else value


def attach_offsets(inputs: Any, offset_mapping: Any) -> Any:
    """Pair each text with its offset_mapping; a list of (start, end) tuples is one text's mapping."""
    mappings = [offset_mapping] if isinstance(offset_mapping[0], tuple) else list(offset_mapping)
    texts = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(mappings) != len(texts):
        raise InputError(
            f"offset_mapping should have the same batch size as the input: {len(mappings)} mappings for "
            f"{len(texts)} texts (one text: a list of (start, end) tuples; several: a list of such lists)"
        )
    for mapping in mappings:
        if not all(isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in mapping):
            raise InputError(f"offset_mapping must hold (start, end) pairs, got {mapping!r:.80}")
    attached = [WithOffsets(t, [tuple(pair) for pair in m]) for t, m in zip(texts, mappings)]
    return attached if isinstance(inputs, (list, tuple)) else attached[0]


# --- preprocess -----------------------------------------------------------------------------------


def prepare(item: Any, split: bool, delimiter: str) -> tuple[Any, Text]:
    """(what the tokenizer reads, Text): a string, or pre-split words and the sentence they make.

    prepare(["New", "York"], True, " ") -> (["New", "York"], Text("New York", [0, 4], None))
    """
    offsets = item.offsets if isinstance(item, WithOffsets) else None
    item = item.text if isinstance(item, WithOffsets) else item
    if not split:
        if not isinstance(item, str):
            raise InputError(
                f"each input must be a string (or, with is_split_into_words=True, a list of words); got {item!r:.80}"
            )
        return item, Text(item, None, offsets)
    if not isinstance(item, (list, tuple)) or not all(isinstance(w, str) for w in item):
        raise InputError(
            "with is_split_into_words=True each input must be a list of words (strings), "
            f"e.g. ['New', 'York']; got {item!r:.80}"
        )
    words = list(item)
    starts, position = [], 0
    for word in words:
        starts.append(position)
        position += len(word) + len(delimiter)
    return words, Text(delimiter.join(words), starts, offsets)


def windows(encoding: Encoding, with_overflow: bool) -> list[Encoding]:
    """The model rows of one text: its first window, then (with stride) the overflowing ones."""
    return [encoding, *encoding.overflowing] if with_overflow else [encoding]


# --- postprocess ----------------------------------------------------------------------------------


def softmax32(logits: np.ndarray) -> np.ndarray:
    """Softmax over labels in float32, as transformers' NER postprocess computes it (T, L) -> (T, L)."""
    logits = np.asarray(logits, dtype=np.float32)
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))  # (T, L)
    return shifted / shifted.sum(axis=-1, keepdims=True)


def token_span(offsets: Sequence[tuple[int, int]], i: int, word_id: int | None, text: Text) -> tuple[int, int]:
    """Token i's characters in `text.sentence`; pre-split words' offsets are shifted to their word."""
    start, end = (int(x) for x in offsets[i])
    if text.word_starts is not None and word_id is not None:
        start, end = start + text.word_starts[word_id], end + text.word_starts[word_id]
    return start, end


def label_token(token: Token, id2label: dict[int, str]) -> dict[str, Any]:
    best = int(token.scores.argmax())
    return {
        "entity": id2label[best],
        "score": float(token.scores[best]),
        "index": token.index,
        "word": token.word,
        "start": token.start,
        "end": token.end,
    }


def split_words(tokens: list[Token]) -> list[list[Token]]:
    """Tokens grouped into words: a new word at every token that is not a subword."""
    words: list[list[Token]] = []
    for token in tokens:
        if words and token.is_subword:
            words[-1].append(token)
        else:
            words.append([token])
    return words


def label_word(word: list[Token], strategy: str, id2label: dict[int, str], to_string: Callable) -> dict[str, Any]:
    """One label for a word's tokens: the first token's, the surest token's, or the mean scores'."""
    if strategy == "first":
        scores = word[0].scores
    elif strategy == "max":
        scores = max(word, key=lambda t: t.scores.max()).scores  # the first of equals, as max() keeps
    else:
        scores = np.nanmean(np.stack([t.scores for t in word]), axis=0)  # (L,)
    best = int(scores.argmax())
    return {
        "entity": id2label[best],
        "score": float(scores[best]),
        "word": to_string([t.word for t in word]),
        "start": word[0].start,
        "end": word[-1].end,
    }


def split_tag(label: str) -> tuple[str, str]:
    """"B-PER" -> ("B", "PER"); "I-PER" -> ("I", "PER"); a label without a prefix continues: "O" -> ("I", "O")."""
    if label.startswith(("B-", "I-")):
        return label[0], label[2:]
    return "I", label


def group_entities(entities: list[dict[str, Any]], to_string: Callable) -> list[dict[str, Any]]:
    """Merge runs of neighbours with one tag, where a B- label starts a new run.

    labels B-PER I-PER O O B-LOC B-LOC -> groups PER, O, LOC, LOC
    """
    runs: list[list[dict[str, Any]]] = []
    for entity in entities:
        bi, tag = split_tag(entity["entity"])
        if runs and bi != "B" and tag == split_tag(runs[-1][-1]["entity"])[1]:
            runs[-1].append(entity)
        else:
            runs.append([entity])
    return [merge_run(run, to_string) for run in runs]


def merge_run(run: list[dict[str, Any]], to_string: Callable) -> dict[str, Any]:
    """One entity for a run: the first label without its B-/I- prefix, the mean score, the joined words."""
    mean = np.nanmean(np.asarray([e["score"] for e in run], dtype=np.float32))  # float32, as transformers
    return {
        "entity_group": run[0]["entity"].split("-", 1)[-1],
        "score": float(mean),
        "word": to_string([e["word"] for e in run]),
        "start": run[0]["start"],
        "end": run[-1]["end"],
    }


def merge_overlapping(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entities of overlapping windows, by start: of two that overlap keep the longer, on equal
    length the higher score (the earlier one on a tie). Mirrors transformers' loop, which also
    compares the first entity with itself."""
    if not entities:
        return []
    ordered = sorted(entities, key=lambda e: e["start"])
    kept: list[dict[str, Any]] = []
    current = ordered[0]
    for entity in ordered:
        if current["start"] <= entity["start"] < current["end"]:
            length, current_length = entity["end"] - entity["start"], current["end"] - current["start"]
            if length > current_length or (length == current_length and entity["score"] > current["score"]):
                current = entity
        else:
            kept.append(current)
            current = entity
    kept.append(current)
    return kept
