"""The sector pages: one interactive map per sector, opening where its results are.

A page holds the unit geometry once, with every period's values on each feature; the fill
layers (LQ, LISA, Gi*, LISA significance) and the overlays (province outlines, promising
locations, labels) read the period chosen in the header. The first view frames the sector's
promising locations, High-High units and Gi* hot spots (95 % or more) of the last period, or
the capital region when there are none; an inset shows where that is in the whole country.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from folium import LayerControl, TileLayer

from ...result import Sector
from ...symbology import (
    EHSA_ENTRIES,
    GI_ENTRIES,
    LISA_ENTRIES,
    LQ_BREAKS,
    LQ_ENTRIES,
    PROMISING_ENTRY,
    SIDO_ENTRY,
    SIGNIFICANCE_ENTRIES,
    LegendEntry,
)
from .controls import FixedLabels, OverviewInset, PeriodSetup, RegionLabels, ViewLinks
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
from .features import (
    EMERGING_COLUMNS,
    PERIOD_COLUMNS,
    class_keys,
    feature_collection_json,
    feature_properties,
    has_emerging,
    highlighted,
    tooltip_phrases,
    tooltip_template,
)
from .labels import Label, place_labels
from .web_geometry import WebGeometry

LQ_NOTE = ("LQ 1 = the sector's national share of employment; above 1 the unit is specialised in the sector. "
           "Classes at " + " / ".join(f"{b:g}" for b in LQ_BREAKS) + ", the same on every sector page.")
LISA_NOTE = ("Local Moran's I: is the unit's LQ like its neighbours'? Coloured where significant after the "
             "correction for testing many units (FDR); hover for p and q.")
GI_NOTE = ("Getis-Ord Gi*: is the unit with its neighbours unusually high (hot spot) or low (cold spot)? "
           "Confidence after the FDR correction.")
EMERGING_NOTE = ("Emerging hot spots: how the unit's space-time hot or cold spot (Gi* of the unit, its neighbours and "
                 "the previous period) evolved over all periods, in ArcGIS Pro's 17 patterns; the same map whichever "
                 "period is chosen. Hover for the trend of its Gi* (Mann-Kendall) and the periods it was hot or cold.")
SIGNIFICANCE_NOTE = ("How strong the evidence of the cluster test (local Moran) is: p before, q after the correction "
                     "for testing every unit of the map (false discovery rate).")
START_MAX_ZOOM = 11
START_PADDING = 0.15  # of the framed extent, on each side
START_MIN_SPAN_DEG = 0.25
DOT_MAX_ZOOM = 9

Bounds = list[list[float]]  # [[south, west], [north, east]]


@dataclass(frozen=True)
class MapSite:
    """What every page of a run shares: geometry, outlines, labels, periods, links and footer."""

    regions: gpd.GeoDataFrame
    names: tuple[str, ...]  # the units' unique labels (symbology.unique_labels)
    geometry: WebGeometry
    sido_json: str | None
    province_labels: tuple[Label, ...]
    overview_json: str
    periods: tuple[str, ...]
    footer_html: str
    synthetic: bool
    tiles: str | None = None
    report_href: str | None = None
    emerging_span: str = ""  # "2012–2022" when the run has emerging hot spots

    @property
    def full_bounds(self) -> Bounds:
        west, south, east, north = self.geometry.bounds
        return [[south, west], [north, east]]

    @property
    def capital_bounds(self) -> Bounds | None:
        """The capital region (units flagged ``capital_region``), or None when the layer has no such units."""
        if "capital_region" not in self.regions.columns:
            return None
        flags = self.regions["capital_region"].fillna(False).astype(bool).to_numpy()
        return leaflet_bounds(self.geometry.bounds_of(np.flatnonzero(flags)), padding=0.02)


def leaflet_bounds(box: tuple[float, float, float, float] | None, padding: float = START_PADDING,
                   min_span: float = START_MIN_SPAN_DEG) -> Bounds | None:
    """``(west, south, east, north)`` as Leaflet ``[[south, west], [north, east]]``, padded, at least ``min_span`` wide."""
    if box is None:
        return None
    west, south, east, north = box
    half_x = max((east - west) * (0.5 + padding), min_span / 2)
    half_y = max((north - south) * (0.5 + padding), min_span / 2)
    x, y = (west + east) / 2, (south + north) / 2
    return [[round(y - half_y, 4), round(x - half_x, 4)], [round(y + half_y, 4), round(x + half_x, 4)]]


def sector_file_name(sector: Sector) -> str:
    """``sector_<ksic>.html``, with anything but letters, digits, ``-`` and ``_`` replaced by ``_``."""
    return f"sector_{re.sub(r'[^0-9A-Za-z_-]', '_', sector.ksic)}.html"


def _legend_rows(entries: Sequence[LegendEntry], keys: Sequence[str]) -> list[tuple[LegendEntry, str]]:
    counts = Counter(keys)
    return [(entry, f"{entry.label} ({counts.get(entry.key, 0)})") for entry in entries]


def _add_region_layer(page: WebMap, data: SharedGeoJson, name: str, key: str, entries: Sequence[LegendEntry],
                      keys: Sequence[Sequence[str]], note: str, show: bool) -> None:
    layer = RegionLayer(data, name, key, entries, overlay=False, show=show)
    page.add_child(layer)
    page.add_child(Legend(page, layer, name, [_legend_rows(entries, period) for period in keys], note))


def period_select_html(periods: Sequence[str]) -> str:
    """The header's period switch: a select when there are several periods (the last one chosen)."""
    if len(periods) < 2:
        return f"<label>Period {html.escape(periods[0])}</label>" if periods else ""
    options = "".join(f'<option value="{i}"{" selected" if i == len(periods) - 1 else ""}>{html.escape(p)}</option>'
                      for i, p in enumerate(periods))
    return (f'<label>Period <select id="kibs-period" aria-label="Period" '
            f'onchange="KIBS.setPeriod(this.value)">{options}</select></label>')


