"""MPNet, ModernBERT, DeBERTa-v2/v3 and DeBERTa (v1) against transformers 5.2 on the same files.

Tokenizers (tests/more_family_fixtures.py): tiny ones trained here, in the family's older files and
in the tokenizer.json folder transformers saves from them; ids, offsets, masks, words, special
tokens and decoding identical. Models: every head of every family as a tiny random checkpoint,
outputs within 1e-4 (max abs over every position, padding included, printed with -s) on both
engines, with padded batches and pairs, plus DeBERTa's other attention variants and Hub-style
config.json files. Pipelines: text-classification, feature-extraction, fill-mask, NER and QA per
family, and zero-shot classification with a DeBERTa NLI model.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from conftest import assert_close  # noqa: E402
from corpus import PAIRS, TEXTS, WORDS  # noqa: E402
from more_family_fixtures import FAMILIES, HEADS, MODEL_TOKENIZER, SPECS, build_model, build_tokenizers, perturb  # noqa: E402
from family_checks import check_model_helpers, ATOL, ENGINES, PARITY_MARKS, PIPELINE_TEXTS, assert_same_encoding, both_pipelines, check_attentions, check_hidden_states, check_saved_tokenizer, int8_test, pipeline_tests, plain, same  # noqa: E402

pytest.importorskip("sentencepiece", reason="the test extra's sentencepiece trains the tiny spm.model")
pytestmark = PARITY_MARKS
SPECIAL_TEXTS = ["fill the <mask> here", "a [MASK] b [CLS]", "<s> and </s> inside <pad>[UNK]", "x  <mask>y", "x  [MASK]y"]
EVERYTHING = dict(return_special_tokens_mask=True, return_offsets_mapping=True, return_length=True)
TOKENIZER_FOLDERS = ["mpnet-legacy", "mpnet-json", "mpnet-hub", "modernbert-hub", "modernbert-json",
                     "deberta-v2-legacy", "deberta-v2-json", "deberta-v2-hub", "deberta-legacy", "deberta-json"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict:
    return build_tokenizers(tmp_path_factory.mktemp("more-family-tokenizers"))


# --- tokenizers -----------------------------------------------------------------------------------

def both_tokenizers(folder):
    ours, theirs = leanpipe.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    # transformers 5 names tokenizer.json-as-it-is TokenizersBackend (PreTrainedTokenizerFast is its alias)
    name = type(theirs).__name__
    assert type(ours).__name__ == {"TokenizersBackend": "PreTrainedTokenizerFast"}.get(name, name)
    return ours, theirs


@pytest.mark.parametrize("name", TOKENIZER_FOLDERS)
def test_tokenizer_matches_transformers(folders, name, support):
    ours, theirs = both_tokenizers(folders[name])
    for i, text in enumerate(TEXTS + SPECIAL_TEXTS):
        assert_same_encoding(ours(text, **EVERYTHING), theirs(text, **EVERYTHING), f"{name} text {i}")
    for i, (a, b) in enumerate(PAIRS):
        assert_same_encoding(ours(a, b, **EVERYTHING), theirs(a, b, **EVERYTHING), f"{name} pair {i}")
    batch = dict(padding=True, truncation=True, max_length=40, **EVERYTHING)
    assert_same_encoding(ours(TEXTS, **batch), theirs(TEXTS, **batch), f"{name} padded batch")
    firsts, seconds = [a for a, _ in PAIRS], [b for _, b in PAIRS]
    assert_same_encoding(ours(firsts, seconds, **batch), theirs(firsts, seconds, **batch), f"{name} padded pairs")
    words = dict(is_split_into_words=True, padding=True, **EVERYTHING)
    assert_same_encoding(ours(WORDS, **words), theirs(WORDS, **words), f"{name} words")
    options = dict(truncation="only_second", max_length=24, stride=4, return_overflowing_tokens=True, padding=True, **EVERYTHING)
    questions, contexts = firsts[1:4], seconds[1:4]  # short questions, long and short contexts
    assert_same_encoding(ours(questions, contexts, **options), theirs(questions, contexts, **options), f"{name} overflow")
    family, kind = name.rsplit("-", 1)
    legacy = {"mpnet": "vocab.txt", "deberta-v2": "spm.model", "deberta": "vocab.json + merges.txt"}
    if kind == "json" or (kind == "legacy" and family in legacy):
        support(family, "tokenizer", "tokenizer.json" if kind == "json" else legacy[family])


@pytest.mark.parametrize("name", TOKENIZER_FOLDERS)
def test_saved_tokenizer_loads_back_the_same(folders, name, tmp_path):
    check_saved_tokenizer(folders[name], tmp_path / "saved", TEXTS + SPECIAL_TEXTS, PAIRS, EVERYTHING, name)


@pytest.mark.parametrize("name", TOKENIZER_FOLDERS)
def test_tokenizer_vocabulary_special_tokens_and_decoding(folders, name):
    ours, theirs = both_tokenizers(folders[name])
    for attr in ("special_tokens_map", "all_special_tokens", "all_special_ids", "vocab_size", "model_input_names",
                 "extra_special_tokens", "pad_token_id", "mask_token_id", "cls_token_id", "sep_token_id", "model_max_length"):
        assert plain(getattr(ours, attr)) == plain(getattr(theirs, attr)), attr
    assert len(ours) == len(theirs) and ours.get_vocab() == theirs.get_vocab()

    def flags(tokenizer):
        return {i: (t.content, t.special, t.lstrip, t.rstrip, t.normalized) for i, t in tokenizer.added_tokens_decoder.items()}

    assert flags(ours) == flags(theirs)
    ids = theirs(TEXTS[:8] + SPECIAL_TEXTS).input_ids
    for skip in (False, True):
        assert ours.batch_decode(ids, skip_special_tokens=skip) == theirs.batch_decode(ids, skip_special_tokens=skip)
    # the whole Rust pipeline, component by component: normalizer, pre-tokenizer, model, post-processor, decoder
    assert json.loads(ours.backend_tokenizer.to_str()) == json.loads(theirs.backend_tokenizer.to_str())


# --- models ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def models(folders, tmp_path_factory):
    """(model_type, head) -> checkpoint folder, built on first use."""
    root, cache = tmp_path_factory.mktemp("more-family-models"), {}

    def get(model_type: str, head: str):
        if (model_type, head) not in cache:
            folder = root / f"{model_type}-{head}"
            cache[model_type, head] = build_model(model_type, head, folders[MODEL_TOKENIZER[model_type]], folder)
        return cache[model_type, head]

    return get


def reference_inputs(folder) -> list[dict]:
    """Padded texts (up to ~190 tokens: MPNet's far buckets, ModernBERT's windows), padded pairs, one text."""
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    firsts, seconds = [a for a, _ in PAIRS[:4]], [b for _, b in PAIRS[:4]]
    return [
        dict(tok(TEXTS[:8] + TEXTS[-1:], padding=True, truncation=True, max_length=190, return_tensors="pt")),
        dict(tok(firsts, seconds, padding=True, truncation=True, max_length=48, return_tensors="pt")),
        dict(tok(["one"], return_tensors="pt")),
    ]


OUTPUT_KEYS = {
    "Model": ("last_hidden_state", "pooler_output"),
    "ForSequenceClassification": ("logits",),
    "ForTokenClassification": ("logits",),
    "ForQuestionAnswering": ("start_logits", "end_logits"),
    "ForMaskedLM": ("logits",),
}


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("model_type", FAMILIES)
def test_model_parity(models, model_type, head, support):
    """Both engines against transformers on padded texts, padded pairs and a single text; the max abs
    difference over every position (padding too) is printed (pytest -s) and must be <= 1e-4."""
    folder = models(model_type, head)
    theirs = getattr(transformers, SPECS[model_type][1] + head).from_pretrained(folder).eval()
    cases = []
    for inputs in reference_inputs(folder):
        with torch.no_grad():
            expected = theirs(**inputs)
        keys = [k for k in OUTPUT_KEYS[head] if expected.get(k) is not None]
        cases.append(({k: v.numpy() for k, v in inputs.items()}, {k: expected[k].numpy() for k in keys}))
    auto = "AutoModel" if head == "Model" else f"AutoModel{head}"
    for engine in ENGINES:
        ours = getattr(leanpipe, auto).from_pretrained(folder, engine=engine)
        assert type(ours).__name__ == type(theirs).__name__
        for i, (inputs, expected) in enumerate(cases):
            got = ours(**inputs)
            assert set(got) == set(expected), f"outputs {sorted(got)} vs transformers' {sorted(expected)}"
            for key, reference in expected.items():
                print(f"{model_type} {head} {engine} input {i} {key}: max abs diff {np.abs(got[key] - reference).max():.2e}")
                assert_close(got[key], reference, ATOL, f"{model_type}/{head}/{engine}/input {i}/{key}")
        check_hidden_states(ours, theirs, reference_inputs(folder)[0], f"{model_type}/{head}/{engine}")
        check_model_helpers(ours, theirs, f"{model_type}/{head}/{engine}")
        check_attentions(ours, folder, type(theirs), reference_inputs(folder)[0], f"{model_type}/{head}/{engine}")
    support(model_type, "head", {"Model": "base", "ForSequenceClassification": "sequence-classification",
                                 "ForTokenClassification": "token-classification",
                                 "ForQuestionAnswering": "question-answering", "ForMaskedLM": "masked-lm"}[head])


def test_configs_and_auto_classes(models):
    strip = lambda text: [line for line in text.splitlines() if "transformers_version" not in line]  # noqa: E731
    for model_type in FAMILIES:
        config_cls, prefix, _, _ = SPECS[model_type]
        assert strip(repr(getattr(leanpipe, config_cls)())) == strip(repr(getattr(transformers, config_cls)()))
        folder = models(model_type, "ForMaskedLM")
        ours, theirs = leanpipe.AutoConfig.from_pretrained(folder), transformers.AutoConfig.from_pretrained(folder)
        assert type(ours).__name__ == config_cls and strip(repr(ours)) == strip(repr(theirs))
        assert type(leanpipe.AutoModelForMaskedLM.from_pretrained(folder)).__name__ == prefix + "ForMaskedLM"


# config.json keys as the Hub's checkpoints spell them (transformers 4 era)
HUB_CONFIGS = {
    "ModernBertConfig": {  # answerdotai/ModernBERT-base, shrunk
        "model_type": "modernbert", "architectures": ["ModernBertForMaskedLM"], "global_rope_theta": 160000.0,
        "local_rope_theta": 10000.0, "global_attn_every_n_layers": 3, "local_attention": 128, "num_hidden_layers": 4,
        "classifier_pooling": "mean", "layer_norm_eps": 1e-05, "position_embedding_type": "absolute",
        "reference_compile": True, "torch_dtype": "float32", "gradient_checkpointing": False},
    "DebertaV2Config": {  # microsoft/deberta-v3-base
        "model_type": "deberta-v2", "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "hidden_size": 768, "initializer_range": 0.02, "intermediate_size": 3072, "max_position_embeddings": 512,
        "relative_attention": True, "position_buckets": 256, "norm_rel_ebd": "layer_norm", "share_att_key": True,
        "pos_att_type": "p2c|c2p", "layer_norm_eps": 1e-7, "max_relative_positions": -1, "position_biased_input": False,
        "num_attention_heads": 12, "num_hidden_layers": 12, "type_vocab_size": 0, "vocab_size": 128100},
    "DebertaConfig": {  # microsoft/deberta-base
        "model_type": "deberta", "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "hidden_size": 768, "initializer_range": 0.02, "intermediate_size": 3072, "max_position_embeddings": 512,
        "relative_attention": True, "pos_att_type": "c2p|p2c", "layer_norm_eps": 1e-7, "max_relative_positions": -1,
        "position_biased_input": False, "num_attention_heads": 12, "num_hidden_layers": 12, "type_vocab_size": 0,
        "vocab_size": 50265},
    "MPNetConfig": {  # sentence-transformers/all-mpnet-base-v2
        "model_type": "mpnet", "architectures": ["MPNetForMaskedLM"], "max_position_embeddings": 514,
        "layer_norm_eps": 1e-05, "relative_attention_num_buckets": 32, "vocab_size": 30527},
}


@pytest.mark.parametrize("config_cls", sorted(HUB_CONFIGS))
def test_hub_style_configs(tmp_path, config_cls):
    """Older keys (global_rope_theta, "p2c|c2p", reference_compile) read as transformers 5.2 reads them."""
    (tmp_path / "config.json").write_text(json.dumps(HUB_CONFIGS[config_cls]))
    ours, theirs = leanpipe.AutoConfig.from_pretrained(tmp_path), transformers.AutoConfig.from_pretrained(tmp_path)
    assert type(ours).__name__ == config_cls
    strip = lambda text: [line for line in text.splitlines() if "transformers_version" not in line]  # noqa: E731
    assert strip(repr(ours)) == strip(repr(theirs))


DEBERTA_VARIANTS = {
    "p2c-only, lm_predictions head": dict(pos_att_type=["p2c"], position_buckets=8, legacy=False),
    "c2p-only, no buckets, max_relative_positions from max_position_embeddings": dict(
        pos_att_type=["c2p"], position_buckets=-1, max_relative_positions=-1, max_position_embeddings=80,
        share_att_key=False, norm_rel_ebd="none"),
    "no relative attention (DeBERTa-v1 style absolute positions)": dict(relative_attention=False, position_biased_input=True),
    "convolution after layer 0: kernel 5, 2 groups, tanh (conv_act's default)": dict(conv_kernel_size=5, conv_groups=2),
}


@pytest.mark.parametrize("variant", sorted(DEBERTA_VARIANTS))
def test_deberta_variants(tmp_path, variant):
    """Other corners of disentangled attention, on both engines, with padding (masked LM: base + head)."""
    _, _, kwargs, _ = SPECS["deberta-v2"]
    config = transformers.DebertaV2Config(vocab_size=120, **{**kwargs, **DEBERTA_VARIANTS[variant]})
    masked_lm_parity(transformers.DebertaV2ForMaskedLM, config, tmp_path, seed=1, length=70, real=30, what=f"deberta {variant}")


def masked_lm_parity(model_class, config, folder, *, seed: int, length: int, real: int, what: str) -> None:
    """A perturbed random `model_class(config)` saved to `folder`; two rows of `length` random ids, the
    second real up to `real`: leanpipe's masked-LM logits within ATOL of transformers' on both engines."""
    torch.manual_seed(seed)
    model = model_class(config).eval()
    perturb(model)
    model.save_pretrained(folder)
    ids = torch.randint(5, config.vocab_size, (2, length))
    mask = torch.ones_like(ids)
    ids[1, real:], mask[1, real:] = 0, 0
    with torch.no_grad():
        expected = model(input_ids=ids, attention_mask=mask).logits.numpy()
    for engine in ENGINES:
        got = leanpipe.AutoModelForMaskedLM.from_pretrained(folder, engine=engine)(input_ids=ids.numpy(), attention_mask=mask.numpy())
        print(f"{what} {engine}: max abs diff {np.abs(got.logits - expected).max():.2e}")
        assert_close(got.logits, expected, ATOL, f"{what}/{engine}")


def test_deberta_v1_talking_heads_are_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "deberta", "hidden_size": 32, "num_attention_heads": 4,
                                                      "talking_head": True}))
    with pytest.raises(leanpipe.ConfigError, match="talking_head"):
        leanpipe.AutoConfig.from_pretrained(tmp_path)


@pytest.mark.parametrize("conv,message", [({"conv_kernel_size": 4}, "conv_kernel_size=4 must be odd"),
                                          ({"conv_kernel_size": 3, "conv_groups": 5}, "conv_groups=5 must be a positive divisor"),
                                          ({"conv_kernel_size": 3, "conv_act": "swish"}, "conv_act='swish'")])
def test_deberta_convolution_settings_leanpipe_cannot_run_are_refused(tmp_path, conv, message):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "deberta-v2", "hidden_size": 32, "num_attention_heads": 4,
                                                      **conv}))
    with pytest.raises(leanpipe.ConfigError, match=message):
        leanpipe.AutoConfig.from_pretrained(tmp_path)


def test_mpnet_positions_fill_the_table(models):
    """Positions start after padding_idx 1: 514 positions take 512 tokens (modeling_mpnet); the relative
    bias covers every offset up to 511."""
    folder = models("mpnet", "Model")
    ours = leanpipe.AutoModel.from_pretrained(folder)
    theirs = transformers.AutoModel.from_pretrained(folder).eval()
    ids = torch.randint(5, 300, (2, 512))
    ids[1, 300:] = 1
    mask = (ids != 1).long()
    with torch.no_grad():
        expected = theirs(input_ids=ids, attention_mask=mask).last_hidden_state
    got = ours(input_ids=ids.numpy(), attention_mask=mask.numpy()).last_hidden_state
    assert_close(got, expected.numpy(), ATOL, "512 tokens")
    with pytest.raises(leanpipe.InputError, match="512 positions"):
        ours(input_ids=np.full((1, 513), 5))


def test_mpnet_bucket_count_is_checked(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "mpnet", "relative_attention_num_buckets": 16}))
    with pytest.raises(leanpipe.ConfigError, match="relative_attention_num_buckets=16"):
        leanpipe.AutoConfig.from_pretrained(tmp_path)


# --- pipelines ------------------------------------------------------------------------------------

# text-classification + feature-extraction, fill-mask, NER + QA per family (family_checks.pipeline_tests)
(test_text_classification_and_feature_extraction, test_fill_mask,
 test_token_classification_and_question_answering) = pipeline_tests(FAMILIES)
test_int8_runs_near_fp32 = int8_test(FAMILIES, HEADS)


def test_int8_quantizes_modernbert_mlp_down_projections_per_token(models, monkeypatch):
    """ModernBERT's gated-MLP Wo (no norm follows it, so not a dense_add_norm) is int8 per token too."""
    from test_models import traced_graphs

    graphs = traced_graphs(monkeypatch)
    folder = models("modernbert", "Model")
    config = leanpipe.AutoConfig.from_pretrained(folder)
    leanpipe.AutoModel.from_pretrained(folder, quantize="int8")
    graph = graphs[0]
    shapes = {t.name: tuple(t.dims) for t in graph.initializer}
    per_token = {n.output[0] for n in graph.node if n.op_type == "QuantizeLinear"
                 and any(a.name == "axis" and a.i == 0 for a in n.attribute)}
    down = [shapes[n.input[1]] for n in graph.node if n.op_type == "MatMulInteger" and n.input[0] in per_token]
    assert down == [(config.intermediate_size, config.hidden_size)] * config.num_hidden_layers, down


