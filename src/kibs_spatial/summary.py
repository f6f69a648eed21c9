"""The short printed summary of a run: promising locations per sector, capital region, top regions."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .pipeline import RunResult

SYNTHETIC_NOTICE = "SYNTHETIC DEMO DATA: these results illustrate the toolkit and are not findings about Korea."


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


@dataclass(frozen=True)
class RunSummary:
    promising: int
    distinct_regions: int
    capital_region: int
    sectors: list[SectorSummary]


def summarize(run: RunResult, top: int = 3) -> RunSummary:
    table = run.results.merge(run.regions[["region_code", "full_name_ko", "name_en", "capital_region"]], on="region_code", how="left")
    promising = table[table["promising"]]
    per_sector = [_sector_summary(table, sector, top) for sector in run.sectors]
    return RunSummary(
        promising=len(promising),
        distinct_regions=promising["region_code"].nunique(),
        capital_region=int(promising["capital_region"].astype(bool).sum()),
        sectors=per_sector,
    )


def format_summary(run: RunResult, summary: RunSummary) -> str:
    lines = []
    if run.synthetic:
        lines += [SYNTHETIC_NOTICE, ""]
    lines.append(f"Rule: {run.config.rule.describe()}")
    lines.append(
        f"Promising cluster locations: {summary.promising} in {summary.distinct_regions} si-gun-gu, "
        f"{summary.capital_region} in the capital region (Seoul, Incheon, Gyeonggi), "
        f"{summary.promising - summary.capital_region} outside"
    )
    lines.append("")
    lines.append(f"{'sector':<44} {'kind':<12} {'promising':>9} {'capital':>7} {'HH':>4} {'hot':>4}  top regions by LQ")
    for s in summary.sectors:
        label = f"{s.ksic} {s.name}"[:44]
        lines.append(
            f"{label:<44} {s.kind:<12} {s.promising:>9} {s.capital_region:>7} {s.lisa_hh:>4} {s.gi_hot:>4}  {'; '.join(s.top_regions)}"
        )
    return "\n".join(lines)


def _sector_summary(table: pd.DataFrame, sector, top: int) -> SectorSummary:
    rows = table[table["ksic"] == sector.ksic]
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
    )
