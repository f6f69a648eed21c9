"""Geary's C, local Geary, general G, join counts, Moran correlograms and spatial Markov chains,
checked against esda, giddy and R's spdep, and for the engine's promises (exact draws, missing
values left out, thread-count independence, W untouched, honest p-values)."""

from __future__ import annotations

import copy
import doctest
import importlib
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import esda
import libpysal
import numpy as np
import pandas as pd
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))
from system_programs import require  # noqa: E402
from test_statistics_support import (  # noqa: E402
    assert_same_w,
    idw_knn_w,
    lattice_w,
    skewed_values,
    snapshot,
    voronoi_w,
)

from kibs_spatial.analysis import markov  # noqa: E402
from kibs_spatial.analysis.statistics import (  # noqa: E402
    contiguity_correlogram,
    distance_correlogram,
    geary,
    general_g,
    global_moran,
    join_counts,
    local_geary,
)
from kibs_spatial.analysis.statistics._graph import graph_from_w  # noqa: E402
from kibs_spatial.analysis.statistics.permutation import random_units  # noqa: E402
from kibs_spatial.analysis.statistics.quadratic_forms import (  # noqa: E402
    equal_tails_p,
    restrict,
    simulate,
)
from kibs_spatial.errors import InputError  # noqa: E402

WEIGHTS = {
    "lattice": lambda: lattice_w(12, 12),
    "voronoi": lambda: voronoi_w(150, 7),
    "idw_knn": lambda: idw_knn_w(140, 6, 8, island=False),
}
SCRIPT = Path(__file__).parent / "r" / "autocorrelation_reference.R"
MAX_DIFF: dict[str, float] = {}  # statistic -> largest difference from the reference, printed by the R test


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _record(name: str, ours, theirs) -> None:
    diff = float(np.nanmax(np.abs(np.asarray(ours, float) - np.asarray(theirs, float))))
    MAX_DIFF[name] = max(MAX_DIFF.get(name, 0.0), diff)


def _close(name: str, ours, theirs, atol: float = 1e-10, rtol: float = 0.0) -> None:
    _record(name, ours, theirs)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def _same_p_estimate(ours: float, theirs: float, permutations: int, two_sided: bool) -> None:
    """Two independent Monte Carlo estimates of one p differ by at most 4 sd of their difference."""
    tail = min(theirs / 2, 0.5) if two_sided else theirs
    sd = (2 if two_sided else 1) * np.sqrt(2 * tail * (1 - tail) / (permutations + 1))
    MAX_DIFF["permutation p, global (esda, largest |difference|)"] = max(
        MAX_DIFF.get("permutation p, global (esda, largest |difference|)", 0.0), abs(ours - theirs))
    assert abs(ours - theirs) <= 4 * sd + 2 / (permutations + 1)


