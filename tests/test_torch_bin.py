"""pytorch_model.bin read without torch and without executing pickle code (zip and legacy
formats, sharded with an index); a crafted pickle is refused and nothing it asks for runs."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import zipfile

import numpy as np
import pytest
import torch
import transformers

from checkpoints import copy_tokenizer
from conftest import assert_close
from leanpipe import AutoModel, AutoModelForSequenceClassification
from leanpipe.errors import CheckpointError
from leanpipe.weights.torch_pickle import load_torch_pickle

IDS = [[101, 7592, 2088, 999, 102]]


def bin_checkpoint(src, dst, *, legacy=False, shards=1):
    """Copy a safetensors checkpoint as pytorch_model.bin (torch.save), optionally sharded."""
    dst.mkdir()
    model = transformers.AutoModelForSequenceClassification.from_pretrained(src).eval()
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    names = sorted(state)
    if shards == 1:
        torch.save(state, dst / "pytorch_model.bin", _use_new_zipfile_serialization=not legacy)
    else:
        weight_map = {}
        for i in range(shards):
            part = names[i::shards]
            fname = f"pytorch_model-{i + 1:05d}-of-{shards:05d}.bin"
            torch.save({k: state[k] for k in part}, dst / fname, _use_new_zipfile_serialization=not legacy)
            weight_map.update({k: fname for k in part})
        (dst / "pytorch_model.bin.index.json").write_text(json.dumps({"weight_map": weight_map}))
    shutil.copy(src / "config.json", dst / "config.json")
    copy_tokenizer(dst)
    return model


@pytest.mark.parametrize("legacy,shards", [(False, 1), (True, 1), (False, 3), (True, 2)])
def test_bin_checkpoints_match_transformers(tmp_path, checkpoints, legacy, shards):
    theirs = bin_checkpoint(checkpoints["bert-cls"], tmp_path / "m", legacy=legacy, shards=shards)
    ours = AutoModelForSequenceClassification.from_pretrained(tmp_path / "m")
    with torch.no_grad():
        expected = theirs(torch.tensor(IDS)).logits.numpy()
    assert_close(ours(IDS).logits, expected, 1e-4, f"pytorch_model.bin legacy={legacy} shards={shards}")


def test_bin_checkpoint_saves_as_safetensors(tmp_path, checkpoints):
    theirs = bin_checkpoint(checkpoints["bert-cls"], tmp_path / "m", shards=3)
    AutoModelForSequenceClassification.from_pretrained(tmp_path / "m").save_pretrained(tmp_path / "saved")
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == ["config.json", "model.safetensors"]
    reloaded = transformers.AutoModelForSequenceClassification.from_pretrained(tmp_path / "saved").eval()
    with torch.no_grad():
        assert_close(reloaded(torch.tensor(IDS)).logits.numpy(), theirs(torch.tensor(IDS)).logits.numpy(), 0.0, "saved .bin")


@pytest.mark.parametrize("legacy", [False, True])
def test_strided_and_half_tensors(tmp_path, legacy):
    state = {
        "t": torch.arange(12, dtype=torch.float32).reshape(3, 4).t(),  # non-contiguous view
        "h": torch.linspace(-2, 2, 5, dtype=torch.float16),
        "b": torch.linspace(-2, 2, 5, dtype=torch.bfloat16),
        "s": torch.arange(10, dtype=torch.int64)[2:7],  # offset into a shared storage
    }
    torch.save(state, tmp_path / "x.bin", _use_new_zipfile_serialization=not legacy)
    got = load_torch_pickle(tmp_path / "x.bin")
    for k, v in state.items():
        np.testing.assert_array_equal(got[k].astype(np.float64), v.float().numpy().astype(np.float64))


class _Evil:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):  # what torch.load(weights_only=False) would run
        return (os.system, (f"touch {self.target}",))


def test_crafted_pickle_is_refused_and_nothing_runs(tmp_path, checkpoints):
    marker = tmp_path / "pwned"
    folder = tmp_path / "evil"
    folder.mkdir()
    shutil.copy(checkpoints["bert"] / "config.json", folder / "config.json")
    # zip format, as torch.save writes it, with a malicious data.pkl
    with zipfile.ZipFile(folder / "pytorch_model.bin", "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"embeddings.word_embeddings.weight": _Evil(marker)}, protocol=2))
        z.writestr("archive/version", "3\n")
    with pytest.raises(CheckpointError, match=r"names posix\.system|names os\.system|refusing"):
        AutoModel.from_pretrained(folder)
    assert not marker.exists()
    # legacy stream format
    with open(folder / "pytorch_model.bin", "wb") as f:
        f.write(pickle.dumps(_Evil(marker), protocol=2))
    with pytest.raises(CheckpointError, match="refusing"):
        AutoModel.from_pretrained(folder)
    assert not marker.exists()


def test_garbage_bin_gives_clear_error(tmp_path, checkpoints):
    folder = tmp_path / "m"
    folder.mkdir()
    shutil.copy(checkpoints["bert"] / "config.json", folder / "config.json")
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x02not really a pickle")
    with pytest.raises(CheckpointError, match="pytorch_model.bin"):
        AutoModel.from_pretrained(folder)
