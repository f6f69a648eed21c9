"""Gangnam contrast measures and the exact permutation test, against values computed by hand.

The toy layer: four 10 km squares in a row, A [0, 10] km, B [10, 20], C [20, 30] and D [40, 50]
(a gap between C and D), all 10 km high. The "Gangnam area" is A, so the distances from the unit
centres to it are A 0, B 5, C 15, D 35 km; the centroids are at x = 5, 15, 25, 45 km.
"""

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from kibs_spatial.analysis.contrast import (
    centre_of_gravity,
    decay_profile,
    distance_to_area_km,
    gangnam_area,
    gangnam_contrast,
    kind_difference_test,
    share_within,
    weighted_mean,
)
from kibs_spatial.analysis.sectors import Sector
from kibs_spatial.errors import InputError

KM = 1000.0
S1 = Sector("s1", "toy technology", "toy", "technology")
S2 = Sector("s2", "toy professional", "toy", "professional")


@pytest.fixture()
def toy_regions():
    boxes = [box(0, 0, 10 * KM, 10 * KM), box(10 * KM, 0, 20 * KM, 10 * KM), box(20 * KM, 0, 30 * KM, 10 * KM),
             box(40 * KM, 0, 50 * KM, 10 * KM)]
    return gpd.GeoDataFrame({"region_code": list("ABCD"), "name_ko": list("ABCD"), "name_en": ["a", "b", "c", "d"]},
                            geometry=boxes, crs="EPSG:5179")


@pytest.fixture()
def toy_results():
    s1 = [10, 20, 30, 40]
    s2 = [50, 50, 0, np.nan]  # D suppressed: left out, not zero
    rows = [{"region_code": c, "ksic": "s1", "employees": float(e), "total_employees": 1000.0} for c, e in zip("ABCD", s1)]
    rows += [{"region_code": c, "ksic": "s2", "employees": e, "total_employees": 1000.0} for c, e in zip("ABCD", s2)]
    return pd.DataFrame(rows)


def test_distance_is_zero_inside_the_area_and_to_its_edge_outside(toy_regions):
    area = gangnam_area(toy_regions, ("A",))
    distance = distance_to_area_km(toy_regions, area)
    assert distance.to_dict() == pytest.approx({"A": 0.0, "B": 5.0, "C": 15.0, "D": 35.0})


def test_weighted_summaries_by_hand():
    d = np.array([0.0, 5.0, 15.0, 35.0])
    w = np.array([10.0, 20.0, 30.0, 40.0])
    assert weighted_mean(d, w) == pytest.approx(19.5)  # (0*10 + 5*20 + 15*30 + 35*40) / 100
    assert share_within(d, w, 10) == pytest.approx(0.3)
    assert share_within(d, w, 15) == pytest.approx(0.6)  # the radius itself is inside
    assert share_within(d, w, 50) == pytest.approx(1.0)
    assert weighted_mean(d, np.array([50.0, 50.0, 0.0, np.nan])) == pytest.approx(2.5)
    assert math.isnan(weighted_mean(d, np.zeros(4)))


def test_centre_of_gravity_and_standard_distance_by_hand():
    x, y = np.array([5.0, 15.0, 25.0, 45.0]), np.full(4, 5.0)
    cx, cy, sd = centre_of_gravity(x, y, np.array([10.0, 20.0, 30.0, 40.0]))
    assert (cx, cy) == pytest.approx((29.0, 5.0))
    # sum w (x - 29)^2 = 10*576 + 20*196 + 30*16 + 40*256 = 20400; / 100 = 204
    assert sd == pytest.approx(math.sqrt(204.0))


