"""Read KOSIS (Korean Statistical Information Service) downloads into the tidy sector tables.

Accepted as researchers get them:

- **Files**: CSV in CP949 (EUC-KR) or UTF-8 (with or without BOM), and XLSX (merged header
  cells and merged region cells are filled in).
- **Layouts**: one header row or two (periods above items such as ``취업자 (천명)`` /
  ``취업자 RSE (%)`` or ``사업체수``/``종사자수``, so one period owns several columns; KOSIS repeats
  the dimension labels on both rows); wide (periods across), with an item column (``항목``) and
  optionally a unit column (``단위``), or long (a ``시점`` column).
- **Periods**: every period is kept as its own period, labelled as printed: ``2022``,
  ``2024년``, ``2024.1/2``, ``2024 1/2``, ``2024. 1/2``, ``2024 2/4`` (quarter), ``2024.03``
  (month), ``2024 상반기``/``하반기``; a preliminary marker (``2023 p)``) is dropped from the label
  and noted. A period header or cell that is not a period is an error.
- **Regions**: names with their province (``서울특별시 강남구``, ``서울 종로구``, ``경기 수원시``);
  bare unit names (``수원시``, ``인제군``, ``고성군``, ``수원시 장안구``) placed in their province
  by the names index of the bundled layers and, when several provinces have the name, by the
  block they sit in (see :func:`_place_regions`); units listed under a province row
  (``경기도`` on its own line); or a code column (``C행정구역별``, ``'11680``). A bare ``광주시`` is
  Gyeonggi's 광주시; ``광주``/``광주광역시`` (alone or before a district) is the metropolitan city.
- **Industries**: a KSIC code of any level in the label (``전문 디자인업(732)``), a section letter
  (``건설업 (F)``), a KOSIS letter group (``전기·운수·통신·금융(D,H,J,K)`` -> ``D+H+J+K``,
  ``(E,L~U)`` -> ``E+L-U``), a section's division range (``정보통신업(58~63)`` -> ``J``), a code
  column, or an exact Korean KSIC name.
- **Values**: thousands separators; suppression markers (``-``, ``X``, ``x``, ``…``, ``*``) become
  missing, never zero; a unit of thousands (``천명`` in the item, header or unit column) is
  multiplied out to whole persons (rounded) and kept in ``source_unit``; RSE columns (relative
  standard error, %) are kept, ``*`` in an RSE cell flags a high RSE (``employees_rse_high``
  True, ``employees_rse`` empty as no number is given; ``31.2*`` keeps both).

Output (:class:`KosisTable`): ``sectors`` with ``region_name`` (completed with the province's
official name: ``경기도 광주시``, ``강원도 고성군``, ``세종특별자치시``) or ``region_code``,
``period``, ``ksic``, ``industry``, ``employees``, then when the file has them
``employees_rse``, ``employees_rse_high``, ``establishments``, ``source_unit``; ``totals`` with the
region column, ``period``, ``total_employees`` and when available ``total_establishments``,
``total_employees_rse``, ``total_employees_rse_high``, ``source_unit``. All-industry rows (계,
전산업, code 0 …) go to the totals, every other industry to the sectors. National and province
rows, industry labels without a code and ignored items are left out and counted in ``notes``.

Examples
--------
>>> table = read_kosis("kosis_download.csv")                      # doctest: +SKIP
>>> print("\\n".join(table.notes))                                 # doctest: +SKIP
>>> write_tidy(table, "sectors.csv", "totals.csv")                 # doctest: +SKIP
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..files import write_csv
from .kosis_cells import (
    industry_code,
    is_rse,
    measure_of,
    parse_rse,
    parse_value,
    period_label,
    thousands_unit,
)
from .region_names import (
    NATIONAL_NAMES,
    UNIT_NAMES_AMONG_ALIASES,
    clean_code,
    compact,
    normalise,
    province_code,
    province_name,
    sigungu_index,
    split_province,
)

PERIOD_NAMES = ("시점", "시점별", "연도", "연도별", "년도", "기간", "year", "period")
REGION_WORDS = ("행정구역", "지역", "시군구", "시도", "region", "소재지")
INDUSTRY_WORDS = ("산업", "업종", "ksic", "industry")
PERIOD_FORMS = "a year (2024, 2024년), a half-year (2024.1/2, 2024 상반기), a quarter (2024 2/4) or a month (2024.03)"


@dataclass
class KosisTable:
    """Tidy tables read from one KOSIS file, and notes on everything changed or left out."""

    sectors: pd.DataFrame
    totals: pd.DataFrame
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Column:
    period: str | None  # period label, or None when a period column gives it
    item: str  # item label, or "" when an item column gives it
    measure: str | None = None  # employees / establishments for items whose RSE names no measure
    preliminary: bool = False  # the period label carried KOSIS's preliminary mark (``2023 p)``)


@dataclass
class _Layout:
    header_rows: int
    labels: list[str]
    roles: dict[str, int]  # region, region_code, industry, industry_code, period, item, unit -> column
    values: dict[int, _Column]


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
        ``sectors``, ``totals`` (columns in the module docstring) and ``notes``.

    Raises
    ------
    InputError
        Missing, empty or undecodable file; no region, industry or employees column; a header or
        cell that is not a period; negative, non-numeric or non-finite values; a bare region name
        that several provinces have and whose block does not decide; the same region, period and
        industry twice. Each message names the file, line and column.
    """
    path = Path(path)
    grid = _read_grid(path, encoding)
    note = grid.attrs.get("note")
    try:
        layout = _detect_layout(grid, path)
    except InputError as error:
        if not note:
            raise
        raise InputError(f"{error} (the file is named like an Excel workbook but holds text; if it is not a KOSIS CSV "
                         "export, download the table again as .xlsx or CSV)") from None
    shape = "long (period column)" if "period" in layout.roles else "wide (periods across)"
    notes = [f"{path.name}: {layout.header_rows} header row(s), {shape} layout", *filter(None, [note])]
    counts: Counter = Counter()
    records = _records(grid, layout, path, counts)
    regions = _place_regions(records, layout, path, counts)
    records = records.join(regions, on="line")
    notes.extend(f"{n} {what}" for what, n in sorted(counts.items()))
    return _tables(records, layout, path, notes)


