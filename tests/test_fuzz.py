"""Property-based tests of bad input: random malformed KOSIS downloads and analysis files fed to the command line
always end with exit status 2 and one ``kibs-spatial: error:`` line, never a traceback (hypothesis)."""

import io
import json
import math
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kibs_spatial.analysis.periods import parse_period
from kibs_spatial.cli import main
from kibs_spatial.io.kosis import INDUSTRY_WORDS, REGION_WORDS
from kibs_spatial.io.kosis_cells import SUPPRESSED

HEADER = [["행정구역별", "산업분류별", "2012", "2012", "2022", "2022"],
          ["", "", "사업체수 (개)", "종사자수 (명)", "사업체수 (개)", "종사자수 (명)"]]
ROWS = [["서울특별시 강남구", "계", "50000", "600000", "55000", "700000"],
        ["서울특별시 강남구", "전문 디자인업(732)", "1200", "6543", "10", "20"],
        ["서울특별시 서초구", "계", "100", "2000", "300", "4000"],
        ["서울특별시 서초구", "전문 디자인업(732)", "10", "100", "3", "30"]]
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

words = st.text(alphabet="abcdefghijklmnopqrstuvwyzABCDEFGHIJKLMNOPQRSTUVWYZ", min_size=2, max_size=8)
not_a_count = st.one_of(words.filter(lambda w: w not in SUPPRESSED),
                        st.sampled_from(["inf", "-inf", "1e309", "NaN", "-5", "-0.5", "1e400", "12abc", "0x1F"]))
ROLE_WORDS = (*REGION_WORDS, *INDUSTRY_WORDS, "항목", "item", "단위", "unit")
not_a_period = words.filter(lambda w: parse_period(w) is None and not any(r in w.lower() for r in ROLE_WORDS))
# (a column header that names a role, e.g. "Region", is a second region column: not a malformed period)


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(f'"{c}"' if "," in c else c for c in row) for row in rows).encode("utf-8")


@st.composite
def malformed_kosis(draw) -> tuple[str, bytes]:
    """(file name, content) of a KOSIS download with one defect drawn from several kinds."""
    header, rows = [list(r) for r in HEADER], [list(r) for r in ROWS]
    kind = draw(st.sampled_from(["cell", "period", "no employees", "duplicate", "binary", "truncated xlsx", "no region"]))
    event(f"defect: {kind}")  # counted by --hypothesis-show-statistics
    if kind == "cell":
        rows[draw(st.integers(0, 3))][draw(st.integers(2, 5))] = draw(not_a_count)
    elif kind == "period":
        column = draw(st.integers(2, 5))
        header[0][column] = draw(not_a_period)
    elif kind == "no employees":
        header[1] = [draw(words) if "종사자수" in cell else cell for cell in header[1]]
    elif kind == "duplicate":
        rows.insert(draw(st.integers(0, 4)), list(rows[draw(st.integers(0, 3))]))
    elif kind == "no region":
        header[0][0] = draw(words)
        for row in rows:
            row[0] = draw(words)
    if kind == "binary":
        junk = draw(st.binary(min_size=8, max_size=200).filter(_undecodable))
        return "k.csv", junk
    if kind == "truncated xlsx":
        buffer = io.BytesIO()
        pd.DataFrame(header + rows).to_excel(buffer, header=False, index=False)
        content = buffer.getvalue()
        return "k.xlsx", content[: min(draw(st.integers(1, 4000)), len(content) - 200)]  # (the length varies: timestamps)
    return "k.csv", _csv(header + rows)


def _undecodable(data: bytes) -> bool:
    for encoding in ("utf-8-sig", "cp949"):
        try:
            data.decode(encoding)
            return False
        except UnicodeDecodeError:
            continue
    return True


def _refused(capsys, argv) -> str:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    assert code == 2, err
    assert err.strip().splitlines()[-1].startswith("kibs-spatial: error: "), err
    return err


@FUZZ
@given(malformed_kosis())
def test_malformed_kosis_downloads_are_refused(capsys, case):
    name, content = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        err = _refused(capsys, ["ingest", "kosis", path, "--output", Path(folder) / "tidy.csv"])
        assert name in err
        assert not (Path(folder) / "tidy.csv").exists()


# -- analysis files -------------------------------------------------------------------------------------------------

