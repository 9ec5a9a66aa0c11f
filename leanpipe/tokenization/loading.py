"""From checkpoint files to the parts of a tokenizer: the Rust backend plus its settings.

Recipes, chosen exactly as transformers 5.2's `AutoTokenizer` chooses between them:

- "BertTokenizer" / "DistilBertTokenizer": vocabulary from tokenizer.json (or vocab.txt),
  everything else rebuilt from tokenizer_config.json (see bert_backend.py);
- "RobertaTokenizer", "XLMRobertaTokenizer", "CamembertTokenizer", "AlbertTokenizer": likewise, from
  tokenizer.json or vocab.json + merges.txt / sentencepiece.bpe.model / spiece.model (bpe_backend.py,
  sentencepiece_backend.py);
- "DebertaTokenizer" (v1): RoBERTa's byte-level BPE with [CLS] / [SEP] (bpe_backend.py);
- "MPNetTokenizer": BERT's WordPiece with <s> </s> specials (mpnet_backend.py);
- "DebertaV2Tokenizer": SentencePiece Unigram from tokenizer.json or spm.model (deberta_backend.py);
- "EsmTokenizer": vocab.txt split at every vocabulary token, then at whitespace (esm_backend.py);
- "PreTrainedTokenizerFast": tokenizer.json used as it is (transformers' TokenizersBackend).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from tokenizers import AddedToken, Tokenizer, processors

from ..errors import CheckpointError, LeanpipeError, TokenizerError
from . import files as F
from .bert_backend import BERT_DEFAULT_TOKENS, bert_template, build_wordpiece_backend
from .bpe_backend import deberta_backend, roberta_backend
from .deberta_backend import deberta_v2_backend
from .esm_backend import esm_backend
from .mpnet_backend import mpnet_backend
from .sentencepiece_backend import albert_backend, camembert_backend, t5_backend, xlm_roberta_backend
from .special_tokens import (
    SpecialTokens,
    as_token,
    collect_special_tokens,
    prefer_declared,
    register_tokens,
    special_strings,
)

logger = logging.getLogger(__name__)

VERY_LARGE_INTEGER = int(1e30)  # transformers' model_max_length for "no limit"
BERT, DISTILBERT, GENERIC = "BertTokenizer", "DistilBertTokenizer", "PreTrainedTokenizerFast"
ROBERTA, XLM_ROBERTA, ALBERT = "RobertaTokenizer", "XLMRobertaTokenizer", "AlbertTokenizer"
CAMEMBERT, DEBERTA = "CamembertTokenizer", "DebertaTokenizer"
MPNET, DEBERTA_V2, ESM = "MPNetTokenizer", "DebertaV2Tokenizer", "EsmTokenizer"
T5 = "T5Tokenizer"
REMBERT, BIG_BIRD, FNET = "RemBertTokenizer", "BigBirdTokenizer", "FNetTokenizer"
DPR_READER = "DPRReaderTokenizer"  # BERT's recipe, no token_type_ids among its outputs (tokenization_dpr)
GEMMA = "GemmaTokenizer"  # tokenizer.json as it is, padded on the left unless the files say otherwise (tokenization_gemma)
QWEN2 = "Qwen2Tokenizer"  # tokenizer.json as it is (tokenization_qwen2: Qwen 2 / 3's byte-level BPE)
# the classes built from tokenizer.json as it is, under their own name
JSON_AS_IS = frozenset({GENERIC, GEMMA, QWEN2})
# classes transformers 5.2 loads from tokenizer.json as it is, then gives `[CLS] A [SEP] (B [SEP])`, B typed 1,
# in their __init__ (tokenization_rembert, tokenization_big_bird), whatever post-processor the file holds
CLS_SEP_JSON = frozenset({REMBERT, BIG_BIRD})
# class -> (files, init, added tokens) -> (backend, special tokens); each mirrors that class's __init__
FAMILY_RECIPES = {
    ROBERTA: roberta_backend, XLM_ROBERTA: xlm_roberta_backend, ALBERT: albert_backend, MPNET: mpnet_backend,
    FNET: albert_backend,  # tokenization_fnet: FNetTokenizer is AlbertTokenizer with token_type_ids in its outputs
    CAMEMBERT: camembert_backend, DEBERTA: deberta_backend,
    DEBERTA_V2: deberta_v2_backend, ESM: esm_backend, T5: t5_backend,
}

# Model types whose transformers 5.2 tokenizer is BertTokenizer (models/auto/tokenization_auto.py).
BERT_MODEL_TYPES = frozenset(
    "align bark bert blip bros chinese_clip convbert distilbert electra ernie flava git grounding-dino "
    "layoutlm megatron-bert mm-grounding-dino nezha qdqbert realm retribert squeezebert tvp vilt visual_bert".split()
)
# Other entries of that table: the model types whose tokenizer leanpipe rebuilds, and a few more.
OTHER_MODEL_TYPES = {
    **dict.fromkeys("bart bridgetower clap data2vec-text ibert lilt longformer mega mra roberta "
                    "roberta-prelayernorm".split(), ROBERTA),
    **dict.fromkeys("kosmos-2 metaclip_2 trocr xlm-roberta xlm-roberta-xl xmod".split(), XLM_ROBERTA),
    **dict.fromkeys("albert nystromformer yoso".split(), ALBERT),
    "mpnet": MPNET,
    "camembert": CAMEMBERT,
    "deberta": DEBERTA,
    "deberta-v2": DEBERTA_V2,
    "esm": ESM,
    **dict.fromkeys("longt5 mt5 musicgen musicgen_melody pix2struct switch_transformers t5 umt5".split(), T5),
    "mobilebert": "MobileBertTokenizer",  # its own name in the table (an alias of BertTokenizer, CLASS_ALIASES)
    "dpr": "DPRQuestionEncoderTokenizer",  # BertTokenizer under DPR's names (tokenization_dpr)
    "rembert": REMBERT,
    "big_bird": BIG_BIRD,
    "fnet": FNET,
    **dict.fromkeys("gemma gemma2 gemma3 gemma3_text".split(), GEMMA),
    **dict.fromkeys("qwen2 qwen2_moe qwen3 qwen3_moe".split(), QWEN2),
}
# Class names transformers 5.2 resolves to one of the classes above (tokenizer_class_from_name).
CLASS_ALIASES = {
    **dict.fromkeys("ElectraTokenizer LayoutLMTokenizer LxmertTokenizer MobileBertTokenizer SqueezeBertTokenizer "
                    "DPRQuestionEncoderTokenizer DPRContextEncoderTokenizer".split(), BERT),
    **dict.fromkeys("BartTokenizer LEDTokenizer LongformerTokenizer MvpTokenizer".split(), ROBERTA),
}

DEFAULT_INPUT_NAMES = {
    BERT: ("input_ids", "token_type_ids", "attention_mask"),
    DISTILBERT: ("input_ids", "attention_mask"),
    DPR_READER: ("input_ids", "attention_mask"),
    GENERIC: ("input_ids", "attention_mask"),
    ROBERTA: ("input_ids", "attention_mask"),
    XLM_ROBERTA: ("input_ids", "attention_mask"),
    CAMEMBERT: ("input_ids", "attention_mask"),
    DEBERTA: ("input_ids", "attention_mask", "token_type_ids"),
    ALBERT: ("input_ids", "attention_mask"),  # no token_type_ids, although pairs are typed 0/1
    MPNET: ("input_ids", "attention_mask"),
    DEBERTA_V2: ("input_ids", "attention_mask", "token_type_ids"),
    ESM: ("input_ids", "attention_mask"),
    T5: ("input_ids", "attention_mask"),
    REMBERT: ("input_ids", "attention_mask"),
    BIG_BIRD: ("input_ids", "attention_mask"),
    FNET: ("input_ids", "token_type_ids"),  # FNet reads no attention mask
}
# tokenizer_config.json flags transformers 5.2's class keeps in init_kwargs even when the file lacks them
# (its __init__ defaults); do_lower_case is also an attribute of exactly these classes
_BERT_FLAGS = {"do_lower_case": False, "strip_accents": None, "tokenize_chinese_chars": True}
INIT_DEFAULTS = {
    BERT: _BERT_FLAGS, DPR_READER: _BERT_FLAGS, DISTILBERT: {**_BERT_FLAGS, "do_lower_case": True}, MPNET: {**_BERT_FLAGS, "do_lower_case": True},
    ALBERT: {"do_lower_case": True, "keep_accents": False}, FNET: {"do_lower_case": True, "keep_accents": False},
    DEBERTA_V2: {"do_lower_case": False},
}
SETTING_KEYS = frozenset(
    "model_max_length max_len padding_side truncation_side model_input_names clean_up_tokenization_spaces "
    "split_special_tokens do_lower_case strip_accents tokenize_chinese_chars extra_special_tokens "
    "additional_special_tokens add_prefix_space trim_offsets keep_accents".split()
)


@dataclass
class TokenizerParts:
    """Everything `PreTrainedTokenizerFast.__init__` needs, read from one checkpoint."""

    backend: Tokenizer
    class_name: str
    name_or_path: str
    specials: SpecialTokens
    model_max_length: int = VERY_LARGE_INTEGER
    padding_side: str = "right"
    truncation_side: str = "right"
    model_input_names: tuple[str, ...] = ("input_ids", "attention_mask")
    clean_up_tokenization_spaces: bool = False
    init_kwargs: dict[str, Any] = field(default_factory=dict)
    files: F.TokenizerFiles | None = None  # None for a tokenizer built from a tokenizers.Tokenizer object


def _strip_fast(name: str) -> str:
    return name[: -len("Fast")] if name.endswith("Fast") and name != GENERIC else name


def expected_class(model_type: str) -> str:
    """transformers' tokenizer class for a model type: "bert" -> "BertTokenizer", unknown -> ""."""
    return BERT if model_type in BERT_MODEL_TYPES else OTHER_MODEL_TYPES.get(model_type, "")


