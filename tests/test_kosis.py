"""Reading KOSIS downloads in the forms researchers get them into the tidy sector tables."""

import pandas as pd
import pytest
from kosis_fixtures import establishment_census, regional_employment_survey_2024

from kibs_spatial.errors import InputError
from kibs_spatial.io.kosis import read_kosis, write_tidy
from kibs_spatial.io.kosis_cells import industry_code, period_label
from kibs_spatial.io.region_names import province_code, split_province

TWO_HEADER_WIDE = (
    "행정구역별,산업분류별,2012,2012,2022,2022\n"
    ",,사업체수 (개),종사자수 (명),사업체수 (개),종사자수 (명)\n"
    "전국,계,\"3,602,476\",\"18,093,190\",\"4,000,000\",\"20,000,000\"\n"
    "서울특별시 강남구,계,\"50,000\",\"600,000\",\"55,000\",\"700,000\"\n"
    "서울특별시 강남구,전문 디자인업(732),\"1,200\",\"6,543\",X,-\n"
    "서울특별시 강남구,\"도소매·숙박음식업(G,I)\",100,200,300,400\n"
    "서울특별시 강남구,기타 잡화(999),1,2,3,4\n"
    "경기 수원시,광고업(713),10,100,x,…\n"
    "가평군,엔지니어링 서비스업(7212),*,,3,30\n"
)


