"""Contiguity of square grid cells from their row and column, in linear time.

``grid-queen`` and ``grid-rook`` weights (``analysis.weights``) do not look at the cells' polygons:
two cells are rook neighbours when their indices differ by one in one direction
(``|dr| + |dc| = 1``) and queen neighbours when they differ by at most one in both
(``max(|dr|, |dc|) = 1``). Each cell's eight (four) possible neighbours are looked up in a hash
table of the cells' keys (``pandas.Index.get_indexer``), so the cost is O(n) and a million cells
take about a second.

A cell's indices come from the layer's integer ``row`` and ``col`` columns (as ``kibs-spatial grid``
and ``io.grid.build_grid`` write them: the national grid indices) or, when the layer has none,
from the corners of its polygons, which must then be squares of one size on one lattice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from ..errors import InputError

GRID_KINDS = ("grid-queen", "grid-rook")
"""Weights kinds read from the cells' row and column."""
QUEEN_OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
ROOK_OFFSETS = ((-1, 0), (0, -1), (0, 1), (1, 0))
LATTICE_TOLERANCE = 1e-6
"""Largest misfit of a cell corner or side, as a share of the cell size, still taken as on the lattice."""


def grid_adjacency(rows: Sequence[int], cols: Sequence[int], kind: str = "queen") -> sp.csr_matrix:
    """Binary, symmetric adjacency of grid cells from their integer indices, in linear time.

    Cell ``i`` and ``j`` are rook neighbours when they share an edge (``|dr| + |dc| = 1``) and
    queen neighbours when they share an edge or a corner (``max(|dr|, |dc|) = 1``). Each cell's
    eight (four) possible neighbours are looked up in a hash table of the cells' keys
    (``pandas.Index.get_indexer``), so the cost is O(n); no geometry is touched. Rows and columns
    of the matrix follow the order of the cells given; column indices are sorted in each row.
    """
    offsets = {"queen": QUEEN_OFFSETS, "rook": ROOK_OFFSETS}.get(kind)
    if offsets is None:
        raise InputError(f"unknown grid contiguity {kind!r}; use queen or rook")
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    if rows.shape != cols.shape:
        raise InputError(f"rows and cols differ in length ({len(rows)} and {len(cols)})")
    if len(rows) == 0:
        return sp.csr_matrix((0, 0))
    width = int(cols.max() - cols.min()) + 3  # one spare column each side: no offset wraps a row
    keys = (rows - rows.min() + 1) * width + (cols - cols.min() + 1)
    index = pd.Index(keys)
    if not index.is_unique:
        raise InputError("grid cells repeat: each (row, col) must appear once")
    found = np.column_stack([index.get_indexer(keys + dr * width + dc) for dr, dc in offsets])
    return _csr(found)


def _csr(found: np.ndarray) -> sp.csr_matrix:
    """CSR matrix from an (n, k) table of neighbour positions (-1 for none), indices sorted per row."""
    n = len(found)
    found = np.sort(np.where(found < 0, n, found), axis=1)
    present = found < n
    indptr = np.concatenate([[0], np.cumsum(present.sum(axis=1))])
    indices = found[present]
    return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n, n))


def grid_adjacency_of(regions, kind: str, id_column: str = "region_code") -> sp.csr_matrix:
    """The ``grid-queen`` / ``grid-rook`` adjacency of a layer of grid cells, rows in the layer's order.

    The cells' indices are the integer columns ``row`` and ``col`` when the layer has both, else
    they are read from the polygons' corners (:func:`lattice_indices`). ``id_column`` only names
    the layer in messages.
    """
    if kind not in GRID_KINDS:
        raise InputError(f"unknown grid weights kind {kind!r}; use one of {', '.join(GRID_KINDS)}")
    if {"row", "col"} <= set(regions.columns):
        rows, cols = (_integer_column(regions, name) for name in ("row", "col"))
    else:
        rows, cols = lattice_indices(regions.geometry.to_numpy())
    try:
        return grid_adjacency(rows, cols, kind.removeprefix("grid-"))
    except InputError as error:
        raise InputError(f"{kind} weights over the cells keyed by {id_column}: {error}") from None


def _integer_column(regions, name: str) -> np.ndarray:
    values = pd.to_numeric(regions[name], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        value = regions[name].iloc[first]
        shown = repr(value) if isinstance(value, str) else str(value)
        raise InputError(f"grid weights read the cells' indices from the columns row and col; feature {first + 1} has "
                         f"{name} = {shown}, not a whole number")
    return values.astype(np.int64)


def lattice_indices(geoms) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, cols)`` of square cells of one size laid on one lattice, from their bounding boxes.

    Raises ``InputError`` when the polygons are not such cells (other shapes, several sizes, cells
    shifted off the lattice, or a layer reprojected so its squares are no longer squares): then the
    geometric ``queen`` or ``rook`` weights apply instead.
    """
    bounds = shapely.bounds(np.asarray(geoms))
    if len(bounds) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    x0, y0, x1, y1 = bounds.T
    size = float(np.median(x1 - x0))
    tol = LATTICE_TOLERANCE * max(size, 1e-9)
    square = (np.abs(x1 - x0 - size) <= tol) & (np.abs(y1 - y0 - size) <= tol)
    square &= np.abs(shapely.area(geoms) - size * size) <= 2 * tol * size
    fx, fy = (x0 - x0.min()) / size, (y0 - y0.min()) / size
    cols, rows = np.round(fx), np.round(fy)
    aligned = (np.abs(fx - cols) * size <= tol) & (np.abs(fy - rows) * size <= tol)
    bad = ~(square & aligned)
    if size <= 0 or bad.any():
        first = int(np.flatnonzero(bad)[0]) if bad.any() else 0
        raise InputError(f"grid weights need square cells of one size on one lattice (or integer row and col columns); "
                         f"feature {first + 1} is not such a cell (cell size {size:g}) — use queen or rook weights, "
                         "or build the grid with kibs-spatial grid")
    return rows.astype(np.int64), cols.astype(np.int64)