def test_zero_shot_with_a_deberta_nli_model(folders, tmp_path):
    """DeBERTa-v3 NLI checkpoints are the usual zero-shot classifiers: premise/hypothesis pairs, entailment logit."""
    nli = {0: "entailment", 1: "neutral", 2: "contradiction"}
    _, _, kwargs, _ = SPECS["deberta-v2"]
    tokenizer = folders[MODEL_TOKENIZER["deberta-v2"]]
    vocab = len(transformers.AutoTokenizer.from_pretrained(tokenizer))
    config = transformers.DebertaV2Config(vocab_size=vocab, id2label=nli, label2id={v: k for k, v in nli.items()}, **kwargs)
    torch.manual_seed(2)
    model = transformers.DebertaV2ForSequenceClassification(config).eval()
    perturb(model)
    with torch.no_grad():
        model.classifier.weight.mul_(50)  # scores far from uniform, so the ranking means something
    model.save_pretrained(tmp_path)
    for f in tokenizer.iterdir():
        if f.name != "config.json":
            (tmp_path / f.name).write_bytes(f.read_bytes())
    ours, theirs = both_pipelines("zero-shot-classification", tmp_path)
    labels = ["travel", "cooking", "dancing"]
    for multi_label in (False, True):
        same(ours(PIPELINE_TEXTS[:2], candidate_labels=labels, multi_label=multi_label),
             theirs(PIPELINE_TEXTS[:2], candidate_labels=labels, multi_label=multi_label), f"zero-shot multi_label={multi_label}")


