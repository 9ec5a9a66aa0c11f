"""Late interaction (ColBERT): leanpipe.MultiVectorEncoder against sentence-transformers 6.3's MultiVectorEncoder
on tiny random checkpoints in the three layouts it loads: its own saves (fixed and "min" query expansion,
attended or not, skiplists, a Dense with bias and Tanh), PyLate's (model_type "ColBERT", [unused0] / [unused1]
markers registered as special tokens) and Stanford-NLP ColBERT's (HF_ColBERT with linear.weight and
artifact.metadata), on BERT and ModernBERT. Every text's token vectors within 1e-4 (max abs printed), the
same number of them; MaxSim / MeanMaxSim scores within 1e-3 (sums of up to 32 dot products)."""

from __future__ import annotations

import hashlib
import json
import shutil
import string

import numpy as np
import pytest

torch = pytest.importorskip("torch")
st = pytest.importorskip("sentence_transformers")

from sentence_transformers import MultiVectorEncoder as STMultiVector  # noqa: E402
from sentence_transformers.base.modules import Normalize, Transformer  # noqa: E402
from sentence_transformers.base.modules.dense import Dense  # noqa: E402
from sentence_transformers.multi_vector_encoder.modules import MultiVectorMask  # noqa: E402

import leanpipe  # noqa: E402
from conftest import assert_close  # noqa: E402
from leanpipe.errors import CheckpointError, InputError  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")
ATOL, SCORE_ATOL = 1e-4, 1e-3
QUERIES = ["What is late interaction?", "a", "",
           "Which of these queries runs past the expansion width, being far longer than sixteen word pieces in all?"]
DOCUMENTS = ["Late interaction scores every token, really!", "b", "...", "Another (long) document; with punctuation: "
             "commas, dots... and words that go on for a while so that it is cut at the document length of forty tokens."]


def _write(folder, name, data) -> None:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(data, indent=2))


def _dense_weight(out: int, inp: int, seed: int) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).normal(0, 0.3, (out, inp)).astype(np.float32))


def _native(base, folder, *, expansion, dense_kwargs=None, mask_kwargs=None, prompts=None, **transformer_kwargs):
    transformer = Transformer(str(base), query_expansion=expansion, **transformer_kwargs)
    width = transformer.get_embedding_dimension()
    dense = Dense(in_features=width, out_features=8, module_input_name="token_embeddings",
                  **(dense_kwargs or {"bias": False, "activation_function": torch.nn.Identity()}))
    with torch.no_grad():
        dense.linear.weight.copy_(_dense_weight(8, width, 1))
    model = STMultiVector(modules=[transformer, dense, MultiVectorMask(**(mask_kwargs or {})),
                                   Normalize(module_input_name="token_embeddings")], device="cpu", prompts=prompts)
    model.save_pretrained(str(folder))
    return folder


def _pylate(base, folder, settings: dict) -> object:
    """PyLate 1.x / 3.x's layout: the encoder at the root, its Dense in 1_Dense/, the ColBERT settings at the
    top of config_sentence_transformers.json (model_type "ColBERT")."""
    from safetensors.torch import save_file

    shutil.copytree(base, folder)
    width = json.loads((base / "config.json").read_text())["hidden_size"]
    _write(folder, "modules.json", [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                                    {"idx": 1, "name": "1", "path": "1_Dense", "type": "pylate.models.Dense.Dense"}])
    _write(folder, "sentence_bert_config.json", {"max_seq_length": 60, "do_lower_case": False})
    _write(folder, "config_sentence_transformers.json", {"prompts": {}, "default_prompt_name": None,
                                                         "similarity_fn_name": "MaxSim", "model_type": "ColBERT", **settings})
    _write(folder, "1_Dense/config.json", {"in_features": width, "out_features": 8, "bias": False,
                                           "activation_function": "torch.nn.modules.linear.Identity", "use_residual": False})
    save_file({"linear.weight": _dense_weight(8, width, 2).contiguous()}, str(folder / "1_Dense" / "model.safetensors"))
    return folder


