"""Joining the sector and totals tables to the region polygons, with a report on every input row.

Rows are matched by ``region_code`` or ``region_name`` with :func:`region_matching.match_regions`
(MOIS legal codes, KOSTAT statistical codes through the bundled KOSTAT table, newer codes through
the crosswalk of renames and recodes; names with or without their province, ambiguous names only
with their province). Each input row ends up in the join report as ``matched`` (with the region it
joined), ``aggregated`` (into which harmonised unit) or ``rejected`` (with the reason); rejected rows
stop the run unless the caller allows them, and regions that received no data are listed.

Harmonisation (``harmonize=True``): a row that stands for several units of the layer — a whole
city whose districts are units (``경기 수원시``), a later merged unit (the 2014 청주시 against 청주시
상당구, 흥덕구 and 청원군) — makes those units one: their polygons are dissolved and every row of
either table that falls in them is added up, so data and boundaries meet at the finest common
units. A sum with a missing part (a suppressed cell, or a part the table does not cover) is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from ..analysis.periods import parse_period
from ..errors import InputError
from .region_crosswalk import load_mergers
from .region_matching import match_regions
from .region_names import clean_code, split_province
from .sector_table import SectorTable, check_against_totals

REPORT_COLUMNS = ["table", "file", "line", "given_region", "period", "ksic", "status", "region_code", "reason"]
COUNT_COLUMNS = {"sectors": ["employees", "establishments"], "totals": ["total_employees", "total_establishments"]}


@dataclass(frozen=True)
class JoinReport:
    """One row per input row of both tables, plus the regions that received no data.

    ``harmonized`` has one line per dissolved unit (its code and the units it was made of);
    ``repaired_geometries`` is the number of boundary polygons repaired when the layer was read.
    """

    rows: pd.DataFrame
    regions_without_data: list[str]
    missing_cells: int  # sector rows (after any harmonisation) whose employees are missing (suppressed)
    harmonized: tuple[str, ...] = ()
    repaired_geometries: int = 0

    @property
    def matched(self) -> int:
        return int(self.rows["status"].isin(["matched", "aggregated"]).sum())

    @property
    def aggregated(self) -> int:
        return int((self.rows["status"] == "aggregated").sum())

    @property
    def rejected(self) -> int:
        return int((self.rows["status"] == "rejected").sum())

    def to_text(self) -> str:
        lines = [f"join: {len(self.rows)} input rows, {self.matched} matched ({self.aggregated} aggregated), {self.rejected} rejected"]
        for _, row in self.rows[self.rows["status"] == "rejected"].head(10).iterrows():
            lines.append(f"  rejected {row['file']} line {row['line']}: {row['reason']}")
        for note in self.harmonized:
            lines.append(f"  harmonised: {note}")
        if self.missing_cells:
            lines.append(f"  {self.missing_cells} sector rows have missing employees (kept as missing, not zero; "
                         "their statistics are 'undefined')")
        if self.regions_without_data:
            lines.append(f"  {len(self.regions_without_data)} regions received no data: {', '.join(self.regions_without_data[:10])}")
        if self.repaired_geometries:
            lines.append(f"  {self.repaired_geometries} boundary geometries were invalid and repaired (make_valid)")
        return "\n".join(lines)


@dataclass(frozen=True)
class JoinedData:
    sectors: pd.DataFrame  # matched rows, region_code in the boundaries' system
    totals: pd.DataFrame
    report: JoinReport
    regions: gpd.GeoDataFrame | None = field(default=None)  # the layer the data joined (harmonised units dissolved)


def join_to_regions(
    table: SectorTable, regions: gpd.GeoDataFrame, *, allow_unmatched: bool = False, code_system: str | None = None,
    harmonize: bool = False,
) -> JoinedData:
    """Match both tables to ``regions``; raise ``InputError`` on rejected rows unless allowed.

    ``code_system`` (``"auto"``, ``"mois"``, ``"kostat"``) is the system of region codes in the tables;
    ``harmonize`` dissolves units that a row gives only as a whole (see the module docstring).
    """
    sectors, sector_report = _match(table.sectors, regions, "sectors", table.sectors_path.name, code_system)
    totals, total_report = _match(table.totals, regions, "totals", table.totals_path.name, code_system)
    notes: list[str] = []
    merged: dict[str, str] = {}
    if harmonize:
        frames = pd.concat([sectors[["_cover", "_district"]], totals[["_cover", "_district"]]])
        groups = _merge_groups([set(c) for c, d in zip(frames["_cover"], frames["_district"]) if len(c) > 1 or pd.notna(d)])
        regions, merged, notes = dissolve_units(regions, groups)
        sectors = _aggregate(sectors, sector_report, merged, ["period", "ksic"], "sectors")
        totals = _aggregate(totals, total_report, merged, ["period"], "totals")
    sectors, totals = (f[(f["_cover"].map(len).eq(1) & f["_district"].isna())
                         | (f["region_code"].isin(set(merged.values())) if harmonize else False)] for f in (sectors, totals))
    rows = pd.concat([sector_report, total_report], ignore_index=True)[REPORT_COLUMNS]
    rejected = rows[rows["status"] == "rejected"]
    if len(rejected) and not allow_unmatched:
        first = rejected.iloc[0]
        hint = ("; set harmonize = true in [data] to add such rows up into the unit(s) of the boundary layer they "
                "stand for (dissolving them into one where needed), or give boundaries with these units "
                "([data] boundaries = a GeoPackage, shapefile or GeoJSON of the data's year)"
                if rejected["reason"].str.contains("needs aggregation", regex=False).any() else "")
        raise InputError(
            f"{first['file']}, line {first['line']}, column {_region_column(table, first['table'])}: {first['reason']} "
            f"({len(rejected)} row(s) rejected in all){hint}. Fix the region codes or names, or run with "
            "allow_unmatched = true (--allow-unmatched) to continue; rejected rows are listed in the join report"
        )
    sectors, totals = (f.drop(columns=["_cover", "_district", "_siblings"], errors="ignore") for f in (sectors, totals))
    _check_one_row_per_unit(sectors, ["period", "ksic"], table.sectors_path.name)
    _check_one_row_per_unit(totals, ["period"], table.totals_path.name)
    check_against_totals(sectors, totals, table.sectors_path, table.totals_path)
    codes = regions["region_code"].astype(str)
    without = sorted(set(codes) - set(sectors["region_code"]))
    report = JoinReport(rows, without, int(sectors["employees"].isna().sum()), tuple(notes),
                        int(regions.attrs.get("repaired", 0) or 0))
    return JoinedData(sectors, totals, report, regions)


def _region_column(table: SectorTable, which: str) -> str:
    frame = table.sectors if which == "sectors" else table.totals
    return "region_code" if "region_code" in frame.columns else "region_name"


def _match(frame: pd.DataFrame, regions: gpd.GeoDataFrame, table: str, file: str,
           code_system: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows that reach the layer (``_cover``: the layer units each stands for) and the report rows."""
    column = "region_code" if "region_code" in frame.columns else "region_name"
    given = frame[column].astype("string")
    try:
        result = match_regions(given, regions, code_system=code_system).rows
    except InputError as error:
        lines = [f"line {frame['line'][i]} ({given[i]})" for code in re.findall(r"\b\d{5}\b", str(error))[:2]
                 for i in given.index[given.str.lstrip("'").str.strip() == code][:1]]
        where = f", {' and '.join(lines)}" if lines else ""
        raise InputError(f"{file}{where}, column {column}: {error}") from None
    ok = result["status"] == "matched"
    part_of = result["part_of"].notna() & ~ok
    whole = (result["aggregate_codes"].notna() & ~ok) | part_of
    extra = result["candidates"].fillna(result["aggregate_codes"])
    reason = result["reason"].where(extra.isna(), result["reason"] + " [" + extra.fillna("") + "]")
    report = pd.DataFrame({
        "table": table, "file": file, "line": frame["line"], "given_region": given,
        "period": frame["period"], "ksic": frame["ksic"] if "ksic" in frame.columns else pd.NA,
        "status": result["status"], "region_code": result["region_code"], "reason": reason,
    })
    cover = [tuple(p.split(";")) if isinstance(p, str) else tuple(a.split(";")) if w else (str(c),)
             for c, a, p, w in zip(result["region_code"], result["aggregate_codes"], result["part_of"], whole)]
    district = result["part_key"].where(part_of).astype(object)
    siblings = result["part_parts"].where(part_of).astype(object)
    years = frame["period"].map(lambda label: parse_period(label).year)
    for position, (merger, parts, part) in _after_merger(given, years, cover, regions).items():
        index = frame.index[position]
        cover[position] = parts
        district[index] = part
        siblings[index] = ";".join(c for c, _ in merger.districts) if part else None
        ok[index], whole[index] = False, True
        what = f"district {part} of {merger.name}" if part else merger.name
        note = (f"{given[index]} in {frame['period'][index]} is the {what} ({merger.code}) as merged in {merger.year}: "
                f"needs aggregation [{';'.join(parts)}]")
        report.loc[index, ["status", "region_code", "reason"]] = ["rejected", pd.NA, note]
    joined = frame[ok | whole].copy()
    joined["_cover"] = pd.Series(cover, index=frame.index)[ok | whole]
    joined["_district"] = district[ok | whole]
    joined["_siblings"] = siblings[ok | whole]
    joined["region_code"] = result.loc[ok | whole, "region_code"].astype("string")
    return joined, report


