"""Numba kernels for conditional (local) and total (global) permutation inference.

Random numbers come from splitmix64 streams seeded from ``(seed, unit, permutation)``
(local) or ``(seed, permutation)`` (global), so a result never depends on the number of
threads, on how units are split into chunks, or on which other columns are analysed in
the same batch. All kernels use ``cache=True``: a second
process loads the compiled code from ``__pycache__`` instead of recompiling.

Local kernel
------------
For unit ``i`` with ``k_i`` neighbours, each permutation draws a sequence of distinct units
other than ``i`` (uniform draws among the other ``n - 1`` units, a unit already drawn in this
permutation is redrawn: an exact sample without replacement costing O(draws), not O(n)).
The same sequence serves every column:

* a column with no missing value uses the first ``k_i`` units of the sequence;
* a column with missing values walks further along the same sequence and uses the first
  ``k_i^c`` units whose value is present, where ``k_i^c`` is the number of neighbours of ``i``
  with a value in that column. A prefix of a uniformly random sequence of distinct units,
  filtered to the units with a value, is a uniformly random sequence of distinct units
  with a value, so this is exactly the conditional permutation null on the non-missing
  units — missing units are never drawn into a lag.

The drawn values are paired with the weights of ``i``'s (non-missing) neighbours in CSR
order, giving a simulated weighted sum ``S = sum_t w_t z_(t)``. Local Moran, Gi and Gi*
are all affine, monotone functions of ``S`` once ``z_i`` is fixed, so the kernel only
counts, per unit and column, how many simulated sums are ``>=`` / ``<=`` the observed one
and how many are at least as far from the exact permutation mean ``E[S]`` as the observed.
"""

from __future__ import annotations

import numba
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_MASK32 = np.uint64(0xFFFFFFFF)
_TWO32 = np.uint64(0x100000000)


@numba.njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def stream_state(seed, index):
    """Initial splitmix64 state for stream ``index`` of master ``seed``."""
    return _mix(_mix(np.uint64(seed) + _GOLDEN) ^ (np.uint64(index) * _MIX2 + _GOLDEN))


@numba.njit(cache=True, inline="always")
def _next(state):
    state = state + _GOLDEN
    return state, _mix(state)


@numba.njit(cache=True, inline="always")
def _below(state, bound):
    """Uniform integer in ``[0, bound)`` (Lemire's method, exact), ``bound < 2**32``."""
    b = np.uint64(bound)
    state, x = _next(state)
    m = (x >> np.uint64(32)) * b
    low = m & _MASK32
    if low < b:
        threshold = (_TWO32 - b) % b
        while low < threshold:
            state, x = _next(state)
            m = (x >> np.uint64(32)) * b
            low = m & _MASK32
    return state, np.int64(m >> np.uint64(32))


@numba.njit(cache=True)
def random_below(seed, index, bound, size):
    """``size`` draws from stream ``index`` (used by tests of the generator)."""
    state = stream_state(seed, index)
    out = np.empty(size, np.int64)
    for t in range(size):
        state, out[t] = _below(state, bound)
    return out


@numba.njit(cache=True, inline="always")
def _draw_new(state, seen, mark, pool_size, i):
    """A uniformly random unit other than ``i`` not yet drawn in this permutation.

    Rejection sampling: draw uniformly among the ``n - 1`` other units and redraw if the
    unit already carries this permutation's ``mark``; every accepted unit is uniform over
    the units not drawn yet, so the sequence is an exact sample without replacement.
    """
    while True:
        state, r = _below(state, pool_size)
        j = r + (r >= i)
        if seen[j] != mark:
            seen[j] = mark
            return state, j


