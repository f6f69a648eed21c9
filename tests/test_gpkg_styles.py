"""The run's GeoPackage as QGIS and GDAL see it, checked with sqlite3 and pyogrio (no QGIS needed).

QGIS reads default styles from ``layer_styles``; the expected schema below is the one QGIS
creates itself ("Save Style > In Database" on a GeoPackage layer).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box
from system_programs import require

from kibs_spatial.cli import main
from kibs_spatial.fields import describe, markdown
from kibs_spatial.outputs.geopackage import field_table, undocumented, write_geopackage
from kibs_spatial.outputs.qgis_styles import _mm, _rgba, lq_class_expression

SECTORS = ("732", "713")
QGIS_LAYER_STYLES_COLUMNS = [
    ("id", "INTEGER"), ("f_table_catalog", "TEXT(256)"), ("f_table_schema", "TEXT(256)"),
    ("f_table_name", "TEXT(256)"), ("f_geometry_column", "TEXT(256)"), ("styleName", "TEXT(30)"),
    ("styleQML", "TEXT"), ("styleSLD", "TEXT"), ("useAsDefault", "BOOLEAN"), ("description", "TEXT"),
    ("owner", "TEXT(30)"), ("ui", "TEXT(30)"), ("update_time", "DATETIME"),
]


def small_run(folder: Path) -> Path:
    """`kibs-spatial run` on two sectors; returns the GeoPackage."""
    config = folder / "small.toml"
    config.write_text(f"[analysis]\nsectors = {list(SECTORS)!r}\n[statistics]\npermutations = 999\n".replace("'", '"'))
    code = main(["run", "--config", str(config), "--output", str(folder / "out"), "--maps-dir", str(folder / "maps"), "--quiet"])
    assert code == 0
    return folder / "out" / "kibs_clusters_synthetic.gpkg"


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory) -> Path:
    return small_run(tmp_path_factory.mktemp("gpkg"))


def _query(path: Path, sql: str, *args) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql, args).fetchall()


def test_geopackage_version_is_1_2(gpkg):
    assert _query(gpkg, "PRAGMA application_id") == [(0x47504B47,)]  # "GPKG"
    assert _query(gpkg, "PRAGMA user_version") == [(10200,)]


def test_layer_styles_table_has_qgis_schema_and_is_registered(gpkg):
    columns = [(row[1], row[2]) for row in _query(gpkg, 'PRAGMA table_info("layer_styles")')]
    assert columns == QGIS_LAYER_STYLES_COLUMNS
    assert _query(gpkg, "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'") == [("attributes",)]


def test_one_default_style_per_layer(gpkg):
    rows = _query(gpkg, "SELECT f_table_name, styleName, f_geometry_column, useAsDefault FROM layer_styles")
    defaults = {}
    for layer, name, geometry, default in rows:
        assert len(name) <= 30 and geometry == "geom"
        if default:
            assert layer not in defaults
            defaults[layer] = name
    assert defaults == {"regions": "732 LISA", "sector_results": "732 LISA", "promising_locations": "promising locations",
                        "gangnam_area": "Gangnam area", "sido": "sido outlines"}
    assert sum(1 for r in rows if r[0] == "regions") == 3 * len(SECTORS)


def _qml(gpkg: Path, layer: str, name: str) -> ET.Element:
    (text,) = _query(gpkg, "SELECT styleQML FROM layer_styles WHERE f_table_name = ? AND styleName = ?", layer, name)[0]
    return ET.fromstring(text.split("\n", 1)[1])  # after the DOCTYPE line


def test_default_lisa_style_uses_conventional_colours(gpkg):
    renderer = _qml(gpkg, "regions", "732 LISA").find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "s732_lisa_cl"
    categories = {c.get("value"): c.get("symbol") for c in renderer.iter("category")}
    assert list(categories) == ["HH", "LL", "LH", "HL", "ns", "isolated", "undefined"]
    fills = {s.get("name"): s.find("layer/prop[@k='color']").get("v") for s in renderer.iter("symbol")}
    assert fills[categories["HH"]].startswith("215,25,28,")  # red
    assert fills[categories["LL"]].startswith("44,123,182,")  # blue
    assert len({fills[k] for k in categories.values()}) == 7  # isolated and undefined distinct from the rest


def test_gi_style_has_99_95_90_legend(gpkg):
    renderer = _qml(gpkg, "regions", "713 Gi* hot spots").find("renderer-v2")
    labels = [c.get("label") for c in renderer.iter("category")]
    assert labels[:3] == ["hot spot 99 %", "hot spot 95 %", "hot spot 90 %"]
    assert labels[4:7] == ["cold spot 90 %", "cold spot 95 %", "cold spot 99 %"]
    assert "s713_gi_bin" in renderer.get("attr")


def test_long_layer_style_is_one_sector_only(gpkg):
    rules = _qml(gpkg, "sector_results", "713 LISA").find("renderer-v2/rules")
    (parent,) = list(rules)
    assert parent.get("filter") == "\"ksic\" = '713'"
    assert len(list(parent)) == 7


def test_lq_class_expression_matches_map_breaks():
    text = lq_class_expression("x")
    assert "\"x\" IS NULL THEN 'na'" in text
    assert "WHEN \"x\" <= 0.8 THEN '1'" in text and text.endswith("ELSE '5' END")


def test_colour_and_width_conversion():
    assert _rgba("#d7191c") == "215,25,28,255"
    assert _rgba("#000000", 0.5) == "0,0,0,128"
    assert _mm(3.0) == "0.79"  # 3 px at 96 dpi


def test_sector_results_is_a_view_with_the_regions_geometry(gpkg):
    assert _query(gpkg, "SELECT type FROM sqlite_master WHERE name = 'sector_results'") == [("view",)]
    regions = pyogrio.read_dataframe(gpkg, layer="regions")
    long = pyogrio.read_dataframe(gpkg, layer="sector_results")
    assert len(long) == len(SECTORS) * 2 * len(regions) and long.crs == "EPSG:5179"  # two periods
    row = long[(long["ksic"] == "713") & (long["region_code"] == "11680")].iloc[0]
    assert row.geometry.equals(regions.loc[regions["region_code"] == "11680"].geometry.iloc[0])
    assert row["lisa_cl"] == regions.loc[regions["region_code"] == "11680", "s713_lisa_cl"].item()


def test_gangnam_area_layer(gpkg):
    area = pyogrio.read_dataframe(gpkg, layer="gangnam_area")
    regions = pyogrio.read_dataframe(gpkg, layer="regions")
    members = regions[regions["region_code"].isin(["11680", "11650"])]
    assert len(area) == 1 and area["region_codes"].item() == "11680,11650"
    assert area.crs == "EPSG:5179"
    assert area.geometry.area.item() == pytest.approx(members.geometry.area.sum(), rel=0.01)


def test_every_written_field_is_documented(gpkg):
    table = field_table(gpkg)
    assert undocumented(table) == [], "add these fields to kibs_spatial.outputs.geopackage.FIELDS"
    stored = pyogrio.read_dataframe(gpkg, layer="field_descriptions")
    assert set(zip(stored["layer"], stored["field"])) == set(zip(table["layer"], table["field"]))
    wide = stored[(stored["layer"] == "regions") & (stored["field"] == "s713_lq")].iloc[0]
    assert wide["description"].startswith("advertising (KSIC 713)") and wide["type"] == "real"


def test_run_metadata_holds_every_setting(gpkg):
    meta = pyogrio.read_dataframe(gpkg, layer="run_metadata").set_index("key")["value"]
    for key in ("statistics_seed", "statistics_permutations", "statistics_fdr", "weights", "island_policy",
                "contrast_area", "data_boundary_layer", "input_sectors_sha256", "synthetic", "version_pyogrio", "gi_variant"):
        assert key in meta.index, key
    assert meta["statistics_permutations"] == "999" and meta["contrast_area"] == "11680,11650"


def test_gdal_command_line_opens_without_warning(gpkg):
    ogrinfo = shutil.which("ogrinfo")
    require(ogrinfo is not None, "ogrinfo not installed (apt-get install gdal-bin)")
    done = subprocess.run([ogrinfo, "-ro", "-al", "-so", str(gpkg)], check=False, capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr.strip() == ""
    assert "Layer name: sector_results" in done.stdout


def test_finish_hook_runs_before_the_rename(tmp_path):
    target = tmp_path / "out.gpkg"
    frame = gpd.GeoDataFrame({"a": [1]}, geometry=gpd.points_from_xy([1.0], [2.0]), crs="EPSG:5179")
    seen = []

    def finish(tmp: Path) -> None:
        seen.append((tmp.exists(), target.exists()))
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        write_geopackage(target, {"points": frame, "table": pd.DataFrame({"b": [1]})}, finish)
    assert seen == [(True, False)]
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_hotspots_output_gets_lisa_and_gi_styles(tmp_path):
    cells = [box(x * 1000, y * 1000, (x + 1) * 1000, (y + 1) * 1000) for y in range(5) for x in range(5)]
    values = [10.0 if (i % 5 < 2 and i // 5 < 2) else float(i % 3) for i in range(25)]
    path = tmp_path / "grid.gpkg"
    gpd.GeoDataFrame({"jobs": values, "firms": values[::-1]}, geometry=cells, crs="EPSG:5179").to_file(path, engine="pyogrio")
    out = tmp_path / "hot.gpkg"
    assert main(["hotspots", str(path), "--columns", "jobs,firms", "--permutations", "99", "--output", str(out), "--quiet"]) == 0
    rows = _query(out, "SELECT f_table_name, styleName, useAsDefault FROM layer_styles ORDER BY id")
    assert rows == [("hotspots", "jobs LISA", 1), ("hotspots", "jobs Gi*", 0), ("hotspots", "firms LISA", 0), ("hotspots", "firms Gi*", 0)]
    renderer = _qml(out, "hotspots", "firms LISA").find("renderer-v2")
    assert renderer.get("attr") == "firms_lisa_cl"


def test_outputs_doc_is_the_field_registry():
    doc = (Path(__file__).parents[1] / "docs" / "OUTPUTS.md").read_text(encoding="utf-8")
    start = doc.index("<!-- fields: generated")
    generated = doc[doc.index("\n", start) + 1:doc.index("<!-- fields: end -->")]
    assert generated == markdown(), "run `python -m kibs_spatial.fields --update docs/OUTPUTS.md`"


def test_written_types_are_the_registry_types(gpkg):
    table = field_table(gpkg)
    wrong = [(row.layer, row.field, row.type, describe(row.layer, row.field).dtype) for row in table.itertuples()
             if describe(row.layer, row.field) is not None and describe(row.layer, row.field).dtype != row.type]
    assert wrong == []
