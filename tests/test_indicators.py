"""Location quotients, shares and growth against a table computed by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from kibs_spatial.indicators import compound_annual_growth, compute_indicators, location_quotient
from kibs_spatial.sectors import get_sectors


def _tables():
    # Totals 100/200/700 (sum 1000); sector 732 has 10/10/30 (sum 50): national share 5 %.
    # Region D has a suppressed (missing) sector count and must not enter the national sums.
    sectors = pd.DataFrame({
        "region_code": ["A", "B", "C", "D"] * 2,
        "year": [2012] * 4 + [2022] * 4,
        "ksic": "732",
        "employees": [5, 0, 30, 7, 10, 10, 30, None],
        "establishments": [1, 0, 3, 1, 2, 2, 3, None],
    })
    totals = pd.DataFrame({
        "region_code": ["A", "B", "C", "D"] * 2,
        "year": [2012] * 4 + [2022] * 4,
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
    result = compute_indicators(sectors, totals, ["A", "B", "C", "D"], get_sectors(["732"]), (2012, 2022)).set_index("region_code")
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
    result = compute_indicators(sectors, totals, ["A", "B", "C", "D", "E"], get_sectors(["732"]), (2012, 2022)).set_index("region_code")
    assert result.loc["E", ["employees", "establishments", "lq"]].isna().all()
