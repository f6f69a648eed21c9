"""Raster surfaces of the polygon results: 1 km grids written as Cloud-Optimized GeoTIFFs.

Per sector three single-band rasters on one grid (EPSG:5179, cells of ``cell_m`` metres,
edges on multiples of ``cell_m``):

- ``density``: employees per km² of the unit, ``E_i / (A_i / 10^6)`` with ``A_i`` the unit's
  polygon area in m² (EPSG:5179), float32;
- ``lq``: the unit's location quotient, float32;
- ``gi_class``: the unit's Getis-Ord Gi* class, uint8 with a colour table and category names:
  ``gi_bin + 3``, so 0..6 = cold spot 99/95/90 %, not significant, hot spot 90/95/99 % (a GeoTIFF
  colour table and GDAL's category names index values from 0).

A cell takes the value of the unit containing its centre (``rasterio.features.rasterize``
with ``all_touched=False``; where polygons overlap, the later unit in the layer wins). Cells
outside every unit, and units with a missing value, are nodata. The files are written with
GDAL's COG driver (tiled 256 x 256, DEFLATE, internal overviews: average for the density,
nearest for LQ and the classes), atomically, and carry a band description and metadata tags
(data note, provenance, sector, period, formula). Beside every file QGIS finds its style
(``<name>.qml``, loaded with the layer: density in decades on a log scale, LQ in the maps'
classes, Gi* classes with their names); the Gi* classes' names are also in GDAL's own sidecar
(``<name>.tif.aux.xml``), which every GDAL-based program reads. See docs/RASTERS.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from rasterio.features import rasterize

from ..crs import PROJECTED_CRS
from ..errors import InputError
from ..files import atomic_path, write_text
from ..result import AnalysisResult, Sector
from ..symbology import (
    DENSITY_BOUNDS,
    DENSITY_ENTRIES,
    GI_ENTRIES,
    LQ_BREAKS,
    LQ_ENTRIES,
)
from .qgis_styles import raster_classes_qml, raster_paletted_qml

RASTER_CRS = PROJECTED_CRS
DEFAULT_CELL_M = 1000.0
FLOAT_NODATA = -9999.0
CLASS_NODATA = 255
GI_OFFSET = 3  # gi_class = gi_bin + 3
OUTSIDE = -1
GI_CLASSES = tuple(sorted((int(e.key) + GI_OFFSET, e) for e in GI_ENTRIES if e.key.lstrip("-").isdigit()))
"""(cell value, legend entry) of the Gi* classes, 0 (cold spot 99 %) to 6 (hot spot 99 %)."""


@dataclass(frozen=True)
class RasterGrid:
    """The raster grid and, per cell, the row of ``regions`` whose polygon holds its centre (-1: none)."""

    transform: Affine
    width: int
    height: int
    unit_index: np.ndarray  # (height, width) int32


@dataclass(frozen=True)
class RasterLayer:
    """One kind of surface: file-name part, result column, data type, nodata, overview resampling,
    description, the offset added to the column's values, and its QGIS style (QML)."""

    name: str
    column: str
    dtype: str
    nodata: float
    resampling: str
    description: str
    qml: str
    offset: float = 0.0

    @property
    def classes(self) -> bool:
        """Whether the cells are class codes (with a colour table and category names)."""
        return self.dtype == "uint8"


LAYERS: tuple[RasterLayer, ...] = (
    RasterLayer("density", "density", "float32", FLOAT_NODATA, "average",
                "employees per km2 of the unit, KSIC {ksic} {name}, {period}",
                raster_classes_qml(DENSITY_BOUNDS, DENSITY_ENTRIES)),
    RasterLayer("lq", "lq", "float32", FLOAT_NODATA, "nearest", "location quotient, KSIC {ksic} {name}, {period}",
                raster_classes_qml(LQ_BREAKS, LQ_ENTRIES)),
    RasterLayer("gi_class", "gi_bin", "uint8", CLASS_NODATA, "nearest",
                "Getis-Ord Gi* class (Gi* bin + 3: 0-2 cold spot 99/95/90 %, 3 not significant, 4-6 hot spot "
                "90/95/99 %), KSIC {ksic} {name}, {period}",
                raster_paletted_qml([v for v, _ in GI_CLASSES], [e for _, e in GI_CLASSES]), offset=GI_OFFSET),
)


