"""Reading user boundary files (GeoPackage, shapefile, GeoJSON, TopoJSON) into the region layer.

The layer is reprojected to EPSG:5179 (or another CRS; ``"auto"`` keeps a projected CRS and
takes the local UTM zone for a geographic one) and invalid geometries are repaired with
``make_valid``; the number repaired is kept in ``frame.attrs["repaired"]``.

- A file without a CRS (a shapefile without ``.prj``, any TopoJSON) is an error unless the
  caller names its CRS (``source_crs``; ``[data] boundary_crs``, ``--boundary-crs``, ``--input-crs``).
- A shapefile's DBF text is read in the encoding its ``.cpg`` names; without a ``.cpg`` it is
  read as UTF-8 when it decodes as UTF-8, else as CP949 (EUC-KR), unless ``encoding`` is given.
  (UTF-8 first: CP949 bytes are almost never valid UTF-8, while UTF-8 bytes often decode as CP949.)
- TopoJSON is read by GDAL's TopoJSON driver (read-only) through pyogrio.
- The coordinates must fit the CRS the file declares (or the caller names): longitudes and latitudes
  within +-180 / +-90 for a geographic CRS; for a projected CRS, coordinates that are really degrees
  (all within +-180 / +-90 and inside the CRS's area of use read as longitude and latitude) are
  refused; a layer reprojected into EPSG:5179 must lie in Korea (the CRS's area of use). A layer that
  is already in the target CRS is not moved and not checked against Korea (synthetic grids are fine).
- Only the id column is required. A region layer (``id_column="region_code"``) gets the fields the
  outputs show when it lacks them: ``name_ko`` from a name column (``name_ko``, ``SIG_KOR_NM``,
  ``sigungu_name``, ``region_name``, ``name``) or the code, ``name_en`` from ``name_en`` /
  ``SIG_ENG_NM`` or the Korean name, ``sido_name`` and ``full_name_ko`` from the code's province
  prefix (MOIS codes; KOSTAT codes when a KOSTAT-only prefix appears), ``parent_city`` empty and
  ``capital_region`` from the prefix (Seoul, Incheon, Gyeonggi; false for an unknown prefix). The
  filled fields are listed in ``attrs["filled_fields"]``.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from ..crs import PROJECTED_CRS
from ..errors import InputError
from .region_names import KOSTAT_ONLY_PREFIXES, NEWER_PROVINCE_CODES, PROVINCES

KOREA_LONLAT = (122.71, 28.6, 134.28, 40.27)
"""Area of use of EPSG:5179 (Korea, onshore and offshore): a layer reprojected into it must overlap it."""
DEGREE_MARGIN = 10.0
"""Degrees around a projected CRS's area of use within which coordinates that look like degrees are refused."""
NAME_COLUMNS = ("name_ko", "SIG_KOR_NM", "sigungu_name", "region_name", "name")
ENGLISH_COLUMNS = ("name_en", "SIG_ENG_NM")
CAPITAL_PROVINCES = ("11", "28", "41")  # Seoul, Incheon, Gyeonggi (MOIS province codes)
KOSTAT_PROVINCES = {"11": "11", "21": "26", "22": "27", "23": "28", "24": "29", "25": "30", "26": "31", "29": "36",
                    "31": "41", "32": "42", "33": "43", "34": "44", "35": "45", "36": "46", "37": "47", "38": "48",
                    "39": "50"}
"""KOSTAT province prefix -> MOIS province code (KOSTAT 31 is Gyeonggi, MOIS 31 Ulsan)."""


