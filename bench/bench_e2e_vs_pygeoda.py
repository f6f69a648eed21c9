"""The whole process against a pygeoda script: read a shapefile, weights, LISA + Gi*, write a GeoPackage.

Writes once a layer of ``--units`` square 1 km cells (a square lattice, the last row partly filled)
with ``--columns`` numeric columns (skewed, spatially smoothed, like sector employment) to a shapefile,
then times, alternating, best of ``--repeats`` (wall clock of a fresh process each time, interpreter
start and imports included):

  ours    : ``kibs-spatial hotspots layer.shp --columns c0,... --weights queen:tolerance=0
            --permutations 999 --output ours.gpkg --quiet --timings`` (LISA and Gi* with FDR,
            global Moran with its permutations, the QGIS styles and metadata in the GeoPackage)
  pygeoda : a script doing the same from the same file: geopandas reads it, ``pygeoda.open``,
            ``queen_weights``, ``local_moran`` and ``local_gstar`` per column (999 lookup-table
            permutations), the values, pseudo p-values and cluster codes added to the layer,
            written to a GeoPackage with geopandas (pyogrio). No FDR, no global Moran, no styles.

Both run with 2 threads (``NUMBA_NUM_THREADS``; pygeoda's ``cpu_threads``). Peak memory is each
process's maximum resident set (``os.wait4``). Prints our time split into startup (interpreter and
CLI), import, read, weights, statistics and write (``hotspots --timings``), then
``e2e_vs_pygeoda=<pygeoda seconds / ours>`` (above 1: we are faster).

Usage: python bench/bench_e2e_vs_pygeoda.py [--units 3600] [--columns 5] [--repeats 3]
       python bench/bench_e2e_vs_pygeoda.py --units 100000 --columns 30 --repeats 1
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pygeoda
import scipy.sparse as sp
import shapely

PERMUTATIONS = 999
PHASES = ("import", "read", "weights", "statistics", "write")

PYGEODA_SCRIPT = """
import sys
import geopandas as gpd
import numpy as np
import pygeoda

path, output, columns, threads = sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
layer = gpd.read_file(path, engine="pyogrio")
gda = pygeoda.open(layer)
w = pygeoda.queen_weights(gda)
options = dict(permutations=999, permutation_method="lookup-table", cpu_threads=threads, seed=12345)
for column in columns:
    values = layer[column].tolist()
    for name, result in (("lisa", pygeoda.local_moran(w, values, **options)),
                         ("gstar", pygeoda.local_gstar(w, values, **options))):
        layer[f"{column}_{name}"] = np.asarray(result.lisa_values())
        layer[f"{column}_{name}_p"] = np.asarray(result.lisa_pvalues())
        layer[f"{column}_{name}_cl"] = np.asarray(result.lisa_clusters())
layer.to_file(output, layer="hotspots", driver="GPKG", engine="pyogrio")
"""


def write_layer(folder: Path, units: int, columns: int, seed: int = 1) -> tuple[Path, list[str]]:
    """``units`` 1 km squares in EPSG:5179 with ``columns`` skewed, spatially smoothed columns, as a shapefile."""
    side = math.isqrt(units - 1) + 1
    rows, cols = np.divmod(np.arange(units), side)
    x, y = 950_000.0 + cols * 1000.0, 1_900_000.0 + rows * 1000.0
    names = [f"c{i}" for i in range(columns)]
    raw = np.random.default_rng(seed).lognormal(size=(units, columns))
    # the queen lag of each column, from the row/column neighbours (a full lattice but for the last row)
    position = {(r, c): i for i, (r, c) in enumerate(zip(rows.tolist(), cols.tolist()))}
    left, right = [], []
    for i, (r, c) in enumerate(zip(rows.tolist(), cols.tolist())):
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                j = position.get((r + dr, c + dc))
                if j is not None and j != i:
                    left.append(i)
                    right.append(j)
    w = sp.csr_matrix((np.ones(len(left)), (left, right)), shape=(units, units))
    lag = (w @ raw) / np.maximum(np.asarray(w.sum(axis=1)), 1)
    values = np.round(0.5 * raw + 0.5 * lag, 6)
    frame = gpd.GeoDataFrame(dict(zip(names, values.T)), geometry=shapely.box(x, y, x + 1000, y + 1000),
                             crs="EPSG:5179")
    path = folder / "layer.shp"
    frame.to_file(path, engine="pyogrio")
    return path, names


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak resident set (kB) and stderr of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{' '.join(command[:3])} ... failed ({process.returncode}):\n{err[-3000:]}")
    return seconds, usage.ru_maxrss, err


def our_phases(stderr: str) -> dict[str, float]:
    line = next((ln for ln in stderr.splitlines() if ln.startswith("timings:")), "")
    return {name: float(value) for name, value in re.findall(r"(\w+) ([\d.]+) s", line)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=3600)
    parser.add_argument("--columns", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--weights", default="queen:tolerance=0",
                        help="our weights spec (default queen:tolerance=0, pygeoda's queen; also queen, grid-queen)")
    args = parser.parse_args()
    executable = shutil.which("kibs-spatial") or str(Path(sys.executable).with_name("kibs-spatial"))
    env = {**os.environ, "NUMBA_NUM_THREADS": str(args.threads), "OMP_NUM_THREADS": str(args.threads)}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"pygeoda {pygeoda.__version__}; {args.units:,} units x {args.columns} columns, {PERMUTATIONS} permutations, "
          f"{args.threads} threads, best of {args.repeats}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        path, names = write_layer(folder, args.units, args.columns)
        print(f"layer written in {time.perf_counter() - start:.1f} s: {path.name}", flush=True)
        ours_cmd = [executable, "hotspots", str(path), "--columns", ",".join(names), "--weights", args.weights,
                    "--permutations", str(PERMUTATIONS), "--output", str(folder / "ours.gpkg"), "--quiet", "--timings"]
        script = folder / "pygeoda_script.py"
        script.write_text(PYGEODA_SCRIPT)
        theirs_cmd = [sys.executable, str(script), str(path), str(folder / "pygeoda.gpkg"), ",".join(names),
                      str(args.threads)]
        best_ours = best_theirs = (math.inf, 0, "")
        peak_ours = peak_theirs = 0
        for _ in range(args.repeats):
            for output in ("ours.gpkg", "pygeoda.gpkg"):
                (folder / output).unlink(missing_ok=True)
            ours = timed(ours_cmd, env)
            theirs = timed(theirs_cmd, env)
            peak_ours, peak_theirs = max(peak_ours, ours[1]), max(peak_theirs, theirs[1])
            best_ours, best_theirs = min(best_ours, ours), min(best_theirs, theirs)
            print(f"  run: ours {ours[0]:.2f} s, pygeoda {theirs[0]:.2f} s", flush=True)
        phases = our_phases(best_ours[2])
        startup = best_ours[0] - sum(phases.get(p, 0.0) for p in PHASES)
        split = ", ".join(f"{p} {phases.get(p, float('nan')):.2f}" for p in PHASES)
        print(f"ours: {best_ours[0]:.2f} s wall (startup {startup:.2f}, {split}), peak memory {peak_ours / 1024:.0f} MB")
        print(f"pygeoda script: {best_theirs[0]:.2f} s wall, peak memory {peak_theirs / 1024:.0f} MB")
        print(f"units={args.units} columns={args.columns} e2e_vs_pygeoda={best_theirs[0] / best_ours[0]:.2f}")


if __name__ == "__main__":
    main()
