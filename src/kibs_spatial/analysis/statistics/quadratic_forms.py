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

Batched: ``tail_counts()`` simulates many forms at once (``QuadraticForms``: the columns of one
statistic that share the units with a value, or the BB, WW and BW counts of one map), all under
the same randomisations, with ``quadratic_form_batch``: permutation ``p`` is one Fisher-Yates
shuffle of the unit indices driven by the stream ``(seed, p)`` (the same swaps that
``quadratic_form_sims`` applies to the values, so the same arrangement), the permuted values of
a group of up to ``WIDTH`` forms are gathered once into a contiguous buffer and every form's ``Q``
is summed in the same order as the per-form kernel. Every simulated ``Q`` is therefore bit for bit
the per-form value (tests check it against ``quadratic_form_sims`` and
``permutation.global_moran_sims``) for any number of threads and any chunking, but the shuffle and
the random gathers are paid once per permutation instead of once per form and permutation.
``grouped_tail_counts()`` groups the forms of many columns by their weights (the units with a value)
for it: global Moran, Geary's C, general G and the join counts all count their tails through it.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp

from .inference import TIE_TOLERANCE, chunks
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


WIDTH = 8
"""Forms simulated together in one pass over the graph (one 64-byte cache line of a row)."""


@contextmanager
def superword_vectorized():
    """Compile the kernels called in the block with LLVM's SLP ("superword") vectorizer, which numba leaves off by
    default: it turns the eight scalar accumulators of ``_group_sums`` into vector operations, lane for lane the
    same arithmetic (so the same bits), in about two thirds of the time. Only a first compilation is affected; a
    kernel loaded from the cache is used as it was compiled."""
    previous = numba.config.SLP_VECTORIZE
    numba.config.SLP_VECTORIZE = 1
    try:
        yield
    finally:
        numba.config.SLP_VECTORIZE = previous


@numba.njit(cache=True, inline="always")
def _shuffled_units(seed, perm, n):
    """The unit order of total randomisation ``perm``: the Fisher-Yates swaps that
    ``quadratic_form_sims`` applies to the values, applied to the indices ``0..n-1`` (so
    ``x[order]`` is exactly its shuffled copy of ``x``)."""
    state = stream_state(seed, perm)
    order = np.arange(n)
    for t in range(n - 1, 0, -1):
        state, r = _below(state, t + 1)
        tmp = order[t]
        order[t] = order[r]
        order[r] = tmp
    return order


@numba.njit(cache=True, parallel=True)
def quadratic_form_batch(seed, perm_start, perm_stop, indptr, indices, weights, x, diag, cross, scale,
                         with_diag):
    """``Q`` of every form for the total randomisations ``perm_start..perm_stop-1``, all forms
    under the same shuffles (permutation ``p`` from the stream ``(seed, p)``).

    Parameters
    ----------
    x, diag : numpy.ndarray
        ``(groups, n, WIDTH)`` float64, C-contiguous: the values and ``d_i`` of the forms, ``WIDTH``
        forms per group (padding forms: zeros; their ``Q`` is 0 and is discarded).
    cross, scale : numpy.ndarray
        ``(groups, WIDTH)`` float64.
    with_diag : bool
        False when every ``d_i`` is 0 (Moran's I, general G, BB/WW): the term is left out, so
        ``Q = scale * sum_i c x_i lag_i`` is then exactly the arithmetic of
        ``permutation.global_moran_sims`` (``c = 1``), and differs from ``quadratic_form_sims``'s
        only by adding ``0 * x_i^2``, i.e. not at all.

    Returns
    -------
    numpy.ndarray
        ``(perm_stop - perm_start, groups, WIDTH)``.

    Notes
    -----
    Per form the arithmetic is that of ``quadratic_form_sims`` term for term: the lag of unit ``i``
    summed in CSR order, then ``total += d_i v_i^2 + c v_i lag_i`` over ``i`` in unit order, then
    ``scale * total``. The ``WIDTH`` forms of a group are summed in separate scalar accumulators (no
    reassociation: numba allows no floating-point contraction or reordering without ``fastmath``).
    """
    groups, n, width = x.shape
    assert width == WIDTH
    out = np.empty((perm_stop - perm_start, groups, WIDTH))
    for q in numba.prange(perm_stop - perm_start):
        order = _shuffled_units(seed, perm_start + q, n)
        values = np.empty((n, WIDTH))
        for g in range(groups):
            xg = x[g]
            for i in range(n):
                r = order[i]
                for c in range(WIDTH):
                    values[i, c] = xg[r, c]
            _group_sums(indptr, indices, weights, values, diag[g], cross[g], scale[g], with_diag, out[q, g])
    return out


