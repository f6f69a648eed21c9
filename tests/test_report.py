"""The offline HTML report on the bundled demo data, and the Moran scatterplot's coordinates."""

import dataclasses
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
from kibs_spatial.outputs.report import render_report, write_report

SECTIONS = 5


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
    assert test.relabellings == math.comb(14, 7) and test.p_value < 0.05
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
    assert len(images) == 2 + 14  # mean distance, distance decay, one Moran scatterplot per sector
    assert all(src.startswith("data:image/png;base64,") and len(src) > 5000 for src in images)
    assert not re.search(r"""<(script|link|img|iframe|source)\b[^>]*(src|href)\s*=\s*["']?\s*(https?:)?//""", demo_html, re.I)
    assert "<script" not in demo_html and "@import" not in demo_html and "url(" not in demo_html


def test_report_contents(demo_run, demo_html):
    promising = demo_run.latest()["promising"].sum()
    assert f"<b>{promising}</b> promising cluster locations" in demo_html
    for phrase in ("distance-decay profile", "exact one-sided", "3432 relabellings",
                   "Moran scatterplot 732", "queen:tolerance=500", "seed 20140582", "FDR bh"):
        assert phrase in demo_html, phrase
    assert "서초구" in demo_html  # Korean unit names in the HTML text


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
    assert "SYNTHETIC DEMO DATA" in report.read_text(encoding="utf-8")
    table = pd.read_csv(tmp_path / "out" / "gangnam_contrast_synthetic.csv", dtype={"ksic": str})
    assert len(table) == 14 and table["data_source"].str.contains("SYNTHETIC").all()
    for column in ("gangnam_share", "mean_distance_km", "share_within_10km", "share_within_20km", "share_within_50km",
                   "centre_x", "centre_y", "standard_distance_km"):
        assert column in table.columns
    assert not list(tmp_path.glob("out/.*part*"))  # no temporary file left behind
