"""Per-sector region features: class keys for every layer and period, formatted values, the tooltip template.

The geometry is encoded once (see :mod:`.web_geometry`); each sector page combines it with that
sector's properties into one FeatureCollection that all region layers of the page share. A
feature's properties hold the unit's names once and, under ``v``, one row of values per period
(columns :data:`PERIOD_COLUMNS`), so the period switch changes colours, legends and tooltips
without repeating any geometry. Numbers are formatted here, once, as the tooltips show them.

With emerging hot spots in the result, a feature also holds its pattern over all periods once (``ehk``: the
pattern's class key, ``ehz``/``ehp``: the Mann-Kendall z and p of its space-time Gi* series, ``ehh``/``ehc``:
periods hot and cold; :func:`emerging_properties`), not per period.
"""

from __future__ import annotations

import html
import json
import math
import warnings
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from ...errors import InputError
from ...fields import REGISTRY
from ...result import Sector
from ...symbology import (
    EHSA_ENTRIES,
    GI_ENTRIES,
    LISA_ENTRIES,
    LQ_ENTRIES,
    SIGNIFICANCE_ENTRIES,
    ehsa_class_keys,
    gi_class_keys,
    lisa_class_keys,
    lq_class_keys,
    significance_class_keys,
)
from .web_geometry import WebGeometry

CLASS_COLUMNS = ("lq_k", "lisa_k", "gi_k", "sig_k", "prom")
VALUE_COLUMNS = ("employees", "establishments", "lq", "share", "cagr", "lisa_p", "lisa_q", "gi_z", "gi_p", "gi_q")
PERIOD_COLUMNS = CLASS_COLUMNS + VALUE_COLUMNS
"""The columns of a feature's per-period rows (``properties.v[period]``)."""

SIGNIFICANT_LISA = ("HH", "LL", "LH", "HL")


def sector_table(regions: gpd.GeoDataFrame, results: pd.DataFrame, sector: Sector) -> pd.DataFrame:
    """One row per region (in the order of ``regions``) with ``sector``'s results, NaN where absent."""
    rows = results[results["ksic"].astype(str) == sector.ksic].copy()
    rows["region_code"] = rows["region_code"].astype(str)
    duplicated = rows["region_code"][rows["region_code"].duplicated()]
    if not duplicated.empty:
        raise InputError(f"results hold several rows for sector {sector.ksic} in region(s) "
                         f"{', '.join(sorted(set(duplicated))[:5])}; expected one row per region and sector")
    left = pd.DataFrame({"region_code": regions["region_code"].astype(str).to_numpy()})
    unmapped = sorted(set(rows["region_code"]) - set(left["region_code"]))
    if unmapped:
        warnings.warn(f"{len(unmapped)} result row(s) of sector {sector.ksic} name regions missing from the "
                      f"boundary layer (e.g. {', '.join(unmapped[:5])}); they are not mapped", stacklevel=3)
    table = left.merge(rows.drop(columns=["ksic"]), on="region_code", how="left", validate="one_to_one")
    for column in ("promising", *VALUE_COLUMNS, "lisa_cl", "gi_bin"):
        if column not in table.columns:
            table[column] = math.nan
    table["promising"] = promising_flags(table["promising"])
    return table


def promising_flags(values: pd.Series) -> pd.Series:
    """``promising`` as plain booleans; missing values count as not promising."""
    return pd.Series([_is_true(v) for v in values.astype(object)], index=values.index, dtype=bool)


def _is_true(value: Any) -> bool:
    number = _number(value)
    return number is not None and number != 0


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _fmt(value: Any, pattern: str, missing: str = "–") -> str:
    number = _number(value)
    return missing if number is None else format(number, pattern)


