"""A loaded model: config + memory-mapped weights + an engine running one head's definition.

`BertForSequenceClassification.from_pretrained(path)(**tokenizer(texts, return_tensors="np")).logits`
behaves as in transformers, without torch. Inputs may be lists, NumPy arrays or torch tensors;
outputs are NumPy arrays, or torch tensors when the inputs were.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import numpy as np

from .. import hub
from ..config import PretrainedConfig
from ..engine import build_engine
from ..placement import check_to, cpu_device, take_loader_options
from ..errors import CheckpointError, ConfigError, InputError
from ..weights import Weights, load_weights_from
from ..weights.store import canonical_name
from ..weights.safetensors import save_safetensors
from . import inputs
from .outputs import (
    BaseModelOutput,
    MaskedLMOutput,
    ModelOutput,
    MultipleChoiceModelOutput,
    NextSentencePredictorOutput,
    PreTrainingOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)

PROBE = "embeddings.word_embeddings.weight"  # bare or prefixed; a family module may name its own PROBE
WORD_EMBEDDINGS = ("embeddings.word_embeddings.weight",)  # get_input_embeddings(); a family may name its own


@dataclass(frozen=True)
class Head:
    """What a task model computes: the definition's function name and its output class."""

    function: str
    output: type[ModelOutput]


HEADS = {
    "base": Head("base", BaseModelOutput),
    "sequence-classification": Head("sequence_classification", SequenceClassifierOutput),
    "token-classification": Head("token_classification", TokenClassifierOutput),
    "question-answering": Head("question_answering", QuestionAnsweringModelOutput),
    "masked-lm": Head("masked_lm", MaskedLMOutput),
    "multiple-choice": Head("multiple_choice", MultipleChoiceModelOutput),
    "next-sentence-prediction": Head("next_sentence_prediction", NextSentencePredictorOutput),
    "pre-training": Head("pre_training", PreTrainingOutput),
}


# the last module name of transformers' nn.Embedding weights, in every family leanpipe runs
EMBEDDING_TABLES = frozenset({"word_embeddings", "position_embeddings", "token_type_embeddings", "task_type_embeddings", "tok_embeddings",
                              "relative_attention_bias", "rel_embeddings", "shared", "embed_tokens", "embed_positions",
                              "x_position_embeddings", "y_position_embeddings", "h_position_embeddings", "w_position_embeddings"})


