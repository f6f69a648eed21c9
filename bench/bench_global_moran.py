"""Global Moran's I of many columns: batched permutations vs column by column, same run.

A 60 x 60 grid (3,600 units, queen contiguity) x 30 skewed, spatially smoothed columns, 999 total
randomisations, the default seed. After a warm-up that compiles (or loads) both kernels, the two
paths of ``global_moran`` are timed alternately ``--repeat`` times each (the machine may be shared):

  per-column : global_moran(..., batch=False)  one shuffle and one pass over the graph per column
  batched    : global_moran(..., batch=True)   one shuffle per permutation, 8 columns per pass

Prints ``batched_speedup=`` (median per-column time / median batched time) and ``equal=`` (every
result field identical, for 1 and 2 numba threads; also checked against a chunking forced by a
slow clock).

Usage: python bench/bench_global_moran.py [--columns 30] [--side 60] [--permutations 999] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from types import SimpleNamespace

import numba
import numpy as np
import scipy.sparse as sp
from scipy import ndimage

from kibs_spatial.analysis.statistics import global_moran


def grid_w(side: int) -> SimpleNamespace:
    """Queen contiguity of a ``side`` x ``side`` grid as a W-like object (``sparse``, ``id_order``)."""
    path = sp.diags([np.ones(side - 1), np.ones(side - 1)], [-1, 1], shape=(side, side))
    near = sp.identity(side) + path
    queen = sp.csr_matrix(sp.kron(near, near) - sp.identity(side * side))
    queen.eliminate_zeros()
    return SimpleNamespace(sparse=queen, id_order=list(range(side * side)), n=side * side)


def columns(side: int, k: int, seed: int = 1) -> np.ndarray:
    """Skewed positive columns with clusters of every size (smoothed noise, some columns nearly flat)."""
    rng = np.random.default_rng(seed)
    out = np.empty((side * side, k))
    for c in range(k):
        field = ndimage.gaussian_filter(rng.standard_normal((side, side)), sigma=1 + c % 5)
        field /= field.std()
        noise = rng.standard_normal((side, side))
        mix = (c % 6) / 6  # 0: pure noise ... 5/6: mostly the smooth field
        out[:, c] = np.exp(0.6 * (mix * field + (1 - mix) * noise)).ravel()
    return out


def same(a, b) -> bool:
    fields = ("I", "z_rand", "p_rand", "z_norm", "p_norm", "p_sim", "n")
    return all(np.array_equal(getattr(x, f), getattr(y, f), equal_nan=True) for x, y in zip(a, b) for f in fields)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=30)
    parser.add_argument("--side", type=int, default=60)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    w = grid_w(args.side)
    x = columns(args.side, args.columns)
    global_moran(w, x[:, :9], permutations=9)
    global_moran(w, x[:, :9], permutations=9, batch=False)
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numba threads "
          f"{numba.get_num_threads()}; {w.n} units x {args.columns} columns x {args.permutations} permutations")
    times = {"per-column": [], "batched": []}
    results = {}
    for _ in range(args.repeat):
        for name, batch in (("per-column", False), ("batched", True)):
            start = time.perf_counter()
            results[name] = global_moran(w, x, permutations=args.permutations, seed=args.seed, batch=batch)
            times[name].append(time.perf_counter() - start)
    for name, values in times.items():
        print(f"{name}: median {np.median(values):.3f} s of {', '.join(f'{v:.3f}' for v in values)}")
    equal = same(results["per-column"], results["batched"])
    for threads in (1, 2):
        one = global_moran(w, x, permutations=args.permutations, seed=args.seed, n_jobs=threads)
        equal = equal and same(one, results["per-column"])
    from kibs_spatial.analysis.statistics import quadratic_forms

    ticks = iter(range(10**9))
    original = quadratic_forms.tail_counts

    def slow_clock_tail_counts(forms, observed, permutations, seed):
        return original(forms, observed, permutations, seed, clock=lambda: next(ticks))

    quadratic_forms.tail_counts = slow_clock_tail_counts
    try:
        import kibs_spatial.analysis.statistics.global_moran as gm

        gm.tail_counts = slow_clock_tail_counts
        equal = equal and same(global_moran(w, x, permutations=args.permutations, seed=args.seed),
                               results["per-column"])
    finally:
        quadratic_forms.tail_counts = original
        gm.tail_counts = original
    print(f"batched_speedup={np.median(times['per-column']) / np.median(times['batched']):.2f}")
    print(f"equal={equal}")


if __name__ == "__main__":
    main()
