"""The parameters of a run, as typed frozen dataclasses with the defaults of the bundled demo.

``kibs_spatial.io.config`` fills them from an analysis file and the command line (one validation
path for both); the analysis stages only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..defaults import DEFAULT_PERMUTATIONS, DEFAULT_SEED, DEFAULT_WEIGHTS
from .clusters import RulesConfig
from .contrast import GANGNAM_DEFAULT, RADII_DEFAULT

BUNDLED = "bundled"
BUNDLED_DEMO = "bundled-demo"
VARIABLES = ("lq", "employees", "share")


@dataclass(frozen=True)
class DataConfig:
    boundaries: str = BUNDLED
    boundary_layer: str = "sigungu"
    sectors: str = BUNDLED_DEMO
    totals: str = BUNDLED_DEMO
    allow_unmatched: bool = False
    region_code_system: str = "auto"  # "auto", "mois" or "kostat" (codes of the data tables)
    harmonize: bool = False  # dissolve units that data give only as a whole (a city, a later merger)
    boundary_crs: str = ""  # CRS of a boundary file that has none, e.g. "EPSG:5186"
    boundary_encoding: str = ""  # DBF encoding of a shapefile without .cpg: "cp949" or "utf-8" (default: detect)


@dataclass(frozen=True)
class AnalysisSettings:
    sectors: tuple[str, ...] | None = None
    years: tuple[int, int] = (2012, 2022)
    variable: str = "lq"


@dataclass(frozen=True)
class WeightsConfig:
    spec: str = DEFAULT_WEIGHTS
    islands: str = "keep"


@dataclass(frozen=True)
class StatisticsConfig:
    permutations: int = DEFAULT_PERMUTATIONS
    seed: int = DEFAULT_SEED
    alternative: str = "two-sided"
    fdr: str = "bh"
    fdr_scope: str = "all"
    alpha: float = 0.05


@dataclass(frozen=True)
class ContrastConfig:
    area: tuple[str, ...] = GANGNAM_DEFAULT
    radii_km: tuple[float, ...] = RADII_DEFAULT


@dataclass(frozen=True)
class OutputConfig:
    dir: str = "output"
    maps_dir: str = "maps"
    rasters: bool = True  # 1 km GeoTIFF (COG) surfaces under <dir>/rasters/, see docs/RASTERS.md


@dataclass(frozen=True)
class AnalysisConfig:
    data: DataConfig = field(default_factory=DataConfig)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    weights: WeightsConfig = field(default_factory=WeightsConfig)
    statistics: StatisticsConfig = field(default_factory=StatisticsConfig)
    rules: RulesConfig = field(default_factory=RulesConfig)
    contrast: ContrastConfig = field(default_factory=ContrastConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    source: str = "defaults"

    @property
    def uses_demo_data(self) -> bool:
        return self.data.sectors == BUNDLED_DEMO
