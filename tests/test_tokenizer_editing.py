"""Editing a loaded tokenizer against transformers 5.2, on every tokenizer fixture of the parity tests.

add_tokens / add_special_tokens (return values, ids, tokens, decoding, len, get_vocab,
get_added_vocab, added_tokens_decoder flags, special-token attributes, the Rust backend's JSON),
the result surviving save_pretrained -> from_pretrained in both libraries, `_tokenizer`,
`do_lower_case` and the BERT-style init_kwargs, and save_vocabulary's files read back by transformers.

Fixtures: test_tokenizer.py's BERT variants (minilm, vocab_only, cased, strip, saved, generic,
distil) and the family folders of test_families.py, test_families_more.py, test_bart.py,
test_esm.py and test_t5.py (legacy files and tokenizer.json layouts).
"""

from __future__ import annotations

import json
import shutil

import pytest
from tokenizers import AddedToken

pytest.importorskip("sentencepiece", reason="the test extra's sentencepiece trains the tiny .model files")
transformers = pytest.importorskip("transformers")

import leanpipe  # noqa: E402
import test_bart  # noqa: E402
import test_esm  # noqa: E402
import test_families  # noqa: E402
import test_families_more  # noqa: E402
import test_t5  # noqa: E402
from corpus import TEXTS  # noqa: E402
from family_checks import PARITY_MARKS, plain  # noqa: E402
from family_fixtures import build_tokenizers, build_variants  # noqa: E402
from leanpipe.errors import InputError, TokenizerError  # noqa: E402
from more_family_fixtures import build_tokenizers as build_more_tokenizers  # noqa: E402
from test_tokenizer import _vocab_folder  # noqa: E402

pytestmark = PARITY_MARKS
BERT_VARIANTS = ["minilm", "vocab_only", "cased", "strip", "saved", "generic", "distil"]
CASES = (BERT_VARIANTS + test_families.TOKENIZER_FOLDERS + test_families_more.TOKENIZER_FOLDERS
         + ["bart-legacy", "bart-json", "esm-hub", "esm-vocab", "t5-spiece", "t5-json", "t5-hub"])
LOADERS = {  # variant -> (leanpipe class, transformers class); AutoTokenizer otherwise
    "generic": ("PreTrainedTokenizerFast", "PreTrainedTokenizerFast"), "distil": ("DistilBertTokenizer", "DistilBertTokenizer"),
}
TEXT = "Hello NewTok newtok2 CaseTok casetok <x> <CLS> <y> <sp> solo, and [MASK] <mask> café"


@pytest.fixture(scope="module")
def folders(minilm, tmp_path_factory):
    root = tmp_path_factory.mktemp("editing")
    found = {"minilm": minilm, "generic": minilm, "distil": minilm,
             "vocab_only": _vocab_folder(minilm, root / "vocab_only"),
             "cased": _vocab_folder(minilm, root / "cased", do_lower_case=False, clean_up_tokenization_spaces=True),
             "strip": _vocab_folder(minilm, root / "strip", strip_accents=True, tokenize_chinese_chars=False,
                                    do_lower_case=False, additional_special_tokens=["<ent>"])}
    transformers.AutoTokenizer.from_pretrained(minilm).save_pretrained(root / "saved")
    found["saved"] = root / "saved"
    families = build_tokenizers(root / "families")
    found.update(families, **build_variants(root / "families", families))
    found.update(build_more_tokenizers(root / "more"))
    factory = tmp_path_factory
    found.update({f"bart-{k}": v for k, v in test_bart.tokenizer_folders.__wrapped__(factory).items()})
    found.update({f"esm-{k}": v for k, v in test_esm.tokenizer_folders.__wrapped__(factory).items()})
    found.update({f"t5-{k}": v for k, v in test_t5.tokenizer_folders.__wrapped__(factory).items()})
    return found


def load_both(name, folder):
    ours, theirs = LOADERS.get(name, ("AutoTokenizer", "AutoTokenizer"))
    return getattr(leanpipe, ours).from_pretrained(folder), getattr(transformers, theirs).from_pretrained(folder)


