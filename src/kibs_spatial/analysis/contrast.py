"""Gangnam against the outlying areas: where each sector's employment sits relative to Gangnam.

The Gangnam area is a set of units (강남구 11680 + 서초구 11650 by default, MOIS codes), set in
the ``[contrast]`` section of the analysis file. All measures use the end-year employees ``E_is``
of the units with a value (a missing count leaves the unit out of that sector, never zero) and
coordinates in EPSG:5179 (metres).

- distance ``d_i``: from the representative point of unit ``i`` (``point_on_surface``, always
  inside the unit) to the Gangnam area polygon; 0 for the area's own units;
- Gangnam share ``G_s = sum_{i in area} E_is / sum_i E_is`` and its ratio to the area's share of
  all-industry employment (the area's location quotient);
- mean distance ``D_s = sum_i E_is d_i / sum_i E_is``; share within ``r`` km
  ``S_s(r) = sum_{d_i <= r} E_is / sum_i E_is`` (also the distance-decay profile over ``r``);
- centre of gravity ``(x_s, y_s) = sum_i E_is (x_i, y_i) / sum_i E_is`` over unit centroids and
  standard distance ``SD_s = sqrt(sum_i E_is ((x_i - x_s)^2 + (y_i - y_s)^2) / sum_i E_is)``
  (Bachi 1963);
- technology vs professional: ``T = mean_{s tech} D_s - mean_{s prof} D_s`` with an exact
  one-sided permutation p over every relabelling of the sectors (Fisher 1935; Good 2005);
- combined LQ of a kind of KIBS (:func:`kind_lq`, the contrast map), in Florence's (1939) form:

  Combined LQ of kind ``G`` in unit ``i`` (Florence 1939; the sector LQ of ``indicators.py``
  with the employment of the kind's sectors added up)::

      E_iG = sum_{s in G} E_is        LQ_iG = (E_iG / T_i) / (sum_j E_jG / sum_j T_j)

  with ``T_i`` the unit's total employment (all industries). A unit with a missing count in any
  sector of the kind has no combined value (NaN, "no data"); the national ratio is taken over
  the units where both ``E_iG`` and ``T_i`` are known. The area's and the rest's LQ in the header
  use the same formula over the summed units.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..defaults import GANGNAM_DEFAULT, RADII_DEFAULT
from ..errors import InputError
from .indicators import location_quotient
from .sectors import Sector

DECAY_STEP_KM = 5.0
TIE_TOLERANCE = 1e-9  # relative; permuted statistics this close to the observed one count as ties


def gangnam_area(regions: gpd.GeoDataFrame, codes: tuple[str, ...] = GANGNAM_DEFAULT) -> gpd.GeoDataFrame:
    """One polygon, the union of the units in ``codes``, with ``name`` and ``region_codes`` fields."""
    missing = [c for c in codes if c not in set(regions["region_code"])]
    if missing:
        raise InputError(f"[contrast] area: unit code(s) {', '.join(missing)} are not in the boundary layer")
    members = regions[regions["region_code"].isin(codes)]
    names = " + ".join(members["name_ko"].astype(str)) if "name_ko" in members else " + ".join(codes)
    return gpd.GeoDataFrame(
        {"name": [f"Gangnam area ({names})"], "region_codes": [",".join(codes)]},
        geometry=[members.geometry.union_all()], crs=regions.crs,
    )


@dataclass(frozen=True)
class SectorContrast:
    """Where one sector's employment sits relative to the Gangnam area (distances in km)."""

    ksic: str
    sector: str
    kind: str
    units: int  # units with a value
    employees: float
    gangnam_employees: float
    gangnam_share: float
    gangnam_lq: float
    mean_distance_km: float
    share_within: dict[float, float]
    centre_x: float
    centre_y: float
    centre_distance_km: float
    centre_unit: str
    standard_distance_km: float


@dataclass(frozen=True)
class PermutationTest:
    """Exact one-sided test that technology sectors sit farther from Gangnam than professional ones.

    ``p = #{relabellings with T* >= T} / C(n, n_tech)``, the observed labelling included, so the
    smallest attainable p is ``1 / relabellings``.
    """

    statistic: float  # mean tech D_s minus mean prof D_s, km
    p_value: float
    relabellings: int
    technology: int
    professional: int

    def describe(self) -> str:
        if math.isnan(self.p_value):
            return "not tested: needs at least one technology and one professional sector"
        return (f"Technology minus professional mean distance {self.statistic:+.1f} km, exact one-sided "
                f"p = {self.p_value:.4f} over all {self.relabellings} relabellings of {self.technology} technology "
                f"and {self.professional} professional sectors (smallest attainable p = 1/{self.relabellings})")