def _stanford(base, folder, metadata: dict | None):
    """colbert-ir/colbertv2.0's layout: HF_ColBERT in config.json, the BERT under bert.* and the projection as
    linear.weight in one weight file, the ColBERT settings in artifact.metadata."""
    from safetensors.torch import load_file, save_file

    shutil.copytree(base, folder)
    config = json.loads((folder / "config.json").read_text())
    _write(folder, "config.json", {**config, "architectures": ["HF_ColBERT"]})
    weights = {f"bert.{k}": v for k, v in load_file(str(base / "model.safetensors")).items()}
    weights["linear.weight"] = _dense_weight(8, config["hidden_size"], 3).contiguous()
    save_file(weights, str(folder / "model.safetensors"))
    if metadata is not None:
        _write(folder, "artifact.metadata", metadata)
    return folder


@pytest.fixture(scope="module")
def saved(checkpoints, tmp_path_factory):
    """name -> a late-interaction checkpoint folder (tiny random BERT encoders)."""
    root, base = tmp_path_factory.mktemp("multi-vector"), checkpoints["bert"]
    return {
        "native-fixed": _native(base, root / "native-fixed", document_length=40,
                                expansion={"strategy": "fixed", "attend": False, "length": 16},
                                mask_kwargs={"skiplist_words": list(string.punctuation)},
                                prompts={"query": "[unused0] ", "document": "[unused1] "}),
        "native-min-attend": _native(base, root / "native-min-attend", query_length=24,
                                     expansion={"strategy": "min", "attend": True, "length": 10},
                                     dense_kwargs={"bias": True, "activation_function": torch.nn.Tanh()},
                                     mask_kwargs={"skiplist_words": [",", ".", "(", "zzz-not-a-token"],
                                                  "skiplist_tasks": ["query", "document"]}),
        "native-no-expansion": _native(base, root / "native-no-expansion", expansion=None, max_seq_length=20,
                                       mask_kwargs={"keep_only_token_ids": [1037, 1038, 2003, 2009]}),
        "pylate": _pylate(base, root / "pylate", {"query_prefix": "[unused0]", "document_prefix": "[unused1]",
                                                  "query_length": 16, "document_length": 40,
                                                  "attend_to_expansion_tokens": False, "skiplist_words": list(string.punctuation)}),
        "pylate-attend-default-skiplist": _pylate(base, root / "pylate-attend", {
            "query_prefix": "[Q] ", "document_prefix": "[D] ", "query_length": 12, "document_length": 30,
            "attend_to_expansion_tokens": True}),
        "stanford": _stanford(base, root / "stanford", {"query_token_id": "[unused0]", "doc_token_id": "[unused1]",
                                                        "query_maxlen": 12, "doc_maxlen": 30, "attend_to_mask_tokens": False,
                                                        "mask_punctuation": True}),
        "stanford-no-metadata": _stanford(base, root / "stanford-bare", None),
    }


def both(folder, **kwargs):
    return STMultiVector(str(folder), device="cpu", **kwargs), leanpipe.MultiVectorEncoder(str(folder), **kwargs)


def same_vectors(ours, theirs, what: str) -> None:
    assert len(ours) == len(theirs), what
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert isinstance(a, np.ndarray) and a.dtype == np.float32, f"{what}[{i}]: {type(a)}"
        assert_close(a, b, ATOL, f"{what}[{i}] token vectors")


def same_encodings(reference, model, what: str) -> None:
    """encode_query, encode_document and encode (no task) on QUERIES / DOCUMENTS, then the scores."""
    for call, texts in (("encode_query", QUERIES), ("encode_document", DOCUMENTS), ("encode", DOCUMENTS)):
        same_vectors(getattr(model, call)(texts, batch_size=3), getattr(reference, call)(texts, convert_to_numpy=True),
                     f"{what} {call}")
    queries, documents = model.encode_query(QUERIES), model.encode_document(DOCUMENTS)
    ref_q, ref_d = reference.encode_query(QUERIES), reference.encode_document(DOCUMENTS)
    assert_close(model.similarity(queries, documents), reference.similarity(ref_q, ref_d).numpy(), SCORE_ATOL,
                 f"{what} similarity")
    assert_close(model.similarity_pairwise(queries, documents), reference.similarity_pairwise(ref_q, ref_d).numpy(),
                 SCORE_ATOL, f"{what} similarity_pairwise")


