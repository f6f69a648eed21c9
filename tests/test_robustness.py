"""Robustness: each promising location's stability over other weights, seeds and thresholds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kibs_spatial.analysis.clusters import RulesConfig
from kibs_spatial.analysis.emerging import cube_from_frame, emerging_hotspots
from kibs_spatial.analysis.robustness import (
    resolved_weights,
    scaled_rules,
    specifications,
)
from kibs_spatial.analysis.settings import AnalysisConfig
from kibs_spatial.analysis.statistics.inference import numba_threads
from kibs_spatial.errors import InputError
from kibs_spatial.io.boundaries import load_bundled_regions
from kibs_spatial.io.config import load_config
from kibs_spatial.pipeline import run_analysis


def _config(**robustness) -> AnalysisConfig:
    config = AnalysisConfig()
    return dataclasses.replace(config, statistics=dataclasses.replace(config.statistics, permutations=199),
                               robustness=dataclasses.replace(config.robustness, enabled=True, **robustness))


@pytest.fixture(scope="module")
def robust_run():
    return run_analysis(_config())


def test_specifications_change_one_choice_at_a_time():
    specs = specifications(_config(), "queen:tolerance=500")
    assert specs[0].what == "the run's own choices" and len(specs) == 1 + 6 + 2 + 2 + 2
    for spec in specs[1:]:
        changed = [spec.weights != "queen:tolerance=500", spec.seed != 20140582, spec.lq_factor != 1,
                   spec.size_factor != 1]
        assert sum(changed) == 1, spec


def test_stability_and_what_a_fragile_location_hinges_on(robust_run):
    table = robust_run.latest()
    rob = robust_run.robustness
    assert len(rob.specifications) == 13 and rob.robust_at == 0.8
    assert table["stability"].between(0, 1).all() and (table["robust"] == (table["stability"] >= 0.8)).all()
    promising = table[table["promising"]]
    assert (promising["stability"] >= 1 / 13).all()  # the run's own specification counts
    assert ((table["stability"] > 0) | ~table["promising"]).all()
    hinging = promising[promising["stability"] < 1]
    assert len(hinging) and (hinging["hinges_on"] != "").all()
    assert (promising.loc[promising["stability"] == 1, "hinges_on"].fillna("") == "").all()
    assert (table.loc[~table["promising"], "hinges_on"].fillna("") == "").all()
    for row in hinging.itertuples():  # each named specification is one the location fails
        assert round((1 - row.stability) * 13) == len(row.hinges_on.split("; "))
    assert robust_run.table.loc[robust_run.table["period"] == "2012", "stability"].isna().all()  # last period only


def test_a_location_just_above_the_lq_threshold_hinges_on_it():
    """With one other specification (kiet's LQ threshold x 1.1 = 2.2), a promising location with
    2.0 <= LQ < 2.2 is promising in half of the specifications and hinges on that one; the others hold."""
    only_lq = _config(weights=(), seeds=(), lq_factors=(1.1,), size_factors=(), robust_at=1.0)
    table = run_analysis(only_lq).latest()
    promising = table[table["promising"]]
    edge, clear = promising[promising["lq"] < 2.2], promising[promising["lq"] >= 2.2]
    assert len(edge) > 0 and len(clear) > 0
    assert (edge["stability"] == 0.5).all() and (edge["hinges_on"] == "LQ thresholds x 1.1").all()
    assert (clear["stability"] == 1.0).all() and clear["robust"].all()


def test_same_seed_same_stability_on_one_or_two_threads():
    config = _config(weights=("queen:tolerance=500", "knn:k=6"), lq_factors=(1.0,), size_factors=(1.0,), seeds=(20140582, 3))
    with numba_threads(1):
        one = run_analysis(config).robustness.table
    with numba_threads(2):
        two = run_analysis(config).robustness.table
    np.testing.assert_array_equal(one["stability"].to_numpy(), two["stability"].to_numpy())


def test_thresholds_are_scaled_for_every_preset():
    rules = scaled_rules(RulesConfig(), 1.1, 0.8)
    kiet, us, eco = rules.parameters["kiet"], rules.parameters["uscmp-strong"], rules.parameters["eco-stars"]
    assert kiet.min_lq == pytest.approx(2.2) and kiet.min_employees == pytest.approx(400)
    assert kiet.min_establishments == pytest.approx(16) and kiet.min_share == 0.01
    assert us.lq_percentile == pytest.approx(82.5) and us.employees_percentile == pytest.approx(20)
    assert eco.size_top_percent == pytest.approx(12.5) and eco.min_lq == pytest.approx(2.2)


def test_distance_band_at_the_largest_nearest_neighbour_distance_links_every_unit():
    from kibs_spatial.analysis.weights import build_weights

    regions = load_bundled_regions()
    spec = resolved_weights("distance:threshold=max-nn", regions)
    assert spec.startswith("distance:threshold=")
    assert build_weights(regions, spec).report.islands == []  # Ulleung-gun too


@pytest.mark.parametrize("text, message", [
    ("[robustness]\nrobust_at = 1.5\n", "robust_at must be a share"),
    ("[robustness]\nweights = ['hexagon']\n", "unknown weights kind"),
    ("[robustness]\nseeds = [1.5]\n", "seeds must be whole numbers"),
    ("[robustness]\nlq_factors = [0, 1]\n", "lq_factors must be positive"),
    ("[robustness]\nenabled = 'yes'\n", "enabled must be true or false"),
])
def test_bad_robustness_settings_are_refused(tmp_path, text, message):
    path = tmp_path / "a.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_config(path)


def test_emerging_patterns_get_a_stability_share(robust_run):
    table = robust_run.latest()
    statistical = 1 + 6 + 2  # the run's own, each other weights, each other seed; thresholds do not move patterns
    share = table["pattern_stability"]
    assert share.between(1 / statistical, 1).all()
    assert np.allclose(share * statistical, np.round(share * statistical))
    assert (share < 1).any() and (share == 1).any()
    fragile = table[share < 1]
    for row in fragile.itertuples():
        assert round((1 - row.pattern_stability) * statistical) == len(row.pattern_hinges_on.split("; "))
    # re-test one specification independently of the robustness code: seed 1 on the run's own weights
    emerging = robust_run.emerging
    cube = cube_from_frame(robust_run.table, "lq", emerging.units, emerging.periods, emerging.sectors)
    other = emerging_hotspots(robust_run.weights.w, cube, emerging.periods, sectors=emerging.sectors,
                              permutations=199, seed=1)
    keys = table.set_index(["region_code", "ksic"])
    named = keys["pattern_hinges_on"].fillna("").str.split("; ").map(lambda what: "seed 1" in what)
    for j, ksic in enumerate(emerging.sectors):
        differs = other.pattern[:, j] != emerging.pattern[:, j]
        flagged = named.loc[list(zip(emerging.units, [ksic] * len(emerging.units)))].to_numpy()
        assert (flagged == differs).all(), ksic
