"""Join counts for a binary map (Moran 1948; Cliff & Ord 1981): do the "black" units cluster?

A binary column marks each unit black (1: e.g. a promising location) or white (0); NaN = missing,
left out. With weights ``w_ij`` among the ``n`` units with a value (binary by default: every
neighbour counts 1, as ``esda.Join_Counts`` does; ``binary=False`` uses the weight values), each
join counted once on a symmetric W:

    BB = 1/2 sum_ij w_ij x_i x_j          (black-black joins)
    WW = 1/2 sum_ij w_ij (1 - x_i)(1 - x_j)
    BW = 1/2 sum_ij w_ij (x_i - x_j)^2    (black-white joins);  BB + WW + BW = S0 / 2

Moments under non-free sampling (the ``n_1`` black units fixed, their places random; Cliff & Ord
1981, ch. 1; the formulas of ``spdep::joincount.test`` and ``joincount.multi``), with
``n^(r) = n (n-1) ... (n-r+1)``, ``S0, S1, S2`` as for Moran's I and ``n_0 = n - n_1``:

    E[BB]   = S0 n_1^(2) / (2 n^(2))
    Var[BB] = 1/4 (S1 n_1^(2)/n^(2) + (S2 - 2 S1) n_1^(3)/n^(3) + (S0^2 + S1 - S2) n_1^(4)/n^(4)) - E[BB]^2
    E[BW]   = S0 n_1 n_0 / n^(2)
    Var[BW] = 1/4 (2 S1 n_1 n_0/n^(2) + (S2 - 2 S1) n_1 n_0 (n_1 + n_0 - 2)/n^(3)
                   + 4 (S0^2 + S1 - S2) n_1^(2) n_0^(2)/n^(4)) - E[BW]^2

and WW as BB with ``n_0``. ``z = (J - E[J]) / sqrt(Var[J])``. More BB joins than expected
(``z_bb > 0``) means the black units cluster; more BW joins means they avoid each other.
``p_*`` are normal p-values for the ``alternative``; ``p_sim_*`` come from total randomisation
with equal tails (two-sided) or the one tail asked for, the same shuffles serving BB, WW and BW
(see ``quadratic_forms``).

References
----------
Moran, P. A. P. (1948). The interpretation of statistical maps. JRSS B 10, 243-251.
Cliff, A. D. and Ord, J. K. (1981). Spatial Processes: Models and Applications. Pion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ...errors import InputError
from ._graph import graph_from_w
from .inference import DEFAULT_SEED, check_alternative, numba_threads
from .local import _as_matrix
from .quadratic_forms import (
    grouped_tail_counts,
    mask_key,
    pvalue_from_counts,
    restrict,
    row_plus_column_sums,
    weight_constants,
)

JOINS = ("bb", "ww", "bw")


@dataclass(frozen=True)
class JoinCountsResult:
    """Join counts of one binary column; ``n_black`` of its ``n`` units with a value are 1."""

    bb: float
    ww: float
    bw: float
    expected_bb: float
    expected_ww: float
    expected_bw: float
    variance_bb: float
    variance_ww: float
    variance_bw: float
    z_bb: float
    z_ww: float
    z_bw: float
    p_bb: float
    p_ww: float
    p_bw: float
    p_sim_bb: float
    p_sim_ww: float
    p_sim_bw: float
    n: int
    n_black: int
    alternative: str
    permutations: int
    seed: int


def join_counts(w, values, permutations: int = 9999, seed: int = DEFAULT_SEED, alternative: str = "two-sided",
                binary: bool = True, n_jobs: int | None = None) -> list[JoinCountsResult]:
    """BB, WW and BW join counts with their tests, for each 0/1 column of ``values``.

    Parameters
    ----------
    w : libpysal.weights.W
        Never modified.
    values : array_like, (n,) or (n, k)
        0/1 or booleans (NaN = missing); rows in ``w.id_order``.
    permutations : int
        Total randomisations for ``p_sim_*`` (0: NaN).
    seed : int
    alternative : {"two-sided", "greater", "less"}
        ``greater``: more joins of that kind than expected (for BB: the black units cluster).
    binary : bool
        Count every neighbour 1 (default), or use the weight values.
    n_jobs : int, optional
        numba threads; the result does not depend on it.

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> black = np.zeros(25); black[[0, 1, 5, 6]] = 1   # a 2 x 2 block of promising units
    >>> res = join_counts(lat2W(5, 5), black, permutations=999, seed=1, alternative="greater")[0]
    >>> res.bb, res.expected_bb < res.bb, res.p_sim_bb < 0.05
    (4.0, True, True)
    """
    if alternative not in ("two-sided", "greater", "less"):
        check_alternative(alternative)
        raise InputError(f"join counts take alternative two-sided, greater or less, not {alternative!r}")
    graph = graph_from_w(w)
    x = _as_matrix(np.asarray(values, dtype=float), graph.n, "values")
    present = x[~np.isnan(x)]
    if not np.isin(present, (0.0, 1.0)).all():
        raise InputError("join counts need a binary map: every value 0 or 1 (True/False), NaN for missing")
    matrix = graph.matrix()
    permutations, seed = int(permutations), int(seed)
    with numba_threads(n_jobs):
        columns = [_one_column(matrix, x[:, c], permutations, seed, alternative, binary) for c in range(x.shape[1])]
        # the BB, WW and BW forms of every column, those with the same units with a value simulated together
        counts = grouped_tail_counts([form for _, forms in columns for form in forms], permutations, seed)
    out = []
    for c, (fields, _) in enumerate(columns):
        for j, tails in zip(JOINS, counts[3 * c : 3 * c + 3]):
            fields[f"p_sim_{j}"] = np.nan if tails is None else pvalue_from_counts(*tails, permutations, alternative)
        out.append(JoinCountsResult(**fields))
    return out


def join_counts_table(results: list[JoinCountsResult]) -> pd.DataFrame:
    """One row per column: the counts, their expectations, z, p and p_sim, ``n`` and ``n_black``."""
    names = [f"{stat}_{j}" if stat else j for j in JOINS for stat in ("", "expected", "z", "p", "p_sim")]
    return pd.DataFrame([{**{name: getattr(r, name) for name in names}, "n": r.n, "n_black": r.n_black}
                         for r in results], columns=[*names, "n", "n_black"])


def _one_column(matrix, x: np.ndarray, permutations: int, seed: int, alternative: str, binary: bool):
    """The column's fields without ``p_sim_*``, and its BB, WW and BW quadratic forms (None: no test)."""
    valid = ~np.isnan(x)
    n = int(valid.sum())
    sub = restrict(matrix, valid, binary=binary)
    b = x[valid]
    n1 = int(b.sum())
    n0 = n - n1
    s0, s1, s2 = weight_constants(sub)
    half = 0.5 * row_plus_column_sums(sub)
    observed = {"bb": 0.5 * b @ (sub @ b), "ww": 0.5 * (1 - b) @ (sub @ (1 - b)),
                "bw": float(np.sum(half * b) - b @ (sub @ b))}
    if n >= 4 and s0 > 0:
        moments = {"bb": _same_colour(n1, n, s0, s1, s2), "ww": _same_colour(n0, n, s0, s1, s2),
                   "bw": _different_colour(n1, n0, n, s0, s1, s2)}
    else:
        moments = {j: (np.nan, np.nan) for j in JOINS}
    key = mask_key(valid)
    forms = [(key, sub, b, np.zeros(n), 0.5, 1.0, float(observed["bb"])),
             (key, sub, 1 - b, np.zeros(n), 0.5, 1.0, float(observed["ww"])),
             (key, sub, b, half, -1.0, 1.0, float(observed["bw"]))]
    if permutations <= 0:
        forms = [None, None, None]
    out: dict[str, float] = {}
    for j in JOINS:
        mean, variance = moments[j]
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (observed[j] - mean) / np.sqrt(variance)
        out.update({j: float(observed[j]), f"expected_{j}": float(mean), f"variance_{j}": float(variance),
                    f"z_{j}": float(z), f"p_{j}": _normal_p(z, alternative)})
    return {**out, "n": n, "n_black": n1, "alternative": alternative, "permutations": permutations,
            "seed": seed}, forms