def region_grid(regions: gpd.GeoDataFrame, cell_m: float = DEFAULT_CELL_M) -> RasterGrid:
    """Rasterize the unit polygons (in EPSG:5179) to a grid of ``cell_m`` cells snapped to multiples of ``cell_m``."""
    if regions.crs is None:
        raise InputError("the regions layer has no CRS; expected EPSG:5179")
    geometry = regions.geometry.to_crs(RASTER_CRS)
    west, south, east, north = geometry.total_bounds
    west, south = np.floor(west / cell_m) * cell_m, np.floor(south / cell_m) * cell_m
    east, north = np.ceil(east / cell_m) * cell_m, np.ceil(north / cell_m) * cell_m
    width, height = int(round((east - west) / cell_m)), int(round((north - south) / cell_m))
    transform = Affine(cell_m, 0.0, west, 0.0, -cell_m, north)
    shapes = [(g, i) for i, g in enumerate(geometry) if g is not None and not g.is_empty]
    index = rasterize(shapes, out_shape=(height, width), transform=transform, fill=OUTSIDE, dtype="int32",
                      all_touched=False)
    return RasterGrid(transform, width, height, index)


def unit_values(regions: gpd.GeoDataFrame, results: pd.DataFrame, sector: Sector) -> dict[str, np.ndarray]:
    """Per unit (in ``regions`` order) the value of each layer for ``sector``; NaN where missing."""
    rows = results[results["ksic"].astype(str) == sector.ksic]
    row_codes = rows["region_code"].astype(str)
    if row_codes.duplicated().any():
        raise InputError(f"results hold several rows for sector {sector.ksic} in region(s) "
                         f"{', '.join(sorted(set(row_codes[row_codes.duplicated()]))[:5])}; "
                         "expected one row per region and sector")
    table = rows.set_index(row_codes.to_numpy()).reindex(regions["region_code"].astype(str).to_numpy())

    def column(name: str) -> np.ndarray:
        return pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)

    area_km2 = regions.geometry.to_crs(RASTER_CRS).area.to_numpy() / 1e6
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(area_km2 > 0, column("employees") / area_km2, np.nan)
    return {"density": density, "lq": column("lq"), "gi_bin": column("gi_bin")}


def colour_table() -> dict[int, tuple[int, int, int, int]]:
    """The Gi* classes' colours by cell value (nodata transparent)."""
    table = {value: (*_rgb(entry.fill), 255) for value, entry in GI_CLASSES}
    table[CLASS_NODATA] = (0, 0, 0, 0)
    return table


def _rgb(colour: str | None) -> tuple[int, int, int]:
    colour = (colour or "#ffffff").lstrip("#")
    return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))


def category_names_xml() -> str:
    """GDAL's sidecar (``.aux.xml``) with the Gi* class names, indexed by cell value from 0."""
    names = dict((value, entry.label) for value, entry in GI_CLASSES)
    items = "".join(f"      <Category>{escape(names.get(i, ''))}</Category>\n" for i in range(max(names) + 1))
    return (f'<PAMDataset>\n  <PAMRasterBand band="1">\n    <CategoryNames>\n{items}    </CategoryNames>\n'
            "  </PAMRasterBand>\n</PAMDataset>\n")


