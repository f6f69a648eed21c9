"""Spatial Markov chains of LQ classes between periods (Rey 2001): does a region's move up or down
the specialisation ladder depend on its neighbours?

Each unit's value in each period is put in one of ``k`` classes by ``cutoffs`` (class ``a`` holds
``cutoffs[a-1] <= x < cutoffs[a]``; the default LQ classes ``< 0.8``, ``0.8-1.25``, ``1.25-2``,
``>= 2`` read "under-represented", "about average", "specialised", "strongly specialised", the
last one the KIET rule's LQ >= 2). The classic (aspatial) Markov chain counts the transitions
``n_ab`` from class ``a`` in period ``t`` to class ``b`` in ``t + 1`` over every unit and pair of
consecutive periods, and estimates ``p_ab = n_ab / n_a.`` (maximum likelihood; Anderson & Goodman
1957). The spatial Markov chain conditions each transition on the class of the unit's spatial lag
in period ``t`` (the row-standardised average of its neighbours' values, classed by
``lag_cutoffs``): one matrix ``P(l)`` per lag class ``l``.

Whether the conditional matrices differ from the pooled one is tested as in
``giddy.markov.Spatial_Markov`` (Bickenbach & Bode 2003): with ``n_a(l)`` the transitions out of
``a`` under lag class ``l``,

    Q  = sum_l sum_a sum_b n_a(l) (p_ab(l) - p_ab)^2 / p_ab
    LR = 2 sum_l sum_a sum_b n_ab(l) ln(p_ab(l) / p_ab)

both chi-squared with ``sum_a (b_a - 1)(c_a - 1)`` degrees of freedom (``b_a``: lag classes with
transitions out of ``a``; ``c_a``: classes reached from ``a`` in the pooled matrix); cells with
``p_ab = 0`` are left out.

Missing values (NaN) stay missing: a unit takes part in a transition only when it has a value in
both periods; its lag is the average over the neighbours with a value (weights renormalised), and a
unit without such a neighbour (an island) counts in the classic matrix but in no conditional one.
Pooled panels (``values`` of shape ``(n, T, s)``, e.g. several sectors) add their transition counts.

References
----------
Anderson, T. W. and Goodman, L. A. (1957). Statistical inference about Markov chains. Annals of
Mathematical Statistics 28, 89-110.
Rey, S. J. (2001). Spatial empirics for economic growth and convergence. Geographical Analysis 33, 195-214.
Bickenbach, F. and Bode, E. (2003). Evaluating the Markov property in studies of economic convergence.
International Regional Science Review 26, 363-392.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from ..errors import InputError

LQ_CUTOFFS = (0.8, 1.25, 2.0)
"""The default LQ classes: < 0.8, 0.8-1.25, 1.25-2, >= 2."""


@dataclass(frozen=True)
class SpatialMarkov:
    """Classic and lag-conditioned transition counts and probabilities between ``k`` classes.

    ``transitions``/``probabilities`` are ``(k, k)`` (rows: class in ``t``, columns: in ``t + 1``);
    ``conditional_transitions``/``conditional_probabilities`` are ``(m, k, k)``, one matrix per lag
    class. A row without transitions has probabilities 0.
    """

    cutoffs: tuple[float, ...]
    lag_cutoffs: tuple[float, ...]
    transitions: np.ndarray
    probabilities: np.ndarray
    conditional_transitions: np.ndarray
    conditional_probabilities: np.ndarray
    q: float
    q_p: float
    lr: float
    lr_p: float
    dof: int

    @property
    def labels(self) -> list[str]:
        """Class labels from the cutoffs: ``< 0.8``, ``0.8-1.25``, ..., ``>= 2``."""
        return _labels(self.cutoffs)

    @property
    def lag_labels(self) -> list[str]:
        return _labels(self.lag_cutoffs)

    def to_frame(self) -> pd.DataFrame:
        """One row per lag class (``"all"`` for the classic chain), class in ``t`` and in ``t + 1``:
        ``count`` and ``probability``."""
        rows = []
        for lag, (counts, probs) in [("all", (self.transitions, self.probabilities)),
                                     *zip(self.lag_labels, zip(self.conditional_transitions,
                                                               self.conditional_probabilities))]:
            for a, origin in enumerate(self.labels):
                for b, target in enumerate(self.labels):
                    rows.append({"lag_class": lag, "from": origin, "to": target, "count": int(counts[a, b]),
                                 "probability": float(probs[a, b])})
        return pd.DataFrame(rows)


def spatial_markov(w, values, cutoffs=LQ_CUTOFFS, lag_cutoffs=None) -> SpatialMarkov:
    """Classic and spatial Markov transition matrices of ``values`` between consecutive periods.

    Parameters
    ----------
    w : libpysal.weights.W
        Never modified; its weights are row-standardised over the neighbours with a value.
    values : array_like, (n, T) or (n, T, s)
        Rows in ``w.id_order``, periods in time order; a third axis (e.g. sectors) is pooled.
    cutoffs : sequence of float
        Increasing class bounds (default: the LQ classes ``LQ_CUTOFFS``).
    lag_cutoffs : sequence of float, optional
        Bounds of the lag classes (default: ``cutoffs``).

    Examples
    --------
    >>> from libpysal.weights import lat2W
    >>> lq = np.array([[0.5, 0.7], [1.0, 1.5], [3.0, 2.5], [1.5, 2.2]])   # 4 units, 2 periods
    >>> chain = spatial_markov(lat2W(2, 2), lq)
    >>> chain.transitions.astype(int).tolist()
    [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1]]
    """
    x = np.asarray(values, dtype=float)
    if x.ndim == 2:
        x = x[:, :, None]
    n = w.n
    if x.ndim != 3 or x.shape[0] != n or x.shape[1] < 2:
        raise InputError(f"values has shape {np.asarray(values).shape}; expected ({n}, T) or ({n}, T, s) with T >= 2 "
                         "periods, rows in the order of the weights")
    cuts = _check_cutoffs(cutoffs, "cutoffs")
    lag_cuts = cuts if lag_cutoffs is None else _check_cutoffs(lag_cutoffs, "lag_cutoffs")
    k, m = len(cuts) + 1, len(lag_cuts) + 1
    lag = _lag(sp.csr_matrix(w.sparse, dtype=float), x)
    classic = np.zeros((k, k))
    conditional = np.zeros((m, k, k))
    for t in range(x.shape[1] - 1):
        a, b, lagged = x[:, t, :].ravel(), x[:, t + 1, :].ravel(), lag[:, t, :].ravel()
        both = ~np.isnan(a) & ~np.isnan(b)
        ca, cb = _classify(a[both], cuts), _classify(b[both], cuts)
        np.add.at(classic, (ca, cb), 1)
        has_lag = ~np.isnan(lagged[both])
        cl = _classify(lagged[both][has_lag], lag_cuts)
        np.add.at(conditional, (cl, ca[has_lag], cb[has_lag]), 1)
    q, lr, dof = _homogeneity(conditional)
    return SpatialMarkov(
        cutoffs=cuts, lag_cutoffs=lag_cuts, transitions=classic, probabilities=_rows(classic),
        conditional_transitions=conditional, conditional_probabilities=np.array([_rows(t) for t in conditional]),
        q=q, q_p=float(stats.chi2.sf(q, dof)) if dof > 0 else np.nan,
        lr=lr, lr_p=float(stats.chi2.sf(lr, dof)) if dof > 0 else np.nan, dof=dof,
    )


def _check_cutoffs(cutoffs, name: str) -> tuple[float, ...]:
    cuts = tuple(float(c) for c in cutoffs)
    if not cuts or any(b <= a for a, b in zip(cuts, cuts[1:])) or not np.isfinite(cuts).all():
        raise InputError(f"{name} must be increasing finite numbers, e.g. (0.8, 1.25, 2.0); got {cutoffs!r}")
    return cuts


def _classify(v: np.ndarray, cuts: tuple[float, ...]) -> np.ndarray:
    """Class ``a`` for ``cuts[a-1] <= v < cuts[a]``."""
    return np.searchsorted(np.asarray(cuts), v, side="right")


def _lag(matrix: sp.csr_matrix, x: np.ndarray) -> np.ndarray:
    """Row-standardised lag over the neighbours with a value; NaN without one."""
    matrix = matrix.copy()
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    valid = ~np.isnan(x)
    out = np.empty_like(x)
    for t in range(x.shape[1]):
        v = valid[:, t, :].astype(float)
        total = matrix @ np.where(valid[:, t, :], x[:, t, :], 0.0)
        weight = matrix @ v
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, t, :] = np.where(weight > 0, total / weight, np.nan)
    return out


def _rows(counts: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def _homogeneity(conditional: np.ndarray) -> tuple[float, float, int]:
    """Bickenbach & Bode's Q and LR of the conditional matrices against their pooled matrix."""
    pooled = _rows(conditional.sum(axis=0))
    reached = (conditional.sum(axis=0) > 0).sum(axis=1)
    regimes = np.zeros(conditional.shape[1])
    q = lr = 0.0
    for counts in conditional:
        out = counts.sum(axis=1)
        regimes += out > 0
        probs = _rows(counts)
        with np.errstate(divide="ignore", invalid="ignore"):
            q += float(np.sum(out[:, None] * np.where(pooled > 0, (probs - pooled) ** 2 / pooled, 0.0)))
            used = (counts > 0) & (pooled > 0)
            lr += float(np.sum(np.where(used, counts * np.log(np.where(used, probs / pooled, 1.0)), 0.0)))
    dof = int(np.sum(np.maximum(regimes - 1, 0) * np.maximum(reached - 1, 0)))  # a class never left adds 0
    return q, 2.0 * lr, dof


def _labels(cuts: tuple[float, ...]) -> list[str]:
    bounds = [f"{c:g}" for c in cuts]
    return [f"< {bounds[0]}", *(f"{a}-{b}" for a, b in zip(bounds, bounds[1:])), f">= {bounds[-1]}"]
