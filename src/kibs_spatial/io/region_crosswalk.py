"""The crosswalk of Korean si-gun-gu changes since 2010 (``reference/region_changes.csv``).

Each row links an older unit to a newer one (``change``: ``rename``, ``recode``, ``merge``,
``split`` or ``reorganise``; a split row links a unit to one of its later parts, e.g. Bucheon's gu
restored in 2024; ``reorganise`` rows of one year link several older units to several newer
ones, e.g. Incheon's 중구 and 동구 becoming 제물포구 and 영종구 in 2026). :class:`Crosswalk`
resolves a code or name of one vintage to the units of a region layer: a single unit (renames,
recodes), several units whose data must be added up (a later merged unit such as the 2014
Cheongju-si), or units the given one is a part of (merged into them, or split or reorganised out
of them): such parts can only be added up, with all their siblings, never split.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from .region_names import split_province

CHANGES_FILE = "region_changes.csv"
KOSTAT_FILES = {"2013": "kostat_sigungu.csv", "2022": "kostat_sigungu_2022.csv"}


def load_region_changes() -> pd.DataFrame:
    """The bundled crosswalk as text columns (empty string where a value is unknown)."""
    return _reference_table(CHANGES_FILE)


def load_kostat_codes(vintage: str = "2013") -> pd.DataFrame:
    """KOSTAT statistical si-gun-gu codes of a bundled vintage and their MOIS legal codes in that layer.

    Columns ``kostat_code`` (7-digit basis, Gijang-gun 21310), ``kostat_code_8`` (8-digit basis,
    21510), ``kostat_name``, ``mois_code``, ``mois_name``, ``kind`` (``unit`` or ``city``: a whole
    city whose districts are units) and ``note``. Built by ``scripts/build_kostat_codes.py`` (2013)
    and ``scripts/build_boundaries_2022.py`` (2022); see ``reference/README.md`` for sources and licences.
    """
    return _reference_table(KOSTAT_FILES[vintage])


@lru_cache(maxsize=None)
def kostat_lookup(vintage: str = "2013") -> dict[str, tuple[str, str]]:
    """KOSTAT code of either basis -> (MOIS code, which basis: ``"7-digit"`` or ``"8-digit"``)."""
    table = load_kostat_codes(vintage)
    lookup = {c: (m, "8-digit") for c, m in zip(table["kostat_code_8"], table["mois_code"])}
    lookup.update({c: (m, "7-digit") for c, m in zip(table["kostat_code"], table["mois_code"])})
    return lookup


@dataclass(frozen=True)
class Merger:
    """A unit formed in ``year`` by merging the units ``parts`` (codes of the older units)."""

    code: str
    name: str
    year: int
    parts: tuple[str, ...]
    districts: tuple[tuple[str, str], ...] = ()  # (code, name) of the districts it was divided into that year


def load_mergers(changes: pd.DataFrame | None = None) -> list[Merger]:
    """The ``merge`` rows of the crosswalk grouped by the unit they formed (e.g. 43110 청주시, 2014).

    ``districts`` are the ``split`` rows of the same unit and year (청주시's four new gu).
    """
    table = load_region_changes() if changes is None else changes
    merges = table[(table["change"] == "merge") & (table["new_code"] != "") & (table["old_code"] != "")]
    splits = table[table["change"] == "split"]
    mergers = []
    for code, part in merges.groupby("new_code"):
        year = part["valid_from"].iloc[0]
        new = splits[(splits["old_code"] == code) & (splits["valid_from"] == year)]
        mergers.append(Merger(code, part["new_name"].iloc[0], int(year), tuple(sorted(part["old_code"])),
                              tuple(zip(new["new_code"], new["new_name"]))))
    return mergers


def _reference_table(name: str) -> pd.DataFrame:
    with resources.files("kibs_spatial.reference").joinpath(name).open(encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class Resolution:
    """Outcome of a crosswalk look-up.

    ``kind`` is ``"unit"`` (one unit of the layer), ``"aggregate"`` (the given unit is the union of
    ``codes``: add their data up) or ``"part_of"`` (the given unit is a part of the union of ``codes``
    and cannot be split). For a part, ``parts`` names every part of that union in the same change
    (district names such as ``원미구``) and ``key`` the given one, so that the parts can be added up
    when all are present.
    """

    kind: str
    codes: tuple[str, ...]
    note: str
    parts: tuple[str, ...] = ()
    key: str = ""


@dataclass(frozen=True)
class _Node:
    code: str
    sido: str | None
    unit: str


def _node(code: str, name: str) -> _Node:
    sido, unit = split_province(name)
    return _Node(code, sido or (code[:2] if len(code) >= 2 else None), unit)


class Crosswalk:
    """Resolve codes and names of other vintages to the units of one region layer.

    Parameters
    ----------
    layer_codes : set of str
        Codes of the layer's units.
    layer_names : dict
        ``(sido code, compact unit name)`` -> code, for names such as ``("41", "수원시장안구")``.
    changes : pandas.DataFrame, optional
        The crosswalk table; the bundled one by default.
    """

    def __init__(self, layer_codes: set[str], layer_names: dict[tuple[str, str], str], changes: pd.DataFrame | None = None):
        self.codes = layer_codes
        self.names = layer_names
        table = load_region_changes() if changes is None else changes
        self.rows = [
            (_node(r.old_code, r.old_name), _node(r.new_code, r.new_name), r.change, r.valid_from)
            for r in table.itertuples(index=False)
        ]

    def reused_code_note(self, code: str) -> str | None:
        """A warning when ``code`` was reused for a different area (Cheongju's gu, 2014)."""
        for old, new, change, year in self.rows:
            if change == "split" and new.code == code and old.code != code and any(
                o.code == code and c == "merge" for o, _, c, _ in self.rows
            ):
                return f"code {code} was reused in {year} for a different area; this match is right only for data before {year}"
        return None

    def resolve_code(self, code: str) -> Resolution | None:
        """Resolve a code absent from the layer (``51110`` -> ``42110``)."""
        return self._resolve(lambda n: n.code == code, set())

    def resolve_name(self, unit: str, sido: str | None) -> Resolution | None:
        """Resolve a compact unit name (with its province code when known)."""
        def same(node: _Node) -> bool:
            names = {node.unit, _last_part(node.unit)}
            return unit in names and (sido is None or node.sido == sido)
        return self._resolve(same, set())

    def _in_layer(self, node: _Node) -> str | None:
        if node.code and node.code in self.codes:
            return node.code
        return self.names.get((node.sido or "", node.unit))

    def _resolve(self, matches, seen: set[int]) -> Resolution | None:
        newer = [(i, r) for i, r in enumerate(self.rows) if matches(r[1]) and i not in seen]
        if newer:
            return self._from_newer(newer, seen)
        older = [(i, r) for i, r in enumerate(self.rows) if matches(r[0]) and i not in seen]
        if older:
            return self._from_older(older, seen)
        return None

    def _follow(self, node: _Node, seen: set[int]) -> Resolution | None:
        code = self._in_layer(node)
        if code:
            return Resolution("unit", (code,), "")
        return self._resolve(lambda n: (node.code and n.code == node.code) or (n.unit == node.unit and n.sido == node.sido), seen)

    def _from_newer(self, rows, seen: set[int]) -> Resolution | None:
        seen = seen | {i for i, _ in rows}
        part = self._part_of_older(rows, seen)
        if part is not None:
            return part
        parts: list[str] = []
        kinds = set()
        for _, (old, new, change, year) in rows:
            found = self._follow(old, seen)
            if found is None:
                continue
            kinds.add("unit" if change in ("rename", "recode") and found.kind == "unit" else "aggregate")
            parts.extend(found.codes)
            what = f"{change} {year}"
        if not parts:
            return None
        parts = sorted(set(parts))
        if kinds == {"unit"} and len(parts) == 1:
            return Resolution("unit", tuple(parts), f"via the crosswalk ({what})")
        return Resolution("aggregate", tuple(parts), f"later unit ({what}) made of layer units {', '.join(parts)}")

    def _part_of_older(self, rows, seen: set[int]) -> Resolution | None:
        """A newer unit split or reorganised out of older units the layer has whole: a part of them."""
        changes = {(change, year) for _, (_, _, change, year) in rows}
        if len(changes) != 1 or next(iter(changes))[0] not in ("split", "reorganise"):
            return None
        change, year = next(iter(changes))
        olds, news = self._event(rows, change, year)
        found = [self._follow(node, seen) for node in olds]
        if not found or any(f is None or f.kind != "unit" for f in found):
            return None  # e.g. the 2014 Cheongju gu on the 2013 layer: handled as a merger by the join
        codes = tuple(sorted({c for f in found for c in f.codes}))
        given = rows[0][1][1]
        return Resolution("part_of", codes, f"created in {year} ({change}) out of layer unit(s) {', '.join(codes)}, "
                                            "after these boundaries",
                          tuple(sorted(_last_part(n.unit) for n in news)), _last_part(given.unit))

    def _event(self, rows, change: str, year: str) -> tuple[list[_Node], list[_Node]]:
        """The older and newer units of one change: every row of that change and year sharing a unit."""
        olds, news = {rows[0][1][0]}, {rows[0][1][1]}
        grown = True
        while grown:
            linked = [(o, n) for o, n, c, y in self.rows if c == change and y == year and (o in olds or n in news)]
            grown = any(o not in olds or n not in news for o, n in linked)
            olds |= {o for o, _ in linked}
            news |= {n for _, n in linked}
        return sorted(olds, key=lambda n: (n.code, n.unit)), sorted(news, key=lambda n: (n.code, n.unit))

    def _from_older(self, rows, seen: set[int]) -> Resolution | None:
        seen = seen | {i for i, _ in rows}
        parts: list[str] = []
        for _, (old, new, change, year) in rows:
            found = self._follow(new, seen)
            if found is None:
                continue
            if change in ("rename", "recode") and found.kind == "unit":
                return Resolution("unit", found.codes, f"via the crosswalk ({change} {year})")
            if change == "merge":
                olds, _ = self._event([(None, (old, new, change, year))], change, year)
                return Resolution("part_of", found.codes, f"merged into {', '.join(found.codes)} in {year}; cannot be split",
                                  tuple(sorted(_last_part(n.unit) for n in olds)), _last_part(old.unit))
            parts.extend(found.codes)
            when = year
        if not parts:
            return None
        parts = sorted(set(parts))
        return Resolution("aggregate", tuple(parts), f"split in {when} into layer units {', '.join(parts)}")


def _last_part(unit: str) -> str:
    """``청주시청원구`` -> ``청원구``: the district part of a city-and-district name."""
    cut = unit.find("시")
    return unit[cut + 1:] if 0 < cut < len(unit) - 2 else unit
