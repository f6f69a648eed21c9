"""Classes and colours of every output: one table per layer, shared by the HTML maps, the QGIS
styles, the report figures and the rasters, so that all of them agree.

Every region gets a *class key* per layer (``"3"`` for LQ class 3, ``"HH"`` for a LISA
High-High unit, ``"-2"`` for a 95 % Gi* cold spot, ``"na"`` for no data). The page's
JavaScript looks the key up in the layer's style table, and the legend is drawn from the
same table, so map and legend cannot disagree.

LQ classes use fixed breaks, so that pages of different sectors can be compared:
``mapclassify.UserDefined`` with upper bounds 0.5, 0.8, 1.25, 2 and 4 (each class includes
its upper bound), 0.8-1.25 being "about the national average". The palette diverges from that
middle class: light blues below, oranges to dark brown above, so that the many units far below
the national share (most of the country for most sectors) stay pale and specialisation stands out.

Labels are plain language ("HH cluster: high value, high neighbours", "hot spot 95 %"): the same
words appear in the web legends, the tooltips, the QGIS legends and the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NO_DATA_KEY = "na"
NO_DATA_COLOUR = "#969696"
REGION_LINE_COLOUR = "#636363"

LQ_BREAKS: tuple[float, ...] = (0.5, 0.8, 1.25, 2.0, 4.0)
LQ_COLOURS: tuple[str, ...] = ("#c6dbef", "#e7f0f8", "#f7f7f7", "#fdbe85", "#e6550d", "#7f2704")


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
    LegendEntry("HH", "HH cluster: high value, high neighbours", "#d7191c"),
    LegendEntry("LL", "LL cluster: low value, low neighbours", "#2c7bb6"),
    LegendEntry("LH", "LH outlier: low value, high neighbours", "#abd9e9"),
    LegendEntry("HL", "HL outlier: high value, low neighbours", "#f1b6da"),
    LegendEntry("ns", "not significant", "#d9d9d9"),
    LegendEntry("isolated", "no neighbours: not tested", "#ffffff", line="#000000", weight=1.5, dash="4 3"),
    LegendEntry("undefined", "no data: not tested", NO_DATA_COLOUR),
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

SIGNIFICANCE_ENTRIES: tuple[LegendEntry, ...] = (
    LegendEntry("q01", "significant at 99 % after FDR (q ≤ 0.01)", "#54278f"),
    LegendEntry("q05", "significant at 95 % after FDR (q ≤ 0.05)", "#9e9ac8"),
    LegendEntry("p05", "p ≤ 0.05 only before FDR correction", "#dadaeb"),
    LegendEntry("ns", "not significant (p > 0.05)", "#f7f7f7"),
    LegendEntry(NO_DATA_KEY, "not tested (no neighbours or no data)", NO_DATA_COLOUR),
)
"""Significance of the local Moran's I (LISA) of a unit: its pseudo p and its FDR-adjusted q.

