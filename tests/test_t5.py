"""T5's encoder (model_type "t5": T5EncoderModel, T5ForTokenClassification, and what
sentence-transformers builds on it, as in gtr-t5-base) against transformers 5.2 and
sentence-transformers 6.3 on the same files.

Five tiny random shapes: "t5" (ReLU FFN, t5-base's 32 buckets up to 128 apart), "v1.1" (gated-gelu
FFN, as T5 v1.1 / flan-t5), "near" (16 buckets up to 20 apart, so the test texts reach past the
largest bucket), "mt5" (model_type mt5: MT5EncoderModel, MT5ForTokenClassification) and "umt5"
(model_type umt5: a position-bias table in every layer). The tokenizer is a SentencePiece Unigram trained here (pad 0, </s> 1, <unk> 2, five
<extra_id_N>): spiece.model alone, transformers 5.2's tokenizer.json, and a transformers-4-style
hub tokenizer.json with the NFKC normalizer transformers 5.2 leaves out. Outputs within 1e-4 (max abs, printed) on
both engines, each text alone and in a padded batch.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from conftest import assert_close  # noqa: E402
from corpus import PAIRS, TEXTS  # noqa: E402
from family_checks import ATOL, ENGINES, PARITY_MARKS, PIPELINE_TEXTS, compare_texts_and_batch, int8_test, reference_and_ours, same  # noqa: E402
from family_fixtures import NER_LABELS, TRAIN  # noqa: E402

pytestmark = PARITY_MARKS
# decoder_start_token_id: hub T5 configs have it (transformers' T5Config does not default it); a deeper decoder
TINY = dict(d_model=32, d_kv=8, d_ff=37, num_layers=2, num_decoder_layers=3, num_heads=4, decoder_start_token_id=0)
SHAPES = {
    "t5": {},
    "v1.1": {"feed_forward_proj": "gated-gelu", "num_heads": 3, "d_kv": 12, "num_layers": 3},
    "near": {"relative_attention_num_buckets": 16, "relative_attention_max_distance": 20},
    "mt5": {"feed_forward_proj": "gated-gelu", "d_ff": 29},  # model_type mt5: MT5Config, MT5EncoderModel, ...
    # model_type umt5: a position-bias table per layer; few buckets, so the tables differ where the texts reach
    "umt5": {"feed_forward_proj": "gated-gelu", "num_layers": 3, "relative_attention_num_buckets": 8,
             "relative_attention_max_distance": 12},
}
PREFIXES = {"mt5": "MT5", "umt5": "UMT5"}  # the shape's transformers class-name prefix, where not T5
HEADS = ("EncoderModel", "ForTokenClassification", "ForSequenceClassification", "ForQuestionAnswering")
HEAD_NAMES = {"EncoderModel": "base", "ForTokenClassification": "token-classification",
              "ForSequenceClassification": "sequence-classification", "ForQuestionAnswering": "question-answering"}
AUTO = {"EncoderModel": "AutoModel", **{h: f"AutoModel{h}" for h in HEADS[1:]}}
KEYS = {"EncoderModel": ("last_hidden_state",), "ForTokenClassification": ("logits",),
        "ForSequenceClassification": ("logits",), "ForQuestionAnswering": ("start_logits", "end_logits")}
LABELS = {"ForTokenClassification": NER_LABELS, "ForSequenceClassification": {0: "negative", 1: "neutral", 2: "positive"}}
LONG = " ".join(["the quick brown fox jumps over the lazy dog"] * 16)  # ~160 tokens: offsets past 128


@pytest.fixture(scope="module")
def tokenizer_folders(tmp_path_factory):
    """Three layouts of one SentencePiece Unigram trained here: "spiece" (spiece.model and
    tokenizer_config.json only), "json" (what transformers 5.2's T5Tokenizer saves from it) and "hub"
    (tokenizer.json as transformers 4's T5Converter wrote it for t5-base and friends: the model's
    precompiled NFKC normalizer, which transformers 5.2 does not apply, and a v4 tokenizer_config.json)."""
    import json
    from types import SimpleNamespace

    import sentencepiece as spm
    from transformers.convert_slow_tokenizer import T5Converter

    root = tmp_path_factory.mktemp("t5-tokenizer")
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(TRAIN), model_writer=buffer, model_type="unigram", vocab_size=160,
                                   character_coverage=1.0, hard_vocab_limit=False, minloglevel=2, num_threads=1,
                                   pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    folders = {name: root / name for name in ("spiece", "json", "hub")}
    for folder in folders.values():
        folder.mkdir()
    (folders["spiece"] / "spiece.model").write_bytes(buffer.getvalue())
    (folders["spiece"] / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "T5Tokenizer", "extra_ids": 5}))
    transformers.T5Tokenizer.from_pretrained(folders["spiece"]).save_pretrained(folders["json"])
    slow = SimpleNamespace(vocab_file=str(folders["spiece"] / "spiece.model"), _extra_ids=5, eos_token_id=1,
                           convert_tokens_to_ids=lambda token: 1, get_vocab=dict)
    T5Converter(slow).converted().save(str(folders["hub"] / "tokenizer.json"))
    sentinels = [f"<extra_id_{i}>" for i in range(5)]
    (folders["hub"] / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "T5Tokenizer", "extra_ids": 5, "additional_special_tokens": sentinels, "eos_token": "</s>",
         "unk_token": "<unk>", "pad_token": "<pad>", "model_max_length": 512}))
    return folders


@pytest.fixture(scope="module")
def tokenizer_folder(tokenizer_folders):
    return tokenizer_folders["json"]


@pytest.fixture(scope="module")
def models(tmp_path_factory, tokenizer_folder):
    """models(shape, head) -> a folder with a seeded random checkpoint (norms perturbed) and tokenizer.json."""
    root, built = tmp_path_factory.mktemp("t5-models"), {}

    def build(shape: str, head: str):
        if (shape, head) not in built:
            folder = root / f"{shape}-{head}"
            tokenizer = transformers.AutoTokenizer.from_pretrained(tokenizer_folder)
            torch.manual_seed(0)
            prefix = PREFIXES.get(shape, "T5")
            labels = LABELS.get(head, {0: "LABEL_0", 1: "LABEL_1"})  # question answering: two columns, start and end
            config = getattr(transformers, f"{prefix}Config")(**{**TINY, **SHAPES[shape]}, vocab_size=len(tokenizer),
                                                              id2label=labels, label2id={v: k for k, v in labels.items()})
            model = getattr(transformers, f"{prefix}{head}")(config).eval()
            with torch.no_grad():
                for p in model.parameters():
                    p.add_(torch.randn_like(p) * (0.2 if p.dim() == 1 else 0.05))
            model.save_pretrained(folder)
            tokenizer.save_pretrained(folder)
            built[shape, head] = folder
        return built[shape, head]

    return build


@pytest.mark.parametrize("kind", ["json", "hub", "spiece"])
def test_tokenizer_matches_transformers(tokenizer_folders, kind, support):
    """Ids, decoding and pairs as transformers 5.2's T5Tokenizer, on texts that an NFKC normalizer
    would change (full-width letters, ligatures, compatibility characters) and with the sentinels."""
    folder = tokenizer_folders[kind]
    ours, theirs = leanpipe.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    assert isinstance(ours, leanpipe.T5Tokenizer) and leanpipe.T5TokenizerFast is leanpipe.T5Tokenizer
    assert len(ours) == len(theirs)
    odd = ["ＡＢＣ ﬁne café", "Ⅻ ½ ㎏", "x<extra_id_0>y <extra_id_4>", "</s> <pad> <unk>", "  two  spaces\tand a tab"]
    for text in [*TEXTS, LONG, *odd]:
        assert ours(text)["input_ids"] == theirs(text)["input_ids"], text
        assert ours.decode(ours(text)["input_ids"]) == theirs.decode(theirs(text)["input_ids"]), text
        assert ours.decode(ours(text)["input_ids"], skip_special_tokens=True) == theirs.decode(
            theirs(text)["input_ids"], skip_special_tokens=True), text
    for a, b in PAIRS:
        assert ours(a, b, truncation=True, max_length=40)["input_ids"] == theirs(a, b, truncation=True, max_length=40)["input_ids"]
    for family in ("t5", "mt5", "umt5"):  # mT5's and UMT5's tokenizer class is T5Tokenizer
        support(family, "tokenizer", "spiece.model" if kind == "spiece" else "tokenizer.json")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_model_matches_transformers(models, shape, head, engine, support):
    """Each text alone, and a padded batch (compared on the real tokens); hidden_states too for the encoder."""
    folder = models(shape, head)
    theirs, ours, tokenizer = reference_and_ours(PREFIXES.get(shape, "T5"), head, AUTO[head], folder, engine)
    texts = [t for t in TEXTS if t.strip()][:6] + [LONG]
    got, expected, real = compare_texts_and_batch(theirs, ours, tokenizer, texts, KEYS[head], f"{shape}/{head}/{engine}",
                                                  output_hidden_states=head == "EncoderModel")
    if head == "EncoderModel":
        assert len(got.hidden_states) == len(expected.hidden_states) == theirs.config.num_layers + 1
        for i, (mine, ref) in enumerate(zip(got.hidden_states, expected.hidden_states)):
            assert_close(np.asarray(mine)[real], ref.numpy()[real], ATOL, f"{shape}/{engine} hidden_states[{i}]")
    support(shape if shape in PREFIXES else "t5", "head", HEAD_NAMES[head])


def test_encoder_decoder_checkpoints_load_as_the_encoder(models, tmp_path, caplog):
    """t5-base's own files are T5ForConditionalGeneration's (shared, encoder, decoder, lm_head):
    leanpipe's AutoModel reads the encoder from them, as transformers' T5EncoderModel does, and reports
    nothing unused; transformers' AutoModel would build the encoder-decoder T5Model, which needs
    decoder_input_ids."""
    import logging

    torch.manual_seed(1)
    config = transformers.T5Config.from_pretrained(models("t5", "EncoderModel"))
    transformers.T5ForConditionalGeneration(config).eval().save_pretrained(tmp_path / "seq2seq")
    tokenizer = transformers.AutoTokenizer.from_pretrained(models("t5", "EncoderModel"))
    batch = tokenizer(PIPELINE_TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = transformers.T5EncoderModel.from_pretrained(tmp_path / "seq2seq").eval()(**batch).last_hidden_state.numpy()
    with caplog.at_level(logging.WARNING, logger="leanpipe"):
        ours = leanpipe.AutoModel.from_pretrained(tmp_path / "seq2seq")
    assert "not used" not in caplog.text, caplog.text
    assert type(ours).__name__ == "T5EncoderModel"
    real = batch["attention_mask"].numpy() == 1
    assert_close(ours(**{k: v.numpy() for k, v in batch.items()}).last_hidden_state[real], expected[real], ATOL, "seq2seq files")


@pytest.mark.parametrize("strategy", ["none", "simple", "first", "max", "average"])
def test_token_classification_pipeline_matches_transformers(models, strategy):
    folder = models("v1.1", "ForTokenClassification")
    ours = leanpipe.pipeline("token-classification", model=folder, aggregation_strategy=strategy)
    theirs = transformers.pipeline("token-classification", model=str(folder), aggregation_strategy=strategy)
    same(ours(PIPELINE_TEXTS), theirs(PIPELINE_TEXTS), f"ner {strategy}")


def test_sentence_transformers_t5_checkpoint(models, tmp_path):
    """gtr-t5-base's layout, saved by sentence-transformers: T5EncoderModel, mean pooling, a Dense
    module without bias or activation, Normalize. leanpipe's vectors and similarities match."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling, Transformer

    encoder = Transformer(str(models("v1.1", "EncoderModel")), max_seq_length=64)
    torch.manual_seed(2)
    dense = Dense(32, 16, bias=False, activation_function=torch.nn.Identity())
    reference = SentenceTransformer(modules=[encoder, Pooling(32, "mean"), dense, Normalize()], device="cpu")
    reference.save(str(tmp_path / "gtr"))
    reference = SentenceTransformer(str(tmp_path / "gtr"), device="cpu")
    texts = [t for t in TEXTS if t.strip()] + [LONG]
    expected = reference.encode(texts, batch_size=4, convert_to_numpy=True)
    got = leanpipe.SentenceTransformer(str(tmp_path / "gtr")).encode(texts)
    assert got.shape == (len(texts), 16)
    assert_close(got, expected, ATOL, "gtr-like sentence vectors")
    pipe = leanpipe.pipeline("sentence-similarity", model=tmp_path / "gtr")
    scores = pipe({"source_sentence": texts[0], "sentences": texts[1:]})
    np.testing.assert_allclose(scores, expected[1:] @ expected[0], atol=ATOL)
    pytest.importorskip("starlette")
    from leanpipe.server import create_app

    service = create_app(tmp_path / "gtr", "sentence-embeddings").state.service  # TEI's /info: T5 has no position table
    assert service.info()["max_input_length"] == leanpipe.AutoTokenizer.from_pretrained(tmp_path / "gtr").model_max_length
    assert_close(np.asarray(service.pipe(texts, return_tensors=True)), expected, ATOL, "the server's pipeline")


def test_feature_extraction_gives_the_encoders_states(models):
    """transformers' feature-extraction pipeline on a T5 checkpoint builds T5Model and fails for want of
    decoder inputs; leanpipe's gives the encoder's last hidden state, as T5EncoderModel computes it."""
    folder = models("t5", "EncoderModel")
    theirs = transformers.T5EncoderModel.from_pretrained(folder).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    got = leanpipe.pipeline("feature-extraction", model=folder)(PIPELINE_TEXTS[0])
    with torch.no_grad():
        expected = theirs(**tokenizer(PIPELINE_TEXTS[0], return_tensors="pt")).last_hidden_state.numpy()
    assert_close(np.asarray(got), expected, ATOL, "feature-extraction")


test_int8_runs_near_fp32 = int8_test(["t5", "v1.1", "mt5", "umt5"], HEADS[:2], auto=AUTO)  # the encoder heads


def test_classifier_and_span_pipelines_match_transformers(models):
    """text-classification reads the decoder's row at each text's last </s>; question-answering the
    decoder's start / end logits, as transformers' pipelines do with the same checkpoints."""
    for shape in ("v1.1", "umt5"):
        ours, theirs = (lib.pipeline("text-classification", model=str(models(shape, "ForSequenceClassification")))
                        for lib in (leanpipe, transformers))
        same(ours(PIPELINE_TEXTS, top_k=None), theirs(PIPELINE_TEXTS, top_k=None), f"{shape} text-classification")
        ours, theirs = (lib.pipeline("question-answering", model=str(models(shape, "ForQuestionAnswering")))
                        for lib in (leanpipe, transformers))
        question, context = "Who wrote the book?", "The book was written by Ann Smith in Paris, a long time ago."
        same(ours(question=question, context=context, top_k=3), theirs(question=question, context=context, top_k=3),
             f"{shape} question-answering")


def test_encoder_decoder_heads_refuse_what_they_cannot_do(models, tmp_path):
    """Ids with no </s> for the classifier, recorded hidden states (transformers splits them into
    encoder and decoder parts), and a config.json without decoder_start_token_id: each refused with the fix."""
    import json
    import shutil

    from leanpipe.errors import ConfigError, InputError

    folder = models("t5", "ForSequenceClassification")
    model = leanpipe.AutoModelForSequenceClassification.from_pretrained(folder)
    with pytest.raises(InputError, match="last </s>.*text 1 has none"):
        model(input_ids=[[5, 6, 1], [5, 6, 7]])
    with pytest.raises(InputError, match="not supported for T5's encoder-decoder heads"):
        model(input_ids=[[5, 6, 1]], output_hidden_states=True)
    pytest.importorskip("onnx")
    with pytest.raises(InputError, match="int8' is not offered for T5's encoder-decoder heads"):
        leanpipe.AutoModelForQuestionAnswering.from_pretrained(models("t5", "ForQuestionAnswering"), quantize="int8")
    shutil.copytree(folder, tmp_path / "no-start")
    config = json.loads((tmp_path / "no-start" / "config.json").read_text())
    del config["decoder_start_token_id"]
    (tmp_path / "no-start" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match='"decoder_start_token_id": 0'):
        leanpipe.AutoModelForSequenceClassification.from_pretrained(tmp_path / "no-start")
