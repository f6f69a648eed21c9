"""The bundled KSIC reference (revisions 9, 10, 11), checked against known facts of the classification."""

from __future__ import annotations

import csv
import datetime
import importlib.util
from pathlib import Path

import pytest

from kibs_spatial.reference import ksic
from kibs_spatial.reference.ksic import (
    REVISIONS,
    is_under,
    lookup,
    name,
    nearest,
    revision_link,
    revision_on,
    sections,
    subclasses,
)

KIBS = ("582", "62", "63", "701", "702", "711", "712", "713", "714", "7153", "7211", "7212", "7291", "732")
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build_ksic.py"


@pytest.mark.parametrize("revision", REVISIONS)
def test_known_names(revision):
    assert lookup("732", revision).name_ko.replace(" ", "") == "전문디자인업"  # KSIC 9 writes no space
    assert "specialized design" in lookup("732", revision).name_en.lower()
    assert "management consultancy" in name("7153", revision).lower()
    assert "head offices" in name("7151", revision).lower()
    assert name("J", revision, "ko") != name("M", revision, "ko")


def test_code_forms():
    design = lookup("732", 10)
    assert lookup("M732", 10) == design
    assert lookup(" m 73 2 ", 10) == design
    assert lookup("J732", 10) is None  # the letter must be the code's own section
    assert lookup("J", 10).level == "section" and lookup("J", 10).parent == ""
    assert lookup("70", 10).parent == "M"
    assert lookup("71531", 10) == ksic.KsicCode("71531", 10, "subclass", "7153", lookup("71531", 10).name_ko,
                                                lookup("71531", 10).name_en)
    assert lookup("01110", 10).code == "01110"  # leading zero kept: codes are text
    assert lookup("1110", 10) is None
    assert lookup("7154", 10) is None and lookup("7a", 10) is None
    with pytest.raises(TypeError):
        lookup(62, 10)
    with pytest.raises(ValueError):
        lookup("62", 8)


def test_section_names_are_clean():
    assert name("J", 10, "ko") == "정보통신업"
    assert name("C", 9, "ko") == "제조업"
    assert "(" not in name("M", 9, "ko")
    # two divisions are cut short in the source's ksicDB.csv; the build completes them
    assert name("14", 11, "ko") == "의복, 의복 액세서리 및 모피제품 제조업"


def test_section_j_covers_divisions_58_to_63():
    codes = subclasses("J", 10)
    assert {c[:2] for c in codes} == {"58", "59", "60", "61", "62", "63"}
    assert codes == tuple(sorted(codes))
    assert all(len(c) == 5 for c in codes)


def test_subclasses_of_every_level():
    assert subclasses("71531", 10) == ("71531",)
    assert subclasses("7153", 10) == ("71531", "71532")
    assert set(subclasses("715", 10)) > set(subclasses("7153", 10))
    with pytest.raises(KeyError, match="7153"):  # the error suggests the nearest codes
        subclasses("7154", 10)


def test_is_under():
    assert is_under("71531", "M", 10)
    assert is_under("71531", "71", 10)
    assert is_under("7153", "7153", 10)
    assert is_under("M", "M", 10)
    assert is_under("58221", "J", 9)
    assert not is_under("71531", "J", 10)
    assert not is_under("M", "71531", 10)
    assert not is_under("7151", "7153", 10)
    with pytest.raises(KeyError):
        is_under("7154", "M", 10)


@pytest.mark.parametrize("spec, expected", [
    ("D,H,J,K", ("D", "H", "J", "K")),
    ("D+H+J+K", ("D", "H", "J", "K")),
    ("B,C", ("B", "C")),
    ("E,L~U", ("E", *"LMNOPQRSTU")),
    ("E,L-U", ("E", *"LMNOPQRSTU")),
    ("E+L-U", ("E", *"LMNOPQRSTU")),
    (" E , L ~ N ", ("E", "L", "M", "N")),
])
def test_sections(spec, expected):
    assert sections(spec) == expected


@pytest.mark.parametrize("spec", ["", "V", "A,V", "U~L", "A,A", "L~N,M", "58", "J;K", "E,,L", "AB", "A~"])
def test_sections_refuses(spec):
    with pytest.raises(ValueError):
        sections(spec)


def test_section_letters_match_the_data():
    for revision in REVISIONS:
        assert all(lookup(letter, revision).level == "section" for letter in ksic.SECTION_LETTERS)
        assert lookup("V", revision) is None


@pytest.mark.parametrize("revision", REVISIONS)
@pytest.mark.parametrize("code", KIBS)
def test_kibs_codes_exist_in_every_revision(code, revision):
    found = lookup(code, revision)
    assert found is not None and found.code == code
    assert is_under(code, "J" if code[:2] in {"58", "62", "63"} else "M", revision)


@pytest.mark.parametrize("day, revision", [
    (datetime.date(2008, 2, 1), 9), (datetime.date(2017, 6, 30), 9), (datetime.date(2017, 7, 1), 10),
    (datetime.date(2017, 12, 31), 10), (datetime.date(2024, 6, 30), 10), (datetime.date(2024, 7, 1), 11),
    (datetime.datetime(2030, 1, 1, 12), 11),
])
def test_revision_on(day, revision):
    assert revision_on(day) == revision


