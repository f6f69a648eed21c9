"""Shared builders for the statistics tests (no tests here): weights and data, no downloads."""

from __future__ import annotations

import copy
import warnings

import geopandas as gpd
import libpysal
import numpy as np
import shapely


def lattice_w(rows: int = 15, cols: int = 15) -> libpysal.weights.W:
    """Binary queen lattice, ids 0..n-1."""
    return libpysal.weights.lat2W(rows, cols, rook=False)


def voronoi_w(n: int = 180, seed: int = 3) -> libpysal.weights.W:
    """Queen contiguity of random Voronoi polygons (a real polygon layer, irregular degrees)."""
    rng = np.random.default_rng(seed)
    points = shapely.points(rng.random((n, 2)) * 100)
    box = shapely.box(0, 0, 100, 100)
    cells = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=box, ordered=True)
    polys = shapely.intersection(np.asarray(shapely.get_parts(cells)), box)
    frame = gpd.GeoDataFrame(geometry=polys)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return libpysal.weights.Queen.from_dataframe(frame, use_index=False)


def idw_knn_w(n: int = 150, k: int = 5, seed: int = 4, island: bool = True) -> libpysal.weights.W:
    """Inverse-distance kNN weights (general, asymmetric values); optionally one extra island."""
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2)) * 100
    knn = libpysal.weights.KNN(xy, k=k)
    neighbors, weights = {}, {}
    for i in knn.id_order:
        nbrs = knn.neighbors[i]
        neighbors[i] = list(nbrs)
        weights[i] = [1.0 / np.hypot(*(xy[i] - xy[j])) for j in nbrs]
    if island:
        neighbors[n], weights[n] = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return libpysal.weights.W(neighbors, weights, id_order=list(range(n + island)))


def snapshot(w) -> tuple:
    """Everything about a W that a statistic could silently change."""
    return (
        w.transform,
        copy.deepcopy(w.neighbors),
        copy.deepcopy(w.weights),
        list(w.id_order),
        w.sparse.toarray().copy(),
    )


def assert_same_w(w, snap) -> None:
    transform, neighbors, weights, id_order, dense = snap
    assert w.transform == transform
    assert w.neighbors == neighbors
    assert w.weights == weights
    assert list(w.id_order) == id_order
    np.testing.assert_array_equal(w.sparse.toarray(), dense)


def skewed_values(n: int, k: int, seed: int) -> np.ndarray:
    """Positive, skewed columns (like employment counts) with some spatial structure."""
    rng = np.random.default_rng(seed)
    return np.exp(rng.normal(size=(n, k))) * 10 + np.arange(n)[:, None] % 7
