"""Reading and checking the tidy sector table and the table of total employment.

Tidy sector table, one row per region, year and sector (CSV in UTF-8 or CP949, or Parquet):

=================  =========================================================================
``region_code``    region code in the boundaries' code system (text), or ``region_name``
``year``           integer year
``ksic``           KSIC code of a KIBS sector (text, e.g. ``732``)
``employees``      number of employees (integer >= 0; empty = missing, e.g. suppressed)
``establishments`` number of establishments (integer >= 0; empty = missing)
=================  =========================================================================

Totals table: ``region_code`` (or ``region_name``), ``year``, ``total_employees`` (all industries),
optionally ``total_establishments`` (all industries; needed for the establishment LQ).

Every problem raises :class:`~kibs_spatial.errors.InputError` naming the file, the line and the
column. Line numbers count the header as line 1, as a spreadsheet does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.sectors import SECTORS_BY_CODE
from ..errors import InputError

REGION_COLUMNS = ("region_code", "region_name")
SECTOR_COLUMNS = ("year", "ksic", "employees", "establishments")
TOTAL_COLUMNS = ("year", "total_employees")


@dataclass(frozen=True)
class SectorTable:
    """The checked sector and totals tables; ``line`` columns keep each row's line in its file."""

    sectors: pd.DataFrame
    totals: pd.DataFrame
    sectors_path: Path
    totals_path: Path


def read_sector_table(sectors_path: str | Path, totals_path: str | Path, years: tuple[int, ...] | None = None) -> SectorTable:
    """Read and check each table; ``years`` (if given) must all be present.

    The checks across the two tables need the rows matched to regions first: see
    :func:`check_against_totals`, which the join calls.
    """
    sectors_path, totals_path = Path(sectors_path), Path(totals_path)
    sectors = _read_table(sectors_path, SECTOR_COLUMNS)
    totals = _read_table(totals_path, TOTAL_COLUMNS)
    sectors = _check_sectors(sectors, sectors_path)
    totals = _check_totals(totals, totals_path)
    if years is not None:
        _check_years(sectors, sectors_path, years)
        _check_years(totals, totals_path, years)
    return SectorTable(sectors, totals, sectors_path, totals_path)