def surface(grid: RasterGrid, values: np.ndarray, layer: RasterLayer) -> np.ndarray:
    """The grid with each cell set to its unit's value, nodata outside units and for missing values."""
    values = np.asarray(values, dtype=float) + layer.offset
    inside = grid.unit_index >= 0
    cells = np.full(grid.unit_index.shape, np.nan)
    cells[inside] = values[grid.unit_index[inside]]
    out = np.where(np.isfinite(cells), cells, layer.nodata)
    if layer.dtype.startswith("int"):
        out = np.rint(out)
    return out.astype(layer.dtype)


def raster_file_name(sector: Sector, layer: RasterLayer, synthetic: bool) -> str:
    """``sector_<ksic>_<layer>[_synthetic].tif``; characters other than letters, digits, ``-``, ``_`` become ``_``."""
    ksic = re.sub(r"[^0-9A-Za-z_-]", "_", sector.ksic)
    return f"sector_{ksic}_{layer.name}{'_synthetic' if synthetic else ''}.tif"


def write_cog(path: Path, array: np.ndarray, grid: RasterGrid, layer: RasterLayer, description: str,
              tags: Mapping[str, str]) -> Path:
    """Write one band as a Cloud-Optimized GeoTIFF (GDAL COG driver, with overviews), atomically, with its
    QGIS style beside it (``.qml``) and, for classes, a colour table and GDAL's category names (``.aux.xml``)."""
    profile = {
        "driver": "COG", "width": grid.width, "height": grid.height, "count": 1, "dtype": layer.dtype,
        "crs": RASTER_CRS, "transform": grid.transform, "nodata": layer.nodata, "compress": "deflate",
        "blocksize": 256, "overview_resampling": layer.resampling,
    }
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", **profile) as dataset:
            dataset.write(array, 1)
            dataset.set_band_description(1, description)
            dataset.update_tags(**{k: str(v) for k, v in tags.items()})
            if layer.classes:
                dataset.write_colormap(1, colour_table())
    write_text(Path(f"{path}").with_suffix(".qml"), layer.qml)
    if layer.classes:
        write_text(Path(f"{path}.aux.xml"), category_names_xml())
    return Path(path)


TAG_KEYS = ["tool", "run_at_utc", "synthetic", "data_note", "boundaries", "boundary_attribution", "periods",
            "tested_variable", "weights", "statistics_permutations", "statistics_seed", "statistics_fdr",
            "input_sectors_sha256", "input_totals_sha256"]
"""Run metadata copied into every raster's tags (upper-cased)."""


def write_sector_rasters(result: AnalysisResult, out_dir: Path, cell_m: float = DEFAULT_CELL_M) -> list[Path]:
    """Write the density, LQ and Gi* bin rasters of every sector of ``result`` to ``out_dir``; return their paths.

    Every file's tags hold the run's provenance (:data:`TAG_KEYS`) and ``KIBS_SECTOR``, ``KIBS_PERIOD``,
    ``KIBS_LAYER``, ``KIBS_DESCRIPTION``, ``KIBS_CELL_M`` and ``KIBS_SYNTHETIC``. The rasters show the last period.
    """
    regions, synthetic = result.regions, result.data.synthetic
    tags = {key.upper(): str(result.metadata[key]) for key in TAG_KEYS if key in result.metadata}
    grid = region_grid(regions, cell_m)
    written = []
    period = str(getattr(result, "last_period", ""))
    for sector in result.sectors:
        values = unit_values(regions, result.latest(), sector)
        for layer in LAYERS:
            description = layer.description.format(ksic=sector.ksic, name=sector.name_en, period=period).rstrip(", ")
            file_tags = {**tags, "KIBS_SECTOR": sector.ksic, "KIBS_PERIOD": period, "KIBS_LAYER": layer.name,
                         "KIBS_DESCRIPTION": description, "KIBS_CELL_M": f"{cell_m:g}",
                         "KIBS_SYNTHETIC": "yes" if synthetic else "no"}
            array = surface(grid, values[layer.column], layer)
            path = Path(out_dir) / raster_file_name(sector, layer, synthetic)
            written.append(write_cog(path, array, grid, layer, description, file_tags))
    return written