@pytest.mark.parametrize("name", ["native-fixed", "native-min-attend", "native-no-expansion", "pylate",
                                  "pylate-attend-default-skiplist", "stanford", "stanford-no-metadata"])
def test_same_vectors_and_scores_as_sentence_transformers(saved, name):
    reference, model = both(saved[name])
    assert model.get_embedding_dimension() == reference.get_embedding_dimension() == 8
    assert model.query_expansion == reference[0].query_expansion
    assert model.prompts == {**{"query": "", "document": ""}, **reference.prompts}
    same_encodings(reference, model, name)


def test_legacy_markers_are_one_token(saved):
    """[unused0] / [unused1] (PyLate, Stanford-NLP) are registered as special tokens, so each text starts
    [CLS] [unused0] ... as ColBERT was trained; the query is [MASK]-expanded to its width."""
    for name in ("pylate", "stanford"):
        reference, model = both(saved[name])
        feeds = model.preprocess(["hello there"], prompt=model.prompts["query"], task="query")
        expanded = feeds["query_expansion_positions"]
        ours = model.tokenizer.convert_ids_to_tokens(feeds["input_ids"][0].tolist())
        assert ours[:5] == ["[CLS]", "[unused0]", "hello", "there", "[SEP]"], ours
        assert set(ours[5:]) == {"[MASK]"} and expanded[0].sum() == len(ours) - 5
        theirs = reference.preprocess(["hello there"], prompt=reference.prompts["query"], task="query")
        assert feeds["input_ids"].tolist() == theirs["input_ids"].tolist()
        assert feeds["attention_mask"].tolist() == theirs["attention_mask"].tolist()
        assert expanded.tolist() == theirs["query_expansion_positions"].tolist()


def _edited(folder, tmp_path, name: str, files: dict) -> object:
    """A copy of `folder` with some JSON files changed: {path: function of the file's dict (None when absent) -> dict}."""
    copy = tmp_path / name
    shutil.copytree(folder, copy)
    for path, change in files.items():
        target = copy / path
        target.write_text(json.dumps(change(json.loads(target.read_text()) if target.exists() else None)))
    return copy


def test_layout_variants_as_sentence_transformers_reads_them(saved, tmp_path):
    """A tokenizer padding on the left (queries [MASK]-padded before the text, batches as sentence-transformers
    makes them), do_lower_case (lowercased inside the tokenizer: "[MASK]" stays one token), a PyLate layout whose
    config.json names HF_ColBERT (modules.json wins), and an expansion without a MultiVectorMask module (the
    expansion tokens then not scored)."""
    native = saved["native-fixed"]
    variants = {
        "left": _edited(native, tmp_path, "left", {"tokenizer_config.json": lambda c: {**c, "padding_side": "left"}}),
        "lower": _edited(native, tmp_path, "lower", {"sentence_bert_config.json": lambda c: {**c, "do_lower_case": True},
                                                     "tokenizer_config.json": lambda c: {**c, "do_lower_case": False}}),
        "hf-colbert": _edited(saved["pylate"], tmp_path, "hf-colbert",
                              {"config.json": lambda c: {**c, "architectures": ["HF_ColBERT"]}}),
        "no-mask": _edited(native, tmp_path, "no-mask", {"modules.json": lambda m: [x for x in m if "MultiVectorMask" not in x["type"]]}),
        "pylate-tokenizer": _pylate_tokenizer(saved["pylate"], tmp_path / "pylate-tokenizer"),
    }
    texts = [*DOCUMENTS, "a [MASK] b", "ΟΔΟΣ Straße CAPITALS"]
    for name, folder in variants.items():
        reference, model = both(folder)
        for call in ("encode_query", "encode_document"):
            same_vectors(getattr(model, call)(texts, batch_size=2), getattr(reference, call)(texts, batch_size=2, convert_to_numpy=True),
                         f"{name} {call}")


def _pylate_tokenizer(folder, target):
    """The tokenizer as PyLate saves answerai-colbert-small-v1's: [unused0] / [unused1] added as normalized, non-special
    tokens, and [MASK] as the pad token (so padding is [MASK] too)."""
    import transformers

    shutil.copytree(folder, target)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    tokenizer.add_tokens(["[unused0]", "[unused1]"])
    tokenizer.pad_token = "[MASK]"
    tokenizer.save_pretrained(str(target))
    return target


