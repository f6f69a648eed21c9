"""Tests added after mutation testing (issue 11): each pins a behaviour that a surviving mutant of
``analysis/statistics`` changed without any test failing. References are closed-form values or
independent implementations (esda, scipy), never our own earlier output."""

from __future__ import annotations

import copy
import sys
import warnings
from pathlib import Path

import esda
import libpysal
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_statistics_support import lattice_w  # noqa: E402

from kibs_spatial.analysis.statistics import geary, join_counts  # noqa: E402


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_join_counts_of_a_map_without_black_units_are_fixed_and_untested():
    """No black unit: BB = BW = 0 and WW = S0 / 2 with certainty (variance 0), so no z and no p."""
    w = lattice_w(5, 5)
    for alternative in ("two-sided", "greater", "less"):
        res = join_counts(w, np.zeros(w.n), permutations=0, alternative=alternative)[0]
        assert (res.bb, res.bw, res.ww) == (0.0, 0.0, w.s0 / 2)
        assert (res.expected_bb, res.variance_bb, res.expected_ww, res.variance_ww) == (0.0, 0.0, w.s0 / 2, 0.0)
        assert np.isnan([res.p_bb, res.p_ww, res.p_bw]).all()


def test_geary_is_defined_from_four_units_as_in_esda():
    """n = 4 is the smallest layer with a randomisation variance (it divides by n - 3): C, both
    variances and z equal esda's; three units give NaN (no variance)."""
    w = libpysal.weights.W({0: [1, 2], 1: [0, 3], 2: [0, 3], 3: [1, 2]})  # a 4-cycle
    values = np.array([1.0, 4.0, 2.0, 7.0])
    res = geary(w, values, permutations=0)[0]
    ref = esda.Geary(values, copy.deepcopy(w), permutations=0)
    assert res.n == 4
    np.testing.assert_allclose([res.C, res.variance_norm, res.variance_rand, res.z_norm, res.z_rand],
                               [ref.C, ref.VC_norm, ref.VC_rand, ref.z_norm, ref.z_rand], rtol=0, atol=1e-12)
    three = geary(w, np.array([1.0, 4.0, 2.0, np.nan]), permutations=0)[0]
    assert three.n == 3 and np.isnan(three.C)


def test_aligned_zeros_start_on_a_cache_line():
    """The padded copy of the complete columns starts on a 64-byte boundary, whatever address numpy gave."""
    from kibs_spatial.analysis.statistics.inference import _aligned_zeros

    keep = []
    for rows in range(1, 40):
        keep.append(np.empty(rows))  # shift the allocator so the raw buffers start at varied addresses
        for shape in ((rows, 8), (rows + 1, 16), (3, rows)):
            for dtype in (np.float64, np.float32):
                a = _aligned_zeros(shape, dtype=dtype)
                assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous and not a.any()
                assert a.ctypes.data % 64 == 0


def test_permutation_memory_is_shared_part_plus_a_part_per_thread():
    """Documented shape of the estimate: affine in the number of threads (same increment per added
    thread), at least the 24 bytes of counts per unit and column, growing with units and columns."""
    from kibs_spatial.analysis.statistics.inference import permutation_memory

    for n, k in ((100, 1), (5_000, 12), (250_000, 3)):
        one, two, three = (permutation_memory(n, k, threads=t) for t in (1, 2, 3))
        assert two - one == three - two > 0
        assert one >= 24 * n * k
        assert permutation_memory(2 * n, k, threads=1) > one < permutation_memory(n, k + 1, threads=1)
        # the per-thread buffers (one unit's draws and per-column counts) grow with units and columns
        assert permutation_memory(2 * n, k, threads=2) - permutation_memory(2 * n, k, threads=1) > two - one
        assert permutation_memory(n, k + 1, threads=2) - permutation_memory(n, k + 1, threads=1) > two - one


