"""HTML pages: one interactive map per sector and the index page linking them."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Mapping, Sequence

import geopandas as gpd
import pandas as pd
from folium import LayerControl, TileLayer

from ...result import Sector
from ...symbology import (
    GI_ENTRIES,
    LISA_ENTRIES,
    LQ_BREAKS,
    LQ_ENTRIES,
    PROMISING_ENTRY,
    SIDO_ENTRY,
    LegendEntry,
)
from .elements import (
    ATTRIBUTION,
    SYNTHETIC_BANNER,
    FitBoundsOnLoad,
    Legend,
    PageChrome,
    Panes,
    RegionLayer,
    SharedGeoJson,
    WebMap,
    run_info_html,
    synthetic_banner_html,
)
from .features import feature_collection_json, feature_properties
from .web_geometry import WebGeometry

LQ_NOTE = ("fixed breaks " + " / ".join(f"{b:g}" for b in LQ_BREAKS)
           + " (mapclassify UserDefined; upper bounds inclusive); same classes for every sector")
LISA_NOTE = "local Moran's I; class as computed by the statistics stage (tooltip: pseudo p and FDR q)"
GI_NOTE = "Getis-Ord Gi* significance bins (tooltip: z and FDR q)"


def sector_file_name(sector: Sector) -> str:
    """``sector_<ksic>.html``, with anything but letters, digits, ``-`` and ``_`` replaced by ``_``."""
    return f"sector_{re.sub(r'[^0-9A-Za-z_-]', '_', sector.ksic)}.html"


def _legend_rows(entries: Sequence[LegendEntry], keys: Sequence[str]) -> list[tuple[LegendEntry, str]]:
    counts = Counter(keys)
    return [(entry, f"{entry.label} ({counts.get(entry.key, 0)})") for entry in entries]


def _add_region_layer(page: WebMap, data: SharedGeoJson, name: str, key: str, entries: Sequence[LegendEntry],
                      keys: Sequence[str], note: str, show: bool) -> None:
    layer = RegionLayer(data, name, key, entries, overlay=False, show=show)
    page.add_child(layer)
    page.add_child(Legend(page, layer, name, _legend_rows(entries, keys), note))


def _header_html(sector: Sector, synthetic: bool) -> str:
    title = f"KSIC {sector.ksic} {sector.name_en} · {sector.name_ko}"
    banner = synthetic_banner_html() if synthetic else ""
    return (f"<h1>{html.escape(title)}</h1>"
            f'<a href="index.html">← all sectors</a>{banner}')


def footer_html(run_info: Mapping[str, str], synthetic: bool) -> str:
    """Footer: run parameters, the synthetic-data notice when relevant, data attribution."""
    parts = [run_info_html(dict(run_info))]
    if synthetic:
        parts.append(f"<b>{html.escape(SYNTHETIC_BANNER)}</b>: the numbers are generated, not observed.")
    parts.append(html.escape(ATTRIBUTION))
    return "<br>".join(p for p in parts if p)


def sector_page_html(sector: Sector, table: pd.DataFrame, regions: gpd.GeoDataFrame, geometry: WebGeometry,
                     sido_json: str | None, run_info: Mapping[str, str], *, synthetic: bool,
                     tiles: str | None) -> str:
    """The complete HTML of one sector's map page."""
    properties = feature_properties(regions, table, geometry)
    west, south, east, north = geometry.bounds
    page = WebMap(location=[(south + north) / 2, (west + east) / 2], zoom_start=7, tiles=None, control_scale=True)
    page.get_root().title = f"KSIC {sector.ksic} {sector.name_en} — kibs_spatial"
    if tiles:
        page.add_child(TileLayer(tiles, control=False))
    page.add_child(Panes())
    data = SharedGeoJson(feature_collection_json(geometry, properties))
    page.add_child(data)
    _add_region_layer(page, data, "Location quotient (LQ)", "lq_k", LQ_ENTRIES,
                      [p["lq_k"] for p in properties], LQ_NOTE, show=True)
    _add_region_layer(page, data, "LISA clusters", "lisa_k", LISA_ENTRIES,
                      [p["lisa_k"] for p in properties], LISA_NOTE, show=False)
    _add_region_layer(page, data, "Gi* hot and cold spots", "gi_k", GI_ENTRIES,
                      [p["gi_k"] for p in properties], GI_NOTE, show=False)
    if sido_json is not None:
        _add_sido_layer(page, SharedGeoJson(sido_json, name="sido"))
    _add_promising_layer(page, data, sum(p["prom"] for p in properties))
    page.add_child(LayerControl(position="topright", collapsed=False))
    page.add_child(PageChrome(_header_html(sector, synthetic), footer_html(run_info, synthetic)))
    page.add_child(FitBoundsOnLoad([[south, west], [north, east]]))
    return page.get_root().render()


def _add_promising_layer(page: WebMap, data: SharedGeoJson, count: int) -> None:
    layer = RegionLayer(data, "Promising locations", "prom", [PROMISING_ENTRY], overlay=True, show=True,
                        tooltip=False, filter_property="prom", marker_property="pt")
    page.add_child(layer)
    row = (PROMISING_ENTRY, f"{PROMISING_ENTRY.label} ({count})")
    page.add_child(Legend(page, layer, "Promising locations", [row], "outlined, with a yellow dot"))


def _add_sido_layer(page: WebMap, data: SharedGeoJson) -> None:
    page.add_child(data)
    layer = RegionLayer(data, "Province (sido) outlines", "sido", [SIDO_ENTRY], overlay=True, show=True,
                        tooltip=False)
    page.add_child(layer)
    page.add_child(Legend(page, layer, "Context", [(SIDO_ENTRY, SIDO_ENTRY.label)]))