any_scalar = st.one_of(st.integers(-2**62, 2**62), st.floats(allow_nan=True), st.booleans(), words)
not_bool = st.one_of(st.integers(-5, 5), st.floats(allow_nan=False), words)
not_whole = st.one_of(words, st.booleans(), st.floats())  # a TOML float is refused where a whole number is wanted
bad_permutations = st.one_of(not_whole, st.integers(-2**62, 98), st.integers(1_000_000, 2**62))
bad_seed = st.one_of(not_whole, st.integers(-2**62, -1))
bad_alpha = st.one_of(words, st.booleans(), st.floats().filter(lambda f: not 0 < f < 1))
bad_choice = st.one_of(words, st.integers(), st.booleans())
bad_path = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.just(""), st.just("   "))
bad_spec = st.one_of(
    st.builds(lambda k: f"knn:k={k}", st.one_of(st.floats(allow_nan=True).filter(lambda f: not (f.is_integer() and f >= 1)
                                                                             if math.isfinite(f) else True), words,
                                              st.integers(-100, 0))),
    st.builds(lambda t: f"queen:tolerance={t}", st.one_of(st.floats(max_value=-1e-9), st.just("nan"), st.just("inf"), words)),
    st.builds(lambda t: f"distance:threshold={t}", st.one_of(st.floats(max_value=0), st.just("nan"), words)),
    st.builds(lambda f: f"kernel:function={f}", words.filter(lambda w: w.lower() not in
                                                             ("triangular", "uniform", "quadratic", "quartic", "gaussian"))),
    st.builds(lambda k: f"{k}:tolerance=500", words.filter(lambda w: w.lower() not in ("queen", "rook", "knn", "distance",
                                                                                       "kernel"))),
)
BAD_VALUES = {
    ("data", "harmonize"): not_bool, ("data", "allow_unmatched"): not_bool, ("output", "rasters"): not_bool,
    ("statistics", "permutations"): bad_permutations, ("statistics", "seed"): bad_seed, ("statistics", "alpha"): bad_alpha,
    ("statistics", "alternative"): bad_choice, ("statistics", "fdr"): bad_choice, ("analysis", "variable"): bad_choice,
    ("weights", "islands"): bad_choice, ("weights", "spec"): st.one_of(bad_spec, st.integers(), st.booleans()),
    ("data", "sectors"): bad_path, ("data", "totals"): bad_path, ("data", "boundaries"): bad_path,
    ("output", "dir"): bad_path, ("contrast", "radii_km"): st.lists(st.one_of(st.floats(max_value=0), words), min_size=1,
                                                                   max_size=3),
    ("rules.kiet", "min_lq"): st.one_of(words, st.booleans(), st.just(math.nan), st.just(math.inf)),
    ("statistics", "no_such_key"): any_scalar,
}


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


@FUZZ
@given(st.sampled_from(sorted(BAD_VALUES)).flatmap(lambda key: st.tuples(st.just(key), BAD_VALUES[key])),
       st.sampled_from(sorted(BAD_VALUES)).flatmap(lambda key: st.tuples(st.just(key), BAD_VALUES[key])))
def test_malformed_analysis_files_are_refused(capsys, monkeypatch, first, second):
    import kibs_spatial.pipeline

    def reached(*args, **kwargs):
        raise AssertionError("a malformed analysis file reached the analysis")

    monkeypatch.setattr(kibs_spatial.pipeline, "run_analysis", reached)
    sections: dict[str, dict[str, object]] = {}
    for (section, key), value in (first, second):
        sections.setdefault(section, {})[key] = value
        event(f"bad key: [{section}] {key}")  # counted by --hypothesis-show-statistics
    text = "".join(f"[{name}]\n" + "".join(f"{key} = {_toml(value)}\n" for key, value in keys.items())
                   for name, keys in sections.items())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "analysis.toml"
        path.write_text(text, encoding="utf-8")
        err = _refused(capsys, ["run", "--config", path, "--quiet"])
        assert "analysis.toml" in err and not (Path(folder) / "out").exists()


@pytest.mark.parametrize("value", ["1.5", "-1", "abc", "1e9", ""])
def test_malformed_options_are_refused(capsys, value):
    _refused(capsys, ["run", "--seed", value, "--quiet"])
