"""The only web assets the pages need, Leaflet's JavaScript and CSS and the pages' own script, inlined.

The CSS's images (the layer-control icon, the default marker) become ``data:`` URIs, so that
a collapsed layer control does not ask for ``images/layers.png`` beside the page.

Leaflet comes from the ``xstatic-leaflet`` package (Leaflet 1.9.3, the version folium 0.20 is
built for; BSD-2-Clause). folium's default page also links jQuery, Bootstrap, Font Awesome and
awesome-markers; the pages use none of them. Inlining Leaflet (about 190 kB a page) means a
page draws its layers with no network at all: only a base map asked for with ``tiles`` loads
from the network.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path

import xstatic.pkg.leaflet as xstatic_leaflet

LEAFLET_VERSION = xstatic_leaflet.VERSION


@lru_cache(maxsize=1)
def leaflet_inline_html() -> str:
    """``<style>`` and ``<script>`` elements holding Leaflet's CSS and JavaScript."""
    folder = Path(xstatic_leaflet.BASE_DIR)
    css = _inline_images((folder / "leaflet.css").read_text(encoding="utf-8"), folder)
    js = (folder / "leaflet.js").read_text(encoding="utf-8")
    if "</script" in js.lower() or "</style" in css.lower():
        raise RuntimeError("the Leaflet files contain a closing tag and cannot be inlined as they are")
    return f"<style>/* Leaflet {LEAFLET_VERSION} */\n{css}</style>\n<script>{js}</script>"


@lru_cache(maxsize=1)
def page_script_html() -> str:
    """``<script>`` element holding ``page.js`` (geometry decoding, periods, tooltips, labels, inset)."""
    js = (Path(__file__).with_name("page.js")).read_text(encoding="utf-8")
    if "</script" in js.lower() or any(opener in js for opener in ("{{", "{%", "{#")):
        raise RuntimeError("page.js contains a closing script tag or a template opener and cannot be inlined")
    return f"<script>{js}</script>"


def _inline_images(css: str, folder: Path) -> str:
    """Replace ``url(images/NAME.png)`` by a base64 ``data:`` URI of that file."""
    def data_uri(match: re.Match) -> str:
        payload = base64.b64encode((folder / "images" / match.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{payload})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)
