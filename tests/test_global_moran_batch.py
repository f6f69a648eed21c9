"""Batched total randomisation of the global statistics (quadratic_forms.quadratic_form_batch):
bit for bit the per-column kernels for any thread count and chunking, checked against an
independent pure-Python generator and esda's Moran's I of the same arrangements."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import esda
import numba
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_statistics_support import idw_knn_w, lattice_w, skewed_values, voronoi_w  # noqa: E402

from kibs_spatial.analysis.statistics import global_moran  # noqa: E402
from kibs_spatial.analysis.statistics._graph import graph_from_w  # noqa: E402
from kibs_spatial.analysis.statistics.permutation import global_moran_sims  # noqa: E402
from kibs_spatial.analysis.statistics.quadratic_forms import (  # noqa: E402
    WIDTH,
    QuadraticForms,
    quadratic_form_sims,
    restrict,
    row_plus_column_sums,
    simulate_batch,
    superword_vectorized,
    tail_counts,
)

THREADS = [1, 2] if numba.config.NUMBA_NUM_THREADS >= 2 else [1]


def _moran_forms(w, values):
    sub = restrict(graph_from_w(w).matrix(), np.ones(w.n, bool), standardize=True)
    z = values - values.mean(axis=0)
    scale = w.n / (sub.sum() * (z**2).sum(axis=0))
    return sub, z, scale


def _per_form(sub, x, diag, cross, scale, p0, p1, seed):
    args = (sub.indptr.astype(np.int64), sub.indices.astype(np.int64), sub.data)
    return quadratic_form_sims(np.uint64(seed), p0, p1, *args, np.ascontiguousarray(x), np.ascontiguousarray(diag),
                               float(cross), float(scale))


@pytest.mark.parametrize("threads", THREADS)
def test_batch_kernel_is_the_per_column_kernels_bit_for_bit(threads):
    w = voronoi_w(150, 7)
    k = WIDTH + 3  # a full group and a padded one
    sub, z, scale = _moran_forms(w, skewed_values(w.n, k, 21))
    geary_diag = row_plus_column_sums(sub)
    forms = {
        "moran": QuadraticForms(sub, z, np.zeros_like(z), np.ones(k), scale),
        "geary": QuadraticForms(sub, z, np.repeat(geary_diag[:, None], k, axis=1), np.full(k, -2.0), scale),
    }
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        for name, f in forms.items():
            whole = simulate_batch(f, 300, 17)
            # any split of the permutations gives the values of one call
            parts = np.vstack([simulate_batch(f, 37, 17), simulate_batch(f, 263, 17, perm_start=37)])
            assert np.array_equal(whole, parts), name
            for c in range(k):
                ref = _per_form(sub, f.values[:, c], f.diag[:, c], f.cross[c], f.scale[c], 0, 300, 17)
                assert np.array_equal(whole[:, c], ref), (name, c)
                if name == "moran":
                    moran = global_moran_sims(np.uint64(17), 0, 300, sub.indptr.astype(np.int64),
                                              sub.indices.astype(np.int64), sub.data, z[:, c].copy(), scale[c])
                    assert np.array_equal(whole[:, c], moran), c
    finally:
        numba.set_num_threads(previous)


def test_batch_kernel_does_not_mix_columns():
    """A column's simulated values do not depend on the columns beside it (or on their order)."""
    w = lattice_w(9, 9)
    sub, z, scale = _moran_forms(w, skewed_values(w.n, 10, 4))
    full = simulate_batch(QuadraticForms(sub, z, np.zeros_like(z), np.ones(10), scale), 120, 3)
    order = np.array([9, 2, 5, 0, 1, 8, 3, 7, 6, 4])
    shuffled = simulate_batch(QuadraticForms(sub, z[:, order], np.zeros((w.n, 10)), np.ones(10), scale[order]), 120, 3)
    assert np.array_equal(full[:, order], shuffled)
    alone = simulate_batch(QuadraticForms(sub, z[:, [6]], np.zeros((w.n, 1)), np.ones(1), scale[[6]]), 120, 3)
    assert np.array_equal(full[:, 6], alone[:, 0])


# -- an independent reference: the generator in pure Python, I from esda ---------------------------

_M = (1 << 64) - 1
_G, _MIX1, _MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def _mix(z):
    z = ((z ^ (z >> 30)) * _MIX1) & _M
    z = ((z ^ (z >> 27)) * _MIX2) & _M
    return z ^ (z >> 31)