def test_sector_contrast_on_the_toy_layer(toy_regions, toy_results):
    contrast = gangnam_contrast(toy_regions, toy_results, (S1, S2), gangnam_area(toy_regions, ("A",)), radii_km=(10, 20, 50))
    assert contrast.gangnam_total_share == pytest.approx(0.25)
    s1, s2 = contrast.sectors
    assert s1.units == 4 and s1.employees == 100
    assert s1.gangnam_share == pytest.approx(0.1) and s1.gangnam_lq == pytest.approx(0.4)
    assert s1.mean_distance_km == pytest.approx(19.5)
    assert s1.share_within == pytest.approx({10.0: 0.3, 20.0: 0.6, 50.0: 1.0})
    assert (s1.centre_x, s1.centre_y) == pytest.approx((29 * KM, 5 * KM))
    assert s1.centre_distance_km == pytest.approx(19.0) and s1.centre_unit == "c"
    assert s1.standard_distance_km == pytest.approx(math.sqrt(204.0))
    assert s2.units == 3 and s2.employees == 100 and s2.gangnam_share == pytest.approx(0.5)
    assert s2.mean_distance_km == pytest.approx(2.5)
    # one technology and one professional sector: 2 relabellings, observed T = 19.5 - 2.5 is the larger
    assert contrast.test.statistic == pytest.approx(17.0) and contrast.test.p_value == pytest.approx(0.5)
    frame = contrast.to_frame()
    assert list(frame["share_within_20km"]) == pytest.approx([0.6, 1.0])


def test_missing_count_in_the_area_makes_the_gangnam_share_missing(toy_regions, toy_results):
    toy_results.loc[(toy_results["region_code"] == "A") & (toy_results["ksic"] == "s1"), "employees"] = np.nan
    s1 = gangnam_contrast(toy_regions, toy_results, (S1,), gangnam_area(toy_regions, ("A",))).sectors[0]
    assert math.isnan(s1.gangnam_share)
    assert s1.mean_distance_km == pytest.approx((5 * 20 + 15 * 30 + 35 * 40) / 90)


def test_decay_profile_is_the_cumulative_share_by_distance(toy_regions, toy_results):
    distance = distance_to_area_km(toy_regions, gangnam_area(toy_regions, ("A",)))
    employees = toy_results.pivot(index="region_code", columns="ksic", values="employees")
    profile = decay_profile(distance, employees, (S1,), step_km=5)
    assert list(profile["distance_km"]) == [0, 5, 10, 15, 20, 25, 30, 35]
    assert list(profile["share_within"]) == pytest.approx([0.1, 0.3, 0.3, 0.6, 0.6, 0.6, 0.6, 1.0])


def test_exact_permutation_p_by_hand():
    # tech {10, 8}, prof {2, 4}: T = 9 - 3 = 6; the 6 relabellings give 6, 0, 2, -2, 0, -6
    result = kind_difference_test([10, 8, 2, 4], ["technology", "technology", "professional", "professional"])
    assert result.statistic == pytest.approx(6.0)
    assert result.relabellings == 6 and result.p_value == pytest.approx(1 / 6)
    # tech {10, 2}, prof {8, 4}: T = 0; relabellings with T* >= 0: 6, 0, 2, 0 -> 4 of 6 (ties count)
    assert kind_difference_test([10, 2, 8, 4], ["technology", "technology", "professional", "professional"]).p_value \
        == pytest.approx(4 / 6)
    assert kind_difference_test([5, 5, 5, 5], ["technology", "professional"] * 2).p_value == 1.0


def test_permutation_over_fourteen_sectors_enumerates_every_relabelling():
    kinds = ["technology"] * 7 + ["professional"] * 7
    result = kind_difference_test(list(range(14, 0, -1)), kinds)  # every tech farther than every prof
    assert result.relabellings == math.comb(14, 7) == 3432
    assert result.p_value == pytest.approx(1 / 3432)
    assert result.statistic == pytest.approx(7.0)


def test_test_needs_both_kinds_and_skips_undefined_distances():
    assert math.isnan(kind_difference_test([1.0, 2.0], ["technology", "technology"]).p_value)
    result = kind_difference_test([3.0, float("nan"), 1.0], ["technology", "technology", "professional"])
    assert result.relabellings == 2 and result.technology == 1 and result.statistic == pytest.approx(2.0)


def test_unknown_area_code_is_an_input_error(toy_regions, toy_results):
    with pytest.raises(InputError, match="ZZ"):
        gangnam_area(toy_regions, ("ZZ",))
