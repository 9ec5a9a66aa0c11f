"""Configs of BERT and the encoders built on its layout: ERNIE, MegatronBERT, SqueezeBERT, DistilBERT, RoBERTa and its variants
(XLM-R, XLM-R-XL, CamemBERT, data2vec-text, RoBERTa-PreLayerNorm, Longformer), MobileBERT, ELECTRA, ALBERT, MPNet."""

from __future__ import annotations

from ..errors import ConfigError
from .base import PretrainedConfig, _is_int


# BertConfig keys (decoder use, the classifier's dropout) that SqueezeBERT's and Longformer's configs lack
_DECODER_KEYS = ("add_cross_attention", "classifier_dropout", "is_decoder", "use_cache")


class BertConfig(PretrainedConfig):
    """BERT's config with transformers' defaults (bert-base-uncased's shape)."""

    model_type = "bert"
    defaults = {
        "add_cross_attention": False,
        "attention_probs_dropout_prob": 0.1,
        "bos_token_id": None,
        "classifier_dropout": None,
        "eos_token_id": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 768,
        "initializer_range": 0.02,
        "intermediate_size": 3072,
        "is_decoder": False,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "num_attention_heads": 12,
        "num_hidden_layers": 12,
        "pad_token_id": 0,
        "tie_word_embeddings": True,
        "type_vocab_size": 2,
        "use_cache": True,
        "vocab_size": 30522,
    }

    def validate(self) -> None:
        self._require_divisible("hidden_size", "num_attention_heads")
        kind = getattr(self, "position_embedding_type", "absolute")
        if kind != "absolute":
            raise ConfigError(
                f"position_embedding_type={kind!r} is not supported yet (only 'absolute'); "
                f"see the README's support table"
            )


class ErnieConfig(BertConfig):
    """ERNIE (nghuyong/ernie-3.0-*, ernie-health-zh, ...): BERT's config and defaults plus the task-type
    embedding ERNIE 3.0 adds to every token when `use_task_id` (configuration_ernie)."""

    model_type = "ernie"
    defaults = {**BertConfig.defaults, "task_type_vocab_size": 3, "use_task_id": False}


class DPRConfig(BertConfig):
    """DPR (facebook/dpr-question_encoder-*, dpr-ctx_encoder-*): BERT's keys and configuration_dpr's
    defaults (bert-base's shape) plus `projection_dim` (0: no projection after the [CLS] vector)."""

    model_type = "dpr"
    defaults = {**{k: v for k, v in BertConfig.defaults.items() if k not in ("classifier_dropout", "tie_word_embeddings", "use_cache")},
                "projection_dim": 0}


class LayoutLMConfig(BertConfig):
    """LayoutLM (microsoft/layoutlm-base-uncased, -large-uncased and fine-tunes): BERT's keys and
    configuration_layoutlm's defaults plus `max_2d_position_embeddings`, the size of the tables its
    bounding-box coordinates (x0, y0, x1, y1), heights and widths index."""

    model_type = "layoutlm"
    defaults = {**{k: v for k, v in BertConfig.defaults.items() if k not in ("add_cross_attention", "classifier_dropout", "is_decoder")},
                "max_2d_position_embeddings": 1024}


class MegatronBertConfig(BertConfig):
    """MegatronBERT (Megatron-LM BERTs converted to transformers): BERT's keys with
    configuration_megatron_bert's defaults (the 345M model's shape, its 29,056-token vocabulary)."""

    model_type = "megatron-bert"
    defaults = {
        **{k: v for k, v in BertConfig.defaults.items() if k != "classifier_dropout"},
        "hidden_size": 1024,
        "intermediate_size": 4096,
        "num_attention_heads": 16,
        "num_hidden_layers": 24,
        "vocab_size": 29056,
    }