class PreTrainedModel:
    """A model of one architecture (`family`, a module of leanpipe.models) with one head."""

    family: ClassVar[ModuleType]
    config_class: ClassVar[type[PretrainedConfig]]
    head: ClassVar[str] = "base"
    revision: str | None = None
    hub_options: dict[str, Any] = {}  # cache_dir, token, ... it was loaded with (never mutated)
    left_out: tuple[str, ...] = ()  # checkpoint parts from_pretrained was told to leave out ("pooler.")

    def __init__(
        self, config: PretrainedConfig, weights: Weights, *, engine: str = "onnx", num_threads: int | None = None, quantize: str | None = None
    ) -> None:
        self.config, self.engine_kind = config, engine
        self._engine_options = {"kind": engine, "num_threads": num_threads, "quantize": quantize}
        self._engine_lock = threading.Lock()
        self.engine = self._build_engine(weights, records=_records(config.output_hidden_states, config.output_attentions))
        if engine == "numpy":  # it reads the weights as it runs: run one token now, so load-time checks see them
            self.engine.run(self._feeds([[0]], **{k: [[0]] for k in PROBE_INPUTS if k in self.family.INPUT_NAMES}))
        weights.check_unused()
        self._parameter_sizes = weights.parameter_sizes()

    def _build_engine(self, weights: Weights, *, records: frozenset[str]):
        definition, config = getattr(self.family, HEADS[self.head].function), self.config  # not self: no cycle via the engine
        return build_engine(lambda ops: definition(ops, weights, config), self.family.INPUT_NAMES,
                            records=records, **self._engine_options)

    def _with_records(self, needed: frozenset[str]) -> None:
        """The first call asking for hidden_states or attentions rebuilds the engine with them as outputs
        (once, from the checkpoint again; the old engine goes): later calls, with or without them, share
        that engine. Recording attentions runs attention unfused (the fused kernels keep no probabilities)."""
        with self._engine_lock:
            if needed <= self.engine.records:
                return
            if not self.config.name_or_path:
                flags = " and ".join(f"output_{name}=True" for name in sorted(needed))
                raise InputError(f"{flags} needs a model loaded with from_pretrained (it re-reads the checkpoint); "
                                 f"or pass {flags} to from_pretrained")
            with hub.hub_options(self.hub_options):
                weights = self._load_weights(self.name_or_path, self.revision, self.left_out)
            self.engine = self._build_engine(weights, records=self.engine.records | needed)

    @classmethod
    def _load_weights(cls, name_or_path: str | os.PathLike, revision: str | None, left_out: tuple[str, ...] = ()) -> Weights:
        tensors, source = load_weights_from(name_or_path, revision=revision)
        try:
            weights = Weights(tensors, prefix=cls._prefix(), probe=getattr(cls.family, "PROBE", PROBE), source=source)
        except CheckpointError as exc:  # a family's sibling class under another prefix (DPR's context encoder)
            own = getattr(cls.family, "BASE_MODEL_PREFIX", None)
            sibling = next((name for prefix, name in getattr(cls.family, "SIBLINGS", {}).items()
                            if prefix != own and any(key.startswith(f"{prefix}.") for key in tensors)), None)
            if sibling is None:
                raise
            raise CheckpointError(f"{exc} It holds a {sibling}'s weights: load it with leanpipe.{sibling}.from_pretrained(...)") from None
        for prefix in left_out:
            weights.drop(prefix)
        weights.forget(getattr(cls.family, "UNREAD_BUFFERS", ()))
        return weights

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | os.PathLike,
        *,
        revision: str | None = None,
        config: PretrainedConfig | None = None,
        engine: str = "onnx",
        num_threads: int | None = None,
        quantize: str | None = None,
        **config_overrides: Any,
    ) -> "PreTrainedModel":
        """Load config.json and the safetensors weights from a folder or a hub repo id.

        engine: "onnx" (default) or "numpy"; num_threads: compute threads; quantize: None or "int8".
        cache_dir, token, local_files_only, force_download: as in transformers, for a hub repo id.
        """
        options = hub.take_hub_options(config_overrides)
        take_loader_options(config_overrides)  # device_map, low_cpu_mem_usage, ...: not config keys
        left_out = cls._left_out(config_overrides.pop("add_pooling_layer", True))
        with hub.hub_options(options):
            config = config or cls.config_class.from_pretrained(name_or_path, revision=revision, **config_overrides)
            if config.model_type != cls.config_class.model_type:
                raise ConfigError(f"{name_or_path} is a {config.model_type!r} model; load it with the Auto classes")
            model = cls(config, cls._load_weights(name_or_path, revision, left_out), engine=engine, num_threads=num_threads,
                        quantize=quantize)
        if config.dtype is None:  # as transformers records the dtype it loaded in (saved into config.json too)
            config.dtype = "float32"
        model.revision = revision  # tasks read the checkpoint's other files (modules.json ...) at the same revision
        model.hub_options = options  # ... and from the same cache, with the same token
        model.left_out = left_out
        return model

    @classmethod
    def _left_out(cls, add_pooling_layer: object) -> tuple[str, ...]:
        """transformers' base models take `add_pooling_layer=False` (no pooler, no `pooler_output`)."""
        if not isinstance(add_pooling_layer, bool):
            raise InputError(f"add_pooling_layer must be True or False, got {add_pooling_layer!r}")
        if add_pooling_layer:
            return ()
        if cls.head != "base":
            raise InputError(f"add_pooling_layer is an argument of the base models (AutoModel); {cls.__name__} "
                             f"builds its head on what the checkpoint holds: leave it unset")
        return ("pooler.",)

    @property
    def name_or_path(self) -> str:
        return self.config.name_or_path

    def save_pretrained(self, save_directory: str | os.PathLike, **_options: Any) -> None:
        """Write config.json and model.safetensors (the checkpoint's tensors as loaded: names kept,
        bfloat16 as float32, a .bin or sharded checkpoint as one file), for transformers or leanpipe to
        load. A quantize="int8" model saves its fp32 checkpoint (int8 is a load option).
        transformers' other options (push_to_hub, max_shard_size, ...) are ignored."""
        folder = Path(save_directory)
        if folder.is_file():
            raise InputError(f"{folder} is a file; save_pretrained takes a folder to write config.json into")
        if not self.name_or_path:
            raise InputError("save_pretrained re-reads the checkpoint this model was loaded from; load it with from_pretrained")
        with hub.hub_options(self.hub_options):
            tensors, _ = load_weights_from(self.name_or_path, revision=self.revision)
        left_out = tuple(f"{base}{prefix}" for prefix in self.left_out for base in ("", f"{self._prefix()}."))
        tensors = {name: array for name, array in tensors.items() if not canonical_name(name).startswith(left_out)}
        folder.mkdir(parents=True, exist_ok=True)
        self.config.save_pretrained(folder)
        # via a new file: saving into the folder it was loaded from must not overwrite the mapped original in place
        partial = folder / "model.safetensors.partial"
        save_safetensors(tensors, partial)
        os.replace(partial, folder / "model.safetensors")

    def __call__(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        token_type_ids: Any = None,
        *,
        return_dict: bool | None = None,
        output_hidden_states: bool | None = None,
        output_attentions: bool | None = None,
        **unsupported: Any,
    ) -> ModelOutput | tuple:
        """As transformers: None for a flag means the config's value (`return_dict` True, the others False).
        `output_hidden_states`: `hidden_states`, the embeddings' output then every layer's, each (B, T, H).
        `output_attentions`: `attentions`, every layer's attention probabilities (B, N, T, T), as
        transformers computes them with attn_implementation="eager" (its default "sdpa" returns none).
        An encoder-decoder (BART) names them as transformers does: encoder_hidden_states, decoder_hidden_states,
        encoder_attentions, decoder_attentions, cross_attentions (the family's split_records)."""
        c = self.config
        extra = {k: unsupported.pop(k) for k in EXTRA_INPUTS if k in unsupported and k in self.family.INPUT_NAMES}
        _refuse(unsupported)
        given = (input_ids, attention_mask, token_type_ids)
        choices = None
        if self.head == "multiple-choice":  # (B, C, T) -> (B * C, T) rows, as transformers' view(-1, T)
            choices, flat = inputs.flatten_choices(*given, *extra.values())
            (input_ids, attention_mask, token_type_ids), extra = flat[:3], dict(zip(extra, flat[3:]))
        hidden = c.output_hidden_states if output_hidden_states is None else output_hidden_states
        attentions = c.output_attentions if output_attentions is None else output_attentions
        feeds = self.check_inputs(input_ids, attention_mask, token_type_ids, **extra)
        wanted = _records(hidden, attentions)
        if wanted:
            self._with_records(wanted)
            outputs = self.engine.run(feeds, extras=True)
            for name in ("hidden_states", "attentions"):
                recorded = sorted((k for k in outputs if k.startswith(f"{name}.")), key=lambda k: int(k.rsplit(".", 1)[1]))
                values = tuple(outputs.pop(k) for k in recorded)
                if name in wanted:
                    outputs[name] = values
            for key in [k for k in outputs if k.startswith("extras.")]:  # what only recorded calls return
                outputs[key.removeprefix("extras.")] = outputs.pop(key)
            if hasattr(self.family, "split_records"):  # an encoder-decoder names its encoder's, decoder's, cross parts
                outputs = self.family.split_records(outputs, c)
        else:
            outputs = self.run_feeds(feeds)
        if choices is not None:
            outputs["logits"] = outputs["logits"].reshape(-1, choices)  # (B * C, 1) -> (B, C)
        if any(inputs.is_torch(x) for x in given):
            import torch

            outputs = {k: tuple(map(torch.from_numpy, v)) if isinstance(v, tuple) else torch.from_numpy(v) for k, v in outputs.items()}
        result = getattr(self.family, "OUTPUTS", {}).get(self.head, HEADS[self.head].output)(outputs)
        return result if (c.return_dict if return_dict is None else return_dict) else result.to_tuple()

    def check_inputs(self, input_ids: Any, attention_mask: Any = None, token_type_ids: Any = None,
                     global_attention_mask: Any = None, bbox: Any = None) -> dict[str, np.ndarray]:
        """Any supported input kind -> int64 feeds, refused with the fix when they cannot fit this model
        (a family's own rules too: BART's classifier needs a </s> in every text).
        `global_attention_mask` (Longformer's) defaults to what transformers sets for the head; `bbox`
        (LayoutLM's token boxes, (B, T, 4)) to zeros."""
        feeds = self._feeds(input_ids, attention_mask, token_type_ids, global_attention_mask, bbox)
        if hasattr(self.family, "check_feeds"):
            self.family.check_feeds(self.head, feeds, self.config)
        return feeds

    def _feeds(self, input_ids: Any, attention_mask: Any = None, token_type_ids: Any = None,
               global_attention_mask: Any = None, bbox: Any = None) -> dict[str, np.ndarray]:
        """check_inputs without the family's own rules: what the engine can run (the load-time probe)."""
        c = self.config
        feeds = inputs.prepare(
            input_ids,
            attention_mask,
            token_type_ids,
            vocab_size=c.vocab_size,
            max_positions=self.family.max_positions(c) if hasattr(self.family, "max_positions") else c.max_position_embeddings,
            type_vocab_size=getattr(c, "type_vocab_size", None) or None,  # 0: the model has no token types (DeBERTa-v3)
        )
        if "global_attention_mask" in self.family.INPUT_NAMES:
            feeds["global_attention_mask"] = (
                self.family.default_global_attention_mask(self.head, feeds["input_ids"], c) if global_attention_mask is None
                else inputs.same_shape(global_attention_mask, "global_attention_mask", feeds["input_ids"]))
        if "bbox" in self.family.INPUT_NAMES:
            feeds["bbox"] = inputs.boxes(bbox, feeds["input_ids"])
        if hasattr(self.family, "derived_feeds"):  # inputs a head computes from the ids (BigBird QA's question mask)
            feeds.update(self.family.derived_feeds(self.head, feeds, c, token_types_given=token_type_ids is not None))
        return feeds

    def forward(self, *args: Any, **kwargs: Any) -> ModelOutput | tuple:
        """`model.forward(**inputs)` is `model(**inputs)`, as in torch."""
        return self(*args, **kwargs)

    def run_feeds(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Checked int64 feeds (check_inputs) -> float32 outputs by name (the head's own, no hidden_states);
        the pipelines call this directly."""
        return self.engine.run(feeds)

    def run_many(self, feeds: list[dict[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
        """run_feeds of each batch, in order; the ONNX engine runs enough of them side by side, one
        core each (leanpipe.engine.lanes)."""
        return self.engine.run_many(feeds)

    # transformers habits that mean nothing at inference: keep user code running.
    training = False  # always in eval mode
    main_input_name = "input_ids"

    def eval(self) -> "PreTrainedModel":
        return self

    def to(self, *args: Any, **kwargs: Any) -> "PreTrainedModel":
        """The model itself on the CPU (a dtype is taken and kept in float32); another device is refused."""
        check_to(args, kwargs)
        return self

    def cpu(self) -> "PreTrainedModel":
        return self

    def float(self) -> "PreTrainedModel":
        return self

    def half(self) -> "PreTrainedModel":
        """Kept in float32, as from_pretrained(dtype=torch.float16) is: leanpipe computes in float32."""
        return self

    bfloat16 = half

    @property
    def device(self) -> Any:
        """The CPU, for `inputs.to(model.device)`: torch.device("cpu") when the caller uses torch, else "cpu"."""
        return cpu_device()

    @property
    def dtype(self) -> Any:
        """float32 (leanpipe computes in it; quantize="int8" too keeps float32 inputs and outputs):
        torch.float32 when the caller uses torch, else numpy's."""
        torch = sys.modules.get("torch")
        return torch.float32 if torch is not None else np.dtype(np.float32)

    def num_parameters(self, only_trainable: bool = False, exclude_embeddings: bool = False) -> int:
        """The parameter count transformers' model reports: every checkpoint tensor the model reads, a tied
        table once; `exclude_embeddings` leaves out the lookup tables (its nn.Embedding weights: words,
        positions, token types, relative-position tables). `only_trainable` counts the same: a loaded
        transformers model trains all of its parameters."""
        tables = getattr(self.family, "EMBEDDING_TABLES", EMBEDDING_TABLES)
        return sum(size for name, size in self._parameter_sizes.items()
                   if not (exclude_embeddings and name.rsplit(".", 2)[-2] in tables))

    @classmethod
    def can_generate(cls) -> bool:
        """False: leanpipe's models are encoders and encoder heads; none generates text."""
        return False

    @property
    def base_model_prefix(self) -> str:
        """The base model's name inside a task checkpoint ("bert", "roberta", "model", ...), as transformers'."""
        return getattr(self.family, "BASE_MODEL_PREFIX", self._prefix())

    @classmethod
    def _prefix(cls) -> str:
        """Where this head's checkpoints keep the base model's tensors: the family's PREFIX, or its
        HEAD_PREFIXES entry for the head (Qwen3ForQuestionAnswering keeps `transformer.`, the others `model.`)."""
        return getattr(cls.family, "HEAD_PREFIXES", {}).get(cls.head, cls.family.PREFIX)

    def get_input_embeddings(self) -> "Embedding":
        """The word-embedding table, read-only from the memory-mapped checkpoint: `.weight` (vocab, width)
        as a NumPy array, and `embeddings(ids)` looks rows up, as torch's nn.Embedding does."""
        if not self.name_or_path:
            raise InputError("get_input_embeddings re-reads the checkpoint; load the model with from_pretrained")
        with hub.hub_options(self.hub_options):
            weights = self._load_weights(self.name_or_path, self.revision, self.left_out)
        names = getattr(self.family, "WORD_EMBEDDINGS", WORD_EMBEDDINGS)
        held = next((name for name in names if weights.has(name)), names[0])  # none held: get() names what is missing
        # BART with scale_embedding: transformers' table is a BartScaledWordEmbedding (rows x sqrt(d_model))
        scale = float(np.sqrt(self.config.d_model)) if getattr(self.config, "scale_embedding", False) else 1.0
        if hasattr(self.family, "embed_scale"):  # Gemma 3's scaled word embedding
            scale = self.family.embed_scale(self.config)
        padding_idx = getattr(self.config, "pad_token_id", None) if getattr(self.family, "EMBEDDING_PADDING_IDX", True) else None
        return Embedding(weights.get(held), padding_idx, scale)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(engine={self.engine_kind!r}, config={self.config.name_or_path or 'default'!r})"


@dataclass(frozen=True)
class Embedding:
    """What get_input_embeddings() returns: the table, its sizes, and the lookup."""

    weight: np.ndarray
    padding_idx: int | None = None
    scale: float = 1.0  # the lookup's factor (transformers' embed_scale)

    @property
    def num_embeddings(self) -> int:
        return int(self.weight.shape[0])

    @property
    def embedding_dim(self) -> int:
        return int(self.weight.shape[1])

    def __call__(self, input_ids: Any) -> Any:
        """The rows of `input_ids` (any shape, ints): (..., embedding_dim); torch in, torch out."""
        torch_in = inputs.is_torch(input_ids)
        ids = np.asarray(input_ids.detach().cpu().numpy() if torch_in else input_ids)
        if not np.issubdtype(ids.dtype, np.integer) or (ids.size and (ids.min() < 0 or ids.max() >= self.num_embeddings)):
            raise InputError(f"input_ids must be integers in 0..{self.num_embeddings - 1} (the embedding table's rows)")
        rows = self.weight[ids] if self.scale == 1.0 else self.weight[ids] * np.float32(self.scale)  # a copy
        return sys.modules["torch"].from_numpy(rows) if torch_in else rows


LOSS_INPUTS = ("labels", "start_positions", "end_positions")
EXTRA_INPUTS = ("global_attention_mask", "bbox")  # inputs only some families take (in their INPUT_NAMES)
PROBE_INPUTS = ("global_attention_mask",)  # given to the load-time probe as [[0]] (bbox: its default, zeros)


def _records(hidden_states: Any, attentions: Any) -> frozenset[str]:
    """The engine outputs two flags ask for: _records(True, False) -> {"hidden_states"}."""
    return frozenset(name for name, on in (("hidden_states", hidden_states), ("attentions", attentions)) if on)


def _refuse(unsupported: dict[str, Any]) -> None:
    """transformers' forward arguments leanpipe does not take, refused with what to do instead."""
    for name, value in unsupported.items():
        if value is None:  # transformers' default: as if not given
            continue
        if name in LOSS_INPUTS:
            raise InputError(f"{name}=: leanpipe runs inference and computes no loss; drop {name} and compute "
                             f"the loss from the logits")
        raise InputError(f"{name}= is not supported: leanpipe's models take input_ids, attention_mask and "
                         f"token_type_ids (positions and embeddings come from the ids), and the flags "
                         f"return_dict, output_hidden_states and output_attentions")
