"""Build the bundled KSIC reference: ``ksic_codes.csv`` and ``ksic_concordance.csv``.

Source: the CSV exports of the data sets of the R package KSIC (github.com/urbanjj/KSIC), taken
from KOSTAT's Statistical Classification Portal; cite "KOSTAT, Korean Standard Industrial
Classification" and the revision (9, 10 or 11). Run from anywhere::

    python scripts/build_ksic.py
    python scripts/build_ksic.py --source ../shared/data/ksic --output /tmp/ksic

Relative paths are taken from the repository root. What it does (see ``reference/README.md``):

1. reads every code of every level and revision from ``ksicDB.csv`` (codes kept as text);
2. cleans the names: runs of white space become one space, the middle-dot variants ``․`` (U+2024)
   and ``·`` (U+00B7) become KOSTAT's ``ㆍ`` (U+318D); the "(01~03)" suffix of a section name
   goes to the ``divisions`` column; the two Korean names cut short in ``ksicDB.csv``
   (``TRUNCATED``) are completed from ``ksicTreeDB.csv``;
3. derives each parent from the code (a division's from ``ksicTreeDB.csv``) and fails on any
   inconsistency: duplicate codes, a missing parent, a division under no or several sections,
   a disagreement between the two source tables, a section range that is not its divisions;
4. writes the 5-digit concordances 9<->10 and 10<->11 in both directions, checking that each code
   exists in its revision, that every subclass has a link, and that both directions agree.
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REVISIONS = (9, 10, 11)
LEVELS = {1: "section", 2: "division", 3: "group", 4: "class", 5: "subclass"}
SECTIONS = "ABCDEFGHIJKLMNOPQRSTU"
CONCORDANCES = {(9, 10): "ksic_9_to_10.csv", (10, 9): "ksic_10_to_9.csv",
                (10, 11): "ksic_10_to_11.csv", (11, 10): "ksic_11_to_10.csv"}
TRUNCATED = {(11, "14"), (11, "38")}
"""(revision, code) whose Korean name in ksicDB.csv ends early ("의복, 의복 액세서리 및")."""

CODE_COLUMNS = ["revision", "code", "level", "parent", "name_ko", "name_en", "divisions"]
LINK_COLUMNS = ["from_revision", "from_code", "to_revision", "to_code", "detail"]
SECTION_RANGE = re.compile(r"\s*\(\s*(\d{2})\s*(?:~\s*(\d{2})\s*)?\)\s*$")
CODE_PATTERN = re.compile(r"[A-U]|\d{2,5}")


class SourceError(SystemExit):
    """An inconsistency in the source tables: the build stops."""


def clean(text: str) -> str:
    """One space between words, one middle-dot character; ``NA`` (R's missing value) -> ''."""
    if text == "NA":
        return ""
    text = text.replace("\u2024", "\u318d").replace("\u00b7", "\u318d")
    return " ".join(text.split())


def read(path: Path) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV file, every value as text."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def fail_if(problems: list[str], what: str) -> None:
    """Stop the build with the list of problems, if any."""
    if problems:
        raise SourceError(f"{what}:\n  " + "\n  ".join(problems[:30]))


def tree_parents(source: Path) -> tuple[dict[tuple[int, str], set[str]], dict[tuple[int, str], str]]:
    """Parent codes seen in ksicTreeDB.csv per (revision, code), and its names per (revision, code)."""
    parents: dict[tuple[int, str], set[str]] = defaultdict(set)
    names: dict[tuple[int, str], str] = {}
    for row in read(source / "ksicTreeDB.csv"):
        revision = int(row["ksic_C"].removeprefix("C"))
        for k in range(1, 6):
            code = row[f"ksic{k}_cd"]
            names[revision, code] = clean(row[f"ksic{k}_nm"])
            parents[revision, code].add(row[f"ksic{k - 1}_cd"] if k > 1 else "")
    return parents, names


def split_section(name: str) -> tuple[str, str]:
    """``"농업, 임업 및 어업(01~03)"`` -> (``"농업, 임업 및 어업"``, ``"01~03"``)."""
    match = SECTION_RANGE.search(name)
    if not match:
        raise SourceError(f"section name without a division range: {name!r}")
    first, last = match.groups()
    return name[: match.start()].strip(), first if last is None else f"{first}~{last}"


def build_codes(source: Path) -> list[dict[str, object]]:
    """Every code of every level and revision, with its parent and cleaned names."""
    parents, tree_names = tree_parents(source)
    rows, seen, problems = [], set(), []
    for raw in read(source / "ksicDB.csv"):
        revision, code, digit = int(raw["ksic_C"].removeprefix("C")), raw["cd"], int(raw["digit"])
        if revision not in REVISIONS or not CODE_PATTERN.fullmatch(code) or len(code) != digit:
            problems.append(f"bad row {raw}")
            continue
        if (revision, code) in seen:
            problems.append(f"duplicate code KSIC {revision} {code}")
        seen.add((revision, code))
        name_ko, divisions = clean(raw["nm"]), ""
        if digit == 1:
            name_ko, divisions = split_section(name_ko)
        if (revision, code) in TRUNCATED:
            full = tree_names.get((revision, code), "")
            if not (full.startswith(name_ko) and len(full) > len(name_ko)):
                problems.append(f"KSIC {revision} {code}: expected a truncated name, got {name_ko!r} / {full!r}")
            name_ko = full
        if digit == 2:
            sections = parents.get((revision, code), set())
            if len(sections) != 1:
                problems.append(f"KSIC {revision} division {code} under sections {sorted(sections)}")
            parent = min(sections, default="")
        else:
            parent = code[:-1] if digit > 2 else ""
        rows.append({"revision": revision, "code": code, "level": LEVELS[digit], "parent": parent,
                     "name_ko": name_ko, "name_en": clean(raw["eng_nm"]), "divisions": divisions})
    fail_if(problems, "ksicDB.csv")
    check_codes(rows, parents)
    section = {(r["revision"], r["code"]): r["parent"] for r in rows if r["level"] == "division"}
    return sorted(rows, key=lambda r: (r["revision"], r["code"], "") if r["level"] == "section"
                  else (r["revision"], section[r["revision"], str(r["code"])[:2]], r["code"]))


def check_codes(rows: list[dict[str, object]], parents: dict[tuple[int, str], set[str]]) -> None:
    """Parents exist, names are present, both source tables hold the same codes, ranges agree."""
    known = {(r["revision"], r["code"]) for r in rows}
    problems = [f"KSIC {r['revision']} {r['code']}: parent {r['parent']} missing"
                for r in rows if r["level"] != "section" and (r["revision"], r["parent"]) not in known]
    problems += [f"KSIC {r['revision']} {r['code']}: empty name" for r in rows if not r["name_ko"] or not r["name_en"]]
    problems += [f"KSIC {rev} {code}: in only one of ksicDB.csv, ksicTreeDB.csv"
                 for rev, code in known.symmetric_difference(parents)]
    problems += [f"KSIC {rev} {code}: parents {sorted(p)} in ksicTreeDB.csv" for (rev, code), p in parents.items()
                 if len(code) > 2 and p != {code[:-1]}]
    for revision in REVISIONS:
        letters = "".join(sorted(str(r["code"]) for r in rows if r["revision"] == revision and r["level"] == "section"))
        if letters != SECTIONS:
            problems.append(f"KSIC {revision}: sections {letters}, expected {SECTIONS}")
        with_children = {r["parent"] for r in rows if r["revision"] == revision}
        problems += [f"KSIC {revision} {r['code']}: no code below" for r in rows
                     if r["revision"] == revision and r["level"] != "subclass" and r["code"] not in with_children]
        for section in (r for r in rows if r["revision"] == revision and r["level"] == "section"):
            divisions = sorted(str(r["code"]) for r in rows if r["revision"] == revision and r["parent"] == section["code"])
            stated = str(section["divisions"]).split("~")
            if (divisions[0], divisions[-1]) != (stated[0], stated[-1]):
                problems.append(f"KSIC {revision} {section['code']}: divisions {divisions} vs stated {section['divisions']}")
    fail_if(problems, "inconsistent classification")


def build_concordance(source: Path, codes: list[dict[str, object]]) -> list[dict[str, object]]:
    """The 5-digit links 9<->10 and 10<->11, both directions, with the cleaned concordance note."""
    subclasses = {rev: {str(r["code"]) for r in codes if r["revision"] == rev and r["level"] == "subclass"}
                  for rev in REVISIONS}
    rows, problems, pairs = [], [], {}
    for (a, b), filename in CONCORDANCES.items():
        seen = set()
        for raw in read(source / filename):
            x, y = raw[f"ksic{a}_cd"], raw[f"ksic{b}_cd"]
            if x not in subclasses[a] or y not in subclasses[b]:
                problems.append(f"{filename}: {x} -> {y} not a KSIC {a} / KSIC {b} subclass")
            if (x, y) in seen:
                problems.append(f"{filename}: duplicate link {x} -> {y}")
            seen.add((x, y))
            rows.append({"from_revision": a, "from_code": x, "to_revision": b, "to_code": y,
                         "detail": clean(raw.get("detail", "NA"))})
        pairs[a, b] = seen
        problems += [f"{filename}: KSIC {a} {c} has no link" for c in sorted(subclasses[a] - {x for x, _ in seen})]
        problems += [f"{filename}: KSIC {b} {c} is never reached" for c in sorted(subclasses[b] - {y for _, y in seen})]
    for a, b in ((9, 10), (10, 11)):
        if pairs[a, b] != {(x, y) for y, x in pairs[b, a]}:
            problems.append(f"the {a}->{b} and {b}->{a} concordances hold different links")
    fail_if(problems, "inconsistent concordance")
    return sorted(rows, key=lambda r: (r["from_revision"], r["to_revision"], r["from_code"], r["to_code"]))


def write(path: Path, rows: list[dict[str, object]], columns: list[str]) -> None:
    """Plain UTF-8 CSV, ``\\n`` line ends, every value as text."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=Path("../shared/data/ksic"),
                        help="folder with ksicDB.csv, ksicTreeDB.csv and ksic_*_to_*.csv (from the repository root)")
    parser.add_argument("--output", type=Path, default=Path("src/kibs_spatial/reference"),
                        help="folder for ksic_codes.csv and ksic_concordance.csv (from the repository root)")
    args = parser.parse_args()
    source, output = ROOT / args.source, ROOT / args.output
    codes = build_codes(source)
    links = build_concordance(source, codes)
    output.mkdir(parents=True, exist_ok=True)
    write(output / "ksic_codes.csv", codes, CODE_COLUMNS)
    write(output / "ksic_concordance.csv", links, LINK_COLUMNS)
    for revision in REVISIONS:
        counts = {level: sum(r["revision"] == revision and r["level"] == level for r in codes) for level in LEVELS.values()}
        print(f"KSIC {revision}: " + ", ".join(f"{n} {level}" for level, n in counts.items()))
    print(f"{output / 'ksic_codes.csv'}: {len(codes)} rows; {output / 'ksic_concordance.csv'}: {len(links)} links")


if __name__ == "__main__":
    main()
