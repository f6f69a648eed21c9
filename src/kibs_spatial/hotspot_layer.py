"""LISA and Gi* on any polygon layer: the engine behind ``kibs-spatial hotspots`` and ``kibs_spatial.hotspots``.

:func:`run_hotspots` reads a GeoPackage, shapefile or GeoJSON layer; :func:`analyse_layer` takes a layer
already in memory (and, optionally, weights already built). Both build the weights and test every
requested numeric column at once; the result (the layer with ``c_lisa_i`` … ``c_gi_bin`` per column, the
global Moran table and the run metadata) is written by ``outputs.hotspots.write_hotspots``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .analysis.settings import StatisticsConfig, WeightsConfig
from .analysis.statistics import global_moran, local_statistics, moran_table
from .analysis.weights import ConnectivityReport, RegionWeights, build_weights
from .crs import PROJECTED_CRS
from .errors import InputError
from .io.boundary_files import read_boundary_file
from .provenance import file_sha256, inference_metadata, stamp
from .result import HotspotResult


@dataclass(frozen=True)
class HotspotSettings:
    weights: WeightsConfig = field(default_factory=WeightsConfig)
    statistics: StatisticsConfig = field(default_factory=StatisticsConfig)
    crs: str = PROJECTED_CRS
    input_crs: str | None = None  # CRS of an input file that has none (e.g. a shapefile without .prj)


def run_hotspots(
    path: str | Path, columns: list[str], settings: HotspotSettings = HotspotSettings(), *,
    layer: str | None = None, id_field: str | None = None, progress=None, timings: dict[str, float] | None = None,
) -> HotspotResult:
    """Test ``columns`` of the polygon layer at ``path`` for local spatial autocorrelation.

    ``timings``, when given, receives the wall seconds of each phase: ``read``, ``weights``, ``statistics``."""
    clock = _Clock(timings)
    regions = read_boundary_file(path, layer=layer, id_column=id_field, target_crs=settings.crs, source_crs=settings.input_crs)
    path = Path(path)
    source = {"input": str(path), "input_sha256": file_sha256(path) if path.is_file() else "", "input_layer": layer or ""}
    clock.lap("read")
    return analyse_layer(regions, columns, settings, id_field or "feature_id", source=source, where=str(path),
                         progress=progress, timings=timings)


def analyse_layer(
    regions: gpd.GeoDataFrame, columns: list[str], settings: HotspotSettings, id_field: str, *,
    weights: RegionWeights | None = None, source: dict[str, object] | None = None, where: str = "the layer",
    progress=None, timings: dict[str, float] | None = None,
) -> HotspotResult:
    """Test ``columns`` of ``regions`` (a projected layer with a unique ``id_field``); ``weights``, when
    given, are used instead of building ``settings.weights`` (their ``w.id_order`` must follow the rows).

    The statistics read the weights' sparse graph (``RegionWeights.graph``): no libpysal W is made.
    ``timings``, when given, receives the wall seconds of ``weights`` and ``statistics``."""
    clock = _Clock(timings)
    values = _numeric_columns(regions, columns, where)
    built = weights or build_weights(regions, settings.weights.spec, id_column=id_field,
                                     island_policy=settings.weights.islands)
    clock.lap("weights")
    stats = settings.statistics
    local = local_statistics(
        built.graph, values, permutations=stats.permutations, seed=stats.seed, alternative=stats.alternative,
        fdr=stats.fdr, fdr_scope=stats.fdr_scope, alpha=stats.alpha, star=True, progress=progress,
        sequential=stats.sequential,
    )
    fields = local.to_frame(columns, index=regions.index)
    kept = {c: regions[c] for c in regions.columns if c != regions.geometry.name}
    columns_out = {**kept, **fields, "geometry": regions.geometry}
    layer_out = gpd.GeoDataFrame(columns_out, geometry="geometry", crs=regions.crs, copy=False)  # no block copies
    moran = moran_table(global_moran(built.graph, values, permutations=stats.permutations, seed=stats.seed))
    moran.insert(0, "column", list(columns))
    metadata = _metadata(source or {"input": where}, id_field, columns, settings, built.report, float(local.min_p),
                         regions.attrs.get("repaired", 0))
    clock.lap("statistics")
    return HotspotResult(layer_out, list(columns), built.report, moran, metadata)


class _Clock:
    """Adds the wall seconds since the last lap to ``timings[phase]`` (nothing when ``timings`` is None)."""

    def __init__(self, timings: dict[str, float] | None):
        self.timings, self.start = timings, time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self.start
        self.start = now


def _numeric_columns(regions: gpd.GeoDataFrame, columns: list[str], where: str) -> np.ndarray:
    if not columns:
        raise InputError("name at least one column to test with --columns a,b")
    missing = [c for c in columns if c not in regions.columns]
    if missing:
        raise InputError(f"{where}: no column {', '.join(map(repr, missing))}; the layer has {', '.join(map(str, regions.columns))}")
    matrix = []
    for c in columns:
        numbers = pd.to_numeric(regions[c], errors="coerce")
        bad = numbers.isna() & regions[c].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{where}, feature {row + 1}, column {c}: value {regions[c].iloc[row]!r} is not a number")
        matrix.append(numbers.to_numpy(dtype=float))
    return np.column_stack(matrix)


def _metadata(source: dict[str, object], id_field, columns, settings: HotspotSettings, report: ConnectivityReport,
              min_p: float, repaired: int) -> dict:
    return {
        **stamp(),
        "input": "",
        "input_sha256": "",
        "input_layer": "",
        **source,
        "id_field": id_field,
        "columns": ",".join(columns),
        "crs": settings.crs,
        **inference_metadata(settings.weights, settings.statistics, report, min_p),
        "geometries_repaired": repaired,
        "lisa_weights": "row-standardised weight values",
    }