def _after_merger(given: pd.Series, years: pd.Series, cover: list[tuple[str, ...]], regions: gpd.GeoDataFrame) -> dict:
    """Rows of a year on or after a merger that name the merged unit, or one of its new districts.

    ``청주시`` (or 43110, or KOSTAT 33010) resolves to the old city (상당구 + 흥덕구); from 2014 the
    same name covers 청원군 too, and 청주시 상당구 (43111) is one of four new gu of the merged city.
    A year in which the table also has a row for a unit the merger abolished (청원군) is taken to be
    in the old structure already (data prepared for the 2013 layer) and is left alone.
    Returns position -> (merger, layer units the merged unit covers, new district code or None).
    """
    codes = set(regions["region_code"].astype(str))
    parents = regions.groupby(regions["parent_code"].astype(str))["region_code"].agg(lambda c: tuple(sorted(map(str, c)))) \
        if "parent_code" in regions else pd.Series(dtype=object)
    found = {}
    for merger in load_mergers():
        older = parents.get(merger.code) or ((merger.code,) if merger.code in codes else None)
        parts = tuple(sorted({p if p in codes else p[:4] + "0" for p in merger.parts} & codes))
        if not older or set(parts) <= set(older):
            continue
        districts = {code: _name_keys(name) for code, name in merger.districts}
        gone = {(p,) for p in set(merger.parts) - set(districts)}  # 청원군: a row for it means the old structure
        old_years = {y for y, covered in zip(years, cover) if covered in gone}
        for position, (value, year, covered) in enumerate(zip(given, years, cover)):
            if pd.isna(year) or int(year) < merger.year or pd.isna(value) or year in old_years:
                continue
            district = _district_of(value, merger.code[:2], districts)
            if district is not None or covered == older:
                found[position] = (merger, parts, district)
    return found


