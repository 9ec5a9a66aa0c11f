"""Tiny tokenizers and random checkpoints for the RoBERTa, XLM-RoBERTa, CamemBERT, ELECTRA, ALBERT, ERNIE, Longformer,
MobileBERT, data2vec-text, RoBERTa-PreLayerNorm, XLM-RoBERTa-XL, SqueezeBERT and MegatronBERT families.

Tokenizers are trained here on the shared corpus (no downloads): byte-level BPE and WordPiece with
the `tokenizers` library, SentencePiece Unigram `.model` files with `sentencepiece` (test extra).
Each family gets two folders loaded by transformers and leanpipe alike:

    <family>-legacy  the older files only: vocab.json + merges.txt, sentencepiece.bpe.model,
                     spiece.model or vocab.txt (+ config.json, + tokenizer_config.json for ELECTRA)
    <family>-json    what transformers' save_pretrained writes from it (tokenizer.json + tokenizer_config.json)

Models: every head of every family, vocab sized to the family's tokenizer, saved next to the json files.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from corpus import PAIRS, TEXTS, WORDS

FAMILIES = ("roberta", "xlm-roberta", "camembert", "electra", "albert", "ernie", "longformer", "mobilebert", "data2vec-text",
            "roberta-prelayernorm", "xlm-roberta-xl", "squeezebert", "megatron-bert")
TRAIN = [*TEXTS, *(f"{a} {b}" for a, b in PAIRS), *(" ".join(w) for w in WORDS),
         *["The quick brown fox jumps over the lazy dog. Hello world, how are you?"] * 4]

# model_type -> (transformers tokenizer class, transformers config class, class-name prefix, config kwargs)
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37)
ROBERTA_SHAPE = {**TINY, "max_position_embeddings": 514, "type_vocab_size": 1}  # as roberta-base: 512 tokens, no types
SPECS = {
    "roberta": ("RobertaTokenizer", "RobertaConfig", "Roberta", ROBERTA_SHAPE),
    "xlm-roberta": ("XLMRobertaTokenizer", "XLMRobertaConfig", "XLMRoberta", ROBERTA_SHAPE),
    "camembert": ("CamembertTokenizer", "CamembertConfig", "Camembert", ROBERTA_SHAPE),
    "electra": ("ElectraTokenizerFast", "ElectraConfig", "Electra", {**TINY, "embedding_size": 16}),
    # ERNIE 3.0's shape: BERT plus a task-type embedding (row 0 for every token)
    "ernie": ("BertTokenizer", "ErnieConfig", "Ernie", {**TINY, "use_task_id": True, "task_type_vocab_size": 3}),
    "data2vec-text": ("RobertaTokenizer", "Data2VecTextConfig", "Data2VecText", ROBERTA_SHAPE),
    "roberta-prelayernorm": ("RobertaTokenizer", "RobertaPreLayerNormConfig", "RobertaPreLayerNorm", ROBERTA_SHAPE),
    "xlm-roberta-xl": ("XLMRobertaTokenizer", "XLMRobertaXLConfig", "XLMRobertaXL", ROBERTA_SHAPE),
    # Longformer: RoBERTa's tokenizer; windows of 4 and 8 tokens (transformers pads to a multiple of the largest), so the tests' texts reach past them
    "longformer": ("RobertaTokenizer", "LongformerConfig", "Longformer", {**ROBERTA_SHAPE, "attention_window": [4, 8]}),
    # MobileBERT's shape: narrow inner layers, stacked FFNs, NoNorm, trigram embeddings (BERT's WordPiece)
    "mobilebert": ("BertTokenizer", "MobileBertConfig", "MobileBert",
                   {**TINY, "embedding_size": 8, "intra_bottleneck_size": 16, "num_feedforward_networks": 3}),
    # SqueezeBERT: every convolution grouped differently (1, 2 and 4 groups), the FFN's width a multiple of 4
    "squeezebert": ("BertTokenizer", "SqueezeBertConfig", "SqueezeBert",
                    {**TINY, "intermediate_size": 40, "embedding_size": 32, "q_groups": 4, "k_groups": 2, "v_groups": 1,
                     "post_attention_groups": 2, "intermediate_groups": 4, "output_groups": 2}),
    "megatron-bert": ("BertTokenizer", "MegatronBertConfig", "MegatronBert", TINY),  # pre-LN BERT
    "albert": ("AlbertTokenizer", "AlbertConfig", "Albert",
               {**TINY, "embedding_size": 16, "num_hidden_layers": 3, "num_hidden_groups": 2, "inner_group_num": 2}),
}
HEADS = ("Model", "ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering", "ForMaskedLM")
LABELS3 = {0: "negative", 1: "neutral", 2: "very positive"}
NER_LABELS = dict(enumerate(["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]))


def _sentencepiece(**options) -> bytes:
    import sentencepiece as spm

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TRAIN), model_writer=buffer, model_type="unigram", vocab_size=160,
        character_coverage=1.0, hard_vocab_limit=False, minloglevel=2, num_threads=1, **options,
    )
    return buffer.getvalue()


def _legacy_files(model_type: str, folder: Path) -> None:
    """Write the family's older tokenizer files into `folder`."""
    if model_type in ("roberta", "longformer", "data2vec-text", "roberta-prelayernorm"):
        from tokenizers import ByteLevelBPETokenizer

        bpe = ByteLevelBPETokenizer()
        bpe.train_from_iterator(TRAIN, vocab_size=420, min_frequency=1, show_progress=False,
                                special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
        bpe.save_model(str(folder))
    elif model_type in ("xlm-roberta", "camembert", "xlm-roberta-xl"):  # sentencepiece's own ids: <unk> 0, <s> 1, </s> 2 (fairseq reorders them)
        (folder / "sentencepiece.bpe.model").write_bytes(_sentencepiece())
    elif model_type == "albert":  # as albert-base-v2's spiece.model: <pad> <unk> [CLS] [SEP] [MASK]
        (folder / "spiece.model").write_bytes(_sentencepiece(
            pad_id=0, unk_id=1, bos_id=-1, eos_id=-1, control_symbols=["[CLS]", "[SEP]"], user_defined_symbols=["[MASK]"]))
    else:  # electra, ernie, mobilebert, squeezebert, megatron-bert: WordPiece vocab.txt, lower-cased like google/electra-small-discriminator
        from tokenizers import BertWordPieceTokenizer

        wordpiece = BertWordPieceTokenizer(lowercase=True)
        wordpiece.train_from_iterator(TRAIN, vocab_size=300, min_frequency=1, show_progress=False)
        wordpiece.save_model(str(folder))
        (folder / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True, "model_max_length": 512}))


