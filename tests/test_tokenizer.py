"""Parity of leanpipe.tokenization with transformers 5.2's fast tokenizers on the same files.

Variants (each loaded by both libraries from the same folder):
  minilm        the packaged all-MiniLM-L6-v2 folder (tokenizer.json present)
  vocab_only    vocab.txt + tokenizer_config.json + special_tokens_map.json only
  cased         vocab-only, do_lower_case=False, clean_up_tokenization_spaces=True
  strip         vocab-only, strip_accents=True, tokenize_chinese_chars=False, extra special token
  saved         what transformers' save_pretrained writes (added_tokens_decoder in the config)
  generic       PreTrainedTokenizerFast.from_pretrained (tokenizer.json as it is)
  distil        DistilBertTokenizer.from_pretrained (no token_type_ids)
"""

from __future__ import annotations

import json
import pickle
import shutil
import sys
import warnings

import numpy as np
import pytest

from corpus import COURSE, PAIRS, TEXTS, WORDS
from leanpipe.errors import CheckpointError, InputError, TokenizerError
from leanpipe.tokenization import (
    VERY_LARGE_INTEGER,
    AutoTokenizer,
    BatchEncoding,
    BertTokenizer,
    BertTokenizerFast,
    DistilBertTokenizer,
    DistilBertTokenizerFast,
    PreTrainedTokenizerFast,
    flatten_overflow,
    pad_encodings,
)

transformers = pytest.importorskip("transformers")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # transformers' WordPiece(path) call

VOCAB_FILES = ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json")
ALL_VARIANTS = ("minilm", "vocab_only", "cased", "strip", "saved", "generic", "distil")
CORE_VARIANTS = ("minilm", "vocab_only", "generic")


def _vocab_folder(src, dst, **config_changes):
    dst.mkdir()
    for name in VOCAB_FILES:
        shutil.copy(src / name, dst / name)
    config = json.loads((dst / "tokenizer_config.json").read_text())
    config.update(config_changes)
    (dst / "tokenizer_config.json").write_text(json.dumps(config))
    return dst


@pytest.fixture(scope="module")
def folders(minilm, tmp_path_factory):
    root = tmp_path_factory.mktemp("tokenizers")
    saved = root / "saved"
    transformers.AutoTokenizer.from_pretrained(minilm).save_pretrained(saved)
    return {
        "minilm": minilm,
        "vocab_only": _vocab_folder(minilm, root / "vocab_only"),
        "cased": _vocab_folder(minilm, root / "cased", do_lower_case=False, clean_up_tokenization_spaces=True),
        "strip": _vocab_folder(
            minilm, root / "strip", strip_accents=True, tokenize_chinese_chars=False, do_lower_case=False,
            additional_special_tokens=["<ent>"],
        ),
        "saved": saved,
        "unlimited": _vocab_folder(minilm, root / "unlimited", model_max_length=None),
    }


def load_both(variant, folders):
    if variant == "generic":
        return (PreTrainedTokenizerFast.from_pretrained(folders["minilm"]),
                transformers.PreTrainedTokenizerFast.from_pretrained(folders["minilm"]))
    if variant == "distil":
        return (DistilBertTokenizer.from_pretrained(folders["minilm"]),
                transformers.DistilBertTokenizer.from_pretrained(folders["minilm"]))
    return AutoTokenizer.from_pretrained(folders[variant]), transformers.AutoTokenizer.from_pretrained(folders[variant])


@pytest.fixture(scope="module", params=ALL_VARIANTS)
def both(request, folders):
    return load_both(request.param, folders)


@pytest.fixture(scope="module", params=CORE_VARIANTS)
def core(request, folders):
    return load_both(request.param, folders)


