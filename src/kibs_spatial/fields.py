"""The field registry: every field the toolkit writes, defined once.

Each :class:`Field` has its name, storage type, description, unit, a short human label
(``alias``: QGIS alias, report and tooltip header) and the layers it appears in. From this one
table come the ``field_descriptions`` table of every GeoPackage, the column order of the CSV
tables, the QGIS aliases, the labels of the map tooltips and the field reference in
docs/OUTPUTS.md (``python -m kibs_spatial.fields`` prints it; a test fails when the doc is stale).

Fields marked ``wide`` are repeated per sector in the wide ``regions`` layer with the sector's
prefix: ``s732_lq`` is ``lq`` of sector 732 (:func:`wide_name`).
"""

from __future__ import annotations

from dataclasses import dataclass

REGIONS = "regions"
LONG = "sector_results"
LONG_TABLE = "sector_results_table"
PROMISING = "promising_locations"
AREA = "gangnam_area"
SIDO = "sido"
MORAN = "global_moran"
CONCENTRATION = "sector_concentration"
JOIN = "join_report"
METADATA = "run_metadata"
DESCRIPTIONS = "field_descriptions"
HOTSPOTS = "hotspots"
CONTRAST = "gangnam_contrast"  # CSV only

_LONG = (LONG, LONG_TABLE, PROMISING)
_UNITS = (REGIONS, *_LONG)
_SECTOR_TABLES = (*_LONG, MORAN, CONCENTRATION, CONTRAST)


@dataclass(frozen=True)
class Field:
    """One written field: ``dtype`` is ``text``, ``integer``, ``real`` or ``boolean``."""

    name: str
    dtype: str
    description: str
    unit: str = ""
    alias: str = ""
    layers: tuple[str, ...] = ()
    wide: bool = False  # repeated per sector in the ``regions`` layer

    @property
    def label(self) -> str:
        """The human label: the alias, or the name itself."""
        return self.alias or self.name


def _f(name, dtype, description, unit="", alias="", layers=(), wide=False) -> Field:
    return Field(name, dtype, description, unit, alias, tuple(layers), wide)


