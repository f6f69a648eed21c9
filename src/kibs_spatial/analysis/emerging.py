"""Emerging hot spots: where clusters form, intensify or fade over a panel of periods.

Emerging Hot Spot Analysis (EHSA) as ArcGIS Pro defines it ("How Emerging Hot Spot Analysis works",
https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/learnmoreemerging.htm),
per sector, with the run's permutation engine:

1. :func:`space_time_weights` — bin ``(i, t)`` neighbours: the spatial neighbours ``j`` of ``i`` at
   ``t``, and ``i`` and its neighbours in the previous ``time_lags`` periods; binary weights.
2. :func:`space_time_gi` — Getis-Ord Gi* of every bin against the entire cube (ArcGIS's default
   global window), conditional permutations, equal-tails two-sided pseudo p, FDR per sector and
   period; a bin is a hot (cold) spot at 90 % confidence: ``q <= 0.10`` and ``z > 0`` (``< 0``).
3. :func:`mann_kendall` — the Mann-Kendall trend of each unit's series of Gi* z (and of LQ), with
   Sen's slope.
4. :func:`classify` — the 17 ArcGIS patterns (:data:`PATTERNS`, definitions quoted).

:func:`emerging_hotspots` runs all four for a units x periods x sectors cube. See docs/EMERGING.md.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import ndtr  # the normal cdf, as scipy.stats.norm.cdf computes it (without its import)

from ..defaults import DEFAULT_PERMUTATIONS, DEFAULT_SEED
from ..errors import InputError
from .statistics import InferenceSettings, adjust_pvalues, local_statistics
from .weights import SparseWeights

if TYPE_CHECKING:
    from libpysal.weights import W

ARCGIS_EHSA = "https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/learnmoreemerging.htm"
CONFIDENCE = 0.90
"""A bin is a hot or cold spot at 90 % confidence, ArcGIS's lowest Gi_Bin level (+-1)."""
TREND_ALPHA = 0.10
"""The Mann-Kendall trend is significant at 90 % confidence (p <= 0.10), like the bins."""
MIN_TREND_VALUES = 4
"""Fewer values give no trend test: with 3 values the smallest two-sided p is 0.296."""
UNDEFINED = "undefined"
"""Pattern of a unit with no Gi* value in the sector (every bin missing or without neighbours)."""
KEY_SEPARATOR = "@"


@dataclass(frozen=True)
class Pattern:
    """One ArcGIS pattern: ``code`` (+1..+8 hot, -1..-8 cold, 0 none, in ArcGIS's order), its name and
    ArcGIS's definition, quoted."""

    code: int
    name: str
    definition: str


_TEMPLATES = (  # ArcGIS's hot spot definitions; the cold ones are the same sentences mirrored
    ("New", "A location that is a statistically significant {kind} spot for the final time step and has never been "
            "a statistically significant {kind} spot before."),
    ("Consecutive", "A location with a single uninterrupted run of at least two statistically significant {kind} "
                    "spot bins in the final time-step intervals. The location has never been a statistically "
                    "significant {kind} spot prior to the final {kind} spot run and less than 90 percent of all bins "
                    "are statistically significant {kind} spots."),
    ("Intensifying", "A location that has been a statistically significant {kind} spot for 90 percent of the "
                     "time-step intervals, including the final time step. In addition, the intensity of clustering "
                     "of {level} counts in each time step is increasing overall and that increase is statistically "
                     "significant."),
    ("Persistent", "A location that has been a statistically significant {kind} spot for 90 percent of the "
                   "time-step intervals with no discernible trend indicating an increase or decrease in the "
                   "intensity of clustering over time."),
    ("Diminishing", "A location that has been a statistically significant {kind} spot for 90 percent of the "
                    "time-step intervals, including the final time step. In addition, the intensity of clustering"
                    "{of_level} in each time step is decreasing overall and that decrease is statistically "
                    "significant."),
    ("Sporadic", "A statistically significant {kind} spot for the final time-step interval with a history of also "
                 "being an on-again and off-again {kind} spot. Less than 90 percent of the time-step intervals have "
                 "been statistically significant {kind} spots and none of the time-step intervals have been "
                 "statistically significant {other} spots."),
    ("Oscillating", "A statistically significant {kind} spot for the final time-step interval that has a history of "
                    "also being a statistically significant {other} spot during a prior time step. Less than 90 "
                    "percent of the time-step intervals have been statistically significant {kind} spots."),
    ("Historical", "The most recent time period is not {kind}, but at least 90 percent of the time-step intervals "
                   "have been statistically significant {kind} spots."),
)


