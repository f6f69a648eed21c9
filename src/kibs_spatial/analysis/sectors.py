"""Sectors: any KSIC code of any level, a KOSIS letter group, or a user-named group of codes.

A :class:`Sector` has a code (``732``, ``J``, ``70``, ``D+H+J+K``, or a user's own code), names, a
kind (``technology`` and ``professional`` are the two the Gangnam contrast compares; anything else
is allowed) and the industry codes it adds up (``members``; by default its own code). Named sets:
``kibs-kiet``, the 14 KIBS sub-sectors of the KIET study (KSIC codes identical in Rev. 9, 10 and
11; management consulting is 7153, not 715, whose 7151 is head offices), and ``kibs-divisions``,
the KSIC divisions most KOSIS tables give (58, 62, 63, 70, 71, 72, 73).

:func:`sector_values` turns the data's industry rows into sector values: a sector takes the data's
row of its own code where the data have it, otherwise the data's finest rows below it (5-digit rows
for a 3-digit sector), which must cover the whole sector; a sum with a missing part stays missing.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from ..reference import ksic

KINDS = ("technology", "professional")
"""The two kinds of KIBS the KIET study (and the Gangnam contrast) compare."""

GROUP = re.compile(r"^[A-U](?:[+-][A-U])+$")
"""A KOSIS letter group: ``D+H+J+K``, ``E+L-U`` (a range), ``B+C``."""


@dataclass(frozen=True)
class Sector:
    ksic: str
    name_en: str
    name_ko: str
    kind: str = ""
    members: tuple[str, ...] = field(default=())

    @property
    def codes(self) -> tuple[str, ...]:
        """The industry codes summed into the sector: its members, or its own code."""
        return self.members or (self.ksic,)

    @property
    def field_prefix(self) -> str:
        """Prefix of this sector's fields in wide outputs: ``s732``, ``sD_H_J_K``."""
        return "s" + re.sub(r"[^0-9A-Za-z]", "_", self.ksic)


_PROGRAMMING = Sector("62", "computer programming, systems integration", "컴퓨터 프로그래밍, 시스템 통합 및 관리업",
                      "technology")
_INFORMATION = Sector("63", "information services", "정보서비스업", "technology")

KIBS_SECTORS: tuple[Sector, ...] = (
    Sector("582", "software publishing", "소프트웨어 개발 및 공급업", "technology"),
    _PROGRAMMING,
    _INFORMATION,
    Sector("701", "natural science and engineering R&D", "자연과학 및 공학 연구개발업", "technology"),
    Sector("702", "humanities and social science R&D", "인문 및 사회과학 연구개발업", "professional"),
    Sector("711", "legal services", "법무관련 서비스업", "professional"),
    Sector("712", "accounting and tax", "회계 및 세무관련 서비스업", "professional"),
    Sector("713", "advertising", "광고업", "professional"),
    Sector("714", "market research and polling", "시장조사 및 여론조사업", "professional"),
    Sector("7153", "management consulting", "경영컨설팅업", "professional"),
    Sector("7211", "architecture and landscape design", "건축 및 조경 설계 서비스업", "technology"),
    Sector("7212", "engineering services", "엔지니어링 서비스업", "technology"),
    Sector("7291", "technical testing and analysis", "기술시험, 검사 및 분석업", "technology"),
    Sector("732", "specialized design", "전문 디자인업", "professional"),
)

KIBS_DIVISIONS: tuple[Sector, ...] = (
    Sector("58", "publishing", "출판업", "technology"),
    _PROGRAMMING,
    _INFORMATION,
    Sector("70", "research and development", "연구개발업", "technology"),
    Sector("71", "professional services", "전문 서비스업", "professional"),
    Sector("72", "architecture, engineering and technical services", "건축기술, 엔지니어링 및 기타 과학기술 서비스업",
           "technology"),
    Sector("73", "other professional, scientific and technical services (design)", "기타 전문, 과학 및 기술 서비스업",
           "professional"),
)
"""KIBS at the division level; the kinds are our reading of the KIET split (docs/CLUSTERS.md)."""