@dataclass(frozen=True)
class GangnamContrast:
    area_codes: tuple[str, ...]
    area_name: str
    radii_km: tuple[float, ...]
    gangnam_total_share: float  # the area's share of all-industry employment
    sectors: list[SectorContrast]
    test: PermutationTest
    decay: pd.DataFrame = field(repr=False)  # distance_km, ksic, kind, share_within

    def to_frame(self) -> pd.DataFrame:
        """One row per sector; the columns of ``gangnam_contrast.csv``."""
        rows = []
        for s in self.sectors:
            row = {k: v for k, v in s.__dict__.items() if k != "share_within"}
            row.update({f"share_within_{r:g}km": v for r, v in s.share_within.items()})
            rows.append(row)
        frame = pd.DataFrame(rows)
        return frame.assign(area=",".join(self.area_codes), area_total_share=self.gangnam_total_share)


def distance_to_area_km(regions: gpd.GeoDataFrame, area: gpd.GeoDataFrame) -> pd.Series:
    """Distance in km from each unit's representative point to the area polygon (0 inside), by region code."""
    points = shapely.point_on_surface(regions.geometry.values)
    metres = shapely.distance(points, area.geometry.iloc[0])
    return pd.Series(np.asarray(metres, dtype=float) / 1000.0, index=regions["region_code"].to_numpy(), name="distance_km")


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    """``sum w v / sum w`` over entries where the weight is not missing; NaN if the weights sum to 0."""
    values, weights = np.asarray(values, float), np.asarray(weights, float)
    ok = ~np.isnan(weights)
    total = weights[ok].sum()
    return float((weights[ok] * values[ok]).sum() / total) if total > 0 else math.nan


def share_within(distance_km: np.ndarray, weights: np.ndarray, radius_km: float) -> float:
    """``sum_{d <= r} w / sum w``: the share of the weight (employment) within ``r`` km."""
    return weighted_mean(np.asarray(distance_km, float) <= radius_km, weights)


