"""Model classes per architecture and head, and the Auto classes that pick one from config.json."""

from __future__ import annotations

import os
from typing import Any, Callable

from ..config import (
    AlbertConfig,
    BartConfig,
    BertConfig,
    BigBirdConfig,
    CamembertConfig,
    ConvBertConfig,
    Data2VecTextConfig,
    DebertaConfig,
    DebertaV2Config,
    DistilBertConfig,
    DPRConfig,
    ElectraConfig,
    ErnieConfig,
    IBertConfig,
    Gemma3TextConfig,
    Qwen2Config,
    LlamaConfig,
    MistralConfig,
    Qwen3Config,
    LayoutLMConfig,
    FNetConfig,
    EsmConfig,
    LongformerConfig,
    MegatronBertConfig,
    MobileBertConfig,
    ModernBertConfig,
    MPNetConfig,
    RemBertConfig,
    RobertaConfig,
    RobertaPreLayerNormConfig,
    SqueezeBertConfig,
    XLMRobertaConfig,
    XLMRobertaXLConfig,
    T5Config,
    MT5Config,
    UMT5Config,
    supported_model_types,
)
from ..errors import ConfigError, InputError
from . import albert, bart, bert, big_bird, camembert, convbert, data2vec_text, deberta, deberta_v2, distilbert, dpr, electra, ernie, esm, fnet, gemma3, ibert, layoutlm, llama, longformer, megatron_bert, mistral, mobilebert, modernbert, mpnet, mt5, qwen2, qwen3, rembert, roberta, roberta_prelayernorm, squeezebert, t5, umt5, xlm_roberta, xlm_roberta_xl
from .base import HEADS, PreTrainedModel
from .outputs import BaseModelOutput, ModelOutput, SequenceClassifierOutput


# transformers' class-name suffix per head
_SUFFIX = {
    "base": "Model",
    "sequence-classification": "ForSequenceClassification",
    "token-classification": "ForTokenClassification",
    "question-answering": "ForQuestionAnswering",
    "masked-lm": "ForMaskedLM",
    "multiple-choice": "ForMultipleChoice",
    "next-sentence-prediction": "ForNextSentencePrediction",
    "pre-training": "ForPreTraining",
}
# family module, its config class and the prefix of its class names
_FAMILIES = [
    (bert, BertConfig, "Bert"),
    (ernie, ErnieConfig, "Ernie"),
    (distilbert, DistilBertConfig, "DistilBert"),
    (roberta, RobertaConfig, "Roberta"),
    (xlm_roberta, XLMRobertaConfig, "XLMRoberta"),
    (camembert, CamembertConfig, "Camembert"),
    (electra, ElectraConfig, "Electra"),
    (albert, AlbertConfig, "Albert"),
    (mpnet, MPNetConfig, "MPNet"),
    (modernbert, ModernBertConfig, "ModernBert"),
    (deberta, DebertaConfig, "Deberta"),
    (deberta_v2, DebertaV2Config, "DebertaV2"),
    (esm, EsmConfig, "Esm"),
    (longformer, LongformerConfig, "Longformer"),
    (mobilebert, MobileBertConfig, "MobileBert"),
    (data2vec_text, Data2VecTextConfig, "Data2VecText"),
    (roberta_prelayernorm, RobertaPreLayerNormConfig, "RobertaPreLayerNorm"),
    (xlm_roberta_xl, XLMRobertaXLConfig, "XLMRobertaXL"),
    (squeezebert, SqueezeBertConfig, "SqueezeBert"),
    (megatron_bert, MegatronBertConfig, "MegatronBert"),
    (big_bird, BigBirdConfig, "BigBird"),
    (rembert, RemBertConfig, "RemBert"),
    (convbert, ConvBertConfig, "ConvBert"),
    (fnet, FNetConfig, "FNet"),
    (ibert, IBertConfig, "IBert"),
    (layoutlm, LayoutLMConfig, "LayoutLM"),
    (gemma3, Gemma3TextConfig, "Gemma3Text"),
    (qwen3, Qwen3Config, "Qwen3"),
    (qwen2, Qwen2Config, "Qwen2"),
    (llama, LlamaConfig, "Llama"),
    (mistral, MistralConfig, "Mistral"),
    (dpr, DPRConfig, "DPR"),  # AutoModel: DPRQuestionEncoder; DPRContextEncoder below
    (bart, BartConfig, "Bart"),
    (t5, T5Config, "T5"),
    (mt5, MT5Config, "MT5"),
    (umt5, UMT5Config, "UMT5"),
]


def _model_class(name: str, family, config_class, head: str) -> type[PreTrainedModel]:
    """The class; a family's MODEL_METHODS (head -> {name: function}) add what only it has (ESM's predict_contacts)."""
    methods = getattr(family, "MODEL_METHODS", {}).get(head, {})
    return type(name, (PreTrainedModel,), {"family": family, "config_class": config_class, "head": head,
                                           "__module__": __name__, **methods})


