"""Global Geary's C (Geary 1954; Cliff & Ord 1981) with analytic and permutation inference.

For the ``n`` units with a value in a column, deviations ``z = x - mean(x)`` and row-standardised
weights ``w_ij`` (the W restricted to those units, each row divided by its sum; a row without a
neighbour with a value stays zero, as in esda):

    C = (n - 1) sum_ij w_ij (x_i - x_j)^2 / (2 S0 sum_i z_i^2),      E[C] = 1

``C < 1``: neighbours are alike (positive autocorrelation); ``C > 1``: they differ. With
``S0 = sum w``, ``S1 = 1/2 sum (w_ij + w_ji)^2``, ``S2 = sum_i (w_i. + w_.i)^2`` and the kurtosis
``K = n sum z^4 / (sum z^2)^2`` the variances are (Cliff & Ord 1981, eqs. 1.39-1.40; the formulas of
``esda.Geary`` and ``spdep::geary.test``):

    Var_norm[C] = ((2 S1 + S2)(n - 1) - 4 S0^2) / (2 (n + 1) S0^2)
    Var_rand[C] = ((n - 1) S1 (n^2 - 3n + 3 - (n - 1) K)
                   - 1/4 (n - 1) S2 (n^2 + 3n - 6 - (n^2 - n + 2) K)
                   + S0^2 (n^2 - 3 - (n - 1)^2 K)) / (n (n - 2)(n - 3) S0^2)

``z = (C - 1) / sqrt(Var)`` (negative for positive autocorrelation, as in esda; spdep reports
``(1 - C) / sqrt(Var)``), ``p_norm``/``p_rand`` two-sided. ``p_sim`` comes from total
randomisation with equal tails, ``min(1, 2 min(1 + #{C* >= C}, 1 + #{C* <= C}) / (P + 1))``,
permutation ``p`` drawing from the stream ``(seed, p)`` (see ``quadratic_forms``; the columns with the same
units with a value are simulated together, each exactly as alone).

References
----------
Geary, R. C. (1954). The contiguity ratio and statistical mapping. The Incorporated Statistician 5, 115-145.
Cliff, A. D. and Ord, J. K. (1981). Spatial Processes: Models and Applications. Pion.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ._graph import graph_from_w
from .inference import DEFAULT_SEED, numba_threads
from .local import _as_matrix
from .quadratic_forms import (
    grouped_tail_counts,
    mask_key,
    pvalue_from_counts,
    restrict,
    row_plus_column_sums,
    weight_constants,
)


@dataclass(frozen=True)
class GearyResult:
    """Geary's C of one column (``n`` = units with a value); NaN where undefined."""

    C: float
    expected_c: float
    variance_norm: float
    variance_rand: float
    z_norm: float
    p_norm: float
    z_rand: float
    p_rand: float
    p_sim: float
    n: int
    permutations: int
    seed: int


def geary(w, values, permutations: int = 9999, seed: int = DEFAULT_SEED,
          n_jobs: int | None = None) -> list[GearyResult]:
    """Geary's C for each column of ``values`` (NaN = missing, left out).

    Parameters
    ----------
    w : libpysal.weights.W
        Never modified; its weight values are row-standardised over the units with a value.
    values : array_like, (n,) or (n, k)
        Rows in ``w.id_order``.
    permutations : int
        Total randomisations for ``p_sim`` (0: ``p_sim`` is NaN).
    seed : int
    n_jobs : int, optional
        numba threads; the result does not depend on it.

    Returns
    -------
    list of GearyResult, one per column.

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> values = np.arange(25.0)                      # a smooth gradient on a 5 x 5 lattice
    >>> res = geary(lat2W(5, 5), values, permutations=99, seed=1)[0]
    >>> round(res.C, 4), res.C < res.expected_c       # neighbours alike: C well below 1
    (0.12, True)
    """
    graph = graph_from_w(w)
    x = _as_matrix(values, graph.n, "values")
    matrix = graph.matrix()
    permutations, seed = int(permutations), int(seed)
    with numba_threads(n_jobs):
        columns = [_one_column(matrix, x[:, c], permutations, seed) for c in range(x.shape[1])]
        counts = grouped_tail_counts([form for _, form in columns], permutations, seed)
    return [result if tails is None else replace(result, p_sim=pvalue_from_counts(*tails, permutations))
            for (result, _), tails in zip(columns, counts)]


def geary_table(results: list[GearyResult]) -> pd.DataFrame:
    """One row per column: ``geary_c``, ``expected_c``, ``z_rand``, ``p_rand``, ``p_sim``, ``n``."""
    return pd.DataFrame([{"geary_c": r.C, "expected_c": r.expected_c, "z_rand": r.z_rand, "p_rand": r.p_rand,
                          "p_sim": r.p_sim, "n": r.n} for r in results],
                        columns=["geary_c", "expected_c", "z_rand", "p_rand", "p_sim", "n"])


def _one_column(matrix, x: np.ndarray, permutations: int, seed: int):
    """The column's result without ``p_sim``, and its quadratic form for the simulation (None: no test)."""
    valid = ~np.isnan(x)
    n = int(valid.sum())
    sub = restrict(matrix, valid, standardize=True)
    z = x[valid] - x[valid].mean()
    ss = float((z**2).sum())
    s0, s1, s2 = weight_constants(sub)
    nan = np.nan
    if n < 4 or s0 == 0 or not ss > 0:
        return GearyResult(nan, nan, nan, nan, nan, nan, nan, nan, nan, n, permutations, seed), None
    diag = row_plus_column_sums(sub)
    scale = (n - 1) / (2.0 * s0 * ss)
    observed = float(scale * (np.sum(diag * z * z) - 2.0 * z @ (sub @ z)))
    v_norm, v_rand = _variances(n, s0, s1, s2, n * np.sum(z**4) / ss**2)
    z_norm = (observed - 1.0) / np.sqrt(v_norm)
    z_rand = (observed - 1.0) / np.sqrt(v_rand)
    result = GearyResult(
        C=observed, expected_c=1.0, variance_norm=v_norm, variance_rand=v_rand,
        z_norm=float(z_norm), p_norm=float(2 * ndtr(-abs(z_norm))),
        z_rand=float(z_rand), p_rand=float(2 * ndtr(-abs(z_rand))),
        p_sim=np.nan, n=n, permutations=permutations, seed=seed,
    )
    form = (mask_key(valid), sub, z, diag, -2.0, scale, observed) if permutations > 0 and np.isfinite(observed) else None
    return result, form


def _variances(n: int, s0: float, s1: float, s2: float, k: float) -> tuple[float, float]:
    """Variance of C under normality and under randomisation (Cliff & Ord 1981)."""
    s02, n2 = s0 * s0, n * n
    v_norm = ((2 * s1 + s2) * (n - 1) - 4 * s02) / (2 * (n + 1) * s02)
    a = (n - 1) * s1 * (n2 - 3 * n + 3 - (n - 1) * k)
    b = 0.25 * (n - 1) * s2 * (n2 + 3 * n - 6 - (n2 - n + 2) * k)
    c = s02 * (n2 - 3 - (n - 1) ** 2 * k)
    v_rand = (a - b + c) / (n * (n - 2) * (n - 3) * s02)
    return float(v_norm), float(v_rand)
