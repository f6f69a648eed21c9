"""Per-column moments over the non-missing units, shared by local Moran and Getis-Ord.

Missing values (NaN) are handled the same way everywhere: for column ``c`` only the units
with a value take part. ``n`` is their number, the mean and the variance are theirs, and a
unit's neighbours are its neighbours *with a value*, keeping their weights (local Moran then
row-standardises over them, i.e. the weights are renormalised).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._graph import Graph


@dataclass(frozen=True)
class ColumnMoments:
    """Sums over the non-missing units of one column.

    Attributes
    ----------
    valid : (n,) bool, value present.
    n_valid : int, number of units with a value.
    mean : float, mean of the values present.
    dev : (n,) float, ``x - mean``, NaN where missing.
    m2 : float, ``sum(dev**2) / n_valid``.
    weight_sum : (n,) float, ``W_i = sum_j w_ij`` over neighbours with a value.
    weight_sq : (n,) float, ``S1_i = sum_j w_ij**2`` over neighbours with a value.
    lag_sum : (n,) float, ``sum_j w_ij dev_j`` over neighbours with a value.
    k_valid : (n,) int, number of neighbours with a value.
    defined : bool, the column has at least 3 values and a positive variance.
    """

    valid: np.ndarray
    n_valid: int
    mean: float
    dev: np.ndarray
    m2: float
    weight_sum: np.ndarray
    weight_sq: np.ndarray
    lag_sum: np.ndarray
    k_valid: np.ndarray
    defined: bool

    def cell_defined(self, graph: Graph) -> np.ndarray:
        """Units that get a statistic: value present, not an island, a neighbour with a value."""
        return self.defined & self.valid & ~graph.islands & (self.k_valid > 0)

    def permutation_centre(self) -> np.ndarray:
        """Exact mean of the simulated ``sum_j w_ij dev_(j)`` under conditional permutation."""
        others = (np.nansum(self.dev) - self.dev) / max(self.n_valid - 1, 1)
        return self.weight_sum * others


def column_moments(graph: Graph, x: np.ndarray) -> list[ColumnMoments]:
    """Moments of every column of ``x`` (``(n,)`` or ``(n, k)``, NaN = missing) on the graph,
    the neighbour sums of all columns in one sparse product each."""
    x = np.asarray(x, dtype=np.float64).reshape(graph.n, -1)
    valid = ~np.isnan(x)
    n_valid = valid.sum(axis=0)
    mean = np.array([x[valid[:, c], c].mean() if n_valid[c] else np.nan for c in range(x.shape[1])])
    dev = x - mean
    m2 = np.array([np.sum(dev[valid[:, c], c] ** 2) / n_valid[c] if n_valid[c] else np.nan
                   for c in range(x.shape[1])])
    mat = graph.matrix()
    v = valid.astype(np.float64)
    binary = mat.copy()
    binary.data[:] = 1.0
    weight_sum = mat @ v
    weight_sq = mat.multiply(mat) @ v
    lag_sum = mat @ np.where(valid, dev, 0.0)
    k_valid = np.rint(binary @ v).astype(np.int64)
    return [
        ColumnMoments(
            valid=valid[:, c],
            n_valid=int(n_valid[c]),
            mean=float(mean[c]),
            dev=dev[:, c],
            m2=float(m2[c]),
            weight_sum=weight_sum[:, c],
            weight_sq=weight_sq[:, c],
            lag_sum=lag_sum[:, c],
            k_valid=k_valid[:, c],
            defined=bool(n_valid[c] >= 3 and m2[c] > 0),
        )
        for c in range(x.shape[1])
    ]
