"""Korean Standard Industrial Classification (KSIC), revisions 9, 10 and 11.

Codes of every level (section letter, 2-digit division, 3-digit group, 4-digit class, 5-digit
subclass) with Korean and English names, and the official 5-digit concordances between
consecutive revisions. The bundled tables ``ksic_codes.csv`` and ``ksic_concordance.csv`` are
built by ``scripts/build_ksic.py`` from the exports of the R package KSIC
(github.com/urbanjj/KSIC), which takes them from KOSTAT's Statistical Classification Portal.
Cite: KOSTAT, Korean Standard Industrial Classification, 9th, 10th or 11th revision.

Codes are text ("01110", never 1110). A section letter before the digits is accepted ("M7153").

Examples
--------
>>> lookup("M7153", 10).name_en
'Activities of management consultancy and public relation services'
>>> sections("E,L~N")
('E', 'L', 'M', 'N')
>>> is_under("58221", "J", 11)
True
"""

from __future__ import annotations

import csv
import datetime
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from os.path import commonprefix

__all__ = [
    "REVISIONS", "REVISION_START", "KsicCode", "RevisionLink", "lookup", "subclasses", "is_under",
    "nearest", "sections", "revision_link", "revision_on", "name", "all_codes", "section_of_divisions",
]

REVISIONS = (9, 10, 11)
REVISION_START = {9: datetime.date(2008, 2, 1), 10: datetime.date(2017, 7, 1), 11: datetime.date(2024, 7, 1)}
"""First day each revision was in force."""

SECTION_LETTERS = "ABCDEFGHIJKLMNOPQRSTU"
"""The 21 sections; the same letters in revisions 9, 10 and 11."""

_LEVELS = {1: "section", 2: "division", 3: "group", 4: "class", 5: "subclass"}
_CODE = re.compile(r"(?P<letter>[A-Z]?)(?P<digits>\d*)")


@dataclass(frozen=True)
class KsicCode:
    """One code of one revision.

    ``level`` is section, division, group, class or subclass; ``parent`` the code one level up
    (the section letter for a division, ``""`` for a section).
    """

    code: str
    revision: int
    level: str
    parent: str
    name_ko: str
    name_en: str


@dataclass(frozen=True)
class RevisionLink:
    """Whether a code means the same industry in two revisions (see `revision_link`)."""

    code: str
    from_revision: int
    to_revision: int
    one_to_one: bool
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Revision:
    codes: dict[str, KsicCode]
    subclasses: dict[str, tuple[str, ...]]


@lru_cache(maxsize=None)
def _read(filename: str) -> tuple[dict[str, str], ...]:
    with resources.files("kibs_spatial.reference").joinpath(filename).open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


@lru_cache(maxsize=None)
def _revision(revision: int) -> _Revision:
    """All codes of a revision and the subclasses under each code."""
    if revision not in REVISIONS:
        raise ValueError(f"KSIC revision {revision!r} is not bundled; use one of {REVISIONS}")
    codes = {row["code"]: KsicCode(row["code"], revision, row["level"], row["parent"], row["name_ko"], row["name_en"])
             for row in _read("ksic_codes.csv") if int(row["revision"]) == revision}
    below: dict[str, list[str]] = defaultdict(list)
    for code in sorted(c for c, k in codes.items() if k.level == "subclass"):
        for ancestor in _chain(code, codes):
            below[ancestor].append(code)
    return _Revision(codes, {code: tuple(found) for code, found in below.items()})