def _binary_map(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.repeat(rng.random(n // 4 + 1) < 0.3, 4)[:n]  # clumps of four
    return (base ^ (rng.random(n) < 0.1)).astype(float)


# -- esda ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(WEIGHTS))
def test_geary_c_equals_esda(name):
    w = WEIGHTS[name]()
    values = skewed_values(w.n, 3, 31)
    for c, res in enumerate(geary(w, values, permutations=999, seed=2)):
        np.random.seed(c)
        ref = esda.Geary(values[:, c], copy.deepcopy(w), permutations=999)
        _close("geary C (esda)", [res.C, res.variance_norm, res.variance_rand, res.z_norm, res.z_rand],
               [ref.C, ref.VC_norm, ref.VC_rand, ref.z_norm, ref.z_rand])
        assert res.expected_c == ref.EC == 1.0
        # esda's p_rand is one-sided (the tail the sign points to); ours is two-sided
        assert res.p_rand == pytest.approx(min(1.0, 2 * ref.p_rand), abs=1e-12)
        ref_p = min(1.0, 2 * (1 + min(np.sum(ref.sim >= ref.C), np.sum(ref.sim <= ref.C))) / 1000)
        _same_p_estimate(res.p_sim, ref_p, 999, two_sided=True)


@pytest.mark.parametrize("name", ["lattice", "voronoi"])
def test_general_g_equals_esda(name):
    w = WEIGHTS[name]()
    values = skewed_values(w.n, 3, 32)
    for c, res in enumerate(general_g(w, values, permutations=999, seed=3)):
        np.random.seed(c)
        ref = esda.G(values[:, c], copy.deepcopy(w), permutations=999)
        _close("general G (esda)", [res.G, res.expected_g], [ref.G, ref.EG], atol=1e-14)
        _close("general G variance (esda)", res.variance, ref.VG, atol=1e-14)
        _close("general G z (esda)", res.z, ref.z_norm, atol=1e-9)
        ref_p = min(1.0, 2 * (1 + min(np.sum(ref.sim >= ref.G), np.sum(ref.sim <= ref.G))) / 1000)
        _same_p_estimate(res.p_sim, ref_p, 999, two_sided=True)


@pytest.mark.parametrize("name", ["lattice", "voronoi"])
def test_join_counts_equal_esda(name):
    w = WEIGHTS[name]()
    black = np.column_stack([_binary_map(w.n, s) for s in (1, 2, 3)])
    for c, res in enumerate(join_counts(w, black, permutations=199, seed=4, alternative="greater")):
        np.random.seed(c)
        ref = esda.Join_Counts(black[:, c], copy.deepcopy(w), permutations=199 if c == 0 else 0)
        _close("join counts (esda)", [res.bb, res.ww, res.bw], [ref.bb, ref.ww, ref.bw], atol=0)
        assert res.bb + res.ww + res.bw == pytest.approx(w.s0 / 2)
        if c == 0:  # esda's p_sim_bb is the upper tail, (1 + #{BB* >= BB}) / (P + 1): our "greater"
            _same_p_estimate(res.p_sim_bb, ref.p_sim_bb, 199, two_sided=False)


@pytest.mark.parametrize("name", sorted(WEIGHTS))
def test_local_geary_equals_esda(name):
    w = WEIGHTS[name]()
    values = skewed_values(w.n, 3, 33)
    res = local_geary(w, values, permutations=0)
    for c in range(values.shape[1]):
        ref = esda.Geary_Local(connectivity=copy.deepcopy(w), permutations=0).fit(values[:, c])
        _close("local Geary c (esda)", res.c[:, c], ref.localG)


def test_cumulative_distance_correlogram_equals_esda():
    w = voronoi_w(120, 9)
    rng = np.random.default_rng(6)
    xy = rng.random((w.n, 2)) * 100
    y = xy[:, 0] / 10 + rng.normal(size=w.n)
    support = [15.0, 25.0, 40.0]
    ours = distance_correlogram(xy, y, support, cumulative=True, permutations=0).to_frame()
    import geopandas as gpd

    ref = esda.correlogram(gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1])), y, support=support,
                           stat_kwargs={"permutations": 0}, n_jobs=1)
    _close("distance correlogram I (esda)", ours["moran_i"], ref["I"])


def test_contiguity_correlogram_equals_moran_on_higher_order_weights():
    w = voronoi_w(150, 7)
    values = skewed_values(w.n, 2, 34)
    cor = contiguity_correlogram(w, values, max_order=4, permutations=99, seed=5)
    for order, per_lag in enumerate(cor.results, start=1):
        wk = libpysal.weights.higher_order(copy.deepcopy(w), order, silence_warnings=True)
        for c, res in enumerate(per_lag):
            ref = esda.Moran(values[:, c], copy.deepcopy(wk), permutations=0)
            _close("contiguity correlogram I (esda)", [res.I, res.variance_rand], [ref.I, ref.VI_rand])
    assert cor.pairs[0] == w.s0


