"""The offline HTML report on the bundled demo data, and the Moran scatterplot's coordinates."""

import base64
import dataclasses
import html
import io
import math
import re

import libpysal
import numpy as np
import pandas as pd
import pytest

from kibs_spatial.analysis.statistics import global_moran
from kibs_spatial.cli import main
from kibs_spatial.errors import InputError
from kibs_spatial.io.config import load_config
from kibs_spatial.outputs.report import render_report, report_links, write_report
from kibs_spatial.symbology import GI_ENTRIES, LISA_ENTRIES, LQ_ENTRIES

SECTIONS = 8  # with "Emerging hot spots": the demo has 11 periods


@pytest.fixture(scope="module")
def demo_run(demo_result):
    return demo_result


@pytest.fixture(scope="module")
def demo_contrast(demo_run):
    return demo_run.contrast


@pytest.fixture(scope="module")
def demo_html(demo_run):
    return render_report(demo_run)


def test_demo_scenario_technology_sits_farther_from_gangnam(demo_contrast):
    by_code = {s.ksic: s for s in demo_contrast.sectors}
    tech = [s.mean_distance_km for s in demo_contrast.sectors if s.kind == "technology"]
    prof = [s.mean_distance_km for s in demo_contrast.sectors if s.kind == "professional"]
    assert np.mean(tech) > np.mean(prof)
    test = demo_contrast.test
    assert test.statistic == pytest.approx(np.mean(tech) - np.mean(prof))
    # by design Sejong takes social-science R&D (702, professional) 65 km out in the 11-year panel: p = 0.17
    assert test.relabellings == math.comb(14, 7) and test.p_value < 0.25
    # the generator anchors design and advertising in Gangnam/Seocho, engineering in the south-east
    assert by_code["732"].gangnam_share > 3 * demo_contrast.gangnam_total_share
    assert by_code["713"].gangnam_share > by_code["62"].gangnam_share
    assert by_code["7212"].mean_distance_km == max(tech)
    assert by_code["732"].share_within[20.0] > by_code["7212"].share_within[20.0]


def test_report_says_synthetic_in_the_banner_and_every_section(demo_html):
    assert "SYNTHETIC DEMO DATA" in demo_html and "not findings about Korea" in demo_html
    assert demo_html.count("<section") == SECTIONS
    assert demo_html.count('<span class="tag">SYNTHETIC</span>') == SECTIONS
    assert "(SYNTHETIC demo data)</title>" in demo_html


def test_report_embeds_every_figure_and_fetches_nothing(demo_html):
    images = re.findall(r'<img [^>]*src="([^"]*)"', demo_html)
    # mean distance, distance decay, Moran scatterplots; one map figure per sector; two rows of small multiples of the
    # space-time Gi* per sector (emerging hot spots)
    assert len(images) == 3 + 14 + 2 * 14
    assert all(src.startswith("data:image/png;base64,") and len(src) > 5000 for src in images)
    assert not re.search(r"""<(script|link|img|iframe|source)\b[^>]*(src|href)\s*=\s*["']?\s*(https?:)?//""", demo_html, re.I)
    assert "<script" not in demo_html and "@import" not in demo_html and "url(" not in demo_html


def test_report_contents(demo_run, demo_html):
    promising = demo_run.latest()["promising"].sum()
    assert f"<b>{promising}</b> promising cluster locations" in demo_html
    for phrase in ("distance-decay profile", "exact one-sided", "3432 relabellings",
                   "Moran scatterplots of every sector", "queen:tolerance=500", "seed 20140582", "FDR bh"):
        assert phrase in demo_html, phrase
    assert "서초구" in demo_html  # Korean unit names in the HTML text


def _png_width(data_uri: str) -> int:
    from PIL import Image

    return Image.open(io.BytesIO(base64.b64decode(data_uri.split(",", 1)[1]))).width


def test_every_figure_is_at_least_600_pixels_wide(demo_html):
    images = re.findall(r'<img alt="([^"]*)" src="([^"]*)"', demo_html)
    widths = {alt: _png_width(src) for alt, src in images}
    assert min(widths.values()) >= 600, widths


