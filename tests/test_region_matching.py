"""Matching region names and codes of any vintage to the bundled si-gun-gu units."""

import pandas as pd
import pytest

from kibs_spatial.errors import InputError
from kibs_spatial.io.boundaries import load_bundled_regions
from kibs_spatial.io.region_crosswalk import load_kostat_codes, load_region_changes
from kibs_spatial.io.region_matching import match_regions


@pytest.fixture(scope="module")
def regions():
    return load_bundled_regions().drop(columns="geometry")


def _one(regions, value, context=None, **kwargs):
    ctx = None if context is None else pd.Series([context])
    return match_regions(pd.Series([value]), regions, context_sido=ctx, **kwargs).rows.iloc[0]


@pytest.mark.parametrize("name, code", [
    ("서울특별시 강남구", "11680"), ("서울 강남구", "11680"), ("서울시강남구", "11680"), ("  서울특별시   강남구 ", "11680"),
    ("수원시 장안구", "41111"), ("수원시장안구", "41111"), ("장안구", "41111"), ("경기 수원시 장안구", "41111"),
    ("가평군", "41820"), ("강남", "11680"), ("부산진구", "26230"), ("강원특별자치도 춘천시", "42110"),
    ("전북특별자치도 전주시 완산구", "45111"), ("경북 남구", "47111"), ("Gangnam-gu", "11680"), ("세종", "36110"),
])
def test_names_match(regions, name, code):
    row = _one(regions, name)
    assert (row["status"], row["region_code"], row["method"]) == ("matched", code, "name")


@pytest.mark.parametrize("name, context, code", [
    ("고성군", "강원", "42820"), ("고성군", "경상남도", "48820"), ("중구", "26", "26110"), ("광주시", "경기도", "41610"),
    ("광주", "41", "41610"), ("강원 고성군", None, "42820"), ("경남 고성군", None, "48820"), ("광주 동구", None, "29110"),
])
def test_ambiguous_names_resolved_by_province(regions, name, context, code):
    row = _one(regions, name, context)
    assert (row["status"], row["region_code"]) == ("matched", code)


@pytest.mark.parametrize("name, candidates", [
    ("고성군", ["강원도 고성군 (42820)", "경상남도 고성군 (48820)"]),
    ("중구", ["서울특별시 중구 (11140)", "부산광역시 중구 (26110)"]),
    ("광주시", ["광주광역시 (province total)", "경기도 광주시 (41610)"]),
])
def test_ambiguous_names_without_province_are_rejected_with_candidates(regions, name, candidates):
    row = _one(regions, name)
    assert row["status"] == "rejected" and "ambiguous" in row["reason"]
    for candidate in candidates:
        assert candidate in row["candidates"]


def test_province_and_national_rows_are_rejected_not_dropped(regions):
    rows = match_regions(pd.Series(["전국", "서울특별시", "광주시"]), regions,
                         context_sido=pd.Series([None, None, "광주광역시"])).rows
    assert rows["status"].tolist() == ["rejected"] * 3
    assert "national" in rows["reason"].iloc[0] and "province total" in rows["reason"].iloc[1]
    assert "province total" in rows["reason"].iloc[2]


@pytest.mark.parametrize("given, code", [
    ("11680", "11680"), ("'11680", "11680"), ("1168000000", "11680"), ("51110", "42110"), ("52111", "45111"), ("27720", "47720"),
])
def test_mois_codes_and_newer_codes(regions, given, code):
    row = _one(regions, given)
    assert (row["status"], row["region_code"]) == ("matched", code)
    assert row["method"] == ("code" if given.lstrip("'")[:5] == code else "crosswalk")


@pytest.mark.parametrize("name, code", [("여주시", "41730"), ("미추홀구", "28170"), ("인천 미추홀구", "28170"),
                                        ("당진군", "44270"), ("대구 군위군", "47720")])
def test_crosswalk_names(regions, name, code):
    row = _one(regions, name)
    assert (row["status"], row["region_code"], row["method"]) == ("matched", code, "crosswalk")


@pytest.mark.parametrize("given, parts", [
    ("청주시 서원구", "43111;43113;43710"), ("청원구", "43111;43113;43710"), ("부천시", "41195;41197;41199"),
    ("41110", "41111;41113;41115;41117"), ("고양시", "41281;41285;41287"),
])
def test_units_needing_aggregation_are_reported(regions, given, parts):
    row = _one(regions, given)
    assert row["status"] == "rejected" and "needs aggregation" in row["reason"] and row["aggregate_codes"] == parts


def test_merged_away_unit_cannot_be_split(regions):
    row = _one(regions, "연기군")
    assert row["status"] == "rejected" and "36110" in row["candidates"] and "cannot be split" in row["reason"]