def _header_html(sector: Sector, site: MapSite) -> str:
    title = f"KSIC {sector.ksic} {sector.name_en} · {sector.name_ko}"
    links = '<a href="index.html">← all sectors</a>'
    if site.report_href:
        links += f'<a href="{html.escape(site.report_href)}">report</a>'
    banner = synthetic_banner_html() if site.synthetic else ""
    return f"<h1>{html.escape(title)}</h1>{links}{period_select_html(site.periods)}{banner}"


def footer_html(facts: Sequence[tuple[str, str]], run_info: Mapping[str, str], synthetic: bool) -> str:
    """Footer: the run in plain words, its technical parameters folded away, the synthetic notice, attribution."""
    parts = [" · ".join(f"<b>{html.escape(topic)}</b>: {html.escape(text)}" for topic, text in facts)]
    if run_info:
        parts.append(f"<details><summary>Technical parameters</summary>{run_info_html(dict(run_info))}</details>")
    if synthetic:
        parts.append(f"<b>{html.escape(SYNTHETIC_BANNER)}</b>: the numbers are generated, not observed.")
    parts.append(html.escape(ATTRIBUTION))
    return "".join(f"<div>{p}</div>" if not p.startswith("<details") else p for p in parts if p)


def label_zooms(site: MapSite, tables: Sequence[pd.DataFrame]) -> list[int | None]:
    """The zoom each unit's label first shows at: the sector's results first, then large units."""
    area = site.regions.geometry.area.rank(pct=True).to_numpy()
    last = highlighted(tables[-1]).to_numpy(dtype=float)
    anywhere = np.max([highlighted(t).to_numpy(dtype=float) for t in tables], axis=0)
    priority = 2 * last + anywhere + area
    placed = place_labels(site.names, site.geometry.label_points, priority, site.province_labels)
    return [label.min_zoom if label else None for label in placed]


def start_bounds(site: MapSite, table: pd.DataFrame) -> Bounds:
    """The first view: the highlighted units of ``table`` (see :func:`.features.highlighted`), else the capital region."""
    rows = np.flatnonzero(highlighted(table).to_numpy())
    return leaflet_bounds(site.geometry.bounds_of(rows)) or site.capital_bounds or site.full_bounds


