"""ESM protein language models (model_type "esm") against transformers 5.2 on the same files.

Two tiny random shapes, each with every head transformers has for ESM (no question answering):
"esm2" (rotary positions, token dropout, as facebook/esm2_*) and "esm1b" (learned positions and an
embedding LayerNorm, as facebook/esm1b_t33_650M_UR50S). The tokenizer is ESM-2's 33-token vocab.txt,
as the Hub has it (vocab.txt + tokenizer_config.json), and as vocab.txt alone. Outputs within 1e-4
(max abs, printed) on both engines; ids, special-token masks and decoding identical; pipelines as
transformers' with its Python tokenizer (no offsets: token-classification gives start/end None).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
from conftest import assert_close  # noqa: E402
from family_checks import check_model_helpers, ATOL, ENGINES, PARITY_MARKS, check_attentions, check_hidden_states, int8_test, plain, same  # noqa: E402
from leanpipe.errors import ConfigError, InputError  # noqa: E402

pytestmark = PARITY_MARKS
# ESM-2's vocabulary (facebook/esm2_t6_8M_UR50D vocab.txt): specials, amino acids, gap / null tokens, <mask>
VOCAB = ["<cls>", "<pad>", "<eos>", "<unk>", *"LAGVSERTIDPKQNFYMHWCXBUZO.-", "<null_1>", "<mask>"]
PROTEINS = ["MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQFEVVHSLAKWKRQTLGQHDFSAGEGLYTHMKALRPDEDRLSPLHSVYVDQWDWERVMGDGERQFSTLKSTVEAIWAGIKATEAAVSEEFGLAPFLPDQIHFVHSQELLSRYPDLDAKGRERAIAKDLGAVFLVGIGGKLSDGHRHDVRAPDYDDWSTPSELGHAGLNGDILVWNPVLEDAFELSSMGIRVDADTLKHQLALTGDEDRLELEWHQALLRGEMPQTIGGGIGQSRLTMLLLQLPHIGQVQAGVWPAACRESVPALL",
            "LAGVSERTIDPKQNFYMHWC", "M", "XBUZO.-", "mktayiak", "MK TAY\tIAK\n", "MK<mask>AY<mask>K", "<cls>M<eos>",
            "MKxyzT é", "<MASK>", "M<unk>K<null_1>", "", " "]
PAIRS = [("MKTAY", "IAKQR"), ("LAG", "V<mask>S"), ("", "M")]
MASKED = ["MK<mask>AYIAKQRQ", "M<mask>TAYIAKQRQISFVKSHFSRQLEERLGLIE", "<mask>LAGV", "MKTAY<mask><mask>AK"]
SHAPES = {
    "esm2": {"position_embedding_type": "rotary", "token_dropout": True, "emb_layer_norm_before": False},
    "esm1b": {"position_embedding_type": "absolute", "token_dropout": True, "emb_layer_norm_before": True},
}
HEADS = ("Model", "ForMaskedLM", "ForSequenceClassification", "ForTokenClassification")
HEAD_NAMES = {"Model": "base", "ForMaskedLM": "masked-lm", "ForSequenceClassification": "sequence-classification",
              "ForTokenClassification": "token-classification"}


@pytest.fixture(scope="module")
def tokenizer_folders(tmp_path_factory):
    """"hub": vocab.txt + tokenizer_config.json as EsmTokenizer saves them; "vocab": vocab.txt and
    config.json alone (AutoTokenizer picks EsmTokenizer from model_type "esm")."""
    root = tmp_path_factory.mktemp("esm-tokenizers")
    (root / "vocab").mkdir()
    (root / "vocab" / "vocab.txt").write_text("\n".join(VOCAB))
    transformers.EsmConfig(vocab_size=len(VOCAB), pad_token_id=1, mask_token_id=32).save_pretrained(root / "vocab")
    transformers.EsmTokenizer(str(root / "vocab" / "vocab.txt")).save_pretrained(root / "hub")
    shutil.copy(root / "vocab" / "config.json", root / "hub" / "config.json")
    return {"hub": root / "hub", "vocab": root / "vocab"}


@pytest.fixture(scope="module")
def models(tmp_path_factory, tokenizer_folders):
    """models(shape, head) -> a tiny random checkpoint folder (built once), with the hub tokenizer files."""
    root, built = tmp_path_factory.mktemp("esm-models"), {}

    def build(shape: str, head: str):
        if (shape, head) not in built:
            labels = {"ForSequenceClassification": {"id2label": {0: "membrane", 1: "soluble", 2: "other"}},
                      "ForTokenClassification": {"id2label": {0: "helix", 1: "strand", 2: "coil"}}}.get(head, {})
            config = transformers.EsmConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                            intermediate_size=37, pad_token_id=1, mask_token_id=32, layer_norm_eps=1e-5,
                                            max_position_embeddings=1026, **SHAPES[shape], **labels)
            torch.manual_seed(len(built))
            model = getattr(transformers, f"Esm{head}")(config)
            with torch.no_grad():  # non-trivial LayerNorms and biases, so a missed term shows
                for p in model.parameters():
                    p.add_(torch.randn_like(p) * 0.02)
            folder = root / f"{shape}-{head}"
            model.eval().save_pretrained(folder)
            for f in tokenizer_folders["hub"].iterdir():
                if f.name != "config.json":
                    shutil.copy(f, folder / f.name)
            built[(shape, head)] = folder
        return built[(shape, head)]

    return build


# --- tokenizer ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["hub", "vocab"])
def test_tokenizer_matches_transformers(tokenizer_folders, kind, support):
    ours = leanpipe.AutoTokenizer.from_pretrained(tokenizer_folders[kind])
    theirs = transformers.AutoTokenizer.from_pretrained(tokenizer_folders[kind])
    assert type(ours).__name__ == type(theirs).__name__ == "EsmTokenizer"
    assert ours.is_fast is theirs.is_fast is False
    options = dict(return_special_tokens_mask=True, return_length=True, return_offsets_mapping=True)  # no offsets in either
    for text in PROTEINS:
        a, b = ours(text, **options), theirs(text, **options)
        assert dict(a) == dict(b), f"{text!r}: {dict(a)} vs {dict(b)}"
        assert ours.tokenize(text) == theirs.tokenize(text), text
        for skip in (False, True):
            assert ours.decode(a["input_ids"], skip_special_tokens=skip) == theirs.decode(b["input_ids"], skip_special_tokens=skip), text
    for first, second in [*PAIRS, ("MKT", ""), ("", "MKT"), ("", "")]:  # a Python tokenizer keeps an empty second text
        assert dict(ours(first, second, return_token_type_ids=True)) == dict(theirs(first, second, return_token_type_ids=True))
    for options in (dict(padding=True), dict(padding="max_length", max_length=12, truncation=True), dict(truncation=True, max_length=6)):
        assert dict(ours(PROTEINS, **options)) == dict(theirs(PROTEINS, **options)), options
        if "padding" in options:
            assert plain(ours(PROTEINS[1:4], return_tensors="np", **options)["input_ids"]) == \
                theirs(PROTEINS[1:4], return_tensors="np", **options)["input_ids"].tolist()
    assert dict(ours(list("MKT"), is_split_into_words=True)) == dict(theirs(list("MKT"), is_split_into_words=True))
    assert ours.get_vocab() == theirs.get_vocab() and len(ours) == len(theirs)
    assert ours.special_tokens_map == theirs.special_tokens_map and ours.all_special_ids == theirs.all_special_ids
    assert (ours.mask_token_id, ours.pad_token_id, ours.cls_token_id, ours.eos_token_id, ours.sep_token) == \
        (theirs.mask_token_id, theirs.pad_token_id, theirs.cls_token_id, theirs.eos_token_id, theirs.sep_token)
    assert ours.convert_ids_to_tokens(list(range(len(VOCAB)))) == theirs.convert_ids_to_tokens(list(range(len(VOCAB))))
    support("esm", "tokenizer", "vocab.txt")


def test_saved_tokenizer_is_vocab_txt_and_loads_in_both(tokenizer_folders, tmp_path):
    """As EsmTokenizer.save_pretrained: vocab.txt + tokenizer_config.json (no tokenizer.json, which
    transformers would not read for this Python tokenizer); both libraries load it back the same."""
    original = transformers.AutoTokenizer.from_pretrained(tokenizer_folders["hub"])
    written = leanpipe.AutoTokenizer.from_pretrained(tokenizer_folders["hub"]).save_pretrained(tmp_path)
    assert sorted(p.rsplit("/", 1)[-1] for p in written) == ["tokenizer_config.json", "vocab.txt"]
    assert (tmp_path / "vocab.txt").read_text().split("\n") == VOCAB
    assert json.loads((tmp_path / "tokenizer_config.json").read_text())["tokenizer_class"] == "EsmTokenizer"
    for loaded in (leanpipe.AutoTokenizer.from_pretrained(tmp_path), transformers.AutoTokenizer.from_pretrained(tmp_path)):
        for text in PROTEINS:
            assert loaded(text)["input_ids"] == original(text)["input_ids"], (type(loaded), text)


# --- models ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_model_matches_transformers(models, tokenizer_folders, shape, head, engine, support):
    """Each sequence alone, and a padded batch without <mask>, as transformers computes them; a padded
    batch with <mask> tokens as transformers computes each sequence alone (token dropout's share of
    <mask> is per real tokens; transformers 5.2 divides by the padded length, see leanpipe/models/esm.py)."""
    folder = models(shape, head)
    theirs = getattr(transformers, f"Esm{head}").from_pretrained(folder).eval()
    auto = getattr(leanpipe, "AutoModel" if head == "Model" else f"AutoModel{head}")
    ours = auto.from_pretrained(folder, engine=engine)
    assert type(ours).__name__ == f"Esm{head}"
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    key = "last_hidden_state" if head == "Model" else "logits"

    def reference(texts):
        with torch.no_grad():
            return theirs(**tokenizer(texts, return_tensors="pt", padding=True))[key].numpy()

    for text in PROTEINS[:4] + MASKED:
        got = ours(**tokenizer(text, return_tensors="np"))[key]
        assert_close(got, reference(text), ATOL, f"{shape}/{head}/{engine} {text[:20]!r}")
    unmasked = PROTEINS[:4]
    batch = tokenizer(unmasked, return_tensors="np", padding=True)
    got, expected = ours(**batch)[key], reference(unmasked)
    if got.ndim == 3:  # per token: padding positions are not compared
        got, expected = got[batch["attention_mask"] == 1], expected[batch["attention_mask"] == 1]
    assert_close(got, expected, ATOL, f"{shape}/{head}/{engine} padded batch")
    batch = tokenizer(MASKED, return_tensors="np", padding=True)
    got = ours(**batch)[key]
    for row, text in enumerate(MASKED):
        alone = reference(text)[0]
        n = len(tokenizer(text)["input_ids"])
        assert_close(got[row, :n] if got.ndim == 3 else got[row], alone[:n] if got.ndim == 3 else alone, ATOL,
                     f"{shape}/{head}/{engine} masked batch row {row} vs alone")
    if engine == "onnx" and head in ("Model", "ForMaskedLM"):
        inputs = tokenizer(unmasked, return_tensors="pt", padding=True)
        check_hidden_states(ours, theirs, dict(inputs), f"{shape}/{head}")
        check_model_helpers(ours, theirs, f"{shape}/{head}")
        check_attentions(ours, folder, getattr(transformers, f"Esm{head}"), dict(inputs), f"{shape}/{head}")
    support("esm", "head", HEAD_NAMES[head])


def test_esmfold_and_decoder_configs_are_refused(models, tmp_path):
    folder = tmp_path / "fold"
    shutil.copytree(models("esm2", "Model"), folder)
    config = json.loads((folder / "config.json").read_text())
    for change, message in (({"is_folding_model": True}, "ESMFold"), ({"is_decoder": True}, "is_decoder"),
                            ({"position_embedding_type": "relative_key"}, "position_embedding_type")):
        (folder / "config.json").write_text(json.dumps({**config, **change}))
        with pytest.raises(ConfigError, match=message):
            leanpipe.AutoModel.from_pretrained(folder)


test_int8_runs_near_fp32 = int8_test(list(SHAPES), HEADS)


# --- pipelines ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", list(SHAPES))
def test_pipelines_match_transformers(models, shape):
    ours, theirs = (lib.pipeline("fill-mask", model=str(models(shape, "ForMaskedLM"))) for lib in (leanpipe, transformers))
    same(ours(MASKED[:3], top_k=3), theirs(MASKED[:3], top_k=3), f"{shape} fill-mask")
    # leanpipe pads sequences of different lengths together; each answer is still transformers' for it alone
    same(ours(MASKED[:3], top_k=3, batch_size=3), theirs(MASKED[:3], top_k=3), f"{shape} fill-mask, batched")
    ours, theirs = (lib.pipeline("text-classification", model=str(models(shape, "ForSequenceClassification")))
                    for lib in (leanpipe, transformers))
    same(ours(PROTEINS[:4], top_k=None), theirs(PROTEINS[:4], top_k=None), f"{shape} text-classification")
    ours, theirs = (lib.pipeline("feature-extraction", model=str(models(shape, "Model"))) for lib in (leanpipe, transformers))
    for text in PROTEINS[:3]:
        assert_close(np.array(ours(text)), np.array(theirs(text)), ATOL, f"{shape} feature-extraction")
    ours, theirs = (lib.pipeline("token-classification", model=str(models(shape, "ForTokenClassification")))
                    for lib in (leanpipe, transformers))
    for params in ({}, {"aggregation_strategy": "simple"}, {"ignore_labels": []}):
        same(ours(PROTEINS[:4], **params), theirs(PROTEINS[:4], **params), f"{shape} token-classification {params}")
    assert ours(PROTEINS[1], ignore_labels=[])[0]["start"] is None  # no offsets, as transformers' Python tokenizer
    for params, message in (({"aggregation_strategy": "first"}, "needs words"), ({"stride": 2, "aggregation_strategy": "simple"}, "stride"),
                            ({"is_split_into_words": True}, "is_split_into_words")):
        with pytest.raises(InputError, match=message):
            ours([list(PROTEINS[1])] if "is_split_into_words" in params else PROTEINS[1], **params)
        with pytest.raises(ValueError):
            theirs([list(PROTEINS[1])] if "is_split_into_words" in params else PROTEINS[1], **params)


@pytest.mark.parametrize("head", ["Model", "ForMaskedLM"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_predict_contacts(models, shape, head):
    """model.predict_contacts(tokens, attention_mask), as transformers' with eager attention (its
    default sdpa keeps no attention maps): (B, T-2, T-2) probabilities on a padded batch, both engines;
    a torch tensor in, a torch tensor out."""
    folder = models(shape, head)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    batch = tokenizer(PROTEINS[:3] + ["MKTAYIAKQRQISFVKSHFSRQLEERLGLIE"], return_tensors="pt", padding=True)
    theirs = getattr(transformers, f"Esm{head}").from_pretrained(folder, attn_implementation="eager").eval()
    with torch.no_grad():
        expected = theirs.predict_contacts(batch["input_ids"], batch["attention_mask"]).numpy()
    auto = getattr(leanpipe, "AutoModel" if head == "Model" else f"AutoModel{head}")
    for engine in ENGINES:
        ours = auto.from_pretrained(folder, engine=engine)
        got = ours.predict_contacts(batch["input_ids"].numpy(), batch["attention_mask"].numpy())
        assert got.shape == expected.shape
        assert_close(got, expected, ATOL, f"{shape}/{head}/{engine} contacts")
        assert isinstance(ours.predict_contacts(batch["input_ids"], batch["attention_mask"]), torch.Tensor)
