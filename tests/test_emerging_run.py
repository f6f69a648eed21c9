"""Emerging hot spots in a run: wired to the right cube, on the right rows, as the demo scenario designs them,
and the kiet preset's LQ-trend growth option."""

import dataclasses

import numpy as np
import pytest

from kibs_spatial.analysis.clusters import KietRule, RulesConfig, apply_rules, unavailable_criteria
from kibs_spatial.analysis.emerging import cube_from_frame, emerging_hotspots
from kibs_spatial.analysis.settings import AnalysisConfig, AnalysisSettings, EmergingConfig
from kibs_spatial.errors import InputError
from kibs_spatial.io.config import load_config
from kibs_spatial.pipeline import run_analysis


def test_patterns_on_the_last_period_and_space_time_gi_on_every_period(demo_result):
    table = demo_result.table
    last = table["period"] == demo_result.last_period
    assert demo_result.emerging is not None
    assert table.loc[last, "ehsa_pattern"].notna().all() and table.loc[~last, "ehsa_pattern"].isna().all()
    assert table["st_gi_z"].notna().mean() > 0.9  # every period; islands and undefined cells stay empty
    hot = table["st_gi_bin"] == 1
    assert (table.loc[hot, "st_gi_z"] > 0).all() and (table.loc[hot, "st_gi_q"] <= 0.10).all()
    counted = table[hot].groupby(["region_code", "ksic"]).size()
    periods_hot = table[last].set_index(["region_code", "ksic"])["periods_hot"]
    assert (periods_hot.reindex(counted.index) == counted).all()


def test_the_run_tests_the_cube_in_the_right_order(demo_result):
    """The pipeline reshapes its test matrix into the cube; rebuilding the cube from the written long table (an
    independent path) and running the analysis on it gives the same space-time Gi* and patterns."""
    r = demo_result
    codes, periods, sectors = list(r.weights.w.id_order), [p.label for p in r.periods], [s.ksic for s in r.sectors]
    cube = cube_from_frame(r.table, "lq", codes, periods, sectors)
    again = emerging_hotspots(r.weights.w, cube, periods, sectors=sectors, permutations=r.config.statistics.permutations,
                              seed=r.config.statistics.seed)
    bins = again.bins_to_frame().set_index(["region_code", "ksic", "period"])
    ours = r.table.set_index(["region_code", "ksic", "period"]).loc[bins.index]
    np.testing.assert_array_equal(ours["st_gi_z"].to_numpy(), bins["gi_z"].to_numpy())
    summary = again.to_frame().set_index(["region_code", "ksic"])
    latest = r.latest().set_index(["region_code", "ksic"]).loc[summary.index]
    assert (latest["ehsa_pattern"] == summary["pattern"]).all()


@pytest.mark.parametrize(("ksic", "region", "patterns"), [
    ("732", "11680", {"Persistent Hot Spot", "Intensifying Hot Spot"}),  # design stays in Gangnam-gu
    ("582", "41135", {"New Hot Spot", "Consecutive Hot Spot", "Intensifying Hot Spot"}),  # software emerges in Pangyo
    ("702", "36110", {"New Hot Spot", "Consecutive Hot Spot", "Intensifying Hot Spot"}),  # research moves to Sejong
])
def test_the_demo_scenario_is_found(default_result, ksic, region, patterns):
    row = default_result.latest().set_index(["ksic", "region_code"]).loc[(ksic, region)]
    assert row["ehsa_pattern"] in patterns


def test_too_few_periods_skip_the_analysis_and_the_lq_trend_criterion_says_so():
    config = AnalysisConfig(analysis=AnalysisSettings(periods=("2012", "2016", "2022")),
                            rules=_kiet(growth="lq-trend"))
    result = run_analysis(dataclasses.replace(config, statistics=dataclasses.replace(config.statistics, permutations=99)))
    assert result.emerging is None and "ehsa_pattern" not in result.table.columns
    assert any("LQ trend" in note and "min_periods" in note for note in result.notes)
    assert result.latest()["kiet_pass_growth"].isna().all()


@pytest.mark.parametrize("minimum", [0.05, -1.0])  # -1: a slope that may fall, so the sign of z decides
def test_lq_trend_growth_passes_rising_significant_trends_only(demo_result, minimum):
    rule = KietRule(growth="lq-trend", min_lq_trend=minimum, lq_trend_alpha=0.10)
    latest = demo_result.latest()
    passed = rule.apply(latest)["kiet_pass_growth"]
    expected = (latest["lq_sen_slope"] >= minimum) & (latest["lq_trend_z"] > 0) & (latest["lq_trend_p"] <= 0.10)
    assert passed.notna().all() and passed.sum() > 0
    assert (passed.astype(bool) == expected).all()
    assert f"LQ trend >= {minimum:g}" in rule.describe()
    marked = apply_rules(latest, RulesConfig(("kiet",), "kiet", {"kiet": rule}))
    assert not marked.loc[~expected.to_numpy(), "kiet"].any()


def test_lq_trend_is_reported_missing_only_when_chosen():
    assert unavailable_criteria(_kiet(growth="lq-trend"), {"lq trend"})
    assert not unavailable_criteria(_kiet(), {"lq trend"})


@pytest.mark.parametrize(("key", "value", "message"), [
    ("time_lags", -1, "time_lags"), ("confidence", 0.8, "0.90, 0.95, 0.99"), ("trend_alpha", 1.5, "trend_alpha"),
    ("min_periods", 1, "min_periods"),
])
def test_emerging_settings_are_checked(tmp_path, key, value, message):
    path = tmp_path / "a.toml"
    path.write_text(f"[emerging]\n{key} = {value}\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_config(path)
    assert load_config(None).emerging == EmergingConfig()


def _kiet(**parameters) -> RulesConfig:
    rules = RulesConfig()
    return dataclasses.replace(rules, presets=("kiet",), parameters={**rules.parameters,
                                                                      "kiet": KietRule(**parameters)})
