"""Sequential Monte Carlo p-values (Besag & Clifford 1991) for the local statistics: the engine's own
draws cut short, checked against a reference built from the documented draw sequence, for the
decisions of the full permutation count on a real-sized layer, and for reproducibility."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numba
import numpy as np
import pytest
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).parent))
from test_statistics_support import idw_knn_w, lattice_w, skewed_values  # noqa: E402

from kibs_spatial.analysis.statistics import local_statistics  # noqa: E402
from kibs_spatial.analysis.statistics._columns import column_moments  # noqa: E402
from kibs_spatial.analysis.statistics._graph import graph_from_w  # noqa: E402
from kibs_spatial.analysis.statistics.inference import permutation_counts  # noqa: E402
from kibs_spatial.analysis.statistics.permutation import random_units  # noqa: E402
from kibs_spatial.analysis.statistics.sequential import needed_tails  # noqa: E402
from kibs_spatial.errors import InputError  # noqa: E402

THREADS = [1, 2] if numba.config.NUMBA_NUM_THREADS >= 2 else [1]


def grid_w(side: int) -> SimpleNamespace:
    path = sp.diags([np.ones(side - 1), np.ones(side - 1)], [-1, 1], shape=(side, side))
    near = sp.identity(side) + path
    queen = sp.csr_matrix(sp.kron(near, near) - sp.identity(side * side))
    queen.eliminate_zeros()
    return SimpleNamespace(sparse=queen, id_order=list(range(side * side)))


def clustered_columns(side: int, k: int, seed: int) -> np.ndarray:
    """Skewed columns with clusters (moving averages of noise), some nearly pure noise."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    out = np.empty((side * side, k))
    for c in range(k):
        field = ndimage.uniform_filter(rng.standard_normal((side, side)), size=3 + 2 * (c % 3))
        mix = (c % 4) / 4
        out[:, c] = np.exp(0.7 * (mix * field / field.std() + (1 - mix) * rng.standard_normal((side, side)))).ravel()
    return out


# -- the reference: the documented draw sequence, summed in numpy -----------------------------------

def reference_sequential(w, x, permutations, seed, h):
    """Two-sided sequential p of every cell from ``random_units`` (the engine's draw sequence of (unit,
    permutation)): the first k_i drawn units with a value in the column, weights in CSR order."""
    graph = graph_from_w(w)
    moments = column_moments(graph, x)
    defined, valid, dev = moments.cell_defined(graph), moments.valid, moments.dev
    n, k = x.shape
    p = np.full((n, k), np.nan)
    draws = np.zeros((n, k), dtype=np.int64)
    for i in range(n):
        lo, hi = graph.indptr[i], graph.indptr[i + 1]
        if hi == lo:
            continue
        sequences = [random_units(np.uint64(seed), i, q, n, n - 1) for q in range(permutations)]
        for c in range(k):
            if not defined[i, c]:
                continue
            valid_nb = [e for e in range(lo, hi) if valid[graph.indices[e], c]]
            wts = graph.data[valid_nb]
            obs, tol = moments.lag_sum[i, c], 1e-10 * moments.weight_sum[i, c] * np.nanmax(np.abs(dev[:, c]))
            sims = np.array([wts @ dev[[j for j in seq if valid[j, c]][: len(wts)], c] for seq in sequences])
            ge, le = np.cumsum(sims >= obs - tol), np.cumsum(sims <= obs + tol)
            at = [int(np.argmax(t == h)) + 1 if t[-1] >= h else 0 for t in (ge, le)]
            tails = [h / a if a else (1 + t[-1]) / (permutations + 1) for a, t in zip(at, (ge, le))]
            p[i, c] = min(1.0, 2 * min(tails))
            draws[i, c] = max(at) if min(at) else permutations
    return p, draws


