"""The analysis file (TOML) and the command-line options, read and checked on one path.

Every key is optional; the defaults are those of the bundled demo (``analysis.settings``).
Relative paths in a TOML file are taken relative to the file's folder; command-line options
override the file *before* validation, so a value is refused the same way wherever it comes
from. Example (see ``examples/analysis.toml`` for every key)::

    [data]
    boundaries = "bundled"            # or a GeoPackage / shapefile / GeoJSON path
    sectors = "bundled-demo"          # or the tidy sector table (CSV / Parquet)
    totals = "bundled-demo"           # or the table of total employment
    harmonize = false                 # true: dissolve districts / merged units the data give as a whole
    level = "sigungu"                 # bundled units: "sigungu", "city" or "emd" (eup-myeon-dong, 2013)

    [analysis]
    sectors = ["732", "713", "62"]    # KSIC codes; default: the 14 KIBS sectors
    years = [2012, 2022]              # start and end year

    [statistics]
    permutations = 9999
    seed = 20140582

    [rules]                           # cluster-rule presets, see docs/CLUSTERS.md
    presets = ["kiet", "lq-gi"]
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from pyproj import CRS
from pyproj.exceptions import CRSError

from ..analysis.clusters import parse_rules
from ..analysis.periods import parse_period
from ..analysis.sectors import SECTOR_SETS
from ..analysis.settings import (
    ALL,
    AUTO,
    BUNDLED_DEMO,
    BUNDLED_VINTAGES,
    CONFIDENCE_LEVELS,
    MAX_NN,
    VARIABLES,
    AnalysisConfig,
    AnalysisSettings,
    ContrastConfig,
    DataConfig,
    EmergingConfig,
    OutputConfig,
    RobustnessConfig,
    StatisticsConfig,
    WeightsConfig,
)
from ..analysis.statistics import ALTERNATIVES, FDR_METHODS, FDR_SCOPES
from ..analysis.statistics.inference import MAX_PERMUTATIONS, MIN_PERMUTATIONS
from ..analysis.weights import ISLAND_POLICIES, WeightsSpec
from ..errors import InputError

SECTIONS = {"data": DataConfig, "analysis": AnalysisSettings, "weights": WeightsConfig,
            "statistics": StatisticsConfig, "rules": None, "contrast": ContrastConfig, "output": OutputConfig,
            "robustness": RobustnessConfig, "emerging": EmergingConfig}
PATH_KEYS = {("data", "boundaries"), ("data", "sectors"), ("data", "totals"), ("output", "dir"), ("output", "maps_dir")}
NOT_PATHS = {AUTO, BUNDLED_DEMO, *BUNDLED_VINTAGES}
FLEXIBLE = {"sectors": (str, tuple), "periods": (str, tuple), "ksic_revision": (str, int)}
"""Keys that take a word or another type: ``sectors = "all"`` or a list, ``ksic_revision = "auto"`` or 10."""
ALIASES = {("analysis", "years"): "periods"}
KSIC_REVISIONS = (9, 10, 11)
LEVELS = ("sigungu", "city", "emd")
"""``[data] level``: the bundled layer of units: si-gun-gu, cities (districts dissolved), eup-myeon-dong (2013 only)."""
REQUIRED_PATHS = PATH_KEYS - {("output", "maps_dir")}
"""Path keys that cannot be empty (an empty ``maps_dir`` means the default)."""

Overrides = Mapping[tuple[str, str], tuple[Any, str]]
"""``(section, key) -> (value, option)``: command-line values, e.g. ``("statistics", "seed"): (7, "--seed")``."""


def load_config(path: str | Path | None = None, overrides: Overrides | None = None) -> AnalysisConfig:
    """Read a TOML analysis file (``None``: the defaults), apply ``overrides``, then check everything."""
    raw = _read_toml(Path(path)) if path is not None else {}
    where = _Where(str(path) if path is not None else None)
    for name in SECTIONS:
        if not isinstance(raw.get(name, {}), dict):
            raise InputError(f"{where.file}: [{name}] must be a table of keys")
    values = {name: _renamed(name, dict(raw.get(name, {})), where) for name in SECTIONS}
    for name, section in values.items():
        for key, value in section.items():
            if (name, key) in PATH_KEYS and isinstance(value, str) and value.strip() and value not in NOT_PATHS:
                section[key] = str((Path(path).parent / value).resolve()) if not Path(value).is_absolute() else value
    for (name, key), (value, option) in (overrides or {}).items():
        if (name, key) == ("rules", "presets") and values["rules"].get("primary") not in value:
            values["rules"].pop("primary", None)  # the command line's presets: the first one is primary
        values[name][key] = value
        where.options[(name, key)] = option
    _check_paths(values, where)
    _apply_level(values["data"], where)
    if not values["output"].get("maps_dir"):  # one folder to send: the maps go inside a folder the user names
        named = values["output"].get("dir")
        values["output"]["maps_dir"] = str(Path(named) / "maps") if named else "maps"
    sections = {name: _section(name, section, where) for name, section in values.items()}
    config = AnalysisConfig(**sections, source=str(path) if path is not None else "defaults")
    _validate(config, where)
    return config


def statistics_config(values: Mapping[str, Any], where: Callable[[str], str]) -> StatisticsConfig:
    """A checked ``StatisticsConfig`` from ``values`` (e.g. the ``hotspots`` options); ``where(key)`` names each."""
    stats = replace(StatisticsConfig(), **_typed(StatisticsConfig, dict(values), where))
    check_statistics(stats, where)
    return stats


def weights_config(values: Mapping[str, Any], where: Callable[[str], str]) -> WeightsConfig:
    """A checked ``WeightsConfig`` from ``values``."""
    weights = replace(WeightsConfig(), **_typed(WeightsConfig, dict(values), where))
    check_weights(weights, where)
    return weights


class _Where:
    """Names a value's origin in messages: ``file: [section] key`` or the command-line option."""

    def __init__(self, file: str | None):
        self.file = file or "the defaults"
        self.options: dict[tuple[str, str], str] = {}

    def __call__(self, section: str, key: str) -> str:
        return self.options.get((section, key)) or f"{self.file}: [{section}] {key}"

    def section(self, name: str) -> Callable[[str], str]:
        return lambda key: self(name, key)


