"""Realistic KOSIS downloads for the tests, with the numbers they should give.

``regional_employment_survey_2024`` imitates the Regional Employment Survey table "employed
persons by si-gun-gu and industry" (지역별고용조사, 시군구 산업별 취업자) for the 2024 half-years as
the CSV export writes it: two header rows (periods above, items ``취업자 (천명)`` /
``취업자 RSE (%)`` below; the dimension labels repeated on both rows), every cell quoted, CRLF
line ends; metropolitan units as ``서울 종로구``, Sejong as ``세종시``, province units by their bare
name in KOSIS order (provinces 11 … 50, units in code order) with no province rows; seven rows
per unit (계 and six KOSIS industry groups with their section letters); values in thousands with
one decimal, ``-`` where no sample was found, ``*`` in the RSE cell where the RSE is high.

``establishment_census`` imitates a Census on Establishments table (전국사업체조사) by si-gun-gu
and detailed industry: a national row, province rows with their districts below by bare name,
every KSIC level from the section (with its division range) to 5-digit sub-classes, several
years of ``사업체수 (개)`` / ``종사자수 (명)``, ``X`` where employment is confidential.

Both are deterministic (seeded numpy) and return the expected tidy numbers keyed by the full
official region name.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import numpy as np

from kibs_spatial.reference import ksic
from kibs_spatial.resources import data_path

SURVEY_PERIODS = ("2024.1/2", "2024.2/2")
SURVEY_INDUSTRIES = (
    ("계", ""),
    ("농업, 임업 및 어업(A)", "A"),
    ("광·제조업(B,C)", "B+C"),
    ("건설업(F)", "F"),
    ("도소매·숙박음식업(G,I)", "G+I"),
    ("전기·운수·통신·금융(D,H,J,K)", "D+H+J+K"),
    ("사업·개인·공공서비스 및 기타(E,L~U)", "E+L-U"),
)
METROPOLITAN = {"11": "서울", "26": "부산", "27": "대구", "28": "인천", "29": "광주", "30": "대전", "31": "울산"}
PROVINCE_ROW_NAMES = {"11": "서울특별시", "26": "부산광역시", "27": "대구광역시", "28": "인천광역시", "29": "광주광역시",
                      "30": "대전광역시", "31": "울산광역시", "36": "세종특별자치시", "41": "경기도", "42": "강원특별자치도",
                      "43": "충청북도", "44": "충청남도", "45": "전북특별자치도", "46": "전라남도", "47": "경상북도",
                      "48": "경상남도", "50": "제주특별자치도"}
HIGH_RSE = 25.0


def survey_units() -> list[dict]:
    """Units of the bundled 2022 city layer in KOSIS order, with the name the survey writes."""
    layer = gpd.read_file(data_path("boundaries", "kr_sigungu_2022.gpkg"), layer="sigungu_city", engine="pyogrio",
                          ignore_geometry=True)
    units = []
    for row in layer.sort_values("region_code").itertuples():
        if row.sido_code in METROPOLITAN:
            written = f"{METROPOLITAN[row.sido_code]} {row.name_ko}"
        elif row.sido_code == "36":
            written = "세종시"
        else:
            written = row.name_ko
        units.append({"code": row.region_code, "sido": row.sido_code, "full_name": row.full_name_ko, "written": written})
    return units


def regional_employment_survey_2024(path, *, encoding: str = "utf-8", seed: int = 2024, periods=SURVEY_PERIODS,
                                    province_rows: bool = False, items_first: bool = False) -> dict:
    """Write the survey CSV to ``path``; return what the reader should make of it.

    Parameters
    ----------
    encoding : the file's encoding (``utf-8``, ``utf-8-sig`` or ``cp949`` as KOSIS serves it).
    periods : the half-year labels across the header.
    province_rows : add a national row and a province row (with the province's own figures) before
        each province's units, as other KOSIS tables do (the survey table has none).
    items_first : put the items on the first header row and the periods below them.

    Returns
    -------
    dict
        ``expected``: {(full region name, period, ksic code or "" for 계): (persons or None, rse or
        None, high flag)}; ``units``: the unit dicts (``code``, ``sido``, ``full_name``,
        ``written``, ``line`` of its first row); ``periods``; ``industries`` (label, code);
        ``lines``: number of lines.
    """
    rng = np.random.default_rng(seed)
    units = survey_units()
    items = ("취업자 (천명)", "취업자 RSE (%)")
    header_periods = [p for p in periods for _ in items]
    header_items = [i for _ in periods for i in items]
    rows = [["행정구역별", "산업별", *header_periods], ["행정구역별", "산업별", *header_items]]
    if items_first:
        rows = [["행정구역별", "산업별", *[i for i in items for _ in periods]],
                ["행정구역별", "산업별", *[p for _ in items for p in periods]]]
    expected: dict = {}
    if province_rows:
        rows += _block_rows("전국", rng, periods, items_first)
    sido = None
    for unit in units:
        if province_rows and unit["sido"] != sido:
            rows += _block_rows(PROVINCE_ROW_NAMES[unit["sido"]], rng, periods, items_first)
        sido = unit["sido"]
        unit["line"] = len(rows) + 1
        cells = _unit_cells(rng, periods)
        for label, code in SURVEY_INDUSTRIES:
            row = [unit["written"], label]
            for period in periods:
                value, rse = cells[(period, code)]
                expected[(unit["full_name"], period, code)] = _truth(value, rse)
            row += _ordered([cells[(p, code)] for p in periods], items_first)
            rows.append(row)
    _write(path, rows, encoding)
    return {"expected": expected, "units": units, "periods": list(periods), "industries": list(SURVEY_INDUSTRIES),
            "lines": len(rows)}


def _unit_cells(rng: np.random.Generator, periods) -> dict:
    """{(period, code): (value text, rse text)} for one unit: 계 and its six groups."""
    size = float(rng.lognormal(np.log(60.0), 0.9))
    found = {}
    for period in periods:
        total = round(size * float(rng.uniform(0.97, 1.03)), 1)
        shares = rng.dirichlet([1.0, 2.0, 1.0, 2.0, 1.5, 3.0])
        found[(period, "")] = (f"{total:.1f}", f"{rng.uniform(1.0, 6.0):.1f}")
        for (_, code), share in zip(SURVEY_INDUSTRIES[1:], shares):
            value = round(total * float(share), 1)
            if value < 0.1 or rng.random() < 0.03:
                found[(period, code)] = ("-", "-")
                continue
            rse = 100.0 / np.sqrt(value * 40.0) * float(rng.uniform(0.8, 1.2))
            found[(period, code)] = (f"{value:.1f}", "*" if rse >= HIGH_RSE else f"{rse:.1f}")
    return found


def _truth(value: str, rse: str) -> tuple:
    persons = None if value == "-" else round(float(value) * 1000)
    number = None if rse in ("-", "*") else float(rse)
    return persons, number, rse == "*"


def _ordered(pairs: list[tuple[str, str]], items_first: bool) -> list[str]:
    if items_first:
        return [v for v, _ in pairs] + [r for _, r in pairs]
    return [cell for pair in pairs for cell in pair]


def _block_rows(name: str, rng: np.random.Generator, periods, items_first: bool) -> list[list[str]]:
    rows = []
    for label, _ in SURVEY_INDUSTRIES:
        pairs = [(f"{rng.uniform(100, 5000):.1f}", f"{rng.uniform(0.5, 3):.1f}") for _ in periods]
        rows.append([name, label, *_ordered(pairs, items_first)])
    return rows


def _write(path, rows: list[list[str]], encoding: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    Path(path).write_bytes(buffer.getvalue().encode(encoding))


# -- Census on Establishments: every KSIC level ---------------------------------------------

CENSUS_REGIONS = (
    ("서울특별시", ("종로구", "중구", "강남구")),
    ("부산광역시", ("중구", "해운대구")),
    ("대구광역시", ("중구",)),
    ("경기도", ("수원시", "광주시", "성남시 분당구")),
    ("강원특별자치도", ("고성군",)),
    ("경상남도", ("창원시", "고성군")),
)
CENSUS_FULL = {"서울특별시": "서울특별시", "부산광역시": "부산광역시", "대구광역시": "대구광역시", "경기도": "경기도",
               "강원특별자치도": "강원도", "경상남도": "경상남도"}
CENSUS_CODES = ("J", "58", "582", "5822", "58221", "58222", "62", "63", "M", "70", "71", "713", "7153", "71531",
                "72", "7212", "73", "732")


def census_industries(revision: int = 10) -> list[tuple[str, str]]:
    """(label, code) as KOSIS writes them: ``전산업``, sections with their division range, codes in parentheses."""
    labels = [("전산업", "")]
    for code in CENSUS_CODES:
        name = ksic.name(code, revision, "ko")
        if code.isalpha():
            divisions = {"J": "58~63", "M": "70~73"}[code]
            labels.append((f"{name}({divisions})", code))
        else:
            labels.append((f"{name}({code})", code))
    return labels


def establishment_census(path, *, encoding: str = "cp949", years=(2019, 2020, 2021, 2022), seed: int = 7) -> dict:
    """Write the census CSV to ``path``; return ``expected`` {(full region name, year label, code or ""):
    (establishments, employees or None)}, ``industries`` and ``regions`` (full names in file order)."""
    rng = np.random.default_rng(seed)
    industries = census_industries()
    items = ("사업체수 (개)", "종사자수 (명)")
    rows = [["행정구역별(시군구)", "산업분류별(10차)", *[str(y) for y in years for _ in items]],
            ["행정구역별(시군구)", "산업분류별(10차)", *[i for _ in years for i in items]]]
    expected, regions = {}, []
    rows += [["전국", label, *[f"{rng.integers(10_000, 90_000):,}" for _ in years for _ in items]] for label, _ in industries]
    for province, units in CENSUS_REGIONS:
        rows += [[province, label, *[f"{rng.integers(1_000, 9_000):,}" for _ in years for _ in items]]
                 for label, _ in industries]
        for unit in units:
            full = f"{CENSUS_FULL[province]} {unit}"
            regions.append(full)
            for label, code in industries:
                row = [unit, label]
                for year in years:
                    firms = int(rng.integers(0, 400))
                    workers = int(firms * rng.uniform(2, 12))
                    secret = firms < 3 and code != ""
                    row += [f"{firms:,}", "X" if secret else f"{workers:,}"]
                    expected[(full, str(year), code)] = (firms, None if secret else workers)
                rows.append(row)
    _write(path, rows, encoding)
    return {"expected": expected, "industries": industries, "regions": regions, "years": [str(y) for y in years]}