def _falling(a: float, r: int) -> float:
    """``a (a - 1) ... (a - r + 1)``."""
    return float(np.prod([a - t for t in range(r)]))


def _same_colour(k: int, n: int, s0: float, s1: float, s2: float) -> tuple[float, float]:
    mean = s0 * _falling(k, 2) / (2 * _falling(n, 2))
    second = (s1 * _falling(k, 2) / _falling(n, 2) + (s2 - 2 * s1) * _falling(k, 3) / _falling(n, 3)
              + (s0 * s0 + s1 - s2) * _falling(k, 4) / _falling(n, 4))
    return mean, 0.25 * second - mean**2


def _different_colour(n1: int, n0: int, n: int, s0: float, s1: float, s2: float) -> tuple[float, float]:
    mean = s0 * n1 * n0 / _falling(n, 2)
    second = (2 * s1 * n1 * n0 / _falling(n, 2) + (s2 - 2 * s1) * n1 * n0 * (n1 + n0 - 2) / _falling(n, 3)
              + 4 * (s0 * s0 + s1 - s2) * _falling(n1, 2) * _falling(n0, 2) / _falling(n, 4))
    return mean, 0.25 * second - mean**2


def _normal_p(z: float, alternative: str) -> float:
    if not np.isfinite(z):
        return float("nan")
    if alternative == "greater":
        return float(ndtr(-z))
    if alternative == "less":
        return float(ndtr(z))
    return float(2 * ndtr(-abs(z)))
