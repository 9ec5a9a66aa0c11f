"""Qwen 3 (model_type "qwen3": Qwen/Qwen3-Embedding-0.6B, Qwen3ForSequenceClassification / TokenClassification /
QuestionAnswering)
against transformers 5.2 and sentence-transformers 6.3 on the same files.

Tiny random checkpoints, perturbed so a wrong term shows, under MiniLM's WordPiece tokenizer: grouped-query
attention (two query heads per key / value head, as Qwen3-Embedding-0.6B), plain multi-head attention with
attention biases, and sliding-window layers; batches padded on the right and on the left (a left-padded
query sees no key: zeros, as torch's SDPA). last_hidden_state and logits within 1e-4 (max abs printed)
on both engines, padding included; hidden states, attentions, the feature-extraction,
text-classification and question-answering pipelines, a sentence-transformers model built as Qwen3-Embedding's (last-token
pooling, Normalize, its query prompt), and Qwen's byte-level BPE tokenizer."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from conftest import assert_close  # noqa: E402
from corpus import TEXTS  # noqa: E402
from family_checks import ATOL, PARITY_MARKS, check_head_on_engines  # noqa: E402
from tiny_families import check_config_defaults, reference_inputs, tiny_models  # noqa: E402

pytestmark = PARITY_MARKS
TINY = dict(hidden_size=48, intermediate_size=40, num_hidden_layers=3, num_attention_heads=4, max_position_embeddings=128,
            pad_token_id=0)
# "sliding": layers 1 and 2 see their own key and the 5 before it
SHAPES = {"gqa": {"num_key_value_heads": 2, "head_dim": 16, "rope_theta": 5000.0},
          "bias": {"num_key_value_heads": 4, "head_dim": 8, "attention_bias": True},
          "sliding": {"num_key_value_heads": 1, "head_dim": 16, "use_sliding_window": True, "sliding_window": 6, "max_window_layers": 1}}
LONG = "a page of text that runs on past the sliding window so that its far tokens cannot see each other " * 2
HEADS = ("Model", "ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering")
AUTO = {"Model": ("AutoModel", "base", ("last_hidden_state",)),
        "ForSequenceClassification": ("AutoModelForSequenceClassification", "sequence-classification", ("logits",)),
        "ForTokenClassification": ("AutoModelForTokenClassification", "token-classification", ("logits",)),
        "ForQuestionAnswering": ("AutoModelForQuestionAnswering", "question-answering", ("start_logits", "end_logits"))}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory, "Qwen3", SHAPES, **TINY)


def inputs(folder) -> list[dict]:
    """reference_inputs without token_type_ids (Qwen3Model takes none), and a batch with a long text,
    padded on the right and on the left."""
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    plain = [{k: v for k, v in batch.items() if k != "token_type_ids"} for batch in reference_inputs(folder)]
    texts = [LONG, "short", TEXTS[0]]
    right = dict(tok(texts, padding=True, return_tensors="pt", return_token_type_ids=False))
    tok.padding_side = "left"
    left = dict(tok(texts, padding=True, return_tensors="pt", return_token_type_ids=False))
    return [left, right, *plain]


# every head on gqa and sliding; the base model alone on bias (the heads read the same encoder)
@pytest.mark.parametrize("shape,head", [(shape, head) for shape in SHAPES for head in HEADS if shape != "bias" or head == "Model"])
def test_head_parity(models, shape, head, support):
    folder = models(shape, head)
    auto, name, keys = AUTO[head]
    theirs = getattr(transformers, f"Qwen3{head}").from_pretrained(folder).eval()
    check_head_on_engines(folder, theirs, auto, inputs(folder), keys, f"qwen3/{shape}/{head}")
    support("qwen3", "head", name)


def test_classifier_without_pad_id(models, tmp_path):
    """No pad_token_id: the classifier reads each text's last position, one text a call; a padded batch is
    refused naming the fix (transformers raises a ValueError)."""
    folder = models("gqa", "ForSequenceClassification")
    config = json.loads((folder / "config.json").read_text())
    config.pop("pad_token_id")
    for name in folder.iterdir():
        (tmp_path / name.name).write_bytes(name.read_bytes())
    (tmp_path / "config.json").write_text(json.dumps(config))
    theirs = transformers.Qwen3ForSequenceClassification.from_pretrained(tmp_path).eval()
    ours = leanpipe.AutoModelForSequenceClassification.from_pretrained(tmp_path)
    tok = transformers.AutoTokenizer.from_pretrained(tmp_path)
    one = tok(TEXTS[1], return_tensors="pt", return_token_type_ids=False)
    with torch.no_grad():
        expected = theirs(**one).logits.numpy()
    assert_close(ours(**{k: v.numpy() for k, v in one.items()}).logits, expected, ATOL, "qwen3 no pad id")
    batch = tok(TEXTS[:2], padding=True, return_tensors="np", return_token_type_ids=False)
    with pytest.raises(leanpipe.InputError, match="pad_token_id"):
        ours(**batch)


def same_text_classification(folder, family: str) -> None:
    """The text-classification pipeline's labels and scores (every label, batches of 4) as transformers'."""
    ours = leanpipe.pipeline("text-classification", model=folder)
    theirs = transformers.pipeline("text-classification", model=str(folder))
    got, expected = ours(TEXTS[:6], top_k=None, batch_size=4), theirs(TEXTS[:6], top_k=None, batch_size=4)
    assert [[r["label"] for r in row] for row in got] == [[r["label"] for r in row] for row in expected]
    assert_close(np.array([[r["score"] for r in row] for row in got]),
                 np.array([[r["score"] for r in row] for row in expected]), ATOL, f"{family} text-classification")


def test_pipelines(models):
    """feature-extraction, text-classification and question-answering as transformers' pipelines give them."""
    folder = models("gqa", "Model")
    ours, theirs = leanpipe.pipeline("feature-extraction", model=folder), transformers.pipeline("feature-extraction", model=str(folder))
    for text in [LONG, *TEXTS[:3]]:
        assert_close(np.array(ours(text)), np.array(theirs(text)), ATOL, "qwen3 feature-extraction")
    same_text_classification(models("gqa", "ForSequenceClassification"), "qwen3")
    folder = models("gqa", "ForQuestionAnswering")
    ours, theirs = leanpipe.pipeline("question-answering", model=folder), transformers.pipeline("question-answering", model=str(folder))
    question, context = "Where does the cat sleep?", " ".join(TEXTS[:4])
    got, expected = ours(question=question, context=context, top_k=3), theirs(question=question, context=context, top_k=3)
    assert [(r["start"], r["end"], r["answer"]) for r in got] == [(r["start"], r["end"], r["answer"]) for r in expected]
    assert_close(np.array([r["score"] for r in got]), np.array([r["score"] for r in expected]), ATOL, "qwen3 question-answering")