FIELDS: tuple[Field, ...] = (
    # the units
    _f("region_code", "text", "si-gun-gu code (MOIS legal-dong system, e.g. 11680 = Gangnam-gu); text", "", "code",
       _UNITS),
    _f("name_ko", "text", "unit name in Korean", "", "name", _UNITS),
    _f("full_name_ko", "text", "province and unit name in Korean", "", "unit", _UNITS),
    _f("name_en", "text", "unit name in English", "", "name (English)", _UNITS),
    _f("sido_name", "text", "province (sido) name in Korean", "", "province", (*_UNITS, SIDO)),
    _f("parent_city", "text", "city the district (gu) belongs to, empty for autonomous units", "", "city", _UNITS),
    _f("capital_region", "boolean", "unit lies in the capital region (Seoul, Incheon, Gyeonggi)", "",
       "capital region", _UNITS),
    # the sectors
    _f("ksic", "text", "sector code: a KSIC code of any level, a KOSIS letter group (D+H+J+K) or a user sector's code",
       "", "sector code", _SECTOR_TABLES),
    _f("sector", "text", "sector name in English", "", "sector", _SECTOR_TABLES),
    _f("sector_ko", "text", "sector name in Korean", "", "sector (Korean)", _LONG),
    _f("kind", "text", "technology or professional KIBS (or the kind a user sector was given; empty if none)", "", "kind",
       _SECTOR_TABLES),
    _f("period", "text", "the period, labelled as in the data (2022, 2024.1/2, 2024 2/4)", "", "period",
       (*_LONG, MORAN, CONCENTRATION, JOIN)),
    # indicators
    _f("employees", "real", "employees of the sector in the unit in the period", "persons", "employees", _LONG, True),
    _f("establishments", "real", "establishments of the sector in the unit in the period (empty when the tables have "
       "none)", "count", "establishments", _LONG, True),
    _f("employees_start", "real", "employees of the sector in the unit in the first period", "persons",
       "employees (first period)", _LONG),
    _f("establishments_start", "real", "establishments of the sector in the unit in the first period", "count",
       "establishments (first period)", _LONG),
    _f("total_employees", "real", "employees of all industries in the unit in the period", "persons",
       "all-industry employees", _LONG),
    _f("total_employees_start", "real", "employees of all industries in the unit in the first period", "persons",
       "all-industry employees (first period)", _LONG),
    _f("lq", "real", "location quotient in the period: (E_is / T_i) / (E_s / T); 1 = national average; NaN if a "
       "count is missing", "ratio", "LQ", _LONG, True),
    _f("lq_start", "real", "location quotient in the first period", "ratio", "LQ (first period)", _LONG),
    _f("lq_est", "real", "location quotient of establishments (NaN without total establishments in the totals table)",
       "ratio", "LQ of establishments", _LONG),
    _f("lq_eb", "real", "location quotient of the global empirical-Bayes smoothed rate (Marshall 1991)", "ratio",
       "LQ (empirical Bayes)", _LONG, True),
    _f("lq_ci_low", "real", "lower bound of the 95 % interval of the LQ", "ratio", "LQ 95 % low", _LONG),
    _f("lq_ci_high", "real", "upper bound of the 95 % interval of the LQ", "ratio", "LQ 95 % high", _LONG),
    _f("share", "real", "unit's share of the sector's national employees in the period", "fraction 0-1",
       "share of national", _LONG, True),
    _f("employees_rse", "real", "relative standard error of employees as the survey publishes it (empty for a "
       "sector summed from several rows)", "percent", "RSE of employees", _LONG, True),
    _f("employees_rse_high", "boolean", "the survey flags the RSE of employees as high (KOSIS *)", "",
       "high RSE", _LONG, True),
    _f("cagr", "real", "compound annual growth rate of the sector's employees from the first period to this one "
       "(empty in the first period: growth is not available)", "fraction per year", "growth per year", _LONG, True),
    _f("cagr_national", "real", "compound annual growth rate of the sector over the study area, first period to "
       "this one", "fraction per year", "national growth per year", (*_LONG, CONCENTRATION)),
    _f("cagr_diff", "real", "cagr - cagr_national", "fraction per year", "growth above national", _LONG, True),
    _f("ss_national", "real", "shift-share national component E_is,t0 * g (Dunn 1960)", "persons",
       "shift-share: national", _LONG),
    _f("ss_industry_mix", "real", "shift-share industry mix E_is,t0 * (g_s - g)", "persons",
       "shift-share: industry mix", _LONG),
    _f("ss_regional_shift", "real", "shift-share regional shift E_is,t1 - E_is,t0 * (1 + g_s)", "persons",
       "shift-share: regional shift", _LONG),
    _f("lq_growth_quadrant", "text", "star, mature, emerging or transforming (LQ >= 1 against cagr_diff >= 0)", "",
       "LQ-growth quadrant", _LONG, True),
    # local statistics (also per tested column in the hotspots layer: c_lisa_i ...)
    _f("lisa_i", "real", "local Moran's I of the tested variable (Anselin 1995), row-standardised weights", "",
       "local Moran's I", (*_LONG, HOTSPOTS), True),
    _f("lisa_z", "real", "z-value of local Moran's I against its conditional permutation distribution",
       "standard deviations", "LISA z", (*_LONG, HOTSPOTS), True),
    _f("lisa_p", "real", "two-sided pseudo p-value of local Moran's I (conditional permutations); empty for "
       "isolated/undefined", "probability", "LISA p", (*_LONG, HOTSPOTS), True),
    _f("lisa_q", "real", "lisa_p adjusted for multiple testing (FDR method in run_metadata)", "probability",
       "LISA q (FDR)", (*_LONG, HOTSPOTS), True),
    _f("lisa_cl", "text", "LISA category at alpha on the adjusted p: HH, LL, LH, HL, ns, isolated (no neighbours), "
       "undefined (missing value)", "", "LISA class", (*_LONG, HOTSPOTS), True),
    _f("gi_z", "real", "Getis-Ord Gi* z-value (focal unit included; Getis & Ord 1992, Ord & Getis 1995)",
       "standard deviations", "Gi* z", (*_LONG, HOTSPOTS), True),
    _f("gi_p", "real", "two-sided pseudo p-value of Gi* (conditional permutations)", "probability", "Gi* p",
       (*_LONG, HOTSPOTS), True),
    _f("gi_q", "real", "gi_p adjusted for multiple testing (FDR method in run_metadata)", "probability",
       "Gi* q (FDR)", (*_LONG, HOTSPOTS), True),
    _f("gi_bin", "integer", "Gi* significance bin on the adjusted p: 3/2/1 hot spot at 99/95/90 %, 0 not "
       "significant, -1/-2/-3 cold spot", "bin -3..3", "Gi* hot/cold spot", (*_LONG, HOTSPOTS), True),
    # rule presets (docs/CLUSTERS.md)
    _f("kiet_pass_lq", "boolean", "kiet preset: passes the specialisation (LQ) criterion", "", "kiet: LQ", _LONG),
    _f("kiet_pass_agglomeration", "boolean", "kiet preset: passes the agglomeration criterion (share and/or hot spot)",
       "", "kiet: agglomeration", _LONG),
    _f("kiet_pass_size", "boolean", "kiet preset: passes the size criteria (employees, establishments)", "",
       "kiet: size", _LONG),
    _f("kiet_pass_growth", "boolean", "kiet preset: passes the growth criterion (CAGR); empty where growth is not "
       "available (first period) and the criterion is not applied", "", "kiet: growth", _LONG),
    _f("kiet", "boolean", "kiet preset (KIET 2014 four criteria): passes all four", "", "kiet", _LONG, True),
    _f("promising", "boolean", "promising cluster location by the primary rule preset (rules_primary and rule in "
       "run_metadata)", "", "promising", _LONG, True),
    _f("uscmp_strong_pass_lq", "boolean", "uscmp-strong preset: LQ >= 75th percentile and >= 1", "",
       "uscmp-strong: LQ", _LONG),
    _f("uscmp_strong_pass_employees", "boolean", "uscmp-strong preset: employees > 25th percentile", "",
       "uscmp-strong: employees", _LONG),
    _f("uscmp_strong_pass_establishments", "boolean", "uscmp-strong preset: establishments > 25th percentile (empty "
       "and not applied when the tables have no establishments)", "", "uscmp-strong: establishments", _LONG),
    _f("uscmp_strong", "boolean", "uscmp-strong preset (US Cluster Mapping Project strong cluster): passes all three",
       "", "uscmp-strong", _LONG, True),
    _f("uscmp_strong90_pass_lq", "boolean", "uscmp-strong90 preset: LQ >= 90th percentile and >= 1", "",
       "uscmp-strong90: LQ", _LONG),
    _f("uscmp_strong90_pass_employees", "boolean", "uscmp-strong90 preset: employees > 25th percentile", "",
       "uscmp-strong90: employees", _LONG),
    _f("uscmp_strong90_pass_establishments", "boolean", "uscmp-strong90 preset: establishments > 25th percentile",
       "", "uscmp-strong90: establishments", _LONG),
    _f("uscmp_strong90", "boolean", "uscmp-strong90 preset (LQ at the 90th percentile): passes all three", "",
       "uscmp-strong90", _LONG, True),
    _f("eco_size", "boolean", "eco-stars preset: employees in the sector's top 10 %", "", "eco: size", _LONG),
    _f("eco_specialisation", "boolean", "eco-stars preset: LQ >= 2", "", "eco: specialisation", _LONG),
    _f("eco_focus", "boolean", "eco-stars preset: sector share of the unit's employment in the top 10 %", "",
       "eco: focus", _LONG),
    _f("eco_stars", "integer", "European Cluster Observatory stars (size, specialisation, focus)", "stars 0-3",
       "eco stars", _LONG, True),
    _f("lq_gi_type", "text", "LQ x Gi* typology: cluster core, isolated specialisation, spillover halo, none", "",
       "LQ x Gi* type", _LONG, True),
    _f("presets_agree", "integer", "number of the applied rule presets that mark the row promising", "count",
       "presets agreeing", _LONG, True),
    # robustness (run with --robustness; last period)
    _f("stability", "real", "share of the robustness specifications (other weights, seeds, LQ and size thresholds, one "
       "choice changed at a time) under which the primary preset marks the location promising; empty when not run",
       "0-1", "stability", _LONG, True),
    _f("robust", "boolean", "stability at least [robustness] robust_at (0.8 by default)", "", "robust", _LONG, True),
    _f("hinges_on", "text", "for a promising location that does not hold everywhere: the specifications (each one "
       "changed choice) under which it is not promising", "", "hinges on", _LONG),
    _f("pattern_stability", "real", "share of the robustness specifications that re-test (the run's own, other "
       "weights, other seeds) under which the emerging hot spot pattern is the run's; empty when not run", "0-1",
       "pattern stability", _LONG, True),
    _f("pattern_hinges_on", "text", "the specifications under which the emerging hot spot pattern differs", "",
       "pattern hinges on", _LONG),
    # emerging hot spots (docs/EMERGING.md): the space-time Gi* of every period, the pattern on the last period
    _f("st_gi_z", "real", "space-time Gi* z-score of the period: spatial neighbours and the same and neighbouring units "
       "in the previous [emerging] time_lags periods, mean and variance over the whole panel", "standard deviations",
       "space-time Gi* z", _LONG),
    _f("st_gi_p", "real", "permutation p-value of the space-time Gi* (two-sided equal tails)", "probability",
       "space-time Gi* p", _LONG),
    _f("st_gi_q", "real", "FDR-adjusted space-time Gi* p (one family per sector and period)", "probability",
       "space-time Gi* q", _LONG),
    _f("st_gi_bin", "integer", "1 hot, -1 cold (q at most 1 - [emerging] confidence), 0 neither", "", "space-time hot/cold",
       _LONG),
    _f("ehsa_pattern", "text", "emerging hot spot pattern of the unit over the periods (ArcGIS Pro's 17 categories: "
       "No Pattern Detected, New, Consecutive, Intensifying, Persistent, Diminishing, Sporadic, Oscillating, Historical "
       "Hot/Cold Spot), undefined without any space-time Gi*; last period's rows only", "", "emerging pattern", _LONG,
       True),
    _f("ehsa_code", "integer", "the pattern as a number: 1 new ... 8 historical hot spot, -1 ... -8 the cold ones, 0 none",
       "", "emerging pattern code", _LONG),
    _f("ehsa_trend_z", "real", "Mann-Kendall z of the unit's space-time Gi* z series", "standard deviations",
       "Gi* trend z", _LONG),
    _f("ehsa_trend_p", "real", "two-sided Mann-Kendall p of that trend", "probability", "Gi* trend p", _LONG),
    _f("ehsa_sen_slope", "real", "Sen's slope of the space-time Gi* z series", "z per period", "Gi* trend slope",
       _LONG),
    _f("lq_trend_z", "real", "Mann-Kendall z of the unit's LQ series", "standard deviations", "LQ trend z", _LONG),
    _f("lq_trend_p", "real", "two-sided Mann-Kendall p of the LQ trend", "probability", "LQ trend p", _LONG),
    _f("lq_sen_slope", "real", "Sen's slope of the LQ series (the kiet preset's growth with growth = \"lq-trend\")",
       "LQ per period", "LQ trend slope", _LONG, True),
    _f("periods_hot", "integer", "periods in which the unit is a space-time hot spot", "periods", "periods hot", _LONG),
    _f("periods_cold", "integer", "periods in which the unit is a space-time cold spot", "periods", "periods cold",
       _LONG),
    # sector_concentration
    _f("regions", "integer", "units with known sector and total employees in the period", "count", "units",
       (CONCENTRATION,)),
    _f("employees_national_start", "real", "employees of the sector over the study area in the first period (units "
       "known in both periods)", "persons", "national employees (first period)", (CONCENTRATION,)),
    _f("employees_national_end", "real", "employees of the sector over the study area in the period (units known in "
       "both periods)", "persons", "national employees", (CONCENTRATION,)),
    _f("hoover", "real", "Hoover coefficient of localisation in the period: 0.5 * sum |E_is/E_s - T_i/T| (Hoover 1936)",
       "0-1", "Hoover", (CONCENTRATION,)),
    _f("gini", "real", "locational Gini coefficient in the period (Krugman 1991)", "0-1", "locational Gini",
       (CONCENTRATION,)),
    _f("hoover_start", "real", "Hoover coefficient of localisation in the first period", "0-1",
       "Hoover (first period)", (CONCENTRATION,)),
    _f("gini_start", "real", "locational Gini coefficient in the first period", "0-1",
       "locational Gini (first period)", (CONCENTRATION,)),
    # sido
    _f("sido_code", "text", "province (sido) code", "", "province code", (SIDO,)),
    _f("sido_name_en", "text", "province (sido) name in English", "", "province (English)", (SIDO,)),
    # global Moran
    _f("column", "text", "the tested column of the input layer", "", "column", (MORAN,)),
    _f("variable", "text", "the tested variable (lq, employees or share)", "", "tested variable", (MORAN,)),
    _f("moran_i", "real", "global Moran's I of the tested variable", "", "Moran's I", (MORAN,)),
    _f("expected_i", "real", "expected Moran's I under no autocorrelation, -1/(n-1)", "", "E[I]", (MORAN,)),
    _f("z_rand", "real", "z-value of Moran's I under randomisation", "standard deviations", "z (randomisation)",
       (MORAN,)),
    _f("p_rand", "real", "two-sided p-value under randomisation (normal approximation)", "probability",
       "p (randomisation)", (MORAN,)),
    _f("p_sim", "real", "pseudo p-value from permutations", "probability", "p (permutations)", (MORAN,)),
    _f("n", "integer", "units in the test", "count", "units", (MORAN,)),
    _f("data_source", "text", "where the numbers come from (SYNTHETIC demo data or the input file name)", "",
       "data", (*_LONG, MORAN, CONCENTRATION, CONTRAST)),
    # join report
    _f("table", "text", "input table the row comes from (sectors or totals)", "", "table", (JOIN,)),
    _f("file", "text", "input file name", "", "file", (JOIN,)),
    _f("line", "integer", "line number in the input file", "", "line", (JOIN,)),
    _f("given_region", "text", "region code or name as given in the input", "", "given region", (JOIN,)),
    _f("status", "text", "matched, aggregated (into a harmonised unit) or rejected", "", "status", (JOIN,)),
    _f("reason", "text", "why the row was rejected or how it was matched", "", "reason", (JOIN,)),
    _f("sectors", "text", "the run's sectors this input row was added into (comma-separated codes; empty: none, or a "
       "totals row)", "", "fed sectors", (JOIN,)),
    # run metadata
    _f("key", "text", "parameter name (see docs/OUTPUTS.md)", "", "parameter", (METADATA,)),
    _f("value", "text", "parameter value, as text", "", "value", (METADATA,)),
    # gangnam area
    _f("name", "text", "name of the Gangnam area and its units", "", "name", (AREA,)),
    _f("region_codes", "text", "comma-separated codes of the units dissolved into the area ([contrast] area)", "",
       "unit codes", (AREA,)),
    # the field_descriptions table itself
    _f("layer", "text", "layer or table of the GeoPackage", "", "layer", (DESCRIPTIONS,)),
    _f("field", "text", "field name", "", "field", (DESCRIPTIONS,)),
    _f("type", "text", "field type as stored (text, integer, real, boolean)", "", "type", (DESCRIPTIONS,)),
    _f("description", "text", "what the field means", "", "description", (DESCRIPTIONS,)),
    _f("unit", "text", "unit of measurement, empty for text", "", "unit", (DESCRIPTIONS,)),
)

