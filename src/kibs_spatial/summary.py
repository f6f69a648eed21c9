"""The short printed summary of a run: promising locations per preset, sector and kind, capital region, top regions."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .clusters import preset_verdicts
from .pipeline import RunResult

SYNTHETIC_NOTICE = "SYNTHETIC DEMO DATA: these results illustrate the toolkit and are not findings about Korea."
KINDS = ("technology", "professional")


@dataclass(frozen=True)
class LocationCount:
    """Promising locations (region x sector rows), distinct si-gun-gu, inside and outside the capital region."""

    locations: int
    distinct_regions: int
    capital_region: int

    @property
    def outside(self) -> int:
        return self.locations - self.capital_region


@dataclass(frozen=True)
class SectorSummary:
    ksic: str
    name: str
    kind: str
    promising: int
    capital_region: int
    lisa_hh: int
    gi_hot: int
    top_regions: list[str]
    by_preset: dict[str, int]

    @property
    def outside(self) -> int:
        return self.promising - self.capital_region


@dataclass(frozen=True)
class RunSummary:
    promising: int  # the primary preset
    distinct_regions: int
    capital_region: int
    sectors: list[SectorSummary]
    by_kind: dict[str, LocationCount]  # the primary preset, technology vs professional KIBS
    by_preset: dict[str, LocationCount]
    agreement: dict[int, int]  # rows marked by exactly k presets (k >= 1)


def count_locations(rows: pd.DataFrame) -> LocationCount:
    """Count the rows of ``rows`` (needs ``region_code`` and a boolean ``capital_region``)."""
    return LocationCount(len(rows), int(rows["region_code"].nunique()), int(rows["capital_region"].astype(bool).sum()))


def summary_table(run: RunResult) -> pd.DataFrame:
    """The long results with unit names, the capital-region flag, and the sector's English name and kind."""
    regions = run.regions[["region_code", "full_name_ko", "name_en", "capital_region"]]
    kinds = pd.DataFrame({"ksic": [s.ksic for s in run.sectors], "sector": [s.name_en for s in run.sectors],
                          "kind": [s.kind for s in run.sectors]})
    table = run.results.merge(regions, on="region_code", how="left").merge(kinds, on="ksic", how="left")
    table["capital_region"] = table["capital_region"].fillna(False).astype(bool)
    return table


def summarize(run: RunResult, top: int = 3) -> RunSummary:
    table = summary_table(run)
    verdicts = preset_verdicts(table, run.config.rules)
    primary = count_locations(table[table["promising"]])
    agree = table.loc[table["presets_agree"] > 0, "presets_agree"].value_counts()
    return RunSummary(
        promising=primary.locations,
        distinct_regions=primary.distinct_regions,
        capital_region=primary.capital_region,
        sectors=[_sector_summary(table, verdicts, sector, top) for sector in run.sectors],
        by_kind={kind: count_locations(table[table["promising"] & (table["kind"] == kind)]) for kind in KINDS},
        by_preset={name: count_locations(table[verdicts[name]]) for name in verdicts},
        agreement={int(k): int(v) for k, v in sorted(agree.items(), reverse=True)},
    )


def format_summary(run: RunResult, summary: RunSummary) -> str:
    rules = run.config.rules
    lines = []
    if run.synthetic:
        lines += [SYNTHETIC_NOTICE, ""]
    lines.append(f"Rule (primary preset): {rules.describe()}")
    lines.append(
        f"Promising cluster locations: {summary.promising} in {summary.distinct_regions} si-gun-gu, "
        f"{summary.capital_region} in the capital region (Seoul, Incheon, Gyeonggi), "
        f"{summary.promising - summary.capital_region} outside"
    )
    for kind, count in summary.by_kind.items():
        lines.append(f"  {kind + ' KIBS:':<19} {_count_text(count)}")
    if len(summary.by_preset) > 1:
        lines.append("")
        lines.append("By preset (a location = one region x sector):")
        for name, count in summary.by_preset.items():
            lines.append(f"  {name + (' *' if name == rules.primary else ''):<17} {_count_text(count)}")
        marks = ", ".join(f"{k}: {v}" for k, v in summary.agreement.items())
        lines.append(f"  agreement (locations marked by k of the {len(summary.by_preset)} presets, k: count): {marks or 'none'}")
    names = list(summary.by_preset)
    lines.append("")
    header = f"{'sector':<44} {'kind':<12} {'promising':>9} {'capital':>7} {'outside':>7} {'HH':>4} {'hot':>4}"
    lines.append(header + "".join(f" {_short(n):>6}" for n in names) + "  top regions by LQ")
    for s in summary.sectors:
        label = f"{s.ksic} {s.name}"[:44]
        presets = "".join(f" {s.by_preset[n]:>6}" for n in names)
        lines.append(f"{label:<44} {s.kind:<12} {s.promising:>9} {s.capital_region:>7} {s.outside:>7} {s.lisa_hh:>4} {s.gi_hot:>4}"
                     f"{presets}  {'; '.join(s.top_regions)}")
    return "\n".join(lines)


def _count_text(count: LocationCount) -> str:
    return (f"{count.locations:>4} in {count.distinct_regions:>3} si-gun-gu, {count.capital_region:>4} in the capital region, "
            f"{count.outside:>4} outside")


def _short(name: str) -> str:
    return {"uscmp-strong": "us75", "uscmp-strong90": "us90", "eco-stars": "eco", "lq-gi": "lq-gi"}.get(name, name)


def _sector_summary(table: pd.DataFrame, verdicts: pd.DataFrame, sector, top: int) -> SectorSummary:
    mask = table["ksic"] == sector.ksic
    rows = table[mask]
    promising = rows[rows["promising"]]
    ranked = (promising if len(promising) else rows).sort_values("lq", ascending=False).head(top)
    return SectorSummary(
        ksic=sector.ksic,
        name=sector.name_en,
        kind=sector.kind,
        promising=len(promising),
        capital_region=int(promising["capital_region"].astype(bool).sum()),
        lisa_hh=int((rows["lisa_cl"] == "HH").sum()),
        gi_hot=int((rows["gi_bin"] > 0).sum()),
        top_regions=[f"{r.full_name_ko} {r.lq:.2f}" for r in ranked.itertuples()],
        by_preset={name: int(verdicts.loc[mask, name].sum()) for name in verdicts},
    )
