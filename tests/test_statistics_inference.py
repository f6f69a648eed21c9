"""Permutation inference, islands, missing values, categories, determinism and caching."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import libpysal
import numpy as np
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))
from test_statistics_support import idw_knn_w, lattice_w, skewed_values  # noqa: E402

from kibs_spatial.analysis.statistics import (  # noqa: E402
    adjust_pvalues,
    bivariate_local_moran,
    global_moran,
    local_statistics,
)
from kibs_spatial.analysis.statistics.permutation import random_below  # noqa: E402
from kibs_spatial.errors import InputError  # noqa: E402


def small_layer_with_island():
    """4x4 queen lattice (ids 0..15) plus unit 16 with no neighbour."""
    lat = lattice_w(4, 4)
    neighbors = {i: list(lat.neighbors[i]) for i in lat.id_order}
    neighbors[16] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return libpysal.weights.W(neighbors, id_order=list(range(17)))


def test_null_rejection_rate_is_nominal_and_folded_one_sided_doubles_it():
    w = lattice_w(20, 20)
    values = np.random.default_rng(2024).normal(size=(w.n, 48))
    res = local_statistics(w, values, permutations=999, seed=7)
    for p in (res.lisa_p, res.gi_p):
        assert 0.04 <= np.mean(p <= 0.05) <= 0.06
    greater = local_statistics(w, values, permutations=999, seed=7, alternative="greater")
    less = local_statistics(w, values, permutations=999, seed=7, alternative="less")
    for p in (greater.lisa_p, less.lisa_p, greater.gi_p):
        assert 0.04 <= np.mean(p <= 0.05) <= 0.06
    folded = np.minimum(greater.lisa_p, less.lisa_p)  # esda's p_sim definition
    assert np.mean(folded <= 0.05) > 0.085


def _split(res, values, alpha=0.05):
    """Shares of all tested cells with p <= alpha whose lag lies below / above the column mean."""
    tested = ~np.isnan(res.lisa_p)
    significant = tested & (res.lisa_p <= alpha)
    below = significant & (res.lisa_lag < 0)
    return below.sum() / tested.sum(), (significant & (res.lisa_lag > 0)).sum() / tested.sum()


def test_equal_tails_split_significance_evenly_on_skewed_data():
    """Under the null, units with p <= 0.05 split 2.5 % / 2.5 % between lags below and above the mean,
    even on right-skewed (lognormal, sigma 1.5) columns; the folded p starves the low side."""
    w = lattice_w(30, 30)
    values = np.exp(1.5 * np.random.default_rng(12).normal(size=(w.n, 40)))
    equal = local_statistics(w, values, permutations=999, seed=3)
    below, above = _split(equal, values)
    assert abs(below - 0.025) <= 0.007 and abs(above - 0.025) <= 0.007, (below, above)
    folded = local_statistics(w, values, permutations=999, seed=3, alternative="two-sided-folded")
    folded_below, _ = _split(folded, values)
    assert folded_below < 0.5 * below, (folded_below, below)  # measured: 0.0 % against 2.4 %
    np.testing.assert_array_equal(  # same draws, only the reading of the counts differs
        equal.lisa_p, np.minimum(1.0, 2 * np.minimum(
            local_statistics(w, values, permutations=999, seed=3, alternative="greater").lisa_p,
            local_statistics(w, values, permutations=999, seed=3, alternative="less").lisa_p)))


def test_noise_column_beside_strong_ones_shows_almost_nothing_under_per_map_fdr():
    w = lattice_w(25, 25)
    rows, cols = np.divmod(np.arange(w.n), 25)
    rng = np.random.default_rng(5)
    strong = [np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / 20.0) * 10 + rng.normal(size=w.n)
              for r, c in ((5, 5), (18, 20), (12, 3), (20, 8))]
    noise = rng.normal(size=w.n)
    values = np.column_stack([*strong, noise])
    per_map = local_statistics(w, values, permutations=999, seed=1)
    assert per_map.settings.fdr_scope == "column"
    assert np.mean(per_map.lisa_cl[:, -1] != "ns") <= 0.01 and np.mean(per_map.gi_bin[:, -1] != 0) <= 0.01
    assert all(np.mean(per_map.lisa_cl[:, c] == "HH") > 0.02 for c in range(4))
    pooled = local_statistics(w, values, permutations=999, seed=1, fdr_scope="all")
    assert (pooled.lisa_cl[:, -1] != "ns").sum() > 0  # pooled, the strong columns relax the noise's threshold


def test_threads_chunks_and_batching_do_not_change_results():
    w = idw_knn_w(200, 6, 1)
    values = skewed_values(w.n, 6, 3)
    values[[5, 9, 100], 1] = np.nan
    values[::7, 4] = np.nan
    one = local_statistics(w, values, permutations=499, seed=99, n_jobs=1)
    calls = []
    two = local_statistics(w, values, permutations=499, seed=99, n_jobs=2,
                           progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (w.n, w.n) and len(calls) > 10
    for attr in ("lisa_i", "lisa_z", "lisa_p", "lisa_q", "gi_z", "gi_p", "gi_q"):
        np.testing.assert_array_equal(getattr(one, attr), getattr(two, attr))
    np.testing.assert_array_equal(one.lisa_cl, two.lisa_cl)
    np.testing.assert_array_equal(one.gi_bin, two.gi_bin)
    # a column analysed alone gets exactly the p-values it gets in the batch
    for c in (0, 1, 4):
        alone = local_statistics(w, values[:, c], permutations=499, seed=99, n_jobs=2)
        np.testing.assert_array_equal(alone.lisa_p[:, 0], one.lisa_p[:, c])
    other_seed = local_statistics(w, values, permutations=499, seed=100, n_jobs=1)
    assert not np.array_equal(other_seed.lisa_p, one.lisa_p, equal_nan=True)
    g1 = global_moran(w, values, permutations=199, seed=5, n_jobs=1)
    g2 = global_moran(w, values, permutations=199, seed=5, n_jobs=2)
    assert [g.p_sim for g in g1] == [g.p_sim for g in g2]


def test_island_and_missing_value_are_never_significant():
    w = small_layer_with_island()
    x = np.array([100.0, 90, 1, 1, 95, 99, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1000])
    values = np.column_stack([x, x])
    values[5, 1] = np.nan
    res = local_statistics(w, values, permutations=999, alpha=0.5, fdr="none")
    assert list(res.lisa_cl[16]) == ["isolated", "isolated"]
    assert res.lisa_cl[5, 1] == "undefined" and res.lisa_cl[5, 0] != "undefined"
    for cell in [(16, 0), (16, 1), (5, 1)]:
        for attr in ("lisa_i", "lisa_z", "lisa_p", "lisa_q", "gi_z", "gi_p", "gi_q"):
            assert np.isnan(getattr(res, attr)[cell]), (attr, cell)
        assert res.gi_bin[cell] == 0
    assert res.n_valid.tolist() == [17, 16]
    finite = ~np.isnan(res.lisa_p)
    assert finite.sum() == 2 * 17 - 3
    assert np.all(res.lisa_p[finite] >= res.min_p) and np.all(res.lisa_p[finite] <= 1)
    assert res.min_p == 2 / 1000  # equal tails: twice the smallest one-sided p
    frame = res.to_frame(["a", "b"])
    assert frame.loc[16, "a_lisa_cl"] == "isolated" and np.isnan(frame.loc[16, "a_lisa_p"])
    assert frame.loc[5, "b_lisa_cl"] == "undefined" and frame.loc[5, "b_gi_bin"] == 0


def test_column_with_fewer_than_three_values_is_undefined_not_an_error():
    w = lattice_w(3, 3)
    values = np.column_stack([np.arange(9.0), np.full(9, np.nan)])
    values[:2, 1] = [1.0, 2.0]
    res = local_statistics(w, values, permutations=99, fdr="none")
    assert set(res.lisa_cl[:, 1]) == {"undefined"} and np.isnan(res.lisa_p[:, 1]).all()
    assert (res.gi_bin[:, 1] == 0).all() and np.isfinite(res.lisa_p[:, 0]).all()


def test_missing_value_equals_dropping_the_unit():
    """A missing unit leaves the pool and the lags: same statistics as without that unit."""
    w = lattice_w(12, 12)
    values = skewed_values(w.n, 1, 31)
    drop = np.array([3, 20, 21, 77, 140])
    values[drop, 0] = np.nan
    keep = np.setdiff1d(np.arange(w.n), drop)
    sub = libpysal.weights.w_subset(w, keep.tolist())
    full = local_statistics(w, values, permutations=4999, seed=1)
    part = local_statistics(sub, values[keep], permutations=4999, seed=2)
    for attr in ("lisa_i", "lisa_z", "gi_z"):
        np.testing.assert_allclose(getattr(full, attr)[keep], getattr(part, attr), atol=1e-10)
    a, b = full.lisa_p[keep, 0], part.lisa_p[:, 0]
    assert np.nanmax(np.abs(a - b)) < 0.05 and np.corrcoef(a, b)[0, 1] > 0.99
    gm_full, gm_part = global_moran(w, values, 0)[0], global_moran(sub, values[keep], 0)[0]
    assert gm_full.I == pytest.approx(gm_part.I, abs=1e-12) and gm_full.n == len(keep)


def test_planted_clusters_are_found_with_the_right_labels():
    w = lattice_w(15, 15)
    grid = np.random.default_rng(5).normal(size=(15, 15))
    grid[1:5, 1:5] += 4
    grid[9:13, 9:13] -= 4
    res = local_statistics(w, grid.ravel(), permutations=999, seed=3)
    cl = res.lisa_cl[:, 0].reshape(15, 15)
    bins = res.gi_bin[:, 0].reshape(15, 15)
    assert (cl[2:4, 2:4] == "HH").all() and (cl[10:12, 10:12] == "LL").all()
    assert (bins[2:4, 2:4] >= 2).all() and (bins[10:12, 10:12] <= -2).all()
    hot = local_statistics(w, grid.ravel(), permutations=999, seed=3, alternative="greater")
    cold = local_statistics(w, grid.ravel(), permutations=999, seed=3, alternative="less")
    assert (hot.gi_p.reshape(15, 15)[2:4, 2:4] < 0.01).all()
    assert (cold.gi_p.reshape(15, 15)[2:4, 2:4] > 0.9).all()
    assert res.gi_bin.dtype.kind == "i" and set(np.unique(res.gi_bin)) <= set(range(-3, 4))
    assert set(np.unique(res.lisa_cl)) <= {"HH", "LL", "LH", "HL", "ns"}


def test_categories_follow_q_not_p():
    w = lattice_w(15, 15)
    values = np.random.default_rng(8).normal(size=(w.n, 5))
    raw = local_statistics(w, values, permutations=999, fdr="none")
    bh = local_statistics(w, values, permutations=999, fdr="bh")
    np.testing.assert_array_equal(raw.lisa_p, bh.lisa_p)
    assert (raw.lisa_cl != "ns").sum() > (bh.lisa_cl != "ns").sum()
    np.testing.assert_array_equal(bh.lisa_cl != "ns", bh.lisa_q <= 0.05)
    np.testing.assert_array_equal(bh.gi_bin != 0, bh.gi_q <= 0.10)
    for c in range(5):  # the default scope: each column (map) adjusted alone
        np.testing.assert_allclose(bh.lisa_q[:, c], adjust_pvalues(bh.lisa_p[:, c], "bh"))
    pooled = local_statistics(w, values, permutations=999, fdr="by", fdr_scope="all")
    np.testing.assert_allclose(pooled.gi_q, adjust_pvalues(pooled.gi_p, "by"))


def test_gi_q_is_adjusted_from_gi_p_where_it_differs_from_lisa_p():
    """Two-sided LISA and Gi* p read the same counts, so equal p share their q; but a unit whose value is
    exactly its column's mean has LISA p = 1 and an ordinary Gi* p, and then Gi* q comes from Gi* p."""
    w = lattice_w(15, 15)
    rng = np.random.default_rng(5)
    column = [int(v) for v in rng.integers(0, 20, w.n)]
    for j in w.neighbors[7]:
        column[j] = 100  # a hot neighbourhood: Gi* p of unit 7 is small
    column[7] = 0
    column[8] += -sum(column) % (w.n - 1)
    column[7] = sum(column) // (w.n - 1)  # the mean of all w.n values, exactly
    values = np.column_stack([column, rng.normal(size=w.n)]).astype(float)
    for fdr in ("none", "bh"):
        res = local_statistics(w, values, permutations=199, seed=2, fdr=fdr)
        assert res.lisa_p[7, 0] == 1.0 and res.gi_p[7, 0] <= 0.02
        np.testing.assert_array_equal(res.lisa_p[:, 1], res.gi_p[:, 1])
        for c in range(2):
            np.testing.assert_array_equal(res.gi_q[:, c], adjust_pvalues(res.gi_p[:, c], fdr))
            np.testing.assert_array_equal(res.lisa_q[:, c], adjust_pvalues(res.lisa_p[:, c], fdr))


