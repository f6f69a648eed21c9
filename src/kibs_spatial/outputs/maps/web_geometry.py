"""Geometry for web pages: a clean coverage simplified in metres, reprojected to WGS84, encoded compactly.

The units are treated as one *coverage* (polygons that tile the map, each shared edge drawn
once): polygon parts smaller than ``min_part_m2`` are dropped (a unit always keeps its largest
part), ``shapely.coverage_clean`` closes the slivers and removes the overlaps that per-unit
simplification left in the bundled layer, and ``shapely.coverage_simplify`` simplifies every
shared edge once, so neighbours stay edge to edge at every zoom (no gaps, no overlaps). All of
it runs in EPSG:5179 (metres) before the result is reprojected to EPSG:4326.

Coordinates are rounded to 4 decimals (about 10 m, well below the tolerance) and each ring is
written as an *encoded polyline* (the delta, zigzag and 5-bit chunk scheme of Google's polyline
format, at 1e-4 degrees, longitude first, with the URL-safe base-64 alphabet so that no character
needs escaping in JSON or HTML): about 5 characters per point instead of 19 as GeoJSON text.
The pages decode them once on load (``kibsDecode`` in ``page.js``) into ordinary GeoJSON.

Without ``shapely.coverage_clean`` (shapely < 2.2, GEOS < 3.14) each unit is simplified on its
own (``preserve_topology``), as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...crs import PROJECTED_CRS, WEB_CRS

DEFAULT_TOLERANCE_M = 250.0
DEFAULT_MIN_PART_M2 = 2.5e5
COORDINATE_DECIMALS = 4
_SCALE = 10 ** COORDINATE_DECIMALS
_CLEAN_GAP_M = 300.0  # slivers narrower than this between neighbours are closed
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


@dataclass(frozen=True)
class WebGeometry:
    """Encoded geometry (one per input row, in input order), label points and WGS84 bounds.

    ``encoded[i]`` is a list of polygons, each a list of rings (outer ring first), each ring an
    encoded polyline; ``None`` for an empty geometry. ``label_points[i]`` is ``(lon, lat)`` of a
    point well inside the unit's largest part (the centre of its largest inscribed circle).
    ``unit_bounds[i]`` is ``(west, south, east, north)`` of the unit.
    """

    encoded: list[list[list[str]] | None]
    label_points: list[tuple[float, float] | None]
    unit_bounds: list[tuple[float, float, float, float] | None]
    bounds: tuple[float, float, float, float]  # (west, south, east, north)

    def geometry_json(self, i: int) -> str:
        """The ``geometry`` member of feature ``i``: ``{"type":"MultiPolygon","encoded":[...]}`` or ``null``."""
        if self.encoded[i] is None:
            return "null"
        return '{"type":"MultiPolygon","encoded":%s}' % json.dumps(self.encoded[i], separators=(",", ":"))

    def bounds_of(self, rows: np.ndarray) -> tuple[float, float, float, float] | None:
        """``(west, south, east, north)`` around the units at positions ``rows``; None if there are none."""
        boxes = np.array([self.unit_bounds[i] for i in rows if self.unit_bounds[i] is not None], dtype=float)
        if not len(boxes):
            return None
        return (float(boxes[:, 0].min()), float(boxes[:, 1].min()), float(boxes[:, 2].max()), float(boxes[:, 3].max()))


def core_box(x: np.ndarray, y: np.ndarray, reach: float = 1.5) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` around the points, leaving out outliers (beyond ``reach`` x IQR of the quartiles).

    Frames a group of units without its far-flung members (Ongjin-gun's islands in the capital region).
    """
    keep = np.ones(len(x), dtype=bool)
    for values in (np.asarray(x, dtype=float), np.asarray(y, dtype=float)):
        q1, q3 = np.percentile(values, [25, 75])
        keep &= (values >= q1 - reach * (q3 - q1)) & (values <= q3 + reach * (q3 - q1))
    x, y = np.asarray(x, dtype=float)[keep], np.asarray(y, dtype=float)[keep]
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


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


