"""Cell-level rules for KOSIS downloads: items, units, periods, industries and values.

Used by :mod:`kibs_spatial.io.kosis`; every function works on one label or one cell.

Examples
--------
>>> industry_code("전기·운수·통신·금융(D,H,J,K)"), industry_code("사업·개인·공공서비스 및 기타(E,L~U)")
(('code', 'D+H+J+K'), ('code', 'E+L-U'))
>>> industry_code("건설업 (F) "), industry_code("정보통신업(58~63)"), industry_code("계")
(('code', 'F'), ('code', 'J'), ('total', ''))
>>> period_label("2024. 1/2"), period_label("'2023 p)"), period_label("합계")
(('2024. 1/2', False), ('2023', True), None)
>>> parse_rse("*"), parse_rse("12.5")
((None, True, 'flagged'), (12.5, False, 'number'))
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from ..analysis.periods import parse_period
from ..reference import ksic

SUPPRESSED = frozenset({"-", "X", "x", "…", "...", "*", "n.a.", "N.A.", "NA", "na"})
"""Markers of suppressed or unavailable cells, kept as missing (never zero)."""

TOTAL_INDUSTRY = frozenset({"계", "합계", "총계", "전체", "전산업", "전산업계", "산업전체", "전체산업", "0", "00", "000",
                            "T", "TOTAL", "Total", "total"})
"""Labels or codes of the all-industry row (a whole cell ``T`` is the total; ``(T)`` after a label is section T)."""

_PRELIMINARY = re.compile(r"\s*\(?\s*[pP]\s*\)$")
_THOUSANDS = re.compile(r"천\s*(명|개|인)")
_DOTS = str.maketrans({"ㆍ": "·", "・": "·", "‧": "·", "∙": "·", "∼": "~", "～": "~", "〜": "~"})
_LETTERS = re.compile(r"[A-U](?:[~-][A-U])?(?:[,+][A-U](?:[~-][A-U])?)*")
_CODE = re.compile(r"[A-U]?\d{2,5}")
_RANGE = re.compile(r"(\d{2})[~-](\d{2})")


def measure_of(item: str) -> str | None:
    """``employees``, ``establishments`` or ``None`` (shares, changes, …) for an item label.

    An RSE item names its measure too (``취업자 RSE (%)`` -> ``employees``); see :func:`is_rse`.
    """
    text = item.replace(" ", "")
    if any(word in text for word in ("구성비", "증감", "비율", "변화율", "비중", "증가율")):
        return None
    if "사업체" in text:
        return "establishments"
    if any(word in text for word in ("종사자", "취업자", "근로자", "고용")):
        return "employees"
    return None


def is_rse(item: str) -> bool:
    """Whether an item label is a relative standard error (``RSE``, ``상대표준오차``)."""
    text = item.replace(" ", "")
    return "RSE" in text.upper() or "상대표준오차" in text


def thousands_unit(label: str) -> str | None:
    """The unit as written when a label states thousands (``천명``, ``천 개``), else ``None``."""
    match = _THOUSANDS.search(label)
    return "".join(match.group(0).split()) if match else None


def period_label(text: object) -> tuple[str, bool] | None:
    """``(label, preliminary)`` of a period label, or ``None`` when it is not one.

    Accepted: ``2024``, ``2024년``, ``2024.1/2``, ``2024 1/2``, ``2024. 1/2``, ``2024 2/4``
    (quarter), ``2024.03`` (month), ``2024 상반기``/``하반기``. The label is kept as written
    minus surrounding spaces and apostrophes; KOSIS's preliminary marker (``2023 p)``) is
    removed from it and reported as ``preliminary``.
    """
    label = str(text).strip().strip("'").strip()
    preliminary = bool(_PRELIMINARY.search(label)) and label[:4].isdigit()
    if preliminary:
        label = _PRELIMINARY.sub("", label).strip()
    return (label, preliminary) if parse_period(label) is not None else None


def industry_code(label: object) -> tuple[str, str]:
    """Classify an industry label or code: ``("total", "")``, ``("code", code)`` or ``("unknown", label)``.

    The code is read from a trailing parenthesis -- a KSIC code of any level (``전문 디자인업(732)``),
    a section letter (``(A)``), a KOSIS letter group (``(D,H,J,K)`` -> ``D+H+J+K``, ``(E,L~U)`` ->
    ``E+L-U``) or the division range of a section (``정보통신업(58~63)`` -> ``J``) -- or from a code
    value (``732``, ``'732``, ``M732``, ``J``), or from the exact Korean KSIC name of any revision.
    """
    text = str(label).strip().lstrip("'").strip()
    tight = "".join(text.translate(_DOTS).split())
    if tight in TOTAL_INDUSTRY or tight.startswith("전산업"):
        return "total", ""
    paren = re.search(r"\(([^()]*)\)$", tight)
    code = _code_of(paren.group(1)) if paren else None
    code = code or _code_of(tight) or _code_by_name(tight) or (_code_by_name(tight[: paren.start()]) if paren else None)
    if code and code[0].isalpha() and len(_sections(code)) == len(ksic.SECTION_LETTERS):
        return "total", ""  # every section: the whole economy (계(A~U))
    return ("code", code) if code else ("unknown", text)


def _sections(code: str) -> tuple[str, ...]:
    return ksic.sections(code.replace("+", ","))


def _code_of(text: str) -> str | None:
    """A code from the text of a parenthesis or a code cell, else ``None``."""
    text = text.upper()
    if _LETTERS.fullmatch(text):
        try:
            ksic.sections(text)
        except ValueError:
            return None
        return "+".join(part.replace("~", "-") for part in re.split(r"[,+]", text))
    if _CODE.fullmatch(text):
        found = {k.code for k in (ksic.lookup(text, r) for r in ksic.REVISIONS) if k is not None}
        return found.pop() if len(found) == 1 else None
    match = _RANGE.fullmatch(text)
    return ksic.section_of_divisions(f"{match[1]}~{match[2]}") if match else None


def _code_by_name(name: str) -> str | None:
    """The code of an exact Korean KSIC name (any revision; the highest level when several)."""
    found = _codes_by_name().get(name)
    if not found:
        return None
    top = min(level for level, _ in found)
    codes = {code for level, code in found if level == top}
    return codes.pop() if len(codes) == 1 else None


@lru_cache(maxsize=1)
def _codes_by_name() -> dict[str, set[tuple[int, str]]]:
    """Compact Korean name -> {(level rank, code)} over revisions 9, 10 and 11."""
    ranks = {"section": 1, "division": 2, "group": 3, "class": 4, "subclass": 5}
    found: dict[str, set[tuple[int, str]]] = {}
    for revision in ksic.REVISIONS:
        for code in ksic.all_codes(revision):
            found.setdefault("".join(code.name_ko.translate(_DOTS).split()), set()).add((ranks[code.level], code.code))
    return found


def parse_value(cell: object) -> tuple[float | None, str]:
    """``(value, kind)`` of a data cell; kind is ``number``, ``suppressed``, ``empty`` or ``bad``.

    Thousands separators and spaces are removed; suppression markers give ``(None, "suppressed")``;
    ``inf``, ``nan`` and numbers too large for a float (``1e309``) are ``bad``.
    """
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None, "empty"
    text = str(cell).strip()
    if text == "":
        return None, "empty"
    if text in SUPPRESSED:
        return None, "suppressed"
    try:
        value = float(text.replace(",", "").replace(" ", ""))
    except ValueError:
        return None, "bad"
    return (value, "number") if math.isfinite(value) else (None, "bad")


def parse_rse(cell: object) -> tuple[float | None, bool, str]:
    """``(rse, high, kind)`` of an RSE cell: ``*`` flags a high RSE (``(None, True, "flagged")``);
    a number may carry the flag too (``31.2*``); other markers are missing as in :func:`parse_value`."""
    text = "" if cell is None else str(cell).strip()
    if text == "*":
        return None, True, "flagged"
    high = len(text) > 1 and text.endswith("*")
    value, kind = parse_value(text[:-1] if high else text)
    return value, high, kind
