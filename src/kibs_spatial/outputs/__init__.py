"""Write a run's deliverables from its result: the GeoPackage, CSV tables, the GAL graph, the report,
the HTML maps, the rasters and the summary. Every writer renders :class:`~kibs_spatial.result.AnalysisResult`
and computes nothing of the analysis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..fields import (
    AREA,
    CONCENTRATION,
    JOIN,
    LONG,
    LONG_TABLE,
    METADATA,
    MORAN,
    PROMISING,
    REGION_FIELDS,
    REGIONS,
    REGISTRY,
    SIDO,
    WIDE_FIELDS,
)
from ..files import write_csv, write_text
from ..result import AnalysisResult
from .geopackage import add_spatial_view, write_field_table, write_geopackage
from .tables import (
    EMERGING_LAYER,
    EMERGING_TABLE,
    emerging_span,
    emerging_table,
    metadata_table,
    space_time_table,
    write_gal,
)


@dataclass(frozen=True)
class WrittenOutputs:
    geopackage: Path
    tables: list[Path]
    maps: list[Path]
    weights: Path
    summary: Path
    report: Path
    rasters: list[Path]

    def all(self) -> list[Path]:
        return [self.geopackage, *self.tables, *self.maps, self.weights, self.summary, self.report, *self.rasters]


def write_outputs(result: AnalysisResult) -> WrittenOutputs:
    # imported here: folium, matplotlib and rasterio take a second, which `hotspots` (outputs.hotspots) never needs
    from .maps import write_maps
    from .rasters import write_sector_rasters
    from .report import write_report
    from .summary_text import format_summary

    out = Path(result.config.output.dir)
    suffix = result.data.suffix
    attributes = registry_integers(result.table)
    latest = attributes[attributes["period"] == result.last_period]
    promising = latest[latest["promising"]].reset_index(drop=True)
    layers = {
        REGIONS: wide_layer(result),
        LONG_TABLE: attributes,  # + view "sector_results" in _finish_geopackage
        PROMISING: _with_geometry(promising, result.regions),
        MORAN: _with_source(result.global_moran, result),
        CONCENTRATION: _with_source(result.concentration, result),
        JOIN: result.join_report.rows,
        METADATA: metadata_table(result.metadata),
    }
    if result.area is not None:
        layers[AREA] = result.area
    if result.sido is not None:
        layers[SIDO] = result.sido
    emerging = emerging_table(result)  # None without emerging hot spots; + view "emerging_hotspots"
    if emerging is not None:
        layers[EMERGING_TABLE] = emerging
    target = out / f"kibs_clusters{suffix}.gpkg"
    geopackage = write_geopackage(target, layers, lambda tmp: _finish_geopackage(tmp, result, target.name))
    tables = [
        write_csv(out / f"indicators{suffix}.csv", _with_source(attributes, result)),
        write_csv(out / f"promising_locations{suffix}.csv", _with_source(promising, result)),
        write_csv(out / f"global_moran{suffix}.csv", layers[MORAN]),
        write_csv(out / f"sector_concentration{suffix}.csv", layers[CONCENTRATION]),
        write_csv(out / f"join_report{suffix}.csv", layers[JOIN]),
        write_text(out / f"weights_report{suffix}.json", result.weights.report.to_json() + "\n"),
        write_text(out / f"run_metadata{suffix}.json",
                   json.dumps(result.metadata, ensure_ascii=False, indent=2, default=str) + "\n"),
    ]
    if result.contrast is not None:
        tables.append(write_csv(out / f"gangnam_contrast{suffix}.csv", _with_source(result.contrast.to_frame(), result)))
    space_time = space_time_table(result)
    if space_time is not None:
        tables.append(write_csv(out / f"space_time_gi{suffix}.csv", space_time))
    maps_dir = Path(result.config.output.maps_dir)
    files = _deliverables(result, out, geopackage, tables)
    report = write_report(result, out / f"report{suffix}.html", maps_index=maps_dir / "index.html", deliverables=files)
    maps = write_maps(result, maps_dir, report=report, deliverables=files)
    rasters = write_sector_rasters(result, out / "rasters") if result.config.output.rasters else []
    gal = write_gal(result.weights.w, out / f"weights{suffix}.gal")
    summary = write_text(out / f"summary{suffix}.txt", format_summary(result) + "\n")
    return WrittenOutputs(geopackage, tables, maps, gal, summary, report, rasters)


def registry_integers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the registry's integer fields that are floats only because some rows have no value (the
    emerging hot spot pattern code and counts exist on the last period's rows only) as nullable integers, so
    that the GeoPackage stores them as integers (empty where missing) and the CSV writes ``2``, not ``2.0``."""
    casts = {}
    for column in frame.columns:
        if column in REGISTRY and REGISTRY[column].dtype == "integer" and frame[column].dtype.kind == "f":
            values = frame[column].dropna()
            if (values == values.round()).all():
                casts[column] = "Int64"
    return frame.astype(casts) if casts else frame


