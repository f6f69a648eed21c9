"""Total-randomisation inference for global statistics that are quadratic forms of the values.

Global Moran's I, Geary's C, Getis-Ord's general G and the join counts are all, up to a constant
that does not change when the values are shuffled, of the form

    Q(x) = scale * (sum_i d_i x_i^2 + c * sum_ij w_ij x_i x_j)

with ``d_i`` a per-unit coefficient and ``c`` a constant:

==================  =====================================  ==========================  ======
statistic           values ``x``                           ``d_i``                     ``c``
==================  =====================================  ==========================  ======
Moran's I           deviations ``z``                       0                           1
Geary's C           deviations ``z``                       ``w_i. + w_.i``             -2
general G           raw values (sum over ``i != j``)       0                           1
BB join count       0/1                                    0                           1/2
BW join count       0/1                                    ``(w_i. + w_.i) / 2``       -1
==================  =====================================  ==========================  ======

``quadratic_form_sims()`` evaluates ``Q`` on ``permutations`` total randomisations of ``x``
(every value shuffled over every unit). Permutation ``p`` shuffles with a Fisher-Yates pass driven
by the splitmix64 stream ``(seed, p)`` of ``permutation``, exactly as
``permutation.global_moran_sims`` does, so with ``d = 0, c = 1`` it reproduces Moran's simulated
I bit for bit (a test checks it) and the result never depends on the number of threads.
``cache=True``: a new process loads the compiled kernel from ``__pycache__``. (numba's cache
watches this file only: the tests compare this kernel with ``global_moran_sims`` in every run,
so a change to the shared generator that left a stale cache here would fail them.)

``equal_tails_p()`` turns the simulated values into the toolkit's two-sided (equal tails),
``greater`` or ``less`` pseudo p-value (see ``inference``).
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp

from .inference import TIE_TOLERANCE
from .permutation import _below, stream_state


@numba.njit(cache=True, parallel=True)
def quadratic_form_sims(seed, perm_start, perm_stop, indptr, indices, weights, x, diag, cross, scale):
    """``Q`` (see the module docstring) for the total randomisations ``perm_start..perm_stop-1`` of
    ``x`` (permutation ``p`` draws from the stream ``(seed, p)``: chunks give the values of one call)."""
    n = x.shape[0]
    out = np.empty(perm_stop - perm_start)
    for q in numba.prange(perm_stop - perm_start):
        p = perm_start + q
        state = stream_state(seed, p)
        perm = x.copy()
        for t in range(n - 1, 0, -1):
            state, r = _below(state, t + 1)
            tmp = perm[t]
            perm[t] = perm[r]
            perm[r] = tmp
        total = 0.0
        for i in range(n):
            lag = 0.0
            for e in range(indptr[i], indptr[i + 1]):
                lag += weights[e] * perm[indices[e]]
            total += diag[i] * perm[i] * perm[i] + cross * perm[i] * lag
        out[q] = scale * total
    return out


CHUNK = 16_384
"""Permutations per kernel call: Ctrl-C is acted on between calls."""


def simulate(matrix: sp.csr_matrix, x: np.ndarray, diag: np.ndarray, cross: float, scale: float,
             permutations: int, seed: int) -> np.ndarray:
    """Simulated ``Q`` over ``permutations`` total randomisations (empty when ``permutations`` is 0)."""
    if permutations <= 0:
        return np.empty(0)
    m = sp.csr_matrix(matrix, dtype=np.float64)
    m.sort_indices()
    args = (m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data.astype(np.float64),
            np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(diag, dtype=np.float64),
            float(cross), float(scale))
    return np.concatenate([quadratic_form_sims(np.uint64(seed), p0, min(permutations, p0 + CHUNK), *args)
                           for p0 in range(0, permutations, CHUNK)])


def equal_tails_p(sims: np.ndarray, observed: float, alternative: str = "two-sided") -> float:
    """Pseudo p-value of ``observed`` among ``sims``: ``two-sided`` (twice the smaller tail, capped at
    1), ``greater`` or ``less``; ties within a relative 1e-10 count as extreme. NaN without sims."""
    if sims.size == 0 or not np.isfinite(observed):
        return float("nan")
    tol = TIE_TOLERANCE * max(abs(observed), 1.0)
    ge = 1.0 + np.sum(sims >= observed - tol)
    le = 1.0 + np.sum(sims <= observed + tol)
    total = sims.size + 1.0
    if alternative == "greater":
        return float(ge / total)
    if alternative == "less":
        return float(le / total)
    return float(min(1.0, 2.0 * min(ge, le) / total))


def restrict(matrix: sp.csr_matrix, valid: np.ndarray, *, standardize: bool = False,
             binary: bool = False) -> sp.csr_matrix:
    """The weights among the units with a value (``valid``), off-diagonal; optionally binary
    (every positive weight 1) and then row-standardised (rows without a neighbour stay zero)."""
    sub = sp.csr_matrix(matrix[valid][:, valid], dtype=np.float64)
    sub.setdiag(0)
    sub.eliminate_zeros()
    if binary:
        sub.data[:] = 1.0
    if standardize:
        rows = np.asarray(sub.sum(axis=1)).ravel()
        with np.errstate(divide="ignore"):
            sub = sp.csr_matrix(sp.diags(np.where(rows > 0, 1.0 / rows, 0.0)) @ sub)
    sub.sort_indices()
    return sub


def weight_constants(w: sp.csr_matrix) -> tuple[float, float, float]:
    """``S0 = sum w``, ``S1 = 1/2 sum (w_ij + w_ji)^2``, ``S2 = sum_i (w_i. + w_.i)^2`` (Cliff & Ord 1981)."""
    sym = w + w.T
    s0 = float(w.sum())
    s1 = float(0.5 * sym.multiply(sym).sum())
    s2 = float(np.sum((np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()) ** 2))
    return s0, s1, s2


def row_plus_column_sums(w: sp.csr_matrix) -> np.ndarray:
    """``w_i. + w_.i`` per unit."""
    return np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()
