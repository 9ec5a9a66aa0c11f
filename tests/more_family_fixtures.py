"""Tiny tokenizers and random checkpoints for the MPNet, ModernBERT, DeBERTa-v2/v3 and DeBERTa (v1) families.

As tests/family_fixtures.py does for RoBERTa & co: tokenizers are trained here on the shared corpus
(no downloads), in the older files a checkpoint of the family ships and in the tokenizer.json folder
transformers' save_pretrained writes from them; models are every head of every family, vocab sized
to the family's tokenizer, saved next to the tokenizer files.

    mpnet-legacy       vocab.txt + tokenizer_config.json + special_tokens_map.json (as all-mpnet-base-v2)
    mpnet-json         what transformers saves from it
    mpnet-hub          tokenizer.json written by `tokenizers` (BERT post-processor) + a transformers 4 tokenizer_config.json
    modernbert-hub     tokenizer.json (byte-level BPE, [CLS] A [SEP]) + tokenizer_config.json as ModernBERT-base ships them
    modernbert-json    what transformers saves from it
    deberta-v2-legacy  spm.model + tokenizer_config.json + added_tokens.json ([MASK]), as microsoft/deberta-v3-base
    deberta-v2-json    what transformers 5.2 saves from it (no [CLS]/[SEP] template: see deberta_backend.py)
    deberta-v2-hub     tokenizer.json with DebertaV2Converter's [CLS] A [SEP] B [SEP] template + a transformers 4
                       tokenizer_config.json, as fine-tuned DeBERTa-v3 checkpoints ship them; the models use this one
    deberta-legacy     vocab.json + merges.txt (byte-level BPE, [CLS]/[SEP]) + tokenizer_config.json, as microsoft/deberta-base
    deberta-json       what transformers saves from it
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from family_fixtures import LABELS3, NER_LABELS, TRAIN, _sentencepiece

FAMILIES = ("mpnet", "modernbert", "deberta-v2", "deberta")
HEADS = ("Model", "ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering", "ForMaskedLM")
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37)

# model_type -> (transformers config class, class-name prefix, config kwargs, extra kwargs per head)
SPECS = {
    # 514 positions as mpnet-base: 512 tokens; 150-token inputs reach the far (log-spaced) buckets
    "mpnet": ("MPNetConfig", "MPNet", {**TINY, "max_position_embeddings": 514}, {}),
    # windows of 4 tokens either side in every other layer; real checkpoints have no biases, two heads get them
    "modernbert": ("ModernBertConfig", "ModernBert",
                   {**TINY, "num_hidden_layers": 3, "local_attention": 8, "global_attn_every_n_layers": 2,
                    "max_position_embeddings": 512, "global_rope_theta": 160000.0, "local_rope_theta": 10000.0},
                   {"ForSequenceClassification": {"classifier_pooling": "mean", "classifier_bias": True},
                    "ForTokenClassification": {"norm_bias": True, "attention_bias": True, "mlp_bias": True}}),
    # DeBERTa-v3's shape: relative positions only (log buckets past 8), shared keys, LayerNorm-ed relative
    # embeddings, no token types; the NER model is DeBERTa-v2 style (absolute positions too, own position
    # projections, exact relative positions, token types, factorised embeddings, deberta-v2-xlarge's convolution)
    "deberta-v2": ("DebertaV2Config", "DebertaV2",
                   {**TINY, "max_position_embeddings": 512, "relative_attention": True, "pos_att_type": "p2c|c2p",
                    "position_buckets": 16, "max_relative_positions": -1, "norm_rel_ebd": "layer_norm",
                    "share_att_key": True, "position_biased_input": False, "type_vocab_size": 0},
                   {"ForTokenClassification": {"position_buckets": -1, "max_relative_positions": 64, "norm_rel_ebd": "none",
                                               "share_att_key": False, "position_biased_input": True,
                                               "type_vocab_size": 2, "embedding_size": 16,
                                               "conv_kernel_size": 3, "conv_act": "gelu"}}),
    # DeBERTa v1 (microsoft/deberta-base's shape: c2p and p2c, no buckets); the NER model has absolute
    # positions, token types, p2c only and a short max_relative_positions (distances clipped)
    "deberta": ("DebertaConfig", "Deberta",
                {**TINY, "max_position_embeddings": 512, "relative_attention": True, "pos_att_type": "c2p|p2c",
                 "max_relative_positions": -1, "position_biased_input": False, "type_vocab_size": 0},
                {"ForTokenClassification": {"pos_att_type": ["p2c"], "max_relative_positions": 6, "position_biased_input": True,
                                            "type_vocab_size": 2},
                 "ForQuestionAnswering": {"pos_att_type": ["c2p"]}}),
}
# the tokenizer folder each family's models are saved with
MODEL_TOKENIZER = {"mpnet": "mpnet-json", "modernbert": "modernbert-json", "deberta-v2": "deberta-v2-hub",
                   "deberta": "deberta-json"}
# config key -> the tokenizer attribute that gives it, as in the family's real checkpoints
TOKEN_IDS = {"modernbert": {"pad_token_id": "pad_token_id", "bos_token_id": "cls_token_id", "eos_token_id": "sep_token_id",
                            "cls_token_id": "cls_token_id", "sep_token_id": "sep_token_id"}}
MPNET_SPECIALS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "[UNK]", "sep_token": "</s>",
                  "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"}


def _mpnet_legacy(folder: Path) -> None:
    """vocab.txt as microsoft/mpnet-base lays it out (<s> <pad> </s> <unk> first, <mask> last) and
    all-mpnet-base-v2's tokenizer_config.json / special_tokens_map.json (<mask> with lstrip)."""
    from tokenizers import BertWordPieceTokenizer

    folder.mkdir(parents=True)
    wordpiece = BertWordPieceTokenizer(lowercase=True)
    wordpiece.train_from_iterator(TRAIN, vocab_size=300, min_frequency=1, show_progress=False,
                                  special_tokens=["<s>", "<pad>", "</s>", "<unk>", "[UNK]"])
    wordpiece.save_model(str(folder))
    with open(folder / "vocab.txt", "a", encoding="utf-8") as f:
        f.write("<mask>\n")
    config = {**MPNET_SPECIALS, "do_lower_case": True, "tokenize_chinese_chars": True, "strip_accents": None,
              "model_max_length": 512, "tokenizer_class": "MPNetTokenizer"}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    mask = {"content": "<mask>", "lstrip": True, "normalized": False, "rstrip": False, "single_word": False}
    (folder / "special_tokens_map.json").write_text(json.dumps({**MPNET_SPECIALS, "mask_token": mask}))


