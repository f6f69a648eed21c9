"""Matching region names and codes of any vintage to the bundled si-gun-gu units."""

import pandas as pd
import pytest

from kibs_spatial.boundaries import load_bundled_regions
from kibs_spatial.errors import InputError
from kibs_spatial.region_crosswalk import load_region_changes
from kibs_spatial.region_matching import match_regions


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


def test_kostat_codes_are_refused(regions):
    with pytest.raises(InputError, match="KOSTAT -> MOIS crosswalk is needed"):
        match_regions(pd.Series(["11010", "11230", "21310"]), regions)
    with pytest.raises(InputError, match="KOSTAT -> MOIS crosswalk is needed"):
        match_regions(pd.Series(["11680"]), regions, code_system="kostat")


def test_mixed_or_undecidable_codes_are_refused(regions):
    with pytest.raises(InputError, match="mix KOSTAT"):
        match_regions(pd.Series(["11680", "21310"]), regions)
    with pytest.raises(InputError, match="cannot tell"):
        match_regions(pd.Series(["11230"]), regions)
    row = match_regions(pd.Series(["11230"]), regions, code_system="mois").rows.iloc[0]
    assert row["region_code"] == "11230"  # 동대문구 in MOIS codes


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
    assert set(changes["change"]) <= {"rename", "recode", "merge", "split"}
    assert (changes["source"] != "").all()
