"""Build ``src/kibs_spatial/reference/kostat_sigungu.csv``: KOSTAT statistical codes -> MOIS legal codes.

Run from the repository root with the KOSTAT 2013 municipality file of the public repository
southkorea/southkorea-maps (``kostat/2013/json/skorea_municipalities_topo_simple.json``, commit
9da257a50b5757eb87ee892eb5a8e268cea1103e; KOSTAT census boundaries, base year 2013, KOGL Type 1)::

    python scripts/build_kostat_codes.py skorea_municipalities_topo_simple.json
    python scripts/build_kostat_codes.py FILE --output /tmp/check.csv

Only the ``code`` and ``name`` properties of the features are read (TopoJSON or GeoJSON); the
geometries are not used. What it does (see ``reference/README.md`` for the why):

1. reads the 251 KOSTAT si-gun-gu codes and names (7-digit basis: Gijang-gun 21310);
2. maps each KOSTAT province prefix to the MOIS one (21 Busan -> 26, ..., 39 Jeju -> 50) and
   matches ``province + name`` to the bundled MOIS-coded layer with the project's own name
   matcher (renames through ``reference/region_changes.csv``);
3. checks that every bundled unit is reached exactly once and that the names agree; the only
   accepted differences are listed in ``EXCEPTIONS`` (the build fails on any other);
4. adds the 8-digit-basis code of each county: KOSTAT's newer classification renumbers the gun
   of every province from 510 instead of 310 (the last three digits + 200: Gijang-gun 21310 ->
   21510, Yangyang-gun 32410 -> 32610); si and gu codes are the same on both bases;
5. adds one row per city with general-purpose districts (KOSTAT city code = the districts' first
   four digits + 0, e.g. 31010 Suwon-si -> MOIS 41110), which the matcher treats as the whole city;
6. writes the CSV sorted by KOSTAT code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kibs_spatial.io.boundaries import load_bundled_regions  # noqa: E402
from kibs_spatial.io.region_matching import match_regions  # noqa: E402
from kibs_spatial.io.region_names import compact, province_name  # noqa: E402

OUTPUT = ROOT / "src" / "kibs_spatial" / "reference" / "kostat_sigungu.csv"

KOSTAT_TO_MOIS_PROVINCE = {
    "11": "11", "21": "26", "22": "27", "23": "28", "24": "29", "25": "30", "26": "31", "29": "36",
    "31": "41", "32": "42", "33": "43", "34": "44", "35": "45", "36": "46", "37": "47", "38": "48", "39": "50",
}
"""KOSTAT province prefix -> MOIS province prefix (2013 structure)."""

EXCEPTIONS = {
    "31280": "KOSTAT 2013 names 여주시 (a si since Sep 2013); the bundled layer still has 여주군 41730",
}
"""KOSTAT codes whose name differs from the bundled unit's, with the reason."""


def read_features(path: Path) -> pd.DataFrame:
    """``code`` and ``name`` of every feature of a TopoJSON or GeoJSON file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("type") == "Topology":
        features = [g for obj in data["objects"].values() for g in obj["geometries"]]
    else:
        features = data["features"]
    rows = [(str(f["properties"]["code"]), str(f["properties"]["name"])) for f in features]
    return pd.DataFrame(rows, columns=["kostat_code", "kostat_name"])


def eight_digit_basis(code: str) -> str:
    """County codes move from 3xx/4xx to 5xx/6xx on the 8-digit basis; others are unchanged."""
    return f"{code[:2]}{int(code[2:]) + 200}" if int(code[2:]) >= 300 else code


def build(path: Path) -> pd.DataFrame:
    kostat = read_features(path)
    layer = load_bundled_regions().drop(columns="geometry")
    names = [f"{province_name(KOSTAT_TO_MOIS_PROVINCE[c[:2]])} {n}" for c, n in zip(kostat.kostat_code, kostat.kostat_name)]
    result = match_regions(pd.Series(names), layer).rows
    failed = result[result["status"] != "matched"]
    if len(failed):
        raise SystemExit(f"unmatched KOSTAT units: {failed[['given', 'reason']].to_string()}")
    kostat["mois_code"] = result["region_code"].to_numpy()
    units = layer.set_index("region_code")
    kostat["mois_name"] = kostat["mois_code"].map(units["full_name_ko"])
    if kostat["mois_code"].duplicated().any() or set(kostat["mois_code"]) != set(units.index):
        raise SystemExit("the KOSTAT units do not map one to one onto the bundled layer")
    for row in kostat.itertuples():
        unit = units.loc[row.mois_code]
        same = compact(row.kostat_name) in {compact(unit.name_ko), compact(unit.parent_city) + compact(unit.name_ko)}
        if not same and row.kostat_code not in EXCEPTIONS:
            raise SystemExit(f"name disagreement: KOSTAT {row.kostat_code} {row.kostat_name} vs {row.mois_code} {unit.full_name_ko}")
    kostat["kostat_code_8"] = kostat["kostat_code"].map(eight_digit_basis)
    kostat["kind"] = "unit"
    kostat["note"] = kostat["kostat_code"].map(EXCEPTIONS).fillna("")
    cities = _cities(kostat, units)
    table = pd.concat([kostat, cities], ignore_index=True).sort_values("kostat_code")
    return table[["kostat_code", "kostat_code_8", "kostat_name", "mois_code", "mois_name", "kind", "note"]]


def _cities(kostat: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """One row per city whose general-purpose districts are units (KOSTAT city code = xxxx0)."""
    districts = kostat[kostat["mois_code"].map(units["parent_code"]) != ""]
    rows = []
    for city_code, part in districts.groupby(districts["kostat_code"].str[:4] + "0"):
        parents = set(part["mois_code"].map(units["parent_code"]))
        if len(parents) != 1:
            raise SystemExit(f"KOSTAT districts {', '.join(part['kostat_code'])} belong to several MOIS cities")
        parent = parents.pop()
        city = units.loc[part["mois_code"].iloc[0], "parent_city"]
        rows.append({"kostat_code": city_code, "kostat_code_8": city_code, "kostat_name": city, "mois_code": parent,
                     "mois_name": f"{units.loc[part['mois_code'].iloc[0], 'sido_name']} {city}", "kind": "city",
                     "note": f"whole city: districts {', '.join(sorted(part['kostat_code']))}"})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="KOSTAT municipality TopoJSON / GeoJSON (code, name properties)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    table = build(args.source)
    table.to_csv(args.output, index=False, encoding="utf-8", lineterminator="\n")
    print(f"{args.output}: {len(table)} rows ({(table['kind'] == 'unit').sum()} units, {(table['kind'] == 'city').sum()} cities)")


if __name__ == "__main__":
    main()
