"""Sequential Monte Carlo p-values for the local statistics (Besag & Clifford 1991).

A unit whose permutation distribution plainly surrounds its observed lag needs few draws to show
it: after ``L`` draws with ``h`` simulated lags at least as extreme, ``p = h / L`` is already a
valid p-value, and more draws would only refine a number far above any threshold. Besag and
Clifford's sequential procedure draws until ``h`` exceedances have been seen, or until the maximum
``P`` (the run's permutations) is reached:

* stopped at draw ``L`` (the ``h``-th exceedance is draw ``L``):   ``p = h / L``
* not stopped after ``P`` draws with ``G < h`` exceedances:       ``p = (G + 1) / (P + 1)``

Both are exact p-values under the permutation null (Besag & Clifford 1991, section 2): the
procedure's outcomes are ordered by how early it stops, and ``P(p <= u) <= u`` for every ``u``.

The engine's p-values are built from one tail count each (``inference``): ``ge`` = #{S* >= S},
``le`` = #{S* <= S}, ``far`` = #{|S* - E[S]| >= |S - E[S]|}. Each tail ``t`` a statistic needs gets
its own sequential p, ``p_t = h / L_t`` where ``L_t`` is the draw of its ``h``-th exceedance, or
``(G_t + 1) / (P + 1)`` when it has fewer than ``h`` in all ``P`` draws; then, as in ``inference``:

* ``two-sided`` (equal tails): ``p = min(1, 2 min(p_ge, p_le))``; once both tails have ``h``
  exceedances this is ``min(1, 2h / L)`` with ``L = max(L_ge, L_le)``, the draw at which the smaller
  tail reached ``h``; otherwise it is exactly the full-count ``p`` of the smaller tail;
* ``two-sided-folded``: ``p = p_far``;  ``greater`` / ``less``: the ``p_t`` of the tail the
  statistic's direction picks (LISA: by the sign of the focal deviation; Gi: ``ge`` / ``le``).

Draws per unit: the unit's draws are shared by all its columns (see ``permutation``), so a unit
draws until every tail every one of its cells needs has ``h`` exceedances, or ``P`` draws. The
draws are exactly those of the full run, in the same order (permutation ``p`` of unit ``i`` is the
stream ``(seed, i, p)``), so a stopped cell's counts are a prefix of the full run's counts and its
``L_t`` is where the full run's count reached ``h``. Nothing depends on the number of threads or on
how the units and permutations are chunked. A cell's p rests on ``draws = max L_t`` permutations
(``P`` when a tail has fewer than ``h``), reported with it: the smallest p a cell can get is
``h / P`` one-sided (``2h / P`` with equal tails) when it stops, and the usual ``1 / (P + 1)``
(``2 / (P + 1)``) when it runs all ``P`` draws.

Decisions: ``h`` of 10 to 20 keeps the decisions at ``alpha`` after Benjamini-Hochberg per map the
same as the full permutation count for well over 99.9 % of the cells (tests and
``bench/bench_sequential.py`` measure it): only cells whose p is well above ``alpha`` stop early,
and their sequential p is within a factor of about ``1 +- 2 / sqrt(h)`` of the full-count one.

Reference
---------
Besag, J. and Clifford, P. (1991). Sequential Monte Carlo p-values. Biometrika 78(2), 301-304.
"""

from __future__ import annotations

import numba
import numpy as np

from .permutation import (
    _TWO32,
    AHEAD,
    BLOCK,
    LANES,
    PREFETCH_BYTES,
    _block_candidates,
    _column_sum,
    _count_rows,
    _draw_new,
    _incomplete_sums,
    _prefetch_rows,
    _unit_thresholds,
    _valid_weights,
    stream_state,
)

GE, LE, FAR, EQUAL_TAILS = 1, 2, 4, 8
"""Bits of ``need``: the tails a cell's statistics need (see :func:`needed_tails`); ``EQUAL_TAILS``: the p
is twice the smaller of the ``GE`` and ``LE`` p's, so only the later of the two ``h``-th exceedances counts."""


def needed_tails(alternative: str, focal: np.ndarray, defined: np.ndarray, gi: bool = True) -> np.ndarray:
    """``(n, k)`` int64 bit masks of the tails (``GE``, ``LE``, ``FAR``) the LISA (direction = sign of the
    focal deviation ``focal``) and, if ``gi``, the Gi p-values of each cell read; 0 where not ``defined``."""
    if alternative == "two-sided":
        need = np.full(focal.shape, GE | LE | EQUAL_TAILS, dtype=np.int64)
    elif alternative == "two-sided-folded":
        need = np.full(focal.shape, FAR, dtype=np.int64)
    else:
        upper = alternative == "greater"
        lisa = np.where(focal > 0, GE if upper else LE, np.where(focal < 0, LE if upper else GE, 0))
        need = lisa | ((GE if upper else LE) if gi else 0)
    return np.where(defined, need, 0).astype(np.int64)