class BigBirdConfig(BertConfig):
    """BigBird (google/bigbird-roberta-*): BERT's keys with configuration_big_bird's defaults (gelu_new,
    4,096 positions, a 50,358-token vocabulary) and its attention settings: attention_type
    ("block_sparse" or "original_full"), block_size and num_random_blocks, which set the length past
    which block-sparse attention takes over; rescale_embeddings, use_bias."""

    model_type = "big_bird"
    defaults = {
        **BertConfig.defaults,
        "attention_type": "block_sparse",
        "block_size": 64,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "hidden_act": "gelu_new",
        "max_position_embeddings": 4096,
        "num_random_blocks": 3,
        "rescale_embeddings": False,
        "sep_token_id": 66,
        "use_bias": True,
        "vocab_size": 50358,
    }

    def validate(self) -> None:
        super().validate()
        if self.attention_type not in ("block_sparse", "original_full"):
            raise ConfigError(f"attention_type={self.attention_type!r} must be 'block_sparse' or 'original_full' "
                              f"({self._name_or_path or 'config'}/config.json)")
        for key in ("block_size", "num_random_blocks"):
            if not _is_int(getattr(self, key)) or getattr(self, key) < 0:
                raise ConfigError(f"{key}={getattr(self, key)!r} must be a non-negative integer")
        if self.use_bias is not True:
            raise ConfigError("use_bias=False (BigBird's Q, K and V without biases) is not supported; "
                              "the released BigBird models have them")


class RemBertConfig(BertConfig):
    """RemBERT (google/rembert): BERT's keys with configuration_rembert's defaults: narrow input embeddings
    (`input_embedding_size`) mapped up to `hidden_size`, an untied LM head through `output_embedding_size`,
    no dropout, a 250,300-token vocabulary."""

    model_type = "rembert"
    defaults = {
        **{k: v for k, v in BertConfig.defaults.items() if k != "classifier_dropout"},
        "attention_probs_dropout_prob": 0.0,
        "bos_token_id": 312,
        "classifier_dropout_prob": 0.1,
        "eos_token_id": 313,
        "hidden_dropout_prob": 0.0,
        "hidden_size": 1152,
        "input_embedding_size": 256,
        "intermediate_size": 4608,
        "num_attention_heads": 18,
        "num_hidden_layers": 32,
        "output_embedding_size": 1664,
        "tie_word_embeddings": False,
        "vocab_size": 250300,
    }


class ConvBertConfig(BertConfig):
    """ConvBERT (YituTech/conv-bert-*): BERT's keys with configuration_convbert's defaults and its own:
    `embedding_size` (projected to hidden_size when they differ), `head_ratio` (half the heads become
    span-based dynamic convolutions), `conv_kernel_size`, `num_groups` (grouped FFN products)."""

    model_type = "convbert"
    defaults = {
        **{k: v for k, v in BertConfig.defaults.items() if k != "use_cache"},
        "bos_token_id": 0,
        "conv_kernel_size": 9,
        "embedding_size": 768,
        "eos_token_id": 2,
        "head_ratio": 2,
        "num_groups": 1,
        "pad_token_id": 1,
    }

    def validate(self) -> None:
        super().validate()
        for key in ("head_ratio", "conv_kernel_size", "num_groups"):
            if not _is_int(getattr(self, key)) or getattr(self, key) < 1:
                raise ConfigError(f"{key}={getattr(self, key)!r} must be a positive integer")
        if self.conv_kernel_size % 2 == 0:
            raise ConfigError(f"conv_kernel_size={self.conv_kernel_size} is even: ConvBERT's convolutions keep the "
                              f"sequence length only with an odd kernel (the released models' is 9)")
        if self.hidden_size % self.num_groups or self.intermediate_size % self.num_groups:
            raise ConfigError(f"num_groups={self.num_groups} must divide hidden_size and intermediate_size")