def _name_keys(name: str) -> set[str]:
    """``충청북도 청주시 서원구`` -> {``청주시서원구``, ``서원구``}."""
    _, unit = split_province(name)
    city_cut = unit.find("시")
    return {unit, unit[city_cut + 1:]} if 0 < city_cut < len(unit) - 2 else {unit}


def _district_of(value: object, sido: str, districts: dict[str, set[str]]) -> str | None:
    code = clean_code(value)
    if code in districts:
        return code
    province, unit = split_province(value)
    if province in (None, sido):
        return next((c for c, keys in districts.items() if unit in keys), None)
    return None


def _merge_groups(groups: list[set[str]]) -> list[set[str]]:
    """Union of overlapping groups of unit codes."""
    merged: list[set[str]] = []
    for group in groups:
        overlapping = [m for m in merged if m & group]
        for m in overlapping:
            merged.remove(m)
            group = group | m
        merged.append(set(group))
    return sorted(merged, key=lambda g: sorted(g))


def dissolve_units(regions: gpd.GeoDataFrame, groups: list[set[str]]) -> tuple[gpd.GeoDataFrame, dict[str, str], list[str]]:
    """Dissolve each group of units into one; return the layer, member -> new code, and one note per group.

    The new code is the parent city's code when a group is exactly a city's districts (41110 for
    수원시), otherwise the members' codes joined by ``+`` (``43111+43113+43710``).
    """
    codes = regions["region_code"].astype(str)
    parents = regions["parent_code"].astype(str) if "parent_code" in regions else pd.Series("", index=regions.index)
    merged: dict[str, str] = {}
    notes: list[str] = []
    parts = []
    for group in groups:
        members = regions[codes.isin(group)]
        missing = sorted(group - set(members["region_code"].astype(str)))
        if missing:
            raise InputError(f"cannot harmonise: units {', '.join(missing)} are not in the boundary layer")
        if len(group) == 1:  # the data give parts of one unit: they are added up, the unit stays as it is
            (code,) = group
            merged[code] = code
            notes.append(f"{code} {members['name_ko'].iloc[0] if 'name_ko' in members else ''}: the data give it in "
                         "parts, which are added up")
            continue
        member_parents = set(parents[members.index])
        whole_city = len(member_parents) == 1 and "" not in member_parents and set(codes[parents == next(iter(member_parents))]) == group
        new_code = next(iter(member_parents)) if whole_city else "+".join(sorted(group))
        first = members.sort_values("region_code").iloc[0]
        unit = first.to_dict()
        unit["region_code"] = new_code
        unit["geometry"] = members.geometry.union_all()
        if "name_ko" in members:
            name = first.get("parent_city") if whole_city else "+".join(members.sort_values("region_code")["name_ko"].astype(str))
            unit["name_ko"] = name
            if "full_name_ko" in members:
                unit["full_name_ko"] = f"{first['sido_name']} {name}" if "sido_name" in members else name
        for column in ("parent_city", "parent_code"):
            if column in members:
                unit[column] = ""
        if "name_en" in members:
            unit["name_en"] = "+".join(members.sort_values("region_code")["name_en"].astype(str))
        parts.append(unit)
        merged.update({c: new_code for c in group})
        labels = ", ".join(f"{c} {n}" for c, n in zip(members["region_code"], members.get("name_ko", members["region_code"])))
        notes.append(f"{new_code} = {labels} (dissolved into one unit: the data give them only as a whole)")
    if not parts:
        return regions, merged, notes
    kept = regions[~codes.isin([c for c, new in merged.items() if new != c])]
    layer = gpd.GeoDataFrame(pd.concat([kept, gpd.GeoDataFrame(parts, geometry="geometry", crs=regions.crs)], ignore_index=True),
                             geometry="geometry", crs=regions.crs)
    layer = layer.sort_values("region_code", kind="stable").reset_index(drop=True)
    layer.attrs.update(regions.attrs, harmonized=notes)
    return layer, merged, notes