def test_permutations_allowed_in_an_analysis_file_run_from_the_documented_99():
    """``MIN_PERMUTATIONS`` (99) to ``MAX_PERMUTATIONS`` (999,999), as the inference module documents."""
    import dataclasses

    from kibs_spatial.analysis.settings import StatisticsConfig
    from kibs_spatial.errors import InputError
    from kibs_spatial.io.config import check_statistics

    base = StatisticsConfig()
    for ok in (99, 999_999):
        check_statistics(dataclasses.replace(base, permutations=ok), str)
    for bad in (98, 1_000_000):
        with pytest.raises(InputError, match="permutations"):
            check_statistics(dataclasses.replace(base, permutations=bad), str)


def _varied_knn_w(n: int, seed: int, binary: bool) -> libpysal.weights.W:
    """Unit i has 1 + (7 i mod 20) nearest neighbours (1 to 20: every unrolled and the word-by-word
    draw path of the kernel), inverse-distance (all different) or binary weights; unit n-1 an island."""
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2)) * 100
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(dist, np.inf)
    neighbors, weights = {}, {}
    for i in range(n):
        nbrs = [] if i == n - 1 else [int(j) for j in np.argsort(dist[i])[: 1 + (7 * i) % 20] if j != n - 1]
        neighbors[i] = nbrs
        weights[i] = [1.0 if binary else 1.0 / dist[i, j] for j in nbrs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return libpysal.weights.W(neighbors, weights, id_order=list(range(n)))


@pytest.mark.parametrize("precision", ["double", "single"])
@pytest.mark.parametrize("values", ["lognormal", "near_ties"])
@pytest.mark.parametrize("binary", [False, True], ids=["idw", "binary"])
def test_local_permutation_p_values_equal_a_brute_force_count_over_the_engines_draws(binary, values, precision,
                                                                                   monkeypatch):
    """Conditional permutation p of local Moran and Gi*, recounted in plain numpy (double precision) from
    the documented null (``random_units`` gives the draw sequence of unit i, permutation p; a column with
    missing values uses the first units of that sequence that have a value) and the documented p-value
    formulas of every alternative. Several complete columns (padded lanes) and one with gaps.
    ``near_ties``: three integer levels with a jitter of 1e-8, above the tie tolerance (1e-10) but below what
    single precision resolves, so that many simulated sums lie too close to the observed one for a
    single-precision pass and the double-precision recount decides. ``single``: the kernel reads
    the complete columns in single precision, as it does for tables larger than ``SINGLE_BYTES``."""
    from kibs_spatial.analysis.statistics import local_statistics, permutation

    if precision == "single":
        monkeypatch.setattr(permutation, "SINGLE_BYTES", 0)
    from kibs_spatial.analysis.statistics._graph import graph_from_w
    from kibs_spatial.analysis.statistics.permutation import random_units

    n, perms, seed = 70, 99, 11
    k = 37 if precision == "single" else 10  # single: 36 complete columns, two 32-column masks, one part-used
    w = _varied_knn_w(n, 5, binary)
    rng = np.random.default_rng(8)
    if values == "near_ties":
        x = rng.integers(0, 3, size=(n, k)) + 1e-8 * rng.random((n, k))
    else:
        x = np.exp(rng.normal(size=(n, k)))
    x[rng.random(n) < 0.15, k - 1] = np.nan  # the last column has gaps
    graph = graph_from_w(w)
    ge, le, far = (np.zeros(x.shape, dtype=np.int64) for _ in range(3))
    defined = np.zeros(x.shape, dtype=bool)
    sequences = {}
    for i in range(n):
        row = slice(graph.indptr[i], graph.indptr[i + 1])
        nbrs, wts = graph.indices[row], graph.data[row]
        if len(nbrs) == 0:
            continue
        draws = [random_units(np.uint64(seed), i, p, n, n - 1) for p in range(perms)]
        sequences[i] = draws
        for c in range(x.shape[1]):
            col = x[:, c] - np.nanmean(x[:, c])
            ok = ~np.isnan(col)
            keep = ok[nbrs]
            if not ok[i] or not keep.any():
                continue
            defined[i, c] = True
            wv = wts[keep]
            observed = wv @ col[nbrs[keep]]
            others = np.delete(col[ok], np.flatnonzero(np.flatnonzero(ok) == i))
            centre = wv.sum() * others.mean()
            sims = np.array([wv @ col[d[ok[d]][: keep.sum()]] for d in draws])
            tol = 1e-10 * wv.sum() * np.nanmax(np.abs(col))  # TIE_TOLERANCE
            ge[i, c] = np.sum(sims >= observed - tol)
            le[i, c] = np.sum(sims <= observed + tol)
            far[i, c] = np.sum(np.abs(sims - centre) >= abs(observed - centre) - tol)
    dev_sign = np.sign(x - np.nanmean(x, axis=0))
    for alternative in ("two-sided", "two-sided-folded", "greater", "less"):
        res = local_statistics(w, x, permutations=perms, seed=seed, alternative=alternative, fdr="none")
        for name, direction in (("lisa_p", dev_sign), ("gi_p", np.ones_like(dev_sign))):
            if alternative == "two-sided":
                ref = np.minimum(1.0, 2.0 * (1 + np.minimum(ge, le)) / (perms + 1))
            elif alternative == "two-sided-folded":
                ref = (1.0 + far) / (perms + 1)
            else:
                upper = (direction > 0) == (alternative == "greater")
                ref = (1.0 + np.where(upper, ge, le)) / (perms + 1)
            ref = np.where(defined, ref, np.nan)
            np.testing.assert_allclose(getattr(res, name), ref, rtol=0, atol=1e-15, err_msg=f"{name} {alternative}")


def _same_p_estimate(ours: float, theirs: float, permutations: int) -> None:
    """Two independent Monte Carlo estimates of one upper-tail p differ by at most 4 sd (+ 2 draws)."""
    sd = np.sqrt(2 * theirs * (1 - theirs) / (permutations + 1))
    assert abs(ours - theirs) <= 4 * sd + 2 / (permutations + 1), (ours, theirs)


def test_join_count_permutation_p_of_every_join_kind_agrees_with_esda():
    """p_sim of WW and BW, not only BB: WW of a map is BB of the map with the colours swapped (so esda's
    p_sim_bb of the swapped map is a reference for WW), BW is esda's p_sim_bw; both upper tails
    (our ``greater``). White clumps, so the WW p is small and a wrong null shows."""
    w = lattice_w(12, 12)
    rng = np.random.default_rng(21)
    rows, cols = np.divmod(np.arange(w.n), 12)
    black = ((rows // 4 + cols // 4) % 2 == 0) ^ (rng.random(w.n) < 0.15)
    black = black.astype(float)
    perms = 999
    ours = join_counts(w, black, permutations=perms, seed=5, alternative="greater")[0]
    swapped = join_counts(w, 1 - black, permutations=perms, seed=5, alternative="greater")[0]
    assert (ours.ww, ours.expected_ww, ours.variance_ww) == (swapped.bb, swapped.expected_bb, swapped.variance_bb)
    assert ours.p_sim_ww == swapped.p_sim_bb  # the same shuffles, the same definition
    np.random.seed(0)
    ref_ww = esda.Join_Counts(1 - black, copy.deepcopy(w), permutations=perms)
    np.random.seed(1)
    ref = esda.Join_Counts(black, copy.deepcopy(w), permutations=perms)
    assert ours.ww == ref_ww.bb and ours.bw == ref.bw
    _same_p_estimate(ours.p_sim_ww, ref_ww.p_sim_bb, perms)
    _same_p_estimate(ours.p_sim_bw, ref.p_sim_bw, perms)
    _same_p_estimate(ours.p_sim_bb, ref.p_sim_bb, perms)


@pytest.mark.parametrize("function", ["global_moran", "geary", "general_g", "local_statistics"])
def test_a_values_array_of_the_wrong_length_is_refused_by_name(function):
    import kibs_spatial.analysis.statistics as S
    from kibs_spatial.errors import InputError

    w = lattice_w(4, 4)
    with pytest.raises(InputError, match=r"^values has shape \(15, 1\), expected \(16, k\)"):
        getattr(S, function)(w, np.ones((15, 1)), permutations=0)


def test_correlogram_plot_fills_the_markers_of_the_lags_significant_at_5_percent_by_default():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kibs_spatial.analysis.statistics import contiguity_correlogram

    rows, cols = np.divmod(np.arange(100), 10)
    x = np.sin(rows / 3.0) + np.random.default_rng(2).normal(scale=0.6, size=100)
    cor = contiguity_correlogram(lattice_w(10, 10), x, max_order=6, permutations=0)
    p = np.array([r[0].p_rand for r in cor.results])
    assert (p <= 0.05).any() and (p > 0.05).any()  # both kinds of marker are drawn
    ax = cor.plot(0)
    _, filled, hollow = ax.lines[:3]
    assert list(filled.get_xdata()) == list(np.arange(1, 7)[p <= 0.05])
    assert list(hollow.get_xdata()) == list(np.arange(1, 7)[p > 0.05])
    plt.close(ax.figure)


def test_global_tables_have_the_documented_columns_and_esda_values():
    """``*_table``: one row per column with the documented column names; values checked against esda
    (normal p two-sided from esda's z; esda's ``p_norm`` of G and ``p_rand`` of Geary are one-sided)."""
    from scipy import stats

    from kibs_spatial.analysis.statistics import (
        geary,
        geary_table,
        general_g,
        general_g_table,
        global_moran,
        join_counts,
        join_counts_table,
        moran_table,
    )

    w = lattice_w(8, 8)
    rng = np.random.default_rng(4)
    values = np.exp(rng.normal(size=(w.n, 2))) + np.arange(w.n)[:, None] % 5
    black = (values > np.median(values, axis=0)).astype(float)
    g = general_g_table(general_g(w, values, permutations=0))
    c = geary_table(geary(w, values, permutations=0))
    m = moran_table(global_moran(w, values, permutations=0))
    j = join_counts_table(join_counts(w, black, permutations=0))
    assert list(g.columns) == ["g", "expected_g", "z", "p_norm", "p_sim", "n"]
    assert list(c.columns) == ["geary_c", "expected_c", "z_rand", "p_rand", "p_sim", "n"]
    assert list(m.columns) == ["moran_i", "expected_i", "z_rand", "p_rand", "p_sim", "n"]
    assert list(j.columns) == [f"{s}_{k}" if s else k for k in ("bb", "ww", "bw")
                               for s in ("", "expected", "z", "p", "p_sim")] + ["n", "n_black"]
    for col in range(2):
        rg = esda.G(values[:, col], copy.deepcopy(w), permutations=0)
        rc = esda.Geary(values[:, col], copy.deepcopy(w), permutations=0)
        rm = esda.Moran(values[:, col], copy.deepcopy(w), permutations=0)
        rj = esda.Join_Counts(black[:, col], copy.deepcopy(w), permutations=0)
        np.testing.assert_allclose(g.loc[col, ["g", "expected_g", "z", "p_norm"]].astype(float),
                                   [rg.G, rg.EG, rg.z_norm, 2 * stats.norm.sf(abs(rg.z_norm))], rtol=1e-9)
        np.testing.assert_allclose(c.loc[col, ["geary_c", "expected_c", "z_rand", "p_rand"]].astype(float),
                                   [rc.C, rc.EC, rc.z_rand, 2 * stats.norm.sf(abs(rc.z_rand))], rtol=1e-9)
        np.testing.assert_allclose(m.loc[col, ["moran_i", "expected_i", "z_rand", "p_rand"]].astype(float),
                                   [rm.I, rm.EI, rm.z_rand, 2 * stats.norm.sf(abs(rm.z_rand))], rtol=1e-9)
        np.testing.assert_allclose(j.loc[col, ["bb", "ww", "bw", "n", "n_black"]].astype(float),
                                   [rj.bb, rj.ww, rj.bw, w.n, black[:, col].sum()], rtol=0)
        assert np.isnan(g.loc[col, "p_sim"]) and g.loc[col, "n"] == w.n
