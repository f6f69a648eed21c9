"""Weights built straight into a sparse matrix: SparseWeights, the W made on demand, grid contiguity, islands."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity
from libpysal.weights import KNN, W, lat2W

from kibs_spatial.analysis.grid_weights import grid_adjacency_of, lattice_indices
from kibs_spatial.analysis.statistics import global_moran, local_statistics
from kibs_spatial.analysis.weights import (
    RegionWeights,
    SparseWeights,
    WeightsSpec,
    _report,
    build_weights,
)
from kibs_spatial.errors import InputError


def squares(rows: np.ndarray, cols: np.ndarray, size: float = 1000.0, *, with_indices: bool = True,
            x0: float = 950_000.0, y0: float = 1_950_000.0) -> gpd.GeoDataFrame:
    """Square cells at (row, col), ids ``r<row>c<col>``."""
    x, y = x0 + cols * size, y0 + rows * size
    frame = gpd.GeoDataFrame({"region_code": [f"r{r}c{c}" for r, c in zip(rows, cols)]},
                             geometry=shapely.box(x, y, x + size, y + size), crs="EPSG:5179")
    if with_indices:
        frame["row"], frame["col"] = rows, cols
    return frame


def pairs(w) -> set[tuple[str, str]]:
    return {(str(i), str(j)) for i, ns in w.neighbors.items() for j in ns}


@pytest.mark.parametrize("kind, rook", [("grid-queen", False), ("grid-rook", True)])
@pytest.mark.parametrize("with_indices", [True, False])
def test_grid_weights_equal_lat2w_on_a_full_rectangle(kind, rook, with_indices):
    nrows, ncols = 7, 11
    ids = np.arange(nrows * ncols)
    cells = squares(ids // ncols, ids % ncols, with_indices=with_indices)
    cells["region_code"] = ids.astype(str)  # lat2W's ids: row-major positions
    built = build_weights(cells, kind)
    reference = lat2W(nrows, ncols, rook=rook)
    assert built.graph.id_order == [str(i) for i in reference.id_order]
    assert (built.graph.sparse != reference.sparse).nnz == 0
    assert pairs(built.w) == pairs(reference)
    assert built.report.links == reference.s0 / 2 and built.report.components == 1 and not built.report.islands


@pytest.mark.parametrize("kind, geometric", [("grid-queen", "queen:tolerance=0"), ("grid-rook", "rook:tolerance=0")])
def test_grid_weights_equal_polygon_contiguity_on_a_ragged_grid(kind, geometric):
    rng = np.random.default_rng(3)
    rows, cols = np.divmod(np.arange(400), 20)
    keep = rng.random(400) < 0.6
    cells = squares(rows[keep], cols[keep]).iloc[rng.permutation(int(keep.sum()))]  # any row order
    ours, theirs = build_weights(cells, kind), build_weights(cells, geometric)
    assert ours.graph.id_order == theirs.graph.id_order
    assert (ours.graph.sparse != theirs.graph.sparse).nnz == 0
    assert ours.report.islands == theirs.report.islands and ours.report.component_sizes == theirs.report.component_sizes


def test_lattice_from_corners_and_refusals():
    rows, cols = np.array([0, 0, 1, 5]), np.array([0, 1, 1, 9])
    cells = squares(rows, cols, 500, with_indices=False, x0=123.25, y0=-77.5)
    assert [a.tolist() for a in lattice_indices(cells.geometry.to_numpy())] == [rows.tolist(), cols.tolist()]
    shifted = squares(rows, cols, 500, with_indices=False, x0=123.25, y0=-77.5)
    shifted.loc[3, "geometry"] = shapely.affinity.translate(shifted.geometry.iloc[3], xoff=120.0)
    with pytest.raises(InputError, match="square cells of one size on one lattice.*feature 4"):
        build_weights(shifted, "grid-queen")
    with pytest.raises(InputError, match="square cells"):
        build_weights(cells.to_crs("EPSG:4326").to_crs("EPSG:3857"), "grid-queen")
    repeated = squares(np.array([0, 0, 1]), np.array([0, 0, 1]))
    repeated["region_code"] = ["a", "b", "c"]
    with pytest.raises(InputError, match="grid cells repeat"):
        build_weights(repeated, "grid-rook")
    bad = squares(rows, cols)
    bad["row"] = bad["row"].astype(float) + 0.5
    with pytest.raises(InputError, match="feature 1 has row = 0.5"):
        grid_adjacency_of(bad, "grid-queen")
    with pytest.raises(InputError, match="grid-queen takes no options"):
        WeightsSpec.parse("grid-queen:tolerance=5")
    assert str(WeightsSpec.parse("GRID-ROOK")) == "grid-rook"


def test_islands_linked_both_ways_once():
    # two cells far from the rest, nearest to each other; one more far away linked to the block
    rows = np.array([0, 0, 1, 1, 50, 50, 0])
    cols = np.array([0, 1, 0, 1, 50, 52, 9])
    cells = squares(rows, cols)
    kept = build_weights(cells, "grid-queen")
    assert kept.report.islands == ["r50c50", "r50c52", "r0c9"]
    linked = build_weights(cells, "grid-queen", island_policy="nearest", max_link=10_000)
    m = linked.graph.sparse
    assert (m != m.T).nnz == 0 and set(m.data) == {1.0} and m.has_sorted_indices
    assert linked.w.neighbors["r50c50"] == ["r50c52"] and linked.w.neighbors["r50c52"] == ["r50c50"]
    assert linked.w.neighbors["r0c9"] == ["r0c1"] and "r0c9" in linked.w.neighbors["r0c1"]
    assert linked.report.linked_islands == {"r50c50": "r50c52", "r50c52": "r50c50", "r0c9": "r0c1"}
    assert linked.report.islands == [] and linked.report.links == kept.report.links + 2
    assert linked.report.components == 2


def test_links_keep_stored_weights():
    """A link to a unit that already lists the island keeps that unit's stored weight (non-symmetric graphs)."""
    matrix = KNN(np.array([[0.0, 0], [1, 0], [2, 0], [10, 0]]), k=1).sparse.tocsr().astype(float)
    matrix[3, :] = 0
    matrix.eliminate_zeros()  # unit 3 lists nobody, unit 2 lists 1 only
    from kibs_spatial.analysis.weights import _link_islands

    geoms = shapely.points([[0, 0], [1, 0], [2, 0], [10, 0]])
    combined, linked = _link_islands(geoms, matrix, 100.0)
    assert linked == {3: 2}
    assert combined[3, 2] == 1 and combined[2, 3] == 1 and combined[2, 1] == 1
    matrix2 = matrix.tolil()
    matrix2[2, 3] = 0.25
    combined2, _ = _link_islands(geoms, matrix2.tocsr(), 100.0)
    assert combined2[2, 3] == 0.25 and combined2[3, 2] == 1