def sequential_pvalues(counts, hits, permutations: int, h: int, direction: np.ndarray,
                       alternative: str) -> np.ndarray:
    """Sequential p-values (module docstring) from the full-or-prefix ``counts = (ge, le, far)`` and the
    draw ``hits = (L_ge, L_le, L_far)`` of each tail's ``h``-th exceedance (0: fewer than ``h``)."""
    def tail(c, at):  # at == -1: reached h before the other tail (equal tails only): never the smaller p
        return np.where(at > 0, h / np.maximum(at, 1), np.where(at < 0, np.inf, (1.0 + c) / (permutations + 1.0)))

    (ge, le, far), (l_ge, l_le, l_far) = counts, hits
    if alternative == "two-sided-folded":
        p = tail(far, l_far)
    elif alternative == "two-sided":
        p = np.minimum(1.0, 2.0 * np.minimum(tail(ge, l_ge), tail(le, l_le)))
    else:
        upper = alternative == "greater"
        p_ge, p_le = tail(ge, l_ge), tail(le, l_le)
        p = np.where(direction > 0, p_ge if upper else p_le, p_le if upper else p_ge)
    return np.where(direction == 0, 1.0, p)


def draws_used(hits, need: np.ndarray, permutations: int) -> np.ndarray:
    """Permutations each cell's p rests on: the largest ``L_t`` of the tails it needs, ``P`` when one of
    them has fewer than ``h`` exceedances; 0 for a cell without a test."""
    out = np.zeros(need.shape, dtype=np.int64)
    complete = need != 0
    for bit, at in zip((GE, LE, FAR), hits):
        wanted = (need & bit) != 0
        complete &= ~wanted | (at != 0)
        out = np.where(wanted, np.maximum(out, at), out)
    return np.where(need == 0, 0, np.where(complete, out, permutations))


@numba.njit(cache=True, parallel=True)
def sequential_counts(
    start, stop, seed, perm_start, perm_stop, indptr, indices, weights,
    z, zc, n_complete, k_valid, observed, centre, tol, ge, le, far, tails, blocks,
    h, need, hit_ge, hit_le, hit_far, settled, zt,
):
    """:func:`permutation.local_counts` with early stopping: as it, plus ``hit_*`` (the draw of each
    needed tail's ``h``-th exceedance, 0 until then, -1 for the tail of an equal-tails test that got there
    first, whose draw does not enter the p; same layout as ``ge``), ``need`` (bit masks, same layout)
    and ``settled`` (n,) int64: the number of permutations after which the unit stopped, 0 while it
    draws. A unit that is settled is skipped; a unit checks after every ``BLOCK`` permutations whether
    every tail its cells need has ``h`` exceedances. The draws and the arithmetic are those of
    ``local_counts`` (its helpers, the same order), so the counts are the full run's, cut short.

    ``zt`` (n_complete, n + 1): the complete columns again, one row per column (last entry 0). Once a
    unit has at most ``kc / LANES`` complete columns still drawing (e.g. 4 of 30), they are summed
    column by column from ``zt`` (the expressions of ``local_counts``' column pass, written for one
    column: the same value to the bit) instead of over every column of the drawn rows of ``zc``."""
    n = z.shape[0]
    units = stop - start
    blocks = max(1, min(units, blocks))
    perms = perm_stop - perm_start
    for b in numba.prange(blocks):
        seen = np.zeros(n, np.int64)
        sequence = np.empty(n - 1, np.int64)
        first, last = start + b * units // blocks, start + (b + 1) * units // blocks
        for i in range(first, last):
            if settled[i] == 0:
                _unit_sequential(i, seed, perm_start, perm_stop, (i - first) * perms, indptr, indices, weights,
                                 z, zc, n_complete, k_valid, observed, centre, tol, ge, le, far, tails, seen,
                                 sequence, h, need, hit_ge, hit_le, hit_far, settled, zt)


@numba.njit(cache=True, inline="always")
def _count(ind, i, cell, p, h, counts, hits):
    """Add one permutation's 0/1 ``ind`` to ``counts[i, cell]``; record the draw ``p + 1`` at the ``h``-th."""
    if ind:
        counts[i, cell] += 1
        if counts[i, cell] == h and hits[i, cell] == 0:
            hits[i, cell] = p + 1


