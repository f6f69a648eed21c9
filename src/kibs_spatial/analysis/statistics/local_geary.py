"""Local Geary's c (Anselin 2019) for many columns, with conditional-permutation inference.

For one column, the ``n`` units with a value, standardised values ``z = (x - mean) / s`` (``s`` the
population standard deviation over those units, as ``esda.Geary_Local``) and row-standardised
weights ``w*_ij`` over the neighbours with a value:

    c_i = sum_j w*_ij (z_i - z_j)^2

Small ``c_i``: the unit resembles its neighbours (positive local association); large: it differs
(negative). ``esda.Geary_Local().localG`` is the same number; ``spdep::localC`` standardises with the
sample standard deviation, so its value is ``c_i (n - 1) / n``.

Conditional randomisation (``z_i`` fixed, the ``k_i`` neighbours drawn without replacement from
the other ``n - 1`` units with a value): with ``y_j = (z_i - z_j)^2`` over those units, their mean
``m_y`` and population variance ``v_y``, ``W_i = sum_j w*_ij`` (1, or 0 without a neighbour) and
``S1_i = sum_j w*_ij^2``, the exact moments are

    E[c_i]   = W_i m_y = W_i (z_i^2 + (n + z_i^2) / (n - 1))         (since sum z = 0, sum z^2 = n)
    Var[c_i] = v_y ((n - 1) S1_i - W_i^2) / (n - 2)

giving ``z`` (analytic, used for ``permutations=0``). The pseudo p-values count simulated ``c_i``
from the batched engine's own draws (``_difference_kernel``), two-sided with equal tails by
default, ``greater`` = larger than expected (negative association), ``less`` = smaller (positive),
``two-sided-folded`` about ``E[c_i]``; ``q`` is FDR-adjusted per column (or over all).

Categories (as GeoDa's local Geary cluster map): a significant unit (``q <= alpha``) with
``c_i < E[c_i]`` is ``HH`` (value and lag of the neighbours' ``z`` above 0), ``LL`` (both below), or
``OP`` (other positive association: value and lag on different sides); with ``c_i > E[c_i]`` it is
``NEG`` (negative association). Otherwise ``ns``; and ``isolated`` (no neighbour) or ``undefined``
(missing value, no neighbour with a value, a column with fewer than 3 values or no variation).

References
----------
Anselin, L. (2019). A local indicator of multivariate spatial association: extending Geary's c.
Geographical Analysis 51, 133-150.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._columns import column_moments
from ._difference_kernel import local_geary_counts
from ._graph import graph_from_w
from .inference import DEFAULT_SEED, TIE_TOLERANCE, normal_pvalues, numba_threads
from .local import (
    InferenceSettings,
    _adjust,
    _as_matrix,
    _check_names,
    _no_test_masks,
    _settings,
)

GEARY_CATEGORIES = ("HH", "LL", "OP", "NEG", "ns", "isolated", "undefined")
GEARY_FIELDS = ("lg_c", "lg_z", "lg_p", "lg_q", "lg_cl")
PERMUTATION_CHUNK = 256
"""Permutations per kernel call (Ctrl-C is acted on between calls; the counts add up exactly)."""


@dataclass(frozen=True)
class LocalGearyResults:
    """Local Geary results; every array is ``(n_units, n_columns)``, NaN where there is no test."""

    c: np.ndarray
    expected: np.ndarray
    z: np.ndarray
    p: np.ndarray
    q: np.ndarray
    cl: np.ndarray
    lag: np.ndarray
    n_valid: np.ndarray
    settings: InferenceSettings
    id_order: list = field(default_factory=list)

    min_p = property(lambda self: self.settings.min_p)

    def to_frame(self, column_names, index=None) -> pd.DataFrame:
        """Fields ``c_lg_c, c_lg_z, c_lg_p, c_lg_q, c_lg_cl`` per column name ``c``."""
        names = _check_names(column_names, self.c.shape[1])
        arrays = {"lg_c": self.c, "lg_z": self.z, "lg_p": self.p, "lg_q": self.q, "lg_cl": self.cl}
        data = {f"{name}_{f}": arrays[f][:, col] for col, name in enumerate(names) for f in GEARY_FIELDS}
        return pd.DataFrame(data, index=self.id_order if index is None else index)


def local_geary(w, values, permutations: int = 9999, seed: int = DEFAULT_SEED, alternative: str = "two-sided",
                fdr: str = "bh", fdr_scope: str = "column", alpha: float = 0.05, n_jobs: int | None = None,
                progress=None) -> LocalGearyResults:
    """Local Geary's ``c_i`` for every column of ``values`` at once (NaN = missing).

    Parameters
    ----------
    w : libpysal.weights.W
        Never modified; its weight values are row-standardised over the neighbours with a value.
    values : array_like, (n,) or (n, k)
        Rows in ``w.id_order``.
    permutations : int
        Conditional permutations per unit, drawn as by ``local_statistics()`` (the same seed
        gives the same draws); 0 = normal p-values from the exact conditional moments.
    seed, alternative, fdr, fdr_scope, alpha, n_jobs
        As ``local_statistics()``.
    progress : callable(done, total), optional
        Called after each block of units.

    Returns
    -------
    LocalGearyResults

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> values = np.arange(25.0) % 5                  # five identical columns: a gradient across
    >>> res = local_geary(lat2W(5, 5), values, permutations=99, seed=1)
    >>> res.c.shape, bool((res.c[:, 0] < res.expected[:, 0]).all())
    ((25, 1), True)
    """
    graph = graph_from_w(w)
    x = _as_matrix(values, graph.n, "values")
    settings = _settings(permutations, seed, alternative, fdr, fdr_scope, alpha)
    moments = column_moments(graph, x)
    defined = moments.cell_defined(graph)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(moments.defined, moments.dev / np.sqrt(moments.m2), np.nan)
    matrix = graph.matrix()
    c, expected, variance, lag = _statistic(matrix, z, defined, moments.n_valid)
    with np.errstate(divide="ignore", invalid="ignore"):
        zscore = (c - expected) / np.sqrt(variance)
    if settings.permutations == 0:
        p = normal_pvalues(zscore, settings.alternative)
    else:
        p = _pseudo_p(graph, z, moments.k_valid, defined, c, expected, settings, n_jobs, progress)
    p = np.where(defined, p, np.nan)
    q = _adjust(p, settings)
    isolated, undefined = _no_test_masks(graph, defined)
    return LocalGearyResults(
        c=c, expected=expected, z=zscore, p=p, q=q,
        cl=geary_categories(z, lag, c, expected, q, settings.alpha, isolated, undefined), lag=lag,
        n_valid=moments.n_valid, settings=settings, id_order=list(w.id_order),
    )


def geary_categories(z, lag, c, expected, q, alpha, isolated, undefined) -> np.ndarray:
    """``HH``, ``LL``, ``OP`` (other positive), ``NEG`` for significant units, else ``ns``;
    ``isolated`` and ``undefined`` as for LISA."""
    with np.errstate(invalid="ignore"):
        positive = c < expected
        significant = q <= alpha
        label = np.where(positive, np.where((z > 0) & (lag > 0), "HH", np.where((z < 0) & (lag < 0), "LL", "OP")),
                         "NEG")
    out = np.where(significant, label, "ns").astype(object)
    out[np.asarray(undefined, bool)] = "undefined"
    out[np.asarray(isolated, bool)] = "isolated"
    return out


def _statistic(matrix, z, defined, n_valid):
    """``c_i``, its exact conditional mean and variance, and the row-standardised lag of ``z``."""
    valid = ~np.isnan(z)
    zf = np.where(valid, z, 0.0)
    v = valid.astype(float)
    weight_sum = matrix @ v
    weight_sq = matrix.multiply(matrix) @ v
    with np.errstate(divide="ignore", invalid="ignore"):
        lag_sum = matrix @ zf
        sq_sum = matrix @ (zf * zf)
        c = (z * z * weight_sum - 2 * z * lag_sum + sq_sum) / weight_sum
        lag = lag_sum / weight_sum
        n = n_valid[None, :].astype(float)
        ones = np.where(weight_sum > 0, 1.0, 0.0)
        s1 = weight_sq / weight_sum**2
        # y_j = (z_i - z_j)^2 over the other n - 1 units: sum z = 0 and sum z^2 = n over all n
        others = n - 1
        sum_z = -z
        sum_z2 = n - z * z
        sum_z3 = np.nansum(np.where(valid, z**3, 0.0), axis=0)[None, :] - z**3
        sum_z4 = np.nansum(np.where(valid, z**4, 0.0), axis=0)[None, :] - z**4
        m_y = (others * z * z - 2 * z * sum_z + sum_z2) / others
        m_y2 = (others * z**4 - 4 * z**3 * sum_z + 6 * z * z * sum_z2 - 4 * z * sum_z3 + sum_z4) / others
        v_y = m_y2 - m_y**2
        expected = ones * m_y
        variance = v_y * (others * s1 - ones) / (others - 1)
    mask = np.where(defined, 1.0, np.nan)
    return c * mask, expected * mask, variance * mask, lag * mask


def _pseudo_p(graph, z, k_valid, defined, c, expected, settings: InferenceSettings, n_jobs,
              progress) -> np.ndarray:
    n, k = z.shape
    k_valid = np.ascontiguousarray(np.where(defined, k_valid, 0))
    observed = np.ascontiguousarray(np.nan_to_num(c))
    centre = np.ascontiguousarray(np.nan_to_num(expected))
    tol = np.ascontiguousarray(TIE_TOLERANCE * np.maximum(np.abs(observed), np.abs(centre)))
    zc = np.ascontiguousarray(z)
    ge, le, far = (np.zeros((n, k), dtype=np.int64) for _ in range(3))
    perms = settings.permutations
    step = n if progress is None else max(1, -(-n // 50))
    with numba_threads(n_jobs):
        for start in range(0, n, step):
            stop = min(n, start + step)
            for p0 in range(0, perms, PERMUTATION_CHUNK):
                local_geary_counts(start, stop, np.uint64(settings.seed), p0, min(perms, p0 + PERMUTATION_CHUNK),
                                   graph.indptr, graph.indices, graph.data, zc, k_valid, observed, centre, tol,
                                   ge, le, far)
            if progress is not None:
                progress(stop, n)
    total = perms + 1.0
    if settings.alternative == "two-sided-folded":
        return (1.0 + far) / total
    if settings.alternative == "greater":
        return (1.0 + ge) / total
    if settings.alternative == "less":
        return (1.0 + le) / total
    return np.minimum(1.0, 2.0 * (1.0 + np.minimum(ge, le)) / total)