def _patterns() -> tuple[Pattern, ...]:
    found = [Pattern(0, "No Pattern Detected", "Does not fall into any of the hot or cold spot patterns defined below.")]
    for sign, kind, other, level, of_level in ((1, "Hot", "cold", "high", ""), (-1, "Cold", "hot", "low", " of low counts")):
        for code, (name, text) in enumerate(_TEMPLATES, start=1):
            found.append(Pattern(sign * code, f"{name} {kind} Spot",
                                 text.format(kind=kind.lower(), other=other, level=level, of_level=of_level)))
    return tuple(found)


PATTERNS = _patterns()
"""The 17 patterns with ArcGIS Pro's definitions (source: :data:`ARCGIS_EHSA`), in ArcGIS's order."""
PATTERN_CODES: dict[str, int] = {p.name: p.code for p in PATTERNS} | {UNDEFINED: 0}
NO_PATTERN = PATTERNS[0].name


@dataclass(frozen=True)
class MannKendall:
    """Mann-Kendall trend test per series; arrays of the series' leading shape.

    ``s`` = sum over pairs of sign(x_j - x_i); ``z`` with continuity correction; ``p`` two-sided;
    ``slope`` Sen's slope per period step; ``n`` values used. NaN where fewer than
    :data:`MIN_TREND_VALUES` values.
    """

    s: np.ndarray
    z: np.ndarray
    p: np.ndarray
    slope: np.ndarray
    n: np.ndarray


@dataclass(frozen=True)
class SpaceTimeGi:
    """Space-time Gi* of every bin; arrays ``(units, periods, sectors)``.

    ``q``: ``p`` adjusted per sector and period; ``hot``/``cold``: ``q <= 1 - confidence`` with
    ``z > 0``/``z < 0`` (False where undefined). ``settings.fdr`` is the adjustment of ``q``.
    """

    z: np.ndarray
    p: np.ndarray
    q: np.ndarray
    hot: np.ndarray
    cold: np.ndarray
    units: tuple[str, ...]
    periods: tuple[str, ...]
    time_lags: int
    confidence: float
    settings: InferenceSettings


