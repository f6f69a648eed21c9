"""Build the bundled 2022 si-gun-gu GeoPackage and the KOSTAT <-> MOIS crosswalk of 2022-03-09.

Run from the repository root::

    python scripts/build_boundaries_2022.py     # writes data/boundaries/kr_sigungu_2022.gpkg
                                                # and src/kibs_spatial/reference/kostat_sigungu_2022.csv
    python scripts/build_boundaries_2022.py --source ../shared/data/boundaries_2022 \\
        --output /tmp/check.gpkg --crosswalk /tmp/check.csv

Input (read here only, never at run time), from github.com/vuski/admdongkor ``ver20220309``,
built from KOSTAT SGIS boundaries:

- ``sgg_20220309_admdongkor.geojson``: 250 si-gun-gu, MOIS codes ``sgg``, ``SIDONM``, ``SGGNM``,
  WGS84, dissolved from administrative-dong polygons (neighbours share their vertices);
- ``admdong_codes_20220309.tsv``: the 3,512 administrative dongs with their KOSTAT 7- and 8-digit
  codes (``adm_cd``, ``adm_cd8``), MOIS 10-digit code (``adm_cd2``) and MOIS si-gun-gu (``sgg``).

What it does (see data/boundaries/README.md and src/kibs_spatial/reference/README.md):

1. reads the 250 units; checks the codes (unique, 5 digits, first two digits = the province of
   ``SIDONM``) and the province names of 2022 (강원도 42, 전라북도 45);
2. repairs the invalid polygons with ``make_valid`` (polygonal parts kept) and counts them;
3. projects to EPSG:5179 and snaps to a 1 m grid (``shapely.set_precision``) -- no
   simplification: the source is already simplified, and its shared edges are kept;
4. splits "수원시장안구" into the general-purpose district 장안구 and its city 수원시 (41110), as
   the 2013 layer does; takes each English name from ``data/boundaries/sigungu_names.csv`` when
   the unit and its name are unchanged since the 2013 layer, else from ``NAMES_2022`` below (the
   build fails on any unit covered by neither);
5. dissolves the districts into their cities (``sigungu_city``) and the units into provinces,
   simplified 100 m for map context (``sido``), as ``scripts/build_boundaries.py`` does;
6. writes the three layers and ``layer_provenance`` to a GeoPackage 1.2 (temporary file, then
   renamed; timestamps pinned, so the same input gives the same bytes);
7. derives the KOSTAT statistical <-> MOIS legal si-gun-gu crosswalk from the dong table, checks
   that it is one to one on both KOSTAT bases and that the 8-digit basis follows the county +200
   rule, and writes it with the columns of ``reference/kostat_sigungu.csv``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

# shared with the 2013 layer: the province table, the grid, and the geometry of cities and provinces
from build_boundaries import (
    CAPITAL_REGION,
    CRS,
    GRID_SIZE,
    SIDO,
    SIDO_SIMPLIFY,
    UNIT_FIELDS,
    build_cities,
    build_sido,
    city_name_en,
    full_name,
    on_grid,
    polygonal,
)

REPOSITORY = Path(__file__).resolve().parents[1]
SOURCE_DIR = REPOSITORY.parent / "shared" / "data" / "boundaries_2022"
SOURCE_UNITS = "sgg_20220309_admdongkor.geojson"
SOURCE_DONGS = "admdong_codes_20220309.tsv"
OUTPUT = REPOSITORY / "data" / "boundaries" / "kr_sigungu_2022.gpkg"
CROSSWALK = REPOSITORY / "src" / "kibs_spatial" / "reference" / "kostat_sigungu_2022.csv"
NAMES_2013 = REPOSITORY / "data" / "boundaries" / "sigungu_names.csv"
KOSTAT_2013 = REPOSITORY / "src" / "kibs_spatial" / "reference" / "kostat_sigungu.csv"

EXPECTED_UNITS = 250
PINNED_TIMESTAMP = "2022-03-09T00:00:00Z"  # gpkg_contents.last_change, pinned for reproducible bytes
GPKG_VERSION = "1.2"

SOURCE_VERSION = "github.com/vuski/admdongkor ver20220309"
CODE_SYSTEM = "MOIS legal-dong si-gun-gu code (2022-03-09 structure)"
ATTRIBUTION = (
    "Source: Statistics Korea (KOSTAT) SGIS boundaries (통계청 통계지리정보서비스(SGIS)), "
    "via github.com/vuski/admdongkor ver20220309"
)
LICENCE = (
    "KOSTAT SGIS administrative-dong boundaries, Korea Open Government Licence (KOGL) Type 1 "
    "(공공누리 제1유형): free use including commercial use, the source must be credited as "
    "통계청 통계지리정보서비스(SGIS); admdongkor's processing: free use, a link to "
    "https://github.com/vuski/admdongkor requested (the repository's current LICENSE-DATA states "
    "CC BY 4.0 for its processed boundaries and asks to keep the SGIS and vuski/admdongkor credits); "
    "modified here (projected, snapped to 1 m, dissolved)"
)
VINTAGE = (
    "si-gun-gu structure of 2022-03-09 (admdongkor ver20220309, the 20th presidential election): "
    "Michuhol-gu 28177, Bucheon-si 41190 without gu, Yeoju-si 41670, Cheongju-si with four gu "
    "43111-43114, Gunwi-gun still in Gyeongsangbuk-do 47720, 강원도 42 and 전라북도 45"
)

SIDO_BY_NAME = {name: code for code, (name, _) in SIDO.items()}
SEJONG = "36110"

# Units that are new or renamed since the 2013 layer (or whose source name needs a fix), with
# their names: code -> (name_ko, English name in the Revised Romanization, why). Every other
# unit must be unchanged since the 2013 layer and takes its English name from sigungu_names.csv.
NAMES_2022 = {
    "28177": ("미추홀구", "Michuhol-gu", "Incheon Nam-gu 28170 renamed Michuhol-gu and recoded (2018)"),
    "36110": ("세종시", "Sejong-si", "the source names the unit 세종특별자치시 (its province); short name as in the 2013 layer"),
    "41190": ("부천시", "Bucheon-si", "Bucheon's three gu 41195/41197/41199 abolished (2016): one unit (gu restored 2024)"),
    "41670": ("여주시", "Yeoju-si", "Yeoju-gun 41730 became Yeoju-si and was recoded (2013)"),
    "43111": ("상당구", "Cheongju-si Sangdang-gu", "Cheongju-si and Cheongwon-gun 43710 merged (2014): code reused for a new area"),
    "43112": ("서원구", "Cheongju-si Seowon-gu", "new gu of the merged Cheongju-si (2014)"),
    "43113": ("흥덕구", "Cheongju-si Heungdeok-gu", "Cheongju-si and Cheongwon-gun 43710 merged (2014): code reused for a new area"),
    "43114": ("청원구", "Cheongju-si Cheongwon-gu", "new gu of the merged Cheongju-si (2014)"),
}

CROSSWALK_FIELDS = ["kostat_code", "kostat_code_8", "kostat_name", "mois_code", "mois_name", "kind", "note"]
LAYERS = {
    "sigungu": "Korean si-gun-gu, general-purpose districts (ilban-gu) as separate units; MOIS legal codes, 2022-03-09 structure",
    "sigungu_city": "Korean si-gun-gu with general-purpose districts dissolved into their cities; MOIS legal codes, 2022-03-09 structure",
    "sido": "Korean provinces (sido) dissolved from the si-gun-gu units, simplified 100 m (islets dropped), context only",
}
# KOSTAT province prefix -> MOIS province prefix, as in reference/README.md (2013 and 2022 alike)
KOSTAT_TO_MOIS_PROVINCE = {
    "11": "11", "21": "26", "22": "27", "23": "28", "24": "29", "25": "30", "26": "31", "29": "36",
    "31": "41", "32": "42", "33": "43", "34": "44", "35": "45", "36": "46", "37": "47", "38": "48", "39": "50",
}
DISTRICT_NAME = re.compile(r"(?P<city>\w+?시)(?P<gu>\w+구)")  # "수원시장안구", "창원시마산합포구"


class BuildError(RuntimeError):
    """The input does not have the properties the layers promise."""


# --------------------------------------------------------------------------- input

def read_units(path: Path) -> gpd.GeoDataFrame:
    """The 250 source units (WGS84), every attribute as text."""
    units = gpd.read_file(path, engine="pyogrio")
    if units.crs is None or units.crs.to_epsg() != 4326:
        raise BuildError(f"{path.name}: expected WGS84 (EPSG:4326), got {units.crs}")
    for column in ("sgg", "SIDONM", "SGGNM"):
        units[column] = units[column].astype(str).str.strip()
    return units.sort_values("sgg").reset_index(drop=True)


def read_dongs(path: Path) -> pd.DataFrame:
    """The administrative-dong code table, every column as text."""
    dongs = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8")
    missing = {"adm_cd", "adm_cd8", "adm_cd2", "sgg", "sidonm", "sggnm"} - set(dongs.columns)
    if missing:
        raise BuildError(f"{path.name}: missing columns {sorted(missing)}")
    return dongs


def read_csv_text(path: Path) -> pd.DataFrame:
    with open(path, encoding="utf-8", newline="") as handle:
        return pd.DataFrame(list(csv.DictReader(handle)), dtype=object).fillna("")


def sha256(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------- geometry









# --------------------------------------------------------------------------- units

def check_source(units: gpd.GeoDataFrame) -> None:
    """250 units, unique 5-digit codes, 2022 province names, code prefix = province code."""
    problems = []
    if len(units) != EXPECTED_UNITS:
        problems.append(f"{len(units)} units, expected {EXPECTED_UNITS}")
    codes = units["sgg"]
    if codes.duplicated().any():
        problems.append(f"duplicated codes: {sorted(set(codes[codes.duplicated()]))}")
    five = codes.str.fullmatch(r"\d{5}")
    if not five.all():
        problems.append(f"codes not 5 digits: {sorted(codes[~five])}")
    for row in units.itertuples():
        sido = SIDO_BY_NAME.get(row.SIDONM)
        if sido is None:
            problems.append(f"{row.sgg}: province name {row.SIDONM!r} is not one of 2022")
        elif row.sgg[:2] != sido:
            problems.append(f"{row.sgg}: first two digits differ from the code {sido} of {row.SIDONM}")
    if problems:
        raise BuildError("source units:\n  " + "\n  ".join(problems))


def split_name(code: str, source_name: str) -> tuple[str, str, str]:
    """``(name_ko, parent_city, parent_code)`` from the source name ("수원시장안구" -> 장안구, 수원시, 41110)."""
    if code == SEJONG:
        return NAMES_2022[SEJONG][0], "", ""
    match = DISTRICT_NAME.fullmatch(source_name)
    if match and code[4] != "0":  # a general-purpose district: city code = its first four digits + 0
        return match["gu"], match["city"], code[:4] + "0"
    return source_name, "", ""




def unit_attributes(units: gpd.GeoDataFrame, names_2013: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """All unit fields; also the differences from the 2013 layer (added, removed, renamed, reused)."""
    old = names_2013.set_index("region_code")
    rows, problems = [], []
    for code, source_name in zip(units["sgg"], units["SGGNM"]):
        name_ko, parent_city, parent_code = split_name(code, source_name)
        key = (name_ko, parent_city, parent_code)
        unchanged = code in old.index and tuple(old.loc[code, ["name_ko", "parent_city", "parent_code"]]) == key
        if code in NAMES_2022:
            expected, name_en, _ = NAMES_2022[code]
            if expected != name_ko:
                problems.append(f"{code}: source name {source_name!r} gives {name_ko!r}, NAMES_2022 says {expected!r}")
        elif unchanged:
            name_en = old.loc[code, "name_en"]
        else:
            was = f"{old.loc[code, 'parent_city']} {old.loc[code, 'name_ko']}".strip() if code in old.index else "absent"
            problems.append(f"{code} {source_name}: new or renamed since 2013 (2013: {was}); add it to NAMES_2022")
            continue
        if parent_code and not name_en.startswith(f"{city_name_en(name_en)} "):
            problems.append(f"{code}: English name {name_en!r} of a district lacks its city")
        sido_code = code[:2]
        rows.append({
            "region_code": code, "code_system": CODE_SYSTEM, "sido_code": sido_code,
            "sido_name": SIDO[sido_code][0], "sido_name_en": SIDO[sido_code][1], "name_ko": name_ko,
            "parent_city": parent_city, "parent_code": parent_code,
            "full_name_ko": full_name(SIDO[sido_code][0], parent_city, name_ko), "name_en": name_en,
            "capital_region": sido_code in CAPITAL_REGION,
        })
    if problems:
        raise BuildError("unit names:\n  " + "\n  ".join(problems))
    table = pd.DataFrame(rows, columns=UNIT_FIELDS)
    new = table.set_index("region_code")
    label = lambda frame, c: f"{c} {full_name(SIDO[c[:2]][0], frame.loc[c, 'parent_city'], frame.loc[c, 'name_ko'])}"
    old_full = old.assign(sido=[c[:2] for c in old.index])
    changes = {
        "added": [label(new, c) for c in sorted(set(new.index) - set(old.index))],
        "removed": [label(old_full, c) for c in sorted(set(old.index) - set(new.index))],
        "renamed": [f"{c}: {label(old_full, c)} -> {label(new, c)}" for c in sorted(set(new.index) & set(old.index))
                    if (old.loc[c, "name_ko"], old.loc[c, "parent_city"]) != (new.loc[c, "name_ko"], new.loc[c, "parent_city"])],
        "area_redefined": [f"{label(new, c)}: {NAMES_2022[c][2]}" for c in sorted(set(new.index) & set(old.index) & set(NAMES_2022))
                           if "reused" in NAMES_2022[c][2]],
    }
    return table, changes




def build_units(units: gpd.GeoDataFrame, names_2013: pd.DataFrame) -> tuple[gpd.GeoDataFrame, list[str], dict]:
    """The ``sigungu`` layer; also the codes repaired with make_valid and the changes since 2013."""
    check_source(units)
    table, changes = unit_attributes(units, names_2013)
    geoms = units.geometry.to_numpy().copy()
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    for i in invalid:
        geoms[i] = polygonal(shapely.make_valid(geoms[i]))
    projected = gpd.GeoSeries(geoms, crs=units.crs).to_crs(CRS).to_numpy()
    layer = gpd.GeoDataFrame(table, geometry=list(on_grid(projected)), crs=CRS)
    return layer, units["sgg"].iloc[invalid].tolist(), changes






def check_layers(units: gpd.GeoDataFrame, cities: gpd.GeoDataFrame, sido: gpd.GeoDataFrame) -> None:
    """Fail loudly on the properties the rest of the toolkit relies on."""
    problems = []
    if len(units) != EXPECTED_UNITS:
        problems.append(f"sigungu: {len(units)} units, expected {EXPECTED_UNITS}")
    if len(sido) != len(SIDO):
        problems.append(f"sido: {len(sido)} provinces, expected {len(SIDO)}")
    for name, layer in (("sigungu", units), ("sigungu_city", cities), ("sido", sido)):
        if not layer.geometry.is_valid.all() or layer.geometry.is_empty.any():
            problems.append(f"{name}: invalid or empty geometry")
        if (layer.geom_type != "MultiPolygon").any():
            problems.append(f"{name}: non-MultiPolygon geometry")
    for name, layer in (("sigungu", units), ("sigungu_city", cities)):
        codes = layer["region_code"]
        if codes.duplicated().any() or not codes.str.fullmatch(r"\d{5}").all():
            problems.append(f"{name}: region_code not unique 5-digit text")
        if not (codes.str[:2] == layer["sido_code"]).all():
            problems.append(f"{name}: region_code does not start with its sido_code")
    if set(cities["region_code"]) & set(units.loc[units["parent_code"] != "", "region_code"]):
        problems.append("sigungu_city: a district is still present")
    if problems:
        raise BuildError("layers:\n  " + "\n  ".join(problems))


def overlap_area(units: gpd.GeoDataFrame) -> float:
    """Total area (m²) shared by two units: about zero for a topologically clean layer."""
    geoms = units.geometry.to_numpy()
    left, right = units.sindex.query(geoms, predicate="intersects")
    keep = left < right
    return float(shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]])).sum())


def provenance(repaired_codes: list[str], source: Path, overlap: float) -> pd.DataFrame:
    """The non-spatial ``layer_provenance`` table: one row per layer."""
    processing = {
        "sigungu": (
            f"invalid polygons repaired with make_valid, polygonal parts kept ({len(repaired_codes)}: "
            f"{', '.join(repaired_codes) or 'none'}); projected to {CRS}; coordinates snapped to a {GRID_SIZE:g} m grid; "
            "no other simplification (the source is already simplified); general-purpose districts split from "
            "their city name ('수원시장안구' -> 장안구, parent 수원시 41110); English names from sigungu_names.csv "
            "for units unchanged since 2013, from the build script's table otherwise; "
            f"shared area between units after processing {overlap:.0f} m2"
        ),
        "sigungu_city": "as sigungu, then general-purpose districts dissolved into their cities",
        "sido": f"sigungu units dissolved by sido_code; simplified {SIDO_SIMPLIFY:g} m without topology preservation (islets vanish), repaired with make_valid; {GRID_SIZE:g} m grid",
    }
    rows = [
        {
            "layer": layer,
            "description": description,
            "source": f"{SOURCE_UNITS} ({SOURCE_VERSION})",
            "source_dataset": "KOSTAT SGIS administrative-dong boundaries, corrected for dong changes and dissolved to si-gun-gu by vuski/admdongkor, version of 2022-03-09",
            "attribution": ATTRIBUTION,
            "licence": LICENCE,
            "vintage": VINTAGE,
            "code_system": CODE_SYSTEM if layer != "sido" else "MOIS sido code (2022-03-09 structure)",
            "crs": CRS,
            "processing": processing[layer],
            "build_script": "scripts/build_boundaries_2022.py",
            "source_version": SOURCE_VERSION,
            "source_data_sha256": sha256(source / SOURCE_UNITS),
        }
        for layer, description in LAYERS.items()
    ]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- KOSTAT crosswalk

def eight_digit_basis(code: str) -> str:
    """County codes move from 3xx/4xx to 5xx/6xx on the 8-digit basis; others are unchanged."""
    return f"{code[:2]}{int(code[2:]) + 200}" if int(code[2:]) >= 300 else code


def build_crosswalk(dongs: pd.DataFrame, units: gpd.GeoDataFrame, kostat_2013: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """KOSTAT <-> MOIS si-gun-gu as of 2022-03-09; also the exceptions to the 8-digit rule."""
    frame = pd.DataFrame({
        "kostat_code": dongs["adm_cd"].str[:5], "kostat_code_8": dongs["adm_cd8"].str[:5],
        "mois_code": dongs["sgg"], "kostat_name": dongs["sggnm"], "mois_10": dongs["adm_cd2"],
    })
    problems = []
    for column in ("kostat_code", "kostat_code_8", "mois_code"):
        bad = frame[~frame[column].str.fullmatch(r"\d{5}")]
        if len(bad):
            problems.append(f"{column} not 5 digits: {sorted(set(bad[column]))}")
    if not (frame["mois_10"].str[:5] == frame["mois_code"]).all():
        problems.append("sgg differs from the first five digits of adm_cd2")
    # one to one between every pair of code systems, at the level of the dongs
    for a, b in (("kostat_code", "mois_code"), ("kostat_code_8", "mois_code"), ("kostat_code", "kostat_code_8")):
        for left, right in ((a, b), (b, a)):
            many = frame.groupby(left)[right].nunique()
            for code in many[many > 1].index:
                problems.append(f"{left} {code} maps to several {right}: {sorted(set(frame.loc[frame[left] == code, right]))}")
    names = frame.groupby("kostat_code")["kostat_name"].nunique()
    problems += [f"kostat_code {c} has several names" for c in names[names > 1].index]
    table = frame.drop(columns="mois_10").drop_duplicates().sort_values("kostat_code").reset_index(drop=True)
    layer = units.set_index("region_code")
    if set(table["mois_code"]) != set(layer.index):
        problems.append(f"MOIS codes of the dong table differ from the layer: "
                        f"{sorted(set(table['mois_code']) ^ set(layer.index))}")
    for row in table.itertuples():
        if KOSTAT_TO_MOIS_PROVINCE.get(row.kostat_code[:2]) != row.mois_code[:2]:
            problems.append(f"KOSTAT {row.kostat_code} -> MOIS {row.mois_code}: province prefixes do not correspond")
    if problems:
        raise BuildError("KOSTAT crosswalk:\n  " + "\n  ".join(problems))

    exceptions = [f"{r.kostat_code} {r.kostat_name}: 8-digit basis {r.kostat_code_8}, rule gives {eight_digit_basis(r.kostat_code)}"
                  for r in table.itertuples() if eight_digit_basis(r.kostat_code) != r.kostat_code_8]
    table["mois_name"] = table["mois_code"].map(layer["full_name_ko"])
    table["kind"] = "unit"
    table["note"] = [_note_2013(r, kostat_2013) for r in table.itertuples()]
    for text in exceptions:
        code = text.split(" ")[0]
        table.loc[table["kostat_code"] == code, "note"] = (
            table.loc[table["kostat_code"] == code, "note"] + "; " + "8-digit basis does not follow the +200 rule").str.strip("; ")
    cities = _cities(table, layer)
    clash = set(cities["kostat_code"]) & set(table["kostat_code"]) | set(cities["kostat_code"]) & set(table["kostat_code_8"])
    if clash:
        raise BuildError(f"KOSTAT city codes collide with unit codes: {sorted(clash)}")
    out = pd.concat([table, cities], ignore_index=True).sort_values("kostat_code").reset_index(drop=True)
    return out[CROSSWALK_FIELDS], exceptions


def _note_2013(row, kostat_2013: pd.DataFrame) -> str:
    """How the row differs from the 2013 table (kostat_sigungu.csv); empty when it does not."""
    old = kostat_2013[kostat_2013["kostat_code"] == row.kostat_code]
    if old.empty:
        return "KOSTAT code not in the 2013 table (kostat_sigungu.csv)"
    old = old.iloc[0]
    if (old["mois_code"], old["kind"]) != (row.mois_code, "unit"):
        return f"2013 table: {old['kind']} MOIS {old['mois_code']} {old['mois_name']}"
    return ""


def _cities(table: pd.DataFrame, layer: pd.DataFrame) -> pd.DataFrame:
    """One row per city whose general-purpose districts are units (KOSTAT city code = xxxx0)."""
    districts = table[table["mois_code"].map(layer["parent_code"]) != ""]
    rows = []
    for city_code, part in districts.groupby(districts["kostat_code"].str[:4] + "0"):
        parents = set(part["mois_code"].map(layer["parent_code"]))
        if len(parents) != 1:
            raise BuildError(f"KOSTAT districts {', '.join(part['kostat_code'])} belong to several MOIS cities")
        parent = parents.pop()
        first = layer.loc[part["mois_code"].iloc[0]]
        rows.append({"kostat_code": city_code, "kostat_code_8": city_code, "kostat_name": first["parent_city"],
                     "mois_code": parent, "mois_name": full_name(first["sido_name"], first["parent_city"]),
                     "kind": "city", "note": f"whole city: districts {', '.join(sorted(part['kostat_code']))}"})
    cities = pd.DataFrame(rows)
    if cities["mois_code"].duplicated().any():
        raise BuildError("a MOIS city gets several KOSTAT city codes")
    return cities


def kostat_changes(table: pd.DataFrame, kostat_2013: pd.DataFrame) -> dict[str, list[str]]:
    """KOSTAT codes new since, or gone since, the 2013 table."""
    label = lambda f, c: f"{c} {f.loc[f['kostat_code'] == c, 'kostat_name'].iloc[0]}"
    new, old = set(table["kostat_code"]), set(kostat_2013["kostat_code"])
    return {"kostat_added": [label(table, c) for c in sorted(new - old)],
            "kostat_removed": [label(kostat_2013, c) for c in sorted(old - new)]}


# --------------------------------------------------------------------------- output

def replace_atomically(target: Path, write) -> None:
    """Call ``write(tmp)`` on a temporary path beside ``target``, then rename it over ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".part" + target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # GDAL wants to create the file itself
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)