@numba.njit(cache=True, parallel=True)
def local_counts(
    start, stop, seed, permutations, indptr, indices, weights,
    z, n_complete, k_valid, observed, centre, tol, ge, le, far, tails,
):
    """Count extreme simulated lags for units ``start..stop-1`` (results written in place).

    Parameters
    ----------
    z : (n, k) float64, centred values, NaN where missing; columns ``[0, n_complete)``
        have no missing value at all.
    k_valid : (n, k) int64, number of neighbours with a value; ``<= 0`` marks a cell
        without a test (its counts are meaningless and must be discarded by the caller).
    observed, centre, tol : (n, k) float64, observed weighted sum, its exact permutation
        mean and the tie tolerance.
    ge, le, far : (n, k) int64 outputs.
    tails : int, 2 = count only ``far`` (two-sided), 1 = count only ``ge`` and ``le``.
    """
    n, k = z.shape
    pool_size = n - 1
    n_inc = k - n_complete
    for i in numba.prange(start, stop):
        lo = indptr[i]
        card = indptr[i + 1] - lo
        if card == 0 or k_valid[i].max() <= 0:
            continue
        wrow = weights[lo : lo + card]
        # weights of the neighbours that have a value, per incomplete column, CSR order
        wval = np.zeros((max(n_inc, 1), card))
        for c in range(n_inc):
            t = 0
            for e in range(card):
                if not np.isnan(z[indices[lo + e], n_complete + c]):
                    wval[c, t] = wrow[e]
                    t += 1
        kinc = k_valid[i, n_complete:].copy()
        lower = observed[i] - tol[i]
        upper = observed[i] + tol[i]
        mid = centre[i].copy()
        dist = np.abs(observed[i] - mid) - tol[i]
        n_ge = np.zeros(k, np.int32)
        n_le = np.zeros(k, np.int32)
        n_far = np.zeros(k, np.int32)
        seen = np.zeros(n, np.int32)  # seen[j] == perm + 1: j already drawn
        sequence = np.empty(pool_size, np.int64)
        s = np.empty(k)
        used = np.empty(max(n_inc, 1), np.int64)
        unit_state = stream_state(seed, i)
        for perm in range(permutations):
            # one sub-stream per permutation: a column's draws never depend on how far
            # the columns with missing values walked along the previous sequences
            state = _mix(unit_state ^ (np.uint64(perm) * _MIX1 + _GOLDEN))
            mark = np.int32(perm + 1)
            for c in range(k):
                s[c] = 0.0
            # the first card draws serve every column without missing values
            for t in range(card):
                state, j = _draw_new(state, seen, mark, pool_size, i)
                sequence[t] = j
                zr = z[j]
                wt = wrow[t]
                for c in range(n_complete):
                    s[c] += wt * zr[c]
            drawn = card
            # columns with missing values walk the same sequence, skipping missing units
            if n_inc > 0:
                need = 0
                for c in range(n_inc):
                    used[c] = 0
                    if kinc[c] > 0:
                        need += 1
                t = 0
                while need > 0:
                    if t == drawn:
                        state, j = _draw_new(state, seen, mark, pool_size, i)
                        sequence[t] = j
                        drawn += 1
                    else:
                        j = sequence[t]
                    for c in range(n_inc):
                        v = z[j, n_complete + c]
                        if used[c] < kinc[c] and not np.isnan(v):
                            s[n_complete + c] += wval[c, used[c]] * v
                            used[c] += 1
                            if used[c] == kinc[c]:
                                need -= 1
                    t += 1
            if tails == 2:
                for c in range(k):
                    n_far[c] += np.int32(abs(s[c] - mid[c]) >= dist[c])
            else:
                for c in range(k):
                    n_ge[c] += np.int32(s[c] >= lower[c])
                    n_le[c] += np.int32(s[c] <= upper[c])
        ge[i] = n_ge
        le[i] = n_le
        far[i] = n_far


@numba.njit(cache=True, parallel=True)
def global_moran_sims(seed, permutations, indptr, indices, weights, z, scale):
    """Moran's I for ``permutations`` total randomisations of ``z`` (one stream each).

    ``I = scale * sum_i z_i * sum_j w_ij z_j`` with the values shuffled over all units.
    """
    n = z.shape[0]
    out = np.empty(permutations)
    for p in numba.prange(permutations):
        state = stream_state(seed, p)
        perm = z.copy()
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
            total += perm[i] * lag
        out[p] = scale * total
    return out
