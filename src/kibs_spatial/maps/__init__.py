"""HTML maps of the results: an index page and one interactive Leaflet map per sector.

Public entry point: :func:`write_maps`. Each sector page holds the simplified region
geometry once and draws switchable layers over it: LQ classes, LISA clusters, Gi* bins
(one at a time), promising locations and province outlines; each with its own legend.
No base map is loaded unless ``tiles`` is given. See docs/MAPS.md.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..contrast import gangnam_area
from ..errors import InputError
from ..outputs import write_text
from ..sectors import Sector
from .features import (REGION_COLUMNS, RESULT_COLUMNS, feature_collection_json, require_columns,
                       require_unique_codes, sector_table)
from .contrast_page import CONTRAST_FILE, contrast_page_html
from .index_page import index_page_html
from .pages import sector_file_name, sector_page_html, sector_summary
from .web_geometry import DEFAULT_TOLERANCE_M, web_geometry

__all__ = ["write_maps", "sector_file_name", "SIDO_TOLERANCE_M", "CONTRAST_FILE"]

SIDO_TOLERANCE_M = 500.0
SIDO_MIN_PART_M2 = 1e6


def _sido_json(sido: gpd.GeoDataFrame | None) -> str | None:
    if sido is None or sido.empty:
        return None
    names = sido["sido_name"].astype(str).tolist() if "sido_name" in sido.columns else [""] * len(sido)
    geometry = web_geometry(sido, SIDO_TOLERANCE_M, SIDO_MIN_PART_M2, fill_holes=True)
    return feature_collection_json(geometry, [{"sido_name": n} for n in names])


def write_maps(regions: gpd.GeoDataFrame, results: pd.DataFrame, sectors: Sequence[Sector],
               run_info: Mapping[str, str], maps_dir: Path, *, synthetic: bool,
               sido: gpd.GeoDataFrame | None = None, tiles: str | None = None,
               tolerance_m: float = DEFAULT_TOLERANCE_M, contrast_area: Sequence[str] | None = None) -> list[Path]:
    """Write ``maps_dir/index.html``, one ``sector_<ksic>.html`` per sector and, with
    ``contrast_area``, ``contrast.html``; return their paths, index first, contrast page last.

    Parameters
    ----------
    regions
        One row per unit (EPSG:5179): ``region_code``, ``name_ko``, ``full_name_ko``,
        ``name_en``, ``sido_name``, geometry.
    results
        One row per region and sector (``region_code``, ``ksic``, indicators, LISA and Gi*
        fields, ``promising``); numbers may be NaN, regions without a row show as no data.
    sectors
        The sectors to map, in index order.
    run_info
        Run parameters shown in every page's footer.
    maps_dir
        Output folder (created if needed). Every file is written atomically.
    synthetic
        Show the "synthetic demo data — not findings" banner and notice.
    sido
        Optional province outlines (``sido_name``), drawn as a context layer.
    tiles
        A folium tiles name for a base map; None (default) draws no base map, so the pages
        need no tile server.
    tolerance_m
        Simplification tolerance in metres, applied before reprojecting to EPSG:4326.
    contrast_area
        Unit codes of the Gangnam area (``[contrast] area``). When given, the contrast page
        (professional against technology KIBS, side by side) is written and linked from the
        index; ``results`` then needs ``total_employees``. Codes missing from ``regions`` only
        drop the outline (with a warning).
    """
    require_columns(regions, REGION_COLUMNS, "the regions layer")
    require_columns(results, RESULT_COLUMNS, "the results table")
    require_unique_codes(regions)
    maps_dir = Path(maps_dir)
    geometry = web_geometry(regions, tolerance_m)
    sido_json = _sido_json(sido)
    written, summaries = [], []
    for sector in sectors:
        table = sector_table(regions, results, sector)
        summaries.append(sector_summary(sector, table))
        page = sector_page_html(sector, table, regions, geometry, sido_json, run_info,
                                synthetic=synthetic, tiles=tiles)
        written.append(write_text(maps_dir / sector_file_name(sector), page))
    contrast_file = None
    if contrast_area is not None:
        page = _contrast_page(regions, results, sectors, geometry, sido_json, run_info, tuple(contrast_area),
                              synthetic=synthetic, tiles=tiles)
        written.append(write_text(maps_dir / CONTRAST_FILE, page))
        contrast_file = CONTRAST_FILE
    index = write_text(maps_dir / "index.html", index_page_html(summaries, run_info, synthetic=synthetic,
                                                                contrast_file=contrast_file))
    return [index, *written]


def _contrast_page(regions, results, sectors, geometry, sido_json, run_info, codes, *, synthetic, tiles) -> str:
    require_columns(results, ("total_employees",), "the results table (for the contrast page)")
    try:
        area = gangnam_area(regions.assign(region_code=regions["region_code"].astype(str)), codes)
    except InputError as error:
        warnings.warn(f"contrast page drawn without the Gangnam area outline: {error}", stacklevel=3)
        area = None
    return contrast_page_html(regions, results, sectors, geometry, sido_json, run_info, area=area,
                              area_codes=codes, synthetic=synthetic, tiles=tiles)
