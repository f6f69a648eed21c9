"""National grid codes, grids over regions, KOSTAT grid-statistics tables and grid contiguity."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from libpysal.weights import Queen, Rook
from pyproj import Transformer

from kibs_spatial.errors import InputError
from kibs_spatial.io.boundaries import load_bundled_regions
from kibs_spatial.io.grid import (
    ORIGIN_X,
    ORIGIN_Y,
    build_grid,
    cell_polygons,
    decode_grid_codes,
    grid_adjacency,
    grid_codes,
    grid_contiguity,
    grid_from_codes,
    read_grid_table,
)

TO_5179 = Transformer.from_crs("EPSG:4326", "EPSG:5179", always_xy=True)
TO_4326 = Transformer.from_crs("EPSG:5179", "EPSG:4326", always_xy=True)


def code_at(lon: float, lat: float, size: int) -> str:
    x, y = TO_5179.transform(lon, lat)
    return grid_codes([int((x - ORIGIN_X) // size)], [int((y - ORIGIN_Y) // size)], size)[0]


# --------------------------------------------------------------------------- codes

def test_known_codes():
    # the national grid origin (행정안전부 고시, 2012): '가가 0000 0000', 300 km west and 700 km south of
    # the UTM-K origin (EPSG:5179 false origin 1,000,000 / 2,000,000)
    assert grid_codes([0], [0], 100_000)[0] == "가가"
    assert grid_codes([0], [0], 100)[0] == "가가000000"
    # SGIS 100 m grid boundary (격자경계): cell 다바000277 has its lower-left corner at
    # 126.3842285 E, 36.4416581 N (value from the SGIS boundary file, as quoted by SGIS client code)
    cell = grid_from_codes(["다바000277"])
    x0, y0 = shapely.get_coordinates(cell.geometry.iloc[0]).min(axis=0)
    assert (x0, y0) == (900_000, 1_827_700)
    lon, lat = TO_4326.transform(x0, y0)
    assert lon == pytest.approx(126.3842285, abs=1e-7) and lat == pytest.approx(36.4416581, abs=1e-7)
    # ko.wikipedia "국가지점번호": Seoul lies in 다사, Sejong in 다바
    assert code_at(126.9780, 37.5665, 1000).startswith("다사")   # Seoul City Hall
    assert code_at(127.2890, 36.5040, 1000).startswith("다바")   # Government Complex Sejong
    # a 10 m national point number on a signpost at Gwangdeoksan (다바 5802 5337): its 1 km cell
    assert code_at(127.0302, 36.6774, 1000) == "다바5853"


@pytest.mark.parametrize("size", [1000, 500, 100])
def test_code_round_trip(size):
    rng = np.random.default_rng(size)
    limit_x, limit_y = 700_000 // size, 800_000 // size
    cols, rows = rng.integers(0, limit_x, 5000), rng.integers(0, limit_y, 5000)
    keep = np.unique(rows * limit_x + cols, return_index=True)[1]
    cols, rows = cols[keep], rows[keep]
    codes = grid_codes(cols, rows, size)
    cells = grid_from_codes(codes)                                        # code -> polygon
    corner = shapely.get_coordinates(shapely.points(shapely.bounds(cells.geometry.to_numpy())[:, :2]))
    again = grid_codes((corner[:, 0] - ORIGIN_X) // size, (corner[:, 1] - ORIGIN_Y) // size, size)  # -> code
    assert (again == codes).all()
    assert (cells["col"].to_numpy() == cols).all() and (cells["row"].to_numpy() == rows).all()
    assert np.allclose(cells.area, size * size)
    assert cells.attrs["cell_size"] == size


def test_code_layouts():
    assert list(grid_codes([255, 255], [684, 684], 1000)) == ["다사5584"] * 2
    assert grid_codes([2 * 200 + 124], [5 * 200 + 97], 500)[0] == "다바62a48b"
    assert grid_codes([25], [66], 10_000)[0] == "다사56"
    decoded = decode_grid_codes(["다사 5584", "다사5584", "다마62c48b", "자사5584", "다사558", "da5584"])
    assert decoded["valid"].tolist() == [True, True, False, False, False, False]
    assert decoded["code"].iloc[0] == "다사5584"


def test_grid_from_codes_refuses_bad_mixed_and_repeated_codes():
    with pytest.raises(InputError, match="not national grid codes: '다사558'"):
        grid_from_codes(["다사5584", "다사558"])
    with pytest.raises(InputError, match="several cell sizes"):
        grid_from_codes(["다사5584", "다사000277"])
    with pytest.raises(InputError, match="repeat: 다사5584"):
        grid_from_codes(["다사5584", "다사 5584"])
    with pytest.raises(InputError, match="outside the national grid"):
        grid_codes([-1], [0], 1000)


# --------------------------------------------------------------------------- grids over regions

@pytest.fixture(scope="module")
def two_units():
    units = load_bundled_regions()
    return units[units["region_code"].isin(["11680", "11650"])]   # Gangnam-gu, Seocho-gu


def test_build_grid_over_two_units(two_units):
    grid = build_grid(two_units, 500)
    assert grid.crs.to_epsg() == 5179 and grid.attrs["cell_size"] == 500
    assert grid["grid_code"].is_unique and set(grid["region_code"]) == {"11680", "11650"}
    # exactly the cells that intersect the units, by brute force over the bounding box
    x0, y0, x1, y1 = two_units.total_bounds
    cols, rows = np.meshgrid(np.arange((x0 - ORIGIN_X) // 500, (x1 - ORIGIN_X) // 500 + 1),
                             np.arange((y0 - ORIGIN_Y) // 500, (y1 - ORIGIN_Y) // 500 + 1))
    boxes = cell_polygons(cols.ravel(), rows.ravel(), 500)
    union = shapely.union_all(two_units.geometry.to_numpy())
    expected = set(grid_codes(cols.ravel()[shapely.intersects(boxes, union)],
                              rows.ravel()[shapely.intersects(boxes, union)], 500))
    assert set(grid["grid_code"]) == expected
    # the cells cover the units, and each centre lies in the unit the cell is assigned to
    assert shapely.difference(union, shapely.union_all(grid.geometry.to_numpy())).area < 1e-6 * union.area
    by_code = two_units.set_index("region_code").geometry
    centre = grid[grid["assigned"] == "centre"]
    assert shapely.contains(by_code.loc[centre["region_code"]].to_numpy(), centre.geometry.centroid.to_numpy()).all()
    assert set(grid["assigned"]) <= {"centre", "majority", "touch"}
    assert grid["grid_code"].tolist() == list(grid_codes(grid["col"], grid["row"], 500))


def test_build_grid_reprojects_and_checks(two_units):
    same = build_grid(two_units.to_crs("EPSG:4326"), 1000)
    assert len(same) == pytest.approx(len(build_grid(two_units, 1000)), abs=2)
    with pytest.raises(InputError, match="no national grid code"):
        build_grid(two_units, 250)


# --------------------------------------------------------------------------- KOSTAT tables

def write(tmp_path, text: str, encoding: str = "cp949"):
    path = tmp_path / "2020년_사업체_다사_1K.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_grid_table_as_sgis_delivers_it(tmp_path):
    path = write(tmp_path, "2020,다사5584,to_fa_010,12\n2020,다사5585,to_fa_010,N/A\n\n"
                           "2020,다사5586,to_fa_010,*\n2020,다사5587,to_em_020,\n2020,다사5588,to_em_020,0\n")
    grid = read_grid_table(path)
    assert grid.cell_size == 1000
    assert grid.counts() == {"blank": 1, "masked": 2, "missing": 1, "value": 2}
    assert sum(grid.counts().values()) == 6 == len(grid.report)       # every line accounted for
    assert grid.masked_tokens() == {"*": 1, "N/A": 1}
    table = grid.table.set_index("grid_code")
    assert table.loc["다사5584", "value"] == 12 and table.loc["다사5588", "value"] == 0
    assert table.loc[["다사5585", "다사5586", "다사5587"], "value"].isna().all()
    assert table.loc["다사5585", "status"] == "masked" and table.loc["다사5587", "status"] == "missing"
    assert table["line"].tolist() == [1, 2, 4, 5, 6]
    assert (table.loc["다사5584", ["row", "col"]].tolist()) == [684, 255]


def test_grid_table_with_a_header_in_utf8(tmp_path):
    path = write(tmp_path, "기준연도,격자코드,통계항목,통계값\n2020,다마62a48b,to_in_001,5\n", "utf-8-sig")
    grid = read_grid_table(path)
    assert grid.cell_size == 500 and grid.counts() == {"header": 1, "value": 1}


@pytest.mark.parametrize("text, message", [
    ("2020,다사5584,to_fa_010,1\n2020,다사5585,to_fa_010,2\n2020,다사558,to_fa_010,3\n",
     r"line 3, column grid_code: '다사558' is not a national grid code"),
    ("2020,다사5584,to_fa_010,1\n2020,다사5585,to_fa_010,abc\n", r"line 2, column value: 'abc' is not a number"),
    ("2020,다사5584,to_fa_010,1\n2020,다사55a84a,to_fa_010,1\n", r"line 2, column grid_code: .* another cell size"),
    ("2020,다사5584,to_fa_010,1\n2020,다사5584,to_fa_010,2\n", r"lines 1, 2: year 2020, grid code 다사5584"),
    ("2020,다사5584,to_fa_010,1\n2020,다사5585,to_fa_010\n", r"line 2: 3 columns, expected 4"),
    ("2020,다사5584,to_fa_010,1\n202,다사5585,to_fa_010,1\n", r"line 2, column base_year: '202' is not a year"),
])
def test_grid_table_errors_name_file_line_and_column(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=message) as error:
        read_grid_table(path)
    assert str(path) in str(error.value)


# --------------------------------------------------------------------------- contiguity

@pytest.fixture(scope="module")
def irregular_grid():
    """A 30 x 30 block of 1 km cells with a third removed at random: holes, islands, corners."""
    rng = np.random.default_rng(7)
    rows, cols = np.divmod(np.arange(900), 30)
    keep = rng.random(900) < 0.66
    rows, cols = rows[keep] + 600, cols[keep] + 250
    codes = grid_codes(cols, rows, 1000)
    frame = gpd.GeoDataFrame({"grid_code": codes}, geometry=cell_polygons(cols, rows, 1000), crs="EPSG:5179")
    return rows, cols, codes, frame


@pytest.mark.parametrize("kind, reference", [("queen", Queen), ("rook", Rook)])
def test_weights_equal_libpysal(irregular_grid, kind, reference):
    rows, cols, codes, frame = irregular_grid
    ours = grid_contiguity(rows, cols, kind, ids=codes)
    theirs = reference.from_dataframe(frame, ids="grid_code", use_index=False, silence_warnings=True)
    assert ours.id_order == list(codes)
    assert {k: set(v) for k, v in ours.neighbors.items()} == {k: set(v) for k, v in theirs.neighbors.items()}
    assert ours.islands == theirs.islands
    assert kind == "queen" or ours.islands  # the rook graph has islands: cells touching others by a corner only


def test_adjacency_is_symmetric_and_order_free(irregular_grid):
    rows, cols, _, _ = irregular_grid
    adjacency = grid_adjacency(rows, cols, "queen")
    assert (adjacency != adjacency.T).nnz == 0 and adjacency.diagonal().sum() == 0
    assert adjacency.max() == 1 and adjacency.has_sorted_indices
    order = np.random.default_rng(1).permutation(len(rows))
    shuffled = grid_adjacency(rows[order], cols[order], "queen")
    assert (shuffled != adjacency[order][:, order]).nnz == 0
    with pytest.raises(InputError, match="repeat"):
        grid_adjacency(np.r_[rows, rows[:1]], np.r_[cols, cols[:1]])
    with pytest.raises(InputError, match="unknown grid contiguity"):
        grid_adjacency(rows, cols, "bishop")
