"""leanpipe runs with torch and transformers made unimportable (they are test-only dependencies)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = r"""
import sys, json
for name in ("torch", "transformers", "sentence_transformers"):
    sys.modules[name] = None  # any `import torch` now raises ImportError
from leanpipe import pipeline, AutoTokenizer, AutoModel
folder = sys.argv[1]
out = pipeline("text-classification", model=folder, top_k=None)(["I love it", "I hate it"])
features = pipeline("feature-extraction", model=folder)("hello")
enc = AutoTokenizer.from_pretrained(folder)(["a b", "c"], padding=True, return_tensors="np")
hidden = AutoModel.from_pretrained(folder)(**enc).last_hidden_state
try:
    AutoTokenizer.from_pretrained(folder)("x", return_tensors="pt")
    pt_error = None
except Exception as exc:
    pt_error = str(exc)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "transformers") and sys.modules[m] is not None)
print(json.dumps({"labels": len(out[0]), "features": len(features[0][0]), "hidden": list(hidden.shape),
                  "pt_error": pt_error, "loaded": loaded}))
"""


def test_pipeline_runs_without_torch_or_transformers(checkpoints):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(checkpoints["bert-cls"])], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["labels"] == 3 and report["features"] == 32 and report["hidden"] == [2, 4, 32]
    assert report["loaded"] == []
    assert report["pt_error"] and "torch" in report["pt_error"]


def test_public_names_load_on_first_use():
    """`import leanpipe` imports none of its modules; dir() lists each public name once, helpers not."""
    code = ("import sys, json, leanpipe; before = sorted(m for m in sys.modules if m.startswith('leanpipe.')); "
            "leanpipe.pipeline; print(json.dumps({'before': before, 'dir': dir(leanpipe)}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["before"] == []
    names = report["dir"]
    assert len(names) == len(set(names)) and {"pipeline", "AutoModel", "__version__"} <= set(names)
    assert not {"importlib", "Any", "annotations"} & set(names)


def test_pipeline_stays_the_function_after_its_module_loads():
    """Importing the submodule leanpipe.pipeline before the name was used (SentenceTransformer, the
    server and the CLI import it) made Python set leanpipe.pipeline to that module: leanpipe.pipeline(...)
    then failed with "'module' object is not callable"."""
    code = ("import leanpipe, leanpipe.sentence_models, leanpipe.pipeline; from leanpipe.pipeline import Pipeline; "
            "print(type(leanpipe.pipeline).__name__, Pipeline.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["function", "Pipeline"]


def test_every_public_name_resolves():
    """Each name in leanpipe.__all__ loads (a name listed but missing from its module failed only on use)."""
    import leanpipe

    missing = []
    for name in leanpipe.__all__:
        try:
            getattr(leanpipe, name)
        except AttributeError:
            missing.append(name)
    assert not missing, f"listed in leanpipe.__all__ but not found in their modules: {missing}"


def test_every_model_class_is_exported():
    """`from leanpipe import XForY` works for every architecture and head leanpipe has, as in transformers."""
    import leanpipe
    from leanpipe.models import MODEL_CLASSES

    missing = sorted({cls.__name__ for cls in MODEL_CLASSES.values()} - set(leanpipe.__all__))
    assert not missing, f"model classes not exported from leanpipe: {missing}"
