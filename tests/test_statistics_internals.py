"""The building blocks every local statistic reads, against scipy and numpy computing the same thing."""

from __future__ import annotations

import libpysal
import numpy as np
import scipy.sparse as sp

from kibs_spatial.analysis.statistics._columns import column_moments
from kibs_spatial.analysis.statistics._graph import graph_from_w


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