@dataclass(frozen=True)
class EmergingHotspots:
    """The EHSA of a units x periods x sectors cube (see :func:`emerging_hotspots`).

    Per unit and sector ``(units, sectors)``: ``pattern`` (a :data:`PATTERNS` name or
    :data:`UNDEFINED`), ``trend`` (Mann-Kendall of the Gi* z series), ``lq_trend`` (of the LQ
    series), ``periods_hot``/``periods_cold`` (number of hot/cold bins); per bin: ``gi``.
    """

    sectors: tuple[str, ...]
    gi: SpaceTimeGi
    pattern: np.ndarray
    trend: MannKendall
    lq_trend: MannKendall
    periods_hot: np.ndarray
    periods_cold: np.ndarray
    trend_alpha: float

    units = property(lambda self: self.gi.units)
    periods = property(lambda self: self.gi.periods)

    @property
    def category(self) -> np.ndarray:
        """Pattern codes (:data:`PATTERN_CODES`): +1..+8 hot, -1..-8 cold, 0 no pattern or undefined."""
        return np.vectorize(PATTERN_CODES.__getitem__, otypes=[np.int64])(self.pattern)

    def to_frame(self, unit: str = "region_code", sector: str = "ksic") -> pd.DataFrame:
        """One row per sector and unit: ``pattern``, ``category``, ``trend_z`` ... ``periods_cold``."""
        n, k = self.pattern.shape
        columns = {
            "pattern": self.pattern, "category": self.category, "trend_z": self.trend.z, "trend_p": self.trend.p,
            "sen_slope": self.trend.slope, "lq_trend_z": self.lq_trend.z, "lq_trend_p": self.lq_trend.p,
            "lq_sen_slope": self.lq_trend.slope, "periods_hot": self.periods_hot, "periods_cold": self.periods_cold,
        }
        return pd.DataFrame({unit: np.tile(self.units, k), sector: np.repeat(self.sectors, n),
                             **{name: values.T.ravel() for name, values in columns.items()}})

    def bins_to_frame(self, unit: str = "region_code", sector: str = "ksic", period: str = "period") -> pd.DataFrame:
        """One row per sector, unit and period (in that order): ``gi_z``, ``gi_p``, ``gi_q``, ``hot``, ``cold``."""
        n, t, k = self.gi.z.shape
        flat = {name: getattr(self.gi, attr).transpose(2, 0, 1).ravel()
                for name, attr in (("gi_z", "z"), ("gi_p", "p"), ("gi_q", "q"), ("hot", "hot"), ("cold", "cold"))}
        return pd.DataFrame({sector: np.repeat(self.sectors, n * t), unit: np.tile(np.repeat(self.units, t), k),
                             period: np.tile(self.periods, n * k), **flat})


def bin_key(unit: str, period: str) -> str:
    """The id of a space-time bin in :func:`space_time_weights`: ``"11680@2022"``."""
    return f"{unit}{KEY_SEPARATOR}{period}"


def space_time_weights(w, periods, time_lags: int = 1) -> W:
    """Binary space-time weights over the bins ``(unit, period)``, keyed :func:`bin_key`.

    Bin ``(i, t)`` has as neighbours the spatial neighbours ``j`` of ``i`` (any positive weight of
    ``w``) at ``t``, and ``(i, t - l)`` and ``(j, t - l)`` for ``l = 1 .. time_lags`` (ArcGIS's
    Neighborhood Time Step: the neighbourhood reaches back in time only, so the W is not
    symmetric). Every weight is 1; Gi* adds the bin itself. Ids run period by period in
    ``w.id_order`` (bin ``t * n + i``); ``w`` is not modified.
    """
    return space_time_graph(w, periods, time_lags).to_w()


def space_time_graph(w, periods, time_lags: int = 1) -> SparseWeights:
    """:func:`space_time_weights` as the sparse graph the statistics engine reads (no libpysal W is made)."""
    periods = _check_periods(periods)
    lags = _check_lags(time_lags, len(periods))
    spatial = sp.csr_matrix(w.sparse, dtype=np.float64, copy=True)
    spatial.setdiag(0)
    spatial.eliminate_zeros()
    spatial.data[:] = 1.0
    n, t = spatial.shape[0], len(periods)
    earlier = spatial + sp.identity(n, format="csr")
    matrix = sp.kron(sp.identity(t), spatial, format="csr")
    for lag in range(1, lags + 1):
        matrix = matrix + sp.kron(sp.eye(t, k=-lag), earlier, format="csr")
    matrix = sp.csr_matrix(matrix)
    matrix.sort_indices()
    return SparseWeights(matrix, [bin_key(str(unit), period) for period in periods for unit in w.id_order])


