"""Emerging hot spots: space-time weights, space-time Gi*, Mann-Kendall, the 17 ArcGIS patterns, pyehsa."""

from __future__ import annotations

import copy
import importlib
import sys
from collections import Counter
from pathlib import Path

import esda
import libpysal
import numpy as np
import pandas as pd
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))
from system_programs import require  # noqa: E402
from test_statistics_support import assert_same_w, idw_knn_w, snapshot  # noqa: E402

from kibs_spatial.analysis.emerging import (  # noqa: E402
    PATTERN_CODES,
    PATTERNS,
    UNDEFINED,
    bin_key,
    classify,
    cube_from_frame,
    emerging_hotspots,
    mann_kendall,
    space_time_gi,
    space_time_weights,
)
from kibs_spatial.analysis.statistics import adjust_pvalues, local_statistics  # noqa: E402
from kibs_spatial.analysis.statistics.inference import numba_threads  # noqa: E402
from kibs_spatial.errors import InputError  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs" / "EMERGING.md"
YEARS = [str(y) for y in range(2012, 2023)]


def reference(module: str):
    """A test-only reference library of the ``test`` extra: skipped locally when missing, a failure in CI."""
    try:
        return importlib.import_module(module)
    except ImportError:
        require(False, f"{module} is not installed (pip install -e '.[test]')")


def rook_2x2() -> libpysal.weights.W:
    """Units a-b on top, c-d below; rook neighbours a-b, a-c, b-d, c-d."""
    return libpysal.weights.W({"a": ["b", "c"], "b": ["a", "d"], "c": ["a", "d"], "d": ["b", "c"]},
                              id_order=["a", "b", "c", "d"])


def neighbour_sets(w) -> dict[str, set[str]]:
    return {key: set(w.neighbors[key]) for key in w.id_order}


# --- space-time neighbourhood -----------------------------------------------------------------------------


def test_space_time_neighbours_with_one_time_lag():
    st = space_time_weights(rook_2x2(), ["2021", "2022", "2023"], time_lags=1)
    assert st.id_order[:5] == ["a@2021", "b@2021", "c@2021", "d@2021", "a@2022"]
    got = neighbour_sets(st)
    assert got["a@2021"] == {"b@2021", "c@2021"}  # the first period has no earlier bins
    assert got["a@2022"] == {"b@2022", "c@2022", "a@2021", "b@2021", "c@2021"}
    assert got["d@2023"] == {"b@2023", "c@2023", "d@2022", "b@2022", "c@2022"}
    assert "a@2021" not in got["a@2023"]  # one lag reaches back one period only
    assert all(value == 1.0 for weights in st.weights.values() for value in weights)


def test_space_time_neighbours_with_two_time_lags():
    got = neighbour_sets(space_time_weights(rook_2x2(), ["2021", "2022", "2023"], time_lags=2))
    assert got["a@2022"] == {"b@2022", "c@2022", "a@2021", "b@2021", "c@2021"}
    assert got["a@2023"] == {"b@2023", "c@2023", "a@2022", "b@2022", "c@2022", "a@2021", "b@2021", "c@2021"}
    assert got["b@2023"] == {"a@2023", "d@2023", "b@2022", "a@2022", "d@2022", "b@2021", "a@2021", "d@2021"}


def test_no_time_lag_keeps_the_spatial_neighbours_of_each_period():
    got = neighbour_sets(space_time_weights(rook_2x2(), ["2021", "2022"], time_lags=0))
    assert got["a@2022"] == {"b@2022", "c@2022"}
    assert bin_key("11680", "2022") == "11680@2022"


def test_space_time_weights_are_binary_and_leave_the_spatial_weights_alone():
    w = idw_knn_w(30, k=4, island=True)
    before = snapshot(w)
    st = space_time_weights(w, ["2021", "2022"], time_lags=1)
    assert_same_w(w, before)
    assert {value for weights in st.weights.values() for value in weights} == {1.0}
    island = bin_key(str(w.id_order[-1]), "2022")
    assert st.neighbors[island] == [bin_key(str(w.id_order[-1]), "2021")]  # an island still has its own past
    assert st.neighbors[bin_key(str(w.id_order[-1]), "2021")] == []


