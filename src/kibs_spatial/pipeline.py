"""The whole analysis, stage by stage: it only wires the stage modules together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import boundaries, demo
from .boundary_files import read_boundary_file
from .clusters import apply_rules
from .concentration import concentration_table
from .config import BUNDLED, BUNDLED_DEMO, AnalysisConfig
from .indicators import compute_indicators
from .join import JoinReport, join_to_regions
from .progress import SILENT, Progress
from .resources import data_path
from .sector_data import read_sector_table
from .sectors import Sector, get_sectors
from .statistics import GlobalMoranResult, global_moran, local_statistics
from .weights import RegionWeights, build_weights

STEPS = 7
LOCAL_FIELDS = ["lisa_i", "lisa_z", "lisa_p", "lisa_q", "lisa_cl", "gi_z", "gi_p", "gi_q", "gi_bin"]


@dataclass(frozen=True)
class RunResult:
    config: AnalysisConfig
    regions: gpd.GeoDataFrame
    sectors: tuple[Sector, ...]
    results: pd.DataFrame  # one row per region x sector: indicators, tests, rule presets
    global_moran: pd.DataFrame
    concentration: pd.DataFrame  # one row per sector: Hoover, Gini, national growth
    weights: RegionWeights
    join_report: JoinReport
    min_p: float
    synthetic: bool
    inputs: dict[str, Path]


def run_analysis(config: AnalysisConfig, progress: Progress = SILENT) -> RunResult:
    """Load, join, compute indicators, weights and tests, and apply the cluster rule."""
    sectors = get_sectors(list(config.analysis.sectors) if config.analysis.sectors else None)
    progress.step("loading boundaries")
    regions = load_regions(config)
    progress.note(f"{len(regions)} units from {regions.attrs.get('source', config.data.boundaries)}")

    progress.step("reading and joining the sector data")
    inputs = _input_paths(config)
    table = read_sector_table(inputs["sectors"], inputs["totals"], config.analysis.years)
    joined = join_to_regions(table, regions, allow_unmatched=config.data.allow_unmatched,
                             code_system=config.data.region_code_system, harmonize=config.data.harmonize)
    regions = joined.regions  # harmonised units dissolved, if any
    progress.note(joined.report.to_text().replace("\n", "\n      "))

    progress.step(f"computing indicators for {len(sectors)} sectors")
    codes = regions["region_code"].tolist()
    results = compute_indicators(joined.sectors, joined.totals, codes, sectors, config.analysis.years)

    progress.step(f"building spatial weights ({config.weights.spec}, islands: {config.weights.islands})")
    weights = build_weights(regions, config.weights.spec, island_policy=config.weights.islands)
    report = weights.report
    progress.note(f"{report.components} components, {len(report.islands)} islands, mean {report.mean_neighbors:.2f} neighbours")

    values = _test_matrix(results, codes, sectors, config.analysis.variable)
    stats = config.statistics
    progress.step(f"global Moran's I ({stats.permutations} permutations)")
    moran = _global_moran_table(global_moran(weights.w, values, permutations=stats.permutations, seed=stats.seed), sectors, config)

    progress.step(f"local Moran's I and Getis-Ord Gi* ({stats.permutations} permutations, FDR {stats.fdr})")
    local = local_statistics(
        weights.w, values, permutations=stats.permutations, seed=stats.seed, alternative=stats.alternative,
        fdr=stats.fdr, fdr_scope=stats.fdr_scope, alpha=stats.alpha, star=True, progress=progress.bar("permutations"),
    )
    results = _attach_local(results, local.to_frame([s.field_prefix for s in sectors], index=codes), sectors)

    progress.step(f"marking promising cluster locations ({', '.join(config.rules.presets)})")
    results = apply_rules(results, config.rules)
    concentration = concentration_table(results, sectors, config.analysis.years)
    return RunResult(config, regions, sectors, results, moran, concentration, weights, joined.report, float(local.min_p),
                     config.uses_demo_data, inputs)


def load_regions(config: AnalysisConfig) -> gpd.GeoDataFrame:
    """The region polygons in EPSG:5179 with a text ``region_code`` column."""
    if config.data.boundaries == BUNDLED:
        regions = boundaries.load_bundled_regions(config.data.boundary_layer)
        regions.attrs["source"] = f"bundled {boundaries.BUNDLED_BOUNDARIES} ({config.data.boundary_layer})"
        return regions
    layer = None if config.data.boundary_layer == "sigungu" else config.data.boundary_layer
    regions = read_boundary_file(config.data.boundaries, layer=layer, source_crs=config.data.boundary_crs or None,
                                 encoding=config.data.boundary_encoding or None)
    return regions


def _input_paths(config: AnalysisConfig) -> dict[str, Path]:
    def resolve(value: str, bundled_file: str) -> Path:
        return data_path("demo", bundled_file) if value == BUNDLED_DEMO else Path(value)

    return {
        "sectors": resolve(config.data.sectors, demo.SECTOR_FILE),
        "totals": resolve(config.data.totals, demo.TOTALS_FILE),
    }


def _test_matrix(results: pd.DataFrame, codes: list[str], sectors: tuple[Sector, ...], variable: str) -> np.ndarray:
    """Region x sector matrix of the tested variable (NaN where undefined)."""
    table = results.pivot(index="region_code", columns="ksic", values=variable)
    return table.reindex(index=codes, columns=[s.ksic for s in sectors]).to_numpy(dtype=float)


def _attach_local(results: pd.DataFrame, local: pd.DataFrame, sectors: tuple[Sector, ...]) -> pd.DataFrame:
    frames = []
    for sector in sectors:
        prefix = sector.field_prefix
        part = local[[f"{prefix}_{f}" for f in LOCAL_FIELDS]].copy()
        part.columns = LOCAL_FIELDS
        part["region_code"] = local.index.astype(str)
        part["ksic"] = sector.ksic
        frames.append(part)
    return results.merge(pd.concat(frames, ignore_index=True), on=["region_code", "ksic"], how="left", validate="one_to_one")


def _global_moran_table(results: list[GlobalMoranResult], sectors: tuple[Sector, ...], config: AnalysisConfig) -> pd.DataFrame:
    rows = []
    for sector, result in zip(sectors, results):
        rows.append({
            "ksic": sector.ksic, "sector": sector.name_en, "kind": sector.kind, "variable": config.analysis.variable,
            "moran_i": result.I, "expected_i": result.expected_i, "z_rand": result.z_rand, "p_rand": result.p_rand,
            "p_sim": result.p_sim, "n": result.n,
        })
    return pd.DataFrame(rows)