@pytest.mark.parametrize("side", ["right", "left"])
def test_sentence_transformer(models, tmp_path, side):
    """Qwen3-Embedding's modules: Transformer, last-token Pooling, Normalize, and its query prompt; padded
    on either side (the model card passes tokenizer_kwargs={"padding_side": "left"})."""
    same_last_token_embeddings(models("gqa", "Model"), tmp_path, side, "qwen3")


def same_last_token_embeddings(base, tmp_path, side: str, family: str) -> None:
    """A decoder embedding model as sentence-transformers saves it (Qwen3-Embedding's and e5-mistral's modules:
    Transformer over `base`, last-token Pooling, Normalize, an instruction prompt for queries): leanpipe's
    SentenceTransformer gives sentence-transformers' vectors, padded on `side`."""
    st = pytest.importorskip("sentence_transformers")
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    body = Transformer(str(base))
    prompts = {"query": "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:",
               "document": ""}
    width = body.get_embedding_dimension()
    model = st.SentenceTransformer(modules=[body, Pooling(width, "lasttoken"), Normalize()], device="cpu", prompts=prompts)
    model.save(str(tmp_path / "st"))
    texts = [LONG, *TEXTS[:6]]
    kwargs = {"tokenizer_kwargs": {"padding_side": "left"}} if side == "left" else {}
    theirs = st.SentenceTransformer(str(tmp_path / "st"), device="cpu", **kwargs)
    ours = leanpipe.SentenceTransformer(str(tmp_path / "st"), **kwargs)
    for options in ({}, {"prompt_name": "query"}):
        expected = theirs.encode(texts, batch_size=4, **options)
        got = ours.encode(texts, batch_size=4, **options)
        assert got.shape == expected.shape == (len(texts), width)
        assert_close(got, expected, ATOL, f"{family} sentence-transformers {side} {options}")


def test_config_defaults():
    check_config_defaults("Qwen3Config")


def test_config_older_keys_and_refusals(tmp_path):
    """config.json's older rope_theta / rope_scaling read as transformers reads them; what leanpipe does not
    run (another rotary scaling, sliding layers without a window) refused at load naming the key."""
    config = {**transformers.Qwen3Config(**TINY, **SHAPES["gqa"]).to_dict(), "rope_theta": 1_000_000, "rope_scaling": None}
    del config["rope_parameters"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert leanpipe.AutoConfig.from_pretrained(tmp_path).rope_parameters == \
        transformers.AutoConfig.from_pretrained(tmp_path).rope_parameters == {"rope_theta": 1_000_000, "rope_type": "default"}
    (tmp_path / "config.json").write_text(json.dumps({**config, "rope_scaling": {"rope_type": "yarn", "factor": 4.0}}))
    with pytest.raises(leanpipe.ConfigError, match="rope_type 'yarn'"):
        leanpipe.AutoConfig.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({**config, "layer_types": ["sliding_attention"] * 3}))
    with pytest.raises(leanpipe.ConfigError, match="sliding_window"):
        leanpipe.AutoConfig.from_pretrained(tmp_path)