def write_tidy(table: KosisTable, sectors_path: str | Path, totals_path: str | Path) -> None:
    """Write both tables as UTF-8 CSV (with BOM, so spreadsheets show Korean names correctly)."""
    write_csv(sectors_path, table.sectors)
    write_csv(totals_path, table.totals)


# -- the grid and its header ------------------------------------------------------------------

EXCEL_SIGNATURES = {b"PK\x03\x04": "openpyxl", b"\xd0\xcf\x11\xe0": "xlrd"}
"""First bytes of an .xlsx (a zip archive) and of an Excel 97-2003 .xls (OLE2), and the engine each needs."""


def _read_grid(path: Path, encoding: str | None) -> pd.DataFrame:
    if not path.exists():
        raise InputError(f"{path}: file not found; check the path")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a KOSIS download; name the .csv or .xlsx file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")
    with path.open("rb") as file:
        head = file.read(4)
    engine = next((e for signature, e in EXCEL_SIGNATURES.items() if head.startswith(signature)), None)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls") or engine:
        grid = _read_excel(path, engine, encoding)
    else:
        try:
            grid = pd.read_csv(StringIO(_decode(path, encoding)), header=None, dtype=str,
                               keep_default_na=False, skip_blank_lines=False)
        except pd.errors.ParserError as error:
            raise InputError(f"{path}: not a readable CSV table ({error}); quote cells that contain commas") from None
    note = grid.attrs.get("note")
    grid = grid.fillna("").astype(str).apply(lambda column: column.str.strip())
    grid = grid.loc[(grid != "").any(axis=1), (grid != "").any(axis=0)]
    if grid.empty:
        raise InputError(f"{path}: the file has no cells")
    if note:
        grid.attrs["note"] = note
    return grid


