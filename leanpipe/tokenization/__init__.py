"""Tokenizers with transformers' interface over the Rust `tokenizers` library.

    from leanpipe.tokenization import AutoTokenizer
    tok = AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")
    tok(["Hello world", "Hi"], padding=True, return_tensors="np")["input_ids"].shape -> (2, 4)

For pipelines: `tok.encode_batch_raw(texts)` -> list[tokenizers.Encoding] (truncated, unpadded),
then `tok.pad_batch(encodings)` or `pad_encodings(encodings, pad_id)` -> dict of (B, T) int64 arrays.
"""

from .auto import (
    AlbertTokenizer,
    AlbertTokenizerFast,
    AutoTokenizer,
    BartTokenizer,
    BartTokenizerFast,
    BertTokenizer,
    BertTokenizerFast,
    CamembertTokenizer,
    CamembertTokenizerFast,
    DebertaTokenizer,
    DebertaTokenizerFast,
    DebertaV2Tokenizer,
    DebertaV2TokenizerFast,
    T5Tokenizer,
    T5TokenizerFast,
    RemBertTokenizer,
    RemBertTokenizerFast,
    FNetTokenizer,
    FNetTokenizerFast,
    BigBirdTokenizer,
    BigBirdTokenizerFast,
    DistilBertTokenizer,
    DistilBertTokenizerFast,
    ElectraTokenizer,
    ElectraTokenizerFast,
    EsmTokenizer,
    MobileBertTokenizer,
    MobileBertTokenizerFast,
    MPNetTokenizer,
    MPNetTokenizerFast,
    RobertaTokenizer,
    RobertaTokenizerFast,
    SqueezeBertTokenizer,
    SqueezeBertTokenizerFast,
    XLMRobertaTokenizer,
    XLMRobertaTokenizerFast,
)
from .batch_encoding import BatchEncoding, CharSpan, TokenSpan
from .inputs import flatten_overflow
from .loading import VERY_LARGE_INTEGER
from .padding import pad_encodings
from .tokenizer import PreTrainedTokenizerFast

__all__ = [
    "AlbertTokenizer",
    "BartTokenizer",
    "BartTokenizerFast",
    "AlbertTokenizerFast",
    "CamembertTokenizer",
    "CamembertTokenizerFast",
    "DebertaTokenizer",
    "DebertaTokenizerFast",
    "ElectraTokenizer",
    "ElectraTokenizerFast",
    "EsmTokenizer",
    "MobileBertTokenizer",
    "MobileBertTokenizerFast",
    "MPNetTokenizer",
    "MPNetTokenizerFast",
    "RobertaTokenizer",
    "RobertaTokenizerFast",
    "SqueezeBertTokenizer",
    "SqueezeBertTokenizerFast",
    "XLMRobertaTokenizer",
    "XLMRobertaTokenizerFast",
    "AutoTokenizer",
    "BatchEncoding",
    "BertTokenizer",
    "BertTokenizerFast",
    "CharSpan",
    "DebertaV2Tokenizer",
    "DebertaV2TokenizerFast",
    "T5Tokenizer",
    "T5TokenizerFast",
    "RemBertTokenizer",
    "RemBertTokenizerFast",
    "FNetTokenizer",
    "FNetTokenizerFast",
    "BigBirdTokenizer",
    "BigBirdTokenizerFast",
    "DistilBertTokenizer",
    "DistilBertTokenizerFast",
    "PreTrainedTokenizerFast",
    "TokenSpan",
    "VERY_LARGE_INTEGER",
    "flatten_overflow",
    "pad_encodings",
]
