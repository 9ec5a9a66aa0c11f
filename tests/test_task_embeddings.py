"""sentence-embeddings and sentence-similarity against sentence-transformers on the real
all-MiniLM-L6-v2 and on copies of it with other pooling settings: 1 - cosine <= 1e-5 and
max abs <= 1e-4 per vector; similarities within 1e-4. Pooling functions against
sentence-transformers' Pooling module on padded batches."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling

from conftest import assert_close
from leanpipe import pipeline
from leanpipe.errors import CheckpointError, InputError
from leanpipe.pooling import POOLERS, SentenceConfig, l2_normalize, pool, pooling_modes, read_sentence_config

LONG = " ".join(["The quick brown fox jumps over the lazy dog near the riverbank."] * 40)  # ~560 tokens
CORPUS = [
    "A man is eating food.",
    "Ångström, café, naïve, Straße, façade — déjà vu.",
    "中文字符和日本語のテキスト、한국어도 있습니다。",
    "I love it 👍🏽🔥 so much!!! 🎉",
    "",
    "   ",
    LONG,
    "A man is eating a piece of bread.",
    "short",
]
SHORT = [t for t in CORPUS if t != LONG]  # for the many model variants: the long text only costs time there


def assert_same_vectors(ours, theirs, what):
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert_close(ours, theirs, 1e-4, what)
    cos = (ours * theirs).sum(-1) / (np.linalg.norm(ours, axis=-1) * np.linalg.norm(theirs, axis=-1))
    worst = float((1 - cos).max())
    assert worst <= 1e-5, f"{what}: 1 - cosine is {worst:.3g} (> 1e-5)"


def st_encode(folder, texts):
    return SentenceTransformer(str(folder), device="cpu").encode(texts, batch_size=4, convert_to_numpy=True)


def variant(minilm, folder, *, pooling=None, normalize=False, modules=True, extra=None):
    """A copy of all-MiniLM-L6-v2 (weights symlinked) with its sentence-transformers files changed."""
    folder.mkdir()
    (folder / "model.safetensors").symlink_to(minilm / "model.safetensors")  # never written to
    for f in minilm.iterdir():  # small files are copied, so editing them cannot reach the package
        if f.is_file() and f.name not in ("model.safetensors", "modules.json", "sentence_bert_config.json"):
            shutil.copy(f, folder / f.name)
    if modules:
        listed = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                  {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
        if normalize:
            listed.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
        (folder / "modules.json").write_text(json.dumps(listed))
        (folder / "1_Pooling").mkdir()
        (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 384, **pooling}))
        shutil.copy(minilm / "sentence_bert_config.json", folder / "sentence_bert_config.json")
    for name, content in (extra or {}).items():
        (folder / name).write_text(json.dumps(content))
    return folder


@pytest.fixture(scope="module")
def embedder(minilm):
    return pipeline("sentence-embeddings", model=minilm)


@pytest.fixture(scope="module")
def reference(minilm):
    return SentenceTransformer(str(minilm), device="cpu")


def test_minilm_matches_sentence_transformers(embedder, reference):
    theirs = reference.encode(CORPUS, batch_size=4)
    ours = embedder(CORPUS, batch_size=3)
    assert isinstance(ours, list) and len(ours) == len(CORPUS) and all(isinstance(x, float) for x in ours[0])
    assert_same_vectors(ours, theirs, "pipe(corpus)")
    assert_same_vectors(embedder.encode(CORPUS), theirs, "encode(corpus)")
    one = embedder(CORPUS[1])
    assert isinstance(one, list) and len(one) == 384 and isinstance(one[0], float)
    assert_same_vectors(one, theirs[1], "pipe(str)")
    assert embedder.encode(CORPUS[1]).shape == (384,)
    assert embedder.encode([]).shape == (0, 384) and embedder([]) == []


def test_normalize_and_tensors(embedder, reference):
    theirs = reference.encode(CORPUS[:3])
    raw = np.array(embedder(CORPUS[:3], normalize=False))
    assert np.abs(np.linalg.norm(raw, axis=1) - 1).max() > 0.1, "normalize=False should leave MiniLM's vectors unscaled"
    assert_same_vectors(l2_normalize(raw), theirs, "normalize=False then l2")
    arrays = embedder(CORPUS[:3], return_tensors=True)
    assert isinstance(arrays[0], np.ndarray) and arrays[0].shape == (384,)
    assert_same_vectors(np.stack(arrays), theirs, "return_tensors")


def test_truncation(embedder):
    assert embedder.runner.sentence_config.max_seq_length == 256
    assert embedder.runner.tokenize([LONG], True)[0].ids.__len__() == 256
    with pytest.raises(InputError, match="truncation=True"):
        embedder([LONG], truncation=False)
    with pytest.raises(TypeError, match="does not take"):
        embedder(CORPUS, max_len=3)
    with pytest.raises(InputError, match="expected a string"):
        embedder([1, 2])
    with pytest.raises(InputError, match="True or False"):
        embedder(CORPUS, truncation="longest_first")


POOLINGS = {
    "cls": {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False},
    "max": {"pooling_mode": "max"},
    "mean_sqrt_len": {"pooling_mode_mean_sqrt_len_tokens": True, "pooling_mode_mean_tokens": False},
    "weighted_mean": {"pooling_mode": "weightedmean"},
    "lasttoken": {"pooling_mode_lasttoken": True},
    "cls+mean (concatenated)": {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": True},
}


@pytest.mark.parametrize("name", list(POOLINGS))
def test_pooling_modes_match_sentence_transformers(minilm, tmp_path, name):
    folder = variant(minilm, tmp_path / "model", pooling=POOLINGS[name])
    ours = pipeline("sentence-embeddings", model=folder)
    assert_same_vectors(ours.encode(SHORT), st_encode(folder, SHORT), name)


def test_plain_checkpoint_is_mean_pooled(minilm, tmp_path):
    # no modules.json: sentence-transformers adds mean pooling, no Normalize, the tokenizer's 512 limit
    folder = variant(minilm, tmp_path / "plain", modules=False)
    ours = pipeline("sentence-embeddings", model=folder)
    assert ours.runner.sentence_config == SentenceConfig() and ours.runner.max_length() == 512
    assert_same_vectors(ours.encode(SHORT), st_encode(folder, SHORT), "plain")


def test_default_prompt(minilm, tmp_path):
    prompts = {"prompts": {"query": "query: ", "document": ""}, "default_prompt_name": "query"}
    folder = variant(minilm, tmp_path / "prompted", pooling={"pooling_mode": "mean"}, normalize=True,
                     extra={"config_sentence_transformers.json": prompts})
    ours = pipeline("sentence-embeddings", model=folder)
    assert ours.runner.sentence_config.prompt == "query: "
    assert_same_vectors(ours.encode(SHORT), st_encode(folder, SHORT), "default prompt")


def test_pipeline_save_pretrained_keeps_the_sentence_modules(minilm, tmp_path):
    """pipe.save_pretrained(folder) writes model, tokenizer and the sentence-transformers files: the
    saved folder pools (cls), normalizes and prompts as the source, in leanpipe and sentence-transformers."""
    prompts = {"prompts": {"query": "query: "}, "default_prompt_name": "query"}
    source = variant(minilm, tmp_path / "source", pooling={"pooling_mode": "cls"}, normalize=True,
                     extra={"config_sentence_transformers.json": prompts})
    pipe = pipeline("sentence-embeddings", model=source)
    pipe.save_pretrained(tmp_path / "saved")
    names = sorted(str(p.relative_to(tmp_path / "saved")) for p in (tmp_path / "saved").rglob("*") if p.is_file())
    for name in ("1_Pooling/config.json", "config.json", "config_sentence_transformers.json", "model.safetensors",
                 "modules.json", "sentence_bert_config.json", "tokenizer.json"):
        assert name in names, f"{name} not saved; saved {names}"
    saved = pipeline("sentence-embeddings", model=tmp_path / "saved")
    assert saved.runner.sentence_config == pipe.runner.sentence_config
    assert saved.runner.sentence_config.modes == ("cls",) and saved.runner.sentence_config.normalize
    assert np.array_equal(saved.encode(SHORT), pipe.encode(SHORT))
    assert_same_vectors(saved.encode(SHORT), st_encode(source, SHORT), "saved vs sentence-transformers on the source")
    assert_same_vectors(saved.encode(SHORT), st_encode(tmp_path / "saved", SHORT), "saved, both libraries")


def test_unsupported_modules_are_refused(minilm, tmp_path):
    folder = variant(minilm, tmp_path / "lstm", pooling={"pooling_mode": "mean"})
    listed = json.loads((folder / "modules.json").read_text())
    listed.append({"idx": 2, "name": "2", "path": "2_LSTM", "type": "sentence_transformers.models.LSTM"})
    (folder / "modules.json").write_text(json.dumps(listed))
    with pytest.raises(CheckpointError, match="'sentence_transformers.models.LSTM' module; leanpipe runs only"):
        read_sentence_config(folder)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode": "median"}))
    (folder / "modules.json").write_text(json.dumps(listed[:2]))
    with pytest.raises(CheckpointError, match="median"):
        read_sentence_config(folder)
    (folder / "1_Pooling" / "config.json").unlink()  # sentence-transformers fails too (no embedding_dimension)
    with pytest.raises(CheckpointError, match=r"lists a Pooling module in '1_Pooling' but 1_Pooling/config.json is missing"):
        read_sentence_config(folder)


def test_pooling_mode_parsing():
    assert pooling_modes({"pooling_mode": ["max", "cls"]}) == ("max", "cls")
    assert pooling_modes({"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}) == ("max", "mean")
    assert pooling_modes({}) == pooling_modes({"pooling_mode_mean_tokens": False}) == ("mean",)


@pytest.mark.parametrize("mode", list(POOLERS))
@pytest.mark.parametrize("side", ["right", "left"])
def test_pool_matches_pooling_module_on_padded_batches(mode, side):
    rng = np.random.default_rng(0)
    hidden = rng.standard_normal((4, 7, 5)).astype(np.float32)  # (B, T, H)
    lengths = [7, 3, 1, 5]
    mask = np.zeros((4, 7), dtype=np.int64)
    for row, n in enumerate(lengths):
        if side == "right":
            mask[row, :n] = 1
        else:
            mask[row, 7 - n:] = 1
    module = Pooling(5, pooling_mode=mode)
    theirs = module({"token_embeddings": torch.from_numpy(hidden), "attention_mask": torch.from_numpy(mask)})
    assert_close(pool(hidden, mask, [mode]), theirs["sentence_embedding"].numpy(), 1e-5, f"{mode}/{side}")


# ---- sentence-similarity ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def similarity(minilm):
    return pipeline("sentence-similarity", model=minilm)


def st_cosines(reference, source, sentences):
    vectors = reference.encode([source, *sentences])
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors[1:] @ vectors[0]).tolist()


def test_similarity_matches_sentence_transformers(similarity, reference):
    source, sentences = CORPUS[0], CORPUS[1:]
    ours = similarity({"source_sentence": source, "sentences": sentences})
    assert isinstance(ours, list) and len(ours) == len(sentences) and all(isinstance(x, float) for x in ours)
    assert_close(ours, st_cosines(reference, source, sentences), 1e-4, "similarity")
    assert int(np.argmax(ours)) == sentences.index("A man is eating a piece of bread.")
    assert similarity(source_sentence=source, sentences=sentences) == pytest.approx(ours, abs=1e-6)


def test_similarity_batch_and_edges(similarity, reference):
    requests = [{"source_sentence": "short", "sentences": ["short", CORPUS[2]]},
                {"source_sentence": CORPUS[3], "sentences": [LONG]},
                {"source_sentence": "nothing", "sentences": []}]
    ours = similarity(requests, batch_size=2)
    assert len(ours) == 3 and ours[2] == []
    assert abs(ours[0][0] - 1.0) < 1e-5
    for got, r in zip(ours[:2], requests):
        assert_close(got, st_cosines(reference, r["source_sentence"], r["sentences"]), 1e-4, "batched similarity")
    with pytest.raises(InputError, match="source_sentence"):
        similarity({"source": "a", "sentences": ["b"]})
    with pytest.raises(InputError, match="source_sentence"):
        similarity({"source_sentence": "a", "sentences": "b"})
    with pytest.raises(InputError, match="source_sentence"):
        similarity("just a string")
    with pytest.raises(TypeError, match="not both"):
        similarity({"source_sentence": "a", "sentences": ["b"]}, sentences=["c"])