The LISA and Gi* classes count a unit as significant on q; this layer shows how far from the
threshold each unit is, and which units only pass before the correction for multiple testing.
"""

QUADRANT_COLOURS = {e.key: e.fill for e in LISA_ENTRIES if e.key in ("HH", "LL", "LH", "HL")}
KIND_COLOURS = {"technology": "#1f77b4", "professional": "#d62728"}

PROMISING_ENTRY = LegendEntry("1", "promising cluster location", None, line="#000000", weight=3.5)
SIDO_ENTRY = LegendEntry("sido", "province (sido) boundary", None, line="#525252", weight=1.2)
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


def significance_class_keys(p: pd.Series, q: pd.Series) -> list[str]:
    """Significance class keys (``q01``, ``q05``, ``p05``, ``ns``; ``na`` when not tested) from p and q."""
    p_values = pd.to_numeric(p, errors="coerce").to_numpy(dtype=float)
    q_values = pd.to_numeric(q, errors="coerce").to_numpy(dtype=float)
    keys = []
    for p_value, q_value in zip(p_values, q_values):
        if not np.isfinite(p_value):
            keys.append(NO_DATA_KEY)
        elif np.isfinite(q_value) and q_value <= 0.01:
            keys.append("q01")
        elif np.isfinite(q_value) and q_value <= 0.05:
            keys.append("q05")
        else:
            keys.append("p05" if p_value <= 0.05 else "ns")
    return keys


SIDO_SHORT: dict[str, str] = {
    "서울특별시": "서울", "부산광역시": "부산", "대구광역시": "대구", "인천광역시": "인천", "광주광역시": "광주",
    "대전광역시": "대전", "울산광역시": "울산", "세종특별자치시": "세종", "경기도": "경기", "강원도": "강원",
    "강원특별자치도": "강원", "충청북도": "충북", "충청남도": "충남", "전라북도": "전북", "전북특별자치도": "전북",
    "전라남도": "전남", "경상북도": "경북", "경상남도": "경남", "제주특별자치도": "제주",
}
"""The usual two-syllable short names of the provinces (sido), as map labels use them."""


def unique_labels(regions: pd.DataFrame) -> list[str]:
    """A short map label per unit that no other unit of ``regions`` shares.

    The unit's name (``name_ko``) where it is unique; otherwise prefixed with its city
    (``포항시 남구``) when that settles it, else with the province's short name (``부산 중구``,
    ``강원 고성군``), else the full name. Missing columns are treated as empty.
    """
    def column(name: str) -> list[str]:
        values = regions[name] if name in regions.columns else pd.Series([""] * len(regions))
        return ["" if pd.isna(v) else str(v).strip() for v in values]

    names, cities, provinces, full = column("name_ko"), column("parent_city"), column("sido_name"), column("full_name_ko")
    labels = list(names)
    for rule in (lambda i: f"{cities[i]} {names[i]}" if cities[i] else labels[i],
                 lambda i: f"{SIDO_SHORT.get(provinces[i], provinces[i])} {labels[i]}".strip(),
                 lambda i: full[i] or labels[i]):
        counts = pd.Series(labels).value_counts()
        labels = [rule(i) if counts[label] > 1 else label for i, label in enumerate(labels)]
    return labels


DENSITY_BOUNDS: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)
"""Upper bounds of the density classes (employees per km²): one class per decade, so that units from
0.01 to over 1,000 per km² all show (a linear stretch shows nothing outside Seoul)."""

DENSITY_ENTRIES: tuple[LegendEntry, ...] = tuple(
    LegendEntry(str(i), label, colour) for i, (label, colour) in enumerate(zip(
        [f"≤ {DENSITY_BOUNDS[0]:g}"] + [f"{lo:g} – {hi:,g}" for lo, hi in zip(DENSITY_BOUNDS, DENSITY_BOUNDS[1:])]
        + [f"> {DENSITY_BOUNDS[-1]:,g}"],
        ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"))))
"""Density classes, per km² (the rasters' density style)."""


# --- emerging hot spots (docs/EMERGING.md) -------------------------------------------------------------

EHSA_NAMES: tuple[tuple[int, str], ...] = (
    *((code, f"{name} Hot Spot") for code, name in enumerate(
        ("New", "Consecutive", "Intensifying", "Persistent", "Diminishing", "Sporadic", "Oscillating", "Historical"),
        start=1)),
    *((-code, f"{name} Cold Spot") for code, name in enumerate(
        ("New", "Consecutive", "Intensifying", "Persistent", "Diminishing", "Sporadic", "Oscillating", "Historical"),
        start=1)),
    (0, "No Pattern Detected"),
)
"""The 17 emerging hot spot patterns (code, name) in ArcGIS Pro's legend order: the hot ones (+1..+8), the cold
ones (-1..-8), no pattern (0). The names are those of ``analysis.emerging.PATTERNS`` (a test keeps them equal);
they are repeated here because the writers may not import the analysis."""

EHSA_COLOURS: dict[int, str] = {
    1: "#fb6a4a",   # new: a clear red
    2: "#e31a1c",   # consecutive: strong red
    3: "#67000d",   # intensifying: the darkest red
    4: "#a50f15",   # persistent: dark red
    5: "#fc9272",   # diminishing: a fading salmon
    6: "#fdae6b",   # sporadic: orange-red, on and off
    7: "#f768a1",   # oscillating: red-pink (it was cold before)
    8: "#fee0d2",   # historical: the palest red (no longer hot)
    -1: "#6baed6",  # the cold patterns mirror the hot ones in blues
    -2: "#2171b5",
    -3: "#08306b",
    -4: "#08519c",
    -5: "#9ecae1",
    -6: "#74c7d8",
    -7: "#7b8fd6",
    -8: "#deebf7",
    0: "#ececec",   # no pattern detected: light grey
}
"""An ArcGIS-like emerging hot spot palette: every hot pattern a red, every cold one a blue, strongest where the
clustering is strongest and still there (intensifying, persistent), palest where it has gone (historical), no
pattern light grey. Not ArcGIS's exact RGB values: the same scheme, tuned so that the 17 classes stay apart."""

EHSA_UNDEFINED = "undefined"
EHSA_ENTRIES: tuple[LegendEntry, ...] = tuple(
    LegendEntry(str(code), name, EHSA_COLOURS[code]) for code, name in EHSA_NAMES
) + (LegendEntry(NO_DATA_KEY, "no space-time Gi* (no data or no neighbours)", NO_DATA_COLOUR),)
"""Legend of the emerging hot spot layers: key = the pattern code as text (``"3"`` Intensifying Hot Spot), ``na``
for a unit whose pattern is undefined or missing."""

EHSA_CODES: dict[str, int] = {name: code for code, name in EHSA_NAMES}

ST_GI_ENTRIES: tuple[LegendEntry, ...] = (
    LegendEntry("1", "space-time hot spot", "#d6604d"),
    LegendEntry("0", "neither", "#f7f7f7"),
    LegendEntry("-1", "space-time cold spot", "#4393c3"),
    LegendEntry(NO_DATA_KEY, "no data", NO_DATA_COLOUR),
)
"""The space-time Gi* bins of one period (``st_gi_bin``): hot or cold at the [emerging] confidence, or neither."""


def ehsa_class_keys(pattern: pd.Series) -> list[str]:
    """Emerging hot spot class keys (the pattern code as text) from pattern names; ``"na"`` when undefined or missing."""
    return [str(EHSA_CODES[value]) if isinstance(value, str) and value in EHSA_CODES else NO_DATA_KEY
            for value in pattern]


def st_gi_class_keys(st_gi_bin: pd.Series) -> list[str]:
    """Space-time Gi* class keys ``"1"``, ``"0"``, ``"-1"`` from ``st_gi_bin``; ``"na"`` if missing."""
    values = pd.to_numeric(st_gi_bin, errors="coerce").to_numpy(dtype=float)
    return [str(int(np.sign(v))) if np.isfinite(v) else NO_DATA_KEY for v in values]