@pytest.mark.parametrize("lags", [-1, 3, 1.5, True])
def test_time_lags_must_be_a_whole_number_below_the_number_of_periods(lags):
    with pytest.raises(InputError, match="time_lags"):
        space_time_weights(rook_2x2(), ["2021", "2022", "2023"], time_lags=lags)


# --- space-time Gi* ---------------------------------------------------------------------------------------


def smooth_cube(w, periods: int, sectors: int, seed: int) -> np.ndarray:
    """Spatially smoothed lognormal values with a drift, (units, periods, sectors)."""
    rng = np.random.default_rng(seed)
    raw = rng.lognormal(size=(w.n, periods, sectors))
    lag = libpysal.weights.lag_spatial(w, raw.reshape(w.n, -1)).reshape(raw.shape) / w.cardinalities[0]
    return raw + 2 * lag + np.linspace(0, 1, periods)[None, :, None]


def test_space_time_gi_equals_esda_on_the_stacked_bins_and_fdr_is_per_sector_and_period():
    w = libpysal.weights.lat2W(6, 6, rook=False)
    periods = YEARS[:5]
    cube = smooth_cube(w, 5, 3, seed=1)
    gi = space_time_gi(w, cube, periods, time_lags=2, permutations=199, seed=3)
    st = space_time_weights(w, periods, time_lags=2)
    stacked = cube.transpose(1, 0, 2).reshape(-1, 3)
    for s in range(3):
        ref = esda.G_Local(stacked[:, s], copy.deepcopy(st), transform="B", star=True, permutations=0)
        np.testing.assert_allclose(gi.z[:, :, s].T.ravel(), ref.Zs, rtol=0, atol=1e-10)
    direct = local_statistics(st, stacked, permutations=199, seed=3, fdr="none")
    np.testing.assert_array_equal(gi.p[:, :, 1].T.ravel(), direct.gi_p[:, 1])
    np.testing.assert_array_equal(gi.q[:, 3, 2], adjust_pvalues(gi.p[:, 3, 2], "bh"))
    pooled = adjust_pvalues(gi.p[:, :, 2], "bh")
    assert not np.allclose(pooled, gi.q[:, :, 2])  # one family per map, not per sector
    np.testing.assert_array_equal(gi.hot, (gi.q <= 0.10) & (gi.z > 0))
    np.testing.assert_array_equal(gi.cold, (gi.q <= 0.10) & (gi.z < 0))
    assert gi.hot.any() and gi.cold.any()
    assert gi.settings.fdr == "bh" and gi.settings.permutations == 199 and gi.confidence == 0.9


def test_missing_values_stay_missing_and_are_never_significant():
    w = libpysal.weights.lat2W(6, 6, rook=False)
    cube = smooth_cube(w, 6, 2, seed=4)
    cube[7, 2, 0] = np.nan  # one missing year
    cube[20, :, 1] = np.nan  # a unit missing in every year of one sector
    res = emerging_hotspots(w, cube, YEARS[:6], permutations=99, seed=5)
    assert np.isnan(res.gi.z[7, 2, 0]) and np.isnan(res.gi.p[7, 2, 0]) and np.isnan(res.gi.q[7, 2, 0])
    assert not res.gi.hot[7, 2, 0] and not res.gi.cold[7, 2, 0]
    assert np.isfinite(res.gi.z[[6, 8, 13], 2, 0]).all()  # its neighbours are still tested
    assert res.trend.n[7, 0] == 5 and np.isfinite(res.trend.z[7, 0])
    assert res.pattern[20, 1] == UNDEFINED and res.pattern[20, 0] != UNDEFINED
    assert res.category[20, 1] == 0 and np.isnan(res.trend.z[20, 1]) and np.isnan(res.lq_trend.z[20, 1])
    assert res.periods_hot[20, 1] == 0 and res.periods_cold[20, 1] == 0


def test_same_seed_same_result_on_one_and_two_threads():
    w = libpysal.weights.lat2W(7, 7, rook=False)
    cube = smooth_cube(w, 6, 3, seed=6)
    cube[3, 1, 2] = np.nan
    with numba_threads(1):
        one = emerging_hotspots(w, cube, YEARS[:6], permutations=499, seed=11)
    with numba_threads(2):
        two = emerging_hotspots(w, cube, YEARS[:6], permutations=499, seed=11)
    pd.testing.assert_frame_equal(one.bins_to_frame(), two.bins_to_frame())
    pd.testing.assert_frame_equal(one.to_frame(), two.to_frame())
    other = emerging_hotspots(w, cube, YEARS[:6], permutations=499, seed=12)
    assert not np.array_equal(one.gi.p, other.gi.p, equal_nan=True)