def test_reused_code_is_matched_with_a_warning(regions):
    row = _one(regions, "43111")
    assert row["status"] == "matched" and "reused in 2014" in row["reason"]


@pytest.mark.parametrize("given, code", [
    ("11230", "11680"), ("11060", "11230"), ("21310", "26710"), ("21510", "26710"), ("'31011", "41111"),
    ("32410", "42830"), ("32610", "42830"), ("39010", "50110"), ("29010", "36110"), ("37310", "47720"),
])
def test_kostat_codes_are_translated(regions, given, code):
    # 11230 is 강남구 in KOSTAT codes (MOIS 11680); 11060 동대문구 is MOIS 11230; 기장군 on both bases
    result = match_regions(pd.Series([given, "11010"]), regions)
    row = result.rows.iloc[0]
    assert result.code_system == "kostat"
    assert (row["status"], row["region_code"], row["method"]) == ("matched", code, "kostat")


def test_kostat_whole_city_and_unknown_code(regions):
    rows = match_regions(pd.Series(["31010", "99999"]), regions, code_system="kostat").rows
    assert rows["aggregate_codes"].iloc[0] == "41111;41113;41115;41117" and "needs aggregation" in rows["reason"].iloc[0]
    assert rows["status"].iloc[1] == "rejected" and "not in the bundled KOSTAT table" in rows["reason"].iloc[1]


def test_declared_system_decides_ambiguous_codes(regions):
    assert match_regions(pd.Series(["11230"]), regions, code_system="kostat").rows["region_code"].iloc[0] == "11680"
    assert match_regions(pd.Series(["11230"]), regions, code_system="mois").rows["region_code"].iloc[0] == "11230"
    with pytest.raises(InputError, match="cannot tell"):
        match_regions(pd.Series(["11230"]), regions, code_system="auto")


def test_mixed_or_undecidable_codes_are_refused(regions):
    with pytest.raises(InputError, match="mix KOSTAT statistical codes .* and MOIS legal codes"):
        match_regions(pd.Series(["11680", "21310"]), regions)
    with pytest.raises(InputError, match="cannot tell.*region_code_system"):
        match_regions(pd.Series(["11230"]), regions)


def test_kostat_table_agrees_with_the_layer_by_name(regions):
    """Every KOSTAT unit maps to one bundled unit whose name agrees; the two exceptions are listed."""
    table = load_kostat_codes()
    units = table[table["kind"] == "unit"]
    assert len(units) == len(regions) == 251 and not units["mois_code"].duplicated().any()
    layer = regions.set_index("region_code")
    differ = []
    for row in units.itertuples():
        unit = layer.loc[row.mois_code]
        if row.kostat_name.replace(" ", "") not in (unit.name_ko, unit.parent_city + unit.name_ko):
            differ.append(row.kostat_code)
    assert differ == ["31280"]  # 여주시 in KOSTAT 2013, 여주군 in the bundled layer
    assert set(units.loc[units["note"] != "", "kostat_code"]) == {"31280"}
    # 8-digit basis: counties +200, cities and districts unchanged
    codes = dict(zip(table["kostat_code"], table["kostat_code_8"]))
    assert (codes["21310"], codes["36480"], codes["31011"], codes["11230"]) == ("21510", "36680", "31011", "11230")


def test_bundled_layer_against_a_kostat_coded_list_accounts_for_every_row(regions):
    table = load_kostat_codes()
    given = pd.concat([table.loc[table["kind"] == "unit", "kostat_code_8"], pd.Series(["00", "36990"])], ignore_index=True)
    result = match_regions(given, regions)
    assert len(result.rows) == len(given) == 253
    assert result.matched == 251 and result.rejected == 2
    assert sorted(result.rows["region_code"].dropna()) == sorted(regions["region_code"])
    assert result.rows["reason"].iloc[-1].startswith("KOSTAT code 36990 is not in the bundled KOSTAT table")


def test_every_bundled_unit_matches_by_its_current_full_name(regions):
    current = regions["full_name_ko"].str.replace("강원도", "강원특별자치도").str.replace("전라북도", "전북특별자치도")
    current = current.str.replace("여주군", "여주시").str.replace("인천광역시 남구", "인천광역시 미추홀구")
    given = pd.concat([current, pd.Series(["전국", "없는군"])], ignore_index=True)
    result = match_regions(given, regions)
    assert len(result.rows) == len(given)
    assert result.matched == len(regions) and result.rejected == 2
    assert sorted(result.rows["region_code"].dropna()) == sorted(regions["region_code"])
    assert result.rows["reason"].iloc[-1].startswith("region name '없는군' matches no unit")


def test_crosswalk_rows_are_well_formed():
    changes = load_region_changes()
    assert set(changes["change"]) <= {"rename", "recode", "merge", "split", "reorganise"}
    assert (changes["source"] != "").all()