REGISTRY: dict[str, Field] = {f.name: f for f in FIELDS}

LAYER_FIELDS: dict[tuple[str, str], Field] = {
    (JOIN, "region_code"): _f("region_code", "text", "code of the matched region, empty if rejected", "", "code", (JOIN,)),
    (JOIN, "ksic"): _f("ksic", "text", "KSIC code of the input row, empty for totals", "", "KSIC", (JOIN,)),
}
"""Fields whose meaning in one layer differs from the registry's."""

LOCAL_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if HOTSPOTS in f.layers)
"""The local statistic fields of a tested column, in order: ``lisa_i`` ... ``gi_bin``."""

WIDE_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.wide)
"""Fields repeated per sector in the ``regions`` layer, in order."""

REGION_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if REGIONS in f.layers and not f.wide)
"""The unit's own fields: code, names, province, city, capital-region flag."""

def wide_name(prefix: str, name: str) -> str:
    """``s732`` + ``lq`` -> ``s732_lq``: a sector's field in the wide layer."""
    return f"{prefix}_{name}"


def layer_fields(layer: str) -> list[Field]:
    """The registry's fields of ``layer``, in registry order."""
    return [f for f in FIELDS if layer in f.layers]


def describe(layer: str, name: str, sector_names: dict[str, str] | None = None) -> Field | None:
    """The field ``name`` of ``layer``; ``None`` if nobody documented it.

    A wide field of ``regions`` (``s732_lq``) is described with its sector: ``sector_names`` maps
    field prefixes (``s732``) to sector labels; without it the prefix names the sector. A field of
    the ``hotspots`` layer (``jobs_gi_z``) is described with its tested column.
    """
    if (layer, name) in LAYER_FIELDS:
        return LAYER_FIELDS[(layer, name)]
    if name in REGISTRY and (layer in REGISTRY[name].layers or layer not in _KNOWN_LAYERS):
        return REGISTRY[name]
    repeated = {REGIONS: WIDE_FIELDS, HOTSPOTS: LOCAL_FIELDS}.get(layer, ())
    for base in sorted(repeated, key=len, reverse=True):
        prefix = name[: -len(base) - 1]
        if name.endswith("_" + base) and prefix and (layer != REGIONS or prefix.startswith("s")):
            owner = (sector_names or {}).get(prefix, f"sector {prefix[1:]}" if layer == REGIONS else prefix)
            field = REGISTRY[base]
            return Field(name, field.dtype, f"{owner}: {field.description}", field.unit, f"{owner}: {field.label}",
                         (layer,))
    return None