def choose_class(
    tokenizer_class: str | None,
    model_type: str | None,
    has_tokenizer_json: bool,
    config_tokenizer_class: str | None = None,
) -> str:
    """Which recipe AutoTokenizer uses: BERT, DISTILBERT, a FAMILY_RECIPES class or GENERIC (tokenizer.json as is).

    `choose_class("BertTokenizer", "bert", True)` -> "BertTokenizer";
    `choose_class("DistilBertTokenizer", "distilbert", True)` -> "PreTrainedTokenizerFast", because
    transformers maps model type distilbert to BertTokenizer and, seeing another class named,
    loads tokenizer.json as it is. `tokenizer_class` comes from tokenizer_config.json,
    `config_tokenizer_class` from config.json (consulted only when the former is absent).
    """
    for key, value in (("tokenizer_class", tokenizer_class), ("model_type", model_type)):
        if value is not None and not isinstance(value, str):
            raise TokenizerError(f"{key}={value!r} in tokenizer_config.json / config.json must be a class name string")
    if tokenizer_class and model_type and expected_class(model_type) != _strip_fast(tokenizer_class):
        if has_tokenizer_json:
            return GENERIC
    name = tokenizer_class or config_tokenizer_class
    name = _strip_fast(name) if name else (expected_class(model_type or "") or None)
    name = CLASS_ALIASES.get(name, name)
    if name in (BERT, DISTILBERT, DPR_READER) or name in FAMILY_RECIPES or (name in (*JSON_AS_IS, *CLS_SEP_JSON) and has_tokenizer_json):
        return name
    if name in (GENERIC, "PreTrainedTokenizer", "TokenizersBackend") or has_tokenizer_json:
        if name not in (None, GENERIC, "PreTrainedTokenizer", "TokenizersBackend"):
            logger.info("no leanpipe recipe for %s; using tokenizer.json as it is", name)
        return GENERIC
    raise CheckpointError(
        f"cannot build tokenizer {name or '(no tokenizer_class, model_type ' + repr(model_type) + ')'} "
        f"without tokenizer.json; leanpipe builds BertTokenizer/DistilBertTokenizer from vocab.txt, "
        f"RobertaTokenizer from vocab.json + merges.txt, XLMRobertaTokenizer / AlbertTokenizer from "
        f"sentencepiece.bpe.model / spiece.model, MPNetTokenizer from vocab.txt, DebertaV2Tokenizer from spm.model, "
        f"T5Tokenizer from spiece.model, "
        f"and any other tokenizer from tokenizer.json. Save one with transformers: "
        f"AutoTokenizer.from_pretrained(...).save_pretrained(folder)"
    )


