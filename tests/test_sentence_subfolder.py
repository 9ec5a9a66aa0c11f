"""sentence-transformers checkpoints laid out as older versions saved them: the Transformer module's config.json,
weights, tokenizer and sentence_bert_config.json in 0_Transformer/ (modules.json: "path": "0_Transformer"),
Pooling / Normalize / prompts at the root. Built by moving the real all-MiniLM-L6-v2's files (sentence-transformers
6.3 saves the Transformer at the root), and a SparseEncoder 6.3 saved moved into 0_MLMTransformer/ likewise.
leanpipe loads them from the folder and by repo id from a Hugging Face cache; vectors within 1e-4 of
sentence-transformers 6.3 (max abs printed); a save writes the 6.3 layout, which both libraries reload."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
st = pytest.importorskip("sentence_transformers")

from sentence_transformers.sparse_encoder.modules import MLMTransformer, SpladePooling  # noqa: E402

import leanpipe  # noqa: E402
from checkpoints import build  # noqa: E402
from conftest import assert_close  # noqa: E402
from leanpipe.errors import CheckpointError  # noqa: E402
from test_loading import make_cache  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")
ATOL = 1e-4
SENTENCES = ["A man is eating food.", "A man is riding a white horse on an enclosed ground.", "Ångström café naïve",
             "short", "The quick brown fox jumps over the lazy dog. " * 60]
REPO, SPARSE_REPO = "leanpipe-test/old-layout", "leanpipe-test/old-layout-splade"


def move_into_subfolder(folder, subfolder: str) -> None:
    """The first module's files (all but modules.json, the settings and the other modules' folders) into
    `subfolder`, and modules.json pointing there, as sentence-transformers < 2 saved checkpoints."""
    modules = json.loads((folder / "modules.json").read_text())
    keep = {"modules.json", "config_sentence_transformers.json", "README.md"} | {m["path"] for m in modules[1:]}
    (folder / subfolder).mkdir()
    for path in list(folder.iterdir()):
        if path.name not in keep and path.name != subfolder:
            shutil.move(str(path), folder / subfolder / path.name)
    modules[0]["path"] = subfolder
    (folder / "modules.json").write_text(json.dumps(modules))


@pytest.fixture(scope="module")
def old_minilm(minilm, tmp_path_factory):
    """all-MiniLM-L6-v2 with its Transformer in 0_Transformer/, and prompts and dot similarity at the root."""
    folder = tmp_path_factory.mktemp("old") / "model"
    shutil.copytree(minilm, folder)
    move_into_subfolder(folder, "0_Transformer")
    assert (folder / "0_Transformer" / "config.json").is_file() and (folder / "1_Pooling" / "config.json").is_file()
    (folder / "config_sentence_transformers.json").write_text(json.dumps({
        "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None, "similarity_fn_name": "dot"}))
    return folder


@pytest.fixture(scope="module")
def old_splade(tmp_path_factory):
    """A SparseEncoder sentence-transformers 6.3 saved (tiny BERT masked LM), its MLMTransformer moved into 0_MLMTransformer/."""
    root = tmp_path_factory.mktemp("old-splade")
    base = build("bert-mlm", root / "bert-mlm")
    st.SparseEncoder(modules=[MLMTransformer(str(base), max_seq_length=64), SpladePooling("max", "relu")], device="cpu",
                     prompts={"query": "query: "}).save(str(root / "model"))
    move_into_subfolder(root / "model", "0_MLMTransformer")
    assert (root / "model" / "0_MLMTransformer" / "model.safetensors").is_file()
    return root / "model"


@pytest.fixture
def cache(old_minilm, old_splade, tmp_path, monkeypatch):
    """Both checkpoints as repo ids in an offline Hugging Face cache (their subfolders inside the snapshot)."""
    import huggingface_hub.constants as hc

    make_cache(tmp_path / "cache", REPO, {"main": old_minilm})
    make_cache(tmp_path / "cache", SPARSE_REPO, {"main": old_splade})
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)


@pytest.fixture(scope="module")
def theirs(old_minilm):
    return st.SentenceTransformer(str(old_minilm), device="cpu")


@pytest.mark.parametrize("source", ["folder", "repo id"])
def test_sentence_transformer_matches(old_minilm, theirs, cache, source):
    """Model and tokenizer from 0_Transformer/ (max_seq_length 256 from its sentence_bert_config.json), the
    Pooling, Normalize, prompts and similarity function from the root."""
    ours = leanpipe.SentenceTransformer(old_minilm if source == "folder" else REPO)
    assert ours.max_seq_length == theirs.max_seq_length == 256
    assert ours.prompts == theirs.prompts and ours.similarity_fn_name == theirs.similarity_fn_name == "dot"
    for options in ({}, {"prompt_name": "query"}):
        assert_close(ours.encode(SENTENCES, **options), theirs.encode(SENTENCES, **options), ATOL, f"{source} {options}")
    assert np.allclose(np.linalg.norm(ours.encode(SENTENCES), axis=1), 1, atol=1e-5)  # the root's Normalize module


@pytest.mark.parametrize("source", ["folder", "repo id"])
def test_pipelines_match(old_minilm, theirs, cache, source):
    model = str(old_minilm) if source == "folder" else REPO
    embed = leanpipe.pipeline("sentence-embeddings", model=model)
    assert_close(embed(SENTENCES, return_tensors=True), theirs.encode(SENTENCES), ATOL, f"sentence-embeddings {source}")
    similar = leanpipe.pipeline("sentence-similarity", model=model)
    got = similar({"source_sentence": SENTENCES[0], "sentences": SENTENCES[1:]})
    vectors = theirs.encode(SENTENCES)
    assert_close(got, st.util.cos_sim(vectors[:1], vectors[1:])[0].numpy(), ATOL, f"sentence-similarity {source}")


@pytest.mark.parametrize("source", ["folder", "repo id"])
def test_save_writes_the_root_layout(old_minilm, theirs, cache, tmp_path, source):
    """SentenceTransformer.save and the pipeline's save_pretrained put the Transformer at the root, as
    sentence-transformers 6.3 saves it; both libraries reload either copy with the same vectors."""
    ours = leanpipe.SentenceTransformer(old_minilm if source == "folder" else REPO)
    ours.max_seq_length = 128
    ours.save(tmp_path / "copy")
    leanpipe.pipeline("sentence-embeddings", model=old_minilm).save_pretrained(tmp_path / "pipe-copy")
    for copy, length in ((tmp_path / "copy", 128), (tmp_path / "pipe-copy", 256)):
        modules = json.loads((copy / "modules.json").read_text())
        assert modules[0]["path"] == "" and [m["path"] for m in modules[1:]] == ["1_Pooling", "2_Normalize"]
        assert (copy / "config.json").is_file() and (copy / "tokenizer.json").is_file() and not (copy / "0_Transformer").exists()
        assert json.loads((copy / "sentence_bert_config.json").read_text())["max_seq_length"] == length
        reloaded, theirs_copy = leanpipe.SentenceTransformer(copy), st.SentenceTransformer(str(copy), device="cpu")
        assert reloaded.max_seq_length == theirs_copy.max_seq_length == length
        assert reloaded.similarity_fn_name == theirs_copy.similarity_fn_name == "dot"
        expected = theirs.encode(SENTENCES[:4])  # short texts: the same under either length
        assert_close(reloaded.encode(SENTENCES[:4]), expected, ATOL, f"{copy.name} in leanpipe")
        assert_close(theirs_copy.encode(SENTENCES[:4]), expected, ATOL, f"{copy.name} in sentence-transformers")


@pytest.mark.parametrize("source", ["folder", "repo id"])
def test_sparse_encoder_matches(old_splade, cache, tmp_path, source):
    """A SparseEncoder's MLMTransformer in 0_MLMTransformer/ (sentence-transformers 6.3 loads it there too)."""
    theirs = st.SparseEncoder(str(old_splade), device="cpu")
    ours = leanpipe.SparseEncoder(old_splade if source == "folder" else SPARSE_REPO)
    assert ours.max_seq_length == theirs.max_seq_length == 64 and ours.prompts == theirs.prompts
    for how in ("encode", "encode_query"):
        assert_close(getattr(ours, how)(SENTENCES), theirs.__getattribute__(how)(SENTENCES).to_dense().numpy(), ATOL,
                     f"{source} {how}")
    pipe = leanpipe.pipeline("sparse-embeddings", model=str(old_splade) if source == "folder" else SPARSE_REPO)
    assert_close(pipe(SENTENCES, return_tensors=True), ours.encode(SENTENCES), 0, f"sparse-embeddings {source}")
    ours.save(tmp_path / "copy")
    assert json.loads((tmp_path / "copy" / "modules.json").read_text())[0]["path"] == ""
    assert_close(st.SparseEncoder(str(tmp_path / "copy"), device="cpu").encode(SENTENCES[:3]).to_dense().numpy(),
                 ours.encode(SENTENCES[:3]), ATOL, "saved copy in sentence-transformers")


def test_module_path_outside_the_checkpoint_is_refused(old_minilm, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(old_minilm, folder)
    modules = json.loads((folder / "modules.json").read_text())
    modules[0]["path"] = "../0_Transformer"
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(CheckpointError, match="outside the checkpoint"):
        leanpipe.SentenceTransformer(folder)


def test_cli_listing_and_server_info_look_in_the_module_folder(old_minilm, tmp_path):
    """`leanpipe models` finds config.json and the weights in 0_Transformer/ (the snapshot loads), and
    the server reports the Pooling module's mode (here CLS) from the repo root, not the default mean."""
    from leanpipe.cli.models import describe
    from leanpipe.server.service import Service

    folder = tmp_path / "model"
    shutil.copytree(old_minilm, folder)
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({**pooling, "pooling_mode_mean_tokens": False,
                                                                   "pooling_mode_cls_token": True}))
    row = describe(folder)
    assert row["loadable"] and row["model_type"] == "bert", row
    pipe = leanpipe.pipeline("sentence-embeddings", model=str(folder))
    assert Service._pooling(type("S", (), {"model": pipe.model})()) == "cls"
