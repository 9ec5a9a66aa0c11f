"""SentencePiece Unigram tokenizers (XLM-RoBERTa, CamemBERT, ALBERT, T5), assembled as transformers 5.2 assembles them.

Only the pieces and their scores come from the checkpoint: tokenizer.json's Unigram vocabulary, or
the older `.model` file (sentencepiece.bpe.model, spiece.model; read by spm_model.py). The
normalizer, pre-tokenizer, decoder and post-processor are rebuilt by the class, as
models/xlm_roberta/tokenization_xlm_roberta.py and models/albert/tokenization_albert.py do:

    "Hello world" --normalizer--> --WhitespaceSplit + Metaspace--> ["▁Hello", "▁world"] --Unigram--> ids

Two transformers 5.2 details are kept on purpose, since ids must match it: neither class applies
the model's precompiled (NFKC) normalizer, and XLM-RoBERTa's pair template puts one </s> between
the texts (`<s> A </s> B </s>`).
"""

from __future__ import annotations

from typing import Any

from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from ..errors import CheckpointError
from . import files as F
from .special_tokens import SpecialTokens, as_token, collect_special_tokens, prefer_declared, register_tokens
from .spm_model import CONTROL, USER_DEFINED, Piece, read_pieces

XLM_ROBERTA_MODEL_FILE, ALBERT_MODEL_FILE = "sentencepiece.bpe.model", "spiece.model"

# Defaults of XLMRobertaTokenizer.__init__ / AlbertTokenizer.__init__.
XLM_ROBERTA_DEFAULT_TOKENS = {
    "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
    "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
}
ALBERT_DEFAULT_TOKENS = {
    "bos_token": "[CLS]", "eos_token": "[SEP]", "unk_token": "<unk>", "sep_token": "[SEP]",
    "pad_token": "<pad>", "cls_token": "[CLS]", "mask_token": "[MASK]",
}
Vocab = list[tuple[str, float]]


def metaspace_backend(vocab: Vocab, unk_id: int, normalizer: normalizers.Normalizer | None, *,
                      add_prefix_space: bool) -> Tokenizer:
    """Unigram model + `normalizer` + WhitespaceSplit/Metaspace pre-tokenizer + Metaspace decoder."""
    backend = Tokenizer(Unigram(vocab, unk_id=unk_id, byte_fallback=False))
    backend.normalizer = normalizer
    scheme = "always" if add_prefix_space else "never"
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme=scheme)]
    )
    backend.decoder = decoders.Metaspace(replacement="▁", prepend_scheme=scheme)
    return backend


def _json_vocab(path) -> Vocab:
    model = F.read_json_object(path).get("model")
    vocab = model.get("vocab") if isinstance(model, dict) else None
    if not isinstance(vocab, list) or not vocab or not isinstance(vocab[0], (list, tuple)):
        raise CheckpointError(
            f"{path} has no Unigram vocabulary ([[piece, score], ...]); it is not a SentencePiece tokenizer.json"
        )
    return [(str(piece), float(score)) for piece, score in vocab]


def _model_pieces(files: F.TokenizerFiles, filename: str) -> list[Piece]:
    """Pieces of the checkpoint's `.model` file."""
    path = files.find(filename)
    if path is None:
        raise CheckpointError(
            f"no tokenizer.json and no {filename} in {files.name_or_path}; this tokenizer needs one of them "
            f"(save it with tokenizer.save_pretrained(folder))"
        )
    return read_pieces(path)


def _spm_special_tokens(pieces: list[Piece], init: dict[str, Any]) -> None:
    """transformers' SentencePieceExtractor: control and user-defined pieces become extra special
    tokens (special only if control), unless tokenizer_config.json lists its own."""
    if "extra_special_tokens" not in init and "additional_special_tokens" not in init:
        init["additional_special_tokens"] = [
            AddedToken(p.piece, normalized=False, special=p.type == CONTROL) for p in pieces if p.type in (CONTROL, USER_DEFINED)
        ]