def sector_page_html(sector: Sector, tables: Sequence[pd.DataFrame], site: MapSite) -> str:
    """The complete HTML of one sector's map page; ``tables`` holds one :func:`.features.sector_table` per period."""
    properties = feature_properties(site.regions, site.names, tables, site.geometry, label_zooms(site, tables))
    keys = [class_keys(table) for table in tables]
    emerging = site.emerging_span if tables and has_emerging(tables[-1]) else ""
    page = WebMap(location=[36.5, 127.8], zoom_start=7, tiles=None, control_scale=True)
    page.get_root().title = f"KSIC {sector.ksic} {sector.name_en} — kibs_spatial"
    if site.tiles:
        page.add_child(TileLayer(site.tiles, control=False))
    page.add_child(Panes())
    page.add_child(PeriodSetup(site.periods, PERIOD_COLUMNS, tooltip_template(emerging, len(site.periods)),
                               tooltip_phrases()))
    data = SharedGeoJson(feature_collection_json(site.geometry, properties))
    page.add_child(data)
    for name, key, entries, note, show in (
            ("Location quotient (LQ)", "lq_k", LQ_ENTRIES, LQ_NOTE, True),
            ("LISA clusters and outliers", "lisa_k", LISA_ENTRIES, LISA_NOTE, False),
            ("Gi* hot and cold spots", "gi_k", GI_ENTRIES, GI_NOTE, False),
            ("LISA significance (p and q)", "sig_k", SIGNIFICANCE_ENTRIES, SIGNIFICANCE_NOTE, False)):
        _add_region_layer(page, data, name, key, entries, [k[key] for k in keys], note, show)
    if emerging:
        _add_emerging_layer(page, data, emerging, [props[EMERGING_COLUMNS[0]] for props in properties])
    if site.sido_json is not None:
        _add_sido_layer(page, SharedGeoJson(site.sido_json, name="sido"))
    _add_promising_layer(page, data, [sum(k["prom"]) for k in keys])
    page.add_child(RegionLabels(data))
    if site.province_labels:
        page.add_child(FixedLabels(site.province_labels, "kibs-label-province"))
    _add_views(page, site, start_bounds(site, tables[-1]))
    page.add_child(LayerControl(position="topright", collapsed=False))
    page.add_child(PageChrome(_header_html(sector, site), site.footer_html))
    page.add_child(FitBoundsOnLoad(start_bounds(site, tables[-1]), max_zoom=START_MAX_ZOOM))
    return page.get_root().render()


def _add_views(page: WebMap, site: MapSite, start: Bounds) -> None:
    overview = SharedGeoJson(site.overview_json, name="overview")
    page.add_child(overview)
    page.add_child(OverviewInset(overview, site.full_bounds))
    views = [("this sector's results", start, START_MAX_ZOOM)]
    if site.capital_bounds is not None:
        views.append(("capital region", site.capital_bounds, START_MAX_ZOOM))
    views.append(("whole country", site.full_bounds, START_MAX_ZOOM))
    page.add_child(ViewLinks(views))


def emerging_layer_name(span: str) -> str:
    """``Emerging hot spots (2012–2022)``: the layer's name in the layer switch and its legend title."""
    return f"Emerging hot spots ({span})"


def _add_emerging_layer(page: WebMap, data: SharedGeoJson, span: str, keys: Sequence[str]) -> None:
    """The units coloured by emerging hot spot pattern (one map for all periods); the legend lists the patterns
    found, with counts, and no pattern."""
    name = emerging_layer_name(span)
    layer = RegionLayer(data, name, EMERGING_COLUMNS[0], EHSA_ENTRIES, overlay=False, show=False)
    page.add_child(layer)
    counts = Counter(keys)
    rows = [(e, f"{e.label} ({counts.get(e.key, 0)})") for e in EHSA_ENTRIES if counts.get(e.key) or e.key == "0"]
    page.add_child(Legend(page, layer, name, rows, EMERGING_NOTE))


def _add_promising_layer(page: WebMap, data: SharedGeoJson, counts: Sequence[int]) -> None:
    layer = RegionLayer(data, "Promising locations", "prom", [PROMISING_ENTRY], overlay=True, show=True,
                        tooltip=False, filter_property="prom", marker_property="pt", dot_max_zoom=DOT_MAX_ZOOM)
    page.add_child(layer)
    rows = [[(PROMISING_ENTRY, f"{PROMISING_ENTRY.label} ({count})")] for count in counts]
    page.add_child(Legend(page, layer, "Promising locations", rows,
                          "thick black outline; a yellow dot while the map is zoomed out; name in bold"))


def _add_sido_layer(page: WebMap, data: SharedGeoJson) -> None:
    page.add_child(data)
    layer = RegionLayer(data, "Province (sido) outlines", "sido", [SIDO_ENTRY], overlay=True, show=True,
                        tooltip=False)
    page.add_child(layer)
    page.add_child(Legend(page, layer, "Context", [(SIDO_ENTRY, SIDO_ENTRY.label)]))
