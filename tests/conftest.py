"""Shared fixtures: tiny random checkpoints (built once per session) and the packaged MiniLM."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here may reach the Hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import pytest

from checkpoints import SPECS, build, minilm_dir


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory) -> dict:
    """name -> folder, for every tiny checkpoint in tests/checkpoints.py SPECS."""
    root = tmp_path_factory.mktemp("checkpoints")
    return {name: build(name, root / name) for name in SPECS}


@pytest.fixture(scope="session")
def minilm():
    return minilm_dir()


def assert_close(ours, theirs, atol: float, what: str) -> None:
    """Max-abs comparison that prints the difference it found."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != transformers' {theirs.shape}"
    diff = float(np.abs(ours - theirs).max()) if ours.size else 0.0
    assert diff <= atol, f"{what}: max abs difference {diff:.3g} exceeds {atol:g}"


# --- the support matrix: what passing tests prove, written where scripts/support_matrix.py reads it
SUPPORTED: set[tuple[str, str, str]] = set()


@pytest.fixture
def support(request):
    """`support(family, "head", "masked-lm")` / `support(family, "tokenizer", "vocab.txt")`: recorded
    into the support matrix only if the test passes."""
    entries: list[tuple[str, str, str]] = []
    yield lambda family, kind, what: entries.append((family, kind, what))
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.passed:
        SUPPORTED.update(entries)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


def pytest_sessionfinish(session):
    target = os.environ.get("LEANPIPE_SUPPORT_FILE")
    if target:
        import json

        with open(target, "w") as f:
            json.dump(sorted(SUPPORTED), f, indent=0)


@pytest.fixture(scope="module")
def torch_one_thread():
    """The tiny reference models run ~50x faster on one torch thread when other jobs share the cores
    (a module opts in: pytestmark = pytest.mark.usefixtures("torch_one_thread"))."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