def _read_excel(path: Path, engine: str | None, encoding: str | None) -> pd.DataFrame:
    """The first sheet as text cells; a file named .xls/.xlsx that holds CSV text (as some downloads do) is read as
    CSV; every failure of the Excel readers becomes a message naming the file."""
    if engine is None:
        try:
            text = _decode(path, encoding)
        except InputError:
            raise InputError(f"{path}: is neither an Excel workbook nor CSV text (it may be damaged or incomplete); "
                             "download it again, or save it as .xlsx or CSV") from None
        try:
            grid = pd.read_csv(StringIO(text), header=None, dtype=str, keep_default_na=False, skip_blank_lines=False)
            grid.attrs["note"] = f"{path.name} holds CSV text, not an Excel workbook: read as CSV"
            return grid
        except pd.errors.ParserError as error:
            raise InputError(f"{path}: is text, not an Excel workbook, and not a readable CSV table ({error}); download "
                             "it again as .xlsx or CSV") from None
    try:
        return pd.read_excel(path, header=None, dtype=str, engine=engine)
    except ImportError:
        raise InputError(f"{path}: reading this Excel format needs {engine} (pip install {engine}); or save the sheet "
                         "as .xlsx or CSV") from None
    except Exception as error:  # noqa: BLE001 - zipfile, openpyxl and xlrd raise many types for a damaged file
        raise InputError(f"{path}: cannot read the Excel workbook ({type(error).__name__}: {error}); the file is damaged, "
                         "incomplete or not a workbook — download it again, or save the sheet as CSV") from None


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
    two = any(period_label(t) and _is_item(s) for t, s in zip(_fill_right(top, period_label), second))
    items = _fill_right(top, _is_item)
    if not two and any(_is_item(t) and period_label(s) for t, s in zip(items, second)):
        top, second, two = second, items, True  # items above, periods below
    if not two:
        second = [""] * len(top)
    top = _fill_right(top, period_label) if two else top
    labels = [t if not s or s == t else f"{t} {s}".strip() for t, s in zip(top, second)]
    line = int(grid.index[0]) + 1
    roles: dict[str, int] = {}
    values: dict[int, _Column] = {}
    for j, (t, s) in enumerate(zip(top, second)):
        head = t or s
        low = head.lower().replace(" ", "")
        coded = head.startswith("C") and len(head) > 1 and not head[1].isdigit()
        period = period_label(t)
        if period:
            values[j] = _Column(period[0], s, preliminary=period[1])
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
        elif two:
            raise InputError(f"{path}, line {line}, column {j + 1} ({labels[j]!r}): {t!r}, the header of the item {s!r}, "
                             f"is not a period; expected {PERIOD_FORMS}")
        else:
            values[j] = _Column(None, t)
    _check_layout(path, line, labels, roles, values)
    return _Layout(2 if two else 1, labels, roles, _rse_measures(values))


def _check_layout(path: Path, line: int, labels: list[str], roles: dict[str, int], values: dict[int, _Column]) -> None:
    header = ", ".join(labels)
    if "region" not in roles and "region_code" not in roles:
        raise InputError(f"{path}, line {line}: no region column (a header such as 행정구역별, 시군구별 or C행정구역별); "
                         f"the header has {header}")
    if "industry" not in roles and "industry_code" not in roles:
        raise InputError(f"{path}, line {line}: no industry column (a header such as 산업분류별 or 산업별); the header has {header}")
    across = [j for j, column in values.items() if column.period is not None]
    if "period" in roles and across:  # both a period column and periods across: one of them would be dropped unsaid
        j = roles["period"]
        raise InputError(f"{path}, line {line}, column {j + 1} ({labels[j]!r}): a period column (시점), but column "
                         f"{across[0] + 1} ({labels[across[0]]!r}) has a period across the header as well; give the "
                         "periods either in one column or across the header")
    if "period" not in roles:
        for j, column in values.items():
            if column.period is None:
                raise InputError(f"{path}, line {line}, column {j + 1} ({labels[j]!r}): {column.item!r} is not a period; "
                                 f"expected {PERIOD_FORMS}, or a period column (시점)")
    if "item" not in roles and not any(measure_of(c.item) == "employees" for c in values.values()):
        raise InputError(f"{path}, line {line}: no employees column (종사자수 or 취업자); the header has {header}")


def _is_item(label: str) -> bool:
    return bool(label) and (measure_of(label) is not None or is_rse(label))


def _fill_right(cells: list[str], keep) -> list[str]:
    """Labels of merged header cells (periods, items: where ``keep(label)``) carried to the empty cells on their right."""
    filled, last = [], ""
    for cell in cells:
        last = cell if cell else (last if keep(last) else "")
        filled.append(last)
    return filled