def test_left_padding_batches_as_sentence_transformers(saved, tmp_path):
    """With a left-padding tokenizer a BERT's vectors depend on the batch, so the batches must be sentence-transformers'
    own: texts sorted by length with numpy's default sort, whose ties (past 16 texts) are not kept in input order."""
    folder = _edited(saved["native-fixed"], tmp_path, "left-ties", {"tokenizer_config.json": lambda c: {**c, "padding_side": "left"}})
    reference, model = both(folder)
    texts = [word * n for n, word in zip([12, 13, 14, 30] * 10, ["a ", "bc ", "d e ", "fgh "] * 10)]
    texts = [t[:length] for t, length in zip(texts, [12, 13, 14, 30] * 10)]
    same_vectors(model.encode_document(texts, batch_size=4), reference.encode_document(texts, batch_size=4, convert_to_numpy=True),
                 "left padding, tied lengths")


def test_similarity_options(saved):
    reference, model = both(saved["native-fixed"])
    q, d = reference.encode_query(QUERIES[:2]), reference.encode_document(DOCUMENTS[:3])
    a_mask = [torch.arange(len(x)) % 3 != 0 for x in q]
    b_mask = [torch.arange(len(x)) % 2 == 0 for x in d]
    for options in ({"a_mask": a_mask}, {"b_mask": b_mask}, {"a_mask": a_mask, "length_normalize": True},
                    {"chunk_elements": 50, "device": "cpu"}):
        assert_close(model.similarity(q, d, **options), reference.similarity(q, d, **options).numpy(), SCORE_ATOL, str(options))
    assert_close(model.similarity_pairwise(q, d[:2], b_mask=b_mask[:2]),
                 reference.similarity_pairwise(q, d[:2], b_mask=b_mask[:2]).numpy(), SCORE_ATOL, "pairwise b_mask")
    with pytest.raises(InputError, match="device='cuda'"):
        model.similarity(q, d, device="cuda")
    with pytest.raises(InputError, match="takes length_normalize"):
        model.similarity(q, d, top_k=2)


def test_meanmaxsim_truncate_dim_normalize_and_raw_outputs(saved):
    folder = saved["native-min-attend"]
    reference, model = both(folder, similarity_fn_name="meanmaxsim", truncate_dim=5)
    assert model.similarity_fn_name == "meanmaxsim" and model.get_embedding_dimension() == 5
    same_encodings(reference, model, "meanmaxsim, truncate_dim=5")
    for options in ({"normalize_embeddings": True}, {"truncate_dim": 3}):
        same_vectors(model.encode_document(DOCUMENTS, **options),
                     reference.encode_document(DOCUMENTS, convert_to_numpy=True, **options), str(options))
    ours = model.encode_query(QUERIES, output_value=None, batch_size=len(QUERIES))
    theirs = reference.encode_query(QUERIES, output_value=None, batch_size=len(QUERIES))
    for a, b in zip(ours, theirs):
        assert_close(a["token_embeddings"], b["token_embeddings"].numpy(), ATOL, "raw token_embeddings")
        assert a["attention_mask"].tolist() == b["attention_mask"].bool().tolist()
        assert a["input_ids"].tolist() == b["input_ids"].tolist()
        assert a["query_expansion_positions"].tolist() == b["query_expansion_positions"].tolist()
    one = model.encode_query("one text")
    assert isinstance(one, np.ndarray) and one.ndim == 2


