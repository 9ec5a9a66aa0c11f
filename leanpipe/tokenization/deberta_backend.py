"""DeBERTa-v2/v3's SentencePiece Unigram tokenizer, assembled as transformers 5.2's `DebertaV2Tokenizer` does.

Only the pieces and their scores come from the checkpoint: tokenizer.json's Unigram vocabulary, or
`spm.model` (read by spm_model.py), in their own order. The rest is rebuilt from tokenizer_config.json
(models/deberta_v2/tokenization_deberta_v2.py):

    "Hello  world" --[Lowercase] + Replace(\\s{2,}|[\\n\\r\\t] -> " ") + NFC + Strip(right)-->
                   --[Punctuation] + Metaspace(prepend "always", or "first" without add_prefix_space)-->
                   ["▁Hello", "▁world"] --Unigram--> ids

The post-processor is tokenizer.json's own when there is one. Without it, transformers 5.2 adds no
[CLS] / [SEP] at all (A, or A B with B typed 1): DebertaV2Tokenizer never sets one, and the generic
fallback adds bos/eos only when tokenizer_config.json asks with add_bos_token / add_eos_token. That
is a transformers 5.2 regression (fixed upstream after 5.2, huggingface/transformers#44570); leanpipe
keeps it because its ids must equal 5.2's, so an spm.model-only checkpoint (microsoft/deberta-v3-base)
gets no special tokens from either library.
"""

from __future__ import annotations

from typing import Any

from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from . import files as F
from .sentencepiece_backend import _json_vocab, _model_pieces, _register, _spm_special_tokens
from .special_tokens import SpecialTokens, as_token
from .spm_model import UNKNOWN

DEBERTA_MODEL_FILE = "spm.model"

# Defaults of DebertaV2Tokenizer.__init__.
DEBERTA_DEFAULT_TOKENS = {
    "bos_token": "[CLS]", "eos_token": "[SEP]", "unk_token": "[UNK]", "sep_token": "[SEP]",
    "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]",
}


def deberta_normalizer(*, do_lower_case: bool) -> normalizers.Normalizer:
    """[Lowercase], runs of blanks and any tab / newline -> one space, NFC, strip the right end."""
    steps = [normalizers.Lowercase()] if do_lower_case else []
    steps += [normalizers.Replace(Regex(r"\s{2,}|[\n\r\t]"), " "), normalizers.NFC(), normalizers.Strip(left=False, right=True)]
    return normalizers.Sequence(steps)


def _unk_id(vocab: list[tuple[str, float]], unk_token: str, fallback: int) -> int:
    """Where (unk_token, 0.0) sits in the vocabulary, else `fallback` (DebertaV2Tokenizer.__init__)."""
    return vocab.index((unk_token, 0.0)) if (unk_token, 0.0) in vocab else fallback


def _template(add_bos: bool, add_eos: bool, specials: SpecialTokens, backend: Tokenizer) -> processors.TemplateProcessing:
    """TokenizersBackend.update_post_processor: [bos] A [eos] and [bos] A [eos] [bos] B [eos], B typed 1."""
    bos, eos = (str(specials.named.get(n)) for n in ("bos_token", "eos_token"))
    single = ([f"{bos}:0"] if add_bos else []) + ["$A:0"] + ([f"{eos}:0"] if add_eos else [])
    pair = single + ([f"{bos}:1"] if add_bos else []) + ["$B:1"] + ([f"{eos}:1"] if add_eos else [])
    tokens = ([(bos, backend.token_to_id(bos))] if add_bos else []) + ([(eos, backend.token_to_id(eos))] if add_eos else [])
    return processors.TemplateProcessing(single=" ".join(single), pair=" ".join(pair), special_tokens=tokens)


def deberta_v2_backend(
    files: F.TokenizerFiles, init: dict[str, Any], added: dict[int, AddedToken]
) -> tuple[Tokenizer, SpecialTokens]:
    """transformers' DebertaV2Tokenizer recipe: the backend and its special tokens, registered.

    do_lower_case (default False), split_by_punct (False) and add_prefix_space (True) come from
    tokenizer_config.json.
    """
    unk = str(init.get("unk_token", DEBERTA_DEFAULT_TOKENS["unk_token"]))
    stored = None  # tokenizer.json's post-processor
    if files.tokenizer_json is not None:
        vocab = _json_vocab(files.tokenizer_json)
        stored = F.load_tokenizer_json(files.tokenizer_json).post_processor
        fallback = init.pop("unk_id", 1)
    else:
        pieces = _model_pieces(files, DEBERTA_MODEL_FILE)
        vocab = [(p.piece, p.score) for p in pieces]
        _spm_special_tokens(pieces, init)
        init.pop("unk_id", None)  # the model's own unk id wins (SentencePieceExtractor)
        fallback = next((i for i, p in enumerate(pieces) if p.type == UNKNOWN), 1)
    backend = Tokenizer(Unigram(vocab, unk_id=_unk_id(vocab, unk, int(fallback)), byte_fallback=False))
    backend.normalizer = deberta_normalizer(do_lower_case=bool(init.pop("do_lower_case", False)))
    scheme = "always" if bool(init.pop("add_prefix_space", True)) else "first"
    steps = [pre_tokenizers.Punctuation(behavior="isolated")] if bool(init.pop("split_by_punct", False)) else []
    backend.pre_tokenizer = pre_tokenizers.Sequence([*steps, pre_tokenizers.Metaspace(replacement="▁", prepend_scheme=scheme)])
    backend.decoder = decoders.Metaspace(replacement="▁", prepend_scheme=scheme)
    add_bos, add_eos = bool(init.pop("add_bos_token", False)), bool(init.pop("add_eos_token", False))
    named = {str(as_token(init.get(name, default), where=name)) for name, default in DEBERTA_DEFAULT_TOKENS.items()}
    for token in added.values():  # added_tokens.json's [MASK]: TokenizersBackend marks named tokens special
        if str(token) in named and not token.special:
            token.special = True
    specials = _register(backend, init, added, DEBERTA_DEFAULT_TOKENS)
    backend.post_processor = stored if stored is not None else _template(add_bos, add_eos, specials, backend)
    return backend, specials