def test_revision_on_refuses_older_dates():
    with pytest.raises(ValueError):
        revision_on(datetime.date(2008, 1, 31))


def test_nearest():
    near = [k.code for k in nearest("7154", 10)]
    assert near[0] == "7153" and "7151" in near and "715" in near
    assert all(k.level == "section" for k in nearest("V", 10))
    assert nearest("V", 10)[0].code == "U"
    assert len(nearest("7154", 10, n=2)) == 2


def test_revision_link_one_to_one():
    # division 62 (computer programming): its four subclasses 62010, 62021, 62022, 62090 link
    # only to each other in 9 -> 10 -> 11; management consulting 7153 likewise
    for code in ("62", "7153", "732", "J"):
        link = revision_link(code, 9, 11)
        assert link.one_to_one and link.notes == ()
    assert revision_link("62", 11, 9).one_to_one
    assert revision_link("7153", 10, 10) == ksic.RevisionLink("7153", 10, 10, True, ())


def test_revision_link_partial():
    # 9 -> 10: holding companies (KSIC 9 71520, under professional services 71) joined financial
    # holding companies in 64992, and 71600 of KSIC 10 takes part of KSIC 9 75919
    link = revision_link("71", 9, 10)
    assert not link.one_to_one
    assert any(n.startswith("KSIC 9 71520 -> KSIC 10 64992") for n in link.notes)
    assert any(n.startswith("KSIC 9 75919 -> KSIC 10 71600") for n in link.notes)
    assert revision_link("71", 10, 11).one_to_one
    # 10 -> 11: parts of 63112 and 63991 (information services) moved to the new video and audio
    # streaming group 603 of division 60
    link = revision_link("63", 10, 11)
    assert not link.one_to_one
    assert "KSIC 10 63112 -> KSIC 11 60310: 세분" in link.notes
    assert not revision_link("63", 9, 11).one_to_one  # the chain 9 -> 10 -> 11 keeps the break
    assert revision_link("63", 9, 10).one_to_one


def test_revision_link_absent_code():
    link = revision_link("603", 10, 11)  # the OTT group exists only from KSIC 11
    assert not link.one_to_one
    assert link.notes == ("'603' is not a KSIC 10 code",)


@pytest.mark.parametrize("revision", REVISIONS)
def test_every_subclass_chain_ends_at_a_section(revision):
    levels = ("subclass", "class", "group", "division", "section")
    codes = {k.code: k for k in (lookup(c, revision) for c in subclasses_of_revision(revision))}
    assert len(codes) > 1000
    for code in codes:
        chain = [lookup(code, revision)]
        while chain[-1].parent:
            chain.append(lookup(chain[-1].parent, revision))
            assert chain[-1] is not None, f"{code}: parent missing"
        assert tuple(k.level for k in chain) == levels
        assert chain[-1].code in ksic.SECTION_LETTERS
        assert all(chain[i].code.startswith(chain[i + 1].code) for i in range(3))


def subclasses_of_revision(revision):
    return [c for letter in ksic.SECTION_LETTERS for c in subclasses(letter, revision)]


def test_concordance_links_both_ways():
    path = Path(ksic.__file__).with_name("ksic_concordance.csv")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    pairs = {(r["from_revision"], r["from_code"], r["to_revision"], r["to_code"]) for r in rows}
    assert len(pairs) == len(rows)
    assert pairs == {(c, d, a, b) for a, b, c, d in pairs}
    for a, b in ((9, 10), (10, 9), (10, 11), (11, 10)):  # every subclass has a link each way
        linked = {r["from_code"] for r in rows if (r["from_revision"], r["to_revision"]) == (str(a), str(b))}
        assert linked == set(subclasses_of_revision(a))


def _build_script():
    spec = importlib.util.spec_from_file_location("build_ksic", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_fails_on_a_division_under_two_sections(tmp_path):
    header = ["ksic1_cd", "ksic1_nm", "ksic2_cd", "ksic2_nm", "ksic3_cd", "ksic3_nm", "ksic4_cd", "ksic4_nm",
              "ksic5_cd", "ksic5_nm", "ksic_C"]
    tree = [["J", "정보통신업(58~63)", "58", "출판업", "581", "a", "5811", "b", "58111", "c", "C10"],
            ["M", "전문(70~73)", "58", "출판업", "582", "d", "5821", "e", "58211", "f", "C10"]]
    with (tmp_path / "ksicTreeDB.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *tree])
    db = [["cd", "nm", "eng_nm", "digit", "ksic_C"], ["58", "출판업", "Publishing", "2", "C10"],
          ["58", "출판업", "Publishing", "2", "C10"]]
    with (tmp_path / "ksicDB.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(db)
    with pytest.raises(SystemExit, match=r"(?s)duplicate code KSIC 10 58.*division 58 under sections \['J', 'M'\]"):
        _build_script().build_codes(tmp_path)