def simplified_coverage(geometry: np.ndarray, tolerance_m: float) -> np.ndarray:
    """``geometry`` (EPSG:5179) cleaned into a coverage and simplified edge by edge; per unit as a fallback."""
    present = np.array([g is not None and not g.is_empty for g in geometry])
    result = np.full(len(geometry), None, dtype=object)
    if not present.any():
        return result
    units = np.asarray(geometry[present], dtype=object)
    rough = shapely.simplify(units, tolerance_m / 5, preserve_topology=True)
    fallback = shapely.simplify(units, tolerance_m, preserve_topology=True)
    if hasattr(shapely, "coverage_clean"):
        try:
            cleaned = shapely.coverage_clean(rough, gap_width=_CLEAN_GAP_M, snapping_distance=tolerance_m / 5)
            simple = shapely.coverage_simplify(cleaned, tolerance_m)
        except shapely.errors.GEOSException:
            simple = fallback
        broken = shapely.is_empty(simple) | ~shapely.is_valid(simple)
        simple = np.where(broken, fallback, simple)
    else:  # pragma: no cover - shapely < 2.2
        simple = fallback
    result[present] = simple
    return result


def _zigzag_chunks(values: np.ndarray) -> str:
    """Encoded-polyline characters of integer ``values`` (already delta-coded)."""
    out = []
    for value in ((values << 1) ^ (values >> 63)).tolist():
        while value >= 0x20:
            out.append(ALPHABET[0x20 | (value & 0x1F)])
            value >>= 5
        out.append(ALPHABET[value])
    return "".join(out)


def encode_ring(coordinates: np.ndarray) -> str:
    """An encoded polyline of ``(lon, lat)`` pairs at 1e-4 degrees, deltas interleaved lon, lat."""
    quantised = np.round(np.asarray(coordinates, dtype=float)[:, :2] * _SCALE).astype(np.int64)
    deltas = np.diff(quantised, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return _zigzag_chunks(deltas.reshape(-1))


def decode_ring(text: str) -> np.ndarray:
    """The ``(lon, lat)`` pairs of an encoded ring (the inverse of :func:`encode_ring`; for tests)."""
    values, shift, accumulated = [], 0, 0
    for char in text:
        chunk = _INDEX[char]
        accumulated |= (chunk & 0x1F) << shift
        shift += 5
        if chunk < 0x20:
            values.append((accumulated >> 1) ^ -(accumulated & 1))
            shift, accumulated = 0, 0
    return np.cumsum(np.array(values, dtype=np.int64).reshape(-1, 2), axis=0) / _SCALE


def _encoded(geometry: shapely.Geometry | None) -> list[list[str]] | None:
    if geometry is None or geometry.is_empty:
        return None
    polygons = shapely.get_parts(geometry)
    return [[encode_ring(shapely.get_coordinates(ring)) for ring in [p.exterior, *p.interiors]] for p in polygons]


def _label_point(geometry: shapely.Geometry | None, tolerance_m: float) -> shapely.Point | None:
    """Centre of the largest circle inside the unit's largest part (a point where a label fits)."""
    if geometry is None or geometry.is_empty:
        return None
    parts = shapely.get_parts(geometry)
    largest = parts[int(np.argmax(shapely.area(parts)))]
    try:
        return shapely.get_point(shapely.maximum_inscribed_circle(largest, tolerance_m), 0)
    except (AttributeError, shapely.errors.GEOSException):  # pragma: no cover - shapely < 2.1
        return largest.representative_point()


def _lon_lat(point: shapely.Point | None) -> tuple[float, float] | None:
    if point is None or point.is_empty:
        return None
    return (round(point.x, COORDINATE_DECIMALS), round(point.y, COORDINATE_DECIMALS))


def web_geometry(frame: gpd.GeoDataFrame, tolerance_m: float = DEFAULT_TOLERANCE_M,
                 min_part_m2: float = DEFAULT_MIN_PART_M2, fill_holes: bool = False) -> WebGeometry:
    """Generalise ``frame``'s geometry for the web (see module docstring) and encode it."""
    projected = _projected(frame)
    kept = generalised(projected.to_numpy(), min_part_m2, fill_holes)
    simple = simplified_coverage(kept, tolerance_m)
    web = gpd.GeoSeries(simple, crs=projected.crs).to_crs(WEB_CRS).to_numpy()
    points = gpd.GeoSeries([_label_point(g, tolerance_m) for g in kept], crs=projected.crs).to_crs(WEB_CRS)
    unit_bounds = [None if g is None or g.is_empty else tuple(float(v) for v in g.bounds) for g in web]
    west, south, east, north = (float(v) for v in gpd.GeoSeries(web, crs=WEB_CRS).total_bounds)
    return WebGeometry(encoded=[_encoded(g) for g in web], label_points=[_lon_lat(p) for p in points],
                       unit_bounds=unit_bounds, bounds=(west, south, east, north))
