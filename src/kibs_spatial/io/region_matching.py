"""Match region names or codes of any vintage to the units of a region layer, row by row.

One matcher for every table: each given value ends ``matched`` (with the unit's code and the
``method``: ``code``, ``name`` or ``crosswalk``) or ``rejected`` with a ``reason`` — ambiguous names
list their ``candidates``, units that must be added up first list them in ``aggregate_codes``.

Names: spaces are ignored, provinces may be abbreviated (``서울 강남구``, ``경기 수원시``) or given in
their newer form (``강원특별자치도``), districts may come with or without their city
(``수원시 장안구``, ``수원시장안구``, ``장안구`` when unique) and a missing 시/군/구 suffix is tolerated.
Names found in several provinces (``중구``, ``고성군``, ``광주시``) are resolved only by the province in the
row or ``context_sido``. Codes: MOIS legal codes are matched (newer codes through the crosswalk,
``51110`` → ``42110``); KOSTAT statistical codes (7-digit basis, 기장군 21310, or 8-digit basis,
21510) are detected, or declared with ``code_system="kostat"``, and translated to MOIS codes with
the bundled table ``reference/kostat_sigungu.csv`` (method ``kostat``). The two systems collide
(11230 is 강남구 in KOSTAT codes and 동대문구 in MOIS codes), so a column mixing them, or codes that
could be either, stop with an error instead of a five-digit join.

Examples
--------
>>> from kibs_spatial.boundaries import load_bundled_regions      # doctest: +SKIP
>>> result = match_regions(pd.Series(["서울 강남구", "고성군"]), load_bundled_regions())  # doctest: +SKIP
>>> result.rows[["region_code", "status"]].values.tolist()      # doctest: +SKIP
[['11680', 'matched'], [None, 'rejected']]
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import InputError
from .region_crosswalk import Crosswalk, kostat_lookup
from .region_names import (
    KOSTAT_ONLY_PREFIXES,
    MOIS_ONLY_PREFIXES,
    NATIONAL_NAMES,
    clean_code,
    compact,
    normalise,
    province_code,
    province_name,
    split_province,
    stem,
)

RESULT_COLUMNS = ["given", "region_code", "status", "method", "reason", "candidates", "aggregate_codes", "part_of",
                  "part_key", "part_parts"]
CODE_SYSTEMS = ("mois", "kostat")
CODE_SYSTEM_CHOICES = ("auto", *CODE_SYSTEMS)


@dataclass(frozen=True)
class MatchResult:
    """Per given value: ``region_code``, ``status``, ``method``, ``reason``, ``candidates``, ``aggregate_codes``.

    ``rows`` keeps the index of the given series; ``code_system`` is the system detected or
    given for code values (``None`` when only names were given).
    """

    rows: pd.DataFrame
    code_system: str | None

    @property
    def matched(self) -> int:
        return int((self.rows["status"] == "matched").sum())

    @property
    def rejected(self) -> int:
        return int((self.rows["status"] == "rejected").sum())

    def summary(self) -> str:
        """One line per kind of outcome, e.g. ``matched by name: 249``."""
        counts = self.rows.groupby(["status", "method"], dropna=False).size()
        return "\n".join(f"{status} by {method}: {n}" for (status, method), n in counts.items())


def match_regions(
    given: pd.Series, regions: pd.DataFrame, *, code_system: str | None = None, context_sido: pd.Series | None = None
) -> MatchResult:
    """Match each value of ``given`` (names or codes) to a unit of ``regions``.

    Parameters
    ----------
    given : pandas.Series
        Region names (``서울특별시 강남구``, ``서울 강남구``, ``강남구``) or codes (``11680``, ``'11680``).
    regions : pandas.DataFrame
        The layer: ``region_code`` and ``name_ko``; ``sido_code``, ``parent_city``, ``parent_code``,
        ``full_name_ko`` and ``name_en`` are used when present (see ``load_bundled_regions``).
    code_system : {"auto", "mois", "kostat"}, optional
        System of code values; detected from the codes when omitted or ``"auto"``.
    context_sido : pandas.Series, optional
        Province of each row (name, alias or code), aligned with ``given`` by position, used to
        resolve names found in several provinces.

    Returns
    -------
    MatchResult

    Raises
    ------
    InputError
        When the codes mix both systems or cannot be told apart, or when they are MOIS codes and
        the layer is coded in KOSTAT codes.
    """
    if code_system == "auto":
        code_system = None
    if code_system is not None and code_system not in CODE_SYSTEMS:
        raise InputError(f"unknown code system {code_system!r}; use one of {', '.join(CODE_SYSTEM_CHOICES)}")
    layer = _Layer(regions)
    values = list(given)
    contexts = list(context_sido) if context_sido is not None else [None] * len(values)
    if len(contexts) != len(values):
        raise InputError(f"context_sido has {len(contexts)} values for {len(values)} regions")
    codes = [clean_code(v) for v in values if _is_code(v)]
    system = detect_code_system(codes, layer.codes, code_system) if codes else None
    translate = system == "kostat" and _layer_system(layer.codes) != "kostat"
    if system == "mois" and _layer_system(layer.codes) == "kostat":
        raise InputError("the region codes are MOIS legal codes but the boundary layer is coded in KOSTAT statistical "
                         "codes; give region names, or boundaries coded in MOIS legal codes")
    rows = [_match_one(v, c, layer, translate) for v, c in zip(values, contexts)]
    frame = pd.DataFrame(rows, columns=RESULT_COLUMNS[1:], index=given.index)
    frame.insert(0, "given", given)
    return MatchResult(frame, system)


def detect_code_system(codes: list[str], layer_codes: set[str], declared: str | None = None) -> str:
    """``"mois"`` or ``"kostat"`` for a list of codes; raise :class:`InputError` for mixed or undecidable sets.

    A five-digit code is KOSTAT when its province prefix exists only there (21-25, 32-35, 37-39) or
    its last three digits are below 110 (11010 종로구, 31011 수원시 장안구); it is MOIS when its prefix
    exists only there (27, 28, 30, 41-48, 50-52), when it is a Seoul code above 11250, or when it is
    a unit of the layer with the prefix 26, 29 or 36. Other codes (11110 ... 11250, 31110) exist in
    both systems; a set made only of them needs ``declared``.
    """
    if declared in CODE_SYSTEMS:
        return declared
    five = [c for c in codes if len(c) == 5 and c.isdigit()]
    kostat = [c for c in five if c[:2] in KOSTAT_ONLY_PREFIXES or int(c[2:]) < 110]
    mois = [c for c in five if c[:2] in MOIS_ONLY_PREFIXES or (c[:2] == "11" and int(c) > 11250)
            or (c in layer_codes and c[:2] in ("26", "29", "36"))]
    if kostat and mois:
        raise InputError(
            f"region codes mix KOSTAT statistical codes (e.g. {', '.join(kostat[:3])}) and MOIS legal codes "
            f"(e.g. {', '.join(mois[:3])}) in one column; the systems collide (KOSTAT 11230 = 강남구, MOIS 11230 = "
            "동대문구), so use one system in the file"
        )
    if kostat:
        return "kostat"
    if five and not mois:
        raise InputError(
            f"cannot tell whether region codes {', '.join(five[:5])} are MOIS legal or KOSTAT statistical codes "
            "(they exist in both systems with different meanings); set region_code_system = \"mois\" or \"kostat\" "
            "in the [data] section of the config (code_system= in Python)"
        )
    return "mois"


def _layer_system(codes: set[str]) -> str | None:
    """The code system of the layer's own codes, ``None`` when they are not Korean si-gun-gu codes."""
    five = [c for c in codes if len(c) == 5 and c.isdigit()]
    if not five:
        return None
    try:
        return detect_code_system(five, set(codes))
    except InputError:
        return None


class _Layer:
    """Look-up tables over the units of a region layer."""

    def __init__(self, regions: pd.DataFrame):
        frame = regions.drop(columns="geometry", errors="ignore").copy()
        for column in ("name_ko", "parent_city", "parent_code", "full_name_ko", "name_en"):  # a user layer may lack them
            frame[column] = frame[column].fillna("").astype(str) if column in frame else ""
        frame["region_code"] = frame["region_code"].astype(str)
        frame["sido_code"] = frame["sido_code"].astype(str) if "sido_code" in frame else frame["region_code"].str[:2]
        self.units = frame.set_index("region_code", drop=False)
        self.codes = set(self.units.index)
        self.vintage = "2022" if regions.attrs.get("vintage") == "2022" or "43112" in self.codes else "2013"
        self.keys: dict[str, list[str]] = {}
        self.stems: dict[str, list[str]] = {}
        names: dict[tuple[str, str], str] = {}
        for u in self.units.itertuples():
            for key in {compact(u.name_ko), compact(u.parent_city) + compact(u.name_ko)}:
                self.keys.setdefault(key, []).append(u.region_code)
                names[(u.sido_code, key)] = u.region_code
            self.stems.setdefault(stem(compact(u.name_ko)), []).append(u.region_code)
        self.full = {compact(n): c for n, c in zip(frame["full_name_ko"], frame["region_code"]) if n}
        english = frame["name_en"].str.lower().map(compact)
        counts = english.value_counts()
        self.english = {e: c for e, c in zip(english, frame["region_code"]) if e and counts[e] == 1}
        self.parents: dict[str, list[str]] = {}
        for u in self.units.itertuples():
            if u.parent_city:
                self.parents.setdefault(u.parent_code, []).append(u.region_code)
                self.parents.setdefault(f"{u.sido_code}:{compact(u.parent_city)}", []).append(u.region_code)
        self.crosswalk = Crosswalk(self.codes, names)

    def label(self, code: str) -> str:
        unit = self.units.loc[code]
        return f"{unit.full_name_ko or unit.name_ko} ({code})"

    def in_sido(self, codes: list[str], sido: str | None) -> list[str]:
        return sorted(set(c for c in codes if sido is None or self.units.at[c, "sido_code"] == sido))

    def parent_districts(self, unit: str, sido: str | None) -> list[str]:
        sidos = [sido] if sido else sorted(set(self.units["sido_code"]))
        return sorted(c for s in sidos for c in self.parents.get(f"{s}:{unit}", []))


def _is_code(value: object) -> bool:
    return not pd.isna(value) and clean_code(value).isdigit()


def _row(code=None, status="rejected", method=None, reason=None, candidates=(), aggregate=(), part=None) -> list:
    """One result row; ``part`` is a crosswalk ``Resolution`` of kind ``part_of`` (a part of layer units)."""
    parts = [";".join(part.codes), part.key, ";".join(part.parts)] if part is not None else [None, None, None]
    return [code, status, method, reason, "; ".join(candidates) or None, ";".join(aggregate) or None, *parts]


def _match_one(value: object, context: object, layer: _Layer, translate: bool = False) -> list:
    if pd.isna(value) or not compact(value):
        return _row(reason="empty region")
    if compact(value).lower() in NATIONAL_NAMES:
        return _row(method="national", reason=f"national total row {normalise(value)!r}, not a si-gun-gu")
    if _is_code(value) and translate:
        return _match_kostat(clean_code(value), layer)
    if _is_code(value):
        return _match_code(clean_code(value), layer)
    sido = province_code(context) if context is not None and not pd.isna(context) else None
    return _match_name(normalise(value), sido, layer)


def _match_code(code: str, layer: _Layer) -> list:
    if len(code) == 2:
        return _row(method="code", reason=f"province code {code}: a province total row, not a si-gun-gu")
    if code in layer.codes:
        return _row(code, "matched", "code", layer.crosswalk.reused_code_note(code))
    if code in layer.parents:
        return _city_row(f"code {code}", code, layer.parents[code], layer)
    found = layer.crosswalk.resolve_code(code)
    if found is not None:
        return _from_crosswalk(found, f"code {code}", layer)
    return _row(method="code", reason=f"region code {code} is not a unit of the layer (MOIS legal codes, e.g. 11680 for 강남구)")


def _match_kostat(code: str, layer: _Layer) -> list:
    """A KOSTAT statistical code, through ``reference/kostat_sigungu.csv``, then as the MOIS code."""
    if len(code) == 2:
        return _row(method="kostat", reason=f"province code {code}: a province total row, not a si-gun-gu")
    found = kostat_lookup(layer.vintage).get(code)
    if found is None:
        return _row(method="kostat", reason=f"KOSTAT code {code} is not in the bundled KOSTAT table (si-gun-gu of "
                    f"{layer.vintage}, 7- and 8-digit bases); give the region name instead")
    mois, basis = found
    row = _match_code(mois, layer)
    note = f"KOSTAT {code} ({basis} basis) = MOIS {mois}"
    row[2] = "kostat"
    row[3] = f"{note}; {row[3]}" if row[3] else note
    return row



def _match_name(name: str, context: str | None, layer: _Layer) -> list:
    whole = compact(name)
    if whole in layer.full:
        return _row(layer.full[whole], "matched", "name")
    if whole.lower() in layer.english:
        return _row(layer.english[whole.lower()], "matched", "name")
    sido, unit = split_province(name)
    if unit and whole in layer.keys and " " not in name:
        sido, unit = None, whole  # 부산진구 is a unit, not 부산 + 진구
    if not unit:
        return _province_only(name, sido, context, layer)
    scope = sido or context
    hits = layer.in_sido(layer.keys.get(unit, []), scope)
    if len(hits) == 1:
        return _row(hits[0], "matched", "name")
    if hits:
        return _ambiguous(name, hits, layer)
    districts = layer.parent_districts(unit, scope)
    if districts:
        return _city_row(repr(name), layer.units.at[districts[0], "parent_code"], districts, layer)
    city = _city_of_district(unit, scope, layer)
    found = layer.crosswalk.resolve_name(unit, scope)
    if city and (found is None or found.kind != "part_of"):
        return _row(method="name", reason=f"{name!r} is a district of {layer.label(city)}, which the layer has as one "
                    "unit: add the districts' rows up first", candidates=[layer.label(city)])
    if found is not None:
        return _from_crosswalk(found, repr(name), layer)
    hits = layer.in_sido(layer.stems.get(stem(unit), []), scope) if len(stem(unit)) >= 2 else []
    if len(hits) == 1:
        return _row(hits[0], "matched", "name", f"matched without the 시/군/구 suffix: {layer.label(hits[0])}")
    if hits:
        return _ambiguous(name, hits, layer)
    where = f" in {province_name(scope)}" if scope else ""
    return _row(method="name", reason=f"region name {name!r} matches no unit of the layer{where}")


def _province_only(name: str, sido: str, context: str | None, layer: _Layer) -> list:
    """A bare province or metropolitan city (``광주``, ``광주시``, ``세종``)."""
    whole = compact(name)
    units = layer.in_sido(layer.keys.get(whole, []) or layer.stems.get(stem(whole), []), None)
    units = [c for c in units if layer.units.at[c, "sido_code"] != sido]
    in_province = layer.in_sido(list(layer.codes), sido)
    if len(in_province) == 1 and not units:  # 세종특별자치시 is a province and a unit
        return _row(in_province[0], "matched", "name")
    if context and context != sido:
        hits = layer.in_sido(units, context)
        if len(hits) == 1:
            return _row(hits[0], "matched", "name")
    if units and context is None:
        candidates = [f"{province_name(sido)} (province total)"] + [layer.label(c) for c in units]
        return _row(method="name", reason=f"ambiguous name {name!r}: give the province in the row or as context",
                    candidates=candidates)
    return _row(method="name", reason=f"{name!r} is the province {province_name(sido)}: a province total row, not a si-gun-gu")


def _city_row(what: str, city_code: str, districts: list[str], layer: _Layer) -> list:
    """A city given whole while the layer has its districts: report the districts to add up."""
    reason = f"{what} is a city whose districts are separate units: needs aggregation (or use the city-level layer)"
    later = layer.crosswalk.resolve_code(city_code)
    if later is not None and set(later.codes) != set(districts):
        reason += f"; note that {city_code} changed later: {later.note}"
    return _row(method="name" if what[0] == "'" else "code", reason=reason, aggregate=districts)


def _city_of_district(unit: str, scope: str | None, layer: _Layer) -> str | None:
    """Code of a city unit whose name starts ``unit`` followed by a district (``수원시장안구``)."""
    if not unit.endswith("구"):
        return None
    for code in layer.in_sido(list(layer.codes), scope):
        name = compact(layer.units.at[code, "name_ko"])
        if name.endswith("시") and unit.startswith(name) and len(unit) > len(name) + 1:
            return code
    return None


def _ambiguous(name: str, hits: list[str], layer: _Layer) -> list:
    return _row(method="name", reason=f"ambiguous name {name!r} ({len(hits)} units): give the province in the row "
                "or as context_sido", candidates=[layer.label(c) for c in hits])


def _from_crosswalk(found, what: str, layer: _Layer) -> list:
    if found.kind == "unit":
        return _row(found.codes[0], "matched", "crosswalk", f"{what} {found.note}: {layer.label(found.codes[0])}")
    if found.kind == "part_of":
        return _row(method="crosswalk", reason=f"{what} is a part of the layer's unit(s): {found.note}; needs aggregation",
                    candidates=[layer.label(c) for c in found.codes], part=found)
    return _row(method="crosswalk", reason=f"{what}: needs aggregation — {found.note}", aggregate=found.codes)