def _apply_level(data: dict[str, Any], where: _Where) -> None:
    """``[data] level`` (or ``--level``): the bundled layer of units, given to the run as ``boundary_layer``.

    ``emd`` is the bundled eup-myeon-dong layer (``io.emd``, 2013 legal dongs): it needs the 2013 boundaries
    (``boundaries`` auto, bundled or bundled-2013) and data keyed by 8-digit legal-dong codes.
    """
    if "level" not in data:
        return
    level = data.pop("level")
    if level not in LEVELS:
        raise InputError(f"{where('data', 'level')} must be one of {', '.join(LEVELS)} (si-gun-gu, cities, "
                         f"eup-myeon-dong); got {level!r}")
    layer = data.get("boundary_layer")
    if layer is not None and layer != level:
        raise InputError(f"{where('data', 'level')} = {level!r} and {where('data', 'boundary_layer')} = {layer!r} "
                         "disagree; give level for the bundled layers, boundary_layer for a layer of your own file")
    boundaries = data.get("boundaries", AUTO)
    if not isinstance(boundaries, str) or boundaries not in (AUTO, *BUNDLED_VINTAGES):
        raise InputError(f"{where('data', 'level')} chooses a bundled layer, but {where('data', 'boundaries')} is "
                         f"your own file ({boundaries!r}); name its layer with boundary_layer instead")
    if level == "emd" and boundaries == "bundled-2022":
        raise InputError(f"{where('data', 'level')} = \"emd\": the bundled eup-myeon-dong layer is of 2013; set "
                         f"{where('data', 'boundaries')} to \"bundled-2013\" or \"auto\"")
    if level == "emd" and data.get("sectors", BUNDLED_DEMO) == BUNDLED_DEMO:
        raise InputError(f"{where('data', 'level')} = \"emd\": the bundled demo data are of si-gun-gu; give "
                         f"{where('data', 'sectors')} and totals keyed by 8-digit legal-dong codes (e.g. 11680101)")
    data["boundary_layer"] = level


def _renamed(section: str, values: dict[str, Any], where: _Where) -> dict[str, Any]:
    """Old key names (``years``) under their current name (``periods``); both at once is an error."""
    for (name, old), new in ALIASES.items():
        if name == section and old in values:
            if new in values:
                raise InputError(f"{where(section, old)}: give either {old} or {new}, not both ({old} is the older name)")
            values[new] = values.pop(old)
    return values


def _check_paths(values: dict[str, dict[str, Any]], where: _Where) -> None:
    """File and folder keys are non-empty text (types and existence are checked later, by their readers)."""
    for name, key in sorted(PATH_KEYS):
        value = values[name].get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InputError(f"{where(name, key)} must be text (a path), like \"{getattr(SECTIONS[name](), key) or 'maps'}\"; "
                             f"got {value!r}")
        if (name, key) in REQUIRED_PATHS and not value.strip():
            raise InputError(f"{where(name, key)} is empty; give a path, or leave the key out for the default")


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise InputError(f"{path}: config file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not an analysis file; name the .toml file (see examples/analysis.toml)")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a valid TOML file ({error}); save it as UTF-8 text in TOML syntax") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the analysis file ({error.strerror}); check its permissions") from None
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        hint = " ([rule] is now [rules] with presets: see examples/analysis.toml)" if "rule" in unknown else ""
        raise InputError(f"{path}: unknown section(s) [{'], ['.join(unknown)}]; known: {', '.join(SECTIONS)}{hint}")
    return raw