LONG_DEBERTAS = {
    "v3 shape: log buckets, shared keys": ("DebertaV2", dict()),
    "v2, no buckets, max_relative_positions from the table": ("DebertaV2", dict(position_buckets=-1, max_relative_positions=-1,
                                                                                share_att_key=False, norm_rel_ebd="none")),
    "v2, max_relative_positions past the table": ("DebertaV2", dict(position_buckets=-1, max_relative_positions=40,
                                                                    share_att_key=False, norm_rel_ebd="none")),
    "v2, buckets reaching past the table": ("DebertaV2", dict(position_buckets=8, max_relative_positions=48)),
    "v1 shape": ("Deberta", dict(pos_att_type="c2p|p2c", max_relative_positions=-1)),
}


@pytest.mark.parametrize("variant", sorted(LONG_DEBERTAS))
def test_deberta_without_a_position_table_takes_any_length(tmp_path, variant):
    """DeBERTa with relative positions only (position_biased_input false: microsoft/deberta-v3-*, whose
    tokenizers set no length limit) runs texts longer than max_position_embeddings, as transformers
    does: distances past the relative embeddings' reach take the end rows. 32 positions, 90 tokens."""
    prefix, overrides = LONG_DEBERTAS[variant]
    base = SPECS["deberta-v2" if prefix == "DebertaV2" else "deberta"][2]
    config = getattr(transformers, f"{prefix}Config")(vocab_size=120, **{**base, "max_position_embeddings": 32, **overrides})
    masked_lm_parity(getattr(transformers, f"{prefix}ForMaskedLM"), config, tmp_path, seed=2, length=90, real=50,
                     what=f"deberta {variant}, 90 of 32 positions")


def test_deberta_with_a_position_table_still_refuses_longer_texts(tmp_path):
    config = transformers.DebertaV2Config(vocab_size=120, **{**SPECS["deberta-v2"][2], "max_position_embeddings": 32,
                                                             "position_biased_input": True})
    transformers.DebertaV2ForMaskedLM(config).eval().save_pretrained(tmp_path)
    with pytest.raises(leanpipe.InputError, match="exceeds the model's 32 positions"):
        leanpipe.AutoModelForMaskedLM.from_pretrained(tmp_path)(input_ids=np.ones((1, 40), np.int64))
