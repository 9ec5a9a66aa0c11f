"""Loading: folders, the Hugging Face cache by repo id and revision (offline), sharded and
half-precision safetensors, and the errors for missing or mismatched files."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
import torch
import transformers

from checkpoints import copy_tokenizer
from conftest import assert_close
from leanpipe import AutoModel, AutoModelForSequenceClassification, AutoTokenizer, pipeline
from leanpipe.config import supported_model_types
from leanpipe.errors import CheckpointError, ConfigError

IDS = [[101, 7592, 2088, 999, 102]]


def make_cache(root, repo_id, revisions: dict) -> None:
    """A Hugging Face hub cache as huggingface_hub lays it out: refs/<name> -> commit, snapshots/<commit>/."""
    repo = root / ("models--" + repo_id.replace("/", "--"))
    for ref, folder in revisions.items():
        commit = hashlib.sha1(ref.encode()).hexdigest()
        shutil.copytree(folder, repo / "snapshots" / commit)
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / ref).write_text(commit)


@pytest.fixture
def hub_cache(tmp_path, monkeypatch, checkpoints):
    import huggingface_hub.constants as hc

    old = tmp_path / "old"
    shutil.copytree(checkpoints["bert-cls"], old)
    config = json.loads((old / "config.json").read_text())
    config["id2label"] = {"0": "old-a", "1": "old-b", "2": "old-c"}
    (old / "config.json").write_text(json.dumps(config))
    make_cache(tmp_path / "cache", "leanpipe-test/tiny-bert", {"main": checkpoints["bert-cls"], "v1": old})
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)
    return "leanpipe-test/tiny-bert", hashlib.sha1(b"v1").hexdigest()


def test_load_by_repo_id_and_revision_offline(hub_cache, checkpoints):
    repo_id, v1_commit = hub_cache
    main = pipeline("text-classification", model=repo_id, top_k=None)
    assert {d["label"] for d in main("hello")[0]} == {"negative", "neutral", "very positive"}
    for revision in ("v1", v1_commit):
        old = AutoModelForSequenceClassification.from_pretrained(repo_id, revision=revision)
        assert old.config.id2label[0] == "old-a"
    old_pipe = pipeline("text-classification", model=repo_id, revision="v1")
    assert old_pipe("hello")[0]["label"].startswith("old-")
    assert AutoTokenizer.from_pretrained(repo_id).pad_token_id == 0


def test_repo_not_in_cache_says_how_to_fix(hub_cache):
    with pytest.raises(CheckpointError, match="HF_HUB_OFFLINE"):
        AutoModel.from_pretrained("leanpipe-test/not-downloaded")
    with pytest.raises(CheckpointError):
        AutoModel.from_pretrained("leanpipe-test/tiny-bert", revision="no-such-branch")


def test_download_arguments_as_transformers_takes_them(hub_cache, tmp_path, checkpoints, minilm):
    """cache_dir, local_files_only, token (and use_auth_token), force_download: a cache elsewhere than
    the default one is found through cache_dir by configs, models, tokenizers and pipelines
    (model_kwargs, as transformers' pipeline takes them); they are not config keys. Without cache_dir
    the error names the cache it looked in."""
    from leanpipe import AutoConfig

    repo_id = "leanpipe-test/elsewhere"
    other = tmp_path / "other-cache"
    make_cache(other, repo_id, {"main": checkpoints["bert-cls"]})
    sentences = tmp_path / "sentences"
    shutil.copytree(minilm, sentences)
    (sentences / "config_sentence_transformers.json").write_text(json.dumps({"prompts": {"query": "query: "}}))
    make_cache(other, "leanpipe-test/sentences", {"main": sentences})
    options = dict(cache_dir=str(other), local_files_only=True, token="hf_not_needed_offline")
    config = AutoConfig.from_pretrained(repo_id, **options)
    assert not {"cache_dir", "local_files_only", "token"} & set(config.to_dict())
    model = AutoModelForSequenceClassification.from_pretrained(repo_id, use_auth_token="x", **options)
    assert model.config.id2label[0] == "negative" and "cache_dir" not in model.config.to_dict()
    expected = pipeline("text-classification", model=checkpoints["bert-cls"], top_k=None)("hello")
    assert model([[101, 7592, 102]]).logits.shape == (1, 3)
    assert AutoTokenizer.from_pretrained(repo_id, **options)("hello").input_ids == [101, 7592, 102]
    pipe = pipeline("text-classification", model=repo_id, token="x", model_kwargs={"cache_dir": str(other)}, top_k=None)
    assert pipe("hello") == expected
    assert len(pipe.model([[101, 7592, 102]], output_hidden_states=True).hidden_states) == 3  # re-reads from that cache
    pipe.save_pretrained(tmp_path / "saved")
    embedder = pipeline("sentence-embeddings", model="leanpipe-test/sentences", model_kwargs={"cache_dir": str(other)})
    assert embedder.runner.sentence_config.normalize and embedder.runner.sentence_config.max_seq_length == 256
    embedder.save_pretrained(tmp_path / "saved-sentences")
    from leanpipe import SentenceTransformer  # sentence-transformers' argument name for the cache

    assert SentenceTransformer("leanpipe-test/sentences", cache_folder=str(other)).prompts["query"] == "query: "
    assert (tmp_path / "saved-sentences" / "modules.json").is_file()
    with pytest.raises(CheckpointError, match=r"cache .*cache.* and local_files_only=True is set"):
        AutoModel.from_pretrained(repo_id, local_files_only=True)  # the default cache (hub_cache's) lacks it


def test_sharded_safetensors(tmp_path, checkpoints):
    theirs = transformers.AutoModel.from_pretrained(checkpoints["bert"]).eval()
    theirs.save_pretrained(tmp_path, max_shard_size="100KB")
    assert (tmp_path / "model.safetensors.index.json").exists() and not (tmp_path / "model.safetensors").exists()
    ours = AutoModel.from_pretrained(tmp_path)
    with torch.no_grad():
        expected = theirs(torch.tensor(IDS)).last_hidden_state.numpy()
    assert_close(ours(IDS).last_hidden_state, expected, 1e-4, "sharded")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_weights(tmp_path, checkpoints, dtype):
    theirs = transformers.AutoModel.from_pretrained(checkpoints["bert"]).eval()
    theirs.to(dtype).save_pretrained(tmp_path)
    ours = AutoModel.from_pretrained(tmp_path)
    with torch.no_grad():  # the reference computes in fp32 from the same rounded weights
        expected = theirs.float()(torch.tensor(IDS)).last_hidden_state.numpy()
    assert_close(ours(IDS).last_hidden_state, expected, 1e-4, str(dtype))


def test_missing_files(tmp_path, checkpoints):
    with pytest.raises(CheckpointError, match="config.json not found"):
        AutoModel.from_pretrained(tmp_path)
    shutil.copy(checkpoints["bert"] / "config.json", tmp_path / "config.json")
    with pytest.raises(CheckpointError, match="no model.safetensors"):
        AutoModel.from_pretrained(tmp_path)
    with pytest.raises(CheckpointError, match="neither an existing folder nor a valid"):
        AutoModel.from_pretrained("./no/such//folder")


def test_unsupported_model_type_lists_supported(tmp_path, checkpoints):
    shutil.copytree(checkpoints["bert"], tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["model_type"] = "gpt2"
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match="supported: " + ", ".join(supported_model_types())):
        AutoModel.from_pretrained(tmp_path / "m")


def test_weights_that_contradict_config(tmp_path, checkpoints):
    shutil.copytree(checkpoints["bert"], tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["intermediate_size"] = 40
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"has shape \(37, 32\) but config.json implies \(40, 32\)"):
        AutoModel.from_pretrained(tmp_path / "m")


def test_tokenizer_larger_than_embeddings(tmp_path):
    config = transformers.BertConfig(vocab_size=1000, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20)
    transformers.BertForSequenceClassification(config).save_pretrained(tmp_path)
    copy_tokenizer(tmp_path)
    with pytest.raises(CheckpointError, match="tokenizer has 30522 tokens but the model .* embeds only 1000"):
        pipeline("text-classification", model=tmp_path)


def test_wrong_architecture_weights(tmp_path, checkpoints):
    shutil.copytree(checkpoints["distilbert"], tmp_path / "m")
    sizes = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 37}
    (tmp_path / "m" / "config.json").write_text(json.dumps({"model_type": "bert", **sizes}))
    with pytest.raises(CheckpointError, match="missing 'embeddings.token_type_embeddings.weight'"):
        AutoModel.from_pretrained(tmp_path / "m")


def test_subfolder_as_transformers_takes_it(checkpoints, tmp_path, monkeypatch):
    """from_pretrained(..., subfolder=) reads every file from that folder of a local checkpoint or of a
    cached repo (it was ignored before, loading the repo's root instead); a missing one is named."""
    import huggingface_hub.constants as hc

    repo = tmp_path / "repo"
    shutil.copytree(checkpoints["bert-cls"], repo / "inner")
    (repo / "README.md").write_text("a repo holding its model in a subfolder")
    make_cache(tmp_path / "cache", "leanpipe-test/nested", {"main": repo})
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)
    reference = AutoModelForSequenceClassification.from_pretrained(checkpoints["bert-cls"])(IDS).logits
    for source in (repo, "leanpipe-test/nested"):
        model = AutoModelForSequenceClassification.from_pretrained(source, subfolder="inner")
        assert_close(model(IDS).logits, reference, 0, f"{source} subfolder")
        assert AutoTokenizer.from_pretrained(source, subfolder="inner")("hello")["input_ids"] == [101, 7592, 102]
        with pytest.raises(CheckpointError, match="nope/config.json|folder .*nope"):
            AutoModelForSequenceClassification.from_pretrained(source, subfolder="nope")
    theirs = transformers.AutoModelForSequenceClassification.from_pretrained(repo, subfolder="inner").eval()
    with torch.no_grad():
        assert_close(reference, theirs(torch.tensor(IDS)).logits.numpy(), 1e-4, "transformers, subfolder")
