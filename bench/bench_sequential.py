"""Sequential Monte Carlo p-values (Besag & Clifford 1991) vs the full permutation count, same run.

A square grid (default 316 x 316 = 99,856 units, queen contiguity) x ``--columns`` skewed columns with
clusters of several sizes (some nearly pure noise), LISA + Gi*, 999 permutations, two-sided, BH per
column, alpha 0.05. Both runs use the same seed and the same numba threads; they are timed one after
the other (``--repeat`` pairs, median; the machine may be shared).

Prints ``sequential_speedup=`` (full time / sequential time) and ``decision_agreement=`` (share of the
unit x column tests, LISA and Gi* together, whose decision q <= alpha is the same), for each number of
columns asked for, plus the mean permutations per test and the share of tests that stopped early.

The draws of a unit are shared by all its columns (the engine's design), so a unit stops only when every
one of its columns has settled: with many columns, most units keep a column that needs all the draws,
and the saving is the column work of the settled ones (see analysis/statistics/sequential.py).

Usage: python bench/bench_sequential.py [--side 316] [--columns 1,30] [--h 10] [--permutations 999]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_global_moran import columns, grid_w  # noqa: E402

from kibs_spatial.analysis.statistics import local_statistics  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=316)
    parser.add_argument("--columns", default="1,30")
    parser.add_argument("--h", type=int, default=10)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    w = grid_w(args.side)
    widths = [int(c) for c in args.columns.split(",")]
    x_all = columns(args.side, max(widths))[:, ::-1].copy()  # the first column clustered, the last noise
    local_statistics(w, x_all[:, :2], permutations=9, sequential=3)  # compile or load every kernel
    local_statistics(w, x_all[:, :2], permutations=9)
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numba threads "
          f"{numba.get_num_threads()}; {w.n} units, {args.permutations} permutations, h = {args.h}")
    for k in widths:
        x = x_all[:, :k]
        times = {"full": [], "sequential": []}
        for _ in range(args.repeat):
            start = time.perf_counter()
            full = local_statistics(w, x, permutations=args.permutations, seed=args.seed)
            times["full"].append(time.perf_counter() - start)
            start = time.perf_counter()
            seq = local_statistics(w, x, permutations=args.permutations, seed=args.seed, sequential=args.h)
            times["sequential"].append(time.perf_counter() - start)
        agree = []
        for q in ("lisa_q", "gi_q"):
            tested = ~np.isnan(getattr(full, q))
            agree.append(((getattr(full, q) <= 0.05) == (getattr(seq, q) <= 0.05))[tested])
        agree = np.concatenate(agree)
        tested = seq.draws > 0
        full_t, seq_t = np.median(times["full"]), np.median(times["sequential"])
        print(f"# {k} column(s): full {full_t:.2f} s, sequential {seq_t:.2f} s; permutations per test "
              f"{seq.draws[tested].mean():.0f} (of {args.permutations}), stopped early "
              f"{np.mean(seq.draws[tested] < args.permutations):.1%}, units stopped early "
              f"{np.mean(seq.draws.max(axis=1) < args.permutations):.1%}; significant (full) "
              f"{np.mean(full.lisa_q[~np.isnan(full.lisa_q)] <= 0.05):.1%}; "
              f"{int((~agree).sum())} of {agree.size} decisions differ")
        print(f"sequential_speedup={full_t / seq_t:.2f} columns={k} units={w.n}")
        print(f"decision_agreement={agree.mean():.6f} columns={k}")


if __name__ == "__main__":
    main()
