"""Fuzzing the parsers of untrusted files: config.json, tokenizer_config.json and the safetensors
header. Any input gives a result or a leanpipe error (a LeanpipeError subclass), never another
exception type and never a hang.

Two generators per parser, each bounded: hypothesis (structured JSON near the real schema, fixed
seed via derandomize so CI sees the same examples) and a seeded byte mutator (flips, inserts,
deletions and truncations of a valid file) that runs for a fixed time. A watchdog ends the test
run with a traceback if one input hangs.
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import random
import time
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from leanpipe import AutoConfig, AutoTokenizer  # noqa: E402
from leanpipe.errors import LeanpipeError  # noqa: E402
from leanpipe.weights.safetensors import _DTYPES, read_header  # noqa: E402

MUTATOR_SECONDS = 2.0
HANG_SECONDS = 60  # one input taking this long is a hang: dump the stacks and stop the run
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True) | st.text(max_size=20)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)


@contextlib.contextmanager
def watchdog(seconds: float = HANG_SECONDS):
    faulthandler.dump_traceback_later(seconds, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def mutations(seed: int, original: bytes, seconds: float = MUTATOR_SECONDS):
    """Byte-level mutants of `original` for `seconds`: flips, random inserts, deletions, cuts."""
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    interesting = [b"{", b"}", b"[", b"]", b'"', b",", b":", b"-1", b"1e999", b"null", b"true", b"\xff", b"\x00", b"\\ud800"]
    while time.monotonic() < deadline:
        data = bytearray(original)
        for _ in range(rng.randint(1, 6)):
            if not data:
                break
            at = rng.randrange(len(data))
            kind = rng.random()
            if kind < 0.3:
                data[at] = rng.randrange(256)
            elif kind < 0.6:
                data[at:at] = rng.choice(interesting)
            elif kind < 0.85:
                del data[at : at + rng.randint(1, 16)]
            else:
                del data[at:]
        yield bytes(data)


def outcome(call):
    """The call's result, or the LeanpipeError it raised; any other exception fails the test."""
    try:
        return call()
    except LeanpipeError as exc:
        return exc


# --- config.json ---------------------------------------------------------------------------------------------

CONFIG_KEYS = ["model_type", "hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size",
               "vocab_size", "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "hidden_act", "id2label",
               "label2id", "num_labels", "problem_type", "pad_token_id", "dim", "n_heads", "n_layers", "torch_dtype",
               "architectures", "name_or_path", "to_dict", "__class__", "num_hidden_groups", "embedding_size",
               "attention_window", "sep_token_id", "normalization_type", "num_feedforward_networks", "intra_bottleneck_size",
               "use_bottleneck", "position_embedding_type", "token_dropout", "mask_token_id", "is_folding_model",
               "q_groups", "intermediate_groups", "output_groups"]
MODEL_TYPES = st.sampled_from(["bert", "distilbert", "roberta", "xlm-roberta", "electra", "albert", "mpnet", "gpt2", "",
                               "esm", "longformer", "mobilebert", "squeezebert", "megatron-bert"])


def load_config(folder: Path, text: bytes):
    (folder / "config.json").write_bytes(text)
    return outcome(lambda: AutoConfig.from_pretrained(folder))


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(CONFIG_KEYS), json_values, max_size=6), model_type=MODEL_TYPES)
def test_fuzz_config_json_structured(changes, model_type, tmp_path):
    base = {"model_type": model_type, "hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 2}
    with watchdog():
        result = load_config(tmp_path, json.dumps({**base, **changes}).encode())
    if not isinstance(result, LeanpipeError):  # what loads is usable: sizes are integers, labels indexed
        width = result.inner_size if result.model_type == "mobilebert" else result.hidden_size  # the width attention runs at
        assert isinstance(width, int) and width % result.num_attention_heads == 0
        assert all(isinstance(i, int) for i in result.id2label)


def test_fuzz_config_json_bytes(checkpoints, tmp_path):
    original = (checkpoints["bert-cls"] / "config.json").read_bytes()
    with watchdog():
        count = sum(1 for mutant in mutations(1, original) if load_config(tmp_path, mutant) is not None)
    print(f"config.json: {count} mutants")


# --- tokenizer_config.json -----------------------------------------------------------------------------------

TOKENIZER_KEYS = ["tokenizer_class", "do_lower_case", "strip_accents", "tokenize_chinese_chars", "model_max_length",
                  "max_len", "padding_side", "truncation_side", "model_input_names", "clean_up_tokenization_spaces",
                  "split_special_tokens", "cls_token", "sep_token", "pad_token", "unk_token", "mask_token",
                  "additional_special_tokens", "extra_special_tokens", "added_tokens_decoder", "name_or_path"]
TOKENS = st.sampled_from(["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", "", "new", "##s"])
TOKEN_VALUES = TOKENS | st.fixed_dictionaries({"content": TOKENS}, optional={"lstrip": json_values, "special": json_values,
                                                                            "single_word": st.booleans(), "bogus": scalars})


@pytest.fixture(scope="module")
def tiny_tokenizer(tmp_path_factory) -> Path:
    """A BERT tokenizer with a 40-token vocabulary (tokenizer.json and vocab.txt): fast to load many times."""
    from tokenizers import Tokenizer, models

    folder = tmp_path_factory.mktemp("tiny-tokenizer")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "the", "##s", "new", "a", "b", ",", "."]
    vocab += [f"w{i}" for i in range(40 - len(vocab))]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]")).save(str(folder / "tokenizer.json"))
    (folder / "config.json").write_text(json.dumps({"model_type": "bert"}))
    return folder