def space_time_gi(
    w,
    values,
    periods,
    time_lags: int = 1,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    fdr: str = "bh",
    confidence: float = CONFIDENCE,
    n_jobs: int | None = None,
    progress=None,
) -> SpaceTimeGi:
    """Space-time Gi* z, p, q and hot/cold of every bin, all sectors in one batched call.

    ``values``: ``(units, periods)`` or ``(units, periods, sectors)``, units in ``w.id_order``, NaN
    for a missing value. The bins are stacked period by period and tested with
    :func:`~kibs_spatial.analysis.statistics.local_statistics` on :func:`space_time_weights`:
    ``z*_b = (sum_c w_bc x_c - W_b xbar) / (s sqrt((N S1_b - W_b^2) / (N - 1)))`` over the
    ``N`` bins of the cube with a value (ArcGIS's default global window, the entire cube);
    conditional permutations draw among all other bins; the p-value is two-sided with equal
    tails. ``q`` adjusts the p-values of each sector and period separately (``fdr``); a bin is hot
    when ``q <= 1 - confidence`` and ``z > 0``, cold when ``z < 0``. A missing or
    neighbourless bin has NaN z, p, q and is never hot or cold.
    """
    periods = _check_periods(periods)
    cube = _as_cube(values, len(w.id_order), len(periods))
    if not 0 < confidence < 1:
        raise InputError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    n, t, k = cube.shape
    alpha = round(1.0 - confidence, 12)  # 0.1, not 0.09999999999999998
    stacked = cube.transpose(1, 0, 2).reshape(t * n, k)
    local = local_statistics(space_time_graph(w, periods, time_lags), stacked, permutations=permutations,
                             seed=seed, alternative="two-sided", fdr="none", alpha=alpha, star=True,
                             n_jobs=n_jobs, progress=progress)
    z, p = (getattr(local, name).reshape(t, n, k).transpose(1, 0, 2) for name in ("gi_z", "gi_p"))
    q = adjust_pvalues(p, fdr, axis=0)  # one family per period and sector: one map
    significant = q <= alpha  # NaN compares False
    return SpaceTimeGi(z=z, p=p, q=q, hot=significant & (z > 0), cold=significant & (z < 0),
                       units=tuple(str(u) for u in w.id_order), periods=periods, time_lags=int(time_lags),
                       confidence=float(confidence), settings=replace(local.settings, fdr=fdr, fdr_scope="sector-period"))


def mann_kendall(series) -> MannKendall:
    """Mann-Kendall trend test and Sen's slope of every series along the last axis, NaN skipped.

    With the ``n`` values present (Mann 1945; Kendall 1975; Gilbert 1987, the formulas of
    ``pymannkendall.original_test``):
    ``S = sum_{i<j} sign(x_j - x_i)``,
    ``Var S = (n(n-1)(2n+5) - sum_g t_g(t_g-1)(2t_g+5)) / 18`` (``t_g`` = size of tie group g),
    ``z = (S - sign S) / sqrt(Var S)`` (0 when S = 0), ``p = 2 (1 - Phi(|z|))``, and Sen's slope
    ``median_{i<j} (x_j - x_i) / (j - i)`` per period step, over the pairs of values present (a
    skipped period keeps its place in time). A series with fewer than :data:`MIN_TREND_VALUES`
    values gives NaN everywhere (its ``n`` is still reported): with 3 values p >= 0.296 and no
    trend could be significant. Vectorised over all leading axes.

    Examples
    --------
    >>> mk = mann_kendall([[1.0, 2.0, np.nan, 4.0, 5.0], [3.0, 1.0, 2.0, np.nan, np.nan]])
    >>> mk.s.tolist(), mk.slope.tolist(), mk.n.tolist()
    ([6.0, nan], [1.0, nan], [4, 3])
    >>> round(float(mk.p[0]), 4)
    0.0894
    """
    x = np.asarray(series, dtype=np.float64)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise InputError("mann_kendall needs series along the last axis")
    flat = x.reshape(-1, x.shape[-1])
    n = (~np.isnan(flat)).sum(axis=1)
    out = np.full((5, flat.shape[0]), np.nan)
    out[4] = n
    tested = n >= MIN_TREND_VALUES
    if tested.any():
        out[:4, tested] = _mann_kendall_rows(flat[tested])
    s, z, p, slope, count = (row.reshape(x.shape[:-1]) for row in out)
    return MannKendall(s=s, z=z, p=p, slope=slope, n=count.astype(np.int64))


