"""The parameters of a run, as typed frozen dataclasses with the defaults of the bundled demo.

``kibs_spatial.io.config`` fills them from an analysis file and the command line (one validation
path for both); the analysis stages only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..defaults import DEFAULT_PERMUTATIONS, DEFAULT_SEED, GANGNAM_DEFAULT, RADII_DEFAULT
from .clusters import RulesConfig

BUNDLED = "bundled"  # the 2013 layer, the name it had before a second vintage was bundled
AUTO = "auto"
BUNDLED_VINTAGES = {"bundled-2013": "kr_sigungu_2013.gpkg", "bundled-2022": "kr_sigungu_2022.gpkg", BUNDLED: "kr_sigungu_2013.gpkg"}
BUNDLED_DEMO = "bundled-demo"
VARIABLES = ("lq", "employees", "share")
ALL = "all"


@dataclass(frozen=True)
class DataConfig:
    boundaries: str = AUTO  # "auto" (the bundled vintage nearest the data), "bundled-2013", "bundled-2022" or a file
    boundary_layer: str = "sigungu"
    sectors: str = BUNDLED_DEMO
    totals: str = BUNDLED_DEMO
    allow_unmatched: bool = False
    region_code_system: str = "auto"  # "auto", "mois" or "kostat" (codes of the data tables)
    harmonize: bool = False  # dissolve units that data give only as a whole (a city, a later merger)
    boundary_crs: str = ""  # CRS of a boundary file that has none, e.g. "EPSG:5186"
    boundary_encoding: str = ""  # DBF encoding of a shapefile without .cpg: "cp949" or "utf-8" (default: detect)
    ksic_revision: str | int = AUTO  # KSIC revision of the data's codes: "auto" (by each period's end date), 9, 10, 11
    accept_partial_ksic_links: bool = False  # join sectors across KSIC revisions whose codes link only partly


@dataclass(frozen=True)
class AnalysisSettings:
    sectors: tuple[str, ...] | str | None = None  # codes, "all" or a named set; None: kibs-kiet (demo) or all
    sector: tuple[dict, ...] = ()  # [[analysis.sector]] tables: code, name, kind, members
    periods: tuple[str, ...] | str = ALL  # period labels, or "all" (alias: years)
    variable: str = "lq"


@dataclass(frozen=True)
class WeightsConfig:
    spec: str = AUTO  # "auto": plain queen on the 2022 layer, DEFAULT_WEIGHTS otherwise
    islands: str = "keep"


@dataclass(frozen=True)
class StatisticsConfig:
    permutations: int = DEFAULT_PERMUTATIONS
    seed: int = DEFAULT_SEED
    alternative: str = "two-sided"
    fdr: str = "bh"
    fdr_scope: str = "column"  # one map (sector and period) at a time; "all" pools every test
    alpha: float = 0.05
    sequential: int = 0  # h of sequential Monte Carlo p-values (Besag & Clifford 1991); 0: every unit all permutations


@dataclass(frozen=True)
class ContrastConfig:
    area: tuple[str, ...] = GANGNAM_DEFAULT
    radii_km: tuple[float, ...] = RADII_DEFAULT


@dataclass(frozen=True)
class OutputConfig:
    dir: str = "output"
    maps_dir: str = ""  # "": <dir>/maps when the user names an output folder, the project's maps/ otherwise
    rasters: bool = True  # 1 km GeoTIFF (COG) surfaces under <dir>/rasters/, see docs/RASTERS.md


MAX_NN = "distance:threshold=max-nn"  # a distance band at the largest nearest-neighbour distance


@dataclass(frozen=True)
class RobustnessConfig:
    """``[robustness]``: the choices each specification changes, one at a time (analysis/robustness.py)."""

    enabled: bool = False
    weights: tuple[str, ...] = ("queen:tolerance=0", "queen:tolerance=500", "queen:tolerance=2000", "knn:k=4",
                                "knn:k=6", "knn:k=8", MAX_NN)
    seeds: tuple[int, ...] = (DEFAULT_SEED, 1, 2)
    lq_factors: tuple[float, ...] = (0.9, 1.0, 1.1)
    size_factors: tuple[float, ...] = (0.8, 1.0, 1.2)
    robust_at: float = 0.8  # robust = promising under at least this share of the specifications


CONFIDENCE_LEVELS = (0.90, 0.95, 0.99)  # ArcGIS's hot spot bin levels


@dataclass(frozen=True)
class EmergingConfig:
    """``[emerging]``: emerging hot spots over the periods (analysis/emerging.py, docs/EMERGING.md)."""

    enabled: bool = True
    time_lags: int = 1  # earlier periods in a bin's space-time neighbourhood
    confidence: float = 0.90  # a bin is hot or cold at this confidence after FDR
    trend_alpha: float = 0.10  # a Mann-Kendall trend counts at p <= trend_alpha
    min_periods: int = 4  # fewer periods: skipped (4 values are the fewest that can give p <= 0.10)


@dataclass(frozen=True)
class AnalysisConfig:
    data: DataConfig = field(default_factory=DataConfig)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    weights: WeightsConfig = field(default_factory=WeightsConfig)
    statistics: StatisticsConfig = field(default_factory=StatisticsConfig)
    rules: RulesConfig = field(default_factory=RulesConfig)
    contrast: ContrastConfig = field(default_factory=ContrastConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    robustness: RobustnessConfig = field(default_factory=RobustnessConfig)
    emerging: EmergingConfig = field(default_factory=EmergingConfig)
    source: str = "defaults"

    @property
    def uses_demo_data(self) -> bool:
        return self.data.sectors == BUNDLED_DEMO
