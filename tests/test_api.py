"""The Python API (``import kibs_spatial as ks``): cheap import, GeoDataFrame in and out, the same
fields as the command line, weights from a spec, a W or a GAL file, ``run`` on data in memory."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pyogrio
import pytest

import kibs_spatial as ks
from kibs_spatial.analysis.settings import StatisticsConfig, WeightsConfig
from kibs_spatial.errors import InputError
from kibs_spatial.hotspot_layer import HotspotSettings, run_hotspots
from kibs_spatial.result import AnalysisResult

STATS = ("lisa_i", "lisa_z", "lisa_p", "lisa_q", "lisa_cl", "gi_z", "gi_p", "gi_q", "gi_bin")


@pytest.fixture(scope="module")
def layer() -> gpd.GeoDataFrame:
    """The bundled 2013 units with two columns: a west-east gradient with noise, and noise with gaps."""
    units = ks.load_boundaries("2013")
    rng = np.random.default_rng(3)
    units["grad"] = units.geometry.centroid.x / 5e4 + rng.normal(size=len(units))
    units["noise"] = rng.lognormal(size=len(units))
    units.loc[units.index[[4, 90]], "noise"] = np.nan
    return units


def test_import_is_cheap_and_resolves_the_api_on_first_use():
    code = ("import sys, kibs_spatial as ks; print([m for m in ('kibs_spatial.api', 'geopandas', 'numba', 'pandas', "
            "'numpy') if m in sys.modules]); print(sorted(ks.__all__) == sorted(set(dir(ks)) & set(ks.__all__)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:2] == ["[]", "True"]
    assert callable(ks.hotspots) and ks.hotspots is __import__("kibs_spatial.api").api.hotspots


def test_every_public_name_resolves_and_is_documented():
    assert set(ks.__all__) >= {"hotspots", "weights", "moran", "run", "load_boundaries", "read_kosis", "geary",
                               "local_geary", "general_g", "join_counts", "correlogram", "spatial_markov"}
    for name in ks.__all__:
        value = getattr(ks, name)
        assert name == "__version__" or (value.__doc__ and "Examples" in value.__doc__) or name in ("Analysis",
                                                                                                    "load_config")
    assert set(ks.__all__) <= set(dir(ks))
    with pytest.raises(AttributeError):
        ks.no_such_name  # noqa: B018


def test_hotspots_gives_the_fields_the_cli_writes(layer, tmp_path):
    path = tmp_path / "units.gpkg"
    layer.to_file(path, engine="pyogrio")
    settings = HotspotSettings(WeightsConfig(spec="queen:tolerance=500"), StatisticsConfig(permutations=199, seed=5))
    cli = run_hotspots(path, ["grad", "noise"], settings, id_field="region_code").layer
    ours = ks.hotspots(layer, ["grad", "noise"], permutations=199, seed=5, id="region_code")
    for column in ("grad", "noise"):
        for stat in STATS:
            pd.testing.assert_series_equal(ours[f"{column}_{stat}"].reset_index(drop=True),
                                           cli[f"{column}_{stat}"].reset_index(drop=True), check_names=False)
    assert ours.crs == layer.crs and ours.geometry.equals(layer.geometry)
    assert list(ours.attrs["global_moran"].index) == ["grad", "noise"]
    assert ours.attrs["global_moran"].loc["grad", "p_sim"] <= 0.01
    assert ours.attrs["min_p"] == pytest.approx(2 / 200) and ours.attrs["weights"].components == 3
    assert set(ours.loc[ours["noise"].isna(), "noise_lisa_cl"]) == {"undefined"}


def test_weights_from_a_spec_a_w_or_a_gal_file_give_the_same_result(layer, tmp_path):
    w = ks.weights(layer, "queen:tolerance=500")
    assert isinstance(w, libpysal.weights.W) and w.connectivity.islands == ["47940"]
    gal = tmp_path / "w.gal"
    libpysal.io.open(str(gal), "w").write(w)
    base = ks.hotspots(layer, "grad", permutations=99, id="region_code")
    shuffled = layer.sample(frac=1, random_state=1)  # rows in another order: matched by id
    for given, frame in ((w, layer), (gal, layer), (w, shuffled)):
        other = ks.hotspots(frame, "grad", weights=given, permutations=99, id="region_code").set_index("region_code")
        expected = base.set_index("region_code").loc[other.index]
        np.testing.assert_allclose(other["grad_lisa_z"], expected["grad_lisa_z"], atol=1e-12, equal_nan=True)
        if frame is layer:
            pd.testing.assert_series_equal(other["grad_lisa_p"], expected["grad_lisa_p"])
    snapshot = w.sparse.toarray().copy()
    ks.hotspots(shuffled, "grad", weights=w, permutations=9, id="region_code")
    np.testing.assert_array_equal(w.sparse.toarray(), snapshot)  # the caller's W is never modified
    with pytest.raises(InputError, match="differ"):
        ks.hotspots(layer.iloc[:-1], "grad", weights=w, permutations=9, id="region_code")
    with pytest.raises(InputError, match="250 rows"):
        ks.hotspots(layer.iloc[:-1], "grad", weights=w, permutations=9)


def test_global_statistics_and_correlogram_tables(layer):
    moran = ks.moran(layer, ["grad", "noise"], permutations=99)
    geary = ks.geary(layer, ["grad", "noise"], permutations=99)
    assert list(moran.index) == ["grad", "noise"] and moran.loc["grad", "moran_i"] > 0.2
    assert geary.loc["grad", "geary_c"] < 0.8 and moran.loc["noise", "n"] == len(layer) - 2
    g = ks.general_g(layer.assign(pos=layer["grad"] - layer["grad"].min()), "pos", permutations=99)
    assert g.loc["pos", "g"] > g.loc["pos", "expected_g"]
    binary = layer.assign(east=layer["grad"] > layer["grad"].median())
    jc = ks.join_counts(binary, "east", permutations=99, alternative="greater")
    assert jc.loc["east", "z_bb"] > 3 and jc.loc["east", "p_sim_bb"] <= 0.01
    cor = ks.correlogram(layer, "grad", max_order=3, permutations=0)
    assert cor.columns == ("grad",) and list(cor.to_frame()["column"]) == ["grad"] * 3
    bands = ks.correlogram(layer, "grad", bands=[20e3, 40e3], permutations=0).to_frame()
    assert list(bands["upper"]) == [20e3, 40e3]
    lg = ks.local_geary(layer, "grad", permutations=99)
    assert {"grad_lg_c", "grad_lg_p", "grad_lg_cl"} <= set(lg.columns) and lg.crs == layer.crs


def test_spatial_markov_of_columns(layer):
    panel = layer.assign(a1=layer["noise"], a2=layer["noise"] * 1.1, b1=layer["grad"].abs(), b2=layer["grad"].abs())
    pooled = ks.spatial_markov(panel, [["a1", "a2"], ["b1", "b2"]], cutoffs=(1.0, 2.0))
    alone = ks.spatial_markov(panel, ["a1", "a2"], cutoffs=(1.0, 2.0))
    assert pooled.transitions.sum() == alone.transitions.sum() + len(layer)
    with pytest.raises(InputError, match="two period"):
        ks.spatial_markov(panel, ["a1"])


def test_nothing_prints_unless_asked(layer, capsys):
    ks.hotspots(layer, "grad", permutations=99)
    ks.moran(layer, "grad", permutations=9)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    calls = []
    ks.hotspots(layer, "grad", permutations=99, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (len(layer), len(layer))


def test_run_on_data_in_memory_equals_the_run_from_files(demo_result, tmp_path, capsys):
    from kibs_spatial.resources import data_path

    sectors = pd.read_csv(data_path("demo", "kibs_synthetic_sectors.csv"), dtype={"ksic": str})
    sectors = sectors[sectors["ksic"].isin(["62", "713"])]  # every result is per sector and period
    totals = pd.read_csv(data_path("demo", "kibs_synthetic_totals.csv"))
    result = ks.run(sectors=sectors, totals=totals, boundaries=ks.load_boundaries("2013"), permutations=99,
                    synthetic=True, output=tmp_path)
    assert capsys.readouterr().err == ""
    assert isinstance(result, AnalysisResult) and isinstance(result, ks.Analysis)
    assert result.data.synthetic and result.metadata["synthetic"] is True
    keys = ["region_code", "ksic", "period"]
    ours = result.table.sort_values(keys).reset_index(drop=True)
    files = demo_result.table[demo_result.table["ksic"].isin(["62", "713"])].sort_values(keys).reset_index(drop=True)
    for column in ("employees", "lq", "lisa_i", "lisa_p", "lisa_cl", "gi_z", "gi_bin", "promising"):
        pd.testing.assert_series_equal(ours[column], files[column], check_dtype=False)
    gpkg = result.to_gpkg()
    assert gpkg == tmp_path / "kibs_clusters_synthetic.gpkg"
    layers = set(pyogrio.list_layers(gpkg)[:, 0])
    assert {"regions", "sector_results", "promising_locations", "global_moran", "run_metadata"} <= layers
    assert "SYNTHETIC" in result.summary()


def test_run_refuses_half_of_the_data():
    with pytest.raises(InputError, match="both sectors= and totals="):
        ks.run(sectors=pd.DataFrame({"region_code": ["11110"]}))


def test_in_memory_tables_are_checked_like_files():
    from kibs_spatial.io.frames import sector_table_from_frames

    sectors = pd.DataFrame({"region_code": ["11110", "11140"], "year": [2022, 2022], "ksic": ["62", "62"],
                            "employees": [10, -3]})
    totals = pd.DataFrame({"region_code": ["11110", "11140"], "year": [2022, 2022], "total_employees": [100, 90]})
    with pytest.raises(InputError, match="sectors DataFrame, line 3, column employees: value '-3' is negative"):
        sector_table_from_frames(sectors, totals)
    table = sector_table_from_frames(sectors.assign(employees=[10, 3]), totals)
    assert list(table.sectors["period"]) == ["2022", "2022"] and list(table.sectors["line"]) == [2, 3]


def test_load_boundaries_and_read_kosis(tmp_path):
    assert len(ks.load_boundaries("2022")) == 250
    assert len(ks.load_boundaries("2013", level="sido")) == 17
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from kosis_fixtures import establishment_census

    establishment_census(tmp_path / "census.csv")
    table = ks.read_kosis(tmp_path / "census.csv")
    assert {"region_name", "period", "ksic", "employees"} <= set(table.sectors.columns) and len(table.totals)


def test_any_crs_geometry_column_or_file(layer, tmp_path):
    lonlat = layer.to_crs(4326).rename_geometry("geom")
    out = ks.hotspots(lonlat, "grad", permutations=99, id="region_code")
    assert out.crs.to_epsg() == 4326 and len(out) == len(layer)
    base = ks.hotspots(layer, "grad", permutations=99, id="region_code")
    np.testing.assert_allclose(out["grad_lisa_z"], base["grad_lisa_z"], atol=1e-9, equal_nan=True)
    layer[["region_code", "grad", "geometry"]].to_file(tmp_path / "u.gpkg", engine="pyogrio")
    from_file = ks.local_geary(tmp_path / "u.gpkg", "grad", permutations=99, id="region_code")
    assert from_file.crs.to_epsg() == 5179 and "grad_lg_c" in from_file