def state(tok, texts):
    """Everything the editing can change, in comparable form."""
    encoded = tok(texts, padding=True, return_special_tokens_mask=True)
    return {
        "len": len(tok), "vocab_size": tok.vocab_size, "vocab": tok.get_vocab(), "added_vocab": tok.get_added_vocab(),
        "added_encoder": tok.added_tokens_encoder,
        "added_decoder": {i: (t.content, t.special, t.normalized, t.lstrip, t.rstrip, t.single_word)
                          for i, t in tok.added_tokens_decoder.items()},
        "special_map": tok.special_tokens_map, "all_special": tok.all_special_tokens, "all_special_ids": tok.all_special_ids,
        "extra": list(tok.extra_special_tokens),
        "named": {n: (getattr(tok, n), getattr(tok, f"{n}_id")) for n in ("bos_token", "eos_token", "unk_token", "sep_token",
                                                                            "pad_token", "cls_token", "mask_token")},
        "encoded": {k: plain(v) for k, v in encoded.items()},
        "tokens": [tok.tokenize(text) for text in texts],
        "decoded": [tok.batch_decode(encoded["input_ids"], skip_special_tokens=skip) for skip in (False, True)],
    }


def assert_same_state(ours, theirs, texts, what):
    mine, ref = state(ours, texts), state(theirs, texts)
    for key in ref:
        assert mine[key] == ref[key], f"{what}: {key}"


def add_plain_tokens(tok):
    """The add_tokens calls every test makes, in order; -> their return values."""
    return [
        tok.add_tokens(["hello", "NewTok", "newtok2", "hello"]),  # one of the base vocabulary ("hello" in BERT's), a repeat
        tok.add_tokens("solo"),
        tok.add_tokens(AddedToken("CaseTok", normalized=False)),
        tok.add_tokens(["<sp>"], special_tokens=True),
        tok.add_tokens([]),
        tok.add_tokens(["NewTok"]),  # already added: 0
    ]


def add_named_tokens(tok, cls_token="<CLS>"):
    named = {"cls_token": cls_token} if cls_token else {}
    return [
        tok.add_special_tokens({**named, "pad_token": AddedToken("<pad2>", lstrip=True),
                                "additional_special_tokens": ["<x>", "solo"]}),
        tok.add_special_tokens({"extra_special_tokens": ["<y>", "<x>"]}, replace_extra_special_tokens=False),
        tok.add_special_tokens({"extra_special_tokens": ["<z>"]}),  # replaces: <x>, <y> stay added tokens
        tok.add_special_tokens({"mask_token": tok.mask_token or "<m>"}),  # a token it already has
        tok.add_special_tokens({}),
    ]


def assert_same_backend_tokens(ours, theirs):
    """The Rust backend's added_tokens, flags and all (transformers' EsmTokenizer is Python: no backend)."""
    assert ours._tokenizer is ours.backend_tokenizer
    if theirs.is_fast:
        assert json.loads(ours._tokenizer.to_str())["added_tokens"] == json.loads(theirs._tokenizer.to_str())["added_tokens"]


@pytest.mark.parametrize("name", CASES)
def test_add_tokens_matches_transformers(folders, name):
    ours, theirs = load_both(name, folders[name])
    assert add_plain_tokens(ours) == add_plain_tokens(theirs)
    assert_same_state(ours, theirs, [TEXT, *TEXTS[:4]], name)
    assert_same_backend_tokens(ours, theirs)


@pytest.mark.parametrize("name", CASES)
def test_add_special_tokens_matches_transformers(folders, name):
    ours, theirs = load_both(name, folders[name])
    assert add_plain_tokens(ours) == add_plain_tokens(theirs)
    assert add_named_tokens(ours) == add_named_tokens(theirs)
    assert ours.extra_special_tokens == ["<z>"]
    assert_same_state(ours, theirs, [TEXT, *TEXTS[:4]], name)
    assert_same_backend_tokens(ours, theirs)
    for bad in ({"foo_token": "<f>"}, {"extra_special_tokens": "<one>"}, {"pad_token": 5}):
        with pytest.raises(ValueError):
            theirs.add_special_tokens(bad)
        with pytest.raises(TokenizerError):
            ours.add_special_tokens(bad)


