"""PreTrainedTokenizerFast: transformers' fast-tokenizer API over a `tokenizers.Tokenizer`.

    tok = PreTrainedTokenizerFast.from_pretrained("path/with/tokenizer.json")
    tok("Hello world")["input_ids"] -> [101, 7592, 2088, 102]
    tok.decode([101, 7592, 2088, 102], skip_special_tokens=True) -> "hello world"

Encoding (`__call__`, `encode`, `tokenize`, `pad`, the raw batch API) lives in encoder.py; this file
holds loading, the vocabulary, special tokens and decoding.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from tokenizers import AddedToken, Tokenizer

from ..errors import InputError, TokenizerError
from ..hub import hub_options, take_hub_options
from . import files as F
from .editing import VocabularyEditingMixin
from .encoder import EncoderMixin
from .loading import GENERIC, INIT_DEFAULTS, TokenizerParts, check_overrides, generic_parts, load_parts
from .special_tokens import SpecialTokens, TokenAttribute, TokenIdAttribute, as_token
from .templates import apply_layout, layout_of
from .vocab_files import write_vocabulary
from .tensors import as_ids


def _json_value(value: Any) -> Any:
    """A tokenizer_config.json value as JSON: an AddedToken given as an override becomes its dict form."""
    if isinstance(value, AddedToken):
        return {"__type": "AddedToken", "content": value.content, "lstrip": value.lstrip, "rstrip": value.rstrip,
                "normalized": value.normalized, "single_word": value.single_word, "special": value.special}
    return value


def clean_up_tokenization(text: str) -> str:
    """transformers' clean-up of spaces before punctuation and English contractions.

    `clean_up_tokenization("do n't stop , ok ?")` -> "don't stop, ok?"
    """
    for before, after in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                          (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
        text = text.replace(before, after)
    return text


class PreTrainedTokenizerFast(VocabularyEditingMixin, EncoderMixin):
    """A fast tokenizer with transformers' interface; ids equal transformers 5.2's on the same files."""

    _recipe = GENERIC  # how from_pretrained builds the backend (see loading.py)
    # a tokenizer transformers has only as a Python one (EsmTokenizer): is_fast False, no offset mappings,
    # saved as its vocab.txt rather than tokenizer.json
    slow = False
    model_input_names: list[str]
    padding_side: str
    truncation_side: str

    bos_token = TokenAttribute()
    eos_token = TokenAttribute()
    unk_token = TokenAttribute()
    sep_token = TokenAttribute()
    pad_token = TokenAttribute()
    cls_token = TokenAttribute()
    mask_token = TokenAttribute()
    bos_token_id = TokenIdAttribute("bos_token")
    eos_token_id = TokenIdAttribute("eos_token")
    unk_token_id = TokenIdAttribute("unk_token")
    sep_token_id = TokenIdAttribute("sep_token")
    pad_token_id = TokenIdAttribute("pad_token")
    cls_token_id = TokenIdAttribute("cls_token")
    mask_token_id = TokenIdAttribute("mask_token")

    def __init__(
        self,
        tokenizer_object: Tokenizer | None = None,
        *,
        tokenizer_file: str | os.PathLike | None = None,
        name_or_path: str = "",
        **settings: Any,
    ) -> None:
        """Wrap a `tokenizers.Tokenizer` (copied) or a tokenizer.json file.

        `settings` are tokenizer_config.json entries: model_max_length, padding_side,
        truncation_side, model_input_names, clean_up_tokenization_spaces, split_special_tokens and
        special tokens (pad_token="[PAD]", ...), e.g.
        `PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", model_max_length=512)`.
        """
        if (tokenizer_object is None) == (tokenizer_file is None):
            raise TokenizerError("pass exactly one of tokenizer_object= (a tokenizers.Tokenizer) or tokenizer_file=")
        if tokenizer_file is not None:
            backend = F.load_tokenizer_json(Path(tokenizer_file))
        else:
            backend = Tokenizer.from_str(tokenizer_object.to_str())  # private copy: we add tokens, set state
        self._setup(generic_parts(backend, check_overrides(settings), {}, str(name_or_path)))

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | os.PathLike, *, revision: str | None = None, **overrides: Any
    ) -> PreTrainedTokenizerFast:
        """Load from a folder or Hub repo id; `overrides` replace tokenizer_config.json entries.

        `BertTokenizer.from_pretrained("bert-base-uncased", model_max_length=128)`
        """
        options = take_hub_options(overrides)  # cache_dir, token, local_files_only, force_download
        overrides = check_overrides(overrides)
        with hub_options(options):
            files = F.TokenizerFiles.locate(name_or_path, revision=revision)
            return cls._from_parts(load_parts(files, cls._recipe, overrides))

    def save_pretrained(self, save_directory: str | os.PathLike, **_options: Any) -> tuple[str, ...]:
        """Write tokenizer.json and tokenizer_config.json, as transformers 5.2 does; both libraries load
        the folder back to the same tokenizer. Returns the files written. (transformers' other
        options, such as push_to_hub, are ignored: nothing leaves this machine.)"""
        folder = Path(save_directory)
        if folder.is_file():
            raise InputError(f"{folder} is a file; save_pretrained takes a folder to write tokenizer.json into")
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            backend = Tokenizer.from_str(self._backend.to_str())
        backend.no_truncation()  # each call sets its own
        backend.no_padding()
        config = {k: _json_value(v) for k, v in self.init_kwargs.items()}
        for name, token in self.special_tokens_map.items():  # a recipe's defaults ("[CLS]") the file did not name
            config.setdefault(name, token)
            if str(as_token(config[name], where=name)) != token:  # a token set since (add_special_tokens)
                config[name] = _json_value(self._specials.named[name])
        config.update(
            backend="custom" if self.slow else "tokenizers", tokenizer_class=type(self)._recipe, model_max_length=self.model_max_length,
            padding_side=self.padding_side, truncation_side=self.truncation_side,
            clean_up_tokenization_spaces=self.clean_up_tokenization_spaces, split_special_tokens=self.split_special_tokens,
        )
        if self.slow:  # vocab.txt holds the base vocabulary only; transformers' Python tokenizers keep the rest here
            config["added_tokens_decoder"] = {str(i): _json_value(t) for i, t in sorted(self.added_tokens_decoder.items())}
        if self.model_input_names != ["input_ids", "attention_mask"]:
            config["model_input_names"] = list(self.model_input_names)
        if self._specials.extra:  # as transformers writes them; else a class default (CamemBERT's NOTUSED) comes back
            config["extra_special_tokens"] = [str(token) for token in self._specials.extra]
            config.pop("additional_special_tokens", None)  # the old name of the same list
        written = (folder / ("vocab.txt" if self.slow else "tokenizer.json"), folder / F.TOKENIZER_CONFIG_FILE)
        if self.slow:  # the vocabulary in id order, one token per line, as the Python tokenizer saves it
            vocab = backend.get_vocab(with_added_tokens=False)
            written[0].write_text("\n".join(sorted(vocab, key=vocab.__getitem__)), encoding="utf-8")
        else:
            backend.save(str(written[0]))
        written[1].write_text(json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
        return tuple(str(path) for path in written)

    @classmethod
    def _from_parts(cls, parts: TokenizerParts) -> PreTrainedTokenizerFast:
        tokenizer = cls.__new__(cls)
        tokenizer._setup(parts)
        return tokenizer

    def _setup(self, parts: TokenizerParts) -> None:
        self._backend: Tokenizer = parts.backend
        self._lock = threading.RLock()  # the backend's truncation/padding state is set per call
        self._specials: SpecialTokens = parts.specials
        self._warned_too_long = False
        self.name_or_path = parts.name_or_path
        self.model_max_length = parts.model_max_length
        self.padding_side = parts.padding_side
        self.truncation_side = parts.truncation_side
        self.model_input_names = list(parts.model_input_names)
        self.clean_up_tokenization_spaces = parts.clean_up_tokenization_spaces
        self.init_kwargs = parts.init_kwargs
        self._files = parts.files  # where the .model file save_vocabulary copies is

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_lock")
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name_or_path='{self.name_or_path}', vocab_size={self.vocab_size}, "
            f"model_max_length={self.model_max_length}, padding_side='{self.padding_side}', "
            f"truncation_side='{self.truncation_side}', special_tokens={self.special_tokens_map}, "
            f"added_tokens={len(self.added_tokens_decoder)})"
        )

    # --- backend and vocabulary ------------------------------------------------------------------

    @property
    def is_fast(self) -> bool:
        return not self.slow

    @property
    def backend_tokenizer(self) -> Tokenizer:
        """The Rust `tokenizers.Tokenizer` (no truncation or padding set between calls)."""
        return self._backend

    @property
    def _tokenizer(self) -> Tokenizer:
        """transformers' name for the backend: `tok._tokenizer is tok.backend_tokenizer`."""
        return self._backend

    @property
    def do_lower_case(self) -> bool | None:
        """Whether the text is lowercased (for the classes transformers 5.2 gives the attribute: BERT,
        DistilBERT, MPNet, ALBERT, DeBERTa-v2), from tokenizer_config.json or the class default."""
        defaults = INIT_DEFAULTS.get(type(self)._recipe, {})
        if "do_lower_case" not in defaults:
            raise AttributeError(f"{type(self).__name__} has no attribute do_lower_case (transformers' has none either)")
        return self.init_kwargs.get("do_lower_case", defaults["do_lower_case"])

    def save_vocabulary(self, save_directory: str | os.PathLike, filename_prefix: str | None = None) -> tuple[str, ...]:
        """Write the base vocabulary (no added tokens) into an existing folder; returns the paths.

        `tok.save_vocabulary("out")` -> ("out/vocab.txt",) for BERT, ("out/vocab.json", "out/merges.txt")
        for RoBERTa, a copy of the .model file for SentencePiece tokenizers (see vocab_files.py).
        """
        with self._lock:
            return write_vocabulary(self._backend, type(self)._recipe, getattr(self, "_files", None),
                                    Path(save_directory), filename_prefix, slow=self.slow)

    @property
    def decoder(self) -> Any:
        return self._backend.decoder

    @property
    def split_special_tokens(self) -> bool:
        """True: "[CLS]" in a text is tokenized as ordinary characters instead of the special token."""
        return self._backend.encode_special_tokens

    @split_special_tokens.setter
    def split_special_tokens(self, value: bool) -> None:
        with self._lock:
            self._backend.encode_special_tokens = bool(value)

    @property
    def vocab_size(self) -> int:
        """Size of the base vocabulary, without added tokens (30522 for bert-base-uncased)."""
        return self._backend.get_vocab_size(with_added_tokens=False)

    def __len__(self) -> int:
        """Size of the vocabulary including added tokens."""
        return self._backend.get_vocab_size(with_added_tokens=True)

    def get_vocab(self) -> dict[str, int]:
        """{token: id} including added tokens."""
        return self._backend.get_vocab(with_added_tokens=True)

    @property
    def vocab(self) -> dict[str, int]:
        return self.get_vocab()

    @property
    def added_tokens_decoder(self) -> dict[int, AddedToken]:
        return self._backend.get_added_tokens_decoder()

    def get_added_vocab(self) -> dict[str, int]:
        """{content: id} of the added tokens, by id."""
        return {token.content: i for i, token in sorted(self.added_tokens_decoder.items())}

    @property
    def added_tokens_encoder(self) -> dict[str, int]:
        return self.get_added_vocab()

    def convert_tokens_to_ids(self, tokens: str | list[str]) -> int | list[int]:
        """"hello" -> 7592; unknown tokens -> unk_token_id; a list maps element-wise."""
        if isinstance(tokens, str):
            index = self._backend.token_to_id(tokens)
            unk = self._specials.named.get("unk_token")
            if index is None and unk is not None and str(unk) != tokens:  # an unk_token outside the vocabulary
                index = self._backend.token_to_id(str(unk))  # (e.g. "") has no id: None, not endless recursion
            return index
        return [self.convert_tokens_to_ids(token) for token in tokens]

    def convert_ids_to_tokens(self, ids: int | list[int], skip_special_tokens: bool = False) -> Any:
        """101 -> "[CLS]"; a list maps element-wise, dropping special tokens when asked."""
        if isinstance(ids, int) or (hasattr(ids, "ndim") and ids.ndim == 0):
            return self._backend.id_to_token(int(ids))
        skip = set(self.all_special_ids) if skip_special_tokens else set()
        return [self._backend.id_to_token(int(i)) for i in as_ids(ids) if int(i) not in skip]

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        """["hello", "##s"] -> "hellos" (the backend's decoder joins WordPiece pieces)."""
        decoder = self._backend.decoder
        return decoder.decode(tokens) if decoder is not None else " ".join(tokens)

    # --- special tokens --------------------------------------------------------------------------

    @property
    def special_tokens_map(self) -> dict[str, str]:
        """{'unk_token': '[UNK]', 'sep_token': '[SEP]', ...} for the tokens that are set."""
        return self._specials.as_map()

    @property
    def all_special_tokens(self) -> list[str]:
        """['[UNK]', '[SEP]', '[PAD]', '[CLS]', '[MASK]'] for BERT."""
        return self._specials.all_tokens()

    @property
    def all_special_ids(self) -> list[int]:
        return self.convert_tokens_to_ids(self.all_special_tokens)

    @property
    def extra_special_tokens(self) -> list[str]:
        return [str(token) for token in self._specials.extra]

    additional_special_tokens = extra_special_tokens

    @property
    def pad_token_type_id(self) -> int:
        return 0

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        """2 for a BERT single text ([CLS] ... [SEP]), 3 for a pair."""
        return self._backend.num_special_tokens_to_add(pair)

    @property
    def max_len_single_sentence(self) -> int:
        return self.model_max_length - self.num_special_tokens_to_add(pair=False)

    @property
    def max_len_sentences_pair(self) -> int:
        return self.model_max_length - self.num_special_tokens_to_add(pair=True)

    def _layout(self, ids_0: list[int], ids_1: list[int] | None) -> tuple[list[int], list[int], list[int]]:
        layout = layout_of(self._backend.post_processor)
        return apply_layout(layout.single if ids_1 is None else layout.pair, list(ids_0), ids_1)

    def build_inputs_with_special_tokens(self, token_ids_0: list[int], token_ids_1: list[int] | None = None) -> list[int]:
        """[7592] -> [101, 7592, 102]; with a pair -> [101, *a, 102, *b, 102]."""
        return self._layout(token_ids_0, token_ids_1)[0]

    def create_token_type_ids_from_sequences(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None
    ) -> list[int]:
        """Token type ids of `build_inputs_with_special_tokens(token_ids_0, token_ids_1)`."""
        return self._layout(token_ids_0, token_ids_1)[1]

    def get_special_tokens_mask(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None, already_has_special_tokens: bool = False
    ) -> list[int]:
        """1 where a special token is (or would be added), 0 elsewhere."""
        if already_has_special_tokens:
            if token_ids_1 is not None:
                raise InputError("token_ids_1 must be None when already_has_special_tokens=True")
            special = set(self.all_special_ids)
            return [1 if int(i) in special else 0 for i in token_ids_0]
        return self._layout(token_ids_0, token_ids_1)[2]

    # --- decoding --------------------------------------------------------------------------------

    def _decode_one(self, ids: list[int], skip_special_tokens: bool, clean_up: bool | None) -> str:
        if self.slow and skip_special_tokens:  # a Python tokenizer skips its special tokens of now, not every
            skip = set(self.all_special_ids)  # token ever added as special (replaced extra special tokens stay)
            ids, skip_special_tokens = [i for i in ids if i not in skip], False
        try:
            with self._lock:
                text = self._backend.decode(ids, skip_special_tokens=skip_special_tokens)
        except (OverflowError, TypeError) as exc:
            raise InputError(f"token ids must be non-negative integers, got {ids[:10]}...: {exc}") from None
        if self.clean_up_tokenization_spaces if clean_up is None else clean_up:
            text = clean_up_tokenization(text)
        return text

    def decode(
        self, token_ids: Any, skip_special_tokens: bool = False, clean_up_tokenization_spaces: bool | None = None
    ) -> str | list[str]:
        """Ids (list, NumPy array or torch tensor) -> text; a batch of rows -> a list of texts.

        `decode([101, 7592, 102], skip_special_tokens=True)` -> "hello". As in transformers, a batch
        passed to decode() is cleaned up only when clean_up_tokenization_spaces=True is given.
        """
        ids = as_ids(token_ids)
        if ids and isinstance(ids[0], list):
            return [self._decode_one(row, skip_special_tokens, bool(clean_up_tokenization_spaces)) for row in ids]
        return self._decode_one(ids, skip_special_tokens, clean_up_tokenization_spaces)

    def batch_decode(
        self, sequences: Any, skip_special_tokens: bool = False, clean_up_tokenization_spaces: bool | None = None
    ) -> list[str]:
        """Rows of ids -> texts; clean-up defaults to the tokenizer's clean_up_tokenization_spaces."""
        ids = as_ids(sequences)
        rows = ids if ids and isinstance(ids[0], list) else [ids]
        return [self._decode_one(row, skip_special_tokens, clean_up_tokenization_spaces) for row in rows]
