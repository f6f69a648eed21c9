"""Korean region names and codes: provinces, their abbreviations, normalisation, code systems.

Helpers shared by :mod:`kibs_spatial.region_matching` and :mod:`kibs_spatial.kosis`.
Province codes are those of the bundled 2013 structure (MOIS legal codes): Gangwon is 42
(51 since 2023) and Jeonbuk 45 (52 since 2024); the newer codes and names are accepted as aliases.

One name is both a province alias and a si-gun-gu: ``광주시`` is the old short form of 광주광역시
*and* Gyeonggi's 광주시 (41610). ``split_province`` and ``province_code`` read a bare ``광주시`` as
the province by default (the region matcher then asks for the province, listing both), and as
Gyeonggi's si-gun-gu with ``units_first=True`` (KOSIS si-gun-gu tables, where it always is).
``광주``, ``광주광역시``, ``광주 동구`` and ``광주광역시 동구`` are 광주광역시 either way.

:func:`sigungu_index` lists every si-gun-gu name of the bundled layers (2013 and 2022, units and
whole cities) and of the region changes, with its province: the names index used to place the
bare unit names of a KOSIS download (``고성군`` is in 42 and 48, ``수원시`` only in 41).

Examples
--------
>>> split_province("서울 강남구")
('11', '강남구')
>>> split_province("강원특별자치도 춘천시")
('42', '춘천시')
>>> compact(" 수원시  장안구 ")
'수원시장안구'
>>> split_province("광주시", units_first=True), split_province("광주 동구")
((None, '광주시'), ('29', '동구'))
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

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

UNIT_NAMES_AMONG_ALIASES = {"광주시": "41"}
"""Province aliases that are also the whole name of a si-gun-gu elsewhere -> that si-gun-gu's province."""

MOIS_ONLY_PREFIXES = frozenset({"27", "28", "30", "41", "42", "43", "44", "45", "46", "47", "48", "50", "51", "52"})
"""Two-digit prefixes used by MOIS legal codes and never by KOSTAT statistical codes."""


def compact(text: object) -> str:
    """``text`` without any white space, a leading apostrophe or surrounding quotes."""
    return "".join(str(text).split()).lstrip("'").strip('"')


def normalise(text: object) -> str:
    """``text`` with runs of white space reduced to one space and a leading apostrophe dropped."""
    return " ".join(str(text).split()).lstrip("'").strip()


def province_code(text: object, *, units_first: bool = False) -> str | None:
    """Province code (2013 structure) of a province name, alias or code, else ``None``.

    With ``units_first``, a name that is also a si-gun-gu (``광주시``) is not a province.

    >>> province_code("전북특별자치도"), province_code("51"), province_code("경기")
    ('45', '42', '41')
    >>> province_code("광주시", units_first=True), province_code("광주")
    (None, '29')
    """
    key = compact(text)
    if units_first and key in UNIT_NAMES_AMONG_ALIASES:
        return None
    if key in _ALIAS_TO_CODE:
        return _ALIAS_TO_CODE[key]
    if key in PROVINCES:
        return key
    return NEWER_PROVINCE_CODES.get(key)


def province_name(code: str) -> str:
    """Official name of a province code of the 2013 structure."""
    return PROVINCES[code][0]


def split_province(text: object, *, units_first: bool = False) -> tuple[str | None, str]:
    """Split a leading province name or alias off a region name.

    Returns ``(province code or None, rest without spaces)``. A bare province gives
    ``(code, "")``. Abbreviations are taken only when followed by a space or when the rest
    ends in 시/군/구 (so ``광주시장`` is not split, ``서울강남구`` is). A bare ``광주시`` is the
    province 광주광역시 unless ``units_first`` is set: then it is Gyeonggi's 광주시,
    ``(None, "광주시")``, as in KOSIS si-gun-gu tables.
    """
    spaced = normalise(text)
    whole = compact(spaced)
    if units_first and whole in UNIT_NAMES_AMONG_ALIASES:
        return None, whole
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


@dataclass(frozen=True)
class NamedUnit:
    """A si-gun-gu of the names index: province code (2013 structure), region code, official full name."""

    sido: str
    code: str
    full_name: str


INDEX_LAYERS = (("kr_sigungu_2013.gpkg", "sigungu"), ("kr_sigungu_2013.gpkg", "sigungu_city"),
                ("kr_sigungu_2022.gpkg", "sigungu"), ("kr_sigungu_2022.gpkg", "sigungu_city"))
"""The bundled layers whose unit names make up :func:`sigungu_index`."""


@lru_cache(maxsize=1)
def sigungu_index() -> dict[str, tuple[NamedUnit, ...]]:
    """Compact si-gun-gu name -> the units of that name, in every province that has one.

    Read once from the bundled layers (:data:`INDEX_LAYERS`: ``name_ko``, ``parent_city`` +
    ``name_ko`` for districts, ``sido_code``) and ``reference/region_changes.csv`` (older and
    newer names, e.g. ``연기군``, ``미추홀구``, 대구 ``군위군``; provinces through their aliases).

    >>> sorted({u.sido for u in sigungu_index()["고성군"]}), [u.code for u in sigungu_index()["광주시"]]
    (['42', '48'], ['41610'])
    """
    found: dict[str, dict[tuple[str, str], str]] = {}

    def add(key: str, sido: str | None, code: str, full: str) -> None:
        if key and sido:
            found.setdefault(key, {}).setdefault((sido, code), full)

    for row in _layer_rows():
        sido, name, city = row["sido_code"], compact(row["name_ko"]), compact(row.get("parent_city") or "")
        full = f"{province_name(sido)} {f'{city} ' if city else ''}{name}" if sido != "36" else province_name(sido)
        add(name, sido, row["region_code"], full)
        if city:
            add(city + name, sido, row["region_code"], full)
    for code_column, name_column in (("old_code", "old_name"), ("new_code", "new_name")):
        for row in _changes_rows():
            parts = normalise(row[name_column]).split(" ")
            sido = province_code(parts[0])
            if sido is None or len(parts) < 2 or sido == "36":
                continue
            full = " ".join([province_name(sido), *parts[1:]])
            add(compact("".join(parts[1:])), sido, row[code_column], full)
            add(compact(parts[-1]), sido, row[code_column], full)
    coded = {(key, sido) for key, units in found.items() for sido, code in units if code}
    return {key: tuple(NamedUnit(sido, code, full) for (sido, code), full in sorted(units.items())
                       if code or (key, sido) not in coded)
            for key, units in found.items()}


def _layer_rows() -> list[dict[str, str]]:
    import pyogrio  # read lazily: only KOSIS reading needs the index

    from ..resources import data_path

    rows: list[dict[str, str]] = []
    for filename, layer in INDEX_LAYERS:
        frame = pyogrio.read_dataframe(data_path("boundaries", filename), layer=layer, read_geometry=False,
                                       columns=["region_code", "sido_code", "name_ko", "parent_city"])
        rows += frame.fillna("").astype(str).to_dict("records")
    return rows


def _changes_rows() -> list[dict[str, str]]:
    path = resources.files("kibs_spatial.reference").joinpath("region_changes.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
