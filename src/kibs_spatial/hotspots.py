"""LISA and Gi* on any polygon layer: the engine behind ``kibs-spatial hotspots``.

Reads a GeoPackage, shapefile or GeoJSON layer, builds the weights, tests every requested
numeric column at once and writes the layer with the result fields (``c_lisa_i`` … ``c_gi_bin``)
and a ``run_metadata`` table (parameters, seed, library versions, input file hash).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .boundary_files import read_boundary_file
from .config import StatisticsConfig, WeightsConfig
from .errors import InputError
from .outputs import TARGET_CRS, write_geopackage
from .provenance import file_sha256, metadata_table, software_versions
from .qgis_styles import hotspot_styles, write_layer_styles
from .statistics import global_moran, local_statistics
from .weights import ConnectivityReport, build_weights


@dataclass(frozen=True)
class HotspotSettings:
    weights: WeightsConfig = field(default_factory=WeightsConfig)
    statistics: StatisticsConfig = field(default_factory=StatisticsConfig)
    crs: str = TARGET_CRS
    input_crs: str | None = None  # CRS of an input file that has none (e.g. a shapefile without .prj)


@dataclass(frozen=True)
class HotspotResult:
    layer: gpd.GeoDataFrame  # input attributes + result fields per column
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


def run_hotspots(
    path: str | Path, columns: list[str], settings: HotspotSettings = HotspotSettings(), *,
    layer: str | None = None, id_field: str | None = None, progress=None,
) -> HotspotResult:
    """Test ``columns`` of the polygon layer at ``path`` for local spatial autocorrelation."""
    regions = read_boundary_file(path, layer=layer, id_column=id_field, target_crs=settings.crs, source_crs=settings.input_crs)
    id_field = id_field or "feature_id"
    values = _numeric_columns(regions, columns, path)
    built = build_weights(regions, settings.weights.spec, id_column=id_field, island_policy=settings.weights.islands)
    stats = settings.statistics
    local = local_statistics(
        built.w, values, permutations=stats.permutations, seed=stats.seed, alternative=stats.alternative,
        fdr=stats.fdr, fdr_scope=stats.fdr_scope, alpha=stats.alpha, star=True, progress=progress,
    )
    fields = local.to_frame(columns, index=regions.index)
    layer_out = gpd.GeoDataFrame(pd.concat([regions.drop(columns="geometry"), fields], axis=1), geometry=regions.geometry, crs=regions.crs)
    moran = pd.DataFrame([
        {"column": c, "moran_i": r.I, "expected_i": r.expected_i, "z_rand": r.z_rand, "p_rand": r.p_rand, "p_sim": r.p_sim, "n": r.n}
        for c, r in zip(columns, global_moran(built.w, values, permutations=stats.permutations, seed=stats.seed))
    ])
    metadata = _metadata(Path(path), layer, id_field, columns, settings, built.report, float(local.min_p), regions.attrs.get("repaired", 0))
    return HotspotResult(layer_out, list(columns), built.report, moran, metadata)


def write_hotspots(result: HotspotResult, output: str | Path, layer_name: str = "hotspots") -> Path:
    """Write the result layer, the global Moran table and the run metadata into one GeoPackage.

    The layer gets a QGIS style per column (LISA, Gi*), the first column's LISA as default.
    """
    return write_geopackage(output, {
        layer_name: result.layer,
        "global_moran": result.global_moran,
        "run_metadata": metadata_table(result.metadata),
    }, lambda tmp: write_layer_styles(tmp, hotspot_styles(layer_name, result.columns)))


def _numeric_columns(regions: gpd.GeoDataFrame, columns: list[str], path: str | Path) -> np.ndarray:
    if not columns:
        raise InputError("name at least one column to test with --columns a,b")
    missing = [c for c in columns if c not in regions.columns]
    if missing:
        raise InputError(f"{path}: no column {', '.join(map(repr, missing))}; the layer has {', '.join(map(str, regions.columns))}")
    matrix = []
    for c in columns:
        numbers = pd.to_numeric(regions[c], errors="coerce")
        bad = numbers.isna() & regions[c].notna()
        if bad.any():
            row = regions.index[bad][0]
            raise InputError(f"{path}, feature {row + 1}, column {c}: value {regions[c][row]!r} is not a number")
        matrix.append(numbers.to_numpy(dtype=float))
    return np.column_stack(matrix)


def _metadata(path: Path, layer, id_field, columns, settings: HotspotSettings, report: ConnectivityReport, min_p: float, repaired: int) -> dict:
    return {
        **software_versions(),
        "run_at_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "input": str(path),
        "input_sha256": file_sha256(path) if path.is_file() else "",
        "input_layer": layer or "",
        "id_field": id_field,
        "columns": ",".join(columns),
        "setting_weights": settings.weights.spec,
        "setting_islands": settings.weights.islands,
        "setting_crs": settings.crs,
        **{f"setting_{k}": v for k, v in asdict(settings.statistics).items()},
        "minimum_p": min_p,
        "weights_components": report.components,
        "weights_islands": ",".join(report.islands),
        "geometries_repaired": repaired,
        "gi_variant": "Gi* (focal unit included)",
        "lisa_weights": "row-standardised weight values",
    }
