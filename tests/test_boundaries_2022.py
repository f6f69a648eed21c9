"""The bundled 2022-03-09 boundary GeoPackage and the KOSTAT <-> MOIS crosswalk of the same date.

The files are read directly (pyogrio / pandas), not through the package's loaders.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from libpysal.weights import Queen

from kibs_spatial.analysis.weights import build_weights
from kibs_spatial.resources import data_path

REPOSITORY = Path(__file__).resolve().parents[1]
GPKG_2022 = "kr_sigungu_2022.gpkg"
GPKG_2013 = "kr_sigungu_2013.gpkg"
REFERENCE = REPOSITORY / "src" / "kibs_spatial" / "reference"
CROSSWALK_2022 = REFERENCE / "kostat_sigungu_2022.csv"
CROSSWALK_2013 = REFERENCE / "kostat_sigungu.csv"

UNITS, CITIES, PROVINCES = 250, 229, 17
# 11 cities with general-purpose districts in 2022 (Bucheon had none), 32 districts
DISTRICT_CITIES = {"41110", "41130", "41170", "41270", "41280", "41460", "43110", "44130", "45110", "47110", "48120"}
ISLANDS_PLAIN = {"28720": "옹진군", "46890": "완도군", "46900": "진도군", "47940": "울릉군", "48310": "거제시", "48840": "남해군"}
GANGNAM_NEIGHBOURS = {"11650", "11710", "11200", "11215", "11170", "41131"}  # 서초 송파 성동 광진 용산 성남시 수정구


def read(layer: str, file: str = GPKG_2022) -> gpd.GeoDataFrame:
    return gpd.read_file(data_path("boundaries", file), layer=layer, engine="pyogrio")


@pytest.fixture(scope="module")
def units():
    return read("sigungu")


@pytest.fixture(scope="module")
def cities():
    return read("sigungu_city")


@pytest.fixture(scope="module")
def crosswalk():
    return pd.read_csv(CROSSWALK_2022, dtype=str, keep_default_na=False)


def row(frame, value, column="region_code"):
    match = frame[frame[column] == value]
    assert len(match) == 1, value
    return match.iloc[0]


def pairs(neighbors: dict) -> set[frozenset]:
    return {frozenset((str(a), str(b))) for a, nbrs in neighbors.items() for b in nbrs}


# --------------------------------------------------------------------------- the file

def test_layers_and_geopackage_version():
    path = data_path("boundaries", GPKG_2022)
    assert dict(pyogrio.list_layers(path)) == {
        "sigungu": "MultiPolygon", "sigungu_city": "MultiPolygon", "sido": "MultiPolygon", "layer_provenance": None,
    }
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200  # GeoPackage 1.2
    assert path.stat().st_size < 6_000_000


@pytest.mark.parametrize("layer", ["sigungu", "sigungu_city"])
def test_fields_and_types_as_in_the_2013_layer(layer):
    info_2022 = pyogrio.read_info(data_path("boundaries", GPKG_2022), layer=layer)
    info_2013 = pyogrio.read_info(data_path("boundaries", GPKG_2013), layer=layer)
    for key in ("fields", "dtypes", "ogr_types", "ogr_subtypes"):
        assert list(info_2022[key]) == list(info_2013[key]), key
    assert (info_2022["geometry_type"], info_2022["crs"]) == (info_2013["geometry_type"], info_2013["crs"])
    new, old = read(layer), read(layer, GPKG_2013)
    assert list(new.columns) == list(old.columns)
    assert new.dtypes.astype(str).to_dict() == old.dtypes.astype(str).to_dict()


@pytest.mark.parametrize("layer, count", [("sigungu", UNITS), ("sigungu_city", CITIES)])
def test_unit_layers_are_clean(layer, count):
    frame = read(layer)
    assert len(frame) == count
    assert frame.crs.to_epsg() == 5179
    assert frame["region_code"].map(type).eq(str).all()
    assert frame["region_code"].str.fullmatch(r"\d{5}").all() and frame["region_code"].is_unique
    assert (frame["region_code"].str[:2] == frame["sido_code"]).all()
    assert set(frame["code_system"]) == {"MOIS legal-dong si-gun-gu code (2022-03-09 structure)"}
    assert frame.geometry.is_valid.all() and not frame.geometry.is_empty.any()
    assert set(frame.geom_type) == {"MultiPolygon"}
    assert frame["name_en"].str.fullmatch(r"[A-Z][a-z]+(-si|-gun|-gu)( [A-Z][a-z]+-gu)?").all()


def test_structure_of_2022(units):
    codes = set(units["region_code"])
    # new or recoded since the 2013 layer
    assert {"28177", "41190", "41670", "43111", "43112", "43113", "43114"} <= codes
    # gone since the 2013 layer
    assert not codes & {"28170", "41195", "41197", "41199", "41730", "43710", "41110", "43110"}
    assert "47720" in codes  # Gunwi-gun still in Gyeongsangbuk-do (Daegu from 2023)
    sido = dict(zip(units["sido_code"], units["sido_name"]))
    assert sido["42"] == "강원도" and sido["45"] == "전라북도" and sido["36"] == "세종특별자치시"
    assert set(units["sido_code"]) == {"11", "26", "27", "28", "29", "30", "31", "36", "41", "42", "43",
                                       "44", "45", "46", "47", "48", "50"}
    districts = units[units["parent_code"] != ""]
    assert len(districts) == 32 and set(districts["parent_code"]) == DISTRICT_CITIES
    assert (districts["parent_code"] == districts["region_code"].str[:4] + "0").all()
    assert (units["parent_code"] == "").eq(units["parent_city"] == "").all()


def test_names(units):
    gangnam = row(units, "11680")
    assert (gangnam["name_ko"], gangnam["full_name_ko"], gangnam["name_en"]) == ("강남구", "서울특별시 강남구", "Gangnam-gu")
    assert (gangnam["parent_city"], gangnam["parent_code"], gangnam["sido_name_en"]) == ("", "", "Seoul")
    jangan = row(units, "41111")
    assert (jangan["name_ko"], jangan["parent_city"], jangan["parent_code"]) == ("장안구", "수원시", "41110")
    assert (jangan["full_name_ko"], jangan["name_en"]) == ("경기도 수원시 장안구", "Suwon-si Jangan-gu")
    seowon = row(units, "43112")
    assert (seowon["name_ko"], seowon["parent_city"], seowon["parent_code"]) == ("서원구", "청주시", "43110")
    assert (seowon["full_name_ko"], seowon["name_en"]) == ("충청북도 청주시 서원구", "Cheongju-si Seowon-gu")
    michuhol = row(units, "28177")
    assert (michuhol["name_ko"], michuhol["full_name_ko"], michuhol["name_en"]) == ("미추홀구", "인천광역시 미추홀구", "Michuhol-gu")
    bucheon = row(units, "41190")
    assert (bucheon["name_ko"], bucheon["parent_code"], bucheon["name_en"]) == ("부천시", "", "Bucheon-si")
    assert (row(units, "41670")["name_ko"], row(units, "41670")["name_en"]) == ("여주시", "Yeoju-si")
    assert row(units, "43114")["name_en"] == "Cheongju-si Cheongwon-gu"
    sejong = row(units, "36110")
    assert (sejong["name_ko"], sejong["full_name_ko"], sejong["name_en"]) == ("세종시", "세종특별자치시", "Sejong-si")


def test_unchanged_units_keep_their_2013_names(units):
    old = read("sigungu", GPKG_2013).drop(columns="geometry").set_index("region_code")
    new = units.drop(columns="geometry").set_index("region_code")
    common = new.index.intersection(old.index)
    assert len(common) == 245
    columns = ["sido_name", "sido_name_en", "name_ko", "parent_city", "parent_code", "full_name_ko", "name_en", "capital_region"]
    pd.testing.assert_frame_equal(new.loc[common, columns], old.loc[common, columns])


def test_capital_region(units, cities):
    assert units["capital_region"].dtype == bool
    assert units["capital_region"].sum() == 25 + 10 + 42
    assert set(units.loc[units["capital_region"], "sido_code"]) == {"11", "28", "41"}
    assert cities["capital_region"].sum() == 25 + 10 + 31


def test_city_layer(units, cities):
    assert (cities["parent_code"] == "").all()
    districts = units[units["parent_code"] != ""]
    assert set(cities["region_code"]) == (set(units["region_code"]) - set(districts["region_code"])) | DISTRICT_CITIES
    cheongju = row(cities, "43110")
    assert (cheongju["name_ko"], cheongju["name_en"], cheongju["full_name_ko"]) == ("청주시", "Cheongju-si", "충청북도 청주시")
    assert cheongju.geometry.area == pytest.approx(districts.loc[districts["parent_code"] == "43110"].area.sum(), rel=1e-4)
    assert row(cities, "41110")["name_en"] == "Suwon-si" and row(cities, "48120")["name_en"] == "Changwon-si"
    assert row(cities, "41190")["name_ko"] == "부천시"
    assert cities.area.sum() == pytest.approx(units.area.sum(), rel=1e-4)


def test_sido_layer(units):
    sido = read("sido")
    assert len(sido) == PROVINCES and sido["sido_code"].is_unique
    assert list(sido.columns) == ["sido_code", "sido_name", "sido_name_en", "geometry"]
    assert sido.crs.to_epsg() == 5179 and sido.geometry.is_valid.all()
    assert sido.area.sum() == pytest.approx(units.area.sum(), rel=0.01)
    assert row(sido, "42", "sido_code")["sido_name"] == "강원도"
    assert row(sido, "45", "sido_code")["sido_name_en"] == "Jeollabuk-do"


def test_provenance_table():
    table = pyogrio.read_dataframe(data_path("boundaries", GPKG_2022), layer="layer_provenance")
    assert list(table["layer"]) == ["sigungu", "sigungu_city", "sido"]
    assert (table["attribution"] == "Source: Statistics Korea (KOSTAT) SGIS boundaries (통계청 통계지리정보서비스(SGIS)), "
            "via github.com/vuski/admdongkor ver20220309").all()
    assert table["licence"].str.contains("KOGL").all() and table["vintage"].str.contains("2022-03-09").all()
    assert table["source_data_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()


# --------------------------------------------------------------------------- neighbours

def test_zero_tolerance_queen_equals_libpysal_queen(units):
    ours = build_weights(units, "queen:tolerance=0")
    theirs = Queen.from_dataframe(units, ids=units["region_code"].tolist(), use_index=True, silence_warnings=True)
    assert pairs(ours.w.neighbors) == pairs(theirs.neighbors)
    assert len(pairs(theirs.neighbors)) == ours.report.links == 644
    # as the source README says: 8 components, 6 islands (mainland, Jeju's two units, six island units)
    assert ours.report.components == theirs.n_components == 8
    assert ours.report.component_sizes == [242, 2, 1, 1, 1, 1, 1, 1]
    assert set(ours.report.islands) == set(map(str, theirs.islands)) == set(ISLANDS_PLAIN)
    assert dict(units.set_index("region_code").loc[sorted(ISLANDS_PLAIN), "name_ko"]) == ISLANDS_PLAIN


def test_tolerance_500_links_the_coastal_islands(units):
    report = build_weights(units, "queen:tolerance=500").report
    assert (report.components, report.component_sizes, report.islands) == (3, [247, 2, 1], ["47940"])  # Ulleung-gun


def test_gangnam_neighbours(units):
    for spec in ("queen:tolerance=0", "queen:tolerance=500"):
        assert set(build_weights(units, spec).w.neighbors["11680"]) == GANGNAM_NEIGHBOURS, spec
    assert row(units, "41131")["full_name_ko"] == "경기도 성남시 수정구"


# --------------------------------------------------------------------------- KOSTAT crosswalk

def test_crosswalk_columns_as_the_2013_table(crosswalk):
    old = pd.read_csv(CROSSWALK_2013, dtype=str, keep_default_na=False)
    assert list(crosswalk.columns) == list(old.columns)
    assert set(crosswalk["kind"]) == set(old["kind"]) == {"unit", "city"}


def test_crosswalk_is_one_to_one_onto_the_layer(crosswalk, units):
    unit_rows = crosswalk[crosswalk["kind"] == "unit"]
    assert len(unit_rows) == UNITS and len(crosswalk) == UNITS + len(DISTRICT_CITIES)
    for column in ("kostat_code", "kostat_code_8", "mois_code"):
        assert unit_rows[column].is_unique, column
    assert crosswalk["kostat_code"].is_unique
    assert set(unit_rows["mois_code"]) == set(units["region_code"])
    full = dict(zip(units["region_code"], units["full_name_ko"]))
    assert (unit_rows["mois_name"] == unit_rows["mois_code"].map(full)).all()
    cities = crosswalk[crosswalk["kind"] == "city"]
    assert set(cities["mois_code"]) == DISTRICT_CITIES
    assert (cities["kostat_code"] == cities["kostat_code_8"]).all()


def test_crosswalk_known_codes(crosswalk):
    by_kostat = crosswalk.set_index("kostat_code")
    assert (by_kostat.loc["11230", "mois_code"], by_kostat.loc["11230", "mois_name"]) == ("11680", "서울특별시 강남구")
    assert (by_kostat.loc["21310", "kostat_code_8"], by_kostat.loc["21310", "mois_code"]) == ("21510", "26710")
    assert by_kostat.loc["21310", "kostat_name"] == "기장군"
    assert by_kostat.loc["23090", "mois_code"] == "28177"  # 미추홀구
    assert by_kostat.loc["33040", ["mois_code", "kind"]].tolist() == ["43110", "city"]
    assert by_kostat.loc["31050", ["mois_code", "kind"]].tolist() == ["41190", "unit"]  # 부천시 without gu


def test_crosswalk_eight_digit_rule(crosswalk):
    units = crosswalk[crosswalk["kind"] == "unit"]
    rest = units["kostat_code"].str[2:].astype(int)
    expected = [f"{c[:2]}{r + 200}" if r >= 300 else c for c, r in zip(units["kostat_code"], rest)]
    assert units["kostat_code_8"].tolist() == expected
