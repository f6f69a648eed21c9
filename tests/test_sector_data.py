"""Reading the tidy sector table: every bad input stops with a message naming file, line and column."""

import pandas as pd
import pytest

from kibs_spatial.errors import InputError
from kibs_spatial.io.sector_table import read_sector_table

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
    table = read_sector_table(*_write(tmp_path), years=(2012, 2022))
    rows = table.sectors.set_index(["region_code", "year"])
    assert rows.loc[("11680", 2022), "employees"] == 1200
    assert pd.isna(rows.loc[("11650", 2022), "employees"])  # missing, not zero
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
        (SECTORS.replace("2012,732,100", "2012,715,100"), TOTALS, ["sectors.csv", "line 2", "ksic", "'715'"]),
        
        
        (SECTORS.replace("region_code,", "code,"), TOTALS, ["sectors.csv", "no region column"]),
        (SECTORS.replace("employees,", "workers,"), TOTALS, ["sectors.csv", "missing column", "employees"]),
        (SECTORS.split("\n")[0] + "\n", TOTALS, ["sectors.csv", "no rows"]),
        ("", TOTALS, ["sectors.csv", "empty"]),
    ],
)
def test_bad_input_is_named(tmp_path, sectors, totals, expected):
    with pytest.raises(InputError) as error:
        read_sector_table(*_write(tmp_path, sectors, totals), years=(2012, 2022))
    for text in expected:
        assert text in str(error.value)


def test_years_not_in_the_table(tmp_path):
    with pytest.raises(InputError, match=r"no rows for year\(s\) 2019"):
        read_sector_table(*_write(tmp_path), years=(2012, 2019))


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_sector_table(tmp_path / "nope.csv", tmp_path / "totals.csv")
