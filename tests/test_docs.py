"""The documentation: the API reference builds offline with no broken reference, and the tutorial
notebook is kept without outputs (nbmake executes it in the same pytest run: see pyproject.toml)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import kibs_spatial as ks

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"


def test_api_reference_builds_offline_without_broken_references(tmp_path):
    """``mkdocs build --strict``: a broken link, a missing page or an unresolved cross-reference fails."""
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    page = (tmp_path / "site" / "API" / "index.html").read_text(encoding="utf-8")
    for name in ks.__all__:
        if name != "__version__":
            assert f'id="kibs_spatial.api.{name}"' in page, name  # every public name is in the reference
    assert 'id="kibs_spatial.analysis.statistics.local_geary.local_geary"' in page
    assert (tmp_path / "site" / "tutorial.ipynb").exists()
    print(f"mkdocs build: {time.perf_counter() - started:.1f} s")


def test_tutorial_is_stored_without_outputs():
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code), \
        "strip the outputs before committing (jupyter nbconvert --clear-output --inplace docs/tutorial.ipynb)"
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


def test_the_test_run_executes_the_tutorial():
    """The README's test command (plain ``pytest``) collects docs/*.ipynb with nbmake."""
    import tomllib

    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "--nbmake" in options["addopts"].split() and "docs" in options["testpaths"]
