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
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box
from system_programs import require

from kibs_spatial.cli import main
from kibs_spatial.fields import describe, markdown
from kibs_spatial.io.demo import DEMO_YEARS
from kibs_spatial.outputs.geopackage import field_table, undocumented, write_geopackage
from kibs_spatial.outputs.qgis_styles import _mm, _rgba, lq_class_expression
from kibs_spatial.symbology import LISA_ENTRIES

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
                        "gangnam_area": "Gangnam area", "sido": "sido outlines", "emerging_hotspots": "732 emerging"}
    assert sum(1 for r in rows if r[0] == "regions") == 3 * len(SECTORS)


def _qml(gpkg: Path, layer: str, name: str) -> ET.Element:
    (text,) = _query(gpkg, "SELECT styleQML FROM layer_styles WHERE f_table_name = ? AND styleName = ?", layer, name)[0]
    return ET.fromstring(text.split("\n", 1)[1])  # after the DOCTYPE line


def _rules(renderer: ET.Element) -> tuple[ET.Element, dict[str, str]]:
    """The parent rule of a rule-based style and the fill colour of each child rule, by label."""
    (parent,) = list(renderer.find("rules"))
    fills = {sym.get("name"): sym.find("layer/prop[@k='color']").get("v") for sym in renderer.iter("symbol")}
    return parent, {rule.get("label"): fills[rule.get("symbol")] for rule in parent}


def test_default_lisa_style_uses_conventional_colours_and_names_the_sector(gpkg):
    renderer = _qml(gpkg, "regions", "732 LISA").find("renderer-v2")
    assert renderer.get("type") == "RuleRenderer"
    parent, fills = _rules(renderer)
    assert parent.get("label") == "732 specialized design, 2022: LISA clusters and outliers"  # the legend title
    assert parent.get("filter") is None  # the wide layer holds the last period only
    assert [rule.get("filter") for rule in parent][0] == "\"s732_lisa_cl\" = 'HH'"
    assert list(fills) == [e.label for e in LISA_ENTRIES]
    assert fills["HH cluster: high value, high neighbours"].startswith("215,25,28,")  # red
    assert fills["LL cluster: low value, low neighbours"].startswith("44,123,182,")  # blue
    assert len(set(fills.values())) == 7  # isolated and undefined distinct from the rest


def test_gi_style_has_99_95_90_legend(gpkg):
    renderer = _qml(gpkg, "regions", "713 Gi* hot spots").find("renderer-v2")
    parent, fills = _rules(renderer)
    labels = list(fills)
    assert labels[:3] == ["hot spot 99 %", "hot spot 95 %", "hot spot 90 %"]
    assert labels[4:7] == ["cold spot 90 %", "cold spot 95 %", "cold spot 99 %"]
    assert "s713_gi_bin" in parent[0].get("filter") and "713 advertising, 2022" in parent.get("label")


def test_long_layer_style_is_one_sector_of_the_last_period(gpkg):
    for name in ("713 LISA", "713 Gi* hot spots", "713 LQ"):
        parent, fills = _rules(_qml(gpkg, "sector_results", name).find("renderer-v2"))
        assert parent.get("filter") == "\"ksic\" = '713' AND \"period\" = '2022'"
        assert parent.get("label").startswith("713 advertising, 2022: ")
        assert len(fills) in (7, 8)


def test_labels_are_unique_names_and_no_layer_is_an_obstacle(gpkg):
    promising = _qml(gpkg, "promising_locations", "promising locations")
    text = promising.find("labeling/settings/text-style")
    assert text.get("isExpression") == "1" and "map_get(map(" in text.get("fieldName")
    assert "'26110', '부산 중구'" in text.get("fieldName") and "'47111', '포항시 남구'" in text.get("fieldName")
    assert "concatenate_unique" in text.get("fieldName")  # every sector the unit is promising in
    for layer, name in (("promising_locations", "promising locations"), ("sido", "sido outlines"),
                        ("gangnam_area", "Gangnam area")):
        rendering = _qml(gpkg, layer, name).find("labeling/settings/rendering")
        assert rendering.get("obstacle") == "0", layer
    sido = _qml(gpkg, "sido", "sido outlines").find("labeling/settings/text-style").get("fieldName")
    assert "'서울특별시', '서울'" in sido and "'경상남도', '경남'" in sido


