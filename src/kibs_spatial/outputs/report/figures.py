"""Report figures drawn with matplotlib's Agg canvas and returned as base64 PNG data URIs.

No pyplot and no global backend switch: each figure is a ``matplotlib.figure.Figure`` saved to
memory. Labels are ASCII/English only, since the machine's fonts may lack Korean glyphs. Figures are at least
600 pixels wide with 9-12 point text, colours are explained in the figure (legend or title) or its caption,
and many lines are split into small multiples rather than told apart by colour.
"""

from __future__ import annotations

import base64
import io
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ...result import GangnamContrast, Sector
from ...symbology import KIND_COLOURS, QUADRANT_COLOURS

DECAY_TICKS = (0, 5, 10, 20, 50, 100, 200, 400, 800)
DPI = 100


def png_data_uri(figure: Figure, palette: bool = False, tight: bool = True) -> str:
    """The figure as ``data:image/png;base64,...`` (embedded, nothing fetched).

    ``palette`` stores it with at most 256 colours (flat colours: about a third of the size); ``tight``
    crops it to its content (one more drawing pass; figures laid out by hand pass False).
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight" if tight else None, metadata={"Software": None})
    if palette:
        from PIL import Image  # matplotlib's own dependency

        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


QUADRANT_WORDS = {"HH": "high, neighbours high", "LL": "low, neighbours low", "LH": "low, neighbours high",
                  "HL": "high, neighbours low"}


def moran_scatter_figure(plots: list[tuple[str, pd.DataFrame, float]], columns: int = 3) -> str:
    """Moran scatterplots as small multiples, one panel per ``(title, points, I)``: the points (``z``, ``lag``)
    coloured by quadrant (explained in the figure's legend), a line of slope ``I`` through the origin.

    1,200 pixels wide. Units without a neighbour (``lag`` NaN) are not drawn.
    """
    rows = max(1, -(-len(plots) // columns))
    height = 3.6 * rows + 1.3
    fig = Figure(figsize=(12, height))
    axes = fig.subplots(rows, columns, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k >= len(plots):
            ax.set_axis_off()
            continue
        title, points, moran_i = plots[k]
        _scatter_panel(ax, points, moran_i, title)
    handles = [Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=colour, markeredgecolor="#333333",
                      label=f"{key}: {QUADRANT_WORDS[key]}") for key, colour in QUADRANT_COLOURS.items()]
    handles.append(Line2D([], [], color="black", linewidth=1.5, label="slope = Moran's I"))
    fig.legend(handles=handles, loc="upper center", ncol=3, fontsize=10, frameon=False, bbox_to_anchor=(0.5, 1.0))
    fig.supxlabel("standardised value z of the unit", fontsize=11)
    fig.supylabel("mean z of its neighbours (spatial lag)", fontsize=11)
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.6 / height, top=1 - 1.05 / height, wspace=0.2, hspace=0.5)
    return png_data_uri(fig, tight=False)


def _scatter_panel(ax, points: pd.DataFrame, moran_i: float, title: str) -> None:
    drawn = points[points["lag"].notna()]
    z, lag = drawn["z"].to_numpy(float), drawn["lag"].to_numpy(float)
    quadrant = np.where(z >= 0, np.where(lag >= 0, "HH", "HL"), np.where(lag >= 0, "LH", "LL"))
    colours = np.array([QUADRANT_COLOURS[q] for q in quadrant]) if len(quadrant) else []
    ax.scatter(z, lag, s=14, c=colours, edgecolor="#333333", linewidth=0.3)
    ax.axhline(0, color="#777777", linewidth=0.8)
    ax.axvline(0, color="#777777", linewidth=0.8)
    if np.isfinite(moran_i) and len(z):
        span = np.array([z.min(), z.max()])
        ax.plot(span, moran_i * span, color="black", linewidth=1.3)
    _quadrant_labels(ax)
    ax.set_title(textwrap.shorten(title, 44, placeholder="…") + f"\nMoran's I = {moran_i:.3f}", fontsize=10)
    ax.tick_params(labelsize=9)


def _quadrant_labels(ax) -> None:
    for x, y, text in ((0.98, 0.98, "HH"), (0.02, 0.98, "LH"), (0.02, 0.02, "LL"), (0.98, 0.02, "HL")):
        ax.text(x, y, text, transform=ax.transAxes, fontsize=9, fontweight="bold", color="#444444",
                ha="right" if x > 0.5 else "left", va="top" if y > 0.5 else "bottom")


def decay_figure(contrast: GangnamContrast, sectors: tuple[Sector, ...]) -> str:
    """Small multiples of the distance-decay profile: one panel per sector, its line in its kind's colour over
    the range of the other sectors in grey, titled with the sector (no legend to decode)."""
    shown = [s for s in sectors if (contrast.decay["ksic"] == s.ksic).any()]
    columns = 4
    rows = max(1, -(-len(shown) // columns))
    height = 2.7 * rows + 1.3
    fig = Figure(figsize=(12, height))
    axes = fig.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
    top = max(float(contrast.decay["distance_km"].max()), 10.0)
    ticks = [t for t in DECAY_TICKS if t <= top]
    curves = {s.ksic: contrast.decay[contrast.decay["ksic"] == s.ksic] for s in shown}
    band = contrast.decay.pivot_table(index="distance_km", columns="ksic", values="share_within")
    for k, ax in enumerate(axes.ravel()):
        if k >= len(shown):
            ax.set_axis_off()
            continue
        sector = shown[k]
        others = band.drop(columns=sector.ksic)
        ax.fill_between(band.index, others.min(axis=1), others.max(axis=1), step="post", color="#dddddd", linewidth=0)
        rows_ = curves[sector.ksic]
        ax.step(rows_["distance_km"], rows_["share_within"], where="post",
                color=KIND_COLOURS.get(sector.kind, "black"), linewidth=2.2)
        for radius in contrast.radii_km:
            ax.axvline(radius, color="#999999", linestyle=":", linewidth=0.8)
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlim(0, top)
        ax.set_ylim(0, 1)
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.tick_params(labelsize=9, labelbottom=True)
        ax.grid(alpha=0.3)
        ax.set_title(textwrap.shorten(f"{sector.ksic} {sector.name_en}", 34, placeholder="…") + f"\n{sector.kind}",
                     fontsize=10, color=KIND_COLOURS.get(sector.kind, "black"))
    fig.supxlabel("distance from the Gangnam area, km (0 = inside; linear to 10 km, log beyond)", fontsize=11)
    fig.supylabel("share of the sector's employment within", fontsize=11)
    fig.suptitle("Distance-decay profile per sector (blue: technology, red: professional; grey band: the range of "
                 "the other sectors)", fontsize=12)
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.75 / height, top=1 - 0.95 / height, wspace=0.12, hspace=0.6)
    return png_data_uri(fig, tight=False)


def mean_distance_figure(contrast: GangnamContrast) -> str:
    """Employment-weighted mean distance per sector, sorted, coloured by kind, with each kind's mean."""
    rows = sorted(contrast.sectors, key=lambda s: s.mean_distance_km)
    fig = Figure(figsize=(10, 0.36 * len(rows) + 1.6))
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    ax.barh(y, [s.mean_distance_km for s in rows], color=[KIND_COLOURS.get(s.kind, "grey") for s in rows])
    ax.set_yticks(y, [f"{s.ksic} {s.sector} ({s.kind})" for s in rows], fontsize=10)
    for kind, colour in KIND_COLOURS.items():
        values = [s.mean_distance_km for s in rows if s.kind == kind]
        if values:
            ax.axvline(np.nanmean(values), color=colour, linestyle="--", linewidth=1.2,
                       label=f"mean over {kind} sectors: {np.nanmean(values):.1f} km")
    for i, s in enumerate(rows):
        ax.text(s.mean_distance_km, i, f" {s.mean_distance_km:.1f}", va="center", fontsize=9)
    ax.set_xlabel("employment-weighted mean distance from the Gangnam area, km", fontsize=11)
    ax.tick_params(axis="x", labelsize=10)
    ax.legend(fontsize=10, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return png_data_uri(fig)