@numba.njit(cache=True)
def _locate(col, rows, nb, w, cpad, equal, tails, mid, dist, lower, upper, p0, h, i, c,
            want_ge, want_le, want_far, g_ge, g_le, g_far, hit_ge, hit_le, hit_far):
    """The tails ``want_*`` of column ``c`` reached ``h`` exceedances in the block just counted, from
    ``g_*`` before it: sum the column again permutation by permutation (``_column_sum``, the same values)
    until the draw of each one's ``h``-th exceedance is found, and record it."""
    for q in range(nb):
        if not (want_ge or want_le or want_far):
            return
        sv = _column_sum(col, rows, q, w, cpad, equal)
        if tails == 2:
            g_far += abs(sv - mid) >= dist
            if want_far and g_far == h:
                hit_far[i, c] = p0 + q + 1
                want_far = False
        else:
            g_ge += sv >= lower
            g_le += sv <= upper
            if want_ge and g_ge == h:
                hit_ge[i, c] = p0 + q + 1
                want_ge = False
            if want_le and g_le == h:
                hit_le[i, c] = p0 + q + 1
                want_le = False


@numba.njit(cache=True, inline="always")
def _block_hits(m, h, hit_a, hit_b, before_a, before_b, after_a, after_b, bit_a, bit_b, paired):
    """Which of two tails' ``h``-th exceedances (in the block: ``before < h <= after``) must be located.
    With equal tails (``paired``: both tails needed, p from the later one) a tail that gets there while the
    other is still short is marked -1 (reached; its draw never matters) instead."""
    reach_a = (m & bit_a) != 0 and hit_a == 0 and after_a >= h
    reach_b = (m & bit_b) != 0 and hit_b == 0 and after_b >= h
    if paired:
        if reach_a and not reach_b and hit_b == 0:
            return -1, 0
        if reach_b and not reach_a and hit_a == 0:
            return 0, -1
    return (1 if reach_a else 0), (1 if reach_b else 0)


@numba.njit(cache=True, inline="always")
def _cell_settled(i, c, need, hit_ge, hit_le, hit_far):
    m = need[i, c]
    return not (((m & 1) and hit_ge[i, c] == 0) or ((m & 2) and hit_le[i, c] == 0) or ((m & 4) and hit_far[i, c] == 0))


@numba.njit(cache=True, inline="always")
def _unit_settled(i, need, hit_ge, hit_le, hit_far):
    for c in range(need.shape[1]):
        if not _cell_settled(i, c, need, hit_ge, hit_le, hit_far):
            return False
    return True


