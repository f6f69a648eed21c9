"""The report's maps: per sector, LQ, LISA and Gi* side by side, for the whole country and the capital region.

Each map is an image of the units at display resolution: every pixel takes the class colour of
the unit holding its centre (``rasterio.features.rasterize``, done once per run for two grids:
the country, and the capital region framed without outlying islands). A sector's six panels are
then a lookup of palette indices, written straight to an indexed PNG, which is fast enough for a
map per sector in every run. Unit borders are light grey, province borders dark grey, promising
locations outlined in black. Classes and colours are those of the web maps and QGIS styles
(:mod:`kibs_spatial.symbology`); titles and legends are HTML around the image, from the same
legend entries, so they stay readable at any zoom.
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from PIL import Image
from rasterio.features import rasterize

from ...crs import PROJECTED_CRS
from ...symbology import (
    EHSA_ENTRIES,
    GI_ENTRIES,
    LISA_ENTRIES,
    LQ_ENTRIES,
    NO_DATA_KEY,
    ST_GI_ENTRIES,
    LegendEntry,
    ehsa_class_keys,
    gi_class_keys,
    lisa_class_keys,
    lq_class_keys,
    st_gi_class_keys,
)
from ..maps.web_geometry import core_box

PANEL_PX = 440
GAP_PX = 12
CAPITAL_MARGIN_M = 8000.0
FIXED = ("#ffffff", "#c8c8c8", "#404040", "#000000")  # background, unit border, province border, promising
BACKGROUND, BORDER, PROVINCE, PROMISING = range(4)
PANELS: tuple[tuple[str, str, tuple[LegendEntry, ...]], ...] = (
    ("lq", "Location quotient (LQ)", LQ_ENTRIES),
    ("lisa", "Clusters and outliers (local Moran)", LISA_ENTRIES),
    ("gi", "Hot and cold spots (Gi*)", GI_ENTRIES),
)


@dataclass(frozen=True)
class UnitGrid:
    """A raster of unit positions (-1 outside every unit) with the cells on unit and province borders."""

    name: str
    index: np.ndarray
    borders: np.ndarray
    province_borders: np.ndarray


def _edges(labels: np.ndarray) -> np.ndarray:
    """Cells with a right or lower neighbour of another label (a one-cell line along every border)."""
    edges = np.zeros(labels.shape, dtype=bool)
    edges[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    edges[:-1, :] |= labels[:-1, :] != labels[1:, :]
    return edges


def _boundary(labels: np.ndarray) -> np.ndarray:
    """Cells with any 4-neighbour of another label (a line on both sides of every border)."""
    edges = _edges(labels)
    edges[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    edges[1:, :] |= labels[1:, :] != labels[:-1, :]
    return edges


def unit_grid(regions: gpd.GeoDataFrame, box: tuple[float, float, float, float], name: str,
              width: int = PANEL_PX) -> UnitGrid:
    """Rasterize the units (EPSG:5179) over ``box`` (west, south, east, north), ``width`` cells wide."""
    west, south, east, north = box
    cell = (east - west) / width
    height = int(np.ceil((north - south) / cell))
    geometry = regions.geometry.to_crs(PROJECTED_CRS)
    shapes = [(g, i) for i, g in enumerate(geometry) if g is not None and not g.is_empty]
    index = rasterize(shapes, out_shape=(height, width), transform=Affine(cell, 0.0, west, 0.0, -cell, north),
                      fill=-1, dtype="int32")
    provinces = pd.factorize(regions["sido_name"].astype(str))[0] if "sido_name" in regions.columns else np.zeros(
        len(regions), dtype=int)
    province_index = np.where(index >= 0, provinces[np.maximum(index, 0)], -1)
    return UnitGrid(name, index, _edges(index), _edges(province_index))


def report_grids(regions: gpd.GeoDataFrame, width: int = PANEL_PX) -> list[UnitGrid]:
    """The country grid and, when the layer flags capital-region units, the capital-region grid, ``width`` cells wide."""
    projected = regions.to_crs(PROJECTED_CRS)
    grids = [unit_grid(regions, tuple(projected.total_bounds), "whole country", width)]
    if "capital_region" in regions.columns:
        capital = projected[regions["capital_region"].fillna(False).astype(bool).to_numpy()]
        if len(capital):
            points = capital.geometry.representative_point()
            west, south, east, north = core_box(points.x.to_numpy(), points.y.to_numpy())
            margin = CAPITAL_MARGIN_M
            grids.append(unit_grid(regions, (west - margin, south - margin, east + margin, north + margin),
                                   "capital region", width))
    return grids


def class_keys(table: pd.DataFrame) -> dict[str, list[str]]:
    """The class key of every unit per panel (``lq``, ``lisa``, ``gi``)."""
    return {"lq": lq_class_keys(table["lq"]), "lisa": lisa_class_keys(table["lisa_cl"]),
            "gi": gi_class_keys(table["gi_bin"])}


def palette() -> tuple[list[str], dict[tuple[str, str], int]]:
    """The image palette (fixed colours, then every panel's class colours) and the index of each (panel, key)."""
    colours = list(FIXED)
    index = {}
    for name, _, entries in PANELS:
        for entry in entries:
            index[(name, entry.key)] = len(colours)
            colours.append(entry.fill or "#ffffff")
    return colours, index


def _panel(grid: UnitGrid, classes: np.ndarray, promising: np.ndarray) -> np.ndarray:
    """Palette indices of one panel: unit classes, borders, province borders, promising outlines (2 cells)."""
    inside = grid.index >= 0
    image = np.full(grid.index.shape, BACKGROUND, dtype=np.uint8)
    image[inside] = classes[grid.index[inside]]
    image[grid.borders & inside] = BORDER
    image[grid.province_borders] = PROVINCE
    marked = np.zeros(grid.index.shape, dtype=bool)
    marked[inside] = promising[grid.index[inside]]
    outline = marked & _boundary(grid.index)
    image[outline | (marked & _boundary(np.where(outline, -2, grid.index)))] = PROMISING
    return image


def sector_map_png(grids: Sequence[UnitGrid], keys: dict[str, list[str]], promising: np.ndarray) -> bytes:
    """One indexed PNG: a column per layer of :data:`PANELS`, a row per grid."""
    colours, index = palette()
    no_data = {name: index.get((name, "na"), index.get((name, "undefined"))) for name, _, _ in PANELS}
    rows = []
    for grid in grids:
        panels = []
        for name, _, _ in PANELS:
            classes = np.array([index.get((name, k), no_data[name]) for k in keys[name]], dtype=np.uint8)
            panels.append(_panel(grid, classes, promising))
        gap = np.full((grid.index.shape[0], GAP_PX), BACKGROUND, dtype=np.uint8)
        rows.append(np.hstack([panels[0], gap, panels[1], gap, panels[2]]))
    spacer = np.full((GAP_PX * 2, rows[0].shape[1]), BACKGROUND, dtype=np.uint8)
    pixels = np.vstack([part for row in rows for part in (row, spacer)][:-1])
    image = Image.fromarray(pixels, mode="P")
    image.putpalette([int(c.lstrip("#")[i:i + 2], 16) for c in colours for i in (0, 2, 4)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _legend_html(name: str, title: str, entries: Sequence[LegendEntry], keys: Sequence[str]) -> str:
    counts = Counter(keys)
    rows = "".join(
        f'<li><i class="sw" style="background:{e.fill or "#fff"}"></i>{html.escape(e.label)} ({counts.get(e.key, 0)})</li>'
        for e in entries if counts.get(e.key, 0) or e.key not in ("na", "undefined", "isolated"))
    return f'<div class="legend"><b>{html.escape(title)}</b><ul>{rows}</ul></div>'


def sector_map_html(grids: Sequence[UnitGrid], table: pd.DataFrame, title: str, link: str | None = None) -> str:
    """The figure of one sector: the image, the row and column titles, a legend per column with counts.

    ``table`` has one row per unit of the grids' layer, in its order (``lq``, ``lisa_cl``, ``gi_bin``,
    ``promising``); ``link`` is the relative address of the sector's interactive map.
    """
    keys = class_keys(table)
    promising = table["promising"].fillna(False).astype(bool).to_numpy()
    png = base64.b64encode(sector_map_png(grids, keys, promising)).decode("ascii")
    heads = "".join(f"<span>{html.escape(label)}</span>" for _, label, _ in PANELS)
    legends = "".join(_legend_html(name, label, entries, keys[name]) for name, label, entries in PANELS)
    rows = " and ".join(grid.name for grid in grids)
    open_map = f' · <a href="{html.escape(link)}">open the interactive map</a>' if link else ""
    return (f'<figure class="sector-map"><figcaption><b>{html.escape(title)}</b>: {html.escape(rows)} '
            f"(rows); black outline: promising cluster location{open_map}</figcaption>"
            f'<div class="heads">{heads}</div>'
            f'<img alt="maps of {html.escape(title)}: LQ, clusters and hot spots" '
            f'src="data:image/png;base64,{png}">'
            f'<div class="legends">{legends}</div></figure>')



# --- emerging hot spots: small multiples of the space-time Gi* per period and the pattern ----------------

SMALL_PANEL_PX = 150
"""Width of a small-multiple panel."""
SMALL_GAP_PX = 6
SMALL_PER_ROW = 6
"""Panels per image row: 6 x 150 pixels fit the report's width at full resolution (no blurred rescaling)."""


def small_grids(regions: gpd.GeoDataFrame) -> list[UnitGrid]:
    """:func:`report_grids` at :data:`SMALL_PANEL_PX` cells, without unit borders (at this size they would cover
    the small units and double the image size); province borders stay."""
    return [UnitGrid(grid.name, grid.index, np.zeros_like(grid.borders), grid.province_borders)
            for grid in report_grids(regions, SMALL_PANEL_PX)]


def _small_palette() -> tuple[list[str], dict[tuple[str, str], int]]:
    colours, index = list(FIXED), {}
    for name, entries in (("st", ST_GI_ENTRIES), ("ehsa", EHSA_ENTRIES)):
        for entry in entries:
            index[(name, entry.key)] = len(colours)
            colours.append(entry.fill or "#ffffff")
    return colours, index


def small_multiples_png(grids: Sequence[UnitGrid], panels: Sequence[tuple[str, Sequence[str]]]) -> bytes:
    """One indexed PNG of small panels side by side, each the ``grids`` stacked (country on top): every unit in
    the colour of its class key; ``panels`` holds ``(layer, keys)`` with ``layer`` ``st`` (the space-time Gi*
    bins, :data:`~kibs_spatial.symbology.ST_GI_ENTRIES`) or ``ehsa`` (the patterns). One image for several
    panels compresses to about a third of separate images."""
    colours, index = _small_palette()
    columns = []
    for layer, keys in panels:
        classes = np.array([index.get((layer, k), index[(layer, NO_DATA_KEY)]) for k in keys], dtype=np.uint8)
        parts = [_panel(grid, classes, np.zeros(len(keys), dtype=bool)) for grid in grids]
        spacer = np.full((SMALL_GAP_PX, parts[0].shape[1]), BACKGROUND, dtype=np.uint8)
        columns.append(np.vstack([part for panel in parts for part in (panel, spacer)][:-1]))
    gap = np.full((columns[0].shape[0], SMALL_GAP_PX), BACKGROUND, dtype=np.uint8)
    image = Image.fromarray(np.hstack([part for column in columns for part in (column, gap)][:-1]), mode="P")
    image.putpalette([int(c.lstrip("#")[i:i + 2], 16) for c in colours for i in (0, 2, 4)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _small_row(grids: Sequence[UnitGrid], panels: Sequence[tuple[str, str, Sequence[str]]], alt: str) -> str:
    """A row of small panels ``(caption, layer, keys)``: the captions over their panels, then the image."""
    width = len(panels) * SMALL_PANEL_PX + (len(panels) - 1) * SMALL_GAP_PX
    png = base64.b64encode(small_multiples_png(grids, [(layer, keys) for _, layer, keys in panels])).decode("ascii")
    heads = "".join(f"<span>{html.escape(caption)}</span>" for caption, _, _ in panels)
    return (f'<div class="smalls" style="max-width:{width}px"><div class="heads" style="grid-template-columns:'
            f'repeat({len(panels)},1fr);column-gap:{100 * SMALL_GAP_PX / width:.3f}%">{heads}</div>'
            f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}"></div>')


def emerging_maps_html(grids: Sequence[UnitGrid], bins: Sequence[tuple[str, pd.Series]], patterns: pd.Series,
                       title: str, span: str, link: str | None = None) -> str:
    """One sector's small multiples: the space-time Gi* bins of every period (``bins``: ``(period, st_gi_bin)``,
    one value per unit of the grids' layer, in its order), then the emerging hot spot pattern over all periods
    (``patterns``: ``ehsa_pattern`` per unit), :data:`SMALL_PER_ROW` panels per row, with the two legends
    (the patterns found, with counts)."""
    pattern_keys = ehsa_class_keys(patterns)
    panels = [(period, "st", st_gi_class_keys(values)) for period, values in bins]
    panels.append((f"pattern {span}", "ehsa", pattern_keys))
    rows = [_small_row(grids, panels[i:i + SMALL_PER_ROW], f"space-time hot and cold spots of {title}")
            for i in range(0, len(panels), SMALL_PER_ROW)]
    counts = Counter(pattern_keys)
    legend = "".join(f'<li><i class="sw" style="background:{e.fill}"></i>{html.escape(e.label)} ({counts[e.key]})</li>'
                     for e in EHSA_ENTRIES if counts.get(e.key))
    bins_legend = "".join(f'<li><i class="sw" style="background:{e.fill}"></i>{html.escape(e.label)}</li>'
                          for e in ST_GI_ENTRIES)
    where = " and ".join(grid.name for grid in grids)
    open_map = f' · <a href="{html.escape(link)}">open the interactive map</a>' if link else ""
    return (f'<div class="emerging"><p><b>{html.escape(title)}</b>: {html.escape(where)} (top to bottom of each '
            f'panel){open_map}</p>{"".join(rows)}<div class="legends2">'
            f'<div class="legend"><b>Space-time Gi* of the period</b><ul>{bins_legend}</ul></div>'
            f'<div class="legend"><b>Pattern {html.escape(span)}</b><ul>{legend}</ul></div></div></div>')