def classify(hot, cold, trend_z, trend_p, trend_alpha: float = TREND_ALPHA) -> np.ndarray:
    """The ArcGIS pattern of every series: ``hot``/``cold`` ``(..., periods)`` booleans, the trend's
    ``z``/``p`` ``(...)``; returns pattern names (:data:`PATTERNS`), shape ``(...)``.

    Rules, with ``h``/``c`` the numbers of hot/cold bins among ``T`` periods, "90 %" meaning
    ``h >= 0.9 T`` (10 of 11 years, 9 of 10; all of 9 or fewer) and the trend significant when
    ``p <= trend_alpha`` (up: ``z > 0``, down: ``z < 0``), first match wins:

    - final period hot and ``h`` 90 %: Intensifying (trend up), Diminishing (down), else Persistent;
    - final period hot, otherwise: Oscillating if ever cold; New if ``h = 1``; Consecutive if the
      hot bins are one run ending at the final period (two or more); else Sporadic;
    - final period cold: the same, mirrored (Intensifying Cold = trend down);
    - final period neither: Historical Hot if ``h`` 90 %, Historical Cold if ``c`` 90 %;
    - otherwise No Pattern Detected.

    ArcGIS's definitions (:data:`PATTERNS`) leave two overlaps open; we give a unit that matches
    both New and Oscillating (hot only at the end, cold before) Oscillating, as sfdep does, and a
    unit hot >= 90 % but cold at the end Oscillating Cold rather than Historical Hot.
    """
    hot, cold = np.asarray(hot, dtype=bool), np.asarray(cold, dtype=bool)
    if hot.shape != cold.shape or hot.ndim == 0 or hot.shape[-1] < 2:
        raise InputError(f"hot and cold must have one shape with at least 2 periods, got {hot.shape} and {cold.shape}")
    if (hot & cold).any():
        raise InputError("a bin cannot be both hot and cold")
    z, p = np.asarray(trend_z, dtype=np.float64), np.asarray(trend_p, dtype=np.float64)
    significant = p <= trend_alpha  # NaN: no trend test, never significant
    up, down = significant & (z > 0), significant & (z < 0)
    conditions, names = [], []
    for kind, mine, other, rising, falling in (("Hot", hot, cold, up, down), ("Cold", cold, hot, down, up)):
        count, final, mostly = mine.sum(-1), mine[..., -1], _ninety_percent(mine)
        conditions += [final & mostly & rising, final & mostly & falling, final & mostly, final & other.any(-1),
                       final & (count == 1), final & (_final_run(mine) == count), final]
        names += [f"{name} {kind} Spot" for name in
                  ("Intensifying", "Diminishing", "Persistent", "Oscillating", "New", "Consecutive", "Sporadic")]
    conditions += [_ninety_percent(hot), _ninety_percent(cold)]
    names += ["Historical Hot Spot", "Historical Cold Spot"]
    return np.select(conditions, np.array(names, dtype=object), default=NO_PATTERN).astype(object)


def emerging_hotspots(
    w,
    values,
    periods,
    sectors=None,
    lq=None,
    time_lags: int = 1,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    fdr: str = "bh",
    confidence: float = CONFIDENCE,
    trend_alpha: float = TREND_ALPHA,
    n_jobs: int | None = None,
    progress=None,
) -> EmergingHotspots:
    """Emerging Hot Spot Analysis of every sector: :func:`space_time_gi`, :func:`mann_kendall` of each
    unit's Gi* z series and of its ``lq`` series (default: ``values``), :func:`classify`.

    ``values``/``lq``: ``(units, periods, sectors)`` (or ``(units, periods)``), units in ``w.id_order``;
    ``sectors``: their names (default ``"0", "1", ...``). A unit without any Gi* value in a sector
    is :data:`UNDEFINED`; missing bins count as neither hot nor cold.
    """
    gi = space_time_gi(w, values, periods, time_lags, permutations, seed, fdr, confidence, n_jobs, progress)
    k = gi.z.shape[2]
    names = tuple(str(s) for s in (range(k) if sectors is None else sectors))
    if len(names) != k:
        raise InputError(f"got {len(names)} sector names for {k} sectors")
    lq_cube = _as_cube(values if lq is None else lq, *gi.z.shape[:2])
    trend = mann_kendall(gi.z.transpose(0, 2, 1))
    pattern = classify(gi.hot.transpose(0, 2, 1), gi.cold.transpose(0, 2, 1), trend.z, trend.p, trend_alpha)
    pattern[np.isnan(gi.z).all(axis=1)] = UNDEFINED
    return EmergingHotspots(sectors=names, gi=gi, pattern=pattern, trend=trend,
                            lq_trend=mann_kendall(lq_cube.transpose(0, 2, 1)), periods_hot=gi.hot.sum(axis=1),
                            periods_cold=gi.cold.sum(axis=1), trend_alpha=float(trend_alpha))


