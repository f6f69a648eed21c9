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

Generator: permutation ``p`` of unit ``i`` uses the splitmix64 stream starting from
``key = mix(stream_state(seed, i) ^ (p * c1 + golden))``; output ``u`` is
``mix(key + (u + 1) * golden)`` and supplies two 32-bit words (high half first). Word ``h``
becomes a uniform offset in ``[0, n - 1)`` by Lemire's multiply-shift with exact rejection
(no modulo bias), then skips ``i``; a unit already in the sequence is skipped (rejection
against the units drawn so far). Per unit the kernel runs the permutations in blocks: the
words of a block are hashed in a vectorised loop, the common case (the first ``k_i`` words
accepted and distinct) is recognised in a vectorised loop too, and only the rare other
permutations are drawn word by word — both give exactly the sequence defined above.

The drawn values are paired with the weights of ``i``'s (non-missing) neighbours in CSR
order, giving a simulated weighted sum ``S = sum_t w_t z_(t)`` (``w * sum_t z_(t)`` when ``i`` has at
most 6 neighbours, all weighted ``w``, e.g. kNN or contiguity weights), computed for all complete
columns in one pass over a C-contiguous, 64-byte aligned, zero-padded copy of their values. Local Moran, Gi and Gi*
are all affine, monotone functions of ``S`` once ``z_i`` is fixed, so the kernel only
counts, per unit and column, how many simulated sums are ``>=`` / ``<=`` the observed one
and how many are at least as far from the exact permutation mean ``E[S]`` as the observed.

Single-precision pass, exact counts: when the complete columns exceed ``SINGLE_BYTES`` in double
precision, the pass over them reads a single-precision copy (half the memory traffic, which sets the
pace there, and twice the columns per vector), each column and each unit's weights scaled
by a power of two. Each threshold becomes an interval in single precision that contains every sum the
single- and the double-precision arithmetic could disagree on (Higham's bound on a sum of products,
doubled; see ``_single_bounds``). A sum outside it decides its count as the double-precision sum would;
for the rare permutation with a sum inside, the double-precision sum of ``_column_sum`` (the
value the double-precision kernels compute) is formed and decides. The counts are therefore exactly
those of a double-precision pass. This pass records its comparisons as bits of 32-column masks, which stay
in vector registers, and adds the bits of a block of permutations up afterwards (``_add_bits``).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

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


BLOCK = 64  # permutations whose draws are buffered before the pass over the columns (< 128: see _add_bits)
FAST_CARD = 16  # vectorised draw check up to this many neighbours (cost ~ card**2)
LANES = 8  # the complete columns are zero-padded to a multiple of this (one AVX-512 vector)
SINGLE_LANES = 16  # ... and their single-precision copy to a multiple of this
SINGLE_BYTES = 1 << 18  # complete columns larger than this in double precision are read in single precision
PREFETCH_BYTES = 1 << 20  # (sequential kernel) a table larger than this has its rows fetched ahead
AHEAD = 1  # rows of the permutation this far ahead are fetched while one is summed (single-precision pass)
BITS32 = np.uint32(1) << np.arange(32, dtype=np.uint32)  # bit c of a 32-column mask