def _write(tmp_path, text, name="k.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _cell(frame, region, period, ksic, column, region_column="region_name"):
    row = frame[(frame[region_column] == region) & (frame["period"] == period) & (frame["ksic"] == ksic)]
    assert len(row) == 1, (region, period, ksic)
    return row[column].iloc[0]


def _rows(frame):
    """Records with every missing value as None (pandas gives NA or None depending on the dtype)."""
    return [{k: None if v is None or v is pd.NA else v for k, v in row.items()} for row in frame.to_dict("records")]


def _error(path, expected):
    with pytest.raises(InputError) as error:
        read_kosis(path)
    message = str(error.value)
    assert str(path) in message, message
    for part in [expected] if isinstance(expected, str) else expected:
        assert part in message, message
    return message


# -- the Regional Employment Survey as researchers download it -------------------------------

@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    path = tmp_path_factory.mktemp("survey") / "지역별고용조사_시군구_산업별_취업자.csv"
    truth = regional_employment_survey_2024(path, encoding="cp949")
    return truth, read_kosis(path)


def test_survey_every_unit_gets_its_province_and_every_number_survives(survey):
    truth, table = survey
    units, periods = truth["units"], truth["periods"]
    s, t = table.sectors, table.totals
    assert list(s.columns) == ["region_name", "period", "ksic", "industry", "employees", "employees_rse",
                               "employees_rse_high", "source_unit"]
    assert list(t.columns) == ["region_name", "period", "total_employees", "total_employees_rse",
                               "total_employees_rse_high", "source_unit"]
    assert len(units) == 229 and len(s) == 229 * 6 * 2 and len(t) == 229 * 2
    assert list(dict.fromkeys(s["region_name"])) == [u["full_name"] for u in units]
    got = {(r.region_name, r.period, r.ksic): (None if pd.isna(r.employees) else int(r.employees),
                                               None if pd.isna(r.employees_rse) else float(r.employees_rse),
                                               bool(r.employees_rse_high)) for r in s.itertuples()}
    got.update({(r.region_name, r.period, ""): (int(r.total_employees), float(r.total_employees_rse),
                                                bool(r.total_employees_rse_high)) for r in t.itertuples()})
    assert got == truth["expected"]
    assert set(s["period"]) == set(t["period"]) == set(periods)
    assert (s["source_unit"] == "천명").all() and (t["source_unit"] == "천명").all()


def test_survey_goseong_by_block_and_gwangju_si_in_gyeonggi(survey):
    truth, table = survey
    s = table.sectors
    goseong = [u for u in truth["units"] if u["written"] == "고성군"]
    assert [u["line"] for u in goseong] == [857, 1543]
    for unit, province in zip(goseong, ["강원도 고성군", "경상남도 고성군"]):
        assert unit["full_name"] == province
        assert len(s[s["region_name"] == province]) == 12
    assert len(s[s["region_name"] == "경기도 광주시"]) == 12
    assert set(s.loc[s["region_name"].str.startswith("광주광역시"), "region_name"]) == {
        "광주광역시 동구", "광주광역시 서구", "광주광역시 남구", "광주광역시 북구", "광주광역시 광산구"}
    assert "세종특별자치시" in set(s["region_name"]) and "경기도 수원시" in set(s["region_name"])
    notes = "\n".join(table.notes)
    assert "고성군 (line 857) -> 강원도" in notes and "고성군 (line 1543) -> 경상남도" in notes
    assert "'광주시' read as 경기도 광주시" in notes


def test_survey_industry_groups_rse_and_units(survey):
    _, table = survey
    s = table.sectors
    assert list(dict.fromkeys(s["ksic"])) == ["A", "B+C", "F", "G+I", "D+H+J+K", "E+L-U"]
    assert set(s["industry"]) == {"농업, 임업 및 어업(A)", "광·제조업(B,C)", "건설업(F)", "도소매·숙박음식업(G,I)",
                                  "전기·운수·통신·금융(D,H,J,K)", "사업·개인·공공서비스 및 기타(E,L~U)"}
    flagged = s[s["employees_rse_high"]]
    assert len(flagged) > 20 and flagged["employees_rse"].isna().all() and flagged["employees"].notna().all()
    dashes = s[s["employees"].isna()]
    assert len(dashes) > 20 and dashes["employees_rse"].isna().all() and not dashes["employees_rse_high"].any()
    assert (s["employees"].dropna() % 100 == 0).all()  # one decimal of thousands
    notes = "\n".join(table.notes)
    assert "periods: 2024.1/2, 2024.2/2" in notes and "6 industries" in notes and "RSE kept" in notes
    assert "multiplied by 1000" in notes and "(천명)" in notes


def test_survey_with_items_above_periods_province_rows_and_one_period(tmp_path):
    path = tmp_path / "s.csv"
    truth = regional_employment_survey_2024(path, periods=("2024 상반기",), items_first=True, province_rows=True)
    table = read_kosis(path)
    assert set(table.sectors["period"]) == {"2024 상반기"} and len(table.sectors) == 229 * 6
    assert list(dict.fromkeys(table.sectors["region_name"])) == [u["full_name"] for u in truth["units"]]
    first = truth["units"][0]
    assert _cell(table.sectors, first["full_name"], "2024 상반기", "F", "employees") == truth["expected"][
        (first["full_name"], "2024 상반기", "F")][0]
    notes = "\n".join(table.notes)
    assert "7 national rows left out" in notes and "119 province rows left out" in notes  # 17 provinces x 7 rows


def test_half_years_and_quarters_stay_separate_periods(tmp_path):
    text = ("행정구역별,산업별,2024.1/2,2024.2/2,2024 2/4,2024.03\n,,취업자 (천명),취업자 (천명),취업자 (천명),취업자 (천명)\n"
            "고양시,광고업(713),1.5,2.5,3.5,4.5\n")
    table = read_kosis(_write(tmp_path, text))
    assert table.sectors[["period", "employees"]].values.tolist() == [
        ["2024.1/2", 1500], ["2024.2/2", 2500], ["2024 2/4", 3500], ["2024.03", 4500]]
    assert set(table.sectors["region_name"]) == {"경기도 고양시"}


# -- Census on Establishments: every KSIC level ---------------------------------------------

def test_census_keeps_every_level_and_every_year(tmp_path):
    path = tmp_path / "census.csv"
    truth = establishment_census(path)
    table = read_kosis(path)
    s = table.sectors
    assert list(s.columns) == ["region_name", "period", "ksic", "industry", "employees", "establishments"]
    assert list(dict.fromkeys(s["ksic"])) == [code for _, code in truth["industries"][1:]]
    assert {"J", "58", "582", "5822", "58221", "M", "7153", "71531"} <= set(s["ksic"])
    assert list(dict.fromkeys(s["region_name"])) == truth["regions"]
    got = {(r.region_name, r.period, r.ksic): (int(r.establishments), None if pd.isna(r.employees) else int(r.employees))
           for r in s.itertuples()}
    got.update({(r.region_name, r.period, ""): (int(r.total_establishments), int(r.total_employees))
                for r in table.totals.itertuples()})
    assert got == truth["expected"]
    assert "source_unit" not in s.columns and "employees_rse" not in s.columns


# -- region names -----------------------------------------------------------------------------

def test_gwangju_si_as_a_unit_and_gwangju_as_the_metropolitan_city():
    assert split_province("광주시", units_first=True) == (None, "광주시")
    assert province_code("광주시", units_first=True) is None
    for name, rest in [("광주", ""), ("광주광역시", ""), ("광주 동구", "동구"), ("광주광역시 동구", "동구")]:
        assert split_province(name, units_first=True) == ("29", rest)
    assert split_province("광주시") == ("29", "")  # without units_first the region matcher asks for the province


def test_ambiguous_bare_name_that_the_block_cannot_place_is_an_error(tmp_path):
    text = "행정구역별,산업별,2024\n,,취업자 (명)\n종로구,계,10\n중구,계,5\n해운대구,계,7\n고성군,계,3\n"
    _error(_write(tmp_path, text), ["line 6, column '행정구역별'", "'고성군'", "강원도 고성군 (42820, 51820)",
                                    "경상남도 고성군 (48820)", "above '부산광역시 해운대구' (line 5)"])


def test_ambiguous_bare_name_takes_the_following_block_when_the_preceding_one_lacks_it(tmp_path):
    text = "행정구역별,산업별,2024\n,,취업자 (명)\n서울 종로구,계,10\n고성군,계,3\n통영시,계,4\n"
    table = read_kosis(_write(tmp_path, text))
    assert table.totals["region_name"].tolist() == ["서울특별시 종로구", "경상남도 고성군", "경상남도 통영시"]
    assert any("고성군 (line 4) -> 경상남도 (the row below is in it)" in n for n in table.notes)


def test_ambiguous_bare_name_prefers_the_block_above_it(tmp_path):
    text = "행정구역별,산업별,2024\n,,취업자 (명)\n서울 종로구,계,10\n중구,계,5\n중구,건설업(F),1\n부산 영도구,계,7\n"
    table = read_kosis(_write(tmp_path, text))
    assert table.totals["region_name"].tolist() == ["서울특별시 종로구", "서울특별시 중구", "부산광역시 영도구"]
    assert table.sectors["region_name"].tolist() == ["서울특별시 중구"]
    assert any("1 bare unit names placed by their block: 중구 (line 4) -> 서울특별시 (the row above is in it)" in n
               for n in table.notes)


def test_unknown_bare_name_needs_agreeing_neighbours(tmp_path):
    inside = "행정구역별,산업별,2024\n,,취업자 (명)\n춘천시,계,10\n새도시,계,3\n원주시,계,4\n"
    table = read_kosis(_write(tmp_path, inside))
    assert table.totals["region_name"].tolist() == ["강원도 춘천시", "강원도 새도시", "강원도 원주시"]
    border = "행정구역별,산업별,2024\n,,취업자 (명)\n춘천시,계,10\n새도시,계,3\n청주시,계,4\n"
    _error(_write(tmp_path, border, "b.csv"), ["line 4", "'새도시' is not a si-gun-gu name", "'경기도 새도시'"])


def test_units_under_province_rows_get_the_province(tmp_path):
    text = (
        "행정구역별,산업분류별,2012,2012\n,,사업체수,종사자수\n"
        "부산광역시,광고업(713),10,100\n중구,광고업(713),1,10\n"
        "대구광역시,광고업(713),10,100\n중구,광고업(713),2,20\n"
        "강원특별자치도,광고업(713),10,100\n고성군,광고업(713),3,30\n"
    )
    table = read_kosis(_write(tmp_path, text))
    assert table.sectors["region_name"].tolist() == ["부산광역시 중구", "대구광역시 중구", "강원도 고성군"]
    assert table.sectors["employees"].tolist() == [10, 20, 30]
    wrong = "행정구역별,산업분류별,2012\n,,종사자수\n경기도,광고업(713),100\n춘천시,광고업(713),10\n"
    _error(_write(tmp_path, wrong, "w.csv"), ["line 4", "'춘천시' sits under the province row 경기도", "강원도 춘천시 (42110"])


# -- layouts, encodings, values ---------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949"])
def test_two_header_rows_wide_in_every_encoding(tmp_path, encoding):
    table = read_kosis(_write(tmp_path, TWO_HEADER_WIDE, encoding=encoding))
    s = table.sectors
    assert list(s.columns) == ["region_name", "period", "ksic", "industry", "employees", "establishments"]
    assert len(s) == 8
    assert _cell(s, "서울특별시 강남구", "2012", "732", "employees") == 6543
    assert _cell(s, "서울특별시 강남구", "2012", "732", "establishments") == 1200
    assert _cell(s, "서울특별시 강남구", "2012", "G+I", "industry") == "도소매·숙박음식업(G,I)"
    assert pd.isna(_cell(s, "서울특별시 강남구", "2022", "732", "employees"))
    assert pd.isna(_cell(s, "서울특별시 강남구", "2022", "732", "establishments"))
    assert _cell(s, "경기도 수원시", "2012", "713", "employees") == 100
    assert pd.isna(_cell(s, "경기도 수원시", "2022", "713", "employees"))
    assert pd.isna(_cell(s, "경기도 가평군", "2012", "7212", "establishments"))
    assert pd.isna(_cell(s, "경기도 가평군", "2012", "7212", "employees"))
    assert _cell(s, "경기도 가평군", "2022", "7212", "employees") == 30
    assert table.totals.to_dict("records") == [
        {"region_name": "서울특별시 강남구", "period": "2012", "total_employees": 600000, "total_establishments": 50000},
        {"region_name": "서울특별시 강남구", "period": "2022", "total_employees": 700000, "total_establishments": 55000},
    ]
    notes = "\n".join(table.notes)
    assert "2 header row(s)" in notes and "wide" in notes and "1 national rows left out" in notes
    assert "left out: industry '기타 잡화(999)' has no KSIC code (1 row(s))" in notes
    for marker in ("'X'", "'-'", "'x'", "'…'", "'*'"):
        assert f"suppressed cells kept as missing ({marker})" in notes
    assert "1 empty cells kept as missing" in notes


def test_long_layout_with_code_columns_thousands_and_rse(tmp_path):
    text = (
        "시점,C행정구역별,행정구역별,C산업분류별,산업분류별,취업자 (천명),RSE\n"
        "2013,'11680,서울특별시 강남구,'732,전문 디자인업,12.3,5.1\n"
        "2013,'11680,서울특별시 강남구,'000,전산업,\"1,234.5\",1.0\n"
        "2023 p),'11680,서울특별시 강남구,'732,전문 디자인업,13,*\n"
    )
    table = read_kosis(_write(tmp_path, text, encoding="cp949"))
    s = table.sectors
    assert _rows(s[["period", "employees", "employees_rse", "employees_rse_high", "source_unit"]]) == [
        {"period": "2013", "employees": 12300, "employees_rse": 5.1, "employees_rse_high": False, "source_unit": "천명"},
        {"period": "2023", "employees": 13000, "employees_rse": None, "employees_rse_high": True, "source_unit": "천명"}]
    assert "establishments" not in s.columns
    assert table.totals["total_employees"].tolist() == [1234500]
    notes = "\n".join(table.notes)
    assert "long" in notes and "multiplied by 1000" in notes and "1 RSE cells flagged high" in notes
    assert "period 2023 is marked preliminary" in notes


def test_item_and_unit_columns_with_periods_across(tmp_path):
    text = ("행정구역별,산업별,항목,단위,2022.1/2,2022.2/2\n"
            "인제군,계,취업자,천명,20.1,20.3\n인제군,계,취업자 RSE,%,2.0,*\n"
            "인제군,건설업 (F) ,취업자,천명,1.2,-\n인제군,건설업 (F) ,취업자 RSE,%,*,-\n"
            "인제군,건설업 (F) ,구성비,%,6.0,5.9\n")
    table = read_kosis(_write(tmp_path, text))
    assert _rows(table.sectors) == [
        {"region_name": "강원도 인제군", "period": "2022.1/2", "ksic": "F", "industry": "건설업 (F)", "employees": 1200,
         "employees_rse": None, "employees_rse_high": True, "source_unit": "천명"},
        {"region_name": "강원도 인제군", "period": "2022.2/2", "ksic": "F", "industry": "건설업 (F)", "employees": None,
         "employees_rse": None, "employees_rse_high": False, "source_unit": "천명"},
    ]
    assert table.totals["total_employees_rse_high"].tolist() == [False, True]
    assert any("cells of item '구성비' left out" in n for n in table.notes)


def test_codes_only_give_region_code(tmp_path):
    text = "C행정구역별,산업분류별,항목,2012\n'11680,광고업(713),종사자수,5\n'11680,광고업(713),사업체수,2\n11,광고업(713),종사자수,9\n"
    table = read_kosis(_write(tmp_path, text))
    assert _rows(table.sectors) == [
        {"region_code": "11680", "period": "2012", "ksic": "713", "industry": "광고업(713)", "employees": 5,
         "establishments": 2}]
    assert any("1 province rows left out" in n for n in table.notes)


def test_xlsx_with_merged_period_and_region_cells(tmp_path):
    path = tmp_path / "k.xlsx"
    pd.DataFrame([
        ["행정구역별", "산업분류별", "2012", None, "2022", None],
        [None, None, "사업체수", "종사자수", "사업체수", "종사자수"],
        ["서울 강남구", "전문 디자인업(732)", "1,200", "6,543", "1,300", "7,000"],
        [None, "광고업(713)", "10", "100", "11", "110"],
    ]).to_excel(path, header=False, index=False)
    table = read_kosis(path)
    assert _cell(table.sectors, "서울특별시 강남구", "2022", "732", "employees") == 7000
    assert _cell(table.sectors, "서울특별시 강남구", "2012", "732", "establishments") == 1200
    assert _cell(table.sectors, "서울특별시 강남구", "2022", "713", "employees") == 110
    assert any("1 blank region cells filled" in n for n in table.notes)


@pytest.mark.parametrize("label, kind, code", [
    ("계", "total", ""), ("전산업", "total", ""), ("'000", "total", ""), ("농업, 임업 및 어업 (A)", "code", "A"),
    ("광·제조업(B,C)", "code", "B+C"), ("도소매·숙박음식업(G,I)", "code", "G+I"),
    ("전기·운수·통신·금융(D,H,J,K)", "code", "D+H+J+K"), ("사업·개인·공공서비스 및 기타(E,L~U)", "code", "E+L-U"),
    ("정보통신업(58~63)", "code", "J"), ("전문, 과학 및 기술 서비스업(70~73)", "code", "M"), ("출판업(58)", "code", "58"),
    ("전문 디자인업(732)", "code", "732"), ("M7153", "code", "7153"), ("경영 컨설팅업", "code", "71531"),
    ("시스템 소프트웨어 개발 및 공급업(58221)", "code", "58221"), ("가구 내 고용활동(T)", "code", "T"), ("T", "total", ""),
    ("계(A~U)", "total", ""), ("기타 잡화(999)", "unknown", "기타 잡화(999)"),
])
def test_industry_codes(label, kind, code):
    assert industry_code(label) == (kind, code)


@pytest.mark.parametrize("label, expected", [
    ("2024.1/2", "2024.1/2"), ("2024 1/2", "2024 1/2"), ("2024. 1/2", "2024. 1/2"), ("2024 2/4", "2024 2/4"),
    ("2024.03", "2024.03"), ("2024년", "2024년"), ("2024 상반기", "2024 상반기"), (" '2022 ", "2022"), ("2023 p)", "2023"),
    ("2024.3/2", None), ("2024.13", None), ("합계", None),
])
def test_period_labels(label, expected):
    found = period_label(label)
    assert (found[0] if found else None) == expected


# -- refused input ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("지역,산업분류별,2012\n,,종사자수\n강남구,광고업(713),abc\n", "line 3, column '2012 종사자수': 'abc' is not a finite number"),
        ("지역,산업분류별,2012\n,,종사자수\n강남구,광고업(713),-5\n", "line 3, column '2012 종사자수': '-5' is negative"),
        ("지역,산업분류별,2012\n,,종사자수\n강남구,광고업(713),inf\n", "line 3, column '2012 종사자수': 'inf' is not a finite number"),
        ("지역,산업분류별,2012\n,,종사자수\n강남구,광고업(713),1e309\n", "line 3, column '2012 종사자수': '1e309' is not a finite"),
        ("지역,산업분류별,2012\n,,종사자수\n강남구,광고업(713),nan\n", "line 3, column '2012 종사자수': 'nan' is not a finite"),
        ("지역,산업별,2024,2024\n,,취업자 (천명),취업자 RSE (%)\n강남구,계,1.0,inf\n",
         "line 3, column '2024 취업자 RSE (%)': 'inf' is not a finite number"),
        ("지역,산업분류별,2012\n,,종사자수\n강남구,광고업(713),1.5\n", "line 3, column '2012 종사자수': '1.5' is not a whole number"),
        ("지역,산업분류별,합계,2012\n,,종사자수,종사자수\n강남구,광고업(713),5,5\n",
         "line 1, column 3 ('합계 종사자수'): '합계', the header of the item '종사자수', is not a period"),
        ("지역,산업분류별,2012,비고\n강남구,광고업(713),5,x\n", "line 1, column 4 ('비고'): '비고' is not a period"),
        ("시점,지역,산업분류별,종사자수\n2012,강남구,광고업(713),5\n2012년 3분기,강남구,광고업(713),5\n",
         "line 3, column '시점': '2012년 3분기' is not a period"),
        ("산업분류별,2012\n,종사자수\n광고업(713),5\n", "line 1: no region column"),
        ("지역,2012\n,종사자수\n강남구,5\n", "line 1: no industry column"),
        ("지역,산업분류별,2012\n,,사업체수\n강남구,광고업(713),5\n", "line 1: no employees column"),
        ("지역,산업분류별,2012\n,,종사자수\n강남구,광고업(713),5\n강남구,광고업(713),6\n",
         "lines 3, 4: region '서울특별시 강남구', industry 713 (광고업(713)), period 2012 appears more than once"),
    ],
    ids=["non-numeric", "negative", "inf", "1e309", "nan", "rse-inf", "fraction", "non-period-over-item",
         "non-period-column", "non-period-cell", "no-region", "no-industry", "no-employees", "duplicate"],
)
def test_bad_input_names_file_line_and_column(tmp_path, text, expected):
    _error(_write(tmp_path, text), expected)