def _named(init: dict[str, Any], name: str, defaults: dict[str, str]) -> str:
    return str(as_token(init.get(name, defaults[name]), where=name))


def _register(backend: Tokenizer, init: dict[str, Any], added: dict[int, AddedToken], defaults: dict[str, str]) -> SpecialTokens:
    specials = collect_special_tokens(init, defaults=defaults)
    prefer_declared(specials, added)
    register_tokens(backend, added, specials)
    return specials


def _id(backend: Tokenizer, token: str, files: F.TokenizerFiles) -> int:
    index = backend.token_to_id(token)
    if index is None:
        raise CheckpointError(f"special token {token!r} is not in the vocabulary of {files.name_or_path}")
    return index


# --- XLM-RoBERTa -------------------------------------------------------------------------------

def xlm_roberta_vocab(pieces: list[Piece], init: dict[str, Any]) -> Vocab:
    """fairseq's ids over the SentencePiece ones (XLMRobertaConverter.convert_from_spm):
    <s> <pad> </s> <unk>, then the pieces after the model's first three, then <mask>."""
    d = XLM_ROBERTA_DEFAULT_TOKENS
    head = [(_named(init, n, d), 0.0) for n in ("bos_token", "pad_token", "eos_token", "unk_token")]
    return head + [(p.piece, p.score) for p in pieces[3:]] + [(_named(init, "mask_token", d), 0.0)]


def xlm_roberta_backend(
    files: F.TokenizerFiles, init: dict[str, Any], added: dict[int, AddedToken]
) -> tuple[Tokenizer, SpecialTokens]:
    """transformers' XLMRobertaTokenizer recipe: the backend and its special tokens, registered."""
    if files.tokenizer_json is not None:
        vocab = _json_vocab(files.tokenizer_json)
    else:
        pieces = _model_pieces(files, XLM_ROBERTA_MODEL_FILE)
        vocab = xlm_roberta_vocab(pieces, init)
        _spm_special_tokens(pieces, init)
    # tokenization_xlm_roberta passes " {2,}" as a plain string: it replaces that literal text, not runs of spaces
    normalizer = normalizers.Sequence([normalizers.Strip(left=False, right=True), normalizers.Replace(" {2,}", "▁")])
    backend = metaspace_backend(vocab, 3, normalizer, add_prefix_space=bool(init.pop("add_prefix_space", True)))
    specials = _register(backend, init, added, XLM_ROBERTA_DEFAULT_TOKENS)
    bos, eos = str(specials.named.get("bos_token")), str(specials.named.get("eos_token"))
    backend.post_processor = processors.TemplateProcessing(
        single=[bos, "$A", eos], pair=[bos, "$A", eos, "$B", eos],
        special_tokens=[(bos, _id(backend, bos, files)), (eos, _id(backend, eos, files))],
    )
    return backend, specials


# --- CamemBERT ---------------------------------------------------------------------------------

CAMEMBERT_EXTRA_TOKENS = ["<s>NOTUSED", "</s>NOTUSED", "<unk>NOTUSED"]  # CamembertTokenizer's additional specials


def camembert_vocab(pieces: list[Piece], init: dict[str, Any]) -> Vocab:
    """fairseq's ids over the SentencePiece ones (CamembertConverter.convert_from_spm): <s>NOTUSED <pad>
    </s>NOTUSED <unk> <unk>NOTUSED, the pieces after the model's first (its <unk>), then <mask>."""
    d = XLM_ROBERTA_DEFAULT_TOKENS
    head = [("<s>NOTUSED", 0.0), (_named(init, "pad_token", d), 0.0), ("</s>NOTUSED", 0.0),
            (_named(init, "unk_token", d), 0.0), ("<unk>NOTUSED", -100.0)]
    return head + [(p.piece, p.score) for p in pieces[1:]] + [(_named(init, "mask_token", d), 0.0)]


