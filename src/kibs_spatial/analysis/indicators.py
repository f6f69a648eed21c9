"""Sector indicators per region: location quotients, shares, size, growth and shift-share.

For region ``i``, sector ``s``, years ``t0 < t1`` (``n = t1 - t0``), with ``E`` employees,
``N`` establishments and ``T`` total employment (all industries):

- location quotient ``LQ_is = (E_is / T_i) / (E_s / T)``, where ``E_s`` and ``T`` are summed over
  the regions of the analysis that have both values (the study area stands for the nation);
  ``lq_est`` is the same ratio of establishments, over the totals table's optional
  ``total_establishments`` column (NaN without it);
- ``lq_eb``: the LQ of the global empirical-Bayes rate (Marshall 1991), see :func:`empirical_bayes_lq`;
- ``lq_ci_low``, ``lq_ci_high``: 95 % interval of the LQ, see :func:`lq_confidence_interval`;
- share of national sector employment ``share_is = E_is / E_s``;
- compound annual growth ``CAGR_is = (E_is,t1 / E_is,t0) ** (1 / n) - 1`` (undefined when
  ``E_is,t0`` is 0 or missing), the national ``cagr_national`` of ``E_s`` and ``cagr_diff`` =
  ``CAGR_is - cagr_national``; growth sums run over the regions known in both years;
- classic shift-share (Dunn 1960), see :func:`shift_share`;
- ``lq_growth_quadrant``: star, mature, emerging or transforming, see :func:`lq_growth_quadrant`.

A missing count (suppressed, or a region without data) stays missing: its indicators are NaN,
never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from .sectors import Sector

INDICATOR_COLUMNS = [
    "region_code", "ksic", "employees", "establishments", "employees_start", "establishments_start",
    "total_employees", "total_employees_start", "lq", "lq_start", "lq_est", "lq_eb", "lq_ci_low", "lq_ci_high",
    "share", "cagr", "cagr_national", "cagr_diff", "ss_national", "ss_industry_mix", "ss_regional_shift",
    "lq_growth_quadrant",
]
TEXT_COLUMNS = ("region_code", "ksic", "lq_growth_quadrant")
QUADRANTS = ("star", "mature", "emerging", "transforming")


def location_quotient(employees: pd.Series, totals: pd.Series) -> pd.Series:
    """``(E_i / T_i) / (sum E / sum T)`` over the units where both are known."""
    both = _known(employees, totals)
    if not both.any() or employees[both].sum() == 0:
        return pd.Series(np.nan, index=employees.index)
    national = employees[both].sum() / totals[both].sum()
    lq = (employees / totals) / national
    return lq.where(both)


def empirical_bayes_lq(employees: pd.Series, totals: pd.Series) -> pd.Series:
    """LQ of the global empirical-Bayes smoothed rate (Marshall 1991, method of moments).

    With rates ``r_i = E_i / T_i``, the pooled rate ``b = sum E / sum T``, the weighted variance
    ``s2 = sum T_i (r_i - b)^2 / sum T`` and ``a = max(s2 - b / mean(T), 0)``, the smoothed rate is
    ``r*_i = b + w_i (r_i - b)`` with ``w_i = a / (a + b / T_i)``, and ``lq_eb = r*_i / b``.
    Small regions are pulled towards 1, large ones hardly move.

    Marshall, R. J. (1991). Mapping disease and mortality rates using empirical Bayes estimators.
    Applied Statistics 40(2), 283-294. (Same estimator as GeoDa and ``esda.smoothing.Empirical_Bayes``,
    which does not clip ``a`` at 0.)
    """
    both = _known(employees, totals)
    e, t = employees[both].astype(float), totals[both].astype(float)
    b = e.sum() / t.sum()
    if not b > 0:
        return pd.Series(np.nan, index=employees.index)
    s2 = (t * (e / t - b) ** 2).sum() / t.sum()
    a = max(s2 - b / t.mean(), 0.0)
    weight = a / (a + b / totals)
    smoothed = b + weight * (employees / totals - b)
    return (smoothed / b).where(both)


def lq_confidence_interval(employees: pd.Series, totals: pd.Series, level: float = 0.95) -> tuple[pd.Series, pd.Series]:
    """Delta-method interval of the LQ on the log scale, as in Moineddin, Beyene & Boyle (2003).

    ``LQ * exp(+-z * sqrt(1/E_i - 1/T_i + 1/E - 1/T))`` with ``z`` the normal quantile of
    ``(1 + level) / 2``: the two rates are treated as binomial proportions. Undefined (NaN) where
    ``E_i`` is 0 or missing.

    Moineddin, R., Beyene, J. & Boyle, E. (2003). On the location quotient confidence interval.
    Geographical Analysis 35(3), 249-256.
    """
    both = _known(employees, totals)
    e_sum, t_sum = employees[both].sum(), totals[both].sum()
    lq = location_quotient(employees, totals)
    positive = employees.where(both & (employees > 0))
    se = np.sqrt(1 / positive - 1 / totals + 1 / e_sum - 1 / t_sum)
    z = NormalDist().inv_cdf((1 + level) / 2)
    return (lq * np.exp(-z * se)).where(positive.notna()), (lq * np.exp(z * se)).where(positive.notna())


def compound_annual_growth(start: pd.Series, end: pd.Series, years: int) -> pd.Series:
    """``(end / start) ** (1 / years) - 1``; NaN where ``start`` is 0 or either value is missing."""
    valid = start.notna() & end.notna() & (start > 0)
    growth = (end.where(valid) / start.where(valid)) ** (1.0 / years) - 1.0
    return growth.astype(float)


@dataclass(frozen=True)
class ShiftShare:
    """Classic shift-share components; they add up to ``E_is,t1 - E_is,t0``."""

    national: pd.Series
    industry_mix: pd.Series
    regional_shift: pd.Series


def shift_share(start: pd.Series, end: pd.Series, national_growth: float, sector_growth: float) -> ShiftShare:
    """Classic shift-share of the change in a sector's regional employment (Dunn 1960).

    With ``g = T_t1 / T_t0 - 1`` (all-industry growth of the study area) and
    ``g_s = E_s,t1 / E_s,t0 - 1`` (the sector's growth):
    national share ``NS = E_is,t0 * g``, industry mix ``IM = E_is,t0 * (g_s - g)``,
    regional shift ``RS = E_is,t1 - E_is,t0 * (1 + g_s)``; ``NS + IM + RS = E_is,t1 - E_is,t0``.

    Dunn, E. S. (1960). A statistical and analytical technique for regional analysis.
    Papers of the Regional Science Association 6, 97-112.
    """
    valid = start.notna() & end.notna()
    base = start.where(valid)
    return ShiftShare(
        national=base * national_growth,
        industry_mix=base * (sector_growth - national_growth),
        regional_shift=end.where(valid) - base * (1 + sector_growth),
    )


def lq_growth_quadrant(lq: pd.Series, growth_diff: pd.Series, lq_cut: float = 1.0) -> pd.Series:
    """Quadrant of the LQ / relative-growth chart; missing where either value is missing.

    ``star``: ``LQ >= lq_cut`` and growth at least the national sector growth
    (``cagr_diff >= 0``); ``mature``: specialised but growing slower; ``emerging``: not
    specialised, growing at least as fast; ``transforming``: neither.
    """
    special = lq >= lq_cut
    growing = growth_diff >= 0
    labels = np.select(
        [special & growing, special & ~growing, ~special & growing], ["star", "mature", "emerging"], "transforming"
    ).astype(object)
    labels[(lq.isna() | growth_diff.isna()).to_numpy()] = None
    return pd.Series(labels, index=lq.index, dtype=object)


def balanced_growth(start: pd.Series, end: pd.Series, years: int) -> tuple[float, float, float]:
    """``(sum start, sum end, CAGR)`` over the units known in both years."""
    both = start.notna() & end.notna()
    s, e = float(start[both].sum()), float(end[both].sum())
    cagr = (e / s) ** (1.0 / years) - 1.0 if s > 0 else np.nan
    return s, e, cagr


def compute_indicators(
    sectors_table: pd.DataFrame, totals_table: pd.DataFrame, region_codes: list[str], sectors: tuple[Sector, ...], years: tuple[int, int]
) -> pd.DataFrame:
    """Long table, one row per region x sector (regions in ``region_codes`` order)."""
    start, end = years
    totals = _pivot(totals_table, "total_employees", region_codes, years)
    if "total_establishments" in totals_table.columns:
        total_est = _pivot(totals_table, "total_establishments", region_codes, years)[end]
    else:
        total_est = pd.Series(np.nan, index=totals.index)
    t0, t1, _ = balanced_growth(totals[start], totals[end], end - start)
    total_growth = t1 / t0 - 1 if t0 > 0 else np.nan
    frames = []
    for sector in sectors:
        rows = sectors_table[sectors_table["ksic"] == sector.ksic]
        emp = _pivot(rows, "employees", region_codes, years)
        est = _pivot(rows, "establishments", region_codes, years)
        frames.append(_sector_frame(sector, emp, est, totals, total_est, total_growth, years))
    result = pd.concat(frames, ignore_index=True)[INDICATOR_COLUMNS]
    numeric = [c for c in INDICATOR_COLUMNS if c not in TEXT_COLUMNS]
    result[numeric] = result[numeric].astype(float)
    return result


def _sector_frame(sector: Sector, emp: pd.DataFrame, est: pd.DataFrame, totals: pd.DataFrame, total_est: pd.Series,
                  total_growth: float, years: tuple[int, int]) -> pd.DataFrame:
    start, end = years
    e0, e1 = emp[start], emp[end]
    s0, s1, sector_cagr = balanced_growth(e0, e1, end - start)
    sector_growth = s1 / s0 - 1 if s0 > 0 else np.nan
    low, high = lq_confidence_interval(e1, totals[end])
    ss = shift_share(e0, e1, total_growth, sector_growth)
    national_end = e1.sum()
    frame = pd.DataFrame({
        "region_code": list(emp.index),
        "ksic": sector.ksic,
        "employees": e1, "establishments": est[end], "employees_start": e0, "establishments_start": est[start],
        "total_employees": totals[end], "total_employees_start": totals[start],
        "lq": location_quotient(e1, totals[end]), "lq_start": location_quotient(e0, totals[start]),
        "lq_est": location_quotient(est[end], total_est), "lq_eb": empirical_bayes_lq(e1, totals[end]),
        "lq_ci_low": low, "lq_ci_high": high,
        "share": e1 / national_end if national_end > 0 else np.nan,
        "cagr": compound_annual_growth(e0, e1, end - start),
        "cagr_national": sector_cagr,
        "ss_national": ss.national, "ss_industry_mix": ss.industry_mix, "ss_regional_shift": ss.regional_shift,
    })
    frame["cagr_diff"] = frame["cagr"] - sector_cagr
    frame["lq_growth_quadrant"] = lq_growth_quadrant(frame["lq"], frame["cagr_diff"])
    return frame.reset_index(drop=True)


def _known(values: pd.Series, totals: pd.Series) -> pd.Series:
    return values.notna() & totals.notna() & (totals > 0)


def _pivot(frame: pd.DataFrame, column: str, region_codes: list[str], years: tuple[int, int]) -> pd.DataFrame:
    """Region x year table of ``column`` (float, NaN where missing), in ``region_codes`` order."""
    values = frame.assign(**{column: pd.to_numeric(frame[column], errors="coerce").astype(float)})
    table = values.pivot_table(index="region_code", columns="year", values=column, aggfunc="first", dropna=False)
    return table.reindex(index=region_codes, columns=list(years)).astype(float)