def test_sequential_p_is_the_reference_on_the_documented_draws():
    w = lattice_w(7, 7)
    x = skewed_values(w.n, 3, 6)
    x[:, 0] += 2 * np.asarray(w.sparse @ x[:, 0]) / np.asarray(w.sparse.sum(axis=1)).ravel()
    x[[3, 20, 33], 2] = np.nan  # a column with missing values: the kernel's other path
    ours = local_statistics(w, x, permutations=150, seed=4, sequential=6, fdr="none")
    p, draws = reference_sequential(w, x, 150, 4, 6)
    np.testing.assert_allclose(ours.lisa_p, p, rtol=1e-14, equal_nan=True)
    np.testing.assert_allclose(ours.gi_p, p, rtol=1e-14, equal_nan=True)
    np.testing.assert_array_equal(ours.draws, draws)
    assert (draws < 150).mean() > 0.5 and (draws == 150).any()  # both kinds of cell occur


@pytest.mark.parametrize("alternative", ["two-sided", "two-sided-folded", "greater", "less"])
def test_h_above_the_permutations_is_the_full_count(alternative):
    w = idw_knn_w(150, 6, 2)
    x = skewed_values(w.n, 11, 8)  # 8 complete columns (one lane group) and more
    x[::9, 3] = np.nan
    full = local_statistics(w, x, permutations=299, seed=7, alternative=alternative)
    seq = local_statistics(w, x, permutations=299, seed=7, alternative=alternative, sequential=300)
    for attr in ("lisa_p", "gi_p", "lisa_q", "gi_q"):
        np.testing.assert_array_equal(getattr(full, attr), getattr(seq, attr), err_msg=attr)
    assert full.draws is None and (seq.draws[~np.isnan(seq.lisa_p)] == 299).all()


@pytest.mark.parametrize("alternative", ["two-sided", "two-sided-folded", "greater", "less"])
def test_stopped_counts_are_a_prefix_of_the_full_run(alternative):
    """Where the engine says a tail's h-th exceedance is draw L, the full kernel run over exactly L
    permutations counts h, and over L - 1 permutations h - 1 (the draws are the full run's)."""
    w = idw_knn_w(120, 5, 3, island=False)
    x = skewed_values(w.n, 10, 2)  # 10 complete columns: kc = 16, so the column-by-column path is used too
    x[::11, 9] = np.nan
    graph = graph_from_w(w)
    moments = column_moments(graph, x)
    defined = moments.cell_defined(graph)
    focal = np.sign(np.nan_to_num(moments.dev))
    need = needed_tails(alternative, focal, defined)
    h = 7
    counts, hits = permutation_counts(graph, moments, defined, 400, 11, None, None, alternative, sequential=h,
                                      need=need)
    located = [(t, int(L)) for t in range(3) for L in np.unique(hits[t]) if L > 0]
    assert located
    rng = np.random.default_rng(0)
    for t, L in [located[i] for i in rng.choice(len(located), size=min(12, len(located)), replace=False)]:
        at = permutation_counts(graph, moments, defined, L, 11, None, None, alternative)[t]
        before = permutation_counts(graph, moments, defined, L - 1, 11, None, None, alternative)[t]
        cells = hits[t] == L
        assert (at[cells] == h).all() and (before[cells] == h - 1).all(), (t, L)


@pytest.mark.parametrize("threads", THREADS)
def test_same_seed_same_numbers_for_any_thread_count(threads):
    w = idw_knn_w(200, 6, 1)
    x = skewed_values(w.n, 12, 3)
    x[[5, 9, 100], 1] = np.nan
    one = local_statistics(w, x, permutations=499, seed=99, sequential=10, n_jobs=1)
    other = local_statistics(w, x, permutations=499, seed=99, sequential=10, n_jobs=threads,
                             progress=lambda done, total: None)
    for attr in ("lisa_p", "gi_p", "lisa_q", "gi_q", "draws"):
        np.testing.assert_array_equal(getattr(one, attr), getattr(other, attr), err_msg=attr)
    # a column alone: the draws are the unit's, so its p is the p it has beside the others
    alone = local_statistics(w, x[:, 4], permutations=499, seed=99, sequential=10)
    np.testing.assert_array_equal(alone.lisa_p[:, 0], one.lisa_p[:, 4])
    assert not np.array_equal(local_statistics(w, x, permutations=499, seed=98, sequential=10).lisa_p, one.lisa_p,
                              equal_nan=True)