def plain(value):
    """Lists / tuples / arrays / tensors -> nested Python lists, for equality."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def assert_same(ours, theirs):
    assert isinstance(ours, BatchEncoding)
    assert list(ours.keys()) == list(theirs.keys())
    for key in theirs:
        assert plain(ours[key]) == plain(theirs[key]), key
        if hasattr(theirs[key], "dtype"):
            assert type(ours[key]) is type(theirs[key]) and str(ours[key].dtype) == str(theirs[key].dtype), key
    assert len(ours.encodings) == len(theirs.encodings)
    for mine, ref in zip(ours.encodings, theirs.encodings):
        assert mine.tokens == ref.tokens and mine.word_ids == ref.word_ids and mine.sequence_ids == ref.sequence_ids


def call_both(both, *args, **kwargs):
    """Run both tokenizers; if transformers raises, leanpipe must raise a ValueError-family error too."""
    ours, theirs = both
    try:
        expected = theirs(*args, **kwargs)
    except Exception:
        with pytest.raises((ValueError, TokenizerError, InputError)):
            ours(*args, **kwargs)
        return None
    result = ours(*args, **kwargs)
    assert_same(result, expected)
    return result


EVERYTHING = dict(return_special_tokens_mask=True, return_offsets_mapping=True, return_length=True)


# --- encoding parity ---------------------------------------------------------------------------

@pytest.mark.parametrize("index", range(len(TEXTS)))
def test_single_text(both, index):
    call_both(both, TEXTS[index], **EVERYTHING)


def test_batch_of_texts(both, support, request):
    call_both(both, TEXTS, **EVERYTHING)
    call_both(both, TEXTS, padding=True, **EVERYTHING)
    call_both(both, COURSE, padding=True, truncation=True, return_tensors="np")
    files = {"minilm": "tokenizer.json", "vocab_only": "vocab.txt", "distil": "vocab.txt"}.get(request.node.callspec.params["both"])
    if files:  # the BERT vocabulary serves BERT and DistilBERT checkpoints alike
        for family in ("bert", "distilbert"):
            support(family, "tokenizer", files)


@pytest.mark.parametrize("index", range(len(PAIRS)))
def test_single_pair(both, index):
    call_both(both, *PAIRS[index], **EVERYTHING)


def test_batch_of_pairs(both):
    firsts, seconds = [a for a, _ in PAIRS], [b for _, b in PAIRS]
    call_both(both, firsts, seconds, padding=True, **EVERYTHING)
    call_both(both, firsts, seconds, truncation="only_second", max_length=24, padding="max_length", **EVERYTHING)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("padding", [False, True, "longest", "max_length", "do_not_pad"])
@pytest.mark.parametrize("truncation", [None, False, True, "longest_first", "only_first", "only_second", "do_not_truncate"])
@pytest.mark.parametrize("max_length", [None, 7, 16])
def test_padding_truncation_matrix(core, padding, truncation, max_length):
    firsts, seconds = [a for a, _ in PAIRS], [b for _, b in PAIRS]
    options = dict(padding=padding, truncation=truncation, max_length=max_length, return_special_tokens_mask=True)
    call_both(core, firsts, seconds, **options)
    call_both(core, COURSE + TEXTS[4:7], **options)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("padding", [True, "max_length"])
@pytest.mark.parametrize("truncation", [None, True])
@pytest.mark.parametrize("max_length", [None, 10, 16])
@pytest.mark.parametrize("multiple", [None, 4, 8])
@pytest.mark.parametrize("side", [None, "left"])
def test_pad_to_multiple_of(core, padding, truncation, max_length, multiple, side):
    call_both(core, TEXTS[:5], padding=padding, truncation=truncation, max_length=max_length,
              pad_to_multiple_of=multiple, padding_side=side, return_special_tokens_mask=True)


@pytest.mark.parametrize("max_length,stride", [(8, 0), (8, 2), (12, 5), (16, 4)])
@pytest.mark.parametrize("padding", [False, True])
def test_overflow_with_stride(core, max_length, stride, padding):
    options = dict(truncation=True, max_length=max_length, stride=stride, padding=padding,
                   return_overflowing_tokens=True, **EVERYTHING)
    call_both(core, TEXTS[:8], **options)
    call_both(core, TEXTS[0], **options)  # a single text keeps the batch level with overflow
    questions, contexts = [a for a, _ in PAIRS[:3]], [b for _, b in PAIRS[:3]]
    call_both(core, questions, contexts, **{**options, "truncation": "only_second", "max_length": max_length + 12})


def test_overflow_errors_like_transformers(core):
    call_both(core, TEXTS[0], truncation=True, max_length=4, stride=3, return_overflowing_tokens=True)
    call_both(core, TEXTS[0], truncation="only_second", max_length=4)
    call_both(core, TEXTS[0], truncation=True, max_length=1)


def test_split_into_words(both):
    call_both(both, WORDS[0], is_split_into_words=True, **EVERYTHING)
    call_both(both, WORDS, is_split_into_words=True, padding=True, **EVERYTHING)
    call_both(both, WORDS, WORDS[::-1], is_split_into_words=True, truncation=True, max_length=9, **EVERYTHING)
    call_both(both, WORDS[1], WORDS[0], is_split_into_words=True)


def test_split_special_tokens_per_call(both):
    """transformers 5.2's split_special_tokens= for one call: "[CLS]" / "<mask>" in a text as ordinary
    characters; the tokenizer's own setting holds again for the next call."""
    ours, theirs = both
    texts = [f"a {ours.mask_token} b {ours.sep_token or ''} c", "plain words"]
    call_both(both, texts, split_special_tokens=True, padding=True, **EVERYTHING)
    call_both(both, texts, split_special_tokens=False, padding=True)
    assert ours(texts)["input_ids"] == theirs(texts)["input_ids"] != ours(texts, split_special_tokens=True)["input_ids"]
    assert ours.split_special_tokens is False