def test_tables_have_human_headers_and_formatted_numbers(demo_html):
    headers = {html.unescape(h) for h in re.findall(r"<th>([^<]*)</th>", demo_html)}
    for raw in ("moran_i", "z_rand", "p_sim", "expected_i", "gangnam_share", "mean_distance_km", "lisa_cl", "gi_bin", "cagr"):
        assert raw not in headers, raw
    assert {"Moran's I", "p (permutations)", "z (randomisation)", "Growth per year", "Hot spot (Gi*)"} <= headers
    locations = demo_html[demo_html.index('id="locations"'):demo_html.index('id="gangnam"')]
    assert re.search(r"<td class=\"n\">-?\d+\.\d %</td>", locations)  # growth as a percentage
    cells = re.findall(r"<td>([^<]*)</td><td>([^<]*)</td><td>(?:yes|no)</td></tr>", locations)  # LISA, Gi*, capital
    assert cells and all(lisa in {e.label for e in LISA_ENTRIES} and gi in {e.label for e in GI_ENTRIES}
                         for lisa, gi in cells)
    assert not re.search(r"<td class=\"n\">[0-3]\.000</td>", locations)  # no bins or CAGR as bare decimals
    assert "1 presets" not in demo_html and "1 islands" not in demo_html and "1 components" not in demo_html
    assert re.search(r"by 1 preset: \d", demo_html) and "1 island (47940)" in demo_html


def test_a_map_per_sector_in_the_web_maps_colours(demo_run, demo_html):
    maps = demo_html[demo_html.index('id="maps"'):demo_html.index('id="locations"')]
    assert maps.count('<figure class="sector-map">') == len(demo_run.sectors)
    for entries in (LQ_ENTRIES, LISA_ENTRIES, GI_ENTRIES):
        for entry in entries[:5]:
            assert f"background:{entry.fill}" in maps and entry.label in maps
    latest = demo_run.latest()
    hh = int(((latest["ksic"] == "732") & (latest["lisa_cl"] == "HH")).sum())
    figure = maps[maps.index("732 specialized design"):]
    assert f"HH cluster: high value, high neighbours ({hh})" in figure[:figure.index("</figure>")]


def test_map_images_use_the_palette_of_the_classes(demo_run):
    from PIL import Image

    from kibs_spatial.outputs.maps.features import sector_table
    from kibs_spatial.outputs.report.maps import (
        class_keys,
        palette,
        report_grids,
        sector_map_png,
    )

    grids = report_grids(demo_run.regions)
    assert [g.name for g in grids] == ["whole country", "capital region"]
    table = sector_table(demo_run.regions, demo_run.latest(), demo_run.sectors[-1])
    image = Image.open(io.BytesIO(sector_map_png(grids, class_keys(table), table["promising"].to_numpy())))
    colours, index = palette()
    used = {colours[i] for i in np.unique(np.asarray(image))}
    hh = (table["lisa_cl"] == "HH").any()
    assert ("#d7191c" in used) == hh and "#000000" in used  # HH red where there are HH units; promising outlines
    assert image.width >= 1300 and image.mode == "P"


def test_report_links_the_maps_and_the_files_relatively(demo_run, demo_html, tmp_path):
    out = tmp_path / "out"
    links, files = report_links(demo_run, out, out / "maps" / "index.html", [("the GeoPackage", out / "kibs.gpkg")])
    assert links["index"] == "maps/index.html" and links["732"] == "maps/sector_732.html"
    assert files == [("the GeoPackage", "kibs.gpkg")]
    elsewhere, _ = report_links(demo_run, tmp_path / "output", tmp_path / "maps" / "index.html")
    assert elsewhere["index"] == "../maps/index.html"  # the bundled run's layout: output/ and maps/ side by side
    text = render_report(demo_run, links, files)
    assert 'href="maps/index.html"' in text and 'href="maps/sector_732.html"' in text and 'href="kibs.gpkg"' in text
    assert 'href="maps/' not in demo_html  # without maps, no dead links