# (model_type, head) -> class, for every head a family's module defines; the table the Auto classes read.
MODEL_CLASSES: dict[tuple[str, str], type[PreTrainedModel]] = {
    (config_class.model_type, head): _model_class(getattr(family, "CLASS_NAMES", {}).get(head, prefix + suffix), family,
                                                  config_class, head)
    for family, config_class, prefix in _FAMILIES
    for head, suffix in _SUFFIX.items()
    if hasattr(family, HEADS[head].function)
}
globals().update({cls.__name__: cls for cls in MODEL_CLASSES.values()})
# the same network as DPRQuestionEncoder under another prefix; not an Auto choice (transformers' AutoModel
# gives the question encoder for model_type "dpr")
DPRContextEncoder = _model_class("DPRContextEncoder", dpr.CONTEXT, DPRConfig, "base")
# DPR's span reader: not an Auto choice either (transformers has no Auto class for it)
DPRReader = _model_class("DPRReader", dpr.READER, DPRConfig, "base")


def model_class(model_type: str, head: str) -> type[PreTrainedModel]:
    """The class for this architecture and head, or a ConfigError listing what is supported."""
    found = MODEL_CLASSES.get((model_type, head))
    if found is None:
        having = sorted(t for t, h in MODEL_CLASSES if h == head)
        raise ConfigError(
            f"no {head} model for model_type {model_type!r}; supported for {head}: {having} "
            f"(all known model types: {supported_model_types()})"
        )
    return found


def load_model(name_or_path: str | os.PathLike, head: str | Callable[[str], str], *, revision: str | None = None,
               **kwargs: Any) -> PreTrainedModel:
    """Load a checkpoint as the `head` model its config.json's model_type calls for (`head` may be a
    function of the model_type)."""
    from ..config import AutoConfig

    from ..hub import take_hub_options
    from ..placement import take_loader_options

    loading = {k: kwargs.pop(k) for k in ("engine", "num_threads", "quantize", "add_pooling_layer") if k in kwargs}
    options = take_hub_options(kwargs)  # cache_dir, token, ...: for config.json and the weights alike
    take_loader_options(kwargs)  # device_map, low_cpu_mem_usage, attn_implementation, ...: not config keys
    config = kwargs.pop("config", None) or AutoConfig.from_pretrained(name_or_path, revision=revision, **options, **kwargs)
    head = head(config.model_type) if callable(head) else head
    return model_class(config.model_type, head).from_pretrained(name_or_path, revision=revision, config=config,
                                                                **loading, **options)


class _AutoModelBase:
    head = "base"

    def __init__(self) -> None:
        raise TypeError(f"use {type(self).__name__}.from_pretrained(path_or_repo_id)")

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, *, revision: str | None = None, **kwargs: Any) -> PreTrainedModel:
        """Keyword arguments: engine ("onnx" | "numpy"), num_threads, quantize (None | "int8"), config, or config overrides."""
        return load_model(name_or_path, cls.head, revision=revision, **kwargs)

    @classmethod
    def from_config(cls, config: Any, **_kwargs: Any) -> PreTrainedModel:
        """transformers builds an untrained (random) model from a config; leanpipe runs trained checkpoints only."""
        raise InputError(f"{cls.__name__}.from_config builds a model with random weights, for training, which leanpipe "
                         f"does not do; load trained weights with {cls.__name__}.from_pretrained(folder_or_repo_id) "
                         f"(it takes config= too)")


class AutoModel(_AutoModelBase):
    head = "base"


class AutoModelForSequenceClassification(_AutoModelBase):
    head = "sequence-classification"


class AutoModelForTokenClassification(_AutoModelBase):
    head = "token-classification"


class AutoModelForQuestionAnswering(_AutoModelBase):
    head = "question-answering"


class AutoModelForMaskedLM(_AutoModelBase):
    head = "masked-lm"


class AutoModelForNextSentencePrediction(_AutoModelBase):
    """BERT's next-sentence head: (text, next text) pairs -> logits (batch, 2), index 0 "is next"."""

    head = "next-sentence-prediction"


class AutoModelForPreTraining(_AutoModelBase):
    """The family's pre-training model (BERT's MLM + next sentence, ALBERT's MLM + sentence order,
    ELECTRA's discriminator), else its masked LM, as transformers' AutoModelForPreTraining picks."""

    head = "pre-training"

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, *, revision: str | None = None, **kwargs: Any) -> PreTrainedModel:
        return load_model(name_or_path, lambda model_type: "pre-training" if (model_type, "pre-training") in MODEL_CLASSES
                          else "masked-lm", revision=revision, **kwargs)


class AutoModelForMultipleChoice(_AutoModelBase):
    """Inputs (batch, choices, sequence): each (prompt, choice) pair tokenized as one row; logits (batch, choices)."""

    head = "multiple-choice"


__all__ = [
    "AutoModel", "AutoModelForSequenceClassification", "AutoModelForTokenClassification",
    "AutoModelForQuestionAnswering", "AutoModelForMaskedLM", "AutoModelForMultipleChoice",
    "AutoModelForNextSentencePrediction", "AutoModelForPreTraining", "PreTrainedModel", "ModelOutput",
    "BaseModelOutput", "SequenceClassifierOutput", "HEADS", "MODEL_CLASSES", "load_model", "model_class",
] + [cls.__name__ for cls in MODEL_CLASSES.values()] + ["DPRContextEncoder", "DPRReader"]
