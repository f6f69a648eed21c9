"""Reading the tidy sector table: every bad input stops with a message naming file, line and column."""

from dataclasses import replace

import pandas as pd
import pytest

from kibs_spatial.errors import InputError
from kibs_spatial.io.sector_table import read_sector_table, select_periods

SECTORS = """region_code,year,ksic,employees,establishments
11680,2012,732,100,20
11650,2012,732,50,10
11680,2022,732,"1,200",30
11650,2022,732,,
"""
TOTALS = """region_code,year,total_employees
11680,2012,10000
11650,2012,8000
11680,2022,12000
11650,2022,9000
"""


def _write(tmp_path, sectors=SECTORS, totals=TOTALS, encoding="utf-8"):
    s, t = tmp_path / "sectors.csv", tmp_path / "totals.csv"
    s.write_text(sectors, encoding=encoding)
    t.write_text(totals, encoding=encoding)
    return s, t


def test_reads_thousands_separators_and_keeps_missing(tmp_path):
    table = read_sector_table(*_write(tmp_path))
    rows = table.sectors.set_index(["region_code", "period"])
    assert rows.loc[("11680", "2022"), "employees"] == 1200
    assert pd.isna(rows.loc[("11650", "2022"), "employees"])  # missing, not zero
    assert table.sectors["region_code"].tolist()[0] == "11680"
    assert table.sectors["line"].tolist() == [2, 3, 4, 5]


def test_reads_cp949(tmp_path):
    sectors = "region_name,year,ksic,employees,establishments\n서울특별시 강남구,2012,732,1,1\n"
    totals = "region_name,year,total_employees\n서울특별시 강남구,2012,10\n"
    table = read_sector_table(*_write(tmp_path, sectors, totals, encoding="cp949"))
    assert table.sectors["region_name"].iloc[0] == "서울특별시 강남구"


@pytest.mark.parametrize(
    "sectors, totals, expected",
    [
        (SECTORS.replace("100,20", "-5,20"), TOTALS, ["sectors.csv", "line 2", "employees", "negative"]),
        (SECTORS.replace("100,20", "many,20"), TOTALS, ["sectors.csv", "line 2", "employees", "not a number"]),
        (SECTORS.replace("11650,2012", "11680,2012"), TOTALS, ["sectors.csv", "lines 2, 3", "more than once"]),
        (SECTORS.replace("100,20", "inf,20"), TOTALS, ["sectors.csv", "line 2", "employees", "not a finite number"]),
        (SECTORS.replace("100,20", "1e309,20"), TOTALS, ["sectors.csv", "line 2", "employees", "not a finite number"]),
        (SECTORS.replace("11680,2012,732", "11680,20x2,732"), TOTALS, ["sectors.csv", "line 2", "column year",
                                                                      "'20x2' is not a period"]),
        (SECTORS.replace("year,", "when,"), TOTALS, ["sectors.csv", "no period column"]),
        (SECTORS.replace("region_code,", "code,"), TOTALS, ["sectors.csv", "no region column"]),
        (SECTORS.replace("employees,", "workers,"), TOTALS, ["sectors.csv", "missing column", "employees"]),
        (SECTORS.split("\n")[0] + "\n", TOTALS, ["sectors.csv", "no rows"]),
        ("", TOTALS, ["sectors.csv", "empty"]),
    ],
)
def test_bad_input_is_named(tmp_path, sectors, totals, expected):
    with pytest.raises(InputError) as error:
        read_sector_table(*_write(tmp_path, sectors, totals))
    for text in expected:
        assert text in str(error.value)


def test_periods_not_in_the_table(tmp_path):
    table = read_sector_table(*_write(tmp_path))
    with pytest.raises(InputError, match=r"totals.csv, column period: no rows for period\(s\) 2019"):
        select_periods(replace(table, sectors=table.sectors.assign(period="2019")), ["2019"])
    assert select_periods(table, ["2022"]).sectors["period"].tolist() == ["2022", "2022"]


def test_periods_labels_industries_and_quality_columns(tmp_path):
    sectors = ("region_name,period,ksic,industry,employees,employees_rse,employees_rse_high,source_unit\n"
               "서울 종로구,2024.1/2,D+H+J+K,\"전기·운수·통신·금융(D,H,J,K)\",74300,3.1,false,천명\n"
               "서울 종로구,2024.2/2,D+H+J+K,\"전기·운수·통신·금융(D,H,J,K)\",75100,,true,천명\n")
    totals = "region_name,period,total_employees,source_unit\n서울 종로구,2024.1/2,300000,천명\n서울 종로구,2024.2/2,301000,천명\n"
    table = read_sector_table(*_write(tmp_path, sectors, totals))
    assert table.sectors["period"].tolist() == ["2024.1/2", "2024.2/2"]
    assert table.sectors["employees_rse"].tolist()[0] == 3.1 and pd.isna(table.sectors["employees_rse"].iloc[1])
    assert table.sectors["employees_rse_high"].tolist() == [False, True]
    assert table.industries.to_dict("records") == [{"ksic": "D+H+J+K", "industry": "전기·운수·통신·금융(D,H,J,K)"}]
    assert table.units == {"employees": "천명", "total_employees": "천명"} and not table.has_establishments


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_sector_table(tmp_path / "nope.csv", tmp_path / "totals.csv")
