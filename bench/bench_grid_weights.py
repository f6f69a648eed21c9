"""Grid contiguity from integer cell indices against libpysal's polygon contiguity, same process.

Cells: a square block of 100 m national-grid cells with 30 % removed at random (holes, islands,
ragged edges), ``n`` cells. Times (median of ``--repeat``, wall clock):

  libpysal : ``Queen.from_dataframe`` / ``Rook.from_dataframe`` on the cell polygons (ids = codes)
  ours     : ``kibs_spatial.io.grid.grid_contiguity`` from the rows and columns (ids = codes),
             a ``libpysal.weights.W``; ``adjacency`` is its sparse matrix alone (``grid_adjacency``)

Prints ``grid_weights_ratio=libpysal/ours`` (queen) at 10,000 cells, the same for rook, and our
times at 100,000 and 1,000,000 cells (their ratio shows the scaling: linear is about 10), the time of
``build_weights(cells, "grid-queen")`` there (what ``hotspots --weights grid-queen`` runs: the sparse
graph and its connectivity report, no libpysal W), and the time of ``build_grid`` at 1 km over the
bundled 2013 si-gun-gu.

Usage: python bench/bench_grid_weights.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from functools import partial

import geopandas as gpd
import numpy as np
from libpysal.weights import Queen, Rook

from kibs_spatial.analysis.weights import build_weights
from kibs_spatial.io.boundaries import load_bundled_regions
from kibs_spatial.io.grid import (
    build_grid,
    cell_polygons,
    grid_adjacency,
    grid_codes,
    grid_contiguity,
)

KEEP = 0.7
SIZE = 100  # metres: a million cells fit in one 100 km square


def cells(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """About ``n`` cells (rows, cols, codes): a square block with 30 % of the cells removed."""
    side = int(np.ceil(np.sqrt(n / KEEP)))
    rows, cols = np.divmod(np.arange(side * side), side)
    keep = np.random.default_rng(seed).random(side * side) < KEEP
    rows, cols = rows[keep][:n] + 5000, cols[keep][:n] + 2000
    return rows, cols, grid_codes(cols, rows, SIZE)


def timed(f, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}")
    rows, cols, codes = cells(10_000)
    frame = gpd.GeoDataFrame({"grid_code": codes}, geometry=cell_polygons(cols, rows, SIZE), crs="EPSG:5179")
    for kind, reference, label in (("queen", Queen, "grid_weights_ratio"), ("rook", Rook, "grid_weights_ratio_rook")):
        theirs = timed(partial(reference.from_dataframe, frame, ids="grid_code", use_index=False,
                               silence_warnings=True), args.repeat)
        ours = timed(partial(grid_contiguity, rows, cols, kind, ids=codes), args.repeat)
        print(f"{kind} at {len(codes):,} cells: libpysal {theirs:.3f} s, ours {ours:.4f} s")
        print(f"{label}={theirs / ours:.1f}")
    for n in (100_000, 1_000_000):
        rows, cols, codes = cells(n)
        adjacency = timed(partial(grid_adjacency, rows, cols, "queen"), args.repeat)
        weights = timed(partial(grid_contiguity, rows, cols, "queen", ids=codes), args.repeat)
        layer = gpd.GeoDataFrame({"grid_code": codes, "row": rows, "col": cols},
                                 geometry=cell_polygons(cols, rows, SIZE), crs="EPSG:5179")
        built = timed(partial(build_weights, layer, "grid-queen", id_column="grid_code"), args.repeat)
        print(f"grid_queen_seconds_{n}={weights:.3f} (adjacency alone {adjacency:.3f} s; "
              f"build_weights grid-queen {built:.3f} s)")
    regions = load_bundled_regions()
    build_grid(regions, 1000)
    grid = build_grid(regions, 1000)
    print(f"build_grid_1km_seconds={timed(partial(build_grid, regions, 1000), args.repeat):.2f} ({len(grid):,} cells)")


if __name__ == "__main__":
    main()
