"""The synthetic demo data: seeded, consistent, and following the designed scenario."""

import json

import pandas as pd
import pytest

from kibs_spatial.analysis.indicators import compute_indicators
from kibs_spatial.analysis.periods import parse_period
from kibs_spatial.analysis.sectors import KIBS_SECTORS
from kibs_spatial.io.boundaries import load_bundled_regions
from kibs_spatial.io.demo import (
    DEMO_SEED,
    DEMO_YEARS,
    METADATA_FILE,
    SECTOR_FILE,
    TOTALS_FILE,
    generate_demo_data,
)
from kibs_spatial.resources import data_path


@pytest.fixture(scope="module")
def regions():
    return load_bundled_regions("sigungu")


@pytest.fixture(scope="module")
def demo(regions):
    return generate_demo_data(regions)


def test_bundled_files_are_what_the_generator_makes(demo):
    shipped = pd.read_csv(data_path("demo", SECTOR_FILE), dtype={"region_code": str, "ksic": str})
    pd.testing.assert_frame_equal(shipped, demo.sectors, check_dtype=False)
    totals = pd.read_csv(data_path("demo", TOTALS_FILE), dtype={"region_code": str})
    pd.testing.assert_frame_equal(totals, demo.totals, check_dtype=False)
    metadata = json.loads(data_path("demo", METADATA_FILE).read_text(encoding="utf-8"))
    assert metadata["synthetic"] is True and "SYNTHETIC" in metadata["title"]
    assert "synthetic" in SECTOR_FILE and "synthetic" in TOTALS_FILE


def test_seeded(regions, demo):
    again = generate_demo_data(regions, seed=DEMO_SEED)
    pd.testing.assert_frame_equal(again.sectors, demo.sectors)
    other = generate_demo_data(regions, seed=DEMO_SEED + 1)
    assert not other.sectors["employees"].equals(demo.sectors["employees"])


def test_complete_and_consistent(regions, demo):
    assert len(demo.sectors) == len(regions) * len(KIBS_SECTORS) * len(DEMO_YEARS)
    assert set(demo.sectors["year"]) == set(range(2012, 2023))
    kibs = demo.sectors.groupby(["region_code", "year"])["employees"].sum()
    totals = demo.totals.set_index(["region_code", "year"])["total_employees"]
    assert (kibs <= totals.loc[kibs.index]).all()
    assert ((demo.sectors["employees"] > 0) | (demo.sectors["establishments"] == 0)).all()


def _top(demo, regions, ksic, n):
    sector = tuple(s for s in KIBS_SECTORS if s.ksic == ksic)
    lq = compute_indicators(demo.sectors.assign(period=demo.sectors["year"].astype(str)),
                            demo.totals.assign(period=demo.totals["year"].astype(str)), regions["region_code"].tolist(),
                            sector, (parse_period("2012"), parse_period("2022")))
    lq = lq[lq["period"] == "2022"]
    big = lq[lq["employees"] >= 100]  # rank regions with a real presence, not tiny counties
    return set(big.nlargest(n, "lq")["region_code"])


def test_scenario_design_in_gangnam_rnd_outside(regions, demo):
    gangnam_and_centre = {"11680", "11650", "11710", "11140"}  # Gangnam, Seocho, Songpa; Jung-gu
    assert _top(demo, regions, "732", 2) <= gangnam_and_centre
    assert _top(demo, regions, "713", 2) <= gangnam_and_centre
    assert {"30200", "41135", "41117", "41590"} & _top(demo, regions, "701", 4)
    assert "11680" not in _top(demo, regions, "701", 10)
    assert {"11440", "11530", "11545", "41135"} & _top(demo, regions, "62", 4)


def _lq_path(demo, regions, ksic, region):
    sector = tuple(s for s in KIBS_SECTORS if s.ksic == ksic)
    periods = tuple(parse_period(str(y)) for y in DEMO_YEARS)
    lq = compute_indicators(demo.sectors.assign(period=demo.sectors["year"].astype(str)),
                            demo.totals.assign(period=demo.totals["year"].astype(str)), regions["region_code"].tolist(),
                            sector, periods)
    return lq[lq["region_code"] == region].set_index("period")["lq"]


@pytest.mark.parametrize(("ksic", "region", "factor"), [
    ("582", "41135", 1.3),   # Pangyo's software rises from about 2015 (from an LQ of about 3.5)
    ("702", "36110", 3.0),   # Sejong's social-science R&D arrives with the ministries, about 2014
    ("701", "41590", 2.0),   # Hwaseong's R&D, about 2018
    ("7212", "48310", 0.6),  # Geoje's engineering fades with shipbuilding, about 2016
])
def test_scenario_changes_over_the_decade(regions, demo, ksic, region, factor):
    lq = _lq_path(demo, regions, ksic, region)
    early, late = lq[["2012", "2013"]].mean(), lq[["2021", "2022"]].mean()
    if factor > 1:
        assert late >= factor * early, (early, late)
    else:
        assert late <= factor * early, (early, late)