def _section(name: str, values: dict[str, Any], where: _Where):
    if name == "rules":
        return parse_rules(values, where.section("rules"))
    return replace(SECTIONS[name](), **_typed(SECTIONS[name], values, where.section(name)))


def _typed(cls: type, values: dict[str, Any], where: Callable[[str], str]) -> dict[str, Any]:
    """``values`` checked against the types of ``cls``'s defaults; lists become tuples."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(f"{where(unknown[0])}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    defaults = cls()
    out = {}
    for key, value in values.items():
        default = getattr(defaults, key)
        if isinstance(value, list):
            value = tuple(str(v) if key in ("sectors", "area", "periods") and not isinstance(v, bool) else v
                          for v in value)
        if key in FLEXIBLE and isinstance(value, FLEXIBLE[key]) and not isinstance(value, bool):
            out[key] = value
            continue
        if not _same_kind(value, default):
            raise InputError(f"{where(key)} must be {_kind(default)}, like {_example(default)}; got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{where(key)} must be a finite number, like {_example(default)}; got {value!r}")
        out[key] = float(value) if isinstance(default, float) and not isinstance(value, tuple) else value
    return out


def _same_kind(value: Any, default: Any) -> bool:
    if default is None or isinstance(default, tuple):
        return isinstance(value, tuple)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


def _kind(default: Any) -> str:
    if default is None or isinstance(default, tuple):
        return "a list"
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text"}[type(default)]


def _example(default: Any) -> str:
    if default is None:
        return '["732", "62"]'
    if isinstance(default, bool):
        return str(default).lower()
    return repr(list(default)) if isinstance(default, tuple) else repr(default)


def check_statistics(stats: StatisticsConfig, where: Callable[[str], str]) -> None:
    """Ranges and choices of the statistics settings (types are checked by :func:`_typed`)."""
    if not MIN_PERMUTATIONS <= stats.permutations <= MAX_PERMUTATIONS:
        raise InputError(f"{where('permutations')} must be a whole number from {MIN_PERMUTATIONS} to {MAX_PERMUTATIONS:,} "
                         f"(the smallest p-value is 2/(permutations + 1); the draws are counted in chunks, so memory does "
                         f"not grow with the number, but time does); got {stats.permutations:,}")
    if not 0 <= stats.seed < 2**63:
        raise InputError(f"{where('seed')} must be a whole number from 0 to 2**63 - 1; got {stats.seed}")
    if stats.alternative not in ALTERNATIVES:
        raise InputError(f"{where('alternative')} must be one of {', '.join(ALTERNATIVES)}")
    if stats.fdr not in FDR_METHODS:
        raise InputError(f"{where('fdr')} must be one of {', '.join(FDR_METHODS)}")
    if stats.fdr_scope not in FDR_SCOPES:
        raise InputError(f"{where('fdr_scope')} must be one of {', '.join(FDR_SCOPES)}")
    if not 0 < stats.alpha < 1:
        raise InputError(f"{where('alpha')} must be between 0 and 1")
    if not 0 <= stats.sequential <= stats.permutations:
        raise InputError(f"{where('sequential')} must be a whole number from 0 (off) to permutations; h = 10 to 20 stops "
                         f"a unit's draws once each of its tests has h exceedances (Besag & Clifford 1991); got "
                         f"{stats.sequential}")


def check_weights(weights: WeightsConfig, where: Callable[[str], str]) -> None:
    try:
        if weights.spec != AUTO:
            WeightsSpec.parse(weights.spec)
    except InputError as error:
        raise InputError(f"{where('spec')}: {error}") from None
    if weights.islands not in ISLAND_POLICIES:
        raise InputError(f"{where('islands')} must be one of {', '.join(ISLAND_POLICIES)}")


def _validate(config: AnalysisConfig, where: _Where) -> None:
    if config.data.region_code_system not in ("auto", "mois", "kostat"):
        raise InputError(f"{where('data', 'region_code_system')} must be auto, mois or kostat; "
                         f"got {config.data.region_code_system!r}")
    _check_data(config.data, where)
    _check_analysis(config, where)
    if config.analysis.variable not in VARIABLES:
        raise InputError(f"{where('analysis', 'variable')} must be one of {', '.join(VARIABLES)}")
    check_weights(config.weights, where.section("weights"))
    _check_robustness(config.robustness, where.section("robustness"))
    _check_emerging(config.emerging, where.section("emerging"))
    check_statistics(config.statistics, where.section("statistics"))
    radii = config.contrast.radii_km
    if not radii or not all(isinstance(r, (int, float)) and not isinstance(r, bool) and 0 < r < math.inf for r in radii):
        raise InputError(f"{where('contrast', 'radii_km')} must be a list of positive distances in km, e.g. [10, 20, 50]")


def check_crs(value: str | None, where: str, *, projected: bool = False) -> None:
    """A CRS the user named (``--crs``, ``--input-crs``, ``[data] boundary_crs``) must be known to PROJ; a CRS to work in
    (``projected``) must be in metres, or ``auto``."""
    if not value or (projected and value == AUTO):
        return
    try:
        crs = CRS.from_user_input(value)
    except CRSError as error:
        raise InputError(f"{where}: cannot understand the CRS {value!r} ({error}); give it as EPSG:5179, EPSG:5186 or "
                         "EPSG:4326") from None
    if projected and not crs.is_projected:
        raise InputError(f"{where}: {value} is not a projected CRS in metres; the weights and statistics need one, e.g. "
                         f"EPSG:5179, or auto (the layer's own projected CRS or its UTM zone)")


def _check_data(data: DataConfig, where: _Where) -> None:
    check_crs(data.boundary_crs, where("data", "boundary_crs"))
    if data.ksic_revision != AUTO and str(data.ksic_revision) not in map(str, KSIC_REVISIONS):
        raise InputError(f"{where('data', 'ksic_revision')} must be \"auto\" or one of 9, 10, 11 (the bundled KSIC "
                         f"revisions); got {data.ksic_revision!r}")


def _check_analysis(config: AnalysisConfig, where: _Where) -> None:
    analysis = config.analysis
    sectors = analysis.sectors
    if isinstance(sectors, str) and sectors != ALL and sectors not in SECTOR_SETS:
        raise InputError(f"{where('analysis', 'sectors')}: {sectors!r} is neither a list of codes, \"all\" nor a named "
                         f"set ({', '.join(SECTOR_SETS)})")
    if isinstance(sectors, tuple) and (not sectors or not all(isinstance(s, str) and s.strip() for s in sectors)):
        raise InputError(f"{where('analysis', 'sectors')} must list KSIC codes such as [\"732\", \"62\"], or be \"all\" "
                         "or a named set (\"kibs-kiet\", \"kibs-divisions\")")
    if not all(isinstance(t, dict) for t in analysis.sector):
        raise InputError(f"{where('analysis', 'sector')} must be [[analysis.sector]] tables with code, name, kind, members")
    periods = analysis.periods
    if isinstance(periods, str) and periods != ALL:
        raise InputError(f"{where('analysis', 'periods')} must be \"all\" or a list of periods such as [2012, 2022] "
                         f"or [\"2024.2/2\"]; got {periods!r}")
    if isinstance(periods, tuple):
        bad = [p for p in periods if parse_period(p) is None]
        if not periods or bad:
            raise InputError(f"{where('analysis', 'periods')}: {', '.join(map(repr, bad)) or 'an empty list'} is not a list "
                             "of periods (2022, \"2024.1/2\", \"2024 2/4\", \"2023.03\")")


def _check_emerging(settings: EmergingConfig, where: Callable[[str], str]) -> None:
    if settings.time_lags < 0:
        raise InputError(f"{where('time_lags')} must be 0 (space only) or more earlier periods; got {settings.time_lags}")
    if settings.confidence not in CONFIDENCE_LEVELS:
        raise InputError(f"{where('confidence')} must be one of 0.90, 0.95, 0.99 (the hot spot levels); "
                         f"got {settings.confidence}")
    if not 0 < settings.trend_alpha < 1:
        raise InputError(f"{where('trend_alpha')} must lie between 0 and 1, e.g. 0.10; got {settings.trend_alpha}")
    if settings.min_periods < max(2, settings.time_lags + 1):
        raise InputError(f"{where('min_periods')} must be at least 2 and more than time_lags; got {settings.min_periods}")


def _check_robustness(settings: RobustnessConfig, where: Callable[[str], str]) -> None:
    for spec in settings.weights:
        if spec != MAX_NN:
            check_weights(WeightsConfig(spec=spec), lambda key: f"{where('weights')} ({spec!r})")
    if not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**63 for s in settings.seeds):
        raise InputError(f"{where('seeds')} must be whole numbers from 0 to 2**63 - 1, e.g. [20140582, 1, 2]")
    for key in ("lq_factors", "size_factors"):
        if not all(isinstance(f, (int, float)) and not isinstance(f, bool) and 0 < f < 10 for f in getattr(settings, key)):
            raise InputError(f"{where(key)} must be positive factors such as [0.9, 1.0, 1.1]")
    if not 0 < settings.robust_at <= 1:
        raise InputError(f"{where('robust_at')} must be a share above 0 and at most 1, e.g. 0.8")