def build_tokenizers(root: Path, families: tuple[str, ...] = FAMILIES) -> dict[str, Path]:
    """"<family>-legacy" and "<family>-json" folders for every family (or those named), each with a config.json."""
    import transformers

    folders = {}
    for model_type in families:
        tokenizer_cls, config_cls = SPECS[model_type][:2]
        legacy, saved = root / f"{model_type}-legacy", root / f"{model_type}-json"
        legacy.mkdir(parents=True)
        _legacy_files(model_type, legacy)
        config = getattr(transformers, config_cls)(**SPECS[model_type][3])
        config.save_pretrained(legacy)
        getattr(transformers, tokenizer_cls).from_pretrained(legacy).save_pretrained(saved)
        shutil.copy(legacy / "config.json", saved / "config.json")
        folders[f"{model_type}-legacy"], folders[f"{model_type}-json"] = legacy, saved
    return folders


def _variant(src: Path, dst: Path, config: dict, *, drop: tuple[str, ...] = ()) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*drop))
    path = dst / "tokenizer_config.json"
    current = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**current, **config}))
    return dst


def build_variants(root: Path, folders: dict[str, Path]) -> dict[str, Path]:
    """Flag variants transformers honours: add_prefix_space / trim_offsets, keep_accents / do_lower_case,
    and a hub-style RoBERTa folder (tokenizer.json written by `tokenizers`, <mask> with lstrip in
    special_tokens_map.json, tokenizer_class "RobertaTokenizerFast")."""
    out = {
        "roberta-prefix": _variant(folders["roberta-legacy"], root / "roberta-prefix",
                                   {"add_prefix_space": True, "trim_offsets": False}),
        "xlm-roberta-noprefix": _variant(folders["xlm-roberta-json"], root / "xlm-roberta-noprefix", {"add_prefix_space": False}),
        "albert-cased": _variant(folders["albert-legacy"], root / "albert-cased", {"do_lower_case": False, "keep_accents": True}),
    }
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers

    hub = _variant(folders["roberta-legacy"], root / "roberta-hub", {"tokenizer_class": "RobertaTokenizerFast"})
    backend = Tokenizer(models.BPE.from_file(str(hub / "vocab.json"), str(hub / "merges.txt")))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>", AddedToken("<mask>", lstrip=True, special=True)])
    backend.save(str(hub / "tokenizer.json"))
    mask = {"content": "<mask>", "lstrip": True, "normalized": False, "rstrip": False, "single_word": False}
    (hub / "special_tokens_map.json").write_text(json.dumps({"mask_token": mask, "pad_token": "<pad>", "unk_token": "<unk>"}))
    out["roberta-hub"] = hub
    out["xlm-roberta-v4"] = _v4_config(folders["xlm-roberta-json"], root / "xlm-roberta-v4")
    return out


