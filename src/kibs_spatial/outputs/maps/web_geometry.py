"""Geometry for web pages: simplified in metres, reprojected to WGS84, rounded, as GeoJSON text.

Each unit is simplified on its own (``preserve_topology=True``) in its projected CRS
(EPSG:5179, metres) before it is reprojected; polygon parts smaller than ``min_part_m2``
(tiny islets and slivers) are dropped, but a unit always keeps its largest part; coordinates
are rounded to 4 decimals (about 10 m, well below the tolerance). With the defaults a page
of all si-gun-gu holds about 47,000 coordinates (about 1 MB of GeoJSON).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...crs import PROJECTED_CRS, WEB_CRS

DEFAULT_TOLERANCE_M = 150.0
DEFAULT_MIN_PART_M2 = 1e4
COORDINATE_DECIMALS = 4


@dataclass(frozen=True)
class WebGeometry:
    """GeoJSON geometry strings (one per input row, in input order) and their WGS84 bounds."""

    geojson: list[str]
    representative_points: list[tuple[float, float] | None]  # (lon, lat); None for empty geometry
    bounds: tuple[float, float, float, float]  # (west, south, east, north)


def _projected(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    if frame.crs is None:
        raise ValueError("the boundary layer has no CRS; expected EPSG:5179")
    geometry = frame.geometry
    return geometry if geometry.crs.is_projected else geometry.to_crs(PROJECTED_CRS)


def generalised(geometry: np.ndarray, min_part_m2: float, fill_holes: bool = False) -> np.ndarray:
    """Drop parts smaller than ``min_part_m2`` (keeping each unit's largest part), optionally holes too."""
    parts, owner = shapely.get_parts(geometry, return_index=True)
    if fill_holes:
        parts = shapely.polygons(shapely.get_exterior_ring(parts))
    area = shapely.area(parts)
    keep = area >= min_part_m2
    if len(parts):
        keep[pd.Series(area).groupby(owner).idxmax().to_numpy()] = True
    result = np.full(len(geometry), None, dtype=object)
    for unit in np.unique(owner[keep]):
        result[unit] = shapely.multipolygons(parts[keep & (owner == unit)])
    return result


def _rounded(geometry: np.ndarray) -> np.ndarray:
    return np.asarray(shapely.transform(geometry, lambda xy: np.round(xy, COORDINATE_DECIMALS)), dtype=object)


def _lon_lat(point: shapely.Point | None) -> tuple[float, float] | None:
    if point is None or point.is_empty:
        return None
    return (round(point.x, COORDINATE_DECIMALS), round(point.y, COORDINATE_DECIMALS))


def web_geometry(frame: gpd.GeoDataFrame, tolerance_m: float = DEFAULT_TOLERANCE_M,
                 min_part_m2: float = DEFAULT_MIN_PART_M2, fill_holes: bool = False) -> WebGeometry:
    """Generalise ``frame``'s geometry for the web (see module docstring) and serialise it."""
    projected = _projected(frame)
    simplified = projected.simplify(tolerance_m, preserve_topology=True).to_numpy()
    web = gpd.GeoSeries(generalised(simplified, min_part_m2, fill_holes), crs=projected.crs).to_crs(WEB_CRS)
    geojson = [shapely.to_geojson(g) if g is not None and not g.is_empty else "null" for g in _rounded(web.to_numpy())]
    points = projected.representative_point().to_crs(WEB_CRS)
    west, south, east, north = (float(v) for v in web.total_bounds)
    return WebGeometry(geojson=geojson, representative_points=[_lon_lat(p) for p in points],
                       bounds=(west, south, east, north))
