"""Every bad input ends with exit status 2 and one message naming the file, row and column (no traceback).

One CLI test per case: ``kibs-spatial run --config analysis.toml`` with small tables in a temporary folder.
"""

import pandas as pd

from kibs_spatial.cli import main

SECTORS = """region_code,year,ksic,employees,establishments
11680,2012,732,10,2
11680,2022,732,12,2
11650,2012,732,5,1
11650,2022,732,6,1
"""
TOTALS = """region_code,year,total_employees
11680,2012,100
11680,2022,120
11650,2012,50
11650,2022,60
"""


def _run(tmp_path, capsys, sectors=SECTORS, totals=TOTALS, *, encoding="utf-8", years="[2012, 2022]", data=""):
    for name, content in (("sectors.csv", sectors), ("totals.csv", totals)):
        if content is None:
            continue
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    config = tmp_path / "analysis.toml"
    vintage = "" if "boundaries =" in data else 'boundaries = "bundled-2013"\n'  # the tables use 2013 units
    config.write_text(
        f'[data]\nsectors = "sectors.csv"\ntotals = "totals.csv"\n{vintage}{data}\n'
        f'[analysis]\nsectors = ["732"]\nyears = {years}\n\n[statistics]\npermutations = 99\n'
        f'[output]\ndir = "out"\nmaps_dir = "maps"\n', encoding="utf-8")
    code = main(["run", "--config", str(config), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.startswith("kibs-spatial: error: ")
    assert len(err.strip().splitlines()) == 1  # one paragraph
    return err


def test_missing_file(tmp_path, capsys):
    err = _run(tmp_path, capsys, sectors=None)
    assert "sectors.csv: file not found" in err and "check the path" in err


def test_empty_file(tmp_path, capsys):
    err = _run(tmp_path, capsys, totals="")
    assert "totals.csv: the file is empty" in err


def test_unknown_encoding(tmp_path, capsys):
    err = _run(tmp_path, capsys, sectors=SECTORS.encode() + b"11710,2012,732,\xff\xfe,1\n")
    assert "sectors.csv: cannot decode the file as UTF-8 or CP949" in err and "save it in one of these encodings" in err


def test_no_region_column(tmp_path, capsys):
    err = _run(tmp_path, capsys, sectors=SECTORS.replace("region_code,", "gu,"))
    assert "sectors.csv: no region column" in err and "add 'region_code'" in err


def test_negative_count(tmp_path, capsys):
    err = _run(tmp_path, capsys, sectors=SECTORS.replace("11650,2012,732,5,1", "11650,2012,732,-5,1"))
    assert "sectors.csv, line 4, column employees: value '-5' is negative" in err


def test_non_numeric_count(tmp_path, capsys):
    err = _run(tmp_path, capsys, sectors=SECTORS.replace("11680,2022,732,12,2", "11680,2022,732,12,two"))
    assert "sectors.csv, line 3, column establishments: value 'two' is not a number" in err


def test_same_region_sector_and_year_twice(tmp_path, capsys):
    err = _run(tmp_path, capsys, sectors=SECTORS + "11680,2022,732,13,2\n")
    assert "sectors.csv, lines 3, 6: the same region_code 11680, period 2022, ksic 732 appears more than once" in err


def test_sector_employment_above_the_total(tmp_path, capsys):
    err = _run(tmp_path, capsys, totals=TOTALS.replace("11650,2022,60", "11650,2022,4"))
    assert "sectors.csv, line 5, column employees: 6 employees in industry 732 exceed region 11650's total employment 4" in err


def test_missing_total_for_a_region_with_sector_employment(tmp_path, capsys):
    err = _run(tmp_path, capsys, totals=TOTALS.replace("11650,2022,60", "11650,2022,"))
    assert "totals.csv, column total_employees: region 11650 in 2022 has sector employment (sectors.csv, line 5)" in err
    assert "missing or zero" in err


def test_zero_total_for_a_region_with_sector_employment(tmp_path, capsys):
    err = _run(tmp_path, capsys, totals=TOTALS.replace("11680,2012,100", "11680,2012,0"))
    assert "totals.csv, column total_employees: region 11680 in 2012 has sector employment (sectors.csv, line 2)" in err


def test_unknown_ksic_code(tmp_path, capsys):
    err = _run(tmp_path, capsys, sectors=SECTORS.replace("11650,2022,732", "11650,2022,7154"))
    assert "sectors.csv, line 5, column ksic: '7154' is not a code of KSIC revision 10" in err and "7153" in err


def test_codes_of_two_systems_in_one_column(tmp_path, capsys):
    # 21310 is a KOSTAT code (기장군), 11680 a MOIS code (강남구): 11650 alone could be either
    err = _run(tmp_path, capsys, sectors=SECTORS.replace("11650,2012", "21310,2012"))
    assert "sectors.csv, line 4 (21310) and line 2 (11680), column region_code: region codes mix KOSTAT" in err


def test_years_not_those_asked_for(tmp_path, capsys):
    err = _run(tmp_path, capsys, years="[2012, 2020]")
    assert "sectors.csv, column period: no rows for period(s) 2020 asked for in [analysis] periods; the file has 2012, 2022" in err


def test_whole_city_without_harmonize(tmp_path, capsys):
    sectors = SECTORS.replace("region_code", "region_name").replace("11650", "경기 수원시").replace("11680", "서울 강남구")
    totals = TOTALS.replace("region_code", "region_name").replace("11650", "경기 수원시").replace("11680", "서울 강남구")
    err = _run(tmp_path, capsys, sectors, totals)
    assert "sectors.csv, line 4, column region_name: '경기 수원시' is a city whose districts are separate units" in err
    assert "harmonize = true" in err


def test_boundary_file_without_crs(tmp_path, capsys):
    (tmp_path / "b.topojson").write_text(
        '{"type":"Topology","objects":{"u":{"type":"GeometryCollection","geometries":[{"type":"Polygon","arcs":[[0]],'
        '"properties":{"region_code":"11680"}}]}},"arcs":[[[127,37],[127.1,37],[127.1,37.1],[127,37.1],[127,37]]]}',
        encoding="utf-8")
    err = _run(tmp_path, capsys, data='boundaries = "b.topojson"')
    assert "b.topojson: the boundary file has no CRS" in err and "boundary_crs" in err
    # with the CRS named the file is read, and the next problem is reported: 11650 is not a unit of it
    err = _run(tmp_path, capsys, data='boundaries = "b.topojson"\nboundary_crs = "EPSG:4326"')
    assert "sectors.csv, line 4, column region_code: region code 11650 is not a unit of the layer" in err


def test_suppressed_cells_stay_missing_and_are_reported(tmp_path):
    """Suppressed cells are not an error: missing employees, counted in the join report, statistics 'undefined'."""
    from kibs_spatial.io import demo
    from kibs_spatial.io.config import load_config
    from kibs_spatial.pipeline import run_analysis
    from kibs_spatial.resources import data_path

    sectors = pd.read_csv(data_path("demo", demo.SECTOR_FILE), dtype={"region_code": str, "ksic": str})
    blank = (sectors["region_code"] == "11650") & (sectors["ksic"] == "732") & (sectors["year"] == 2022)
    assert blank.sum() == 1
    sectors.loc[blank, "employees"] = None
    sectors.to_csv(tmp_path / "sectors.csv", index=False)
    config = tmp_path / "analysis.toml"
    config.write_text(f'[data]\nsectors = "sectors.csv"\ntotals = "{data_path("demo", demo.TOTALS_FILE).as_posix()}"\n'
                      'boundaries = "bundled-2013"\n'
                      '[analysis]\nsectors = ["732"]\n[statistics]\npermutations = 99\n', encoding="utf-8")
    run = run_analysis(load_config(config))
    assert run.join_report.missing_cells == 1 and "1 sector rows have missing employees" in run.join_report.to_text()
    row = run.latest()[(run.latest()["region_code"] == "11650") & (run.latest()["ksic"] == "732")].iloc[0]
    assert pd.isna(row["employees"]) and pd.isna(row["lq"])  # missing, never zero
    assert row["lisa_cl"] == "undefined"


def test_hotspots_input_without_crs(tmp_path, capsys):
    import geopandas as gpd
    from shapely.geometry import box

    layer = gpd.GeoDataFrame({"v": [1.0, 2.0]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])  # no CRS
    layer.to_file(tmp_path / "u.gpkg", engine="pyogrio")
    code = main(["hotspots", str(tmp_path / "u.gpkg"), "--columns", "v", "--output", str(tmp_path / "o.gpkg"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "u.gpkg: the boundary file has no CRS" in err and "--input-crs" in err and "Traceback" not in err