def _rse_measures(values: dict[int, _Column]) -> dict[int, _Column]:
    """An RSE column that names no measure (``RSE``) belongs to the value column on its left."""
    measures = {measure_of(c.item) for c in values.values() if not is_rse(c.item)} - {None}
    done, previous = {}, {}
    for j, column in sorted(values.items()):
        measure = measure_of(column.item)
        if is_rse(column.item) and measure is None:
            measure = previous.get(column.period) or (next(iter(measures)) if len(measures) == 1 else None)
        elif measure is not None:
            previous[column.period] = measure
        done[j] = _Column(column.period, column.item, measure, column.preliminary)
    return done


# -- the cells --------------------------------------------------------------------------------

RECORD_COLUMNS = ["line", "name", "code", "industry", "kind", "ksic", "period", "column", "value", "high", "unit", "order"]


def _records(grid: pd.DataFrame, layout: _Layout, path: Path, counts: Counter) -> pd.DataFrame:
    """One record per data cell kept: (line, region name/code, industry, period, column, value …)."""
    roles, rows = layout.roles, []
    previous = ("", "")
    for index, cells in grid.iloc[layout.header_rows:].iterrows():
        line = int(index) + 1
        name = normalise(cells.iloc[roles["region"]]) if "region" in roles else ""
        code = clean_code(cells.iloc[roles["region_code"]]) if "region_code" in roles else ""
        if not name and not code:
            if not previous[0] and not previous[1]:
                raise InputError(f"{path}, line {line}, column {layout.labels[roles.get('region', roles.get('region_code'))]!r}: "
                                 "empty region cell with no region above it")
            name, code = previous
            counts["blank region cells filled from the row above (merged cells)"] += 1
        previous = (name, code)
        label, kind, ksic = _industry(cells, layout)
        if not label:
            if all(not str(cells.iloc[j]).strip() for j in layout.values):
                counts["rows without industry or values left out"] += 1
                continue
            column = roles.get("industry", roles.get("industry_code"))
            raise InputError(f"{path}, line {line}, column {layout.labels[column]!r}: empty industry cell in a row with values")
        for order, (j, column) in enumerate(layout.values.items()):
            record = _cell(cells, j, column, layout, path, line, counts)
            if record is not None:
                rows.append((line, name, code, label, kind, ksic, *record, order))
    return pd.DataFrame(rows, columns=RECORD_COLUMNS)


def _industry(cells: pd.Series, layout: _Layout) -> tuple[str, str, str]:
    """``(label as in the file, kind, code)``; the code column first, then the label."""
    label = str(cells.iloc[layout.roles["industry"]]).strip().lstrip("'") if "industry" in layout.roles else ""
    code_cell = str(cells.iloc[layout.roles["industry_code"]]).strip() if "industry_code" in layout.roles else ""
    kind, code = industry_code(code_cell) if code_cell else ("unknown", "")
    if kind == "unknown" and label:
        kind, code = industry_code(label)
    return label or code_cell.lstrip("'"), kind, code


def _cell(cells: pd.Series, j: int, column: _Column, layout: _Layout, path: Path, line: int,
          counts: Counter) -> tuple | None:
    """``(period, column, value, high, unit)`` of one data cell, or None when its item is not kept."""
    roles = layout.roles
    item = str(cells.iloc[roles["item"]]) if "item" in roles else column.item
    rse = is_rse(item)
    measure = column.measure if "item" not in roles else measure_of(item) or (
        "employees" if rse else None)
    if measure is None or (rse and measure != "employees"):
        counts[f"cells of item {item!r} left out (not employees, establishments or the employees' RSE)"] += 1
        return None
    period, preliminary = column.period, column.preliminary
    if period is None:
        raw = cells.iloc[roles["period"]]
        found = period_label(raw)
        if found is None:
            raise InputError(f"{path}, line {line}, column {layout.labels[roles['period']]!r}: {raw!r} is not a period; "
                             f"expected {PERIOD_FORMS}")
        period, preliminary = found
    if preliminary:
        counts[f"period {period} is marked preliminary (p)) in the file; the label is kept without the mark"] = 1
    where = f"{path}, line {line}, column {layout.labels[j]!r}"
    if rse:
        value, high, kind = parse_rse(cells.iloc[j])
        _check_number(cells.iloc[j], value, kind, where, "an RSE (percent)")
        if high:
            counts["RSE cells flagged high ('*')"] += 1
        return period, f"{measure}_rse", value, high, None
    value, kind = parse_value(cells.iloc[j])
    _check_number(cells.iloc[j], value, kind, where, "a count")
    unit = thousands_unit(f"{layout.labels[j]} {item} {cells.iloc[roles['unit']] if 'unit' in roles else ''}")
    if kind != "number":
        counts[f"{kind} cells kept as missing" + (f" ({cells.iloc[j]!r})" if kind == "suppressed" else "")] += 1
        return period, measure, None, False, unit
    if unit:
        value = round(value * 1000)
        counts[f"cells in thousands ({unit}) multiplied by 1000 and rounded to whole persons or establishments"] += 1
    elif value != round(value):
        raise InputError(f"{where}: {cells.iloc[j]!r} is not a whole number of people or establishments")
    return period, measure, value, False, unit