def test_region_weights_from_a_libpysal_w_keeps_it():
    w = lat2W(3, 3)
    made = RegionWeights(w, _report(w, "lattice", "as given", {}))
    assert made.w is w and made.graph.id_order == [str(i) for i in w.id_order]
    assert RegionWeights.from_w(w, made.report).w is w
    assert (made.graph.sparse != w.sparse).nnz == 0


def test_statistics_read_the_graph_as_they_read_the_w():
    rng = np.random.default_rng(0)
    ids = np.arange(15 * 15)
    cells = squares(ids // 15, ids % 15)
    built = build_weights(cells, "grid-queen")
    values = rng.normal(size=(len(cells), 2)) + cells[["row"]].to_numpy() * 0.2
    a = local_statistics(built.graph, values, permutations=199, seed=5)
    b = local_statistics(built.w, values, permutations=199, seed=5)
    fa, fb = a.to_frame(["x", "y"]), b.to_frame(["x", "y"])
    assert fa.equals(fb)
    ga, gb = global_moran(built.graph, values, permutations=99, seed=5), global_moran(built.w, values, permutations=99,
                                                                                       seed=5)
    assert [r.I for r in ga] == [r.I for r in gb] and [r.p_sim for r in ga] == [r.p_sim for r in gb]


def test_sparse_weights_round_trip_to_w():
    graph = SparseWeights.of(lat2W(4, 5, rook=False))
    w = graph.to_w()
    assert isinstance(w, W) and w.id_order == graph.id_order and (w.sparse != graph.sparse).nnz == 0
    assert graph.n == 20 and graph.cardinalities().tolist() == [w.cardinalities[i] for i in w.id_order]


def test_contiguity_weights_need_no_libpysal():
    code = ("import sys, geopandas as gpd, shapely\n"
            "from kibs_spatial.analysis.weights import build_weights\n"
            "cells = gpd.GeoDataFrame({'region_code': list('abcd')}, geometry=shapely.box([0, 1, 0, 1], [0, 0, 1, 1], "
            "[1, 2, 1, 2], [1, 1, 2, 2]), crs='EPSG:5179')\n"
            "for spec in ('queen:tolerance=0', 'rook:tolerance=10', 'grid-queen'):\n"
            "    assert build_weights(cells, spec, island_policy='nearest').report.links > 0\n"
            "print('libpysal' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_report_of_a_given_libpysal_w_counts_from_the_w():
    from kibs_spatial.analysis.weights import _report

    neighbors = {"a": ["b"], "b": ["a", "c"], "c": ["b"], "d": [], "e": ["f"], "f": ["e"]}
    w = W(neighbors, id_order=list(neighbors), silence_warnings=True)
    report = _report(w, "given", "as given", {})
    assert (report.units, report.links, report.components) == (6, 3, w.n_components)
    assert report.component_sizes == [3, 2, 1] and report.islands == ["d"] == [str(i) for i in w.islands]
    assert (report.min_neighbors, report.max_neighbors, report.mean_neighbors) == (0, 2, 1.0)
