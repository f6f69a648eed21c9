"""HTML maps of the results: an index page, one interactive Leaflet map per sector, a contrast page.

Public entry point: :func:`write_maps`. Each sector page holds the simplified unit geometry once
and draws switchable layers over it: LQ classes, LISA clusters, Gi* bins and LISA significance
(one at a time), promising locations, province outlines and place labels; each with its own
legend, all following the period chosen in the header. With emerging hot spots in the result, one more fill layer
colours the units by their pattern over all periods. Pages open on the sector's results, with
an overview inset. No base map is loaded unless ``tiles`` is given. See docs/MAPS.md.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd

from ...files import write_text
from ...result import AnalysisResult
from ...symbology import SIDO_SHORT, unique_labels
from ..tables import emerging_span
from .contrast_page import CONTRAST_FILE, contrast_page_html
from .features import feature_collection_json, sector_table
from .index_page import index_page_html
from .labels import Label, province_labels
from .pages import MapSite, footer_html, sector_file_name, sector_page_html
from .web_geometry import DEFAULT_TOLERANCE_M, web_geometry
from .wording import run_facts

__all__ = ["write_maps", "sector_file_name", "run_info", "relative_href", "SIDO_TOLERANCE_M", "CONTRAST_FILE"]

SIDO_TOLERANCE_M = 500.0
SIDO_MIN_PART_M2 = 1e6
OVERVIEW_TOLERANCE_M = 2500.0
OVERVIEW_MIN_PART_M2 = 5e7
PROVINCE_LABEL_MAX_ZOOM = 8
RUN_INFO_KEYS = ["periods", "tested_variable", "weights", "island_policy", "statistics_permutations", "statistics_seed",
                 "statistics_alternative", "statistics_fdr", "statistics_fdr_scope", "statistics_alpha", "minimum_p", "rule"]


def _sido_json(sido: gpd.GeoDataFrame | None) -> tuple[str | None, tuple[Label, ...]]:
    """The province outlines as page data, and their labels (short names, shown while zoomed out)."""
    if sido is None or sido.empty:
        return None, ()
    names = sido["sido_name"].astype(str).tolist() if "sido_name" in sido.columns else [""] * len(sido)
    geometry = web_geometry(sido, SIDO_TOLERANCE_M, SIDO_MIN_PART_M2, fill_holes=True)
    labels = province_labels([SIDO_SHORT.get(n, n) for n in names], geometry.label_points, PROVINCE_LABEL_MAX_ZOOM)
    return feature_collection_json(geometry, [{"sido_name": n} for n in names]), tuple(labels)


def _overview_json(regions: gpd.GeoDataFrame, sido: gpd.GeoDataFrame | None) -> str:
    """The inset's outline of the whole layer: the provinces (or the units), strongly simplified."""
    frame = sido if sido is not None and not sido.empty else regions
    geometry = web_geometry(frame[[frame.geometry.name]], OVERVIEW_TOLERANCE_M, OVERVIEW_MIN_PART_M2, fill_holes=True)
    return feature_collection_json(geometry)


def run_info(result: AnalysisResult) -> dict[str, str]:
    """The run's technical parameters (folded away in every page's footer)."""
    info = {key: str(result.metadata[key]) for key in RUN_INFO_KEYS if key in result.metadata}
    info["data"] = "SYNTHETIC demo data" if result.data.synthetic else result.data.label
    return info


def relative_href(target: str | Path, folder: str | Path) -> str:
    """A link from a page in ``folder`` to ``target`` (``../report.html``), with forward slashes."""
    try:
        return Path(os.path.relpath(Path(target).resolve(), Path(folder).resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return Path(target).resolve().as_uri()


def map_site(result: AnalysisResult, *, tiles: str | None, tolerance_m: float, report_href: str | None) -> MapSite:
    """Everything the pages of ``result`` share (geometry, outlines, labels, footer)."""
    sido_json, provinces = _sido_json(result.sido)
    data_label = "SYNTHETIC demo data" if result.data.synthetic else result.data.label
    footer = footer_html(run_facts(result.metadata, data_label), run_info(result), result.data.synthetic)
    return MapSite(regions=result.regions, names=tuple(unique_labels(result.regions)),
                   geometry=web_geometry(result.regions, tolerance_m), sido_json=sido_json, province_labels=provinces,
                   overview_json=_overview_json(result.regions, result.sido),
                   periods=tuple(p.label for p in result.periods), footer_html=footer,
                   synthetic=result.data.synthetic, tiles=tiles, report_href=report_href,
                   emerging_span=emerging_span(result))


def write_maps(result: AnalysisResult, maps_dir: Path, *, tiles: str | None = None,
               tolerance_m: float = DEFAULT_TOLERANCE_M, report: str | Path | None = None,
               deliverables: Sequence[tuple[str, Path]] = ()) -> list[Path]:
    """Write ``maps_dir/index.html``, one ``sector_<ksic>.html`` per sector and, when the run has
    technology and professional sectors, ``contrast.html``; return their paths, index first, contrast last.

    ``tiles`` is a folium tiles name for a base map; None (default) draws no base map, so the pages
    need no tile server. ``tolerance_m`` is the simplification tolerance in metres, applied before
    reprojecting to EPSG:4326. ``report`` is the run's report, linked from every page by a relative
    link; ``deliverables`` are ``(description, path)`` pairs the index lists with relative links
    (the GeoPackage, the tables, the rasters). Every file is written atomically.
    """
    maps_dir = Path(maps_dir)
    report_href = relative_href(report, maps_dir) if report is not None else None
    site = map_site(result, tiles=tiles, tolerance_m=tolerance_m, report_href=report_href)
    written = []
    for sector in result.sectors:
        tables = [sector_table(result.regions, result.table[result.table["period"] == period], sector)
                  for period in site.periods]
        written.append(write_text(maps_dir / sector_file_name(sector), sector_page_html(sector, tables, site)))
    contrast_file = None
    if len(result.kinds) == 2 and all(group.sectors for group in result.kinds):
        page = contrast_page_html(result.regions, result.kinds, site, area=result.area,
                                  period=result.last_period)
        written.append(write_text(maps_dir / CONTRAST_FILE, page))
        contrast_file = CONTRAST_FILE
    files = [(text, relative_href(path, maps_dir)) for text, path in deliverables]
    index = write_text(maps_dir / "index.html", index_page_html(
        result.counts.sectors, site.footer_html, synthetic=result.data.synthetic, contrast_file=contrast_file,
        report_href=report_href, files=files, period=result.last_period))
    return [index, *written]
