"""Install size: site-packages of a fresh virtualenv with leanpipe vs with transformers + torch.

Each side gets its own temporary `python -m venv`; the size is `du` of site-packages minus that of
an empty venv (pip itself). The result carries both environments' `pip freeze` and a key hashed
from them, so a rerun with --skip-install can reuse it and the table can say what was measured.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import ROOT

TRANSFORMERS_SIDE = ["transformers==5.2.0", "torch==2.13.0"]
SOURCE_FILES = ("pyproject.toml", "README.md", "leanpipe")


def du_bytes(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


def largest(site: Path, n: int = 6) -> dict[str, float]:
    """The n biggest top-level entries of site-packages, in MB: where the install size goes."""
    sizes = {p.name: du_bytes(p) / 2**20 for p in site.iterdir() if not p.name.endswith((".dist-info", ".pth"))}
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1])[:n])


def site_packages(venv: Path) -> Path:
    found = list((venv / "lib").glob("python*/site-packages"))
    assert len(found) == 1, found
    return found[0]


def fresh_venv(where: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, capture_output=True)
    return where


def copy_source(dest: Path) -> Path:
    """leanpipe's tracked sources only, so the build leaves nothing in the work tree."""
    dest.mkdir()
    for name in SOURCE_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, dest / name)
    return dest


def install(venv: Path, requirements: list[str]) -> dict:
    pip = str(venv / "bin" / "pip")
    proc = subprocess.run([pip, "install", "-q", *requirements], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"pip install {requirements} failed:\n{proc.stderr[-3000:]}")
    freeze = subprocess.run([pip, "freeze"], capture_output=True, text=True, check=True).stdout.split("\n")
    freeze = sorted("leanpipe @ source" if line.startswith("leanpipe") else line for line in freeze if line)
    site = site_packages(venv)
    return {"bytes": du_bytes(site), "freeze": freeze, "largest": largest(site)}


def measure_install_sizes() -> dict:
    """{'leanpipe': {'mb', 'freeze'}, 'transformers': {...}, 'empty_venv_mb', 'key'}; takes a minute or two."""
    with tempfile.TemporaryDirectory(prefix="leanpipe-bench-") as tmp:
        tmp_path = Path(tmp)
        empty = du_bytes(site_packages(fresh_venv(tmp_path / "empty")))
        source = copy_source(tmp_path / "src")
        sides = {
            "leanpipe": install(fresh_venv(tmp_path / "lp"), [str(source)]),
            "transformers": install(fresh_venv(tmp_path / "tf"), TRANSFORMERS_SIDE),
        }
    result: dict = {"empty_venv_mb": empty / 2**20}
    for name, side in sides.items():
        result[name] = {"mb": (side["bytes"] - empty) / 2**20, "freeze": side["freeze"], "largest": side["largest"]}
    digest = hashlib.sha256("\n".join(sides["leanpipe"]["freeze"] + ["--"] + sides["transformers"]["freeze"]).encode())
    result["key"] = digest.hexdigest()[:16]
    return result