def _check_number(cell: object, value: float | None, kind: str, where: str, what: str) -> None:
    if kind == "bad":
        raise InputError(f"{where}: {cell!r} is not a finite number; {what} must be a number >= 0 "
                         "(suppressed cells may be -, X, x, …, *)")
    if value is not None and value < 0:
        raise InputError(f"{where}: {cell!r} is negative; {what} must be >= 0")


# -- regions ----------------------------------------------------------------------------------

@dataclass
class _Region:
    kind: str  # national, province, unit
    value: str  # completed name, or code
    sido: str | None = None  # province, when known
    bare: str = ""  # the name as written when it has no province
    candidates: tuple = ()  # units of the names index with the bare name

    @property
    def anchor(self) -> bool:
        """A unit whose province is certain: written in the cell, or the only province with the name."""
        return self.kind == "unit" and self.sido is not None


def _place_regions(records: pd.DataFrame, layout: _Layout, path: Path, counts: Counter) -> pd.DataFrame:
    """``region`` and ``region_kind`` for every line of ``records``.

    A bare unit name (no province in the cell) is looked up in the names index of the bundled
    layers (:func:`~kibs_spatial.io.region_names.sigungu_index`):

    - under a province row (``경기도`` on its own line) it takes that province (an error when the
      index knows the name only elsewhere);
    - a name of one province only gets that province (``수원시``, ``인제군``, ``광주시`` -> 경기도);
    - a name of several provinces (``고성군``, ``중구``) gets the province of the nearest preceding
      row whose province is certain if that province has the name, else of the nearest following
      such row if that one has it; otherwise it is an error listing every candidate;
    - a name the index does not know gets the province of its block only when the rows with a
      certain province before and after it agree; otherwise it is an error.
    """
    lines = records.drop_duplicates("line")[["line", "name", "code"]]
    if "region" not in layout.roles:
        regions = [_by_code(code) for code in lines["code"]]
    else:
        regions = [_by_name(name) for name in lines["name"]]
        _sejong_province_rows(regions, list(lines["name"]))
        _resolve_bare(regions, list(lines["line"]), path, layout.labels[layout.roles["region"]], counts)
    for region in regions:
        if region.kind != "unit":
            counts[f"{region.kind} rows left out"] += 1
    return pd.DataFrame({"region": [r.value for r in regions], "region_kind": [r.kind for r in regions]},
                        index=pd.Index(lines["line"], name="line"))


def _by_code(code: str) -> _Region:
    if code in ("0", "00", "000", "00000"):
        return _Region("national", code)
    return _Region("province" if len(code) == 2 else "unit", code)


def _by_name(name: str) -> _Region:
    key = compact(name)
    if key.lower() in NATIONAL_NAMES:
        return _Region("national", name)
    sido, rest = split_province(name, units_first=True)
    if sido and rest and " " not in name and key in sigungu_index():
        sido, rest = None, key  # 부산진구 is a unit, not 부산 + 진구
    if sido and not rest:
        if sido == "36":  # 세종특별자치시 is a province and its only unit
            return _Region("unit", province_name(sido), sido)
        return _Region("province", name, sido)
    if sido:
        first, _, after = name.partition(" ")
        spaced = after if after and province_code(first, units_first=True) == sido else rest
        return _Region("unit", f"{province_name(sido)} {spaced}", sido)
    units = sigungu_index().get(key, ())
    provinces = {u.sido for u in units}
    only = next(iter(provinces)) if len(provinces) == 1 else None
    return _Region("unit", f"{province_name(only)} {name}" if only else name, only, name, units)


