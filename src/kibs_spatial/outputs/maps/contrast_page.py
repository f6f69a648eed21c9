"""The contrast page: professional against technology KIBS, side by side, the Gangnam area outlined.

Two Leaflet maps share one region GeoJSON; left the location quotient of all professional
KIBS sectors combined, right of all technology KIBS combined, with the same fixed LQ classes
and legend as the sector pages. Panning or zooming one map moves the other (a few lines of
JavaScript below instead of folium's DualMap, which loads Leaflet.Sync from a CDN), so the page
draws with no network.

The combined LQ of each kind comes with the result (``kibs_spatial.analysis.contrast.kind_lq``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
from branca.element import Figure, MacroElement
from folium import LayerControl, TileLayer
from folium.map import Layer

from ...crs import WEB_CRS
from ...result import KindLQ
from ...symbology import AREA_ENTRY, LQ_ENTRIES, SIDO_ENTRY, LegendEntry, lq_class_keys
from .controls import RegionLabels
from .elements import (
    PAGE_CSS,
    FitBoundsOnLoad,
    Legend,
    PageChrome,
    Panes,
    RegionLayer,
    SharedGeoJson,
    Template,
    WebMap,
    synthetic_banner_html,
)
from .features import _fmt, feature_collection_json
from .labels import place_labels
from .pages import LQ_NOTE, MapSite, _legend_rows
from .web_geometry import WebGeometry, web_geometry

CONTRAST_FILE = "contrast.html"
KINDS = (("professional", "Professional KIBS"), ("technology", "Technology KIBS"))  # left, right
START_VIEW_KM = 60  # the first view shows the Gangnam area and its surroundings, about the capital region

CONTRAST_CSS = """
body { display: grid; grid-template-columns: 1fr 1fr; grid-template-rows: auto minmax(0, 1fr) auto;
       column-gap: 3px; background: #888; }
.kibs-header { grid-column: 1 / 3; grid-row: 1; background: #fff; }
.kibs-footer { grid-column: 1 / 3; grid-row: 3; }
.folium-map { grid-row: 2; height: 100% !important; width: 100% !important; position: relative !important; }
.kibs-caption { background: rgba(255,255,255,0.92); padding: 4px 8px; font-weight: bold; font-size: 14px;
                border-radius: 4px; box-shadow: 0 0 6px rgba(0,0,0,0.3); }
.kibs-contrast { font-size: 13px; margin-top: 3px; }
.kibs-zoom { font-weight: normal; font-size: 12px; }
.kibs-zoom a { display: block; }
"""


class SyncViews(MacroElement):
    """Keep two maps on the same centre and zoom: moving either one moves the other."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var maps = [{{ this.left.get_name() }}, {{ this.right.get_name() }}], busy = false;
            maps.forEach(function (source, i) {
                var target = maps[1 - i];
                source.on("move zoomend", function () {
                    if (busy) { return; }
                    busy = true;
                    target.setView(source.getCenter(), source.getZoom(), {animate: false});
                    busy = false;
                });
            });
        })();
        {% endmacro %}
    """)

    def __init__(self, left: WebMap, right: WebMap) -> None:
        super().__init__()
        self._name = "SyncViews"
        self.left, self.right = left, right


class Caption(MacroElement):
    """A title box on a map (top right, above the layer control)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var control = L.control({position: "topright"});
            control.onAdd = function () {
                var box = L.DomUtil.create("div", "kibs-caption");
                box.innerHTML = {{ this.text|tojson }};
                return box;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, text_html: str) -> None:
        super().__init__()
        self._name = "Caption"
        self.text = text_html


