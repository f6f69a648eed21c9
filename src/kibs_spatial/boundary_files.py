"""Reading user boundary files (GeoPackage, shapefile, GeoJSON) into the region layer.

The layer is reprojected to EPSG:5179 (or another CRS; ``"auto"`` keeps a projected CRS and
takes the local UTM zone for a geographic one) and invalid geometries are repaired with
``make_valid``; the number repaired is kept in ``frame.attrs["repaired"]``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio

from .errors import InputError
from .outputs import TARGET_CRS


def read_boundary_file(
    path: str | Path, *, layer: str | None = None, id_column: str | None = "region_code", target_crs: str = TARGET_CRS
) -> gpd.GeoDataFrame:
    """Polygons of ``path`` in ``target_crs`` with ``id_column`` as text; clear errors for bad files.

    With ``id_column=None`` the features are numbered from 1 in a new ``feature_id`` column.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: boundary file not found")
    try:
        regions = gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise InputError(f"{path}: cannot read the boundary file ({error})") from None
    if regions.empty:
        raise InputError(f"{path}: the boundary layer has no features")
    if id_column is None:
        id_column = "feature_id"
        regions.insert(0, id_column, [str(i) for i in range(1, len(regions) + 1)])
    if id_column not in regions.columns:
        raise InputError(f"{path}: the boundary layer has no column {id_column!r}; columns: {', '.join(map(str, regions.columns))}")
    if regions.crs is None:
        raise InputError(f"{path}: the boundary file has no CRS; add one (e.g. a .prj file) so it can be reprojected to {target_crs}")
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
    invalid = ~regions.geometry.is_valid
    regions.loc[invalid, "geometry"] = regions.geometry[invalid].make_valid()
    regions.attrs.update(source=str(path), repaired=int(invalid.sum()))
    return regions
