"""Joining data rows to regions: every input row is matched or reported, never dropped silently."""

import geopandas as gpd
import pytest
from shapely.geometry import box

from kibs_spatial.errors import InputError
from kibs_spatial.join import join_to_regions
from kibs_spatial.sector_data import read_sector_table

REGIONS = gpd.GeoDataFrame(
    {
        "region_code": ["11680", "11650", "26110"],
        "name_ko": ["강남구", "서초구", "중구"],
        "full_name_ko": ["서울특별시 강남구", "서울특별시 서초구", "부산광역시 중구"],
        "name_en": ["Gangnam-gu", "Seocho-gu", "Jung-gu"],
    },
    geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)],
    crs="EPSG:5179",
)


def _table(tmp_path, sectors, totals):
    (tmp_path / "s.csv").write_text(sectors, encoding="utf-8")
    (tmp_path / "t.csv").write_text(totals, encoding="utf-8")
    return read_sector_table(tmp_path / "s.csv", tmp_path / "t.csv")


SECTORS = "region_code,year,ksic,employees,establishments\n11680,2022,732,10,2\n11650,2022,732,5,1\n99999,2022,732,3,1\n"
TOTALS = "region_code,year,total_employees\n11680,2022,100\n11650,2022,100\n99999,2022,100\n"


def test_unmatched_row_stops_the_run_with_file_and_line(tmp_path):
    with pytest.raises(InputError) as error:
        join_to_regions(_table(tmp_path, SECTORS, TOTALS), REGIONS)
    message = str(error.value)
    assert "s.csv, line 4" in message and "99999" in message and "allow_unmatched" in message


def test_allowed_unmatched_rows_are_in_the_report(tmp_path):
    joined = join_to_regions(_table(tmp_path, SECTORS, TOTALS), REGIONS, allow_unmatched=True)
    report = joined.report
    assert len(report.rows) == 6  # every input row of both tables
    assert report.matched == 4 and report.rejected == 2
    rejected = report.rows[report.rows["status"] == "rejected"]
    assert set(rejected["line"]) == {4} and set(rejected["table"]) == {"sectors", "totals"}
    assert rejected["reason"].str.contains("99999").all()
    assert sorted(joined.sectors["region_code"]) == ["11650", "11680"]
    assert report.regions_without_data == ["26110"]


def test_match_by_name(tmp_path):
    sectors = "region_name,year,ksic,employees,establishments\n서울특별시 강남구,2022,732,10,2\nSeocho-gu,2022,732,5,1\n서초구,2022,713,5,1\n중구,2022,713,1,1\n"
    totals = "region_name,year,total_employees\n서울특별시강남구,2022,100\nseocho-gu,2022,100\n부산광역시 중구,2022,100\n"
    joined = join_to_regions(_table(tmp_path, sectors, totals), REGIONS, allow_unmatched=True)
    assert joined.sectors["region_code"].tolist() == ["11680", "11650", "11650", "26110"]
    assert joined.report.rejected == 0


@pytest.mark.parametrize(
    "totals, expected",
    [
        (TOTALS.replace("11680,2022,100", "11680,2022,5"), ["s.csv", "line 2", "employees", "exceed", "t.csv"]),
        (TOTALS.replace("11680,2022,100", "11680,2022,"), ["t.csv", "11680", "s.csv, line 2", "missing or zero"]),
        (TOTALS.replace("11680,2022,100", "11680,2022,0"), ["t.csv", "11680", "missing or zero"]),
    ],
)
def test_sector_employment_must_fit_the_total(tmp_path, totals, expected):
    with pytest.raises(InputError) as error:
        join_to_regions(_table(tmp_path, SECTORS, totals), REGIONS, allow_unmatched=True)
    for text in expected:
        assert text in str(error.value)


def test_two_spellings_of_one_region_are_a_duplicate(tmp_path):
    sectors = "region_name,year,ksic,employees,establishments\n서울특별시 강남구,2022,732,10,2\n강남구,2022,732,5,1\n"
    totals = "region_name,year,total_employees\n서울특별시 강남구,2022,100\n"
    with pytest.raises(InputError, match=r"s.csv, lines 2, 3: these rows all match region 11680"):
        join_to_regions(_table(tmp_path, sectors, totals), REGIONS)
