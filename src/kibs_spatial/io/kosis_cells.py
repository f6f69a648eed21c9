"""Cell-level rules for KOSIS downloads: items, units, periods, industries and values.

Used by :mod:`kibs_spatial.kosis`; every function works on one label or one cell.
"""

from __future__ import annotations

import re

from ..analysis.sectors import SECTORS_BY_CODE

SUPPRESSED = frozenset({"-", "X", "x", "…", "...", "*", "n.a.", "N.A.", "NA", "na"})
"""Markers of suppressed or unavailable cells, kept as missing (never zero)."""

TOTAL_INDUSTRY = frozenset({"계", "합계", "총계", "전체", "전산업", "전산업계", "산업전체", "0", "00", "000", "T", "TOTAL"})
"""Labels or codes of the all-industry row."""

_KIBS_BY_NAME = {"".join(s.name_ko.split()): code for code, s in SECTORS_BY_CODE.items()}
_PERIOD = re.compile(r"^(\d{4})\s*년?(?:\s*[./-]\s*(\S.*))?$")


def measure_of(item: str) -> str | None:
    """``employees``, ``establishments`` or ``None`` (RSE, shares, …) for an item label."""
    text = item.replace(" ", "")
    if any(word in text for word in ("RSE", "표준오차", "구성비", "증감", "비율", "%", "변화율", "비중")):
        return None
    if "사업체" in text:
        return "establishments"
    if any(word in text for word in ("종사자", "취업자", "근로자", "고용")):
        return "employees"
    return None


def unit_multiplier(label: str) -> int:
    """1000 when a label states thousands (``천명``, ``천개``, ``천 명``), else 1."""
    return 1000 if re.search(r"천\s*(명|개|인)", label) else 1


def period_year(label: str) -> tuple[int, str] | None:
    """``(year, label)`` for period labels such as ``2012``, ``2024.1/2``, ``2023년``; ``None`` otherwise."""
    text = str(label).strip().lstrip("'")
    match = _PERIOD.match(text)
    if not match or not 1900 < int(match.group(1)) < 2200:
        return None
    return int(match.group(1)), text


def industry_code(label: str) -> tuple[str, str]:
    """Classify an industry label or code: ``("kibs", code)``, ``("total", "")`` or ``("other", label)``.

    The code is read from a trailing parenthesis (``전문 디자인업(732)``), from a code value
    (``732``, ``'732``, ``M732``) or from the exact Korean sector name.
    """
    text = str(label).strip().lstrip("'")
    compact = "".join(text.split())
    if compact in TOTAL_INDUSTRY or compact.startswith("전산업"):
        return "total", ""
    paren = re.search(r"\(([^()]*)\)\s*$", text)
    code = paren.group(1).replace(" ", "") if paren else compact
    name = compact[: compact.rfind("(")] if paren else compact
    code = re.sub(r"^[A-U](?=\d)", "", code)
    if code in SECTORS_BY_CODE:
        return "kibs", code
    if code in TOTAL_INDUSTRY:
        return "total", ""
    if name in _KIBS_BY_NAME:
        return "kibs", _KIBS_BY_NAME[name]
    return "other", text


def parse_value(cell: object) -> tuple[float | None, str]:
    """``(value, kind)`` of a data cell; kind is ``number``, ``suppressed``, ``empty`` or ``bad``.

    Thousands separators and spaces are removed; suppression markers give ``(None, "suppressed")``.
    """
    if cell is None or (isinstance(cell, float) and cell != cell):
        return None, "empty"
    text = str(cell).strip()
    if text == "":
        return None, "empty"
    if text in SUPPRESSED:
        return None, "suppressed"
    try:
        return float(text.replace(",", "").replace(" ", "")), "number"
    except ValueError:
        return None, "bad"
