"""The run's GeoPackage opened by QGIS itself (Debian's python3-qgis, headless), as a GIS user opens it.

PyQGIS belongs to the system Python (/usr/bin/python3), not to the venv, so tests/qgis/check_gpkg.py
(every layer with its default style) and tests/qgis/check_project.py (the project stored in the
GeoPackage: groups, styles, aliases, labels QGIS places) run in a subprocess and print what QGIS
sees as JSON. Needs ``apt-get install python3-qgis qgis-providers``; without it the tests skip
locally but FAIL when the environment variable CI is set. The rendered maps are kept in
test-artifacts/qgis/ (regions_lisa.png, project_view.png, project_all.png; not committed).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from system_programs import require  # noqa: E402
from test_gpkg_styles import SECTORS, small_run  # noqa: E402

from kibs_spatial.io.demo import DEMO_YEARS
from kibs_spatial.symbology import GI_ENTRIES, LISA_ENTRIES

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).parent / "qgis" / "check_gpkg.py"
PROJECT_SCRIPT = Path(__file__).parent / "qgis" / "check_project.py"
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
def gpkg(tmp_path_factory) -> Path:
    _require_qgis()
    return small_run(tmp_path_factory.mktemp("qgis"))


def _run_qgis(tmp_path_factory, *args: str) -> dict:
    xdg = tmp_path_factory.mktemp("xdg")
    xdg.chmod(0o700)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(xdg)}
    done = subprocess.run([SYSTEM_PYTHON, *args], check=False, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def qgis_view(tmp_path_factory, gpkg) -> tuple[dict, Path]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return _run_qgis(tmp_path_factory, str(SCRIPT), str(gpkg), "regions", str(ARTIFACTS / "regions_lisa.png")), gpkg


@pytest.fixture(scope="module")
def project(tmp_path_factory, gpkg) -> dict:
    """The stored project as QGIS opens it, from a copy of the output folder moved elsewhere."""
    moved = tmp_path_factory.mktemp("moved") / gpkg.name
    shutil.copy(gpkg, moved)  # relative layer sources: the project opens wherever the file goes
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return _run_qgis(tmp_path_factory, str(PROJECT_SCRIPT), str(moved), "kibs_clusters", str(ARTIFACTS))


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
    assert layers["sector_results"]["features"] == len(SECTORS) * len(DEMO_YEARS) * layers["regions"]["features"]


def test_default_styles_are_applied(qgis_view):
    layers = qgis_view[0]["layers"]
    regions = layers["regions"]["renderer"]
    assert regions["type"] == "RuleRenderer"
    (parent,) = regions["rules"]
    assert parent["label"] == "732 specialized design, 2022: LISA clusters and outliers"  # the legend names the sector
    assert [c["label"] for c in parent["children"]][:2] == ["HH cluster: high value, high neighbours",
                                                             "LL cluster: low value, low neighbours"]
    assert [c["colour"] for c in parent["children"]] == [e.fill for e in LISA_ENTRIES]
    assert layers["regions"]["stored_styles"] == [f"{k} {kind}" for k in SECTORS for kind in ("LISA", "Gi* hot spots", "LQ")]

    long = layers["sector_results"]["renderer"]
    assert long["type"] == "RuleRenderer"
    (parent,) = long["rules"]
    assert parent["filter"] == "\"ksic\" = '732' AND \"period\" = '2022'"
    assert [c["colour"] for c in parent["children"]] == [e.fill for e in LISA_ENTRIES]

    for name in ("gangnam_area", "sido", "promising_locations"):
        assert layers[name]["renderer"]["type"] == "singleSymbol", name
        assert layers[name]["labels"] and layers[name]["label_is_expression"], name
        assert not layers[name]["label_obstacle"], name


def test_aliases_of_the_registry_show_in_qgis(qgis_view):
    layers = qgis_view[0]["layers"]
    for name in ("regions", "sector_results", "promising_locations"):
        assert layers[name]["aliased"] >= layers[name]["field_count"] - 1, name  # every field but the feature id
    assert layers["regions"]["aliases"]["s732_lq"] == "specialized design (KSIC 732): LQ"
    assert layers["sector_results"]["aliases"]["lisa_cl"] == "LISA class"


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


def _walk(tree: list) -> dict:
    """Groups by name, each with its layers ``{name: checked}``."""
    return {node["group"]: {c["layer"]: c["checked"] for c in node["children"] if "layer" in c}
            for node in tree if "group" in node}


def test_project_opens_with_a_group_per_sector(project):
    assert project["read"] and project["crs"] == "EPSG:5179"
    assert project["title"].startswith("KIBS clusters, 2022") and "SYNTHETIC" in project["title"]
    groups = _walk(project["tree"])
    assert list(groups) == ["Context", "732 specialized design, 2022", "713 advertising, 2022"]
    assert groups["732 specialized design, 2022"] == {"732 promising locations, 2022": True, "732 LISA clusters, 2022": True,
                                                     "732 Gi* hot spots, 2022": False, "732 LQ, 2022": False,
                                                     "732 emerging hot spots, 2012–2022": False}
    assert not any(groups["713 advertising, 2022"].values())  # one sector at a time
    assert all(layer["valid"] for layer in project["layers"].values())


def test_project_layers_show_the_sector_of_the_last_period_with_aliases(project, gpkg):
    layers = project["layers"]
    lisa = layers["713 LISA clusters, 2022"]
    assert lisa["subset"] == "\"ksic\" = '713' AND \"period\" = '2022'"
    assert lisa["features"] == _count(gpkg, "regions")  # one row per unit: one sector, one period
    (parent,) = lisa["renderer"]["rules"]
    assert parent["label"] == "713 advertising, 2022: LISA clusters and outliers"
    for name in ("713 Gi* hot spots, 2022", "713 LQ, 2022"):
        assert layers[name]["renderer"]["rules"][0]["label"].startswith("713 advertising, 2022: ")
    assert [c["label"] for c in layers["713 Gi* hot spots, 2022"]["renderer"]["rules"][0]["children"]][:3] == [
        "hot spot 99 %", "hot spot 95 %", "hot spot 90 %"]
    for name, layer in layers.items():
        assert layer["aliased"] >= layer["fields"] - 1, name
    assert lisa["aliases"]["region_code"] == "code" and lisa["aliases"]["lq"] == "LQ"


def test_project_labels_promising_locations_and_provinces_legibly(project, gpkg):
    view = project["render_view"]
    assert Path(view["png"]).stat().st_size > 20_000
    placed = view["labels"]
    with closing(sqlite3.connect(gpkg)) as db:
        promising = [r[0] for r in db.execute("SELECT region_code FROM promising_locations WHERE ksic = '732'")]
    names = placed["732 promising locations, 2022"]
    assert len(names) >= 0.8 * len(promising)  # at the first view (capital region) nearly every name shows
    assert not {"중구", "동구", "서구", "남구", "북구", "강서구", "고성군"} & set(names)  # no ambiguous bare names
    assert {"서울", "경기", "인천"} <= set(placed["Provinces (sido)"])  # short province names
    country = project["render_all"]["labels"]
    assert len(country["Provinces (sido)"]) >= 12  # the whole country: provinces labelled, not hidden by polygons


RASTER_SCRIPT = Path(__file__).parent / "qgis" / "check_rasters.py"


@pytest.fixture(scope="module")
def rasters(tmp_path_factory, gpkg) -> dict:
    out = ARTIFACTS / "rasters"
    out.mkdir(parents=True, exist_ok=True)
    return _run_qgis(tmp_path_factory, str(RASTER_SCRIPT), str(gpkg.parent / "rasters"), str(out))


def test_rasters_open_styled_from_their_sidecars(rasters):
    from kibs_spatial.symbology import DENSITY_ENTRIES, GI_ENTRIES

    assert len(rasters) == 3 * len(SECTORS) and all(r["valid"] and r["crs"] == "EPSG:5179" for r in rasters.values())
    density = rasters["sector_732_density_synthetic.tif"]
    assert density["renderer"] == "singlebandpseudocolor"
    assert density["legend"] == [e.label for e in DENSITY_ENTRIES]
    assert density["colours"] >= 5  # the log-scaled classes show the whole country, not only Seoul
    gi = rasters["sector_732_gi_class_synthetic.tif"]
    assert gi["renderer"] == "paletted"
    assert gi["legend"] == [e.label for e in sorted((e for e in GI_ENTRIES if e.key != "na"), key=lambda e: int(e.key))]
    assert rasters["sector_732_lq_synthetic.tif"]["renderer"] == "singlebandpseudocolor"