def test_return_flags(both):
    for flags in (dict(return_token_type_ids=False), dict(return_attention_mask=False),
                  dict(return_token_type_ids=True, return_attention_mask=True), dict(add_special_tokens=False)):
        call_both(both, COURSE, padding=True, **flags)


@pytest.mark.parametrize("tensors", ["np", "pt"])
def test_return_tensors(both, tensors):
    single = call_both(both, COURSE[0], return_tensors=tensors, **EVERYTHING)
    assert single["input_ids"].shape[0] == 1
    batch = call_both(both, COURSE, padding=True, return_tensors=tensors, return_overflowing_tokens=True,
                      truncation=True, max_length=8, stride=2, **EVERYTHING)
    assert str(batch["input_ids"].dtype).endswith("int64")
    call_both(both, "", add_special_tokens=False, return_tensors=tensors)


@pytest.mark.parametrize("variant", ["minilm", "vocab_only", "cased", "strip", "saved", "unlimited"])
def test_save_pretrained_loads_back_the_same(folders, variant, tmp_path):
    from family_checks import check_saved_tokenizer

    check_saved_tokenizer(folders[variant], tmp_path / "saved", TEXTS, PAIRS, EVERYTHING, variant)


def test_save_pretrained_keeps_the_class_and_refuses_a_file(folders, tmp_path):
    DistilBertTokenizer.from_pretrained(folders["minilm"]).save_pretrained(tmp_path / "distil")
    ours, theirs = AutoTokenizer.from_pretrained(tmp_path / "distil"), transformers.AutoTokenizer.from_pretrained(tmp_path / "distil")
    assert type(ours) is DistilBertTokenizer and type(theirs).__name__ == "DistilBertTokenizer"
    assert_same(ours(TEXTS, padding=True), theirs(TEXTS, padding=True))  # no token_type_ids in either
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="is a file; save_pretrained takes a folder"):
        ours.save_pretrained(tmp_path / "file")


def test_defaults_from_model_max_length(folders):
    ours, theirs = AutoTokenizer.from_pretrained(folders["minilm"]), transformers.AutoTokenizer.from_pretrained(folders["minilm"])
    long_text = "word " * 600
    for options in (dict(truncation=True), dict(padding="max_length"), dict(padding="max_length", truncation=True)):
        assert_same(ours(long_text, **options), theirs(long_text, **options))
        assert_same(ours("short", **options), theirs("short", **options))
    assert len(ours(long_text, truncation=True)["input_ids"]) == 512


