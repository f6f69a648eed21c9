"""What every field of the GeoPackage means: the ``field_descriptions`` table and docs/OUTPUTS.md.

Descriptions live in one place, :data:`FIELDS` (field name -> description, unit), with
:data:`LAYER_FIELDS` for names that mean different things in different layers. The wide
``regions`` layer repeats the per-sector fields with a sector prefix (``s732_lq``); those are
looked up without the prefix. A field found in neither dict gets an empty description, and
:func:`undocumented` lists it, so a test notices new fields that nobody documented.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyogrio

from .sectors import KIBS_SECTORS

TABLE = "field_descriptions"
SKIPPED_LAYERS = ("layer_styles",)  # QGIS's own table, described in docs/OUTPUTS.md

FIELDS: dict[str, tuple[str, str]] = {
    # regions
    "region_code": ("si-gun-gu code (MOIS legal-dong system, e.g. 11680 = Gangnam-gu); text", ""),
    "name_ko": ("unit name in Korean", ""),
    "full_name_ko": ("province and unit name in Korean", ""),
    "name_en": ("unit name in English", ""),
    "sido_name": ("province (sido) name in Korean", ""),
    "parent_city": ("city the district (gu) belongs to, empty for autonomous units", ""),
    "capital_region": ("unit lies in the capital region (Seoul, Incheon, Gyeonggi)", ""),
    # sectors
    "ksic": ("KSIC code of the KIBS sector (identical in Rev. 9, 10, 11)", ""),
    "sector": ("sector name in English", ""),
    "sector_ko": ("sector name in Korean", ""),
    "kind": ("technology or professional KIBS", ""),
    # indicators
    "employees": ("employees of the sector in the unit, end year", "persons"),
    "establishments": ("establishments of the sector in the unit, end year", "count"),
    "employees_start": ("employees of the sector in the unit, start year", "persons"),
    "establishments_start": ("establishments of the sector in the unit, start year", "count"),
    "total_employees": ("employees of all industries in the unit, end year", "persons"),
    "lq": ("location quotient, end year: (E_is / T_i) / (E_s / T); 1 = national average; NaN if a count is missing", "ratio"),
    "lq_start": ("location quotient, start year", "ratio"),
    "share": ("unit's share of the sector's national employees, end year", "fraction 0-1"),
    "cagr": ("compound annual growth rate of the sector's employees, start to end year", "fraction per year"),
    # local statistics
    "lisa_i": ("local Moran's I of the tested variable (Anselin 1995), row-standardised weights", ""),
    "lisa_z": ("z-value of local Moran's I against its conditional permutation distribution", "standard deviations"),
    "lisa_p": ("two-sided pseudo p-value of local Moran's I (conditional permutations); empty for isolated/undefined", "probability"),
    "lisa_q": ("lisa_p adjusted for multiple testing (FDR method in run_metadata)", "probability"),
    "lisa_cl": ("LISA category at alpha on the adjusted p: HH, LL, LH, HL, ns, isolated (no neighbours), undefined (missing value)", ""),
    "gi_z": ("Getis-Ord Gi* z-value (focal unit included; Getis & Ord 1992, Ord & Getis 1995)", "standard deviations"),
    "gi_p": ("two-sided pseudo p-value of Gi* (conditional permutations)", "probability"),
    "gi_q": ("gi_p adjusted for multiple testing (FDR method in run_metadata)", "probability"),
    "gi_bin": ("Gi* significance bin on the adjusted p: 3/2/1 hot spot at 99/95/90 %, 0 not significant, -1/-2/-3 cold spot", "bin -3..3"),
    # promising-location rule
    "promising": ("promising cluster location by the primary rule preset (rules_primary and rule in run_metadata)", ""),
    "presets_agree": ("number of the applied rule presets that mark the row promising", "count"),
    # indicators added with the rule presets (see kibs_spatial.indicators)
    "total_employees_start": ("employees of all industries in the unit, start year", "persons"),
    "lq_est": ("location quotient of establishments (NaN without total establishments in the totals table)", "ratio"),
    "lq_eb": ("location quotient of the global empirical-Bayes smoothed rate (Marshall 1991)", "ratio"),
    "lq_ci_low": ("lower bound of the 95 % interval of the LQ", "ratio"),
    "lq_ci_high": ("upper bound of the 95 % interval of the LQ", "ratio"),
    "cagr_national": ("compound annual growth rate of the sector over the study area", "fraction per year"),
    "cagr_diff": ("cagr - cagr_national", "fraction per year"),
    "ss_national": ("shift-share national component E_is,t0 * g (Dunn 1960)", "persons"),
    "ss_industry_mix": ("shift-share industry mix E_is,t0 * (g_s - g)", "persons"),
    "ss_regional_shift": ("shift-share regional shift E_is,t1 - E_is,t0 * (1 + g_s)", "persons"),
    "lq_growth_quadrant": ("star, mature, emerging or transforming (LQ >= 1 against cagr_diff >= 0)", ""),
    # rule presets (docs/CLUSTERS.md)
    "kiet_pass_lq": ("kiet preset: passes the specialisation (LQ) criterion", ""),
    "kiet_pass_agglomeration": ("kiet preset: passes the agglomeration criterion (share and/or hot spot)", ""),
    "kiet_pass_size": ("kiet preset: passes the size criteria (employees, establishments)", ""),
    "kiet_pass_growth": ("kiet preset: passes the growth criterion (CAGR)", ""),
    "kiet": ("kiet preset (KIET 2014 four criteria): passes all four", ""),
    "uscmp_strong_pass_lq": ("uscmp-strong preset: LQ >= 75th percentile and >= 1", ""),
    "uscmp_strong_pass_employees": ("uscmp-strong preset: employees > 25th percentile", ""),
    "uscmp_strong_pass_establishments": ("uscmp-strong preset: establishments > 25th percentile", ""),
    "uscmp_strong": ("uscmp-strong preset (US Cluster Mapping Project strong cluster): passes all three", ""),
    "uscmp_strong90_pass_lq": ("uscmp-strong90 preset: LQ >= 90th percentile and >= 1", ""),
    "uscmp_strong90_pass_employees": ("uscmp-strong90 preset: employees > 25th percentile", ""),
    "uscmp_strong90_pass_establishments": ("uscmp-strong90 preset: establishments > 25th percentile", ""),
    "uscmp_strong90": ("uscmp-strong90 preset (LQ at the 90th percentile): passes all three", ""),
    "eco_size": ("eco-stars preset: employees in the sector's top 10 %", ""),
    "eco_specialisation": ("eco-stars preset: LQ >= 2", ""),
    "eco_focus": ("eco-stars preset: sector share of the unit's employment in the top 10 %", ""),
    "eco_stars": ("European Cluster Observatory stars (size, specialisation, focus)", "stars 0-3"),
    "lq_gi_type": ("LQ x Gi* typology: cluster core, isolated specialisation, spillover halo, none", ""),
    # sector_concentration (one row per sector)
    "employees_national_start": ("employees of the sector over the study area, start year", "persons"),
    "employees_national_end": ("employees of the sector over the study area, end year", "persons"),
    "hoover": ("Hoover coefficient of localisation, end year: 0.5 * sum |E_is/E_s - T_i/T| (Hoover 1936)", "0-1"),
    "gini": ("locational Gini coefficient, end year (Krugman 1991)", "0-1"),
    "hoover_start": ("Hoover coefficient of localisation, start year", "0-1"),
    "gini_start": ("locational Gini coefficient, start year", "0-1"),
    # sido
    "sido_code": ("province (sido) code", ""),
    "sido_name_en": ("province (sido) name in English", ""),
    # global Moran
    "variable": ("the tested variable (lq, employees or share)", ""),
    "moran_i": ("global Moran's I of the tested variable", ""),
    "expected_i": ("expected Moran's I under no autocorrelation, -1/(n-1)", ""),
    "z_rand": ("z-value of Moran's I under randomisation", "standard deviations"),
    "p_rand": ("two-sided p-value under randomisation (normal approximation)", "probability"),
    "p_sim": ("pseudo p-value from permutations", "probability"),
    "n": ("units in the test", "count"),
    "data_source": ("where the numbers come from (SYNTHETIC demo data or the input file name)", ""),
    # join report
    "table": ("input table the row comes from (sectors or totals)", ""),
    "file": ("input file name", ""),
    "line": ("line number in the input file", ""),
    "given_region": ("region code or name as given in the input", ""),
    "year": ("year of the input row", ""),
    "status": ("matched, aggregated (into a harmonised unit) or rejected", ""),
    "reason": ("why the row was rejected or how it was matched", ""),
    # run metadata
    "key": ("parameter name (see docs/OUTPUTS.md)", ""),
    "value": ("parameter value, as text", ""),
    # gangnam area
    "name": ("name of the Gangnam area and its units", ""),
    "region_codes": ("comma-separated codes of the units dissolved into the area ([contrast] area)", ""),
    # this table
    "layer": ("layer or table of the GeoPackage", ""),
    "field": ("field name", ""),
    "type": ("field type as stored (text, integer, real, boolean)", ""),
    "description": ("what the field means", ""),
    "unit": ("unit of measurement, empty for text", ""),
}

LAYER_FIELDS: dict[tuple[str, str], tuple[str, str]] = {
    ("join_report", "region_code"): ("code of the matched region, empty if rejected", ""),
    ("join_report", "ksic"): ("KSIC code of the input row, empty for totals", ""),
    ("sector_concentration", "regions"): ("units with known sector and total employees in the end year", "count"),
}

_WIDE = re.compile(r"^s(?P<ksic>\d+)_(?P<field>.+)$")
_SECTOR_NAMES = {s.ksic: s.name_en for s in KIBS_SECTORS}
_TYPES = {"object": "text", "str": "text", "bool": "boolean", "float64": "real", "float32": "real",
          "int64": "integer", "int32": "integer", "int16": "integer", "int8": "integer"}


def describe(layer: str, field: str) -> tuple[str, str] | None:
    """Description and unit of ``field`` in ``layer``; ``None`` if nobody documented it."""
    if (layer, field) in LAYER_FIELDS:
        return LAYER_FIELDS[(layer, field)]
    if field in FIELDS:
        return FIELDS[field]
    match = _WIDE.match(field)
    if layer == "regions" and match and match["field"] in FIELDS and match["ksic"] in _SECTOR_NAMES:
        text, unit = FIELDS[match["field"]]
        return f"{_SECTOR_NAMES[match['ksic']]} (KSIC {match['ksic']}): {text}", unit
    return None


def field_table(gpkg: str | Path) -> pd.DataFrame:
    """One row per field of every layer and table in ``gpkg`` (plus this table's own fields)."""
    rows = []
    layers = [name for name, _ in pyogrio.list_layers(gpkg) if name not in SKIPPED_LAYERS and name != TABLE]
    for layer in [*layers, TABLE]:
        if layer == TABLE:
            fields = [(f, "text") for f in ("layer", "field", "type", "description", "unit")]
        else:
            info = pyogrio.read_info(gpkg, layer=layer)
            fields = [(f, _TYPES.get(str(t), str(t))) for f, t in zip(info["fields"], info["dtypes"])]
        for name, kind in fields:
            text, unit = describe(layer, name) or ("", "")
            rows.append({"layer": layer, "field": name, "type": kind, "description": text, "unit": unit})
    return pd.DataFrame(rows, columns=["layer", "field", "type", "description", "unit"])


def undocumented(table: pd.DataFrame) -> list[str]:
    """``layer.field`` for every row of a :func:`field_table` without a description."""
    missing = table[table["description"] == ""]
    return [f"{layer}.{field}" for layer, field in zip(missing["layer"], missing["field"])]


def write_field_table(gpkg: str | Path) -> pd.DataFrame:
    """Add the ``field_descriptions`` table to ``gpkg`` (a non-spatial GeoPackage table)."""
    table = field_table(gpkg)
    pyogrio.write_dataframe(table, gpkg, layer=TABLE, driver="GPKG")
    return table
