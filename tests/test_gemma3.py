"""Gemma 3's bidirectional encoder (model_type "gemma3_text", use_bidirectional_attention: google/
embeddinggemma-300m) against transformers 5.2 and sentence-transformers 6.3 on the same files.

Tiny random Gemma3TextModel checkpoints, perturbed so a wrong term shows, under MiniLM's WordPiece
tokenizer: sliding and full layers, grouped-query attention (one key / value head for three query heads,
as embeddinggemma-300m) and plain multi-head attention, attention biases; texts longer than the sliding
window. last_hidden_state within 1e-4 (max abs printed) on both engines, padding included; hidden
states, attentions, the feature-extraction pipeline, and a sentence-transformers model built as
embeddinggemma's (mean pooling, two bias-free Dense layers, Normalize) as sentence-transformers encodes it."""

from __future__ import annotations

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
# sliding_window 12 -> a window of 12 // 2 + 1 = 7 as transformers sets it (saved as 7, read back as 4: see Gemma3TextConfig)
TINY = dict(hidden_size=48, intermediate_size=40, num_hidden_layers=4, num_attention_heads=3,
            max_position_embeddings=128, sliding_window=12, use_bidirectional_attention=True, query_pre_attn_scalar=16,
            layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"])
# "bias": 3 heads of 8 (24 wide) in a 48-wide model, o_proj mapping them back
SHAPES = {"gqa": {"num_key_value_heads": 1, "head_dim": 16}, "mha": {"num_key_value_heads": 3, "head_dim": 16, "rope_theta": 5000.0},
          "bias": {"num_key_value_heads": 1, "attention_bias": True, "head_dim": 8}}
LONG = "a page of text that runs on past the sliding window so that its far tokens cannot see each other " * 2


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory, "Gemma3Text", SHAPES, **TINY)


def inputs(folder) -> list[dict]:
    """reference_inputs without token_type_ids (Gemma3TextModel takes none), and a padded batch with a
    text past the window."""
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    plain = [{k: v for k, v in batch.items() if k != "token_type_ids"} for batch in reference_inputs(folder)]
    long = dict(tok([LONG, "short", TEXTS[0]], padding=True, return_tensors="pt"))
    return [long, *plain]


@pytest.mark.parametrize("shape", list(SHAPES))
def test_model_parity(models, shape, support):
    folder = models(shape, "Model")
    theirs = transformers.Gemma3TextModel.from_pretrained(folder).eval()
    assert theirs.config.sliding_window == leanpipe.AutoConfig.from_pretrained(folder).window()
    check_head_on_engines(folder, theirs, "AutoModel", inputs(folder), ("last_hidden_state",), f"gemma3/{shape}",
                          tuple_like_theirs=False)
    support("gemma3_text", "head", "base")


def test_feature_extraction_pipeline(models):
    folder = models("gqa", "Model")
    ours, theirs = leanpipe.pipeline("feature-extraction", model=folder), transformers.pipeline("feature-extraction", model=str(folder))
    for text in [LONG, *TEXTS[:3]]:
        assert_close(np.array(ours(text)), np.array(theirs(text)), ATOL, "gemma3 feature-extraction")


def test_sentence_transformer(models, tmp_path):
    """embeddinggemma's modules: Transformer, mean Pooling, Dense 48 -> 96 -> 48 without bias or activation,
    Normalize; leanpipe's SentenceTransformer and the sentence-embeddings pipeline as sentence-transformers'."""
    st = pytest.importorskip("sentence_transformers")
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling, Transformer

    body = Transformer(str(models("gqa", "Model")))
    torch.manual_seed(0)
    dense = [Dense(48, 96, bias=False, activation_function=torch.nn.Identity()),
             Dense(96, 48, bias=False, activation_function=torch.nn.Identity())]
    model = st.SentenceTransformer(modules=[body, Pooling(48, "mean"), *dense, Normalize()], device="cpu")
    model.save(str(tmp_path / "st"))
    texts = [LONG, *TEXTS[:6]]
    expected = st.SentenceTransformer(str(tmp_path / "st"), device="cpu").encode(texts, batch_size=4)
    got = leanpipe.SentenceTransformer(str(tmp_path / "st")).encode(texts, batch_size=4)
    assert got.shape == expected.shape == (len(texts), 48)
    assert_close(got, expected, ATOL, "gemma3 sentence-transformers")
    assert_close(leanpipe.pipeline("sentence-embeddings", model=tmp_path / "st").encode(texts), expected, ATOL, "pipeline")
    # padded on the left (as GemmaTokenizer pads): rotary positions leave the vectors as they are, so leanpipe takes it
    left = {"tokenizer_kwargs": {"padding_side": "left"}}
    expected = st.SentenceTransformer(str(tmp_path / "st"), device="cpu", **left).encode(texts, batch_size=4)
    assert_close(leanpipe.SentenceTransformer(str(tmp_path / "st"), **left).encode(texts, batch_size=4), expected, ATOL, "left")