def _aggregate(frame: pd.DataFrame, report: pd.DataFrame, merged: dict[str, str], keys: list[str], table: str) -> pd.DataFrame:
    """Add up the rows that fall in a harmonised unit; mark their report rows ``aggregated``."""
    if not merged:
        return frame
    target = frame["_cover"].map(lambda cover: merged.get(cover[0]))
    inside = target.notna()
    out = frame[~inside].copy()
    rows = []
    members_of = {}
    for member, code in merged.items():
        members_of.setdefault(code, set()).add(member)
    for (code, *key), part in frame[inside].assign(region_code=target[inside]).groupby(["region_code", *keys], sort=True):
        covered, districts = _covered(part)
        if len(covered) != len(set(covered)):
            twice = sorted({c for c in covered if covered.count(c) > 1})
            raise InputError(
                f"{report['file'].iloc[0]}, lines {', '.join(map(str, part['line']))}: these rows all cover unit(s) "
                f"{', '.join(twice)} ({', '.join(f'{k} {v}' for k, v in zip(keys, key))}); adding them up would count the "
                "same area twice — keep either the whole or its parts"
            )
        row = part.iloc[0].copy()
        row["region_code"] = code
        complete = set(covered) == members_of[code] and not districts.get("missing")
        for column in _counts(part, table):
            values = part[column]
            row[column] = values.sum() if complete and values.notna().all() else pd.NA
        for column in [c for c in part.columns if "_rse" in c]:
            row[column] = pd.NA  # the RSE of a sum is not known
        row["_cover"] = tuple(sorted(members_of[code]))
        rows.append(row)
        lacking = sorted(members_of[code] - set(covered)) + districts.get("missing", [])
        note = f"aggregated into {code}" + (f"; no data for part(s) {', '.join(lacking)}, so the sum is missing" if lacking else "")
        report.loc[part.index, "status"] = "aggregated"
        report.loc[part.index, "region_code"] = code
        report.loc[part.index, "reason"] = [f"{r}; {note}" if isinstance(r, str) and r else note for r in report.loc[part.index, "reason"]]
    if rows:
        out = pd.concat([out, pd.DataFrame(rows)], ignore_index=True)
    for column in _counts(out, table):
        out[column] = out[column].astype("Int64")
    out["region_code"] = out["region_code"].astype(str)
    return out


