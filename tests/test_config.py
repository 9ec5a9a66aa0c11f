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


@pytest.mark.parametrize("overrides", [dict(num_labels=5), dict(num_labels=3), dict(id2label={0: "x", 1: "y"}),
                                       dict(id2label={0: "x", 1: "y"}, num_labels=2)])
def test_label_overrides_as_transformers(checkpoints, overrides):
    """from_pretrained(..., num_labels=5) over a file with three labels: LABEL_0 ... LABEL_4, as
    transformers sets it after reading the file; id2label, or both when they agree, as given."""
    ours = AutoConfig.from_pretrained(checkpoints["bert-cls"], **overrides)
    theirs = transformers.AutoConfig.from_pretrained(checkpoints["bert-cls"], **overrides)
    assert (ours.id2label, ours.num_labels) == (theirs.id2label, theirs.num_labels)
    assert ours.label2id == {label: i for i, label in theirs.id2label.items()}  # transformers may leave it None
    with pytest.raises(ConfigError, match="contradicts"):
        AutoConfig.from_pretrained(checkpoints["bert-cls"], id2label={0: "x", 1: "y"}, num_labels=4)
    with pytest.raises(ConfigError, match="non-negative integer"):
        AutoConfig.from_pretrained(checkpoints["bert-cls"], num_labels="5")


def test_a_head_of_another_size_is_refused_with_the_reason(checkpoints):
    from leanpipe import AutoModelForSequenceClassification
    from leanpipe.errors import CheckpointError, InputError

    with pytest.raises(CheckpointError, match=r"has shape \(3, 32\) but config.json implies \(5, 32\) .*e.g. num_labels"):
        AutoModelForSequenceClassification.from_pretrained(checkpoints["bert-cls"], num_labels=5)
    with pytest.raises(InputError, match="ignore_mismatched_sizes=True is not supported"):
        AutoModelForSequenceClassification.from_pretrained(checkpoints["bert-cls"], num_labels=5, ignore_mismatched_sizes=True)
    assert AutoModelForSequenceClassification.from_pretrained(checkpoints["bert-cls"], ignore_mismatched_sizes=False).config.num_labels == 3


def test_unused_kwargs_update_and_use_return_dict_as_transformers(checkpoints):
    folder = checkpoints["bert-cls"]
    for kwargs in (dict(foo=1), dict(hidden_size=8, foo=1, output_attentions=True), dict(num_labels=2)):
        ours, unused = AutoConfig.from_pretrained(folder, return_unused_kwargs=True, **kwargs)
        theirs, their_unused = transformers.AutoConfig.from_pretrained(folder, return_unused_kwargs=True, **kwargs)
        assert unused == their_unused and not hasattr(ours, "foo") and not hasattr(theirs, "foo")
        assert (ours.hidden_size, ours.output_attentions, ours.num_labels) == (theirs.hidden_size, theirs.output_attentions, theirs.num_labels)
    ours, theirs = AutoConfig.from_pretrained(folder), transformers.AutoConfig.from_pretrained(folder)
    assert ours.use_return_dict is theirs.use_return_dict is True
    for config in (ours, theirs):
        config.update({"foo": 2, "hidden_size": 3, "return_dict": False})
        config.update_from_string("layer_norm_eps=1e-5,output_attentions=true,num_hidden_layers=4,hidden_act=relu")
    for key in ("foo", "hidden_size", "return_dict", "use_return_dict", "layer_norm_eps", "output_attentions",
                "num_hidden_layers", "hidden_act"):
        assert getattr(ours, key) == getattr(theirs, key), key
    with pytest.raises(ConfigError, match="not key=value"):
        ours.update_from_string("no_such_key=1")
    with pytest.raises(ConfigError, match="true or false"):
        ours.update_from_string("output_attentions=maybe")


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


def test_a_config_file_path_as_transformers(checkpoints):
    """AutoConfig.from_pretrained(".../config.json"): the file itself, as transformers reads it."""
    path = checkpoints["bert-cls"] / "config.json"
    ours, theirs = AutoConfig.from_pretrained(str(path)), transformers.AutoConfig.from_pretrained(str(path))
    assert type(ours).__name__ == type(theirs).__name__ and ours.id2label == theirs.id2label
    assert ours.to_dict()["hidden_size"] == theirs.hidden_size


def test_loaded_model_records_its_dtype_as_transformers(minilm, tmp_path):
    """A config.json without dtype: after from_pretrained transformers records the dtype it loaded in
    (torch.float32) and save_pretrained writes it; leanpipe, computing in float32, records "float32"."""
    import leanpipe

    theirs = transformers.AutoModel.from_pretrained(minilm)
    ours = leanpipe.AutoModel.from_pretrained(minilm)
    assert AutoConfig.from_pretrained(minilm).dtype is None and transformers.AutoConfig.from_pretrained(minilm).dtype is None
    assert ours.config.dtype == str(theirs.config.dtype).removeprefix("torch.") == "float32"
    theirs.save_pretrained(tmp_path / "theirs")
    ours.save_pretrained(tmp_path / "ours")
    saved = [json.loads((tmp_path / who / "config.json").read_text())["dtype"] for who in ("ours", "theirs")]
    assert saved == ["float32", "float32"], saved
