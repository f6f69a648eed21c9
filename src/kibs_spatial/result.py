"""The result model: everything a run computes, once, for the writers to render.

``pipeline.run_analysis`` returns one :class:`AnalysisResult`; ``hotspots.run_hotspots`` one
:class:`HotspotResult`. The writers in :mod:`kibs_spatial.outputs` read these and nothing else;
the types they need are re-exported here so that outputs import only this module (and the
neutral :mod:`kibs_spatial.symbology` and :mod:`kibs_spatial.fields`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from .analysis.clusters import RulesConfig
from .analysis.settings import AnalysisConfig
from .analysis.weights import ConnectivityReport, RegionWeights

if TYPE_CHECKING:  # annotations only: the parts load on first use (_PARTS); emerging and robustness take a second
    from .analysis.contrast import GangnamContrast, KindLQ
    from .analysis.counts import LocationCount, RunSummary, SectorCount
    from .analysis.emerging import EmergingHotspots
    from .analysis.periods import Period
    from .analysis.robustness import Robustness
    from .analysis.sectors import Sector
    from .io.join import JoinReport

_PARTS = {  # the parts of a run's result, loaded on first use (kibs-spatial hotspots needs none of them)
    "GangnamContrast": ".analysis.contrast", "KindLQ": ".analysis.contrast", "LocationCount": ".analysis.counts",
    "RunSummary": ".analysis.counts", "SectorCount": ".analysis.counts", "Period": ".analysis.periods",
    "Sector": ".analysis.sectors", "JoinReport": ".io.join", "Robustness": ".analysis.robustness",
}


def __getattr__(name: str):
    if name in _PARTS:
        value = getattr(importlib.import_module(_PARTS[name], __package__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "AnalysisResult", "ConnectivityReport", "DataSource", "GangnamContrast", "HotspotResult", "JoinReport", "KindLQ",
    "LocationCount", "Period", "RegionWeights", "Robustness", "RulesConfig", "RunSummary", "Sector", "SectorCount",
]

SYNTHETIC_NOTICE = "SYNTHETIC DEMO DATA: these results illustrate the toolkit and are not findings about Korea."


@dataclass(frozen=True)
class DataSource:
    """Where a run's numbers come from, as every output states it."""

    synthetic: bool
    label: str  # "SYNTHETIC demo data (not real statistics)" or the sector file's name
    inputs: dict[str, Path] = field(default_factory=dict)  # name -> input file

    @property
    def notice(self) -> str:
        """The synthetic-data warning, or an empty string for real data."""
        return SYNTHETIC_NOTICE if self.synthetic else ""

    @property
    def suffix(self) -> str:
        """``_synthetic`` in every output file name made from synthetic data."""
        return "_synthetic" if self.synthetic else ""


@dataclass(frozen=True)
class AnalysisResult:
    """One complete run of ``kibs-spatial run``.

    ``table`` has one row per region, sector and period: the region's names and capital-region
    flag, the sector's code, names and kind, the period, every indicator, the local statistics
    (``lisa_*``, ``gi_*``) and every applied preset's criteria, ``promising`` and ``presets_agree``.
    ``global_moran`` and ``concentration`` have one row per sector and period; ``scatter`` holds
    the Moran scatterplot points (``ksic``, ``period``, ``region_code``, ``z``, ``lag``). The
    counts, the contrast and the combined LQs are of the last period.
    """

    config: AnalysisConfig
    regions: gpd.GeoDataFrame
    sido: gpd.GeoDataFrame | None
    sectors: tuple[Sector, ...]
    periods: tuple[Period, ...]
    table: pd.DataFrame
    global_moran: pd.DataFrame
    concentration: pd.DataFrame
    scatter: pd.DataFrame
    weights: RegionWeights
    join_report: JoinReport
    area: gpd.GeoDataFrame | None  # the dissolved Gangnam area, None when its units are not in the layer
    contrast: GangnamContrast | None
    kinds: tuple[KindLQ, ...]  # combined LQ of professional and technology KIBS
    counts: RunSummary
    data: DataSource
    min_p: float
    robustness: Robustness | None = None  # with [robustness] enabled: stability of the last period's locations
    emerging: EmergingHotspots | None = None  # [emerging] over enough periods: patterns (ehsa_* on the last period's
    # rows of ``table``) and the space-time Gi* of every period (st_gi_*)
    notes: tuple[str, ...] = ()  # what the run could not do with these data (growth, establishments, KSIC links)
    metadata: dict[str, object] = field(default_factory=dict)

    @property
    def last_period(self) -> str:
        """The period the headline outputs show (the wide layer, the counts, the contrast)."""
        return self.periods[-1].label

    def latest(self) -> pd.DataFrame:
        """The rows of ``table`` of the last period."""
        return self.table[self.table["period"] == self.last_period]


@dataclass(frozen=True)
class HotspotResult:
    """``kibs-spatial hotspots``: the input layer with ``c_lisa_*``/``c_gi_*`` fields per tested column."""

    layer: gpd.GeoDataFrame
    columns: list[str]
    weights: ConnectivityReport
    global_moran: pd.DataFrame
    metadata: dict[str, object] = field(default_factory=dict)

    def counts(self) -> pd.DataFrame:
        """Per column: units per LISA category and hot/cold spots."""
        rows = []
        for c in self.columns:
            row = self.layer[f"{c}_lisa_cl"].value_counts().to_dict()
            bins = self.layer[f"{c}_gi_bin"]
            rows.append({"column": c, **row, "hot": int((bins > 0).sum()), "cold": int((bins < 0).sum())})
        order = ["column", "HH", "LL", "LH", "HL", "ns", "isolated", "undefined", "hot", "cold"]
        table = pd.DataFrame(rows).reindex(columns=order).fillna(0)
        return table.astype({c: int for c in order[1:]})
