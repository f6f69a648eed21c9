"""The robustness grid against the plain run's statistics, on the bundled demo data, same process.

Times, after a warm-up run that compiles every numba function:
  plain : the statistics of a plain run — global Moran and local Moran / Gi* over every sector and
          period (``global_moran`` + ``local_statistics`` as ``run_analysis`` calls them)
  grid  : ``analysis.robustness.robustness`` with the default ``[robustness]`` settings (13
          specifications: 6 other weights, 2 other seeds, LQ and size thresholds each moved twice),
          statistics re-run for each weights and seed specification, every preset re-applied for all
and prints ``robustness_ratio=grid/plain`` (the issue's target: under 5). Median of ``--repeat``.

Usage: python bench/bench_robustness.py [--repeat 3] [--permutations 9999]
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import statistics
import time

from kibs_spatial.analysis.robustness import robustness
from kibs_spatial.analysis.settings import AnalysisConfig
from kibs_spatial.analysis.statistics import global_moran, local_statistics
from kibs_spatial.pipeline import _test_matrix, run_analysis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--permutations", type=int, default=9999)
    args = parser.parse_args()
    config = AnalysisConfig()
    config = dataclasses.replace(config, statistics=dataclasses.replace(config.statistics, permutations=args.permutations))
    result = run_analysis(config)  # warm-up, and the tables both timings start from
    stats, codes = config.statistics, result.regions["region_code"].tolist()
    columns = [(s.ksic, p.label) for s in result.sectors for p in result.periods]
    matrix = _test_matrix(result.table, codes, columns, config.analysis.variable)
    spec = str(result.metadata["weights"])
    latest = result.latest()

    def plain() -> None:
        global_moran(result.weights.w, matrix, permutations=stats.permutations, seed=stats.seed)
        local_statistics(result.weights.w, matrix, permutations=stats.permutations, seed=stats.seed,
                         alternative=stats.alternative, fdr=stats.fdr, fdr_scope=stats.fdr_scope, alpha=stats.alpha)

    def grid() -> None:
        robustness(latest, result.regions, config, spec, result.periods[0].label, True)

    times = {name: statistics.median(_timed(f) for _ in range(args.repeat)) for name, f in (("plain", plain), ("grid", grid))}
    print(f"machine: {platform.machine()}, python {platform.python_version()}; {len(codes)} units, "
          f"{len(columns)} sector x period columns, {args.permutations} permutations")
    print(f"plain_statistics_s={times['plain']:.3f} robustness_grid_s={times['grid']:.3f}")
    print(f"robustness_ratio={times['grid'] / times['plain']:.2f}")


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
