"""Seeded generator of the SYNTHETIC demo sector data (employees and establishments by si-gun-gu).

No public copy of the Census on Establishments by si-gun-gu and KSIC may be shipped, so the demo
data is made up. Its scenario follows what the KIET 2014 study reported, so that the pipeline has
something recognisable to find; results on it are not findings.

Model, per region ``i``, sector ``s`` and year ``t`` of the annual panel 2012-2022 (``f`` = the
share of the panel elapsed, 0 in 2012 and 1 in 2022):

- total employment ``T_i`` = base by unit type (Seoul gu, other metropolitan gu, si or district
  of a si, gun) x a fixed factor for the big business districts x lognormal noise (sigma 0.35);
  later years ``T_it = T_i * 1.10^f`` x lognormal noise (sigma 0.03);
- expected sector employment ``mu_ist = T_i * share_s * (T_i / median T)^0.2 * A_is * g_s^f *
  C_ist * u_is``: a national sector share, a background that grows with city size (urban
  scaling), an agglomeration factor ``A_is = 1 + sum_a amp_a * exp(-d_ia / 6 km)`` over the
  sector's anchor regions ``a`` (design, advertising and architecture in Gangnam-gu and
  Seocho-gu; software and IT along Mapo-gu, Guro-gu and Geumcheon-gu; R&D in Daejeon
  Yuseong-gu, less in Bundang, Yeongtong and Hwaseong; engineering and testing in Changwon, Geoje, Pohang, Cheongju), the sector's
  national growth ``g_s`` over the decade, and a region-sector effect ``u_is`` (lognormal, sigma
  0.15) that persists over the years;
- ``C_ist = max(0.1, 1 + sum_c amp_c * ramp_c(t) * exp(-d_ic / 6 km))`` over the sector's
  changing places ``c``, with a logistic ramp ``1 / (1 + exp(-(t - year_c)))``: clusters that
  emerge outside Seoul (software, IT and R&D around Pangyo in Bundang-gu from about 2015;
  humanities and social science R&D in Sejong after the government institutes moved there, about
  2014; R&D in Sejong, Suwon Yeongtong-gu and Hwaseong-si from about 2016-2018) and one that fades
  (engineering around Geoje-si after the shipbuilding slump, about 2016);
- employees ~ Poisson(mu_ist x lognormal noise, sigma 0.08); establishments ~ Poisson(employees /
  average size of the sector's establishments), at least one where there are employees;
- total establishments (all industries) = total employment / 4.4 x lognormal noise (sigma 0.1),
  from a second stream of the seed so the other values do not depend on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..analysis.sectors import KIBS_SECTORS
from ..files import write_csv, write_text

DEMO_SEED = 20140582
DEMO_YEARS = tuple(range(2012, 2023))
SECTOR_FILE = "kibs_synthetic_sectors.csv"
TOTALS_FILE = "kibs_synthetic_totals.csv"
_EMPLOYEES_PER_ESTABLISHMENT = 4.4  # all industries, roughly the Korean average
METADATA_FILE = "kibs_synthetic_metadata.json"

# national share of total employment, average employees per establishment, growth over the panel
_SECTOR_PROFILE: dict[str, tuple[float, float, float]] = {
    "582": (0.0030, 14.0, 1.55),
    "62": (0.0100, 16.0, 1.65),
    "63": (0.0030, 12.0, 1.50),
    "701": (0.0080, 25.0, 1.35),
    "702": (0.0006, 15.0, 1.10),
    "711": (0.0020, 5.0, 1.15),
    "712": (0.0030, 5.0, 1.12),
    "713": (0.0020, 8.0, 1.08),
    "714": (0.0005, 10.0, 1.05),
    "7153": (0.0030, 6.0, 1.30),
    "7211": (0.0030, 7.0, 1.05),
    "7212": (0.0050, 12.0, 1.20),
    "7291": (0.0020, 11.0, 1.25),
    "732": (0.0015, 4.0, 1.20),
}

_GANGNAM, _SEOCHO = "11680", "11650"
_IT_BELT = {"11440": 3.0, "11530": 3.5, "11545": 4.0}  # Mapo-gu, Guro-gu, Geumcheon-gu
_RND = {"30200": 9.0, "41135": 3.0, "41117": 2.0, "41590": 2.0}  # Yuseong, Bundang, Yeongtong, Hwaseong
_PRODUCTION = {  # Changwon's five gu, Geoje-si, Pohang's two gu, Cheongju's two gu
    "48121": 4.0, "48123": 5.0, "48125": 3.0, "48127": 3.0, "48129": 3.0,
    "48310": 5.0, "47111": 4.0, "47113": 3.0, "43111": 3.0, "43113": 4.0,
}

_ANCHORS: dict[str, dict[str, float]] = {
    "732": {_GANGNAM: 9.0, _SEOCHO: 5.0},
    "713": {_GANGNAM: 8.0, _SEOCHO: 4.0, "11140": 2.0},
    "7211": {_GANGNAM: 6.0, _SEOCHO: 5.0},
    "711": {_SEOCHO: 8.0, _GANGNAM: 4.0},
    "712": {_GANGNAM: 4.0, _SEOCHO: 3.0, "11560": 2.0},
    "7153": {_GANGNAM: 6.0, _SEOCHO: 3.0, "11140": 2.0},
    "714": {_GANGNAM: 5.0, "11140": 2.0},
    "702": {"30200": 3.0, "11110": 3.0, _SEOCHO: 2.0},
    "582": {**_IT_BELT, "41135": 5.0},
    "62": {**_IT_BELT, "41135": 4.0},
    "63": {**_IT_BELT, "41135": 5.0},
    "701": _RND,
    "7212": _PRODUCTION,
    "7291": {**_PRODUCTION, **{k: v / 2 for k, v in _RND.items()}},
}
_PANGYO, _SEJONG, _YEONGTONG, _HWASEONG, _GEOJE = "41135", "36110", "41117", "41590", "48310"
# sector -> changing place -> (amplitude, middle year of its logistic ramp)
_CHANGES: dict[str, dict[str, tuple[float, float]]] = {
    "582": {_PANGYO: (5.0, 2015), "11440": (1.0, 2014)},
    "62": {_PANGYO: (4.0, 2015), _YEONGTONG: (2.0, 2017)},
    "63": {_PANGYO: (5.0, 2015), "11440": (1.5, 2014)},
    "701": {_SEJONG: (5.0, 2016), _YEONGTONG: (5.0, 2017), _HWASEONG: (5.0, 2018), _PANGYO: (3.0, 2016)},
    "702": {_SEJONG: (12.0, 2014)},
    "7212": {_GEOJE: (-0.7, 2016)},
    "7291": {_GEOJE: (-0.6, 2016)},
}
_BUSINESS_DISTRICTS = {_GANGNAM: 2.8, _SEOCHO: 1.8, "11140": 2.2, "11110": 1.5, "11560": 1.8, "11710": 1.3, "41135": 1.6}
_DECAY_KM = 6.0
_REGION_EFFECT_SIGMA = 0.15
_YEAR_NOISE_SIGMA = 0.08
_URBAN_SCALING = 0.2
_MAX_KIBS_SHARE = 0.5


@dataclass(frozen=True)
class DemoData:
    sectors: pd.DataFrame  # region_code, region_name, year, ksic, employees, establishments
    totals: pd.DataFrame  # region_code, region_name, year, total_employees, total_establishments
    metadata: dict


def generate_demo_data(regions: gpd.GeoDataFrame, seed: int = DEMO_SEED,
                       years: tuple[int, ...] = DEMO_YEARS) -> DemoData:
    """Generate the synthetic tidy sector table and totals for ``regions`` (EPSG:5179)."""
    rng = np.random.default_rng(seed)
    codes = regions["region_code"].astype(str).to_numpy()
    names = regions["full_name_ko"].to_numpy()
    totals0 = _total_employment(regions, rng)
    distance_km = _distance_matrix_km(regions.geometry.values)
    scale = (totals0 / np.median(totals0)) ** _URBAN_SCALING
    effects = {s.ksic: rng.lognormal(0.0, _REGION_EFFECT_SIGMA, len(codes)) for s in KIBS_SECTORS}
    sector_rows, total_rows = [], []
    for year in years:
        elapsed = (year - years[0]) / (years[-1] - years[0])
        totals = totals0 if year == years[0] else np.round(totals0 * 1.10**elapsed * rng.lognormal(0.0, 0.03, len(codes)))
        for sector in KIBS_SECTORS:
            share, firm_size, growth = _SECTOR_PROFILE[sector.ksic]
            mu = (totals0 * share * scale * _agglomeration(codes, distance_km, _ANCHORS[sector.ksic]) * growth**elapsed
                  * _change(codes, distance_km, _CHANGES.get(sector.ksic, {}), year) * effects[sector.ksic])
            employees = rng.poisson(mu * rng.lognormal(0.0, _YEAR_NOISE_SIGMA, len(codes)))
            establishments = np.where(employees > 0, np.maximum(1, rng.poisson(employees / firm_size)), 0)
            sector_rows.append(pd.DataFrame({
                "region_code": codes, "region_name": names, "year": year, "ksic": sector.ksic,
                "employees": employees.astype(np.int64), "establishments": establishments.astype(np.int64),
            }))
        kibs = sum(rows["employees"].to_numpy() for rows in sector_rows[-len(KIBS_SECTORS):])
        totals = np.maximum(totals, np.ceil(kibs / _MAX_KIBS_SHARE))  # a booming district's jobs are not all KIBS
        total_rows.append(pd.DataFrame({"region_code": codes, "region_name": names, "year": year, "total_employees": totals.astype(np.int64)}))
    totals = pd.concat(total_rows, ignore_index=True)
    totals["total_establishments"] = _total_establishments(totals["total_employees"].to_numpy(), seed)
    return DemoData(pd.concat(sector_rows, ignore_index=True), totals, _metadata(seed, years))


def save_demo_data(data: DemoData, folder: str | Path) -> list[Path]:
    folder = Path(folder)
    return [
        write_csv(folder / SECTOR_FILE, data.sectors),
        write_csv(folder / TOTALS_FILE, data.totals),
        write_text(folder / METADATA_FILE, json.dumps(data.metadata, ensure_ascii=False, indent=2) + "\n"),
    ]


def _total_establishments(total_employees: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 1])
    noise = rng.lognormal(0.0, 0.1, len(total_employees))
    return np.maximum(1, np.round(total_employees / _EMPLOYEES_PER_ESTABLISHMENT * noise)).astype(np.int64)


def _total_employment(regions: gpd.GeoDataFrame, rng: np.random.Generator) -> np.ndarray:
    sido = regions["sido_code"].astype(str).to_numpy()
    name = regions["name_ko"].astype(str).to_numpy()
    is_district = regions["parent_city"].fillna("").astype(str).str.len().to_numpy() > 0
    base = np.zeros(len(name))
    for i, (s, n, district) in enumerate(zip(sido, name, is_district)):
        if s == "11":
            base[i] = 250_000
        elif s in {"26", "27", "28", "29", "30", "31"} and n.endswith("구"):
            base[i] = 90_000
        elif n.endswith("군"):
            base[i] = 18_000
        else:
            base[i] = 110_000 if district else 80_000
    boost = np.array([_BUSINESS_DISTRICTS.get(c, 1.0) for c in regions["region_code"].astype(str)])
    return np.round(base * boost * rng.lognormal(0.0, 0.35, len(base)))


def _distance_matrix_km(geoms) -> np.ndarray:
    points = shapely.point_on_surface(geoms)
    xy = np.column_stack([shapely.get_x(points), shapely.get_y(points)])
    return np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)) / 1000.0


def _agglomeration(codes: np.ndarray, distance_km: np.ndarray, anchors: dict[str, float]) -> np.ndarray:
    """``1 + sum_a amp_a * exp(-d_ia / 6 km)`` over anchor regions present in ``codes``."""
    factor = np.ones(len(codes))
    index = {c: i for i, c in enumerate(codes)}
    for code, amplitude in anchors.items():
        if code in index:
            factor += amplitude * np.exp(-distance_km[:, index[code]] / _DECAY_KM)
    return factor


def _change(codes: np.ndarray, distance_km: np.ndarray, changes: dict[str, tuple[float, float]], year: int) -> np.ndarray:
    """``max(0.1, 1 + sum_c amp_c * ramp_c(year) * exp(-d_ic / 6 km))``, ``ramp_c`` logistic around its year."""
    ramped = {code: amplitude / (1.0 + np.exp(-(year - middle))) for code, (amplitude, middle) in changes.items()}
    return np.maximum(0.1, _agglomeration(codes, distance_km, ramped))


def _metadata(seed: int, years: tuple[int, ...]) -> dict:
    return {
        "synthetic": True,
        "title": "SYNTHETIC demo data: KIBS employees and establishments by si-gun-gu (not real statistics)",
        "generator": "kibs_spatial.demo.generate_demo_data",
        "seed": seed,
        "years": list(years),
        "sectors": [s.ksic for s in KIBS_SECTORS],
        "region_code_system": "MOIS legal-dong si-gun-gu codes of the bundled boundaries",
        "model": (__doc__ or "").strip().split("\n\n", 2)[2],
        "warning": "Results computed from this data are not findings about Korea.",
    }