def test_tables_for_the_writers():
    w = rook_2x2()
    cube = np.arange(4 * 4 * 2, dtype=float).reshape(4, 4, 2) % 7
    res = emerging_hotspots(w, cube, YEARS[:4], sectors=["62", "713"], permutations=99)
    table = res.to_frame()
    assert list(table.columns) == ["region_code", "ksic", "pattern", "category", "trend_z", "trend_p", "sen_slope",
                                   "lq_trend_z", "lq_trend_p", "lq_sen_slope", "periods_hot", "periods_cold"]
    assert table[["region_code", "ksic"]].values.tolist()[:5] == [["a", "62"], ["b", "62"], ["c", "62"], ["d", "62"],
                                                                  ["a", "713"]]
    assert table.loc[5, "trend_z"] == res.trend.z[1, 1] and table.loc[5, "lq_sen_slope"] == res.lq_trend.slope[1, 1]
    bins = res.bins_to_frame()
    assert list(bins.columns) == ["ksic", "region_code", "period", "gi_z", "gi_p", "gi_q", "hot", "cold"]
    assert len(bins) == 4 * 4 * 2
    row = bins[(bins.ksic == "713") & (bins.region_code == "c") & (bins.period == "2014")].iloc[0]
    assert row.gi_z == res.gi.z[2, 2, 1] and row.gi_q == res.gi.q[2, 2, 1]
    long = bins.assign(value=cube.transpose(2, 0, 1).ravel()).drop(index=3)
    back = cube_from_frame(long, "value", "abcd", YEARS[:4], ["62", "713"])
    assert np.isnan(back[0, 3, 0]) and np.array_equal(back[1:], cube[1:])


def test_bad_input_is_refused_with_a_message():
    w = rook_2x2()
    with pytest.raises(InputError, match="expected \\(4, 3, sectors\\)"):
        space_time_gi(w, np.ones((4, 2)), YEARS[:3])
    with pytest.raises(InputError, match="infinite"):
        space_time_gi(w, np.full((4, 3), np.inf), YEARS[:3])
    with pytest.raises(InputError, match="confidence"):
        space_time_gi(w, np.ones((4, 3)), YEARS[:3], confidence=90)
    with pytest.raises(InputError, match="distinct"):
        space_time_gi(w, np.ones((4, 2)), ["2021", "2021"])
    with pytest.raises(InputError, match="sector names"):
        emerging_hotspots(w, np.random.default_rng(0).random((4, 3, 2)), YEARS[:3], sectors=["62"], permutations=0)


# --- Mann-Kendall -----------------------------------------------------------------------------------------


def test_mann_kendall_by_hand_with_a_tie():
    # pairs of [1, 2, 2, 3]: five increases and one tie, S = 5; one tie group of 2:
    # Var S = (4*3*13 - 2*1*9) / 18 = 23/3; z = (5 - 1) / sqrt(23/3); slopes 1, 1/2, 2/3, 0, 1/2, 1 -> 7/12
    mk = mann_kendall([1.0, 2.0, 2.0, 3.0])
    assert mk.s == 5 and mk.n == 4
    assert mk.z == pytest.approx(4 / np.sqrt(23 / 3), abs=1e-12)
    assert mk.p == pytest.approx(2 * stats.norm.sf(4 / np.sqrt(23 / 3)), abs=1e-12)
    assert mk.slope == pytest.approx(7 / 12, abs=1e-12)


def test_mann_kendall_equals_pymannkendall_with_ties_and_gaps():
    pmk = reference("pymannkendall")
    rng = np.random.default_rng(8)
    series = np.round(rng.normal(size=(300, 11)) + np.linspace(0, 1, 11), 1)  # rounding makes ties
    series[rng.random(series.shape) < 0.12] = np.nan
    mk = mann_kendall(series.reshape(30, 10, 11))
    assert mk.s.shape == (30, 10)
    tested = 0
    for row, x in enumerate(series):
        got = [a.ravel()[row] for a in (mk.s, mk.z, mk.p, mk.slope)]
        if (~np.isnan(x)).sum() < 4:
            assert np.isnan(got).all()
            continue
        ref = pmk.original_test(x)
        np.testing.assert_allclose(got, [ref.s, ref.z, ref.p, ref.slope], rtol=1e-12, atol=1e-14)
        tested += 1
    assert tested > 280


