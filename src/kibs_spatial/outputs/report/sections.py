"""The report's sections as HTML strings: locations, maps, emerging hot spots, Gangnam contrast, Moran's I, method,
files.

Tables show human headers (the field registry's labels where a column is a field), percentages
as percentages, classes in words; numbers keep their units in the header.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ...fields import REGISTRY
from ...result import AnalysisResult, LocationCount, RulesConfig
from ...symbology import GI_ENTRIES, LISA_ENTRIES
from ..maps.features import sector_table
from ..maps.wording import run_facts
from ..tables import emerging_span, pattern_counts
from . import figures
from .maps import UnitGrid, emerging_maps_html, sector_map_html

GI_WORDS = {int(e.key): e.label for e in GI_ENTRIES if e.key.lstrip("-").isdigit()}
LISA_WORDS = {e.key: e.label for e in LISA_ENTRIES}


def esc(value: object) -> str:
    return html.escape(str(value))


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 preset``, ``2 presets`` (``many`` for irregular plurals)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def fmt(value: object, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.{digits}f}"
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    return esc(value)


def fmt_p(value: float) -> str:
    """A p-value: 4 decimals, or ``< 0.0001``."""
    return "–" if math.isnan(value) else ("< 0.0001" if value < 1e-4 else f"{value:.4f}")


def label(name: str) -> str:
    """The registry's label of a field, capitalised unless it starts with a symbol such as ``p`` or ``z``
    (``moran_i`` -> ``Moran's I``, ``p_sim`` -> ``p (permutations)``); the name if unknown."""
    text = REGISTRY[name].label if name in REGISTRY else name
    return text if len(text.split(" ")[0]) == 1 else text[:1].upper() + text[1:]


def table_html(frame: pd.DataFrame, digits: Mapping[str, int] | None = None, cls: str = "",
               p_columns: Sequence[str] = (), percent_columns: Sequence[str] = ()) -> str:
    """A plain HTML table; floats rounded per column (default 2), fractions in ``percent_columns`` shown
    as percentages, p-values in ``p_columns`` to 4 decimals, missing values as a dash."""
    digits = digits or {}
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row):
            numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
            if column in p_columns:
                text = fmt_p(float(value))
            elif column in percent_columns:
                text = "–" if pd.isna(value) else f"{100 * float(value):,.{digits.get(column, 1)}f} %"
            else:
                text = fmt(value, digits.get(column, 2))
            cells.append(f'<td class="n">{text}</td>' if numeric else f"<td>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def summary_section(result: AnalysisResult) -> str:
    counts = result.counts
    groups = [("all sectors", counts.promising)]
    groups += [(f"{kind} sectors", count) for kind, count in counts.by_kind.items()]
    groups += [(f"{s.sector.ksic} {s.sector.name_en}", s.promising) for s in counts.sectors]
    frame = pd.DataFrame([_count_row("Sectors", label, c) for label, c in groups])
    total = counts.promising
    lead = (f"<p><b>{total.locations}</b> promising cluster locations (unit and sector) in "
            f"<b>{total.distinct_regions}</b> distinct si-gun-gu in {esc(result.last_period)}; "
            f"<b>{total.capital_region}</b> in the capital region (Seoul, Incheon, Gyeonggi), "
            f"<b>{total.outside}</b> outside. Rule: {esc(result.config.rules.describe())}.</p>")
    return lead + table_html(frame, cls="counts") + preset_section(result)


def _count_row(key: str, label: str, count: LocationCount) -> dict[str, object]:
    return {key: label, "Locations": count.locations, "Distinct si-gun-gu": count.distinct_regions,
            "In the capital region": count.capital_region, "Outside": count.outside}


def preset_section(result: AnalysisResult) -> str:
    """Counts per applied rule preset, and how often the presets agree."""
    rules, counts = result.config.rules, result.counts
    rows = []
    for rule in rules.applied():
        row = _count_row("Preset", rule.name + (" (primary)" if rule.name == rules.primary else ""),
                         counts.by_preset[rule.name])
        row.update({f"{kind.capitalize()} sectors": n for kind, n in counts.by_preset_kind[rule.name].items()})
        row["Rule"] = rule.describe()
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame = frame[["Preset", "Rule", *[c for c in frame.columns if c not in ("Preset", "Rule")]]]
    agree = "<p>Unit and sector pairs marked promising by " + ", ".join(
        f"{plural(k, 'preset')}: {v:,}" for k, v in sorted(counts.agreement.items())) + ".</p>"
    return "<h3>Rule presets</h3>" + table_html(frame) + agree


def maps_section(result: AnalysisResult, grids: Sequence[UnitGrid], links: Mapping[str, str]) -> str:
    """A map per sector (LQ, LISA, Gi*; country and capital region) with links to the interactive maps."""
    index = links.get("index")
    lead = ("<p>Each sector's location quotient, clusters and outliers (local Moran's I) and hot and cold spots "
            f"(Getis-Ord Gi*) in {esc(result.last_period)}, in the colours of the interactive maps and the QGIS "
            "styles. Clusters and hot spots are significant after the correction for testing every unit "
            "(false discovery rate); grey or white units are not significant.")
    lead += f' <a href="{esc(index)}">All interactive maps</a>.</p>' if index else "</p>"
    latest = result.latest()
    figures_html = [
        sector_map_html(grids, sector_table(result.regions, latest, sector),
                        f"{sector.ksic} {sector.name_en} · {sector.name_ko} ({result.last_period})",
                        links.get(sector.ksic))
        for sector in result.sectors]
    return lead + "".join(figures_html)


def emerging_section(result: AnalysisResult, grids: Sequence[UnitGrid], links: Mapping[str, str]) -> str:
    """Emerging hot spots (only with them in the result): how many units of each sector follow each pattern,
    then per sector small multiples of the space-time Gi* of every period and the pattern."""
    emerging, counts = result.emerging, pattern_counts(result)
    if emerging is None or counts is None:
        return ""
    span, gi = emerging_span(result), emerging.gi
    lead = (f"<p>How each sector's hot and cold spots formed, grew or faded over {esc(span)} "
            f"({plural(len(emerging.periods), 'period')}), by ArcGIS Pro's Emerging Hot Spot Analysis: the space-time "
            "Gi* of every unit and period (the unit, its neighbours, and both in the previous "
            f"{'period' if gi.time_lags == 1 else plural(gi.time_lags, 'period')}) is a hot or cold spot at {gi.confidence:.0%} confidence after the "
            "correction for testing every unit (false discovery rate), and the Mann-Kendall trend of its Gi* series "
            f"(significant at p &le; {emerging.trend_alpha:g}) sorts each unit into one of 17 patterns. "
            "The patterns are in the GeoPackage layer <code>emerging_hotspots</code> and on the interactive maps; "
            "the space-time Gi* of every period in the table <code>space_time_gi</code>.</p>")
    table = counts.reset_index().rename(columns={"pattern": "Pattern", "total": "All sectors"})
    table = table[(table.drop(columns="Pattern").sum(axis=1) > 0) | (table["Pattern"] == counts.index[0])]
    never = [name for name, total in counts["total"].items() if total == 0]
    note = (f"<p>Patterns no unit follows in any sector: {esc(', '.join(never))}.</p>" if never else "")
    numbers = table_html(table, cls="counts ehsa")
    regions = result.regions["region_code"].astype(str)
    rows = result.table.assign(region_code=result.table["region_code"].astype(str))
    latest = rows[rows["period"] == result.last_period]
    maps = []
    for sector in result.sectors:
        mine = rows[rows["ksic"] == sector.ksic]
        wide = mine.pivot(index="region_code", columns="period", values="st_gi_bin").reindex(regions)
        bins = [(period, wide[period] if period in wide.columns else pd.Series(np.nan, index=wide.index))
                for period in emerging.periods]
        patterns = latest[latest["ksic"] == sector.ksic].set_index("region_code")["ehsa_pattern"].reindex(regions)
        maps.append(emerging_maps_html(grids, bins, patterns, f"{sector.ksic} {sector.name_en} · {sector.name_ko}",
                                       span, links.get(sector.ksic)))
    return (lead + f"<h3>Units per pattern and sector, {esc(span)}</h3>" + numbers + note +
            "<h3>Space-time hot and cold spots per period, and the pattern</h3>" + "".join(maps))


PROMISING_COLUMNS = {"full_name_ko": "Unit", "name_en": "Unit (English)", "lq": "LQ", "employees": "Employees",
                     "establishments": "Establishments", "cagr": "Growth per year", "lisa_cl": "Cluster (local Moran)",
                     "gi_bin": "Hot spot (Gi*)", "capital_region": "Capital region"}


def promising_lists_section(result: AnalysisResult) -> str:
    table = result.latest()
    parts = []
    for sector in result.sectors:
        rows = table[(table["ksic"] == sector.ksic) & table["promising"].fillna(False).astype(bool)]
        rows = rows.sort_values("lq", ascending=False)[[c for c in PROMISING_COLUMNS if c in rows.columns]].copy()
        if "lisa_cl" in rows:
            rows["lisa_cl"] = rows["lisa_cl"].map(lambda v: LISA_WORDS.get(v, v))
        if "gi_bin" in rows:
            rows["gi_bin"] = rows["gi_bin"].map(lambda v: GI_WORDS.get(int(v), v) if pd.notna(v) else "–")
        rows = rows.rename(columns=PROMISING_COLUMNS)
        title = (f"<h3>{esc(sector.ksic)} {esc(sector.name_en)} · {esc(sector.name_ko)} ({esc(sector.kind)}): "
                 f"{plural(len(rows), 'location')}</h3>")
        body = table_html(rows, {"Employees": 0, "Establishments": 0}, percent_columns=("Growth per year",)) \
            if len(rows) else "<p>none</p>"
        parts.append(f"<details><summary>{title}</summary>{body}</details>")
    return "".join(parts)


CONTRAST_COLUMNS = {"ksic": "KSIC", "sector": "Sector", "kind": "Kind", "employees": "Employees",
                    "gangnam_share": "Share in the Gangnam area", "gangnam_lq": "Gangnam LQ",
                    "mean_distance_km": "Mean distance, km", "centre_distance_km": "Centre of gravity: km from area",
                    "centre_unit": "Centre of gravity: nearest unit", "standard_distance_km": "Standard distance, km"}


def contrast_section(result: AnalysisResult) -> str:
    contrast = result.contrast
    if contrast is None:
        return (f"<p>Not computed: the Gangnam area ([contrast] area = {esc(', '.join(result.config.contrast.area))}) "
                "is not in this boundary layer. Set [contrast] area in the analysis file to unit codes of the layer.</p>")
    frame = contrast.to_frame()
    radius_columns = {f"share_within_{r:g}km": f"Share within {r:g} km" for r in contrast.radii_km}
    order = ["ksic", "sector", "kind", "employees", "gangnam_share", "gangnam_lq", "mean_distance_km",
             *radius_columns, "centre_distance_km", "centre_unit", "standard_distance_km"]
    shown = frame[order].rename(columns={**CONTRAST_COLUMNS, **radius_columns})
    digits = {"Employees": 0, "Mean distance, km": 1, "Centre of gravity: km from area": 1, "Standard distance, km": 1}
    test = contrast.test
    tech = [s.mean_distance_km for s in contrast.sectors if s.kind == "technology"]
    prof = [s.mean_distance_km for s in contrast.sectors if s.kind == "professional"]
    verdict = (f"<p class='finding'>Mean over technology sectors of the employment-weighted mean distance: "
               f"<b>{_mean(tech):.1f} km</b>; over professional sectors: <b>{_mean(prof):.1f} km</b>. "
               f"{esc(test.describe())}.</p>")
    lead = (f"<p>{esc(contrast.area_name)}, codes {esc(', '.join(contrast.area_codes))}; it holds "
            f"{fmt(contrast.gangnam_total_share * 100, 1)} % of all-industry employment. "
            "Gangnam LQ = the sector's share in the area divided by that.</p>")
    percent = ("Share in the Gangnam area", *radius_columns.values())
    return (lead + verdict + table_html(shown, digits, percent_columns=percent) +
            f'<figure><img alt="mean distance per sector" src="{figures.mean_distance_figure(contrast)}">'
            "<figcaption>Employment-weighted mean distance of each sector from the Gangnam area; bar colour: "
            "technology (blue) or professional (red) KIBS, dashed lines: the mean of each kind.</figcaption></figure>"
            f'<figure><img alt="distance-decay profile" src="{figures.decay_figure(contrast, result.sectors)}">'
            "<figcaption>Distance-decay profile: the share of each sector's employment within r km of the Gangnam "
            "area, one small map per sector (its line in colour, the other sectors in grey; dotted lines: the "
            "report radii).</figcaption></figure>")


MORAN_COLUMNS = ("ksic", "sector", "kind", "period", "moran_i", "expected_i", "z_rand", "p_rand", "p_sim", "n")


def moran_section(result: AnalysisResult) -> str:
    variable = result.config.analysis.variable
    table = result.global_moran
    alpha = result.config.statistics.alpha
    shown = table[list(MORAN_COLUMNS)].assign(clusters=(table["p_sim"] <= alpha).map({True: "yes", False: "no"}))
    shown = shown.rename(columns={c: label(c) for c in MORAN_COLUMNS} | {"clusters": f"Clusters (p ≤ {alpha:g})"})
    last = table[table["period"] == result.last_period].set_index("ksic")
    points = result.scatter[result.scatter["period"] == result.last_period]
    plots = [(f"{s.ksic} {s.name_en}", points[points["ksic"] == s.ksic], float(last.loc[s.ksic, "moran_i"]))
             for s in result.sectors]
    figure = (f'<figure><img alt="Moran scatterplots of every sector" src="{figures.moran_scatter_figure(plots)}">'
              f"<figcaption>Moran scatterplots, {esc(result.last_period)}: one panel per sector.</figcaption></figure>")
    lead = (f"<p>Global Moran's I of <b>{esc(variable)}</b> per sector: do units with high values sit next to "
            f"units with high values? 'Clusters' = permutation p &le; {alpha:g}. Scatterplots: the standardised "
            "value z of each unit against the mean of its neighbours (the spatial lag); the line has slope I. "
            "Point colours give the quadrant (explained above the panels), not significance. Units without a "
            "neighbour are not drawn.</p>")
    numbers = table_html(shown, {label("moran_i"): 3, label("expected_i"): 4, label("z_rand"): 2},
                         p_columns=(label("p_rand"), label("p_sim")))
    return lead + numbers + figure


def method_section(result: AnalysisResult) -> str:
    config, stats, contrast = result.config, result.config.statistics, result.contrast
    report = result.weights.report
    data_label = "SYNTHETIC demo data" if result.data.synthetic else result.data.label
    plain = "".join(f"<tr><th>{esc(topic)}</th><td>{esc(text)}</td></tr>"
                    for topic, text in run_facts(result.metadata, data_label))
    items = [
        ("data", result.data.label),
        ("periods", ", ".join(p.label for p in result.periods) + f" (locations, contrast and maps: {result.last_period}; "
                    + (f"growth from {result.periods[0].label} to each later period)" if len(result.periods) > 1
                       else "growth is not available with one period)")),
        ("tested variable", config.analysis.variable),
        ("spatial weights", f"{result.metadata.get('weights', config.weights.spec)}, islands: {config.weights.islands}; "
                            f"{plural(report.components, 'component')}, "
                            f"{plural(len(report.islands), 'island')} ({', '.join(report.islands) or 'none'})"),
        ("permutations", f"{stats.permutations} conditional permutations, seed {stats.seed}; smallest p = {result.min_p:.2g}"),
        ("p-values", f"{stats.alternative}; FDR {stats.fdr} over {stats.fdr_scope}; alpha {stats.alpha:g}"),
        ("promising locations", config.rules.describe()),
        *rule_presets(config.rules),
        ("Gangnam area", f"{contrast.area_name}; codes {', '.join(contrast.area_codes)}" if contrast else "not in the layer"),
        ("distance", "from each unit's representative point (inside the unit) to the Gangnam area polygon, "
                     "0 for the area's own units, EPSG:5179"),
        ("contrast measures", "Gangnam share = area employees / national; mean distance = sum E d / sum E; "
                              f"share within r km for r = {', '.join(f'{float(r):g}' for r in config.contrast.radii_km)}; "
                              "centre of gravity = employment-weighted mean of unit centroids; "
                              "standard distance = sqrt(sum E r^2 / sum E)"),
        ("technology vs professional", "T = mean over technology sectors of the mean distance minus the same over "
                                       "professional sectors; exact one-sided p over every relabelling of the sectors "
                                       + (f"({contrast.test.relabellings} relabellings)" if contrast else "")),
    ]
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in items)
    return (f'<h3>In short</h3><table class="method">{plain}</table>'
            f'<h3>Technical settings</h3><table class="method">{rows}</table>')


def files_section(links: Mapping[str, str], deliverables: Sequence[tuple[str, str]]) -> str:
    """Relative links to the maps and the run's other files, so the folder can be moved or sent as a whole."""
    items = []
    if links.get("index"):
        items.append(f'<li><a href="{esc(links["index"])}"><b>Interactive maps</b></a>: one page per sector '
                     "(layers, labels, a period switch) and the professional-technology contrast</li>")
    items += [f'<li><a href="{esc(href)}">{esc(href.rsplit("/", 1)[-1] or href)}</a>: {esc(text)}</li>'
              for text, href in deliverables]
    return f"<ul>{''.join(items)}</ul>" if items else "<p>No other files were written with this report.</p>"


def rule_presets(rules: RulesConfig) -> list[tuple[str, str]]:
    """``(preset name, rule text)`` for every applied preset."""
    return [(f"preset {r.name}" + (" (primary: the promising column)" if r.name == rules.primary else ""), r.describe())
            for r in rules.applied()]


def _mean(values: list[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return sum(values) / len(values) if values else math.nan