def test_spatial_markov_equals_giddy():
    from giddy.markov import Spatial_Markov

    w = lattice_w(12, 12)
    rng = np.random.default_rng(7)
    y = np.exp(rng.normal(0, 0.6, (w.n, 1)) + rng.normal(0, 0.3, (w.n, 5)).cumsum(axis=1))
    ours = markov.spatial_markov(w, y, cutoffs=(0.8, 1.25, 2.0), lag_cutoffs=(0.9, 1.1, 1.6))
    wr = copy.deepcopy(w)
    wr.transform = "r"
    ref = Spatial_Markov(y, wr, cutoffs=[0.8, 1.25, 2.0], lag_cutoffs=[0.9, 1.1, 1.6], fixed=True)
    np.testing.assert_array_equal(ours.transitions, ref.transitions)
    np.testing.assert_array_equal(ours.conditional_transitions, ref.T)
    _close("spatial Markov P (giddy)", ours.conditional_probabilities, ref.P, atol=1e-15)
    _close("spatial Markov p (giddy)", ours.probabilities, ref.p, atol=1e-15)
    _close("spatial Markov Q, LR (giddy)", [ours.q, ours.lr], [ref.Q, ref.LR], atol=1e-10)
    assert ours.dof == ref.dof_hom
    frame = ours.to_frame()
    assert len(frame) == 16 * 5 and frame["count"].sum() == 2 * ours.transitions.sum()


def test_spatial_markov_missing_values_and_pooling():
    w = lattice_w(6, 6)
    rng = np.random.default_rng(8)
    y = np.exp(rng.normal(0, 0.7, (w.n, 3, 2)))
    pooled = markov.spatial_markov(w, y)
    parts = [markov.spatial_markov(w, y[:, :, s]) for s in range(2)]
    np.testing.assert_array_equal(pooled.transitions, parts[0].transitions + parts[1].transitions)
    y[4, 1, 0] = np.nan  # breaks two transitions of unit 4
    missing = markov.spatial_markov(w, y)
    assert missing.transitions.sum() == pooled.transitions.sum() - 2
    assert np.allclose(missing.probabilities.sum(axis=1)[missing.transitions.sum(axis=1) > 0], 1.0)
    with pytest.raises(InputError, match="increasing"):
        markov.spatial_markov(w, y, cutoffs=(2.0, 1.0))


# -- the engine's promises -------------------------------------------------------------------

def test_quadratic_form_kernel_reproduces_global_moran_p_sim():
    w = voronoi_w(150, 7)
    x = skewed_values(w.n, 1, 35)[:, 0]
    sub = restrict(graph_from_w(w).matrix(), np.ones(w.n, bool), standardize=True)
    z = x - x.mean()
    scale = w.n / (sub.sum() * (z**2).sum())
    res = global_moran(w, x, permutations=999, seed=11)[0]
    sims = simulate(sub, z, np.zeros(w.n), 1.0, scale, 999, 11)
    assert equal_tails_p(sims, res.I) == res.p_sim
    # chunks of the permutations give the values of one call
    assert np.array_equal(simulate(sub, z, np.zeros(w.n), 1.0, scale, 20_000, 11)[:999], sims)


def test_local_geary_draws_are_the_engines_draws():
    """Brute force with ``random_units`` (the engine's draw sequence) gives exactly our p-values."""
    w = voronoi_w(60, 3)
    x = skewed_values(w.n, 1, 36)[:, 0]
    res = local_geary(w, x, permutations=199, seed=9)
    graph = graph_from_w(w)
    z = (x - x.mean()) / x.std()
    for i in (0, 17, 59):
        row = slice(graph.indptr[i], graph.indptr[i + 1])
        weights = graph.data[row] / graph.data[row].sum()
        sims = np.array([weights @ (z[i] - z[random_units(np.uint64(9), i, p, w.n, len(weights))]) ** 2
                         for p in range(199)])
        assert equal_tails_p(sims, res.c[i, 0]) == pytest.approx(res.p[i, 0], abs=1e-15)
        assert sims.mean() == pytest.approx(res.expected[i, 0], rel=0.05)


def test_local_geary_moments_are_exact():
    """The analytic mean and variance equal those of the enumerated conditional permutation null."""
    from itertools import permutations

    w = lattice_w(3, 3)
    x = np.array([1.0, 4.0, 2.0, 8.0, 3.0, 5.0, 7.0, 6.0, 9.5])
    res = local_geary(w, x, permutations=0)
    z = (x - x.mean()) / x.std()
    i = 0  # a corner: 3 neighbours
    others = np.delete(z, i)
    sims = np.array([np.mean((z[i] - others[list(d)]) ** 2) for d in permutations(range(8), 3)])
    assert res.expected[i, 0] == pytest.approx(sims.mean(), rel=1e-12)
    assert ((res.c[i, 0] - res.expected[i, 0]) / res.z[i, 0]) ** 2 == pytest.approx(sims.var(), rel=1e-12)