@numba.njit(cache=True, inline="always")
def _unit_sequential(i, seed, perm_start, perm_stop, mark_base, indptr, indices, weights,
                     z, zc, n_complete, k_valid, observed, centre, tol, ge, le, far, tails, seen, sequence,
                     h, need, hit_ge, hit_le, hit_far, settled, zt):
    """``permutation._unit_counts`` for unit ``i``, counted permutation by permutation (so the draw of
    each tail's ``h``-th exceedance is known) and stopped once the unit is settled."""
    n, k = z.shape
    kc = zc.shape[1]
    pool_size = n - 1
    threshold = (_TWO32 - np.uint64(pool_size)) % np.uint64(pool_size)
    n_inc = k - n_complete
    lo = indptr[i]
    card = indptr[i + 1] - lo
    if card == 0 or k_valid[i].max() <= 0 or _unit_settled(i, need, hit_ge, hit_le, hit_far):
        settled[i] = max(perm_start, 1)
        return
    cpad = card + (card & 1)
    wpad = np.zeros(cpad)
    wpad[:card] = weights[lo : lo + card]
    lower, upper, mid, dist = _unit_thresholds(i, observed, centre, tol, n_complete, kc)
    blk_ge = np.zeros(kc, np.int64)  # one block's counts
    blk_le = np.zeros(kc, np.int64)
    blk_far = np.zeros(kc, np.int64)
    prefetch = zc.nbytes > PREFETCH_BYTES
    base = np.uint64(zc.ctypes.data)
    row_bytes = np.uint64(kc * 8)
    active = np.empty(max(n_complete, 1), np.int64)
    narrow = max(1, kc // LANES)  # at most this many complete columns drawing: column by column
    wval = _valid_weights(z, indices, lo, card, wpad, n_complete, n_inc)
    kinc = k_valid[i, n_complete:].copy()
    s_inc = np.empty(max(n_inc, 1))
    used = np.empty(max(n_inc, 1), np.int64)
    rows = np.full((cpad, BLOCK), n, np.uint64)
    fast = np.empty(BLOCK, np.bool_)
    acc = np.zeros(kc)
    n_words = (card + 1) // 2 + 1
    keys = np.empty(BLOCK, np.uint64)
    cand = np.empty((2 * n_words, BLOCK), np.int64)
    equal = True
    for t in range(card):
        equal = equal and wpad[t] == wpad[0]
    unit_state = stream_state(seed, i)
    for p0 in range(perm_start, perm_stop, BLOCK):
        nb = min(BLOCK, perm_stop - p0)
        _block_candidates(unit_state, p0, nb, card, n_words, pool_size, threshold, i, keys, cand, fast, rows)
        for q in range(nb):
            key = keys[q]
            p = p0 + q
            mark = mark_base + (p0 - perm_start) + q + 1
            h_word = card
            if not fast[q]:
                h_word = 0
                for t in range(card):
                    h_word, j = _draw_new(key, h_word, cand, q, seen, mark, pool_size, threshold, i)
                    rows[t, q] = np.uint64(j)
            if n_inc > 0:
                _incomplete_sums(key, h_word, cand, q, rows, card, sequence, seen, mark, pool_size, threshold, i, z,
                                 n_complete, n_inc, kinc, wval, used, s_inc)
                for c in range(n_inc):
                    cc = n_complete + c
                    cell = kc + c
                    if kinc[c] <= 0:
                        continue
                    if tails == 2:
                        _count(abs(s_inc[c] - centre[i, cc]) >= (abs(observed[i, cc] - centre[i, cc]) - tol[i, cc]),
                               i, cell, p, h, far, hit_far)
                    else:
                        _count(s_inc[c] >= observed[i, cc] - tol[i, cc], i, cell, p, h, ge, hit_ge)
                        _count(s_inc[c] <= observed[i, cc] + tol[i, cc], i, cell, p, h, le, hit_le)
        n_active = 0
        for c in range(n_complete):
            if not _cell_settled(i, c, need, hit_ge, hit_le, hit_far):
                active[n_active] = c
                n_active += 1
        if 0 < n_active <= narrow:
            for a in range(n_active):
                c = active[a]
                col = zt[c]
                for q in range(nb):
                    sv = _column_sum(col, rows, q, wpad, cpad, equal)
                    if tails == 2:
                        _count(abs(sv - mid[c]) >= dist[c], i, c, p0 + q, h, far, hit_far)
                    else:
                        _count(sv >= lower[c], i, c, p0 + q, h, ge, hit_ge)
                        _count(sv <= upper[c], i, c, p0 + q, h, le, hit_le)
        elif n_active > 0:
            # every complete column: local_counts' column pass (prefetch, fused sums and counts) on the
            # block's counts; where a count reaches h in the block, the column is summed again from zt,
            # permutation by permutation, to find the draw of the h-th exceedance
            blk_ge[:] = 0
            blk_le[:] = 0
            blk_far[:] = 0
            if prefetch:
                for q in range(min(AHEAD, nb)):
                    _prefetch_rows(base, rows, q, cpad, row_bytes)
            for q in range(nb):
                if prefetch and q + AHEAD < nb:
                    _prefetch_rows(base, rows, q + AHEAD, cpad, row_bytes)
                _count_rows(zc, rows, q, wpad, cpad, equal, acc, tails, mid, dist, lower, upper, blk_far, blk_ge, blk_le)
            for c in range(n_complete):
                m = need[i, c]
                if m == 0:
                    continue
                if tails == 2:
                    want_far = (m & FAR) != 0 and hit_far[i, c] == 0 and far[i, c] + blk_far[c] >= h
                    if want_far:
                        _locate(zc[:, c], rows, nb, wpad, cpad, equal, tails, mid[c], dist[c], lower[c], upper[c], p0,
                                h, i, c, False, False, True, 0, 0, far[i, c], hit_ge, hit_le, hit_far)
                    far[i, c] += blk_far[c]
                    continue
                a, b = _block_hits(m, h, hit_ge[i, c], hit_le[i, c], ge[i, c], le[i, c], ge[i, c] + blk_ge[c],
                                   le[i, c] + blk_le[c], GE, LE, (m & EQUAL_TAILS) != 0)
                if a < 0:
                    hit_ge[i, c] = -1
                if b < 0:
                    hit_le[i, c] = -1
                if a > 0 or b > 0:
                    _locate(zc[:, c], rows, nb, wpad, cpad, equal, tails, mid[c], dist[c], lower[c], upper[c], p0, h,
                            i, c, a > 0, b > 0, False, ge[i, c], le[i, c], 0, hit_ge, hit_le, hit_far)
                ge[i, c] += blk_ge[c]
                le[i, c] += blk_le[c]
        if _unit_settled(i, need, hit_ge, hit_le, hit_far):
            settled[i] = p0 + nb
            return