def test_no_model_max_length(folders):
    ours = AutoTokenizer.from_pretrained(folders["unlimited"])
    theirs = transformers.AutoTokenizer.from_pretrained(folders["unlimited"])
    assert ours.model_max_length == theirs.model_max_length == VERY_LARGE_INTEGER
    long_text = "word " * 600
    for options in (dict(truncation=True), dict(padding="max_length"), dict(max_length=5), dict()):
        assert_same(ours(long_text, **options), theirs(long_text, **options))


# --- methods -----------------------------------------------------------------------------------

def test_tokenize_and_conversions(both):
    ours, theirs = both
    for text in TEXTS:
        assert ours.tokenize(text) == theirs.tokenize(text)
        assert ours.tokenize(text, add_special_tokens=True) == theirs.tokenize(text, add_special_tokens=True)
        tokens = theirs.tokenize(text)
        assert ours.convert_tokens_to_ids(tokens) == theirs.convert_tokens_to_ids(tokens)
        assert ours.convert_tokens_to_string(tokens) == theirs.convert_tokens_to_string(tokens)
    assert ours.tokenize(*PAIRS[0]) == theirs.tokenize(*PAIRS[0])
    for token in ("hello", "[CLS]", "not-a-token-xyz", "##s", ""):
        assert ours.convert_tokens_to_ids(token) == theirs.convert_tokens_to_ids(token)
    ids = [101, 7592, 0, 102, 2088, 100, 103, 29999]
    for skip in (False, True):
        assert ours.convert_ids_to_tokens(ids, skip_special_tokens=skip) == theirs.convert_ids_to_tokens(ids, skip_special_tokens=skip)
    assert ours.convert_ids_to_tokens(7592) == theirs.convert_ids_to_tokens(7592)
    assert ours.convert_ids_to_tokens(np.array(ids)) == theirs.convert_ids_to_tokens(ids)


@pytest.mark.filterwarnings("ignore")
def test_encode(both):
    ours, theirs = both
    for text in TEXTS:
        assert ours.encode(text) == theirs.encode(text)
    cases = [dict(add_special_tokens=False), dict(truncation=True, max_length=6), dict(max_length=6),
             dict(padding="max_length", max_length=20), dict(padding=True, max_length=4)]
    for options in cases:
        assert ours.encode(*PAIRS[1], **options) == theirs.encode(*PAIRS[1], **options)
    assert plain(ours.encode(COURSE[0], return_tensors="np")) == plain(theirs.encode(COURSE[0], return_tensors="np"))
    assert ours.encode(WORDS[0], is_split_into_words=True) == theirs.encode(WORDS[0], is_split_into_words=True)


def test_decode(both):
    ours, theirs = both
    batch = theirs(TEXTS + ["do n't stop , ok ? it 's i 'm we 're they 've"], padding=True)["input_ids"]
    for ids in batch:
        for skip in (False, True):
            for clean in (None, False, True):
                assert ours.decode(ids, skip_special_tokens=skip, clean_up_tokenization_spaces=clean) == \
                    theirs.decode(ids, skip_special_tokens=skip, clean_up_tokenization_spaces=clean)
    for skip in (False, True):
        assert ours.batch_decode(batch, skip_special_tokens=skip) == theirs.batch_decode(batch, skip_special_tokens=skip)
        assert ours.decode(batch, skip_special_tokens=skip) == theirs.decode(batch, skip_special_tokens=skip)
        for clean in (False, True):
            assert ours.batch_decode(batch, skip, clean) == theirs.batch_decode(batch, skip, clean)
    import torch

    array = np.array(batch)
    assert ours.batch_decode(array) == theirs.batch_decode(array)
    assert ours.batch_decode(torch.tensor(array)) == theirs.batch_decode(torch.tensor(array))
    assert ours.decode(torch.tensor(batch[0])) == theirs.decode(torch.tensor(batch[0]))
    assert ours.decode(array[0]) == theirs.decode(array[0])
    assert ours.decode(7592) == theirs.decode(7592)
    assert ours.decode([]) == theirs.decode([]) and ours.batch_decode([]) == theirs.batch_decode([])
    assert ours.decode(np.int64(7592)) == theirs.decode(7592)


