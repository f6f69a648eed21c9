"""Sector indicators per region: location quotient, share of national employment, size, growth.

For region ``i``, sector ``s`` and year ``t``, with ``E`` employees and ``T`` total employment:

- location quotient ``LQ_is = (E_is / T_i) / (E_s / T)``, where ``E_s`` and ``T`` are summed over
  the regions of the analysis that have both values (the study area stands for the nation);
- share of national sector employment ``share_is = E_is / E_s``;
- compound annual growth ``CAGR_is = (E_is,t1 / E_is,t0) ** (1 / (t1 - t0)) - 1`` (undefined when
  ``E_is,t0`` is 0 or missing).

A missing count (suppressed, or a region without data) stays missing: its indicators are NaN,
never zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .sectors import Sector

INDICATOR_COLUMNS = [
    "region_code", "ksic", "employees", "establishments", "employees_start", "establishments_start",
    "total_employees", "lq", "lq_start", "share", "cagr",
]


def location_quotient(employees: pd.Series, totals: pd.Series) -> pd.Series:
    """``(E_i / T_i) / (sum E / sum T)`` over the units where both are known."""
    both = employees.notna() & totals.notna() & (totals > 0)
    national = employees[both].sum() / totals[both].sum()
    if national == 0:
        return pd.Series(np.nan, index=employees.index)
    lq = (employees / totals) / national
    return lq.where(both)


def compound_annual_growth(start: pd.Series, end: pd.Series, years: int) -> pd.Series:
    """``(end / start) ** (1 / years) - 1``; NaN where ``start`` is 0 or either value is missing."""
    valid = start.notna() & end.notna() & (start > 0)
    growth = (end.where(valid) / start.where(valid)) ** (1.0 / years) - 1.0
    return growth.astype(float)


def compute_indicators(
    sectors_table: pd.DataFrame, totals_table: pd.DataFrame, region_codes: list[str], sectors: tuple[Sector, ...], years: tuple[int, int]
) -> pd.DataFrame:
    """Long table, one row per region x sector (regions in ``region_codes`` order)."""
    start, end = years
    totals = _pivot(totals_table, "total_employees", region_codes, years)
    frames = []
    for sector in sectors:
        rows = sectors_table[sectors_table["ksic"] == sector.ksic]
        emp = _pivot(rows, "employees", region_codes, years)
        est = _pivot(rows, "establishments", region_codes, years)
        frame = pd.DataFrame({
            "region_code": region_codes,
            "ksic": sector.ksic,
            "employees": emp[end].to_numpy(),
            "establishments": est[end].to_numpy(),
            "employees_start": emp[start].to_numpy(),
            "establishments_start": est[start].to_numpy(),
            "total_employees": totals[end].to_numpy(),
            "lq": location_quotient(emp[end], totals[end]).to_numpy(),
            "lq_start": location_quotient(emp[start], totals[start]).to_numpy(),
        })
        national_end = emp[end].sum()
        frame["share"] = (emp[end] / national_end).to_numpy() if national_end > 0 else np.nan
        frame["cagr"] = compound_annual_growth(emp[start], emp[end], end - start).to_numpy()
        frames.append(frame)
    result = pd.concat(frames, ignore_index=True)[INDICATOR_COLUMNS]
    numeric = [c for c in INDICATOR_COLUMNS if c not in ("region_code", "ksic")]
    result[numeric] = result[numeric].astype(float)
    return result


def _pivot(frame: pd.DataFrame, column: str, region_codes: list[str], years: tuple[int, int]) -> pd.DataFrame:
    """Region x year table of ``column`` (float, NaN where missing), in ``region_codes`` order."""
    values = frame.assign(**{column: frame[column].astype(float)})
    table = values.pivot_table(index="region_code", columns="year", values=column, aggfunc="first", dropna=False)
    return table.reindex(index=region_codes, columns=list(years)).astype(float)