def _read_table(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    if not path.exists():
        raise InputError(f"{path}: file not found; check the path in the config or on the command line")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")
    text_columns = {c: str for c in REGION_COLUMNS + ("ksic",)}
    if path.suffix.lower() == ".parquet":
        frame = pd.read_parquet(path)
    else:
        frame = _read_csv(path, text_columns)
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; the file has {', '.join(frame.columns)}")
    if not any(c in frame.columns for c in REGION_COLUMNS):
        raise InputError(f"{path}: no region column; add 'region_code' (or 'region_name') — the file has {', '.join(frame.columns)}")
    if frame.empty:
        raise InputError(f"{path}: the file has a header but no rows")
    for column in [c for c in text_columns if c in frame.columns]:
        frame[column] = frame[column].astype("string").str.strip().str.lstrip("'")
    frame.insert(0, "line", np.arange(2, len(frame) + 2))
    return frame


def _read_csv(path: Path, dtypes: dict) -> pd.DataFrame:
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return pd.read_csv(path, dtype=dtypes, encoding=encoding, keep_default_na=False, na_values=[""])
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise InputError(f"{path}: the file is empty") from None
    raise InputError(f"{path}: cannot decode the file as UTF-8 or CP949 (EUC-KR); save it in one of these encodings")


def _check_sectors(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    frame = frame.copy()
    frame["year"] = _integers(frame, "year", path, allow_missing=False)
    for column in ("employees", "establishments"):
        frame[column] = _integers(frame, column, path, allow_missing=True)
    unknown = frame[~frame["ksic"].isin(list(SECTORS_BY_CODE))]
    if len(unknown):
        row = unknown.iloc[0]
        raise InputError(
            f"{path}, line {row['line']}, column ksic: unknown KSIC code {row['ksic']!r} "
            f"({len(unknown)} such row(s)); KIBS codes are {', '.join(SECTORS_BY_CODE)}"
        )
    _check_duplicates(frame, path, ["year", "ksic"])
    return frame


def _check_totals(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    frame = frame.copy()
    frame["year"] = _integers(frame, "year", path, allow_missing=False)
    frame["total_employees"] = _integers(frame, "total_employees", path, allow_missing=True)
    if "total_establishments" in frame.columns:
        frame["total_establishments"] = _integers(frame, "total_establishments", path, allow_missing=True)
    _check_duplicates(frame, path, ["year"])
    return frame


def _integers(frame: pd.DataFrame, column: str, path: Path, *, allow_missing: bool) -> pd.Series:
    raw = frame[column]
    text = raw.astype("string").str.replace(",", "", regex=False).str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & text.notna() & (text != "")
    if not allow_missing:
        bad |= values.isna()
    negative = values < 0
    fractional = (values.notna()) & (values != values.round())
    for mask, problem in ((bad, "is not a number"), (negative, "is negative"), (fractional, "is not a whole number")):
        if mask.any():
            row = frame[mask.fillna(False)].iloc[0]
            raise InputError(
                f"{path}, line {row['line']}, column {column}: value {str(raw[mask.fillna(False)].iloc[0])!r} {problem} "
                f"({int(mask.sum())} such row(s)); counts must be whole numbers >= 0, empty for missing"
            )
    return values.astype("Int64")


def _check_duplicates(frame: pd.DataFrame, path: Path, keys: list[str]) -> None:
    region = next(c for c in REGION_COLUMNS if c in frame.columns)
    dup = frame[frame.duplicated([region, *keys], keep=False)]
    if len(dup):
        first = dup.iloc[0]
        lines = ", ".join(str(v) for v in dup["line"].head(6))
        what = ", ".join(f"{k} {first[k]}" for k in [region, *keys])
        raise InputError(f"{path}, lines {lines}: the same {what} appears more than once; keep one row per combination")


def _check_years(frame: pd.DataFrame, path: Path, years: tuple[int, ...]) -> None:
    present = set(frame["year"].dropna().astype(int))
    missing = [y for y in years if y not in present]
    if missing:
        raise InputError(
            f"{path}, column year: no rows for year(s) {', '.join(map(str, missing))} asked for; "
            f"the file has {', '.join(map(str, sorted(present)))} — change 'years' in the config or supply the data"
        )


def check_against_totals(sectors: pd.DataFrame, totals: pd.DataFrame, sectors_path: Path, totals_path: Path) -> None:
    """Sector employment must have a positive total and must not exceed it (rows matched on region_code)."""
    region = "region_code"
    merged = sectors.merge(totals[[region, "year", "total_employees", "line"]], on=[region, "year"], how="left", suffixes=("", "_total"))
    has_work = merged["employees"].fillna(0) > 0
    no_total = has_work & (merged["total_employees"].isna() | (merged["total_employees"] == 0))
    if no_total.any():
        row = merged[no_total].iloc[0]
        raise InputError(
            f"{totals_path}, column total_employees: region {row[region]} in {int(row['year'])} has sector employment "
            f"({sectors_path.name}, line {row['line']}) but its total employment is missing or zero; add the total"
        )
    regional = merged.groupby([region, "year"], dropna=False).agg(kibs=("employees", "sum"), total=("total_employees", "first"))
    above = merged[has_work & (merged["employees"] > merged["total_employees"])]
    if len(above):
        row = above.iloc[0]
        raise InputError(
            f"{sectors_path}, line {row['line']}, column employees: {row['employees']} employees in sector {row['ksic']} "
            f"exceed region {row[region]}'s total employment {row['total_employees']} in {int(row['year'])} ({totals_path.name})"
        )
    over = regional[regional["kibs"] > regional["total"]]
    if len(over):
        (key, year), row = next(iter(over.iterrows()))
        raise InputError(
            f"{sectors_path}: the KIBS sectors of region {key} in {year} add up to {row['kibs']} employees, "
            f"more than its total employment {row['total']} in {totals_path.name}"
        )
