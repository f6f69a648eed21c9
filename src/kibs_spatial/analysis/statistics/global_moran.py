"""Global Moran's I (Moran 1950; Cliff & Ord 1981) with analytic and permutation inference.

For the ``n`` units with a value in a column, deviations ``z`` and row-standardised weights
``w_ij`` (the W restricted to those units, each row divided by its sum; rows of units
without a neighbour with a value stay zero, as in esda):

    I = n / S0 * sum_ij w_ij z_i z_j / sum_i z_i^2,       E[I] = -1 / (n - 1)

``z_norm``/``z_rand`` use the variances under normality and under randomisation
(Cliff & Ord 1981, eqs. 1.35-1.36; the same formulas as ``esda.Moran``), with
``S0 = sum w``, ``S1 = 1/2 sum (w_ij + w_ji)^2``, ``S2 = sum_i (w_i. + w_.i)^2`` and the
kurtosis ``b2 = n sum z^4 / (sum z^2)^2``; ``p_norm``/``p_rand`` are two-sided.

The result also carries each unit's standardised value and its spatial lag, the points of the
Moran scatterplot (Anselin 1996), whose least-squares slope through the origin is ``I``.

``p_sim`` is a two-sided permutation p-value under total randomisation with equal tails:
``min(1, 2 min(1 + #{I* >= I}, 1 + #{I* <= I}) / (P + 1))`` (esda's ``p_sim`` is
the smaller one-sided tail instead). Permutation ``p`` draws from the stream ``(seed, p)``.

The columns are simulated together: the columns with the same units with a value share one
restricted W, and ``quadratic_forms.tail_counts`` runs them in groups of eight under one shuffle of
the units per permutation (the shuffle ``permutation.global_moran_sims`` makes of the values). Every
simulated I is bit for bit the one of the column simulated alone (``batch=False``, the reference
path; tests compare the two for 1 and 2 threads and any chunking), so ``p_sim`` does not depend on
the other columns, on the number of threads or on the batching.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import ndtr

from ._graph import graph_from_w
from .inference import DEFAULT_SEED, TIE_TOLERANCE, chunks, numba_threads
from .local import _as_matrix
from .permutation import global_moran_sims
from .quadratic_forms import QuadraticForms, mask_key, tail_counts, weight_constants


@dataclass(frozen=True)
class GlobalMoranResult:
    """Global Moran's I of one column (``n`` = units with a value)."""

    I: float  # noqa: E741 - the statistic's name
    expected_i: float
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
    z: np.ndarray = field(default=None, repr=False, compare=False)
    lag: np.ndarray = field(default=None, repr=False, compare=False)
    """Per unit of the W (NaN where missing): the standardised value ``z_i = (x_i - mean) / sd``
    (population sd) and its spatial lag ``sum_j w_ij z_j`` over the row-standardised weights; the
    lag is NaN for a unit without a neighbour with a value. The Moran scatterplot (slope ``I``)."""


def global_moran(w, values, permutations: int = 9999, seed: int = DEFAULT_SEED,
                 n_jobs: int | None = None, batch: bool = True) -> list[GlobalMoranResult]:
    """Global Moran's I for each column of ``values`` (NaN = missing, left out).

    Parameters
    ----------
    w : libpysal.weights.W
        Never modified; its weight values are row-standardised over the units with a value.
    values : array_like, (n,) or (n, k)
    permutations : int
        Total randomisations for ``p_sim`` (0: ``p_sim`` is NaN).
    seed : int
    n_jobs : int, optional
        numba threads; the result does not depend on it.
    batch : bool
        Simulate the columns together (default) or each on its own (the reference path, slower);
        the results are identical.

    Returns
    -------
    list of GlobalMoranResult, one per column.
    """
    graph = graph_from_w(w)
    x = _as_matrix(values, graph.n, "values")
    matrix = graph.matrix()
    permutations, seed = int(permutations), int(seed)
    weights_of: dict[bytes, _Weights] = {}  # columns missing the same units share their W
    with numba_threads(n_jobs):
        columns = [_prepare(matrix, x[:, c], weights_of) for c in range(x.shape[1])]
        if batch:
            tails = _batched_tails(columns, permutations, seed)
        else:
            tails = [_tails(c.sub, c.z, c.scale, c.i_obs, permutations, seed) if c.tested and permutations > 0 else 0
                     for c in columns]
    return [_result(c, tail, permutations, seed) for c, tail in zip(columns, tails)]


def moran_table(results: list[GlobalMoranResult]) -> pd.DataFrame:
    """One row per tested column: ``moran_i``, ``expected_i``, ``z_rand``, ``p_rand``, ``p_sim``, ``n``."""
    return pd.DataFrame([{"moran_i": r.I, "expected_i": r.expected_i, "z_rand": r.z_rand, "p_rand": r.p_rand,
                          "p_sim": r.p_sim, "n": r.n} for r in results],
                        columns=["moran_i", "expected_i", "z_rand", "p_rand", "p_sim", "n"])


@dataclass(frozen=True)
class _Weights:
    """The W among the units with a value, row-standardised (``sub``), its original row sums (``rows``) and
    its constants ``S0``, ``S1``, ``S2`` (Cliff & Ord 1981)."""

    sub: sp.csr_matrix
    rows: np.ndarray
    s0: float
    s1: float
    s2: float


@dataclass(frozen=True)
class _Column:
    """One column made ready for its test: the restricted, row-standardised W (``weights``), the
    deviations ``z`` of the ``n`` units with a value (``valid``), ``I``'s scale and observed value."""

    valid: np.ndarray
    n: int
    weights: _Weights
    z: np.ndarray
    tested: bool
    scale: float = np.nan
    i_obs: float = np.nan

    @property
    def sub(self) -> sp.csr_matrix:
        return self.weights.sub