def test_results_do_not_depend_on_threads_or_on_the_other_columns():
    w = voronoi_w(150, 7)
    values = skewed_values(w.n, 4, 37)
    values[[2, 30], 1] = np.nan
    one = local_geary(w, values, permutations=199, seed=3, n_jobs=1)
    two = local_geary(w, values, permutations=199, seed=3, n_jobs=2)
    alone = local_geary(w, values[:, 2], permutations=199, seed=3)
    progress = local_geary(w, values, permutations=199, seed=3, progress=lambda done, total: None)
    for other in (two, progress):
        np.testing.assert_array_equal(one.p, other.p)
    np.testing.assert_array_equal(one.p[:, 2], alone.p[:, 0])
    assert geary(w, values, permutations=199, seed=3, n_jobs=1) == geary(w, values, permutations=199, seed=3, n_jobs=2)


def test_missing_values_are_left_out():
    """A NaN unit is as if it were not in the layer: globals equal the subset's exactly."""
    w = voronoi_w(150, 7)
    x = skewed_values(w.n, 1, 38)[:, 0]
    x[[5, 40, 41]] = np.nan
    keep = ~np.isnan(x)
    ids = [i for i, k in zip(w.id_order, keep) if k]
    sub = libpysal.weights.w_subset(w, ids, silence_warnings=True)
    for f in (geary, general_g):
        assert f(w, x, permutations=199, seed=1) == f(sub, x[keep], permutations=199, seed=1)
    black = np.where(keep, (np.nan_to_num(x) > 20).astype(float), np.nan)
    assert join_counts(w, black, permutations=99) == join_counts(sub, black[keep], permutations=99)
    lg, lg_sub = local_geary(w, x, permutations=0), local_geary(sub, x[keep], permutations=0)
    np.testing.assert_allclose(lg.c[keep], lg_sub.c, atol=1e-12)
    np.testing.assert_allclose(lg.z[keep], lg_sub.z, atol=1e-12, equal_nan=True)
    assert set(lg.cl[~keep, 0]) == {"undefined"}


def test_islands_are_isolated_and_w_is_never_modified():
    w = idw_knn_w(100, 4, 5, island=True)
    snap = snapshot(w)
    values = skewed_values(w.n, 2, 39)
    res = local_geary(w, values, permutations=99)
    assert list(res.cl[-1]) == ["isolated", "isolated"] and np.isnan(res.p[-1]).all()
    geary(w, values, permutations=9)
    general_g(w, values, permutations=9)
    join_counts(w, (values > 15).astype(float), permutations=9)
    contiguity_correlogram(w, values, max_order=2, permutations=9)
    markov.spatial_markov(w, values / values.mean())
    assert_same_w(w, snap)


def test_local_geary_p_values_are_honest_on_noise():
    """Two-sided equal tails: about 5 % of p <= 0.05 on pure noise, never above 1, never below min_p."""
    w = lattice_w(15, 15)
    values = np.random.default_rng(10).lognormal(size=(w.n, 30))
    res = local_geary(w, values, permutations=199, seed=2)
    rate = np.mean(res.p <= 0.05)
    assert 0.03 < rate < 0.07, rate
    assert res.p.max() <= 1.0 and res.p.min() >= res.min_p - 1e-15


def test_signals_are_found_and_labelled():
    w = lattice_w(10, 10)
    x = np.add.outer(np.arange(10.0), np.arange(10.0)).ravel()  # a smooth gradient
    assert geary(w, x, permutations=199)[0].p_sim <= 0.01
    lg = local_geary(w, x, permutations=199, fdr="none")
    assert {"HH", "LL"} <= set(lg.cl[:, 0]) and "NEG" not in set(lg.cl[:, 0])
    checker = (np.add.outer(np.arange(10), np.arange(10)) % 2).ravel().astype(float)
    rook = libpysal.weights.lat2W(10, 10)
    jc = join_counts(rook, checker, permutations=199)[0]
    assert jc.bb == 0 and jc.z_bw > 5 and jc.p_sim_bw <= 0.01  # a chessboard: black never meets black


