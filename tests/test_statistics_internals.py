"""The building blocks every local statistic reads, against scipy and numpy computing the same thing."""

from __future__ import annotations

import libpysal
import numpy as np
import pytest
import scipy.sparse as sp

from kibs_spatial.analysis.statistics import adjust_pvalues
from kibs_spatial.analysis.statistics._columns import column_moments
from kibs_spatial.analysis.statistics._graph import graph_from_w
from kibs_spatial.analysis.statistics.inference import unit_pieces
from kibs_spatial.analysis.statistics.permutation import BLOCK


def test_graph_drops_the_diagonal_and_zero_weights_as_scipy_does():
    rng = np.random.default_rng(4)
    n = 60
    neighbours = {i: [int(j) for j in rng.choice(n, 6, replace=False)] for i in range(n)}  # some list i itself
    weights = {i: [float(v) for v in rng.integers(0, 3, 6)] for i in range(n)}  # some weights are 0
    w = libpysal.weights.W(neighbours, weights, silence_warnings=True)
    assert w.sparse.diagonal().any() and (w.sparse.data == 0).any()
    reference = sp.csr_matrix(w.sparse, copy=True)
    diagonal = reference.diagonal()
    reference.setdiag(0)
    reference.eliminate_zeros()
    reference.sort_indices()
    graph = graph_from_w(w)
    np.testing.assert_array_equal(graph.diagonal, diagonal)
    np.testing.assert_array_equal(graph.indptr, reference.indptr)
    np.testing.assert_array_equal(graph.indices, reference.indices)
    np.testing.assert_array_equal(graph.data, reference.data)
    assert graph.indptr.dtype == graph.indices.dtype == np.int64


def test_column_moments_sum_each_column_as_numpy_sums_it_alone():
    """Mean, m2 and the permutation centre are numpy's sums of each column's values, bit for bit, with or
    without missing values (a sum over axis 0 adds in another order and differs in the last bits)."""
    w = libpysal.weights.lat2W(60, 60)
    rng = np.random.default_rng(6)
    x = rng.lognormal(sigma=2.0, size=(w.n, 12))
    x[:, 9:][rng.uniform(size=(w.n, 3)) < [0.1, 0.3, 0.5]] = np.nan  # columns 0-8 complete, 9-11 not
    mom = column_moments(graph_from_w(w), x)
    columns = [x[~np.isnan(x[:, c]), c] for c in range(12)]
    mean = np.array([values.mean() for values in columns])
    m2 = np.array([np.sum((values - values.mean()) ** 2) / values.size for values in columns])
    np.testing.assert_array_equal(mom.mean, mean)
    np.testing.assert_array_equal(mom.m2, m2)
    total = np.array([np.nansum(mom.dev[:, c]) for c in range(12)])
    expected = mom.weight_sum * ((total - mom.dev) / (mom.n_valid - 1))
    np.testing.assert_array_equal(mom.permutation_centre(), expected)
    assert not np.array_equal(x[:, :9].sum(axis=0) / w.n, mean[:9])  # the order of the additions matters here


@pytest.mark.parametrize("cost", [1e-9, 1e-6, 1e-3])  # seconds per unit-permutation: fast, slow, very slow
def test_unit_pieces_cover_each_unit_and_permutation_once_in_pieces_of_about_a_chunk(cost):
    """Every (unit, permutation) once; a range of units runs all its permutations before the next range,
    in one piece when they fit the chunk's time; no piece after the first takes much more than a chunk."""
    units, permutations, blocks, seconds = 5_000, 999, 16, 0.1
    now = [0.0]
    covered = np.zeros((units, permutations), dtype=np.int64)
    pieces = []
    for u0, u1, p0, p1 in unit_pieces(units, permutations, blocks, seconds=seconds, clock=lambda: now[0]):
        covered[u0:u1, p0:p1] += 1
        now[0] += cost * (u1 - u0) * (p1 - p0)  # running the piece
        pieces.append((u0, u1, p0, p1))
    assert (covered == 1).all()
    assert pieces[0] == (0, blocks, 0, BLOCK)
    assert [u0 for u0, *_ in pieces] == sorted(u0 for u0, *_ in pieces)  # one range after the other
    assert all(cost * (u1 - u0) * (p1 - p0) <= 1.01 * max(seconds, cost * blocks * BLOCK)
               for u0, u1, p0, p1 in pieces[1:])
    ranges = {(u0, u1) for u0, u1, *_ in pieces}
    if cost * blocks * permutations <= seconds:  # whole ranges fit a chunk: each runs in one piece
        assert len(pieces) == len(ranges) + 1  # (the first range: the measuring piece, then the rest)
        assert all(u1 - u0 >= min(units - u0, int(seconds / cost / permutations)) for u0, u1, *_ in pieces[2:])
    else:  # ranges of the fewest units, their permutations cut into blocks of draws
        assert all(u1 - u0 == blocks and (p1 - p0) % BLOCK in (0, permutations % BLOCK)
                   for u0, u1, p0, p1 in pieces[:-1] if u1 < units)


def test_unit_pieces_leave_a_progress_bar_its_steps():
    pieces = list(unit_pieces(200, 499, 16, slices=50, clock=lambda: 0.0))
    assert max(u1 - u0 for u0, u1, *_ in pieces) <= 4 and len(pieces) >= 50


def test_adjusted_p_values_keep_the_layout_of_a_units_x_columns_matrix():
    """q-values go on to numba kernels (emerging hot spots, robustness) compiled for C-contiguous arrays."""
    p = np.random.default_rng(2).uniform(size=(40, 5))
    p[::3, 1] = np.nan
    for axis in (None, 0):
        assert adjust_pvalues(p, "bh", axis=axis).flags.c_contiguous