def _sejong_province_rows(regions: list[_Region], names: list[str]) -> None:
    """Sejong is a province and its only unit: when a Sejong row (``세종특별자치시``) is followed by
    another Sejong name (``세종시``), the first is the province row."""
    for i, region in enumerate(regions):
        if region.sido != "36" or region.kind != "unit":
            continue
        after = next((j for j in range(i + 1, len(names)) if names[j] != names[i]), None)
        if after is not None and regions[after].sido == "36":
            regions[i] = _Region("province", names[i], "36")


def _resolve_bare(regions: list[_Region], lines: list[int], path: Path, column: str, counts: Counter) -> None:
    """Give every bare unit its province, in place (see :func:`_place_regions`)."""
    anchors = [i for i, r in enumerate(regions) if r.anchor]
    header, unique, placed = None, set(), {}
    for i, region in enumerate(regions):
        if region.kind == "province":
            header = region.sido
        if region.kind != "unit" or not region.bare:
            continue
        name, provinces = region.bare, {u.sido for u in region.candidates}
        if header is not None:
            if provinces and header not in provinces:
                raise InputError(f"{path}, line {lines[i]}, column {column!r}: {name!r} sits under the province row "
                                 f"{province_name(header)} but is a unit of {_listing(region.candidates)}; "
                                 "check the file or write the province in the cell")
            regions[i] = _Region("unit", f"{province_name(header)} {name}", header, name, region.candidates)
            counts["rows of unit names completed with the province row above them"] += 1
        elif region.sido is not None:
            unique.add(name)
            if name in UNIT_NAMES_AMONG_ALIASES:
                counts[f"bare {name!r} read as {region.value} (a si-gun-gu, not the metropolitan city)"] = 1
        else:
            sido, how = _by_block(i, regions, anchors, provinces)
            if sido is None:
                raise InputError(_ambiguous_message(path, lines, column, i, name, region, regions, anchors))
            regions[i] = _Region("unit", f"{province_name(sido)} {name}", sido, name, region.candidates)
            placed.setdefault((name, sido), f"{name} (line {lines[i]}) -> {province_name(sido)} ({how})")
    if unique:
        counts["bare unit names completed with the only province that has the name"] = len(unique)
    if placed:
        counts[f"bare unit names placed by their block: {'; '.join(placed.values())}"] = len(placed)


def _by_block(i: int, regions: list[_Region], anchors: list[int], provinces: set[str]) -> tuple[str | None, str]:
    """Province of the block row ``i`` sits in, or None: the anchors before and after it decide."""
    k = bisect_left(anchors, i)
    before = regions[anchors[k - 1]].sido if k > 0 else None
    after = regions[anchors[k]].sido if k < len(anchors) else None
    if not provinces:  # unknown name: only when both sides agree
        return (before, "not in the names index; the rows before and after are in it") if before and before == after else (None, "")
    if before in provinces:
        return before, "the row above is in it"
    if after in provinces:
        return after, "the row below is in it"
    return None, ""


def _ambiguous_message(path: Path, lines: list[int], column: str, i: int, name: str, region: _Region,
                       regions: list[_Region], anchors: list[int]) -> str:
    k = bisect_left(anchors, i)
    around = [f"{what} {regions[anchors[m]].value!r} (line {lines[anchors[m]]})"
              for what, m in (("above", k - 1), ("below", k)) if 0 <= m < len(anchors)]
    where = f"; the nearest rows with a certain province are {' and '.join(around)}" if around else ""
    if not region.candidates:
        return (f"{path}, line {lines[i]}, column {column!r}: {name!r} is not a si-gun-gu name of the bundled layers or "
                f"region changes{where}, which do not agree on a province; write the province in the cell "
                f"(e.g. '경기도 {name}')")
    return (f"{path}, line {lines[i]}, column {column!r}: the bare name {name!r} is a unit of several provinces — "
            f"{_listing(region.candidates)}{where}, and none of them has the name; write the province in the cell "
            f"(e.g. {region.candidates[0].full_name!r}) or add a province row above it")


def _listing(units) -> str:
    by_name: dict[str, list[str]] = {}
    for unit in units:
        by_name.setdefault(unit.full_name, []).extend([unit.code] if unit.code else [])
    return ", ".join(f"{full} ({', '.join(codes)})" if codes else full for full, codes in by_name.items())


# -- the tables -------------------------------------------------------------------------------