class ZoomButtons(MacroElement):
    """Two links on a map (top left): zoom to the Gangnam area, back to the whole layer."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }}, area = {{ this.area.get_name() }};
            var control = L.control({position: "topleft"});
            control.onAdd = function () {
                var box = L.DomUtil.create("div", "kibs-caption kibs-zoom");
                var toArea = L.DomUtil.create("a", "", box), toAll = L.DomUtil.create("a", "", box);
                toArea.href = toAll.href = "#";
                toArea.textContent = "Gangnam area";
                toAll.textContent = "whole layer";
                L.DomEvent.on(toArea, "click", function (e) { L.DomEvent.preventDefault(e);
                    map.fitBounds(area.getBounds(), {maxZoom: 11}); });
                L.DomEvent.on(toAll, "click", function (e) { L.DomEvent.preventDefault(e);
                    map.fitBounds({{ this.bounds }}); });
                L.DomEvent.disableClickPropagation(box);
                return box;
            };
            control.addTo(map);
        })();
        {% endmacro %}
    """)

    def __init__(self, area: Layer, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "ZoomButtons"
        self.area = area
        self.bounds = bounds


def _tooltip(region: pd.Series, groups: Sequence[KindLQ], i: int, in_area: bool, period: str) -> str:
    esc = html.escape
    lines = [f"<b>{esc(str(region['name_ko']))}</b> {esc(str(region['name_en']))}",
             f"<small>{esc(str(region['full_name_ko']))} · {esc(str(region['region_code']))}"
             f"{' · Gangnam area' if in_area else ''} · {esc(period)}</small>"]
    for group, (_, label) in zip(groups, KINDS):
        lines.append(f"{label}: employees {_fmt(group.employees[i], ',.0f')} · LQ {_fmt(group.lq[i], '.2f')}")
    return "<br>".join(lines)


def _properties(site: MapSite, groups: Sequence[KindLQ], area_codes: Sequence[str], period: str) -> list[dict]:
    keys = [lq_class_keys(pd.Series(g.lq)) for g in groups]
    in_area = site.regions["region_code"].astype(str).isin(set(area_codes)).to_numpy()
    priority = 2 * in_area + site.regions.geometry.area.rank(pct=True).to_numpy()
    labels = place_labels(site.names, site.geometry.label_points, priority, site.province_labels)
    properties = []
    for i, (_, region) in enumerate(site.regions.iterrows()):
        props = {"code": str(region["region_code"]), "tip": _tooltip(region, groups, i, bool(in_area[i]), period),
                 "name": site.names[i]}
        props.update({f"lq_{kind[0]}": key[i] for (kind, _), key in zip(KINDS, keys)})
        if labels[i] is not None:
            props.update(pt=list(labels[i].point), lz=labels[i].min_zoom)
        properties.append(props)
    return properties


def _start_bounds(area: gpd.GeoDataFrame | None, geometry: WebGeometry) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of the first view: the area and what lies within START_VIEW_KM of it."""
    if area is None:
        west, south, east, north = geometry.bounds
    else:
        west, south, east, north = area.buffer(START_VIEW_KM * 1000).to_crs(WEB_CRS).total_bounds
    return [[float(south), float(west)], [float(north), float(east)]]


def _side(figure: Figure, site: MapSite, shared: dict[str, SharedGeoJson], properties: list[dict],
          group: KindLQ, label: str, area_json: str | None, area_name: str,
          start: list[list[float]]) -> WebMap:
    """One of the two maps; the data both draw (``shared``) is added to the first map only."""
    geometry, sido_json = site.geometry, site.sido_json
    west, south, east, north = geometry.bounds
    side = WebMap(location=[(south + north) / 2, (west + east) / 2], zoom_start=7, tiles=None, control_scale=True)
    figure.add_child(side)
    if site.tiles:
        side.add_child(TileLayer(site.tiles, control=False))
    side.add_child(Panes())
    if "regions" not in shared:
        shared["regions"] = SharedGeoJson(feature_collection_json(geometry, properties), name="contrast_regions")
        side.add_child(shared["regions"])
        if sido_json is not None:
            shared["sido"] = SharedGeoJson(sido_json, name="sido")
            side.add_child(shared["sido"])
        if area_json is not None:
            shared["area"] = SharedGeoJson(area_json, name="area")
            side.add_child(shared["area"])
    data = shared["regions"]
    key = f"lq_{group.kind[0]}"
    names = ", ".join(s.ksic for s in group.sectors) or "none in this run"
    layer = RegionLayer(data, f"{label}: LQ", key, LQ_ENTRIES, overlay=False, show=True)
    side.add_child(layer)
    side.add_child(Legend(side, layer, f"{label}: LQ", _legend_rows(LQ_ENTRIES, [p[key] for p in properties]),
                          f"KSIC {names} together; " + LQ_NOTE.replace("the sector's", "the kind's", 1)
                          .replace("in the sector", "in this kind of KIBS", 1)))
    if sido_json is not None:
        sido = RegionLayer(shared["sido"], "Province (sido) outlines", "sido", [SIDO_ENTRY], overlay=True, show=True,
                           tooltip=False)
        side.add_child(sido)
    if area_json is not None:
        area_data = shared["area"]
        entry = LegendEntry(AREA_ENTRY.key, area_name, None, line=AREA_ENTRY.line, weight=AREA_ENTRY.weight)
        area = RegionLayer(area_data, "Gangnam area", "area", [entry], overlay=True, show=True, tooltip=False)
        side.add_child(area)
        side.add_child(Legend(side, area, "Outlined", [(entry, area_name)]))
        side.add_child(ZoomButtons(area, [[south, west], [north, east]]))
    side.add_child(RegionLabels(data))
    side.add_child(Caption(html.escape(f"{label} ({len(group.sectors)} sectors combined)")))
    side.add_child(LayerControl(position="topright", collapsed=True))
    side.add_child(FitBoundsOnLoad(start))
    return side


def _header_html(groups: Sequence[KindLQ], area_name: str | None, site: MapSite, period: str) -> str:
    synthetic = site.synthetic
    title = f"Professional against technology KIBS: location quotient of each kind combined, {period}"
    parts = [f"<h1>{html.escape(title)}</h1>", '<a href="index.html">← all sectors</a>']
    if site.report_href:
        parts.append(f'<a href="{html.escape(site.report_href)}">report</a>')
    if synthetic:
        parts.append(synthetic_banner_html())
    if area_name is not None:
        values = " · ".join(f"{label}: {_fmt(g.area_lq, '.2f')} in the area, {_fmt(g.rest_lq, '.2f')} elsewhere"
                            for g, (_, label) in zip(groups, KINDS))
        parts.append(f'<div class="kibs-contrast"><b>{html.escape(area_name)}</b> (outlined) — LQ {values}</div>')
    else:
        parts.append('<div class="kibs-contrast">The Gangnam area ([contrast] area) is not in this boundary '
                     'layer; no outline.</div>')
    return "".join(parts)


def contrast_page_html(regions: gpd.GeoDataFrame, kinds: Sequence[KindLQ], site: MapSite, *,
                       area: gpd.GeoDataFrame | None, period: str) -> str:
    """The complete HTML of the contrast page (see module docstring).

    ``kinds`` holds the combined LQ of each kind of KIBS (of ``period``, the run's last); ``area`` is
    the dissolved Gangnam area (``region_codes``, ``name``, geometry) or None when its units are not
    in the layer.
    """
    by_kind = {group.kind: group for group in kinds}
    groups = [by_kind[kind] for kind, _ in KINDS]
    area_codes = str(area["region_codes"].iloc[0]).split(",") if area is not None else ()
    properties = _properties(site, groups, area_codes, period)
    area_json = area_name = None
    if area is not None:
        area_name = str(area["name"].iloc[0])
        # Holes dropped: the union of the bundled polygons keeps sliver gaps between its units.
        area_json = feature_collection_json(web_geometry(area, fill_holes=True), [{"area": "area"}])
    figure = Figure()
    figure.title = "Professional against technology KIBS — kibs_spatial"
    shared: dict[str, SharedGeoJson] = {}
    sides = [_side(figure, site, shared, properties, group, label, area_json, area_name or "",
                   _start_bounds(area, site.geometry)) for group, (_, label) in zip(groups, KINDS)]
    figure.add_child(SyncViews(*sides))
    chrome = PageChrome(_header_html(groups, area_name, site, period), site.footer_html)
    chrome.css = PAGE_CSS + CONTRAST_CSS
    figure.add_child(chrome)
    return figure.render()
