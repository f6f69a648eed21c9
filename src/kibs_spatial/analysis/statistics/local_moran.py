"""Local Moran's I (Anselin 1995) with the conditional-randomisation moments of spdep.

For unit ``i`` with deviations ``z = x - mean(x)`` over the ``n`` units with a value and
row-standardised weights ``w*_ij = w_ij / W_i`` (``W_i = sum_j w_ij`` over the neighbours
with a value; the weight *values* are used, not only the graph):

    I_i = (n - 1) / n * z_i * sum_j w*_ij z_j / m2,      m2 = sum_k z_k^2 / n

which is ``esda.Moran_Local``'s ``Is`` (spdep's ``Ii`` is the same without ``(n-1)/n``).
The analytic z-score uses the exact mean and variance of ``I_i`` when ``z_i`` is fixed and
the other ``n - 1`` values are permuted (conditional randomisation; Sokal et al. 1998,
eqs. A7-A8; spdep ``localmoran(conditional=TRUE, mlvar=TRUE)``), with ``S1_i = sum_j w*_ij^2``:

    E[I_i]   = -z_i^2 / ((n - 1) m2)                                  (spdep scale)
    Var[I_i] = (z_i / m2)^2 n / (n - 2) (S1_i - 1 / (n - 1)) (m2 - z_i^2 / (n - 1))

The z-score is scale free, so it is the same on the esda and the spdep scale.

Bivariate local Moran (x at ``i`` against the lag of y; Anselin, Syabri & Smirnov 2002):

    I_i = (n - 1) / n * zx_i * sum_j w*_ij zy_j / sqrt(m2x m2y)

equal to ``esda.Moran_Local_BV``; its z-score uses the same conditional moments of the lag
of ``zy`` (``zy_i`` left out of the permuted pool), signed by ``zx_i``.

References
----------
Anselin, L. (1995). Local indicators of spatial association - LISA. Geographical Analysis 27, 93-115.
Sokal, R. R., Oden, N. L. and Thomson, B. A. (1998). Local spatial autocorrelation in a
biological model. Geographical Analysis 30, 331-354.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from ._columns import ColumnMoments, blank_undefined


@dataclass(frozen=True)
class LocalMoranResult:
    """Analytic local Moran results, ``(n, k)`` arrays (NaN where not defined)."""

    i: np.ndarray
    z: np.ndarray
    lag: np.ndarray


def local_moran(mom: ColumnMoments, defined: np.ndarray) -> LocalMoranResult:
    """Local Moran ``I_i``, conditional z and row-standardised lag of deviations of every column."""
    i, z, lag = _local_moran_cells(*(np.ascontiguousarray(a) for a in (
        mom.dev, mom.m2, mom.n_valid.astype(np.float64), mom.lag_sum, mom.weight_sum, mom.weight_sq, defined)))
    return LocalMoranResult(i=i, z=z, lag=lag)


@numba.njit(cache=True, error_model="numpy")
def _local_moran_cells(dev, m2, n_valid, lag_sum, weight_sum, weight_sq, defined):
    """``(I, z, lag)`` of every defined cell (NaN elsewhere): the module docstring's formulas, evaluated cell by cell
    in one pass (numpy would make a pass over all cells for each of their 25 operations)."""
    i, z, lag = np.full(dev.shape, np.nan), np.full(dev.shape, np.nan), np.full(dev.shape, np.nan)
    for r in range(dev.shape[0]):
        for c in range(dev.shape[1]):
            if not defined[r, c]:
                continue
            n, m2c, zi = n_valid[c], m2[c], dev[r, c]
            lag[r, c] = lag_sum[r, c] / weight_sum[r, c]
            i_spdep = zi / m2c * lag[r, c]
            s1 = weight_sq[r, c] / (weight_sum[r, c] * weight_sum[r, c])
            expected = -(zi * zi) / ((n - 1) * m2c)
            variance = ((zi / m2c) * (zi / m2c) * n / (n - 2) * (s1 - 1.0 / (n - 1))
                        * (m2c - zi * zi / (n - 1)))
            z[r, c] = (i_spdep - expected) / np.sqrt(variance)
            i[r, c] = i_spdep * (n - 1) / n
    return i, z, lag


def bivariate_moran(mom_x: ColumnMoments, mom_y: ColumnMoments, defined: np.ndarray) -> LocalMoranResult:
    """Bivariate local Moran of each column of ``x`` against the lag of the same column of ``y``
    (both on the same units)."""
    n = mom_y.n_valid.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        lag = mom_y.lag_sum / mom_y.weight_sum
        s1 = mom_y.weight_sq / mom_y.weight_sum**2
        zy = mom_y.dev
        expected = -zy / (n - 1)
        variance = n / (n - 2) * (mom_y.m2 - zy**2 / (n - 1)) * (s1 - 1.0 / (n - 1))
        z = np.sign(mom_x.dev) * (lag - expected) / np.sqrt(variance)
        z[mom_x.dev == 0] = np.nan
        i = (n - 1) / n * mom_x.dev * lag / np.sqrt(mom_x.m2 * mom_y.m2)
    blank_undefined(defined, i, z, lag)
    return LocalMoranResult(i=i, z=z, lag=lag)