@pytest.mark.parametrize("name", CASES)
def test_added_tokens_survive_save_and_load(folders, name, tmp_path):
    """Saved by either library, loaded by either: the four tokenizers agree, and keep every added token."""
    ours, theirs = load_both(name, folders[name])
    # transformers 5.2's AlbertTokenizer cannot load a folder whose cls_token is outside the base
    # vocabulary (its template looks it up there: TypeError), so ALBERT keeps its [CLS]
    cls_token = None if name.startswith("albert") else "<CLS>"
    for tok in (ours, theirs):
        add_plain_tokens(tok)
        add_named_tokens(tok, cls_token)
    ours.save_pretrained(tmp_path / "ours")
    theirs.save_pretrained(tmp_path / "theirs")
    texts = [TEXT, *TEXTS[:4]]
    reference = state(transformers.AutoTokenizer.from_pretrained(tmp_path / "theirs"), texts)
    for folder in ("ours", "theirs"):
        again_ours, again_theirs = leanpipe.AutoTokenizer.from_pretrained(tmp_path / folder), transformers.AutoTokenizer.from_pretrained(tmp_path / folder)
        assert_same_state(again_ours, again_theirs, texts, f"{name} saved by {folder}")
        mine = state(again_ours, texts)
        for key in reference:
            assert mine[key] == reference[key], f"{name} saved by {folder}: {key}"
        assert again_ours.get_added_vocab().keys() >= {"NewTok", "<pad2>", "<x>", "<z>", "<sp>"}
        assert again_ours.cls_token == (cls_token or theirs.cls_token) and again_ours.extra_special_tokens == ["<z>"]


@pytest.mark.parametrize("name", CASES)
def test_do_lower_case_and_init_kwargs(folders, name):
    """`do_lower_case` on exactly the classes transformers 5.2 gives it (BERT, DistilBERT, MPNet, ALBERT,
    DeBERTa-v2), same value; the flags transformers keeps in init_kwargs present with the same values."""
    ours, theirs = load_both(name, folders[name])
    assert hasattr(ours, "do_lower_case") == hasattr(theirs, "do_lower_case")
    if hasattr(theirs, "do_lower_case"):
        assert ours.do_lower_case == theirs.do_lower_case
    for key in ("do_lower_case", "strip_accents", "tokenize_chinese_chars", "keep_accents"):
        assert (key in ours.init_kwargs) == (key in theirs.init_kwargs), key
        assert ours.init_kwargs.get(key) == theirs.init_kwargs.get(key), key


def test_do_lower_case_follows_the_config(folders):
    for name, expected in (("minilm", True), ("cased", False), ("distil", True), ("albert-cased", False), ("mpnet-legacy", True)):
        assert load_both(name, folders[name])[0].do_lower_case is expected, name
    assert not hasattr(leanpipe.AutoTokenizer.from_pretrained(folders["roberta-json"]), "do_lower_case")


SENTENCEPIECE = ("xlm-roberta", "camembert", "albert", "deberta-v2", "t5")


def vocabulary_kind(tok):
    if type(tok).__name__ in ("XLMRobertaTokenizer", "CamembertTokenizer", "AlbertTokenizer", "T5Tokenizer", "DebertaV2Tokenizer"):
        return "sentencepiece"
    return "esm" if tok.slow else type(tok.backend_tokenizer.model).__name__


EXPECTED_FILES = {"WordPiece": ["vocab.txt"], "BPE": ["vocab.json", "merges.txt"], "esm": ["vocab.txt"]}


