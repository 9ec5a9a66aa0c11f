"""sentence-transformers' Dense module after pooling (as in sentence-transformers/LaBSE and
distiluse-base-multilingual-cased), against sentence-transformers 6 on copies of all-MiniLM-L6-v2
whose Dense modules sentence-transformers itself saved: vectors within 1e-4 (1 - cosine <= 1e-5)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sentence_transformers.sentence_transformer.modules import Dense as STDense

from leanpipe import SentenceTransformer, pipeline
from leanpipe.errors import CheckpointError
from leanpipe.pooling import read_sentence_config
from test_task_embeddings import SHORT, assert_same_vectors, st_encode, variant

ACTIVATIONS = {"Tanh": torch.nn.Tanh(), "Identity": torch.nn.Identity(), "ReLU": torch.nn.ReLU(),
               "GELU": torch.nn.GELU(), "Sigmoid": torch.nn.Sigmoid(), "SiLU": torch.nn.SiLU()}


def with_dense(minilm, folder, layers, *, pooling="mean", normalize=True, safetensors=True):
    """A copy of all-MiniLM-L6-v2 with Transformer, Pooling, the given sentence-transformers Dense
    modules (saved by sentence-transformers into 2_Dense, 3_Dense, ...) and optionally Normalize."""
    variant(minilm, folder, pooling={"pooling_mode": pooling})
    listed = json.loads((folder / "modules.json").read_text())
    torch.manual_seed(0)
    for layer in layers:
        path = f"{len(listed)}_Dense"
        (folder / path).mkdir()
        layer.save(str(folder / path), safe_serialization=safetensors)
        listed.append({"idx": len(listed), "name": str(len(listed)), "path": path,
                       "type": "sentence_transformers.models.Dense"})
    if normalize:
        listed.append({"idx": len(listed), "name": str(len(listed)), "path": f"{len(listed)}_Normalize",
                       "type": "sentence_transformers.models.Normalize"})
    (folder / "modules.json").write_text(json.dumps(listed))
    return folder


def dense(n_in, n_out, activation="Tanh", **options):
    torch.manual_seed(n_in * 7 + n_out)
    layer = STDense(n_in, n_out, activation_function=ACTIVATIONS[activation], **options)
    with torch.no_grad():  # weights large enough that the activation's curve matters
        layer.linear.weight.mul_(4.0)
    return layer


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_dense_activations_match_sentence_transformers(minilm, tmp_path, activation):
    folder = with_dense(minilm, tmp_path / "m", [dense(384, 256, activation)])
    ours = pipeline("sentence-embeddings", model=folder)
    assert ours.runner.sentence_config.dense[0].activation == activation
    got = ours.encode(SHORT)
    assert got.shape == (len(SHORT), 256)
    assert_same_vectors(got, st_encode(folder, SHORT), f"Dense 384 -> 256, {activation}")


@pytest.mark.parametrize("case", ["labse-like", "stacked", "no-bias", "residual", "residual-projected", "pytorch-bin"])
def test_dense_layouts_match_sentence_transformers(minilm, tmp_path, case):
    """LaBSE's layout (CLS pooling, Dense 768 -> 768 tanh, Normalize) at MiniLM's width; two Dense
    modules in a row; no bias; use_residual (the input added, or projected when the widths differ);
    weights in pytorch_model.bin (older checkpoints) instead of model.safetensors."""
    layers, pooling, safetensors = {
        "labse-like": ([dense(384, 384)], "cls", True),
        "stacked": ([dense(384, 512, "GELU"), dense(512, 128, "Identity")], "mean", True),
        "no-bias": ([dense(384, 200, bias=False)], "mean", True),
        "residual": ([dense(384, 384, "ReLU", use_residual=True)], "mean", True),
        "residual-projected": ([dense(384, 96, "Tanh", use_residual=True)], "max", True),
        "pytorch-bin": ([dense(384, 300)], "mean", False),
    }[case]
    folder = with_dense(minilm, tmp_path / "m", layers, pooling=pooling, safetensors=safetensors)
    weight_file = "model.safetensors" if safetensors else "pytorch_model.bin"
    assert (folder / "2_Dense" / weight_file).is_file()
    assert_same_vectors(pipeline("sentence-embeddings", model=folder).encode(SHORT), st_encode(folder, SHORT), case)


def test_sentence_transformer_class_similarity_and_save(minilm, tmp_path):
    """leanpipe's SentenceTransformer reports the Dense module's width; sentence-similarity goes
    through it; pipe.save_pretrained copies the Dense folder, and the copy answers the same."""
    folder = with_dense(minilm, tmp_path / "m", [dense(384, 128)], normalize=False)
    model = SentenceTransformer(str(folder))
    assert model.get_embedding_dimension() == 128
    reference = st_encode(folder, SHORT)
    assert_same_vectors(model.encode(SHORT), reference, "SentenceTransformer.encode")
    similarity = pipeline("sentence-similarity", model=folder)
    got = similarity({"source_sentence": SHORT[0], "sentences": SHORT[1:]})
    unit = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    np.testing.assert_allclose(got, unit[1:] @ unit[0], atol=1e-4)
    pipe = pipeline("sentence-embeddings", model=folder)
    pipe.save_pretrained(tmp_path / "saved")
    assert (tmp_path / "saved" / "2_Dense" / "config.json").is_file()
    assert (tmp_path / "saved" / "2_Dense" / "model.safetensors").is_file()
    assert np.array_equal(pipeline("sentence-embeddings", model=tmp_path / "saved").encode(SHORT), pipe.encode(SHORT))
    assert_same_vectors(pipe.encode(SHORT), st_encode(tmp_path / "saved", SHORT), "saved, in sentence-transformers")


def test_bad_dense_modules_name_the_problem(minilm, tmp_path):
    folder = with_dense(minilm, tmp_path / "m", [dense(384, 64)])
    config_path = folder / "2_Dense" / "config.json"
    config = json.loads(config_path.read_text())
    listed = json.loads((folder / "modules.json").read_text())

    (folder / "modules.json").write_text(json.dumps([listed[0], listed[1], listed[3], listed[2]]))
    with pytest.raises(CheckpointError, match="in that order"):  # Normalize before Dense
        read_sentence_config(folder)
    (folder / "modules.json").write_text(json.dumps(listed))

    config_path.write_text(json.dumps({**config, "activation_function": "torch.nn.modules.activation.Hardswish"}))
    with pytest.raises(CheckpointError, match="Hardswish.*runs"):
        read_sentence_config(folder)
    config_path.write_text(json.dumps({**config, "module_input_name": "token_embeddings"}))
    with pytest.raises(CheckpointError, match="token-level Dense"):
        read_sentence_config(folder)
    config_path.write_text(json.dumps({**config, "out_features": 65}))
    with pytest.raises(CheckpointError, match=r"linear.weight has shape \[64, 384\], config.json says \[65, 384\]"):
        read_sentence_config(folder)
    from safetensors.numpy import load_file, save_file

    weights = load_file(folder / "2_Dense" / "model.safetensors")
    config_path.write_text(json.dumps({**config, "in_features": 100}))
    save_file({"linear.weight": weights["linear.weight"][:, :100].copy(), "linear.bias": weights["linear.bias"]},
              folder / "2_Dense" / "model.safetensors")
    with pytest.raises(CheckpointError, match=r"2_Dense/ takes 100 numbers, but what comes before it gives 384"):
        pipeline("sentence-embeddings", model=folder)
    config_path.write_text(json.dumps(config))
    (folder / "2_Dense" / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="has no model.safetensors or pytorch_model.bin"):
        read_sentence_config(folder)


def test_untrusted_activation_path_falls_back_to_tanh(minilm, tmp_path):
    """As sentence-transformers without trust_remote_code: an activation outside torch.* is Tanh."""
    folder = with_dense(minilm, tmp_path / "m", [dense(384, 64, "Tanh")])
    config_path = folder / "2_Dense" / "config.json"
    config_path.write_text(json.dumps({**json.loads(config_path.read_text()), "activation_function": "mylib.Swish"}))
    ours = pipeline("sentence-embeddings", model=folder)
    assert ours.runner.sentence_config.dense[0].activation == "Tanh"
    assert_same_vectors(ours.encode(SHORT), st_encode(folder, SHORT), "untrusted activation")


def test_dense_runs_numpy_blas_on_one_thread(monkeypatch):
    """A Dense module's products run on one OpenBLAS thread and leave NumPy's thread count as it was:
    OpenBLAS's workers busy-wait after a threaded product, on the cores onnxruntime's next batch needs
    (an embeddinggemma-300m-shaped encode of one text: 48 -> 18.5 ms)."""
    from leanpipe import blas_threads
    from leanpipe.dense import Dense

    blas = blas_threads._openblas()
    if blas is None:
        pytest.skip("no OpenBLAS found in this process")
    get, _ = blas
    before, seen = get(), []
    real = Dense._apply
    monkeypatch.setattr(Dense, "_apply", lambda self, x: seen.append(get()) or real(self, x))
    layer = Dense("2_Dense", np.ones((8, 4), np.float32), None, "Identity")
    assert np.array_equal(layer(np.ones((2, 4), np.float32)), np.full((2, 8), 4, np.float32))
    assert seen == [1] and get() == before
