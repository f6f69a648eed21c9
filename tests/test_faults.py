"""Bad input and faults, one test per class of the robustness issue: every refusal is one line naming the file, line,
column or option, exit status 2 and no traceback; anything unexpected is logged (exit 1); Ctrl-C stops promptly and
says what it left; a run never mixes its files with another run's.

The runs use the demo data of two sectors (732, 62) on the bundled 2013 units with 99 permutations.
"""

import ctypes
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from kibs_spatial.analysis.clusters import RulesConfig, apply_rules, degenerate_criteria
from kibs_spatial.analysis.periods import parse_period
from kibs_spatial.cli import main
from kibs_spatial.files import output_lock
from kibs_spatial.io import demo
from kibs_spatial.io.boundaries import load_bundled_regions
from kibs_spatial.resources import data_path

KOSIS = (
    "행정구역별,산업분류별,2012,2012,2022,2022\n"
    ",,사업체수 (개),종사자수 (명),사업체수 (개),종사자수 (명)\n"
    "서울특별시 강남구,계,\"50,000\",\"600,000\",\"55,000\",\"700,000\"\n"
    "서울특별시 강남구,전문 디자인업(732),\"1,200\",\"6,543\",10,20\n"
    "서울특별시 서초구,계,100,2000,300,4000\n"
    "서울특별시 서초구,전문 디자인업(732),10,100,3,30\n"
)
TIDY_SECTORS = "region_code,year,ksic,employees,establishments\n" + "".join(
    f"{c},{y},732,{e},2\n" for c, e in (("11680", 10), ("11650", 5), ("11110", 7)) for y in (2012, 2022))
TIDY_TOTALS = "region_code,year,total_employees\n" + "".join(
    f"{c},{y},{t}\n" for c, t in (("11680", 100), ("11650", 50), ("11110", 70)) for y in (2012, 2022))


@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory):
    """The demo sector table cut to sectors 732 and 62, and the demo totals."""
    folder = tmp_path_factory.mktemp("tables")
    sectors = pd.read_csv(data_path("demo", demo.SECTOR_FILE), dtype={"region_code": str, "ksic": str})
    sectors[sectors["ksic"].isin(["732", "62"])].to_csv(folder / "sectors.csv", index=False)
    pd.read_csv(data_path("demo", demo.TOTALS_FILE), dtype={"region_code": str}).to_csv(folder / "totals.csv", index=False)
    return folder


def _config(folder: Path, tables: Path | None = None, *, data: str = "", extra: str = "", stats: str = "",
            output: str = 'dir = "out"\n', boundaries: str = "bundled-2013") -> Path:
    tables = tables or folder
    path = folder / "analysis.toml"
    path.write_text(f'[data]\nsectors = "{(tables / "sectors.csv").as_posix()}"\ntotals = "{(tables / "totals.csv").as_posix()}"\n'
                    f'boundaries = "{boundaries}"\n{data}\n[statistics]\npermutations = 99\n{stats}\n'
                    f'[output]\n{output}rasters = false\n{extra}', encoding="utf-8")
    return path


