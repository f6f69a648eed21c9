"""Cluster-rule presets on small tables worked out by hand, their config, and a run with each preset."""

import json
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from kibs_spatial.analysis.clusters import (
    PRESETS,
    EcoStarsRule,
    KietRule,
    LqGiRule,
    RulesConfig,
    UscmpStrongRule,
    apply_rules,
    parse_rules,
)
from kibs_spatial.cli import main
from kibs_spatial.errors import InputError
from kibs_spatial.io.config import load_config


def _percentile_table(ksic="732", scale=1.0):
    """One sector. Percentiles run over R1-R5 (employment > 0); Z has none, M is suppressed.

    employees 100, 200, 200, 300, 400 -> P25 = 200 (linear, position 1), P90 = 360 (position 3.6)
    establishments 10, 20, 20, 30, 40 -> P25 = 20
    LQ 0.5, 1, 2, 2, 3 -> P75 = 2.0 (position 3), P90 = 2.6
    focus (employees / total) .1, .2, .4, .5, .5 -> P90 = 0.5
    """
    return pd.DataFrame({
        "region_code": ["R1", "R2", "R3", "R4", "R5", "Z", "M"],
        "ksic": ksic,
        "employees": np.array([100, 200, 200, 300, 400, 0, np.nan]) * scale,
        "establishments": [10, 20, 20, 30, 40, 0, np.nan],
        "total_employees": np.array([1000, 1000, 500, 600, 800, 1000, 1000]) * scale,
        "lq": [0.5, 1.0, 2.0, 2.0, 3.0, 0.0, np.nan],
        "share": [0.1, 0.2, 0.2, 0.2, 0.3, 0.0, np.nan],
        "cagr": [0.0, 0.1, 0.1, 0.1, 0.1, np.nan, np.nan],
        "gi_bin": [0, 0, 3, 1, 2, 0, np.nan],
        "lisa_cl": ["ns", "ns", "HH", "ns", "ns", "ns", "undefined"],
    })


def _by_region(frame):
    return frame.set_index("region_code")


def test_uscmp_strong_percentiles_and_ties():
    out = _by_region(pd.concat([_percentile_table()[["region_code"]], UscmpStrongRule().apply(_percentile_table())], axis=1))
    # LQ >= P75 = 2.0: the regions tied at the percentile (R3, R4) pass
    assert out["uscmp_strong_pass_lq"].tolist() == [False, False, True, True, True, False, False]
    # employees > P25 = 200: the regions tied at the percentile (R2, R3) fail. Had the zero region
    # entered the base, P25 would be 125 and they would pass.
    assert out["uscmp_strong_pass_employees"].tolist() == [False, False, False, True, True, False, False]
    assert out["uscmp_strong_pass_establishments"].tolist() == [False, False, False, True, True, False, False]
    assert out["uscmp_strong"].tolist() == [False, False, False, True, True, False, False]


def test_uscmp_strong90():
    out = PRESETS["uscmp-strong90"]().apply(_percentile_table())
    assert out["uscmp_strong90_pass_lq"].tolist() == [False, False, False, False, True, False, False]  # P90 = 2.6
    assert out["uscmp_strong90"].tolist() == [False, False, False, False, True, False, False]


def test_uscmp_requires_lq_of_at_least_one():
    table = _percentile_table().assign(lq=[0.1, 0.2, 0.5, 0.6, 0.9, 0.0, np.nan])
    assert not UscmpStrongRule().apply(table)["uscmp_strong"].any()


def test_eco_stars_by_hand():
    out = _by_region(pd.concat([_percentile_table()[["region_code"]], EcoStarsRule().apply(_percentile_table())], axis=1))
    assert out["eco_size"].tolist() == [False, False, False, False, True, False, False]  # >= P90 = 360
    assert out["eco_specialisation"].tolist() == [False, False, True, True, True, False, False]  # LQ >= 2
    assert out["eco_focus"].tolist() == [False, False, False, True, True, False, False]  # tie at P90 = 0.5 passes
    assert out["eco_stars"].iloc[:6].tolist() == [0, 0, 1, 2, 3, 0]
    assert out["eco_stars"].isna().tolist() == [False] * 6 + [True]  # suppressed: unknown, not zero
    assert EcoStarsRule().verdict(out).tolist() == [False, False, False, True, True, False, False]
    assert EcoStarsRule(min_stars=3).verdict(out).tolist() == [False, False, False, False, True, False, False]


