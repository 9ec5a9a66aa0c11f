"""AutoTokenizer and the named tokenizer classes (BertTokenizer, RobertaTokenizer, ... and their aliases).

`AutoTokenizer.from_pretrained(path)` picks the class exactly as transformers 5.2 does: from
tokenizer_config.json's "tokenizer_class", else config.json (tokenizer_class, then model_type).
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import TokenizerError
from ..hub import hub_options, take_hub_options
from ..placement import remote_code
from . import files as F
from .loading import (
    ALBERT,
    BERT,
    CAMEMBERT,
    DEBERTA,
    DEBERTA_V2,
    DISTILBERT,
    DPR_READER,
    ESM,
    GENERIC,
    MPNET,
    REMBERT,
    BIG_BIRD,
    FNET,
    GEMMA,
    QWEN2,
    ROBERTA,
    T5,
    XLM_ROBERTA,
    check_overrides,
    choose_class,
    load_parts,
)
from .dpr_reader import DPRReaderMixin
from .tokenizer import PreTrainedTokenizerFast


class BertTokenizer(PreTrainedTokenizerFast):
    """BERT's WordPiece tokenizer, rebuilt from tokenizer_config.json flags (do_lower_case defaults to False)."""

    _recipe = BERT


class DistilBertTokenizer(BertTokenizer):
    """BertTokenizer with do_lower_case defaulting to True and no token_type_ids in its outputs."""

    _recipe = DISTILBERT


class DPRReaderTokenizer(DPRReaderMixin, BertTokenizer):
    """BertTokenizer whose call takes a question with passage titles and texts, one row per passage
    (input_ids, attention_mask), and whose decode_best_spans reads a DPRReader's output."""

    _recipe = DPR_READER


class GemmaTokenizer(PreTrainedTokenizerFast):
    """Gemma's byte-fallback BPE from tokenizer.json as it is (its post-processor adds <bos> / <eos> as
    the file says), padded on the left unless tokenizer_config.json or the file set a side, as
    transformers 5.2's GemmaTokenizer (google/embeddinggemma-300m)."""

    _recipe = GEMMA


class Qwen2Tokenizer(PreTrainedTokenizerFast):
    """Qwen 2 / Qwen 3's byte-level BPE from tokenizer.json as it is (its post-processor, if any, appends
    <|endoftext|> as the file says), padded on the side the files name, else the right, as transformers
    5.2's Qwen2Tokenizer (Qwen/Qwen3-Embedding-0.6B)."""

    _recipe = QWEN2


class RobertaTokenizer(PreTrainedTokenizerFast):
    """RoBERTa's byte-level BPE, rebuilt from tokenizer_config.json flags (add_prefix_space=False, trim_offsets=True)."""

    _recipe = ROBERTA


class XLMRobertaTokenizer(PreTrainedTokenizerFast):
    """XLM-RoBERTa's SentencePiece Unigram, from tokenizer.json or sentencepiece.bpe.model (add_prefix_space=True)."""

    _recipe = XLM_ROBERTA


class CamembertTokenizer(PreTrainedTokenizerFast):
    """CamemBERT's SentencePiece Unigram, from tokenizer.json or sentencepiece.bpe.model (add_prefix_space=True)."""

    _recipe = CAMEMBERT


class AlbertTokenizer(PreTrainedTokenizerFast):
    """ALBERT's SentencePiece Unigram, from tokenizer.json or spiece.model (do_lower_case=True, keep_accents=False)."""

    _recipe = ALBERT


class MPNetTokenizer(PreTrainedTokenizerFast):
    """MPNet's WordPiece with <s> </s> specials, from tokenizer.json or vocab.txt (do_lower_case=True)."""

    _recipe = MPNET


class DebertaTokenizer(PreTrainedTokenizerFast):
    """DeBERTa-v1's byte-level BPE with [CLS] / [SEP], from tokenizer.json or vocab.json + merges.txt."""

    _recipe = DEBERTA


