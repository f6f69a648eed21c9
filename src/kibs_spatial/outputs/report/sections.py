"""The report's sections as HTML strings: promising locations, Gangnam contrast, Moran's I, method."""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from ...result import AnalysisResult, LocationCount, RulesConfig
from . import figures


def esc(value: object) -> str:
    return html.escape(str(value))


def fmt(value: object, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{value:,.{digits}f}"
    return esc(value)


def fmt_p(value: float) -> str:
    """A p-value: 4 decimals, or ``< 0.0001``."""
    return "–" if math.isnan(value) else ("< 0.0001" if value < 1e-4 else f"{value:.4f}")


def table_html(frame: pd.DataFrame, digits: dict[str, int] | None = None, cls: str = "",
               p_columns: tuple[str, ...] = ()) -> str:
    """A plain HTML table; floats rounded per column (default 2), missing values shown as a dash."""
    digits = digits or {}
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row):
            numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
            text = fmt_p(float(value)) if column in p_columns else fmt(value, digits.get(column, 2))
            cells.append(f'<td class="n">{text}</td>' if numeric else f"<td>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def summary_section(result: AnalysisResult) -> str:
    counts = result.counts
    groups = [("all sectors", counts.promising)]
    groups += [(f"{kind} sectors", count) for kind, count in counts.by_kind.items()]
    groups += [(f"{s.sector.ksic} {s.sector.name_en}", s.promising) for s in counts.sectors]
    frame = pd.DataFrame([_count_row("group", label, c) for label, c in groups])
    total = counts.promising
    lead = (f"<p><b>{total.locations}</b> promising cluster locations in <b>{total.distinct_regions}</b> distinct "
            f"si-gun-gu; <b>{total.capital_region}</b> in the capital region (Seoul, Incheon, Gyeonggi), "
            f"<b>{total.outside}</b> outside. Rule: {esc(result.config.rules.describe())}.</p>")
    return lead + table_html(frame, cls="counts") + preset_section(result)


def _count_row(key: str, label: str, count: LocationCount) -> dict[str, object]:
    return {key: label, "locations": count.locations, "distinct si-gun-gu": count.distinct_regions,
            "capital region": count.capital_region, "outside": count.outside}


def preset_section(result: AnalysisResult) -> str:
    """Counts per applied rule preset, and how often the presets agree."""
    rules, counts = result.config.rules, result.counts
    rows = [{**_count_row("preset", rule.name + (" (primary)" if rule.name == rules.primary else ""),
                          counts.by_preset[rule.name]),
             **counts.by_preset_kind[rule.name]} for rule in rules.applied()]
    for row, rule in zip(rows, rules.applied()):
        row["rule"] = rule.describe()
    frame = pd.DataFrame(rows)
    frame = frame[["preset", "rule", *[c for c in frame.columns if c not in ("preset", "rule")]]]
    agree = "<p>Presets agreeing per unit and sector: " + ", ".join(
        f"{k} presets: {v}" for k, v in sorted(counts.agreement.items())) + ".</p>"
    return "<h3>Rule presets</h3>" + table_html(frame) + agree


def promising_lists_section(result: AnalysisResult) -> str:
    table = result.latest()
    parts = []
    columns = {"full_name_ko": "unit", "name_en": "unit (English)", "lq": "LQ", "employees": "employees",
               "establishments": "establishments", "cagr": "CAGR", "lisa_cl": "LISA", "gi_bin": "Gi* bin",
               "capital_region": "capital region"}
    for sector in result.sectors:
        rows = table[(table["ksic"] == sector.ksic) & table["promising"].fillna(False).astype(bool)]
        rows = rows.sort_values("lq", ascending=False)[[c for c in columns if c in rows.columns]].rename(columns=columns)
        title = f"<h3>{esc(sector.ksic)} {esc(sector.name_en)} · {esc(sector.name_ko)} ({esc(sector.kind)}): {len(rows)}</h3>"
        body = table_html(rows, {"employees": 0, "establishments": 0, "CAGR": 3}) if len(rows) else "<p>none</p>"
        parts.append(f"<details><summary>{title}</summary>{body}</details>")
    return "".join(parts)


def contrast_section(result: AnalysisResult) -> str:
    contrast = result.contrast
    if contrast is None:
        return (f"<p>Not computed: the Gangnam area ([contrast] area = {esc(', '.join(result.config.contrast.area))}) "
                "is not in this boundary layer. Set [contrast] area in the analysis file to unit codes of the layer.</p>")
    frame = contrast.to_frame()
    radius_columns = {f"share_within_{r:g}km": f"within {r:g} km" for r in contrast.radii_km}
    shown = frame[["ksic", "sector", "kind", "employees", "gangnam_share", "gangnam_lq", "mean_distance_km",
                   *radius_columns, "centre_distance_km", "centre_unit", "standard_distance_km"]].rename(columns={
        "gangnam_share": "Gangnam share", "gangnam_lq": "Gangnam LQ", "mean_distance_km": "mean distance km",
        "centre_distance_km": "centre of gravity: km from area", "centre_unit": "centre of gravity: nearest unit",
        "standard_distance_km": "standard distance km", **radius_columns})
    digits = {"employees": 0, "Gangnam share": 3, "mean distance km": 1, "centre of gravity: km from area": 1,
              "standard distance km": 1, **{v: 3 for v in radius_columns.values()}}
    test = contrast.test
    tech = [s.mean_distance_km for s in contrast.sectors if s.kind == "technology"]
    prof = [s.mean_distance_km for s in contrast.sectors if s.kind == "professional"]
    verdict = (f"<p class='finding'>Mean over technology sectors of the employment-weighted mean distance: "
               f"<b>{_mean(tech):.1f} km</b>; over professional sectors: <b>{_mean(prof):.1f} km</b>. "
               f"{esc(test.describe())}.</p>")
    lead = (f"<p>{esc(contrast.area_name)}, codes {esc(', '.join(contrast.area_codes))}; it holds "
            f"{fmt(contrast.gangnam_total_share * 100, 1)} % of all-industry employment. "
            "Gangnam LQ = the sector's Gangnam share divided by that.</p>")
    return (lead + verdict + table_html(shown, digits) +
            f'<figure><img alt="mean distance per sector" src="{figures.mean_distance_figure(contrast)}"></figure>'
            f'<figure><img alt="distance-decay profile" src="{figures.decay_figure(contrast, result.sectors)}">'
            "<figcaption>Share of each sector's employment within r km of the Gangnam area "
            "(dotted lines: the report radii).</figcaption></figure>")


def moran_section(result: AnalysisResult) -> str:
    variable = result.config.analysis.variable
    table = result.global_moran
    alpha = result.config.statistics.alpha
    shown = table[["ksic", "sector", "kind", "period", "moran_i", "expected_i", "z_rand", "p_rand", "p_sim", "n"]].assign(
        clusters=(table["p_sim"] <= alpha).map({True: "yes", False: "no"}))
    plots = []
    last = table[table["period"] == result.last_period].set_index("ksic")
    points = result.scatter[result.scatter["period"] == result.last_period]
    for sector in result.sectors:
        row = last.loc[sector.ksic]
        uri = figures.moran_scatter_figure(points[points["ksic"] == sector.ksic], float(row.moran_i),
                                           f"{sector.ksic} {sector.name_en} ({result.last_period})")
        plots.append(f'<figure class="small"><img alt="Moran scatterplot {esc(sector.ksic)}" src="{uri}">'
                     f"<figcaption>I = {fmt(float(row.moran_i), 3)}, p_sim = {fmt_p(float(row.p_sim))}</figcaption></figure>")
    lead = (f"<p>Global Moran's I of <b>{esc(variable)}</b> per sector; 'clusters' = permutation p_sim &le; {alpha:g}. "
            "Scatterplots: standardised value z against its spatial lag Wz (row-standardised weights); "
            "the line has slope I. Units without a neighbour are not drawn.</p>")
    return lead + table_html(shown, {"moran_i": 3, "expected_i": 4, "z_rand": 2}, p_columns=("p_rand", "p_sim")) + \
        f'<div class="grid">{"".join(plots)}</div>'


def method_section(result: AnalysisResult) -> str:
    config, stats, contrast = result.config, result.config.statistics, result.contrast
    report = result.weights.report
    items = [
        ("data", result.data.label),
        ("periods", ", ".join(p.label for p in result.periods) + f" (locations, contrast and maps: {result.last_period}; "
                    + (f"growth from {result.periods[0].label} to each later period)" if len(result.periods) > 1
                       else "growth is not available with one period)")),
        ("tested variable", config.analysis.variable),
        ("spatial weights", f"{result.metadata.get('weights', config.weights.spec)}, islands: {config.weights.islands}; "
                            f"{report.components} components, "
                            f"{len(report.islands)} islands ({', '.join(report.islands) or 'none'})"),
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
    return f'<table class="method">{rows}</table>'


def rule_presets(rules: RulesConfig) -> list[tuple[str, str]]:
    """``(preset name, rule text)`` for every applied preset."""
    return [(f"preset {r.name}" + (" (primary: the promising column)" if r.name == rules.primary else ""), r.describe())
            for r in rules.applied()]


def _mean(values: list[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return sum(values) / len(values) if values else math.nan
