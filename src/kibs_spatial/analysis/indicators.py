"""Sector indicators per region: location quotients, shares, size, growth and shift-share.

Computed for every period ``t``. For region ``i``, sector ``s``, with ``E`` employees, ``N``
establishments and ``T`` total employment (all industries) of period ``t``, and ``t0`` the first
period of the analysis (``n`` = years from the start of ``t0`` to the start of ``t``):

- location quotient ``LQ_is = (E_is / T_i) / (E_s / T)``, where ``E_s`` and ``T`` are summed over
  the regions of the analysis that have both values (the study area stands for the nation);
  ``lq_est`` is the same ratio of establishments, over the totals table's optional
  ``total_establishments`` column (NaN without it);
- ``lq_eb``: the LQ of the global empirical-Bayes rate (Marshall 1991), see :func:`empirical_bayes_lq`;
- ``lq_ci_low``, ``lq_ci_high``: 95 % interval of the LQ, see :func:`lq_confidence_interval`;
- share of national sector employment ``share_is = E_is / E_s``;
- compound annual growth from the first period ``CAGR_is = (E_is,t / E_is,t0) ** (1 / n) - 1``
  (undefined when ``E_is,t0`` is 0 or missing, and for the first period itself: with one period,
  growth is not available), the national ``cagr_national`` of ``E_s`` and ``cagr_diff`` =
  ``CAGR_is - cagr_national``; growth sums run over the regions known in both periods; the
  ``*_start`` columns hold the first period's values;
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

from .periods import Period, years_between
from .sectors import Sector

INDICATOR_COLUMNS = [
    "region_code", "ksic", "period", "employees", "establishments", "employees_start", "establishments_start",
    "total_employees", "total_employees_start", "lq", "lq_start", "lq_est", "lq_eb", "lq_ci_low", "lq_ci_high",
    "share", "cagr", "cagr_national", "cagr_diff", "ss_national", "ss_industry_mix", "ss_regional_shift",
    "lq_growth_quadrant",
]
TEXT_COLUMNS = ("region_code", "ksic", "period", "lq_growth_quadrant")
QUALITY_COLUMNS = ("employees_rse", "employees_rse_high")  # survey data: kept as given, never tested
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


def compound_annual_growth(start: pd.Series, end: pd.Series, years: float) -> pd.Series:
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


def balanced_growth(start: pd.Series, end: pd.Series, years: float) -> tuple[float, float, float]:
    """``(sum start, sum end, CAGR)`` over the units known in both years."""
    both = start.notna() & end.notna()
    s, e = float(start[both].sum()), float(end[both].sum())
    cagr = (e / s) ** (1.0 / years) - 1.0 if s > 0 else np.nan
    return s, e, cagr


def compute_indicators(sector_values: pd.DataFrame, totals_table: pd.DataFrame, region_codes: list[str],
                       sectors: tuple[Sector, ...], periods: tuple[Period, ...]) -> pd.DataFrame:
    """Long table, one row per region x sector x period (regions in ``region_codes`` order).

    ``sector_values``: ``region_code``, ``period``, ``ksic`` (the sector's code), ``employees``,
    optionally ``establishments`` and the RSE columns; ``totals_table``: ``region_code``, ``period``,
    ``total_employees``, optionally ``total_establishments``.
    """
    labels = [p.label for p in periods]
    totals = _pivot(totals_table, "total_employees", region_codes, labels)
    total_est = _pivot(totals_table, "total_establishments", region_codes, labels)
    frames = []
    for sector in sectors:
        rows = sector_values[sector_values["ksic"] == sector.ksic]
        emp = _pivot(rows, "employees", region_codes, labels)
        est = _pivot(rows, "establishments", region_codes, labels)
        for period in periods:
            frame = _period_frame(emp, est, totals, total_est, periods[0], period)
            frames.append(frame.assign(ksic=sector.ksic, period=period.label))
    result = pd.concat(frames, ignore_index=True)
    quality = [c for c in QUALITY_COLUMNS if c in sector_values.columns]
    if quality:
        result = result.merge(sector_values[["region_code", "period", "ksic", *quality]], how="left",
                              on=["region_code", "period", "ksic"])
    result = result[INDICATOR_COLUMNS + quality]
    numeric = [c for c in INDICATOR_COLUMNS if c not in TEXT_COLUMNS]
    result[numeric] = result[numeric].astype(float)
    return result


def _period_frame(emp: pd.DataFrame, est: pd.DataFrame, totals: pd.DataFrame, total_est: pd.DataFrame,
                  first: Period, period: Period) -> pd.DataFrame:
    """One sector in one period; growth columns from the first period (NaN in the first period itself)."""
    e1, t1 = emp[period.label], totals[period.label]
    low, high = lq_confidence_interval(e1, t1)
    national = e1.sum()
    frame = pd.DataFrame({
        "region_code": list(emp.index),
        "employees": e1, "establishments": est[period.label], "total_employees": t1,
        "lq": location_quotient(e1, t1), "lq_est": location_quotient(est[period.label], total_est[period.label]),
        "lq_eb": empirical_bayes_lq(e1, t1), "lq_ci_low": low, "lq_ci_high": high,
        "share": e1 / national if national > 0 else np.nan,
    })
    if period == first:
        for column in ("employees_start", "establishments_start", "total_employees_start", "lq_start", "cagr",
                       "cagr_national", "cagr_diff", "ss_national", "ss_industry_mix", "ss_regional_shift"):
            frame[column] = np.nan
        frame["lq_growth_quadrant"] = None
        return frame.reset_index(drop=True)
    e0, t0 = emp[first.label], totals[first.label]
    years = years_between(first, period)
    s0, s1, sector_cagr = balanced_growth(e0, e1, years)
    a0, a1, _ = balanced_growth(t0, t1, years)
    ss = shift_share(e0, e1, a1 / a0 - 1 if a0 > 0 else np.nan, s1 / s0 - 1 if s0 > 0 else np.nan)
    frame = frame.assign(
        employees_start=e0, establishments_start=est[first.label], total_employees_start=t0,
        lq_start=location_quotient(e0, t0), cagr=compound_annual_growth(e0, e1, years), cagr_national=sector_cagr,
        ss_national=ss.national, ss_industry_mix=ss.industry_mix, ss_regional_shift=ss.regional_shift,
    )
    frame["cagr_diff"] = frame["cagr"] - sector_cagr
    frame["lq_growth_quadrant"] = lq_growth_quadrant(frame["lq"], frame["cagr_diff"])
    return frame.reset_index(drop=True)


def _known(values: pd.Series, totals: pd.Series) -> pd.Series:
    return values.notna() & totals.notna() & (totals > 0)


def _pivot(frame: pd.DataFrame, column: str, region_codes: list[str], periods: list[str]) -> pd.DataFrame:
    """Region x period table of ``column`` (float, NaN where missing or absent), in ``region_codes`` order."""
    if column not in frame.columns or frame.empty:
        return pd.DataFrame(np.nan, index=region_codes, columns=periods)
    values = frame.assign(**{column: pd.to_numeric(frame[column], errors="coerce").astype(float)})
    table = values.pivot_table(index="region_code", columns="period", values=column, aggfunc="first", dropna=False)
    return table.reindex(index=region_codes, columns=periods).astype(float)