@lru_cache(maxsize=None)
def _links(from_revision: int, to_revision: int) -> dict[str, tuple[tuple[str, str], ...]]:
    """5-digit concordance between consecutive revisions: from_code -> ((to_code, detail), ...)."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in _read("ksic_concordance.csv"):
        if (int(row["from_revision"]), int(row["to_revision"])) == (from_revision, to_revision):
            found[row["from_code"]].append((row["to_code"], row["detail"]))
    return {code: tuple(targets) for code, targets in found.items()}


def all_codes(revision: int) -> tuple[KsicCode, ...]:
    """Every code of a revision, every level."""
    return tuple(_revision(revision).codes.values())


def section_of_divisions(divisions: str) -> str | None:
    """The section whose divisions are ``divisions`` (``58~63`` -> ``J``, any revision), or ``None``."""
    found = {row["code"] for row in _read("ksic_codes.csv") if row["level"] == "section"
             and row.get("divisions", "").strip() == divisions}
    return found.pop() if len(found) == 1 else None


def _chain(code: str, codes: dict[str, KsicCode]) -> list[str]:
    """The code and its ancestors up to the section."""
    chain = [code]
    while codes[chain[-1]].parent:
        chain.append(codes[chain[-1]].parent)
    return chain


def _parse(code: str) -> tuple[str, str]:
    """``" m 7153"`` -> (``"M"``, ``"7153"``); ValueError if it is not a letter and/or digits."""
    if not isinstance(code, str):
        raise TypeError(f"a KSIC code must be text (leading zeros matter), not {type(code).__name__}")
    match = _CODE.fullmatch("".join(code.split()).upper())
    if not match or not (match["letter"] or match["digits"]):
        raise ValueError(f"{code!r} is not a KSIC code (a section letter and/or 2 to 5 digits)")
    return match["letter"], match["digits"]


def _resolve(code: str, revision: int) -> KsicCode | None:
    try:
        letter, digits = _parse(code)
    except ValueError:
        return None
    codes = _revision(revision).codes
    found = codes.get(digits or letter)
    if found is None or (letter and digits and _chain(found.code, codes)[-1] != letter):
        return None
    return found


def _require(code: str, revision: int) -> KsicCode:
    found = _resolve(code, revision)
    if found is None:
        try:
            hint = " (nearest: " + ", ".join(k.code for k in nearest(code, revision)) + ")"
        except ValueError:
            hint = ""
        raise KeyError(f"{code!r} is not a KSIC {revision} code{hint}")
    return found


def revision_on(day: datetime.date) -> int:
    """Revision in force on a date.

    Raises
    ------
    ValueError
        Before 2008-02-01 (KSIC 8 and older are not bundled).
    """
    if isinstance(day, datetime.datetime):
        day = day.date()
    current = [r for r in REVISIONS if REVISION_START[r] <= day]
    if not current:
        raise ValueError(f"{day} predates KSIC 9 ({REVISION_START[9]}); older revisions are not bundled")
    return current[-1]


def lookup(code: str, revision: int) -> KsicCode | None:
    """The code in a revision, or None if it does not exist.

    Accepts "J", "70", "732", "7153", "71531", with spaces, or a section letter before the
    digits ("M732"; a letter that is not the code's section gives None).
    """
    return _resolve(code, revision)


def name(code: str, revision: int, language: str = "en") -> str:
    """English (``"en"``) or Korean (``"ko"``) name of a code; KeyError if unknown."""
    if language not in ("en", "ko"):
        raise ValueError(f"language must be 'en' or 'ko', not {language!r}")
    found = _require(code, revision)
    return found.name_en if language == "en" else found.name_ko


def subclasses(code: str, revision: int) -> tuple[str, ...]:
    """Sorted 5-digit codes under a code of any level (a subclass gives itself).

    Raises
    ------
    KeyError
        If the code does not exist in the revision.
    """
    return _revision(revision).subclasses[_require(code, revision).code]


def is_under(code: str, ancestor: str, revision: int) -> bool:
    """Whether ``code`` equals ``ancestor`` or lies below it (a section letter included).

    Raises
    ------
    KeyError
        If either code does not exist in the revision.
    """
    top = _require(ancestor, revision).code
    return top in _chain(_require(code, revision).code, _revision(revision).codes)


def nearest(code: str, revision: int, n: int = 5) -> list[KsicCode]:
    """Existing codes closest to a code, for error messages.

    Codes of the same length ranked by longest common prefix, then numeric distance, with the
    closest existing ancestor after the codes that share its prefix; letters suggest letters.
    """
    letter, digits = _parse(code)
    codes = _revision(revision).codes
    if not digits:
        ranked = sorted(SECTION_LETTERS, key=lambda c: (abs(ord(c) - ord(letter)), c))
        return [codes[c] for c in ranked[:n]]
    width = min(max(len(digits), 2), 5)
    target = int(digits[:width].ljust(width, "0"))
    same = [c for c in codes if len(c) == width and c.isdigit()]
    shared = {c: len(commonprefix([c, digits])) for c in same}
    ranked = sorted(same, key=lambda c: (-shared[c], abs(int(c) - target), c))
    parent = next((digits[:k] for k in range(min(len(digits), width) - 1, 1, -1) if digits[:k] in codes), None)
    if parent is not None:
        cut = sum(shared[c] >= len(parent) for c in ranked)
        ranked = ranked[:cut][: n - 1] + [parent] + ranked[cut:]
    return [codes[c] for c in ranked[:n]]


def sections(spec: str) -> tuple[str, ...]:
    """Expand a KOSIS-style list of section letters, sorted.

    ``"D,H,J,K"``, ``"D+H+J+K"``, ``"E,L~U"``, ``"E,L-U"``, ``"E+L-U"``; ValueError for
    anything else (unknown letters, reversed ranges, repeats, digits).
    """
    letters: list[str] = []
    for part in re.split(r"[,+]", "".join(str(spec).split()).upper()):
        match = re.fullmatch(r"([A-Z])(?:[~-]([A-Z]))?", part)
        if not match or not set(filter(None, match.groups())) <= set(SECTION_LETTERS):
            raise ValueError(f"{spec!r} is not a list of KSIC section letters (A-U), e.g. 'D,H,J,K' or 'E,L~U'")
        first, last = match[1], match[2] or match[1]
        if last < first:
            raise ValueError(f"reversed section range {part!r} in {spec!r}")
        letters += SECTION_LETTERS[SECTION_LETTERS.index(first): SECTION_LETTERS.index(last) + 1]
    if len(set(letters)) != len(letters):
        raise ValueError(f"section repeated in {spec!r}")
    return tuple(sorted(letters))


def revision_link(code: str, from_revision: int, to_revision: int) -> RevisionLink:
    """Whether a code covers the same industry in two revisions, through the concordance.

    The subclasses under ``code`` in each revision are compared step by step (9 -> 10 -> 11 or
    back). ``one_to_one`` is True when no concordance link joins a subclass under the code to
    one outside it (the subclasses inside may be renumbered); otherwise ``notes`` lists each
    crossing link as "KSIC 9 70113 -> KSIC 10 72111: <concordance note>". A code missing from
    a revision on the way gives ``one_to_one`` False and a note saying so.
    """
    for revision in (from_revision, to_revision):
        _revision(revision)
    step = 1 if to_revision >= from_revision else -1
    path = [r for r in REVISIONS if min(from_revision, to_revision) <= r <= max(from_revision, to_revision)][::step]
    missing = [f"{code!r} is not a KSIC {r} code" for r in path if _resolve(code, r) is None]
    if missing:
        return RevisionLink(code, from_revision, to_revision, False, tuple(missing))
    code = _resolve(code, from_revision).code
    notes: list[str] = []
    for a, b in zip(path, path[1:]):
        inside_a, inside_b = set(subclasses(code, a)), set(subclasses(code, b))
        for x, targets in sorted(_links(a, b).items()):
            for y, detail in targets:
                if (x in inside_a) != (y in inside_b):
                    notes.append(f"KSIC {a} {x} -> KSIC {b} {y}" + (f": {detail}" if detail else ""))
    return RevisionLink(code, from_revision, to_revision, not notes, tuple(notes))
