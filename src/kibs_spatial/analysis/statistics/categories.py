"""Labels derived from adjusted p-values: LISA quadrant categories and Gi* confidence bins."""

from __future__ import annotations

import numpy as np

LISA_CATEGORIES = ("HH", "LL", "LH", "HL", "ns", "isolated", "undefined")
GI_BIN_THRESHOLDS = (0.01, 0.05, 0.10)
"""A Gi* bin's level is the number of these its q is at or below: 3 at q <= 0.01, 2 at <= 0.05, 1 at <= 0.10."""


def lisa_categories(z_focal, lag, q, alpha, isolated, undefined) -> np.ndarray:
    """Quadrant labels for significant units, ``ns`` otherwise.

    Parameters
    ----------
    z_focal, lag : np.ndarray
        Deviation of the unit's value from the column mean, and the row-standardised lag of
        the deviations (for bivariate Moran: deviation of ``x_i`` and lag of ``y``).
    q : np.ndarray
        Adjusted p-values; a unit is significant when ``q <= alpha``.
    isolated, undefined : np.ndarray of bool
        ``isolated`` (no neighbour in W) wins over ``undefined`` (missing value, no
        neighbour with a value, or a column without variation). Neither is ever significant.

    Returns
    -------
    np.ndarray of str (object dtype)
        ``HH`` (high value, high neighbours), ``LL``, ``LH`` (low value, high neighbours),
        ``HL``, ``ns``, ``isolated``, ``undefined``.
    """
    z_focal, lag, q = (np.asarray(a, dtype=float) for a in (z_focal, lag, q))
    quadrant = 2 * (z_focal > 0).astype(np.int8) + (lag > 0)  # 0 low-low, 1 low-high, 2 high-low, 3 high-high
    code = np.take(np.array([1, 2, 3, 0], dtype=np.int8), quadrant)  # indices into LISA_CATEGORIES
    code[~(q <= alpha)] = 4  # NaN compares False: ns
    code[np.asarray(undefined, bool)] = 6
    code[np.asarray(isolated, bool)] = 5
    return np.array(LISA_CATEGORIES, dtype=object)[code]


def gi_bins(z, q) -> np.ndarray:
    """Hot/cold spot bins: ``+-3`` for q <= 0.01, ``+-2`` for <= 0.05, ``+-1`` for <= 0.10.

    The sign is the sign of the Gi* z-score; NaN ``q`` (no test) gives 0.

    Examples
    --------
    >>> gi_bins(np.array([2.9, -2.1, 1.0, 1.0]), np.array([0.004, 0.03, 0.2, np.nan])).tolist()
    [3, -2, 0, 0]
    """
    z = np.asarray(z, dtype=float)
    q = np.asarray(q, dtype=float)
    level = np.zeros(q.shape, dtype=np.int8)
    for threshold in GI_BIN_THRESHOLDS:
        level += q <= threshold  # NaN compares False: level 0
    sign = (z > 0).astype(np.int8) - (z < 0)
    return level * sign
