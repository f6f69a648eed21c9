"""Location quotients, shares, growth, shift-share and concentration against tables computed by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from kibs_spatial.analysis.concentration import (
    concentration_table,
    hoover_coefficient,
    locational_gini,
)
from kibs_spatial.analysis.indicators import (
    compound_annual_growth,
    compute_indicators,
    empirical_bayes_lq,
    location_quotient,
    lq_confidence_interval,
    lq_growth_quadrant,
    shift_share,
)
from kibs_spatial.analysis.periods import Period, parse_period
from kibs_spatial.analysis.sectors import get_sectors

PERIODS = (Period("2012", 2012), Period("2022", 2022))


def last(result: pd.DataFrame) -> pd.DataFrame:
    """The rows of the last period, by region."""
    return result[result["period"] == "2022"].set_index("region_code")


def _tables():
    # Totals 100/200/700 (sum 1000); sector 732 has 10/10/30 (sum 50): national share 5 %.
    # Region D has a suppressed (missing) sector count and must not enter the national sums.
    sectors = pd.DataFrame({
        "region_code": ["A", "B", "C", "D"] * 2,
        "period": ["2012"] * 4 + ["2022"] * 4,
        "ksic": "732",
        "employees": [5, 0, 30, 7, 10, 10, 30, None],
        "establishments": [1, 0, 3, 1, 2, 2, 3, None],
    })
    totals = pd.DataFrame({
        "region_code": ["A", "B", "C", "D"] * 2,
        "period": ["2012"] * 4 + ["2022"] * 4,
        "total_employees": [100, 200, 700, 50, 100, 200, 700, 50],
    })
    return sectors, totals


def test_location_quotient_by_hand():
    lq = location_quotient(pd.Series([10.0, 10.0, 30.0]), pd.Series([100.0, 200.0, 700.0]))
    assert lq.tolist() == pytest.approx([2.0, 1.0, (30 / 700) / 0.05])


def test_location_quotient_leaves_missing_out_of_the_national_sums():
    lq = location_quotient(pd.Series([10.0, 10.0, 30.0, np.nan]), pd.Series([100.0, 200.0, 700.0, 5000.0]))
    assert lq.iloc[:3].tolist() == pytest.approx([2.0, 1.0, (30 / 700) / 0.05])
    assert math.isnan(lq.iloc[3])


def test_compound_annual_growth():
    growth = compound_annual_growth(pd.Series([5.0, 0.0, np.nan, 40.0]), pd.Series([10.0, 10.0, 3.0, 10.0]), 10)
    assert growth.iloc[0] == pytest.approx(2 ** 0.1 - 1)
    assert math.isnan(growth.iloc[1]) and math.isnan(growth.iloc[2])  # no base, no growth rate
    assert growth.iloc[3] == pytest.approx(0.25 ** 0.1 - 1)


def test_compute_indicators_table():
    sectors, totals = _tables()
    result = last(compute_indicators(sectors, totals, ["A", "B", "C", "D"], get_sectors(["732"]), PERIODS))
    assert result.loc[["A", "B", "C"], "lq"].tolist() == pytest.approx([2.0, 1.0, (30 / 700) / 0.05])
    assert result.loc[["A", "B", "C"], "share"].tolist() == pytest.approx([0.2, 0.2, 0.6])
    # 2012: sector 35 of 1000 in A, B, C (D's 7 of 50 counts too: 42 / 1050)
    assert result.loc["A", "lq_start"] == pytest.approx((5 / 100) / (42 / 1050))
    assert result.loc["A", "cagr"] == pytest.approx(2 ** 0.1 - 1)
    assert math.isnan(result.loc["B", "cagr"])
    assert result.loc["C", "cagr"] == pytest.approx(0.0)
    assert result.loc["D", ["employees", "lq", "share", "cagr"]].isna().all()
    assert result.loc["D", "employees_start"] == 7


def test_region_without_rows_is_missing_not_zero():
    sectors, totals = _tables()
    result = last(compute_indicators(sectors, totals, ["A", "B", "C", "D", "E"], get_sectors(["732"]), PERIODS))
    assert result.loc["E", ["employees", "establishments", "lq"]].isna().all()


# --- Extended indicators on a second hand-computed table -------------------------------------
# Five regions, total employment 100 each in 2012 and 110 in 2022 (study-area growth g = 0.1).
# Sector 732: 2012 = 20, 10, 10, 40, 0 (sum 80); 2022 = 40, 10, 15, 40, 0 (sum 105): g_s = 0.3125.
# Region M has 5 employees in 2012 and a suppressed 2022 count: it must stay out of the growth sums.
# Total establishments 10 each; sector establishments 2022 = 4, 1, 2, 3, 0 (sum 10): national 0.2.
def _growth_tables(every_period: bool = False):
    codes = ["A", "B", "C", "D", "Z", "M"]
    sectors = pd.DataFrame({
        "region_code": codes * 2, "period": ["2012"] * 6 + ["2022"] * 6, "ksic": "732",
        "employees": [20, 10, 10, 40, 0, 5, 40, 10, 15, 40, 0, None],
        "establishments": [2, 1, 1, 3, 0, 1, 4, 1, 2, 3, 0, None],
    })
    totals = pd.DataFrame({
        "region_code": codes * 2, "period": ["2012"] * 6 + ["2022"] * 6,
        "total_employees": [100] * 6 + [110] * 6, "total_establishments": [10] * 12,
    })
    result = compute_indicators(sectors, totals, codes, get_sectors(["732"]), PERIODS)
    return result if every_period else last(result)


def test_growth_against_the_national_sector_growth():
    t = _growth_tables()
    national = 1.3125 ** 0.1 - 1  # 105 / 80 over the regions known in both years (M left out)
    assert t["cagr_national"].tolist() == pytest.approx([national] * 6)
    assert t.loc["A", "cagr_diff"] == pytest.approx(2 ** 0.1 - 1 - national)
    assert t.loc["B", "cagr_diff"] == pytest.approx(-national)
    assert math.isnan(t.loc["Z", "cagr_diff"]) and math.isnan(t.loc["M", "cagr_diff"])
    assert t.loc["M", ["lq", "lq_eb", "lq_ci_low", "share"]].isna().all()  # suppressed stays missing


def test_shift_share_by_hand():
    t = _growth_tables()
    # NS = E0 * 0.1; IM = E0 * (0.3125 - 0.1); RS = E1 - E0 * 1.3125
    assert t.loc[list("ABCDZ"), "ss_national"].tolist() == pytest.approx([2.0, 1.0, 1.0, 4.0, 0.0])
    assert t.loc[list("ABCDZ"), "ss_industry_mix"].tolist() == pytest.approx([4.25, 2.125, 2.125, 8.5, 0.0])
    assert t.loc[list("ABCDZ"), "ss_regional_shift"].tolist() == pytest.approx([13.75, -3.125, 1.875, -12.5, 0.0])
    assert t.loc["M", ["ss_national", "ss_industry_mix", "ss_regional_shift"]].isna().all()
    parts = t[["ss_national", "ss_industry_mix", "ss_regional_shift"]].sum(axis=1)
    assert parts.loc[list("ABCDZ")].tolist() == pytest.approx([20.0, 0.0, 5.0, 0.0, 0.0])


def test_lq_growth_quadrants():
    t = _growth_tables()
    # LQ 2022 = E / 105 * 5: A 1.90 and D 1.90 specialised; B 0.48, C 0.71 not.
    assert t.loc["A", "lq"] == pytest.approx(40 / 105 * 5)
    assert t.loc[list("ABCD"), "lq_growth_quadrant"].tolist() == ["star", "transforming", "emerging", "mature"]
    assert t.loc["Z", "lq_growth_quadrant"] is None and t.loc["M", "lq_growth_quadrant"] is None


def test_establishment_lq():
    t = _growth_tables()
    assert t.loc[list("ABCDZ"), "lq_est"].tolist() == pytest.approx([2.0, 0.5, 1.0, 1.5, 0.0])
    assert math.isnan(t.loc["M", "lq_est"])


def test_establishment_lq_is_missing_without_total_establishments():
    sectors, totals = _tables()
    result = compute_indicators(sectors, totals, ["A", "B", "C", "D"], get_sectors(["732"]), PERIODS)
    assert result["lq_est"].isna().all()


def test_empirical_bayes_lq_by_hand():
    # b = 50 / 1000 = 0.05; s2 = (100 * 0.05^2 + 0 + 700 * (30/700 - 0.05)^2) / 1000 = 0.00028571;
    # a = s2 - 0.05 / (1000 / 3) = 0.00013571; w_A = a / (a + 0.05 / 100) = 0.21348.
    employees, totals = pd.Series([10.0, 10.0, 30.0]), pd.Series([100.0, 200.0, 700.0])
    s2 = (100 * 0.05 ** 2 + 700 * (30 / 700 - 0.05) ** 2) / 1000
    a = s2 - 0.05 / (1000 / 3)
    expected = [(0.05 + a / (a + 0.05 / t) * (e / t - 0.05)) / 0.05 for e, t in zip([10, 10, 30], [100, 200, 700])]
    lq_eb = empirical_bayes_lq(employees, totals)
    assert lq_eb.tolist() == pytest.approx(expected)
    assert lq_eb.iloc[0] == pytest.approx(1.213483, abs=1e-6)
    assert lq_eb.iloc[1] == pytest.approx(1.0)  # a region at the pooled rate does not move


def test_empirical_bayes_lq_matches_esda():
    from esda.smoothing import Empirical_Bayes

    rng = np.random.default_rng(5)
    totals = rng.integers(200, 50_000, 60).astype(float)
    employees = rng.binomial(totals.astype(int), rng.uniform(0.001, 0.02, 60)).astype(float)
    reference = Empirical_Bayes(employees, totals).r.ravel() / (employees.sum() / totals.sum())
    assert empirical_bayes_lq(pd.Series(employees), pd.Series(totals)).to_numpy() == pytest.approx(reference)


def test_empirical_bayes_lq_shrinks_fully_when_the_variance_is_all_noise():
    # rates 0.01 and 0.015: s2 = 5.56e-6 < b / mean(T) = 8.89e-5, so a = 0 and every LQ becomes 1
    lq_eb = empirical_bayes_lq(pd.Series([1.0, 3.0, np.nan]), pd.Series([100.0, 200.0, 50.0]))
    assert lq_eb.iloc[:2].tolist() == pytest.approx([1.0, 1.0])
    assert math.isnan(lq_eb.iloc[2])


def test_lq_confidence_interval_by_hand():
    low, high = lq_confidence_interval(pd.Series([10.0, 0.0, 40.0]), pd.Series([100.0, 200.0, 700.0]))
    # A: LQ 2, se = sqrt(1/10 - 1/100 + 1/50 - 1/1000) = sqrt(0.109)
    se = math.sqrt(0.109)
    assert low.iloc[0] == pytest.approx(2 * math.exp(-1.959964 * se), rel=1e-6)
    assert high.iloc[0] == pytest.approx(2 * math.exp(1.959964 * se), rel=1e-6)
    assert math.isnan(low.iloc[1]) and math.isnan(high.iloc[1])  # no employees, no log interval


def test_lq_growth_quadrant_boundaries_count_as_high():
    quadrant = lq_growth_quadrant(pd.Series([1.0, 1.0, 0.99, np.nan]), pd.Series([0.0, -0.01, 0.0, 0.1]))
    assert quadrant.tolist() == ["star", "mature", "emerging", None]


def test_shift_share_components():
    ss = shift_share(pd.Series([100.0, np.nan]), pd.Series([150.0, 10.0]), national_growth=0.1, sector_growth=0.3)
    assert (ss.national.iloc[0], ss.industry_mix.iloc[0], ss.regional_shift.iloc[0]) == pytest.approx((10.0, 20.0, 20.0))
    assert math.isnan(ss.regional_shift.iloc[1])


def test_hoover_and_locational_gini_by_hand():
    employees = pd.Series([40.0, 10.0, 15.0, 40.0, 0.0, np.nan])
    totals = pd.Series([110.0] * 6)
    # e = (8, 2, 3, 8, 0) / 21, t = 1/5 each: sum |e - t| = (19 + 11 + 6 + 19 + 21) / 105
    assert hoover_coefficient(employees, totals) == pytest.approx(38 / 105)
    # sorted by LQ: Z, B, C, A, D; Y = 0, 2/21, 5/21, 13/21, 1; G = 1 - 0.2 * (2 + 7 + 18 + 34) / 21
    assert locational_gini(employees, totals) == pytest.approx(1 - 0.2 * 61 / 21)
    even = pd.Series([10.0, 20.0]), pd.Series([100.0, 200.0])
    assert hoover_coefficient(*even) == pytest.approx(0.0) and locational_gini(*even) == pytest.approx(0.0)


def test_concentration_table():
    t = _growth_tables(every_period=True)
    table = concentration_table(t, get_sectors(["732"]), PERIODS).set_index("period").loc["2022"]
    assert (table["employees_national_start"], table["employees_national_end"]) == (80, 105)
    assert table["cagr_national"] == pytest.approx(1.3125 ** 0.1 - 1)
    assert table["hoover"] == pytest.approx(38 / 105) and table["regions"] == 5
    # 2012: e = (20, 10, 10, 40, 0, 5) / 85, t = 1/6 each
    e = np.array([20, 10, 10, 40, 0, 5]) / 85
    assert table["hoover_start"] == pytest.approx(0.5 * np.abs(e - 1 / 6).sum())


def test_one_period_has_no_growth_and_every_level_indicator():
    sectors, totals = _tables()
    one = (Period("2022", 2022),)
    result = compute_indicators(sectors[sectors["period"] == "2022"], totals[totals["period"] == "2022"],
                                ["A", "B", "C", "D"], get_sectors(["732"]), one).set_index("region_code")
    assert result.loc[["A", "B", "C"], "lq"].tolist() == pytest.approx([2.0, 1.0, (30 / 700) / 0.05])
    for column in ("cagr", "cagr_national", "lq_start", "employees_start", "ss_national"):
        assert result[column].isna().all(), column
    assert result["lq_growth_quadrant"].isna().all()


def test_annual_panel_growth_runs_from_the_first_period_to_each_later_one():
    """Five periods 2018-2022: region A doubles every year, B stays; growth of 2020 spans two years."""
    labels = ["2018", "2019", "2020", "2021", "2022"]
    periods = tuple(parse_period(label) for label in labels)
    sectors = pd.DataFrame({"region_code": ["A", "B"] * 5, "period": np.repeat(labels, 2), "ksic": "732",
                            "employees": [x for k in range(5) for x in (2 ** k, 3)]})
    totals = pd.DataFrame({"region_code": ["A", "B"] * 5, "period": np.repeat(labels, 2), "total_employees": 100})
    result = compute_indicators(sectors, totals, ["A", "B"], get_sectors(["732"]), periods)
    a = result[result["region_code"] == "A"].set_index("period")
    assert math.isnan(a.loc["2018", "cagr"])
    assert a.loc[["2019", "2020", "2022"], "cagr"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert a.loc["2020", "employees_start"] == 1 and a.loc["2022", "employees"] == 16
    assert a.loc["2022", "lq"] == pytest.approx(16 / 100 / (19 / 200))
    half = (Period("2024.1/2", 2024, 1, 2), Period("2024.2/2", 2024, 2, 2))
    sectors = pd.DataFrame({"region_code": ["A", "B"] * 2, "period": np.repeat([p.label for p in half], 2),
                            "ksic": "732", "employees": [100, 10, 121, 10]})
    totals = pd.DataFrame({"region_code": ["A", "B"] * 2, "period": np.repeat([p.label for p in half], 2),
                           "total_employees": 1000})
    growth = compute_indicators(sectors, totals, ["A", "B"], get_sectors(["732"]), half)
    assert growth["cagr"].iloc[-2] == pytest.approx(1.21 ** 2 - 1)  # half a year apart: annualised