def _fmt_p(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "–"
    return "< 0.001" if number < 0.001 else f"{number:.3f}"


def _fmt_percent(value: Any, digits: int) -> str:
    number = _number(value)
    return "–" if number is None else f"{100.0 * number:.{digits}f} %"


def class_keys(table: pd.DataFrame) -> dict[str, list]:
    """Per class column of :data:`CLASS_COLUMNS`: the key of every row of a :func:`sector_table`."""
    return {"lq_k": lq_class_keys(table["lq"]), "lisa_k": lisa_class_keys(table["lisa_cl"]),
            "gi_k": gi_class_keys(table["gi_bin"]), "sig_k": significance_class_keys(table["lisa_p"], table["lisa_q"]),
            "prom": [int(v) for v in table["promising"]]}


def formatted_values(table: pd.DataFrame) -> dict[str, list[str]]:
    """Per value column of :data:`VALUE_COLUMNS`: every row formatted as the tooltip shows it (``–`` if missing)."""
    return {
        "employees": [_fmt(v, ",.0f") for v in table["employees"]],
        "establishments": [_fmt(v, ",.0f") for v in table["establishments"]],
        "lq": [_fmt(v, ".2f") for v in table["lq"]],
        "share": [_fmt_percent(v, 2) for v in table["share"]],
        "cagr": [_fmt_percent(v, 1) for v in table["cagr"]],
        **{c: [_fmt_p(v) for v in table[c]] for c in ("lisa_p", "lisa_q", "gi_p", "gi_q")},
        "gi_z": [_fmt(v, ".2f") for v in table["gi_z"]],
    }


def period_rows(table: pd.DataFrame) -> list[list]:
    """One list per region: the values of :data:`PERIOD_COLUMNS` for one period's :func:`sector_table`."""
    columns = {**class_keys(table), **formatted_values(table)}
    return [list(row) for row in zip(*(columns[c] for c in PERIOD_COLUMNS))]


def highlighted(table: pd.DataFrame) -> pd.Series:
    """Rows the map opens on and labels first: promising, LISA High-High, Gi* hot spots at 95 % or more."""
    gi_bin = pd.to_numeric(table["gi_bin"], errors="coerce")
    return table["promising"].astype(bool) | (table["lisa_cl"] == "HH") | (gi_bin >= 2)


EMERGING_COLUMNS = ("ehk", "ehz", "ehp", "ehh", "ehc")
"""A feature's emerging hot spot properties (once, not per period): pattern key, trend z and p, periods hot, cold."""


def has_emerging(table: pd.DataFrame) -> bool:
    """Whether a last-period :func:`sector_table` carries emerging hot spot patterns."""
    return "ehsa_pattern" in table.columns


def emerging_properties(table: pd.DataFrame) -> list[dict[str, str]]:
    """Per row of a last-period :func:`sector_table`: :data:`EMERGING_COLUMNS`, formatted as the tooltip shows them."""
    keys = ehsa_class_keys(table["ehsa_pattern"])
    columns = zip(keys, table["ehsa_trend_z"], table["ehsa_trend_p"], table["periods_hot"], table["periods_cold"])
    return [dict(zip(EMERGING_COLUMNS, (key, _fmt(z, ".2f"), _fmt_p(p), _fmt(hot, ".0f"), _fmt(cold, ".0f"))))
            for key, z, p, hot, cold in columns]


def feature_properties(regions: gpd.GeoDataFrame, names: Sequence[str], tables: Sequence[pd.DataFrame],
                       geometry: WebGeometry, label_zooms: Sequence[int | None]) -> list[dict]:
    """Properties of every region: names (``name``: its unique label), label point and zoom, one row
    of :data:`PERIOD_COLUMNS` per period (``v``) and, when the last table has them, the emerging hot spot
    properties (:func:`emerging_properties`)."""
    rows = [period_rows(table) for table in tables]
    emerging = emerging_properties(tables[-1]) if tables and has_emerging(tables[-1]) else None
    properties = []
    for i, region in enumerate(regions.drop(columns=regions.geometry.name).to_dict("records")):
        props: dict[str, Any] = {
            "code": str(region["region_code"]), "name": names[i], "en": _text(region.get("name_en")),
            "full": _text(region.get("full_name_ko")), "cap": int(_is_true(region.get("capital_region"))),
            "v": [period[i] for period in rows],
        }
        if emerging is not None:
            props.update(emerging[i])
        if geometry.label_points[i] is not None:
            props["pt"] = list(geometry.label_points[i])
            if label_zooms[i] is not None:
                props["lz"] = int(label_zooms[i])
        properties.append(props)
    return properties


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _label(name: str) -> str:
    """The field's label from the registry, capitalised for the start of a tooltip line."""
    label = REGISTRY[name].label
    return label[:1].upper() + label[1:]


def tooltip_template(emerging: str = "", periods: int = 0) -> str:
    """The tooltip of a region as a template ``KIBS.tip`` fills: ``{column}`` or ``{column@phrase table}``.

    ``emerging`` (the periods, ``2012–2022``; empty: none) adds a line with the unit's emerging hot spot
    pattern over the ``periods`` periods."""
    lines = [
        "<b>{name}</b> {en}",
        "<small>{full} · {code}{cap@cap} · {period}</small>",
        f"{_label('employees')}: {{employees}} · {REGISTRY['establishments'].label}: {{establishments}}",
        f"{_label('lq')}: {{lq}} (1 = the national share) · {REGISTRY['share'].label}: {{share}}"
        f" · {REGISTRY['cagr'].label}: {{cagr}}",
        "Cluster test (local Moran): {lisa_k@lisa} (p {lisa_p}, q {lisa_q})",
        "Hot spot test (Gi*): {gi_k@gi} (z {gi_z}, p {gi_p}, q {gi_q}){prom@prom}",
    ]
    if emerging:
        lines.insert(-1, f"Emerging hot spots {html.escape(emerging)}: {{ehk@ehsa}} (Gi* trend z {{ehz}}, p {{ehp}}; "
                         f"hot in {{ehh}}, cold in {{ehc}} of {periods} periods)")
    return "<br>".join(lines)


def tooltip_phrases() -> dict[str, dict[str, str]]:
    """The phrase tables of :func:`tooltip_template`: plain words for class keys (HTML, escaped)."""
    esc = html.escape
    lisa = {e.key: esc(e.label + (", significant" if e.key in SIGNIFICANT_LISA else "")) for e in LISA_ENTRIES}
    gi = {e.key: esc(e.label if e.key != "0" else "not a hot or cold spot") for e in GI_ENTRIES}
    return {
        "lisa": lisa, "gi": gi,
        "sig": {e.key: esc(e.label) for e in SIGNIFICANCE_ENTRIES},
        "lq": {e.key: esc(e.label) for e in LQ_ENTRIES},
        "cap": {"1": " · capital region", "0": ""},
        "prom": {"1": "<br><b>★ promising cluster location</b>", "0": ""},
        "ehsa": {e.key: esc(e.label) for e in EHSA_ENTRIES},
    }


def feature_collection_json(geometry: WebGeometry, properties: list[dict] | None = None) -> str:
    """A FeatureCollection (encoded geometry, see :mod:`.web_geometry`) as compact JSON, safe in a ``<script>``."""
    properties = properties if properties is not None else [{} for _ in geometry.encoded]
    features = ",".join(
        '{"type":"Feature","properties":%s,"geometry":%s}' % (compact_json(props), geometry.geometry_json(i))
        for i, props in enumerate(properties)
    )
    return script_safe('{"type":"FeatureCollection","features":[%s]}' % features)


def compact_json(value: Any) -> str:
    """``value`` as JSON without spaces; NaN is refused (missing values must be ``null``)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def script_safe(json_text: str) -> str:
    """Escape ``</`` so that JSON text cannot close the ``<script>`` element it is embedded in, and the
    template openers ``{{``, ``{%``, ``{#`` (branca renders every script once more as a Jinja template).

    In compact JSON these sequences only occur inside strings, where ``\\u`` escapes keep their meaning.
    """
    text = json_text.replace("</", "<\\/")
    for opener, escaped in (("{{", "{\\u007b"), ("{%", "{\\u0025"), ("{#", "{\\u0023")):
        text = text.replace(opener, escaped)
    return text
