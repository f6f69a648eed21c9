"""How sure is each promising location? Its stability over other reasonable choices.

A one-at-a-time sensitivity analysis around the run's own choices (Saltelli et al. 2008, ch. 1):
every specification changes exactly one choice — the spatial weights, the permutation seed, the
LQ thresholds of every preset (x 0.9, x 1.1) or their size thresholds (x 0.8, x 1.2) — and keeps
the others. For each region and sector of the last period,

    stability = (specifications under which the primary preset marks it promising) / (specifications)

counting the run's own specification, and ``robust`` = stability >= ``robust_at`` (0.8). A
location promising in the run that does not hold under every specification *hinges on* those under
which it is not promising, each named by the one choice it changes.

Threshold scaling (our reading of "thresholds moved"): the LQ factor multiplies every ``min_lq``
and ``lq_percentile``; the size factor multiplies ``min_employees``, ``min_establishments``,
``employees_percentile`` and ``establishments_percentile`` and divides eco-stars'
``size_top_percent`` (a higher bar is a smaller top share). Statistics are re-run only for the
weights and seed variations, with the run's engine: one batched call per specification over
every sector of the last period.

Emerging hot spot patterns depend on the statistics only, so their stability counts the
specifications that re-run them (the run's own, each other weights, each other seed):

    pattern_stability = (statistical specifications giving the run's pattern) / (statistical specifications)

with the whole panel re-tested (space-time Gi* and Mann-Kendall) under each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..fields import LOCAL_FIELDS
from .clusters import RulesConfig, apply_rules, preset_verdicts
from .emerging import EmergingHotspots, emerging_hotspots
from .settings import MAX_NN, AnalysisConfig, RobustnessConfig
from .statistics import local_statistics
from .weights import build_weights

LQ_KEYS = ("min_lq", "lq_percentile")
SIZE_KEYS = ("min_employees", "min_establishments", "employees_percentile", "establishments_percentile")
INVERSE_SIZE_KEYS = ("size_top_percent",)


@dataclass(frozen=True)
class Specification:
    """One choice changed from the run's: ``what`` names it (``weights knn:k=6``, ``LQ thresholds x 1.1``)."""

    what: str
    weights: str
    seed: int
    lq_factor: float = 1.0
    size_factor: float = 1.0


@dataclass(frozen=True)
class Robustness:
    """Stability of every region and sector of the last period, and the specifications behind it.

    ``table``: ``region_code``, ``ksic``, ``stability``, ``robust``, ``hinges_on`` and, with emerging
    hot spots, ``pattern_stability`` and ``pattern_hinges_on``; ``by_preset``: per applied preset,
    the share of specifications marking each location (same rows, one column per preset name);
    ``specifications``: what each one changed.
    """

    table: pd.DataFrame
    by_preset: pd.DataFrame
    specifications: tuple[Specification, ...]
    robust_at: float


def specifications(config: AnalysisConfig, weights_spec: str) -> tuple[Specification, ...]:
    """The run's own specification first, then one per changed choice of ``[robustness]``."""
    settings, seed = config.robustness, config.statistics.seed
    specs = [Specification("the run's own choices", weights_spec, seed)]
    specs += [Specification(f"weights {w}", w, seed) for w in settings.weights if w != weights_spec]
    specs += [Specification(f"seed {s}", weights_spec, s) for s in settings.seeds if s != seed]
    specs += [Specification(f"LQ thresholds x {f:g}", weights_spec, seed, lq_factor=f) for f in settings.lq_factors if f != 1]
    specs += [Specification(f"size thresholds x {f:g}", weights_spec, seed, size_factor=f)
              for f in settings.size_factors if f != 1]
    return tuple(specs)


def robustness(latest: pd.DataFrame, regions: gpd.GeoDataFrame, config: AnalysisConfig, weights_spec: str,
               first_period: str | None, establishments: bool, progress: Callable[[int, int], None] | None = None,
               emerging: EmergingHotspots | None = None, cube: np.ndarray | None = None) -> Robustness:
    """Stability of the last period's locations over :func:`specifications` (see the module docstring).

    ``latest``: the run's long table of the last period (with the local statistics); ``first_period``
    is the run's first period when it is also the last one (growth then not available). With the
    run's ``emerging`` hot spots and the tested ``cube`` (units x periods x sectors) the patterns'
    stability is added.
    """
    specs = specifications(config, weights_spec)
    stats = config.statistics
    codes = regions["region_code"].tolist()
    sectors = list(dict.fromkeys(latest["ksic"]))
    matrix = latest.pivot(index="region_code", columns="ksic", values=config.analysis.variable).reindex(
        index=codes, columns=sectors).to_numpy(float)
    tested: dict[tuple[str, int], pd.DataFrame] = {(weights_spec, stats.seed): latest}
    names = [rule.name for rule in config.rules.applied()]
    votes = []
    for done, spec in enumerate(specs):
        key = (spec.weights, spec.seed)
        if key not in tested:
            tested[key] = _restated(latest, regions, config, spec, matrix, codes, sectors)
        rules = scaled_rules(config.rules, spec.lq_factor, spec.size_factor)
        thresholds_moved = spec.lq_factor != 1 or spec.size_factor != 1
        redo = [rule.name for rule in rules.applied() if done == 0 or thresholds_moved or rule.uses_statistics]
        subset = replace(rules, presets=tuple(redo), primary=redo[0])
        verdicts = preset_verdicts(apply_rules(tested[key], subset, first_period=first_period,
                                               establishments=establishments), subset)
        baseline = votes[0] if votes else None  # presets that use no statistics keep the run's own verdicts
        votes.append(np.column_stack([verdicts[n].to_numpy() if n in redo else baseline[:, i] for i, n in enumerate(names)]))
        if progress is not None:
            progress(done + 1, len(specs))
    result = _summary(latest, np.stack(votes), specs, config.rules, config.robustness)
    if emerging is None:
        return result
    table = result.table.merge(pattern_stability(emerging, cube, regions, config, specs), on=["region_code", "ksic"],
                               how="left", validate="one_to_one")
    return replace(result, table=table)


