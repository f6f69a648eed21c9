"""The ``kibs-spatial`` command line: a thin layer over the Python API.

Bad input ends with one line, ``kibs-spatial: error: <file, line, column or option>: <what> — <what to do>``,
and exit status 2; no traceback. Anything unexpected ends with a short message naming a log file that
holds the traceback, and exit status 1. Ctrl-C (or SIGTERM) ends with exit status 130 and a message saying
what was left: outputs are written into staging folders that replace the previous run's folders only
when complete (``files.staged_folders``), under a lock that refuses a second run into the same place.
"""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import __version__
from .crs import PROJECTED_CRS
from .defaults import DEFAULT_PERMUTATIONS, DEFAULT_SEED, DEFAULT_WEIGHTS
from .errors import InputError

EXIT_INPUT_ERROR = 2
EXIT_INTERNAL_ERROR = 1
EXIT_INTERRUPTED = 130
PERMUTATION_RANGE = "99 to 999,999"
PROG = "kibs-spatial"
QUICK_EXIT = ("hotspots", "grid", "weights")
"""Commands whose console process ends with ``os._exit`` once their files are written and closed: tearing down
numba, pandas and GDAL takes about a second and changes nothing on disk."""


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a refused option (already reported on one line)
        return done.code if isinstance(done.code, int) else EXIT_INPUT_ERROR
    state = _State(args.command)
    try:
        with _interrupts():
            code = args.handler(args, state) if args.command == "run" else args.handler(args)
        if argv is None and args.command in QUICK_EXIT:
            _exit_now(code)  # the console command: its output is complete; skip the interpreter's slow teardown
        return code
    except InputError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; {state.left()}", file=sys.stderr)
        if argv is None:  # the console command: everything is cleaned up, skip the interpreter's slow teardown
            _exit_now(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except OSError as error:
        if not error.filename:
            return _internal_error(error, argv)
        print(f"{PROG}: error: {error.filename}: {error.strerror or error} — check the path, its permissions and the "
              "free space", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except Exception as error:  # noqa: BLE001 - the last resort: never a raw traceback on the console
        return _internal_error(error, argv)


def _exit_now(code: int) -> None:
    """End the process at once (after Ctrl-C, or after a command in ``QUICK_EXIT``): the staging folders are gone
    and every output renamed into place, the locks die with the process; tearing down numba, pandas and GDAL would
    take another second or two."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _internal_error(error: BaseException, argv: list[str] | None) -> int:
    """Write the traceback to a log file and say where it is; exit status 1."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    log = Path(tempfile.gettempdir()) / f"{PROG}-error-{stamp}-{os.getpid()}.log"
    text = (f"{PROG} {__version__}, Python {sys.version.split()[0]}\ncommand: {PROG} "
            f"{' '.join(sys.argv[1:] if argv is None else argv)}\n\n"
            + "".join(traceback.format_exception(type(error), error, error.__traceback__)))
    try:
        log.write_text(text, encoding="utf-8")
        where = f"the details are in {log}"
    except OSError:
        where = "the details could not be written to a log file"
    summary = " ".join(f"{type(error).__name__}: {error}".split())[:300]
    print(f"{PROG}: error: unexpected internal error ({summary}) — {where}; please report it with that file",
          file=sys.stderr)
    return EXIT_INTERNAL_ERROR


@contextmanager
def _interrupts() -> Iterator[None]:
    """Ctrl-C (SIGINT) and SIGTERM raise KeyboardInterrupt while the command runs.

    Python drops an exception raised inside a ctypes callback (it reports it as "unraisable" and goes on): a
    Ctrl-C that lands while numba compiles (mapclassify does on import; llvmlite calls back into Python) would
    be lost, and the report would print a traceback. Such a swallowed interrupt is signalled again at once, so it
    is raised in ordinary code a moment later, and it is not reported.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    closing = threading.Event()
    received: list[int] = []
    timers: list[threading.Timer] = []

    def stop(signum, frame):
        if closing.is_set():
            return  # the command is already ending: never raise in the middle of its clean-up
        received.append(signum)
        raise KeyboardInterrupt

    def swallowed(unraisable) -> None:
        if issubclass(unraisable.exc_type, KeyboardInterrupt) and received and not closing.is_set():
            # signal again from another thread a moment later, so it is not raised inside this hook
            again = threading.Timer(0.02, os.kill, (os.getpid(), received[-1]))
            again.daemon = True
            timers.append(again)
            again.start()
            return
        previous_hook(unraisable)

    ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # started in the background: leave Ctrl-C ignored
    previous = {sig: signal.signal(sig, stop) for sig in ([] if ignored else [signal.SIGINT]) + [signal.SIGTERM]}
    previous_hook, sys.unraisablehook = sys.unraisablehook, swallowed
    try:
        yield
    finally:
        closing.set()
        for timer in timers:  # no signal of ours may reach the handlers restored below
            timer.cancel()
            timer.join()
        sys.unraisablehook = previous_hook
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass
class _State:
    """How far a command got, for the message after Ctrl-C."""

    command: str
    phase: str = "starting"  # analysis, writing, replacing, done
    targets: list[tuple[Path, bool]] = field(default_factory=list)  # output folders and whether they existed

    def left(self) -> str:
        """What the interrupted command left, exactly."""
        if self.command != "run" or not self.targets:
            return "no output file was changed (every file is written to a temporary name and renamed when complete)"
        if self.phase in ("replacing", "done"):
            return f"the outputs were complete and are in {', '.join(str(p) for p, _ in self.targets)}"
        unchanged = "; ".join(f"{path} still holds the previous run's outputs, unchanged" if existed
                              else f"{path} was not created" for path, existed in self.targets)
        if self.phase == "writing":
            return f"stopped while writing the outputs; the unfinished files were removed and {unchanged}"
        return f"stopped during the analysis, before anything was written; {unchanged}"


class _Parser(argparse.ArgumentParser):
    """Refused options end with one line (``kibs-spatial: error: ...``) and exit status 2, without the usage block."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        self.exit(EXIT_INPUT_ERROR, f"{PROG}: error: {self.prog.removeprefix(PROG).strip() or PROG}: {message} — see "
                                    f"{self.prog} --help\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Map KIBS industry clusters with spatial statistics.")
    parser.add_argument("--version", action="version", version=f"kibs-spatial {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the whole pipeline (bundled boundaries and synthetic demo data by default)")
    run.add_argument("--config", type=Path, help="analysis TOML file (see examples/analysis.toml)")
    run.add_argument("--output", type=Path, help="output folder (overrides [output] dir)")
    run.add_argument("--maps-dir", type=Path, help="folder for the HTML maps (overrides [output] maps_dir)")
    run.add_argument("--permutations", type=int, help=f"permutations for the tests, {PERMUTATION_RANGE} (overrides the config); "
                                                      "memory does not grow with the number, time does")
    run.add_argument("--seed", type=int, help="random seed (overrides the config)")
    run.add_argument("--allow-unmatched", action="store_true", help="continue when data rows match no region (they are reported)")
    run.add_argument("--preset", action="append", metavar="NAME",
                     help="cluster-rule preset to apply, repeatable (overrides [rules] presets): kiet, uscmp-strong, uscmp-strong90, eco-stars, lq-gi")
    run.add_argument("--boundary-crs", help="CRS of a boundary file that has none, e.g. EPSG:5186 (overrides [data] boundary_crs)")
    run.add_argument("--level", choices=["sigungu", "city", "emd"],
                     help="bundled units: si-gun-gu, cities or eup-myeon-dong (2013; data keyed by 8-digit legal-dong "
                          "codes) (overrides [data] level)")
    run.add_argument("--region-codes", choices=["auto", "mois", "kostat"], help="code system of the data tables' region codes (overrides [data] region_code_system)")
    run.add_argument("--harmonize", action="store_true", help="dissolve units that the data give only as a whole (a city, a merger) instead of stopping")
    run.add_argument("--robustness", action="store_true",
                     help="re-run the statistics and presets over other reasonable choices and report each location's "
                          "stability (see [robustness])")
    run.add_argument("--scheduler", metavar="local:N|tcp://HOST:PORT",
                     help="run the permutation tests on a Dask cluster: local:N starts N worker processes here, "
                          "tcp://host:port uses a running scheduler (same results; pip install 'kibs-spatial[distributed]')")
    run.add_argument("--quiet", action="store_true", help="no progress messages")
    run.set_defaults(handler=_run)

    weights = commands.add_parser("weights", help="build the neighbour graph and print its connectivity report")
    weights.add_argument("input", nargs="?", help="polygon file with a region_code column (default: the bundled si-gun-gu)")
    weights.add_argument("--layer", help="layer of the input file (bundled: sigungu or city)")
    weights.add_argument("--id", default="region_code", help="id field of the input layer (default region_code)")
    weights.add_argument("--input-crs", help="CRS of an input file that has none, e.g. EPSG:5186")
    weights.add_argument("--crs", default=PROJECTED_CRS, help=f"CRS to work in, in metres (default {PROJECTED_CRS}; "
                                                           "'auto' = the layer's own or local UTM, for a layer outside Korea)")
    weights.add_argument("--weights", default=DEFAULT_WEIGHTS, help=f"weights spec (default {DEFAULT_WEIGHTS}; also rook:tolerance=500, knn:k=6, distance:threshold=20000, "
                              "kernel:k=8, grid-queen, grid-rook)")
    weights.add_argument("--islands", choices=["keep", "nearest"], default="keep", help="island policy (default keep)")
    weights.add_argument("--output", type=Path, help="write the graph as a GAL file keyed by region code")
    weights.add_argument("--json", action="store_true", help="print the report as JSON")
    weights.set_defaults(handler=_weights)

    hot = commands.add_parser("hotspots", help="LISA and Getis-Ord Gi* on the numeric columns of any polygon layer")
    hot.add_argument("input", help="GeoPackage, shapefile, GeoJSON or TopoJSON with polygons")
    hot.add_argument("--columns", required=True, help="comma-separated numeric columns to test, e.g. a,b")
    hot.add_argument("--layer", help="layer of the input file")
    hot.add_argument("--id", help="unique id field (default: features numbered from 1 as feature_id)")
    hot.add_argument("--weights", default=DEFAULT_WEIGHTS,
                     help=f"weights spec (default {DEFAULT_WEIGHTS}); grid-queen or grid-rook for a kibs-spatial grid layer "
                          "(contiguity from the cells' row and col, in linear time)")
    hot.add_argument("--islands", choices=["keep", "nearest"], default="keep", help="island policy (default keep)")
    hot.add_argument("--permutations", type=int, default=DEFAULT_PERMUTATIONS,
                     help=f"conditional permutations, {PERMUTATION_RANGE} (default {DEFAULT_PERMUTATIONS})")
    hot.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    hot.add_argument("--alternative", choices=["two-sided", "two-sided-folded", "greater", "less"], default="two-sided",
                     help="two-sided = equal tails (default); two-sided-folded = folded about the permutation mean")
    hot.add_argument("--fdr", choices=["bh", "by", "bonferroni", "none"], default="bh", help="multiple-testing control (default bh)")
    hot.add_argument("--fdr-scope", choices=["column", "all"], default="column",
                     help="FDR per column (default: each map read alone) or over all columns x units")
    hot.add_argument("--alpha", type=float, default=0.05, help="significance level for the categories (default 0.05)")
    hot.add_argument("--sequential", type=int, default=0, metavar="H",
                     help="sequential Monte Carlo p-values: a unit stops drawing once each of its tests has H exceedances "
                          "(10-20; Besag & Clifford 1991); pays off with few columns (default 0: all permutations)")
    hot.add_argument("--crs", default=PROJECTED_CRS, help=f"CRS to work in, in metres (default {PROJECTED_CRS}; 'auto' = the layer's own or local UTM)")
    hot.add_argument("--input-crs", help="CRS of an input file that has none (e.g. a shapefile without .prj), e.g. EPSG:5186")
    hot.add_argument("--output", type=Path, required=True, help="output GeoPackage")
    hot.add_argument("--quiet", action="store_true", help="no progress bar")
    hot.add_argument("--timings", action="store_true",
                     help="print the wall time of each phase (import, read, weights, statistics, write) to stderr")
    hot.set_defaults(handler=_hotspots)

    grid = commands.add_parser("grid", help="a square grid on the national grid (KOSTAT grid codes), for hotspots "
                                            "--weights grid-queen")
    grid.add_argument("input", nargs="?", help="polygon file to lay the grid over (default: the bundled si-gun-gu)")
    grid.add_argument("--size", type=int, help="cell size in metres: 100, 500, 1000, 10000 or 100000 (required "
                                               "without --table; with --table, the table's)")
    grid.add_argument("--table", type=Path, action="append", metavar="CSV",
                      help="KOSTAT (SGIS) grid-statistics table keyed by grid code, repeatable (one per 100 km square): "
                           "its cells, one column per item (item_year with several years); masked values missing")
    grid.add_argument("--regions", metavar="CODES",
                      help="comma-separated region codes or code prefixes to cover, e.g. 11 (Seoul) or 11680,11650")
    grid.add_argument("--layer", help="layer of the input file (bundled: sigungu or city)")
    grid.add_argument("--id", default="region_code", help="id field of the input layer (default region_code)")
    grid.add_argument("--input-crs", help="CRS of an input file that has none, e.g. EPSG:5186")
    grid.add_argument("--output", type=Path, required=True, help="output GeoPackage (layer grid, EPSG:5179)")
    grid.set_defaults(handler=_grid)

    ingest = commands.add_parser("ingest", help="turn statistics exports into the tidy sector and totals tables")
    sources = ingest.add_subparsers(dest="source", required=True)
    kosis = sources.add_parser("kosis", help="a KOSIS CSV or XLSX download (CP949 or UTF-8)")
    kosis.add_argument("file", type=Path)
    kosis.add_argument("--output", type=Path, required=True, help="tidy sector CSV; totals go to <stem>_totals.csv")
    kosis.add_argument("--totals", type=Path, help="tidy totals CSV (default <output stem>_totals.csv)")
    kosis.add_argument("--encoding", help="file encoding (default: detect UTF-8 or CP949)")
    kosis.set_defaults(handler=_ingest_kosis)

    demo = commands.add_parser("demo-data", help="regenerate the synthetic demo sector data")
    demo.add_argument("--output", type=Path, default=Path("data/demo"), help="folder to write to (default data/demo)")
    demo.add_argument("--seed", type=int, default=None, help="generator seed")
    demo.set_defaults(handler=_demo_data)
    return parser


RUN_OPTIONS = {  # argparse destination -> (section, key, option) of the analysis file
    "output": ("output", "dir", "--output"), "maps_dir": ("output", "maps_dir", "--maps-dir"),
    "permutations": ("statistics", "permutations", "--permutations"), "seed": ("statistics", "seed", "--seed"),
    "preset": ("rules", "presets", "--preset"), "boundary_crs": ("data", "boundary_crs", "--boundary-crs"),
    "region_codes": ("data", "region_code_system", "--region-codes"), "level": ("data", "level", "--level"),
}
RUN_FLAGS = {"allow_unmatched": ("data", "allow_unmatched", "--allow-unmatched"),
             "harmonize": ("data", "harmonize", "--harmonize"), "robustness": ("robustness", "enabled", "--robustness")}


def run_overrides(args: argparse.Namespace) -> dict[tuple[str, str], tuple[object, str]]:
    """The ``run`` options the user gave, as overrides of the analysis file (checked with it)."""
    given = {dest: getattr(args, dest) for dest in RUN_OPTIONS if getattr(args, dest) is not None}
    given.update({dest: True for dest in RUN_FLAGS if getattr(args, dest)})
    options = {**RUN_OPTIONS, **RUN_FLAGS}
    return {(options[d][0], options[d][1]): (str(v) if isinstance(v, Path) else v, options[d][2]) for d, v in given.items()}


def _run(args: argparse.Namespace, state: _State) -> int:
    from .files import locked_outputs, staged_folders
    from .io.config import load_config
    from .outputs import write_outputs
    from .outputs.summary_text import format_summary
    from .pipeline import run_analysis, steps
    from .progress import Progress

    config = load_config(args.config, run_overrides(args))
    folders = _output_folders(config, args)
    state.targets = [(root, root.exists()) for root, _ in folders.roots]
    with locked_outputs(folders.roots):
        _permutation_note(config.statistics.permutations, args.quiet)
        progress = Progress(steps(config) + 1, enabled=not args.quiet)
        state.phase = "analysis"
        result = _with_degenerate_notes(run_analysis(config, progress, scheduler=args.scheduler))
        progress.step("writing the GeoPackage, report, tables, maps and rasters")
        state.phase = "writing"
        with staged_folders([root for root, _ in folders.roots]) as staging:
            written = write_outputs(replace(result, config=folders.staged(config, staging)))
            state.phase = "replacing"
        state.phase = "done"
    progress.finish()
    final = folders.final(staging)
    print(format_summary(result))
    print()
    print(f"GeoPackage: {final(written.geopackage)}")
    print(f"Maps:       {final(written.maps[0]) if written.maps else '-'} ({len(written.maps)} pages)")
    print(f"Report:     {final(written.report)}")
    print(f"Tables:     {folders.dir} ({len(written.tables)} files)")
    if written.rasters:
        print(f"Rasters:    {final(written.rasters[0].parent)} ({len(written.rasters)} GeoTIFFs)")
    return 0


@dataclass(frozen=True)
class _OutputFolders:
    """The run's output folder and maps folder (absolute), and the folders written as a whole (``roots``): one when
    the maps go inside the output folder, else both."""

    dir: Path
    maps_dir: Path
    roots: list[tuple[Path, str]]  # (folder, how the user named it)

    def staged(self, config, staging: dict[Path, Path]):
        """``config`` with the output and maps folders moved into their staging folders."""
        move = self.final_to_staged(staging)
        return replace(config, output=replace(config.output, dir=str(move(self.dir)), maps_dir=str(move(self.maps_dir))))

    def final_to_staged(self, staging: dict[Path, Path]):
        def move(path: Path) -> Path:
            root = next(r for r, _ in self.roots if path == r or r in path.parents)
            return staging[root] / path.relative_to(root)
        return move

    def final(self, staging: dict[Path, Path]):
        """Maps a written path in a staging folder to its final place."""
        def back(path: Path) -> Path:
            path = Path(path)
            for root, folder in staging.items():
                if path == folder or folder in path.parents:
                    return root / path.relative_to(folder)
            return path
        return back


def _output_folders(config, args: argparse.Namespace) -> _OutputFolders:
    """The output folders of ``run``, checked before any computation (an existing file, a read-only place, ...)."""
    from .files import check_output_folder

    where = config.source if config.source != "defaults" else "the defaults"
    dir_label = "--output" if args.output is not None else f"{where}: [output] dir"
    maps_label = "--maps-dir" if args.maps_dir is not None else f"{where}: [output] maps_dir"
    out = check_output_folder(config.output.dir, dir_label)
    maps = check_output_folder(config.output.maps_dir, maps_label)
    if maps == out or out in maps.parents:
        roots = [(out, dir_label)]
    elif maps in out.parents:
        roots = [(maps, maps_label)]
    else:
        roots = [(out, dir_label), (maps, maps_label)]
    return _OutputFolders(out, maps, roots)


def _permutation_note(permutations: int, quiet: bool) -> None:
    """Above the default, say what a large number of permutations costs (time, not memory)."""
    if quiet or permutations <= DEFAULT_PERMUTATIONS:
        return
    print(f"note: {permutations:,} permutations per unit ({PERMUTATION_RANGE} allowed) take about "
          f"{permutations / DEFAULT_PERMUTATIONS:.0f} times as long as the default {DEFAULT_PERMUTATIONS:,}; memory does not "
          "grow with the number (the draws are counted in chunks); Ctrl-C stops the run within a second", file=sys.stderr)


def _with_degenerate_notes(result):
    """The run's notes plus every criterion that was not applicable because its values do not vary.

    (``pipeline.run_analysis`` can add these itself with ``clusters.degenerate_criteria``; then this adds nothing.)
    """
    from .analysis.clusters import degenerate_criteria

    extra = [note for note in degenerate_criteria(result.latest(), result.config.rules) if note not in result.notes]
    if not extra:
        return result
    notes = (*result.notes, *extra)
    metadata = {**result.metadata, "notes": " | ".join(notes)}
    return replace(result, notes=notes, metadata=metadata)


def _weights(args: argparse.Namespace) -> int:
    from .analysis.weights import build_weights
    from .files import check_output_file, locked_outputs
    from .io.config import check_crs, weights_config
    from .outputs.tables import write_gal

    weights = weights_config({"spec": args.weights, "islands": args.islands},
                             lambda key: "--weights" if key == "spec" else "--islands")
    check_crs(args.crs, "--crs", projected=True)
    check_crs(args.input_crs, "--input-crs")
    outputs = [(check_output_file(args.output, "--output"), "--output")] if args.output else []
    with locked_outputs(outputs):
        regions = _input_regions(args, target_crs=args.crs)
        result = build_weights(regions, weights.spec, id_column=args.id, island_policy=weights.islands)
        if args.output:
            write_gal(result.w, args.output)
    if args.json:
        print(result.report.to_json())
    else:
        names = dict(zip(regions[args.id].astype(str), regions["full_name_ko"])) if "full_name_ko" in regions else None
        print(result.report.to_text(names))
        if args.output:
            print(f"GAL file: {args.output}")
    return 0


def _hotspots(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    from .files import check_output_file, locked_outputs
    from .hotspot_layer import HotspotSettings, run_hotspots
    from .io.config import check_crs, statistics_config, weights_config
    from .outputs.hotspots import write_hotspots
    from .progress import Progress

    timings = {"import": time.perf_counter() - started}
    option = (lambda key: f"--{key.replace('_', '-')}")
    stats = statistics_config({k: getattr(args, k) for k in ("permutations", "seed", "alternative", "fdr", "fdr_scope",
                                                             "alpha", "sequential")}, option)
    weights = weights_config({"spec": args.weights, "islands": args.islands},
                             lambda key: "--weights" if key == "spec" else "--islands")
    check_crs(args.crs, "--crs", projected=True)
    check_crs(args.input_crs, "--input-crs")
    settings = HotspotSettings(weights=weights, statistics=stats, crs=args.crs, input_crs=args.input_crs)
    columns = [c.strip() for c in args.columns.split(",") if c.strip()]
    if not columns:
        raise InputError(f"--columns: {args.columns!r} names no column; give the numeric columns to test, e.g. --columns a,b")
    output = check_output_file(args.output, "--output")
    progress = Progress(0, enabled=not args.quiet)
    with locked_outputs([(output, "--output")]):
        _permutation_note(stats.permutations, args.quiet)
        result = run_hotspots(args.input, columns, settings, layer=args.layer, id_field=args.id,
                              progress=progress.bar("permutations"), timings=timings)
        writing = time.perf_counter()
        path = write_hotspots(result, args.output)
        timings["write"] = time.perf_counter() - writing
    report = result.weights
    print(f"{len(result.layer)} units, {report.components} components, {len(report.islands)} islands (policy {report.island_policy})")
    print(f"minimum attainable p = {result.metadata['minimum_p']:.6g} ({stats.permutations} permutations, {stats.alternative})")
    print(result.counts().to_string(index=False))
    print(f"written: {path}")
    if args.timings:
        phases = ("import", "read", "weights", "statistics", "write")
        print("timings: " + ", ".join(f"{name} {timings.get(name, 0.0):.3f} s" for name in phases)
              + f", total {time.perf_counter() - started:.3f} s (after the interpreter and the CLI started)",
              file=sys.stderr)
    return 0


def _grid(args: argparse.Namespace) -> int:
    from .files import check_output_file, locked_outputs
    from .io.config import check_crs
    from .io.grid import CELL_SIZES

    check_crs(args.input_crs, "--input-crs")
    if args.table and (args.input or args.regions or args.layer):
        raise InputError("--table: the cells come from the table; a boundary file, --regions and --layer apply only "
                         "when laying a grid over regions")
    if not args.table and args.size is None:
        raise InputError("--size: give the cell size in metres (100, 500, 1000, 10000 or 100000), or --table")
    if args.size is not None and args.size not in CELL_SIZES:
        raise InputError(f"--size: {args.size} m has no national grid code (KOSTAT grids); use one of "
                         f"{', '.join(map(str, CELL_SIZES))}")
    output = check_output_file(args.output, "--output")
    with locked_outputs([(output, "--output")]):
        cells, note = _grid_from_tables(args) if args.table else _grid_over_regions(args)
        _write_layer(cells, output, "grid")
    print(f"{len(cells):,} cells of {cells.attrs['cell_size']:,} m{note}")
    print(f"written: {args.output} (layer grid; kibs-spatial hotspots {args.output} --id grid_code --weights grid-queen "
          "--columns ...)")
    return 0


def _input_regions(args: argparse.Namespace, **options):
    """The boundary file given (read with ``options``), or the bundled layer ``--layer`` (si-gun-gu by default)."""
    from .io.boundaries import LEVELS, load_bundled_regions
    from .io.boundary_files import read_boundary_file

    if args.input is not None:
        return read_boundary_file(args.input, layer=args.layer, id_column=args.id, source_crs=args.input_crs, **options)
    if (args.layer or "sigungu") not in LEVELS:
        raise InputError(f"--layer: the bundled boundaries have no layer {args.layer!r}; use one of "
                         f"{', '.join(LEVELS)}, or give a boundary file")
    return load_bundled_regions(args.layer or "sigungu")


def _grid_over_regions(args: argparse.Namespace):
    from .io.grid import build_grid

    regions = _input_regions(args)
    if args.regions:
        prefixes = tuple(code.strip() for code in args.regions.split(",") if code.strip())
        regions = regions[regions[args.id].astype(str).str.startswith(prefixes)]
        if regions.empty:
            raise InputError(f"--regions: no region code starts with {', '.join(prefixes)}")
    cells = build_grid(regions, args.size, id_column=args.id)
    return cells, f" over {len(regions):,} regions"


def _grid_from_tables(args: argparse.Namespace):
    import pandas as pd

    from .io.grid import grid_from_codes, read_grid_table

    tables = [read_grid_table(path) for path in args.table]
    sizes = {t.cell_size for t in tables}
    if len(sizes) > 1 or (args.size is not None and sizes != {args.size}):
        given = f" (--size {args.size})" if args.size is not None else ""
        raise InputError(f"--table: the tables hold cells of {', '.join(f'{s:,} m' for s in sorted(sizes))}{given}; "
                         "give the tables of one grid")
    rows = pd.concat([t.table for t in tables], ignore_index=True)
    repeated = rows[rows.duplicated(["base_year", "grid_code", "item"])]
    if len(repeated):
        first = repeated.iloc[0]
        raise InputError(f"--table: year {first['base_year']}, grid code {first['grid_code']}, item {first['item']} "
                         "appear in more than one table; give each cell once")
    several_years = rows["base_year"].nunique() > 1
    rows["column"] = rows["item"] + (("_" + rows["base_year"].astype(str)) if several_years else "")
    values = rows.pivot(index="grid_code", columns="column", values="value")
    cells = grid_from_codes(values.index.tolist())
    cells = cells.join(values.reset_index(drop=True).rename_axis(columns=None))
    cells = cells.sort_values(["row", "col"], kind="stable").reset_index(drop=True)
    cells.attrs["cell_size"] = tables[0].cell_size
    counts: dict[str, int] = {}
    for table in tables:
        for status, count in table.counts().items():
            counts[status] = counts.get(status, 0) + count
    lines = ", ".join(f"{count:,} {status}" for status, count in sorted(counts.items()))
    return cells, f" from {len(tables)} table(s): lines {lines}; columns {', '.join(values.columns)}"


def _write_layer(frame, path: Path, layer: str) -> None:
    """One GeoPackage layer, written to a temporary file renamed into place when complete (``files.atomic_path``)."""
    import pyogrio

    from .files import atomic_path

    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(frame, tmp, layer=layer, driver="GPKG", dataset_options={"VERSION": "1.2"})


def _ingest_kosis(args: argparse.Namespace) -> int:
    from .files import atomic_paths, check_output_file, locked_outputs, write_csv
    from .io.kosis import read_kosis

    totals = args.totals or args.output.with_name(f"{args.output.stem}_totals.csv")
    outputs = [(check_output_file(args.output, "--output"), "--output"),
               (check_output_file(totals, "--totals" if args.totals else "--output (its _totals.csv)"), "--totals")]
    if outputs[0][0] == outputs[1][0]:
        raise InputError(f"--totals: {totals} is also the --output file; name two different files")
    table = read_kosis(args.file, encoding=args.encoding)
    with locked_outputs(outputs), atomic_paths([args.output, totals]) as (sectors_tmp, totals_tmp):
        write_csv(sectors_tmp, table.sectors)
        write_csv(totals_tmp, table.totals)
    for note in table.notes:
        print(f"  {note}", file=sys.stderr)
    print(f"written: {args.output} ({len(table.sectors)} rows), {totals} ({len(table.totals)} rows)")
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    from .io.boundaries import load_bundled_regions
    from .io.demo import DEMO_SEED, generate_demo_data, save_demo_data

    data = generate_demo_data(load_bundled_regions("sigungu"), seed=args.seed if args.seed is not None else DEMO_SEED)
    for path in save_demo_data(data, args.output):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