def test_decisions_after_fdr_match_the_full_count_on_a_3600_unit_grid():
    """The issue's requirement: the same decisions at alpha after Benjamini-Hochberg per column as the full
    permutation count for >= 99.9 % of the unit x column tests (LISA and Gi* each), on 3,600 units."""
    w = grid_w(60)
    x = clustered_columns(60, 8, 5)
    full = local_statistics(w, x, permutations=999, seed=1)
    seq = local_statistics(w, x, permutations=999, seed=1, sequential=10)
    for q in ("lisa_q", "gi_q"):
        tested = ~np.isnan(getattr(full, q))
        same = (getattr(full, q) <= 0.05) == (getattr(seq, q) <= 0.05)
        assert same[tested].mean() >= 0.999, (q, same[tested].mean())
    assert 0.05 < np.mean(full.lisa_q <= 0.05) < 0.5  # a map with clusters, not all noise
    assert (seq.draws < 999).mean() > 0.5  # and most tests stopped early
    assert (seq.lisa_p[seq.draws < 999] >= 2 * 10 / 999 - 1e-12).all()  # a stopped cell's p is >= 2h / P
    np.testing.assert_array_equal(seq.lisa_cl == "ns", full.lisa_cl == "ns")


def test_bad_h_is_refused():
    w = lattice_w(4, 4)
    for bad in (-1, 2.5):
        with pytest.raises(InputError, match="sequential"):
            local_statistics(w, np.arange(16.0), permutations=99, sequential=bad)


def test_hotspots_and_the_analysis_file_take_h(tmp_path, capsys):
    import geopandas as gpd
    import pyogrio
    import shapely

    from kibs_spatial.cli import main

    side = 20
    cells = [shapely.box(x * 1000, y * 1000, (x + 1) * 1000, (y + 1) * 1000) for y in range(side) for x in range(side)]
    values = clustered_columns(side, 2, 4)
    layer = gpd.GeoDataFrame({"a": values[:, 0], "b": values[:, 1]}, geometry=cells, crs="EPSG:5179")
    layer.to_file(tmp_path / "g.gpkg", engine="pyogrio")
    common = ["hotspots", str(tmp_path / "g.gpkg"), "--columns", "a,b", "--permutations", "999", "--quiet"]
    assert main([*common, "--output", str(tmp_path / "full.gpkg")]) == 0
    assert main([*common, "--sequential", "10", "--output", str(tmp_path / "seq.gpkg")]) == 0
    full, seq = (pyogrio.read_dataframe(tmp_path / f"{name}.gpkg", layer="hotspots", read_geometry=False)
                 for name in ("full", "seq"))
    assert not np.array_equal(full["a_lisa_p"], seq["a_lisa_p"])  # the option reached the engine
    for column in ("a_lisa_cl", "b_lisa_cl", "a_gi_bin", "b_gi_bin"):
        assert (full[column] == seq[column]).mean() >= 0.99, column
    metadata = pyogrio.read_dataframe(tmp_path / "seq.gpkg", layer="run_metadata", read_geometry=False)
    assert "10" in metadata.loc[metadata["key"].str.contains("sequential"), "value"].tolist()
    capsys.readouterr()
    (tmp_path / "a.toml").write_text("[statistics]\npermutations = 999\nsequential = 1000\n", encoding="utf-8")
    assert main(["run", "--config", str(tmp_path / "a.toml"), "--quiet"]) == 2
    assert "[statistics] sequential must be a whole number from 0 (off) to permutations" in capsys.readouterr().err