def _deliverables(result: AnalysisResult, out: Path, geopackage: Path, tables: list[Path]) -> list[tuple[str, Path]]:
    """The files the report and the maps' index link to, with what each one is for."""
    by_stem = {path.name.removesuffix(path.suffix).removesuffix(result.data.suffix): path for path in tables}
    files = [("GeoPackage for QGIS: every layer styled, field aliases, and a ready QGIS project inside "
              "(Project > Open From > GeoPackage)", geopackage)]
    for stem, text in (("indicators", "every indicator and test result, one row per unit, sector and period (CSV)"),
                       ("promising_locations", "the promising cluster locations (CSV)"),
                       ("global_moran", "global Moran's I per sector and period (CSV)"),
                       ("gangnam_contrast", "the Gangnam contrast measures per sector (CSV)"),
                       ("space_time_gi", "space-time Gi* of every unit, sector and period: z, p, q and hot/cold bin, "
                                         "from which the emerging hot spot patterns are classified (CSV)"),
                       ("run_metadata", "every setting of the run, input file hashes and versions (JSON)")):
        if stem in by_stem:
            files.append((text, by_stem[stem]))
    if result.config.output.rasters:
        files.append(("1 km rasters per sector (Cloud-Optimized GeoTIFF, with QGIS styles beside them)", out / "rasters"))
    return files


def wide_layer(result: AnalysisResult) -> gpd.GeoDataFrame:
    """One row per unit, every sector's fields of the last period side by side (``s732_lq``)."""
    latest = result.latest()
    wide = result.regions[[c for c in REGION_FIELDS if c in result.regions.columns] + ["geometry"]].copy()
    present = [c for c in WIDE_FIELDS if c in latest.columns]
    for sector in result.sectors:
        part = latest[latest["ksic"] == sector.ksic].set_index("region_code")[present]
        part.columns = [f"{sector.field_prefix}_{c}" for c in present]
        wide = wide.merge(part, left_on="region_code", right_index=True, how="left")
    return gpd.GeoDataFrame(wide, geometry="geometry", crs=result.regions.crs)


def _finish_geopackage(path: Path, result: AnalysisResult, file_name: str) -> None:
    """The long layer and the emerging hot spots as views (geometry stored once), then the field table, the QGIS
    styles and the QGIS project (its layer sources name ``file_name``, the GeoPackage once renamed into place)."""
    from .qgis_project import unique_name_overrides, write_qgis_project
    from .qgis_styles import run_styles, write_layer_styles

    add_spatial_view(path, LONG, LONG_TABLE, REGIONS, "region_code")
    if result.emerging is not None:
        add_spatial_view(path, EMERGING_LAYER, EMERGING_TABLE, REGIONS, "region_code")
    sector_names = {s.field_prefix: f"{s.name_en} (KSIC {s.ksic})" for s in result.sectors}
    write_field_table(path, sector_names)
    write_layer_styles(path, run_styles(result.sectors, result.last_period, unique_name_overrides(result),
                                        emerging_span(result)), sector_names)
    write_qgis_project(path, file_name, result, sector_names)


def _with_geometry(rows: pd.DataFrame, regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    table = rows.merge(regions[["region_code", "geometry"]], on="region_code", how="left")
    return gpd.GeoDataFrame(table, geometry="geometry", crs=regions.crs)


def _with_source(frame: pd.DataFrame, result: AnalysisResult) -> pd.DataFrame:
    return frame.assign(data_source=result.data.label)
