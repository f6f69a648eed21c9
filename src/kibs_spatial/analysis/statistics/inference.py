"""Pseudo p-values from the batched conditional-permutation kernel.

Definitions (``P`` permutations, ``S`` the weighted sum of the neighbours' deviations, whose
simulated values ``S*`` come from the kernel; the statistic ``T`` is ``S`` or ``-S``):

* ``greater``: ``p = (1 + #{T* >= T}) / (P + 1)``
* ``less``:    ``p = (1 + #{T* <= T}) / (P + 1)``
* ``two-sided`` (default, equal tails): ``p = min(1, 2 min(1 + #{S* >= S}, 1 + #{S* <= S}) / (P + 1))``,
  twice the smaller tail, capped at 1: under the null each tail holds alpha/2, whatever the skew
  of the permutation distribution. This is how esda, spdep and GeoDa read a two-sided test.
* ``two-sided-folded`` (the default before 0.2): ``p = (1 + #{|S* - E[S]| >= |S - E[S]|}) / (P + 1)``,
  folded about ``E[S] = W_i * mean of the other units' deviations``, the exact mean of the
  conditional permutation distribution. A valid p-value, but on right-skewed variables (LQs,
  densities) the short lower tail almost never reaches the fold's threshold, so units whose lag
  lies below the mean (low-low areas) are almost never significant: kept as an option only.

Each is a valid p-value (the observed arrangement is one of the equally likely ones) and is
never above 1; the smallest attainable value is ``1/(P+1)`` one-sided or folded and ``2/(P+1)``
with equal tails, reported as ``min_p``. Ties within a relative 1e-10 count as "at least as
extreme" (conservative). esda's ``p_sim`` is ``(1 + min(#{T* >= T}, #{T* < T})) / (P+1)``, the
smaller one-sided tail without the factor 2, which roughly doubles the false-positive rate of
a test read as two-sided.

A statistic that is constant under the null (a focal deviation of exactly 0 for local
Moran) gets ``p = 1``.

Permutations per unit: ``MIN_PERMUTATIONS`` (99) to ``MAX_PERMUTATIONS`` (999,999) from the analysis
file and the command line (0, analytic p-values, through the Python API only). The kernels are called
on chunks of units and permutations of about ``CHUNK_SECONDS`` each, so Ctrl-C is acted on within
about that long; every permutation draws from its own stream, so the counts do not depend on the
chunks. Memory does not grow with the number of permutations: the counts take 24 bytes per unit and
column (see :func:`permutation_memory`), each thread a few arrays of the number of units, and global
Moran's simulated values are counted chunk by chunk, never stored.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numba
import numpy as np
from scipy.special import ndtr  # the normal cdf (scipy.stats would take most of a second to import)

from ...defaults import DEFAULT_SEED  # noqa: F401 - re-exported by the package
from ...errors import InputError
from . import permutation
from ._columns import ColumnMoments
from ._graph import Graph

ALTERNATIVES = ("two-sided", "two-sided-folded", "greater", "less")
TIE_TOLERANCE = 1e-10
MIN_PERMUTATIONS = 99
MAX_PERMUTATIONS = 999_999
CHUNK_SECONDS = 0.1
"""Target duration of one kernel call; Ctrl-C (KeyboardInterrupt) is raised between calls."""


def permutation_memory(n_units: int, n_columns: int, threads: int | None = None, max_neighbours: int = 64) -> int:
    """Bytes the conditional-permutation counts of ``n_units`` x ``n_columns`` need, whatever the
    number of permutations: eight 8-byte values per cell (three counts, the values, the observed
    lags, their centres and tie tolerances, the neighbour counts), the aligned double and single
    precision copies of the complete columns, and per thread the buffers of the unit it is drawing for."""
    threads = threads or numba.get_num_threads()
    shared = (8 * 8 * n_units * n_columns + 8 * (n_units + 1) * (n_columns + permutation.LANES)
              + 4 * (n_units + 1) * (n_columns + permutation.SINGLE_LANES))
    per_thread = 12 * n_units + 16 * 8 * n_columns + 3 * 8 * permutation.BLOCK * max_neighbours
    return shared + threads * per_thread


def chunks(units: int, permutations: int, slices: int = 1, seconds: float | None = None,
           clock=time.perf_counter) -> Iterator[tuple[int, int, int, int]]:
    """``(unit_start, unit_stop, perm_start, perm_stop)`` pieces covering ``units`` x ``permutations``.

    The units are cut into ``slices`` pieces (for a progress bar), the permutations into chunks that
    grow or shrink (multiples of the kernel's block of draws) so that one piece takes about
    ``seconds``; the first piece is one block. The consumer runs each piece before asking for the
    next, so the time between two yields is the time of that piece.
    """
    seconds = CHUNK_SECONDS if seconds is None else seconds
    block = permutation.BLOCK
    unit_step = max(1, -(-units // max(1, slices)))
    perm_step = min(permutations, block)
    p0 = 0
    while p0 < permutations:
        p1 = min(permutations, p0 + perm_step)
        starts = list(range(0, units, unit_step))
        started = clock()
        for u0 in starts:
            yield u0, min(units, u0 + unit_step), p0, p1
        per_piece = max((clock() - started) / len(starts), 1e-6)
        p0 = p1
        wanted = perm_step * seconds / per_piece
        perm_step = int(min(max(block, wanted // block * block), 8 * perm_step))
        if per_piece > 2 * seconds and perm_step == block and unit_step > 1:
            unit_step = max(1, unit_step // 2)  # a very large layer: fewer units per piece as well


def unit_pieces(units: int, permutations: int, blocks: int, slices: int = 1, seconds: float | None = None,
                clock=time.perf_counter) -> Iterator[tuple[int, int, int, int]]:
    """``(unit_start, unit_stop, perm_start, perm_stop)`` pieces covering ``units`` x ``permutations`` one
    range of units after the other, each range running all its permutations before the next starts.

    A unit's set-up in the kernel (its thresholds, weights and buffers) is paid once per piece it is in, so
    a range is as many units as run all the permutations in about ``seconds`` (at least ``blocks``, the
    kernel's parallel blocks, at most ``units / slices``, for a progress bar), and its permutations are cut
    (into whole blocks of draws) only when even that is too long. The first piece, ``blocks`` units x one
    block of draws, measures the cost of a unit-permutation; every piece measures it again.
    """
    seconds = CHUNK_SECONDS if seconds is None else seconds
    block = permutation.BLOCK
    most = max(1, -(-units // max(1, slices)))
    least = max(1, min(units, blocks, most))
    budget = None  # unit-permutations that run in about ``seconds``
    u0 = 0
    while u0 < units:
        step = least if budget is None else int(min(most, max(least, budget // permutations)))
        u1 = min(units, u0 + step)
        perm_step = block if budget is None else _perm_step(budget, u1 - u0, permutations, block)
        p0 = 0
        while p0 < permutations:
            p1 = min(permutations, p0 + perm_step)
            started = clock()
            yield u0, u1, p0, p1
            budget = seconds * (u1 - u0) * (p1 - p0) / max(clock() - started, 1e-9)
            perm_step = _perm_step(budget, u1 - u0, permutations, block)
            p0 = p1
        u0 = u1


def _perm_step(budget: float, units: int, permutations: int, block: int) -> int:
    """Permutations per piece of ``units`` units: all of them if they fit the ``budget`` of
    unit-permutations, else whole blocks of draws (at least one)."""
    if units * permutations <= budget:
        return permutations
    return max(block, int(budget / units) // block * block)


def check_alternative(alternative: str) -> str:
    if alternative not in ALTERNATIVES:
        raise InputError(
            f"unknown alternative {alternative!r}; use one of {', '.join(ALTERNATIVES)}"
        )
    return alternative


@contextmanager
def numba_threads(n_jobs: int | None):
    """Run the block with ``n_jobs`` numba threads (None or <= 0: numba's default)."""
    if n_jobs is None or n_jobs <= 0:
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(min(int(n_jobs), numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def permutation_counts(
    graph: Graph,
    moments: ColumnMoments,
    defined: np.ndarray,
    permutations: int,
    seed: int,
    n_jobs: int | None = None,
    progress=None,
    alternative: str = "two-sided",
    sequential: int = 0,
    need: np.ndarray | None = None,
):
    """Counts ``(ge, le, far)``, each ``(n, k)``, of simulated lags vs the observed lag.

    Only the counts the ``alternative`` needs are filled (``far`` for the folded two-sided p,
    ``ge`` and ``le`` otherwise); the others stay 0.

    One set of draws per unit serves every column (see :mod:`.permutation`). Columns without
    any missing value are put first so the kernel's inner loop over them is branch-free.

    ``sequential = h > 0``: Besag-Clifford early stopping (see :mod:`.sequential`); ``need`` (n, k)
    holds the tails each cell needs (``sequential.needed_tails``). Returns ``(counts, hits)`` then,
    ``hits = (L_ge, L_le, L_far)``: the draw of each tail's ``h``-th exceedance (0: fewer than ``h``).
    """
    n, k = moments.valid.shape
    if n < 2:  # no unit has a neighbour to draw
        empty = np.zeros((n, k), dtype=np.int64)
        counts = empty, empty.copy(), empty.copy()
        return (counts, tuple(a.copy() for a in counts)) if sequential > 0 else counts
    complete = moments.valid.all(axis=0)
    order = np.concatenate([np.flatnonzero(complete), np.flatnonzero(~complete)])
    in_order = bool((order == np.arange(k)).all())
    mom = moments if in_order else moments.columns(order)
    z = np.ascontiguousarray(mom.dev)
    observed = np.ascontiguousarray(mom.lag_sum)
    centre = np.ascontiguousarray(mom.permutation_centre())
    scale = np.abs(np.where(mom.valid, mom.dev, 0.0)).max(axis=0)  # largest |dev| of each column, 0 if empty
    tol = np.ascontiguousarray(TIE_TOLERANCE * mom.weight_sum * scale)
    k_valid = np.ascontiguousarray(np.where(defined if in_order else defined[:, order], mom.k_valid, 0), np.int64)
    n_complete = int(complete.sum())
    lanes = permutation.LANES
    kc = -(-n_complete // lanes) * lanes
    zc = _aligned_zeros((n + 1, kc))  # last row: zeros, pads a draw to an even number of rows
    zc[:n, :n_complete] = z[:, :n_complete]
    z32, col_scale = _single_columns(z[:, :n_complete])
    width = kc + k - n_complete
    ge, le, far = (np.zeros((n, width), dtype=np.int64) for _ in range(3))
    keep = np.concatenate([np.arange(n_complete), np.arange(kc, width)])
    tails = 2 if alternative == "two-sided-folded" else 1
    args = (graph.indptr, graph.indices, graph.data, z, zc, n_complete, k_valid, observed, centre, tol, ge, le, far,
            tails)
    single = (graph.indptr, graph.indices, graph.data, z, zc, z32, col_scale, n_complete, k_valid, observed, centre,
              tol, ge, le, far, tails)
    if sequential > 0:
        from . import sequential as seq  # the sequential kernel compiles (or loads) only when asked for

        wide_need = np.zeros((n, width), dtype=np.int64)
        wide_need[:, keep] = np.where(defined, need, 0)[:, order]
        hits = tuple(np.zeros((n, width), dtype=np.int64) for _ in range(3))
        settled = np.zeros(n, dtype=np.int64)
        zt = np.zeros((n_complete, n + 1))  # the complete columns once more, column by column
        zt[:, :n] = z[:, :n_complete].T
    done = 0
    with numba_threads(n_jobs):
        threads = numba.get_num_threads()
        slices = 1 if progress is None else 50
        pieces = (chunks(n, permutations, slices=slices) if sequential > 0  # all units step through the draws
                  else unit_pieces(n, permutations, 8 * threads, slices=slices))
        for start, stop, p0, p1 in pieces:
            if sequential > 0:
                if settled.all():
                    break
                seq.sequential_counts(start, stop, np.uint64(seed), p0, p1, *args, 8 * threads,
                                      int(sequential), wide_need, *hits, settled, zt)
            else:
                permutation.local_counts(start, stop, np.uint64(seed), p0, p1, *single, 8 * threads)
            done += (stop - start) * (p1 - p0)
            if progress is not None:
                progress(done // permutations, n)
    if progress is not None and done < n * permutations:
        progress(n, n)
    columns = keep[np.argsort(order)]  # the kernel's column of each input column
    if (columns == np.arange(k)).all():  # no column has a missing value: a view, no copy
        columns = slice(0, k)
    counts = tuple(a[:, columns] for a in (ge, le, far))
    if sequential > 0:
        return counts, tuple(a[:, columns] for a in hits)
    return counts


def _aligned_zeros(shape, align: int = 64, dtype=np.float64) -> np.ndarray:
    """C-contiguous zeros starting on an ``align``-byte boundary (a row of 8 float64 or 16
    float32 values is then exactly one cache line)."""
    size = int(np.prod(shape))
    item = np.dtype(dtype).itemsize
    buf = np.zeros(size + align // item, dtype=dtype)
    skip = (-buf.ctypes.data % align) // item
    return buf[skip : skip + size].reshape(shape)


def _single_columns(zc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The complete columns in single precision for the kernel's column pass, each scaled by a power of two
    (exact) to ``max |z| < 1``, zero-padded to a multiple of ``SINGLE_LANES`` columns plus a zero row; and the
    scales. Only for columns larger than ``SINGLE_BYTES`` in double precision (the kernel reads a smaller
    table from cache, where halving it does not pay): else one row of zeros, which tells the kernel so."""
    n, k = zc.shape
    lanes = permutation.SINGLE_LANES
    if 8 * (n + 1) * -(-k // permutation.LANES) * permutation.LANES <= permutation.SINGLE_BYTES:
        return np.zeros((1, lanes), dtype=np.float32), np.ones(k)
    peak = np.abs(zc).max(axis=0) if n else np.zeros(k)
    col_scale = np.ldexp(1.0, -np.frexp(peak)[1])
    z32 = _aligned_zeros((n + 1, -(-k // lanes) * lanes), dtype=np.float32)
    z32[:n, :k] = zc * col_scale
    return z32, col_scale


def pseudo_pvalues(counts, permutations: int, direction: np.ndarray, alternative: str):
    """Pseudo p-values for a statistic ``T = direction * S`` (direction in {-1, 0, +1}).

    ``direction = 0`` means the statistic is constant under the null: ``p = 1``.
    """
    ge, le, far = counts
    if alternative == "two-sided-folded":
        p = (1.0 + far) / (permutations + 1.0)
    elif alternative == "two-sided":
        p = np.minimum(1.0, 2.0 * (1.0 + np.minimum(ge, le)) / (permutations + 1.0))
    else:
        upper = alternative == "greater"
        extreme = np.where(direction > 0, ge if upper else le, le if upper else ge)
        p = (1.0 + extreme) / (permutations + 1.0)
    return np.where(direction == 0, 1.0, p)


def normal_pvalues(z: np.ndarray, alternative: str) -> np.ndarray:
    """p-values of analytic z-scores under the normal approximation."""
    if alternative.startswith("two-sided"):
        return 2.0 * ndtr(-np.abs(z))
    return ndtr(-z) if alternative == "greater" else ndtr(z)
