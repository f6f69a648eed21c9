"""The whole analysis, stage by stage: read (``io``), compute (``analysis``), return one result.

It only wires the stages together; every number a writer shows is computed here, once.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .analysis.clusters import (
    ESTABLISHMENTS,
    GROWTH,
    LQ_TREND,
    apply_rules,
    unavailable_criteria,
)
from .analysis.concentration import concentration_table
from .analysis.contrast import gangnam_area, gangnam_contrast, kind_lq
from .analysis.counts import summarize
from .analysis.distributed import broadcast, check_scheduler, connect, global_moran_on, local_statistics_on
from .analysis.emerging import EmergingHotspots, emerging_hotspots
from .analysis.indicators import compute_indicators
from .analysis.periods import Period, order_periods
from .analysis.robustness import Robustness, robustness, specifications
from .analysis.sectors import (
    KINDS,
    Sector,
    check_data_codes,
    resolve_sectors,
    revision_link_notes,
    sector_values,
)
from .analysis.settings import (
    ALL,
    AUTO,
    BUNDLED,
    BUNDLED_DEMO,
    BUNDLED_VINTAGES,
    AnalysisConfig,
)
from .analysis.statistics import (
    GlobalMoranResult,
    global_moran,
    local_statistics,
    moran_table,
)
from .analysis.weights import build_weights
from .defaults import DEFAULT_WEIGHTS
from .errors import InputError
from .fields import LOCAL_FIELDS, LONG, REGION_FIELDS, column_order
from .io import boundaries, demo, emd
from .io.boundary_files import read_boundary_file
from .io.join import join_to_regions
from .io.sector_table import SectorTable, read_sector_table, select_periods
from .progress import SILENT, Progress
from .provenance import file_sha256, inference_metadata, stamp
from .reference import ksic
from .resources import data_path
from .result import AnalysisResult, DataSource

STEPS = 8


def steps(config: AnalysisConfig) -> int:
    """How many steps :func:`run_analysis` announces (one more each with emerging hot spots and robustness)."""
    return STEPS + int(config.emerging.enabled) + int(config.robustness.enabled)


def run_analysis(config: AnalysisConfig, progress: Progress = SILENT, *, table: SectorTable | None = None,
                 regions: gpd.GeoDataFrame | None = None, scheduler: str | None = None) -> AnalysisResult:
    """Read, join, compute indicators, weights and tests per sector and period, apply the rule presets,
    compare the Gangnam area, count.

    ``table`` and ``regions`` (data already in memory, from the Python API) replace reading the sector
    and totals files and the boundaries; an in-memory table is user data with no input file to hash.
    ``scheduler`` (``local:N`` or ``tcp://host:port``) runs global Moran and the local statistics on a
    Dask cluster (analysis/distributed.py), with the same results."""
    if scheduler is not None:
        check_scheduler(scheduler)
    progress.step("reading the sector data")
    data = data_source(config) if table is None else DataSource(False, table.sectors_path.name, {})
    table = read_sector_table(data.inputs["sectors"], data.inputs["totals"]) if table is None else table
    periods = analysis_periods(table, config)
    table = select_periods(table, [p.label for p in periods])
    revision_of = ksic_revisions(periods, config)
    check_data_codes(table.sectors, revision_of, table.sectors_path)
    sectors = run_sectors(config, table, revision_of)
    progress.note(f"{len(table.sectors) + len(table.totals)} rows, {len(periods)} period(s) "
                  f"({', '.join(p.label for p in periods)}), {len(sectors)} sector(s), KSIC revision(s) "
                  f"{', '.join(map(str, sorted(set(revision_of.values()))))}")

    progress.step("loading boundaries and joining the data to them")
    regions = load_regions(config, periods) if regions is None else regions
    progress.note(f"{len(regions)} units from {regions.attrs.get('source', config.data.boundaries)}")
    joined = _join(table, regions, config, periods)
    regions = joined.regions  # harmonised units dissolved, if any
    values = sector_values(joined.sectors, sectors, revision_of)
    link_notes = revision_link_notes(sectors, sorted(set(revision_of.values())), config.data.accept_partial_ksic_links)
    report = replace(joined.report, rows=_with_sectors(joined.report.rows, values.fed))
    progress.note(report.to_text().replace("\n", "\n      "))

    progress.step(f"computing indicators for {len(sectors)} sectors x {len(periods)} period(s)")
    codes = regions["region_code"].tolist()
    results = compute_indicators(values.values, joined.totals, codes, sectors, periods)

    spec = weights_spec(config, regions)
    progress.step(f"building spatial weights ({spec}, islands: {config.weights.islands})")
    weights = build_weights(regions, spec, island_policy=config.weights.islands)
    connectivity = weights.report
    progress.note(f"{connectivity.components} components, {len(connectivity.islands)} islands, "
                  f"mean {connectivity.mean_neighbors:.2f} neighbours")

    columns = [(s.ksic, p.label) for s in sectors for p in periods]
    matrix = _test_matrix(results, codes, columns, config.analysis.variable)
    moran, local = _permutation_tests(config, weights.graph, matrix, progress, scheduler)
    results = results.merge(_per_column(codes, columns, {name: getattr(local, name) for name in LOCAL_FIELDS}),
                            on=["region_code", "ksic", "period"], how="left", validate="one_to_one")
    emerging = None
    if config.emerging.enabled:
        emerging = _emerging(config, weights.graph, matrix, results, codes, columns, sectors, periods, progress)
        if emerging is not None:
            results = _with_emerging(results, emerging, periods[-1].label)

    progress.step(f"marking promising cluster locations ({', '.join(config.rules.presets)})")
    results = apply_rules(results, config.rules, first_period=periods[0].label,
                          establishments=table.has_establishments)
    results = _long_table(results, regions, sectors)
    stability = None
    if config.robustness.enabled:
        progress.step(f"robustness: {len(specifications(config, spec))} specifications, one choice changed at a time")
        stability = robustness(results[results["period"] == periods[-1].label], regions, config, spec, periods[0].label,
                               table.has_establishments, progress.bar("specifications"), emerging,
                               _cube(matrix, codes, sectors, periods) if emerging is not None else None)
        results = _with_stability(results, stability, periods[-1].label)

    progress.step("comparing the Gangnam area with outlying areas")
    last = results[results["period"] == periods[-1].label]
    area_codes = tuple(config.contrast.area)
    area = gangnam_area(regions, area_codes) if set(area_codes) <= set(regions["region_code"]) else None
    contrast = (gangnam_contrast(regions, last, sectors, area, tuple(float(r) for r in config.contrast.radii_km))
                if area is not None and set(KINDS) <= {s.kind for s in sectors} else None)
    missing = {i for i, absent in ((GROWTH, len(periods) == 1), (ESTABLISHMENTS, not table.has_establishments),
                                   (LQ_TREND, emerging is None)) if absent}
    notes = (*unavailable_criteria(config.rules, missing), *link_notes)
    return AnalysisResult(
        config=config, regions=regions, sido=_sido(regions), sectors=sectors, periods=periods, table=results,
        global_moran=_column_table(moran_table(moran), sectors, periods, variable=config.analysis.variable),
        concentration=concentration_table(results, sectors, periods),
        scatter=_scatter_table(moran, codes, columns),
        weights=weights, join_report=report, area=area, contrast=contrast,
        kinds=tuple(kind_lq(regions, last, sectors, kind, area_codes if area is not None else ()) for kind in KINDS),
        counts=summarize(last, sectors, config.rules), data=data, min_p=float(local.min_p), notes=notes,
        robustness=stability, emerging=emerging,
        metadata=run_metadata(config, regions, sectors, periods, spec, weights, report, data, table.units,
                              float(local.min_p), notes),
    )


def _permutation_tests(config: AnalysisConfig, w, matrix: np.ndarray, progress: Progress, scheduler: str | None):
    """Global Moran and the local statistics of every column, here or on the ``scheduler``'s cluster."""
    stats = config.statistics
    local_settings = dict(permutations=stats.permutations, seed=stats.seed, alternative=stats.alternative,
                          fdr=stats.fdr, fdr_scope=stats.fdr_scope, alpha=stats.alpha, star=True,
                          sequential=stats.sequential)
    if scheduler is not None:
        with connect(scheduler) as client:
            progress.note(f"scheduler {scheduler}: {len(client.scheduler_info()['workers'])} worker(s)")
            progress.step(f"global Moran's I ({stats.permutations} permutations)")
            shared = broadcast(client, w)
            moran = global_moran_on(client, shared, matrix, permutations=stats.permutations, seed=stats.seed)
            progress.step(f"local Moran's I and Getis-Ord Gi* ({stats.permutations} permutations, FDR {stats.fdr})")
            return moran, local_statistics_on(client, shared, matrix, **local_settings)
    progress.step(f"global Moran's I ({stats.permutations} permutations)")
    moran = global_moran(w, matrix, permutations=stats.permutations, seed=stats.seed)
    progress.step(f"local Moran's I and Getis-Ord Gi* ({stats.permutations} permutations, FDR {stats.fdr})")
    return moran, local_statistics(w, matrix, progress=progress.bar("permutations"), **local_settings)


def _emerging(config: AnalysisConfig, w, matrix: np.ndarray, results: pd.DataFrame, codes: list[str],
              columns: list[tuple[str, str]], sectors: tuple[Sector, ...], periods: tuple[Period, ...],
              progress: Progress) -> EmergingHotspots | None:
    """Emerging hot spots of every sector over the periods (None, with a note, when there are too few)."""
    settings, stats = config.emerging, config.statistics
    progress.step(f"emerging hot spots (space-time Gi*, {settings.time_lags} time lag(s), Mann-Kendall trends)")
    if len(periods) < settings.min_periods:
        progress.note(f"skipped: {len(periods)} period(s), [emerging] min_periods = {settings.min_periods}")
        return None
    if list(w.id_order) != codes:
        raise AssertionError("the weights' units are not in the order of the regions")
    cube = _cube(matrix, codes, sectors, periods)
    lq = cube if config.analysis.variable == "lq" else _cube(_test_matrix(results, codes, columns, "lq"), codes,
                                                             sectors, periods)
    return emerging_hotspots(w, cube, [p.label for p in periods], sectors=[s.ksic for s in sectors], lq=lq,
                             time_lags=settings.time_lags, permutations=stats.permutations, seed=stats.seed,
                             fdr=stats.fdr, confidence=settings.confidence, trend_alpha=settings.trend_alpha,
                             progress=progress.bar("space-time permutations"))


def _cube(matrix: np.ndarray, codes: list[str], sectors: tuple[Sector, ...], periods: tuple[Period, ...]) -> np.ndarray:
    """The test matrix (units x sector-major columns) as the cube (units x periods x sectors) of emerging hot spots."""
    return matrix.reshape(len(codes), len(sectors), len(periods)).transpose(0, 2, 1)


def _with_emerging(results: pd.DataFrame, emerging: EmergingHotspots, last: str) -> pd.DataFrame:
    """The results with the space-time Gi* of every period and, on the rows of the ``last`` period, the pattern
    and trends of the whole series."""
    bins = emerging.bins_to_frame()
    bins = bins.assign(st_gi_bin=bins["hot"].astype(int) - bins["cold"].astype(int)).drop(columns=["hot", "cold"])
    bins = bins.rename(columns={"gi_z": "st_gi_z", "gi_p": "st_gi_p", "gi_q": "st_gi_q"})
    summary = emerging.to_frame().rename(columns={
        "pattern": "ehsa_pattern", "category": "ehsa_code", "trend_z": "ehsa_trend_z", "trend_p": "ehsa_trend_p",
        "sen_slope": "ehsa_sen_slope"}).assign(period=last)
    keys = ["region_code", "ksic", "period"]
    return (results.merge(bins, on=keys, how="left", validate="one_to_one")
            .merge(summary, on=keys, how="left", validate="one_to_one"))


def analysis_periods(table: SectorTable, config: AnalysisConfig) -> tuple[Period, ...]:
    """The periods of the run in time order: ``[analysis] periods``, or every period of the sector table."""
    try:
        found = order_periods(table.sectors["period"])
    except ValueError as error:
        raise InputError(f"{table.sectors_path}, column period: {error}") from None
    asked = config.analysis.periods
    if asked == ALL:
        return found
    by_label = {p.label: p for p in found}
    missing = [p for p in asked if p not in by_label]
    if missing:
        raise InputError(f"{table.sectors_path}, column period: no rows for period(s) {', '.join(missing)} asked for "
                         f"in [analysis] periods; the file has {', '.join(by_label)}")
    return tuple(p for p in found if p.label in set(asked))


def ksic_revisions(periods: tuple[Period, ...], config: AnalysisConfig) -> dict[str, int]:
    """The KSIC revision of each period's codes: ``[data] ksic_revision``, or the one in force at the period's end."""
    if config.data.ksic_revision != AUTO:
        return {p.label: int(config.data.ksic_revision) for p in periods}
    early = [p.label for p in periods if p.end < ksic.REVISION_START[9]]
    if early:
        raise InputError(f"[data] ksic_revision: period(s) {', '.join(early)} predate KSIC revision 9 (2008-02), and "
                         "revision 8 is not bundled; set ksic_revision = 9 if the codes you use are the same in both")
    return {p.label: ksic.revision_on(p.end) for p in periods}


def run_sectors(config: AnalysisConfig, table: SectorTable, revision_of: dict[str, int]) -> tuple[Sector, ...]:
    """The run's sectors: ``[analysis] sectors`` and ``[[analysis.sector]]``; kibs-kiet on the demo, else all."""
    spec = config.analysis.sectors
    if spec is None:
        spec = "kibs-kiet" if config.uses_demo_data or config.analysis.sector else ALL
        if config.analysis.sector and not config.uses_demo_data:
            spec = ()
    return resolve_sectors(spec, config.analysis.sector, table.industries, sorted(set(revision_of.values())))


def boundary_choice(config: AnalysisConfig, periods: tuple[Period, ...]) -> str:
    """``bundled-2013``, ``bundled-2022`` or a file: ``auto`` takes the vintage nearest the last period."""
    chosen = config.data.boundaries
    if chosen != AUTO:
        return "bundled-2013" if chosen == BUNDLED else chosen
    if config.uses_demo_data or config.data.boundary_layer == "emd":  # (the eup-myeon-dong layer is of 2013)
        return "bundled-2013"  # the demo data are generated on the 2013 units
    year = periods[-1].year
    return "bundled-2013" if abs(year - 2013) < abs(year - 2022) else "bundled-2022"


def load_regions(config: AnalysisConfig, periods: tuple[Period, ...]) -> gpd.GeoDataFrame:
    """The region polygons in EPSG:5179 with a text ``region_code`` column."""
    chosen = boundary_choice(config, periods)
    if chosen in BUNDLED_VINTAGES and config.data.boundary_layer == "emd":
        return emd.load_emd_regions()
    if chosen in BUNDLED_VINTAGES:
        return boundaries.load_bundled_regions(config.data.boundary_layer, chosen.removeprefix("bundled-"))
    layer = None if config.data.boundary_layer == "sigungu" else config.data.boundary_layer
    return read_boundary_file(chosen, layer=layer, source_crs=config.data.boundary_crs or None,
                              encoding=config.data.boundary_encoding or None)


def _join(table: SectorTable, regions: gpd.GeoDataFrame, config: AnalysisConfig, periods: tuple[Period, ...]):
    """The join; a refusal under ``boundaries = "auto"`` says which vintage was chosen and how to choose another."""
    try:
        return join_to_regions(table, regions, allow_unmatched=config.data.allow_unmatched,
                               code_system=config.data.region_code_system, harmonize=config.data.harmonize)
    except InputError as error:
        if config.data.boundaries != AUTO:
            raise
        chosen = boundary_choice(config, periods)
        other = "bundled-2013" if chosen == "bundled-2022" else "bundled-2022"
        raise InputError(f"{error} ([data] boundaries = \"auto\" chose {chosen}, the vintage nearest the last period "
                         f"{periods[-1].label}; if the data follow the units of the other vintage, set boundaries = "
                         f"\"{other}\")") from None


def weights_spec(config: AnalysisConfig, regions: gpd.GeoDataFrame) -> str:
    """``[weights] spec``; ``auto`` is plain queen on the 2022 layer (clean shared edges), else the 500 m bridge."""
    if config.weights.spec != AUTO:
        return config.weights.spec
    return "queen:tolerance=0" if regions.attrs.get("vintage") == "2022" else DEFAULT_WEIGHTS


def data_source(config: AnalysisConfig) -> DataSource:
    """The input files of the run and how the outputs name their origin."""
    def resolve(value: str, bundled_file: str) -> Path:
        return data_path("demo", bundled_file) if value == BUNDLED_DEMO else Path(value)

    inputs = {"sectors": resolve(config.data.sectors, demo.SECTOR_FILE), "totals": resolve(config.data.totals, demo.TOTALS_FILE)}
    synthetic = config.uses_demo_data
    return DataSource(synthetic, "SYNTHETIC demo data (not real statistics)" if synthetic else inputs["sectors"].name, inputs)


def run_metadata(config: AnalysisConfig, regions: gpd.GeoDataFrame, sectors: tuple[Sector, ...],
                 periods: tuple[Period, ...], spec: str, weights, join_report, data: DataSource, units: dict[str, str],
                 min_p: float, notes: tuple[str, ...]) -> dict[str, object]:
    """Every parameter, the seed, library versions, input files and their hashes, the synthetic flag."""
    meta: dict[str, object] = {
        **stamp(),
        "synthetic": data.synthetic,
        "data_note": data.notice or "user data",
        "config_source": config.source,
        "boundaries": regions.attrs.get("source", config.data.boundaries),
        "boundary_attribution": regions.attrs.get("attribution", ""),
        "units": len(regions),
        "sectors": ",".join(s.ksic for s in sectors),
        "periods": ",".join(p.label for p in periods),
        "growth_from_to": f"{periods[0].label} to {periods[-1].label}" if len(periods) > 1 else "not available",
        "tested_variable": config.analysis.variable,
        **inference_metadata(replace(config.weights, spec=spec), config.statistics, weights.report, min_p),
        "join_rows_matched": join_report.matched,
        "join_rows_rejected": join_report.rejected,
        "harmonized_units": "; ".join(join_report.harmonized),
        "boundary_geometries_repaired": join_report.repaired_geometries,
        **{f"{column}_source_unit": f"{unit} (converted to persons at ingest)" for column, unit in units.items()},
        "notes": " | ".join(notes),
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


def _test_matrix(results: pd.DataFrame, codes: list[str], columns: list[tuple[str, str]], variable: str) -> np.ndarray:
    """Region x (sector, period) matrix of the tested variable (NaN where undefined)."""
    table = results.pivot_table(index="region_code", columns=["ksic", "period"], values=variable, aggfunc="first",
                                dropna=False)
    return table.reindex(index=codes, columns=pd.MultiIndex.from_tuples(columns)).to_numpy(dtype=float)


def _per_column(codes: list[str], columns: list[tuple[str, str]], arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    """``(n_units, n_columns)`` arrays as a long frame keyed by region, sector and period."""
    return pd.DataFrame({
        "region_code": np.tile(codes, len(columns)),
        "ksic": np.repeat([c[0] for c in columns], len(codes)),
        "period": np.repeat([c[1] for c in columns], len(codes)),
        **{name: array.T.ravel() for name, array in arrays.items()},
    })


def _with_sectors(rows: pd.DataFrame, fed: dict[int, tuple[str, ...]]) -> pd.DataFrame:
    """The join report with the sectors each sector-table row was added into (empty: into none)."""
    sectors = [",".join(fed.get(int(line), ())) if table == "sectors" else ""
               for table, line in zip(rows["table"], rows["line"])]
    return rows.assign(sectors=sectors)


def _with_stability(results: pd.DataFrame, stability: Robustness, period: str) -> pd.DataFrame:
    """The long table with ``stability``, ``robust`` and ``hinges_on`` on the rows of ``period``."""
    fields = stability.table.assign(period=period)
    table = results.merge(fields, on=["region_code", "ksic", "period"], how="left", validate="one_to_one")
    table["robust"] = table["robust"].astype("boolean")
    return table[column_order(table.columns, LONG)]


def _sido(regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    vintage = regions.attrs.get("vintage")
    return boundaries.load_bundled_sido(vintage) if vintage else None


def _sector_columns(sectors: tuple[Sector, ...]) -> pd.DataFrame:
    return pd.DataFrame({"ksic": [s.ksic for s in sectors], "sector": [s.name_en for s in sectors],
                         "sector_ko": [s.name_ko for s in sectors], "kind": [s.kind for s in sectors]})


def _long_table(results: pd.DataFrame, regions: gpd.GeoDataFrame, sectors: tuple[Sector, ...]) -> pd.DataFrame:
    """The results with the region's names and flags and the sector's names and kind, in registry order."""
    names = pd.DataFrame(regions[[c for c in REGION_FIELDS if c in regions.columns]])
    table = names.merge(results, on="region_code").merge(_sector_columns(sectors), on="ksic")
    return table[column_order(table.columns, LONG)]


def _column_table(frame: pd.DataFrame, sectors: tuple[Sector, ...], periods: tuple[Period, ...], **extra) -> pd.DataFrame:
    """One row per sector and period (sector-major): ``ksic``, ``sector``, ``kind``, ``period``, ``extra``, ``frame``."""
    head = _sector_columns(sectors).drop(columns="sector_ko")
    head = head.loc[head.index.repeat(len(periods))].reset_index(drop=True)
    head = head.assign(period=[p.label for p in periods] * len(sectors), **extra)
    return pd.concat([head, frame.reset_index(drop=True)], axis=1)


def _scatter_table(moran: list[GlobalMoranResult], codes: list[str], columns: list[tuple[str, str]]) -> pd.DataFrame:
    """The Moran scatterplot points of each sector and period: units with a value (``lag`` NaN without a neighbour)."""
    frame = _per_column(codes, columns, {"z": np.column_stack([m.z for m in moran]),
                                         "lag": np.column_stack([m.lag for m in moran])})
    return frame[frame["z"].notna()].reset_index(drop=True)