def test_attributes(both):
    ours, theirs = both
    for name in ("bos", "eos", "unk", "sep", "pad", "cls", "mask"):
        assert getattr(ours, f"{name}_token") == getattr(theirs, f"{name}_token"), name
        assert getattr(ours, f"{name}_token_id") == getattr(theirs, f"{name}_token_id"), name
    assert ours.all_special_tokens == theirs.all_special_tokens
    assert ours.all_special_ids == theirs.all_special_ids
    assert ours.special_tokens_map == theirs.special_tokens_map
    assert ours.vocab_size == theirs.vocab_size
    assert len(ours) == len(theirs)
    assert ours.get_vocab() == theirs.get_vocab()
    assert ours.get_added_vocab() == theirs.get_added_vocab()
    assert ours.model_max_length == theirs.model_max_length
    assert ours.padding_side == theirs.padding_side and ours.truncation_side == theirs.truncation_side
    assert list(ours.model_input_names) == list(theirs.model_input_names)
    assert ours.clean_up_tokenization_spaces == theirs.clean_up_tokenization_spaces
    assert ours.pad_token_type_id == theirs.pad_token_type_id
    for pair in (False, True):
        assert ours.num_special_tokens_to_add(pair) == theirs.num_special_tokens_to_add(pair)
    assert ours.max_len_single_sentence == theirs.max_len_single_sentence
    assert ours.max_len_sentences_pair == theirs.max_len_sentences_pair
    assert ours.name_or_path == theirs.name_or_path
    names = {"TokenizersBackend": "PreTrainedTokenizerFast"}  # transformers 5's alias
    assert ours.is_fast and type(ours).__name__ == names.get(type(theirs).__name__, type(theirs).__name__)
    assert "vocab_size=" in repr(ours) and ours.name_or_path in repr(ours)


def test_special_token_layout(both):
    ours, theirs = both
    a, b = ours.encode("hello world", add_special_tokens=False), ours.encode("café", add_special_tokens=False)
    for pair in (None, b):
        enc = theirs("hello world", None if pair is None else "café", return_special_tokens_mask=True,
                     return_token_type_ids=True)
        assert ours.build_inputs_with_special_tokens(a, pair) == enc["input_ids"]
        assert ours.get_special_tokens_mask(a, pair) == enc["special_tokens_mask"]
        assert ours.create_token_type_ids_from_sequences(a, pair) == enc["token_type_ids"]
    ids = enc["input_ids"]
    assert ours.get_special_tokens_mask(ids, already_has_special_tokens=True) == \
        theirs.get_special_tokens_mask(ids, already_has_special_tokens=True)


def test_batch_encoding_helpers(both):
    ours, theirs = both
    text, pair = "HuggingFace is in New York", "café 中文 👍🏽"
    mine, ref = ours([text], [pair]), theirs([text], [pair])
    assert mine.input_ids == mine["input_ids"] and isinstance(mine[0], type(ref[0]))
    assert mine.n_sequences == ref.n_sequences == 2 and mine.is_fast
    assert mine.tokens(0) == ref.tokens(0) and mine.word_ids(0) == ref.word_ids(0)
    assert mine.sequence_ids(0) == ref.sequence_ids(0)
    for char in range(len(text)):
        assert mine.char_to_token(0, char) == ref.char_to_token(0, char)
        assert mine.char_to_word(0, char) == ref.char_to_word(0, char)
    for char in range(len(pair)):
        assert mine.char_to_token(0, char, sequence_index=1) == ref.char_to_token(0, char, sequence_index=1)
    for token in range(len(mine.input_ids[0])):
        assert mine.token_to_chars(0, token) == ref.token_to_chars(0, token)
        assert mine.token_to_word(0, token) == ref.token_to_word(0, token)
        assert mine.token_to_sequence(0, token) == ref.token_to_sequence(0, token)
    for word in range(5):
        assert mine.word_to_tokens(0, word) == ref.word_to_tokens(0, word)
        assert mine.word_to_chars(0, word) == ref.word_to_chars(0, word)
    single = ours(text)
    assert single.char_to_token(3) == theirs(text).char_to_token(3)
    assert single.to("cpu") is single
    with pytest.raises(AttributeError):
        single.not_a_key
    restored = pickle.loads(pickle.dumps(single))
    assert restored == single and restored.tokens() == single.tokens()


