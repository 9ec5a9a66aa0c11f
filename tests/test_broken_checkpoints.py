"""Broken checkpoints: every one gives a typed leanpipe error naming the file and the key, never a
crash of the interpreter and never a hang.

Each case copies a tiny checkpoint, breaks one thing (a truncated or garbled safetensors file,
offsets past the end or overlapping, an integer weight, a config.json of the wrong types, garbage
tokenizer files ...) and loads it. All loads run in one worker subprocess with a time limit, since
a corrupt file could crash native code (NumPy on a memory map, the Rust tokenizer, onnxruntime); a
worker that dies is restarted after the case that killed it, which then fails.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import transformers

CASE_SECONDS = 30  # a load that takes longer counts as a hang

WORKER = r"""
import json, logging, sys
logging.disable(logging.WARNING)
from leanpipe import AutoConfig, AutoTokenizer, pipeline
LOADS = {
    "pipeline": lambda folder: pipeline("text-classification", model=folder, num_threads=1),
    "embeddings": lambda folder: pipeline("sentence-embeddings", model=folder, num_threads=1),
    "config": AutoConfig.from_pretrained,
    "tokenizer": lambda folder: AutoTokenizer.from_pretrained(folder)(["Hello world", "x"], ["a", "b"], padding=True),
}
for line in sys.stdin:
    name, load, folder = json.loads(line)
    print("START", name, flush=True)
    try:
        LOADS[load](folder)
        outcome = {"error": None}
    except Exception as exc:
        outcome = {"error": type(exc).__name__, "bases": [c.__name__ for c in type(exc).__mro__], "message": str(exc)}
    print("RESULT", json.dumps({"name": name, **outcome}), flush=True)
"""


# --- safetensors surgery ---------------------------------------------------------------------------------------


def read_st(path: Path) -> tuple[dict, bytes]:
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8 : 8 + n]), raw[8 + n :]


def write_st(path: Path, header, data: bytes) -> None:
    text = json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + data)


def edit_st(change: Callable[[dict, bytes], bytes | None]) -> Callable[[Path], None]:
    """A break that edits the header (and optionally returns new data bytes)."""
    def apply(folder: Path) -> None:
        path = folder / "model.safetensors"
        header, data = read_st(path)
        new = change(header, data)
        write_st(path, header, new if isinstance(new, bytes) else data)
    return apply


def set_entry(name: str, key: str, value) -> Callable[[Path], None]:
    return edit_st(lambda header, data: header[name].__setitem__(key, value))


def add_tensor(name: str, array: np.ndarray) -> Callable[[Path], None]:
    array = array.astype("<f4")

    def change(header: dict, data: bytes) -> bytes:
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [len(data), len(data) + array.nbytes]}
        return data + array.tobytes()
    return edit_st(change)


def drop_tensor(name: str) -> Callable[[Path], None]:
    return edit_st(lambda header, data: header.pop(name))


def raw_bytes(edit: Callable[[bytes], bytes], filename: str = "model.safetensors") -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / filename).write_bytes(edit((folder / filename).read_bytes()))
    return apply


def header_length(value: int) -> Callable[[Path], None]:
    return raw_bytes(lambda raw: struct.pack("<q", value) + raw[8:])


# --- other files -----------------------------------------------------------------------------------------------


def write(filename: str, content: str | bytes) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / filename).write_bytes(content if isinstance(content, bytes) else content.encode())
    return apply


def config(**changes) -> Callable[[Path], None]:
    """Set (or, with ..., delete) config.json keys."""
    def apply(folder: Path) -> None:
        data = json.loads((folder / "config.json").read_text())
        for key, value in changes.items():
            data.pop(key, None) if value is ... else data.__setitem__(key, value)
        (folder / "config.json").write_text(json.dumps(data))
    return apply


def tokenizer_config(**changes) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        data = json.loads((folder / "tokenizer_config.json").read_text())
        (folder / "tokenizer_config.json").write_text(json.dumps({**data, **changes}))
    return apply


def tokenizer_json(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        data = json.loads((folder / "tokenizer.json").read_text())
        change(data)
        (folder / "tokenizer.json").write_text(json.dumps(data))
    return apply


def only_vocab_txt(content: bytes) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / "tokenizer.json").unlink()
        (folder / "vocab.txt").write_bytes(content)
    return apply


def weights_replaced(filename: str, content: bytes) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / "model.safetensors").unlink()
        (folder / filename).write_bytes(content)
    return apply


class RunsCode:
    """Unpickling this runs a shell command: a torch checkpoint must never be loaded with pickle."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def evil_pickle(folder: Path) -> None:
    weights_replaced("pytorch_model.bin", pickle.dumps({"w": RunsCode(str(folder / "PWNED"))}))(folder)


