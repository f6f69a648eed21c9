"""Comparison with esda (independent implementation) on the same weights; W never mutated."""

from __future__ import annotations

import copy
import sys
import warnings
from pathlib import Path

import esda
import numpy as np
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))
from test_statistics_support import (  # noqa: E402
    assert_same_w,
    idw_knn_w,
    lattice_w,
    skewed_values,
    snapshot,
    voronoi_w,
)

from kibs_spatial.analysis.statistics import (  # noqa: E402
    bivariate_local_moran,
    global_moran,
    local_statistics,
)

WEIGHTS = {
    "lattice": lambda: lattice_w(14, 14),
    "voronoi": lambda: voronoi_w(170, 7),
    "idw_knn": lambda: idw_knn_w(160, 6, 8, island=False),
}
BINARY = ("lattice", "voronoi")


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("name", sorted(WEIGHTS))
def test_local_moran_i_equals_esda(name):
    w = WEIGHTS[name]()
    values = skewed_values(w.n, 3, 11)
    res = local_statistics(w, values, permutations=0)
    for c in range(values.shape[1]):
        ref = esda.Moran_Local(values[:, c], copy.deepcopy(w), permutations=0)
        np.testing.assert_allclose(res.lisa_i[:, c], ref.Is, rtol=0, atol=1e-10)
        quadrant = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
        # with alpha ~ 1 every unit is significant, so the label is the esda quadrant
        loose = local_statistics(w, values[:, c], permutations=0, alpha=1 - 1e-12, fdr="none")
        assert list(loose.lisa_cl[:, 0]) == [quadrant[q] for q in ref.q]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("star", [True, False])
def test_getis_ord_z_equals_esda_on_binary_weights(name, star):
    w = WEIGHTS[name]()
    values = skewed_values(w.n, 3, 12)
    res = local_statistics(w, values, permutations=0, star=star)
    for c in range(values.shape[1]):
        ref = esda.G_Local(values[:, c], copy.deepcopy(w), transform="B", star=star,
                           permutations=0)
        np.testing.assert_allclose(res.gi_z[:, c], ref.Zs, rtol=0, atol=1e-10)
        np.testing.assert_allclose(res.gi_g[:, c], ref.Gs, rtol=1e-12, atol=0)


def test_gi_star_z_is_invariant_to_row_standardisation():
    w = WEIGHTS["idw_knn"]()
    values = skewed_values(w.n, 2, 13)
    w_r = copy.deepcopy(w)
    w_r.transform = "R"
    a = local_statistics(w, values, permutations=0)
    b = local_statistics(w_r, values, permutations=0)
    np.testing.assert_allclose(a.gi_z, b.gi_z, rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.lisa_z, b.lisa_z, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", sorted(WEIGHTS))
def test_global_moran_equals_esda(name):
    w = WEIGHTS[name]()
    values = skewed_values(w.n, 3, 14)
    ours = global_moran(w, values, permutations=999)
    for c, res in enumerate(ours):
        np.random.seed(c)  # esda.Moran draws from numpy's global generator
        ref = esda.Moran(values[:, c], copy.deepcopy(w), permutations=999)
        for ours_value, ref_value in [
            (res.I, ref.I), (res.expected_i, ref.EI), (res.z_rand, ref.z_rand),
            (res.p_rand, ref.p_rand), (res.z_norm, ref.z_norm), (res.p_norm, ref.p_norm),
        ]:
            assert ours_value == pytest.approx(ref_value, abs=1e-10)
        assert res.n == w.n
        # p_sim: equal tails; the same definition over esda's own draws estimates the same p
        ref_p = min(1.0, 2 * (1 + min(np.sum(ref.sim >= ref.I), np.sum(ref.sim <= ref.I))) / 1000)
        assert round(res.p_sim * 1000, 6) == int(round(res.p_sim * 1000))
        # two independent Monte Carlo estimates of one p: their difference has sd sqrt(2 p (1 - p) / 999)
        assert abs(res.p_sim - ref_p) <= 4 * np.sqrt(2 * ref_p * (1 - ref_p) / 1000) + 2 / 1000


def test_bivariate_local_moran_i_equals_esda():
    w = WEIGHTS["voronoi"]()
    x, y = skewed_values(w.n, 2, 15).T
    res = bivariate_local_moran(w, x, y, permutations=0)
    ref = esda.Moran_Local_BV(x, y, copy.deepcopy(w), permutations=0)
    np.testing.assert_allclose(res.i[:, 0], ref.Is, rtol=0, atol=1e-10)
    same = bivariate_local_moran(w, x, x, permutations=0)
    uni = local_statistics(w, x, permutations=0)
    np.testing.assert_allclose(same.i, uni.lisa_i, rtol=0, atol=1e-12)
    np.testing.assert_allclose(same.z, uni.lisa_z, rtol=0, atol=1e-10)


def test_no_function_mutates_w():
    for name in sorted(WEIGHTS):
        w = WEIGHTS[name]()
        snap = snapshot(w)
        values = skewed_values(w.n, 2, 16)
        local_statistics(w, values, permutations=19, star=True)
        local_statistics(w, values, permutations=19, star=False)
        global_moran(w, values, permutations=19)
        bivariate_local_moran(w, values[:, 0], values[:, 1], permutations=19)
        assert_same_w(w, snap)


def test_pseudo_p_values_agree_with_esda_in_distribution():
    """esda's p_sim is the smaller one-sided tail: compare it with min(greater, less)."""
    w = lattice_w(15, 15)
    rng = np.random.default_rng(21)
    values = rng.normal(size=(w.n, 40)) + np.repeat(rng.normal(size=(w.n // 9 + 1, 40)), 9, 0)[: w.n]
    perms = 999
    greater = local_statistics(w, values, permutations=perms, seed=1, alternative="greater")
    less = local_statistics(w, values, permutations=perms, seed=1, alternative="less")
    two = local_statistics(w, values, permutations=perms, seed=1)
    ours = {"lisa": np.minimum(greater.lisa_p, less.lisa_p),
            "gi": np.minimum(greater.gi_p, less.gi_p)}
    theirs = {"lisa": [], "gi": []}
    for c in range(values.shape[1]):
        y = values[:, c]
        theirs["lisa"].append(esda.Moran_Local(y, copy.deepcopy(w), permutations=perms, seed=c,
                                               keep_simulations=False, n_jobs=1).p_sim)
        theirs["gi"].append(esda.G_Local(y, copy.deepcopy(w), star=True, permutations=perms,
                                         seed=c, keep_simulations=False, n_jobs=1).p_sim)
    for stat in ("lisa", "gi"):
        a = ours[stat].ravel()
        b = np.column_stack(theirs[stat]).ravel()
        assert stats.ks_2samp(a, b).pvalue > 0.01, stat
        # same data, same null: per-unit estimates of the same p differ only by MC noise
        assert np.mean(np.abs(a - b)) < 0.02, stat
        assert np.corrcoef(a, b)[0, 1] > 0.98, stat
    # the two-sided p is twice the smaller one-sided p on the same draws, capped at 1 (equal tails)
    assert np.all(two.lisa_p <= 1.0)
    np.testing.assert_array_equal(two.lisa_p, np.minimum(1.0, 2 * np.minimum(greater.lisa_p, less.lisa_p)))
    np.testing.assert_array_equal(two.gi_p, np.minimum(1.0, 2 * np.minimum(greater.gi_p, less.gi_p)))