def camembert_backend(
    files: F.TokenizerFiles, init: dict[str, Any], added: dict[int, AddedToken]
) -> tuple[Tokenizer, SpecialTokens]:
    """transformers' CamembertTokenizer recipe (models/camembert/tokenization_camembert.py): XLM-RoBERTa's
    ids and specials, but whitespace runs, tabs and newlines become one space, the pre-tokenizer is
    Metaspace alone, the <mask> strips spaces on its left, and pairs are `<s> A </s> </s> B </s>`."""
    if files.tokenizer_json is not None:
        vocab = _json_vocab(files.tokenizer_json)
    else:
        pieces = _model_pieces(files, XLM_ROBERTA_MODEL_FILE)
        vocab = camembert_vocab(pieces, init)
        _spm_special_tokens(pieces, init)  # the .model's control pieces, instead of the NOTUSED defaults
    unk = _named(init, "unk_token", XLM_ROBERTA_DEFAULT_TOKENS)
    backend = Tokenizer(Unigram(vocab, unk_id=next((i for i, (t, _) in enumerate(vocab) if t == unk), 0), byte_fallback=False))
    backend.normalizer = normalizers.Sequence([normalizers.Replace(Regex(r"\s{2,}|[\n\r\t]"), " "),
                                               normalizers.Strip(left=False, right=True)])
    scheme = "always" if bool(init.pop("add_prefix_space", True)) else "never"
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme=scheme)
    backend.decoder = decoders.Metaspace(replacement="▁", prepend_scheme=scheme)
    mask = init.get("mask_token", XLM_ROBERTA_DEFAULT_TOKENS["mask_token"])
    if isinstance(mask, str):
        init["mask_token"] = AddedToken(mask, lstrip=True, special=True)
    if "extra_special_tokens" not in init and "additional_special_tokens" not in init:
        init["additional_special_tokens"] = list(CAMEMBERT_EXTRA_TOKENS)
    specials = _register(backend, init, added, XLM_ROBERTA_DEFAULT_TOKENS)
    bos, eos = str(specials.named.get("bos_token")), str(specials.named.get("eos_token"))
    backend.post_processor = processors.TemplateProcessing(
        single=[bos, "$A", eos], pair=[bos, "$A", eos, eos, "$B", eos],
        special_tokens=[(bos, _id(backend, bos, files)), (eos, _id(backend, eos, files))],
    )
    return backend, specials


# --- ALBERT ------------------------------------------------------------------------------------

