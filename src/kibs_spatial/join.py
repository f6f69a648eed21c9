"""Joining the sector and totals tables to the region polygons, with a report on every input row.

Rows are matched by ``region_code`` (in the code system of the boundaries) or, when the table has
only ``region_name``, by the region's full name (``서울특별시 강남구``), English name or — when it is
unique — its short name. Each input row ends up in the join report as ``matched`` (with the
region it joined) or ``rejected`` (with the reason); unmatched rows stop the run unless the caller
allows them, and regions that received no data are listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from .errors import InputError
from .sector_data import SectorTable, check_against_totals

REPORT_COLUMNS = ["table", "file", "line", "given_region", "year", "ksic", "status", "region_code", "reason"]


@dataclass(frozen=True)
class JoinReport:
    """One row per input row of both tables, plus the regions that received no data."""

    rows: pd.DataFrame
    regions_without_data: list[str]
    missing_cells: int  # matched sector rows whose employees are missing (suppressed)

    @property
    def matched(self) -> int:
        return int((self.rows["status"] == "matched").sum())

    @property
    def rejected(self) -> int:
        return int((self.rows["status"] == "rejected").sum())

    def to_text(self) -> str:
        lines = [f"join: {len(self.rows)} input rows, {self.matched} matched, {self.rejected} rejected"]
        for _, row in self.rows[self.rows["status"] == "rejected"].head(10).iterrows():
            lines.append(f"  rejected {row['file']} line {row['line']}: {row['reason']}")
        if self.missing_cells:
            lines.append(f"  {self.missing_cells} matched rows have missing employees (kept as missing, not zero)")
        if self.regions_without_data:
            lines.append(f"  {len(self.regions_without_data)} regions received no data: {', '.join(self.regions_without_data[:10])}")
        return "\n".join(lines)


@dataclass(frozen=True)
class JoinedData:
    sectors: pd.DataFrame  # matched rows, region_code in the boundaries' system
    totals: pd.DataFrame
    report: JoinReport


def join_to_regions(table: SectorTable, regions: gpd.GeoDataFrame, *, allow_unmatched: bool = False) -> JoinedData:
    """Match both tables to ``regions``; raise ``InputError`` on rejected rows unless allowed."""
    lookup = _region_lookup(regions)
    sectors, sector_report = _match(table.sectors, lookup, "sectors", table.sectors_path.name)
    totals, total_report = _match(table.totals, lookup, "totals", table.totals_path.name)
    check_against_totals(sectors, totals, table.sectors_path, table.totals_path)
    rows = pd.concat([sector_report, total_report], ignore_index=True)[REPORT_COLUMNS]
    codes = regions["region_code"].astype(str)
    without = sorted(set(codes) - set(sectors["region_code"]))
    report = JoinReport(rows, without, int(sectors["employees"].isna().sum()))
    if report.rejected and not allow_unmatched:
        first = rows[rows["status"] == "rejected"].iloc[0]
        raise InputError(
            f"{first['file']}, line {first['line']}: {first['reason']} ({report.rejected} row(s) rejected in all). "
            "Fix the region codes or names, or run with allow_unmatched = true (--allow-unmatched) to continue; "
            "rejected rows are listed in the join report"
        )
    return JoinedData(sectors, totals, report)


def _region_lookup(regions: gpd.GeoDataFrame) -> dict[str, dict[str, str]]:
    codes = regions["region_code"].astype(str)
    by_name: dict[str, str] = {}
    for column in ("full_name_ko", "name_en"):
        if column in regions.columns:
            by_name.update({_key(n): c for n, c in zip(regions[column], codes)})
    if "name_ko" in regions.columns:
        counts = regions["name_ko"].value_counts()
        by_name.update({_key(n): c for n, c in zip(regions["name_ko"], codes) if counts[n] == 1 and _key(n) not in by_name})
    return {"code": {c: c for c in codes}, "name": by_name}


def _key(name: object) -> str:
    return "".join(str(name).split()).lower()


def _match(frame: pd.DataFrame, lookup: dict[str, dict[str, str]], table: str, file: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    if "region_code" in frame.columns:
        given = frame["region_code"].astype("string")
        matched = given.map(lookup["code"])
        reason = "region code {} is not a unit of the boundaries (check the code system: the bundled layer uses MOIS legal codes, e.g. 11680 for 강남구)"
    else:
        given = frame["region_name"].astype("string")
        matched = given.map(lambda n: lookup["name"].get(_key(n)) if pd.notna(n) else None)
        reason = "region name {} matches no unit of the boundaries (or matches several)"
    ok = matched.notna()
    report = pd.DataFrame({
        "table": table, "file": file, "line": frame["line"], "given_region": given,
        "year": frame["year"], "ksic": frame["ksic"] if "ksic" in frame.columns else pd.NA,
        "status": ok.map({True: "matched", False: "rejected"}), "region_code": matched,
        "reason": [None if m else reason.format(repr(g)) for g, m in zip(given, ok)],
    })
    joined = frame[ok].copy()
    joined["region_code"] = matched[ok].astype(str)
    return joined, report