def test_analytic_mode_and_bivariate_permutation():
    w = lattice_w(10, 10)
    values = skewed_values(w.n, 2, 4)
    res = local_statistics(w, values, permutations=0, alternative="greater")
    np.testing.assert_allclose(res.gi_p, stats.norm.sf(res.gi_z))
    assert res.min_p == 0.0
    bv = bivariate_local_moran(w, values[:, 0], values[:, 1], permutations=199, seed=1)
    assert bv.min_p == 2 / 200 and np.all((bv.p >= 2 / 200) & (bv.p <= 1))
    assert list(bv.to_frame(["ab"]).columns) == ["ab_bv_i", "ab_bv_z", "ab_bv_p", "ab_bv_q", "ab_bv_cl"]


def test_adjust_pvalues_basics():
    p = np.array([[0.01, np.nan], [0.04, 0.03]])
    np.testing.assert_allclose(adjust_pvalues(p, "bh"), [[0.03, np.nan], [0.04, 0.04]])
    np.testing.assert_allclose(adjust_pvalues(p, "none"), p)
    assert adjust_pvalues(np.array([np.nan]), "by").tolist()[0] != 0
    with pytest.raises(InputError):
        adjust_pvalues(p, "holm")


@pytest.mark.parametrize("method", ["bh", "by", "bonferroni"])
def test_adjust_pvalues_along_an_axis_adjusts_each_line_apart(method):
    """One call for every map: each column (whatever its missing cells) equals its own 1-D call."""
    rng = np.random.default_rng(3)
    p = rng.uniform(size=(40, 3, 5)) ** 3
    p[rng.uniform(size=p.shape) < 0.2] = np.nan  # different missing rows in different columns
    p[:, 1, 2] = np.nan  # a column without any test
    out = adjust_pvalues(p, method, axis=0)
    for i, c in np.ndindex(3, 5):
        np.testing.assert_array_equal(out[:, i, c], adjust_pvalues(p[:, i, c], method))
    np.testing.assert_array_equal(adjust_pvalues(p, method, axis=1)[4], adjust_pvalues(p[4], method, axis=0))


