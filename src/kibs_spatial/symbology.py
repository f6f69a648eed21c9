"""Classes and colours of every output: one table per layer, shared by the HTML maps, the QGIS
styles, the report figures and the rasters, so that all of them agree.

Every region gets a *class key* per layer (``"3"`` for LQ class 3, ``"HH"`` for a LISA
High-High unit, ``"-2"`` for a 95 % Gi* cold spot, ``"na"`` for no data). The page's
JavaScript looks the key up in the layer's style table, and the legend is drawn from the
same table, so map and legend cannot disagree.

LQ classes use fixed breaks, so that pages of different sectors can be compared:
``mapclassify.UserDefined`` with upper bounds 0.5, 0.8, 1.25, 2 and 4 (each class includes
its upper bound), 0.8-1.25 being "about the national average".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NO_DATA_KEY = "na"
NO_DATA_COLOUR = "#969696"
REGION_LINE_COLOUR = "#636363"

LQ_BREAKS: tuple[float, ...] = (0.5, 0.8, 1.25, 2.0, 4.0)
LQ_COLOURS: tuple[str, ...] = ("#5e3c99", "#b2abd2", "#f7f7f7", "#fdb863", "#e66101", "#7f2704")


@dataclass(frozen=True)
class LegendEntry:
    """One class of a layer: its key in the feature properties, legend label and path style."""

    key: str
    label: str
    fill: str | None
    line: str = REGION_LINE_COLOUR
    weight: float = 0.5
    dash: str | None = None

    def leaflet_style(self, fill_opacity: float) -> dict[str, object]:
        """Leaflet path options for regions of this class."""
        style: dict[str, object] = {"color": self.line, "weight": self.weight, "opacity": 1.0}
        if self.fill is None:
            style.update(fill=False)
        else:
            style.update(fillColor=self.fill, fillOpacity=fill_opacity)
        if self.dash:
            style["dashArray"] = self.dash
        return style


def _lq_labels() -> list[str]:
    bounds = [f"{b:.2f}" for b in LQ_BREAKS]
    labels = [f"≤ {bounds[0]}"]
    labels += [f"{lo} – {hi}" for lo, hi in zip(bounds, bounds[1:])]
    labels.append(f"> {bounds[-1]}")
    return labels


LQ_ENTRIES: tuple[LegendEntry, ...] = tuple(
    LegendEntry(str(i), label, colour) for i, (label, colour) in enumerate(zip(_lq_labels(), LQ_COLOURS))
) + (LegendEntry(NO_DATA_KEY, "no data", NO_DATA_COLOUR),)

LISA_ENTRIES: tuple[LegendEntry, ...] = (
    LegendEntry("HH", "High-High (HH)", "#d7191c"),
    LegendEntry("LL", "Low-Low (LL)", "#2c7bb6"),
    LegendEntry("LH", "Low-High (LH)", "#abd9e9"),
    LegendEntry("HL", "High-Low (HL)", "#f1b6da"),
    LegendEntry("ns", "not significant", "#d9d9d9"),
    LegendEntry("isolated", "isolated (no neighbours)", "#ffffff", line="#000000", weight=1.5, dash="4 3"),
    LegendEntry("undefined", "undefined (missing value)", NO_DATA_COLOUR),
)

GI_ENTRIES: tuple[LegendEntry, ...] = (
    LegendEntry("3", "hot spot 99 %", "#b2182b"),
    LegendEntry("2", "hot spot 95 %", "#ef8a62"),
    LegendEntry("1", "hot spot 90 %", "#fddbc7"),
    LegendEntry("0", "not significant", "#f7f7f7"),
    LegendEntry("-1", "cold spot 90 %", "#d1e5f0"),
    LegendEntry("-2", "cold spot 95 %", "#67a9cf"),
    LegendEntry("-3", "cold spot 99 %", "#2166ac"),
    LegendEntry(NO_DATA_KEY, "no data", NO_DATA_COLOUR),
)

QUADRANT_COLOURS = {e.key: e.fill for e in LISA_ENTRIES if e.key in ("HH", "LL", "LH", "HL")}
KIND_COLOURS = {"technology": "#1f77b4", "professional": "#d62728"}

PROMISING_ENTRY = LegendEntry("1", "promising cluster location", None, line="#000000", weight=3.0)
SIDO_ENTRY = LegendEntry("sido", "province (sido) boundary", None, line="#252525", weight=1.5)
GANGNAM_ENTRY = LegendEntry("gangnam", "Gangnam area", None, line="#7b3294", weight=2.5, dash="6 3")  # QGIS
AREA_ENTRY = LegendEntry("area", "Gangnam area", None, line="#00bcd4", weight=3.5)  # web maps, over the LQ colours


def lq_class_keys(lq: pd.Series) -> list[str]:
    """LQ class keys ``"0"``..``"5"`` (fixed breaks, see module docstring); ``"na"`` if missing."""
    values = pd.to_numeric(lq, errors="coerce").to_numpy(dtype=float)
    keys = np.full(values.shape, NO_DATA_KEY, dtype=object)
    finite = np.isfinite(values)
    if finite.any():
        import mapclassify  # imported here: it compiles numba code on import

        classifier = mapclassify.UserDefined(values[finite], bins=list(LQ_BREAKS))
        keys[finite] = [str(min(int(b), len(LQ_COLOURS) - 1)) for b in classifier.yb]
    return keys.tolist()


def lisa_class_keys(lisa_cl: pd.Series) -> list[str]:
    """LISA class keys; anything that is not a known class (including missing) is ``undefined``."""
    known = {entry.key for entry in LISA_ENTRIES}
    return [value if isinstance(value, str) and value in known else "undefined" for value in lisa_cl]


def gi_class_keys(gi_bin: pd.Series) -> list[str]:
    """Gi* class keys ``"-3"``..``"3"`` from the significance bins; ``"na"`` if missing."""
    values = pd.to_numeric(gi_bin, errors="coerce").to_numpy(dtype=float)
    return [str(int(np.clip(v, -3, 3))) if np.isfinite(v) else NO_DATA_KEY for v in values]
