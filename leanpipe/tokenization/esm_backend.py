"""ESM's tokenizer, assembled to give what transformers 5.2's `EsmTokenizer` gives.

EsmTokenizer is a Python tokenizer (there is no fast one): it splits the text at every token of
vocab.txt (longest first, `unique_no_split_tokens`), then splits what is left at whitespace, and
each remaining piece is one token or <unk>. The `tokenizers` backend here does the same:

    "MK <mask>xyz A" --specials--> "MK ", <mask>, "xyz A" --vocabulary tokens, longest first-->
    M K <mask> xyz A --whitespace--> M K <mask> xyz A --WordLevel--> 20 15 32 <unk> 5
    --TemplateProcessing--> <cls> ... <eos>, or <cls> A <eos> B <eos> (B typed 1)

Decoding joins tokens with spaces, as EsmTokenizer's convert_tokens_to_string does.
"""

from __future__ import annotations

import re
from typing import Any

from tokenizers import AddedToken, Regex, Tokenizer, models, pre_tokenizers, processors

from ..errors import CheckpointError
from . import files as F
from .special_tokens import SpecialTokens, collect_special_tokens, prefer_declared, register_tokens

# Defaults of EsmTokenizer.__init__ (it has no sep_token: <eos> ends every text)
ESM_DEFAULT_TOKENS = {
    "unk_token": "<unk>",
    "cls_token": "<cls>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
    "eos_token": "<eos>",
}


def esm_backend(files: F.TokenizerFiles, init: dict[str, Any], added: dict[int, AddedToken]) -> tuple[Tokenizer, SpecialTokens]:
    """transformers' EsmTokenizer recipe, from vocab.txt (its only file; tokenizer.json is not read)."""
    if files.vocab_txt is None:
        raise CheckpointError(f"no vocab.txt in {files.name_or_path}; an ESM tokenizer is its vocab.txt "
                              f"(save it with tokenizer.save_pretrained(folder))")
    vocab = F.read_vocab_txt(files.vocab_txt)
    specials = collect_special_tokens(init, defaults=ESM_DEFAULT_TOKENS)
    unk = str(specials.named.get("unk_token", "<unk>"))
    backend = Tokenizer(models.WordLevel(vocab, unk_token=unk))
    longest_first = sorted(vocab, key=lambda token: (-len(token), token))
    backend.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex("|".join(map(re.escape, longest_first))), behavior="isolated"),
        pre_tokenizers.WhitespaceSplit(),
    ])
    prefer_declared(specials, added)
    register_tokens(backend, added, specials)
    backend.post_processor = esm_template(backend, specials)
    return backend, specials


def esm_template(backend: Tokenizer, specials: SpecialTokens) -> processors.TemplateProcessing:
    """<cls> A <eos> (B <eos>) with the current cls/eos tokens: EsmTokenizer, a Python tokenizer, reads them
    at every call, so add_special_tokens({"cls_token": ...}) rebuilds this at once."""
    cls, eos = specials.named.get("cls_token"), specials.named.get("eos_token")
    ends = [(str(t), backend.token_to_id(str(t))) for t in (cls, eos) if t is not None]
    head = f"{cls}:0 " if cls is not None else ""
    return processors.TemplateProcessing(
        single=f"{head}$A:0" + (f" {eos}:0" if eos is not None else ""),
        pair=f"{head}$A:0 {eos}:0 $B:1 {eos}:1" if eos is not None else f"{head}$A:0 $B:1",
        special_tokens=ends,
    )
