"""Tables and layers already in memory (the Python API), checked as the files are.

``sector_table_from_frames()`` turns a sector and a totals DataFrame (the tidy tables, or what
``read_kosis()`` returns) into the ``SectorTable``
the pipeline reads from files, with the same checks and messages (a row is named by its line as in
a file: the header is line 1, the first row line 2). ``regions_from_frame()`` does for a
GeoDataFrame what ``read_boundary_file()`` does for a file.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from ..crs import PROJECTED_CRS
from ..errors import InputError
from .sector_table import (
    PERIOD_COLUMNS,
    REGION_COLUMNS,
    SECTOR_COUNTS,
    TOTAL_COUNTS,
    SectorTable,
    _check_counts,
    _check_duplicates,
    _periods,
    _unit,
)

SECTORS_LABEL = "sectors DataFrame"
TOTALS_LABEL = "totals DataFrame"


def sector_table_from_frames(sectors: pd.DataFrame, totals: pd.DataFrame) -> SectorTable:
    """The checked sector and totals tables from DataFrames (columns as in ``sector_table``)."""
    path_s, path_t = Path(SECTORS_LABEL), Path(TOTALS_LABEL)
    frame_s = _checked_frame(sectors, path_s, ("ksic", "employees"))
    frame_t = _checked_frame(totals, path_t, ("total_employees",))
    frame_s = _check_counts(frame_s, path_s, SECTOR_COUNTS)
    frame_t = _check_counts(frame_t, path_t, TOTAL_COUNTS)
    _check_duplicates(frame_s, path_s, ["period", "ksic"])
    _check_duplicates(frame_t, path_t, ["period"])
    labels = frame_s["industry"] if "industry" in frame_s.columns else frame_s["ksic"]
    industries = (pd.DataFrame({"ksic": frame_s["ksic"], "industry": labels.fillna("").astype(str)})
                  .drop_duplicates("ksic").reset_index(drop=True))
    units = {column: _unit(frame) for column, frame in (("employees", frame_s), ("total_employees", frame_t))
             if _unit(frame)}
    return SectorTable(frame_s, frame_t, path_s, path_t, industries, units)


def _checked_frame(frame: pd.DataFrame, path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{path}: expected a pandas DataFrame, got {type(frame).__name__}")
    frame = pd.DataFrame(frame).reset_index(drop=True).copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; it has {', '.join(frame.columns)}")
    if not any(c in frame.columns for c in REGION_COLUMNS):
        raise InputError(f"{path}: no region column; add 'region_code' (or 'region_name') — it has {', '.join(frame.columns)}")
    if not any(c in frame.columns for c in PERIOD_COLUMNS):
        raise InputError(f"{path}: no period column; add 'period' (2022, 2024.1/2 …) or 'year' — it has "
                         f"{', '.join(frame.columns)}")
    if frame.empty:
        raise InputError(f"{path}: the table has no rows")
    text = [c for c in (*REGION_COLUMNS, *PERIOD_COLUMNS, "ksic", "industry", "source_unit") if c in frame.columns]
    for column in text:
        values = frame[column]
        if column in PERIOD_COLUMNS and pd.api.types.is_float_dtype(values):
            values = values.map(lambda v: f"{v:g}" if pd.notna(v) else v)
        frame[column] = values.astype("string").str.strip().str.lstrip("'")
    frame.insert(0, "line", np.arange(2, len(frame) + 2))
    frame["period"] = _periods(frame, path)
    return frame.drop(columns="year", errors="ignore")


def regions_from_frame(layer: gpd.GeoDataFrame, id_column: str | None = "region_code",
                       target_crs: str = PROJECTED_CRS) -> gpd.GeoDataFrame:
    """A copy of ``layer`` (geometry column ``geometry``) in ``target_crs`` (``"auto"``: its own projected
    CRS, or the local UTM zone) with ``id_column`` as unique text (``None``: features numbered from 1 in ``feature_id``) and invalid
    polygons repaired (their number in ``attrs["repaired"]``)."""
    if not isinstance(layer, gpd.GeoDataFrame):
        raise InputError(f"expected a GeoDataFrame of polygons, got {type(layer).__name__}")
    regions = layer.copy()
    regions.attrs = dict(layer.attrs)
    if regions.geometry.name != "geometry":  # the stages read the geometry column by its usual name
        regions = regions.drop(columns="geometry", errors="ignore").rename_geometry("geometry")
    if regions.empty:
        raise InputError("the layer has no features")
    if id_column is None:
        id_column = "feature_id"
        regions.insert(0, id_column, [str(i) for i in range(1, len(regions) + 1)])
    if id_column not in regions.columns:
        raise InputError(f"the layer has no column {id_column!r}; columns: {', '.join(map(str, regions.columns))} — "
                         "name the id column (id=...)")
    if regions.crs is None:
        raise InputError("the layer has no CRS; set it first, e.g. layer.set_crs('EPSG:4326')")
    if target_crs == "auto":
        target = regions.crs if regions.crs.is_projected else regions.estimate_utm_crs()
    else:
        target = CRS.from_user_input(target_crs)
    if regions.crs != target:
        regions = regions.to_crs(target)
    regions[id_column] = regions[id_column].astype(str)
    duplicated = regions[id_column][regions[id_column].duplicated()].unique().tolist()
    if duplicated:
        raise InputError(f"the id column {id_column!r} has duplicate values ({', '.join(duplicated[:5])}); use a unique id")
    polygonal = regions.geom_type.isin(["Polygon", "MultiPolygon"]) | regions.geometry.isna()
    if not polygonal.all():
        raise InputError(f"feature {regions[id_column][~polygonal].iloc[0]} is a "
                         f"{regions.geom_type[~polygonal].iloc[0]}, not a polygon")
    invalid = ~regions.geometry.is_valid & regions.geometry.notna()
    if invalid.any():
        regions.loc[invalid, regions.geometry.name] = regions.geometry[invalid].make_valid()
    regions.attrs.update(repaired=int(invalid.sum()))
    regions.attrs.setdefault("source", "GeoDataFrame")
    return regions