def test_pad_method(both):
    ours, theirs = both
    examples = [ours(t) for t in COURSE + ["", "x"]]
    reference = [theirs(t) for t in COURSE + ["", "x"]]
    cases = [dict(), dict(padding="max_length", max_length=24), dict(pad_to_multiple_of=8),
             dict(padding_side="left"), dict(return_attention_mask=False), dict(padding=False)]
    for options in cases:
        for tensors in (None, "np"):
            if tensors and (options.get("padding") is False or "return_attention_mask" in options):
                continue  # ragged rows: transformers makes object arrays, leanpipe raises (see below)
            assert_dicts(ours.pad([dict(e) for e in examples], return_tensors=tensors, **options),
                         theirs.pad([dict(e) for e in reference], return_tensors=tensors, **options))
    columns = {k: [e[k] for e in examples] for k in examples[0]}
    assert_dicts(ours.pad(columns), theirs.pad({k: [e[k] for e in reference] for k in reference[0]}))
    assert_dicts(ours.pad(dict(examples[0]), padding="max_length", max_length=20),
                 theirs.pad(dict(reference[0]), padding="max_length", max_length=20))
    arrays = [{k: np.array(v) for k, v in e.items()} for e in examples]
    assert_dicts(ours.pad(arrays), theirs.pad([{k: np.array(v) for k, v in e.items()} for e in reference]))


def assert_dicts(ours, theirs):
    assert list(ours.keys()) == list(theirs.keys())
    for key in theirs:
        assert plain(ours[key]) == plain(theirs[key]), key


def test_overrides_match(folders):
    options = dict(model_max_length=16, padding_side="left", truncation_side="left")
    ours = AutoTokenizer.from_pretrained(folders["minilm"], **options)
    theirs = transformers.AutoTokenizer.from_pretrained(folders["minilm"], **options)
    assert_same(ours(TEXTS, padding=True, truncation=True), theirs(TEXTS, padding=True, truncation=True))
    ours = AutoTokenizer.from_pretrained(folders["vocab_only"], do_lower_case=False)
    theirs = transformers.AutoTokenizer.from_pretrained(folders["vocab_only"], do_lower_case=False)
    assert_same(ours(TEXTS), theirs(TEXTS))


def test_distilbert_model_type_without_tokenizer_class(minilm, tmp_path):
    for name in (*VOCAB_FILES, "tokenizer.json"):
        shutil.copy(minilm / name, tmp_path / name)
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    del config["tokenizer_class"]
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "distilbert"}))
    ours, theirs = AutoTokenizer.from_pretrained(tmp_path), transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(ours).__name__ == type(theirs).__name__
    assert_same(ours(COURSE, padding=True), theirs(COURSE, padding=True))


def test_aliases(minilm):
    assert BertTokenizerFast is BertTokenizer and DistilBertTokenizerFast is DistilBertTokenizer
    assert issubclass(DistilBertTokenizer, PreTrainedTokenizerFast)
    bert = BertTokenizerFast.from_pretrained(minilm)
    assert bert("Hello")["input_ids"] == [101, 7592, 102] and "token_type_ids" in bert("Hello")
    assert "token_type_ids" not in DistilBertTokenizerFast.from_pretrained(minilm)("Hello")


def test_from_tokenizer_object(minilm):
    from tokenizers import Tokenizer

    backend = Tokenizer.from_file(str(minilm / "tokenizer.json"))
    ours = PreTrainedTokenizerFast(tokenizer_object=backend, model_max_length=512)
    theirs = transformers.PreTrainedTokenizerFast(tokenizer_object=backend, model_max_length=512)
    assert_same(ours(TEXTS, padding=True, truncation=True), theirs(TEXTS, padding=True, truncation=True))
    assert ours.pad_token == theirs.pad_token == "[PAD]"


# --- leanpipe's own API: raw batches, padding helpers, state, errors ----------------------------