def sharded(weight_map) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / "model.safetensors").rename(folder / "model-00001-of-00001.safetensors")
        (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return apply


# --- the cases ---------------------------------------------------------------------------------------------------

LAYER1 = "bert.encoder.layer.1.output.dense.weight"
FIRST = "bert.embeddings.LayerNorm.bias"  # the first tensor in the file


@dataclass(frozen=True)
class Case:
    name: str
    breaks: Callable[[Path], None]
    error: str | None  # the leanpipe error class expected; None: it loads
    mentions: tuple[str, ...] = ()  # what the message must name: the file, the key
    load: str = "pipeline"  # pipeline | config | tokenizer | embeddings
    source: str = "bert-cls"


CASES = [
    # safetensors: truncated, garbled, lying about sizes and places
    Case("st-truncated-data", raw_bytes(lambda b: b[: len(b) // 2]), "CheckpointError", ("model.safetensors", "truncated")),
    Case("st-truncated-to-7-bytes", raw_bytes(lambda b: b[:7]), "CheckpointError", ("model.safetensors", "too short")),
    Case("st-truncated-in-header", raw_bytes(lambda b: b[:100]), "CheckpointError", ("model.safetensors", "header length")),
    Case("st-empty", raw_bytes(lambda b: b""), "CheckpointError", ("model.safetensors", "empty")),
    Case("st-header-length-huge", header_length(2**62), "CheckpointError", ("model.safetensors", "header length")),
    Case("st-header-length-negative", header_length(-5), "CheckpointError", ("model.safetensors", "header length")),
    Case("st-header-garbled", raw_bytes(lambda b: b[:8] + b"\xff" * 40 + b[48:]), "CheckpointError", ("model.safetensors", "not valid JSON")),
    Case("st-header-a-list", lambda f: write_st(f / "model.safetensors", [1, 2], b""), "CheckpointError",
         ("model.safetensors", "JSON object")),
    Case("st-offsets-past-end", set_entry(FIRST, "data_offsets", [0, 10**12]), "CheckpointError", ("model.safetensors", FIRST, "offsets")),
    Case("st-offsets-overlap", set_entry("classifier.bias", "data_offsets", [0, 12]), "CheckpointError",
         ("model.safetensors", "classifier.bias", "overlap")),
    Case("st-offsets-malformed", set_entry(FIRST, "data_offsets", [0, 1, 2]), "CheckpointError", ("model.safetensors", FIRST, "data_offsets")),
    Case("st-offsets-strings", set_entry(FIRST, "data_offsets", ["0", "128"]), "CheckpointError", ("model.safetensors", FIRST, "data_offsets")),
    Case("st-shape-null", set_entry(FIRST, "shape", None), "CheckpointError", ("model.safetensors", FIRST, "shape")),
    Case("st-shape-absurd", set_entry(FIRST, "shape", [10**18] * 64), "CheckpointError", ("model.safetensors", FIRST, "shape")),
    Case("st-dtype-unknown", set_entry(FIRST, "dtype", "F8_E4M3"), "CheckpointError", ("model.safetensors", FIRST, "F8_E4M3")),
    Case("st-dtype-not-a-string", set_entry(FIRST, "dtype", ["F32"]), "CheckpointError", ("model.safetensors", FIRST, "dtype")),
    Case("st-weight-stored-as-int32", set_entry("classifier.weight", "dtype", "I32"), "CheckpointError",
         ("model.safetensors", "classifier.weight", "int32")),
    # tensor sets that do not fit the config
    Case("missing-tensor", drop_tensor(LAYER1), "CheckpointError", ("model.safetensors", LAYER1)),
    Case("missing-head", drop_tensor("classifier.weight"), "CheckpointError", ("model.safetensors", "classifier.weight")),
    Case("extra-layers-config-says-fewer", config(num_hidden_layers=1), "CheckpointError",
         ("model.safetensors", "encoder.layer.1", "num_hidden_layers")),
    Case("extra-unrelated-tensor-is-ignored", add_tensor("cls.seq_relationship.weight", np.ones((2, 32))), None),
    Case("shape-contradicts-config", config(intermediate_size=40), "CheckpointError",
         ("model.safetensors", "intermediate.dense.weight", "config.json implies")),
    Case("vocab-size-contradicts-weights", config(vocab_size=100), "CheckpointError", ("model.safetensors", "word_embeddings", "(100, 32)")),
    Case("config-more-layers-than-weights", config(num_hidden_layers=3), "CheckpointError", ("model.safetensors", "encoder.layer.2")),
    # other weight files
    Case("no-weights", lambda f: (f / "model.safetensors").unlink(), "CheckpointError", ("model.safetensors", "pytorch_model.bin")),
    Case("torch-bin-garbage", weights_replaced("pytorch_model.bin", bytes(range(256)) * 20), "CheckpointError", ("pytorch_model.bin",)),
    Case("torch-bin-runs-code", evil_pickle, "CheckpointError", ("pytorch_model.bin", "system", "refusing")),
    Case("index-not-json", lambda f: (sharded({})(f), (f / "model.safetensors.index.json").write_text("{no")),
         "CheckpointError", ("model.safetensors.index.json", "weight_map")),
    Case("index-points-outside", sharded({"classifier.weight": "../../etc/passwd"}), "CheckpointError",
         ("model.safetensors.index.json", "weight_map")),
    Case("index-lists-missing-tensor", sharded({"not.a.tensor": "model-00001-of-00001.safetensors"}), "CheckpointError",
         ("model.safetensors.index.json", "not.a.tensor")),
    # config.json: not JSON, not an object, missing or mistyped keys
    Case("config-not-json", write("config.json", "{not json"), "ConfigError", ("config.json", "not valid JSON")),
    Case("config-empty", write("config.json", ""), "ConfigError", ("config.json", "not valid JSON")),
    Case("config-not-utf8", write("config.json", b"\xff\xfe\x00garbage"), "ConfigError", ("config.json",)),
    Case("config-a-list", write("config.json", "[1, 2]"), "ConfigError", ("config.json", "JSON object")),
    Case("config-nested-100000-deep", write("config.json", "[" * 100_000 + "]" * 100_000), "ConfigError", ("config.json",)),
    Case("config-no-model-type", config(model_type=...), "ConfigError", ("config.json", "model_type")),
    Case("config-model-type-a-number", config(model_type=3), "ConfigError", ("model_type", "supported")),
    Case("config-hidden-size-a-string", config(hidden_size="768"), "ConfigError", ("config.json", "hidden_size='768'")),
    Case("config-hidden-size-nan", write("config.json", '{"model_type": "bert", "hidden_size": NaN}'), "ConfigError", ("config.json", "hidden_size")),
    Case("config-heads-zero", config(num_attention_heads=0), "ConfigError", ("config.json", "num_attention_heads=0")),
    Case("config-heads-null", config(num_attention_heads=None), "ConfigError", ("config.json", "num_attention_heads=None")),
    Case("config-heads-do-not-divide", config(num_attention_heads=5), "ConfigError", ("config.json", "hidden_size", "num_attention_heads")),
    Case("config-vocab-size-negative", config(vocab_size=-1), "ConfigError", ("config.json", "vocab_size=-1")),
    Case("config-layers-a-string", config(num_hidden_layers="2"), "ConfigError", ("config.json", "num_hidden_layers")),
    Case("config-positions-a-float", config(max_position_embeddings=512.5), "ConfigError", ("config.json", "max_position_embeddings")),
    Case("config-bool-as-size", config(intermediate_size=True), "ConfigError", ("config.json", "intermediate_size")),
    Case("config-eps-a-string", config(layer_norm_eps="x"), "ConfigError", ("config.json", "layer_norm_eps")),
    Case("config-pad-id-a-string", config(pad_token_id="[PAD]"), "ConfigError", ("config.json", "pad_token_id")),
    Case("config-unknown-activation", config(hidden_act="swish2"), "ConfigError", ("hidden_act", "swish2")),
    Case("config-id2label-a-list", config(id2label=["a", "b", "c"]), "ConfigError", ("config.json", "id2label")),
    Case("config-id2label-bad-keys", config(id2label={"x": "a"}), "ConfigError", ("config.json", "id2label")),
    Case("config-label2id-bad-values", config(label2id={"a": "zz"}), "ConfigError", ("config.json", "label2id")),
    Case("config-problem-type-unknown", config(problem_type="poetry"), "ConfigError", ("config.json", "problem_type")),
    Case("config-only", config(hidden_size="768"), "ConfigError", ("config.json", "hidden_size"), load="config"),
    # tokenizer files: not JSON, JSON of the wrong shape, binary vocab, mistyped settings
    Case("tokenizer-json-not-json", write("tokenizer.json", "{nope"), "CheckpointError", ("tokenizer.json", "not valid JSON"), "tokenizer"),
    Case("tokenizer-json-a-list", write("tokenizer.json", "[]"), "CheckpointError", ("tokenizer.json", "JSON object"), "tokenizer"),
    Case("tokenizer-json-wrong-shape", write("tokenizer.json", '{"model": 5}'), "CheckpointError", ("tokenizer.json", "model.vocab"), "tokenizer"),
    Case("tokenizer-json-vocab-ids-strings", tokenizer_json(lambda d: d["model"]["vocab"].__setitem__("[PAD]", "zero")),
         "CheckpointError", ("tokenizer.json", "model.vocab", "[PAD]"), "tokenizer"),
    Case("tokenizer-json-added-tokens-garbage", tokenizer_json(lambda d: d.__setitem__("added_tokens", [{"id": "x"}])),
         "CheckpointError", ("tokenizer.json", "added_tokens"), "tokenizer"),
    Case("tokenizer-json-generic-unbuildable", lambda f: (write("tokenizer.json", '{"model": {"type": "Nope", "vocab": {"a": 0}}}')(f),
                                                          tokenizer_config(tokenizer_class="PreTrainedTokenizerFast")(f)),
         "CheckpointError", ("tokenizer.json", "cannot build a tokenizer"), "tokenizer"),
    Case("vocab-txt-binary", only_vocab_txt(bytes(range(128, 256)) * 40), "CheckpointError", ("vocab.txt",), "tokenizer"),
    Case("vocab-txt-empty", only_vocab_txt(b""), "CheckpointError", ("vocab.txt", "empty"), "tokenizer"),
    Case("tokenizer-config-garbage", write("tokenizer_config.json", b"\x00\x01garbage"), "CheckpointError",
         ("tokenizer_config.json", "not valid JSON"), "tokenizer"),
    Case("tokenizer-config-a-list", write("tokenizer_config.json", "[]"), "CheckpointError", ("tokenizer_config.json", "JSON object"), "tokenizer"),
    Case("tokenizer-config-max-length-text", tokenizer_config(model_max_length="abc"), "TokenizerError",
         ("tokenizer_config.json", "model_max_length"), "tokenizer"),
    Case("tokenizer-config-max-length-infinite", write("tokenizer_config.json", '{"model_max_length": 1e400}'), "TokenizerError",
         ("tokenizer_config.json", "model_max_length"), "tokenizer"),
    Case("tokenizer-config-lowercase-text", tokenizer_config(do_lower_case="no"), "TokenizerError",
         ("tokenizer_config.json", "do_lower_case"), "tokenizer"),
    Case("tokenizer-config-input-names-number", tokenizer_config(model_input_names=5), "TokenizerError",
         ("tokenizer_config.json", "model_input_names"), "tokenizer"),
    Case("tokenizer-config-padding-side", tokenizer_config(padding_side="up"), "TokenizerError",
         ("tokenizer_config.json", "padding_side"), "tokenizer"),
    Case("tokenizer-config-class-a-number", tokenizer_config(tokenizer_class=5), "TokenizerError", ("tokenizer_class",), "tokenizer"),
    Case("tokenizer-config-added-tokens-decoder", tokenizer_config(added_tokens_decoder={"0": 5}), "CheckpointError",
         ("tokenizer_config.json", "added_tokens_decoder"), "tokenizer"),
    Case("special-tokens-map-garbage", write("special_tokens_map.json", '{"cls_token": 5}'), "CheckpointError",
         ("special_tokens_map.json", "cls_token"), "tokenizer"),
    Case("unk-token-outside-the-vocabulary-loads", lambda f: (write("special_tokens_map.json", "{}")(f),
                                                              tokenizer_config(unk_token="")(f)), None, load="tokenizer"),
    Case("cls-token-unusable-in-a-template", lambda f: (write("special_tokens_map.json", "{}")(f),
                                                        tokenizer_config(cls_token="[:CLS]")(f)), "TokenizerError",
         ("[:CLS]", "tokenizer_config.json"), "tokenizer"),
    Case("added-tokens-json-a-list", write("added_tokens.json", "[1]"), "CheckpointError", ("added_tokens.json",), "tokenizer"),
    # sentence-transformers files
    Case("modules-json-not-a-list", write("modules.json", '{"0": "Pooling"}'), "CheckpointError", ("modules.json",), "embeddings", "bert"),
    Case("pooling-config-garbage", lambda f: (write("modules.json", json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))(f),
        (f / "1_Pooling").mkdir(), write("1_Pooling/config.json", b"\xff")(f)), "CheckpointError", ("1_Pooling/config.json",), "embeddings", "bert"),
]


def run_worker(jobs: list[list[str]]) -> dict[str, dict]:
    """Load every (name, load, folder) in one subprocess; after a crash or a hang, note the case
    that caused it and start a new worker on the rest."""
    outcomes: dict[str, dict] = {}
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "LEANPIPE_NUM_THREADS": "1"}
    while jobs:
        stdin = "\n".join(json.dumps(j) for j in jobs)
        try:
            proc = subprocess.run([sys.executable, "-c", WORKER], input=stdin, capture_output=True, text=True,
                                  env=env, check=False, timeout=CASE_SECONDS + 2 * len(jobs))
            stdout, failure = proc.stdout, f"exit code {proc.returncode}: {proc.stderr[-2000:]}"
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout or ""
            stdout, failure = (out.decode() if isinstance(out, bytes) else out), "hang: no answer in time"
        started = None
        for line in stdout.splitlines():
            if line.startswith("START "):
                started = line[6:]
            elif line.startswith("RESULT "):
                outcome = json.loads(line[7:])
                outcomes[outcome.pop("name")] = outcome
                started = None
        if started is not None:
            outcomes[started] = {"crash": failure}
        remaining = [j for j in jobs if j[0] not in outcomes]
        assert len(remaining) < len(jobs), f"the worker made no progress ({failure})"
        jobs = remaining
    return outcomes


@pytest.fixture(scope="module")
def outcomes(checkpoints, tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("broken")
    jobs = []
    for case in CASES:
        folder = root / case.name
        shutil.copytree(checkpoints[case.source], folder)
        case.breaks(folder)
        jobs.append([case.name, case.load, str(folder)])
    return run_worker(jobs)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_checkpoint_gives_a_typed_error(case: Case, outcomes):
    outcome = outcomes[case.name]
    assert "crash" not in outcome, f"the interpreter crashed: {outcome['crash']}"
    if case.error is None:
        assert outcome["error"] is None, f"should load, got {outcome['error']}: {outcome.get('message')}"
        return
    assert outcome["error"] == case.error, f"expected {case.error}, got {outcome['error']}: {outcome.get('message')}"
    assert "LeanpipeError" in outcome["bases"]
    for word in case.mentions:
        assert word in outcome["message"], f"{word!r} not in the message: {outcome['message']}"


def test_a_checkpoint_that_runs_code_never_runs_it(outcomes, tmp_path_factory):
    assert outcomes["torch-bin-runs-code"]["error"] == "CheckpointError"
    marker = Path(str(tmp_path_factory.getbasetemp())) / "broken0" / "torch-bin-runs-code" / "PWNED"
    assert not marker.exists()


def test_every_tiny_checkpoint_still_loads_without_refusals(checkpoints):
    """The load-time checks (unread numbered tensors, integer weights) refuse none of the good checkpoints."""
    from leanpipe.models import load_model
    from leanpipe.models.base import HEADS

    heads = {"cls": "sequence-classification", "tok": "token-classification", "qa": "question-answering", "mlm": "masked-lm"}
    for name, folder in checkpoints.items():
        head = heads.get(name.rsplit("-", 1)[-1], "base")
        assert head in HEADS
        for engine in ("onnx", "numpy"):
            load_model(folder, head, engine=engine, num_threads=1)


def test_trust_remote_code_is_refused_only_for_shipped_code(checkpoints, tmp_path):
    """As in transformers, trust_remote_code=True changes nothing for a checkpoint without code of its
    own; for one whose config.json (or tokenizer_config.json) has an auto_map it asks to run that code,
    which leanpipe refuses, naming the fix; unset, both libraries load the standard architecture."""
    from leanpipe import AutoConfig, AutoModel, AutoTokenizer, pipeline
    from leanpipe.errors import ConfigError, TokenizerError

    plain = checkpoints["bert-cls"]
    assert AutoConfig.from_pretrained(plain, trust_remote_code=True).model_type == "bert"
    assert transformers.AutoConfig.from_pretrained(str(plain), trust_remote_code=True).model_type == "bert"
    assert AutoTokenizer.from_pretrained(plain, trust_remote_code=True)("hi")["input_ids"] == \
        transformers.AutoTokenizer.from_pretrained(str(plain), trust_remote_code=True)("hi")["input_ids"]
    shipped = tmp_path / "shipped"
    shutil.copytree(plain, shipped)
    config = json.loads((shipped / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "someone/custom-bert--modeling.CustomBert"}
    (shipped / "config.json").write_text(json.dumps(config))
    for load in (AutoConfig.from_pretrained, AutoModel.from_pretrained,
                 lambda folder, **kw: pipeline("text-classification", model=folder, **kw)):
        with pytest.raises(ConfigError, match=r"ships its own code \(config.json's auto_map: \['someone/custom-bert"):
            load(shipped, trust_remote_code=True)
    assert AutoModel.from_pretrained(shipped).config.model_type == "bert"
    assert AutoTokenizer.from_pretrained(shipped, trust_remote_code=True)  # the auto_map has no tokenizer
    tokenizer_config = json.loads((shipped / "tokenizer_config.json").read_text())
    tokenizer_config["auto_map"] = {"AutoTokenizer": ["someone/custom-bert--tokenization.CustomTokenizer", None]}
    (shipped / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
    with pytest.raises(TokenizerError, match="tokenizer_config.json's auto_map"):
        AutoTokenizer.from_pretrained(shipped, trust_remote_code=True)
    assert AutoTokenizer.from_pretrained(shipped)("hi")["input_ids"] == AutoTokenizer.from_pretrained(plain)("hi")["input_ids"]