def _prepare(matrix: sp.csr_matrix, x: np.ndarray, weights_of: dict[bytes, _Weights]) -> _Column:
    valid = ~np.isnan(x)
    n = int(valid.sum())
    key = mask_key(valid)
    if key not in weights_of:
        weights_of[key] = _restricted_weights(matrix, valid)
    weights = weights_of[key]
    z = x[valid] - x[valid].mean() if n else x[valid]  # no value at all: no mean (and no warning)
    if n < 4 or weights.s0 == 0 or not (z**2).sum() > 0:
        return _Column(valid, n, weights, z, False)
    scale = n / (weights.s0 * (z**2).sum())
    return _Column(valid, n, weights, z, True, scale, float(scale * z @ (weights.sub @ z)))


def _restricted_weights(matrix: sp.csr_matrix, valid: np.ndarray) -> _Weights:
    sub = sp.csr_matrix(matrix[valid][:, valid])
    rows = np.asarray(sub.sum(axis=1)).ravel()
    with np.errstate(divide="ignore"):
        sub = sp.csr_matrix(sp.diags(np.where(rows > 0, 1.0 / rows, 0.0)) @ sub)
    sub.sort_indices()
    s0, s1, s2 = weight_constants(sub)
    return _Weights(sub, rows, s0, s1, s2)


def _batched_tails(columns: list[_Column], permutations: int, seed: int) -> list[int]:
    """The smaller tail count of every tested column, the columns with the same units with a value
    simulated together (``quadratic_forms.tail_counts``); 0 for the others (unused)."""
    tails = [0] * len(columns)
    if permutations <= 0:
        return tails
    groups: dict[bytes, list[int]] = {}
    for c, col in enumerate(columns):
        if col.tested:
            groups.setdefault(mask_key(col.valid), []).append(c)
    for members in groups.values():
        first = columns[members[0]]
        z = np.column_stack([columns[c].z for c in members])
        forms = QuadraticForms(first.sub, z, np.zeros_like(z), np.ones(len(members)),
                               np.array([columns[c].scale for c in members]))
        ge, le = tail_counts(forms, np.array([columns[c].i_obs for c in members]), permutations, seed)
        for c, a, b in zip(members, ge, le):
            tails[c] = int(min(a, b))
    return tails


def _result(col: _Column, tail: int, permutations: int, seed: int) -> GlobalMoranResult:
    nan = np.nan
    if not col.tested:
        empty = np.full(len(col.valid), nan)
        return GlobalMoranResult(nan, nan, nan, nan, nan, nan, nan, nan, nan, col.n, permutations, seed, empty, empty)
    n, i_obs = col.n, col.i_obs
    e_i = -1.0 / (n - 1)
    v_norm, v_rand = _variances(col.weights, col.z, n)
    z_norm = (i_obs - e_i) / np.sqrt(v_norm)
    z_rand = (i_obs - e_i) / np.sqrt(v_rand)
    p_sim = min(1.0, 2.0 * (1.0 + tail) / (permutations + 1.0)) if permutations > 0 else nan
    return GlobalMoranResult(
        I=i_obs, expected_i=e_i, variance_norm=v_norm, variance_rand=v_rand,
        z_norm=z_norm, p_norm=2 * ndtr(-abs(z_norm)),
        z_rand=z_rand, p_rand=2 * ndtr(-abs(z_rand)),
        p_sim=p_sim, n=n, permutations=permutations, seed=seed, **_scatter(col.sub, col.z, col.valid, col.weights.rows),
    )


def _tails(sub: sp.csr_matrix, z: np.ndarray, scale: float, i_obs: float, permutations: int, seed: int) -> int:
    """The smaller count of simulated I at least / at most the observed one, the randomisations run and
    counted chunk by chunk (memory independent of ``permutations``; Ctrl-C acted on between chunks)."""
    indptr, indices = sub.indptr.astype(np.int64), sub.indices.astype(np.int64)
    tol = TIE_TOLERANCE * max(abs(i_obs), 1.0)
    above = below = 0
    for _, _, p0, p1 in chunks(1, permutations):
        sims = global_moran_sims(np.uint64(seed), p0, p1, indptr, indices, sub.data, z, scale)
        above += int(np.sum(sims >= i_obs - tol))
        below += int(np.sum(sims <= i_obs + tol))
    return min(above, below)


def _scatter(sub: sp.csr_matrix, z: np.ndarray, valid: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Standardised values and their lags on the units of the W (NaN where missing or without neighbours)."""
    standard = z / np.sqrt(np.mean(z**2))
    out = {"z": np.full(len(valid), np.nan), "lag": np.full(len(valid), np.nan)}
    out["z"][valid] = standard
    out["lag"][valid] = np.where(rows > 0, sub @ standard, np.nan)
    return out


def _variances(w: _Weights, z: np.ndarray, n: int) -> tuple[float, float]:
    """Variance of I under normality and under randomisation (Cliff & Ord 1981)."""
    s1, s2 = w.s1, w.s2
    s02 = w.s0 * w.s0
    n2 = n * n
    e_i = -1.0 / (n - 1)
    v_norm = (n2 * s1 - n * s2 + 3 * s02) / ((n - 1) * (n + 1) * s02) - e_i**2
    b2 = n * np.sum(z**4) / np.sum(z**2) ** 2
    a = n * ((n2 - 3 * n + 3) * s1 - n * s2 + 3 * s02)
    b = b2 * ((n2 - n) * s1 - 2 * n * s2 + 6 * s02)
    v_rand = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s02) - e_i**2
    return float(v_norm), float(v_rand)