class SqueezeBertConfig(BertConfig):
    """SqueezeBERT (squeezebert/squeezebert-uncased, -mnli, -mnli-headless): BERT's layout with grouped
    1x1 convolutions for Q, K, V and the FFN (configuration_squeezebert's defaults: 4 groups each, 1
    for the post-attention projection)."""

    model_type = "squeezebert"
    defaults = {
        **{k: v for k, v in BertConfig.defaults.items() if k not in _DECODER_KEYS},
        "embedding_size": 768,
        "intermediate_groups": 4,
        "k_groups": 4,
        "output_groups": 4,
        "post_attention_groups": 1,
        "q_groups": 4,
        "v_groups": 4,
    }

    def validate(self) -> None:
        super().validate()
        where = f"{self._name_or_path or 'config'}/config.json"
        if self.embedding_size != self.hidden_size:  # transformers asserts the same in SqueezeBertEncoder
            raise ConfigError(f"embedding_size={self.embedding_size!r} must equal hidden_size={self.hidden_size!r} in {where} "
                              f"(SqueezeBERT has no projection between them)")
        h, n = self.hidden_size, self.intermediate_size
        channels = {"q_groups": (h, h), "k_groups": (h, h), "v_groups": (h, h), "post_attention_groups": (h, h),
                    "intermediate_groups": (h, n), "output_groups": (n, h)}  # (in, out) of each convolution
        for key, (cin, cout) in channels.items():
            groups = getattr(self, key)
            if not (_is_int(groups) and groups >= 1 and _is_int(cin) and _is_int(cout) and cin % groups == 0 == cout % groups):
                raise ConfigError(f"{key}={groups!r} in {where} must divide the convolution's input and output "
                                  f"channels ({cin!r} and {cout!r})")


class DistilBertConfig(PretrainedConfig):
    """DistilBERT's config with transformers' defaults (distilbert-base-uncased's shape)."""

    model_type = "distilbert"
    attribute_map = {"hidden_size": "dim", "num_attention_heads": "n_heads", "num_hidden_layers": "n_layers"}
    defaults = {
        "activation": "gelu",
        "attention_dropout": 0.1,
        "bos_token_id": None,
        "dim": 768,
        "dropout": 0.1,
        "eos_token_id": None,
        "hidden_dim": 3072,
        "initializer_range": 0.02,
        "max_position_embeddings": 512,
        "n_heads": 12,
        "n_layers": 6,
        "pad_token_id": 0,
        "qa_dropout": 0.1,
        "seq_classif_dropout": 0.2,
        "sinusoidal_pos_embds": False,
        "tie_word_embeddings": True,
        "vocab_size": 30522,
    }

    def validate(self) -> None:
        self._require_divisible("dim", "n_heads")


