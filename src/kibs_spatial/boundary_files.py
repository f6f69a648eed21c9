"""Reading user boundary files (GeoPackage, shapefile, GeoJSON) into the region layer.

The layer is reprojected to EPSG:5179 and invalid geometries are repaired with ``make_valid``;
the number repaired is kept in ``frame.attrs["repaired"]``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio

from .errors import InputError
from .outputs import TARGET_CRS


def read_boundary_file(path: str | Path, *, layer: str | None = None, id_column: str = "region_code") -> gpd.GeoDataFrame:
    """Polygons of ``path`` in EPSG:5179 with ``id_column`` as text; clear errors for bad files."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: boundary file not found")
    try:
        regions = gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise InputError(f"{path}: cannot read the boundary file ({error})") from None
    if regions.empty:
        raise InputError(f"{path}: the boundary layer has no features")
    if id_column not in regions.columns:
        raise InputError(f"{path}: the boundary layer has no column {id_column!r}; columns: {', '.join(map(str, regions.columns))}")
    if regions.crs is None:
        raise InputError(f"{path}: the boundary file has no CRS; add one (e.g. a .prj file) so it can be reprojected to {TARGET_CRS}")
    regions = regions.to_crs(TARGET_CRS)
    regions[id_column] = regions[id_column].astype(str)
    invalid = ~regions.geometry.is_valid
    regions.loc[invalid, "geometry"] = regions.geometry[invalid].make_valid()
    regions.attrs.update(source=str(path), repaired=int(invalid.sum()))
    return regions
