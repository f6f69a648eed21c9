"""HTML maps of the results: an index page and one interactive Leaflet map per sector.

Public entry point: :func:`write_maps`. Each sector page holds the simplified region
geometry once and draws switchable layers over it: LQ classes, LISA clusters, Gi* bins
(one at a time), promising locations and province outlines; each with its own legend.
No base map is loaded unless ``tiles`` is given. See docs/MAPS.md.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from ...files import write_text
from ...result import AnalysisResult
from .contrast_page import CONTRAST_FILE, contrast_page_html
from .features import feature_collection_json, sector_table
from .index_page import index_page_html
from .pages import sector_file_name, sector_page_html
from .web_geometry import DEFAULT_TOLERANCE_M, web_geometry

__all__ = ["write_maps", "sector_file_name", "run_info", "SIDO_TOLERANCE_M", "CONTRAST_FILE"]

SIDO_TOLERANCE_M = 500.0
SIDO_MIN_PART_M2 = 1e6
RUN_INFO_KEYS = ["periods", "tested_variable", "weights", "island_policy", "statistics_permutations", "statistics_seed",
                 "statistics_alternative", "statistics_fdr", "statistics_fdr_scope", "statistics_alpha", "minimum_p", "rule"]


def _sido_json(sido: gpd.GeoDataFrame | None) -> str | None:
    if sido is None or sido.empty:
        return None
    names = sido["sido_name"].astype(str).tolist() if "sido_name" in sido.columns else [""] * len(sido)
    geometry = web_geometry(sido, SIDO_TOLERANCE_M, SIDO_MIN_PART_M2, fill_holes=True)
    return feature_collection_json(geometry, [{"sido_name": n} for n in names])


def run_info(result: AnalysisResult) -> dict[str, str]:
    """The run parameters every page's footer shows."""
    info = {key: str(result.metadata[key]) for key in RUN_INFO_KEYS if key in result.metadata}
    info["data"] = "SYNTHETIC demo data" if result.data.synthetic else result.data.label
    return info


def write_maps(result: AnalysisResult, maps_dir: Path, *, tiles: str | None = None,
               tolerance_m: float = DEFAULT_TOLERANCE_M) -> list[Path]:
    """Write ``maps_dir/index.html``, one ``sector_<ksic>.html`` per sector and, when the run has
    technology and professional sectors, ``contrast.html``; return their paths, index first, contrast last.

    ``tiles`` is a folium tiles name for a base map; None (default) draws no base map, so the pages
    need no tile server. ``tolerance_m`` is the simplification tolerance in metres, applied before
    reprojecting to EPSG:4326. Every file is written atomically.
    """
    maps_dir = Path(maps_dir)
    regions, info, synthetic = result.regions, run_info(result), result.data.synthetic
    geometry = web_geometry(regions, tolerance_m)
    sido_json = _sido_json(result.sido)
    written = []
    latest = result.latest()
    for sector in result.sectors:
        page = sector_page_html(sector, sector_table(regions, latest, sector), regions, geometry, sido_json,
                                info, synthetic=synthetic, tiles=tiles)
        written.append(write_text(maps_dir / sector_file_name(sector), page))
    contrast_file = None
    if len(result.kinds) == 2 and all(group.sectors for group in result.kinds):
        page = contrast_page_html(regions, result.kinds, geometry, sido_json, info, area=result.area,
                                  synthetic=synthetic, tiles=tiles)
        written.append(write_text(maps_dir / CONTRAST_FILE, page))
        contrast_file = CONTRAST_FILE
    index = write_text(maps_dir / "index.html", index_page_html(result.counts.sectors, info, synthetic=synthetic,
                                                                contrast_file=contrast_file))
    return [index, *written]