def read_init(files: F.TokenizerFiles, overrides: dict[str, Any]) -> tuple[dict[str, Any], dict[int, AddedToken]]:
    """tokenizer_config.json merged with overrides and legacy files -> (init dict, added tokens by id)."""
    init = F.read_json_object(files.tokenizer_config)
    for key in ("tokenizer_class", "init_inputs", "auto_map", "name_or_path"):
        init.pop(key, None)
    if files.tokenizer_json is not None:
        init.pop("add_bos_token", None)
        init.pop("add_eos_token", None)
    init.update(overrides)
    check_settings(init, files.tokenizer_config or TOKENIZER_CONFIG)
    if "added_tokens_decoder" in init:
        return init, _parse_added_tokens_decoder(init.pop("added_tokens_decoder"), files.tokenizer_config)
    _merge_special_tokens_map(init, F.read_json_object(files.special_tokens_map), overrides)
    added: dict[int, AddedToken] = {}
    named = special_strings(init)
    for content, index in F.read_added_tokens(files.added_tokens).items():
        special = content in named
        added[index] = AddedToken(content, rstrip=False, lstrip=False, normalized=not special, special=special)
    if files.tokenizer_json is not None:
        added.update(_json_added_tokens(files.tokenizer_json))
    return init, added


def _json_added_tokens(path: Any) -> dict[int, AddedToken]:
    """tokenizer.json's "added_tokens": [{"id": 0, "content": "[PAD]", "special": true, ...}, ...] by id."""
    entries = F.read_json_object(path).get("added_tokens") or []
    found: dict[int, AddedToken] = {}
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, dict) or type(entry.get("id")) is not int or not isinstance(entry.get("content"), str):
            raise CheckpointError(f"{path}: each of added_tokens should be {{\"id\": int, \"content\": str, ...}}, found {entry!r:.100}")
        try:
            found[entry["id"]] = AddedToken(**{k: v for k, v in entry.items() if k != "id"})
        except TypeError as exc:
            raise CheckpointError(f"{path}: bad added_tokens entry {entry!r:.100}: {exc}") from None
    return found