def test_every_style_carries_the_registry_aliases(gpkg):
    for layer, name in (("regions", "713 LQ"), ("sector_results", "732 LISA"), ("promising_locations", "promising locations")):
        aliases = {a.get("field"): a.get("name") for a in _qml(gpkg, layer, name).iter("alias")}
        assert aliases["lisa_cl" if layer != "regions" else "s713_lisa_cl"].endswith("LISA class")
        assert all(aliases.values()), layer


def _project(gpkg: Path) -> ET.Element:
    import io
    import zipfile

    (content,) = _query(gpkg, "SELECT content FROM qgis_projects WHERE name = 'kibs_clusters'")[0]
    archive = zipfile.ZipFile(io.BytesIO(bytes.fromhex(content)))
    (name,) = archive.namelist()
    return ET.fromstring(archive.read(name).decode("utf-8").split("\n", 1)[1])


def test_qgis_project_is_stored_in_the_geopackage(gpkg):
    project = _project(gpkg)
    title = project.find("title").text
    assert title.startswith("KIBS clusters, 2022") and "SYNTHETIC" in title
    groups = [g.get("name") for g in project.find("layer-tree-group").findall("layer-tree-group")]
    assert groups == ["Context", "732 specialized design, 2022", "713 advertising, 2022"]
    layers = {m.find("layername").text: m for m in project.iter("maplayer")}
    lisa = layers["713 LISA clusters, 2022"]
    assert lisa.find("datasource").text == ("./kibs_clusters_synthetic.gpkg|layername=sector_results|"
                                            "subset=\"ksic\" = '713' AND \"period\" = '2022'")
    assert all(m.find("datasource").text.startswith("./kibs_clusters_synthetic.gpkg|") for m in project.iter("maplayer"))
    assert lisa.find("map-layer-style-manager").get("current") == "713 LISA clusters, 2022"
    aliases = {a.get("field"): a.get("name") for a in lisa.iter("alias")}
    assert aliases["lq"] == "LQ" and aliases["gi_bin"] == "Gi* hot/cold spot"
    checked = {t.get("name"): t.get("checked") for t in project.iter("layer-tree-layer")}
    assert checked["732 LISA clusters, 2022"] == "Qt::Checked" and checked["732 LQ, 2022"] == "Qt::Unchecked"


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
    assert len(long) == len(SECTORS) * len(DEMO_YEARS) * len(regions) and long.crs == "EPSG:5179"  # every period
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


@pytest.mark.parametrize("layer", ["cells", "counts"])
def test_large_layers_written_through_arrow_hold_the_same_table(tmp_path, monkeypatch, layer):
    import kibs_spatial.outputs.geopackage as geopackage

    n = 6
    columns = {"value": [1.5, np.nan, 3.0, -4.0, 0.0, 1e-300], "label": ["가", None, "c", "d", "e", "f"],
               "flag": [True, False, True, False, True, False], "count": np.arange(n, dtype="int64"),
               "class": pd.Categorical(["HH", "ns", "HH", "LL", "ns", "HL"])}
    frames = {"cells": gpd.GeoDataFrame(columns, geometry=[box(i, 0, i + 1, 1) for i in range(n)], crs="EPSG:5179",
                                        index=pd.Index([f"u{i}" for i in range(n)], name="code")),
              "counts": pd.DataFrame(columns)}
    calls = []
    write = pyogrio.write_dataframe
    monkeypatch.setattr(pyogrio, "write_dataframe", lambda *a, **k: calls.append(k.get("use_arrow")) or write(*a, **k))
    tables = {}
    for threshold in (10**9, 1):
        monkeypatch.setattr(geopackage, "ARROW_VALUES", threshold)
        out = write_geopackage(tmp_path / f"{threshold}.gpkg", {layer: frames[layer]})
        tables[threshold] = (_query(out, f"PRAGMA table_info({layer})"), _query(out, f"SELECT * FROM {layer} ORDER BY fid"))
    assert calls == [None, True]  # the second file went through Arrow
    assert tables[1] == tables[10**9]


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


def test_a_renamed_geopackage_gets_its_project_retargeted(gpkg, tmp_path):
    from kibs_spatial.outputs.qgis_project import read_project, retarget_project

    renamed = tmp_path / "my clusters.gpkg"
    shutil.copy(gpkg, renamed)
    retarget_project(renamed)
    sources = [m.find("datasource").text for m in ET.fromstring(read_project(renamed).split("\n", 1)[1]).iter("maplayer")]
    assert sources and all(s.startswith("./my clusters.gpkg|layername=") for s in sources)
