"""The command line starts without the heavy libraries: a command imports what it uses, when it runs.

Not a timing test (bench/bench_e2e_vs_pygeoda.py measures time): it checks *which* modules a fresh
interpreter imports for ``import kibs_spatial.cli`` and for ``--help`` of each command.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("geopandas", "libpysal", "mapclassify", "numba", "folium", "matplotlib", "pandas", "scipy", "shapely",
         "pyogrio", "rasterio", "sklearn")


def imported(code: str, packages: bool = True) -> set[str]:
    """Top-level packages (or, with ``packages=False``, all modules) imported by ``code`` in a fresh interpreter
    (``-X importtime``)."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    names = set()
    for line in run.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            names.add(name.split(".")[0] if packages else name)
    return names


def test_importing_the_cli_imports_nothing_heavy():
    names = imported("import kibs_spatial.cli")
    assert "kibs_spatial" in names  # the probe sees the package itself
    assert names.isdisjoint(HEAVY), sorted(names & set(HEAVY))


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["hotspots", "--help"], ["grid", "--help"],
                                  ["weights", "--help"], ["run", "--help"]])
def test_help_imports_nothing_heavy(argv):
    names = imported(f"import sys; from kibs_spatial.cli import main; code = main({argv!r}); "
                     "sys.exit(0 if code == 0 else 3)")
    assert names.isdisjoint(HEAVY), sorted(names & set(HEAVY))


def test_the_probe_sees_heavy_imports():
    assert {"geopandas", "pandas", "shapely"} <= imported("import kibs_spatial.io.boundaries")


def test_the_run_and_hotspots_modules_import_neither_libpysal_nor_scipy_stats():
    """Half a second each; the analysis reads sparse graphs and computes its normal tails with scipy.special."""
    names = imported("import kibs_spatial.pipeline, kibs_spatial.hotspot_layer, kibs_spatial.outputs", packages=False)
    assert "kibs_spatial.pipeline" in names
    assert names.isdisjoint({"libpysal", "scipy.stats", "esda"}), sorted(names & {"libpysal", "scipy.stats", "esda"})


def test_hotspots_imports_none_of_the_sector_run_modules():
    """``kibs-spatial hotspots`` reads a layer and writes one: the sector tables, the Gangnam contrast and the
    data join of ``run`` stay unimported (the result model loads them on first use)."""
    names = imported("import kibs_spatial.hotspot_layer, kibs_spatial.outputs.hotspots", packages=False)
    run_parts = {"kibs_spatial.analysis.contrast", "kibs_spatial.analysis.sectors", "kibs_spatial.analysis.counts",
                 "kibs_spatial.io.join"}
    assert "kibs_spatial.hotspot_layer" in names
    assert names.isdisjoint(run_parts), sorted(names & run_parts)
    loaded = subprocess.run([sys.executable, "-c", "import sys; from kibs_spatial.result import GangnamContrast, "
                             "Sector, JoinReport; print(sorted(m for m in sys.modules if m.startswith('kibs')))"],
                            capture_output=True, text=True, check=True).stdout
    assert all(part in loaded for part in ("analysis.contrast", "analysis.sectors", "io.join")), loaded