def read_boundary_file(
    path: str | Path, *, layer: str | None = None, id_column: str | None = "region_code", target_crs: str = PROJECTED_CRS,
    source_crs: str | None = None, encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Polygons of ``path`` in ``target_crs`` with ``id_column`` as text; clear errors for bad files.

    With ``id_column=None`` the features are numbered from 1 in a new ``feature_id`` column.
    ``source_crs`` is used only when the file has no CRS of its own; ``encoding`` overrides the
    DBF encoding of a shapefile. ``attrs`` records ``source``, ``repaired`` and ``encoding``.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: boundary file not found; check the path in the config ([data] boundaries) or on the command line")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a boundary file; name the .gpkg, .shp, .geojson or .topojson file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the boundary file is empty")
    _check_shapefile_parts(path)
    regions, used_encoding = _read(path, layer, encoding)
    if not isinstance(regions, gpd.GeoDataFrame):
        raise InputError(f"{path}: the layer has no geometry (a table, not polygons); use a GeoPackage, shapefile, GeoJSON "
                         "or TopoJSON with polygons")
    if regions.empty:
        raise InputError(f"{path}: the boundary layer has no features")
    if id_column is None:
        id_column = "feature_id"
        regions.insert(0, id_column, [str(i) for i in range(1, len(regions) + 1)])
    if id_column not in regions.columns:
        raise InputError(f"{path}: the boundary layer has no column {id_column!r}; columns: {', '.join(map(str, regions.columns))} "
                         "— name the id field with --id")
    declared = "the file declares" if regions.crs is not None else "you named"
    regions = _with_crs(regions, path, source_crs, target_crs)
    _check_coordinates(regions, path, declared)
    regions = _reprojected(regions, path, target_crs, declared)
    regions[id_column] = regions[id_column].astype(str)
    duplicated = regions[id_column][regions[id_column].duplicated()].unique().tolist()
    if duplicated:
        raise InputError(f"{path}: the id column {id_column!r} has duplicate values ({', '.join(duplicated[:5])}); choose a unique id with --id")
    polygonal = regions.geom_type.isin(["Polygon", "MultiPolygon"]) | regions.geometry.isna()
    if not polygonal.all():
        raise InputError(f"{path}: feature {regions[id_column][~polygonal].iloc[0]} is a {regions.geom_type[~polygonal].iloc[0]}, not a polygon")
    invalid = ~regions.geometry.is_valid & regions.geometry.notna()
    regions.loc[invalid, "geometry"] = regions.geometry[invalid].make_valid()
    filled = _region_fields(regions) if id_column == "region_code" else []
    regions.attrs.update(source=str(path), repaired=int(invalid.sum()), encoding=used_encoding, filled_fields=filled)
    return regions


def _check_shapefile_parts(path: Path) -> None:
    """A shapefile is several files; without its .dbf GDAL reads the shapes with no attribute at all."""
    if path.suffix.lower() != ".shp":
        return
    for part, what in ((".dbf", "attribute table"), (".shx", "shape index")):
        if not any(path.with_suffix(suffix).exists() for suffix in (part, part.upper())):
            raise InputError(f"{path}: the shapefile's {what} {path.with_suffix(part).name} is missing; a shapefile is "
                             f"several files (.shp, .shx, .dbf, .prj) — copy them all into one folder")


