"""The only web assets the pages need: Leaflet's JavaScript and CSS.

folium's default page also links jQuery, Bootstrap, Font Awesome and awesome-markers; the
pages here use none of them, so :class:`~.elements.WebMap` links Leaflet alone. To make the
pages work offline, inline a local copy of these two files instead of linking them
(see :meth:`~.elements.WebMap.render`): nothing else on a page loads from the network
unless a tile layer is asked for.
"""

from __future__ import annotations

import folium

_FOLIUM_JS = dict(folium.Map.default_js)
_FOLIUM_CSS = dict(folium.Map.default_css)

#: (name, url) pairs in folium's format; the Leaflet version is the one folium was built for.
LEAFLET_JS: list[tuple[str, str]] = [("leaflet", _FOLIUM_JS["leaflet"])]
LEAFLET_CSS: list[tuple[str, str]] = [("leaflet_css", _FOLIUM_CSS["leaflet_css"])]