class RobertaConfig(BertConfig):
    """RoBERTa's config with transformers' defaults: BERT's keys, pad 1 / bos 0 / eos 2, 50265 tokens.

    Positions start after `pad_token_id` (modeling_roberta), so a checkpoint with
    max_position_embeddings=514 and pad_token_id=1 takes 512 tokens.
    """

    model_type = "roberta"
    defaults = {**BertConfig.defaults, "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "vocab_size": 50265}


class IBertConfig(BertConfig):
    """I-BERT (kssteven/ibert-roberta-base / -large): configuration_ibert's keys and defaults (RoBERTa's
    special ids, BERT's 30,522-token vocabulary), `quant_mode` (false: the float path, which leanpipe
    runs; true, integer-only arithmetic, is refused) and `force_dequant` (read only in quant mode)."""

    model_type = "ibert"
    defaults = {**{k: v for k, v in BertConfig.defaults.items() if k not in ("classifier_dropout", "tie_word_embeddings", "use_cache",
                                                                             "add_cross_attention", "is_decoder")},
                "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "quant_mode": False, "force_dequant": "none"}

    def validate(self) -> None:
        super().validate()
        if self.quant_mode:
            raise ConfigError("quant_mode=True (I-BERT's integer-only arithmetic) is not supported; leanpipe runs its float "
                              "path: set \"quant_mode\": false in config.json (the released checkpoints' setting), which "
                              "transformers then runs as RoBERTa")


class XLMRobertaConfig(RobertaConfig):
    """XLM-RoBERTa: RoBERTa's architecture and defaults, except vocab_size 30522 (configuration_xlm_roberta)."""

    model_type = "xlm-roberta"
    defaults = {**RobertaConfig.defaults, "vocab_size": 30522}


class MobileBertConfig(BertConfig):
    """MobileBERT (google/mobilebert-uncased, ...): transformers' defaults (configuration_mobilebert).
    Narrow layers (`intra_bottleneck_size`) between bottleneck projections of the `hidden_size` stream,
    `num_feedforward_networks` stacked FFNs per layer, NoNorm (x * w + b) or LayerNorm, and word
    embeddings of `embedding_size` taken with their neighbours (`trigram_input`)."""

    model_type = "mobilebert"
    defaults = {
        "attention_probs_dropout_prob": 0.1,
        "classifier_activation": True,
        "classifier_dropout": None,
        "embedding_size": 128,
        "hidden_act": "relu",
        "hidden_dropout_prob": 0.0,
        "hidden_size": 512,
        "initializer_range": 0.02,
        "intermediate_size": 512,
        "intra_bottleneck_size": 128,
        "key_query_shared_bottleneck": True,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "normalization_type": "no_norm",
        "num_attention_heads": 4,
        "num_feedforward_networks": 4,
        "num_hidden_layers": 24,
        "pad_token_id": 0,
        "tie_word_embeddings": True,
        "trigram_input": True,
        "true_hidden_size": 128,
        "type_vocab_size": 2,
        "use_bottleneck": True,
        "use_bottleneck_attention": False,
        "vocab_size": 30522,
    }

    @property
    def inner_size(self) -> int:
        """The width attention and the FFNs run at (transformers' true_hidden_size, derived as there)."""
        return self.intra_bottleneck_size if self.use_bottleneck else self.hidden_size

    def validate(self) -> None:
        where = f"{self._name_or_path or 'config'}/config.json"
        if self.normalization_type not in ("no_norm", "layer_norm"):
            raise ConfigError(f"normalization_type={self.normalization_type!r} in {where} is not 'no_norm' or 'layer_norm'")
        if not _is_int(self.num_feedforward_networks) or self.num_feedforward_networks < 1:
            raise ConfigError(f"num_feedforward_networks={self.num_feedforward_networks!r} in {where} must be an integer >= 1")
        width, heads = self.inner_size, self.num_attention_heads
        if not _is_int(width) or width < 1 or width % heads:
            raise ConfigError(f"the attention width {width!r} (intra_bottleneck_size, or hidden_size without use_bottleneck) "
                              f"in {where} must be a positive multiple of num_attention_heads={heads}")


class LongformerConfig(RobertaConfig):
    """Longformer (allenai/longformer-base-4096, ...): RoBERTa's config with transformers'
    LongformerConfig defaults, plus `attention_window` (one even size, or one per layer): a token
    attends to the keys within half that distance, and to every token with global attention."""

    model_type = "longformer"
    # RoBERTa's keys without the decoder ones transformers' LongformerConfig lacks, and its own three
    defaults = {**{k: v for k, v in RobertaConfig.defaults.items() if k not in _DECODER_KEYS},
                "attention_window": 512, "onnx_export": False, "sep_token_id": 2, "vocab_size": 30522}

    def windows(self) -> list[int]:
        """The attention window of every layer."""
        w = self.attention_window
        return [w] * self.num_hidden_layers if isinstance(w, int) else list(w)

    def validate(self) -> None:
        super().validate()
        w, where = self.attention_window, f"{self._name_or_path or 'config'}/config.json"
        sizes = [w] if isinstance(w, int) and not isinstance(w, bool) else w if isinstance(w, list) else None
        if not sizes or not all(_is_int(x) and x > 0 and x % 2 == 0 for x in sizes) or (
                isinstance(w, list) and len(w) != self.num_hidden_layers):
            raise ConfigError(f"attention_window={w!r} in {where} must be a positive even number of tokens, or a "
                              f"list of {self.num_hidden_layers} of them (one per layer), e.g. 512")
        if not _is_int(self.sep_token_id):
            raise ConfigError(f"sep_token_id={self.sep_token_id!r} in {where} must be the </s> id (2 in RoBERTa's vocabulary)")


class Data2VecTextConfig(RobertaConfig):
    """data2vec-text: RoBERTa's architecture and defaults, except vocab_size 30522 (configuration_data2vec_text)."""

    model_type = "data2vec-text"
    defaults = {**RobertaConfig.defaults, "vocab_size": 30522}


class RobertaPreLayerNormConfig(RobertaConfig):
    """RoBERTa-PreLayerNorm (andreasmadsen/efficient_mlm_*): RoBERTa's keys and defaults, pre-LN layers."""

    model_type = "roberta-prelayernorm"


class XLMRobertaXLConfig(RobertaConfig):
    """XLM-RoBERTa-XL / XXL (facebook/xlm-roberta-xl): pre-LN layers, no embedding norm; transformers'
    defaults are the XL shape (configuration_xlm_roberta_xl)."""

    model_type = "xlm-roberta-xl"
    defaults = {**RobertaConfig.defaults, "vocab_size": 250880, "hidden_size": 2560, "num_hidden_layers": 36,
                "num_attention_heads": 32, "intermediate_size": 10240, "max_position_embeddings": 514,
                "type_vocab_size": 1, "layer_norm_eps": 1e-05}


class CamembertConfig(XLMRobertaConfig):
    """CamemBERT: RoBERTa's architecture with XLM-RoBERTa's defaults (configuration_camembert), French
    vocabulary; transformers 5.2's has no tie_word_embeddings (so its masked-LM head ties nothing)."""

    model_type = "camembert"
    defaults = {k: v for k, v in XLMRobertaConfig.defaults.items() if k != "tie_word_embeddings"}


class ElectraConfig(BertConfig):
    """ELECTRA's config with transformers' defaults (electra-small's discriminator shape).

    Embeddings are `embedding_size` wide and projected to `hidden_size` when the two differ.
    """

    model_type = "electra"
    defaults = {
        **BertConfig.defaults,
        "embedding_size": 128,
        "hidden_size": 256,
        "intermediate_size": 1024,
        "num_attention_heads": 4,
        "summary_activation": "gelu",
        "summary_last_dropout": 0.1,
        "summary_type": "first",
        "summary_use_proj": True,
    }


class AlbertConfig(PretrainedConfig):
    """ALBERT's config with transformers' defaults (albert-xxlarge's shape): factorised embeddings
    (`embedding_size`), `num_hidden_groups` groups of `inner_group_num` layers shared across depth."""

    model_type = "albert"
    defaults = {
        "attention_probs_dropout_prob": 0,
        "bos_token_id": 2,
        "classifier_dropout_prob": 0.1,
        "embedding_size": 128,
        "eos_token_id": 3,
        "hidden_act": "gelu_new",
        "hidden_dropout_prob": 0,
        "hidden_size": 4096,
        "initializer_range": 0.02,
        "inner_group_num": 1,
        "intermediate_size": 16384,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "num_attention_heads": 64,
        "num_hidden_groups": 1,
        "num_hidden_layers": 12,
        "pad_token_id": 0,
        "tie_word_embeddings": True,
        "type_vocab_size": 2,
        "vocab_size": 30000,
    }

    def validate(self) -> None:
        self._require_divisible("hidden_size", "num_attention_heads")
        groups, layers = self.num_hidden_groups, self.num_hidden_layers
        if not isinstance(groups, int) or not 1 <= groups <= layers:
            raise ConfigError(
                f"num_hidden_groups={groups!r} must be between 1 and num_hidden_layers={layers!r} "
                f"({self._name_or_path or 'config'}/config.json)"
            )


class MPNetConfig(PretrainedConfig):
    """MPNet's config with transformers' defaults (mpnet-base's shape): BERT's keys without token types,
    pad 1 / bos 0 / eos 2, and `relative_attention_num_buckets` rows of relative position bias."""

    model_type = "mpnet"
    defaults = {
        "attention_probs_dropout_prob": 0.1,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 768,
        "initializer_range": 0.02,
        "intermediate_size": 3072,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "num_attention_heads": 12,
        "num_hidden_layers": 12,
        "pad_token_id": 1,
        "relative_attention_num_buckets": 32,
        "tie_word_embeddings": True,
        "vocab_size": 30527,
    }

    def validate(self) -> None:
        self._require_divisible("hidden_size", "num_attention_heads")
        buckets = self.relative_attention_num_buckets
        if not isinstance(buckets, int) or buckets < 32:
            # MPNetEncoder.compute_position_bias always computes 32 buckets, whatever the config says
            raise ConfigError(
                f"relative_attention_num_buckets={buckets!r} must be at least 32: MPNet looks up 32 relative "
                f"position buckets ({self._name_or_path or 'config'}/config.json)"
            )