def test_moran_scatter_points_by_hand():
    # chain a - b - c - d, values 1, 2, 3, 6: mean 3, population sd sqrt(3.5)
    w = libpysal.weights.W({"a": ["b"], "b": ["a", "c"], "c": ["b", "d"], "d": ["c"]})
    original = w.transform
    (result,) = global_moran(w, np.array([1.0, 2.0, 3.0, 6.0]), permutations=0)
    s = math.sqrt(3.5)
    assert result.z == pytest.approx(np.array([-2, -1, 0, 3]) / s)
    assert result.lag == pytest.approx(np.array([-1, -1, 1, 0]) / s)  # b: (-2 + 0) / 2, c: (-1 + 3) / 2
    assert w.transform == original  # the caller's W is not modified
    # a - b - c - d - e with b missing: a is left without a neighbour (no lag), the others restandardise
    w = libpysal.weights.W({"a": ["b"], "b": ["a", "c"], "c": ["b", "d"], "d": ["c", "e"], "e": ["d"]})
    (gap,) = global_moran(w, np.array([1.0, np.nan, 3.0, 6.0, 8.0]), permutations=0)
    z = (np.array([1, 3, 6, 8]) - 4.5) / np.std([1, 3, 6, 8])
    assert np.isnan(gap.z[1]) and np.isnan(gap.lag[0]) and np.isnan(gap.lag[1])
    assert gap.z[[0, 2, 3, 4]] == pytest.approx(z)
    assert gap.lag[[2, 3, 4]] == pytest.approx([z[2], (z[1] + z[3]) / 2, z[2]])


def test_moran_scatter_slope_is_the_global_morans_i(demo_run):
    points = demo_run.scatter[(demo_run.scatter["ksic"] == "732") & (demo_run.scatter["period"] == "2022")]
    linked = points[points["lag"].notna()]
    n, s0 = len(points), len(linked)  # row-standardised: S0 = units with a neighbour
    slope = n / s0 * (linked["z"] @ linked["lag"]) / (points["z"] @ points["z"])
    moran = demo_run.global_moran.set_index(["ksic", "period"]).loc[("732", "2022"), "moran_i"]
    latest = demo_run.latest()
    assert n == latest.loc[latest["ksic"] == "732", "lq"].notna().sum() and s0 == n - 1  # Ulleung
    assert slope == pytest.approx(moran, rel=1e-9)


def test_report_without_the_gangnam_area_says_why(demo_run, tmp_path):
    config = dataclasses.replace(demo_run.config, contrast=dataclasses.replace(demo_run.config.contrast, area=("99999",)))
    run = dataclasses.replace(demo_run, config=config, contrast=None, area=None)
    path = write_report(run, tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    assert "Not computed" in text and "99999" in text


def test_contrast_radii_from_the_analysis_file(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text("[contrast]\nradii_km = [5, 15.5]\n", encoding="utf-8")
    assert load_config(good).contrast.radii_km == (5, 15.5)
    bad = tmp_path / "bad.toml"
    bad.write_text("[contrast]\nradii_km = [10, -5]\n", encoding="utf-8")
    with pytest.raises(InputError, match="radii_km"):
        load_config(bad)


def test_run_writes_the_report_and_the_contrast_table(tmp_path):
    code = main(["run", "--output", str(tmp_path / "out"), "--maps-dir", str(tmp_path / "maps"),
                 "--permutations", "99", "--quiet"])
    assert code == 0
    report = tmp_path / "out" / "report_synthetic.html"
    text = report.read_text(encoding="utf-8")
    assert "SYNTHETIC DEMO DATA" in text and 'href="../maps/index.html"' in text
    assert 'href="kibs_clusters_synthetic.gpkg"' in text and 'href="rasters"' in text
    index = (tmp_path / "maps" / "index.html").read_text(encoding="utf-8")
    assert 'href="../out/report_synthetic.html"' in index and 'href="../out/kibs_clusters_synthetic.gpkg"' in index
    table = pd.read_csv(tmp_path / "out" / "gangnam_contrast_synthetic.csv", dtype={"ksic": str})
    assert len(table) == 14 and table["data_source"].str.contains("SYNTHETIC").all()
    for column in ("gangnam_share", "mean_distance_km", "share_within_10km", "share_within_20km", "share_within_50km",
                   "centre_x", "centre_y", "standard_distance_km"):
        assert column in table.columns
    assert not list(tmp_path.glob("out/.*part*"))  # no temporary file left behind
