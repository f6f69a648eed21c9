"""`kibs-spatial hotspots` on any polygon layer: fields, islands, missing values, metadata, errors."""

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from shapely.geometry import box

from kibs_spatial.analysis.statistics import local_statistics
from kibs_spatial.analysis.weights import build_weights
from kibs_spatial.cli import main

FIELDS = ["lisa_i", "lisa_z", "lisa_p", "lisa_q", "lisa_cl", "gi_z", "gi_p", "gi_q", "gi_bin"]


@pytest.fixture()
def grid(tmp_path):
    """A 10 x 10 grid of 1 km squares with a hot corner, a missing value and one far island."""
    cells = [box(x * 1000, y * 1000, (x + 1) * 1000, (y + 1) * 1000) for y in range(10) for x in range(10)]
    cells.append(box(50_000, 50_000, 51_000, 51_000))
    rng = np.random.default_rng(3)
    hot = np.array([10.0 if (i % 10 < 3 and i // 10 < 3) else 0.0 for i in range(100)] + [5.0])
    frame = gpd.GeoDataFrame({
        "name": [f"cell {i}" for i in range(101)],
        "jobs": hot + rng.normal(0, 1, 101),
        "noise": rng.normal(0, 1, 101),
    }, geometry=cells, crs="EPSG:5179")
    frame.loc[55, "noise"] = np.nan
    path = tmp_path / "grid.gpkg"
    frame.to_file(path, layer="cells", engine="pyogrio")
    return path, frame


def test_fields_and_categories(grid, tmp_path, capsys):
    path, frame = grid
    out = tmp_path / "hot.gpkg"
    assert main(["hotspots", str(path), "--columns", "jobs,noise", "--weights", "queen:tolerance=0",
                 "--permutations", "999", "--output", str(out), "--quiet"]) == 0
    layer = pyogrio.read_dataframe(out, layer="hotspots")
    for c in ("jobs", "noise"):
        for f in FIELDS:
            assert f"{c}_{f}" in layer.columns
    assert layer.loc[100, "jobs_lisa_cl"] == "isolated" and np.isnan(layer.loc[100, "jobs_lisa_p"])
    assert layer.loc[100, "jobs_gi_bin"] == 0
    assert layer.loc[55, "noise_lisa_cl"] == "undefined" and np.isnan(layer.loc[55, "noise_gi_p"])
    assert (layer.loc[[0, 1, 10, 11], "jobs_lisa_cl"] == "HH").all()
    assert (layer.loc[[0, 11], "jobs_gi_bin"] >= 2).all()  # hot at 95 % or more after FDR
    assert (layer["jobs_lisa_p"].dropna() >= 1 / 1000).all()
    assert layer["name"].tolist() == frame["name"].tolist()
    out_text = capsys.readouterr().out
    assert "minimum attainable p = 0.002" in out_text and "isolated" in out_text


def test_matches_the_python_api(grid, tmp_path):
    path, frame = grid
    out = tmp_path / "hot.gpkg"
    assert main(["hotspots", str(path), "--columns", "jobs", "--weights", "queen:tolerance=0", "--permutations", "499",
                 "--seed", "9", "--fdr", "by", "--output", str(out), "--quiet"]) == 0
    layer = pyogrio.read_dataframe(out, layer="hotspots")
    frame = frame.assign(feature_id=[str(i) for i in range(1, 102)])
    w = build_weights(frame, "queen:tolerance=0", id_column="feature_id").w
    expected = local_statistics(w, frame[["jobs"]].to_numpy(), permutations=499, seed=9, fdr="by").to_frame(["jobs"])
    np.testing.assert_array_equal(layer["jobs_lisa_q"].to_numpy(), expected["jobs_lisa_q"].to_numpy())
    np.testing.assert_array_equal(layer["jobs_gi_z"].to_numpy(), expected["jobs_gi_z"].to_numpy())


def test_run_metadata(grid, tmp_path):
    path, _ = grid
    out = tmp_path / "hot.gpkg"
    assert main(["hotspots", str(path), "--columns", "jobs", "--permutations", "199", "--seed", "5", "--output", str(out), "--quiet"]) == 0
    meta = pyogrio.read_dataframe(out, layer="run_metadata").set_index("key")["value"]
    assert meta["statistics_seed"] == "5" and meta["statistics_permutations"] == "199"
    assert len(meta["input_sha256"]) == 64 and meta["version_esda"]
    assert meta["weights_islands"] == "101"
    moran = pyogrio.read_dataframe(out, layer="global_moran")
    assert moran.loc[0, "moran_i"] > 0.3


@pytest.mark.parametrize("args, message", [
    (["--columns", "salary"], "no column 'salary'"),
    (["--columns", "name"], "column name: value 'cell 0' is not a number"),
    (["--columns", "jobs", "--weights", "hexagon"], "unknown weights kind"),
    (["--columns", "jobs", "--id", "missing_id"], "no column 'missing_id'"),
])
def test_bad_input(grid, tmp_path, capsys, args, message):
    path, _ = grid
    assert main(["hotspots", str(path), *args, "--output", str(tmp_path / "o.gpkg"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o.gpkg").exists()


def test_missing_input_file(tmp_path, capsys):
    assert main(["hotspots", str(tmp_path / "none.shp"), "--columns", "a", "--output", str(tmp_path / "o.gpkg")]) == 2
    assert "none.shp: boundary file not found" in capsys.readouterr().err
