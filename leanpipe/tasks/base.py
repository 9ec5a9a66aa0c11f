"""What every task shares: a task is preprocess -> forward -> postprocess, nothing more.

`Task.encode` turns each input into a `Sample`: one or more unpadded `tokenizers.Encoding`s (several
when a long text is cut into strided windows, or a premise is paired with each candidate label)
plus whatever postprocessing needs. `leanpipe.pipeline.Pipeline` batches all encodings sorted by
length, runs the model, and hands each sample its encodings' own slices of the outputs, in order,
to `Task.postprocess`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

import numpy as np
from tokenizers import Encoding

from ..errors import InputError
from ..tokenization.strategies import implied_truncation


@dataclass
class Sample:
    """The model inputs made from one pipeline input, and what postprocess needs besides outputs."""

    chunks: list[Encoding | list[int]]  # a list of ids: an input given as token_ids.TokenIds
    data: Any = None
    outputs: list[dict[str, np.ndarray]] = field(default_factory=list)  # filled by the pipeline, per chunk


class TooManyTokens(InputError):
    """An input longer than a task's limit, in a call that does not truncate: its tokens and the
    limit, for callers (the server) that say how to fix it in their own terms."""

    def __init__(self, length: int, limit: int, message: str) -> None:
        super().__init__(message)
        self.length, self.limit = length, limit


def single_chunk_samples(encodings: Sequence[Encoding]) -> list[Sample]:
    """One sample per encoding: the usual case of one input, one model row."""
    return [Sample([e]) for e in encodings]


class Task:
    """Base of the task classes; subclasses set the class variables and the three steps."""

    name: ClassVar[str]
    head: ClassVar[str]  # which model head the task needs (leanpipe.models.HEADS)
    token_outputs: ClassVar[frozenset[str]] = frozenset()  # outputs with a sequence axis, cut per item
    default_model: ClassVar[tuple[str, str]]  # (repo id, revision): transformers' default for the task
    # parameter name -> default; pipeline(...) and pipe(...) may set exactly these
    parameters: ClassVar[dict[str, Any]] = {}
    # parameters older transformers took, -> what to pass instead (refused with that message)
    removed_parameters: ClassVar[dict[str, str]] = {}
    # a Pipeline subclass with methods of this task's own (sentence-embeddings' encode); None: Pipeline
    pipeline_class: ClassVar[type | None] = None

    def __init__(self, model: Any, tokenizer: Any) -> None:
        self.model, self.tokenizer = model, tokenizer

    def encode(self, inputs: Sequence[Any], params: dict[str, Any]) -> list[Sample]:
        raise NotImplementedError

    def postprocess(self, sample: Sample, params: dict[str, Any]) -> Any:
        """`sample.outputs[i]` holds chunk i's outputs: token outputs cut to its length, others its row."""
        raise NotImplementedError

    def keep(self, outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """What of one row's outputs `postprocess` needs, taken as each model batch finishes (the rows
        of a chunk wait for postprocessing together): all of them, unless a task reduces them early."""
        return outputs

    def keeps_padding(self, params: dict[str, Any]) -> bool:
        """Whether the rows hold the tokenizer's padding whose positions are results (feature-extraction
        with padding=): then the pipeline pads no row further, which would change those positions."""
        return False

    def check_params(self, params: dict[str, Any]) -> None:
        """Reject bad values among the parameters of one pipeline(...) or pipe(...) call, before any
        work. Called with that call's own parameters only: transformers judges each call's arguments
        on their own (e.g. NER's stride with aggregation_strategy="none" in the same call)."""

    def gather_inputs(self, inputs: Any, params: dict[str, Any]) -> Any:
        """The call's inputs; a task whose inputs may come as keywords (QA's question=, context=)
        pops them from `params` here."""
        if inputs is None:
            raise TypeError(f"{self.name} needs inputs: pipe(inputs, ...)")
        return inputs

    def gather_args(self, inputs: Any, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
        """Positional arguments after the inputs: a task that accepts some (zero-shot's candidate labels)
        moves them into `params` here and returns the inputs."""
        raise TypeError(f"{self.name} takes one positional argument (the inputs); pass the others by keyword")

    def normalize(self, inputs: Any) -> tuple[list[Any], bool]:
        """(list of single inputs, whether the caller passed one input rather than a list)."""
        if isinstance(inputs, (list, tuple)):
            return list(inputs), False
        return [inputs], True

    def finish(self, results: list[Any], inputs: Any, single: bool, call_params: dict[str, Any]) -> Any:
        """The public shape of the answer: one result, or a list of them."""
        return results[0] if single else results


PADDINGS = (None, True, False, "longest", "max_length", "do_not_pad")


def check_padding(params: dict[str, Any]) -> None:
    """`padding=` as transformers' tokenizer takes it (a string or its PaddingStrategy enum); a task that
    accepts it ignores it: model batches are padded anyway and padding never changes a result."""
    padding = params.get("padding")
    if getattr(padding, "value", padding) not in PADDINGS:
        raise InputError(f"padding must be True, False, 'longest', 'max_length' or 'do_not_pad', got {padding!r}")


def prompted(texts: Sequence[Any], prompt: str, tokenizer: Any = None, lower: bool = False) -> list[str]:
    """sentence-transformers' text preparation: `prompt` before every text; a non-string is refused naming it.
    `lower` (its Transformer module's do_lower_case): the `tokenizer` lowercases, as lowercased_by makes it."""
    for text in texts:
        if not isinstance(text, str):
            raise InputError(f"expected a string, got {type(text).__name__}: {text!r:.80}")
    if lower:
        lowercased_by(tokenizer)
    return [prompt + t for t in texts]


def lowercased_by(tokenizer: Any) -> None:
    """do_lower_case as sentence-transformers 6.3 applies it (base/modules/transformer.py): a Lowercase normalizer
    put first in the tokenizer, unless it already has one, so that special tokens are found before and letters
    are lowercased one by one ("[MASK]" stays one token, "ΟΔΟΣ" -> "οδοσ"), not Python's str.lower() on the text."""
    from tokenizers.normalizers import Lowercase, Sequence as Normalizers

    backend = tokenizer.backend_tokenizer
    current = backend.normalizer
    steps = list(current) if isinstance(current, Normalizers) else [] if current is None else [current]
    if not any(isinstance(step, Lowercase) for step in steps):
        backend.normalizer = Normalizers([Lowercase(), *steps])


def tokenize_texts(
    tokenizer: Any,
    texts: Sequence[str],
    pairs: Sequence[str | None] | None,
    *,
    truncation: Any,
    max_length: int | None,
    add_special_tokens: bool = True,
    padding: Any = None,
) -> list[Encoding]:
    """Tokenize many texts (and optional second segments) without padding; Encodings are Items.
    `padding` is the caller's padding= (None: not given), which decides what truncation=None means."""
    for text in list(texts) + [p for p in (pairs or []) if p is not None]:
        if not isinstance(text, str):
            raise InputError(f"expected a string, got {type(text).__name__}: {text!r:.80}")
    if pairs is not None and any(p is None for p in pairs) and not all(p is None for p in pairs):
        singles = [i for i, p in enumerate(pairs) if p is None]
        paired = [i for i, p in enumerate(pairs) if p is not None]
        items: list[Encoding | None] = [None] * len(texts)
        for group, with_pairs in ((singles, None), (paired, [pairs[i] for i in paired])):
            encoded = tokenize_texts(tokenizer, [texts[i] for i in group], with_pairs, truncation=truncation,
                                     max_length=max_length, add_special_tokens=add_special_tokens, padding=padding)
            for i, item in zip(group, encoded):
                items[i] = item
        return items  # type: ignore[return-value]
    if pairs is not None and all(p is None for p in pairs):
        pairs = None
    truncation = resolve_truncation(truncation, max_length, padding)
    return tokenizer.encode_batch_raw(list(texts), list(pairs) if pairs is not None else None,
                                      truncation=truncation, max_length=max_length, add_special_tokens=add_special_tokens)


def resolve_truncation(truncation: Any, max_length: int | None, padding: Any) -> Any:
    """A pipeline's truncation= as transformers' tokenizer reads it (strategies.implied_truncation, with
    padding not given taken as False): not given with `max_length` and no padding cuts at max_length;
    otherwise not given means no truncation, as pipelines default to.

    resolve_truncation(None, 4, None) -> "longest_first"; resolve_truncation(None, 4, "max_length") -> False
    """
    truncation = implied_truncation(padding=False if padding is None else padding, truncation=truncation,
                                    max_length=max_length)
    return False if truncation is None else truncation


def inputs_from_keywords(inputs: Any, params: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """A dict-shaped input given as keywords, `pipe(query=q, texts=[...])`, popped from `params`
    into `{"query": q, "texts": [...]}`; other inputs pass through unchanged."""
    if not any(k in params for k in keys):
        return inputs
    if inputs is not None:
        raise TypeError(f"pass either a dict with {list(keys)} or those keywords, not both")
    return {k: params.pop(k, None) for k in keys}


def normalize_dicts(inputs: Any, usage: str) -> tuple[list[Any], bool]:
    """One dict input, or a list of them -> (list, single?); anything else is refused with `usage`."""
    if isinstance(inputs, dict):
        return [inputs], True
    if isinstance(inputs, (list, tuple)) and all(isinstance(x, dict) for x in inputs):
        return list(inputs), False
    raise InputError(f"{usage}; got {type(inputs).__name__}")
