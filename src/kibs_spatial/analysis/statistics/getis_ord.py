"""Getis-Ord local G (Gi) and G* (Gi*) with the general-weights z-score of Ord & Getis (1995).

With ``S_i = sum_j w_ij x_j``, ``W_i = sum_j w_ij`` and ``S1_i = sum_j w_ij^2``:

Gi* (``star=True``, focal unit included, self-weight ``w_ii``)
    sums run over all ``n`` units with a value, ``j = i`` included;
    ``G*_i = S_i / sum_j x_j`` and
    ``z_i = (S_i - W_i xbar) / (s sqrt((n S1_i - W_i^2) / (n - 1))))``,
    ``xbar`` and ``s^2 = sum_j x_j^2 / n - xbar^2`` over all ``n`` units.
Gi (``star=False``)
    sums run over ``j != i``; ``xbar_(i)``, ``s_(i)`` over the other ``n - 1`` units and
    ``n`` replaced by ``n - 1`` in the variance term.

The weight *values* are used (GeoDa binarises them). ``z`` does not change when a row of W
is rescaled, so row standardisation is irrelevant to it. The Gi* self-weight is the W's own
diagonal where it is positive, otherwise the row's largest weight: 1 for a binary W, the
value ``esda.G_Local(star=True)`` puts on the diagonal. On a binary W the z-score equals
``esda.G_Local(star=True, transform="B").Zs`` and, for any weights, spdep's ``localG`` with
the self-weight included. (esda's default ``transform="R"`` computes its variance from the
row sums only and so gives a different, not Ord-Getis, z for Gi*.)

References
----------
Getis, A. and Ord, J. K. (1992). The analysis of spatial association by use of distance
statistics. Geographical Analysis 24, 189-206.
Ord, J. K. and Getis, A. (1995). Local spatial autocorrelation statistics: distributional
issues and an application. Geographical Analysis 27, 286-306.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from ._columns import ColumnMoments


@dataclass(frozen=True)
class GetisOrdResult:
    """Gi or Gi*, ``(n, k)`` arrays (NaN where not defined)."""

    g: np.ndarray
    z: np.ndarray


def getis_ord(mom: ColumnMoments, self_weight: np.ndarray, defined: np.ndarray, star: bool = True) -> GetisOrdResult:
    """Local G statistic and its Ord-Getis z-score of every column, ``self_weight`` ``(n,)``;
    computed on deviations for precision."""
    g, z = _getis_ord_cells(*(np.ascontiguousarray(a) for a in (
        mom.dev, mom.mean, mom.m2, mom.n_valid.astype(np.float64), mom.lag_sum, mom.weight_sum, mom.weight_sq,
        np.asarray(self_weight, np.float64), defined)), bool(star))
    return GetisOrdResult(g=g, z=z)


@numba.njit(cache=True, error_model="numpy")
def _getis_ord_cells(dev, mean, m2, n_valid, lag_sum, weight_sum, weight_sq, self_weight, defined, star):
    """``(G, z)`` of every defined cell (NaN elsewhere), the module docstring's formulas on deviations, cell by cell."""
    g, z = np.full(dev.shape, np.nan), np.full(dev.shape, np.nan)
    for r in range(dev.shape[0]):
        d = self_weight[r]
        for c in range(dev.shape[1]):
            if not defined[r, c]:
                continue
            n, total = n_valid[c], mean[c] * n_valid[c]
            if star:
                numerator = lag_sum[r, c] + d * dev[r, c]
                wsum = weight_sum[r, c] + d
                s1 = weight_sq[r, c] + d * d
                var, m = m2[c], n
                g[r, c] = (numerator + wsum * mean[c]) / total
            else:
                others_mean = -dev[r, c] / (n - 1)
                wsum, s1, m = weight_sum[r, c], weight_sq[r, c], n - 1
                var = (m2[c] * n - dev[r, c] * dev[r, c]) / (n - 1) - others_mean * others_mean
                numerator = lag_sum[r, c] - wsum * others_mean
                g[r, c] = (lag_sum[r, c] + wsum * mean[c]) / (total - (dev[r, c] + mean[c]))
            z[r, c] = numerator / np.sqrt(var * (m * s1 - wsum * wsum) / (m - 1))
    return g, z