def _mpnet_hub(legacy: Path, folder: Path) -> None:
    """A tokenizer.json serialized by `tokenizers` with a BERT-style post-processor (transformers 5.2's
    MPNetTokenizer keeps only its vocabulary) and a transformers 4 tokenizer_config.json with
    added_tokens_decoder."""
    from tokenizers import AddedToken, Tokenizer, models, normalizers, pre_tokenizers, processors

    vocab = [line.rstrip("\n") for line in (legacy / "vocab.txt").read_text(encoding="utf-8").splitlines()]
    backend = Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=False)
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.BertProcessing(("</s>", 2), ("<s>", 0))
    backend.add_special_tokens(["<s>", "<pad>", "</s>", "[UNK]", AddedToken("<mask>", lstrip=True, special=True)])
    folder.mkdir()
    backend.save(str(folder / "tokenizer.json"))
    token = {"lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}
    decoder = {str(vocab.index(t)): {**token, "content": t} for t in ("<s>", "<pad>", "</s>", "[UNK]")}
    decoder[str(vocab.index("<mask>"))] = {**token, "content": "<mask>", "lstrip": True}
    config = {**MPNET_SPECIALS, "added_tokens_decoder": decoder, "clean_up_tokenization_spaces": True,
              "do_lower_case": True, "model_max_length": 384, "tokenizer_class": "MPNetTokenizer"}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    shutil.copy(legacy / "config.json", folder / "config.json")


def _modernbert_hub(folder: Path) -> None:
    """Byte-level BPE with NFC, [CLS] A [SEP] (B [SEP]) typed 0/1 and an lstrip [MASK], as in
    answerdotai/ModernBERT-base (tokenizer_class PreTrainedTokenizerFast: tokenizer.json is used as it is)."""
    from tokenizers import AddedToken, ByteLevelBPETokenizer, normalizers, processors

    bpe = ByteLevelBPETokenizer(add_prefix_space=False, trim_offsets=True)
    bpe.train_from_iterator(TRAIN, vocab_size=400, min_frequency=1, show_progress=False, special_tokens=["<|endoftext|>"])
    backend = bpe._tokenizer
    backend.normalizer = normalizers.NFC()
    specials = ["[UNK]", "[CLS]", "[SEP]", "[PAD]"]
    backend.add_special_tokens([*specials, AddedToken("[MASK]", lstrip=True, normalized=False, special=True)])
    cls, sep = backend.token_to_id("[CLS]"), backend.token_to_id("[SEP]")
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    folder.mkdir(parents=True)
    backend.save(str(folder / "tokenizer.json"))
    token = {"lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}
    decoder = {str(backend.token_to_id(t)): {**token, "content": t} for t in ["<|endoftext|>", *specials]}
    decoder[str(backend.token_to_id("[MASK]"))] = {**token, "content": "[MASK]", "lstrip": True}
    config = {"added_tokens_decoder": decoder, "clean_up_tokenization_spaces": True, "cls_token": "[CLS]",
              "mask_token": "[MASK]", "model_input_names": ["input_ids", "attention_mask"], "model_max_length": 8192,
              "pad_token": "[PAD]", "sep_token": "[SEP]", "tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "[UNK]"}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))


DEBERTA_SPECIALS = {"bos_token": "[CLS]", "eos_token": "[SEP]", "unk_token": "[UNK]", "sep_token": "[SEP]",
                    "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}


def _deberta_legacy(folder: Path) -> None:
    """spm.model with DeBERTa's ids ([PAD] 0, [CLS] 1, [SEP] 2, [UNK] 3) and [MASK] added after the pieces."""
    folder.mkdir(parents=True)
    model = _sentencepiece(pad_id=0, bos_id=1, eos_id=2, unk_id=3, pad_piece="[PAD]", bos_piece="[CLS]",
                           eos_piece="[SEP]", unk_piece="[UNK]")
    (folder / "spm.model").write_bytes(model)
    (folder / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": False, "vocab_type": "spm"}))
    import sentencepiece as spm

    pieces = spm.SentencePieceProcessor(model_proto=model).get_piece_size()
    (folder / "added_tokens.json").write_text(json.dumps({"[MASK]": pieces}))


def _deberta_v1_legacy(folder: Path) -> None:
    """vocab.json + merges.txt, byte-level BPE with microsoft/deberta-base's ids ([PAD] 0, [CLS] 1,
    [SEP] 2, [UNK] 3; [MASK] here right after them) and its tokenizer_config.json."""
    from tokenizers import ByteLevelBPETokenizer

    folder.mkdir(parents=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(TRAIN, vocab_size=420, min_frequency=1, show_progress=False,
                            special_tokens=["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"])
    bpe.save_model(str(folder))
    (folder / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": False, "vocab_type": "gpt2"}))


def _deberta_hub(legacy: Path, saved: Path, folder: Path) -> None:
    """The pieces of `saved`'s tokenizer.json with the [CLS] A [SEP] B [SEP] template transformers 4's
    DebertaV2Converter wrote, and a transformers 4 tokenizer_config.json (added_tokens_decoder)."""
    from tokenizers import Tokenizer, processors

    backend = Tokenizer.from_file(str(saved / "tokenizer.json"))
    cls, sep = backend.token_to_id("[CLS]"), backend.token_to_id("[SEP]")
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    folder.mkdir()
    backend.save(str(folder / "tokenizer.json"))
    token = {"lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}
    decoder = {str(backend.token_to_id(t)): {**token, "content": t} for t in ("[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]")}
    config = {**DEBERTA_SPECIALS, "added_tokens_decoder": decoder, "clean_up_tokenization_spaces": True,
              "do_lower_case": False, "model_max_length": 512, "split_by_punct": False, "sp_model_kwargs": {},
              "tokenizer_class": "DebertaV2Tokenizer", "vocab_type": "spm"}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    shutil.copy(legacy / "config.json", folder / "config.json")


def build_tokenizers(root: Path) -> dict[str, Path]:
    """"<family>-legacy", "<family>-json" (and variants) folders, each with a config.json."""
    import transformers

    folders: dict[str, Path] = {}
    first_files = {"mpnet": ("legacy", _mpnet_legacy), "modernbert": ("hub", _modernbert_hub),
                   "deberta-v2": ("legacy", _deberta_legacy), "deberta": ("legacy", _deberta_v1_legacy)}
    for model_type, (name, write) in first_files.items():
        config_cls, _, kwargs, _ = SPECS[model_type]
        first, saved = root / f"{model_type}-{name}", root / f"{model_type}-json"
        write(first)
        getattr(transformers, config_cls)(**kwargs).save_pretrained(first)
        transformers.AutoTokenizer.from_pretrained(first).save_pretrained(saved)
        shutil.copy(first / "config.json", saved / "config.json")
        folders[f"{model_type}-{name}"], folders[f"{model_type}-json"] = first, saved
    _mpnet_hub(folders["mpnet-legacy"], root / "mpnet-hub")
    _deberta_hub(folders["deberta-v2-legacy"], folders["deberta-v2-json"], root / "deberta-v2-hub")
    folders["mpnet-hub"], folders["deberta-v2-hub"] = root / "mpnet-hub", root / "deberta-v2-hub"
    return folders


def perturb(model) -> None:
    """Add N(0, 0.1) to every parameter: non-trivial LayerNorms and biases, and activations large enough
    that a wrong constant shows far above 1e-4 (transformers' init at 0.02 let a wrong DeBERTa attention
    scale through at 8.7e-5; at 0.1 it differs by 5.6e-2, while float noise stays near 1e-6)."""
    import torch

    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)


def build_model(model_type: str, head: str, tokenizer_folder: Path, folder: Path, seed: int = 0) -> Path:
    """A tiny random `<Prefix><head>` checkpoint over the tokenizer in `tokenizer_folder`, saved with it."""
    import torch
    import transformers

    config_cls, prefix, kwargs, per_head = SPECS[model_type]
    tokenizer = transformers.AutoTokenizer.from_pretrained(tokenizer_folder)
    ids = {key: getattr(tokenizer, attr) for key, attr in TOKEN_IDS.get(model_type, {}).items()}
    labels = {"ForSequenceClassification": {"id2label": LABELS3}, "ForTokenClassification": {"id2label": NER_LABELS}}
    config = getattr(transformers, config_cls)(vocab_size=len(tokenizer), **{**kwargs, **per_head.get(head, {}), **ids},
                                               **labels.get(head, {}))
    torch.manual_seed(seed)
    model = getattr(transformers, prefix + head)(config)
    perturb(model)
    model.eval().save_pretrained(folder)
    for f in tokenizer_folder.iterdir():
        if f.name != "config.json":
            shutil.copy(f, folder / f.name)
    return folder