@intrinsic
def _prefetch(typingctx, address):
    """Hint the CPU to bring the cache line at ``address`` (uint64) close (LLVM's prefetch:
    read, high locality); no effect on results."""
    def codegen(context, builder, signature, args):
        pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        hint = ir.FunctionType(ir.VoidType(), [pointer, i32, i32, i32])
        function = cgutils.get_or_insert_function(builder.module, hint, "llvm.prefetch.p0")
        builder.call(function, [builder.inttoptr(args[0], pointer), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(types.uint64), codegen


@numba.njit(cache=True, inline="always")
def _prefetch_rows(base, rows, q, r, row_bytes):
    """Prefetch the ``r`` rows drawn for permutation ``q`` (rows of ``row_bytes`` at ``base``)."""
    for t in range(r):
        start = base + rows[t, q] * row_bytes
        for offset in range(0, row_bytes, 64):
            _prefetch(start + np.uint64(offset))


@numba.njit(cache=True, inline="always")
def _perm_key(unit_state, perm):
    """splitmix64 state at the start of the sub-stream of permutation ``perm``."""
    return _mix(unit_state ^ (np.uint64(perm) * _MIX1 + _GOLDEN))


@numba.njit(cache=True, inline="always")
def _candidate(x, high, pool_size, threshold):
    """Unit offset in ``[0, n - 1)`` from one 32-bit half of the 64-bit output ``x`` (Lemire's
    multiply-shift; ``-1`` if the half is rejected, which makes the method exact)."""
    word = (x >> np.uint64(32)) if high else (x & _MASK32)
    m = word * np.uint64(pool_size)
    return np.int64(m >> np.uint64(32)) if (m & _MASK32) >= threshold else np.int64(-1)


@numba.njit(cache=True, inline="always")
def _draw_new(key, h, cand, q, seen, mark, pool_size, threshold, i):
    """A uniformly random unit other than ``i`` not yet drawn in this permutation.

    The permutation's stream is splitmix64 from state ``key``: output ``u`` (0-based) is
    ``x_u = mix(key + (u + 1) * golden)``, and its two 32-bit halves (high first) are the
    stream's words ``2u`` and ``2u + 1``. Word ``h`` becomes a uniform integer in
    ``[0, n - 1)`` by Lemire's multiply-shift with exact rejection (``threshold = 2**32 mod
    (n - 1)``: no modulo bias), then is shifted past ``i``. ``cand[h, q]`` holds the first
    words' results precomputed; later ones are computed here. A unit that already carries
    this permutation's ``mark`` is redrawn: every accepted unit is uniform over the units not
    drawn yet, so the sequence is an exact sample without replacement.
    """
    while True:
        if h < cand.shape[0]:
            r = cand[h, q]
        else:
            x = _mix(key + np.uint64(h // 2 + 1) * _GOLDEN)
            r = _candidate(x, h % 2 == 0, pool_size, threshold)
        h += 1
        if r < 0:
            continue
        j = r + (r >= i)
        if seen[j] != mark:
            seen[j] = mark
            return h, j


@numba.njit(cache=True)
def random_units(seed, unit, permutation, n, size):
    """The first ``size`` units of the draw sequence of ``(unit, permutation)`` in a pool of
    ``n`` units, exactly as :func:`local_counts` draws them (used by tests)."""
    key = _perm_key(stream_state(seed, unit), permutation)
    pool_size = n - 1
    threshold = (_TWO32 - np.uint64(pool_size)) % np.uint64(pool_size)
    seen = np.zeros(n, np.int32)
    cand = np.empty((0, 1), np.int64)
    out = np.empty(size, np.int64)
    h = 0
    for t in range(size):
        h, out[t] = _draw_new(key, h, cand, 0, seen, np.int32(1), pool_size, threshold, unit)
    return out


@numba.njit(cache=True, parallel=True)
def local_counts(
    start, stop, seed, perm_start, perm_stop, indptr, indices, weights,
    z, zc, z32, col_scale, n_complete, k_valid, observed, centre, tol, ge, le, far, tails, blocks,
):
    """Count extreme simulated lags for units ``start..stop-1`` over permutations
    ``perm_start..perm_stop-1``, adding to the counts in place.

    Permutation ``p`` of unit ``i`` draws from its own stream ``(seed, i, p)``, so the counts
    of any split of the units and of the permutations into chunks add up to exactly the counts
    of one call over all of them (the caller splits them to stay responsive to Ctrl-C).

    Parameters
    ----------
    z : (n, k) float64, centred values, NaN where missing; columns ``[0, n_complete)``
        have no missing value at all.
    zc : (n + 1, kc) float64, C-contiguous copy of the complete columns, zero-padded to
        ``kc`` columns (a multiple of ``LANES``), plus a last row of zeros (used to pad a
        draw to an even number of rows: adding ``0 * 0`` leaves a sum unchanged).
    z32, col_scale : the complete columns in single precision, each scaled by its ``col_scale``
        (a power of two), zero-padded to a multiple of ``SINGLE_LANES`` columns plus a zero row
        (``inference._single_columns``); a single row of zeros: the pass reads ``zc``.
    k_valid : (n, k) int64, number of neighbours with a value; ``<= 0`` marks a cell
        without a test (its counts are meaningless and must be discarded by the caller).
    observed, centre, tol : (n, k) float64, observed weighted sum, its exact permutation
        mean and the tie tolerance.
    ge, le, far : (n, kc + k - n_complete) int64 outputs: the ``kc`` complete (and padding)
        columns, then the columns with missing values.
    tails : int, 2 = count only ``far`` (two-sided), 1 = count only ``ge`` and ``le``.
    blocks : int, the units are run in this many blocks in parallel (a few per thread), each
        with its own scratch space; it does not change the counts.

    Per unit, permutations run in blocks of ``BLOCK``: the random words of the block are
    computed first (a vectorisable loop), then the draws, then one fused pass per permutation
    over the complete columns (weighted rows summed in CSR order, compared and counted
    without storing the sums).
    """
    n = z.shape[0]
    units = stop - start
    blocks = max(1, min(units, blocks))
    perms = perm_stop - perm_start
    for b in numba.prange(blocks):
        # per block, not per unit: allocating O(n) per unit would cost O(n**2) in all
        seen = np.zeros(n, np.int64)  # seen[j] == mark: j already drawn in this permutation
        sequence = np.empty(n - 1, np.int64)
        first, last = start + b * units // blocks, start + (b + 1) * units // blocks
        for i in range(first, last):
            _unit_counts(i, seed, perm_start, perm_stop, (i - first) * perms, indptr, indices, weights,
                         z, zc, z32, col_scale, n_complete, k_valid, observed, centre, tol, ge, le, far, tails, seen,
                         sequence)


@numba.njit(cache=True, inline="always")
def _unit_thresholds(i, observed, centre, tol, n_complete, kc):
    """Per complete column of unit ``i``: ``observed -/+ tol``, the centre and ``|observed - centre| - tol``,
    padded to ``kc`` columns (padding columns: 0, their counts are discarded)."""
    lower = np.zeros(kc)
    upper = np.zeros(kc)
    mid = np.zeros(kc)
    dist = np.zeros(kc)
    for c in range(n_complete):
        lower[c] = observed[i, c] - tol[i, c]
        upper[c] = observed[i, c] + tol[i, c]
        mid[c] = centre[i, c]
        dist[c] = abs(observed[i, c] - centre[i, c]) - tol[i, c]
    return lower, upper, mid, dist


@numba.njit(cache=True, inline="always")
def _valid_weights(z, indices, lo, card, wpad, n_complete, n_inc):
    """Weights of the neighbours that have a value, per incomplete column, in CSR order."""
    wval = np.zeros((max(n_inc, 1), card))
    for c in range(n_inc):
        t = 0
        for e in range(card):
            if not np.isnan(z[indices[lo + e], n_complete + c]):
                wval[c, t] = wpad[e]
                t += 1
    return wval


@numba.njit(cache=True, inline="always")
def _block_candidates(unit_state, p0, nb, card, n_words, pool_size, threshold, i, keys, cand, fast, rows):
    """Permutations ``p0 .. p0 + nb - 1`` of unit ``i``: their keys and candidate draws, and where the fast
    path holds (``fast[q]``) their drawn rows.

    1) random words: one sub-stream per permutation, so a column's draws never depend on how far the
       columns with missing values walked in earlier ones;
    2) fast path (vectorised over the block): when the first ``card`` words are all accepted and pairwise
       distinct they *are* the sequence; otherwise (rare) the caller draws the permutation word by word.
       Both give exactly the sequence defined in ``_draw_new``.
    """
    for q in range(nb):
        keys[q] = _perm_key(unit_state, p0 + q)
    for u in range(n_words):
        step = np.uint64(u + 1) * _GOLDEN
        for q in range(nb):
            x = _mix(keys[q] + step)
            cand[2 * u, q] = _candidate(x, True, pool_size, threshold)
            cand[2 * u + 1, q] = _candidate(x, False, pool_size, threshold)
    if card <= FAST_CARD:
        for q in range(nb):
            fast[q] = True
        for t in range(card):
            for q in range(nb):
                fast[q] = fast[q] & (cand[t, q] >= 0)
            for u in range(t):
                for q in range(nb):
                    fast[q] = fast[q] & (cand[t, q] != cand[u, q])
            for q in range(nb):
                r = cand[t, q]
                rows[t, q] = np.uint64(r + (r >= i))
    else:
        for q in range(nb):
            fast[q] = False


@numba.njit(cache=True, inline="always")
def _incomplete_sums(key, h, cand, q, rows, card, sequence, seen, mark, pool_size, threshold, i, z, n_complete, n_inc,
                     kinc, wval, used, s_inc):
    """``s_inc[c]``: the simulated weighted sum of permutation ``q`` for each column with missing values. The
    columns walk the permutation's sequence of distinct units (``rows[:card, q]``, then drawn on as far as needed,
    word ``h`` onwards), each taking its first ``kinc[c]`` units with a value, weighted ``wval[c]`` in order."""
    for t in range(card):
        sequence[t] = np.int64(rows[t, q])
        seen[sequence[t]] = mark
    drawn = card
    pending = 0
    for c in range(n_inc):
        used[c] = 0
        s_inc[c] = 0.0
        if kinc[c] > 0:
            pending += 1
    t = 0
    while pending > 0:
        if t == drawn:
            h, j = _draw_new(key, h, cand, q, seen, mark, pool_size, threshold, i)
            sequence[t] = j
            drawn += 1
        else:
            j = sequence[t]
        for c in range(n_inc):
            v = z[j, n_complete + c]
            if used[c] < kinc[c] and not np.isnan(v):
                s_inc[c] += wval[c, used[c]] * v
                used[c] += 1
                if used[c] == kinc[c]:
                    pending -= 1
        t += 1


@numba.njit(cache=True, inline="always")
def _unit_counts(i, seed, perm_start, perm_stop, mark_base, indptr, indices, weights,
                 z, zc, z32, col_scale, n_complete, k_valid, observed, centre, tol, ge, le, far, tails, seen,
                 sequence):
    """The counts of unit ``i`` (see :func:`local_counts`); ``seen`` and ``sequence`` are
    scratch space shared by the units of a block: the marks ``mark_base + 1...`` are new to it."""
    n, k = z.shape
    kc = zc.shape[1]
    pool_size = n - 1
    threshold = (_TWO32 - np.uint64(pool_size)) % np.uint64(pool_size)
    n_inc = k - n_complete
    lo = indptr[i]
    card = indptr[i + 1] - lo
    if card == 0 or k_valid[i].max() <= 0:
        return
    cpad = card + (card & 1)
    wpad = np.zeros(cpad)
    wpad[:card] = weights[lo : lo + card]
    lower, upper, mid, dist = _unit_thresholds(i, observed, centre, tol, n_complete, kc)
    n_ge = np.zeros(max(n_inc, 1), np.int64)  # columns with missing values
    n_le = np.zeros(max(n_inc, 1), np.int64)
    n_far = np.zeros(max(n_inc, 1), np.int64)
    single = z32.shape[0] > 1  # see inference._single_columns
    ks = z32.shape[1]
    ta, tb = np.zeros(ks, np.float32), np.zeros(ks, np.float32)
    tc, td = np.zeros(ks, np.float32), np.zeros(ks, np.float32)
    w32 = np.zeros(cpad, np.float32)
    if single:
        _single_bounds(wpad, card, col_scale, lower, upper, mid, dist, n_complete, tails, w32, ta, tb, tc, td)
    n_a = np.zeros(max(kc, ks), np.int32)  # complete columns: ge (one tail) or far (two tails)
    n_b = np.zeros(max(kc, ks), np.int32)  # le (one tail)
    acc = np.zeros(kc)
    acc32 = np.zeros(ks, np.float32)
    wval = _valid_weights(z, indices, lo, card, wpad, n_complete, n_inc)
    kinc = k_valid[i, n_complete:].copy()
    s_inc = np.empty(max(n_inc, 1))
    used = np.empty(max(n_inc, 1), np.int64)
    rows = np.full((cpad, BLOCK), n, np.uint64)  # drawn units (unsigned: no negative-
    # index wraparound in the column pass); padding: the zero row
    fast = np.empty(BLOCK, np.bool_)
    mask_a = np.empty(BLOCK, np.uint32)  # single-precision pass: the sure counts of a block, as bits
    mask_b = np.empty(BLOCK, np.uint32)
    n_words = (card + 1) // 2 + 1  # 64-bit outputs precomputed per permutation
    keys = np.empty(BLOCK, np.uint64)
    cand = np.empty((2 * n_words, BLOCK), np.int64)
    equal = True  # all weights equal (how _column_sum forms the double-precision sum)
    base = np.uint64(z32.ctypes.data)
    row_bytes = np.uint64(ks * 4)
    for t in range(card):
        equal = equal and wpad[t] == wpad[0]
    unit_state = stream_state(seed, i)
    for p0 in range(perm_start, perm_stop, BLOCK):
        nb = min(BLOCK, perm_stop - p0)
        _block_candidates(unit_state, p0, nb, card, n_words, pool_size, threshold, i, keys, cand, fast, rows)
        for q in range(nb):
            key = keys[q]
            mark = mark_base + (p0 - perm_start) + q + 1
            h = card
            if not fast[q]:
                h = 0
                for t in range(card):
                    h, j = _draw_new(key, h, cand, q, seen, mark, pool_size, threshold, i)
                    rows[t, q] = np.uint64(j)
            if n_inc == 0:
                continue
            _incomplete_sums(key, h, cand, q, rows, card, sequence, seen, mark, pool_size, threshold, i, z, n_complete,
                             n_inc, kinc, wval, used, s_inc)
            for c in range(n_inc):
                cc = n_complete + c
                if tails == 2:
                    n_far[c] += abs(s_inc[c] - centre[i, cc]) >= (abs(observed[i, cc] - centre[i, cc]) - tol[i, cc])
                else:
                    n_ge[c] += s_inc[c] >= observed[i, cc] - tol[i, cc]
                    n_le[c] += s_inc[c] <= observed[i, cc] + tol[i, cc]
        # 3) complete columns: one fused pass per permutation (sums compared and counted, never stored); a table
        #    larger than SINGLE_BYTES is read in single precision (half the memory traffic), 32 columns at a time,
        #    with its rows for permutation q + AHEAD fetched while permutation q is summed
        if kc == 0:
            continue
        if not single:
            for q in range(nb):
                _count_rows(zc, rows, q, wpad, cpad, equal, acc, tails, mid, dist, lower, upper, n_a, n_a, n_b)
            continue
        for c0_ in range(0, ks, 32):  # 32 columns per mask
            c0, c1 = np.uint64(c0_), np.uint64(min(ks, c0_ + 32))
            for q in range(min(AHEAD, nb) if c0_ == 0 else 0):
                _prefetch_rows(base, rows, q, cpad, row_bytes)
            for q in range(nb):
                if c0_ == 0 and q + AHEAD < nb:
                    _prefetch_rows(base, rows, q + AHEAD, cpad, row_bytes)
                sure_a, maybe_a, sure_b, maybe_b = _single_masks(z32, rows, q, w32, cpad, acc32, tails, ta, tb, tc,
                                                                 td, c0, c1)
                mask_a[q], mask_b[q] = sure_a, sure_b
                open_a, open_b = sure_a ^ maybe_a, sure_b ^ maybe_b  # padding: sum 0, thresholds 0, decided
                if open_a | open_b:
                    _settle_open(zc, rows, q, wpad, cpad, equal, tails, open_a, open_b, c0, lower, upper, mid, dist,
                                 n_a, n_b)
            _add_bits(mask_a, nb, c0, c1, n_a)
            if tails == 1:
                _add_bits(mask_b, nb, c0, c1, n_b)
    for c in range(n_complete):
        if tails == 2:
            far[i, c] += n_a[c]
        else:
            ge[i, c] += n_a[c]
            le[i, c] += n_b[c]
    for c in range(n_inc):
        ge[i, kc + c] += n_ge[c]
        le[i, kc + c] += n_le[c]
        far[i, kc + c] += n_far[c]


@numba.njit(cache=True, inline="always")
def _count_rows(zc, rows, q, wpad, cpad, equal, acc, tails, mid, dist, lower, upper, n_far, n_ge, n_le):
    """Sum the ``cpad`` drawn rows of permutation ``q`` for every complete column and count, with the
    expression that fits the unit: :func:`_equal_rows`, :func:`_rows8` or :func:`_partial_rows` +
    :func:`_final_rows` (the same value as :func:`_column_sum`)."""
    if equal and cpad <= 6:
        _equal_rows(zc, rows, q, wpad[0], cpad, tails, mid, dist, lower, upper, n_far, n_ge, n_le)
    elif cpad == 8:
        _rows8(zc, rows, q, wpad, tails, mid, dist, lower, upper, n_far, n_ge, n_le)
    else:
        t = _partial_rows(zc, rows, q, wpad, cpad, acc, np.uint64(0), np.uint64(acc.shape[0]))
        _final_rows(zc, rows, q, wpad, t, cpad - t, acc, tails, mid, dist, lower, upper, n_far, n_ge, n_le)


@numba.njit(cache=True, inline="always")
def _equal_rows(zc, rows, q, wt, r, tails, mid, dist, lower, upper, n_far, n_ge, n_le):
    """All weights equal to ``wt`` and ``r`` (2, 4 or 6) padded rows: ``S = wt * (sum of the
    rows in draw order)``, counted in one pass over the columns."""
    kc = zc.shape[1]
    ja, jb = rows[0, q], rows[1, q]
    if r == 6:
        jc, jd, je, jf = rows[2, q], rows[3, q], rows[4, q], rows[5, q]
        if tails == 2:
            for c in range(kc):
                s = wt * (zc[ja, c] + zc[jb, c] + zc[jc, c] + zc[jd, c] + zc[je, c] + zc[jf, c])
                n_far[c] += abs(s - mid[c]) >= dist[c]
        else:
            for c in range(kc):
                s = wt * (zc[ja, c] + zc[jb, c] + zc[jc, c] + zc[jd, c] + zc[je, c] + zc[jf, c])
                n_ge[c] += s >= lower[c]
                n_le[c] += s <= upper[c]
    elif r == 4:
        jc, jd = rows[2, q], rows[3, q]
        if tails == 2:
            for c in range(kc):
                s = wt * (zc[ja, c] + zc[jb, c] + zc[jc, c] + zc[jd, c])
                n_far[c] += abs(s - mid[c]) >= dist[c]
        else:
            for c in range(kc):
                s = wt * (zc[ja, c] + zc[jb, c] + zc[jc, c] + zc[jd, c])
                n_ge[c] += s >= lower[c]
                n_le[c] += s <= upper[c]
    else:
        if tails == 2:
            for c in range(kc):
                s = wt * (zc[ja, c] + zc[jb, c])
                n_far[c] += abs(s - mid[c]) >= dist[c]
        else:
            for c in range(kc):
                s = wt * (zc[ja, c] + zc[jb, c])
                n_ge[c] += s >= lower[c]
                n_le[c] += s <= upper[c]


@numba.njit(cache=True, inline="always")
def _rows8(zc, rows, q, w, tails, mid, dist, lower, upper, n_far, n_ge, n_le):
    """Eight padded rows (7 or 8 neighbours, the common case on grids): the products added left to right in
    one pass, ``S = ((w0 z0 + w1 z1) + w2 z2) + ... + w7 z7``, the value :func:`_partial_rows` +
    :func:`_final_rows` give, without storing the partial sum between two passes."""
    kc = zc.shape[1]
    ja, jb, jc, jd = rows[0, q], rows[1, q], rows[2, q], rows[3, q]
    je, jf, jg, jh = rows[4, q], rows[5, q], rows[6, q], rows[7, q]
    wa, wb, wc, wd, we, wf, wg, wh = w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]
    if tails == 2:
        for c in range(kc):
            s = (wa * zc[ja, c] + wb * zc[jb, c] + wc * zc[jc, c] + wd * zc[jd, c]
                 + we * zc[je, c] + wf * zc[jf, c] + wg * zc[jg, c] + wh * zc[jh, c])
            n_far[c] += abs(s - mid[c]) >= dist[c]
    else:
        for c in range(kc):
            s = (wa * zc[ja, c] + wb * zc[jb, c] + wc * zc[jc, c] + wd * zc[jd, c]
                 + we * zc[je, c] + wf * zc[jf, c] + wg * zc[jg, c] + wh * zc[jh, c])
            n_ge[c] += s >= lower[c]
            n_le[c] += s <= upper[c]


@numba.njit(cache=True, inline="always")
def _partial_rows(zc, rows, q, w, cpad, acc, c0, c1):
    """Sum all but the last 2, 4 or 6 drawn rows into ``acc`` (columns ``c0 .. c1 - 1``), 4 rows per pass
    over the columns, in draw order; returns the number of rows summed (``acc`` untouched, i.e. 0,
    when none)."""
    t = 0
    while cpad - t > 6:
        ja, jb, jc, jd = rows[t, q], rows[t + 1, q], rows[t + 2, q], rows[t + 3, q]
        wa, wb, wc, wd = w[t], w[t + 1], w[t + 2], w[t + 3]
        if t == 0:
            for c in range(c0, c1):
                acc[c] = wa * zc[ja, c] + wb * zc[jb, c] + wc * zc[jc, c] + wd * zc[jd, c]
        else:
            for c in range(c0, c1):
                acc[c] = (acc[c] + wa * zc[ja, c] + wb * zc[jb, c] + wc * zc[jc, c]
                          + wd * zc[jd, c])
        t += 4
    return t


@numba.njit(cache=True, inline="always")
def _final_rows(zc, rows, q, w, t, r, acc, tails, mid, dist, lower, upper, n_far, n_ge,
                n_le):
    """Add the last ``r`` (2, 4 or 6) drawn rows to ``acc`` and count, in one pass over the
    columns; the simulated sums are never stored."""
    kc = acc.shape[0]
    if r == 6:
        ja, jb, jc = rows[t, q], rows[t + 1, q], rows[t + 2, q]
        jd, je, jf = rows[t + 3, q], rows[t + 4, q], rows[t + 5, q]
        wa, wb, wc, wd, we, wf = w[t], w[t + 1], w[t + 2], w[t + 3], w[t + 4], w[t + 5]
        if tails == 2:
            for c in range(kc):
                s = (acc[c] + wa * zc[ja, c] + wb * zc[jb, c] + wc * zc[jc, c]
                     + wd * zc[jd, c] + we * zc[je, c] + wf * zc[jf, c])
                n_far[c] += abs(s - mid[c]) >= dist[c]
        else:
            for c in range(kc):
                s = (acc[c] + wa * zc[ja, c] + wb * zc[jb, c] + wc * zc[jc, c]
                     + wd * zc[jd, c] + we * zc[je, c] + wf * zc[jf, c])
                n_ge[c] += s >= lower[c]
                n_le[c] += s <= upper[c]
    elif r == 4:
        ja, jb, jc, jd = rows[t, q], rows[t + 1, q], rows[t + 2, q], rows[t + 3, q]
        wa, wb, wc, wd = w[t], w[t + 1], w[t + 2], w[t + 3]
        if tails == 2:
            for c in range(kc):
                s = acc[c] + wa * zc[ja, c] + wb * zc[jb, c] + wc * zc[jc, c] + wd * zc[jd, c]
                n_far[c] += abs(s - mid[c]) >= dist[c]
        else:
            for c in range(kc):
                s = acc[c] + wa * zc[ja, c] + wb * zc[jb, c] + wc * zc[jc, c] + wd * zc[jd, c]
                n_ge[c] += s >= lower[c]
                n_le[c] += s <= upper[c]
    else:
        ja, jb = rows[t, q], rows[t + 1, q]
        wa, wb = w[t], w[t + 1]
        if tails == 2:
            for c in range(kc):
                s = acc[c] + wa * zc[ja, c] + wb * zc[jb, c]
                n_far[c] += abs(s - mid[c]) >= dist[c]
        else:
            for c in range(kc):
                s = acc[c] + wa * zc[ja, c] + wb * zc[jb, c]
                n_ge[c] += s >= lower[c]
                n_le[c] += s <= upper[c]


@numba.njit(cache=True, inline="always")
def _column_sum(col, rows, q, w, cpad, equal):
    """The simulated sum of one column (values ``col``, row ``n`` = 0) for permutation ``q`` of the block,
    with the expressions of :func:`_equal_rows` / :func:`_partial_rows` + :func:`_final_rows` for that
    column, in the same order: the same floating-point value."""
    if equal and cpad <= 6:
        wt = w[0]
        if cpad == 6:
            return wt * (col[rows[0, q]] + col[rows[1, q]] + col[rows[2, q]] + col[rows[3, q]] + col[rows[4, q]]
                         + col[rows[5, q]])
        if cpad == 4:
            return wt * (col[rows[0, q]] + col[rows[1, q]] + col[rows[2, q]] + col[rows[3, q]])
        return wt * (col[rows[0, q]] + col[rows[1, q]])
    acc = 0.0
    t = 0
    while cpad - t > 6:
        za, zb, zc_, zd = col[rows[t, q]], col[rows[t + 1, q]], col[rows[t + 2, q]], col[rows[t + 3, q]]
        wa, wb, wc, wd = w[t], w[t + 1], w[t + 2], w[t + 3]
        if t == 0:
            acc = wa * za + wb * zb + wc * zc_ + wd * zd
        else:
            acc = (acc + wa * za + wb * zb + wc * zc_ + wd * zd)
        t += 4
    r = cpad - t
    za, zb = col[rows[t, q]], col[rows[t + 1, q]]
    wa, wb = w[t], w[t + 1]
    if r == 6:
        zc_, zd, ze, zf = col[rows[t + 2, q]], col[rows[t + 3, q]], col[rows[t + 4, q]], col[rows[t + 5, q]]
        wc, wd, we, wf = w[t + 2], w[t + 3], w[t + 4], w[t + 5]
        return acc + wa * za + wb * zb + wc * zc_ + wd * zd + we * ze + wf * zf
    if r == 4:
        zc_, zd = col[rows[t + 2, q]], col[rows[t + 3, q]]
        wc, wd = w[t + 2], w[t + 3]
        return acc + wa * za + wb * zb + wc * zc_ + wd * zd
    return acc + wa * za + wb * zb


@numba.njit(cache=True, inline="always")
def _single_bounds(wpad, card, col_scale, lower, upper, mid, dist, n_complete, tails, w32, ta, tb, tc, td):
    """The unit's single-precision weights ``w32`` and, per complete column, the single-precision thresholds that
    decide a count for sure (``ta``, ``tc``) or leave it open (between them and ``tb``, ``td``).

    Column ``c`` and the unit's weights are scaled by powers of two (exact): values to ``|z| < 1``, weights to
    ``max w < 1``. The single-precision sum of ``cpad`` products then differs from the double one by less than
    ``E = (cpad + 8) 2**-23 sum(w) + cpad 2**-120`` (twice Higham's bound ``(cpad + 2) u sum|w z|``, ``u = 2**-24``,
    plus the double sum's own error and subnormal underflow), and a threshold ``x`` stands for ``x +- E'`` with
    ``E' = E + 2**-22 (|x| + E)`` (its own rounding to single precision).
    """
    wmax = 0.0
    for t in range(card):
        wmax = max(wmax, wpad[t])
    w_scale = math.ldexp(1.0, -math.frexp(wmax)[1])
    cpad = w32.shape[0]
    w_sum = 0.0
    for t in range(card):
        w32[t] = np.float32(wpad[t] * w_scale)
        w_sum += wpad[t] * w_scale
    err = (cpad + 8) * 2.0**-23 * w_sum + cpad * 2.0**-120
    for c in range(n_complete):
        f = col_scale[c] * w_scale
        if tails == 2:
            hi, lo = (mid[c] + dist[c]) * f, (mid[c] - dist[c]) * f
        else:
            hi, lo = lower[c] * f, upper[c] * f  # S >= lower counts towards ge, S <= upper towards le
        e_hi = err + 2.0**-22 * (abs(hi) + err)
        e_lo = err + 2.0**-22 * (abs(lo) + err)
        ta[c] = np.float32(hi + e_hi)  # s >= ta: S >= hi for sure
        tb[c] = np.float32(hi - e_hi)  # s < tb: S < hi for sure
        tc[c] = np.float32(lo - e_lo)  # s <= tc: S <= lo for sure
        td[c] = np.float32(lo + e_lo)  # s > td: S > lo for sure


@numba.njit(cache=True, inline="always")
def _mark_either(s, c, bit, ta, tb, tc, td, sa, pa):
    """Two tails: ``bit`` into ``sa`` if ``s`` surely decides ``S >= hi or S <= lo``, into ``pa`` if possibly."""
    zero = np.uint32(0)
    return (np.uint32(sa | (bit if (s >= ta[c]) | (s <= tc[c]) else zero)),
            np.uint32(pa | (bit if (s >= tb[c]) | (s <= td[c]) else zero)))


@numba.njit(cache=True, inline="always")
def _mark_each(s, c, bit, ta, tb, tc, td, sa, pa, sb, pb):
    """One tail each: ``bit`` into ``sa``/``pa`` if ``S >= hi`` surely/possibly, into ``sb``/``pb`` if ``S <= lo``."""
    zero = np.uint32(0)
    return (np.uint32(sa | (bit if s >= ta[c] else zero)), np.uint32(pa | (bit if s >= tb[c] else zero)),
            np.uint32(sb | (bit if s <= tc[c] else zero)), np.uint32(pb | (bit if s <= td[c] else zero)))


@numba.njit(cache=True, inline="always")
def _single_masks(z32, rows, q, w, cpad, acc, tails, ta, tb, tc, td, c0, c1):
    """The single-precision pass of permutation ``q`` over the complete columns ``c0 .. c1 - 1`` (at most 32): the
    products added in draw order (the expressions of :func:`_rows8`, :func:`_partial_rows` + :func:`_final_rows`)
    and compared with the thresholds of :func:`_single_bounds`. Returns four bit masks, bit ``c - c0`` for column
    ``c``: ``S >= hi`` surely and possibly (two tails: ``S >= hi or S <= lo``), ``S <= lo`` surely and possibly.
    A bit set in "possibly" but not in "surely" is a count left open.

    Bits, not counts: the loop then stores nothing, so it needs no run-time check that its stores miss the rows
    it reads, and the masks stay in vector registers (32-bit lanes, as many as the single-precision sums)."""
    sa, pa, sb, pb = np.uint32(0), np.uint32(0), np.uint32(0), np.uint32(0)
    if cpad == 8:
        ja, jb, jc, jd = rows[0, q], rows[1, q], rows[2, q], rows[3, q]
        je, jf, jg, jh = rows[4, q], rows[5, q], rows[6, q], rows[7, q]
        wa, wb, wc, wd, we, wf, wg, wh = w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]
        if tails == 2:
            for c in range(c0, c1):
                s = (wa * z32[ja, c] + wb * z32[jb, c] + wc * z32[jc, c] + wd * z32[jd, c]
                     + we * z32[je, c] + wf * z32[jf, c] + wg * z32[jg, c] + wh * z32[jh, c])
                sa, pa = _mark_either(s, c, BITS32[c - c0], ta, tb, tc, td, sa, pa)
        else:
            for c in range(c0, c1):
                s = (wa * z32[ja, c] + wb * z32[jb, c] + wc * z32[jc, c] + wd * z32[jd, c]
                     + we * z32[je, c] + wf * z32[jf, c] + wg * z32[jg, c] + wh * z32[jh, c])
                sa, pa, sb, pb = _mark_each(s, c, BITS32[c - c0], ta, tb, tc, td, sa, pa, sb, pb)
        return sa, pa, sb, pb
    t = _partial_rows(z32, rows, q, w, cpad, acc, c0, c1)  # compiled for float32 here
    r = cpad - t
    ja, jb = rows[t, q], rows[t + 1, q]
    wa, wb = w[t], w[t + 1]
    if r == 6:
        jc, jd, je, jf = rows[t + 2, q], rows[t + 3, q], rows[t + 4, q], rows[t + 5, q]
        wc, wd, we, wf = w[t + 2], w[t + 3], w[t + 4], w[t + 5]
        if tails == 2:
            for c in range(c0, c1):
                s = (acc[c] + wa * z32[ja, c] + wb * z32[jb, c] + wc * z32[jc, c] + wd * z32[jd, c]
                     + we * z32[je, c] + wf * z32[jf, c])
                sa, pa = _mark_either(s, c, BITS32[c - c0], ta, tb, tc, td, sa, pa)
        else:
            for c in range(c0, c1):
                s = (acc[c] + wa * z32[ja, c] + wb * z32[jb, c] + wc * z32[jc, c] + wd * z32[jd, c]
                     + we * z32[je, c] + wf * z32[jf, c])
                sa, pa, sb, pb = _mark_each(s, c, BITS32[c - c0], ta, tb, tc, td, sa, pa, sb, pb)
    elif r == 4:
        jc, jd = rows[t + 2, q], rows[t + 3, q]
        wc, wd = w[t + 2], w[t + 3]
        if tails == 2:
            for c in range(c0, c1):
                s = acc[c] + wa * z32[ja, c] + wb * z32[jb, c] + wc * z32[jc, c] + wd * z32[jd, c]
                sa, pa = _mark_either(s, c, BITS32[c - c0], ta, tb, tc, td, sa, pa)
        else:
            for c in range(c0, c1):
                s = acc[c] + wa * z32[ja, c] + wb * z32[jb, c] + wc * z32[jc, c] + wd * z32[jd, c]
                sa, pa, sb, pb = _mark_each(s, c, BITS32[c - c0], ta, tb, tc, td, sa, pa, sb, pb)
    else:
        if tails == 2:
            for c in range(c0, c1):
                s = acc[c] + wa * z32[ja, c] + wb * z32[jb, c]
                sa, pa = _mark_either(s, c, BITS32[c - c0], ta, tb, tc, td, sa, pa)
        else:
            for c in range(c0, c1):
                s = acc[c] + wa * z32[ja, c] + wb * z32[jb, c]
                sa, pa, sb, pb = _mark_each(s, c, BITS32[c - c0], ta, tb, tc, td, sa, pa, sb, pb)
    return sa, pa, sb, pb


@numba.njit(cache=True, inline="always")
def _add_bits(masks, nb, c0, c1, counts):
    """``counts[c] +=`` how many of ``masks[:nb]`` (``nb < 128``) have bit ``c - c0`` set.

    The masks are added as binary numbers written vertically: bit ``c`` of ``b0 .. b6`` holds column ``c``'s count
    so far, one mask is added with a ripple of carries (two operations per plane, all 32 columns at once), and the
    counts are read out of the planes once per block."""
    zero, one = np.uint32(0), np.uint32(1)
    b0, b1, b2, b3, b4, b5, b6 = zero, zero, zero, zero, zero, zero, zero
    for q in range(nb):
        carry = masks[q]
        b0, carry = b0 ^ carry, b0 & carry
        b1, carry = b1 ^ carry, b1 & carry
        b2, carry = b2 ^ carry, b2 & carry
        b3, carry = b3 ^ carry, b3 & carry
        b4, carry = b4 ^ carry, b4 & carry
        b5, carry = b5 ^ carry, b5 & carry
        b6 = b6 ^ carry
    for c in range(c1 - c0):
        s = np.uint32(c)
        counts[c0 + c] += (((b0 >> s) & one) + (((b1 >> s) & one) << 1) + (((b2 >> s) & one) << 2)
                           + (((b3 >> s) & one) << 3) + (((b4 >> s) & one) << 4) + (((b5 >> s) & one) << 5)
                           + (((b6 >> s) & one) << 6))


@numba.njit(cache=True)
def _settle_open(zc, rows, q, wpad, cpad, equal, tails, open_a, open_b, c0, lower, upper, mid, dist, n_a, n_b):
    """The counts the single-precision pass left open for permutation ``q`` (bit ``c - c0`` of ``open_a``: the
    ``ge`` or two-tailed count of column ``c``, of ``open_b``: its ``le`` count): the double-precision sum of
    :func:`_column_sum` (the value the double-precision pass computes) decides."""
    for bit in range(32):
        c = np.int64(c0) + bit
        if (open_a >> np.uint32(bit)) & np.uint32(1):
            sv = _column_sum(zc[:, c], rows, q, wpad, cpad, equal)
            n_a[c] += (abs(sv - mid[c]) >= dist[c]) if tails == 2 else (sv >= lower[c])
        if (open_b >> np.uint32(bit)) & np.uint32(1):
            n_b[c] += _column_sum(zc[:, c], rows, q, wpad, cpad, equal) <= upper[c]


@numba.njit(cache=True, parallel=True)
def global_moran_sims(seed, perm_start, perm_stop, indptr, indices, weights, z, scale):
    """Moran's I for the total randomisations ``perm_start..perm_stop-1`` of ``z`` (permutation
    ``p`` draws from stream ``(seed, p)``, so chunks give exactly the values of one call).

    ``I = scale * sum_i z_i * sum_j w_ij z_j`` with the values shuffled over all units.
    """
    n = z.shape[0]
    out = np.empty(perm_stop - perm_start)
    for q in numba.prange(perm_stop - perm_start):
        p = perm_start + q
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
        out[q] = scale * total
    return out
