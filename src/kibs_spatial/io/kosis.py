"""Read KOSIS (Korean Statistical Information Service) downloads into the tidy sector tables.

Accepted as users get them: CSV in CP949 (EUC-KR) or UTF-8 (with or without BOM) and XLSX; one
header row or two (periods above items such as ``사업체수``/``종사자수``, so one period owns several
columns); wide (periods across) or long (a ``시점`` column); regions as names (``서울특별시 강남구``,
``서울 강남구``, ``고양시``, or units listed under their province's row) or a code column
(``C행정구역별``, ``'11680``); industries with the code in the label (``전문 디자인업(732)``) or a
code column. Suppression markers (``-``, ``X``, ``x``, ``…``, ``*``) become missing values, never
zero; a unit of thousands stated in a header or unit column (``천명``) is multiplied out.

Rows of the all-industry total go to ``totals``; KIBS rows to ``sectors``; everything else that is
left out (other industries, national and province rows, suppressed cells, ignored item columns
such as RSE) is counted in ``notes``.

Examples
--------
>>> table = read_kosis("kosis_download.csv")                      # doctest: +SKIP
>>> print("\\n".join(table.notes))                                 # doctest: +SKIP
>>> write_tidy(table, "sectors.csv", "totals.csv")                 # doctest: +SKIP
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..files import write_csv
from .kosis_cells import (
    industry_code,
    measure_of,
    parse_value,
    period_year,
    unit_multiplier,
)
from .region_names import (
    NATIONAL_NAMES,
    clean_code,
    compact,
    normalise,
    province_name,
    split_province,
)

PERIOD_NAMES = ("시점", "시점별", "연도", "연도별", "년도", "기간", "year", "period")
REGION_WORDS = ("행정구역", "지역", "시군구", "시도", "region", "소재지")
INDUSTRY_WORDS = ("산업", "업종", "ksic", "industry")


@dataclass
class KosisTable:
    """Tidy tables read from one KOSIS file, and notes on everything changed or left out."""

    sectors: pd.DataFrame
    totals: pd.DataFrame
    notes: list[str] = field(default_factory=list)


@dataclass
class _Layout:
    header_rows: int
    labels: list[str]
    roles: dict[str, int]  # region, region_code, industry, industry_code, period, item, unit -> column
    values: dict[int, tuple[str | None, str]]  # column -> (period label or None, item label)


def read_kosis(path: str | Path, *, encoding: str | None = None) -> KosisTable:
    """Read a KOSIS CSV or XLSX download.

    Parameters
    ----------
    path : str or Path
        The downloaded file (``.csv``, ``.txt``, ``.xlsx``).
    encoding : str, optional
        Text encoding of a CSV; tried in the order UTF-8 (with or without BOM), CP949 when omitted.

    Returns
    -------
    KosisTable
        ``sectors`` (``region_name`` or ``region_code``, ``year``, ``ksic``, ``employees``,
        ``establishments``), ``totals`` (region, ``year``, ``total_employees``, and
        ``total_establishments`` when the file has them) and ``notes``.

    Raises
    ------
    InputError
        Missing, empty or undecodable file; no region, industry or employees column; negative or
        non-numeric values (with file, line and column).
    """
    path = Path(path)
    grid = _read_grid(path, encoding)
    layout = _detect_layout(grid, path)
    notes = [f"{path.name}: {layout.header_rows} header row(s), "
             f"{'long (period column)' if 'period' in layout.roles else 'wide (periods across)'} layout"]
    records = _records(grid, layout, path, notes)
    return _tables(records, layout, path, notes)


def write_tidy(table: KosisTable, sectors_path: str | Path, totals_path: str | Path) -> None:
    """Write both tables as UTF-8 CSV (with BOM, so spreadsheets show Korean names correctly)."""
    write_csv(sectors_path, table.sectors)
    write_csv(totals_path, table.totals)


def _read_grid(path: Path, encoding: str | None) -> pd.DataFrame:
    if not path.exists():
        raise InputError(f"{path}: file not found; check the path")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        try:
            grid = pd.read_excel(path, header=None, dtype=str)
        except ImportError as error:
            raise InputError(f"{path}: reading Excel files needs openpyxl (pip install openpyxl), or save as CSV") from error
    else:
        try:
            grid = pd.read_csv(StringIO(_decode(path, encoding)), header=None, dtype=str,
                               keep_default_na=False, skip_blank_lines=False)
        except pd.errors.ParserError as error:
            raise InputError(f"{path}: not a readable CSV table ({error}); quote cells that contain commas") from None
    grid = grid.fillna("").astype(str).apply(lambda column: column.str.strip())
    grid = grid[(grid != "").any(axis=1)]
    if grid.empty:
        raise InputError(f"{path}: the file has no cells")
    return grid


def _decode(path: Path, encoding: str | None) -> str:
    raw = path.read_bytes()
    for candidate in [encoding] if encoding else ["utf-8-sig", "cp949"]:
        try:
            return raw.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    tried = encoding or "UTF-8 and CP949 (EUC-KR)"
    raise InputError(f"{path}: cannot decode the file as {tried}; save it as UTF-8 or CP949, or pass the encoding")


def _detect_layout(grid: pd.DataFrame, path: Path) -> _Layout:
    top = list(grid.iloc[0])
    second = list(grid.iloc[1]) if len(grid) > 1 else [""] * len(top)
    two = any((measure_of(s) or "RSE" in s) and period_year(t) for t, s in zip(_fill_right(top), second))
    if two:
        top = _fill_right(top)
    labels = [f"{t} {s}".strip() if two else t for t, s in zip(top, second if two else [""] * len(top))]
    roles: dict[str, int] = {}
    values: dict[int, tuple[str | None, str]] = {}
    for j, (t, s) in enumerate(zip(top, second if two else [""] * len(top))):
        low = t.lower().replace(" ", "")
        coded = t.startswith("C") and len(t) > 1 and not t[1].isdigit()
        if period_year(t):
            values[j] = (t, s)
        elif low in PERIOD_NAMES:
            roles.setdefault("period", j)
        elif any(w in low for w in REGION_WORDS):
            roles.setdefault("region_code" if coded or "코드" in low else "region", j)
        elif any(w in low for w in INDUSTRY_WORDS):
            roles.setdefault("industry_code" if coded or "코드" in low else "industry", j)
        elif low in ("항목", "항목별", "item"):
            roles.setdefault("item", j)
        elif low in ("단위", "unit"):
            roles.setdefault("unit", j)
        else:
            values[j] = (None, t)
    if "region" not in roles and "region_code" not in roles:
        raise InputError(f"{path}, line 1: no region column (a header such as 행정구역별, 시군구별 or C행정구역별); "
                         f"the header has {', '.join(labels)}")
    if "industry" not in roles and "industry_code" not in roles:
        raise InputError(f"{path}, line 1: no industry column (a header such as 산업분류별 or 산업별); "
                         f"the header has {', '.join(labels)}")
    values = {j: v for j, v in values.items() if v[0] is not None or "period" in roles}
    if "item" not in roles and not any(measure_of(item or "") == "employees" for _, item in values.values()):
        raise InputError(f"{path}, line 1: no employees column (종사자수 or 취업자); the header has {', '.join(labels)}")
    return _Layout(2 if two else 1, labels, roles, values)


def _fill_right(cells: list[str]) -> list[str]:
    """Period labels of merged header cells carried over to the empty cells on their right."""
    filled, last = [], ""
    for cell in cells:
        last = cell if cell else (last if period_year(last) else "")
        filled.append(last)
    return filled


def _records(grid: pd.DataFrame, layout: _Layout, path: Path, notes: list[str]) -> pd.DataFrame:
    roles, rows, counts = layout.roles, [], Counter()
    province = None
    for index, cells in grid.iloc[layout.header_rows:].iterrows():
        line = int(index) + 1
        name = normalise(cells.iloc[roles["region"]]) if "region" in roles else ""
        code = clean_code(cells.iloc[roles["region_code"]]) if "region_code" in roles else ""
        kind, region = _region_kind(name, code, province)
        if kind == "province":
            province = split_province(name)[0] if name else None
        if kind in ("national", "province"):
            counts[f"{kind} rows"] += 1
            continue
        if kind == "prefixed":
            counts["unit names completed with the province row above them"] += 1
        industry = cells.iloc[roles.get("industry_code", roles.get("industry"))]
        sector, ksic = industry_code(industry)
        if sector == "other":
            counts["non-KIBS industry rows"] += 1
            continue
        for j, (period, item) in layout.values.items():
            item = cells.iloc[roles["item"]] if "item" in roles else item
            measure = measure_of(item)
            if measure is None:
                counts[f"ignored cells of item {item!r}"] += 1
                continue
            period = cells.iloc[roles["period"]] if "period" in roles else period
            year = period_year(period)
            if year is None:
                raise InputError(f"{path}, line {line}, column {layout.labels[roles['period']]}: {period!r} is not a period")
            scale = unit_multiplier(f"{layout.labels[j]} {item} {cells.iloc[roles['unit']] if 'unit' in roles else ''}")
            value = _value(cells.iloc[j], scale, path, line, layout.labels[j], counts)
            rows.append((line, region or name, code, sector, ksic, year[0], year[1], measure, value))
            if scale != 1:
                counts["cells multiplied by 1000 (unit: thousands)"] += 1
    notes.extend(f"{n} {what}" for what, n in sorted(counts.items()))
    return pd.DataFrame(rows, columns=["line", "region_name", "region_code", "sector", "ksic", "year", "period", "measure", "value"])


def _region_kind(name: str, code: str, province: str | None) -> tuple[str, str]:
    """``(kind, completed name)``; kind is national, province, prefixed or unit."""
    if compact(name).lower() in NATIONAL_NAMES or (not name and code in ("0", "00", "000", "00000")):
        return "national", name
    sido, rest = split_province(name) if name else (None, "")
    if (name and sido and not rest and sido != "36") or (not name and len(code) == 2):
        return "province", name
    if name and sido is None and province is not None:
        return "prefixed", f"{province_name(province)} {name}"
    return "unit", name


def _value(cell: str, scale: int, path: Path, line: int, column: str, counts: Counter) -> float | None:
    value, kind = parse_value(cell)
    if kind == "bad":
        raise InputError(f"{path}, line {line}, column {column!r}: {cell!r} is not a number "
                         "(counts must be numbers >= 0; suppressed cells may be -, X, x, …, *)")
    if kind != "number":
        counts[f"{kind} cells kept as missing" + (f" ({cell!r})" if kind == "suppressed" else "")] += 1
        return None
    if value < 0:
        raise InputError(f"{path}, line {line}, column {column!r}: {cell!r} is negative; counts must be >= 0")
    value *= scale
    if value != round(value):
        if scale == 1:
            raise InputError(f"{path}, line {line}, column {column!r}: {cell!r} is not a whole number of people or establishments")
        value = round(value)
    return value


def _tables(records: pd.DataFrame, layout: _Layout, path: Path, notes: list[str]) -> KosisTable:
    by_code = "region" not in layout.roles
    region = "region_code" if by_code else "region_name"
    keys = [region, "sector", "ksic", "year", "measure"]
    records = _latest_periods(records, keys, notes)
    dup = records[records.duplicated(keys + ["period"], keep=False)]
    if len(dup):
        first = dup.iloc[0]
        raise InputError(f"{path}, lines {', '.join(map(str, dup['line'].head(4)))}: region {first[region]!r}, industry "
                         f"{first['ksic'] or 'total'}, period {first['period']} appears more than once")
    index = [region, "sector", "ksic", "year"]
    wide = records.set_index(index + ["measure"])["value"].unstack("measure")
    wide = wide.join(records.groupby(index)["line"].min()).sort_values(["line", "year"]).reset_index()
    for measure in ("employees", "establishments"):
        if measure not in wide:
            wide[measure] = pd.NA
            notes.append(f"the file has no {measure} values; the column is left empty")
        wide[measure] = wide[measure].astype("Float64").round().astype("Int64")
    sectors = wide[wide["sector"] == "kibs"][[region, "year", "ksic", "employees", "establishments"]]
    totals = wide[wide["sector"] == "total"].rename(columns={"employees": "total_employees", "establishments": "total_establishments"})
    total_columns = ["total_employees"] + (["total_establishments"] if totals["total_establishments"].notna().any() else [])
    totals = totals[[region, "year", *total_columns]]
    if not by_code and "region_code" in layout.roles:
        notes.append("the file also has region codes; names are used (KOSIS codes are often KOSTAT statistical codes)")
    if totals.empty:
        notes.append("no all-industry (계/전산업) rows: the totals table is empty")
    return KosisTable(sectors.reset_index(drop=True), totals.reset_index(drop=True), notes)


def _latest_periods(records: pd.DataFrame, keys: list[str], notes: list[str]) -> pd.DataFrame:
    """Where a year has several sub-annual periods (``2024.1/2``, ``2024.2/2``) keep the last one."""
    periods = records.groupby("year")["period"].unique()
    several = {year: list(p) for year, p in periods.items() if len(p) > 1}
    for year, labels in several.items():
        notes.append(f"year {year} has periods {', '.join(labels)}; kept {labels[-1]}")
    keep = records["period"].isin([p[-1] for p in periods])
    return records[keep]
