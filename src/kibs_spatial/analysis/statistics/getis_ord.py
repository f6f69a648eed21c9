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

import numpy as np

from ._columns import ColumnMoments, blank_undefined


@dataclass(frozen=True)
class GetisOrdResult:
    """Gi or Gi*, ``(n, k)`` arrays (NaN where not defined)."""

    g: np.ndarray
    z: np.ndarray


def getis_ord(mom: ColumnMoments, self_weight: np.ndarray, defined: np.ndarray, star: bool = True) -> GetisOrdResult:
    """Local G statistic and its Ord-Getis z-score of every column, ``self_weight`` ``(n,)``;
    computed on deviations for precision."""
    n, dev = mom.n_valid, mom.dev
    total = mom.mean * n
    with np.errstate(divide="ignore", invalid="ignore"):
        if star:
            d = self_weight[:, None]
            s_dev = mom.lag_sum + d * dev
            wsum = mom.weight_sum + d
            s1 = mom.weight_sq + d**2
            var = mom.m2
            numerator, m = s_dev, n
            g = (s_dev + wsum * mom.mean) / total
        else:
            others_mean = -dev / (n - 1)
            wsum, s1, m = mom.weight_sum, mom.weight_sq, n - 1
            var = (mom.m2 * n - dev**2) / (n - 1) - others_mean**2
            numerator = mom.lag_sum - wsum * others_mean
            g = (mom.lag_sum + wsum * mom.mean) / (total - (dev + mom.mean))
        z = numerator / np.sqrt(var * (m * s1 - wsum**2) / (m - 1))
    blank_undefined(defined, g, z)
    return GetisOrdResult(g=g, z=z)