def test_encode_batch_raw_and_pad_batch(core):
    ours, theirs = core
    encodings = ours.encode_batch_raw(TEXTS)
    reference = theirs(TEXTS, padding=True, truncation=True, return_tensors="np")
    arrays = ours.pad_batch(encodings)
    assert list(arrays) == list(ours.model_input_names)
    for key in arrays:
        assert arrays[key].dtype == np.int64 and arrays[key].tolist() == reference[key].tolist()
    order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
    sorted_arrays = pad_encodings([encodings[i] for i in order[:5]], ours.pad_token_id)
    assert sorted_arrays["input_ids"].shape == (5, max(len(encodings[i].ids) for i in order[:5]))
    questions, contexts = [a for a, _ in PAIRS], [b for _, b in PAIRS]
    raw = ours.encode_batch_raw(questions, contexts, truncation="only_second", max_length=32, stride=4)
    flat, mapping = flatten_overflow(raw)
    ref = theirs(questions, contexts, truncation="only_second", max_length=32, stride=4, return_overflowing_tokens=True)
    assert mapping == ref["overflow_to_sample_mapping"] and [e.ids for e in flat] == ref["input_ids"]
    assert ours.encode_batch_raw(TEXTS, truncation=False)[6].ids == theirs(TEXTS[6])["input_ids"]