# Gemma 3 as a language model (gemma-3-270m / 1b-shaped, causal) and its classifier; the global layers' rotary
# linearly scaled in one shape, as gemma-3-4b's and larger's are
CAUSAL = {"causal": {"num_key_value_heads": 1, "head_dim": 16},
          "causal-linear": {"num_key_value_heads": 3, "head_dim": 16, "rope_parameters": {
              "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1_000_000.0},
              "sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0}}}}


@pytest.fixture(scope="module")
def causal_models(tmp_path_factory):
    return tiny_models(tmp_path_factory, "Gemma3Text", CAUSAL, **{**TINY, "use_bidirectional_attention": False, "sliding_window": 6})


@pytest.mark.parametrize("shape,head", [("causal", "Model"), ("causal", "ForSequenceClassification"), ("causal-linear", "Model")])
def test_causal_parity(causal_models, shape, head, support):
    """The causal model (a sliding layer's query sees its own key and the 5 before it) and
    Gemma3TextForSequenceClassification (the last non-pad token), padded on the right and on the left."""
    from family_checks import check_head_on_engines
    from test_qwen3 import AUTO, inputs as padded_both_sides

    folder = causal_models(shape, head)
    auto, name, keys = AUTO[head]
    theirs = getattr(transformers, f"Gemma3Text{head}").from_pretrained(folder).eval()
    check_head_on_engines(folder, theirs, auto, padded_both_sides(folder), keys, f"gemma3-causal/{shape}/{head}")
    support("gemma3_text", "head", name)


def test_config_defaults():
    check_config_defaults("Gemma3TextConfig")


@pytest.fixture(scope="module")
def gemma_tokenizer(tmp_path_factory):
    """A small byte-fallback BPE built and saved by transformers' GemmaTokenizer (vocab and merges trained
    on the test corpus), under a gemma3_text config; and a copy whose tokenizer.json adds <bos> / <eos>,
    as google/embeddinggemma-300m's does."""
    import json

    from tokenizers import Tokenizer, models as tok_models, normalizers, processors, trainers

    trained = Tokenizer(tok_models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    trained.normalizer = normalizers.Replace(" ", "▁")
    trained.train_from_iterator(TEXTS * 3, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"], show_progress=False))
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in json.loads(trained.to_str())["model"]["merges"]]
    plain, framed = tmp_path_factory.mktemp("gemma_tok"), tmp_path_factory.mktemp("gemma_tok_bos")
    transformers.GemmaTokenizer(vocab=trained.get_vocab(), merges=merges).save_pretrained(plain)
    transformers.Gemma3TextConfig(**TINY, vocab_size=400).save_pretrained(plain)
    saved = Tokenizer.from_file(str(plain / "tokenizer.json"))
    saved.post_processor = processors.TemplateProcessing(single="<bos> $A <eos>", pair="<bos> $A <eos> $B <eos>",
                                                         special_tokens=[("<bos>", 2), ("<eos>", 1)])
    for name in ("tokenizer_config.json", "config.json"):
        (framed / name).write_text((plain / name).read_text())
    saved.save(str(framed / "tokenizer.json"))
    return plain, framed


@pytest.mark.parametrize("kind", ["plain", "bos-eos"])
def test_tokenizer(gemma_tokenizer, kind, support):
    """model_type gemma3_text gives GemmaTokenizer: tokenizer.json's ids, offsets and special tokens as
    transformers', padded on the left as its class pads."""
    from family_checks import assert_same_encoding

    folder = gemma_tokenizer[kind == "bos-eos"]
    ours, theirs = leanpipe.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    assert type(ours).__name__ == type(theirs).__name__ == "GemmaTokenizer"
    assert ours.padding_side == theirs.padding_side == "left"
    options = dict(return_offsets_mapping=True, padding=True)
    assert_same_encoding(ours(TEXTS[:8], **options), theirs(TEXTS[:8], **options), f"gemma {kind}")
    assert ours.decode(ours(TEXTS[0])["input_ids"]) == theirs.decode(theirs(TEXTS[0])["input_ids"])
    ids = ours(TEXTS[0])["input_ids"]
    assert (ids[0], ids[-1]) == (2, 1) if kind == "bos-eos" else 2 not in ids  # the file's post-processor decides
    support("gemma3_text", "tokenizer", "tokenizer.json")


def test_causal_config_variants(tmp_path):
    """What transformers runs, leanpipe loads alike: use_bidirectional_attention null (causal), a
    final_logit_softcapping (the LM head's, unused by the base model and classifier), and a llama3 rotary scaling on
    the global layers without original_max_position_embeddings (max_position_embeddings then)."""
    import json

    base = transformers.Gemma3TextConfig(**{**TINY, **CAUSAL["causal"], "use_bidirectional_attention": False}).to_dict()
    llama3 = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "rope_theta": 1_000_000.0}
    for name, changes in {"null": {"use_bidirectional_attention": None}, "softcap": {"final_logit_softcapping": 30.0},
                          "llama3": {"rope_parameters": {**base["rope_parameters"], "full_attention": llama3}}}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(json.dumps({**base, **changes}))
        ours, theirs = leanpipe.AutoConfig.from_pretrained(tmp_path / name), transformers.AutoConfig.from_pretrained(tmp_path / name)
        assert ours.window() == theirs.sliding_window, name
        assert ours.rope_parameters == theirs.rope_parameters, name
