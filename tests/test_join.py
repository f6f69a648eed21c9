"""Joining data rows to regions: every input row is matched or reported, never dropped silently."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from kibs_spatial.errors import InputError
from kibs_spatial.io.join import join_to_regions
from kibs_spatial.io.sector_table import read_sector_table

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


@pytest.fixture(scope="module")
def bundled():
    from kibs_spatial.io.boundaries import load_bundled_regions
    return load_bundled_regions()


def _rows(header, rows):
    return header + "\n" + "\n".join(rows) + "\n"


def test_whole_city_against_its_districts_stops_without_harmonize(tmp_path, bundled):
    sectors = _rows("region_name,year,ksic,employees,establishments", ["경기 수원시,2022,732,40,4", "서울 강남구,2022,732,10,1"])
    totals = _rows("region_name,year,total_employees", ["경기 수원시,2022,1000", "서울 강남구,2022,500"])
    with pytest.raises(InputError) as error:
        join_to_regions(_table(tmp_path, sectors, totals), bundled)
    message = str(error.value)
    assert "s.csv, line 2, column region_name" in message and "41111;41113;41115;41117" in message
    assert "harmonize = true" in message


def test_whole_city_is_dissolved_when_harmonised(tmp_path, bundled):
    sectors = _rows("region_name,year,ksic,employees,establishments",
                    ["경기 수원시,2022,732,40,4", "서울 강남구,2022,732,10,1", "수원시 장안구,2022,713,5,1", "수원시 권선구,2022,713,7,"])
    totals = _rows("region_name,year,total_employees", ["경기 수원시,2022,1000", "서울 강남구,2022,500"])
    joined = join_to_regions(_table(tmp_path, sectors, totals), bundled, harmonize=True)
    layer = joined.regions
    assert len(layer) == len(bundled) - 4 + 1
    suwon = layer[layer["region_code"] == "41110"].iloc[0]
    assert suwon["name_ko"] == "수원시" and suwon["parent_code"] == ""
    districts = bundled[bundled["parent_code"] == "41110"]
    assert suwon.geometry.equals(districts.geometry.union_all())
    rows = joined.sectors.set_index(["region_code", "ksic"])
    assert rows.loc[("41110", "732"), "employees"] == 40
    # 713: two of the four districts only -> the sum for the whole city is missing, not 12
    assert pd.isna(rows.loc[("41110", "713"), "employees"]) and pd.isna(rows.loc[("41110", "713"), "establishments"])
    report = joined.report
    assert report.rows["status"].tolist().count("aggregated") == 4 and report.rejected == 0
    assert "no data for part(s) 41115, 41117" in report.rows.loc[3, "reason"]
    assert any(note.startswith("41110 = 41111 장안구") for note in report.harmonized)
    assert "harmonised: 41110" in report.to_text()


def test_cheongju_merger_matches_the_2013_layer(tmp_path, bundled):
    sectors = _rows("region_name,year,ksic,employees,establishments", [
        "충북 청주시,2012,62,100,10", "충북 청원군,2012,62,20,2", "충북 청주시,2022,62,150,12"])
    totals = _rows("region_name,year,total_employees", ["충북 청주시,2012,5000", "충북 청원군,2012,1000", "충북 청주시,2022,7000"])
    joined = join_to_regions(_table(tmp_path, sectors, totals), bundled, harmonize=True)
    code = "43111+43113+43710"
    assert code in set(joined.regions["region_code"]) and "43710" not in set(joined.regions["region_code"])
    values = joined.sectors.set_index("period")
    assert values.loc["2012", "employees"] == 120 and values.loc["2022", "employees"] == 150
    assert joined.totals.set_index("period").loc["2012", "total_employees"] == 6000
    reason = joined.report.rows.loc[2, "reason"]
    assert "as merged in 2014" in reason and f"aggregated into {code}" in reason


def test_whole_and_parts_together_would_count_twice(tmp_path, bundled):
    sectors = _rows("region_name,year,ksic,employees,establishments", ["경기 수원시,2022,732,40,4", "수원시 장안구,2022,732,5,1"])
    totals = _rows("region_name,year,total_employees", ["경기 수원시,2022,1000"])
    with pytest.raises(InputError, match=r"lines 2, 3: these rows all cover unit\(s\) 41111 .*same area twice"):
        join_to_regions(_table(tmp_path, sectors, totals), bundled, harmonize=True)


def test_kostat_coded_tables_join_the_mois_layer(tmp_path, bundled):
    sectors = _rows("region_code,year,ksic,employees,establishments", ["11230,2022,732,10,1", "21510,2022,732,3,1", "11060,2022,732,2,1"])
    totals = _rows("region_code,year,total_employees", ["11230,2022,100", "21510,2022,100", "11060,2022,100"])
    joined = join_to_regions(_table(tmp_path, sectors, totals), bundled)
    assert joined.sectors["region_code"].tolist() == ["11680", "26710", "11230"]  # 강남구, 기장군, 동대문구 in MOIS codes
    with pytest.raises(InputError, match=r"s.csv, line 3 \(21510\) and line 4 \(41111\), column region_code: region codes mix KOSTAT"):
        join_to_regions(_table(tmp_path, sectors.replace("11060,", "41111,"), totals), bundled)


def test_repaired_geometries_are_carried_by_the_report(tmp_path):
    regions = REGIONS.copy()
    regions.attrs["repaired"] = 2
    joined = join_to_regions(_table(tmp_path, SECTORS, TOTALS), regions, allow_unmatched=True)
    assert joined.report.repaired_geometries == 2
    assert "2 boundary geometries were invalid and repaired" in joined.report.to_text()


def _current_names(bundled):
    """Names of today's si-gun-gu, from the bundled 2013 units and the published changes since."""
    names = bundled["full_name_ko"].str.replace("강원도", "강원특별자치도").str.replace("전라북도", "전북특별자치도")
    names = names.str.replace("경기도 여주군", "경기도 여주시").str.replace("인천광역시 남구", "인천광역시 미추홀구")
    names = names.str.replace("경상북도 군위군", "대구광역시 군위군")
    names = names[~bundled["region_code"].isin(["43111", "43113", "43710"])].tolist()
    return names + [f"충청북도 청주시 {gu}" for gu in ("상당구", "서원구", "흥덕구", "청원구")]


