"""BART (model_type "bart": facebook/bart-large-mnli, transformers' zero-shot default) against
transformers 5.2 on the same files.

Two tiny random shapes, each with the heads leanpipe runs for BART (BartModel,
BartForSequenceClassification, BartForQuestionAnswering, and BartForConditionalGeneration's logits,
what fill-mask reads): "large" as bart-large (GELU, unscaled
embeddings) and "scaled" (scale_embedding, ReLU, one decoder layer under three encoder layers as in
valhalla/distilbart-mnli-12-1, the decoder with other heads and FFN width than the encoder). The tokenizer is a byte-level BPE trained here, saved as vocab.json + merges.txt
(the older files) and as transformers' tokenizer.json. Outputs within 1e-4 (max abs, printed) on
both engines, each text alone and in a padded batch; output_hidden_states / output_attentions give
transformers' encoder_, decoder_ and cross_ fields (against its eager attention, use_cache=False) within
1e-4 on a padded batch; pipelines give transformers' answers.
"""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from conftest import assert_close  # noqa: E402
from corpus import PAIRS, TEXTS  # noqa: E402
from family_checks import (ATOL, ENGINES, PARITY_MARKS, PIPELINE_TEXTS, check_seq2seq_records,  # noqa: E402
                           compare_texts_and_batch, int8_test, plain, reference_and_ours, same, same_tensors)
from family_fixtures import TRAIN  # noqa: E402
from leanpipe.errors import InputError  # noqa: E402

pytestmark = PARITY_MARKS
TINY = dict(d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4,
            encoder_ffn_dim=37, decoder_ffn_dim=37, max_position_embeddings=128)
SHAPES = {
    "large": {},
    # distilbart-mnli's layout (12 encoder layers, 1 decoder layer) in small, with other switches
    "scaled": {"scale_embedding": True, "activation_function": "relu", "decoder_attention_heads": 2, "decoder_ffn_dim": 29,
               "encoder_layers": 3, "decoder_layers": 1},
}
HEADS = ("Model", "ForSequenceClassification", "ForQuestionAnswering", "ForConditionalGeneration")
HEAD_NAMES = {"Model": "base", "ForSequenceClassification": "sequence-classification",
              "ForQuestionAnswering": "question-answering", "ForConditionalGeneration": "masked-lm"}
AUTO = {"Model": "AutoModel", "ForSequenceClassification": "AutoModelForSequenceClassification",
        "ForQuestionAnswering": "AutoModelForQuestionAnswering", "ForConditionalGeneration": "AutoModelForMaskedLM"}
NLI_LABELS = {0: "contradiction", 1: "neutral", 2: "entailment"}  # bart-large-mnli's
KEYS = {"Model": ("last_hidden_state", "encoder_last_hidden_state"), "ForSequenceClassification": ("logits",),
        "ForQuestionAnswering": ("start_logits", "end_logits"), "ForConditionalGeneration": ("logits",)}


