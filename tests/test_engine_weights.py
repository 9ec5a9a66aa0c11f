"""How the ONNX engine hands checkpoint weights to onnxruntime: tensors exactly as stored in a
memory-mapped safetensors file are used in place (named by file and offset in the graph), computed
ones (converted dtypes, folded norms) are copied; the answers are the same either way."""

from __future__ import annotations

import os

import numpy as np

from leanpipe import AutoModel
from leanpipe.weights.safetensors import file_region, load_safetensors, save_safetensors


def test_file_region_finds_stored_tensors_only(minilm):
    path = os.path.join(minilm, "model.safetensors")
    tensors = load_safetensors(path)
    name, table = next((n, t) for n, t in tensors.items() if "word_embeddings" in n)
    where, offset = file_region(table)
    assert where == os.path.realpath(path) and offset > 0
    with open(path, "rb") as f:  # the bytes at that offset are the tensor
        f.seek(offset)
        assert np.array_equal(np.frombuffer(f.read(table.nbytes), dtype="<f4").reshape(table.shape), table)
    assert file_region(np.array(table)) is None  # a copy
    assert file_region(table.T) is None  # not C-ordered as stored
    assert file_region(np.zeros(3, np.float32)) is None


def test_stored_weights_are_used_in_place_and_computed_ones_copied(minilm, tmp_path):
    handed = AutoModel.from_pretrained(minilm).engine._weights
    in_place, copied = handed["in_place"], handed["copied"]
    assert len(in_place) >= 20  # embedding tables, linear-layer weights, wide biases (small ones are inside the graph)
    folder = os.path.dirname(os.path.realpath(os.path.join(minilm, "model.safetensors")))
    assert all(file_region(a)[0] == os.path.join(folder, "model.safetensors") or
               os.path.dirname(file_region(a)[0]) == folder for a in in_place.values())
    assert not copied  # BERT's graph computes no weight: Q, K and V run on their stored matrices and biases
    # float16 weights are converted to float32: computed, so copied, none of them in place
    for name in ("config.json", "tokenizer.json"):
        (tmp_path / name).write_bytes(open(os.path.join(minilm, name), "rb").read())
    tensors = load_safetensors(os.path.join(minilm, "model.safetensors"))
    save_safetensors({k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in tensors.items()},
                     tmp_path / "model.safetensors")
    handed = AutoModel.from_pretrained(tmp_path).engine._weights
    assert len(handed["copied"]) >= 20 and all(file_region(a) is None for a in handed["copied"].values())
    assert not any(a.dtype == np.float16 for a in handed["in_place"].values())


def test_in_place_weights_give_the_same_hidden_states_as_the_numpy_engine(minilm):
    ids = [[101, 7592, 2088, 102, 0], [101, 2023, 2003, 1037, 102]]
    mask = [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]
    onnx = AutoModel.from_pretrained(minilm)(input_ids=ids, attention_mask=mask).last_hidden_state
    ref = AutoModel.from_pretrained(minilm, engine="numpy")(input_ids=ids, attention_mask=mask).last_hidden_state
    diff = float(np.abs(np.asarray(onnx) - np.asarray(ref))[np.array(mask, bool)].max())
    assert diff <= 1e-4, f"max abs diff {diff:.2e}"


def test_copying_every_weight_gives_the_same_session_outputs(minilm, monkeypatch):
    """The fallback for an onnxruntime that cannot use weights in place: everything copied."""
    from leanpipe.engine import onnx_engine

    ids = [[101, 7592, 2088, 102]]
    in_place = AutoModel.from_pretrained(minilm)(input_ids=ids).last_hidden_state
    real = onnx_engine._session

    def copy_everything(*args, in_place):
        return real(*args, in_place=False)

    monkeypatch.setattr(onnx_engine, "_session", copy_everything)
    model = AutoModel.from_pretrained(minilm)
    assert not model.engine._weights["in_place"] and len(model.engine._weights["copied"]) >= 20
    copied = model(input_ids=ids).last_hidden_state
    assert np.array_equal(np.asarray(in_place), np.asarray(copied))


def test_saved_safetensors_read_back_by_both_readers(tmp_path):
    """save_safetensors (save_pretrained's writer): every dtype, empty and 0-d tensors, a transposed
    view; our reader and the safetensors package read the same arrays back."""
    from safetensors.numpy import load_file

    rng = np.random.default_rng(0)
    tensors = {"w": rng.random((3, 5), dtype=np.float32), "t": rng.random((4, 2)).T, "h": np.arange(6, dtype=np.float16),
               "ids": np.arange(4, dtype=np.int64), "mask": np.array([True, False]), "empty": np.zeros((0, 3), np.float32),
               "scalar": np.array(2.5, dtype=np.float32), "b": np.arange(3, dtype=np.int8)}
    save_safetensors(tensors, tmp_path / "x.safetensors")
    for reader in (load_safetensors, load_file):
        back = reader(tmp_path / "x.safetensors")
        assert sorted(back) == sorted(tensors)
        for name, array in tensors.items():
            assert back[name].dtype == array.dtype and back[name].shape == array.shape, name
            assert np.array_equal(back[name], array), name

