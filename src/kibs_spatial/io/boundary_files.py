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
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
from pyproj import CRS
from pyproj.exceptions import CRSError

from ..crs import PROJECTED_CRS
from ..errors import InputError


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
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(f"{path}: the boundary file is empty")
    regions, used_encoding = _read(path, layer, encoding)
    if regions.empty:
        raise InputError(f"{path}: the boundary layer has no features")
    if id_column is None:
        id_column = "feature_id"
        regions.insert(0, id_column, [str(i) for i in range(1, len(regions) + 1)])
    if id_column not in regions.columns:
        raise InputError(f"{path}: the boundary layer has no column {id_column!r}; columns: {', '.join(map(str, regions.columns))} "
                         "— name the id field with --id")
    regions = _with_crs(regions, path, source_crs, target_crs)
    if target_crs == "auto":
        target_crs = regions.crs if regions.crs.is_projected else regions.estimate_utm_crs()
    regions = regions.to_crs(target_crs)
    regions[id_column] = regions[id_column].astype(str)
    duplicated = regions[id_column][regions[id_column].duplicated()].unique().tolist()
    if duplicated:
        raise InputError(f"{path}: the id column {id_column!r} has duplicate values ({', '.join(duplicated[:5])}); choose a unique id with --id")
    polygonal = regions.geom_type.isin(["Polygon", "MultiPolygon"]) | regions.geometry.isna()
    if not polygonal.all():
        raise InputError(f"{path}: feature {regions[id_column][~polygonal].iloc[0]} is a {regions.geom_type[~polygonal].iloc[0]}, not a polygon")
    invalid = ~regions.geometry.is_valid & regions.geometry.notna()
    regions.loc[invalid, "geometry"] = regions.geometry[invalid].make_valid()
    regions.attrs.update(source=str(path), repaired=int(invalid.sum()), encoding=used_encoding)
    return regions


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
