"""A read-only view of a ``libpysal.weights.W`` as CSR arrays in ``w.id_order``.

The caller's W is never modified: only ``w.sparse`` (the weights under the W's current
transform) is read, and everything derived from it is a copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Graph:
    """Off-diagonal weights as CSR plus the diagonal, rows and columns in ``w.id_order``.

    Attributes
    ----------
    indptr, indices, data : np.ndarray
        CSR arrays of the off-diagonal weights (explicit zeros removed).
    diagonal : np.ndarray
        Self-weights ``w_ii`` as stored in the W (usually all zero).
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    diagonal: np.ndarray

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def cardinality(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def islands(self) -> np.ndarray:
        return self.cardinality == 0

    def matrix(self) -> sp.csr_matrix:
        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=(self.n, self.n))

    def row_max(self) -> np.ndarray:
        """Largest off-diagonal weight of each row (0 for an island)."""
        out = np.zeros(self.n)
        nonempty = self.cardinality > 0
        out[nonempty] = np.maximum.reduceat(self.data, self.indptr[:-1][nonempty])
        return out

    def self_weights(self) -> np.ndarray:
        """Gi* self-weight: the stored ``w_ii`` if positive, else the row's largest weight.

        For a binary W this is 1, which is what ``esda.G_Local(star=True)`` puts on the
        diagonal of a binary W.
        """
        return np.where(self.diagonal > 0, self.diagonal, self.row_max())


def graph_from_w(w) -> Graph:
    """Read a ``libpysal.weights.W`` (or anything with ``.sparse``) without modifying it."""
    mat = sp.csr_matrix(w.sparse, dtype=np.float64, copy=True)
    if mat.shape[0] != mat.shape[1]:
        raise ValueError(f"weights matrix must be square, got {mat.shape}")
    if mat.nnz and (mat.data < 0).any():
        raise ValueError("negative spatial weights are not supported")
    mat.sum_duplicates()  # canonical: one sorted entry per (row, column)
    diagonal = mat.diagonal()
    rows = np.repeat(np.arange(mat.shape[0]), np.diff(mat.indptr))
    off = (mat.indices != rows) & (mat.data != 0)  # what setdiag(0) + eliminate_zeros() keep, without their cost
    indptr = np.zeros(mat.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[off], minlength=mat.shape[0]), out=indptr[1:])
    return Graph(
        indptr=indptr,
        indices=mat.indices[off].astype(np.int64),
        data=mat.data[off],
        diagonal=diagonal,
    )
