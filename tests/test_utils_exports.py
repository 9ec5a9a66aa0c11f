"""transformers' top-level helpers around a pipeline, under the same names: `logging` (verbosity of the
"leanpipe" logger), `set_seed`, `is_torch_available`, and the base classes users check with isinstance."""

from __future__ import annotations

import logging as stdlib_logging
import random

import numpy as np
import torch
import transformers

import leanpipe
from leanpipe import AutoModel, AutoTokenizer


def test_logging_verbosity_as_transformers(caplog):
    from leanpipe import logging

    assert logging is leanpipe.utils.logging
    ours_before, theirs_before = stdlib_logging.getLogger("leanpipe").level, transformers.logging.get_verbosity()
    try:
        for name in ("set_verbosity_error", "set_verbosity_info", "set_verbosity_debug", "set_verbosity_warning"):
            getattr(logging, name)()
            getattr(transformers.logging, name)()
            assert logging.get_verbosity() == transformers.logging.get_verbosity(), name
        logging.set_verbosity_error()  # leanpipe's modules log under "leanpipe": silenced together
        assert stdlib_logging.getLogger("leanpipe.pipeline").getEffectiveLevel() == logging.ERROR
        assert logging.get_logger("leanpipe.x").name == "leanpipe.x" and logging.get_logger().name == "leanpipe"
        logging.disable_progress_bar()
        assert not logging.is_progress_bar_enabled()
    finally:  # other tests (and transformers' own imports) may have set levels: put them back
        logging.set_verbosity(ours_before)
        logging.enable_progress_bar()
        transformers.logging.set_verbosity(theirs_before)


def test_set_seed_and_is_torch_available_as_transformers():
    leanpipe.set_seed(7)
    ours = (random.random(), np.random.rand(), torch.rand(1).item())
    transformers.set_seed(7)
    assert ours == (random.random(), np.random.rand(), torch.rand(1).item())
    assert leanpipe.is_torch_available() is transformers.is_torch_available() is True


def test_base_classes_for_isinstance(minilm):
    model, tokenizer = AutoModel.from_pretrained(minilm), AutoTokenizer.from_pretrained(minilm)
    assert isinstance(model, leanpipe.PreTrainedModel)
    assert isinstance(tokenizer, leanpipe.PreTrainedTokenizerBase) and isinstance(tokenizer, leanpipe.PreTrainedTokenizerFast)