def pattern_stability(emerging: EmergingHotspots, cube: np.ndarray, regions: gpd.GeoDataFrame, config: AnalysisConfig,
                      specs: tuple[Specification, ...]) -> pd.DataFrame:
    """Per unit and sector: ``pattern_stability``, the share of the statistical specifications (the run's
    own first, then each changing the weights or the seed) whose emerging hot spot pattern is the run's,
    and ``pattern_hinges_on``, those under which it differs."""
    settings, stats = config.emerging, config.statistics
    statistical = [s for s in specs[1:] if (s.weights, s.seed) != (specs[0].weights, specs[0].seed)]
    statistical = list({(s.weights, s.seed): s for s in statistical}.values())
    same = [np.ones(emerging.pattern.shape, dtype=bool)]
    for spec in statistical:
        weights = build_weights(regions, resolved_weights(spec.weights, regions), island_policy=config.weights.islands)
        other = emerging_hotspots(weights.graph, cube, emerging.periods, sectors=emerging.sectors,
                                  time_lags=settings.time_lags, permutations=stats.permutations, seed=spec.seed,
                                  fdr=stats.fdr, confidence=settings.confidence, trend_alpha=settings.trend_alpha)
        same.append(other.pattern == emerging.pattern)
    agree = np.stack(same)  # (specifications, units, sectors)
    n, k = emerging.pattern.shape
    hinges = [
        "; ".join(s.what for s, ok in zip(statistical, agree[1:, i, j]) if not ok)
        for j in range(k) for i in range(n)
    ]
    return pd.DataFrame({"region_code": np.tile(emerging.units, k), "ksic": np.repeat(emerging.sectors, n),
                         "pattern_stability": agree.mean(axis=0).T.ravel(), "pattern_hinges_on": hinges})


def scaled_rules(rules: RulesConfig, lq_factor: float, size_factor: float) -> RulesConfig:
    """The presets with their LQ and size thresholds moved by the factors (module docstring)."""
    parameters = {}
    for name, rule in rules.parameters.items():
        changes = {}
        for field in fields(rule):
            value = getattr(rule, field.name)
            if field.name in LQ_KEYS:
                changes[field.name] = value * lq_factor
            elif field.name in SIZE_KEYS:
                changes[field.name] = value * size_factor
            elif field.name in INVERSE_SIZE_KEYS:
                changes[field.name] = value / size_factor
        parameters[name] = replace(rule, **changes)
    return replace(rules, parameters=parameters)


def resolved_weights(spec: str, regions: gpd.GeoDataFrame) -> str:
    """``distance:threshold=max-nn`` as a number of metres for ``regions``; other specs as given."""
    if spec != MAX_NN:
        return spec
    from libpysal.weights.util import min_threshold_distance  # libpysal takes half a second to import

    points = shapely.point_on_surface(regions.geometry.values)
    xy = np.column_stack([shapely.get_x(points), shapely.get_y(points)])
    return f"distance:threshold={float(np.ceil(min_threshold_distance(xy))):g}"


def _restated(latest: pd.DataFrame, regions: gpd.GeoDataFrame, config: AnalysisConfig, spec: Specification,
              matrix: np.ndarray, codes: list[str], sectors: list[str]) -> pd.DataFrame:
    """The last period's table with the local statistics of ``spec``'s weights and seed."""
    stats = config.statistics
    weights = build_weights(regions, resolved_weights(spec.weights, regions), island_policy=config.weights.islands)
    local = local_statistics(weights.graph, matrix, permutations=stats.permutations, seed=spec.seed,
                             alternative=stats.alternative, fdr=stats.fdr, fdr_scope=stats.fdr_scope,
                             alpha=stats.alpha, star=True)
    fresh = pd.DataFrame({"region_code": np.tile(codes, len(sectors)), "ksic": np.repeat(sectors, len(codes)),
                          **{name: getattr(local, name).T.ravel() for name in LOCAL_FIELDS}})
    return latest.drop(columns=list(LOCAL_FIELDS)).merge(fresh, on=["region_code", "ksic"], how="left",
                                                         validate="one_to_one")


def _summary(latest: pd.DataFrame, votes: np.ndarray, specs: tuple[Specification, ...], rules: RulesConfig,
             settings: RobustnessConfig) -> Robustness:
    """Shares of specifications per preset, the primary preset's stability, and what fragile locations hinge on."""
    names = [rule.name for rule in rules.applied()]
    share = votes.mean(axis=0)  # (rows, presets)
    primary = votes[:, :, names.index(rules.primary)]
    stability = share[:, names.index(rules.primary)]
    hinging = primary[0] & (stability < 1)
    hinges = [("; ".join(s.what for s, vote in zip(specs[1:], primary[1:, row]) if not vote) if hinging[row] else "")
              for row in range(primary.shape[1])]
    keys = latest[["region_code", "ksic"]].reset_index(drop=True)
    table = keys.assign(stability=stability, robust=stability >= settings.robust_at, hinges_on=hinges)
    by_preset = keys.assign(**{name: share[:, i] for i, name in enumerate(names)})
    return Robustness(table, by_preset, specs, settings.robust_at)
