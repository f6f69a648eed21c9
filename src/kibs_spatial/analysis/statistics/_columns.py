"""Per-column moments over the non-missing units, shared by local Moran and Getis-Ord.

Missing values (NaN) are handled the same way everywhere: for column ``c`` only the units
with a value take part. ``n`` is their number, the mean and the variance are theirs, and a
unit's neighbours are its neighbours *with a value*, keeping their weights (local Moran then
row-standardises over them, i.e. the weights are renormalised).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ._graph import Graph


@dataclass(frozen=True)
class ColumnMoments:
    """Sums over the non-missing units of every column of ``x`` (``n`` units, ``k`` columns).

    Attributes
    ----------
    valid : (n, k) bool, value present.
    n_valid : (k,) int, number of units with a value.
    mean : (k,) float, mean of the values present.
    dev : (n, k) float, ``x - mean``, NaN where missing.
    m2 : (k,) float, ``sum(dev**2) / n_valid``.
    weight_sum : (n, k) float, ``W_i = sum_j w_ij`` over neighbours with a value.
    weight_sq : (n, k) float, ``S1_i = sum_j w_ij**2`` over neighbours with a value.
    lag_sum : (n, k) float, ``sum_j w_ij dev_j`` over neighbours with a value.
    k_valid : (n, k) int64, number of neighbours with a value.
    defined : (k,) bool, the column has at least 3 values and a positive variance.
    """

    valid: np.ndarray
    n_valid: np.ndarray
    mean: np.ndarray
    dev: np.ndarray
    m2: np.ndarray
    weight_sum: np.ndarray
    weight_sq: np.ndarray
    lag_sum: np.ndarray
    k_valid: np.ndarray
    defined: np.ndarray

    def columns(self, index: np.ndarray) -> ColumnMoments:
        """The moments of the columns ``index`` (an index array), in that order; C-contiguous copies."""
        return ColumnMoments(**{f.name: np.take(getattr(self, f.name), index, axis=-1) for f in fields(self)})

    def cell_defined(self, graph: Graph) -> np.ndarray:
        """``(n, k)`` cells that get a statistic: value present, not an island, a neighbour with a value."""
        return self.defined & self.valid & ~graph.islands[:, None] & (self.k_valid > 0)

    def permutation_centre(self) -> np.ndarray:
        """Exact mean of the simulated ``sum_j w_ij dev_(j)`` under conditional permutation:
        ``W_i (sum_j dev_j - dev_i) / max(n_valid - 1, 1)``."""
        total = column_sums(np.where(self.valid, self.dev, 0.0), np.ones_like(self.valid))
        others = (total - self.dev) / np.maximum(self.n_valid - 1, 1)
        return self.weight_sum * others


def column_moments(graph: Graph, x: np.ndarray) -> ColumnMoments:
    """Moments of every column of ``x`` (``(n,)`` or ``(n, k)``, NaN = missing) on the graph,
    the neighbour sums of all columns in one sparse product each.

    The mean and ``m2`` are :func:`column_sums` over the values present, divided by their number."""
    x = np.asarray(x, dtype=np.float64).reshape(graph.n, -1)
    valid = ~np.isnan(x)
    n_valid = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):  # an empty column: NaN
        mean = column_sums(x, valid) / n_valid
        dev = x - mean
        m2 = column_sums(dev**2, valid) / n_valid
    mat = graph.matrix()
    return ColumnMoments(
        valid=valid,
        n_valid=n_valid,
        mean=mean,
        dev=dev,
        m2=m2,
        weight_sum=_valid_neighbour_sums(mat, valid),
        weight_sq=_valid_neighbour_sums(mat.multiply(mat), valid),
        lag_sum=mat @ np.where(valid, dev, 0.0),
        k_valid=_valid_neighbour_sums(mat.astype(bool), valid, np.int64),
        defined=(n_valid >= 3) & (m2 > 0),
    )


def _valid_neighbour_sums(mat, valid: np.ndarray, dtype=np.float64) -> np.ndarray:
    """``mat @ valid``: each row's sum of ``mat`` over the units with a value in each column. The product is
    formed once for all complete columns (the same sums) and once for each column with missing values."""
    complete = valid.all(axis=0)
    pick = np.concatenate([np.flatnonzero(complete)[:1], np.flatnonzero(~complete)])
    product = mat @ valid[:, pick].astype(dtype)
    out = np.empty(valid.shape, dtype)
    out[:, complete] = product[:, :1]
    out[:, ~complete] = product[:, int(complete.any()):]
    return out


def column_sums(a: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Sum of each column of ``a`` over its ``valid`` rows, as numpy sums the column's values alone
    (pairwise), not as ``sum(axis=0)`` adds them (row after row: other last bits). Complete columns are
    summed together, as the rows of their transposed copy."""
    out = np.empty(a.shape[1])
    complete = valid.all(axis=0)
    out[complete] = np.ascontiguousarray(a[:, complete].T).sum(axis=1)
    for c in np.flatnonzero(~complete):
        out[c] = a[valid[:, c], c].sum()
    return out


def blank_undefined(defined: np.ndarray, *arrays: np.ndarray) -> None:
    """Set the cells that get no statistic (``~defined``) to NaN in place, in each of ``arrays``."""
    undefined = ~defined
    for a in arrays:
        a[undefined] = np.nan