class DebertaV2Tokenizer(PreTrainedTokenizerFast):
    """DeBERTa-v2/v3's SentencePiece Unigram, from tokenizer.json or spm.model (do_lower_case=False)."""

    _recipe = DEBERTA_V2


class EsmTokenizer(PreTrainedTokenizerFast):
    """ESM's protein tokenizer from vocab.txt: one token per residue letter (or <mask>, ...), <unk> for
    anything else, <cls> A <eos>. transformers has it only as a Python ("slow") tokenizer, so, as there,
    `is_fast` is False and offset mappings are not returned (the token-classification pipeline gives
    each token's text and no start / end)."""

    _recipe = ESM
    slow = True

    def tokenize(self, text: str, pair: str | None = None, add_special_tokens: bool = False) -> list[str]:
        """As the Python tokenizer: the text's pieces, where one outside the vocabulary stays itself
        (`tokenize("MKxyz")` -> ['M', 'K', 'xyz']); it becomes <unk> only as an id."""
        [encoding] = self(text, pair, add_special_tokens=add_special_tokens, verbose=False).encodings
        sources, unk = (text, pair), self.unk_token_id
        return [sources[seq][start:end] if index == unk and seq is not None and end > start else token
                for token, index, seq, (start, end) in zip(encoding.tokens, encoding.ids, encoding.sequence_ids, encoding.offsets)]


class T5Tokenizer(PreTrainedTokenizerFast):
    """T5's SentencePiece Unigram, from tokenizer.json or spiece.model (</s> after each text, no start
    token, <extra_id_N> sentinels; no NFKC normalizer, as transformers 5.2)."""

    _recipe = T5


class FNetTokenizer(PreTrainedTokenizerFast):
    """FNet's SentencePiece Unigram: ALBERT's recipe (from tokenizer.json or spiece.model), giving
    input_ids and token_type_ids, no attention mask (FNet reads none)."""

    _recipe = FNET


class RemBertTokenizer(PreTrainedTokenizerFast):
    """RemBERT's SentencePiece tokenizer from tokenizer.json, with `[CLS] A [SEP] (B [SEP])` as
    transformers 5.2's class sets it (its sentencepiece.model alone is refused: save tokenizer.json)."""

    _recipe = REMBERT


class BigBirdTokenizer(PreTrainedTokenizerFast):
    """BigBird's SentencePiece tokenizer from tokenizer.json, with `[CLS] A [SEP] (B [SEP])` as
    transformers 5.2's class sets it (its spiece.model alone is refused: save tokenizer.json)."""

    _recipe = BIG_BIRD


# transformers 5 made the "Fast" names aliases: every tokenizer is backed by `tokenizers`.
# (transformers 5.2 still ships an older RobertaTokenizerFast class; AutoTokenizer never picks it.)
BertTokenizerFast = BertTokenizer
DistilBertTokenizerFast = DistilBertTokenizer
ElectraTokenizer = ElectraTokenizerFast = BertTokenizer  # transformers 5.2 resolves both names to BertTokenizer
MobileBertTokenizer = MobileBertTokenizerFast = BertTokenizer  # as tokenization_mobilebert does
LayoutLMTokenizer = LayoutLMTokenizerFast = BertTokenizer  # transformers 5.2 resolves both names to BertTokenizer
ConvBertTokenizer = ConvBertTokenizerFast = BertTokenizer  # tokenization_convbert: BertTokenizer, nothing changed
# tokenization_dpr: BertTokenizer under each DPR encoder's name
DPRQuestionEncoderTokenizer = DPRQuestionEncoderTokenizerFast = DPRContextEncoderTokenizer = DPRContextEncoderTokenizerFast = BertTokenizer
DPRReaderTokenizerFast = DPRReaderTokenizer
SqueezeBertTokenizer = SqueezeBertTokenizerFast = BertTokenizer  # as tokenization_squeezebert does
RobertaTokenizerFast = RobertaTokenizer
BartTokenizer = BartTokenizerFast = RobertaTokenizer  # as tokenization_bart does: BART's BPE is RoBERTa's
LongformerTokenizer = LongformerTokenizerFast = RobertaTokenizer  # transformers 5.2 resolves both names to RobertaTokenizer
XLMRobertaTokenizerFast = XLMRobertaTokenizer
CamembertTokenizerFast = CamembertTokenizer
AlbertTokenizerFast = AlbertTokenizer
MPNetTokenizerFast = MPNetTokenizer
DebertaTokenizerFast = DebertaTokenizer
DebertaV2TokenizerFast = DebertaV2Tokenizer
T5TokenizerFast = T5Tokenizer
RemBertTokenizerFast = RemBertTokenizer
FNetTokenizerFast = FNetTokenizer
BigBirdTokenizerFast = BigBirdTokenizer
GemmaTokenizerFast = GemmaTokenizer
Qwen2TokenizerFast = Qwen2Tokenizer