def test_mann_kendall_variance_equals_scipys_kendall_tau():
    # scipy's asymptotic tau-b test of (time, x) is the uncorrected MK z: S / sqrt(Var S), ties in x only
    x = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0])
    mk = mann_kendall(x)
    sd = (mk.s - np.sign(mk.s)) / mk.z
    ref = stats.kendalltau(np.arange(x.size), x, method="asymptotic")
    assert ref.pvalue == pytest.approx(2 * stats.norm.sf(abs(mk.s) / sd), rel=1e-12)


def test_mann_kendall_of_short_and_flat_series():
    short = mann_kendall([1.0, 2.0, np.nan, 3.0])
    assert short.n == 3 and np.isnan([short.s, short.z, short.p, short.slope]).all()
    four = mann_kendall([1.0, 2.0, 3.0, 4.0])  # the shortest series that can be significant at 90 %
    assert four.p == pytest.approx(0.0894, abs=1e-4)
    flat = mann_kendall([2.0] * 5)
    assert (flat.s, flat.z, flat.p, flat.slope) == (0, 0, 1, 0)


# --- the 17 patterns --------------------------------------------------------------------------------------

UP, DOWN, FLAT = (3.0, 0.001), (-3.0, 0.001), (0.5, 0.6)

# H = hot bin, C = cold bin, . = neither; trend (z, p) of the Gi* z series
CASES = [
    ("...........", FLAT, "No Pattern Detected"),
    ("..H....H...", FLAT, "No Pattern Detected"),  # hot in the past, neither at the end nor 90 %
    ("..........H", FLAT, "New Hot Spot"),
    (".......HHHH", UP, "Consecutive Hot Spot"),
    (".HHHHHHHHHH", UP, "Intensifying Hot Spot"),
    ("HHHHHHHHHHH", FLAT, "Persistent Hot Spot"),
    (".HHHHHHHHHH", DOWN, "Diminishing Hot Spot"),
    ("..HH...H..H", FLAT, "Sporadic Hot Spot"),
    ("C.H.....HHH", FLAT, "Oscillating Hot Spot"),
    ("HHHHHHHHHH.", DOWN, "Historical Hot Spot"),
    ("..........C", FLAT, "New Cold Spot"),
    ("........CCC", DOWN, "Consecutive Cold Spot"),
    ("CCCCCCCCCCC", DOWN, "Intensifying Cold Spot"),
    ("CCCCCCCCC.C", FLAT, "Persistent Cold Spot"),
    ("CCCCCCCCCCC", UP, "Diminishing Cold Spot"),
    ("C..C.C....C", FLAT, "Sporadic Cold Spot"),
    ("..H.......C", FLAT, "Oscillating Cold Spot"),
    ("CCCCCCCCCC.", UP, "Historical Cold Spot"),
    # the rules at their edges
    ("HHHHHHHHH.H", FLAT, "Persistent Hot Spot"),  # 10 of 11 is 90 %, the final one included
    ("HHHHHHHH..H", FLAT, "Sporadic Hot Spot"),  # 9 of 11 is less than 90 %
    ("HHHHHHHHH.", FLAT, "Historical Hot Spot"),  # 9 of 10 is 90 %
    ("HHHHHHHHHH.", UP, "Historical Hot Spot"),  # not hot at the end: no trend makes it intensifying
    ("HHHHHHHHHHH", (3.0, 0.10), "Intensifying Hot Spot"),  # p <= 0.10 is significant
    ("HHHHHHHHHHH", (3.0, 0.1001), "Persistent Hot Spot"),
    ("HHHHHHHHHHH", (np.nan, np.nan), "Persistent Hot Spot"),  # no trend test: no discernible trend
    ("H.........H", FLAT, "Sporadic Hot Spot"),  # hot before the final run: not new, not consecutive
    ("H........HH", FLAT, "Sporadic Hot Spot"),
    ("C.........H", FLAT, "Oscillating Hot Spot"),  # new and oscillating at once: oscillating (as sfdep)
    ("HHHHHHHHHHC", FLAT, "Oscillating Cold Spot"),  # historical hot and oscillating cold: cold at the end
    ("....HHHHHHH", FLAT, "Consecutive Hot Spot"),
    ("..HHHHHHHHH", FLAT, "Consecutive Hot Spot"),  # 9 of 11: still less than 90 %
    ("...HHH.HHHH", FLAT, "Sporadic Hot Spot"),  # the run is interrupted
    (".H", FLAT, "New Hot Spot"),
    ("HH", FLAT, "Persistent Hot Spot"),
]


