"""Our permutation engine against pygeoda (GeoDa's C++ engine), side by side in one process.

Cases: the 250 si-gun-gu of the bundled 2013 layer and square lattices of about 3,600 and
100,000 cells (polygons, so pygeoda builds its own weights from the same geometry). Queen
contiguity, binary weights, the same columns for both:
  ours    : kibs_spatial.analysis.statistics.local_statistics (LISA + Gi*, all columns, one call)
  pygeoda : for each column local_moran + local_gstar, permutation_method="lookup-table"
both with 2 threads, 999 permutations, 30 columns. Weights building is not timed here; each
engine is warmed up once, then the two are timed alternately, at least ``--repeats`` times each and
until the pair of runs has taken ``--seconds`` in all (so a small case is timed many times), and the best
time of each counts (the machine's noise only ever adds time). Before timing, the neighbour sets and the
observed statistics of both are checked to agree, so the two do the same work.

Prints one line per case ending in ``vs_pygeoda=<pygeoda seconds / ours>``.

Usage: python bench/bench_vs_pygeoda.py [--cases 250,3600,100000] [--columns 30] [--threads 2] [--repeats 3]
       [--seconds 20]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

import geopandas as gpd
import libpysal
import numpy as np
import pygeoda
import shapely

from kibs_spatial.analysis.statistics import local_statistics
from kibs_spatial.resources import data_path

PERMUTATIONS = 999


def lattice(cells: int) -> gpd.GeoDataFrame:
    """A square lattice of about ``cells`` 1 km squares in EPSG:5179."""
    side = math.isqrt(cells)
    rows, cols = np.divmod(np.arange(side * side), side)
    boxes = shapely.box(cols * 1000.0, rows * 1000.0, cols * 1000.0 + 1000, rows * 1000.0 + 1000)
    return gpd.GeoDataFrame(geometry=boxes, crs="EPSG:5179")


def layer(case: int) -> gpd.GeoDataFrame:
    if case == 250:
        units = gpd.read_file(data_path("boundaries/kr_sigungu_2013.gpkg"), layer="sigungu")
        return units[["geometry"]]
    return lattice(case)


def smoothed_columns(w: libpysal.weights.W, k: int, seed: int = 1) -> np.ndarray:
    """Skewed, spatially smoothed positive columns (like sector employment)."""
    raw = np.random.default_rng(seed).lognormal(size=(w.n, k))
    lag = w.sparse @ raw / np.maximum(w.sparse.sum(axis=1).A, 1)
    return 0.5 * raw + 0.5 * lag


def matching_weights(frame: gpd.GeoDataFrame):
    """pygeoda's queen weights and the libpysal W with the same neighbour sets."""
    theirs = pygeoda.queen_weights(pygeoda.open(frame))
    neighbours = {i: list(theirs.get_neighbors(i)) for i in range(len(frame))}
    ours = libpysal.weights.W(neighbours, silence_warnings=True)
    reference = libpysal.weights.Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
    if any(set(reference.neighbors[i]) != set(neighbours[i]) for i in range(len(frame))):
        raise SystemExit("pygeoda's queen neighbours differ from libpysal's")
    return ours, theirs


def run_ours(w, values, threads: int):
    start = time.perf_counter()
    result = local_statistics(w, values, permutations=PERMUTATIONS, seed=12345, n_jobs=threads)
    return time.perf_counter() - start, result


def run_pygeoda(w, values, threads: int):
    options = dict(permutations=PERMUTATIONS, permutation_method="lookup-table", cpu_threads=threads, seed=12345)
    start = time.perf_counter()
    out = []
    for c in range(values.shape[1]):
        column = values[:, c].tolist()
        out.append((pygeoda.local_moran(w, column, **options), pygeoda.local_gstar(w, column, **options)))
    return time.perf_counter() - start, out


def check_same_statistics(w, ours, theirs) -> None:
    """Local Moran's I equal; GeoDa row-standardises G*, so ours / (neighbours + 1) equals its."""
    moran = np.column_stack([np.asarray(lisa.lisa_values()) for lisa, _ in theirs])
    gstar = np.column_stack([np.asarray(g.lisa_values()) for _, g in theirs])
    size = np.array([len(w.neighbors[i]) + 1.0 for i in w.id_order])[:, None]
    tested = size[:, 0] > 1
    if not (np.allclose(ours.lisa_i[tested], moran[tested], rtol=1e-9)
            and np.allclose((ours.gi_g / size)[tested], gstar[tested], rtol=1e-9)):
        raise SystemExit("local Moran's I or Gi* differs from pygeoda's")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="250,3600,100000")
    parser.add_argument("--columns", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="at least this many timed runs of each")
    parser.add_argument("--seconds", type=float, default=20.0, help="and on until the runs took this long in all")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"pygeoda {pygeoda.__version__}")
    for case in map(int, args.cases.split(",")):
        frame = layer(case)
        ours_w, their_w = matching_weights(frame)
        values = smoothed_columns(ours_w, args.columns)
        run_ours(ours_w, values[:, :2], args.threads)
        run_pygeoda(their_w, values[:, :2], args.threads)
        ours = theirs = math.inf
        repeats, started = 0, time.perf_counter()
        while repeats < args.repeats or time.perf_counter() - started < args.seconds:
            seconds, result = run_ours(ours_w, values, args.threads)
            ours = min(ours, seconds)
            seconds, their_results = run_pygeoda(their_w, values, args.threads)
            theirs = min(theirs, seconds)
            repeats += 1
        check_same_statistics(ours_w, result, their_results)
        print(f"n={len(frame)} columns={args.columns} permutations={PERMUTATIONS} threads={args.threads} "
              f"repeats={repeats} ours={ours:.3f}s pygeoda={theirs:.3f}s vs_pygeoda={theirs / ours:.1f}", flush=True)


if __name__ == "__main__":
    main()
