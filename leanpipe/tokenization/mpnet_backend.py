"""MPNet's WordPiece tokenizer, assembled the way transformers 5.2's `MPNetTokenizer` does.

BERT's pipeline (BertNormalizer, lower-cased by default; BertPreTokenizer; WordPiece) over the
vocabulary of tokenizer.json or vocab.txt, with RoBERTa-style special tokens and layout
(models/mpnet/tokenization_mpnet.py); whatever tokenizer.json stores, only its vocabulary is read:

    "Hello world" --BertNormalizer + BertPreTokenizer--> ["hello", "world"] --WordPiece--> ids
                  --TemplateProcessing--> <s> A </s>, or <s> A </s> </s> B </s> (B typed 1)

"<mask>" keeps the space before it (lstrip), as MPNetTokenizer's mask_token setter makes it.
"""

from __future__ import annotations

from typing import Any

from tokenizers import AddedToken, Tokenizer, processors

from ..errors import CheckpointError
from . import files as F
from .bert_backend import build_wordpiece_backend
from .special_tokens import SpecialTokens, collect_special_tokens, prefer_declared, register_tokens

# Defaults of MPNetTokenizer.__init__ for tokens a tokenizer_config.json does not name.
MPNET_DEFAULT_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "cls_token": "<s>",
    "unk_token": "[UNK]",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
}


def _vocab(files: F.TokenizerFiles) -> dict[str, int]:
    if files.tokenizer_json is not None:
        return F.tokenizer_json_vocab(files.tokenizer_json)
    if files.vocab_txt is not None:
        return F.read_vocab_txt(files.vocab_txt)
    raise CheckpointError(
        f"no tokenizer.json and no vocab.txt in {files.name_or_path}; an MPNet tokenizer needs one of them "
        f"(save it with tokenizer.save_pretrained(folder))"
    )


def mpnet_backend(
    files: F.TokenizerFiles, init: dict[str, Any], added: dict[int, AddedToken]
) -> tuple[Tokenizer, SpecialTokens]:
    """transformers' MPNetTokenizer recipe: the backend and its special tokens, registered.

    do_lower_case (default True), strip_accents and tokenize_chinese_chars come from tokenizer_config.json.
    """
    mask = init.get("mask_token", MPNET_DEFAULT_TOKENS["mask_token"])
    if isinstance(mask, str):  # the mask_token setter: "Mask token behave like a normal word"
        init["mask_token"] = AddedToken(mask, lstrip=True, rstrip=False, normalized=False, special=True)
    specials = collect_special_tokens(init, defaults=MPNET_DEFAULT_TOKENS)
    backend = build_wordpiece_backend(
        _vocab(files),
        unk_token=str(specials.named.get("unk_token")),
        do_lower_case=bool(init.pop("do_lower_case", True)),
        strip_accents=init.pop("strip_accents", None),
        tokenize_chinese_chars=bool(init.pop("tokenize_chinese_chars", True)),
    )
    prefer_declared(specials, added)
    register_tokens(backend, added, specials)
    cls, sep = str(specials.named.get("cls_token")), str(specials.named.get("sep_token"))
    cls_id, sep_id = backend.token_to_id(cls), backend.token_to_id(sep)
    backend.post_processor = processors.TemplateProcessing(
        single=f"{cls}:0 $A:0 {sep}:0",
        pair=f"{cls}:0 $A:0 {sep}:0 {sep}:0 $B:1 {sep}:1",  # "MPNet uses two [SEP] tokens"
        special_tokens=[(cls, 0 if cls_id is None else cls_id), (sep, 2 if sep_id is None else sep_id)],
    )
    return backend, specials
