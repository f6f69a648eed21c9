"""Korean region names and codes: provinces, their abbreviations, normalisation, code systems.

Helpers shared by :mod:`kibs_spatial.region_matching` and :mod:`kibs_spatial.kosis`.
Province codes are those of the bundled 2013 structure (MOIS legal codes): Gangwon is 42
(51 since 2023) and Jeonbuk 45 (52 since 2024); the newer codes and names are accepted as aliases.

Examples
--------
>>> split_province("서울 강남구")
('11', '강남구')
>>> split_province("강원특별자치도 춘천시")
('42', '춘천시')
>>> compact(" 수원시  장안구 ")
'수원시장안구'
"""

from __future__ import annotations

import re

PROVINCES: dict[str, tuple[str, ...]] = {
    "11": ("서울특별시", "서울시", "서울"),
    "26": ("부산광역시", "부산시", "부산"),
    "27": ("대구광역시", "대구시", "대구"),
    "28": ("인천광역시", "인천시", "인천"),
    "29": ("광주광역시", "광주시", "광주"),
    "30": ("대전광역시", "대전시", "대전"),
    "31": ("울산광역시", "울산시", "울산"),
    "36": ("세종특별자치시", "세종시", "세종"),
    "41": ("경기도", "경기"),
    "42": ("강원도", "강원특별자치도", "강원"),
    "43": ("충청북도", "충북"),
    "44": ("충청남도", "충남"),
    "45": ("전라북도", "전북특별자치도", "전북"),
    "46": ("전라남도", "전남"),
    "47": ("경상북도", "경북"),
    "48": ("경상남도", "경남"),
    "50": ("제주특별자치도", "제주도", "제주"),
}
"""Province code (2013 structure, MOIS) -> official name first, then accepted aliases."""

NEWER_PROVINCE_CODES = {"51": "42", "52": "45"}
"""Province codes introduced after 2013 -> the code of the bundled structure."""

NATIONAL_NAMES = frozenset({"전국", "계", "합계", "총계", "전체", "national", "total", "korea", "00", "0", "000"})
"""Labels of national (all-region) rows."""

_ALIASES: list[tuple[str, str]] = sorted(
    ((alias, code) for code, aliases in PROVINCES.items() for alias in aliases), key=lambda item: -len(item[0])
)
_ALIAS_TO_CODE: dict[str, str] = {alias: code for alias, code in _ALIASES}

KOSTAT_ONLY_PREFIXES = frozenset({"21", "22", "23", "24", "25", "32", "33", "34", "35", "37", "38", "39"})
"""Two-digit prefixes used by KOSTAT statistical codes and never by MOIS si-gun-gu codes."""

MOIS_ONLY_PREFIXES = frozenset({"27", "28", "30", "41", "42", "43", "44", "45", "46", "47", "48", "50", "51", "52"})
"""Two-digit prefixes used by MOIS legal codes and never by KOSTAT statistical codes."""


def compact(text: object) -> str:
    """``text`` without any white space, a leading apostrophe or surrounding quotes."""
    return "".join(str(text).split()).lstrip("'").strip('"')


def normalise(text: object) -> str:
    """``text`` with runs of white space reduced to one space and a leading apostrophe dropped."""
    return " ".join(str(text).split()).lstrip("'").strip()


def province_code(text: object) -> str | None:
    """Province code (2013 structure) of a province name, alias or code, else ``None``.

    >>> province_code("전북특별자치도"), province_code("51"), province_code("경기")
    ('45', '42', '41')
    """
    key = compact(text)
    if key in _ALIAS_TO_CODE:
        return _ALIAS_TO_CODE[key]
    if key in PROVINCES:
        return key
    return NEWER_PROVINCE_CODES.get(key)


def province_name(code: str) -> str:
    """Official name of a province code of the 2013 structure."""
    return PROVINCES[code][0]


def split_province(text: object) -> tuple[str | None, str]:
    """Split a leading province name or alias off a region name.

    Returns ``(province code or None, rest without spaces)``. A bare province gives
    ``(code, "")``. Abbreviations are taken only when followed by a space or when the rest
    ends in 시/군/구 (so ``광주시`` stays a name, ``서울강남구`` is split).
    """
    spaced = normalise(text)
    whole = compact(spaced)
    if whole in _ALIAS_TO_CODE:
        return _ALIAS_TO_CODE[whole], ""
    for alias, code in _ALIASES:
        if spaced.startswith(alias + " "):
            return code, compact(spaced[len(alias):])
        if whole.startswith(alias) and len(whole) - len(alias) >= 2 and whole[-1] in "시군구":
            rest = whole[len(alias):]
            if len(alias) > 2 or not rest.startswith(("시", "도")):
                return code, rest
    return None, whole


def stem(name: str) -> str:
    """Name without its final 시/군/구 when at least two characters remain (``강남구`` → ``강남``)."""
    return name[:-1] if len(name) >= 3 and name[-1] in "시군구" else name


def clean_code(value: object) -> str:
    """A region code as text: apostrophe, spaces and a trailing ``.0`` removed.

    Ten-digit MOIS codes ending in ``00000`` are cut to their five-digit si-gun-gu part.
    """
    code = compact(value)
    code = re.sub(r"\.0$", "", code)
    if len(code) == 10 and code.isdigit() and code.endswith("00000"):
        code = code[:5]
    return code
