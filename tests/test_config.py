"""Configs: transformers' defaults, id2label with int keys, unknown keys kept, printed as transformers prints."""

from __future__ import annotations

import json

import pytest
import transformers

from leanpipe import AutoConfig, BertConfig, DistilBertConfig
from leanpipe.config import supported_model_types
from leanpipe.errors import ConfigError


def without_version(text: str) -> str:
    lines = [line for line in text.splitlines() if '"transformers_version"' not in line]
    return "\n".join(lines)


@pytest.mark.parametrize("ours,theirs", [(BertConfig, transformers.BertConfig), (DistilBertConfig, transformers.DistilBertConfig)])
def test_defaults_and_printing_match_transformers(ours, theirs):
    assert without_version(repr(ours())) == without_version(repr(theirs()))
    mine, ref = ours().to_dict(), theirs().to_dict()
    for key in ref:
        if key not in ("transformers_version", "_name_or_path"):
            assert mine[key] == ref[key], key


def test_bert_config_course_values():
    c = BertConfig()
    assert (c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.vocab_size) == (768, 12, 12, 30522)
    assert c.intermediate_size == 3072 and c.max_position_embeddings == 512


def test_distilbert_generic_names():
    c = DistilBertConfig(hidden_size=64, num_attention_heads=4)
    assert c.dim == 64 and c.hidden_size == 64 and c.n_heads == 4 and c.num_hidden_layers == 6


def test_labels_int_keys_and_label2id(checkpoints):
    c = AutoConfig.from_pretrained(checkpoints["bert-cls"])
    assert c.id2label == {0: "negative", 1: "neutral", 2: "very positive"}
    assert c.label2id == {"negative": 0, "neutral": 1, "very positive": 2}
    assert c.num_labels == 3
    assert BertConfig(num_labels=4).id2label[3] == "LABEL_3"


def test_loaded_config_prints_like_transformers(checkpoints, minilm):
    for folder in (checkpoints["bert-cls"], checkpoints["distilbert"], minilm):
        ours = AutoConfig.from_pretrained(folder)
        theirs = transformers.AutoConfig.from_pretrained(folder)
        assert type(ours).__name__ == type(theirs).__name__
        assert json.loads(ours.to_json_string()).keys() - {"transformers_version"} == \
            json.loads(theirs.to_json_string()).keys() - {"transformers_version"}


def test_unknown_keys_kept(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "my_extra": [1, 2]}))
    c = AutoConfig.from_pretrained(tmp_path)
    assert c.my_extra == [1, 2] and '"my_extra"' in repr(c)


def test_bad_configs_name_the_problem(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        AutoConfig.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 8}))
    with pytest.raises(ConfigError, match="no 'model_type'"):
        AutoConfig.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(ConfigError, match="supported: " + ", ".join(supported_model_types())):
        AutoConfig.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": 10, "num_attention_heads": 3}))
    with pytest.raises(ConfigError, match="multiple of num_attention_heads"):
        AutoConfig.from_pretrained(tmp_path)