# tokenizer_config.json flags the recipes pass to `tokenizers` as booleans (null: the default)
BOOL_SETTINGS = ("do_lower_case", "strip_accents", "tokenize_chinese_chars", "clean_up_tokenization_spaces",
                 "split_special_tokens", "add_prefix_space", "trim_offsets", "keep_accents")
TOKENIZER_CONFIG = "tokenizer_config.json"


def check_settings(init: dict[str, Any], source: Any) -> None:
    """TokenizerError naming the key when a setting has an unusable type (transformers fails inside
    `tokenizers` with "'str' object cannot be converted to 'PyBool'", or later)."""
    where = f"{source} (or the from_pretrained argument)"
    for key in BOOL_SETTINGS:
        if init.get(key) is not None and not isinstance(init[key], bool):
            raise TokenizerError(f"{key}={init[key]!r} in {where} must be true, false or null")
    for key in ("model_max_length", "max_len"):
        value = init.get(key)
        if value is not None and not (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < float("inf")):
            raise TokenizerError(f"{key}={value!r} in {where} must be a non-negative number of tokens, e.g. 512")
    for key in ("padding_side", "truncation_side"):
        if init.get(key, "right") not in ("right", "left"):
            raise TokenizerError(f"{key}={init[key]!r} in {where} must be 'right' or 'left'")
    names = init.get("model_input_names")
    if names is not None and not (isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names)):
        raise TokenizerError(f"model_input_names={names!r} in {where} must be a list of names like [\"input_ids\", \"attention_mask\"]")


def _parse_added_tokens_decoder(value: Any, path: Any) -> dict[int, AddedToken]:
    if not isinstance(value, dict):
        raise CheckpointError(f"added_tokens_decoder in {path} should map id -> token, found {value!r}")
    try:
        return {int(i): as_token(t, where=f"added_tokens_decoder[{i}] in {path}") for i, t in value.items()}
    except ValueError:
        raise CheckpointError(f"added_tokens_decoder in {path} has a non-integer id") from None