def flags(text: str) -> tuple[np.ndarray, np.ndarray]:
    return np.array([c == "H" for c in text]), np.array([c == "C" for c in text])


@pytest.mark.parametrize("series, trend, expected", CASES, ids=[f"{c[2]}:{c[0]}" for c in CASES])
def test_each_pattern_on_a_hand_built_series(series, trend, expected):
    hot, cold = flags(series)
    assert classify(hot, cold, *trend) == expected


def test_every_pattern_is_covered_and_classify_is_vectorised():
    assert {name for _, _, name in CASES} == {p.name for p in PATTERNS}
    same_length = [case for case in CASES if len(case[0]) == 11]
    hot, cold = (np.array(a) for a in zip(*(flags(series) for series, _, _ in same_length)))
    z, p = np.array([trend for _, trend, _ in same_length]).T
    got = classify(hot[None], cold[None], z[None], p[None])
    assert got.shape == (1, len(same_length))
    assert got[0].tolist() == [name for _, _, name in same_length]
    with pytest.raises(InputError, match="both hot and cold"):
        classify(np.array([True, True]), np.array([False, True]), 0.0, 1.0)
    assert PATTERN_CODES["Historical Cold Spot"] == -8 and PATTERN_CODES["New Hot Spot"] == 1


def cluster_cube(strength: np.ndarray) -> tuple[libpysal.weights.W, np.ndarray]:
    """A 7x7 queen lattice, one sector per row of ``strength`` (periods): the 3x3 block in the middle
    takes ``strength[t]`` over a noisy background of mean 0."""
    w = libpysal.weights.lat2W(7, 7, rook=False)
    rng = np.random.default_rng(21)
    cube = rng.normal(scale=0.3, size=(w.n, strength.shape[1], strength.shape[0]))
    block = [16, 17, 18, 23, 24, 25, 30, 31, 32]
    cube[block] += strength.T[None, :, :]
    return w, cube


def test_patterns_of_hand_built_value_cubes():
    scenarios = {  # the block's value in each of 11 years -> the pattern of the unit in its middle
        "New Hot Spot": [0] * 10 + [3],
        "Consecutive Hot Spot": [0] * 7 + [3] * 4,
        "Intensifying Hot Spot": np.linspace(4, 6, 11),
        "Persistent Hot Spot": [3] * 11,
        "Diminishing Hot Spot": np.linspace(6, 4, 11),
        "Sporadic Hot Spot": [0, 3, 0, 0, 3, 0, 0, 0, 3, 0, 3],
        "Oscillating Hot Spot": [-3, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3],
        "Historical Hot Spot": [3] * 10 + [0],
        "New Cold Spot": [0] * 10 + [-3],
        "Consecutive Cold Spot": [0] * 7 + [-3] * 4,
        "Intensifying Cold Spot": np.linspace(-4, -6, 11),
        "Persistent Cold Spot": [-3] * 11,
        "Diminishing Cold Spot": np.linspace(-6, -4, 11),
        "Sporadic Cold Spot": [0, -3, 0, 0, -3, 0, 0, 0, -3, 0, -3],
        "Oscillating Cold Spot": [3, 0, 0, 0, 0, 0, 0, 0, 0, -3, -3],
        "Historical Cold Spot": [-3] * 10 + [0],
        "No Pattern Detected": [0] * 11,
    }
    assert set(scenarios) == {p.name for p in PATTERNS}
    w, cube = cluster_cube(np.array([np.asarray(v, dtype=float) for v in scenarios.values()]))
    res = emerging_hotspots(w, cube, YEARS, sectors=list(scenarios), time_lags=0, permutations=999, seed=2)
    assert dict(zip(scenarios, res.pattern[24])) == {name: name for name in scenarios}
    assert res.periods_hot[24, 3] == 11 and res.trend.z[24, 2] > 0 > res.trend.z[24, 4]


