"""Per-sector region features: class keys for every layer, raw values, and tooltip HTML.

The geometry is serialised once (see :mod:`.web_geometry`); each sector page combines it
with that sector's properties into one GeoJSON FeatureCollection that all region layers of
the page share.
"""

from __future__ import annotations

import html
import json
import math
import warnings
from typing import Any

import geopandas as gpd
import pandas as pd

from ...errors import InputError
from ...fields import REGISTRY
from ...result import Sector
from ...symbology import gi_class_keys, lisa_class_keys, lq_class_keys
from .web_geometry import WebGeometry

RAW_VALUE_COLUMNS = (
    "employees", "establishments", "lq", "share", "cagr", "lisa_i", "lisa_p", "lisa_q", "gi_z", "gi_p", "gi_q",
)


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
    table["promising"] = promising_flags(table["promising"])
    return table


def promising_flags(values: pd.Series) -> pd.Series:
    """``promising`` as plain booleans; missing values count as not promising."""
    return pd.Series([_is_true(v) for v in values.astype(object)], index=values.index, dtype=bool)


def _is_true(value: Any) -> bool:
    number = _number(value)
    return number is not None and number != 0


def _rounded_number(value: Any, digits: int = 6) -> float | None:
    """``value`` to ``digits`` significant digits (None if missing), to keep the page small."""
    number = _number(value)
    return None if number is None else float(f"{number:.{digits}g}")


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


def tooltip_html(region: pd.Series, row: pd.Series, lisa_key: str) -> str:
    """Tooltip of one region: names, size, LQ, LISA class with p and q, Gi* z with p and q."""
    esc = html.escape
    lines = [
        f"<b>{esc(str(region['name_ko']))}</b> {esc(str(region['name_en']))}",
        f"<small>{esc(str(region['full_name_ko']))} · {esc(str(region['region_code']))}"
        f"{' · capital region' if _is_true(region.get('capital_region')) else ''}</small>",
        f"{_label('employees')}: {_fmt(row['employees'], ',.0f')} · "
        f"{REGISTRY['establishments'].label}: {_fmt(row['establishments'], ',.0f')}",
        f"{_label('lq')}: {_fmt(row['lq'], '.2f')} · {REGISTRY['share'].label}: {_fmt(_percent(row['share']), '.2f')} %"
        f" · {REGISTRY['cagr'].label}: {_fmt(_percent(row['cagr']), '.1f')} %",
        f"{_label('lisa_cl')}: {esc(lisa_key)} (p {_fmt_p(row['lisa_p'])}, q {_fmt_p(row['lisa_q'])})",
        f"{_label('gi_z')} {_fmt(row['gi_z'], '.2f')} (p {_fmt_p(row['gi_p'])}, q {_fmt_p(row['gi_q'])})",
    ]
    if row["promising"]:
        lines.append("<b>★ promising cluster location</b>")
    return "<br>".join(lines)


def _label(name: str) -> str:
    """The field's label from the registry, capitalised for the start of a tooltip line."""
    label = REGISTRY[name].label
    return label[:1].upper() + label[1:]


def _percent(value: Any) -> float | None:
    number = _number(value)
    return None if number is None else 100.0 * number


def feature_properties(regions: gpd.GeoDataFrame, table: pd.DataFrame, geometry: WebGeometry) -> list[dict]:
    """Properties of every region feature: class keys per layer, raw values (None if missing), tooltip."""
    lq_keys = lq_class_keys(table["lq"])
    lisa_keys = lisa_class_keys(table["lisa_cl"])
    gi_keys = gi_class_keys(table["gi_bin"])
    properties = []
    for i, (region, row) in enumerate(zip(_rows(regions), _rows(table))):
        props: dict[str, Any] = {"code": str(region["region_code"]), "lq_k": lq_keys[i],
                                 "lisa_k": lisa_keys[i], "gi_k": gi_keys[i], "prom": bool(row["promising"])}
        props.update({column: _rounded_number(row[column]) for column in RAW_VALUE_COLUMNS})
        if props["prom"]:
            props["pt"] = geometry.representative_points[i]
        props["tip"] = tooltip_html(region, row, lisa_keys[i])
        properties.append(props)
    return properties


def _rows(frame: pd.DataFrame) -> list[pd.Series]:
    return [row for _, row in frame.iterrows()]


def feature_collection_json(geometry: WebGeometry, properties: list[dict] | None = None) -> str:
    """A GeoJSON FeatureCollection as compact JSON text, safe to embed in a ``<script>`` element."""
    properties = properties if properties is not None else [{} for _ in geometry.geojson]
    features = ",".join(
        '{"type":"Feature","properties":%s,"geometry":%s}' % (_compact_json(props), geom)
        for props, geom in zip(properties, geometry.geojson)
    )
    return script_safe('{"type":"FeatureCollection","features":[%s]}' % features)


def _compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def script_safe(json_text: str) -> str:
    """Escape ``</`` so that JSON text cannot close the ``<script>`` element it is embedded in."""
    return json_text.replace("</", "<\\/")
