"""The Hugging Face course walkthrough, step by step, with `from leanpipe import ...` against transformers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import transformers

import leanpipe
from conftest import assert_close

RAW = ["I've been waiting for a HuggingFace course my whole life.", "I hate this so much!"]


@pytest.mark.parametrize("return_tensors", ["pt", "np"])
def test_walkthrough(checkpoints, return_tensors):
    folder = checkpoints["distilbert-cls"]
    tok, ref_tok = leanpipe.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    inputs = tok(RAW, padding=True, truncation=True, return_tensors=return_tensors)
    ref_inputs = ref_tok(RAW, padding=True, truncation=True, return_tensors="pt")
    assert inputs["input_ids"].tolist() == ref_inputs["input_ids"].tolist()
    assert inputs["input_ids"].shape == (2, 16)

    hidden = leanpipe.AutoModel.from_pretrained(folder)(**inputs).last_hidden_state
    model = leanpipe.AutoModelForSequenceClassification.from_pretrained(folder)
    ref_model = transformers.AutoModelForSequenceClassification.from_pretrained(folder).eval()
    logits = model(**inputs).logits
    with torch.no_grad():
        ref_logits = ref_model(**ref_inputs).logits
    assert hidden.shape == (2, 16, 32) and logits.shape == (2, 2)
    if return_tensors == "pt":  # torch in, torch out: the course's torch code runs unchanged
        probs = torch.nn.functional.softmax(logits, dim=-1)
    else:
        probs = leanpipe.softmax(logits, dim=-1)
    assert_close(np.asarray(probs), torch.softmax(ref_logits, dim=-1).numpy(), 1e-4, "probabilities")
    assert model.config.id2label == ref_model.config.id2label == {0: "LABEL_0", 1: "LABEL_1"}


def test_tokenizer_steps(minilm):
    tok, ref = leanpipe.AutoTokenizer.from_pretrained(minilm), transformers.AutoTokenizer.from_pretrained(minilm)
    sequence = "Using a Transformer network is simple"
    tokens = tok.tokenize(sequence)
    assert tokens == ref.tokenize(sequence)
    ids = tok.convert_tokens_to_ids(tokens)
    assert ids == ref.convert_tokens_to_ids(tokens)
    assert tok.decode(ids) == ref.decode(ids)
    assert tok.encode(sequence) == ref.encode(sequence) and tok.encode(sequence)[0] == tok.cls_token_id
    assert tok.pad_token_id == ref.pad_token_id == 0


def test_printing_configs():
    assert str(leanpipe.BertConfig()).startswith("BertConfig {")
    assert '"hidden_size": 768' in str(leanpipe.BertConfig())


def test_one_dimensional_tensor_gets_a_useful_error(checkpoints):
    model = leanpipe.AutoModelForSequenceClassification.from_pretrained(checkpoints["distilbert-cls"])
    ids = leanpipe.AutoTokenizer.from_pretrained(checkpoints["distilbert-cls"]).encode("I hate this so much!")
    with pytest.raises(leanpipe.InputError, match=r"wrap it in a batch"):
        model(torch.tensor(ids))
    assert model(torch.tensor([ids])).logits.shape == (1, 2)
