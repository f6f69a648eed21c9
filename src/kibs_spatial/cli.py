"""The ``kibs-spatial`` command line: a thin layer over the Python API.

Bad input ends with one clear message and exit status 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import InputError
from .weights import DEFAULT_WEIGHTS

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
    hot.add_argument("--permutations", type=int, default=9999, help="conditional permutations (default 9999)")
    hot.add_argument("--seed", type=int, default=20140582, help="random seed (default 20140582)")
    hot.add_argument("--alternative", choices=["two-sided", "greater", "less"], default="two-sided")
    hot.add_argument("--fdr", choices=["bh", "by", "bonferroni", "none"], default="bh", help="multiple-testing control (default bh)")
    hot.add_argument("--fdr-scope", choices=["all", "column"], default="all", help="FDR over all columns x units (default) or per column")
    hot.add_argument("--alpha", type=float, default=0.05, help="significance level for the categories (default 0.05)")
    hot.add_argument("--crs", default="EPSG:5179", help="CRS to work in, in metres (default EPSG:5179; 'auto' = the layer's own or local UTM)")
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


def _run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .config import load_config
    from .export import write_outputs
    from .pipeline import STEPS, run_analysis
    from .progress import Progress
    from .summary import format_summary, summarize

    config = load_config(args.config)
    if args.output:
        config = replace(config, output=replace(config.output, dir=str(args.output)))
    if args.maps_dir:
        config = replace(config, output=replace(config.output, maps_dir=str(args.maps_dir)))
    if args.permutations is not None or args.seed is not None:
        stats = config.statistics
        config = replace(config, statistics=replace(
            stats, permutations=args.permutations if args.permutations is not None else stats.permutations,
            seed=args.seed if args.seed is not None else stats.seed))
    if args.preset:
        config = replace(config, rules=config.rules.with_presets(args.preset))
    if args.allow_unmatched:
        config = replace(config, data=replace(config.data, allow_unmatched=True))
    if args.boundary_crs or args.region_codes or args.harmonize:
        data = config.data
        config = replace(config, data=replace(
            data, boundary_crs=args.boundary_crs or data.boundary_crs, region_code_system=args.region_codes or data.region_code_system,
            harmonize=args.harmonize or data.harmonize))
    progress = Progress(STEPS + 1, enabled=not args.quiet)
    run = run_analysis(config, progress)
    summary = summarize(run)
    progress.step("writing the GeoPackage, report, tables, maps and rasters")
    written = write_outputs(run, summary)
    progress.finish()
    print(format_summary(run, summary))
    print()
    print(f"GeoPackage: {written.geopackage}")
    print(f"Maps:       {written.maps[0] if written.maps else '-'} ({len(written.maps)} pages)")
    print(f"Report:     {written.report}")
    print(f"Tables:     {Path(config.output.dir)} ({len(written.tables)} files)")
    if written.rasters:
        print(f"Rasters:    {written.rasters[0].parent} ({len(written.rasters)} GeoTIFFs)")
    return 0


def _weights(args: argparse.Namespace) -> int:
    from .boundaries import load_bundled_regions
    from .boundary_files import read_boundary_file
    from .weights import build_weights, write_gal

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
    from .config import StatisticsConfig, WeightsConfig
    from .hotspots import HotspotSettings, run_hotspots, write_hotspots
    from .progress import Progress

    settings = HotspotSettings(
        weights=WeightsConfig(spec=args.weights, islands=args.islands),
        statistics=StatisticsConfig(permutations=args.permutations, seed=args.seed, alternative=args.alternative,
                                    fdr=args.fdr, fdr_scope=args.fdr_scope, alpha=args.alpha),
        crs=args.crs, input_crs=args.input_crs,
    )
    columns = [c.strip() for c in args.columns.split(",") if c.strip()]
    progress = Progress(0, enabled=not args.quiet)
    result = run_hotspots(args.input, columns, settings, layer=args.layer, id_field=args.id, progress=progress.bar("permutations"))
    path = write_hotspots(result, args.output)
    report = result.weights
    print(f"{len(result.layer)} units, {report.components} components, {len(report.islands)} islands (policy {report.island_policy})")
    stats = settings.statistics
    print(f"minimum attainable p = {result.metadata['minimum_p']:.6g} ({stats.permutations} permutations, {stats.alternative})")
    print(result.counts().to_string(index=False))
    print(f"written: {path}")
    return 0


def _ingest_kosis(args: argparse.Namespace) -> int:
    from .kosis import read_kosis, write_tidy

    table = read_kosis(args.file, encoding=args.encoding)
    totals = args.totals or args.output.with_name(f"{args.output.stem}_totals.csv")
    write_tidy(table, args.output, totals)
    for note in table.notes:
        print(f"  {note}", file=sys.stderr)
    print(f"written: {args.output} ({len(table.sectors)} rows), {totals} ({len(table.totals)} rows)")
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    from .boundaries import load_bundled_regions
    from .demo import DEMO_SEED, generate_demo_data, save_demo_data

    data = generate_demo_data(load_bundled_regions("sigungu"), seed=args.seed if args.seed is not None else DEMO_SEED)
    for path in save_demo_data(data, args.output):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
