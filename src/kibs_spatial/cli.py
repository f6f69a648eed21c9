"""The ``kibs-spatial`` command line: a thin layer over the Python API.

Bad input ends with one clear message and exit status 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .crs import PROJECTED_CRS
from .defaults import DEFAULT_PERMUTATIONS, DEFAULT_SEED, DEFAULT_WEIGHTS
from .errors import InputError

EXIT_INPUT_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except InputError as error:
        print(f"kibs-spatial: error: {error}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("kibs-spatial: interrupted; no partial output was left behind", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kibs-spatial", description="Map KIBS industry clusters with spatial statistics.")
    parser.add_argument("--version", action="version", version=f"kibs-spatial {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the whole pipeline (bundled boundaries and synthetic demo data by default)")
    run.add_argument("--config", type=Path, help="analysis TOML file (see examples/analysis.toml)")
    run.add_argument("--output", type=Path, help="output folder (overrides [output] dir)")
    run.add_argument("--maps-dir", type=Path, help="folder for the HTML maps (overrides [output] maps_dir)")
    run.add_argument("--permutations", type=int, help="permutations for the tests (overrides the config)")
    run.add_argument("--seed", type=int, help="random seed (overrides the config)")
    run.add_argument("--allow-unmatched", action="store_true", help="continue when data rows match no region (they are reported)")
    run.add_argument("--preset", action="append", metavar="NAME",
                     help="cluster-rule preset to apply, repeatable (overrides [rules] presets): kiet, uscmp-strong, uscmp-strong90, eco-stars, lq-gi")
    run.add_argument("--boundary-crs", help="CRS of a boundary file that has none, e.g. EPSG:5186 (overrides [data] boundary_crs)")
    run.add_argument("--region-codes", choices=["auto", "mois", "kostat"], help="code system of the data tables' region codes (overrides [data] region_code_system)")
    run.add_argument("--harmonize", action="store_true", help="dissolve units that the data give only as a whole (a city, a merger) instead of stopping")
    run.add_argument("--robustness", action="store_true",
                     help="re-run the statistics and presets over other reasonable choices and report each location's "
                          "stability (see [robustness])")
    run.add_argument("--quiet", action="store_true", help="no progress messages")
    run.set_defaults(handler=_run)

    weights = commands.add_parser("weights", help="build the neighbour graph and print its connectivity report")
    weights.add_argument("input", nargs="?", help="polygon file with a region_code column (default: the bundled si-gun-gu)")
    weights.add_argument("--layer", help="layer of the input file (bundled: sigungu or city)")
    weights.add_argument("--id", default="region_code", help="id field of the input layer (default region_code)")
    weights.add_argument("--input-crs", help="CRS of an input file that has none, e.g. EPSG:5186")
    weights.add_argument("--weights", default=DEFAULT_WEIGHTS, help=f"weights spec (default {DEFAULT_WEIGHTS}; also rook:tolerance=500, knn:k=6, distance:threshold=20000, kernel:k=8)")
    weights.add_argument("--islands", choices=["keep", "nearest"], default="keep", help="island policy (default keep)")
    weights.add_argument("--output", type=Path, help="write the graph as a GAL file keyed by region code")
    weights.add_argument("--json", action="store_true", help="print the report as JSON")
    weights.set_defaults(handler=_weights)

    hot = commands.add_parser("hotspots", help="LISA and Getis-Ord Gi* on the numeric columns of any polygon layer")
    hot.add_argument("input", help="GeoPackage, shapefile, GeoJSON or TopoJSON with polygons")
    hot.add_argument("--columns", required=True, help="comma-separated numeric columns to test, e.g. a,b")
    hot.add_argument("--layer", help="layer of the input file")
    hot.add_argument("--id", help="unique id field (default: features numbered from 1 as feature_id)")
    hot.add_argument("--weights", default=DEFAULT_WEIGHTS, help=f"weights spec (default {DEFAULT_WEIGHTS})")
    hot.add_argument("--islands", choices=["keep", "nearest"], default="keep", help="island policy (default keep)")
    hot.add_argument("--permutations", type=int, default=DEFAULT_PERMUTATIONS, help=f"conditional permutations (default {DEFAULT_PERMUTATIONS})")
    hot.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    hot.add_argument("--alternative", choices=["two-sided", "two-sided-folded", "greater", "less"], default="two-sided",
                     help="two-sided = equal tails (default); two-sided-folded = folded about the permutation mean")
    hot.add_argument("--fdr", choices=["bh", "by", "bonferroni", "none"], default="bh", help="multiple-testing control (default bh)")
    hot.add_argument("--fdr-scope", choices=["column", "all"], default="column",
                     help="FDR per column (default: each map read alone) or over all columns x units")
    hot.add_argument("--alpha", type=float, default=0.05, help="significance level for the categories (default 0.05)")
    hot.add_argument("--crs", default=PROJECTED_CRS, help=f"CRS to work in, in metres (default {PROJECTED_CRS}; 'auto' = the layer's own or local UTM)")
    hot.add_argument("--input-crs", help="CRS of an input file that has none (e.g. a shapefile without .prj), e.g. EPSG:5186")
    hot.add_argument("--output", type=Path, required=True, help="output GeoPackage")
    hot.add_argument("--quiet", action="store_true", help="no progress bar")
    hot.set_defaults(handler=_hotspots)

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
    "region_codes": ("data", "region_code_system", "--region-codes"),
}
RUN_FLAGS = {"allow_unmatched": ("data", "allow_unmatched", "--allow-unmatched"),
             "harmonize": ("data", "harmonize", "--harmonize"), "robustness": ("robustness", "enabled", "--robustness")}


def run_overrides(args: argparse.Namespace) -> dict[tuple[str, str], tuple[object, str]]:
    """The ``run`` options the user gave, as overrides of the analysis file (checked with it)."""
    given = {dest: getattr(args, dest) for dest in RUN_OPTIONS if getattr(args, dest) is not None}
    given.update({dest: True for dest in RUN_FLAGS if getattr(args, dest)})
    options = {**RUN_OPTIONS, **RUN_FLAGS}
    return {(options[d][0], options[d][1]): (str(v) if isinstance(v, Path) else v, options[d][2]) for d, v in given.items()}


def _run(args: argparse.Namespace) -> int:
    from .io.config import load_config
    from .outputs import write_outputs
    from .outputs.summary_text import format_summary
    from .pipeline import run_analysis, steps
    from .progress import Progress

    config = load_config(args.config, run_overrides(args))
    progress = Progress(steps(config) + 1, enabled=not args.quiet)
    result = run_analysis(config, progress)
    progress.step("writing the GeoPackage, report, tables, maps and rasters")
    written = write_outputs(result)
    progress.finish()
    print(format_summary(result))
    print()
    print(f"GeoPackage: {written.geopackage}")
    print(f"Maps:       {written.maps[0] if written.maps else '-'} ({len(written.maps)} pages)")
    print(f"Report:     {written.report}")
    print(f"Tables:     {Path(config.output.dir)} ({len(written.tables)} files)")
    if written.rasters:
        print(f"Rasters:    {written.rasters[0].parent} ({len(written.rasters)} GeoTIFFs)")
    return 0


def _weights(args: argparse.Namespace) -> int:
    from .analysis.weights import build_weights
    from .io.boundaries import load_bundled_regions
    from .io.boundary_files import read_boundary_file
    from .outputs.tables import write_gal

    if args.input is None:
        regions = load_bundled_regions(args.layer or "sigungu")
    else:
        regions = read_boundary_file(args.input, layer=args.layer, id_column=args.id, source_crs=args.input_crs)
    result = build_weights(regions, args.weights, id_column=args.id, island_policy=args.islands)
    if args.json:
        print(result.report.to_json())
    else:
        names = dict(zip(regions[args.id].astype(str), regions["full_name_ko"])) if "full_name_ko" in regions else None
        print(result.report.to_text(names))
    if args.output:
        write_gal(result.w, args.output)
        if not args.json:
            print(f"GAL file: {args.output}")
    return 0


def _hotspots(args: argparse.Namespace) -> int:
    from .hotspot_layer import HotspotSettings, run_hotspots
    from .io.config import statistics_config, weights_config
    from .outputs.hotspots import write_hotspots
    from .progress import Progress

    option = (lambda key: f"--{key.replace('_', '-')}")
    stats = statistics_config({k: getattr(args, k) for k in ("permutations", "seed", "alternative", "fdr", "fdr_scope",
                                                             "alpha")}, option)
    weights = weights_config({"spec": args.weights, "islands": args.islands},
                             lambda key: "--weights" if key == "spec" else "--islands")
    settings = HotspotSettings(weights=weights, statistics=stats, crs=args.crs, input_crs=args.input_crs)
    columns = [c.strip() for c in args.columns.split(",") if c.strip()]
    progress = Progress(0, enabled=not args.quiet)
    result = run_hotspots(args.input, columns, settings, layer=args.layer, id_field=args.id, progress=progress.bar("permutations"))
    path = write_hotspots(result, args.output)
    report = result.weights
    print(f"{len(result.layer)} units, {report.components} components, {len(report.islands)} islands (policy {report.island_policy})")
    print(f"minimum attainable p = {result.metadata['minimum_p']:.6g} ({stats.permutations} permutations, {stats.alternative})")
    print(result.counts().to_string(index=False))
    print(f"written: {path}")
    return 0


def _ingest_kosis(args: argparse.Namespace) -> int:
    from .io.kosis import read_kosis, write_tidy

    table = read_kosis(args.file, encoding=args.encoding)
    totals = args.totals or args.output.with_name(f"{args.output.stem}_totals.csv")
    write_tidy(table, args.output, totals)
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