def _v4_config(src: Path, dst: Path) -> Path:
    """tokenizer_config.json as transformers 4 saved xlm-roberta-base's: added_tokens_decoder with an
    lstrip <mask>, clean_up_tokenization_spaces, model_max_length 512."""
    shutil.copytree(src, dst)
    vocab = json.loads((src / "tokenizer.json").read_text())["model"]["vocab"]
    token = {"lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}
    decoder = {str(i): {**token, "content": piece} for i, (piece, _) in enumerate(vocab[:4])}
    decoder[str(len(vocab) - 1)] = {**token, "content": "<mask>", "lstrip": True}
    config = {"added_tokens_decoder": decoder, "bos_token": "<s>", "clean_up_tokenization_spaces": True, "cls_token": "<s>",
              "eos_token": "</s>", "mask_token": "<mask>", "model_max_length": 512, "pad_token": "<pad>",
              "sep_token": "</s>", "tokenizer_class": "XLMRobertaTokenizer", "unk_token": "<unk>"}
    (dst / "tokenizer_config.json").write_text(json.dumps(config))
    return dst


def build_model(model_type: str, head: str, tokenizer_folder: Path, folder: Path, seed: int = 0) -> Path:
    """A tiny random `<Prefix><head>` checkpoint over the tokenizer in `tokenizer_folder`, saved with it."""
    import torch
    import transformers

    _, config_cls, prefix, kwargs = SPECS[model_type]
    vocab = len(transformers.AutoTokenizer.from_pretrained(tokenizer_folder))
    labels = {"ForSequenceClassification": {"id2label": LABELS3}, "ForTokenClassification": {"id2label": NER_LABELS}}
    config = getattr(transformers, config_cls)(vocab_size=vocab, **kwargs, **labels.get(head, {}))
    torch.manual_seed(seed)
    model = getattr(transformers, prefix + head)(config)
    with torch.no_grad():  # non-trivial LayerNorms and biases, so a missed term shows
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    model.eval().save_pretrained(folder)
    for f in tokenizer_folder.iterdir():
        if f.name != "config.json":
            shutil.copy(f, folder / f.name)
    return folder