def test_a_lagged_neighbourhood_carries_a_cluster_one_period_on():
    w, cube = cluster_cube(np.array([[3.0] * 10 + [0.0]]))
    lagged = emerging_hotspots(w, cube, YEARS, time_lags=1, permutations=999, seed=2)
    assert lagged.gi.hot[24, -1, 0]  # last year's cluster still counts in the final bin's neighbourhood
    assert lagged.pattern[24, 0] != "Historical Hot Spot"


# --- pyehsa on one shared cube ----------------------------------------------------------------------------


def shared_cube(sectors: int = 4, side: int = 14, periods: int = 11, seed: int = 11) -> tuple:
    """Per sector four blobs on a queen lattice: a persistent, an emerging, a fading and a cold one, plus noise."""
    w = libpysal.weights.lat2W(side, side, rook=False)
    rng = np.random.default_rng(seed)
    row, col = np.divmod(np.arange(w.n), side)
    t = np.arange(periods)
    cube = np.empty((w.n, periods, sectors))
    for s in range(sectors):
        centres = rng.uniform(0, side, size=(4, 2))
        blob = [np.exp(-((row - cy) ** 2 + (col - cx) ** 2) / 8.0)[:, None] for cy, cx in centres]
        shape = blob[0] + blob[1] * np.clip((t - 4) / 6, 0, 1) + blob[2] * np.clip(1 - t / 6, 0, 1) - blob[3]
        cube[:, :, s] = 2 + 1.5 * shape + rng.normal(scale=0.35, size=(w.n, periods))
    return w, cube


PYEHSA_NAMES = {p.name: p.name.lower().replace(" spot", "spot").replace("oscillating", "oscilating")
                for p in PATTERNS}


def explain(ours: str, theirs: str, hot: np.ndarray, cold: np.ndarray, z: np.ndarray) -> str | None:
    """Which documented difference between pyehsa 0.1.2 and ArcGIS's rules (docs/EMERGING.md) gives this pair."""
    final_sig = hot[-1] or cold[-1]
    if ours == "No Pattern Detected" and theirs in ("sporadic hotspot", "sporadic coldspot") and not final_sig:
        return "sporadic without the final period"
    if ours.startswith("Historical") and theirs == "no pattern detected" and (z[-1] >= 0) == ours.endswith("Hot Spot"):
        return "historical needs the final z of the other sign"
    if ours.startswith("Historical") and theirs.startswith("persistent"):
        return "persistent without the final period"
    if hot.any() and cold.any():
        return "significance of either sign counted"
    return None


@pytest.mark.filterwarnings("ignore")
def test_classification_agrees_with_pyehsa_on_a_shared_cube():
    pyehsa = reference("pyehsa")
    w, cube = shared_cube()
    res = emerging_hotspots(w, cube, YEARS, permutations=999, seed=1)
    same, causes = 0, Counter()
    for unit, sector in np.ndindex(res.pattern.shape):
        z = res.gi.z[unit, :, sector]
        hot, cold = res.gi.hot[unit, :, sector], res.gi.cold[unit, :, sector]
        mk = pyehsa.MannKendall.mann_kendall_test(z)
        assert mk["sl"] == pytest.approx(res.trend.p[unit, sector], rel=1e-9)  # the same trend test
        theirs = pyehsa.EhsaClassification.classify_hotspot(z, hot | cold, mk["tau"], mk["sl"], threshold=0.10)["name"]
        ours = res.pattern[unit, sector]
        if PYEHSA_NAMES[ours] == theirs:
            same += 1
        else:
            cause = explain(ours, theirs, hot, cold, z)
            assert cause is not None, (ours, theirs, hot, cold, z)
            causes[cause] += 1
    total = res.pattern.size
    assert total == 784
    assert (same, dict(causes)) == (614, {"sporadic without the final period": 169,
                                          "historical needs the final z of the other sign": 1})
    # ArcGIS Pro 3 added "for the final time-step interval" to Sporadic; pyehsa (like sfdep) keeps the older text
    assert (same + causes["sporadic without the final period"]) / total >= 0.95
    assert len(set(res.pattern.ravel())) >= 12


def test_docs_quote_every_definition_and_the_measured_agreement():
    text = DOCS.read_text(encoding="utf-8")
    for pattern in PATTERNS:
        assert pattern.definition in text, pattern.name
    assert "614 of 784" in text and "169" in text
