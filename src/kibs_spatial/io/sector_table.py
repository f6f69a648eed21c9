"""Reading and checking the tidy sector table and the table of total employment.

Tidy sector table, one row per region, period and industry (CSV in UTF-8 or CP949, or Parquet):

=====================  ======================================================================
``region_code``        region code (MOIS or KOSTAT, text), or ``region_name``
``period``             the period as the data label it (``2022``, ``2024.1/2``), or ``year``
``ksic``               industry code: KSIC of any level (``J``, ``58``, ``732``, ``71531``) or a
                       KOSIS letter group (``D+H+J+K``); ``industry`` may hold its label
``employees``          number of employees (>= 0; empty = missing, e.g. suppressed)
``establishments``     optional: number of establishments (>= 0; empty = missing)
``employees_rse``      optional: relative standard error of ``employees`` in percent (survey data)
``employees_rse_high`` optional: true where the source flags the RSE as high (KOSIS ``*``)
``source_unit``        optional: the unit the source gave before conversion (``천명``)
=====================  ======================================================================

Totals table: the region column, ``period`` (or ``year``), ``total_employees`` (all industries),
optionally ``total_establishments`` (for the establishment LQ), ``total_employees_rse``,
``total_employees_rse_high`` and ``source_unit``.

Every problem raises :class:`~kibs_spatial.errors.InputError` naming the file, the line and the
column. Line numbers count the header as line 1, as a spreadsheet does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.periods import parse_period
from ..errors import InputError

REGION_COLUMNS = ("region_code", "region_name")
PERIOD_COLUMNS = ("period", "year")
SECTOR_COUNTS = ("employees", "establishments")
TOTAL_COUNTS = ("total_employees", "total_establishments")


@dataclass(frozen=True)
class SectorTable:
    """The checked sector and totals tables; ``line`` columns keep each row's line in its file.

    Both tables have a text ``period`` column; ``industries`` lists the sector table's industry
    codes with their labels (``ksic``, ``industry``) in order of appearance; ``units`` maps a count
    column to the unit its source gave (``{"employees": "천명"}``) when it was converted.
    """

    sectors: pd.DataFrame
    totals: pd.DataFrame
    sectors_path: Path
    totals_path: Path
    industries: pd.DataFrame
    units: dict[str, str]

    @property
    def has_establishments(self) -> bool:
        return "establishments" in self.sectors.columns


def read_sector_table(sectors_path: str | Path, totals_path: str | Path) -> SectorTable:
    """Read and check each table.

    The checks across the two tables need the rows matched to regions first: see
    :func:`check_against_totals`, which the join calls.
    """
    sectors_path, totals_path = Path(sectors_path), Path(totals_path)
    sectors = _check_counts(_read_table(sectors_path, ("ksic", "employees")), sectors_path, SECTOR_COUNTS)
    totals = _check_counts(_read_table(totals_path, ("total_employees",)), totals_path, TOTAL_COUNTS)
    _check_duplicates(sectors, sectors_path, ["period", "ksic"])
    _check_duplicates(totals, totals_path, ["period"])
    labels = sectors["industry"] if "industry" in sectors.columns else sectors["ksic"]
    industries = (pd.DataFrame({"ksic": sectors["ksic"], "industry": labels.fillna("").astype(str)})
                  .drop_duplicates("ksic").reset_index(drop=True))
    units = {column: _unit(frame) for column, frame in (("employees", sectors), ("total_employees", totals))
             if _unit(frame)}
    return SectorTable(sectors, totals, sectors_path, totals_path, industries, units)


def select_periods(table: SectorTable, periods: list[str] | None) -> SectorTable:
    """Only the rows of ``periods`` (labels); every asked period must be in both tables."""
    if periods is None:
        return table
    for frame, path in ((table.sectors, table.sectors_path), (table.totals, table.totals_path)):
        present = list(dict.fromkeys(frame["period"]))
        missing = [p for p in periods if p not in present]
        if missing:
            raise InputError(f"{path}, column period: no rows for period(s) {', '.join(missing)} asked for; the file "
                             f"has {', '.join(present)} — change 'periods' in the config or supply the data")
    keep = (lambda frame: frame[frame["period"].isin(periods)].reset_index(drop=True))
    return SectorTable(keep(table.sectors), keep(table.totals), table.sectors_path, table.totals_path,
                       table.industries[table.industries["ksic"].isin(set(keep(table.sectors)["ksic"]))],
                       table.units)


def _read_table(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    if not path.exists():
        raise InputError(f"{path}: file not found; check the path in the config or on the command line")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a table; name the CSV or Parquet file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")
    text_columns = {c: str for c in (*REGION_COLUMNS, *PERIOD_COLUMNS, "ksic", "industry", "source_unit")}
    try:
        frame = _read_parquet(path) if path.suffix.lower() == ".parquet" else _read_csv(path, text_columns)
    except OSError as error:
        raise InputError(f"{path}: cannot read the file ({error.strerror or error}); check that it is readable") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; the file has {', '.join(frame.columns)}")
    if not any(c in frame.columns for c in REGION_COLUMNS):
        raise InputError(f"{path}: no region column; add 'region_code' (or 'region_name') — the file has {', '.join(frame.columns)}")
    if not any(c in frame.columns for c in PERIOD_COLUMNS):
        raise InputError(f"{path}: no period column; add 'period' (2022, 2024.1/2 …) or 'year' — the file has "
                         f"{', '.join(frame.columns)}")
    if frame.empty:
        raise InputError(f"{path}: the file has a header but no rows")
    for column in [c for c in text_columns if c in frame.columns]:
        frame[column] = frame[column].astype("string").str.strip().str.lstrip("'")
    frame.insert(0, "line", np.arange(2, len(frame) + 2))
    frame["period"] = _periods(frame, path)
    return frame.drop(columns="year", errors="ignore")


SIGNATURES = {b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip archive",
              b"\xd0\xcf\x11\xe0": "an Excel 97-2003 workbook (.xls)", b"PAR1": "a Parquet file"}
"""First bytes of files that are not CSV text, and what they are."""
MAX_COUNT = 2**53
"""Counts above this cannot be held exactly (and are not counts of people or establishments)."""


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except ImportError:
        raise InputError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow); or save the table as CSV") from None
    except Exception as error:  # noqa: BLE001 - pyarrow raises many types for a damaged file
        raise InputError(f"{path}: cannot read the Parquet file ({type(error).__name__}: {error}); export it again or "
                         "save the table as CSV") from None


def _read_csv(path: Path, dtypes: dict) -> pd.DataFrame:
    with path.open("rb") as file:
        head = file.read(4)
    kind = next((what for signature, what in SIGNATURES.items() if head.startswith(signature)), None)
    if kind == "a Parquet file":
        raise InputError(f"{path}: is a Parquet file, not CSV text; name it .parquet")
    if kind:
        raise InputError(f"{path}: is {kind}, not CSV text; save it as CSV (UTF-8), or turn a KOSIS download into "
                         "the tidy tables with kibs-spatial ingest kosis")
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return pd.read_csv(path, dtype=dtypes, encoding=encoding, keep_default_na=False, na_values=[""])
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise InputError(f"{path}: the file is empty") from None
        except pd.errors.ParserError as error:
            raise InputError(f"{path}: not a readable CSV table ({str(error).strip()}); every line needs as many "
                             "comma-separated cells as the header — quote cells that contain commas") from None
    raise InputError(f"{path}: cannot decode the file as UTF-8 or CP949 (EUC-KR); save it in one of these encodings")


def _periods(frame: pd.DataFrame, path: Path) -> pd.Series:
    column = "period" if "period" in frame.columns else "year"
    labels = frame[column].astype("string").str.replace(r"\.0$", "", regex=True)
    bad = labels.isna() | ~labels.fillna("").map(lambda v: parse_period(v) is not None).astype(bool)
    if bad.any():
        row = frame[bad].iloc[0]
        raise InputError(f"{path}, line {row['line']}, column {column}: {str(labels[bad].iloc[0])!r} is not a period "
                         f"({int(bad.sum())} such row(s)); give a year (2022), a half-year (2024.1/2), a quarter "
                         "(2024 2/4) or a month (2023.03)")
    return labels.astype(str)


def _check_counts(frame: pd.DataFrame, path: Path, counts: tuple[str, ...]) -> pd.DataFrame:
    frame = frame.copy()
    for column in [c for c in counts if c in frame.columns]:
        frame[column] = _numbers(frame, column, path, whole=True)
    for column in [c for c in frame.columns if c.endswith("_rse")]:
        frame[column] = _numbers(frame, column, path, whole=False)
    for column in [c for c in frame.columns if c.endswith("_rse_high")]:
        frame[column] = _flags(frame, column, path)
    return frame


def _numbers(frame: pd.DataFrame, column: str, path: Path, *, whole: bool) -> pd.Series:
    raw = frame[column]
    text = raw.astype("string").str.replace(",", "", regex=False).str.strip()
    values = pd.to_numeric(text, errors="coerce")
    checks = ((values.isna() & text.notna() & (text != ""), "is not a number"),
              (values.isin([np.inf, -np.inf]), "is not a finite number"),
              (values < 0, "is negative"),
              (values.notna() & np.isfinite(values) & (values > MAX_COUNT), f"is too large (above {MAX_COUNT:.3g})"))
    if whole:
        checks += ((values.notna() & np.isfinite(values) & (values != values.round()), "is not a whole number"),)
    for mask, problem in checks:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            row = frame[mask].iloc[0]
            raise InputError(
                f"{path}, line {row['line']}, column {column}: value {str(raw[mask].iloc[0])!r} {problem} "
                f"({int(mask.sum())} such row(s)); {'counts must be whole numbers >= 0' if whole else 'give a number >= 0'}"
                ", empty for missing"
            )
    return values.astype("Int64" if whole else "Float64")


def _flags(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    text = frame[column].astype("string").str.strip().str.lower()
    values = text.map({"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False})
    bad = text.notna() & (text != "") & values.isna()
    if bad.any():
        row = frame[bad].iloc[0]
        raise InputError(f"{path}, line {row['line']}, column {column}: {frame[column][bad].iloc[0]!r} is not true or false")
    return values.astype("boolean")


def _unit(frame: pd.DataFrame) -> str:
    if "source_unit" not in frame.columns:
        return ""
    units = sorted(set(frame["source_unit"].dropna()))
    return ", ".join(units)


def _check_duplicates(frame: pd.DataFrame, path: Path, keys: list[str]) -> None:
    region = next(c for c in REGION_COLUMNS if c in frame.columns)
    dup = frame[frame.duplicated([region, *keys], keep=False)]
    if len(dup):
        first = dup.iloc[0]
        same = dup[(dup[[region, *keys]] == first[[region, *keys]]).all(axis=1)]
        lines = ", ".join(str(v) for v in same["line"].head(6))
        what = ", ".join(f"{k} {first[k]}" for k in [region, *keys])
        raise InputError(f"{path}, lines {lines}: the same {what} appears more than once; keep one row per combination")


def check_against_totals(sectors: pd.DataFrame, totals: pd.DataFrame, sectors_path: Path, totals_path: Path) -> None:
    """Every industry row must have a positive total and must not exceed it (rows matched on region_code)."""
    region = "region_code"
    merged = sectors.merge(totals[[region, "period", "total_employees", "line"]], on=[region, "period"], how="left",
                           suffixes=("", "_total"))
    has_work = merged["employees"].fillna(0) > 0
    no_total = has_work & (merged["total_employees"].isna() | (merged["total_employees"] == 0))
    if no_total.any():
        row = merged[no_total].iloc[0]
        raise InputError(
            f"{totals_path}, column total_employees: region {row[region]} in {row['period']} has sector employment "
            f"({sectors_path.name}, line {row['line']}) but its total employment is missing or zero; add the total"
        )
    above = merged[has_work & (merged["employees"] > merged["total_employees"])]
    if len(above):
        row = above.iloc[0]
        raise InputError(
            f"{sectors_path}, line {row['line']}, column employees: {row['employees']} employees in industry {row['ksic']} "
            f"exceed region {row[region]}'s total employment {row['total_employees']} in {row['period']} ({totals_path.name})"
        )
