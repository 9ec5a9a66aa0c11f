"""RoBERTa's byte-level BPE tokenizer, assembled the way transformers 5.2's `RobertaTokenizer` does
(and DeBERTa-v1's, the same BPE under other specials: `deberta_backend`).

Only the vocabulary and merges come from the checkpoint (tokenizer.json's BPE model, or the older
vocab.json + merges.txt); the pipeline around them is rebuilt from tokenizer_config.json's flags
(models/roberta/tokenization_roberta.py), whatever tokenizer.json stores:

    "Hello world" --ByteLevel(add_prefix_space=False)--> ["Hello", "Ġworld"] --BPE--> ids
                  --RobertaProcessing(trim_offsets=True)--> <s> A </s>, or <s> A </s> </s> B </s>
"""

from __future__ import annotations

from typing import Any

from tokenizers import AddedToken, Tokenizer, decoders, pre_tokenizers, processors
from tokenizers.models import BPE

from ..errors import CheckpointError
from . import files as F
from .special_tokens import SpecialTokens, collect_special_tokens, prefer_declared, register_tokens

VOCAB_JSON, MERGES_TXT = "vocab.json", "merges.txt"

# Defaults of RobertaTokenizer.__init__ for tokens a tokenizer_config.json does not name.
ROBERTA_DEFAULT_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "cls_token": "<s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
}

Merges = list[tuple[str, str]]


def read_bpe(files: F.TokenizerFiles) -> tuple[dict[str, int], Merges]:
    """(vocab, merges) from tokenizer.json's model, else from vocab.json + merges.txt.

    `read_bpe(files)` -> ({"<s>": 0, "Ġthe": 5, ...}, [("Ġ", "t"), ("h", "e"), ...])
    """
    if files.tokenizer_json is not None:
        return _bpe_from_tokenizer_json(files.tokenizer_json)
    vocab_json, merges_txt = files.find(VOCAB_JSON), files.find(MERGES_TXT)
    if vocab_json is None or merges_txt is None:
        missing = [name for name, path in ((VOCAB_JSON, vocab_json), (MERGES_TXT, merges_txt)) if path is None]
        raise CheckpointError(
            f"no tokenizer.json in {files.name_or_path} and no {' / '.join(missing)}; a RoBERTa tokenizer needs "
            f"tokenizer.json or vocab.json + merges.txt (save one with tokenizer.save_pretrained(folder))"
        )
    try:
        vocab, merges = BPE.read_file(str(vocab_json), str(merges_txt))
    except Exception as exc:  # the Rust side raises a bare Exception
        raise CheckpointError(f"cannot read the BPE vocabulary {vocab_json} / {merges_txt}: {exc}") from None
    return vocab, merges


def _bpe_from_tokenizer_json(path) -> tuple[dict[str, int], Merges]:
    model = F.read_json_object(path).get("model")
    if not isinstance(model, dict) or model.get("type", "BPE") != "BPE" or not isinstance(model.get("vocab"), dict):
        kind = model.get("type") if isinstance(model, dict) else None
        raise CheckpointError(f"{path} holds a {kind or 'missing'} model, not the BPE model a RoBERTa tokenizer needs")
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model.get("merges", [])]
    return model["vocab"], merges


def build_bpe_backend(vocab: dict[str, int], merges: Merges, *, add_prefix_space: bool) -> Tokenizer:
    """Byte-level BPE without unknown token + ByteLevel pre-tokenizer and decoder (no post-processor yet)."""
    backend = Tokenizer(BPE(vocab=vocab, merges=merges, dropout=None, continuing_subword_prefix="",
                            end_of_word_suffix="", fuse_unk=False))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
    backend.decoder = decoders.ByteLevel()
    return backend


def roberta_backend(
    files: F.TokenizerFiles, init: dict[str, Any], added: dict[int, AddedToken]
) -> tuple[Tokenizer, SpecialTokens]:
    """transformers' RobertaTokenizer recipe: the backend and its special tokens, registered.

    add_prefix_space (default False) and trim_offsets (default True) come from tokenizer_config.json
    and drive both the pre-tokenizer and RobertaProcessing, as in RobertaTokenizer.__init__.
    """
    trim_offsets = bool(init.pop("trim_offsets", True))
    backend, specials, add_prefix_space, cls, sep = registered_bpe(files, init, added, ROBERTA_DEFAULT_TOKENS)
    backend.post_processor = processors.RobertaProcessing(sep=sep, cls=cls, trim_offsets=trim_offsets,
                                                          add_prefix_space=add_prefix_space)
    return backend, specials


def registered_bpe(files: F.TokenizerFiles, init: dict[str, Any], added: dict[int, AddedToken], defaults: dict[str, str]):
    """The byte-level BPE backend (add_prefix_space from `init`, default False) with its special tokens
    registered -> (backend, specials, add_prefix_space, (cls, id), (sep, id)), for the post-processor."""
    add_prefix_space = bool(init.pop("add_prefix_space", False))
    backend = build_bpe_backend(*read_bpe(files), add_prefix_space=add_prefix_space)
    specials = collect_special_tokens(init, defaults=defaults)
    prefer_declared(specials, added)
    register_tokens(backend, added, specials)
    cls, sep = (str(specials.named.get(n)) for n in ("cls_token", "sep_token"))
    return backend, specials, add_prefix_space, (cls, _token_id(backend, cls, files)), (sep, _token_id(backend, sep, files))


def _token_id(backend: Tokenizer, token: str, files: F.TokenizerFiles) -> int:
    index = backend.token_to_id(token)
    if index is None:  # registered just before, so only a None token gets here
        raise CheckpointError(f"special token {token!r} of {files.name_or_path} has no id; name it in tokenizer_config.json")
    return index


# --- DeBERTa (v1) ------------------------------------------------------------------------------

# Defaults of DebertaTokenizer.__init__ (models/deberta/tokenization_deberta.py).
DEBERTA_DEFAULT_TOKENS = {
    "bos_token": "[CLS]", "eos_token": "[SEP]", "sep_token": "[SEP]", "cls_token": "[CLS]",
    "unk_token": "[UNK]", "pad_token": "[PAD]", "mask_token": "[MASK]",
}


def deberta_backend(
    files: F.TokenizerFiles, init: dict[str, Any], added: dict[int, AddedToken]
) -> tuple[Tokenizer, SpecialTokens]:
    """transformers 5.2's DebertaTokenizer recipe: RoBERTa's byte-level BPE (add_prefix_space default
    False) with [CLS] / [SEP] specials and the template `[CLS] A [SEP]`, `[CLS] A [SEP] [SEP] B [SEP]`,
    every token typed 0 (5.2's own template). Its mask_token setter's lstrip=True reaches only the
    attribute, not the backend: there [MASK] leaves the space before it alone, in both libraries."""
    backend, specials, _, (cls, cls_id), (sep, sep_id) = registered_bpe(files, init, added, DEBERTA_DEFAULT_TOKENS)
    backend.post_processor = processors.TemplateProcessing(
        single=[cls, "$A", sep], pair=[cls, "$A", sep, sep, "$B", sep], special_tokens=[(cls, cls_id), (sep, sep_id)])
    init.pop("errors", None)  # byte decoding errors: the ByteLevel decoder always replaces
    return backend, specials
