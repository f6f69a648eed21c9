"""The short printed summary of a run (also ``summary.txt``): it only formats the run's counts."""

from __future__ import annotations

from ..result import AnalysisResult, LocationCount
from .tables import emerging_span, pattern_counts

SHORT_PRESET_NAMES = {"uscmp-strong": "us75", "uscmp-strong90": "us90", "eco-stars": "eco", "lq-gi": "lq-gi"}


def format_summary(result: AnalysisResult) -> str:
    rules, counts = result.config.rules, result.counts
    lines = []
    if result.data.synthetic:
        lines += [result.data.notice, ""]
    periods = ", ".join(p.label for p in result.periods)
    lines.append(f"Periods: {periods}; the counts below are of {result.last_period}"
                 + (f", growth from {result.periods[0].label}" if len(result.periods) > 1 else ", growth not available"))
    lines += [f"Not applied: {note}" for note in result.notes]
    lines.append(f"Rule (primary preset): {rules.describe()}")
    total = counts.promising
    lines.append(
        f"Promising cluster locations: {total.locations} in {total.distinct_regions} si-gun-gu, "
        f"{total.capital_region} in the capital region (Seoul, Incheon, Gyeonggi), {total.outside} outside"
    )
    for kind, count in counts.by_kind.items():
        if count.locations or any(s.sector.kind == kind for s in counts.sectors):
            lines.append(f"  {kind + ' KIBS:':<19} {_count_text(count)}")
    lines += _robustness_lines(result)
    lines += _emerging_lines(result)
    if len(counts.by_preset) > 1:
        lines.append("")
        lines.append("By preset (a location = one region x sector):")
        for name, count in counts.by_preset.items():
            lines.append(f"  {name + (' *' if name == rules.primary else ''):<17} {_count_text(count)}")
        marks = ", ".join(f"{k}: {v}" for k, v in counts.agreement.items())
        lines.append(f"  agreement (locations marked by k of the {len(counts.by_preset)} presets, k: count): {marks or 'none'}")
    names = list(counts.by_preset)
    lines.append("")
    header = f"{'sector':<44} {'kind':<12} {'promising':>9} {'capital':>7} {'outside':>7} {'HH':>4} {'hot':>4}"
    lines.append(header + "".join(f" {SHORT_PRESET_NAMES.get(n, n):>6}" for n in names) + "  top regions by LQ")
    for s in counts.sectors:
        label = f"{s.sector.ksic} {s.sector.name_en}"[:44]
        presets = "".join(f" {s.by_preset[n]:>6}" for n in names)
        lines.append(f"{label:<44} {s.sector.kind:<12} {s.promising.locations:>9} {s.promising.capital_region:>7} "
                     f"{s.promising.outside:>7} {s.lisa_hh:>4} {s.gi_hot:>4}{presets}  {'; '.join(s.top_regions)}")
    return "\n".join(lines)


def _emerging_lines(result: AnalysisResult) -> list[str]:
    """Units x sectors per emerging hot spot pattern found, hot patterns first (ArcGIS's order)."""
    counts = pattern_counts(result)
    if counts is None:
        return []
    found = counts["total"]
    lines = [f"Emerging hot spots {emerging_span(result)} (unit x sector; docs/EMERGING.md):"]
    for kind in ("Hot", "Cold"):
        named = [(name, n) for name, n in found.items() if name.endswith(f"{kind} Spot") and n]
        text = ", ".join(f"{n} {name.removesuffix(f' {kind} Spot').lower()}" for name, n in named)
        lines.append(f"  {kind.lower() + ' spots:':<19} {text or 'none'}")
    return lines


def _robustness_lines(result: AnalysisResult) -> list[str]:
    """How many promising locations hold under the robustness specifications, and what the others hinge on."""
    if result.robustness is None:
        return []
    rob = result.robustness
    latest = result.latest()
    promising = latest[latest["promising"]]
    robust = int(promising["robust"].sum())
    lines = [f"  robust:            {robust} of {len(promising)} promising locations hold under at least "
             f"{rob.robust_at:.0%} of {len(rob.specifications)} specifications (one choice changed at a time)"]
    hinging = promising[promising["hinges_on"].fillna("") != ""]
    hinges = hinging["hinges_on"].str.split("; ").explode().value_counts()
    if len(hinges):
        lines.append(f"  {len(hinging)} do not hold everywhere; they hinge on: "
                     + "; ".join(f"{what} ({n})" for what, n in hinges.head(4).items()))
    return lines


def _count_text(count: LocationCount) -> str:
    return (f"{count.locations:>4} in {count.distinct_regions:>3} si-gun-gu, {count.capital_region:>4} in the capital region, "
            f"{count.outside:>4} outside")