SECTOR_SETS: dict[str, tuple[Sector, ...]] = {"kibs-kiet": KIBS_SECTORS, "kibs-divisions": KIBS_DIVISIONS}
SECTORS_BY_CODE: dict[str, Sector] = {s.ksic: s for s in KIBS_SECTORS}
KNOWN_KINDS: dict[str, str] = {s.ksic: s.kind for s in (*KIBS_SECTORS, *KIBS_DIVISIONS)}


def get_sectors(codes: list[str] | None = None) -> tuple[Sector, ...]:
    """The KIBS sectors with the given KSIC codes (all 14 when ``codes`` is None)."""
    if codes is None:
        return KIBS_SECTORS
    unknown = [c for c in codes if str(c) not in SECTORS_BY_CODE]
    if unknown:
        raise ValueError(f"unknown KIBS sector code(s) {', '.join(map(str, unknown))}; known: {', '.join(SECTORS_BY_CODE)}")
    return tuple(SECTORS_BY_CODE[str(c)] for c in codes)


# --------------------------------------------------------------------------- choosing the sectors


def resolve_sectors(spec: str | Sequence[str], custom: Sequence[Mapping[str, object]], industries: pd.DataFrame,
                    revisions: Sequence[int], where: str = "[analysis] sectors") -> tuple[Sector, ...]:
    """The run's sectors from ``[analysis] sectors`` (codes, ``"all"`` or a named set) and ``[[analysis.sector]]``.

    ``industries`` has one row per industry code of the data (``ksic``, ``industry`` label); ``revisions``
    are the KSIC revisions of the data's periods. Codes are checked against every one of them.
    """
    if isinstance(spec, str) and spec == "all":
        chosen = [_data_sector(code, label, revisions) for code, label in zip(industries["ksic"], industries["industry"])]
    elif isinstance(spec, str) and spec in SECTOR_SETS:
        chosen = list(SECTOR_SETS[spec])
    elif isinstance(spec, str):
        raise InputError(f"{where}: {spec!r} is neither a list of codes, \"all\" nor a named set "
                         f"({', '.join(SECTOR_SETS)})")
    else:
        labels = dict(zip(industries["ksic"], industries["industry"]))
        chosen = [SECTORS_BY_CODE.get(str(c)) or _data_sector(str(c), labels.get(str(c), ""), revisions, where)
                  for c in spec]
    chosen += [_custom_sector(table, revisions, f"[[analysis.sector]] {i + 1}") for i, table in enumerate(custom)]
    for sector in chosen:
        for code in sector.codes:
            check_code(code, revisions, f"{where}: sector {sector.ksic}")
    _check_unique(chosen, where)
    return tuple(chosen)


def check_data_codes(rows: pd.DataFrame, revision_of: Mapping[str, int], path: object) -> None:
    """Every industry code of the data must exist in the KSIC revision of its period (letter groups aside)."""
    for (code, period), part in rows.groupby(["ksic", "period"], sort=False):
        if GROUP.match(str(code)) or ksic.lookup(str(code), revision_of[period]) is not None:
            continue
        near = ", ".join(f"{c.code} {c.name_en}" for c in ksic.nearest(str(code), revision_of[period], 4))
        raise InputError(f"{path}, line {part['line'].iloc[0]}, column ksic: {code!r} is not a code of KSIC revision "
                         f"{revision_of[period]} (the revision of period {period}; {len(part)} such row(s)); nearest "
                         f"existing codes: {near}")


