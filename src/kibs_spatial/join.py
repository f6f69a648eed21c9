"""Joining the sector and totals tables to the region polygons, with a report on every input row.

Rows are matched by ``region_code`` or ``region_name`` with :func:`region_matching.match_regions`
(codes in the MOIS system of the boundaries, newer codes through the crosswalk of renames and
recodes; names with or without their province, ambiguous names only with their province). Each input row ends up in the join report as ``matched`` (with the
region it joined) or ``rejected`` (with the reason); unmatched rows stop the run unless the caller
allows them, and regions that received no data are listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from .errors import InputError
from .region_matching import match_regions
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
    sectors, sector_report = _match(table.sectors, regions, "sectors", table.sectors_path.name)
    totals, total_report = _match(table.totals, regions, "totals", table.totals_path.name)
    _check_one_row_per_unit(sectors, ["year", "ksic"], table.sectors_path.name)
    _check_one_row_per_unit(totals, ["year"], table.totals_path.name)
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


def _match(frame: pd.DataFrame, regions: gpd.GeoDataFrame, table: str, file: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    column = "region_code" if "region_code" in frame.columns else "region_name"
    given = frame[column].astype("string")
    result = match_regions(given, regions).rows
    ok = result["status"] == "matched"
    extra = result["candidates"].fillna(result["aggregate_codes"])
    reason = result["reason"].where(extra.isna(), result["reason"] + " [" + extra.fillna("") + "]")
    report = pd.DataFrame({
        "table": table, "file": file, "line": frame["line"], "given_region": given,
        "year": frame["year"], "ksic": frame["ksic"] if "ksic" in frame.columns else pd.NA,
        "status": result["status"], "region_code": result["region_code"], "reason": reason,
    })
    joined = frame[ok].copy()
    joined["region_code"] = result.loc[ok, "region_code"].astype(str)
    return joined, report


def _check_one_row_per_unit(joined: pd.DataFrame, keys: list[str], file: str) -> None:
    """Two spellings of one region (``강남구``, ``서울 강남구``) must not both reach the same unit."""
    dup = joined[joined.duplicated(["region_code", *keys], keep=False)]
    if len(dup):
        first = dup.iloc[0]
        lines = ", ".join(str(v) for v in dup["line"].head(6))
        raise InputError(f"{file}, lines {lines}: these rows all match region {first['region_code']} for "
                         f"{', '.join(f'{k} {first[k]}' for k in keys)}; keep one row per region")
