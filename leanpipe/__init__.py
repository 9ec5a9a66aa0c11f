"""leanpipe: Hugging Face encoder pipelines without torch. Same API, same checkpoints, same answers.

    from leanpipe import pipeline, AutoTokenizer, AutoModelForSequenceClassification

Names are imported on first use, so `import leanpipe` stays cheap.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "pipeline": "pipeline",
    "Pipeline": "pipeline",
    "TextClassificationPipeline": "tasks.text_classification",
    "TokenClassificationPipeline": "tasks.token_classification",
    "NerPipeline": "tasks.token_classification",
    "QuestionAnsweringPipeline": "tasks.question_answering",
    "FillMaskPipeline": "tasks.fill_mask",
    "FeatureExtractionPipeline": "tasks.feature_extraction",
    "ZeroShotClassificationPipeline": "tasks.zero_shot",
    "logging": "utils",
    "set_seed": "utils",
    "is_torch_available": "utils",
    "PreTrainedModel": "models",
    "PreTrainedTokenizerBase": "tokenization",
    "AutoConfig": "config",
    "PretrainedConfig": "config",
    "PreTrainedConfig": "config",
    "BertConfig": "config",
    "ErnieConfig": "config",
    "DistilBertConfig": "config",
    "RobertaConfig": "config",
    "XLMRobertaConfig": "config",
    "CamembertConfig": "config",
    "ElectraConfig": "config",
    "AlbertConfig": "config",
    "MPNetConfig": "config",
    "ModernBertConfig": "config",
    "DebertaConfig": "config",
    "DebertaV2Config": "config",
    "EsmConfig": "config",
    "LongformerConfig": "config",
    "MobileBertConfig": "config",
    "Data2VecTextConfig": "config",
    "RobertaPreLayerNormConfig": "config",
    "XLMRobertaXLConfig": "config",
    "SqueezeBertConfig": "config",
    "MegatronBertConfig": "config",
    "DPRConfig": "config",
    "IBertConfig": "config",
    "LayoutLMConfig": "config",
    "Gemma3TextConfig": "config",
    "Qwen3Config": "config",
    "Qwen2Config": "config",
    "LlamaConfig": "config",
    "MistralConfig": "config",
    "BigBirdConfig": "config",
    "RemBertConfig": "config",
    "ConvBertConfig": "config",
    "FNetConfig": "config",
    "BartConfig": "config",
    "T5Config": "config",
    "MT5Config": "config",
    "UMT5Config": "config",
    "AutoTokenizer": "tokenization",
    "PreTrainedTokenizerFast": "tokenization",
    "BertTokenizer": "tokenization",
    "BertTokenizerFast": "tokenization",
    "DistilBertTokenizer": "tokenization",
    "DistilBertTokenizerFast": "tokenization",
    "AlbertTokenizer": "tokenization",
    "AlbertTokenizerFast": "tokenization",
    "MPNetTokenizer": "tokenization",
    "MPNetTokenizerFast": "tokenization",
    "DebertaTokenizer": "tokenization",
    "DebertaTokenizerFast": "tokenization",
    "DebertaV2Tokenizer": "tokenization",
    "DebertaV2TokenizerFast": "tokenization",
    "ElectraTokenizer": "tokenization",
    "ElectraTokenizerFast": "tokenization",
    "MobileBertTokenizer": "tokenization",
    "MobileBertTokenizerFast": "tokenization",
    **{f"{family}Tokenizer{fast}": "tokenization" for family in ("LayoutLM", "ConvBert", "Longformer") for fast in ("", "Fast")},
    **{f"DPR{part}EncoderTokenizer{fast}": "tokenization" for part in ("Question", "Context") for fast in ("", "Fast")},
    "DPRReaderTokenizer": "tokenization", "DPRReaderTokenizerFast": "tokenization",
    "GemmaTokenizer": "tokenization", "GemmaTokenizerFast": "tokenization",
    "Qwen2Tokenizer": "tokenization", "Qwen2TokenizerFast": "tokenization",
    "SqueezeBertTokenizer": "tokenization",
    "SqueezeBertTokenizerFast": "tokenization",
    "RobertaTokenizer": "tokenization",
    "RobertaTokenizerFast": "tokenization",
    "BartTokenizer": "tokenization",
    "BartTokenizerFast": "tokenization",
    "XLMRobertaTokenizer": "tokenization",
    "XLMRobertaTokenizerFast": "tokenization",
    "CamembertTokenizer": "tokenization",
    "CamembertTokenizerFast": "tokenization",
    "EsmTokenizer": "tokenization",
    "T5Tokenizer": "tokenization",
    "T5TokenizerFast": "tokenization",
    **dict.fromkeys(("RemBertTokenizer", "RemBertTokenizerFast", "BigBirdTokenizer", "BigBirdTokenizerFast", "FNetTokenizer",
                     "FNetTokenizerFast"), "tokenization"),
    "BatchEncoding": "tokenization",
    "AutoModel": "models",
    "AutoModelForSequenceClassification": "models",
    "AutoModelForTokenClassification": "models",
    "AutoModelForQuestionAnswering": "models",
    "AutoModelForMaskedLM": "models",
    "AutoModelForMultipleChoice": "models",
    "AutoModelForNextSentencePrediction": "models",
    "AutoModelForPreTraining": "models",
    **{f"{family}ForPreTraining": "models" for family in ("Bert", "Ernie", "MegatronBert", "MobileBert", "Albert", "Electra")},
    **{f"{family}ForNextSentencePrediction": "models" for family in ("Bert", "Ernie", "MegatronBert", "MobileBert")},
    **{f"{family}{suffix}": "models"
       for family in ("Bert", "Ernie", "DistilBert", "Roberta", "XLMRoberta", "Camembert", "Electra", "Albert", "MPNet", "ModernBert", "Deberta", "DebertaV2", "Longformer", "MobileBert", "Data2VecText",
                      "RobertaPreLayerNorm", "XLMRobertaXL", "SqueezeBert", "MegatronBert")
       for suffix in (
        "Model", "ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering", "ForMaskedLM")},
    **{f"BigBird{suffix}": "models" for suffix in ("Model", "ForSequenceClassification", "ForTokenClassification", "ForMaskedLM",
                                                   "ForQuestionAnswering", "ForMultipleChoice", "ForPreTraining")},
    **{f"RemBert{suffix}": "models" for suffix in ("Model", "ForSequenceClassification", "ForTokenClassification", "ForMaskedLM",
                                                  "ForQuestionAnswering", "ForMultipleChoice")},
    **{f"ConvBert{suffix}": "models" for suffix in ("Model", "ForSequenceClassification", "ForTokenClassification", "ForMaskedLM",
                                                   "ForQuestionAnswering", "ForMultipleChoice")},
    **{f"FNet{suffix}": "models" for suffix in ("Model", "ForSequenceClassification", "ForTokenClassification", "ForMaskedLM",
                                               "ForQuestionAnswering", "ForMultipleChoice", "ForNextSentencePrediction",
                                               "ForPreTraining")},
    **{f"Esm{suffix}": "models" for suffix in ("Model", "ForSequenceClassification", "ForTokenClassification", "ForMaskedLM")},
    "DPRQuestionEncoder": "models", "DPRContextEncoder": "models", "DPRReader": "models", "Gemma3TextModel": "models",
    "Gemma3TextForSequenceClassification": "models",
    **{f"{family}{suffix}": "models" for family in ("Qwen2", "Qwen3", "Llama", "Mistral") for suffix in (
        "Model", "ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering")},
    **{f"LayoutLM{suffix}": "models" for suffix in ("Model", "ForSequenceClassification", "ForTokenClassification", "ForMaskedLM",
                                                   "ForQuestionAnswering")},
    **{f"IBert{suffix}": "models" for suffix in ("Model", "ForSequenceClassification", "ForTokenClassification", "ForMaskedLM",
                                                "ForQuestionAnswering", "ForMultipleChoice")},
    **{f"Bart{suffix}": "models" for suffix in ("Model", "ForSequenceClassification", "ForQuestionAnswering", "ForConditionalGeneration")},
    **{f"{family}ForMultipleChoice": "models"
       for family in ("Bert", "Ernie", "DistilBert", "Roberta", "XLMRoberta", "Camembert", "Electra", "Albert", "MPNet",
                      "ModernBert", "DebertaV2", "MobileBert", "Data2VecText", "RobertaPreLayerNorm", "XLMRobertaXL", "Longformer",
                      "SqueezeBert", "MegatronBert")},
    **{f"{family}{suffix}": "models" for family in ("T5", "MT5", "UMT5")
       for suffix in ("EncoderModel", "ForTokenClassification", "ForSequenceClassification", "ForQuestionAnswering")},
    "SentenceTransformer": "sentence_models",
    "CrossEncoder": "sentence_models",
    "SparseEncoder": "sparse_encoder",
    "MultiVectorEncoder": "multi_vector",
    "softmax": "functional",
    "sigmoid": "functional",
    "LeanpipeError": "errors",
    "CheckpointError": "errors",
    "ConfigError": "errors",
    "TokenizerError": "errors",
    "InputError": "errors",
}
_RENAMED = {"PreTrainedConfig": "PretrainedConfig",  # transformers 5 spells it both ways
            "PreTrainedTokenizerBase": "PreTrainedTokenizerFast"}  # every leanpipe tokenizer's base


_SUBMODULES = ("util",)  # sentence-transformers' util: leanpipe.util after `import leanpipe` alone too

__all__ = sorted([*_EXPORTS, *_SUBMODULES])


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'leanpipe' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names (loaded or not) and the module's dunders; not the helpers imported here."""
    return sorted(set(__all__) | {name for name in globals() if name.startswith("__")})


class _Package(types.ModuleType):
    """The package's module type: importing the submodule leanpipe.pipeline (which happens when
    SentenceTransformer, the server or the CLI load it first) makes Python set the package's
    `pipeline` attribute to that module, hiding the `pipeline()` function; that one assignment is
    refused, so `leanpipe.pipeline(...)` is the function whatever was imported before (the
    submodule stays in sys.modules["leanpipe.pipeline"])."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "pipeline" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
