"""Analysis configuration: defaults for the bundled demo, overridable from a TOML file.

Relative paths in a TOML file are taken relative to the file's folder. Example (every key is
optional; see ``examples/analysis.toml``)::

    [data]
    boundaries = "bundled"            # or a GeoPackage / shapefile / GeoJSON path
    boundary_layer = "sigungu"        # bundled: "sigungu" or "city"; a file: its layer name
    sectors = "bundled-demo"          # or the tidy sector table (CSV / Parquet)
    totals = "bundled-demo"           # or the table of total employment
    allow_unmatched = false
    region_code_system = "auto"       # codes of the data tables: "auto", "mois" or "kostat"
    harmonize = false                 # true: dissolve districts / merged units the data give as a whole
    boundary_crs = ""                 # CRS of a boundary file without one, e.g. "EPSG:5186"
    boundary_encoding = ""            # shapefile DBF without .cpg: "cp949" or "utf-8" (default: detect)

    [analysis]
    sectors = ["732", "713", "62"]    # KSIC codes; default: the 14 KIBS sectors
    years = [2012, 2022]              # start and end year
    variable = "lq"                   # what LISA and Gi* test: "lq", "employees" or "share"

    [weights]
    spec = "queen:tolerance=500"
    islands = "keep"                  # or "nearest"

    [statistics]
    permutations = 9999
    seed = 20140582
    alternative = "two-sided"
    fdr = "bh"                        # "bh", "by", "bonferroni" or "none"
    fdr_scope = "all"                 # across the sector x region matrix, or "column"
    alpha = 0.05

    [rules]                           # cluster-rule presets, see docs/CLUSTERS.md
    presets = ["kiet", "uscmp-strong", "uscmp-strong90", "eco-stars", "lq-gi"]
    primary = "kiet"                  # its verdict is the ``promising`` column

    [rules.kiet]                      # one sub-table per preset, every key optional
    min_lq = 2.0
    agglomeration = "share-or-hotspot"
    min_share = 0.01
    min_employees = 500

    [contrast]
    area = ["11680", "11650"]         # the Gangnam area: 강남구 + 서초구 (MOIS codes)
    radii_km = [10, 20, 50]           # report: share of sector employment within these distances

    [output]
    dir = "output"
    maps_dir = "maps"
    rasters = true                    # 1 km Cloud-Optimized GeoTIFFs under <dir>/rasters/
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .clusters import RulesConfig, parse_rules
from .contrast import GANGNAM_DEFAULT, RADII_DEFAULT
from .errors import InputError
from .weights import DEFAULT_WEIGHTS, ISLAND_POLICIES, WeightsSpec

BUNDLED = "bundled"
BUNDLED_DEMO = "bundled-demo"


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
    permutations: int = 9999
    seed: int = 20140582
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


VARIABLES = ("lq", "employees", "share")
_SECTIONS = {"data": DataConfig, "analysis": AnalysisSettings, "weights": WeightsConfig,
             "statistics": StatisticsConfig, "rules": RulesConfig, "contrast": ContrastConfig, "output": OutputConfig}
_PATH_KEYS = {("data", "boundaries"), ("data", "sectors"), ("data", "totals"), ("output", "dir"), ("output", "maps_dir")}


def load_config(path: str | Path | None = None) -> AnalysisConfig:
    """Read a TOML analysis file over the defaults; ``None`` gives the defaults."""
    if path is None:
        return AnalysisConfig()
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: config file not found")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a valid TOML file ({error})") from None
    unknown = sorted(set(raw) - set(_SECTIONS))
    if unknown:
        hint = " ([rule] is now [rules] with presets: see examples/analysis.toml)" if "rule" in unknown else ""
        raise InputError(f"{path}: unknown section(s) [{'], ['.join(unknown)}]; known: {', '.join(_SECTIONS)}{hint}")
    sections = {name: _section(path, name, raw.get(name, {})) for name in _SECTIONS}
    config = AnalysisConfig(**sections, source=str(path))
    _validate(config, path)
    return config


def _section(path: Path, name: str, values: dict[str, Any]):
    if name == "rules":
        return parse_rules(values, str(path))
    cls = _SECTIONS[name]
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InputError(f"{path}: unknown key(s) {', '.join(unknown)} in [{name}]; known: {', '.join(known)}")
    converted = {}
    for key, value in values.items():
        if (name, key) in _PATH_KEYS and value not in (BUNDLED, BUNDLED_DEMO):
            value = str((path.parent / value).resolve()) if not Path(value).is_absolute() else value
        if isinstance(value, list):
            value = tuple(str(v) if key in ("sectors", "area") else v for v in value)
        converted[key] = value
    return replace(cls(), **converted)


def _validate(config: AnalysisConfig, path: Path) -> None:
    if config.data.region_code_system not in ("auto", "mois", "kostat"):
        raise InputError(f"{path}: [data] region_code_system must be auto, mois or kostat; got {config.data.region_code_system!r}")
    years = config.analysis.years
    if len(years) != 2 or not all(isinstance(y, int) for y in years) or years[0] >= years[1]:
        raise InputError(f"{path}: [analysis] years must be two increasing integers, e.g. [2012, 2022]; got {list(years)}")
    if config.analysis.variable not in VARIABLES:
        raise InputError(f"{path}: [analysis] variable must be one of {', '.join(VARIABLES)}")
    try:
        WeightsSpec.parse(config.weights.spec)
    except InputError as error:
        raise InputError(f"{path}: [weights] spec: {error}") from None
    if config.weights.islands not in ISLAND_POLICIES:
        raise InputError(f"{path}: [weights] islands must be one of {', '.join(ISLAND_POLICIES)}")
    stats = config.statistics
    if not isinstance(stats.permutations, int) or stats.permutations < 99:
        raise InputError(f"{path}: [statistics] permutations must be an integer >= 99")
    if stats.alternative not in ("two-sided", "greater", "less"):
        raise InputError(f"{path}: [statistics] alternative must be two-sided, greater or less")
    if stats.fdr not in ("bh", "by", "bonferroni", "none"):
        raise InputError(f"{path}: [statistics] fdr must be bh, by, bonferroni or none")
    if stats.fdr_scope not in ("all", "column"):
        raise InputError(f"{path}: [statistics] fdr_scope must be all or column")
    if not 0 < stats.alpha < 1:
        raise InputError(f"{path}: [statistics] alpha must be between 0 and 1")
    if not isinstance(config.output.rasters, bool):
        raise InputError(f"{path}: [output] rasters must be true or false, not {config.output.rasters!r}")
    radii = config.contrast.radii_km
    if isinstance(radii, (int, float)) or not radii or not all(
            isinstance(r, (int, float)) and not isinstance(r, bool) and r > 0 for r in radii):
        raise InputError(f"{path}: [contrast] radii_km must be a list of positive distances in km, e.g. [10, 20, 50]")