def test_bad_arguments_raise_input_error():
    w = lattice_w(4, 4)
    with pytest.raises(InputError):
        local_statistics(w, np.ones((15, 1)))
    with pytest.raises(InputError):
        local_statistics(w, np.ones(16), alternative="two.sided")
    with pytest.raises(InputError):
        local_statistics(w, np.ones(16), fdr_scope="unit")


def test_generator_is_uniform():
    draws = random_below(12345, 17, 13, 130_000)
    counts = np.bincount(draws, minlength=13)
    assert stats.chisquare(counts).pvalue > 0.001


def test_numba_kernels_load_from_cache_in_a_new_process():
    """The local, the sequential and the batched global kernel compile once; a new process loads them."""
    local_statistics(lattice_w(4, 4), np.arange(16.0), permutations=9)  # compile + cache here
    local_statistics(lattice_w(4, 4), np.arange(16.0), permutations=9, sequential=2)
    global_moran(lattice_w(4, 4), np.arange(16.0), permutations=9)
    code = (
        "import numpy as np, libpysal\n"
        "from kibs_spatial.analysis.statistics import local_statistics, global_moran\n"
        "from kibs_spatial.analysis.statistics import permutation as P, quadratic_forms as Q, sequential as S\n"
        "w = libpysal.weights.lat2W(4, 4, rook=False)\n"
        "local_statistics(w, np.arange(16.0), permutations=9)\n"
        "local_statistics(w, np.arange(16.0), permutations=9, sequential=2)\n"
        "global_moran(w, np.arange(16.0), permutations=9)\n"
        "for f in (P.local_counts, S.sequential_counts, Q.quadratic_form_batch):\n"
        "    assert not f.stats.cache_misses and f.stats.cache_hits, (f, f.stats)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_local_draws_are_uniform_without_replacement():
    from kibs_spatial.analysis.statistics.permutation import random_units

    n, unit, size = 11, 4, 3
    counts = np.zeros((size, n), dtype=int)
    for perm in range(4000):
        seq = random_units(12345, unit, perm, n, size)
        assert len(set(seq.tolist())) == size and unit not in seq
        counts[np.arange(size), seq] += 1
    for t in range(size):
        assert stats.chisquare(np.delete(counts[t], unit)).pvalue > 0.001