def centre_of_gravity(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[float, float, float]:
    """Weighted mean centre ``(x_c, y_c)`` and standard distance ``sqrt(sum w r^2 / sum w)`` (Bachi 1963)."""
    cx, cy = weighted_mean(x, weights), weighted_mean(y, weights)
    r2 = (np.asarray(x, float) - cx) ** 2 + (np.asarray(y, float) - cy) ** 2
    return cx, cy, math.sqrt(weighted_mean(r2, weights))


def kind_difference_test(mean_distance: list[float], kinds: list[str]) -> PermutationTest:
    """Exact permutation test of ``T = mean D(technology) - mean D(professional)``, one-sided (tech farther).

    Every way of choosing which ``n_tech`` of the ``n`` sectors are "technology" is enumerated
    (3003 for 8 of 14), so the p-value is exact, not an estimate. Sectors with an undefined
    mean distance are left out.
    """
    d = np.asarray(mean_distance, float)
    tech = np.array([k == "technology" for k in kinds])
    keep = ~np.isnan(d) & np.isin(kinds, ["technology", "professional"])
    d, tech = d[keep], tech[keep]
    n, n_tech = len(d), int(tech.sum())
    if n_tech == 0 or n_tech == n:
        return PermutationTest(math.nan, math.nan, 0, n_tech, n - n_tech)
    observed = d[tech].mean() - d[~tech].mean()
    total = d.sum()
    stats = np.array([_difference(d, list(c), total, n) for c in itertools.combinations(range(n), n_tech)])
    extreme = int(np.sum(stats >= observed - TIE_TOLERANCE * max(abs(observed), 1.0)))
    return PermutationTest(float(observed), extreme / len(stats), len(stats), n_tech, n - n_tech)


def _difference(d: np.ndarray, chosen: list[int], total: float, n: int) -> float:
    tech_sum = d[chosen].sum()
    return tech_sum / len(chosen) - (total - tech_sum) / (n - len(chosen))


def decay_profile(distance_km: pd.Series, employees: pd.DataFrame, sectors: tuple[Sector, ...],
                  step_km: float = DECAY_STEP_KM) -> pd.DataFrame:
    """Cumulative share of each sector's employment within ``r`` km, ``r = 0, step, 2 step, ...``.

    ``employees`` is region x sector (columns KSIC codes), rows aligned with ``distance_km``.
    """
    top = step_km * math.ceil(float(np.nanmax(distance_km.to_numpy())) / step_km)
    radii = np.arange(0.0, top + step_km / 2, step_km)
    rows = []
    for sector in sectors:
        w = employees[sector.ksic].to_numpy(float)
        rows += [{"distance_km": r, "ksic": sector.ksic, "kind": sector.kind,
                  "share_within": share_within(distance_km.to_numpy(), w, r)} for r in radii]
    return pd.DataFrame(rows)


def gangnam_contrast(regions: gpd.GeoDataFrame, results: pd.DataFrame, sectors: tuple[Sector, ...],
                     area: gpd.GeoDataFrame, radii_km: tuple[float, ...] = RADII_DEFAULT) -> GangnamContrast:
    """Every contrast measure for ``sectors`` from the long ``results`` table (``employees`` of the end year).

    ``area`` is the dissolved Gangnam area of :func:`gangnam_area` (EPSG:5179, like ``regions``).
    """
    area_codes = tuple(str(area["region_codes"].iloc[0]).split(","))
    codes = regions["region_code"].to_numpy()
    distance = distance_to_area_km(regions, area)
    employees = results.pivot(index="region_code", columns="ksic", values="employees").reindex(codes)
    totals = results.drop_duplicates("region_code").set_index("region_code")["total_employees"].reindex(codes)
    in_area = np.isin(codes, area_codes)
    total_share = float(totals[in_area].sum() / totals.sum()) if totals.notna().all() else math.nan
    centroids = regions.geometry.centroid
    xy = (centroids.x.to_numpy(), centroids.y.to_numpy())
    names = regions["name_en"] if "name_en" in regions else regions["region_code"]
    per_sector = [
        _sector_contrast(s, employees[s.ksic].to_numpy(float), distance.to_numpy(), in_area, total_share, xy,
                         regions, area, names, radii_km)
        for s in sectors
    ]
    test = kind_difference_test([s.mean_distance_km for s in per_sector], [s.kind for s in per_sector])
    return GangnamContrast(tuple(area_codes), str(area["name"].iloc[0]), tuple(float(r) for r in radii_km),
                           total_share, per_sector, test, decay_profile(distance, employees, sectors))


def _sector_contrast(sector: Sector, w: np.ndarray, distance: np.ndarray, in_area: np.ndarray, total_share: float,
                     xy: tuple[np.ndarray, np.ndarray], regions: gpd.GeoDataFrame, area: gpd.GeoDataFrame,
                     names: pd.Series, radii_km: tuple[float, ...]) -> SectorContrast:
    valid = ~np.isnan(w)
    national = float(w[valid].sum())
    gangnam = float(w[in_area].sum()) if valid[in_area].all() else math.nan
    share = gangnam / national if national > 0 else math.nan
    cx, cy, sd = centre_of_gravity(xy[0], xy[1], w)
    centre_distance, centre_unit = math.nan, ""
    if not math.isnan(cx):
        point = shapely.Point(cx, cy)
        centre_distance = float(shapely.distance(point, area.geometry.iloc[0])) / 1000.0
        centre_unit = str(names.iloc[int(np.argmin(shapely.distance(regions.geometry.values, point)))])
    return SectorContrast(
        ksic=sector.ksic, sector=sector.name_en, kind=sector.kind, units=int(valid.sum()), employees=national,
        gangnam_employees=gangnam, gangnam_share=share,
        gangnam_lq=share / total_share if total_share > 0 else math.nan,
        mean_distance_km=weighted_mean(distance, w),
        share_within={float(r): share_within(distance, w, r) for r in radii_km},
        centre_x=cx, centre_y=cy, centre_distance_km=centre_distance, centre_unit=centre_unit,
        standard_distance_km=sd / 1000.0,
    )


@dataclass(frozen=True)
class KindLQ:
    """Combined employment and LQ of one kind of KIBS per unit, and of the area and the rest."""

    kind: str
    sectors: tuple[Sector, ...]
    employees: np.ndarray
    lq: np.ndarray
    area_lq: float
    rest_lq: float


def kind_lq(regions: gpd.GeoDataFrame, results: pd.DataFrame, sectors: Sequence[Sector], kind: str,
            area_codes: Sequence[str]) -> KindLQ:
    """Combined LQ of the sectors of ``kind`` per unit (formula in the module docstring)."""
    members = tuple(s for s in sectors if s.kind == kind)
    codes = regions["region_code"].astype(str).to_numpy()
    rows = results[results["ksic"].astype(str).isin([s.ksic for s in members])].copy()
    rows["region_code"] = rows["region_code"].astype(str)
    rows["ksic"] = rows["ksic"].astype(str)
    employees = rows.pivot(index="region_code", columns="ksic", values="employees").reindex(
        index=codes, columns=[s.ksic for s in members])
    combined = employees.sum(axis=1, min_count=len(members)) if members else pd.Series(np.nan, index=codes)
    totals = results.assign(region_code=results["region_code"].astype(str)).groupby("region_code")[
        "total_employees"].first().reindex(codes)
    combined = pd.Series(combined.to_numpy(dtype=float), index=codes)
    totals = pd.Series(pd.to_numeric(totals, errors="coerce").to_numpy(dtype=float), index=codes)
    lq = location_quotient(combined, totals)
    in_area = np.isin(codes, list(area_codes))
    both = combined.notna() & totals.notna() & (totals > 0)
    national = combined[both].sum() / totals[both].sum() if both.any() else np.nan

    def group_lq(mask: np.ndarray) -> float:
        keep = both & mask
        if not keep.any() or not national:
            return float("nan")
        return float(combined[keep].sum() / totals[keep].sum() / national)

    return KindLQ(kind, members, combined.to_numpy(), lq.to_numpy(dtype=float), group_lq(in_area), group_lq(~in_area))
