"""Llama and Mistral (model_types "llama", "mistral": *Model, *ForSequenceClassification / TokenClassification /
QuestionAnswering) against transformers 5.2 on the same files: the decoder Qwen 3's tests check, shaped by each
config (no per-head q / k norms; Llama's attention_bias and mlp_bias, head_dim, linear and llama3 rotary
scalings; Mistral's sliding window on every layer).

Tiny random checkpoints, perturbed so a wrong term shows, under MiniLM's WordPiece tokenizer; batches padded on the
right and on the left (a left-padded query sees no key: zeros, as torch's SDPA). last_hidden_state and logits within
1e-4 (max abs printed) on both engines; the text-classification pipeline; the configs' defaults; rotary scalings
leanpipe does not run refused naming the key."""

from __future__ import annotations

import json
import shutil

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from family_checks import PARITY_MARKS, check_head_on_engines  # noqa: E402
from corpus import TEXTS  # noqa: E402
from test_qwen3 import AUTO, HEADS, inputs, same_last_token_embeddings, same_text_classification  # noqa: E402
from tiny_families import check_config_defaults, tiny_models  # noqa: E402

pytestmark = PARITY_MARKS
TINY = dict(hidden_size=48, intermediate_size=40, num_hidden_layers=3, num_attention_heads=4, max_position_embeddings=128,
            pad_token_id=0)
# llama3 with original_max_position_embeddings 32: wavelengths past 32 are scaled by 1/8, under 8 kept, between blended
LLAMA3 = {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
          "original_max_position_embeddings": 32}
SHAPES = {
    "llama": {"gqa-llama3": {"num_key_value_heads": 2, "rope_parameters": LLAMA3},
              "biases-linear": {"num_key_value_heads": 4, "attention_bias": True, "mlp_bias": True,
                                "rope_parameters": {"rope_type": "linear", "rope_theta": 5000.0, "factor": 2.0}},
              "head-dim": {"num_key_value_heads": 2, "head_dim": 16}},
    "mistral": {"sliding": {"num_key_value_heads": 1, "sliding_window": 6},
                "full": {"num_key_value_heads": 2, "sliding_window": None}},
}
PREFIX = {"llama": "Llama", "mistral": "Mistral"}
CASES = [(family, shape, head) for family, shapes in SHAPES.items() for i, shape in enumerate(shapes) for head in HEADS
         if i == 0 or head == "Model"]  # every head on the first shape, the base model on the others


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    built = {family: tiny_models(tmp_path_factory, PREFIX[family], shapes, **TINY) for family, shapes in SHAPES.items()}
    return lambda family, shape, head: built[family](shape, head)


@pytest.mark.parametrize("family,shape,head", CASES)
def test_head_parity(models, family, shape, head, support):
    folder = models(family, shape, head)
    auto, name, keys = AUTO[head]
    theirs = getattr(transformers, f"{PREFIX[family]}{head}").from_pretrained(folder).eval()
    check_head_on_engines(folder, theirs, auto, inputs(folder), keys, f"{family}/{shape}/{head}")
    assert type(getattr(leanpipe, f"{PREFIX[family]}{head}").from_pretrained(folder)).__name__ == f"{PREFIX[family]}{head}"
    support(family, "head", name)


@pytest.mark.parametrize("family", list(SHAPES))
def test_text_classification_pipeline(models, family):
    same_text_classification(models(family, next(iter(SHAPES[family])), "ForSequenceClassification"), family)


