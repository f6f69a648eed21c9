"""Spatial concentration of each sector: Hoover coefficient and locational Gini.

Both compare the regions' shares of the sector's employment ``e_i = E_is / E_s`` with their shares
of total employment ``t_i = T_i / T``, over the regions where both counts are known (regions with
zero sector employment count). Both are 0 when the sector is spread like all employment and
approach 1 when it sits in one small region.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .indicators import balanced_growth
from .periods import Period, years_between
from .sectors import Sector


def hoover_coefficient(employees: pd.Series, totals: pd.Series) -> float:
    """``H = 1/2 * sum_i |e_i - t_i|`` (Hoover 1936).

    Hoover, E. M. (1936). The measurement of industrial localization. Review of Economics and
    Statistics 18(4), 162-171.
    """
    e, t = _shares(employees, totals)
    return float(0.5 * np.abs(e - t).sum()) if len(e) else np.nan


def locational_gini(employees: pd.Series, totals: pd.Series) -> float:
    """Locational Gini: twice the area between the diagonal and the localisation curve.

    Regions sorted by ``e_i / t_i`` (their LQ) ascending give cumulative shares ``X_k`` of total
    and ``Y_k`` of sector employment; ``G = 1 - sum_k (X_k - X_k-1)(Y_k + Y_k-1)``.

    Krugman, P. (1991). Geography and Trade, MIT Press, appendix D.
    """
    e, t = _shares(employees, totals)
    if not len(e):
        return np.nan
    order = np.argsort(e / t, kind="stable")
    x = np.concatenate([[0.0], np.cumsum(t[order])])
    y = np.concatenate([[0.0], np.cumsum(e[order])])
    return float(1.0 - np.sum(np.diff(x) * (y[1:] + y[:-1])))


def concentration_table(results: pd.DataFrame, sectors: tuple[Sector, ...], periods: tuple[Period, ...]) -> pd.DataFrame:
    """One row per sector and period: Hoover and Gini in that period and in the first, national employment
    and growth from the first period.

    ``employees_national_start`` / ``_end`` and ``cagr_national`` are summed over the regions
    known in both periods (the base of ``cagr_national`` and of the shift-share in the results).
    """
    rows = []
    for sector in sectors:
        first = results[(results["ksic"] == sector.ksic) & (results["period"] == periods[0].label)]
        for period in periods:
            part = results[(results["ksic"] == sector.ksic) & (results["period"] == period.label)]
            years = years_between(periods[0], period)
            start, end, cagr = balanced_growth(pd.Series(first["employees"].to_numpy()),
                                               pd.Series(part["employees"].to_numpy()), years or 1.0)
            rows.append({
                "ksic": sector.ksic, "sector": sector.name_en, "kind": sector.kind, "period": period.label,
                "regions": int((part["employees"].notna() & part["total_employees"].notna()).sum()),
                "employees_national_start": start, "employees_national_end": end,
                "cagr_national": cagr if period != periods[0] else np.nan,
                "hoover": hoover_coefficient(part["employees"], part["total_employees"]),
                "gini": locational_gini(part["employees"], part["total_employees"]),
                "hoover_start": hoover_coefficient(first["employees"], first["total_employees"]),
                "gini_start": locational_gini(first["employees"], first["total_employees"]),
            })
    return pd.DataFrame(rows)


def _shares(employees: pd.Series, totals: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    both = employees.notna() & totals.notna() & (totals > 0)
    e = employees[both].to_numpy(dtype=float)
    t = totals[both].to_numpy(dtype=float)
    if e.sum() <= 0:
        return np.array([]), np.array([])
    return e / e.sum(), t / t.sum()
