"""Emerging hot spots in the outputs: the GeoPackage layer and its QGIS style and project layers, the space-time
Gi* table, the map pages' layer and the report's section, all rendering ``result.emerging`` and the ``ehsa_*`` /
``st_gi_*`` columns of the run's table; and none of them without emerging hot spots (fewer than 4 periods).

The demo run is the session's ``default_result`` (11 periods, 9,999 permutations), written once per module.
"""

from __future__ import annotations

import colorsys
import dataclasses
import html
import json
import re
import sqlite3
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_qgis import SCRIPT, _require_qgis, _run_qgis  # noqa: E402

from kibs_spatial.analysis.emerging import PATTERNS, UNDEFINED  # noqa: E402
from kibs_spatial.analysis.settings import AnalysisConfig, AnalysisSettings  # noqa: E402
from kibs_spatial.outputs import write_outputs  # noqa: E402
from kibs_spatial.outputs.qgis_project import read_project  # noqa: E402
from kibs_spatial.pipeline import run_analysis  # noqa: E402
from kibs_spatial.symbology import EHSA_ENTRIES, EHSA_NAMES, NO_DATA_KEY, ehsa_class_keys  # noqa: E402

SPAN = "2012–2022"
HOT = [e for e in EHSA_ENTRIES if e.key not in (NO_DATA_KEY, "0") and int(e.key) > 0]
COLD = [e for e in EHSA_ENTRIES if e.key not in (NO_DATA_KEY, "0") and int(e.key) < 0]


def _written(result, folder: Path):
    output = dataclasses.replace(result.config.output, dir=str(folder / "output"), maps_dir=str(folder / "maps"),
                                 rasters=False)
    return write_outputs(dataclasses.replace(result, config=dataclasses.replace(result.config, output=output)))


@pytest.fixture(scope="module")
def demo(default_result, tmp_path_factory):
    """The demo run (11 periods) and its written outputs."""
    return default_result, _written(default_result, tmp_path_factory.mktemp("emerging"))


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    """A run over two periods (too few for emerging hot spots), two sectors, and its written outputs."""
    config = AnalysisConfig(analysis=AnalysisSettings(sectors=("732", "713"), periods=("2021", "2022")))
    result = run_analysis(dataclasses.replace(config, statistics=dataclasses.replace(config.statistics,
                                                                                     permutations=99)))
    return result, _written(result, tmp_path_factory.mktemp("short"))


def _query(path: Path, sql: str, *args) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql, args).fetchall()


def _qml(gpkg: Path, layer: str, name: str) -> ET.Element:
    (text,) = _query(gpkg, "SELECT styleQML FROM layer_styles WHERE f_table_name = ? AND styleName = ?", layer, name)[0]
    return ET.fromstring(text.split("\n", 1)[1])