def _counts(frame: pd.DataFrame, table: str) -> list[str]:
    return [c for c in COUNT_COLUMNS[table] if c in frame.columns]


def _covered(part: pd.DataFrame) -> tuple[list[str], dict[str, list[str]]]:
    """Layer units covered by the rows of one harmonised unit; parts count as one share of their union.

    Rows naming parts of a union of layer units (the new districts of a merged city, 청주시 상당구 ...
    청원구 from 2014; the gu of a city the layer has whole, 부천시 원미구 from 2024; units reorganised
    out of several, 제물포구 and 영종구 from 2026) together cover the union once; each part must appear
    once, and the sum is complete when all do.
    """
    by_part = part["_district"].notna() if "_district" in part else pd.Series(False, index=part.index)
    covered = [c for cover in part.loc[~by_part, "_cover"] for c in cover]
    if not by_part.any():
        return covered, {}
    named = part.loc[by_part, "_district"].tolist()
    if len(named) != len(set(named)):
        covered += ["part " + d for d in named]  # reported as counted twice
    covered += list(part.loc[by_part, "_cover"].iloc[0])
    siblings = str(part.loc[by_part, "_siblings"].iloc[0] or "").split(";")
    return covered, {"missing": [d for d in siblings if d and d not in named]}


def _check_one_row_per_unit(joined: pd.DataFrame, keys: list[str], file: str) -> None:
    """Two spellings of one region (``강남구``, ``서울 강남구``) must not both reach the same unit."""
    dup = joined[joined.duplicated(["region_code", *keys], keep=False)]
    if len(dup):
        first = dup.iloc[0]
        lines = ", ".join(str(v) for v in dup["line"].head(6))
        raise InputError(f"{file}, lines {lines}: these rows all match region {first['region_code']} for "
                         f"{', '.join(f'{k} {first[k]}' for k in keys)}; keep one row per region")
