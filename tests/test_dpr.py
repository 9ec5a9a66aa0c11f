"""DPR (model_type "dpr") against transformers 5.2 on the same files.

Tiny random DPRQuestionEncoder and DPRContextEncoder checkpoints, perturbed so a wrong term shows, under
MiniLM's WordPiece tokenizer, without and with a projection (projection_dim). pooler_output within 1e-4
(max abs printed) on both engines; hidden states, attentions, num_parameters, AutoModel, the tokenizer
and the feature-extraction pipeline as transformers'. A tiny DPRReader: span and relevance logits on both
engines, DPRReaderTokenizer's rows and decode_best_spans' spans as transformers'."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from conftest import assert_close  # noqa: E402
from corpus import TEXTS  # noqa: E402
from family_checks import ATOL, PARITY_MARKS, assert_same_encoding, check_head_on_engines, plain  # noqa: E402
from tiny_families import check_config_defaults, reference_inputs, tiny_models  # noqa: E402

pytestmark = PARITY_MARKS
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, max_position_embeddings=128)
SHAPES = {"plain": {}, "projected": {"projection_dim": 24}}
ENCODERS = ("QuestionEncoder", "ContextEncoder")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return tiny_models(tmp_path_factory, "DPR", SHAPES, **TINY)


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_encoder_parity(models, shape, encoder, support):
    folder = models(shape, encoder)
    theirs = getattr(transformers, f"DPR{encoder}").from_pretrained(folder).eval()
    # tuple_like_theirs: with return_dict=False transformers 5.2's DPR encoders drop the hidden states (DPREncoder
    # takes BertModel's pooler-less tuple as one item longer than it is); leanpipe's tuple keeps them
    check_head_on_engines(folder, theirs, f"DPR{encoder}", reference_inputs(folder), ("pooler_output",), f"dpr/{shape}/{encoder}",
                          tuple_like_theirs=False)
    with torch.no_grad():
        first = theirs(**reference_inputs(folder)[0], return_dict=False)[0].numpy()
    assert_close(getattr(leanpipe, f"DPR{encoder}").from_pretrained(folder)(**{k: v.numpy() for k, v in reference_inputs(folder)[0].items()},
                                                                          return_dict=False)[0], first, ATOL, "return_dict=False [0]")
    support("dpr", "head", "base")


def test_auto_model_is_the_question_encoder(models):
    """AutoModel reads model_type dpr as transformers does: DPRQuestionEncoder. A context encoder's
    checkpoint holds its weights under ctx_encoder.: refused, naming what it found."""
    ours = leanpipe.AutoModel.from_pretrained(models("plain", "QuestionEncoder"))
    assert type(ours).__name__ == type(transformers.AutoModel.from_pretrained(models("plain", "QuestionEncoder"))).__name__
    with pytest.raises(leanpipe.CheckpointError, match=r"ctx_encoder.*load it with leanpipe.DPRContextEncoder.from_pretrained"):
        leanpipe.AutoModel.from_pretrained(models("plain", "ContextEncoder"))
    with pytest.raises(leanpipe.CheckpointError, match=r"load it with leanpipe.DPRQuestionEncoder.from_pretrained"):
        leanpipe.DPRContextEncoder.from_pretrained(models("plain", "QuestionEncoder"))


def test_feature_extraction_pipeline(models):
    """transformers' pipeline returns the model's first output, pooler_output: (1, H) per text."""
    folder = models("projected", "QuestionEncoder")
    ours, theirs = leanpipe.pipeline("feature-extraction", model=folder), transformers.pipeline("feature-extraction", model=str(folder))
    for text in TEXTS[:4]:
        got, expected = np.array(ours(text)), np.array(theirs(text))
        assert got.shape == expected.shape == (1, 24)
        assert_close(got, expected, ATOL, "dpr feature-extraction")
    untasked = leanpipe.pipeline(model=str(folder))  # config.json's architectures: DPRQuestionEncoder
    assert untasked.task == "feature-extraction" and np.array_equal(np.array(untasked(TEXTS[0])), np.array(ours(TEXTS[0])))


def test_tokenizer_under_dpr_names(models, tmp_path, support):
    """tokenizer_config.json naming DPRQuestionEncoderTokenizer (model_type dpr picks it too): BERT's
    WordPiece with do_lower_case as the file says, from tokenizer.json or vocab.txt alone, ids and offsets
    as transformers' BertTokenizer gives them. transformers 5.2's DPR classes drop do_lower_case (their
    __init__ keeps it from BertTokenizer's), so with the uncased vocabulary of the released checkpoints
    "I" becomes [UNK] there; leanpipe lowercases, as those models were trained and transformers 4 did."""
    source = models("plain", "QuestionEncoder")
    for files in ("tokenizer.json", "vocab.txt"):
        folder = tmp_path / files
        shutil.copytree(source, folder)
        settings = json.loads((folder / "tokenizer_config.json").read_text())
        assert settings["do_lower_case"] is True
        (folder / "tokenizer_config.json").write_text(json.dumps({**settings, "tokenizer_class": "DPRQuestionEncoderTokenizer"}))
        if files == "vocab.txt":
            (folder / "tokenizer.json").unlink()
        ours = leanpipe.AutoTokenizer.from_pretrained(folder)
        bert = transformers.BertTokenizer.from_pretrained(folder)
        options = dict(return_offsets_mapping=True, padding=True)
        assert_same_encoding(ours(TEXTS[:8], **options), bert(TEXTS[:8], **options), f"dpr {files}")
        unk = transformers.AutoTokenizer.from_pretrained(folder)("I agree")["input_ids"][1]
        assert unk == 100 and ours("I agree")["input_ids"][1] == bert.convert_tokens_to_ids("i"), "transformers 5.2's DPR class"
        support("dpr", "tokenizer", files)


def test_config_defaults():
    check_config_defaults("DPRConfig")


# DPRReader: question + passages in, span and relevance logits out; transformers' DPRReaderTokenizer builds
# the rows and reads the spans back. Lowercase texts: transformers 5.2's DPR tokenizer classes do not
# lowercase (see test_tokenizer_under_dpr_names), leanpipe's do, as the files say.
QUESTION = "what is love ?"
TITLES = ["haddaway", "the cat", "baby don't hurt me"]
PASSAGES = ["'what is love' is a song recorded by the artist haddaway in 1993, a hit across europe.",
            "the cat sat on the mat and then it slept all afternoon.",
            "a dance track built on a four-chord progression, played in clubs for decades."]
SPAN_FIELDS = ("start_logits", "end_logits", "relevance_logits")


def reader_inputs(tok, **options):
    return tok(questions=QUESTION, titles=TITLES, texts=PASSAGES, **options)


@pytest.fixture(scope="module")
def reader(models):
    return models("plain", "Reader")


def test_reader_parity(reader):
    """span and relevance logits within 1e-4 on both engines, on the reader tokenizer's rows and on padded
    texts and pairs (whose token_type_ids DPRReader ignores: its forward takes none), with hidden states
    and attentions."""
    theirs = transformers.DPRReader.from_pretrained(reader).eval()
    rows = dict(transformers.DPRReaderTokenizer.from_pretrained(reader)(
        questions=QUESTION, titles=TITLES, texts=PASSAGES, padding=True, return_tensors="pt"))
    check_head_on_engines(reader, theirs, "DPRReader", [rows, *reference_inputs(reader)], SPAN_FIELDS, "dpr/reader",
                          tuple_like_theirs=False)


def test_reader_tokenizer(reader, tmp_path):
    """DPRReaderTokenizer's rows as transformers': [CLS] question [SEP] title [SEP] text, padded or not, cut
    at max_length, the question repeated or one per passage; only questions (or one of titles / texts) as
    BertTokenizer; no token_type_ids."""
    ours, theirs = leanpipe.DPRReaderTokenizer.from_pretrained(reader), transformers.DPRReaderTokenizer.from_pretrained(reader)
    calls = [dict(), dict(padding=True), dict(padding="max_length", max_length=40), dict(truncation=True, max_length=20),
             dict(truncation=True, max_length=20, padding=True, return_tensors="np"), dict(padding=True, return_attention_mask=False)]
    for options in calls:
        got, expected = reader_inputs(ours, **options), reader_inputs(theirs, **options)
        assert list(got.keys()) == list(expected.keys()) == ["input_ids", "attention_mask"], options
        for key in expected:
            assert plain(got[key]) == plain(expected[key]), (options, key)
    questions = [QUESTION, "who sang it ?", "what did the cat do ?"]
    both = [t(questions=questions, titles=TITLES, texts=PASSAGES, padding=True)["input_ids"] for t in (ours, theirs)]
    assert both[0] == both[1]
    assert ours(QUESTION)["input_ids"] == theirs(QUESTION)["input_ids"]
    assert ours(questions=QUESTION, texts=PASSAGES[0])["input_ids"] == theirs(questions=QUESTION, texts=PASSAGES[0])["input_ids"]
    named = tmp_path / "named"
    shutil.copytree(reader, named)
    settings = json.loads((named / "tokenizer_config.json").read_text())
    (named / "tokenizer_config.json").write_text(json.dumps({**settings, "tokenizer_class": "DPRReaderTokenizer"}))
    # tokenizer_config.json naming the class: with tokenizer.json both libraries load that file as it is (its class
    # is not model_type dpr's), from vocab.txt alone both build a DPRReaderTokenizer
    assert type(leanpipe.AutoTokenizer.from_pretrained(named)).__name__ == "PreTrainedTokenizerFast"
    assert type(transformers.AutoTokenizer.from_pretrained(named)).__name__ == "TokenizersBackend"
    (named / "tokenizer.json").unlink()
    auto, their_auto = leanpipe.AutoTokenizer.from_pretrained(named), transformers.AutoTokenizer.from_pretrained(named)
    assert type(auto).__name__ == type(their_auto).__name__ == "DPRReaderTokenizer"
    assert plain(reader_inputs(auto, padding=True)["input_ids"]) == plain(reader_inputs(their_auto, padding=True)["input_ids"])
    # transformers 5.2's class drops do_lower_case: "Who" is [UNK] there under the uncased vocabulary
    assert their_auto(questions="Who?", titles=["a"], texts=["b"])["input_ids"][0][1] == their_auto.unk_token_id
    assert auto(questions="Who?", titles=["a"], texts=["b"])["input_ids"][0][1] == auto.convert_tokens_to_ids("who")
    with pytest.raises(leanpipe.InputError, match="one title per text"):
        ours(questions=QUESTION, titles=TITLES[:2], texts=PASSAGES)
    with pytest.raises(leanpipe.InputError, match="one question per passage"):
        ours(questions=questions[:2], titles=TITLES, texts=PASSAGES)
    with pytest.raises(leanpipe.InputError, match="give the question"):
        ours(titles=TITLES, texts=PASSAGES)


def test_decode_best_spans(reader):
    """The same spans (passage, start, end, text) as transformers' decode_best_spans on each library's own
    inputs and outputs, scores within 1e-4, under its options; from a ModelOutput, a return_dict=False
    tuple, torch tensors or Python lists."""
    ours_tok, their_tok = leanpipe.DPRReaderTokenizer.from_pretrained(reader), transformers.DPRReaderTokenizer.from_pretrained(reader)
    ours_in, their_in = reader_inputs(ours_tok, padding=True, return_tensors="np"), reader_inputs(their_tok, padding=True, return_tensors="pt")
    model = leanpipe.DPRReader.from_pretrained(reader)
    ours_out = model(**ours_in)
    with torch.no_grad():
        their_out = transformers.DPRReader.from_pretrained(reader).eval()(**their_in)
    for options in (dict(), dict(num_spans=3), dict(max_answer_length=2, num_spans_per_passage=6), dict(num_spans_per_passage=1)):
        got, expected = ours_tok.decode_best_spans(ours_in, ours_out, **options), their_tok.decode_best_spans(their_in, their_out, **options)
        assert [(s.doc_id, s.start_index, s.end_index, s.text) for s in got] == \
               [(s.doc_id, s.start_index, s.end_index, s.text) for s in expected], options
        for mine, ref in zip(got, expected):
            assert abs(mine.span_score - float(ref.span_score)) < ATOL and abs(mine.relevance_score - float(ref.relevance_score)) < ATOL
        assert len(got) > 1
    spans = ours_tok.decode_best_spans(ours_in, ours_out)
    as_lists = {k: v.tolist() for k, v in ours_in.items()}
    assert ours_tok.decode_best_spans(as_lists, model(**ours_in, return_dict=False)) == spans
    assert ours_tok.decode_best_spans(their_in, model(**their_in)) == spans  # torch in, torch out


def test_reader_refusals(reader, models, tmp_path):
    """A reader checkpoint under AutoModel names DPRReader; a question encoder's under DPRReader names its class;
    a projection other than the hidden size is refused at load (transformers fails on it at the first call);
    the pipeline, with no task it can run, says what to use."""
    with pytest.raises(leanpipe.CheckpointError, match=r"span_predictor.*load it with leanpipe.DPRReader.from_pretrained"):
        leanpipe.AutoModel.from_pretrained(reader)
    with pytest.raises(leanpipe.CheckpointError, match=r"load it with leanpipe.DPRQuestionEncoder.from_pretrained"):
        leanpipe.DPRReader.from_pretrained(models("plain", "QuestionEncoder"))
    with pytest.raises(leanpipe.ConfigError, match="projection_dim"):
        leanpipe.DPRReader.from_pretrained(reader, projection_dim=24)
    with pytest.raises(leanpipe.InputError, match="is a DPRReader.*decode_best_spans"):
        leanpipe.pipeline(model=str(reader))
