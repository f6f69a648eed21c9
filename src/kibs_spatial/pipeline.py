"""The whole analysis, stage by stage: read (``io``), compute (``analysis``), return one result.

It only wires the stages together; every number a writer shows is computed here, once.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .analysis.clusters import apply_rules
from .analysis.concentration import concentration_table
from .analysis.contrast import gangnam_area, gangnam_contrast, kind_lq
from .analysis.counts import summarize
from .analysis.indicators import compute_indicators
from .analysis.sectors import KINDS, Sector, get_sectors
from .analysis.settings import BUNDLED, BUNDLED_DEMO, AnalysisConfig
from .analysis.statistics import (
    GlobalMoranResult,
    global_moran,
    local_statistics,
    moran_table,
)
from .analysis.weights import build_weights
from .fields import LOCAL_FIELDS, LONG, REGION_FIELDS, column_order
from .io import boundaries, demo
from .io.boundary_files import read_boundary_file
from .io.join import join_to_regions
from .io.sector_table import read_sector_table
from .progress import SILENT, Progress
from .provenance import BOUNDARY_ATTRIBUTION, file_sha256, inference_metadata, stamp
from .resources import data_path
from .result import AnalysisResult, DataSource

STEPS = 8


def run_analysis(config: AnalysisConfig, progress: Progress = SILENT) -> AnalysisResult:
    """Load, join, compute indicators, weights and tests, apply the rule presets, contrast and count."""
    sectors = get_sectors(list(config.analysis.sectors) if config.analysis.sectors else None)
    progress.step("loading boundaries")
    regions = load_regions(config)
    progress.note(f"{len(regions)} units from {regions.attrs.get('source', config.data.boundaries)}")

    progress.step("reading and joining the sector data")
    data = data_source(config)
    table = read_sector_table(data.inputs["sectors"], data.inputs["totals"], config.analysis.years)
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
    moran = global_moran(weights.w, values, permutations=stats.permutations, seed=stats.seed)

    progress.step(f"local Moran's I and Getis-Ord Gi* ({stats.permutations} permutations, FDR {stats.fdr})")
    local = local_statistics(
        weights.w, values, permutations=stats.permutations, seed=stats.seed, alternative=stats.alternative,
        fdr=stats.fdr, fdr_scope=stats.fdr_scope, alpha=stats.alpha, star=True, progress=progress.bar("permutations"),
    )
    local_table = pd.DataFrame({
        "region_code": np.tile(codes, len(sectors)), "ksic": np.repeat([s.ksic for s in sectors], len(codes)),
        **{name: getattr(local, name).T.ravel() for name in LOCAL_FIELDS},
    })
    results = results.merge(local_table, on=["region_code", "ksic"], how="left", validate="one_to_one")

    progress.step(f"marking promising cluster locations ({', '.join(config.rules.presets)})")
    results = _long_table(apply_rules(results, config.rules), regions, sectors)

    progress.step("comparing the Gangnam area with outlying areas")
    area_codes = tuple(config.contrast.area)
    area = gangnam_area(regions, area_codes) if set(area_codes) <= set(regions["region_code"]) else None
    contrast = (gangnam_contrast(regions, results, sectors, area, tuple(float(r) for r in config.contrast.radii_km))
                if area is not None else None)
    return AnalysisResult(
        config=config, regions=regions,
        sido=boundaries.load_bundled_sido() if config.data.boundaries == BUNDLED else None,
        sectors=sectors, table=results,
        global_moran=_sector_table(moran_table(moran), sectors, variable=config.analysis.variable),
        concentration=concentration_table(results, sectors, config.analysis.years),
        scatter=_scatter_table(moran, codes, sectors),
        weights=weights, join_report=joined.report, area=area, contrast=contrast,
        kinds=tuple(kind_lq(regions, results, sectors, kind, area_codes if area is not None else ()) for kind in KINDS),
        counts=summarize(results, sectors, config.rules), data=data, min_p=float(local.min_p),
        metadata=run_metadata(config, regions, sectors, weights, joined.report, data, float(local.min_p)),
    )


def load_regions(config: AnalysisConfig) -> gpd.GeoDataFrame:
    """The region polygons in EPSG:5179 with a text ``region_code`` column."""
    if config.data.boundaries == BUNDLED:
        regions = boundaries.load_bundled_regions(config.data.boundary_layer)
        regions.attrs["source"] = f"bundled {boundaries.BUNDLED_BOUNDARIES} ({config.data.boundary_layer})"
        return regions
    layer = None if config.data.boundary_layer == "sigungu" else config.data.boundary_layer
    return read_boundary_file(config.data.boundaries, layer=layer, source_crs=config.data.boundary_crs or None,
                              encoding=config.data.boundary_encoding or None)


def data_source(config: AnalysisConfig) -> DataSource:
    """The input files of the run and how the outputs name their origin."""
    def resolve(value: str, bundled_file: str) -> Path:
        return data_path("demo", bundled_file) if value == BUNDLED_DEMO else Path(value)

    inputs = {"sectors": resolve(config.data.sectors, demo.SECTOR_FILE), "totals": resolve(config.data.totals, demo.TOTALS_FILE)}
    synthetic = config.uses_demo_data
    return DataSource(synthetic, "SYNTHETIC demo data (not real statistics)" if synthetic else inputs["sectors"].name, inputs)


def run_metadata(config: AnalysisConfig, regions: gpd.GeoDataFrame, sectors: tuple[Sector, ...], weights,
                 join_report, data: DataSource, min_p: float) -> dict[str, object]:
    """Every parameter, the seed, library versions, input files and their hashes, the synthetic flag."""
    meta: dict[str, object] = {
        **stamp(),
        "synthetic": data.synthetic,
        "data_note": data.notice or "user data",
        "config_source": config.source,
        "boundaries": regions.attrs.get("source", config.data.boundaries),
        "boundary_attribution": BOUNDARY_ATTRIBUTION,
        "units": len(regions),
        "sectors": ",".join(s.ksic for s in sectors),
        "years": ",".join(map(str, config.analysis.years)),
        "tested_variable": config.analysis.variable,
        **inference_metadata(config.weights, config.statistics, weights.report, min_p),
        "join_rows_matched": join_report.matched,
        "join_rows_rejected": join_report.rejected,
        "harmonized_units": "; ".join(join_report.harmonized),
        "boundary_geometries_repaired": join_report.repaired_geometries,
    }
    meta.update({f"data_{k}": v for k, v in vars(config.data).items()})
    meta.update({f"contrast_{k}": ",".join(map(str, v)) if isinstance(v, tuple) else v
                 for k, v in vars(config.contrast).items()})
    meta.update({f"rules_{k}": v for k, v in config.rules.as_dict().items()})
    meta["rule"] = config.rules.describe()
    meta.update({f"rule_{rule.name}": rule.describe() for rule in config.rules.applied()})
    for name, path in data.inputs.items():
        meta[f"input_{name}"] = str(path)
        meta[f"input_{name}_sha256"] = file_sha256(path)
    return meta


def _test_matrix(results: pd.DataFrame, codes: list[str], sectors: tuple[Sector, ...], variable: str) -> np.ndarray:
    """Region x sector matrix of the tested variable (NaN where undefined)."""
    table = results.pivot(index="region_code", columns="ksic", values=variable)
    return table.reindex(index=codes, columns=[s.ksic for s in sectors]).to_numpy(dtype=float)


def _sector_columns(sectors: tuple[Sector, ...]) -> pd.DataFrame:
    return pd.DataFrame({"ksic": [s.ksic for s in sectors], "sector": [s.name_en for s in sectors],
                         "sector_ko": [s.name_ko for s in sectors], "kind": [s.kind for s in sectors]})


def _long_table(results: pd.DataFrame, regions: gpd.GeoDataFrame, sectors: tuple[Sector, ...]) -> pd.DataFrame:
    """The results with the region's names and flags and the sector's names and kind, in registry order."""
    names = pd.DataFrame(regions[list(REGION_FIELDS)])
    table = names.merge(results, on="region_code").merge(_sector_columns(sectors), on="ksic")
    return table[column_order(table.columns, LONG)]


def _sector_table(frame: pd.DataFrame, sectors: tuple[Sector, ...], **extra) -> pd.DataFrame:
    """One row per sector: ``ksic``, ``sector``, ``kind``, ``extra`` columns, then ``frame``'s."""
    head = _sector_columns(sectors).drop(columns="sector_ko").assign(**extra)
    return pd.concat([head, frame.reset_index(drop=True)], axis=1)


def _scatter_table(moran: list[GlobalMoranResult], codes: list[str], sectors: tuple[Sector, ...]) -> pd.DataFrame:
    """The Moran scatterplot points of each sector: units with a value (``lag`` NaN without a neighbour)."""
    frame = pd.DataFrame({
        "ksic": np.repeat([s.ksic for s in sectors], len(codes)), "region_code": np.tile(codes, len(sectors)),
        "z": np.concatenate([m.z for m in moran]), "lag": np.concatenate([m.lag for m in moran]),
    })
    return frame[frame["z"].notna()].reset_index(drop=True)
