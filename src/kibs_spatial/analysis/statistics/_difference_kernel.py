"""Numba kernel for the conditional permutation null of local Geary (squared neighbour differences).

The batched engine's kernel (``local_counts()``) simulates the weighted sum of the
drawn neighbours' values, ``S = sum_t w_t z_(t)``, because local Moran, Gi and Gi* are monotone in
it. Local Geary, ``c_i = sum_t w_t (z_i - z_(t))^2 = z_i^2 W_i - 2 z_i S + sum_t w_t z_(t)^2``, also
needs the weighted sum of squares of the drawn values, so ``S`` alone cannot order the simulated
``c_i``; this kernel computes the simulated ``c_i`` itself.

The draws are exactly those of the batched engine (``random_units()`` gives the
same sequence): permutation ``p`` of unit ``i`` walks the splitmix64 sub-stream
``_perm_key(stream_state(seed, i), p)``, each word a uniform unit among the other ``n - 1`` by
Lemire's method with exact rejection, a unit already drawn redrawn. A column uses the first
``k_i^c`` units of that sequence that have a value in it (``k_i^c`` = neighbours of ``i`` with a
value), paired in CSR order with ``i``'s row-standardised weights over those neighbours: the same
conditional permutation null on the non-missing units as local Moran's, from the same draws. The
result does not depend on the number of threads, on how units and permutations are split into
calls, or on which other columns are analysed at the same time. ``cache=True``.

Unlike ``local_counts()`` the draws are made word by word (no vectorised fast path)
and the columns are visited one by one: about 3x slower per unit, column and permutation, which
is milliseconds on the si-gun-gu layers.
"""

from __future__ import annotations

import numba
import numpy as np

from .permutation import _TWO32, _draw_new, _perm_key, stream_state


@numba.njit(cache=True, parallel=True)
def local_geary_counts(start, stop, seed, perm_start, perm_stop, indptr, indices, weights,
                       z, k_valid, observed, centre, tol, ge, le, far):
    """Add to ``ge``/``le``/``far`` (each ``(n, k)`` int64) the permutations of units
    ``start..stop-1`` and permutations ``perm_start..perm_stop-1`` whose simulated ``c_i`` is
    ``>= observed - tol``, ``<= observed + tol``, and at least as far from ``centre`` (the exact
    permutation mean) as the observed one.

    ``z``: ``(n, k)`` standardised values, NaN where missing. ``k_valid``: ``(n, k)`` neighbours
    with a value; ``<= 0`` marks a cell without a test (its counts stay 0).
    """
    n, k = z.shape
    pool_size = n - 1
    threshold = (_TWO32 - np.uint64(pool_size)) % np.uint64(pool_size)
    no_words = np.empty((0, 1), np.int64)
    for i in numba.prange(start, stop):
        lo = indptr[i]
        card = indptr[i + 1] - lo
        if card == 0 or k_valid[i].max() <= 0:
            continue
        wval = np.zeros((k, card))  # row-standardised weights of the neighbours with a value, CSR order
        for c in range(k):
            used = 0
            total = 0.0
            for e in range(card):
                if not np.isnan(z[indices[lo + e], c]):
                    wval[c, used] = weights[lo + e]
                    total += weights[lo + e]
                    used += 1
            for u in range(used):
                wval[c, u] = wval[c, u] / total
        seen = np.zeros(n, np.int32)
        sequence = np.empty(pool_size, np.int64)
        unit_state = stream_state(seed, i)
        for p in range(perm_start, perm_stop):
            key = _perm_key(unit_state, p)
            mark = np.int32(p + 1)
            h = 0
            drawn = 0
            for c in range(k):
                kc = k_valid[i, c]
                if kc <= 0:
                    continue
                zi = z[i, c]
                s = 0.0
                used = 0
                t = 0
                while used < kc:
                    if t == drawn:
                        h, j = _draw_new(key, h, no_words, 0, seen, mark, pool_size, threshold, i)
                        sequence[t] = j
                        drawn += 1
                    else:
                        j = sequence[t]
                    v = z[j, c]
                    if not np.isnan(v):
                        d = zi - v
                        s += wval[c, used] * d * d
                        used += 1
                    t += 1
                ge[i, c] += s >= observed[i, c] - tol[i, c]
                le[i, c] += s <= observed[i, c] + tol[i, c]
                far[i, c] += abs(s - centre[i, c]) >= abs(observed[i, c] - centre[i, c]) - tol[i, c]