def write_geopackage(path: Path, layers: dict[str, pd.DataFrame]) -> None:
    """Write the layers (GeoDataFrames and the plain provenance table) into a fresh GeoPackage 1.2."""
    def write(tmp: Path) -> None:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": PINNED_TIMESTAMP})
        try:
            for i, (layer, frame) in enumerate(layers.items()):
                options = {"layer_options": {"DESCRIPTION": LAYERS.get(layer, "provenance of the layers in this GeoPackage")}}
                if i == 0:
                    options["dataset_options"] = {"VERSION": GPKG_VERSION}
                if isinstance(frame, gpd.GeoDataFrame):
                    options["geometry_type"] = "MultiPolygon"
                pyogrio.write_dataframe(frame, tmp, layer=layer, driver="GPKG", **options)
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})

    replace_atomically(path, write)


def write_crosswalk(path: Path, table: pd.DataFrame) -> None:
    replace_atomically(path, lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n"))


def build(source: Path, output: Path, crosswalk: Path) -> dict:
    """Build every layer and the crosswalk from ``source``; write them; return what was built."""
    names_2013 = read_csv_text(NAMES_2013)
    units, repaired_codes, changes = build_units(read_units(source / SOURCE_UNITS), names_2013)
    cities = build_cities(units)
    sido = build_sido(units)
    check_layers(units, cities, sido)
    overlap = overlap_area(units)
    kostat_2013 = read_csv_text(KOSTAT_2013)
    table, exceptions = build_crosswalk(read_dongs(source / SOURCE_DONGS), units, kostat_2013)
    layers = {"sigungu": units, "sigungu_city": cities, "sido": sido,
              "layer_provenance": provenance(repaired_codes, source, overlap)}
    write_geopackage(output, layers)
    write_crosswalk(crosswalk, table)
    return {"layers": layers, "repaired": repaired_codes, "changes": changes, "overlap": overlap,
            "crosswalk": table, "exceptions": exceptions, "kostat_changes": kostat_changes(table, kostat_2013)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE_DIR,
                        help="folder with the admdongkor ver20220309 files (default: ../shared/data/boundaries_2022)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="GeoPackage to write")
    parser.add_argument("--crosswalk", type=Path, default=CROSSWALK, help="KOSTAT <-> MOIS CSV to write")
    args = parser.parse_args(argv)
    try:
        built = build(args.source, args.output, args.crosswalk)
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    for layer, frame in built["layers"].items():
        print(f"{layer}: {len(frame)} rows")
    print(f"repaired with make_valid: {len(built['repaired'])} ({', '.join(built['repaired']) or 'none'})")
    print(f"area shared by two units: {built['overlap']:.1f} m2")
    for kind, items in {**built["changes"], **built["kostat_changes"]}.items():
        print(f"{kind} ({len(items)}):" + "".join(f"\n  {item}" for item in items))
    table = built["crosswalk"]
    print(f"8-digit rule exceptions: {', '.join(built['exceptions']) or 'none'}")
    print(f"{args.output} ({args.output.stat().st_size / 1e6:.2f} MB)")
    print(f"{args.crosswalk}: {len(table)} rows ({(table['kind'] == 'unit').sum()} units, {(table['kind'] == 'city').sum()} cities)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