def _reference_order(seed, perm, n):
    """Fisher-Yates of 0..n-1 driven by splitmix64 stream (seed, perm), Lemire's bounded draws, as
    documented in permutation.py, written from the documentation in plain Python integers."""
    state = _mix(_mix((seed + _G) & _M) ^ ((perm * _MIX2 + _G) & _M))

    def below(bound):
        nonlocal state
        while True:
            state = (state + _G) & _M
            m = (_mix(state) >> 32) * bound
            if (m & 0xFFFFFFFF) >= ((1 << 32) - bound) % bound:
                return m >> 32

    order = list(range(n))
    for t in range(n - 1, 0, -1):
        r = below(t + 1)
        order[t], order[r] = order[r], order[t]
    return np.array(order)


def test_simulated_i_is_esdas_i_of_the_documented_shuffle():
    w = idw_knn_w(60, 5, 2, island=False)
    x = skewed_values(w.n, 3, 8)
    sub, z, scale = _moran_forms(w, x)
    sims = simulate_batch(QuadraticForms(sub, z, np.zeros_like(z), np.ones(3), scale), 25, 123)
    for p in range(25):
        order = _reference_order(123, p, w.n)
        for c in range(3):
            ref = esda.Moran(x[order, c], copy.deepcopy(w), permutations=0).I
            assert sims[p, c] == pytest.approx(ref, abs=1e-12), (p, c)


def test_simulated_moments_are_those_of_total_randomisation():
    """Mean and variance of the simulated I: E[I] = -1/(n-1) and esda's VI_rand (exact under total
    randomisation), within the Monte Carlo error of 4,000 draws."""
    w = voronoi_w(120, 3)
    x = skewed_values(w.n, 2, 5)
    sub, z, scale = _moran_forms(w, x)
    sims = simulate_batch(QuadraticForms(sub, z, np.zeros_like(z), np.ones(2), scale), 4000, 9)
    for c in range(2):
        ref = esda.Moran(x[:, c], copy.deepcopy(w), permutations=0)
        sd = np.sqrt(ref.VI_rand)
        assert abs(sims[:, c].mean() - ref.EI) < 4 * sd / np.sqrt(4000)
        assert abs(sims[:, c].var() / ref.VI_rand - 1) < 4 * np.sqrt(2 / 4000)


# -- global_moran: batched == per column ------------------------------------------------------------

def _layer():
    w = idw_knn_w(200, 6, 1)
    values = skewed_values(w.n, 13, 3)
    values[[5, 9, 100], 1] = np.nan  # three groups of units with a value
    values[::7, 4] = np.nan
    values[::7, 11] = np.nan
    values[:, 7] = 1.0  # constant: untested
    return w, values


@pytest.mark.parametrize("threads", THREADS)
def test_global_moran_batched_equals_column_by_column(threads):
    w, values = _layer()
    batched = global_moran(w, values, permutations=499, seed=5, n_jobs=threads)
    alone = global_moran(w, values, permutations=499, seed=5, n_jobs=threads, batch=False)
    for a, b in zip(batched, alone):
        for name in ("I", "z_rand", "p_rand", "p_sim", "n"):
            assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert np.isnan(batched[7].p_sim) and batched[1].n == w.n - 3
    # one column on its own: the p it has in the batch
    for c in (0, 4, 12):
        assert global_moran(w, values[:, c], permutations=499, seed=5)[0].p_sim == batched[c].p_sim
    assert [r.p_sim for r in global_moran(w, values, permutations=499, seed=6)] != [r.p_sim for r in batched]


def test_tail_counts_do_not_depend_on_the_chunks():
    w = lattice_w(10, 10)
    sub, z, scale = _moran_forms(w, skewed_values(w.n, 9, 12))
    forms = QuadraticForms(sub, z, np.zeros_like(z), np.ones(9), scale)
    observed = scale * np.einsum("ic,ic->c", z, sub @ z)
    ticks = iter(np.arange(0, 1e6, 1.0))  # a "slow" clock: every chunk one block of permutations
    chunked = tail_counts(forms, observed, 1000, 8, clock=lambda: next(ticks))
    ge, le = tail_counts(forms, observed, 1000, 8)
    sims = simulate_batch(forms, 1000, 8)
    tol = 1e-10 * np.maximum(np.abs(observed), 1)
    assert np.array_equal(ge, chunked[0]) and np.array_equal(le, chunked[1])
    assert np.array_equal(ge, (sims >= observed - tol).sum(axis=0))
    assert np.array_equal(le, (sims <= observed + tol).sum(axis=0))