def test_kiet_criteria_by_hand():
    table = pd.DataFrame({
        "lq": [2.5, 2.5, 2.5, 2.5, 1.9, 2.0, np.nan],
        "share": [0.02, 0.005, 0.005, 0.02, 0.02, 0.01, 0.02],
        "gi_bin": [0, 2, 0, 0, 3, 1, np.nan],
        "lisa_cl": ["ns", "ns", "HH", "ns", "HH", "ns", "undefined"],
        "employees": [600, 600, 600, 499, 600, 500, 600],
        "establishments": [30, 30, 30, 30, 30, 20, 30],
        "cagr": [0.01, 0.01, 0.01, 0.01, 0.01, 0.0, 0.01],
    })
    out = KietRule().apply(table)
    assert out["kiet_pass_lq"].tolist() == [True, True, True, True, False, True, False]
    # share >= 1 % or Gi* bin >= 2 or LISA HH; row 5 sits exactly on the share threshold
    assert out["kiet_pass_agglomeration"].tolist() == [True, True, True, True, True, True, True]
    assert out["kiet_pass_size"].tolist() == [True, True, True, False, True, True, True]
    assert out["kiet"].tolist() == [True, True, True, False, False, True, False]
    assert KietRule(agglomeration="share").apply(table)["kiet"].tolist() == [True, False, False, False, False, True, False]
    assert KietRule(agglomeration="hotspot").apply(table)["kiet"].tolist() == [False, True, True, False, False, False, False]
    assert KietRule(agglomeration="share-and-hotspot").apply(table)["kiet"].sum() == 0
    assert KietRule(min_cagr=0.005).apply(table)["kiet"].tolist() == [True, True, True, False, False, False, False]


def test_lq_gi_typology():
    table = pd.DataFrame({"lq": [3.0, 3.0, 1.0, 1.0, 2.0, np.nan], "gi_bin": [3, 1, 2, -3, 2, 2]})
    out = LqGiRule().apply(table)
    assert out["lq_gi_type"].iloc[:5].tolist() == [
        "cluster core", "isolated specialisation", "spillover halo", "none", "cluster core"]
    assert pd.isna(out["lq_gi_type"].iloc[5])  # no LQ, no type
    assert LqGiRule(min_gi_bin=1).apply(table)["lq_gi_type"].iloc[1] == "cluster core"


def test_apply_rules_per_sector_agreement_and_primary():
    # Sector 62 has ten times the employment: pooled percentiles would change its verdicts.
    table = pd.concat([_percentile_table("732"), _percentile_table("62", scale=10.0)], ignore_index=True)
    rules = RulesConfig(presets=("uscmp-strong", "eco-stars", "lq-gi"), primary="eco-stars")
    out = apply_rules(table, rules)
    for ksic in ("732", "62"):
        part = _by_region(out[out["ksic"] == ksic])
        assert part["uscmp_strong"].tolist() == [False, False, False, True, True, False, False]
        assert part["eco_stars"].iloc[:6].tolist() == [0, 0, 1, 2, 3, 0]  # pooled, 732's R5 would lose its size star
        assert part["promising"].tolist() == [False, False, False, True, True, False, False]  # eco-stars >= 2
        # lq-gi: cluster core = R3 (LQ 2, bin 3) and R5 (LQ 3, bin 2)
        assert part["presets_agree"].tolist() == [0, 0, 1, 2, 3, 0, 0]
    assert "kiet" not in out.columns and "uscmp_strong90" not in out.columns


def test_default_rules_apply_all_five_with_kiet_primary():
    rules = RulesConfig()
    assert rules.presets == ("kiet", "uscmp-strong", "uscmp-strong90", "eco-stars", "lq-gi") and rules.primary == "kiet"
    flat = rules.as_dict()
    assert flat["kiet.min_share"] == 0.01 and flat["uscmp-strong90.lq_percentile"] == 90.0 and flat["eco-stars.min_stars"] == 2


def WHERE(key: str) -> str:
    return f"a.toml: [rules] {key}"


def test_parse_rules():
    rules = parse_rules({"presets": ["lq-gi", "kiet"], "kiet": {"min_lq": 3, "agglomeration": "none"},
                         "eco-stars": {"min_stars": 1}}, WHERE)
    assert rules.presets == ("lq-gi", "kiet") and rules.primary == "kiet"
    assert rules.parameters["kiet"] == KietRule(min_lq=3.0, agglomeration="none")
    assert rules.parameters["eco-stars"].min_stars == 1
    assert parse_rules({"presets": ["eco-stars"]}, WHERE).primary == "eco-stars"


