"""folium elements of the sector pages' reading aids: the period state, labels, the overview inset, view links.

Each is a few lines of template calling ``page.js`` (``KIBS.setup``, ``KIBS.regionLabels``,
``KIBS.labels``, ``KIBS.inset``); see :mod:`.elements` for the map, layers and legends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from branca.element import MacroElement

from .elements import LABEL_PANE, SharedGeoJson, Template
from .labels import Label

Bounds = list[list[float]]  # [[south, west], [north, east]]


class PeriodSetup(MacroElement):
    """The page's period state and tooltip template (``KIBS.setup``); added before every layer."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        KIBS.setup({{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, periods: Sequence[str], columns: Sequence[str], template: str,
                 phrases: Mapping[str, Mapping[str, str]]) -> None:
        super().__init__()
        self._name = "PeriodSetup"
        self.options = {"periods": list(periods), "current": len(periods) - 1, "columns": list(columns),
                        "template": template, "phrases": {k: dict(v) for k, v in phrases.items()}}


class RegionLabels(MacroElement):
    """Unit names from the shared data, each from its own zoom level on (``lz``), bold where promising."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        KIBS.regionLabels({{ this._parent.get_name() }}, {{ this.data.get_name() }}, {{ this.pane|tojson }});
        {% endmacro %}
    """)

    def __init__(self, data: SharedGeoJson) -> None:
        super().__init__()
        self._name = "RegionLabels"
        self.data = data
        self.pane = LABEL_PANE


class FixedLabels(MacroElement):
    """Labels given in full (e.g. the provinces), each shown over its zoom range."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        KIBS.labels({{ this._parent.get_name() }}, {{ this.items|tojson }}, {{ this.css_class|tojson }},
                    {{ this.pane|tojson }});
        {% endmacro %}
    """)

    def __init__(self, labels: Sequence[Label], css_class: str) -> None:
        super().__init__()
        self._name = "FixedLabels"
        self.items = [label.to_json() for label in labels]
        self.css_class = css_class
        self.pane = LABEL_PANE


class OverviewInset(MacroElement):
    """A small map of the whole layer (bottom left) with a red box around the main map's view."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        KIBS.inset({{ this._parent.get_name() }}, {{ this.outline.get_name() }}, {{ this.bounds|tojson }});
        {% endmacro %}
    """)

    def __init__(self, outline: SharedGeoJson, bounds: Bounds) -> None:
        super().__init__()
        self._name = "OverviewInset"
        self.outline = outline
        self.bounds = bounds


class ViewLinks(MacroElement):
    """Links (top left, under the zoom buttons) that move the map to named views."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }}, views = {{ this.views|tojson }};
            var control = L.control({position: "topleft"});
            control.onAdd = function () {
                var box = L.DomUtil.create("div", "kibs-views");
                L.DomUtil.create("b", "", box).textContent = "Show";
                views.forEach(function (view) {
                    var link = L.DomUtil.create("a", "", box);
                    link.href = "#";
                    link.textContent = view.name;
                    L.DomEvent.on(link, "click", function (e) {
                        L.DomEvent.preventDefault(e);
                        map.fitBounds(view.bounds, {maxZoom: view.maxZoom});
                    });
                });
                L.DomEvent.disableClickPropagation(box);
                return box;
            };
            control.addTo(map);
        })();
        {% endmacro %}
    """)

    def __init__(self, views: Sequence[tuple[str, Bounds, int]]) -> None:
        super().__init__()
        self._name = "ViewLinks"
        self.views = [{"name": name, "bounds": bounds, "maxZoom": max_zoom} for name, bounds, max_zoom in views]