CLASSES: dict[str, type[PreTrainedTokenizerFast]] = {
    BERT: BertTokenizer,
    DISTILBERT: DistilBertTokenizer,
    DPR_READER: DPRReaderTokenizer,
    ROBERTA: RobertaTokenizer,
    XLM_ROBERTA: XLMRobertaTokenizer,
    CAMEMBERT: CamembertTokenizer,
    ALBERT: AlbertTokenizer,
    MPNET: MPNetTokenizer,
    DEBERTA: DebertaTokenizer,
    DEBERTA_V2: DebertaV2Tokenizer,
    ESM: EsmTokenizer,
    T5: T5Tokenizer,
    REMBERT: RemBertTokenizer,
    FNET: FNetTokenizer,
    BIG_BIRD: BigBirdTokenizer,
    GEMMA: GemmaTokenizer,
    QWEN2: Qwen2Tokenizer,
    GENERIC: PreTrainedTokenizerFast,
}


class AutoTokenizer:
    """`AutoTokenizer.from_pretrained(name_or_path)` -> the right tokenizer class, loaded."""

    def __init__(self) -> None:
        raise TokenizerError("use AutoTokenizer.from_pretrained(name_or_path)")

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | os.PathLike, *, revision: str | None = None, **overrides: Any
    ) -> PreTrainedTokenizerFast:
        """Load the tokenizer of a folder or Hub repo id.

        `AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")("hi")["input_ids"]`
        -> [101, 7632, 102]. Keyword overrides replace tokenizer_config.json entries
        (model_max_length=128, do_lower_case=False, pad_token="[PAD]", padding_side="left", ...).
        """
        options = take_hub_options(overrides)  # cache_dir, token, local_files_only, force_download
        trust_remote_code = overrides.pop("trust_remote_code", None)
        overrides = check_overrides(overrides)
        with hub_options(options):
            files = F.TokenizerFiles.locate(name_or_path, revision=revision)
            tokenizer_config = F.read_json_object(files.tokenizer_config)
            check_remote_code(tokenizer_config, files, trust_remote_code, name_or_path)
            tokenizer_class = tokenizer_config.get("tokenizer_class")
            model_type, config_tokenizer_class = F.read_model_config(files.model_config)
            has_json = files.tokenizer_json is not None
            class_name = choose_class(tokenizer_class, model_type, has_json, config_tokenizer_class)
            return CLASSES[class_name]._from_parts(load_parts(files, class_name, overrides))


def check_remote_code(tokenizer_config: dict[str, Any], files: Any, trust_remote_code: bool | None, source: Any) -> None:
    """trust_remote_code=True for a checkpoint that ships its own tokenizer code (an AutoTokenizer entry
    in an auto_map, as transformers looks for it) is refused; without such code it changes nothing."""
    for file, config in (("tokenizer_config.json", tokenizer_config), ("config.json", F.read_json_object(files.model_config))):
        auto_map = config.get("auto_map")
        shipped = {"AutoTokenizer": auto_map["AutoTokenizer"]} if isinstance(auto_map, dict) and "AutoTokenizer" in auto_map \
            else auto_map if isinstance(auto_map, list) else None  # a list: the old form, tokenizer classes only
        if refusal := remote_code(shipped, trust_remote_code, source, file):
            raise TokenizerError(refusal)