@pytest.mark.parametrize("name", CASES)
def test_save_vocabulary_is_read_back_by_transformers(folders, name, tmp_path):
    """The files are the family's legacy ones: in place of the checkpoint's tokenizer.json or vocabulary
    files (its tokenizer_config.json etc. kept), transformers 5.2 loads them to the same ids and vocabulary.
    (transformers 5.2's own save_vocabulary copies one loaded file under the name tokenizer.model, or fails
    for a tokenizer.json folder, so it is not the reference here.)"""
    ours, theirs = load_both(name, folders[name])
    out = tmp_path / "vocab"
    out.mkdir()
    kind = vocabulary_kind(ours)
    if kind == "sentencepiece":
        model_files = [f for f in folders[name].iterdir() if f.suffix == ".model"]
        if not model_files:
            with pytest.raises(TokenizerError, match="use save_pretrained"):
                ours.save_vocabulary(out)
            return
        written = ours.save_vocabulary(out)
        assert [p.split("/")[-1] for p in written] == [model_files[0].name]
        assert (out / model_files[0].name).read_bytes() == model_files[0].read_bytes()
    else:
        written = ours.save_vocabulary(out)
        assert [p.split("/")[-1] for p in written] == EXPECTED_FILES[kind]
        prefixed = ours.save_vocabulary(tmp_path, filename_prefix="mine")
        assert [p.split("/")[-1] for p in prefixed] == [f"mine-{f}" for f in EXPECTED_FILES[kind]]
    if type(ours) is leanpipe.PreTrainedTokenizerFast:  # no family class to read them: compare with tokenizer.json
        assert_files_hold_the_model(ours, out)
        return
    for extra in ("config.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"):
        if (folders[name] / extra).exists():  # the checkpoint's other files, next to the written vocabulary
            shutil.copy(folders[name] / extra, out / extra)
    again = transformers.AutoTokenizer.from_pretrained(out)
    texts = [*TEXTS[:6], "fill the <mask> here [MASK]"]
    assert plain(again(texts).input_ids) == plain(theirs(texts).input_ids)
    assert again.get_vocab() == theirs.get_vocab()


def assert_files_hold_the_model(tok, folder):
    """vocab.txt / vocab.json + merges.txt equal the backend model's vocabulary and merges, in order."""
    model = json.loads(tok.backend_tokenizer.to_str())["model"]
    if model["type"] == "WordPiece":
        lines = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")
        assert [t for t in lines if t] == sorted(model["vocab"], key=model["vocab"].__getitem__)
        return
    assert json.loads((folder / "vocab.json").read_text(encoding="utf-8")) == model["vocab"]
    merges = [line for line in (folder / "merges.txt").read_text(encoding="utf-8").split("\n") if line and not line.startswith("#version")]
    assert merges == [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]


def test_save_vocabulary_errors(folders, tmp_path):
    tok = leanpipe.AutoTokenizer.from_pretrained(folders["minilm"])
    with pytest.raises(InputError, match="not an existing folder"):
        tok.save_vocabulary(tmp_path / "missing")
    with pytest.raises(TokenizerError, match="use save_pretrained"):
        leanpipe.AutoTokenizer.from_pretrained(folders["albert-json"]).save_vocabulary(tmp_path)


def test_add_tokens_refuses_non_tokens(folders):
    tok = leanpipe.AutoTokenizer.from_pretrained(folders["minilm"])
    with pytest.raises(TokenizerError, match="pass a str or a tokenizers.AddedToken"):
        tok.add_tokens(["ok", 5])
    assert len(tok) == 30522


def test_model_refuses_added_token_ids_naming_resize(folders):
    """Ids past the model's vocabulary (tokens added to the tokenizer) stop the model with an InputError
    that names transformers' model.resize_token_embeddings(len(tokenizer)), which leanpipe lacks."""
    tok = leanpipe.AutoTokenizer.from_pretrained(folders["minilm"])
    model = leanpipe.AutoModel.from_pretrained(folders["minilm"])
    assert tok.add_tokens(["brandnewword"]) == 1
    model(**tok("a plain text", return_tensors="np"))  # still fine without the new token
    with pytest.raises(InputError, match=r"model\.resize_token_embeddings\(len\(tokenizer\)\)"):
        model(**tok("a brandnewword here", return_tensors="np"))
