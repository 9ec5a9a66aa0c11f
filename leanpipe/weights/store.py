"""Look checkpoint tensors up by their names, as the model code spells them.

A base model's tensors are saved either bare (`embeddings.word_embeddings.weight`, what
`BertModel.save_pretrained` writes) or under the architecture prefix (`bert.embeddings...`,
what a task model writes). `Weights` decides once, at load time, which of the two this
checkpoint uses, so lookups never guess.
"""

from __future__ import annotations

import logging

import numpy as np

from ..errors import CheckpointError

logger = logging.getLogger(__name__)


# Old (TensorFlow-converted) checkpoints, and transformers 5 when it re-saves a loaded model,
# name LayerNorm parameters gamma/beta; transformers renames them on load (modeling_utils).
_SUFFIX_ALIASES = {".gamma": ".weight", ".beta": ".bias"}
# tensors transformers registers as buffers, not parameters: position ids and rotary inverse frequencies
# (recomputed, as transformers does), BART's final_logits_bias (read: it adds to the LM logits)
BUFFERS = ("position_ids", ".inv_freq", "final_logits_bias")


def canonical_name(name: str) -> str:
    """`encoder.layer.0.output.LayerNorm.gamma` -> `encoder.layer.0.output.LayerNorm.weight`."""
    for old, new in _SUFFIX_ALIASES.items():
        if name.endswith(old):
            return name[: -len(old)] + new
    return name


class Weights:
    """`w["encoder.layer.0.attention.self.query.weight"]` -> float32 array, checked against `shape`."""

    def __init__(self, tensors: dict[str, np.ndarray], *, prefix: str, probe: str, source: str) -> None:
        self.tensors, self.source = {canonical_name(k): v for k, v in tensors.items()}, source
        self.used: set[str] = set()  # names `get` has handed out: what the model definition reads
        self.counted_as: dict[str, str] = {}  # a tensor read under another parameter's name (tied tables)
        tensors = self.tensors
        if probe in tensors:
            self.base = ""
        elif f"{prefix}.{probe}" in tensors:
            self.base = f"{prefix}."
        else:
            prefixes = sorted({name.split(".", 1)[0] + "." for name in tensors})
            raise CheckpointError(
                f"{source}: neither {probe!r} nor {prefix + '.' + probe!r} found; "
                f"the checkpoint's top-level prefixes are {prefixes[:10]}. Is it the right architecture?"
            )

    def base_key(self, name: str) -> str:
        return self.base + name

    def has(self, name: str, *, head: bool = False) -> bool:
        return (name if head else self.base_key(name)) in self.tensors

    def get(self, name: str, shape: tuple[int, ...] | None = None, *, head: bool = False) -> np.ndarray:
        """A base-model tensor (`head=False`) or a task-head tensor named from the top level."""
        key = name if head else self.base_key(name)
        if key not in self.tensors:
            head_note = (f"; it has no {key.rsplit('.', 1)[0]!r} task head (a base model's checkpoint, or another task's): "
                         f"transformers would add one with random weights, to be trained, and leanpipe runs trained heads "
                         f"only; load it with AutoModel for its hidden states, or use a checkpoint fine-tuned for this task"
                         if head else "")
            raise CheckpointError(f"missing {key!r} in {self.source}; it has {len(self.tensors)} tensors, e.g. "
                                  f"{sorted(self.tensors)[:3]}{head_note}")
        array = self.tensors[key]
        if shape is not None and tuple(array.shape) != tuple(shape):
            raise CheckpointError(
                f"{key!r} in {self.source} has shape {tuple(array.shape)} but config.json implies {tuple(shape)} "
                f"(with from_pretrained's overrides, e.g. num_labels, if any: leanpipe runs the checkpoint's own "
                f"head and trains none, so leave them out)"
            )
        if not np.issubdtype(array.dtype, np.floating):
            raise CheckpointError(
                f"{key!r} in {self.source} has dtype {array.dtype}; model weights are floating point "
                f"(F32, F16 or BF16). The file is corrupt or belongs to another model"
            )
        if array.dtype != np.float32:  # convert once: ALBERT's shared layers reuse one array
            array = self.tensors[key] = array.astype(np.float32)
        self.used.add(key)
        return array

    def first(self, names: tuple[str, ...], shape: tuple[int, ...]) -> np.ndarray:
        """The first of `names` (base-model tensors) the checkpoint holds. Every one it holds is read, so
        a tied table stored under several names is not reported unused; none held: the error names the first."""
        held = [name for name in names if self.has(name)]
        arrays = [self.get(name, shape) for name in held]
        self.counted_as.update((self.base_key(name), self.base_key(held[0])) for name in held[1:])
        return arrays[0] if arrays else self.get(names[0], shape)

    def count_as(self, name: str, counted: str) -> None:
        """Count the base-model tensor `name` under the top-level parameter name `counted`: a table
        transformers ties into a head it registers first (XLM-R's `lm_head.decoder.weight`)."""
        self.counted_as[self.base_key(name)] = counted

    def parameter_sizes(self) -> dict[str, int]:
        """Element count of each tensor the model reads, a tied table once (under the name transformers'
        named_parameters() gives it): what transformers' model holds as parameters, for num_parameters()."""
        return {self.counted_as.get(name, name): int(self.tensors[name].size) for name in sorted(self.used)
                if not name.endswith(BUFFERS)}

    def forget(self, suffixes: tuple[str, ...]) -> None:
        """Forget the tensors whose names end with `suffixes`, as if the checkpoint had none: buffers only
        another mode of the model reads (I-BERT's integer weights and scaling factors)."""
        for name in [n for n in self.tensors if n.endswith(suffixes)]:
            del self.tensors[name]

    def drop(self, prefix: str) -> None:
        """Forget the base-model tensors under `prefix`, as if the checkpoint had none: the parts a
        from_pretrained argument leaves out (`add_pooling_layer=False`: `pooler.`)."""
        for name in [n for n in self.tensors if n.startswith(self.base_key(prefix))]:
            del self.tensors[name]

    def skip(self, prefix: str, *, head: bool = False) -> None:
        """Mark the tensors under `prefix` (base-model, or top-level with `head`) as read: parts transformers'
        model holds but no leanpipe head computes (ESM's contact-prediction head, SqueezeBERT's pooler under a
        token head), so loading logs nothing about them and num_parameters() counts them as transformers does."""
        start = prefix if head else self.base_key(prefix)
        self.used.update(name for name in self.tensors if name.startswith(start))

    def check_unused(self) -> None:
        """Call once the model definition has read its tensors. Unread numbered blocks
        (`encoder.layer.5.*` when config.json says 2 layers) mean the config describes a smaller
        model than the checkpoint: the answers would be silently wrong, so they are refused. Other
        unread tensors (another head's, e.g. `cls.seq_relationship.*`) are logged, as transformers warns."""
        unused = sorted(name for name in set(self.tensors) - self.used if not name.endswith(BUFFERS))
        numbered = [name for name in unused if any(part.isdigit() for part in name.split("."))]
        if numbered:
            raise CheckpointError(
                f"{self.source} holds {len(numbered)} tensors the model built from config.json does not read, "
                f"e.g. {numbered[:3]}: config.json describes fewer layers than the checkpoint has. "
                f"Fix num_hidden_layers (n_layers, num_hidden_groups) in config.json"
            )
        if unused:
            logger.warning("%d tensors of %s are not used by this model: %s", len(unused), self.source, unused[:10])