@numba.njit(cache=True, inline="always")
def _group_sums(indptr, indices, weights, v, d, cross, scale, with_diag, out):
    """``out[c] = scale[c] * sum_i (d[i, c] v[i, c]^2 + cross[c] v[i, c] lag_ic)`` for the ``WIDTH`` (8)
    forms of a group, each in its own scalar accumulator (kept in registers)."""
    c0, c1, c2, c3, c4, c5, c6, c7 = cross[0], cross[1], cross[2], cross[3], cross[4], cross[5], cross[6], cross[7]
    t0 = t1 = t2 = t3 = t4 = t5 = t6 = t7 = 0.0
    for i in range(v.shape[0]):
        l0 = l1 = l2 = l3 = l4 = l5 = l6 = l7 = 0.0
        for e in range(indptr[i], indptr[i + 1]):
            we = weights[e]
            j = indices[e]
            l0 += we * v[j, 0]
            l1 += we * v[j, 1]
            l2 += we * v[j, 2]
            l3 += we * v[j, 3]
            l4 += we * v[j, 4]
            l5 += we * v[j, 5]
            l6 += we * v[j, 6]
            l7 += we * v[j, 7]
        if with_diag:
            t0 += d[i, 0] * v[i, 0] * v[i, 0] + c0 * v[i, 0] * l0
            t1 += d[i, 1] * v[i, 1] * v[i, 1] + c1 * v[i, 1] * l1
            t2 += d[i, 2] * v[i, 2] * v[i, 2] + c2 * v[i, 2] * l2
            t3 += d[i, 3] * v[i, 3] * v[i, 3] + c3 * v[i, 3] * l3
            t4 += d[i, 4] * v[i, 4] * v[i, 4] + c4 * v[i, 4] * l4
            t5 += d[i, 5] * v[i, 5] * v[i, 5] + c5 * v[i, 5] * l5
            t6 += d[i, 6] * v[i, 6] * v[i, 6] + c6 * v[i, 6] * l6
            t7 += d[i, 7] * v[i, 7] * v[i, 7] + c7 * v[i, 7] * l7
        else:
            t0 += c0 * v[i, 0] * l0
            t1 += c1 * v[i, 1] * l1
            t2 += c2 * v[i, 2] * l2
            t3 += c3 * v[i, 3] * l3
            t4 += c4 * v[i, 4] * l4
            t5 += c5 * v[i, 5] * l5
            t6 += c6 * v[i, 6] * l6
            t7 += c7 * v[i, 7] * l7
    out[0], out[1], out[2], out[3] = scale[0] * t0, scale[1] * t1, scale[2] * t2, scale[3] * t3
    out[4], out[5], out[6], out[7] = scale[4] * t4, scale[5] * t5, scale[6] * t6, scale[7] * t7