def _tables(records: pd.DataFrame, layout: _Layout, path: Path, notes: list[str]) -> KosisTable:
    region = "region_name" if "region" in layout.roles else "region_code"
    records = records[records["region_kind"] == "unit"]
    unknown = records[records["kind"] == "unknown"].drop_duplicates("line")["industry"].value_counts(sort=False)
    for label, n in unknown.items():
        notes.append(f"left out: industry {label!r} has no KSIC code ({n} row(s)); give its code in the label "
                     "(e.g. '전문 디자인업(732)', '건설업(F)') or in a code column")
    records = records[records["kind"] != "unknown"].copy()
    if records.empty:
        raise InputError(f"{path}: no rows of si-gun-gu with an industry code and values; see the notes of national, "
                         "province and unknown industry rows")
    _refuse_duplicates(records, path)
    periods = list(dict.fromkeys(records.sort_values(["order", "line"])["period"]))
    notes.append(f"periods: {', '.join(periods)}")
    wide = _wide(records, periods)
    sectors = wide[wide["kind"] == "code"]
    totals = wide[wide["kind"] == "total"].rename(columns=lambda c: f"total_{c}" if c.startswith(("employees", "establ")) else c)
    sectors = sectors.rename(columns={"region": region})[
        [region, "period", "ksic", "industry", *_present(sectors, ["employees", "employees_rse", "employees_rse_high",
                                                                    "establishments", "source_unit"])]]
    totals = totals.rename(columns={"region": region})[
        [region, "period", *_present(totals, ["total_employees", "total_establishments", "total_employees_rse",
                                              "total_employees_rse_high", "source_unit"])]]
    notes.append(f"{sectors['ksic'].nunique()} industries in the sector table: {', '.join(dict.fromkeys(sectors['ksic']))}")
    if "employees_rse" in wide:
        notes.append("RSE kept: employees_rse (percent) and employees_rse_high (True where the RSE cell is '*')")
    if "region" in layout.roles and "region_code" in layout.roles:
        notes.append("the file also has region codes; names are used (KOSIS codes are often KOSTAT statistical codes)")
    if "employees" not in records["column"].values:
        notes.append("the file has no employees values; the column is left empty")
    if totals.empty:
        notes.append("no all-industry (계/전산업) rows: the totals table is empty")
    return KosisTable(sectors.reset_index(drop=True), totals.reset_index(drop=True), notes)


def _refuse_duplicates(records: pd.DataFrame, path: Path) -> None:
    keys = ["region", "period", "ksic", "column"]
    dup = records[records.duplicated(keys, keep=False)]
    if len(dup):
        first = dup.iloc[0]
        same = dup[(dup[keys] == first[keys]).all(axis=1)]
        labels = " / ".join(dict.fromkeys(same["industry"]))
        raise InputError(f"{path}, lines {', '.join(map(str, same['line'].head(4)))}: region {first['region']!r}, industry "
                         f"{first['ksic'] or 'total'} ({labels}), period {first['period']} appears more than once; "
                         "keep one row per region, industry and period")


def _wide(records: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    """One row per region, period and industry, in the file's order."""
    keys = ["region", "period", "kind", "ksic"]
    values = records.set_index(keys + ["column"])["value"].unstack("column")
    first = records.groupby(keys).agg(line=("line", "min"), industry=("industry", "first"))
    wide = values.join(first)
    if "employees_rse" in wide:
        flags = records[records["column"] == "employees_rse"].set_index(keys)["high"]
        wide["employees_rse_high"] = flags.reindex(wide.index).fillna(False).astype(bool)
    units = records.dropna(subset=["unit"]).groupby(keys)["unit"].agg(lambda u: ", ".join(dict.fromkeys(u)))
    if len(units):
        wide["source_unit"] = units.reindex(wide.index)
    wide = wide.reset_index()
    wide["period_order"] = wide["period"].map({p: k for k, p in enumerate(periods)})
    wide = wide.sort_values(["line", "period_order"]).reset_index(drop=True)
    for column in ("employees", "establishments"):
        if column in wide:
            wide[column] = pd.array(wide[column], dtype="Float64").round().astype("Int64")
    if "employees_rse" in wide:
        wide["employees_rse"] = pd.array(wide["employees_rse"], dtype="Float64")
    if "employees" not in wide:
        wide["employees"] = pd.array([pd.NA] * len(wide), dtype="Int64")
    return wide


def _present(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    return [c for c in columns if c in frame.columns]