def _refused(capsys, argv, *expected: str) -> str:
    """``argv`` ends with exit 2 and one line ``kibs-spatial: error: ...`` holding every ``expected`` text."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.startswith("kibs-spatial: error: ") and len(err.strip().splitlines()) == 1, err
    for text in expected:
        assert text in err, (text, err)
    return err


def _ingest(tmp_path, content: bytes | str, name: str = "k.csv", *options: str) -> list:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return ["ingest", "kosis", path, "--output", tmp_path / "tidy.csv", *options]


def _tidy_run(tmp_path, sectors: str = TIDY_SECTORS, totals: str = TIDY_TOTALS, **kw) -> list:
    (tmp_path / "sectors.csv").write_text(sectors, encoding="utf-8")
    (tmp_path / "totals.csv").write_text(totals, encoding="utf-8")
    return ["run", "--config", _config(tmp_path, extra='[analysis]\nsectors = ["732"]\n', **kw), "--quiet"]


@pytest.fixture()
def no_analysis(monkeypatch):
    """Refusals must come before any computation: the analysis itself fails the test if it is reached."""
    import kibs_spatial.pipeline

    def reached(*args, **kwargs):
        raise AssertionError("the analysis ran although the input should have been refused first")

    monkeypatch.setattr(kibs_spatial.pipeline, "run_analysis", reached)


def test_spreadsheet_library_failures_name_the_file(tmp_path, capsys):
    full = tmp_path / "full.xlsx"
    pd.DataFrame([["a", "b"], ["1", "2"]]).to_excel(full, header=False, index=False)
    with zipfile.ZipFile(tmp_path / "zip.xlsx", "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    cases = {
        "truncated.xlsx": (full.read_bytes()[: full.stat().st_size // 2], "cannot read the Excel workbook"),
        "junk.xlsx": (bytes(range(256)) * 8, "neither an Excel workbook nor CSV text"),
        "zip.xlsx": ((tmp_path / "zip.xlsx").read_bytes(), "cannot read the Excel workbook"),
        "old.xls": (b"\xd0\xcf\x11\xe0" + bytes(600), "k"),  # OLE2 header, nothing behind it
    }
    for name, (content, message) in cases.items():
        _refused(capsys, _ingest(tmp_path, content, name), name, message)
    # a workbook given as the tidy sector table, and a CSV with a ragged line
    pd.read_csv(pd.io.common.StringIO(TIDY_SECTORS)).to_excel(tmp_path / "s.xlsx", index=False)
    args = _tidy_run(tmp_path)
    _config(tmp_path, extra='[analysis]\nsectors = ["732"]\n').write_text(
        (tmp_path / "analysis.toml").read_text(encoding="utf-8").replace("sectors.csv", "s.xlsx"), encoding="utf-8")
    _refused(capsys, args, "s.xlsx: is an Excel workbook", "save it as CSV")
    _refused(capsys, _tidy_run(tmp_path, TIDY_SECTORS + "11680,2022,732,1,2,3,4\n"), "sectors.csv: not a readable CSV table",
             "line 8")
    # CSV text saved with an .xls name (as some downloads are) is read as CSV, and says so
    assert main([str(a) for a in _ingest(tmp_path, KOSIS, "csv.xls")]) == 0
    assert "csv.xls holds CSV text, not an Excel workbook: read as CSV" in capsys.readouterr().err


@pytest.mark.parametrize("cell", ["inf", "1e309", "NaN", "-inf"])
def test_non_finite_and_impossible_values(tmp_path, capsys, cell):
    _refused(capsys, _ingest(tmp_path, KOSIS.replace('"6,543"', cell)), "k.csv, line 4, column '2012 종사자수 (명)'",
             f"'{cell}' is not a finite number")
    value = {"1e309": "inf", "-inf": "-inf"}.get(cell, cell)
    _refused(capsys, _tidy_run(tmp_path, TIDY_SECTORS.replace("11680,2012,732,10", f"11680,2012,732,{cell}")),
             "sectors.csv, line 2, column employees", repr(value))
    err = _refused(capsys, _tidy_run(tmp_path, totals=TIDY_TOTALS.replace("11680,2012,100", f"11680,2012,{cell}")),
                   "totals.csv, line 2, column total_employees")
    assert "-9223372036854775808" not in err and "sectors.csv" not in err
    _refused(capsys, _tidy_run(tmp_path, TIDY_SECTORS.replace("11680,2012,732,10", "11680,2012,732,99999999999999999999999")),
             "sectors.csv, line 2, column employees", "is too large")


def test_analysis_file_values_of_the_wrong_type(tmp_path, capsys, no_analysis):
    cases = [
        ('[statistics]\nseed = "abc"\n', "[statistics] seed must be a whole number"),
        ('[statistics]\nalpha = "0.05"\n', "[statistics] alpha must be a number"),
        ('[statistics]\nseed = 1.5\n', "[statistics] seed must be a whole number"),
        ('[statistics]\npermutations = 99.5\n', "[statistics] permutations must be a whole number"),
        ('[output]\ndir = 5\n', "[output] dir must be text"),
        ('[analysis]\nsectors = "732"\n', "[analysis] sectors: '732' is neither a list of codes"),
        ('[data]\nharmonize = "false"\n', "[data] harmonize must be true or false"),
        ('[data]\nallow_unmatched = "no"\n', "[data] allow_unmatched must be true or false"),
        ('[data]\nboundaries = ""\n', "[data] boundaries is empty"),
        ('[rules.kiet]\nmin_lq = nan\n', "min_lq must be a finite number"),
        ('[contrast]\nradii_km = [inf]\n', "[contrast] radii_km must be a list of positive distances"),
        ('[statistics]\npermutations = 1000000\n', "[statistics] permutations must be a whole number from 99 to 999,999"),
    ]
    for text, message in cases:
        (tmp_path / "analysis.toml").write_text(text, encoding="utf-8")
        _refused(capsys, ["run", "--config", tmp_path / "analysis.toml", "--quiet"], "analysis.toml", message)


def test_paths_that_cannot_be_read_or_written(tmp_path, capsys, demo_tables, monkeypatch):
    # folders where files are expected
    (tmp_path / "folder.toml").mkdir()
    _refused(capsys, ["run", "--config", tmp_path / "folder.toml"], "folder.toml: is a folder")
    for name in ("sectors.csv", "b.gpkg", "o.gpkg"):
        (tmp_path / name).mkdir()
    (tmp_path / "totals.csv").write_text(TIDY_TOTALS, encoding="utf-8")
    _refused(capsys, ["run", "--config", _config(tmp_path), "--quiet"], "sectors.csv: is a folder, not a table")
    _refused(capsys, ["weights", tmp_path / "b.gpkg"], "b.gpkg: is a folder, not a boundary file")
    _refused(capsys, ["ingest", "kosis", tmp_path / "b.gpkg", "--output", tmp_path / "t.csv"], "b.gpkg: is a folder")
    # outputs that cannot be written are refused before any computation
    import kibs_spatial.pipeline

    def reached(*args, **kwargs):
        raise AssertionError("the analysis ran although the output should have been refused first")

    monkeypatch.setattr(kibs_spatial.pipeline, "run_analysis", reached)
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    run = ["run", "--config", _config(tmp_path, demo_tables), "--quiet"]
    _refused(capsys, [*run, "--output", tmp_path / "a_file"], "--output:", "a_file is a file, not a folder")
    _refused(capsys, [*run, "--output", tmp_path / "a_file" / "out"], "--output:", "a_file is a file")
    _refused(capsys, [*run, "--maps-dir", tmp_path / "a_file"], "--maps-dir:", "is a file, not a folder")
    _refused(capsys, [*run, "--output", "/"], "--output:", "the current, home or root folder")
    _refused(capsys, ["hotspots", _grid(tmp_path), "--columns", "jobs", "--output", tmp_path / "o.gpkg"], "--output:",
             "o.gpkg is a folder")
    _refused(capsys, ["weights", "--output", tmp_path / "o.gpkg"], "--output:", "is a folder")
    _refused(capsys, _ingest(tmp_path, KOSIS, "k.csv")[:-1] + [tmp_path / "o.gpkg"], "--output:", "is a folder")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".kibs-spatial-staging-*"))


def test_options_are_refused_like_the_analysis_file(tmp_path, capsys, demo_tables, no_analysis):
    run = ["run", "--config", _config(tmp_path, demo_tables), "--quiet"]
    _refused(capsys, [*run, "--seed", "-1"], "--seed must be a whole number from 0")
    _refused(capsys, [*run, "--seed", "1.5"], "argument --seed: invalid int value: '1.5'")
    _refused(capsys, [*run, "--permutations", "0"], "--permutations must be a whole number from 99 to 999,999")
    _refused(capsys, [*run, "--permutations", "1000000000"], "--permutations must be a whole number from 99 to 999,999")
    _refused(capsys, [*run, "--permutations", "1e9"], "argument --permutations: invalid int value")
    _refused(capsys, [*run, "--boundary-crs", "EPSG:999999"], "--boundary-crs: cannot understand the CRS")
    hot = ["hotspots", _grid(tmp_path), "--columns", "jobs", "--output", tmp_path / "h.gpkg", "--quiet"]
    _refused(capsys, [*hot, "--seed", "-1"], "--seed must be a whole number from 0")
    _refused(capsys, [*hot, "--permutations", "5"], "--permutations must be a whole number from 99")
    _refused(capsys, [*hot, "--alpha", "nan"], "--alpha must be a finite number")
    _refused(capsys, [*hot, "--crs", "foo"], "--crs: cannot understand the CRS 'foo'")
    _refused(capsys, [*hot, "--crs", "EPSG:4326"], "--crs: EPSG:4326 is not a projected CRS")
    _refused(capsys, [*hot[:3], " , ", *hot[4:]], "--columns: ' , ' names no column")
    _refused(capsys, ["weights", "--layer", "nope"], "--layer: the bundled boundaries have no layer 'nope'")


@pytest.mark.parametrize("spec, message", [
    ("knn:k=2.7", "k=2.7 in 'knn:k=2.7' must be a whole number >= 1"),
    ("kernel:k=0", "k=0 in 'kernel:k=0' must be a whole number >= 1"),
    ("kernel:function=foo", "unknown kernel function 'foo'"),
    ("queen:tolerance=nan", "tolerance=nan in 'queen:tolerance=nan' must be a finite distance in metres >= 0"),
    ("distance:threshold=-1", "threshold=-1 in 'distance:threshold=-1' must be a finite distance in metres > 0"),
    ("knn:k=3,k=4", "weights option k appears twice"),
])
def test_weights_specs_are_checked_everywhere(tmp_path, capsys, demo_tables, no_analysis, spec, message):
    config = _config(tmp_path, demo_tables, extra=f'[weights]\nspec = "{spec}"\n')
    _refused(capsys, ["run", "--config", config, "--quiet"], "analysis.toml: [weights] spec:", message)
    _refused(capsys, ["hotspots", _grid(tmp_path), "--columns", "jobs", "--weights", spec, "--output", tmp_path / "h.gpkg"],
             "--weights:", message)
    _refused(capsys, ["weights", "--weights", spec], "--weights:", message)


def test_too_few_units_for_the_statistics(tmp_path, capsys):
    for n in (1, 2):
        _refused(capsys, ["hotspots", _grid(tmp_path, n), "--columns", "jobs", "--output", tmp_path / "h.gpkg", "--quiet"],
                 "g.gpkg:", f"{n} unit(s)", "at least 3 units")
    regions = load_bundled_regions("sigungu", "2013")
    regions[regions["region_code"] == "11680"][["region_code", "geometry"]].to_file(tmp_path / "one.gpkg", engine="pyogrio")
    sectors = "region_code,year,ksic,employees\n11680,2012,732,10\n11680,2022,732,12\n"
    totals = "region_code,year,total_employees\n11680,2012,100\n11680,2022,120\n"
    _refused(capsys, _tidy_run(tmp_path, sectors, totals, boundaries=(tmp_path / "one.gpkg").as_posix()),
             "one.gpkg: 1 unit(s)", "at least 3 units")


def test_run_on_a_boundary_file_with_only_region_code(tmp_path, capsys, demo_tables):
    regions = load_bundled_regions("sigungu", "2013")
    regions[["region_code", "geometry"]].to_file(tmp_path / "codes.gpkg", engine="pyogrio")
    config = _config(tmp_path, demo_tables, boundaries=(tmp_path / "codes.gpkg").as_posix())
    code = main(["run", "--config", str(config), "--quiet"])
    err = capsys.readouterr().err
    assert code == 0, err
    layer = pyogrio.read_dataframe(tmp_path / "out" / "kibs_clusters.gpkg", layer="regions", read_geometry=False)
    gangnam = layer[layer["region_code"] == "11680"].iloc[0]
    assert gangnam["name_ko"] == "11680" and gangnam["full_name_ko"] == "서울특별시 11680"
    assert gangnam["sido_name"] == "서울특별시" and gangnam["parent_city"] in ("", None)
    capital = dict(zip(layer["region_code"], layer["capital_region"].astype(bool)))
    assert capital["11680"] and capital["28110"] and capital["41111"] and not capital["26110"] and not capital["50110"]
    assert (tmp_path / "out" / "report.html").exists() and (tmp_path / "out" / "maps" / "index.html").exists()


def test_coordinates_must_fit_the_declared_crs(tmp_path, capsys, demo_tables):
    regions = load_bundled_regions("sigungu", "2013")[["region_code", "geometry"]]
    shifted = regions.set_crs("EPSG:32652", allow_override=True)
    layers = {
        "metres_as_degrees.gpkg": (regions.set_crs("EPSG:4326", allow_override=True), "are not longitudes and latitudes"),
        "degrees_as_metres.gpkg": (regions.to_crs("EPSG:4326").set_crs("EPSG:5179", allow_override=True),
                                   "look like longitudes and latitudes"),
        "other_projection.gpkg": (shifted.assign(geometry=shifted.geometry.translate(5_000_000, 0)), "lies outside Korea"),
    }
    for name, (layer, message) in layers.items():
        layer.to_file(tmp_path / name, engine="pyogrio")
        config = _config(tmp_path, demo_tables, boundaries=(tmp_path / name).as_posix())
        _refused(capsys, ["run", "--config", config, "--quiet"], f"{name}:", message)
    grid = _grid(tmp_path, crs="EPSG:32633", scale=0.01, origin=(10.0, 50.0))
    _refused(capsys, ["hotspots", grid, "--columns", "jobs", "--crs", "auto", "--output", tmp_path / "h.gpkg"],
             "g.gpkg:", "look like longitudes and latitudes", "EPSG:32633")


def test_period_headers(tmp_path, capsys):
    _refused(capsys, _ingest(tmp_path, KOSIS.replace(",2012,2012,", ",abc,abc,")), "k.csv, line 1, column 3",
             "'abc', the header of the item '사업체수 (개)', is not a period")
    halves = KOSIS.replace(",2012,2012,2022,2022", ",2024 상반기,2024 상반기,2024 하반기,2024 하반기")
    assert main([str(a) for a in _ingest(tmp_path, halves)]) == 0
    assert "periods: 2024 상반기, 2024 하반기" in capsys.readouterr().err
    periods = {parse_period(p) for p in pd.read_csv(tmp_path / "tidy.csv")["period"]}
    assert {(p.year, p.part, p.parts) for p in periods} == {(2024, 1, 2), (2024, 2, 2)}  # half-years, not dropped
    _refused(capsys, _tidy_run(tmp_path, TIDY_SECTORS.replace("11680,2012,", "11680,abc,")),
             "sectors.csv, line 2, column year: 'abc' is not a period")


def test_constant_or_missing_column_is_not_applicable(tmp_path, capsys):
    n = 40
    table = pd.DataFrame({"region_code": [f"{i:05d}" for i in range(n)], "ksic": "732", "period": "2022",
                          "employees": 10.0, "establishments": 2.0, "total_employees": 1000.0, "lq": 1.0, "share": 1 / n,
                          "cagr": 0.0, "gi_bin": 0, "lisa_cl": "undefined"})
    rules = RulesConfig()
    marked = apply_rules(table, rules)
    for preset in ("uscmp_strong", "uscmp_strong90"):
        assert not marked[preset].any() and marked[f"{preset}_pass_lq"].isna().all()
    assert marked["eco_size"].isna().all() and marked["eco_focus"].isna().all() and (marked["eco_stars"] == 0).all()
    assert marked["presets_agree"].sum() == 0 and not marked["promising"].any()
    notes = degenerate_criteria(marked, rules)
    assert any(note.startswith("eco-stars: size") and "not applicable for 732" in note for note in notes)
    missing = apply_rules(table.assign(employees=np.nan, lq=np.nan), rules)
    assert missing["presets_agree"].sum() == 0
    # the statistics: a constant column is undefined everywhere, never a hot spot
    path = _grid(tmp_path, values=np.full(36, 5.0))
    assert main(["hotspots", str(path), "--columns", "jobs", "--permutations", "99", "--output", str(tmp_path / "h.gpkg"),
                 "--quiet"]) == 0
    layer = pyogrio.read_dataframe(tmp_path / "h.gpkg", layer="hotspots", read_geometry=False)
    assert set(layer["jobs_lisa_cl"]) == {"undefined"} and (layer["jobs_gi_bin"] == 0).all()


def test_messages_that_misled(tmp_path, capsys):
    shp = _grid(tmp_path, name="g.shp")
    shp.with_suffix(".dbf").unlink()
    _refused(capsys, ["hotspots", shp, "--columns", "jobs", "--output", tmp_path / "h.gpkg"],
             "g.shp: the shapefile's attribute table g.dbf is missing")
    err = _refused(capsys, _tidy_run(tmp_path, totals=TIDY_TOTALS.replace("11680,2012,100", "11680,2012,inf")),
                   "totals.csv, line 2, column total_employees: value 'inf' is not a finite number")
    assert "-9223372036854775808" not in err
    _refused(capsys, _tidy_run(tmp_path, TIDY_SECTORS + "11680,2022,732,13,2\n11680,2022,732,13,2\n"),
             "sectors.csv, lines 3, 8, 9: the same region_code 11680, period 2022, ksic 732")


def test_ctrl_c_during_the_permutations_stops_promptly_and_says_what_it_left(tmp_path, capsys, demo_tables,
                                                                           monkeypatch):
    # 400 units x 16 columns x 999,999 conditional permutations: minutes of work, interrupted after half a second
    values = np.random.default_rng(5).lognormal(size=(400, 16))
    layer = gpd.read_file(_grid(tmp_path, 400), engine="pyogrio")
    layer = layer.assign(**{f"c{i}": values[:, i] for i in range(16)})
    layer.to_file(tmp_path / "big.gpkg", engine="pyogrio")
    columns = ",".join(f"c{i}" for i in range(16))
    command = [sys.executable, "-c", "import sys; from kibs_spatial.cli import main; sys.exit(main())", "hotspots",
               str(tmp_path / "big.gpkg"), "--columns", columns, "--permutations", "999999", "--output",
               str(tmp_path / "h.gpkg")]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = b""
    while b"permutations" not in seen:  # the progress bar of the permutations has appeared
        chunk = process.stderr.read1(4096)
        assert chunk, seen.decode(errors="replace")
        seen += chunk
    time.sleep(0.5)
    sent = time.perf_counter()
    process.send_signal(signal.SIGINT)
    rest = process.stderr.read().decode(errors="replace")
    process.wait(timeout=60)
    latency = time.perf_counter() - sent
    assert process.returncode == 130, rest
    assert latency < 3.0, f"stopped {latency:.1f} s after Ctrl-C"
    assert "Traceback" not in rest and "kibs-spatial: interrupted; no output file was changed" in rest
    assert not (tmp_path / "h.gpkg").exists() and not list(tmp_path.glob(".h.*"))
    # a run interrupted in the analysis says that nothing was written and that the folder was not created
    import kibs_spatial.pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(kibs_spatial.pipeline, "run_analysis", interrupted)
    assert main(["run", "--config", str(_config(tmp_path, demo_tables)), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "interrupted; stopped during the analysis, before anything was written" in err
    assert f"{tmp_path / 'out'} was not created" in err and not (tmp_path / "out").exists()
    # a Ctrl-C that lands in a ctypes callback (as while numba compiles) is dropped by Python: it must still stop the run
    compare_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))

    def compare(a, b):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.02)
        return a[0] - b[0]

    def compiling(*args, **kwargs):
        values = (ctypes.c_int * 4)(4, 3, 2, 1)
        ctypes.CDLL(None).qsort(values, 4, ctypes.sizeof(ctypes.c_int), compare_type(compare))
        time.sleep(5)
        raise AssertionError("the interrupt was lost")

    monkeypatch.setattr(kibs_spatial.pipeline, "run_analysis", compiling)
    started = time.perf_counter()
    assert main(["run", "--config", str(_config(tmp_path, demo_tables)), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert time.perf_counter() - started < 3 and "interrupted; stopped during the analysis" in err
    assert "Traceback" not in err and "Exception ignored" not in err


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_an_output_folder_holds_one_run(tmp_path, capsys, demo_tables, monkeypatch):
    out = tmp_path / "out"
    two = _config(tmp_path, demo_tables, extra='[analysis]\nsectors = ["732", "62"]\n')
    assert main(["run", "--config", str(two), "--quiet"]) == 0
    (out / "NOTES.txt").write_text("the user's own notes", encoding="utf-8")
    before = _digest(out)
    one = tmp_path / "one.toml"
    one.write_text(two.read_text(encoding="utf-8").replace('["732", "62"]', '["732"]'), encoding="utf-8")
    capsys.readouterr()
    # a second run while the first holds the folder is refused at once
    with output_lock(out, "--output"):
        _refused(capsys, ["run", "--config", one, "--quiet"], "[output] dir:", "is being written by another kibs-spatial run",
                 f"process {os.getpid()}")
    # Ctrl-C while writing: the previous run's folder stays as it was, nothing half-written is left
    import kibs_spatial.outputs.maps

    real = kibs_spatial.outputs.maps.write_maps

    def interrupted(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(kibs_spatial.outputs.maps, "write_maps", interrupted)
    assert main(["run", "--config", str(one), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "stopped while writing the outputs; the unfinished files were removed" in err
    assert f"{out} still holds the previous run's outputs, unchanged" in err and "Traceback" not in err
    assert _digest(out) == before and not list(tmp_path.glob(".kibs-spatial-staging-*"))
    monkeypatch.setattr(kibs_spatial.outputs.maps, "write_maps", real)
    # what a killed run leaves (a staging folder, .part files) is removed by the next run into the same place
    stale = tmp_path / ".kibs-spatial-staging-killed"
    (stale / "out").mkdir(parents=True)
    (out / ".indicators.x1y2.part.csv").write_text("half", encoding="utf-8")
    (tmp_path / ".out.lock").write_text("{}", encoding="utf-8")  # a dead run's lock: nobody holds it
    assert main(["run", "--config", str(one), "--quiet"]) == 0
    after = _digest(out)
    assert not stale.exists() and not list(out.rglob("*.part*"))
    assert "maps/sector_732.html" in after and "maps/sector_62.html" not in after  # no file of the earlier run is left
    assert (out / "NOTES.txt").read_text(encoding="utf-8") == "the user's own notes"  # nor is the user's file lost
    manifest = json.loads((out / ".kibs-spatial-output.json").read_text(encoding="utf-8"))
    assert "NOTES.txt" not in manifest["written"] and "kibs_clusters.gpkg" in manifest["written"]


def test_unexpected_errors_are_logged_not_printed(tmp_path, capsys, demo_tables, monkeypatch):
    import kibs_spatial.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("a bug deep inside")

    monkeypatch.setattr(kibs_spatial.pipeline, "run_analysis", broken)
    code = main(["run", "--config", str(_config(tmp_path, demo_tables)), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith("kibs-spatial: error: unexpected internal error (RuntimeError: a bug deep inside)")
    log = Path(err.split("the details are in ")[1].split(";")[0])
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "a bug deep inside" in text and "command: kibs-spatial run --config" in text
    log.unlink()
    assert not (tmp_path / "out").exists()


def _grid(folder: Path, n: int = 36, values=None, crs: str = "EPSG:5179", name: str = "g.gpkg", scale: float = 1000.0,
          origin: tuple[float, float] = (950_000.0, 1_950_000.0)) -> Path:
    """``n`` squares in rows of ``ceil(sqrt(n))`` with a ``jobs`` column."""
    side = int(np.ceil(np.sqrt(n)))
    x0, y0 = origin
    cells = [box(x0 + (i % side) * scale, y0 + (i // side) * scale, x0 + (i % side + 1) * scale, y0 + (i // side + 1) * scale)
             for i in range(n)]
    jobs = np.random.default_rng(1).normal(10, 2, n) if values is None else values
    path = folder / name
    gpd.GeoDataFrame({"code": [f"u{i}" for i in range(n)], "jobs": jobs}, geometry=cells, crs=crs).to_file(path, engine="pyogrio")
    return path