def test_p_sim_is_twice_esdas_one_sided_p_sim_on_the_same_draws():
    """esda's p_sim is (1 + min(#{I* >= I}, P - #{I* >= I})) / (P + 1); ours doubles the smaller
    tail (equal tails), capped at 1: on the same draws, without ties, exactly min(1, 2 esda)."""
    w = voronoi_w(150, 7)
    x = skewed_values(w.n, 4, 14)
    x[:, 1] += 0.8 * (np.asarray(w.sparse @ x[:, 1]) / np.asarray(w.sparse.sum(axis=1)).ravel())
    results = global_moran(w, x, permutations=999, seed=2)
    sub, z, scale = _moran_forms(w, x)
    sims = simulate_batch(QuadraticForms(sub, z, np.zeros_like(z), np.ones(4), scale), 999, 2)
    for c, res in enumerate(results):
        larger = int(np.sum(sims[:, c] >= res.I))
        esda_p = (1 + min(larger, 999 - larger)) / 1000
        assert res.p_sim == pytest.approx(min(1.0, 2 * esda_p), abs=1e-15)
    assert results[1].p_sim < 0.01


# -- Geary's C, general G and join counts: batched, the p_sim of each column simulated alone ----------

def _alone_p(w, x, diag_of, cross, scale_of, values_of, observed_of, alternative="two-sided", permutations=299,
             seed=4, binary=False, standardize=True):
    """p_sim of one column by the per-column reference path (quadratic_forms.simulate + equal_tails_p)."""
    from kibs_spatial.analysis.statistics.quadratic_forms import equal_tails_p, simulate

    valid = ~np.isnan(x)
    sub = restrict(graph_from_w(w).matrix(), valid, standardize=standardize, binary=binary)
    v = x[valid]
    sims = simulate(sub, values_of(v), diag_of(sub, v), cross, scale_of(sub, v), permutations, seed)
    return equal_tails_p(sims, observed_of(sub, v), alternative)


@pytest.mark.parametrize("threads", THREADS)
def test_geary_general_g_and_join_counts_batched_equal_each_column_alone(threads):
    from kibs_spatial.analysis.statistics import geary, general_g, join_counts

    w = idw_knn_w(150, 6, 3)
    x = skewed_values(w.n, 10, 9)
    x[::6, 2] = np.nan
    x[:, 5] = 2.0  # constant: no test
    black = (x > np.nanmedian(x, axis=0)).astype(float)
    black[np.isnan(x)] = np.nan
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        gy = geary(w, x, permutations=299, seed=4)
        gg = general_g(w, x, permutations=299, seed=4)
        jc = join_counts(w, black, permutations=299, seed=4, alternative="greater")
    finally:
        numba.set_num_threads(previous)
    assert np.isnan(gy[5].p_sim) and gg[5].p_sim == 1.0  # a constant map: G = E[G] in every arrangement
    for c in (0, 2, 7, 9):
        col = x[:, c]

        def z_of(v):
            return v - v.mean()

        geary_p = _alone_p(w, col, lambda s, v: row_plus_column_sums(s), -2.0,
                           lambda s, v: (len(v) - 1) / (2.0 * s.sum() * np.sum(z_of(v) ** 2)), z_of,
                           lambda s, v: gy[c].C)
        assert gy[c].p_sim == geary_p, c
        g_p = _alone_p(w, col, lambda s, v: np.zeros(len(v)), 1.0, lambda s, v: 1.0 / (v.sum() ** 2 - np.sum(v**2)),
                       lambda v: v, lambda s, v: gg[c].G, binary=True, standardize=False)
        assert gg[c].p_sim == g_p, c
        b = black[:, c]
        for name, values_of, diag_of, cross in (
            ("bb", lambda v: v, lambda s, v: np.zeros(len(v)), 0.5),
            ("ww", lambda v: 1 - v, lambda s, v: np.zeros(len(v)), 0.5),
            ("bw", lambda v: v, lambda s, v: 0.5 * row_plus_column_sums(s), -1.0),
        ):
            ref = _alone_p(w, b, diag_of, cross, lambda s, v: 1.0, values_of, lambda s, v: getattr(jc[c], name),
                           alternative="greater", binary=True, standardize=False)
            assert getattr(jc[c], f"p_sim_{name}") == ref, (c, name)


def test_superword_vectorization_is_switched_on_for_our_kernels_only():
    """The SLP switch is numba's global setting: it must be back as it was after our kernels ran, even when
    one fails, so a caller's own numba functions compile as they would without us."""
    before = numba.config.SLP_VECTORIZE
    with superword_vectorized():
        assert numba.config.SLP_VECTORIZE == 1
    assert numba.config.SLP_VECTORIZE == before
    with pytest.raises(ZeroDivisionError), superword_vectorized():
        1 / 0
    assert numba.config.SLP_VECTORIZE == before
    w = lattice_w(4, 4)
    sub = restrict(graph_from_w(w).matrix(), np.ones(w.n, bool), standardize=True)
    z = skewed_values(w.n, 2, 3)
    simulate_batch(QuadraticForms(sub, z, np.zeros_like(z), np.ones(2), np.ones(2)), 9, 1)
    assert numba.config.SLP_VECTORIZE == before
