"""`kibs-spatial run` end to end on the bundled data, and with an analysis file."""


from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from kibs_spatial.cli import main
from kibs_spatial.io.demo import DEMO_YEARS


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code = main(["run", "--output", str(out / "output"), "--maps-dir", str(out / "maps"), "--permutations", "999", "--quiet"])
    assert code == 0
    return out


def test_geopackage_layers(demo_run):
    gpkg = demo_run / "output" / "kibs_clusters_synthetic.gpkg"
    layers = dict(pyogrio.list_layers(gpkg))
    for name in ("regions", "sector_results", "promising_locations", "global_moran", "sector_concentration", "join_report",
                 "run_metadata", "sido", "gangnam_area"):
        assert name in layers
    info = pyogrio.read_info(gpkg, layer="regions")
    assert info["features"] >= 250 and info["crs"] == "EPSG:5179"
    regions = pyogrio.read_dataframe(gpkg, layer="regions")
    for field in ("s732_lq", "s732_lisa_cl", "s732_gi_bin", "s732_lisa_q", "s7153_promising"):
        assert field in regions.columns
    assert set(regions["s732_lisa_cl"]) <= {"HH", "LL", "LH", "HL", "ns", "isolated", "undefined"}
    assert regions.loc[regions["region_code"] == "47940", "s732_lisa_cl"].item() == "isolated"  # Ulleung-gun
    long = pyogrio.read_dataframe(gpkg, layer="sector_results", read_geometry=False)
    assert len(long) == 14 * len(DEMO_YEARS) * len(regions)  # every sector in every period
    assert set(long["period"]) == {str(year) for year in DEMO_YEARS}
    meta = pyogrio.read_dataframe(gpkg, layer="run_metadata").set_index("key")["value"]
    assert meta["synthetic"] == "True" and meta["statistics_permutations"] == "999"
    assert len(meta["input_sectors_sha256"]) == 64


def test_join_report_accounts_for_every_input_row(demo_run):
    report = pd.read_csv(demo_run / "output" / "join_report_synthetic.csv")
    sectors = pd.read_csv(demo_run / "output" / "indicators_synthetic.csv")
    assert (report["status"] == "matched").all()
    assert len(report) == (251 * 14 + 251) * len(DEMO_YEARS)  # sector rows and totals, every year
    assert (sectors["data_source"].str.contains("SYNTHETIC")).all()


def test_lq_in_outputs_is_the_ratio_of_the_input_counts(demo_run):
    table = pd.read_csv(demo_run / "output" / "indicators_synthetic.csv", dtype={"region_code": str, "ksic": str})
    design = table[(table["ksic"] == "732") & (table["period"] == 2022)]
    national = design["employees"].sum() / design["total_employees"].sum()
    gangnam = design[design["region_code"] == "11680"].iloc[0]
    assert gangnam["lq"] == pytest.approx(gangnam["employees"] / gangnam["total_employees"] / national)


def test_maps_and_tables_written(demo_run):
    maps = demo_run / "maps"
    assert (maps / "index.html").exists()
    assert len(list(maps.glob("sector_*.html"))) == 14
    assert (maps / "contrast.html").exists()
    for name in ("promising_locations", "global_moran", "weights_report"):
        assert list((demo_run / "output").glob(f"{name}_synthetic.*"))
    assert not list(demo_run.rglob("*.part*"))  # no temporary files left behind


def test_summary_is_printed(tmp_path, capsys):
    assert main(["run", "--output", str(tmp_path / "o"), "--maps-dir", str(tmp_path / "m"), "--permutations", "99", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC DEMO DATA" in out
    assert "Promising cluster locations:" in out and "capital region" in out
    assert "732 specialized design" in out


def test_config_file(tmp_path, capsys):
    config = tmp_path / "analysis.toml"
    config.write_text(
        '[analysis]\nsectors = ["732", "701"]\n[statistics]\npermutations = 199\nseed = 7\n'
        '[rules]\npresets = ["kiet"]\n[rules.kiet]\nmin_lq = 2.0\nagglomeration = "none"\nmin_employees = 0\n'
        'min_establishments = 0\nmin_cagr = -1.0\n'
        '[output]\ndir = "out"\nmaps_dir = "maps"\n', encoding="utf-8")
    assert main(["run", "--config", str(config), "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "out" / "indicators_synthetic.csv", dtype={"ksic": str})
    assert sorted(table["ksic"].unique()) == ["701", "732"]
    promising = table[table["promising"]]
    assert (promising["lq"] >= 2.0).all()
    last, first = table[table["period"] == 2022], table[table["period"] == 2012]
    assert (last["promising"] == ((last["lq"] >= 2.0) & last["cagr"].notna() & (last["cagr"] >= -1.0))).all()
    # the first period has no growth: the criterion is not applied (empty), the others decide
    assert first["kiet_pass_growth"].isna().all() and (first["promising"] == (first["lq"] >= 2.0)).all()
    assert (tmp_path / "maps" / "index.html").exists()


def test_same_seed_same_numbers(tmp_path):
    runs = []
    for name in ("a", "b"):
        assert main(["run", "--output", str(tmp_path / name), "--maps-dir", str(tmp_path / name / "maps"), "--permutations", "199", "--quiet"]) == 0
        runs.append(pd.read_csv(tmp_path / name / "indicators_synthetic.csv"))
    pd.testing.assert_frame_equal(runs[0], runs[1])


@pytest.mark.parametrize("text, message", [
    ("[analysis]\nyears = [2022, '20x2']\n", "'20x2' is not a list of periods"),
    ("[analysis]\nperiods = 'latest'\n", 'periods must be "all" or a list of periods'),
    ("[analysis]\nyears = [2022]\nperiods = [2022]\n", "give either years or periods"),
    ("[analysis]\nsectors = 'kibs-every'\n", "neither a list of codes"),
    ("[data]\nksic_revision = 8\n", "ksic_revision must be"),
    ("[statistics]\nfdr = 'holm'\n", "fdr must be"),
    ("[weights]\nspec = 'hexagon'\n", "unknown weights kind"),
    ("[colour]\nx = 1\n", "unknown section"),
    ("[rules.kiet]\nmin_lqq = 1\n", "unknown key"),
    ("[rules]\npresets = ['kiet', 'porter']\n", "known: kiet, uscmp-strong"),
    ("[rule]\nmin_lq = 1\n", "[rule] is now [rules]"),
    ("[output]\nrasters = 'yes'\n", "rasters must be true or false"),
])
def test_bad_config_exits_with_a_message(tmp_path, capsys, text, message):
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    assert main(["run", "--config", str(config), "--quiet", "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kibs-spatial: error:") and "Traceback" not in err
    if message:
        assert message in err and "bad.toml" in err


def test_the_example_analysis_file_runs(tmp_path):
    """examples/analysis.toml lists every key with its default: it must load and run as documented."""
    example = Path(__file__).parents[1] / "examples" / "analysis.toml"
    assert main(["run", "--config", str(example), "--output", str(tmp_path / "out"), "--permutations", "99",
                 "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "out" / "indicators_synthetic.csv", dtype={"ksic": str})
    assert "design-ad" in set(table["ksic"]) and (tmp_path / "out" / "maps" / "index.html").exists()
