"""Reading KOSIS downloads in the forms users get them into the tidy sector tables."""

import pandas as pd
import pytest

from kibs_spatial.errors import InputError
from kibs_spatial.io.kosis import read_kosis, write_tidy
from kibs_spatial.io.sector_table import read_sector_table

TWO_HEADER_WIDE = (
    "행정구역별,산업분류별,2012,2012,2022,2022\n"
    ",,사업체수 (개),종사자수 (명),사업체수 (개),종사자수 (명)\n"
    "전국,계,\"3,602,476\",\"18,093,190\",\"4,000,000\",\"20,000,000\"\n"
    "서울특별시 강남구,계,\"50,000\",\"600,000\",\"55,000\",\"700,000\"\n"
    "서울특별시 강남구,전문 디자인업(732),\"1,200\",\"6,543\",X,-\n"
    "서울특별시 강남구,\"도소매·숙박음식업(G,I)\",100,200,300,400\n"
    "경기 수원시,광고업(713),10,100,x,…\n"
    "가평군,엔지니어링 서비스업(7212),*,,3,30\n"
)


def _write(tmp_path, text, name="k.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _cell(frame, region, year, ksic, column, region_column="region_name"):
    row = frame[(frame[region_column] == region) & (frame["year"] == year) & (frame["ksic"] == ksic)]
    assert len(row) == 1, (region, year, ksic)
    return row[column].iloc[0]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949"])
def test_two_header_rows_wide_in_every_encoding(tmp_path, encoding):
    table = read_kosis(_write(tmp_path, TWO_HEADER_WIDE, encoding=encoding))
    s = table.sectors
    assert list(s.columns) == ["region_name", "year", "ksic", "employees", "establishments"]
    assert len(s) == 6
    assert _cell(s, "서울특별시 강남구", 2012, "732", "employees") == 6543
    assert _cell(s, "서울특별시 강남구", 2012, "732", "establishments") == 1200
    assert pd.isna(_cell(s, "서울특별시 강남구", 2022, "732", "employees"))
    assert pd.isna(_cell(s, "서울특별시 강남구", 2022, "732", "establishments"))
    assert _cell(s, "경기 수원시", 2012, "713", "employees") == 100
    assert pd.isna(_cell(s, "경기 수원시", 2022, "713", "employees"))
    assert pd.isna(_cell(s, "가평군", 2012, "7212", "establishments"))
    assert pd.isna(_cell(s, "가평군", 2012, "7212", "employees"))
    assert _cell(s, "가평군", 2022, "7212", "employees") == 30
    t = table.totals
    assert t.to_dict("records") == [
        {"region_name": "서울특별시 강남구", "year": 2012, "total_employees": 600000, "total_establishments": 50000},
        {"region_name": "서울특별시 강남구", "year": 2022, "total_employees": 700000, "total_establishments": 55000},
    ]
    notes = "\n".join(table.notes)
    assert "2 header row(s)" in notes and "wide" in notes
    assert "1 national rows" in notes
    assert "1 non-KIBS industry rows" in notes
    for marker in ("'X'", "'-'", "'x'", "'…'", "'*'"):
        assert f"suppressed cells kept as missing ({marker})" in notes
    assert "1 empty cells kept as missing" in notes


def test_one_header_row_long_with_code_columns_and_thousands(tmp_path):
    text = (
        "시점,C행정구역별,행정구역별,C산업분류별,산업분류별,취업자 (천명),RSE\n"
        "2013,'11680,서울특별시 강남구,'732,전문 디자인업,12.3,5.1\n"
        "2013,'11680,서울특별시 강남구,'000,전산업,\"1,234.5\",1.0\n"
        "2023,'11680,서울특별시 강남구,'732,전문 디자인업,13,4.0\n"
    )
    table = read_kosis(_write(tmp_path, text, encoding="cp949"))
    s = table.sectors
    assert _cell(s, "서울특별시 강남구", 2013, "732", "employees") == 12300
    assert _cell(s, "서울특별시 강남구", 2023, "732", "employees") == 13000
    assert s["establishments"].isna().all()
    assert table.totals["total_employees"].tolist() == [1234500]
    notes = "\n".join(table.notes)
    assert "long" in notes and "multiplied by 1000" in notes and "RSE" in notes
    assert "no establishments values" in notes


def test_codes_only_give_region_code(tmp_path):
    text = "C행정구역별,산업분류별,항목,2012\n'11680,광고업(713),종사자수,5\n'11680,광고업(713),사업체수,2\n11,광고업(713),종사자수,9\n"
    table = read_kosis(_write(tmp_path, text))
    assert table.sectors.to_dict("records") == [
        {"region_code": "11680", "year": 2012, "ksic": "713", "employees": 5, "establishments": 2}
    ]
    assert any("1 province rows" in n for n in table.notes)


def test_units_under_province_rows_get_the_province(tmp_path):
    text = (
        "행정구역별,산업분류별,2012,2012\n,,사업체수,종사자수\n"
        "부산광역시,광고업(713),10,100\n중구,광고업(713),1,10\n"
        "대구광역시,광고업(713),10,100\n중구,광고업(713),2,20\n"
    )
    table = read_kosis(_write(tmp_path, text))
    assert table.sectors["region_name"].tolist() == ["부산광역시 중구", "대구광역시 중구"]
    assert table.sectors["employees"].tolist() == [10, 20]


def test_xlsx_with_merged_period_cells(tmp_path):
    path = tmp_path / "k.xlsx"
    pd.DataFrame([
        ["행정구역별", "산업분류별", "2012", None, "2022", None],
        [None, None, "사업체수", "종사자수", "사업체수", "종사자수"],
        ["서울 강남구", "전문 디자인업(732)", "1,200", "6,543", "1,300", "7,000"],
    ]).to_excel(path, header=False, index=False)
    table = read_kosis(path)
    assert _cell(table.sectors, "서울 강남구", 2022, "732", "employees") == 7000
    assert _cell(table.sectors, "서울 강남구", 2012, "732", "establishments") == 1200


def test_sub_annual_periods_keep_the_last_and_say_so(tmp_path):
    text = "행정구역별,산업분류별,2024.1/2,2024.2/2\n,,취업자 (천명),취업자 (천명)\n고양시,광고업(713),1.5,2.5\n"
    table = read_kosis(_write(tmp_path, text))
    assert table.sectors["employees"].tolist() == [2500]
    assert any("kept 2024.2/2" in n for n in table.notes)


def test_write_tidy_is_read_by_the_sector_table_reader(tmp_path):
    table = read_kosis(_write(tmp_path, TWO_HEADER_WIDE))
    write_tidy(table, tmp_path / "s.csv", tmp_path / "t.csv")
    checked = read_sector_table(tmp_path / "s.csv", tmp_path / "t.csv")
    assert len(checked.sectors) == 6 and checked.sectors["employees"].isna().sum() == 3


@pytest.mark.parametrize(
    "text, expected",
    [
        ("지역,산업분류별,2012\n,,종사자수\n강남구,광고업(713),abc\n", "line 3, column '2012 종사자수': 'abc' is not a number"),
        ("지역,산업분류별,2012\n,,종사자수\n강남구,광고업(713),-5\n", "line 3, column '2012 종사자수': '-5' is negative"),
        ("산업분류별,2012\n,종사자수\n광고업(713),5\n", "no region column"),
        ("지역,2012\n,종사자수\n강남구,5\n", "no industry column"),
        ("지역,산업분류별,2012\n,,사업체수\n강남구,광고업(713),5\n", "no employees column"),
    ],
    ids=["non-numeric", "negative", "no-region", "no-industry", "no-employees"],
)
def test_bad_input_names_file_line_and_column(tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as error:
        read_kosis(path)
    assert str(path) in str(error.value) and expected in str(error.value)


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


def test_duplicate_rows_are_refused(tmp_path):
    text = "지역,산업분류별,2012\n,,종사자수\n강남구,광고업(713),5\n강남구,광고업(713),6\n"
    with pytest.raises(InputError, match="lines 3, 4"):
        read_kosis(_write(tmp_path, text))


def test_ingest_command_then_join_to_the_bundled_regions(tmp_path, capsys):
    from kibs_spatial.cli import main
    from kibs_spatial.io.boundaries import load_bundled_regions
    from kibs_spatial.io.join import join_to_regions

    source = _write(tmp_path, TWO_HEADER_WIDE, encoding="cp949")
    assert main(["ingest", "kosis", str(source), "--output", str(tmp_path / "tidy.csv")]) == 0
    assert "tidy_totals.csv" in capsys.readouterr().out
    with open(tmp_path / "tidy_totals.csv", "a", encoding="utf-8") as totals:  # the file has no total for these two
        totals.write("가평군,2012,30000\n가평군,2022,31000\n경기 수원시,2012,500000\n경기 수원시,2022,520000\n")
    table = read_sector_table(tmp_path / "tidy.csv", tmp_path / "tidy_totals.csv")
    joined = join_to_regions(table, load_bundled_regions(), allow_unmatched=True)
    report = joined.report.rows.set_index(["table", "line"])
    assert len(report) == len(table.sectors) + len(table.totals)  # every tidy row accounted for
    assert set(joined.sectors.loc[joined.sectors["region_name"] == "서울특별시 강남구", "region_code"]) == {"11680"}
    assert set(joined.sectors.loc[joined.sectors["region_name"] == "가평군", "region_code"]) == {"41820"}
    suwon = report[report["given_region"] == "경기 수원시"]
    assert (suwon["status"] == "rejected").all() and suwon["reason"].str.contains("41111").all()  # four gu to add up