@pytest.fixture(scope="module")
def qwen_tokenizer(tmp_path_factory):
    """A small byte-level BPE saved by transformers' Qwen2Tokenizer (vocab and merges trained on the test
    corpus) under a qwen3 config; and a copy whose tokenizer.json appends <|endoftext|> and whose
    tokenizer_config.json pads on the left, as Qwen3-Embedding's files may."""
    from tokenizers import Tokenizer, models as tok_models, pre_tokenizers, processors, trainers

    trained = Tokenizer(tok_models.BPE())
    trained.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trained.train_from_iterator(TEXTS * 3, trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in json.loads(trained.to_str())["model"]["merges"]]
    plain, framed = tmp_path_factory.mktemp("qwen_tok"), tmp_path_factory.mktemp("qwen_tok_eos")
    transformers.Qwen2Tokenizer(vocab=trained.get_vocab(), merges=merges).save_pretrained(plain)
    transformers.Qwen3Config(**TINY, vocab_size=600).save_pretrained(plain)
    saved = Tokenizer.from_file(str(plain / "tokenizer.json"))
    eos = saved.token_to_id("<|endoftext|>")
    saved.post_processor = processors.TemplateProcessing(single="$A <|endoftext|>", pair="$A <|endoftext|> $B <|endoftext|>",
                                                         special_tokens=[("<|endoftext|>", eos)])
    saved.save(str(framed / "tokenizer.json"))
    (framed / "config.json").write_text((plain / "config.json").read_text())
    settings = json.loads((plain / "tokenizer_config.json").read_text())
    (framed / "tokenizer_config.json").write_text(json.dumps({**settings, "padding_side": "left"}))
    return plain, framed


@pytest.mark.parametrize("kind", ["plain", "eos-left"])
def test_tokenizer(qwen_tokenizer, kind, support):
    """Qwen2Tokenizer's files: tokenizer.json's ids, offsets and special tokens as transformers', on the
    side tokenizer_config.json pads."""
    from family_checks import assert_same_encoding

    folder = qwen_tokenizer[kind == "eos-left"]
    ours, theirs = leanpipe.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    assert type(ours).__name__ == type(theirs).__name__ == "Qwen2Tokenizer"
    assert type(leanpipe.Qwen2Tokenizer.from_pretrained(folder)).__name__ == "Qwen2Tokenizer"
    assert ours.padding_side == theirs.padding_side == ("left" if kind == "eos-left" else "right")
    options = dict(return_offsets_mapping=True, padding=True)
    texts = [*TEXTS[:8], "Ünïcödé   spaces\tand\nnew lines, émojis 🙂 and digits 12345"]
    assert_same_encoding(ours(texts, **options), theirs(texts, **options), f"qwen {kind}")
    assert ours.decode(ours(texts[-1])["input_ids"]) == theirs.decode(theirs(texts[-1])["input_ids"])
    ids = ours(TEXTS[0])["input_ids"]
    assert (ids[-1] == ours.eos_token_id) == (kind == "eos-left")  # the file's post-processor decides
    support("qwen3", "tokenizer", "tokenizer.json")


@pytest.mark.parametrize("side", ["right", "left"])
def test_cross_encoder(tmp_path_factory, side):
    """A Qwen3-Reranker converted to a one-label Qwen3ForSequenceClassification (as tomaarsen/Qwen3-Reranker-0.6B-seq-cls,
    its tokenizer padding on the left): leanpipe's CrossEncoder and rerank pipeline score (query, document) pairs
    as sentence-transformers' CrossEncoder does (sigmoid of the last real token's logit), on either padding side."""
    st = pytest.importorskip("sentence_transformers")
    from checkpoints import copy_tokenizer
    from more_family_fixtures import perturb

    folder = tmp_path_factory.mktemp("qwen3_rerank")
    torch.manual_seed(7)
    model = transformers.Qwen3ForSequenceClassification(transformers.Qwen3Config(vocab_size=30522, num_labels=1, **TINY, **SHAPES["gqa"]))
    perturb(model)
    model.eval().save_pretrained(folder)
    copy_tokenizer(folder)
    settings = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**settings, "padding_side": side}))
    query = "<Instruct>: Given a web search query, retrieve relevant passages that answer the query\n<Query>: what is a cat?\n"
    docs = [f"<Document>: {text}" for text in [LONG, *TEXTS[:6]]]
    expected = st.CrossEncoder(str(folder), device="cpu").predict([(query, d) for d in docs], batch_size=4)
    got = leanpipe.CrossEncoder(str(folder)).predict([(query, d) for d in docs], batch_size=4)
    assert_close(got, expected, ATOL, f"qwen3 cross-encoder {side}")
    ranked = leanpipe.pipeline("rerank", model=folder)(query=query, texts=docs)
    assert [r["index"] for r in ranked] == list(np.argsort(-expected, kind="stable"))
    assert_close([r["score"] for r in ranked], np.sort(expected)[::-1], ATOL, f"qwen3 rerank {side}")
