"""The Rust tokenizer of a BERT checkpoint, assembled the way transformers 5 assembles it.

transformers' `BertTokenizer` (and `DistilBertTokenizer`) ignore the normalizer, pre-tokenizer
and post-processor stored in tokenizer.json: they take only its vocabulary (or vocab.txt) and
rebuild the pipeline from tokenizer_config.json's flags (models/bert/tokenization_bert.py,
mirroring convert_slow_tokenizer.BertConverter):

    "Héllo 中文" --BertNormalizer(lowercase, strip_accents, handle_chinese_chars)--> "hello 中 文 "
                 --BertPreTokenizer--> ["hello", "中", "文"] --WordPiece--> ids
                 --TemplateProcessing--> [CLS] A [SEP] (B [SEP])
"""

from __future__ import annotations

from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece

# Defaults of BertTokenizer.__init__ for tokens a tokenizer_config.json does not name.
BERT_DEFAULT_TOKENS = {
    "unk_token": "[UNK]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
}


def build_wordpiece_backend(
    vocab: dict[str, int],
    *,
    unk_token: str,
    do_lower_case: bool,
    strip_accents: bool | None,
    tokenize_chinese_chars: bool,
) -> Tokenizer:
    """WordPiece model + BertNormalizer + BertPreTokenizer + WordPiece decoder (no post-processor yet).

    `strip_accents=None` means "strip when lowercasing", as in the original BERT.
    """
    backend = Tokenizer(WordPiece(vocab, unk_token=unk_token))
    backend.normalizer = normalizers.BertNormalizer(
        clean_text=True,
        handle_chinese_chars=tokenize_chinese_chars,
        strip_accents=strip_accents,
        lowercase=do_lower_case,
    )
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.decoder = decoders.WordPiece(prefix="##")
    return backend


def bert_template(cls_token: str, cls_id: int, sep_token: str, sep_id: int) -> processors.TemplateProcessing:
    """`[CLS] A [SEP]` for one text; `[CLS] A [SEP] B [SEP]` for a pair, B and its [SEP] with type id 1."""
    return processors.TemplateProcessing(
        single=f"{cls_token}:0 $A:0 {sep_token}:0",
        pair=f"{cls_token}:0 $A:0 {sep_token}:0 $B:1 {sep_token}:1",
        special_tokens=[(cls_token, cls_id), (sep_token, sep_id)],
    )