_KNOWN_LAYERS = frozenset(layer for f in FIELDS for layer in f.layers)


def column_order(columns, layer: str) -> list[str]:
    """``columns`` with the registry's fields of ``layer`` first, in registry order, then the rest as given."""
    known = [f.name for f in layer_fields(layer) if f.name in set(columns)]
    return known + [c for c in columns if c not in set(known)]


def markdown() -> str:
    """The field reference of docs/OUTPUTS.md: one table per layer, from the registry."""
    parts = []
    for layer in (REGIONS, LONG, AREA, SIDO, MORAN, CONCENTRATION, JOIN, METADATA, DESCRIPTIONS, HOTSPOTS):
        rows = []
        for f in layer_fields(layer) if layer != REGIONS else [f for f in FIELDS if REGIONS in f.layers or f.wide]:
            f = LAYER_FIELDS.get((layer, f.name), f)
            name = f"s{{code}}_{f.name}" if layer == REGIONS and f.wide else (
                f"{{column}}_{f.name}" if layer == HOTSPOTS else f.name)
            text = f.description.replace("|", "\\|")
            rows.append(f"| `{name}` | {f.dtype} | {f.unit} | {f.label} | {text} |")
        for (lay, name), f in LAYER_FIELDS.items():
            if lay == layer and name not in REGISTRY:
                rows.append(f"| `{name}` | {f.dtype} | {f.unit} | {f.label} | {f.description} |")
        parts.append(f"### `{layer}`\n\n| field | type | unit | label | meaning |\n|---|---|---|---|---|\n"
                     + "\n".join(rows))
    return "\n\n".join(parts) + "\n"


START, END = "<!-- fields: generated by `python -m kibs_spatial.fields`; do not edit by hand -->\n", "<!-- fields: end -->"


def update_doc(path: str) -> None:
    """Replace the generated field reference in ``path`` (docs/OUTPUTS.md) by :func:`markdown`."""
    from pathlib import Path

    doc = Path(path).read_text(encoding="utf-8")
    head, rest = doc.split(START, 1)
    Path(path).write_text(head + START + markdown() + END + rest.split(END, 1)[1], encoding="utf-8")


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--update"]:
        update_doc(sys.argv[2])
    else:
        print(markdown(), end="")