def test_current_names_only_list_against_the_bundled_layer(tmp_path, bundled):
    """Today's 252 si-gun-gu by name: every row is in the report, matched, aggregated or rejected with a reason."""
    names = _current_names(bundled)
    assert len(names) == 252
    sectors = "region_name,year,ksic,employees,establishments\n" + "".join(f"{n},2024,732,{i + 1},1\n" for i, n in enumerate(names))
    totals = "region_name,year,total_employees\n" + "".join(f"{n},2024,10000\n" for n in names)
    table = _table(tmp_path, sectors, totals)
    joined = join_to_regions(table, bundled, allow_unmatched=True)
    rows = joined.report.rows
    assert len(rows) == 2 * 252 and rows["line"].tolist() == list(range(2, 254)) * 2
    rejected = rows[rows["status"] == "rejected"]
    assert sorted(rejected["given_region"].unique()) == sorted(names[-4:])  # the four gu of the 2014 Cheongju-si
    assert rejected["reason"].str.contains("as merged in 2014: needs aggregation \\[43111;43113;43710\\]").all()
    assert joined.report.matched == 2 * 248

    joined = join_to_regions(table, bundled, harmonize=True)
    rows = joined.report.rows
    assert joined.report.rejected == 0 and joined.report.aggregated == 8
    assert len(joined.regions) == 251 - 3 + 1
    cheongju = joined.sectors.set_index("region_code").loc["43111+43113+43710"]
    assert cheongju["employees"] == sum(range(249, 253))  # the four new gu added up
    assert joined.report.regions_without_data == []


def test_new_district_missing_makes_the_sum_missing(tmp_path, bundled):
    names = [f"충북 청주시 {gu}" for gu in ("상당구", "서원구", "흥덕구")]
    sectors = "region_name,year,ksic,employees,establishments\n" + "".join(f"{n},2022,732,5,1\n" for n in names)
    totals = "region_name,year,total_employees\n" + "".join(f"{n},2022,100\n" for n in names)
    joined = join_to_regions(_table(tmp_path, sectors, totals), bundled, harmonize=True)
    assert pd.isna(joined.sectors["employees"].iloc[0])
    assert "no data for part(s) 43114" in joined.report.rows["reason"].iloc[0]


def test_tables_already_in_the_2013_structure_are_left_alone(tmp_path, bundled):
    """A 2022 table that still lists 청원군 uses the 2013 units: 43111 is the old 상당구, no aggregation."""
    codes = ["43111", "43113", "43710"]
    sectors = "region_code,year,ksic,employees,establishments\n" + "".join(f"{c},2022,732,5,1\n" for c in codes)
    totals = "region_code,year,total_employees\n" + "".join(f"{c},2022,100\n" for c in codes)
    joined = join_to_regions(_table(tmp_path, sectors, totals), bundled)
    assert joined.sectors["region_code"].tolist() == codes and joined.report.rejected == 0
    assert "reused in 2014" in joined.report.rows["reason"].iloc[0]
    alone = "region_code,year,ksic,employees,establishments\n43111,2022,732,5,1\n"
    with pytest.raises(InputError, match="43111 in 2022 is the district 43111 of 충청북도 청주시 .* as merged in 2014"):
        join_to_regions(_table(tmp_path, alone, "region_code,year,total_employees\n43111,2022,100\n"), bundled)