def test_pad_encodings_forms():
    out = pad_encodings([[101, 7592, 102], [101, 102]], 0)
    assert out["input_ids"].tolist() == [[101, 7592, 102], [101, 102, 0]]
    assert out["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert out["token_type_ids"].tolist() == [[0, 0, 0], [0, 0, 0]]
    left = pad_encodings([[5], [6, 7, 8]], 0, padding_side="left", pad_to_multiple_of=4)
    assert left["input_ids"].tolist() == [[0, 0, 0, 5], [0, 6, 7, 8]]
    assert left["attention_mask"].tolist() == [[0, 0, 0, 1], [0, 1, 1, 1]]
    assert pad_encodings([], 0)["input_ids"].shape == (0, 0)
    dicts = pad_encodings([{"input_ids": [1, 2], "token_type_ids": [0, 1]}], 0, max_length=4)
    assert dicts["token_type_ids"].tolist() == [[0, 1, 0, 0]]
    with pytest.raises(InputError, match="truncation"):
        pad_encodings([[1, 2, 3]], 0, max_length=2)


def test_backend_state_never_leaks(folders):
    tok = AutoTokenizer.from_pretrained(folders["minilm"])
    assert tok.backend_tokenizer.truncation is None and tok.backend_tokenizer.padding is None
    tok(TEXTS, padding="max_length", truncation=True, max_length=8)
    assert tok.backend_tokenizer.truncation is None and tok.backend_tokenizer.padding is None
    assert len(tok(TEXTS[0])["input_ids"]) == 16
    with pytest.raises(TokenizerError):
        tok(TEXTS[0], truncation=True, max_length=4, stride=3, return_overflowing_tokens=True)
    assert tok.backend_tokenizer.truncation is None
    generic = PreTrainedTokenizerFast.from_pretrained(folders["minilm"])  # its tokenizer.json pads to 128
    assert len(generic("hi")["input_ids"]) == 3


def test_threads_share_one_tokenizer(folders):
    from concurrent.futures import ThreadPoolExecutor

    tok = AutoTokenizer.from_pretrained(folders["minilm"])
    expected = [tok(TEXTS, padding=True, truncation=True, max_length=m)["input_ids"] for m in (6, 12)]

    def work(i):
        m = (6, 12)[i % 2]
        return i % 2, tok(TEXTS, padding=True, truncation=True, max_length=m)["input_ids"]

    with ThreadPoolExecutor(4) as pool:
        for which, ids in pool.map(work, range(24)):
            assert ids == expected[which]


def test_pickle_and_settable_attributes(folders):
    tok = AutoTokenizer.from_pretrained(folders["minilm"])
    clone = pickle.loads(pickle.dumps(tok))
    assert clone(TEXTS)["input_ids"] == tok(TEXTS)["input_ids"]
    clone.padding_side = "left"
    assert clone(["a", "a b c"], padding=True)["input_ids"][0][:2] == [0, 0]
    clone.pad_token_id = 100
    assert clone.pad_token == "[UNK]"


def test_too_long_warning_once(folders, caplog):
    tok = AutoTokenizer.from_pretrained(folders["minilm"])
    with caplog.at_level("WARNING", logger="leanpipe.tokenization"):
        tok("word " * 600)
        tok("word " * 600)
    assert sum("longer than the specified maximum" in r.message for r in caplog.records) == 1


def test_unsupported_tensor_types(folders):
    tok = AutoTokenizer.from_pretrained(folders["minilm"])
    for kind in ("tf", "jax", "mlx", "torch"):
        with pytest.raises(TokenizerError, match="supports return_tensors=None"):
            tok("hi", return_tensors=kind)
    with pytest.raises(TokenizerError, match="padding=True"):
        tok(COURSE, return_tensors="np")  # ragged rows


def test_pt_without_torch(folders, monkeypatch):
    tok = AutoTokenizer.from_pretrained(folders["minilm"])
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(TokenizerError, match="pip install torch"):
        tok("hi", return_tensors="pt")
    assert tok.decode(tok("hi", return_tensors="np")["input_ids"][0]) == "[CLS] hi [SEP]"


def test_bad_arguments(folders):
    tok = AutoTokenizer.from_pretrained(folders["minilm"])
    with pytest.raises(TokenizerError, match="padding='sideways'"):
        tok("hi", padding="sideways")
    with pytest.raises(TokenizerError, match="truncation"):
        tok("hi", truncation="middle")
    with pytest.raises(InputError, match="text must be"):
        tok(42)
    with pytest.raises(InputError, match="text must be"):
        tok(None)
    with pytest.raises(InputError, match="must match"):
        tok(["a", "b"], ["c"])
    with pytest.raises(TokenizerError, match="multiple"):
        tok("hi", padding=True, truncation=True, max_length=10, pad_to_multiple_of=4)
    with pytest.raises(TokenizerError, match="unsupported argument"):
        AutoTokenizer.from_pretrained(folders["minilm"], not_an_option=1)
    with pytest.raises(InputError):
        tok.decode([-1])
    assert tok([])["input_ids"] == []


def test_missing_and_garbage_files(minilm, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CheckpointError, match="tokenizer.json"):
        AutoTokenizer.from_pretrained(empty)
    with pytest.raises(CheckpointError, match="not found|no tokenizer.json"):
        PreTrainedTokenizerFast.from_pretrained(empty)
    with pytest.raises(CheckpointError, match="not a folder|neither an existing folder"):
        AutoTokenizer.from_pretrained(str(tmp_path / "does-not-exist"))
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    for name in VOCAB_FILES:
        shutil.copy(minilm / name, garbage / name)
    (garbage / "tokenizer.json").write_text('{"version": "1.0", "model": ')
    with pytest.raises(CheckpointError, match="tokenizer.json is not valid JSON"):
        AutoTokenizer.from_pretrained(garbage)
    (garbage / "tokenizer.json").write_text('{"version": "1.0", "model": {"type": "Nonsense"}}')
    with pytest.raises(CheckpointError, match="tokenizer.json"):
        PreTrainedTokenizerFast.from_pretrained(garbage)
    (garbage / "tokenizer.json").unlink()
    (garbage / "tokenizer_config.json").write_text("not json")
    with pytest.raises(CheckpointError, match="tokenizer_config.json is not valid JSON"):
        AutoTokenizer.from_pretrained(garbage)
    (garbage / "tokenizer_config.json").write_text("[1, 2]")
    with pytest.raises(CheckpointError, match="JSON object"):
        AutoTokenizer.from_pretrained(garbage)
    with pytest.raises(CheckpointError, match="is a file"):
        AutoTokenizer.from_pretrained(minilm / "vocab.txt")
    with pytest.raises(TokenizerError, match="from_pretrained"):
        AutoTokenizer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # loading itself is warning-free
        AutoTokenizer.from_pretrained(minilm)