def _merge_special_tokens_map(init: dict[str, Any], token_map: dict[str, Any], overrides: dict[str, Any]) -> None:
    for key, value in token_map.items():
        if overrides.get(key):
            continue  # tokens passed to from_pretrained win
        if key not in ("extra_special_tokens", "additional_special_tokens"):  # a str, an AddedToken dict or null
            value = as_token(value, where=f"{key} in special_tokens_map.json", special=True)
        init[key] = value


def _settings(init: dict[str, Any], class_name: str) -> dict[str, Any]:
    """Pop the tokenizer-level settings out of `init`, with transformers' defaults."""
    max_length = init.pop("model_max_length", None)
    legacy = init.pop("max_len", None)
    max_length = max_length if max_length is not None else legacy
    names = init.pop("model_input_names", None) or DEFAULT_INPUT_NAMES[class_name]
    settings = {
        "model_max_length": int(max_length) if max_length is not None else VERY_LARGE_INTEGER,
        "padding_side": init.pop("padding_side", "right"),
        "truncation_side": init.pop("truncation_side", "right"),
        "model_input_names": tuple(names),
        "clean_up_tokenization_spaces": bool(init.pop("clean_up_tokenization_spaces", False)),
    }
    for key in ("padding_side", "truncation_side"):
        if settings[key] not in ("right", "left"):
            raise TokenizerError(f"{key} must be 'right' or 'left', got {settings[key]!r}")
    return settings


def load_parts(files: F.TokenizerFiles, class_name: str, overrides: dict[str, Any]) -> TokenizerParts:
    """Build the backend for `class_name` (BERT, DISTILBERT, a FAMILY_RECIPES class or GENERIC) from `files`."""
    try:
        parts = _load_parts(files, class_name, overrides)
        parts.files = files
        parts.init_kwargs = {**INIT_DEFAULTS.get(class_name, {}), **parts.init_kwargs}
        return parts
    except (ValueError, TypeError) as exc:
        if isinstance(exc, LeanpipeError):
            raise
        # `tokenizers` refused a value from the files, e.g. cls_token "[:CLS]" in a template (transformers fails alike)
        raise TokenizerError(
            f"cannot build the {class_name} of {files.name_or_path} from its tokenizer files: {exc}. "
            f"Check the special tokens and settings in tokenizer_config.json / special_tokens_map.json"
        ) from None