def _hue(colour: str) -> float:
    red, green, blue = (int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return colorsys.rgb_to_hsv(red, green, blue)[0] * 360


def _is_red(colour: str) -> bool:
    red, green, blue = (int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return red > green and red > blue and (_hue(colour) >= 320 or _hue(colour) <= 35)


def _is_blue(colour: str) -> bool:
    red, green, blue = (int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return blue >= green and blue > red and 180 <= _hue(colour) <= 250


# --- the palette ---------------------------------------------------------------------------------------------


def test_palette_names_the_analysis_patterns_in_arcgis_order():
    assert sorted(EHSA_NAMES) == sorted((p.code, p.name) for p in PATTERNS)
    assert [name for _, name in EHSA_NAMES][:3] == ["New Hot Spot", "Consecutive Hot Spot", "Intensifying Hot Spot"]
    assert len(HOT) == len(COLD) == 8 and len(EHSA_ENTRIES) == 18  # 17 patterns and "no data"
    assert all(_is_red(e.fill) for e in HOT), [e.fill for e in HOT]
    assert all(_is_blue(e.fill) for e in COLD), [e.fill for e in COLD]
    assert len({e.fill for e in EHSA_ENTRIES}) == len(EHSA_ENTRIES)  # every class its own colour
    assert ehsa_class_keys(pd.Series(["Intensifying Cold Spot", UNDEFINED, None])) == ["-3", NO_DATA_KEY, NO_DATA_KEY]


# --- the GeoPackage --------------------------------------------------------------------------------------------


def test_layer_has_one_row_per_unit_and_sector_with_the_result_patterns(demo):
    result, written = demo
    layer = pyogrio.read_dataframe(written.geopackage, layer="emerging_hotspots")
    assert len(layer) == len(result.regions) * len(result.sectors) and layer.crs == "EPSG:5179"
    assert layer.geometry.notna().all() and layer["data_source"].str.startswith("SYNTHETIC").all()
    assert not layer.duplicated(["region_code", "ksic"]).any()
    latest = result.latest().set_index(["region_code", "ksic"])
    mine = layer.set_index(["region_code", "ksic"]).loc[latest.index]
    assert (mine["ehsa_pattern"] == latest["ehsa_pattern"]).all()
    for column in ("ehsa_code", "periods_hot", "periods_cold"):
        np.testing.assert_array_equal(mine[column].to_numpy(), latest[column].to_numpy(dtype=float))
    for column in ("ehsa_trend_z", "ehsa_trend_p", "ehsa_sen_slope", "lq_trend_z", "lq_trend_p", "lq_sen_slope"):
        np.testing.assert_allclose(mine[column].to_numpy(dtype=float), latest[column].to_numpy(dtype=float))
    # the patterns of the analysis itself, not only of the table
    by_unit = result.emerging.to_frame().set_index(["region_code", "ksic"])["pattern"]
    assert (mine.loc[by_unit.index, "ehsa_pattern"] == by_unit).all()
    gangnam = layer[(layer["region_code"] == "11680") & (layer["ksic"] == "732")].iloc[0]
    assert gangnam["sector"] == "specialized design" and gangnam["name_ko"] == "강남구"


def test_layer_is_a_view_with_registry_types_and_descriptions(demo):
    _, written = demo
    assert _query(written.geopackage, "SELECT type FROM sqlite_master WHERE name = 'emerging_hotspots'") == [("view",)]
    fields = pyogrio.read_dataframe(written.geopackage, layer="field_descriptions")
    mine = fields[fields["layer"] == "emerging_hotspots"].set_index("field")
    assert (mine["description"] != "").all()
    assert mine.loc["ehsa_code", "type"] == "integer" and mine.loc["periods_hot", "type"] == "integer"
    assert mine.loc["ehsa_pattern", "type"] == "text" and mine.loc["ehsa_trend_z", "type"] == "real"
    for layer in ("sector_results", "promising_locations"):  # integer fields empty on earlier periods stay integer
        info = pyogrio.read_info(written.geopackage, layer=layer)
        assert dict(zip(info["fields"], info["dtypes"]))["ehsa_code"] == "int64", layer


def test_style_has_all_17_patterns_hot_red_cold_blue_and_names_the_sector(demo):
    result, written = demo
    styles = _query(written.geopackage, "SELECT styleName, useAsDefault FROM layer_styles "
                                        "WHERE f_table_name = 'emerging_hotspots' ORDER BY id")
    assert styles == [(f"{s.ksic} emerging", int(i == 0)) for i, s in enumerate(result.sectors)]
    renderer = _qml(written.geopackage, "emerging_hotspots", "732 emerging").find("renderer-v2")
    assert renderer.get("type") == "RuleRenderer"
    (parent,) = list(renderer.find("rules"))
    assert parent.get("label") == f"732 specialized design, {SPAN}: emerging hot spots"
    assert parent.get("filter") == "\"ksic\" = '732'"
    fills = {sym.get("name"): sym.find("layer/prop[@k='color']").get("v") for sym in renderer.iter("symbol")}
    rules = {rule.get("label"): fills[rule.get("symbol")] for rule in parent}
    assert list(rules)[:17] == [name for _, name in EHSA_NAMES] and len(rules) == 18

    def hex_of(rgba: str) -> str:
        return "#" + "".join(f"{int(v):02x}" for v in rgba.split(",")[:3])

    assert all(_is_red(hex_of(rules[e.label])) for e in HOT)
    assert all(_is_blue(hex_of(rules[e.label])) for e in COLD)
    assert [r.get("filter") for r in parent][0] == "\"ehsa_pattern\" = 'New Hot Spot'"
    aliases = {a.get("field"): a.get("name") for a in _qml(written.geopackage, "emerging_hotspots", "732 emerging")
               .iter("alias")}
    assert aliases["ehsa_pattern"] == "emerging pattern" and aliases["ehsa_trend_z"] == "Gi* trend z"


def test_project_has_the_emerging_layer_in_every_sector_group(demo):
    result, written = demo
    project = ET.fromstring(read_project(written.geopackage).split("\n", 1)[1])
    groups = {g.get("name"): [layer.get("name") for layer in g.findall("layer-tree-layer")]
              for g in project.find("layer-tree-group").findall("layer-tree-group")}
    for sector in result.sectors:
        group = groups[f"{sector.ksic} {sector.name_en}, {result.last_period}"]
        assert group[-1] == f"{sector.ksic} emerging hot spots, {SPAN}"
    layers = {m.find("layername").text: m for m in project.iter("maplayer")}
    layer = layers[f"713 emerging hot spots, {SPAN}"]
    assert layer.find("datasource").text == ("./kibs_clusters_synthetic.gpkg|layername=emerging_hotspots|"
                                             "subset=\"ksic\" = '713'")
    (parent,) = list(layer.find("renderer-v2/rules"))
    assert parent.get("label") == f"713 advertising, {SPAN}: emerging hot spots"


def test_qgis_opens_the_layer_styled(demo, tmp_path_factory):
    _require_qgis()
    result, written = demo
    png = tmp_path_factory.mktemp("qgis_emerging") / "emerging.png"
    seen = _run_qgis(tmp_path_factory, str(SCRIPT), str(written.geopackage), "emerging_hotspots", str(png))
    layer = seen["layers"]["emerging_hotspots"]
    assert layer["valid"] and layer["spatial"] and layer["crs"] == "EPSG:5179"
    assert layer["features"] == len(result.regions) * len(result.sectors)
    (parent,) = layer["renderer"]["rules"]
    assert parent["label"].startswith(f"{result.sectors[0].ksic} ") and parent["label"].endswith("emerging hot spots")
    assert [c["colour"] for c in parent["children"]] == [e.fill for e in EHSA_ENTRIES]
    assert layer["aliased"] >= layer["field_count"] - 1
    assert seen["render"]["non_white_fraction"] > 0.1 and seen["render"]["distinct_colours"] > 3


# --- the table -------------------------------------------------------------------------------------------------


def test_space_time_gi_csv_matches_the_result(demo):
    result, written = demo
    (path,) = [p for p in written.tables if p.name == "space_time_gi_synthetic.csv"]
    table = pd.read_csv(path, dtype={"region_code": str, "ksic": str, "period": str})
    assert list(table.columns) == ["region_code", "ksic", "period", "st_gi_z", "st_gi_p", "st_gi_q", "st_gi_bin",
                                   "data_source"]
    assert len(table) == len(result.regions) * len(result.sectors) * len(result.periods)
    ours = result.table.set_index(["region_code", "ksic", "period"])
    theirs = table.set_index(["region_code", "ksic", "period"]).loc[ours.index]
    for column in ("st_gi_z", "st_gi_p", "st_gi_q", "st_gi_bin"):
        np.testing.assert_allclose(theirs[column].to_numpy(dtype=float), ours[column].to_numpy(dtype=float),
                                   rtol=1e-12, equal_nan=True)
    bins = result.emerging.bins_to_frame().set_index(["region_code", "ksic", "period"])
    np.testing.assert_array_equal(theirs.loc[bins.index, "st_gi_bin"].fillna(0).to_numpy(),
                                  bins["hot"].astype(int) - bins["cold"].astype(int))
    assert "space_time_gi_synthetic.csv" in written.report.read_text(encoding="utf-8")  # listed with the files


# --- the maps ----------------------------------------------------------------------------------------------------


def _regions_json(page: str) -> dict:
    match = re.search(r"var kibs_regions\w* = kibsDecode\((\{.*?\})\);\n", page, re.S)
    return json.loads(match.group(1))


def test_map_page_has_the_emerging_layer_with_the_patterns(demo):
    result, written = demo
    page = (written.maps[0].parent / "sector_732.html").read_text(encoding="utf-8")
    name = f"Emerging hot spots ({SPAN})"
    assert page.count(json.dumps(name, ensure_ascii=False)[1:-1]) >= 1
    assert html.escape(name) in page  # the legend title
    features = _regions_json(page)["features"]
    latest = result.latest()
    patterns = latest[latest["ksic"] == "732"].set_index("region_code")["ehsa_pattern"]
    keys = {f["properties"]["code"]: f["properties"]["ehk"] for f in features}
    assert keys == dict(zip(patterns.index, ehsa_class_keys(patterns)))
    assert "Persistent Hot Spot" in page or "Intensifying Hot Spot" in page  # Gangnam's design, in the legend
    assert "{ehk@ehsa}" in page  # the tooltip line


def test_map_pages_keep_a_per_period_size_budget(demo):
    """Each sector page holds the geometry, Leaflet and page script once (under 500 kB for the 251 si-gun-gu) and,
    per period, one row of 15 formatted values per unit and the legends of that period (about 31 kB for 251 units);
    the emerging layer adds one pattern per unit (about 20 kB), not one per period. A fixed 600 kB limit (the
    two-period test in test_maps.py) would forbid an 11-year panel; this budget still catches geometry or values
    repeated per layer or per period."""
    result, written = demo
    periods = len(result.periods)
    sizes = {p.name: p.stat().st_size for p in written.maps if p.name.startswith("sector_")}
    assert max(sizes.values()) < 500_000 + 36_000 * periods, sizes


# --- the report --------------------------------------------------------------------------------------------------


def _section(report: str, key: str) -> str:
    start = report.index(f'<section id="{key}">')
    return report[start:report.index("</section>", start)]


def _count_table(section: str) -> pd.DataFrame:
    table = section[section.index('<table class="counts ehsa">'):]
    table = table[:table.index("</table>")]
    head = re.findall(r"<th>(.*?)</th>", table)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)[1:]]
    frame = pd.DataFrame(rows, columns=head).set_index("Pattern")
    return frame.apply(lambda column: column.str.replace(",", "").astype(int))


def test_report_has_the_section_with_the_pattern_counts_of_the_analysis(demo):
    result, written = demo
    report = written.report.read_text(encoding="utf-8")
    assert '<a href="#emerging">Emerging hot spots</a>' in report
    section = _section(report, "emerging")
    counts = _count_table(section)
    assert list(counts.columns) == [s.ksic for s in result.sectors] + ["All sectors"]
    emerging = result.emerging
    for k, ksic in enumerate(emerging.sectors):
        expected = Counter(emerging.pattern[:, k])
        shown = counts[ksic]
        assert {p: n for p, n in shown.items() if n} == dict(expected), ksic
    assert counts["All sectors"].sum() == len(result.regions) * len(result.sectors)
    assert set(counts.index) <= {name for _, name in EHSA_NAMES} | {UNDEFINED}
    # one figure per sector: every period and the pattern, in rows of small panels
    assert section.count('<div class="emerging">') == len(result.sectors)
    figure = section[section.index("<b>732 specialized design"):]
    figure = figure[:figure.index('<div class="emerging">') if '<div class="emerging">' in figure else None]
    captions = re.findall(r'<div class="heads"[^>]*>(.*?)</div>', figure)
    panels = [span for row in captions for span in re.findall(r"<span>(.*?)</span>", row)]
    assert panels == [p.label for p in result.periods] + [f"pattern {SPAN}"]
    assert len(re.findall(r'src="data:image/png;base64,', figure)) == 2  # 12 panels in 2 images


def test_report_stays_small(demo):
    result, written = demo
    section = _section(written.report.read_text(encoding="utf-8"), "emerging")
    assert len(section.encode()) < 30_000 * len(result.sectors), len(section)  # 12 panels per sector in 2 images


# --- without emerging hot spots ----------------------------------------------------------------------------------


def test_without_emerging_hot_spots_nothing_of_them_is_written(short):
    result, written = short
    assert result.emerging is None and "ehsa_pattern" not in result.table.columns
    layers = {name for name, _ in pyogrio.list_layers(written.geopackage)}
    assert "emerging_hotspots" not in layers and "emerging_hotspots_table" not in layers
    assert _query(written.geopackage, "SELECT count(*) FROM layer_styles WHERE f_table_name LIKE 'emerging%'") == [(0,)]
    assert "emerging" not in read_project(written.geopackage)
    assert not any("space_time" in p.name for p in written.tables)
    assert not list(written.geopackage.parent.glob("space_time_gi*"))
    report = written.report.read_text(encoding="utf-8")
    assert 'id="emerging"' not in report and "Emerging hot spots" not in report
    page = (written.maps[0].parent / "sector_732.html").read_text(encoding="utf-8")
    assert "Emerging hot spots" not in page and '"ehk"' not in page
    assert all('"ehk"' not in json.dumps(f["properties"]) for f in _regions_json(page)["features"])
    assert "Emerging hot spots" not in written.summary.read_text(encoding="utf-8")


def test_summary_counts_the_patterns(demo):
    result, written = demo
    text = written.summary.read_text(encoding="utf-8")
    assert "Emerging hot spots 2012–2022" in text
    found = Counter(result.emerging.pattern.ravel().tolist())
    for kind in ("hot", "cold"):
        line = next(line for line in text.splitlines() if line.strip().startswith(f"{kind} spots:"))
        listed = {f"{word.capitalize()} {kind.capitalize()} Spot": int(n)
                  for n, word in re.findall(r"(\d+) (\w+)", line)}
        assert listed == {name: n for name, n in found.items() if name.endswith(f"{kind.capitalize()} Spot")}
