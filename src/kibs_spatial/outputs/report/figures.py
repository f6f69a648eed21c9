"""Report figures drawn with matplotlib's Agg canvas and returned as base64 PNG data URIs.

No pyplot and no global backend switch: each figure is a ``matplotlib.figure.Figure`` saved to
memory. Labels are ASCII/English only, since the machine's fonts may lack Korean glyphs.
"""

from __future__ import annotations

import base64
import io
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ...result import GangnamContrast, Sector
from ...symbology import KIND_COLOURS, QUADRANT_COLOURS

DECAY_TICKS = (0, 5, 10, 20, 50, 100, 200, 400, 800)


def png_data_uri(figure: Figure) -> str:
    """The figure as ``data:image/png;base64,...`` (embedded, nothing fetched)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def moran_scatter_figure(points: pd.DataFrame, moran_i: float, title: str) -> str:
    """Moran scatterplot of ``points`` (``z``, ``lag``): a line of slope ``I`` through the origin, quadrants labelled.

    Units without a neighbour (``lag`` NaN) are not drawn.
    """
    fig = Figure(figsize=(3.6, 3.4))
    ax = fig.add_subplot()
    drawn = points[points["lag"].notna()]
    z, lag = drawn["z"].to_numpy(float), drawn["lag"].to_numpy(float)
    quadrant = np.where(z >= 0, np.where(lag >= 0, "HH", "HL"), np.where(lag >= 0, "LH", "LL"))
    for label, colour in QUADRANT_COLOURS.items():
        mask = quadrant == label
        ax.scatter(z[mask], lag[mask], s=10, color=colour, edgecolor="#333333", linewidth=0.3)
    ax.axhline(0, color="#777777", linewidth=0.8)
    ax.axvline(0, color="#777777", linewidth=0.8)
    if np.isfinite(moran_i) and len(z):
        span = np.array([z.min(), z.max()])
        ax.plot(span, moran_i * span, color="black", linewidth=1.2)
    _quadrant_labels(ax)
    ax.set_xlabel("z (standardised value)", fontsize=8)
    ax.set_ylabel("Wz (spatial lag)", fontsize=8)
    ax.set_title(textwrap.fill(title, 44) + f"\nMoran's I = {moran_i:.3f} (slope of the line)", fontsize=8.5)
    ax.tick_params(labelsize=7)
    return png_data_uri(fig)


def _quadrant_labels(ax) -> None:
    for x, y, text in ((0.98, 0.98, "HH"), (0.02, 0.98, "LH"), (0.02, 0.02, "LL"), (0.98, 0.02, "HL")):
        ax.text(x, y, text, transform=ax.transAxes, fontsize=8, fontweight="bold", color="#444444",
                ha="right" if x > 0.5 else "left", va="top" if y > 0.5 else "bottom")


def decay_figure(contrast: GangnamContrast, sectors: tuple[Sector, ...]) -> str:
    """Cumulative share of each sector's employment within ``r`` km of the Gangnam area, by kind."""
    fig = Figure(figsize=(8.5, 4.8))
    ax = fig.add_subplot()
    for sector in sectors:
        rows = contrast.decay[contrast.decay["ksic"] == sector.ksic]
        ax.step(rows["distance_km"], rows["share_within"], where="post", color=KIND_COLOURS.get(sector.kind, "grey"),
                linewidth=1.1, alpha=0.85, label=f"{sector.ksic} {sector.name_en} ({sector.kind[:4]}.)")
    for radius in contrast.radii_km:
        ax.axvline(radius, color="#999999", linestyle=":", linewidth=0.8)
    ax.set_xscale("symlog", linthresh=10)
    top = max(float(contrast.decay["distance_km"].max()), 10.0)
    ax.set_xlim(0, top)
    ax.set_xticks([t for t in DECAY_TICKS if t <= top], [f"{t:g}" for t in DECAY_TICKS if t <= top])
    ax.set_ylim(0, 1)
    ax.set_xlabel("distance from the Gangnam area, km (0 = inside; linear to 10 km, log beyond)")
    ax.set_ylabel("cumulative share of sector employment")
    ax.set_title("Distance-decay profile: blue = technology, red = professional services", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6.5, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return png_data_uri(fig)


def mean_distance_figure(contrast: GangnamContrast) -> str:
    """Employment-weighted mean distance per sector, sorted, coloured by kind, with each kind's mean."""
    rows = sorted(contrast.sectors, key=lambda s: s.mean_distance_km)
    fig = Figure(figsize=(8.5, 0.28 * len(rows) + 1.4))
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    ax.barh(y, [s.mean_distance_km for s in rows], color=[KIND_COLOURS.get(s.kind, "grey") for s in rows])
    ax.set_yticks(y, [f"{s.ksic} {s.sector}" for s in rows], fontsize=7)
    for kind, colour in KIND_COLOURS.items():
        values = [s.mean_distance_km for s in rows if s.kind == kind]
        if values:
            ax.axvline(np.nanmean(values), color=colour, linestyle="--", linewidth=1, label=f"mean over {kind} sectors")
    ax.set_xlabel("employment-weighted mean distance from the Gangnam area, km")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return png_data_uri(fig)