def cube_from_frame(frame: pd.DataFrame, column: str, units, periods, sectors, unit: str = "region_code",
                    period: str = "period", sector: str = "ksic") -> np.ndarray:
    """A long table's ``column`` as a ``(units, periods, sectors)`` cube (NaN where a row is missing)."""
    wide = frame.set_index([unit, period, sector])[column]
    if wide.index.duplicated().any():
        raise InputError(f"more than one row per {unit}, {period} and {sector} in the table")
    index = pd.MultiIndex.from_product([list(units), [str(p) for p in periods], list(sectors)])
    return wide.reindex(index).to_numpy(dtype=np.float64).reshape(len(units), len(periods), len(sectors))


def _mann_kendall_rows(x: np.ndarray) -> np.ndarray:
    """``(S, z, p, slope)`` of each row of ``x`` (NaN = missing), rows with at least 2 values."""
    i, j = np.triu_indices(x.shape[1], k=1)
    diff = x[:, j] - x[:, i]
    s = np.nansum(np.sign(diff), axis=1)
    valid = ~np.isnan(x)
    n = valid.sum(axis=1)
    group = (x[:, :, None] == x[:, None, :]).sum(axis=2)  # size of each value's tie group (0 if missing)
    ties = np.where(valid, (group - 1) * (2 * group + 5), 0).sum(axis=1)
    var = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s == 0, 0.0, (s - np.sign(s)) / np.sqrt(var))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        slope = np.nanmedian(diff / (j - i), axis=1)
    return np.vstack([s, z, 2 * (1 - ndtr(np.abs(z))), slope])


def _ninety_percent(flags: np.ndarray) -> np.ndarray:
    """At least 90 % of the periods flagged (integer arithmetic: ``10 h >= 9 T``)."""
    return 10 * flags.sum(-1) >= 9 * flags.shape[-1]


def _final_run(flags: np.ndarray) -> np.ndarray:
    """Length of the run of flagged periods that ends at the final period."""
    reversed_ = flags[..., ::-1]
    return np.where(reversed_.all(-1), flags.shape[-1], np.argmin(reversed_, axis=-1))


def _check_periods(periods) -> tuple[str, ...]:
    labels = tuple(str(p) for p in periods)
    if not labels or len(set(labels)) != len(labels):
        raise InputError(f"periods must be distinct labels in time order, got {list(labels)}")
    return labels


def _check_lags(time_lags, periods: int) -> int:
    if isinstance(time_lags, bool) or int(time_lags) != time_lags or not 0 <= int(time_lags) < max(periods, 1):
        raise InputError(f"time_lags must be a whole number from 0 to {max(periods - 1, 0)} (periods - 1), "
                         f"got {time_lags}")
    return int(time_lags)


def _as_cube(values, units: int, periods: int) -> np.ndarray:
    cube = np.asarray(values, dtype=np.float64)
    if cube.ndim == 2:
        cube = cube[:, :, None]
    if cube.ndim != 3 or cube.shape[:2] != (units, periods):
        raise InputError(f"values have shape {np.shape(values)}, expected ({units}, {periods}, sectors): "
                         "units in the order of the weights, periods in time order")
    if np.isinf(cube).any():
        raise InputError("values contain infinite values; use NaN for a missing value")
    return cube