def test_missing_empty_and_undecodable_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_kosis(tmp_path / "none.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_kosis(tmp_path / "empty.csv")
    (tmp_path / "bad.csv").write_bytes(b"\xff\xfe\xfa\x00\x81\x00")
    with pytest.raises(InputError, match="cannot decode"):
        read_kosis(tmp_path / "bad.csv")
    _write(tmp_path, TWO_HEADER_WIDE, "cp.csv", "cp949")
    with pytest.raises(InputError, match="cannot decode the file as utf-8"):
        read_kosis(tmp_path / "cp.csv", encoding="utf-8")


# -- through the toolkit (needs the sector-table reader that accepts period and any industry) ---

def test_write_tidy_is_read_by_the_sector_table_reader(tmp_path):
    from kibs_spatial.io.sector_table import read_sector_table

    table = read_kosis(_write(tmp_path, TWO_HEADER_WIDE))
    write_tidy(table, tmp_path / "s.csv", tmp_path / "t.csv")
    raw = pd.read_csv(tmp_path / "s.csv", encoding="utf-8-sig", dtype=str)
    assert list(raw.columns) == list(table.sectors.columns)
    checked = read_sector_table(tmp_path / "s.csv", tmp_path / "t.csv")
    assert len(checked.sectors) == 8 and checked.sectors["employees"].isna().sum() == 3
    assert set(checked.sectors["ksic"]) == {"732", "G+I", "713", "7212"}


def test_ingest_command_then_join_to_the_bundled_regions(tmp_path, capsys):
    from kibs_spatial.cli import main
    from kibs_spatial.io.boundaries import load_bundled_regions
    from kibs_spatial.io.join import join_to_regions
    from kibs_spatial.io.sector_table import read_sector_table

    source = tmp_path / "survey.csv"
    truth = regional_employment_survey_2024(source, encoding="cp949")
    assert main(["ingest", "kosis", str(source), "--output", str(tmp_path / "tidy.csv")]) == 0
    assert "tidy_totals.csv" in capsys.readouterr().out
    table = read_sector_table(tmp_path / "tidy.csv", tmp_path / "tidy_totals.csv")
    joined = join_to_regions(table, load_bundled_regions("city", "2022"), allow_unmatched=True)
    report = joined.report.rows
    assert len(report) == len(table.sectors) + len(table.totals)  # every tidy row accounted for
    matched = report[report["status"] == "matched"]
    codes = dict(zip(matched["given_region"], matched["region_code"]))
    expected = {u["full_name"]: u["code"] for u in truth["units"]}
    assert {name: codes.get(name) for name in expected} == expected
