"""The run's GeoPackage opened by QGIS itself (Debian's python3-qgis, headless).

PyQGIS belongs to the system Python (/usr/bin/python3), not to the venv, so tests/qgis/check_gpkg.py
runs in a subprocess and prints what QGIS sees as JSON. Needs ``apt-get install python3-qgis
qgis-providers``; without it the tests skip locally but FAIL when the environment variable CI is
set. The rendered map is kept as test-artifacts/qgis/regions_lisa.png (not committed).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from system_programs import require  # noqa: E402
from test_gpkg_styles import SECTORS, small_run  # noqa: E402

from kibs_spatial.symbology import GI_ENTRIES, LISA_ENTRIES

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).parent / "qgis" / "check_gpkg.py"
ARTIFACTS = Path(__file__).parents[1] / "test-artifacts" / "qgis"
LAYERS = ("regions", "sector_results", "promising_locations", "gangnam_area", "sido")
TABLES = ("sector_results_table", "global_moran", "join_report", "run_metadata", "field_descriptions")  # QGIS hides layer_styles


def _require_qgis() -> str:
    ok = Path(SYSTEM_PYTHON).exists() and subprocess.run(
        [SYSTEM_PYTHON, "-c", "import qgis.core"], check=False, capture_output=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    ).returncode == 0
    require(ok, "PyQGIS not available for /usr/bin/python3 (apt-get install python3-qgis qgis-providers)")
    return SYSTEM_PYTHON


@pytest.fixture(scope="module")
def qgis_view(tmp_path_factory) -> tuple[dict, Path]:
    python = _require_qgis()
    gpkg = small_run(tmp_path_factory.mktemp("qgis"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png = ARTIFACTS / "regions_lisa.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path_factory.mktemp("xdg"))}
    done = subprocess.run([python, str(SCRIPT), str(gpkg), "regions", str(png)], check=False, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), gpkg


def _count(gpkg: Path, table: str) -> int:
    with closing(sqlite3.connect(gpkg)) as db:
        return db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def test_every_layer_opens_valid_with_the_right_count_and_crs(qgis_view):
    seen, gpkg = qgis_view
    layers = seen["layers"]
    assert set(LAYERS) | set(TABLES) <= set(layers)
    for name in LAYERS:
        assert layers[name]["valid"] and layers[name]["spatial"], name
        assert layers[name]["crs"] == "EPSG:5179", name
        assert layers[name]["features"] == _count(gpkg, name), name
    for name in TABLES:
        assert layers[name]["valid"] and not layers[name]["spatial"], name
    assert layers["sector_results"]["features"] == len(SECTORS) * 2 * layers["regions"]["features"]  # two periods


def test_default_styles_are_applied(qgis_view):
    layers = qgis_view[0]["layers"]
    regions = layers["regions"]["renderer"]
    assert regions["type"] == "categorizedSymbol" and regions["attribute"] == "s732_lisa_cl"
    assert [c["value"] for c in regions["categories"]] == ["HH", "LL", "LH", "HL", "ns", "isolated", "undefined"]
    colours = {c["value"]: c["colour"] for c in regions["categories"]}
    assert colours["HH"] == "#d7191c" and colours["LL"] == "#2c7bb6" and colours["LH"] == "#abd9e9"
    assert colours == {e.key: e.fill for e in LISA_ENTRIES}
    assert layers["regions"]["stored_styles"] == [f"{k} {kind}" for k in SECTORS for kind in ("LISA", "Gi* hot spots", "LQ")]

    long = layers["sector_results"]["renderer"]
    assert long["type"] == "RuleRenderer"
    (parent,) = long["rules"]
    assert parent["filter"] == "\"ksic\" = '732'"
    assert [c["colour"] for c in parent["children"]] == [e.fill for e in LISA_ENTRIES]

    for name, field in (("gangnam_area", "name"), ("sido", "sido_name"), ("promising_locations", "name_ko")):
        assert layers[name]["renderer"]["type"] == "singleSymbol", name
        assert layers[name]["labels"] and layers[name]["label_field"] == field, name


def test_gi_legend_order_is_hot_to_cold():
    assert [e.label for e in GI_ENTRIES[:3]] == ["hot spot 99 %", "hot spot 95 %", "hot spot 90 %"]


def test_lisa_map_renders(qgis_view):
    seen, gpkg = qgis_view
    render = seen["render"]
    assert Path(render["png"]).stat().st_size > 10_000
    assert render["non_white_fraction"] > 0.1  # the country is drawn
    assert render["distinct_colours"] > 5
    with closing(sqlite3.connect(gpkg)) as db:
        hh = db.execute("SELECT count(*) FROM regions WHERE s732_lisa_cl = 'HH'").fetchone()[0]
    assert hh > 0
    assert render["red_fraction"] > 0  # High-High units are drawn in red