def check_code(code: str, revisions: Sequence[int], where: str) -> None:
    """A KSIC code (or letter group) must exist in every revision of the data; name the nearest codes if not."""
    if GROUP.match(code):
        return
    for revision in revisions:
        if ksic.lookup(code, revision) is None:
            near = ", ".join(f"{c.code} {c.name_en}" for c in ksic.nearest(code, revision, 4))
            raise InputError(f"{where}: {code!r} is not a code of KSIC revision {revision} (the revision of the data's "
                             f"periods); nearest existing codes: {near}")


def _data_sector(code: str, label: str, revisions: Sequence[int], where: str = "") -> Sector:
    """A sector named after the KSIC reference (last revision of the data), or after the data's label for a group."""
    if GROUP.match(code):
        return Sector(code, f"KSIC sections {', '.join(ksic.sections(code))}", label or code, "")
    check_code(code, revisions, where or f"the data's industry {code!r}")
    found = ksic.lookup(code, max(revisions))
    return Sector(code, found.name_en, found.name_ko, KNOWN_KINDS.get(code, ""))


def _custom_sector(table: Mapping[str, object], revisions: Sequence[int], where: str) -> Sector:
    known = {"code", "name", "name_ko", "kind", "members"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    code, name = table.get("code"), table.get("name")
    members = table.get("members", [code])
    if not isinstance(code, str) or not code or not isinstance(name, str) or not name:
        raise InputError(f"{where}: needs a text code and name, e.g. code = \"design-ad\", name = \"design and advertising\"")
    if not isinstance(members, list) or not members or not all(isinstance(m, str) and m for m in members):
        raise InputError(f"{where}: members must be a list of KSIC codes, e.g. [\"732\", \"713\"]; got {members!r}")
    kind = table.get("kind", "")
    if not isinstance(kind, str):
        raise InputError(f"{where}: kind must be text (technology, professional, or your own); got {kind!r}")
    name_ko = table.get("name_ko", name)
    return Sector(code, name, str(name_ko), kind, tuple(members))


def _check_unique(sectors: Sequence[Sector], where: str) -> None:
    seen: dict[str, str] = {}
    for sector in sectors:
        if sector.field_prefix in seen:
            raise InputError(f"{where}: sectors {seen[sector.field_prefix]!r} and {sector.ksic!r} give the same field "
                             f"prefix {sector.field_prefix!r}; give one of them another code")
        seen[sector.field_prefix] = sector.ksic


def revision_link_notes(sectors: Sequence[Sector], revisions: Sequence[int], accept: bool) -> list[str]:
    """Sectors whose codes link only partly between the data's consecutive KSIC revisions.

    Refused (``InputError`` with the concordance notes) unless ``accept``; then the notes are returned
    for the run's metadata and report. Letter groups are checked section by section.
    """
    notes = []
    for sector in sectors:
        codes = [c for code in sector.codes for c in (ksic.sections(code) if GROUP.match(code) else (code,))]
        for a, b in itertools.pairwise(revisions):
            for code in codes:
                link = ksic.revision_link(code, a, b)
                if not link.one_to_one:
                    shown = "; ".join(link.notes[:4]) + (" …" if len(link.notes) > 4 else "")
                    notes.append(f"sector {sector.ksic}: KSIC {code} links only partly from revision {a} to {b} ({shown})")
    if notes and not accept:
        raise InputError("the data's periods use KSIC revisions " + ", ".join(map(str, revisions)) + ", and "
                         + "; ".join(notes) + ". Analyse periods of one revision ([analysis] periods), or accept the "
                         "partial links with [data] accept_partial_ksic_links = true")
    return notes


# --------------------------------------------------------------------------- sector values from data rows


@dataclass(frozen=True)
class SectorValues:
    """Sector values per region and period, and which input rows (by line) fed which sector."""

    values: pd.DataFrame  # region_code, period, ksic (the sector's code), employees, establishments, employees_rse, ...
    fed: dict[int, tuple[str, ...]]  # input line -> sector codes it was added into
    sources: dict[str, tuple[str, ...]]  # sector code -> the data's industry codes summed into it


VALUE_COLUMNS = ("employees", "establishments")


def sector_values(rows: pd.DataFrame, sectors: Sequence[Sector], revision_of: Mapping[str, int]) -> SectorValues:
    """Add the data's industry rows up into ``sectors`` for every region and period.

    ``rows``: ``region_code``, ``period``, ``ksic``, ``line`` and counts (NaN = missing);
    ``revision_of``: period label -> KSIC revision. A sector's value is the sum of its source rows;
    it is missing where a source row is missing or absent for that region and period. RSE columns
    are kept only for a sector made of one data row (the RSE of a sum is not known).
    """
    present = set(rows["ksic"].astype(str))
    revisions = sorted(set(revision_of.values()))
    sources = {s.ksic: tuple(code for member in s.codes for code in _sources(member, present, revisions, s.ksic))
               for s in sectors}
    periods = list(dict.fromkeys(rows["period"]))
    regions = list(dict.fromkeys(rows["region_code"]))
    counts = [c for c in (*VALUE_COLUMNS, "employees_rse", "employees_rse_high") if c in rows.columns]
    frames, fed = [], {}
    for sector in sectors:
        part = rows[rows["ksic"].isin(sources[sector.ksic])]
        for line in part["line"]:
            fed[int(line)] = fed.get(int(line), ()) + (sector.ksic,)
        frames.append(_sum_sources(part, sources[sector.ksic], counts, regions, periods).assign(ksic=sector.ksic))
    values = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["region_code", "period", "ksic"])
    return SectorValues(values, fed, sources)