@pytest.mark.parametrize("values, message", [
    ({"presets": ["kiet", "porter"]}, "unknown preset(s) porter; known: kiet, uscmp-strong, uscmp-strong90, eco-stars, lq-gi"),
    ({"presets": []}, "unknown preset(s) (none given)"),
    ({"presets": 3}, "presets must be a list of names"),
    ({"primary": "lq-gi", "presets": ["kiet"]}, "primary = 'lq-gi' is not among the presets"),
    ({"porter": {}}, "unknown key(s) or preset(s) porter"),
    ({"kiet": {"min_lqq": 2}}, "[rules.kiet]: unknown key(s) min_lqq; known: min_lq"),
    ({"kiet": {"min_lq": "2"}}, "min_lq must be a number, like 2.0"),
    ({"kiet": {"agglomeration": "cluster"}}, "agglomeration must be one of share, hotspot"),
    ({"lq-gi": {"min_gi_bin": 4}}, "min_gi_bin must be 1, 2 or 3"),
    ({"uscmp-strong": {"lq_percentile": 100}}, "lq_percentile must be between 0 and 100"),
    ({"eco-stars": {"min_stars": 2.5}}, "min_stars must be a whole number"),
])
def test_parse_rules_errors(values, message):
    with pytest.raises(InputError) as error:
        parse_rules(values, WHERE)
    assert message in str(error.value) and str(error.value).startswith("a.toml")


def test_config_file_rules_section(tmp_path):
    path = tmp_path / "analysis.toml"
    path.write_text('[rules]\npresets = ["uscmp-strong90", "kiet"]\nprimary = "uscmp-strong90"\n'
                    '[rules.uscmp-strong90]\nlq_percentile = 95\n', encoding="utf-8")
    rules = load_config(path).rules
    assert rules.primary == "uscmp-strong90" and rules.parameters["uscmp-strong90"].lq_percentile == 95.0


@pytest.mark.parametrize("preset", list(PRESETS))
def test_run_with_each_preset(tmp_path, preset):
    config = tmp_path / "analysis.toml"
    config.write_text(f'[analysis]\nsectors = ["732", "7212"]\n[statistics]\npermutations = 99\n'
                      f'[rules]\npresets = ["{preset}"]\n[output]\ndir = "out"\nmaps_dir = "maps"\n', encoding="utf-8")
    assert main(["run", "--config", str(config), "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "out" / "indicators_synthetic.csv", dtype={"ksic": str})
    column = PRESETS[preset].column
    others = {cls.column for cls in PRESETS.values()} - {column}
    assert column in table.columns and not others & set(table.columns)
    verdict = table["lq_gi_type"].eq("cluster core") if preset == "lq-gi" else (
        table["eco_stars"] >= 2 if preset == "eco-stars" else table[column])
    assert (table["promising"] == verdict).all() and (table["presets_agree"] == verdict.astype(int)).all()
    meta = json.loads((tmp_path / "out" / "run_metadata_synthetic.json").read_text(encoding="utf-8"))
    assert meta["rules_presets"] == preset and meta["rules_primary"] == preset
    for key in (f.name for f in fields(PRESETS[preset])):
        assert f"rules_{preset}.{key}" in meta


def test_preset_option_keeps_or_moves_the_primary(tmp_path):
    def presets(names, text=""):
        path = tmp_path / "a.toml"
        path.write_text(text, encoding="utf-8")
        return load_config(path, {("rules", "presets"): (names, "--preset")}).rules

    assert presets(["lq-gi", "kiet"]).primary == "kiet"
    moved = presets(["eco-stars", "lq-gi", "eco-stars"], '[rules]\nprimary = "kiet"\n')
    assert moved.presets == ("eco-stars", "lq-gi") and moved.primary == "eco-stars"
    with pytest.raises(InputError, match="^--preset: unknown preset"):
        presets(["porter"])


def test_preset_option_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "o"
    args = ["run", "--output", str(out), "--maps-dir", str(tmp_path / "m"), "--permutations", "99", "--quiet"]
    assert main([*args, "--preset", "uscmp-strong", "--preset", "lq-gi"]) == 0
    printed = capsys.readouterr().out
    assert "Rule (primary preset): uscmp-strong:" in printed and "marked by k of the 2 presets" in printed
    columns = pd.read_csv(out / "indicators_synthetic.csv", nrows=1).columns
    assert {"uscmp_strong", "lq_gi_type"} <= set(columns) and "kiet" not in columns
    assert main([*args, "--preset", "porter"]) == 2
    assert "unknown preset(s) porter" in capsys.readouterr().err


def test_count_locations():
    from kibs_spatial.analysis.counts import count_locations

    rows = pd.DataFrame({"region_code": ["11680", "11680", "26110", "41135"], "capital_region": [True, True, False, True]})
    count = count_locations(rows)
    assert (count.locations, count.distinct_regions, count.capital_region, count.outside) == (4, 3, 3, 1)