def albert_normalizer(*, do_lower_case: bool, keep_accents: bool) -> normalizers.Normalizer:
    """AlbertTokenizer's normalizer in transformers 5.2: quotes, then NFKD + strip accents + lowercase
    + collapse spaces whatever the flags say, then those steps again as the flags ask."""
    steps = [
        normalizers.Replace("``", '"'), normalizers.Replace("''", '"'),
        normalizers.NFKD(), normalizers.StripAccents(), normalizers.Lowercase(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ]
    if not keep_accents:
        steps += [normalizers.NFKD(), normalizers.StripAccents()]
    if do_lower_case:
        steps.append(normalizers.Lowercase())
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def albert_backend(
    files: F.TokenizerFiles, init: dict[str, Any], added: dict[int, AddedToken]
) -> tuple[Tokenizer, SpecialTokens]:
    """transformers' AlbertTokenizer recipe: the backend and its special tokens, registered.

    The post-processor is tokenizer.json's own when it has one (TokenizersBackend sets it after
    AlbertTokenizer.__init__ built its template), else `[CLS] A [SEP] (B [SEP])` with B typed 1.
    """
    stored = None  # tokenizer.json's post-processor
    if files.tokenizer_json is not None:
        vocab = _json_vocab(files.tokenizer_json)
        stored = F.load_tokenizer_json(files.tokenizer_json).post_processor
    else:
        pieces = _model_pieces(files, ALBERT_MODEL_FILE)
        vocab = [(p.piece, p.score) for p in pieces]
        _spm_special_tokens(pieces, init)
    lower, keep_accents = bool(init.pop("do_lower_case", True)), bool(init.pop("keep_accents", False))
    normalizer = albert_normalizer(do_lower_case=lower, keep_accents=keep_accents)
    backend = metaspace_backend(vocab, 1, normalizer, add_prefix_space=bool(init.pop("add_prefix_space", True)))
    d = ALBERT_DEFAULT_TOKENS
    # AlbertTokenizer looks the template's ids up before any token is added
    cls_id, sep_id = (backend.token_to_id(_named(init, n, d)) for n in ("cls_token", "sep_token"))
    specials = _register(backend, init, added, d)
    if stored is not None:
        backend.post_processor = stored
    elif cls_id is None or sep_id is None:
        raise CheckpointError(f"the cls/sep tokens of {files.name_or_path} are not in its SentencePiece vocabulary")
    else:
        backend.post_processor = processors.TemplateProcessing(
            single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
            special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
        )
    init.pop("trim_offsets", None)  # stored by AlbertTokenizer, used by nothing
    return backend, specials


# --- T5 ----------------------------------------------------------------------------------------

T5_MODEL_FILE = "spiece.model"
T5_DEFAULT_TOKENS = {"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}
T5_UNK_ID = 2  # T5Tokenizer builds its Unigram with unk_id=2, whatever the vocabulary says


def t5_sentinels(init: dict[str, Any]) -> list[str]:
    """<extra_id_0> .. <extra_id_{n-1}>, n = tokenizer_config.json's extra_ids (default 100)."""
    count = init.pop("extra_ids", 100)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise CheckpointError(f"extra_ids={count!r} in tokenizer_config.json must be a non-negative integer")
    return [f"<extra_id_{i}>" for i in range(count)]


def add_sentinels(init: dict[str, Any], sentinels: list[str]) -> None:
    """T5Tokenizer.__init__'s special-token list: the sentinels alone when none is listed, appended to a
    list that has none of them, else the list as it is. T5Tokenizer looks only at additional_special_tokens:
    an extra_special_tokens list (transformers 5's name, as save_pretrained writes it) wins as it is."""
    if "extra_special_tokens" in init:
        return
    key = "additional_special_tokens"
    listed = init.get(key)
    if listed is None:
        init[key] = list(sentinels)
    elif isinstance(listed, (list, tuple)) and not any("<extra_id_" in str(getattr(t, "content", t)) for t in listed):
        init[key] = [*listed, *sentinels]


def t5_backend(files: F.TokenizerFiles, init: dict[str, Any], added: dict[int, AddedToken]) -> tuple[Tokenizer, SpecialTokens]:
    """transformers' T5Tokenizer recipe (models/t5/tokenization_t5.py): the Unigram pieces of
    tokenizer.json or spiece.model (then the sentinels after them, last one first, as T5's converter
    orders them), no normalizer (a hub tokenizer.json's precompiled NFKC map is not applied, as in
    transformers 5.2), WhitespaceSplit + Metaspace, and `A </s>` / `A </s> B </s>`."""
    sentinels = t5_sentinels(init)
    if files.tokenizer_json is not None:
        vocab = _json_vocab(files.tokenizer_json)
    else:
        pieces = _model_pieces(files, T5_MODEL_FILE)
        _spm_special_tokens(pieces, init)  # the control pieces (<pad>, </s>), unless the config lists its own
        known = {p.piece for p in pieces}
        vocab = [(p.piece, p.score) for p in pieces] + [(s, 0.0) for s in reversed(sentinels) if s not in known]
    add_sentinels(init, sentinels)
    backend = metaspace_backend(vocab, T5_UNK_ID, None, add_prefix_space=True)
    specials = _register(backend, init, added, T5_DEFAULT_TOKENS)
    eos = str(specials.named.get("eos_token"))
    backend.post_processor = processors.TemplateProcessing(
        single=["$A", eos], pair=["$A", eos, "$B", eos], special_tokens=[(eos, _id(backend, eos, files))],
    )
    return backend, specials