def _bounds(regions: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    return tuple(float(v) for v in regions.total_bounds)  # type: ignore[return-value]


def _describe(bounds: tuple[float, float, float, float]) -> str:
    minx, miny, maxx, maxy = bounds
    return f"x {minx:,.6g} to {maxx:,.6g}, y {miny:,.6g} to {maxy:,.6g}"


def _check_coordinates(regions: gpd.GeoDataFrame, path: Path, declared: str) -> None:
    """The coordinates fit the CRS: degrees within range for a geographic CRS, no degrees in a projected one."""
    crs, bounds = regions.crs, _bounds(regions)
    name = crs.to_string()
    if not all(math.isfinite(v) for v in bounds):
        raise InputError(f"{path}: the layer has infinite or missing coordinates; repair the geometries in a GIS")
    minx, miny, maxx, maxy = bounds
    in_degrees = -180.0 <= minx and maxx <= 180.0 and -90.0 <= miny and maxy <= 90.0
    if crs.is_geographic and not in_degrees:
        raise InputError(f"{path}: the coordinates ({_describe(bounds)}) are not longitudes and latitudes, but {declared} "
                         f"{name} (degrees); they look like metres of a projected CRS — name the file's real CRS "
                         "([data] boundary_crs, --boundary-crs, --input-crs; e.g. EPSG:5179, EPSG:5186) or fix its .prj")
    area = crs.area_of_use
    if crs.is_projected and in_degrees and area is not None and _overlaps(bounds, area.bounds, DEGREE_MARGIN):
        raise InputError(f"{path}: the coordinates ({_describe(bounds)}) look like longitudes and latitudes, but {declared} "
                         f"{name}, in metres — name the real CRS (e.g. EPSG:4326 for degrees) with [data] boundary_crs, "
                         "--boundary-crs or --input-crs, or fix the file's .prj")


def _overlaps(bounds, area, margin: float = 0.0) -> bool:
    minx, miny, maxx, maxy = bounds
    west, south, east, north = area
    return minx <= east + margin and maxx >= west - margin and miny <= north + margin and maxy >= south - margin


def _reprojected(regions: gpd.GeoDataFrame, path: Path, target_crs, declared: str) -> gpd.GeoDataFrame:
    """``regions`` in ``target_crs`` (``auto``: their own projected CRS or the local UTM zone), checked."""
    source = regions.crs
    if target_crs == "auto":
        try:
            target_crs = source if source.is_projected else regions.estimate_utm_crs()
        except (RuntimeError, ProjError) as error:
            raise InputError(f"{path}: cannot find a UTM zone for the layer ({error}); name a projected CRS with "
                             "--crs") from None
    target = CRS.from_user_input(target_crs)
    if target == source:
        return regions
    try:
        moved = regions.to_crs(target)
    except (ProjError, CRSError) as error:
        raise InputError(f"{path}: cannot reproject the layer from {source.to_string()} to {target.to_string()} "
                         f"({error})") from None
    bounds = _bounds(moved)
    if not all(math.isfinite(v) for v in bounds):
        raise InputError(f"{path}: reprojected from {source.to_string()} to {target.to_string()} the layer has infinite "
                         f"coordinates: its coordinates ({_describe(_bounds(regions))}) do not fit the CRS {declared} — "
                         "name the file's real CRS or fix its .prj")
    if target == CRS.from_user_input(PROJECTED_CRS):
        lonlat = Transformer.from_crs(source, "EPSG:4326", always_xy=True).transform_bounds(*_bounds(regions))
        if not (all(np.isfinite(lonlat)) and _overlaps(lonlat, KOREA_LONLAT)):
            raise InputError(f"{path}: in the CRS {declared} ({source.to_string()}) the layer lies outside Korea "
                             f"(longitude {lonlat[0]:.4g} to {lonlat[2]:.4g}, latitude {lonlat[1]:.4g} to {lonlat[3]:.4g}); "
                             f"check the file's CRS, or for a layer elsewhere use --crs auto (hotspots, weights)")
    return moved


def _region_fields(regions: gpd.GeoDataFrame) -> list[str]:
    """Fill the region fields the outputs show that a user layer lacks; return the names filled."""
    codes = regions["region_code"].astype(str).str.strip()
    prefixes = codes.str[:2]
    kostat = prefixes.isin(KOSTAT_ONLY_PREFIXES).any()
    province = prefixes.map(lambda p: KOSTAT_PROVINCES.get(p, "") if kostat else NEWER_PROVINCE_CODES.get(p, p))
    sido = province.map(lambda p: PROVINCES.get(p, ("",))[0])
    names = _text_column(regions, NAME_COLUMNS, codes)
    english = _text_column(regions, ENGLISH_COLUMNS, names)
    full = pd.Series([n if not s or n.startswith(s) else f"{s} {n}" for s, n in zip(sido, names)], index=regions.index)
    filled = []
    for column, values in (("name_ko", names), ("full_name_ko", full), ("name_en", english), ("sido_name", sido),
                           ("parent_city", pd.Series("", index=regions.index)),
                           ("capital_region", province.isin(CAPITAL_PROVINCES))):
        if column not in regions.columns:
            regions[column] = values
            filled.append(column)
    return filled


def _text_column(regions: gpd.GeoDataFrame, candidates: tuple[str, ...], fallback: pd.Series) -> pd.Series:
    """The first of ``candidates`` the layer has, as text; ``fallback`` where it is empty or absent."""
    column = next((c for c in candidates if c in regions.columns), None)
    if column is None:
        return fallback
    text = regions[column].astype("string").str.strip()
    return text.where(text.notna() & (text != ""), fallback).astype(str)


def _read(path: Path, layer: str | None, encoding: str | None) -> tuple[gpd.GeoDataFrame, str | None]:
    """The file's features, and the DBF encoding used for a shapefile."""
    shapefile = path.suffix.lower() == ".shp"
    has_cpg = shapefile and (path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists())
    candidates = [encoding] if encoding else (["utf-8", "cp949"] if shapefile and not has_cpg else [None])
    for candidate in candidates:
        try:
            return gpd.read_file(path, layer=layer, engine="pyogrio", encoding=candidate), candidate
        except UnicodeDecodeError:
            continue
        except LookupError:
            raise InputError(f"{path}: unknown encoding {candidate!r}; use e.g. cp949 or utf-8") from None
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
            raise InputError(f"{path}: cannot read the boundary file ({error}); use a GeoPackage, shapefile, GeoJSON or TopoJSON") from None
    tried = " or ".join(c for c in candidates if c)
    raise InputError(f"{path}: the attribute table cannot be decoded as {tried}; name its encoding "
                     "([data] boundary_encoding, e.g. \"euc-kr\") or add a .cpg file")


def _with_crs(regions: gpd.GeoDataFrame, path: Path, source_crs: str | None, target_crs: str) -> gpd.GeoDataFrame:
    if regions.crs is not None:
        return regions
    if not source_crs:
        hint = " (TopoJSON carries no CRS; most TopoJSON files are in EPSG:4326)" if path.suffix.lower() in (".topojson", ".json") else ""
        raise InputError(
            f"{path}: the boundary file has no CRS{hint}; name it with [data] boundary_crs in the config or "
            f"--boundary-crs / --input-crs (e.g. EPSG:5179, EPSG:5186, EPSG:4326), or add a .prj file, so it can be "
            f"reprojected to {target_crs}"
        )
    try:
        return regions.set_crs(CRS.from_user_input(source_crs))
    except CRSError as error:
        raise InputError(f"{path}: cannot understand the CRS {source_crs!r} ({error}); give it as EPSG:5179 or similar") from None
