"""Getis-Ord general G (Getis & Ord 1992): do high values cluster, globally?

For the ``n`` units with a value in a column (values ``x >= 0``) and weights ``w_ij`` among them
(binary by default: every neighbour counts 1, as ``esda.G`` does; ``binary=False`` uses the W's
weight values as they are, as ``spdep::globalG.test`` does with the listw it is given):

    G = sum_{i != j} w_ij x_i x_j / sum_{i != j} x_i x_j,          E[G] = S0 / (n (n - 1))

``G > E[G]`` when high values sit next to high values (a "hot" map), ``G < E[G]`` when low values
do. The variance under randomisation (Getis & Ord 1992, with the corrected ``B1`` of spdep's
``B1correct = TRUE`` and esda), with ``S0, S1, S2`` as for Moran's I and the power sums
``m_r = sum x^r``:

    E[G^2] = (B0 m2^2 + B1 m4 + B2 m1^2 m2 + B3 m1 m3 + B4 m1^4) / ((m1^2 - m2)^2 n (n-1)(n-2)(n-3))
    B0 = (n^2 - 3n + 3) S1 - n S2 + 3 S0^2        B1 = -((n^2 - n) S1 - 2n S2 + 6 S0^2)
    B2 = -(2n S1 - (n + 3) S2 + 6 S0^2)            B3 = 4 (n - 1) S1 - 2 (n + 1) S2 + 8 S0^2
    B4 = S1 - S2 + S0^2

``z = (G - E[G]) / sqrt(E[G^2] - E[G]^2)``, ``p_norm`` two-sided; ``p_sim`` from total randomisation
with equal tails (see ``quadratic_forms``; the denominator does not change under a shuffle).

References
----------
Getis, A. and Ord, J. K. (1992). The analysis of spatial association by use of distance statistics.
Geographical Analysis 24, 189-206.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ...errors import InputError
from ._graph import graph_from_w
from .inference import DEFAULT_SEED, numba_threads
from .local import _as_matrix
from .quadratic_forms import grouped_tail_counts, mask_key, pvalue_from_counts, restrict, weight_constants


@dataclass(frozen=True)
class GeneralGResult:
    """General G of one column (``n`` = units with a value); NaN where undefined."""

    G: float
    expected_g: float
    variance: float
    z: float
    p_norm: float
    p_sim: float
    n: int
    permutations: int
    seed: int


def general_g(w, values, permutations: int = 9999, seed: int = DEFAULT_SEED, binary: bool = True,
              n_jobs: int | None = None) -> list[GeneralGResult]:
    """Getis-Ord general G for each column of ``values`` (NaN = missing, left out; values >= 0).

    Parameters
    ----------
    w : libpysal.weights.W
        Never modified.
    values : array_like, (n,) or (n, k)
        Non-negative; rows in ``w.id_order``.
    permutations : int
        Total randomisations for ``p_sim`` (0: NaN).
    seed : int
    binary : bool
        Count every neighbour 1 (default, the classic G and ``esda.G``), or use the weight values.
    n_jobs : int, optional
        numba threads; the result does not depend on it.

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> hot = np.zeros(25); hot[[0, 1, 5, 6]] = 10.0   # four high values in one corner
    >>> res = general_g(lat2W(5, 5), hot + 1, permutations=99, seed=1)[0]
    >>> res.G > res.expected_g, res.z > 2
    (True, True)
    """
    graph = graph_from_w(w)
    x = _as_matrix(values, graph.n, "values")
    if (x[~np.isnan(x)] < 0).any():
        raise InputError("general G needs values >= 0 (counts, rates, LQs); a column has a negative value")
    matrix = graph.matrix()
    permutations, seed = int(permutations), int(seed)
    with numba_threads(n_jobs):
        columns = [_one_column(matrix, x[:, c], permutations, seed, binary) for c in range(x.shape[1])]
        counts = grouped_tail_counts([form for _, form in columns], permutations, seed)
    return [result if tails is None else replace(result, p_sim=pvalue_from_counts(*tails, permutations))
            for (result, _), tails in zip(columns, counts)]


def general_g_table(results: list[GeneralGResult]) -> pd.DataFrame:
    """One row per column: ``g``, ``expected_g``, ``z``, ``p_norm``, ``p_sim``, ``n``."""
    return pd.DataFrame([{"g": r.G, "expected_g": r.expected_g, "z": r.z, "p_norm": r.p_norm, "p_sim": r.p_sim,
                          "n": r.n} for r in results], columns=["g", "expected_g", "z", "p_norm", "p_sim", "n"])


def _one_column(matrix, x: np.ndarray, permutations: int, seed: int, binary: bool):
    """The column's result without ``p_sim``, and its quadratic form for the simulation (None: no test)."""
    valid = ~np.isnan(x)
    n = int(valid.sum())
    sub = restrict(matrix, valid, binary=binary)
    v = x[valid]
    m1, m2, m3, m4 = (float(np.sum(v**r)) for r in (1, 2, 3, 4))
    denominator = m1 * m1 - m2
    s0, s1, s2 = weight_constants(sub)
    nan = np.nan
    if n < 4 or s0 == 0 or not denominator > 0:
        return GeneralGResult(nan, nan, nan, nan, nan, nan, n, permutations, seed), None
    observed = float(v @ (sub @ v) / denominator)
    expected = s0 / (n * (n - 1))
    s02, n2 = s0 * s0, n * n
    b0 = (n2 - 3 * n + 3) * s1 - n * s2 + 3 * s02
    b1 = -((n2 - n) * s1 - 2 * n * s2 + 6 * s02)
    b2 = -(2 * n * s1 - (n + 3) * s2 + 6 * s02)
    b3 = 4 * (n - 1) * s1 - 2 * (n + 1) * s2 + 8 * s02
    b4 = s1 - s2 + s02
    second = ((b0 * m2**2 + b1 * m4 + b2 * m1**2 * m2 + b3 * m1 * m3 + b4 * m1**4)
              / (denominator**2 * n * (n - 1) * (n - 2) * (n - 3)))
    variance = second - expected**2
    z = (observed - expected) / np.sqrt(variance)
    result = GeneralGResult(G=observed, expected_g=expected, variance=float(variance), z=float(z),
                            p_norm=float(2 * ndtr(-abs(z))), p_sim=np.nan, n=n, permutations=permutations,
                            seed=seed)
    usable = permutations > 0 and np.isfinite(observed)
    return result, ((mask_key(valid), sub, v, np.zeros(n), 1.0, 1.0 / denominator, observed) if usable else None)