def test_bad_input_is_refused_clearly():
    w = lattice_w(4, 4)
    with pytest.raises(InputError, match="binary"):
        join_counts(w, np.arange(16.0))
    with pytest.raises(InputError, match=">= 0"):
        general_g(w, np.arange(16.0) - 3)
    with pytest.raises(InputError, match="bands"):
        distance_correlogram(np.zeros((16, 2)), np.arange(16.0), [10, 5])


@pytest.mark.parametrize("module", ["statistics.geary", "statistics.general_g", "statistics.join_counts",
                                    "statistics.local_geary", "statistics.correlogram", "markov"])
def test_docstring_examples(module):
    found = doctest.testmod(importlib.import_module(f"kibs_spatial.analysis.{module}"), extraglobs={"np": np})
    assert found.attempted > 0 and found.failed == 0


def test_correlogram_plot_and_frame():
    import matplotlib

    matplotlib.use("Agg")
    w = lattice_w(8, 8)
    x = np.add.outer(np.arange(8.0), np.arange(8.0)).ravel()
    cor = contiguity_correlogram(w, np.column_stack([x, x[::-1]]), max_order=4, permutations=99)
    frame = cor.to_frame(["a", "b"])
    assert len(frame) == 8 and list(frame["lag"][:4]) == [1, 2, 3, 4]
    ax = cor.plot(0)
    assert ax.get_ylabel() == "Moran's I" and len(ax.lines) == 4


# -- R spdep ---------------------------------------------------------------------------------

def _require_r() -> str:
    rscript = shutil.which("Rscript")
    ok = rscript is not None and subprocess.run(
        [rscript, "-e", "quit(status = !requireNamespace('spdep', quietly = TRUE))"], capture_output=True,
    ).returncode == 0
    require(ok, "Rscript with spdep not available (apt-get install r-base-core r-cran-spdep)")
    return rscript


