"""Counts of a run's promising locations: per preset, per sector, per kind, capital region, agreement.

Computed once from the long results table (one row per region and sector, with the region's
``capital_region`` flag and the sector's ``kind``); the printed summary, the report and the map
index only show them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .clusters import RulesConfig, preset_verdicts
from .sectors import KINDS, Sector


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
class SectorCount:
    """One sector: its promising locations, LISA High-High units, Gi* hot spots, top regions, presets."""

    sector: Sector
    promising: LocationCount
    lisa_hh: int
    gi_hot: int
    top_regions: list[str]  # "full name LQ", the promising ones by LQ (or the highest LQs when none)
    by_preset: dict[str, int]


@dataclass(frozen=True)
class RunSummary:
    """The counts of a run; ``promising`` and ``by_kind`` follow the primary preset."""

    promising: LocationCount
    by_kind: dict[str, LocationCount]
    by_preset: dict[str, LocationCount]
    by_preset_kind: dict[str, dict[str, int]]  # preset -> kind -> locations
    sectors: list[SectorCount]
    agreement: dict[int, int]  # rows marked by exactly k presets (k >= 1), k descending


def count_locations(rows: pd.DataFrame) -> LocationCount:
    """Count the rows of ``rows`` (needs ``region_code`` and a boolean ``capital_region``)."""
    return LocationCount(len(rows), int(rows["region_code"].nunique()), int(rows["capital_region"].astype(bool).sum()))


def summarize(table: pd.DataFrame, sectors: tuple[Sector, ...], rules: RulesConfig, top: int = 3) -> RunSummary:
    """Every count of the run from the long results ``table``."""
    verdicts = preset_verdicts(table, rules)
    promising = table["promising"].astype(bool)
    agree = table.loc[table["presets_agree"] > 0, "presets_agree"].value_counts()
    return RunSummary(
        promising=count_locations(table[promising]),
        by_kind={kind: count_locations(table[promising & (table["kind"] == kind)]) for kind in KINDS},
        by_preset={name: count_locations(table[verdicts[name]]) for name in verdicts},
        by_preset_kind={name: {kind: int((verdicts[name] & (table["kind"] == kind)).sum()) for kind in KINDS}
                        for name in verdicts},
        sectors=[_sector_count(table, verdicts, sector, top) for sector in sectors],
        agreement={int(k): int(v) for k, v in sorted(agree.items(), reverse=True)},
    )


def _sector_count(table: pd.DataFrame, verdicts: pd.DataFrame, sector: Sector, top: int) -> SectorCount:
    mask = table["ksic"] == sector.ksic
    rows = table[mask]
    promising = rows[rows["promising"].astype(bool)]
    ranked = (promising if len(promising) else rows).sort_values("lq", ascending=False).head(top)
    return SectorCount(
        sector=sector,
        promising=count_locations(promising),
        lisa_hh=int((rows["lisa_cl"] == "HH").sum()),
        gi_hot=int((rows["gi_bin"] > 0).sum()),
        top_regions=[f"{r.full_name_ko} {r.lq:.2f}" for r in ranked.itertuples()],
        by_preset={name: int(verdicts.loc[mask, name].sum()) for name in verdicts},
    )
