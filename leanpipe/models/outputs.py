"""Model outputs with transformers' access patterns: `out.logits`, `out["logits"]`, `out[0]`.

As in transformers, a field the model did not return (`out.hidden_states` without
output_hidden_states=True, `out.loss` without labels) reads as None by attribute and is absent
as a key and from `to_tuple()`."""

from __future__ import annotations

from typing import Any


class ModelOutput(dict):
    """A dict of the outputs that are present, in order, also readable as attributes and by position."""

    fields: tuple[str, ...] = ("hidden_states", "attentions")  # transformers' fields of this output class

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            if name in type(self).fields:
                return None
            raise AttributeError(f"this output has no {name!r}; it has {list(self)}") from None

    def __getitem__(self, key: str | int | slice) -> Any:
        if isinstance(key, (int, slice)):
            return self.to_tuple()[key]
        return super().__getitem__(key)

    def to_tuple(self) -> tuple:
        return tuple(self.values())


class BaseModelOutput(ModelOutput):
    """`last_hidden_state` (B, T, H); BERT also `pooler_output` (B, H)."""

    fields = ("last_hidden_state", "pooler_output", "hidden_states", "attentions")


class SequenceClassifierOutput(ModelOutput):
    """`logits` (B, num_labels)."""

    fields = ("loss", "logits", "hidden_states", "attentions")


class TokenClassifierOutput(ModelOutput):
    """`logits` (B, T, num_labels)."""

    fields = ("loss", "logits", "hidden_states", "attentions")


class QuestionAnsweringModelOutput(ModelOutput):
    """`start_logits` and `end_logits`, each (B, T)."""

    fields = ("loss", "start_logits", "end_logits", "hidden_states", "attentions")


class MaskedLMOutput(ModelOutput):
    """`logits` (B, T, vocab_size)."""

    fields = ("loss", "logits", "hidden_states", "attentions")


class NextSentencePredictorOutput(ModelOutput):
    """`logits` (B, 2): index 0 scores "the second text follows the first", 1 "it is a random one"."""

    fields = ("loss", "logits", "hidden_states", "attentions")


class PreTrainingOutput(ModelOutput):
    """The pre-training heads' outputs, in transformers' order: BERT's `prediction_logits` (B, T, V) and
    `seq_relationship_logits` (B, 2), ALBERT's `prediction_logits` and `sop_logits`, ELECTRA's
    discriminator `logits` (B, T)."""

    fields = ("loss", "prediction_logits", "seq_relationship_logits", "sop_logits", "logits", "hidden_states", "attentions")


class MultipleChoiceModelOutput(ModelOutput):
    """`logits` (B, num_choices); hidden_states / attentions per (text, choice) row, (B * num_choices, T, H)."""

    fields = ("loss", "logits", "hidden_states", "attentions")


class Seq2SeqOutput(ModelOutput):
    """An encoder-decoder's outputs (BART), kept in transformers' field order whatever order they come in:
    the head's, then the decoder's hidden states, self- and cross-attentions, then the encoder's last
    hidden state, hidden states and attentions. No `past_key_values` (leanpipe generates no text): the
    fields and `to_tuple()` are what transformers gives with use_cache=False."""

    _SEQ2SEQ = ("decoder_hidden_states", "decoder_attentions", "cross_attentions", "encoder_last_hidden_state",
                "encoder_hidden_states", "encoder_attentions")

    def __init__(self, outputs: dict[str, Any]) -> None:
        order = type(self).fields
        super().__init__(sorted(outputs.items(), key=lambda item: order.index(item[0])))


class Seq2SeqModelOutput(Seq2SeqOutput):
    """BartModel: `last_hidden_state` (the decoder's) and `encoder_last_hidden_state`, each (B, T, H)."""

    fields = ("last_hidden_state", "past_key_values", *Seq2SeqOutput._SEQ2SEQ)


class Seq2SeqSequenceClassifierOutput(Seq2SeqOutput):
    """`logits` (B, num_labels)."""

    fields = ("loss", "logits", "past_key_values", *Seq2SeqOutput._SEQ2SEQ)


class Seq2SeqQuestionAnsweringModelOutput(Seq2SeqOutput):
    """`start_logits` and `end_logits`, each (B, T)."""

    fields = ("loss", "start_logits", "end_logits", "past_key_values", *Seq2SeqOutput._SEQ2SEQ)


class Seq2SeqLMOutput(Seq2SeqOutput):
    """`logits` (B, T, vocab_size)."""

    fields = ("loss", "logits", "past_key_values", *Seq2SeqOutput._SEQ2SEQ)