@pytest.fixture(scope="module")
def sentencepiece_style_bpe(tmp_path_factory):
    """tokenizer.json as Llama 2's and Mistral's checkpoints ship it: a byte-fallback BPE whose normalizer
    prepends and replaces spaces with "▁", a <s> post-processor, tokenizer_config.json naming LlamaTokenizerFast
    (trained here on the test corpus)."""
    from tokenizers import Tokenizer, decoders, models as tok_models, normalizers, processors, trainers

    trained = Tokenizer(tok_models.BPE(byte_fallback=True, fuse_unk=True, unk_token="<unk>"))
    trained.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    trained.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                         decoders.Strip(" ", 1, 0)])
    trained.train_from_iterator(TEXTS * 3, trainers.BpeTrainer(
        vocab_size=500, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False,
        initial_alphabet=[f"<0x{i:02X}>" for i in range(256)] + ["▁"]))
    trained.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    folder = tmp_path_factory.mktemp("llama-tokenizer")
    trained.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "LlamaTokenizerFast", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
        "add_bos_token": True, "add_eos_token": False, "legacy": False}))
    return folder


@pytest.mark.parametrize("family", list(SHAPES))
def test_tokenizer(sentencepiece_style_bpe, tmp_path, family, support):
    """A Llama / Mistral checkpoint's tokenizer.json read as transformers 5.2's AutoTokenizer reads it for these
    model types: as it is (ids, offsets, padding side); its LlamaTokenizer class, which rebuilds the pipeline, is
    not leanpipe's (leanpipe has AutoTokenizer only for these)."""
    from family_checks import assert_same_encoding

    folder = tmp_path / family
    shutil.copytree(sentencepiece_style_bpe, folder)
    (folder / "config.json").write_text(json.dumps({"model_type": family, "vocab_size": 500}))
    ours, theirs = leanpipe.AutoTokenizer.from_pretrained(folder), transformers.AutoTokenizer.from_pretrained(folder)
    assert ours.padding_side == theirs.padding_side and ours.pad_token is theirs.pad_token is None
    ours.pad_token, theirs.pad_token = ours.eos_token, theirs.eos_token  # what users of these checkpoints do to pad
    texts = [*TEXTS[:8], " leading and  double spaces", "Ünïcödé, émojis 🙂 and digits 12345"]
    options = dict(return_offsets_mapping=True, padding=True)
    assert_same_encoding(ours(texts, **options), theirs(texts, **options), f"{family} tokenizer")
    assert ours.decode(ours(texts[-1])["input_ids"]) == theirs.decode(theirs(texts[-1])["input_ids"])
    support(family, "tokenizer", "tokenizer.json")


@pytest.mark.parametrize("side", ["right", "left"])
def test_mistral_sentence_transformer(models, tmp_path, side):
    """An e5-mistral-shaped embedding model (MistralModel, last-token pooling, Normalize, an instruction prompt)."""
    same_last_token_embeddings(models("mistral", "sliding", "Model"), tmp_path, side, "mistral")


@pytest.mark.parametrize("name", ["LlamaConfig", "MistralConfig"])
def test_config_defaults(name):
    check_config_defaults(name)


def test_older_rope_keys_and_refusals(tmp_path):
    """rope_theta / rope_scaling as Llama 3.x's config.json files spell them, read as transformers reads them
    (original_max_position_embeddings defaulting to max_position_embeddings); YaRN refused naming the key."""
    config = transformers.LlamaConfig(**TINY).to_dict()
    del config["rope_parameters"]
    scaling = {k: v for k, v in LLAMA3.items() if k not in ("rope_theta", "original_max_position_embeddings")}
    (tmp_path / "config.json").write_text(json.dumps({**config, "rope_theta": 500000.0, "rope_scaling": scaling}))
    assert leanpipe.AutoConfig.from_pretrained(tmp_path).rope_parameters == \
        transformers.AutoConfig.from_pretrained(tmp_path).rope_parameters
    (tmp_path / "config.json").write_text(json.dumps({**config, "rope_scaling": {"rope_type": "yarn", "factor": 4.0}}))
    with pytest.raises(leanpipe.ConfigError, match="rope_type 'yarn'"):
        leanpipe.AutoConfig.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({**config, "rope_scaling": {"rope_type": "llama3", "factor": 8.0}}))
    with pytest.raises(leanpipe.ConfigError, match="low_freq_factor"):
        leanpipe.AutoConfig.from_pretrained(tmp_path)
