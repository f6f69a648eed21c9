"""Real data of any shape, end to end through the command line: a KOSIS survey download as it comes,
user sectors at any KSIC level, any number of periods, KSIC revisions, boundaries of the data's year."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from kosis_fixtures import regional_employment_survey_2024

from kibs_spatial.cli import main
from kibs_spatial.io.boundaries import load_bundled_regions

FAST = "[statistics]\npermutations = 99\n[output]\nrasters = false\n"


def run(folder, config: str, capsys=None, *, code: int = 0) -> str:
    """``kibs-spatial run`` with ``config`` (plus 99 permutations, no rasters) in ``folder``; the stderr."""
    path = folder / "analysis.toml"
    path.write_text(config + FAST, encoding="utf-8")
    status = main(["run", "--config", str(path), "--output", str(folder / "out"), "--quiet"])
    err = capsys.readouterr().err if capsys is not None else ""
    assert status == code, err
    return err


def indicators(folder) -> pd.DataFrame:
    path = next((folder / "out").glob("indicators*.csv"))  # indicators_synthetic.csv on the demo data
    return pd.read_csv(path, dtype={"region_code": str, "ksic": str, "period": str})


def tidy(folder, regions: pd.DataFrame, periods: list[str], codes: list[str], *, seed: int = 1,
         code_of=lambda c: c) -> dict:
    """Tidy tables for every unit of ``regions``: employees per industry code and period, totals; the truth."""
    rng = np.random.default_rng(seed)
    rows, totals = [], []
    for unit in regions["region_code"]:
        for period in periods:
            total = int(rng.integers(20_000, 400_000))
            totals.append((code_of(unit), period, total))
            rows += [(code_of(unit), period, code, int(rng.integers(0, total // 60))) for code in codes]
    sectors = pd.DataFrame(rows, columns=["region_code", "period", "ksic", "employees"])
    sums = pd.DataFrame(totals, columns=["region_code", "period", "total_employees"])
    sectors.to_csv(folder / "s.csv", index=False)
    sums.to_csv(folder / "t.csv", index=False)
    return {"sectors": sectors, "totals": sums}


DATA = '[data]\nsectors = "s.csv"\ntotals = "t.csv"\n'


# --------------------------------------------------------------------------- the survey download


ISSUE_CONFIG = '''[data]
sectors = "s.csv"
totals = "s_totals.csv"
harmonize = true            # the survey gives 수원시 whole, not by district
[analysis]
sectors = "all"
periods = ["2024.2/2"]
'''


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    folder = tmp_path_factory.mktemp("survey")
    download = folder / "시군구_산업별_취업자.csv"
    truth = regional_employment_survey_2024(download, encoding="cp949")
    assert main(["ingest", "kosis", str(download), "--output", str(folder / "s.csv")]) == 0
    run(folder, ISSUE_CONFIG)
    return folder, truth


def test_survey_download_runs_from_ingest_to_maps_without_hand_edits(survey):
    folder, truth = survey
    table = indicators(folder)
    assert set(table["period"]) == {"2024.2/2"} and set(table["ksic"]) == {"A", "B+C", "F", "G+I", "D+H+J+K", "E+L-U"}
    assert table["region_code"].nunique() == len(truth["units"]) == 229  # cities given whole are harmonised
    goseong = table.drop_duplicates("region_code").set_index("region_code")["full_name_ko"]
    assert goseong["42820"] == "강원도 고성군" and goseong["48820"] == "경상남도 고성군"
    assert goseong["41610"] == "경기도 광주시" and not table["full_name_ko"].str.startswith("광주광역시 양주").any()
    assert (folder / "out" / "maps" / "index.html").exists() and (folder / "out" / "kibs_clusters.gpkg").exists()
    report = pd.read_csv(folder / "out" / "join_report.csv", dtype=str)
    assert len(report) == 229 * 7 and set(report["status"]) <= {"matched", "aggregated"}  # every row accounted for


def test_every_lq_equals_the_lq_computed_by_hand_from_the_download(survey):
    folder, truth = survey
    rows = [(name, code, persons) for (name, period, code), (persons, _, _) in truth["expected"].items()
            if period == "2024.2/2"]
    hand = pd.DataFrame(rows, columns=["full_name_ko", "ksic", "employees"])
    totals = hand[hand["ksic"] == ""].set_index("full_name_ko")["employees"].rename("total")
    hand = hand[hand["ksic"] != ""].join(totals, on="full_name_ko")
    known = hand["employees"].notna() & hand["total"].notna()
    national = hand[known].groupby("ksic")[["employees", "total"]].sum()
    hand["lq"] = hand["employees"] / hand["total"] / hand["ksic"].map(national["employees"] / national["total"])
    ours = indicators(folder).merge(hand, on=["full_name_ko", "ksic"], suffixes=("", "_hand"), validate="one_to_one")
    assert len(ours) == 229 * 6
    np.testing.assert_allclose(ours["lq"], ours["lq_hand"], rtol=1e-12, equal_nan=True)
    assert ours["lq"].isna().sum() == ours["lq_hand"].isna().sum() > 0  # '-' cells stay missing
    table = indicators(folder)
    summed = table["region_code"].isin(["41110", "41130", "41170", "41270", "41280", "41460", "43110", "44130",
                                        "45110", "47110", "48120"])  # cities the survey gives whole: RSE of a sum unknown
    assert table.loc[~summed, "employees_rse_high"].astype(str).isin(["True", "False"]).all()
    assert table.loc[summed, ["employees_rse", "employees_rse_high"]].isna().all().all()
    assert table.loc[~summed, "employees_rse"].notna().mean() > 0.9


def test_survey_run_says_what_the_data_cannot_support(survey):
    folder, _ = survey
    summary = (folder / "out" / "summary.txt").read_text(encoding="utf-8")
    assert "growth not available" in summary and "no establishment counts" in summary
    meta = json.loads((folder / "out" / "run_metadata.json").read_text(encoding="utf-8"))
    assert meta["employees_source_unit"].startswith("천명") and meta["periods"] == "2024.2/2"
    assert meta["boundaries"].startswith("bundled kr_sigungu_2022.gpkg") and meta["weights"] == "queen:tolerance=0"
    assert "vuski/admdongkor" in meta["boundary_attribution"]
    table = indicators(folder)
    assert table["kiet_pass_growth"].isna().all() and table["uscmp_strong_pass_establishments"].isna().all()


# --------------------------------------------------------------------------- sectors at any level


def test_divisions_from_five_digit_rows_are_summed_and_reported(tmp_path):
    regions = load_bundled_regions("sigungu", "2013")
    # KSIC 10: 62 = 62010 + 62021 + 62022 + 62090; 58 = 581xx + 582xx (every sub-class present)
    from kibs_spatial.reference import ksic

    codes = [*ksic.subclasses("62", 10), *ksic.subclasses("58", 10)]
    data = tidy(tmp_path, regions, ["2019", "2022"], codes)
    run(tmp_path, DATA + 'boundaries = "bundled-2013"\n[analysis]\nsectors = ["62", "58"]\n')
    table = indicators(tmp_path).set_index(["region_code", "ksic", "period"])
    rows = data["sectors"]
    expected = rows[rows["ksic"].str.startswith("62")].groupby(["region_code", "period"])["employees"].sum()
    ours = table.xs("62", level="ksic")["employees"].reindex(expected.index)
    np.testing.assert_array_equal(ours.to_numpy(), expected.to_numpy())
    report = pd.read_csv(tmp_path / "out" / "join_report.csv", dtype=str)
    fed = report[report["table"] == "sectors"].set_index("ksic")["sectors"]
    assert (fed.loc["62010"] == "62").all() and (fed.loc["58111"] == "58").all()


def test_a_missing_part_keeps_the_sum_missing_and_an_absent_part_is_an_error(tmp_path, capsys):
    regions = load_bundled_regions("sigungu", "2013")
    data = tidy(tmp_path, regions, ["2022"], ["7211", "72121", "72122", "72129"])  # KSIC 10: 721 = 7211 + 7212
    sectors = data["sectors"]
    sectors.loc[(sectors["region_code"] == "11680") & (sectors["ksic"] == "72122"), "employees"] = None
    sectors.to_csv(tmp_path / "s.csv", index=False)
    run(tmp_path, DATA + 'boundaries = "bundled-2013"\n[analysis]\nsectors = ["721"]\n')
    table = indicators(tmp_path).set_index("region_code")
    assert pd.isna(table.loc["11680", "employees"]) and table["employees"].notna().sum() == len(regions) - 1
    sectors[sectors["ksic"] != "72129"].to_csv(tmp_path / "s.csv", index=False)
    err = run(tmp_path, DATA + 'boundaries = "bundled-2013"\n[analysis]\nsectors = ["721"]\n', capsys, code=2)
    assert "sector 721" in err and "no row for 72129" in err


def test_user_named_sector_adds_its_members(tmp_path):
    config = ('[analysis]\nsectors = ["732", "713"]\n[[analysis.sector]]\ncode = "design-ad"\n'
              'name = "design and advertising"\nkind = "professional"\nmembers = ["732", "713"]\n')
    run(tmp_path, config)
    table = indicators(tmp_path)
    wide = table.pivot_table(index=["region_code", "period"], columns="ksic", values="employees")
    np.testing.assert_array_equal(wide["design-ad"], wide["732"] + wide["713"])
    names = table.drop_duplicates("ksic").set_index("ksic")
    assert names.loc["design-ad", "sector"] == "design and advertising" and names.loc["design-ad", "kind"] == "professional"


def test_unknown_sector_code_names_the_nearest_codes(tmp_path, capsys):
    err = run(tmp_path, '[analysis]\nsectors = ["7154"]\n', capsys, code=2)
    assert "'7154' is not a code of KSIC revision" in err and "7153" in err


def test_a_code_inside_a_letter_group_cannot_be_split_out(tmp_path, capsys):
    survey_folder = tmp_path
    regional_employment_survey_2024(survey_folder / "k.csv")
    assert main(["ingest", "kosis", str(survey_folder / "k.csv"), "--output", str(survey_folder / "s.csv")]) == 0
    err = run(survey_folder, ISSUE_CONFIG.replace('sectors = "all"', 'sectors = ["J"]'), capsys, code=2)
    assert "sector J" in err and "only inside the group(s) D+H+J+K" in err


# --------------------------------------------------------------------------- periods and revisions


def test_a_five_year_annual_panel(tmp_path):
    regions = load_bundled_regions("sigungu", "2022")
    years = [str(y) for y in range(2018, 2023)]
    tidy(tmp_path, regions, years, ["62", "72"])
    run(tmp_path, DATA + "[analysis]\nsectors = \"all\"\n")
    table = indicators(tmp_path)
    assert sorted(set(table["period"])) == years and len(table) == 250 * 2 * 5
    moran = pd.read_csv(tmp_path / "out" / "global_moran.csv", dtype={"ksic": str, "period": str})
    assert len(moran) == 2 * 5
    first = table[table["period"] == "2018"]
    assert first["cagr"].isna().all() and table[table["period"] == "2020"]["cagr"].notna().all()
    row = table[(table["period"] == "2020")].iloc[0]
    assert row["cagr"] == pytest.approx((row["employees"] / row["employees_start"]) ** 0.5 - 1)
    meta = json.loads((tmp_path / "out" / "run_metadata.json").read_text(encoding="utf-8"))
    assert meta["growth_from_to"] == "2018 to 2022" and meta["boundaries"].startswith("bundled kr_sigungu_2022")


def test_ksic_9_to_10_straddle_joins_one_to_one_codes_and_refuses_partial_links(tmp_path, capsys):
    regions = load_bundled_regions("sigungu", "2022")
    tidy(tmp_path, regions, ["2016", "2018"], ["62", "71"])  # 2016: KSIC 9, 2018: KSIC 10
    run(tmp_path, DATA + '[analysis]\nsectors = ["62"]\n')
    assert set(indicators(tmp_path)["period"]) == {"2016", "2018"}
    err = run(tmp_path, DATA + '[analysis]\nsectors = ["62", "71"]\n', capsys, code=2)
    assert "KSIC 71 links only partly from revision 9 to 10" in err and "accept_partial_ksic_links" in err
    run(tmp_path, DATA + 'accept_partial_ksic_links = true\n[analysis]\nsectors = ["62", "71"]\n')
    meta = json.loads((tmp_path / "out" / "run_metadata.json").read_text(encoding="utf-8"))
    assert "KSIC 71 links only partly" in meta["notes"]


# --------------------------------------------------------------------------- boundaries of the data's year


def test_2024_codes_join_the_2022_units(tmp_path):
    regions = load_bundled_regions("sigungu", "2022")
    newer = {"42": "51", "45": "52"}

    def code_2024(code: str) -> str:
        return "27720" if code == "47720" else newer.get(code[:2], code[:2]) + code[2:]

    tidy(tmp_path, regions, ["2024"], ["62"], code_of=code_2024)
    run(tmp_path, DATA)
    table = indicators(tmp_path)
    assert len(table) == 250 and {"42110", "45111", "47720"} <= set(table["region_code"])
    report = pd.read_csv(tmp_path / "out" / "join_report.csv", dtype=str)
    assert (report["status"] == "matched").all()
    assert report.loc[report["given_region"] == "27720", "region_code"].iloc[0] == "47720"


def test_units_created_after_the_newest_vintage_are_refused_or_added_up(tmp_path, capsys):
    regions = load_bundled_regions("sigungu", "2022")
    tidy(tmp_path, regions, ["2026"], ["62"])
    sectors, totals = pd.read_csv(tmp_path / "s.csv", dtype=str), pd.read_csv(tmp_path / "t.csv", dtype=str)
    gu = ["만세구", "효행구", "병점구", "동탄구"]
    hwaseong = sectors[sectors["region_code"] == "41590"]
    parts = pd.DataFrame({"region_code": [f"경기도 화성시 {g}" for g in gu], "period": "2026", "ksic": "62",
                          "employees": ["10", "20", "30", "40"]})
    part_totals = pd.DataFrame({"region_code": parts["region_code"], "period": "2026", "total_employees": "1000"})
    named = (lambda frame: frame.rename(columns={"region_code": "region_name"}))
    pd.concat([named(sectors.drop(hwaseong.index).assign(region_code=lambda f: f["region_code"])), named(parts)]
              ).to_csv(tmp_path / "s.csv", index=False)
    pd.concat([named(totals[totals["region_code"] != "41590"]), named(part_totals)]).to_csv(tmp_path / "t.csv", index=False)
    err = run(tmp_path, DATA, capsys, code=2)
    assert "'경기도 화성시 만세구' is a part of the layer's unit(s): created in 2026" in err and "boundaries" in err
    run(tmp_path, DATA + "harmonize = true\n")
    table = indicators(tmp_path).set_index("region_code")
    assert table.loc["41590", "employees"] == 100 and table.loc["41590", "total_employees"] == 4000