def _sources(code: str, present: set[str], revisions: Sequence[int], sector: str) -> list[str]:
    """The data's industry codes that make up ``code``: itself if present, else its topmost rows below it."""
    if code in present:
        return [code]
    if GROUP.match(code):
        raise InputError(f"sector {sector}: the data have no industry {code!r}")
    revision = max(revisions)
    below = sorted(c for c in present if not GROUP.match(c) and ksic.lookup(c, revision) is not None
                   and c != code and ksic.is_under(c, code, revision))
    top = [c for c in below if not any(c != d and ksic.is_under(c, d, revision) for d in below)]
    if not top:
        within = sorted(c for c in present if GROUP.match(c) and code in ksic.sections(c)) if len(code) == 1 else []
        hint = (f"; the data give it only inside the group(s) {', '.join(within)}" if within else
                "; the data have no row of it or below it")
        raise InputError(f"sector {sector}: KSIC {code} cannot be formed from the data{hint}")
    covered = {leaf for c in top for leaf in ksic.subclasses(c, revision)}
    lacking = sorted(set(ksic.subclasses(code, revision)) - covered)
    if lacking:
        raise InputError(f"sector {sector}: the data's rows below KSIC {code} ({', '.join(top[:8])}"
                         f"{' …' if len(top) > 8 else ''}) do not cover it: no row for {', '.join(lacking[:8])}"
                         f"{' …' if len(lacking) > 8 else ''}; add those rows or define the sector with its members "
                         "in [[analysis.sector]]")
    return top


def _sum_sources(part: pd.DataFrame, sources: Sequence[str], counts: Sequence[str], regions, periods) -> pd.DataFrame:
    """Per region and period: the sum of every source row (missing if any source row is missing or absent)."""
    index = pd.MultiIndex.from_product([regions, periods], names=["region_code", "period"])
    out = pd.DataFrame(index=index)
    for column in counts:
        wide = part.pivot_table(index=["region_code", "period"], columns="ksic", values=column, aggfunc="first",
                                dropna=False).reindex(index=index, columns=list(sources))
        if column in VALUE_COLUMNS:
            out[column] = wide.astype(float).sum(axis=1, min_count=len(sources)).where(wide.notna().all(axis=1))
        elif len(sources) == 1:
            out[column] = wide.iloc[:, 0]
        else:
            out[column] = np.nan
    return out.reset_index()