@dataclass(frozen=True)
class QuadraticForms:
    """``k`` quadratic forms on one weights matrix (see the module docstring), to be simulated under
    the same randomisations: ``Q_c = scale_c (sum_i diag_ic x_ic^2 + cross_c sum_ij w_ij x_ic x_jc)``.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix, (n, n), the weights ``w_ij``.
    values, diag : (n, k) float64.
    cross, scale : (k,) float64.
    """

    matrix: sp.csr_matrix
    values: np.ndarray
    diag: np.ndarray
    cross: np.ndarray
    scale: np.ndarray

    @property
    def k(self) -> int:
        return self.values.shape[1]

    def kernel_arguments(self) -> tuple:
        """CSR arrays and the forms packed in groups of ``WIDTH`` for ``quadratic_form_batch``."""
        m = sp.csr_matrix(self.matrix, dtype=np.float64)
        m.sort_indices()
        values = np.asarray(self.values, dtype=np.float64).reshape(m.shape[0], -1)
        diag = np.asarray(self.diag, dtype=np.float64).reshape(values.shape)
        groups = -(-values.shape[1] // WIDTH)
        row = (lambda a: _pack(np.asarray(a, dtype=np.float64).reshape(1, -1), groups)[:, 0, :].copy())
        return (m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data.astype(np.float64),
                _pack(values, groups), _pack(diag, groups), row(self.cross), row(self.scale),
                bool(np.any(diag != 0)))


def _pack(a: np.ndarray, groups: int) -> np.ndarray:
    """``(rows, k)`` -> ``(groups, rows, WIDTH)`` C-contiguous, zero-padded."""
    rows, k = a.shape
    out = np.zeros((groups, rows, WIDTH))
    for g in range(groups):
        part = a[:, g * WIDTH : (g + 1) * WIDTH]
        out[g, :, : part.shape[1]] = part
    return out


def simulate_batch(forms: QuadraticForms, permutations: int, seed: int, perm_start: int = 0) -> np.ndarray:
    """Simulated ``Q`` of every form, ``(permutations, k)``: randomisations ``perm_start ..
    perm_start + permutations - 1`` (for tests and small runs: the values are stored)."""
    if permutations <= 0 or forms.k == 0:
        return np.empty((max(permutations, 0), forms.k))
    with superword_vectorized():
        sims = quadratic_form_batch(np.uint64(seed), perm_start, perm_start + permutations, *forms.kernel_arguments())
    return sims.reshape(permutations, -1)[:, : forms.k]


def tail_counts(forms: QuadraticForms, observed: np.ndarray, permutations: int, seed: int,
                clock=None) -> tuple[np.ndarray, np.ndarray]:
    """``(ge, le)`` per form: simulated ``Q* >= Q - tol`` and ``Q* <= Q + tol`` over ``permutations``
    total randomisations, ``tol = 1e-10 max(|Q|, 1)`` (ties count as extreme, as ``equal_tails_p``).
    The randomisations run in chunks of about ``inference.CHUNK_SECONDS`` (Ctrl-C is acted on between
    them; memory does not grow with ``permutations``); every permutation has its own stream, so the
    counts do not depend on the chunks or the number of threads. ``clock``: for tests, a fake
    ``time.perf_counter`` that changes how the permutations are chunked."""
    observed = np.asarray(observed, dtype=np.float64).reshape(-1)
    ge = np.zeros(forms.k, dtype=np.int64)
    le = np.zeros(forms.k, dtype=np.int64)
    if permutations <= 0 or forms.k == 0:
        return ge, le
    args = forms.kernel_arguments()
    tol = TIE_TOLERANCE * np.maximum(np.abs(observed), 1.0)
    pieces = chunks(1, permutations) if clock is None else chunks(1, permutations, clock=clock)
    for _, _, p0, p1 in pieces:
        with superword_vectorized():
            sims = quadratic_form_batch(np.uint64(seed), p0, p1, *args).reshape(p1 - p0, -1)[:, : forms.k]
        ge += np.sum(sims >= observed - tol, axis=0)
        le += np.sum(sims <= observed + tol, axis=0)
    return ge, le


def grouped_tail_counts(items: list, permutations: int, seed: int) -> list:
    """Tail counts of many forms, those on the same weights simulated together.

    ``items``: one entry per form, ``None`` (no test) or ``(key, matrix, values, diag, cross, scale,
    observed)``, where forms with the same hashable ``key`` (e.g. the column's units with a value) share
    ``matrix``. Returns ``(ge, le)`` per form (``None`` where the item is), as :func:`tail_counts` counts
    them: bit for bit the counts of each form simulated alone by :func:`simulate`."""
    out: list = [None] * len(items)
    groups: dict = {}
    for index, item in enumerate(items):
        if item is not None:
            groups.setdefault(item[0], []).append(index)
    for members in groups.values():
        first = items[members[0]]
        column = (lambda a: np.column_stack([np.asarray(items[m][a], dtype=np.float64) for m in members]))
        forms = QuadraticForms(first[1], column(2), column(3), np.array([items[m][4] for m in members], dtype=float),
                               np.array([items[m][5] for m in members], dtype=float))
        ge, le = tail_counts(forms, np.array([items[m][6] for m in members], dtype=float), permutations, seed)
        for m, a, b in zip(members, ge, le):
            out[m] = (int(a), int(b))
    return out


def mask_key(valid: np.ndarray) -> bytes:
    """A key of the units with a value (for :func:`grouped_tail_counts`)."""
    return np.packbits(valid).tobytes() + int(valid.size).to_bytes(8, "little")


def pvalue_from_counts(ge: int, le: int, permutations: int, alternative: str = "two-sided") -> float:
    """``equal_tails_p()`` from the counts of ``tail_counts()``: ``two-sided`` ``min(1, 2 min(1 + ge,
    1 + le) / (P + 1))``, ``greater`` ``(1 + ge) / (P + 1)``, ``less`` ``(1 + le) / (P + 1)``; NaN
    without permutations."""
    if permutations <= 0:
        return float("nan")
    upper, lower, total = 1.0 + ge, 1.0 + le, permutations + 1.0
    if alternative == "greater":
        return float(upper / total)
    if alternative == "less":
        return float(lower / total)
    return float(min(1.0, 2.0 * min(upper, lower) / total))


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