def load_tokenizer(folder: Path, text: bytes):
    (folder / "tokenizer_config.json").write_bytes(text)

    def load_and_use():
        tokenizer = AutoTokenizer.from_pretrained(folder)
        return tokenizer(["hello worlds", "the [MASK] new"], ["a b", "."], padding=True, truncation=True, max_length=8)

    return outcome(load_and_use)


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(TOKENIZER_KEYS), json_values | TOKEN_VALUES, max_size=5),
       decoder=st.none() | st.dictionaries(st.text(max_size=3), TOKEN_VALUES | json_values, max_size=3))
def test_fuzz_tokenizer_config_structured(changes, decoder, tiny_tokenizer):
    if decoder is not None:
        changes["added_tokens_decoder"] = decoder
    with watchdog():
        result = load_tokenizer(tiny_tokenizer, json.dumps(changes).encode())
    if not isinstance(result, LeanpipeError):
        assert len(result["input_ids"]) == 2


def test_fuzz_tokenizer_config_bytes(tiny_tokenizer):
    original = json.dumps({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": 512,
                           "cls_token": "[CLS]", "added_tokens_decoder": {"0": {"content": "[PAD]", "special": True}}}).encode()
    with watchdog():
        count = sum(1 for mutant in mutations(2, original) if load_tokenizer(tiny_tokenizer, mutant) is not None)
    print(f"tokenizer_config.json: {count} mutants")


# --- the safetensors header ----------------------------------------------------------------------------------


def parse_header(buf: bytes):
    """read_header's answer; when it accepts the bytes, every tensor must be viewable in them."""
    result = outcome(lambda: read_header(Path("fuzz.safetensors"), buf))
    if not isinstance(result, LeanpipeError):
        header, start = result
        for entry in header.values():
            dtype = np.dtype(_DTYPES[entry["dtype"]])
            begin, end = entry["data_offsets"]
            array = np.frombuffer(buf, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=start + begin)
            array.reshape(entry["shape"])
    return result


def safetensors_bytes(header, data: bytes, declared: int | None = None) -> bytes:
    text = json.dumps(header).encode()
    return (len(text) if declared is None else declared).to_bytes(8, "little", signed=declared is not None and declared < 0) + text + data


entries = st.fixed_dictionaries({
    "dtype": st.sampled_from(sorted(_DTYPES) + ["F8_E4M3", "f32", ""]) | json_values,
    "shape": st.lists(st.integers(-2, 6), max_size=3) | json_values,
    "data_offsets": st.lists(st.integers(-4, 80), min_size=2, max_size=2) | json_values,
})


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(header=st.dictionaries(st.text(max_size=6), entries | json_values, max_size=4), data=st.binary(max_size=80),
       declared=st.none() | st.integers(-(2**63), 2**63 - 1))
def test_fuzz_safetensors_header_structured(header, data, declared):
    with watchdog():
        parse_header(safetensors_bytes(header, data, declared))


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(raw=st.binary(max_size=200))
def test_fuzz_safetensors_header_random_bytes(raw):
    with watchdog():
        parse_header(raw)


def test_fuzz_safetensors_header_bytes():
    tensors = {"a.weight": np.arange(6, dtype="<f4").reshape(2, 3), "a.bias": np.ones(3, "<f2"), "b": np.zeros((0, 4), "<i8")}
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, array in tensors.items():
        header[name] = {"dtype": {"f": "F", "i": "I"}[array.dtype.kind] + str(8 * array.itemsize),
                        "shape": list(array.shape), "data_offsets": [len(data), len(data) + array.nbytes]}
        data += array.tobytes()
    original = safetensors_bytes(header, data)
    assert not isinstance(parse_header(original), LeanpipeError)
    accepted = 0
    with watchdog():
        for mutant in mutations(3, original):
            accepted += not isinstance(parse_header(mutant), LeanpipeError)
    print(f"safetensors header: {accepted} mutants accepted")