def test_scores_take_sentence_transformers_tensors_and_padded_arrays(saved):
    reference, model = both(saved["native-fixed"])
    ref_q, ref_d = reference.encode_query(QUERIES[:2]), reference.encode_document(DOCUMENTS[:3])
    assert_close(model.similarity(ref_q, ref_d), reference.similarity(ref_q, ref_d).numpy(), SCORE_ATOL, "torch inputs")
    padded = torch.nn.utils.rnn.pad_sequence(list(ref_d), batch_first=True)
    assert_close(model.similarity(ref_q, padded.numpy()), reference.similarity(ref_q, padded).numpy(), SCORE_ATOL,
                 "padded documents")
    assert_close(model.similarity(ref_q[0].numpy(), ref_d[0].numpy()), reference.similarity(ref_q[0], ref_d[0]).numpy(),
                 SCORE_ATOL, "one query, one document")
    empty = [np.zeros((0, 8), np.float32), model.encode_document("real")]
    assert_close(model.similarity(model.encode_query(["q"]), empty),
                 reference.similarity(reference.encode_query(["q"]), [torch.zeros(0, 8), torch.from_numpy(empty[1])]).numpy(),
                 SCORE_ATOL, "a document with no token")
    assert model.similarity([], empty).shape == (0, 2)


def test_modernbert_colbert_matches(tmp_path_factory):
    """GTE-ModernColBERT's shape: a ModernBERT encoder under PyLate's layout ("[Q] " / "[D] " prompts)."""
    pytest.importorskip("sentencepiece", reason="the test extra's sentencepiece trains the family tokenizers")
    from more_family_fixtures import MODEL_TOKENIZER, build_model, build_tokenizers

    root = tmp_path_factory.mktemp("modern-colbert")
    folders = build_tokenizers(root / "tokenizers")
    base = build_model("modernbert", "Model", folders[MODEL_TOKENIZER["modernbert"]], root / "base")
    folder = _pylate(base, root / "colbert", {"query_prefix": "[Q] ", "document_prefix": "[D] ", "query_length": 16,
                                              "document_length": 40, "attend_to_expansion_tokens": False})
    reference, model = both(folder)
    same_encodings(reference, model, "modernbert")


def test_loads_by_repo_id_from_the_hub_cache(saved, tmp_path, monkeypatch):
    import huggingface_hub.constants as hc

    commit = hashlib.sha1(b"main").hexdigest()
    repo = tmp_path / "cache" / "models--leanpipe-test--tiny-colbert"
    shutil.copytree(saved["pylate"], repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)
    model = leanpipe.MultiVectorEncoder("leanpipe-test/tiny-colbert")
    local = leanpipe.MultiVectorEncoder(str(saved["pylate"]))
    same_vectors(model.encode_query(QUERIES), local.encode_query(QUERIES), "by repo id")


def test_refusals_name_the_fix(saved, checkpoints, minilm):
    with pytest.raises(CheckpointError, match="not a multi-vector.*SentenceTransformer"):
        leanpipe.MultiVectorEncoder(str(minilm))
    with pytest.raises(CheckpointError, match="multi-vector.*MultiVectorEncoder"):
        leanpipe.SentenceTransformer(str(saved["pylate"]))
    with pytest.raises(CheckpointError, match="multi-vector.*MultiVectorEncoder"):
        leanpipe.SentenceTransformer(str(saved["native-fixed"]))
    for cls in (leanpipe.MultiVectorEncoder, leanpipe.SparseEncoder, leanpipe.CrossEncoder):  # checked before loading
        with pytest.raises(InputError, match="backend='tensorrt' is not one of"):
            cls(str(saved["native-fixed"]), backend="tensorrt")
    model = leanpipe.MultiVectorEncoder(str(saved["native-fixed"]))
    with pytest.raises(InputError, match="no convert_to_tensor"):
        model.encode("x", convert_to_tensor=True)
    with pytest.raises(InputError, match="token_pooling"):
        model.encode("x", token_pooling=object())
    with pytest.raises(InputError, match="single vectors"):
        model.similarity_fn_name = "cosine"
    with pytest.raises(InputError, match="task="):
        model.encode("x", task="passage")
    with pytest.raises(InputError, match="different widths"):
        model.similarity([np.ones((2, 8), np.float32)], [np.ones((2, 4), np.float32)])
    with pytest.raises(InputError, match="positive integer length"):
        model.query_expansion = {"strategy": "fixed"}
    with pytest.raises(InputError, match="more tokens than this model reads"):
        model.query_expansion = {"strategy": "fixed", "length": 10**9}
    model.query_expansion = None  # off: a query is its own tokens
    assert len(model.encode_query("hello there")) == 2 + 2 + 4  # [CLS] [ unused ##0 ] hello there [SEP]
