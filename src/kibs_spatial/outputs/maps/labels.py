"""Offline place labels: the zoom level from which each label is shown, decided before the page is written.

Leaflet draws no labels of its own and the pages fetch no tiles, so the unit and province
names are drawn from the data (``KIBS.labels`` in ``page.js``: one ``divIcon`` per label, a layer
group per zoom range). Which label appears at which zoom is settled here, greedily, on Web
Mercator pixel coordinates (the map's own projection, integer zoom levels):

- at each zoom level from :data:`MIN_ZOOM` to :data:`MAX_ZOOM`, the labels already shown at the
  level below stay (they cannot collide now: distances double with every level, boxes do not);
- then the others are tried in order of priority (the caller's ranking: the sector's results
  first, then large units); a label is added when its box overlaps no label already placed;
- fixed labels (the provinces, shown up to a zoom level) are obstacles at the levels they show.

A label that never fits gets ``MAX_ZOOM + 1``: it shows when the user zooms in that far.
Box sizes are estimated from the text (a Hangul syllable is about one em wide, other characters
about 0.6 em) at the pages' label font size. Unit labels hang :data:`BELOW_PX` under their point
(where a promising location's dot sits); province labels are centred on theirs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_ZOOM = 5
MAX_ZOOM = 12
FONT_PX = 12.0
LINE_PX = 16.0
PADDING_PX = 4.0
BELOW_PX = 5.0  # the gap between a unit's point and the top of its label (page.css: .kibs-label-unit)


@dataclass(frozen=True)
class Label:
    """One label: its text, anchor ``(lon, lat)`` and the zoom range it shows at."""

    text: str
    point: tuple[float, float]
    min_zoom: int
    max_zoom: int = 99

    def to_json(self) -> dict[str, object]:
        """The item ``KIBS.labels`` reads: ``text``, ``pt``, ``lz`` and (if limited) ``xz``."""
        item: dict[str, object] = {"text": self.text, "pt": list(self.point), "lz": self.min_zoom}
        if self.max_zoom < 99:
            item["xz"] = self.max_zoom
        return item


def text_width_px(text: str, font_px: float = FONT_PX) -> float:
    """Estimated width of ``text`` in pixels: Hangul and other wide characters one em, the rest 0.6 em."""
    return sum(font_px if ord(c) >= 0x1100 else 0.6 * font_px for c in text)


def mercator_px(points: np.ndarray, zoom: int) -> np.ndarray:
    """Web Mercator pixel coordinates of ``(lon, lat)`` rows at ``zoom`` (256-pixel tiles)."""
    lon, lat = np.radians(points[:, 0]), np.radians(np.clip(points[:, 1], -85.0, 85.0))
    scale = 256.0 * 2 ** zoom / (2 * math.pi)
    return np.column_stack([scale * (lon + math.pi), scale * (math.pi - np.log(np.tan(math.pi / 4 + lat / 2)))])


def _overlaps(centre: np.ndarray, size: np.ndarray, centres: np.ndarray, sizes: np.ndarray) -> bool:
    if not len(centres):
        return False
    gap = np.abs(centres - centre) - (sizes + size) / 2
    return bool(np.any((gap[:, 0] < 0) & (gap[:, 1] < 0)))


def place_labels(texts: Sequence[str], points: Sequence[tuple[float, float] | None], priority: Sequence[float],
                 obstacles: Sequence[Label] = (), below_px: float = BELOW_PX) -> list[Label | None]:
    """The :class:`Label` of every text (None where it has no point), with the zoom it first fits at.

    ``priority``: higher first. ``obstacles``: labels placed already (e.g. the provinces, centred on their
    points), shown from their ``min_zoom`` to their ``max_zoom``. ``below_px``: the labels hang this far
    under their points (0: centred).
    """
    usable = [i for i, p in enumerate(points) if p is not None and texts[i]]
    order = sorted(usable, key=lambda i: -priority[i])
    anchors = np.array([points[i] for i in order], dtype=float).reshape(-1, 2)
    sizes = np.array([[text_width_px(texts[i]) + PADDING_PX, LINE_PX + PADDING_PX] for i in order]).reshape(-1, 2)
    fixed = np.array([o.point for o in obstacles], dtype=float).reshape(-1, 2)
    fixed_sizes = np.array([[text_width_px(o.text, FONT_PX * 1.15) + PADDING_PX, LINE_PX + PADDING_PX]
                            for o in obstacles]).reshape(-1, 2)
    first = np.full(len(order), MAX_ZOOM + 1)
    for zoom in range(MIN_ZOOM, MAX_ZOOM + 1):
        showing = np.array([o.min_zoom <= zoom <= o.max_zoom for o in obstacles], dtype=bool)
        pixels = mercator_px(anchors, zoom) + np.array([0.0, below_px + LINE_PX / 2 if below_px else 0.0])
        centres = np.vstack([mercator_px(fixed[showing], zoom), pixels[first <= zoom]])
        boxes = np.vstack([fixed_sizes[showing], sizes[first <= zoom]])
        for k in np.flatnonzero(first > zoom):
            if not _overlaps(pixels[k], sizes[k], centres, boxes):
                first[k] = zoom
                centres = np.vstack([centres, pixels[k]])
                boxes = np.vstack([boxes, sizes[k]])
    labels: list[Label | None] = [None] * len(texts)
    for k, i in enumerate(order):
        labels[i] = Label(texts[i], points[i], int(first[k]))
    return labels


def province_labels(texts: Sequence[str], points: Sequence[tuple[float, float] | None],
                    max_zoom: int = 8) -> list[Label]:
    """Province labels: shown up to ``max_zoom``, from the first zoom at which they do not collide."""
    placed = place_labels(texts, points, [0.0] * len(texts), below_px=0.0)
    return [Label(label.text, label.point, min(label.min_zoom, max_zoom), max_zoom) for label in placed if label]