@pytest.fixture(scope="module")
def tokenizer_folders(tmp_path_factory):
    """"legacy": vocab.json + merges.txt and config.json; "json": what transformers saves from it."""
    from tokenizers import ByteLevelBPETokenizer

    root = tmp_path_factory.mktemp("bart-tokenizers")
    legacy, saved = root / "legacy", root / "json"
    legacy.mkdir()
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(TRAIN, vocab_size=420, min_frequency=1, show_progress=False,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.save_model(str(legacy))
    transformers.BartConfig(**TINY, vocab_size=bpe.get_vocab_size()).save_pretrained(legacy)
    transformers.AutoTokenizer.from_pretrained(legacy).save_pretrained(saved)
    shutil.copy(legacy / "config.json", saved / "config.json")
    return {"legacy": legacy, "json": saved}


@pytest.fixture(scope="module")
def models(tmp_path_factory, tokenizer_folders):
    """models(shape, head) -> a folder with a seeded random checkpoint (norms and biases perturbed, so
    none is the identity) and the tokenizer.json files."""
    root, built = tmp_path_factory.mktemp("bart-models"), {}

    def build(shape: str, head: str):
        if (shape, head) not in built:
            folder = root / f"{shape}-{head}"
            tokenizer = transformers.AutoTokenizer.from_pretrained(tokenizer_folders["json"])
            torch.manual_seed(0)
            config = transformers.BartConfig(**{**TINY, **SHAPES[shape]}, vocab_size=len(tokenizer), id2label=NLI_LABELS,
                                             label2id={v: k for k, v in NLI_LABELS.items()})
            model = getattr(transformers, f"Bart{head}")(config).eval()
            with torch.no_grad():
                for name, p in model.named_parameters():
                    if p.dim() == 1:
                        p.add_(torch.randn_like(p) * 0.2)
                if hasattr(model, "final_logits_bias"):  # a buffer, zeros at init
                    model.final_logits_bias.copy_(torch.randn_like(model.final_logits_bias))
            model.save_pretrained(folder)
            tokenizer.save_pretrained(folder)
            built[shape, head] = folder
        return built[shape, head]

    return build


# --- tokenizer -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["legacy", "json"])
def test_tokenizer_matches_transformers(tokenizer_folders, kind, support):
    folder = tokenizer_folders[kind]
    ours, theirs = leanpipe.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    assert isinstance(ours, leanpipe.BartTokenizer) and leanpipe.BartTokenizerFast is leanpipe.BartTokenizer
    for text in TEXTS:
        assert ours(text)["input_ids"] == theirs(text)["input_ids"], text
        assert plain(ours(text, return_offsets_mapping=True)["offset_mapping"]) == plain(
            theirs(text, return_offsets_mapping=True)["offset_mapping"]), text
    for a, b in PAIRS:
        assert ours(a, b, truncation=True, max_length=40)["input_ids"] == theirs(
            a, b, truncation=True, max_length=40)["input_ids"], (a, b)
    support("bart", "tokenizer", "tokenizer.json" if kind == "json" else "vocab.json + merges.txt")


# --- models ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_model_matches_transformers(models, shape, head, engine, support):
    """Each text alone, and a padded batch (per-token outputs compared on the real tokens)."""
    folder = models(shape, head)
    theirs, ours, tokenizer = reference_and_ours("Bart", head, AUTO[head], folder, engine)
    texts = [t for t in TEXTS if t.strip()][:8]
    compare_texts_and_batch(theirs, ours, tokenizer, texts, KEYS[head], f"{shape}/{head}/{engine}")
    support("bart", "head", HEAD_NAMES[head])


def test_hub_checkpoint_with_every_tied_table_loads_without_leftovers(models, tmp_path, caplog):
    """bart-large-mnli's file stores the token table three times (shared, encoder.embed_tokens,
    decoder.embed_tokens); transformers 5.2 saves `shared` alone. Both load, to the same logits, and
    no tensor is reported unused (nor fairseq's `version` leftovers, which transformers ignores)."""
    from safetensors.numpy import load_file, save_file

    folder = tmp_path / "hub-layout"
    shutil.copytree(models("large", "ForSequenceClassification"), folder)
    tensors = load_file(folder / "model.safetensors")
    for side in ("encoder", "decoder"):
        tensors[f"model.{side}.embed_tokens.weight"] = tensors["model.shared.weight"].copy()
        tensors[f"model.{side}.version"] = np.array([2.0], dtype=np.float32)  # fairseq's, in converted checkpoints
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    ids = [[0, 50, 60, 70, 2]]
    with caplog.at_level(logging.WARNING, logger="leanpipe"):
        got = leanpipe.AutoModelForSequenceClassification.from_pretrained(folder)(input_ids=ids).logits
    assert "not used" not in caplog.text, caplog.text
    expected = leanpipe.AutoModelForSequenceClassification.from_pretrained(models("large", "ForSequenceClassification"))(
        input_ids=ids).logits
    assert_close(got, expected, 0.0, "three tables vs shared alone")


def test_classifier_reads_each_texts_last_eos(models):
    """transformers reads the decoder's row at each text's last </s> (and wants the same number of
    them in every text of a batch); leanpipe refuses ids with no </s>, saying why, and gives a batch
    mixing one and several </s> what transformers gives each text alone; a text going on after its
    last </s> has that row see the keys up to it, as transformers."""
    folder = models("large", "ForSequenceClassification")
    theirs = transformers.BartForSequenceClassification.from_pretrained(folder).eval()
    with pytest.raises(InputError, match="last </s>.*text 1 has none"):
        leanpipe.AutoModelForSequenceClassification.from_pretrained(folder)(input_ids=[[0, 50, 2, 70], [0, 50, 60, 70]])
    rows = [[0, 50, 2, 2, 60, 2], [0, 50, 60, 70, 2, 1], [0, 2, 60, 2, 70, 80]]
    masks = [[1] * 6, [1] * 5 + [0], [1] * 6]
    with torch.no_grad():
        expected = np.concatenate([theirs(input_ids=torch.tensor([r[:sum(m)]])).logits.numpy() for r, m in zip(rows, masks)])
    for engine in ENGINES:
        ours = leanpipe.AutoModelForSequenceClassification.from_pretrained(folder, engine=engine)
        assert_close(ours(input_ids=rows, attention_mask=masks).logits, expected, ATOL, f"each text's last </s>, {engine}")
    ours, reference = leanpipe.pipeline("text-classification", model=folder), transformers.pipeline("text-classification", model=str(folder))
    mixed = ["A single text.", {"text": "A premise here.", "text_pair": "And its hypothesis."}, "Another one, a bit longer."]
    same([ours(x, top_k=None) for x in mixed], [reference(x, top_k=None) for x in mixed], "one at a time")
    same(ours(mixed, top_k=None), [reference(x, top_k=None) for x in mixed], "single texts and pairs in one batch")


def test_generation_is_refused_with_the_reason(models):
    model = leanpipe.BartForConditionalGeneration.from_pretrained(models("large", "ForConditionalGeneration"))
    assert model(input_ids=[[0, 50, 4, 2]]).logits.shape == (1, 4, model.config.vocab_size)
    with pytest.raises(InputError, match="does not generate text"):
        model.generate([[0, 50, 2]], max_length=20)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_hidden_states_and_attentions_match_transformers(models, shape, head, engine):
    """output_hidden_states / output_attentions (each and both) on a padded batch: transformers'
    Seq2Seq fields, encoder_hidden_states (embeddings + each encoder layer), decoder_hidden_states,
    encoder_attentions, decoder_attentions (causal), cross_attentions and encoder_last_hidden_state, in
    its order and in its return_dict=False tuple, every tensor within 1e-4 of its eager attention's."""
    folder = models(shape, head)
    ours = getattr(leanpipe, AUTO[head]).from_pretrained(folder, engine=engine)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    batch = dict(tokenizer([t for t in TEXTS if t.strip()][:6], return_tensors="pt", padding=True))
    assert (batch["attention_mask"] == 0).any(), "the batch must hold padding"
    worst = check_seq2seq_records(ours, folder, getattr(transformers, f"Bart{head}"), batch, f"{shape}/{head}/{engine}")
    print(f"{shape}/{head}/{engine}: max abs diff over every recorded tensor {worst:.2e}")
    got = ours(**batch, output_attentions=True)  # torch in, torch out: the tuples too
    assert all(isinstance(t, torch.Tensor) for t in got.cross_attentions), "torch inputs give torch tensors"
    assert len(got.decoder_attentions) == len(got.cross_attentions) == ours.config.decoder_layers


@pytest.mark.parametrize("engine", ENGINES)
def test_records_asked_for_in_from_pretrained_or_the_config(models, engine):
    """output_hidden_states / output_attentions in from_pretrained (or a config given to it) make every
    call return them, as transformers' config flags do; a call's own False turns them off."""
    folder = models("scaled", "ForSequenceClassification")
    batch = dict(transformers.AutoTokenizer.from_pretrained(folder)(["A short one.", "A second, longer text here."],
                                                                    return_tensors="pt", padding=True))
    arrays = {k: v.numpy() for k, v in batch.items()}
    theirs = transformers.BartForSequenceClassification.from_pretrained(
        folder, attn_implementation="eager", output_hidden_states=True, output_attentions=True).eval()
    with torch.no_grad():
        expected = theirs(**batch, use_cache=False)
    config = leanpipe.BartConfig.from_pretrained(folder, output_hidden_states=True, output_attentions=True)
    for ours in (leanpipe.AutoModelForSequenceClassification.from_pretrained(
            folder, engine=engine, output_hidden_states=True, output_attentions=True),
            leanpipe.AutoModelForSequenceClassification.from_pretrained(folder, engine=engine, config=config)):
        got = ours(**arrays)
        assert list(got) == list(expected.keys()), f"{list(got)} vs {list(expected.keys())}"
        for key in expected.keys():
            print(f"config flags/{engine} {key}: max abs diff {same_tensors(got[key], expected[key], key):.2e}")
        off = ours(**arrays, output_hidden_states=False, output_attentions=False)
        assert list(off) == ["logits"], list(off)
        assert_close(off.logits, expected.logits.numpy(), ATOL, "flags turned off per call")


def test_config_defaults_and_names_match_transformers():
    ours, theirs = leanpipe.BartConfig(), transformers.BartConfig()
    for key in ("d_model", "encoder_layers", "decoder_layers", "encoder_attention_heads", "decoder_ffn_dim", "vocab_size",
                "max_position_embeddings", "pad_token_id", "eos_token_id", "decoder_start_token_id", "scale_embedding",
                "activation_function", "num_labels", "hidden_size", "num_attention_heads", "num_hidden_layers"):
        assert getattr(ours, key) == getattr(theirs, key), key
    assert leanpipe.BartConfig(encoder_layers=3).num_hidden_layers == 3 == transformers.BartConfig(encoder_layers=3).num_hidden_layers


# --- pipelines -------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", list(SHAPES))
def test_pipelines_match_transformers(models, shape):
    """zero-shot-classification (transformers' default model is a BART MNLI), text-classification,
    question-answering, fill-mask and feature-extraction give transformers' answers on the same checkpoints."""
    folder = models(shape, "ForSequenceClassification")
    ours, theirs = leanpipe.pipeline("zero-shot-classification", model=folder), transformers.pipeline(
        "zero-shot-classification", model=str(folder))
    labels = ["cooking", "travel", "music lessons"]
    for kwargs in ({}, {"multi_label": True}, {"hypothesis_template": "It is about {}."}):
        same(ours(PIPELINE_TEXTS, candidate_labels=labels, **kwargs), theirs(PIPELINE_TEXTS, candidate_labels=labels, **kwargs),
             f"{shape} zero-shot {kwargs}")
    ours, theirs = leanpipe.pipeline("text-classification", model=folder), transformers.pipeline("text-classification", model=str(folder))
    same(ours(PIPELINE_TEXTS, top_k=None), theirs(PIPELINE_TEXTS, top_k=None), f"{shape} text-classification")
    folder = models(shape, "ForQuestionAnswering")
    ours, theirs = leanpipe.pipeline("question-answering", model=folder), transformers.pipeline("question-answering", model=str(folder))
    question, context = "Where is the café?", "The café naïve is in New York, close to the lazy dog. " * 3
    same(ours(question=question, context=context, top_k=2), theirs(question=question, context=context, top_k=2), f"{shape} qa")
    folder = models(shape, "ForConditionalGeneration")
    ours, theirs = leanpipe.pipeline("fill-mask", model=folder), transformers.pipeline("fill-mask", model=str(folder))
    masked = ["Hello <mask> world.", "The quick brown <mask> jumps over the <mask> dog."]
    same(ours(masked, top_k=3), theirs(masked, top_k=3), f"{shape} fill-mask")
    folder = models(shape, "Model")
    ours, theirs = leanpipe.pipeline("feature-extraction", model=folder), transformers.pipeline("feature-extraction", model=str(folder))
    for text in PIPELINE_TEXTS:
        assert_close(np.array(ours(text)), np.array(theirs(text)), ATOL, f"{shape} feature-extraction {text[:20]!r}")


test_int8_runs_near_fp32 = int8_test(list(SHAPES), HEADS, AUTO)


def test_zero_shot_default_model_loads_from_a_cache_transformers_filled(models, tmp_path, monkeypatch):
    """pipeline("zero-shot-classification") with no model takes transformers' default,
    facebook/bart-large-mnli at revision d7645e1, from the Hugging Face cache (offline here: the
    cache is laid out as huggingface_hub leaves it after resolving that short revision, with
    refs/d7645e1 naming the commit), and answers as transformers does on the same files."""
    import hashlib

    import huggingface_hub.constants as hc

    folder = models("large", "ForSequenceClassification")
    repo = tmp_path / "cache" / "models--facebook--bart-large-mnli"
    commit = hashlib.sha1(b"bart-large-mnli").hexdigest()
    shutil.copytree(folder, repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "d7645e1").write_text(commit)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)
    ours = leanpipe.pipeline("zero-shot-classification")
    assert ours.model.name_or_path == "facebook/bart-large-mnli" and type(ours.model).__name__ == "BartForSequenceClassification"
    theirs = transformers.pipeline("zero-shot-classification", model=str(folder))
    labels = ["politics", "sports", "a quiet evening"]
    same(ours(PIPELINE_TEXTS, candidate_labels=labels), theirs(PIPELINE_TEXTS, candidate_labels=labels), "default model")


def test_save_pretrained_loads_back_in_both(models, tmp_path):
    """model.save_pretrained and the pipeline's: transformers and leanpipe load the folder back to the same logits."""
    folder = models("scaled", "ForSequenceClassification")
    ids = [[0, 50, 60, 2, 2, 70, 2]]
    expected = leanpipe.AutoModelForSequenceClassification.from_pretrained(folder)(input_ids=ids).logits
    leanpipe.pipeline("zero-shot-classification", model=folder).save_pretrained(tmp_path / "saved")
    again = leanpipe.AutoModelForSequenceClassification.from_pretrained(tmp_path / "saved")(input_ids=ids).logits
    theirs = transformers.BartForSequenceClassification.from_pretrained(tmp_path / "saved").eval()
    with torch.no_grad():
        reference = theirs(input_ids=torch.tensor(ids)).logits.numpy()
    assert_close(again, expected, 0.0, "leanpipe, saved and loaded")
    assert_close(reference, expected, ATOL, "transformers on leanpipe's saved folder")