def _load_parts(files: F.TokenizerFiles, class_name: str, overrides: dict[str, Any]) -> TokenizerParts:
    init, added = read_init(files, overrides)
    if class_name in FAMILY_RECIPES:
        init_kwargs = dict(init)
        backend, specials = FAMILY_RECIPES[class_name](files, init, added)
        return _finish(backend, class_name, files.name_or_path, specials, init, init_kwargs)
    if class_name not in (*JSON_AS_IS, *CLS_SEP_JSON):
        return bert_parts(files, init, added, class_name)
    if files.tokenizer_json is None:
        raise CheckpointError(
            f"tokenizer.json not found in {files.name_or_path}; PreTrainedTokenizerFast loads only tokenizer.json "
            f"(use AutoTokenizer or BertTokenizer for a checkpoint that has vocab.txt)"
        )
    backend = F.load_tokenizer_json(files.tokenizer_json)
    if class_name == GEMMA and backend.padding is None:
        init.setdefault("padding_side", "left")  # GemmaTokenizer.padding_side, the class's default
    parts = generic_parts(backend, init, added, files.name_or_path)
    parts.class_name = class_name  # a JSON_AS_IS or CLS_SEP_JSON class, built from tokenizer.json alike
    if class_name in CLS_SEP_JSON:
        cls, sep = (str(parts.specials.named.get(name)) for name in ("cls_token", "sep_token"))
        ids = [(token, parts.backend.token_to_id(token)) for token in (cls, sep)]
        missing = [token for token, i in ids if i is None]
        if missing:
            raise CheckpointError(f"{files.name_or_path}: {class_name}'s special tokens {missing} are not in tokenizer.json's vocabulary")
        parts.backend.post_processor = processors.TemplateProcessing(
            single=f"{cls}:0 $A:0 {sep}:0", pair=f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1", special_tokens=ids)
    return parts


def bert_parts(
    files: F.TokenizerFiles, init: dict[str, Any], added: dict[int, AddedToken], class_name: str
) -> TokenizerParts:
    """transformers' BertTokenizer / DistilBertTokenizer recipe (see bert_backend.py)."""
    init_kwargs = dict(init)
    specials = collect_special_tokens(init, defaults=BERT_DEFAULT_TOKENS)
    backend = _bert_backend(files, init, specials, lower_default=class_name == DISTILBERT)
    prefer_declared(specials, added)
    register_tokens(backend, added, specials)
    cls, sep = str(specials.named.get("cls_token")), str(specials.named.get("sep_token"))
    backend.post_processor = bert_template(cls, _id_or(backend, cls, 2), sep, _id_or(backend, sep, 3))
    return _finish(backend, class_name, files.name_or_path, specials, init, init_kwargs)


def generic_parts(
    backend: Tokenizer, init: dict[str, Any], added: dict[int, AddedToken], name_or_path: str
) -> TokenizerParts:
    """transformers' TokenizersBackend recipe: the serialized tokenizer as it is.

    Truncation/padding stored in tokenizer.json only lend defaults (truncation_side, pad_token,
    padding_side) and are then cleared: every call sets its own.
    """
    init_kwargs = dict(init)
    if backend.truncation is not None:
        init.setdefault("truncation_side", backend.truncation["direction"])
        backend.no_truncation()
    if backend.padding is not None:
        init.setdefault("pad_token", backend.padding["pad_token"])
        init.setdefault("padding_side", backend.padding["direction"])
        backend.no_padding()
    specials = collect_special_tokens(init)
    prefer_declared(specials, added)
    register_tokens(backend, added, specials)
    if backend.post_processor is None:  # TokenizersBackend.update_post_processor without bos/eos
        backend.post_processor = processors.TemplateProcessing(single="$A:0", pair="$A:0 $B:1", special_tokens=[])
    return _finish(backend, GENERIC, name_or_path, specials, init, init_kwargs)


def _finish(
    backend: Tokenizer,
    class_name: str,
    name_or_path: str,
    specials: SpecialTokens,
    init: dict[str, Any],
    init_kwargs: dict[str, Any],
) -> TokenizerParts:
    backend.encode_special_tokens = bool(init.pop("split_special_tokens", False))
    return TokenizerParts(
        backend=backend,
        class_name=class_name,
        name_or_path=name_or_path,
        specials=specials,
        init_kwargs=init_kwargs,
        **_settings(init, class_name),
    )


def _id_or(backend: Tokenizer, token: str, fallback: int) -> int:
    """Id of `token` (registered as an added token just before, so normally found), else `fallback`."""
    index = backend.token_to_id(token)
    return fallback if index is None else index


def _bert_backend(files: F.TokenizerFiles, init: dict[str, Any], specials: SpecialTokens, *, lower_default: bool) -> Tokenizer:
    if files.tokenizer_json is not None:
        vocab = F.tokenizer_json_vocab(files.tokenizer_json)
    elif files.vocab_txt is not None:
        vocab = F.read_vocab_txt(files.vocab_txt)
    else:
        raise CheckpointError(
            f"no tokenizer.json and no vocab.txt in {files.name_or_path}; a BERT tokenizer needs one of them "
            f"(save it with tokenizer.save_pretrained(folder))"
        )
    return build_wordpiece_backend(
        vocab,
        unk_token=str(specials.named.get("unk_token")),
        do_lower_case=bool(init.pop("do_lower_case", lower_default)),
        strip_accents=init.pop("strip_accents", None),
        tokenize_chinese_chars=bool(init.pop("tokenize_chinese_chars", True)),
    )


IGNORED_OVERRIDES = frozenset({"use_fast"})  # transformers 5 ignores it too: every tokenizer is fast


def check_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of from_pretrained that leanpipe understands; TokenizerError for others."""
    unknown = [k for k in overrides if k not in SETTING_KEYS and k not in IGNORED_OVERRIDES and not k.endswith("_token")]
    if unknown:
        raise TokenizerError(
            f"from_pretrained() got unsupported argument(s) {unknown}; leanpipe accepts revision= and "
            f"{sorted(SETTING_KEYS)} plus special tokens such as pad_token="
        )
    return {k: v for k, v in overrides.items() if k not in IGNORED_OVERRIDES}