def test_statistics_match_spdep(tmp_path):
    rscript = _require_r()
    w = voronoi_w(120, 12)
    values = skewed_values(w.n, 3, 40)
    black = np.column_stack([_binary_map(w.n, s) for s in (4, 5)])
    xy = np.random.default_rng(13).random((w.n, 2)) * 100
    bands = [(0.0, 12.5), (12.5, 25.3), (25.3, 40.1)]
    order = 4
    pos = {uid: k for k, uid in enumerate(w.id_order)}
    edges = [(pos[i] + 1, pos[j] + 1, wt) for i in w.id_order for j, wt in zip(w.neighbors[i], w.weights[i])]
    pd.DataFrame(edges, columns=["from", "to", "weight"]).to_csv(tmp_path / "edges.csv", index=False)
    cols = [f"v{c}" for c in range(values.shape[1])]
    pd.DataFrame(values, columns=cols).to_csv(tmp_path / "values.csv", index=False, float_format="%.17g")
    pd.DataFrame(black.astype(int), columns=["b0", "b1"]).to_csv(tmp_path / "binary.csv", index=False)
    pd.DataFrame(xy, columns=["x", "y"]).to_csv(tmp_path / "coords.csv", index=False, float_format="%.17g")
    pd.DataFrame(bands, columns=["d1", "d2"]).to_csv(tmp_path / "bands.csv", index=False)
    (tmp_path / "order.txt").write_text(f"{order}\n")
    # local Geary's permutation p in distribution: a clustered lattice, 12 columns, 999 draws each
    lat = lattice_w(12, 12)
    rng = np.random.default_rng(5)
    perm_values = rng.normal(size=(lat.n, 12)) + np.repeat(rng.normal(size=(lat.n // 4, 12)), 4, 0)
    pd.DataFrame(perm_values, columns=[f"p{c}" for c in range(12)]).to_csv(tmp_path / "perm_values.csv", index=False,
                                                                            float_format="%.17g")
    pd.DataFrame([(i + 1, j + 1) for i in lat.id_order for j in lat.neighbors[i]],
                 columns=["from", "to"]).to_csv(tmp_path / "perm_edges.csv", index=False)
    (tmp_path / "nsim.txt").write_text("999\n")
    run = subprocess.run([rscript, str(SCRIPT), str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    ref = {name: pd.read_csv(tmp_path / f"{name}.csv")
           for name in ("geary", "localC", "globalG", "joincount", "correlogram", "bands", "localC_perm")}
    n = w.n

    for c, res in enumerate(geary(w, values, permutations=0)):
        row = ref["geary"].iloc[c]
        _close("geary C (spdep)", [res.C, res.expected_c], [row["C"], row["E"]], atol=1e-12)
        _close("geary variance (spdep)", [res.variance_rand, res.variance_norm], [row["Var_rand"], row["Var_norm"]],
               atol=1e-12)
    lg = local_geary(w, values, permutations=0)
    for c in range(values.shape[1]):
        part = ref["localC"][ref["localC"]["column"] == cols[c]]
        _close("local Geary c (spdep localC)", lg.c[:, c] * (n - 1) / n, part["C"], atol=1e-10)
    for c, res in enumerate(general_g(w, values, permutations=0)):
        row = ref["globalG"].iloc[c]
        _close("general G (spdep)", [res.G, res.expected_g], [row["G"], row["E"]], atol=1e-14)
        _close("general G variance (spdep)", res.variance, row["Var"], atol=1e-14)
    for c, res in enumerate(join_counts(w, black, permutations=0)):
        row = ref["joincount"].iloc[c]
        for j in ("BB", "WW", "BW"):
            _close(f"join count {j} (spdep)", [getattr(res, j.lower()), getattr(res, f"expected_{j.lower()}")],
                   [row[j], row[f"E_{j}"]], atol=1e-10)
            _close(f"join count {j} variance (spdep)", getattr(res, f"variance_{j.lower()}"), row[f"Var_{j}"],
                   atol=1e-10)
    cor = contiguity_correlogram(w, values, max_order=order, permutations=0).to_frame(cols)
    merged = cor.merge(ref["correlogram"], left_on=["column", "lag"], right_on=["column", "order"])
    assert len(merged) == len(cols) * order
    _close("contiguity correlogram (spdep sp.correlogram)", merged[["moran_i", "expected_i", "variance_rand"]],
           merged[["I", "E", "Var"]], atol=1e-10)
    dist = distance_correlogram(xy, values, [b[1] for b in bands], permutations=0).to_frame(cols)
    _close("distance correlogram (spdep dnearneigh + moran.test)", dist[["moran_i", "expected_i", "variance_rand"]],
           ref["bands"][["I", "E", "Var"]], atol=1e-10)
    # spdep's smaller one-sided tail against ours (spdep draws with replacement: the same null up to O(k/n))
    greater = local_geary(lat, perm_values, permutations=999, seed=1, alternative="greater")
    less = local_geary(lat, perm_values, permutations=999, seed=1, alternative="less")
    ours = np.minimum(greater.p, less.p).T.ravel()
    theirs = ref["localC_perm"]["p_folded"].to_numpy()
    assert stats.ks_2samp(ours, theirs).pvalue > 0.01
    assert np.mean(np.abs(ours - theirs)) < 0.02 and np.corrcoef(ours, theirs)[0, 1] > 0.97
    MAX_DIFF["local Geary p (spdep localC_perm, mean |difference|)"] = float(np.mean(np.abs(ours - theirs)))
    # our exact conditional mean against spdep's mean of 999 simulated values (Monte Carlo noise only)
    relative = greater.expected.T.ravel() * (lat.n - 1) / lat.n / ref["localC_perm"]["E"].to_numpy() - 1
    assert abs(np.mean(relative)) < 0.003 and np.mean(np.abs(relative)) < 0.03  # no bias, noise of ~2 %
    MAX_DIFF["local Geary E[c] (spdep simulated mean, mean relative difference)"] = float(np.mean(relative))
    print("\nmax differences from the references:\n" + "\n".join(f"  {k}: {v:.2e}" for k, v in sorted(MAX_DIFF.items())))
