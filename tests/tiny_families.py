"""Tiny random checkpoints for the families with a test file of their own (BigBird, RemBERT, ConvBERT,
FNet): transformers' <Prefix><Head> from a config, perturbed so a wrong term shows, saved with
MiniLM's WordPiece tokenizer; and the head names those tests share."""

from __future__ import annotations

from checkpoints import LABELS3, NER_LABELS, copy_tokenizer
from more_family_fixtures import perturb

# transformers' class-name suffix -> leanpipe's Auto class, and the support matrix's head name
AUTO = {"Model": "AutoModel", "ForSequenceClassification": "AutoModelForSequenceClassification",
        "ForTokenClassification": "AutoModelForTokenClassification", "ForQuestionAnswering": "AutoModelForQuestionAnswering",
        "ForMaskedLM": "AutoModelForMaskedLM", "ForMultipleChoice": "AutoModelForMultipleChoice",
        "ForNextSentencePrediction": "AutoModelForNextSentencePrediction", "ForPreTraining": "AutoModelForPreTraining"}
HEAD_NAMES = {"Model": "base", "ForSequenceClassification": "sequence-classification", "ForTokenClassification": "token-classification",
              "ForQuestionAnswering": "question-answering", "ForMaskedLM": "masked-lm", "ForMultipleChoice": "multiple-choice",
              "ForNextSentencePrediction": "next-sentence-prediction", "ForPreTraining": "pre-training"}
LABELS = {"ForSequenceClassification": {"id2label": LABELS3}, "ForTokenClassification": {"id2label": NER_LABELS}}


def tiny_models(tmp_path_factory, prefix: str, shapes: dict[str, dict], **always):
    """models(shape, head), or models(head) for the first shape -> the folder of transformers'
    `{prefix}{head}` built from `shapes[shape]` and `always` (vocabulary: MiniLM's), built once."""
    import torch
    import transformers

    root, built, first = tmp_path_factory.mktemp(prefix.lower()), {}, next(iter(shapes))

    def build(*key: str):
        shape, head = (key[0] if len(key) == 2 and key[0] in shapes else first), key[-1]
        if (shape, head) not in built:
            config = getattr(transformers, f"{prefix}Config")(vocab_size=30522, **always, **shapes[shape], **LABELS.get(head, {}))
            torch.manual_seed(len(built))
            model = getattr(transformers, f"{prefix}{head}")(config)
            perturb(model)
            folder = root / f"{shape}-{head}"
            model.eval().save_pretrained(folder)
            copy_tokenizer(folder)
            built[(shape, head)] = folder
        return built[(shape, head)]

    return build


def reference_inputs(folder) -> list[dict]:
    """The parity tests' torch inputs: six padded texts (cut at 48 tokens), four padded pairs, one short text."""
    import transformers
    from corpus import PAIRS, TEXTS

    tok = transformers.AutoTokenizer.from_pretrained(folder)
    return [dict(tok(TEXTS[:6], padding=True, truncation=True, max_length=48, return_tensors="pt")),
            dict(tok([a for a, _ in PAIRS[:4]], [b for _, b in PAIRS[:4]], padding=True, truncation=True, max_length=40,
                     return_tensors="pt")),
            dict(tok(["one"], return_tensors="pt"))]


def check_config_defaults(name: str) -> None:
    """leanpipe's `name` config (e.g. "FNetConfig") gives transformers' defaults, key for key."""
    import transformers

    import leanpipe

    ours, theirs = getattr(leanpipe, name)().to_dict(), getattr(transformers, name)().to_dict()
    assert {k: v for k, v in ours.items() if k != "transformers_version"} == {k: v for k, v in theirs.items() if k != "transformers_version"}


def check_texts_alone_in_batches(folder) -> None:
    """A model whose padding reaches its real tokens (ConvBERT, FNet): a pipeline batch of different
    lengths gives each text exactly the answer it gets alone, as transformers' pipeline does."""
    import numpy as np

    import leanpipe

    texts = ["short", "a somewhat longer text with more words in it", "mid length text"]
    ours = leanpipe.pipeline("feature-extraction", model=folder)
    for alone, batched in zip([np.array(ours(t)) for t in texts], ours(texts, batch_size=3)):
        assert np.array_equal(alone, np.array(batched))


def sentencepiece_folders(tmp_path, prefix: str, model_file: str, **pieces):
    """(legacy, saved): a SentencePiece model (family_fixtures._sentencepiece(**pieces)) as `model_file`
    beside transformers' `{prefix}Config`, and what transformers' `{prefix}Tokenizer` saves from it
    (tokenizer.json), with the config too."""
    import transformers

    import family_fixtures

    legacy, saved = tmp_path / "legacy", tmp_path / "json"
    legacy.mkdir()
    (legacy / model_file).write_bytes(family_fixtures._sentencepiece(**pieces))
    config = getattr(transformers, f"{prefix}Config")(vocab_size=200)
    config.save_pretrained(legacy)
    getattr(transformers, f"{prefix}Tokenizer").from_pretrained(legacy).save_pretrained(saved)
    config.save_pretrained(saved)
    return legacy, saved


def check_tokenizer_json_only(legacy, saved, name: str, what: str) -> None:
    """leanpipe's AutoTokenizer on `saved` (tokenizer.json) against transformers': class `name`, ids,
    types, masks, special-token masks and offsets of texts ([MASK], accents) and pairs, decode; `legacy`
    (the SentencePiece file alone) refused naming tokenizer.json."""
    import pytest
    import transformers

    import leanpipe
    from corpus import PAIRS, TEXTS
    from family_checks import assert_same_encoding

    ours, theirs = leanpipe.AutoTokenizer.from_pretrained(saved), transformers.AutoTokenizer.from_pretrained(saved)
    assert type(ours).__name__ == type(theirs).__name__ == name
    options = dict(return_offsets_mapping=True, return_special_tokens_mask=True, padding=True)
    texts = TEXTS[:12] + ["Hello [MASK] world", "  Ångström  café "]
    assert_same_encoding(ours(texts, **options), theirs(texts, **options), f"{what} texts")
    firsts, seconds = [a for a, _ in PAIRS[:5]], [b for _, b in PAIRS[:5]]
    assert_same_encoding(ours(firsts, seconds, **options), theirs(firsts, seconds, **options), f"{what} pairs")
    assert ours.decode(ours("Hello world")["input_ids"]) == theirs.decode(theirs("Hello world")["input_ids"])
    with pytest.raises(leanpipe.CheckpointError, match="without tokenizer.json"):
        leanpipe.AutoTokenizer.from_pretrained(legacy)
