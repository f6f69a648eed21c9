"""``kibs-spatial grid`` end to end: a grid over regions or from a KOSTAT table, then ``hotspots --weights grid-queen``."""

from __future__ import annotations

import numpy as np
import pyogrio
import pytest

from kibs_spatial.cli import main
from kibs_spatial.io.grid import grid_codes


@pytest.fixture(scope="module")
def seoul_grid(tmp_path_factory):
    """1 km cells over Seoul (region codes 11...) from the bundled si-gun-gu, written by the command."""
    out = tmp_path_factory.mktemp("grid") / "seoul.gpkg"
    assert main(["grid", "--size", "1000", "--regions", "11", "--output", str(out)]) == 0
    return out


def test_grid_over_seoul(seoul_grid, capsys):
    cells = pyogrio.read_dataframe(seoul_grid, layer="grid")
    assert cells.crs.to_epsg() == 5179
    assert {"grid_code", "row", "col", "region_code", "assigned"} <= set(cells.columns)
    assert cells["region_code"].str.startswith("11").all() and cells["region_code"].nunique() == 25
    assert cells["grid_code"].is_unique and cells["grid_code"].str.startswith("다사").all()
    assert 600 < len(cells) < 800  # Seoul is 605 km2; cells on its edge count too
    assert np.allclose(cells.area, 1e6)
    assert list(cells["grid_code"]) == list(grid_codes(cells["col"], cells["row"], 1000))
    assert not list(seoul_grid.parent.glob(".*part*"))  # written atomically: no temporary file left


def test_hotspots_with_grid_queen_on_the_grid(seoul_grid, tmp_path, capsys):
    cells = pyogrio.read_dataframe(seoul_grid, layer="grid")
    rng = np.random.default_rng(4)
    cells["x"] = cells["row"] - cells["row"].mean() + rng.normal(0, 3, len(cells))  # a north-south trend
    cells.loc[cells.index[:5], "x"] = np.nan  # missing values stay missing
    layer = tmp_path / "cells.gpkg"
    pyogrio.write_dataframe(cells, layer, layer="grid")
    outputs = {}
    for spec in ("grid-queen", "queen:tolerance=0"):
        outputs[spec] = tmp_path / f"{spec.split(':')[0]}.gpkg"
        code = main(["hotspots", str(layer), "--columns", "x", "--id", "grid_code", "--weights", spec,
                     "--permutations", "999", "--output", str(outputs[spec]), "--quiet", "--timings"])
        assert code == 0
    captured = capsys.readouterr()
    assert "timings: import" in captured.err and "statistics" in captured.err and "write" in captured.err
    grid = pyogrio.read_dataframe(outputs["grid-queen"], layer="hotspots")
    polygons = pyogrio.read_dataframe(outputs["queen:tolerance=0"], layer="hotspots")
    fields = [c for c in grid.columns if c.startswith("x_")]
    assert fields and grid[fields].equals(polygons[fields])  # the same graph, so the same results
    assert (grid["x_lisa_cl"] == "HH").sum() > 20 and (grid["x_lisa_cl"] == "LL").sum() > 20
    assert (grid["x_lisa_cl"] == "undefined").sum() == 5


def test_grid_from_a_kostat_table(tmp_path, capsys):
    cols, rows = np.meshgrid(np.arange(250, 262), np.arange(680, 690))
    codes = grid_codes(cols.ravel(), rows.ravel(), 1000)
    values = (rows.ravel() - 680) * 3 + np.random.default_rng(1).integers(0, 4, codes.size)
    lines = [f"2020,{c},to_fa_010,{v}" for c, v in zip(codes, values)]
    lines[7] = f"2020,{codes[7]},to_fa_010,N/A"  # masked
    lines += [f"2020,{c},to_em_020,{v * 4}" for c, v in zip(codes[:60], values[:60])]
    table = tmp_path / "2020년_사업체_다사_1K.csv"
    table.write_bytes(("\n".join(lines) + "\n").encode("cp949"))
    out = tmp_path / "table.gpkg"
    assert main(["grid", "--table", str(table), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "120 cells of 1,000 m" in printed and "1 masked" in printed and "to_em_020, to_fa_010" in printed
    cells = pyogrio.read_dataframe(out, layer="grid")
    assert len(cells) == 120 and set(cells["grid_code"]) == set(codes)
    by_code = cells.set_index("grid_code")
    assert np.isnan(by_code.loc[codes[7], "to_fa_010"]) and by_code.loc[codes[8], "to_fa_010"] == values[8]
    assert by_code["to_em_020"].notna().sum() == 60  # cells without a row for an item: missing, not zero
    result = tmp_path / "hot.gpkg"
    assert main(["hotspots", str(out), "--columns", "to_fa_010", "--id", "grid_code", "--weights", "grid-rook",
                 "--permutations", "999", "--output", str(result), "--quiet"]) == 0
    hot = pyogrio.read_dataframe(result, layer="hotspots")
    assert (hot["to_fa_010_lisa_cl"] == "undefined").sum() == 1 and (hot["to_fa_010_lisa_cl"] == "HH").any()


@pytest.mark.parametrize("argv, message", [
    (["grid", "--size", "5000"], "--size: 5000 m has no national grid code"),
    (["grid"], "--size: give the cell size"),
    (["grid", "--size", "1000", "--regions", "99"], "--regions: no region code starts with 99"),
    (["grid", "--table", "t.csv", "--regions", "11"], "--table: the cells come from the table"),
])
def test_grid_refusals(tmp_path, capsys, argv, message):
    assert main([*argv, "--output", str(tmp_path / "g.gpkg")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "g.gpkg").exists()


def test_console_command_exits_at_once_with_its_output_complete(tmp_path):
    """The console process ends with os._exit after the command: stdout flushed, the file in place, status kept."""
    import subprocess
    import sys

    out = tmp_path / "g.gpkg"
    done = subprocess.run([sys.executable, "-m", "kibs_spatial.cli", "grid", "--size", "10000", "--regions", "11680",
                           "--output", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith(f"written: {out}")
    assert len(pyogrio.read_dataframe(out, layer="grid")) >= 1
    refused = subprocess.run([sys.executable, "-m", "kibs_spatial.cli", "grid", "--size", "7", "--output", str(out)],
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "--size: 7 m" in refused.stderr
