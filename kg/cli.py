"""The ``kg`` command.

Exit codes: 0 all went well, 1 some records failed, 2 unusable input or usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Iterator, Sequence
from typing import TextIO

import rdflib

from kg.atomic import atomic_write
from kg.build import BuildReport, build_time, run
from kg.endpoint import Endpoint
from kg.errors import (
    BuildError,
    InputError,
    OutputError,
    QueryError,
    QueryTimeout,
    RecordError,
)
from kg.export import FORMATS, as_graph, check_options, export
from kg.findings import ValidationReport
from kg.graph import QUAD_FORMATS, KnowledgeGraph, build, format_for
from kg.network import VIEWS
from kg.params import Parameter
from kg.plot import PLOT_FORMATS
from kg.query import load_data, queries, query
from kg.read import Record, records
from kg.resources import sample_paths
from kg.results import FORMATS as RESULT_FORMATS
from kg.sinks import DatasetSink, NQuadsSink, stdout_binary
from kg.stats import format_stats
from kg.store import OxigraphStore
from kg.validate import BATCH_SIZE as VALIDATION_BATCH
from kg.validate import INFERENCE, load_shapes, validate
from kg.validate_store import validate_store
from kg.version import __version__

STREAMED = {"nquads": False, "nt": True}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"kg: error: {exc}", file=sys.stderr)
        return 2
    except OutputError as exc:
        print(f"kg: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kg: interrupted; nothing was written", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kg", description="ClinicalTrials.gov records as an RDF knowledge graph."
    )
    parser.add_argument("--version", action="version", version=f"ctgov-kg {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser(
        "build",
        help="convert study records to RDF",
        description="Convert API v2 study records (JSON files, pages, JSON Lines, directories, "
        "bulk zips, '-' for standard input) into one RDF graph, one named graph per study.",
    )
    build.add_argument("inputs", nargs="*", metavar="INPUT", help="record files or directories")
    build.add_argument(
        "-o",
        "--output",
        help="output file; the format comes from its extension (.nq .nt .ttl .trig .jsonld "
        ".rdf); '-' writes N-Quads to standard output",
    )
    build.add_argument(
        "--store",
        metavar="DIR",
        help="load into an Oxigraph store in DIR instead: a new store is made whole or not "
        "at all; an existing one gets only the new and changed studies (by NCT ID and last "
        "update date); query it with kg query --store DIR",
    )
    build.add_argument(
        "--force",
        action="store_true",
        help="with --store: replace every study given, even where the stored copy is as new",
    )
    build.add_argument(
        "--sample", action="store_true", help="build the real records shipped with the package"
    )
    failing = build.add_mutually_exclusive_group()
    failing.add_argument(
        "--keep-going",
        dest="strict",
        action="store_false",
        help="report a record that fails and go on with the others (the default)",
    )
    failing.add_argument(
        "--strict", dest="strict", action="store_true", help="stop at the first record that fails"
    )
    build.add_argument(
        "--no-contact-details",
        dest="contact_details",
        action="store_false",
        help="leave out people's phone numbers and e-mail addresses",
    )
    build.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes for .nq/.nt output and --store (default: all cores, "
        "%(default)s here)",
    )
    build.add_argument(
        "-q", "--quiet", action="store_true", help="print errors and the summary only"
    )
    build.add_argument(
        "--validate",
        action="store_true",
        help="validate what was built against the SHACL shapes and print the report (invalid "
        "studies stay in the output; exit 1 on violations)",
    )
    build.set_defaults(func=_build, strict=False)
    _add_export(commands)
    _add_stats(commands)
    _add_plot(commands)
    _add_query(commands)
    _add_queries(commands)
    _add_validate(commands)
    _add_serve(commands)
    return parser


def _build(args: argparse.Namespace) -> int:
    inputs = [*args.inputs, *(sample_paths() if args.sample else [])]
    if not inputs:
        print("kg build: error: give INPUT paths, '-' or --sample", file=sys.stderr)
        return 2
    if args.store is not None:
        return _build_store(args, inputs)
    if args.output is None:
        print("kg build: error: give -o OUTPUT or --store DIR", file=sys.stderr)
        return 2
    if args.validate and args.output == "-":
        print("kg build: error: --validate needs -o FILE or --store DIR", file=sys.stderr)
        return 2
    try:
        fmt = "nquads" if args.output == "-" else format_for(args.output)
    except ValueError as exc:
        print(f"kg build: error: {exc}", file=sys.stderr)
        return 2
    if fmt in STREAMED:
        target = stdout_binary() if args.output == "-" else args.output
        sink: NQuadsSink | DatasetSink = NQuadsSink(target, triples=STREAMED[fmt])
    else:
        sink = DatasetSink()
    progress = _Progress() if sys.stderr.isatty() and not args.quiet else None
    try:
        report = run(
            inputs,
            sink,
            strict=args.strict,
            contact_details=args.contact_details,
            built_at=build_time(),
            progress=progress,
            jobs=args.jobs,
        )
    except (RecordError, BuildError, OutputError, InputError, KeyboardInterrupt) as exc:
        if isinstance(sink, NQuadsSink):
            sink.abort()
        if progress:
            progress.done()
        if isinstance(exc, BuildError | OutputError):
            print(f"kg build: error: {exc}; nothing written", file=sys.stderr)
            return 1
        if isinstance(exc, RecordError):
            print(f"error: {exc}", file=sys.stderr)
            print(
                "kg build: stopped at the first failure (--strict); nothing written",
                file=sys.stderr,
            )
            return 1
        raise
    if progress:
        progress.done()
    if isinstance(sink, NQuadsSink):
        sink.close()
    else:
        KnowledgeGraph(sink.dataset, report).serialize(args.output, format=fmt)
    _print_report(report, quiet=args.quiet)
    if args.validate:
        built = KnowledgeGraph(sink.dataset) if isinstance(sink, DatasetSink) else None
        return max(0 if report.ok else 1, _validate_built(args, built or args.output))
    return 0 if report.ok else 1


def _print_report(report: BuildReport, *, quiet: bool, summary: bool = True) -> None:
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    if not quiet:
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    if summary:
        print(report.summary(), file=sys.stderr)


class _Progress:
    """A one-line counter on the terminal, redrawn every 100 records."""

    def __call__(self, report: BuildReport) -> None:
        if report.read % 100 == 0:
            sys.stderr.write(f"\r{report.read} records read, {report.failed} failed")
            sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r\033[K")


def _graph_inputs(parser: argparse.ArgumentParser) -> None:
    """The arguments that say which graph to use (export, stats, plot): records or a store."""
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help="record files or directories")
    parser.add_argument(
        "--sample", action="store_true", help="use the real records shipped with the package"
    )
    parser.add_argument(
        "--store",
        metavar="DIR",
        help="use the Oxigraph store made by kg build --store DIR instead of records "
        "(read into memory, except for kg export --to nt|nq, which streams from it)",
    )
    parser.add_argument(
        "--no-contact-details",
        dest="contact_details",
        action="store_false",
        help="leave out people's phone numbers and e-mail addresses",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="do not print the records' build warnings"
    )


def _load(
    args: argparse.Namespace, verb: str, *, stream: bool = False
) -> KnowledgeGraph | OxigraphStore | None:
    """The graph of the records or store named (the store itself with ``stream``); None,
    after saying why, when there is nothing or too much to read."""
    inputs = [*args.inputs, *(sample_paths() if args.sample else [])]
    if args.store is not None:
        if inputs:
            print(f"kg {verb}: error: give INPUT paths or --store DIR, not both", file=sys.stderr)
            return None
        store = OxigraphStore.open(args.store, read_only=True)
        return store if stream else as_graph(store)
    if not inputs:
        print(f"kg {verb}: error: give INPUT paths, '-', --sample or --store DIR", file=sys.stderr)
        return None
    graph = build(inputs, contact_details=args.contact_details, built_at=build_time())
    _print_report(graph.report, quiet=args.quiet, summary=not graph.report.ok)
    return graph


def _add_export(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "export",
        help="write the graph as RDF, for Gephi/Cytoscape/networkx, or its VoID description",
        description="Build the records into a graph and write it: RDF (ttl nt nq trig jsonld "
        "rdfxml; nt and nq are streamed), a networkx view (graphml gexf nodelink cytoscape), or "
        "with --describe a VoID/DCAT description of the dataset. Files are written whole or not "
        "at all.",
    )
    _graph_inputs(sub)
    sub.add_argument(
        "--to",
        choices=FORMATS,
        help="output format; by default from the extension of OUT (.ttl .nt .nq .trig .jsonld "
        ".rdf .graphml .gexf .json for nodelink, .cyjs for cytoscape)",
    )
    sub.add_argument("-o", "--output", required=True, metavar="OUT", help="output file")
    sub.add_argument(
        "--view",
        choices=list(VIEWS),
        default="full",
        help="the networkx view for graphml, gexf, nodelink, cytoscape (default: %(default)s)",
    )
    sub.add_argument("--frame", action="store_true", help="JSON-LD: one nested document per study")
    sub.add_argument(
        "--describe",
        action="store_true",
        help="write the VoID/DCAT description (counts, build date, source, licence) instead",
    )
    sub.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    options = {"to": args.to, "view": args.view, "frame": args.frame, "describe": args.describe}
    try:
        options["to"] = check_options(args.output, **options)
    except ValueError as exc:
        print(f"kg export: error: {exc}", file=sys.stderr)
        return 2
    graph = _load(args, "export", stream=True)
    if graph is None:
        return 2
    export(graph, args.output, **options)
    return _status(graph)


def _status(graph: KnowledgeGraph | OxigraphStore) -> int:
    """1 when records failed to build, else 0."""
    report = getattr(graph, "report", None)
    return 0 if report is None or report.ok else 1


def _add_stats(commands: argparse._SubParsersAction) -> None:
    stats = commands.add_parser(
        "stats",
        help="count classes and properties, rank sponsors, conditions, interventions, MeSH",
        description="Build the records into a graph and print what is in it: counts by class "
        "and property, the top sponsors, conditions, interventions and MeSH branches, and the "
        "degree distribution and connected components of a networkx view.",
    )
    _graph_inputs(stats)
    stats.add_argument(
        "--view",
        choices=list(VIEWS),
        default="full",
        help="the view whose degrees and components are counted (default: %(default)s)",
    )
    stats.add_argument(
        "--top", type=int, default=10, help="rows per ranking and list (default: %(default)s)"
    )
    stats.add_argument(
        "--format", choices=("table", "json"), default="table", help="output (default: table)"
    )
    stats.set_defaults(func=_stats)


def _stats(args: argparse.Namespace) -> int:
    graph = _load(args, "stats")
    if graph is None:
        return 2
    figures = graph.stats(view=args.view, top=args.top)
    if args.format == "json":
        print(json.dumps(figures.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(format_stats(figures, rows=args.top), end="")
    return _status(graph)


def _add_plot(commands: argparse._SubParsersAction) -> None:
    plot = commands.add_parser(
        "plot",
        help="draw a view of the graph (PNG, SVG, or an interactive HTML page)",
        description="Build the records into a graph and draw a networkx view: its most "
        "connected nodes, coloured by type and labelled. .html writes a self-contained page "
        "(hover, search, drag, zoom; nothing fetched).",
    )
    _graph_inputs(plot)
    plot.add_argument(
        "--view", choices=list(VIEWS), default="overview", help="(default: %(default)s)"
    )
    plot.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="a .png, .svg or .html file"
    )
    plot.add_argument(
        "--top", type=int, default=60, help="nodes to draw, by degree (default: %(default)s)"
    )
    plot.add_argument("--title", help="the picture's title")
    plot.set_defaults(func=_plot)


def _plot(args: argparse.Namespace) -> int:
    if not args.output.lower().endswith(PLOT_FORMATS):
        print(
            f"kg plot: error: {args.output}: draw to one of {', '.join(PLOT_FORMATS)}",
            file=sys.stderr,
        )
        return 2
    graph = _load(args, "plot")
    if graph is None:
        return 2
    graph.plot(args.output, view=args.view, top=args.top, title=args.title)
    return _status(graph)


def _build_store(args: argparse.Namespace, inputs: list) -> int:
    if args.output is not None:
        print("kg build: error: give -o OUTPUT or --store DIR, not both", file=sys.stderr)
        return 2
    store = OxigraphStore.open(args.store, create=True)
    progress = _Progress() if sys.stderr.isatty() and not args.quiet else None
    kept = "no store was made" if store.empty else "earlier batches stay, each whole"
    try:
        report = store.build(
            inputs,
            strict=args.strict,
            contact_details=args.contact_details,
            built_at=build_time(),
            progress=progress,
            jobs=args.jobs,
            force=args.force,
        )
    except RecordError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"kg build: stopped at the first failure (--strict); {kept}", file=sys.stderr)
        return 1
    except (BuildError, OutputError) as exc:
        print(f"kg build: error: {exc}; {kept}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"kg build: interrupted; {kept}", file=sys.stderr)
        return 130
    finally:
        if progress:
            progress.done()
    _print_report(report, quiet=args.quiet)
    print(f"{args.store}: {len(store)} quads", file=sys.stderr)
    if args.validate:
        return max(0 if report.ok else 1, _validate_built(args, as_graph(store)))
    return 0 if report.ok else 1


def _add_query(commands: argparse._SubParsersAction) -> None:
    query = commands.add_parser(
        "query",
        help="run a SPARQL query from the library, a .rq file or the command line",
        description="Run a SPARQL query (a library name, see kg queries; a .rq file; or -e "
        "TEXT) on records built in memory (--data, --sample), an Oxigraph store (--store) or "
        "a SPARQL endpoint (--endpoint). Parameters are bound as RDF terms of their declared "
        "type. SERVICE, FROM and LOAD are refused unless --allow-network.",
    )
    query.add_argument("query", nargs="?", metavar="NAME|FILE.rq", help="the query to run")
    query.add_argument("-e", "--expression", metavar="SPARQL", help="the query text itself")
    source = query.add_mutually_exclusive_group()
    source.add_argument(
        "--data", nargs="+", metavar="INPUT", help="records (or .nq .nt .ttl .trig files)"
    )
    source.add_argument(
        "--sample", action="store_true", help="the real records shipped with the package"
    )
    source.add_argument("--store", metavar="DIR", help="an Oxigraph store made by kg build")
    source.add_argument("--endpoint", metavar="URL", help="a SPARQL endpoint (http or https)")
    query.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter value; repeat for more",
    )
    query.add_argument(
        "-f",
        "--format",
        choices=RESULT_FORMATS,
        default="table",
        metavar="FORMAT",
        help="rows: table csv tsv json xml; triples (CONSTRUCT, DESCRIBE): turtle nt json(-ld) "
        "xml (default: table, or turtle for triples)",
    )
    query.add_argument("--limit", type=int, metavar="N", help="return at most N rows")
    query.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="stop the query after this long"
    )
    _add_allow_network(query)
    query.add_argument("-o", "--output", metavar="OUT", help="write the result here, not stdout")
    query.set_defaults(func=_query)


def _add_allow_network(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-network",
        action="store_true",
        help="let SERVICE, FROM and LOAD reach the network and local files",
    )


def _query(args: argparse.Namespace) -> int:
    if (args.query is None) == (args.expression is None):
        print("kg query: error: give a query NAME or FILE.rq, or -e SPARQL", file=sys.stderr)
        return 2
    params = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"kg query: error: --param {item!r}: write NAME=VALUE", file=sys.stderr)
            return 2
        params[name.strip()] = value
    status = 0
    try:
        if args.endpoint:
            source: object = Endpoint(args.endpoint, timeout=args.timeout)
        elif args.store:
            source = OxigraphStore.open(args.store, read_only=True)
        elif args.data or args.sample:
            source = load_data([*(args.data or []), *(sample_paths() if args.sample else [])])
            for error in source.report.errors:
                print(f"error: {error}", file=sys.stderr)
            status = 0 if source.report.ok else 1
        else:
            print("kg query: error: give --data, --sample, --store or --endpoint", file=sys.stderr)
            return 2
        result = query(
            source,
            args.expression or args.query,
            params,
            limit=args.limit,
            timeout=args.timeout,
            allow_network=args.allow_network,
        )
        text = result.serialize(args.format)
    except QueryTimeout as exc:
        print(f"kg query: error: {exc}", file=sys.stderr)
        return 1
    except QueryError as exc:
        print(f"kg query: error: {exc}", file=sys.stderr)
        return 2
    if result.truncated:
        print(f"kg query: warning: stopped at {args.limit} rows (--limit)", file=sys.stderr)
    if args.output:
        with atomic_write(args.output) as out:
            out.write(text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return status


def _add_queries(commands: argparse._SubParsersAction) -> None:
    queries_ = commands.add_parser(
        "queries",
        help="list the query library: names, summaries, parameters",
        description="List the SPARQL query library, or with NAME show one query: what it "
        "answers, its parameters (types, defaults, allowed values), an example and its text.",
    )
    queries_.add_argument("name", nargs="?", metavar="NAME", help="show this query in full")
    queries_.set_defaults(func=_queries)


def _queries(args: argparse.Namespace) -> int:
    library = {q.name: q for q in queries()}
    if args.name is None:
        width = max(map(len, library))
        for q in library.values():
            print(f"{q.name.ljust(width)}  {q.summary}")
            for p in q.parameters:
                print(f"{'':{width}}    {_describe(p, short=True)}")
        return 0
    if args.name not in library:
        print(f"kg queries: error: no query named {args.name!r}", file=sys.stderr)
        return 2
    q = library[args.name]
    print(f"{q.name}: {q.summary}\n")
    if q.description:
        print(textwrap.fill(q.description, 88) + "\n")
    print(f"form: {q.form}; tags: {', '.join(q.tags) or '-'}")
    for p in q.parameters:
        print(f"  {_describe(p, short=False)}")
        if p.description:
            print(
                textwrap.fill(
                    p.description, 84, initial_indent="      ", subsequent_indent="      "
                )
            )
    if q.example:
        print(f"\nexample: {q.example}")
    print(f"\n{q.text.strip()}")
    return 0


def _describe(p: Parameter, *, short: bool) -> str:
    parts = [p.type, "required" if p.required else "optional"]
    if p.default is not None:
        parts.append(f"default {p.default}")
    if p.enum:
        many = short and len(p.enum) > 4
        parts.append(f"one of {len(p.enum)} values" if many else f"one of {', '.join(p.enum)}")
    return f"--param {p.name}=...  ({'; '.join(parts)})"


# --- kg validate ---------------------------------------------------------------------------

RDF_SUFFIXES = (".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf")


def _add_validate(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "validate",
        help="check records or RDF files against the SHACL shapes",
        description="Validate study records (converted first) or RDF files (.ttl .nt .nq .trig "
        ".jsonld .rdf) against the SHACL shapes, study by study in batches across cores, and "
        "print the findings grouped by study and shape, or the standard SHACL report graph. "
        "Exit 0 when there is no violation (warnings and infos do not fail), 1 on violations "
        "or records that cannot be converted, 2 on unusable input.",
    )
    sub.add_argument("inputs", nargs="*", metavar="INPUT", help="records, directories or RDF")
    sub.add_argument(
        "--sample", action="store_true", help="validate the real records shipped with the package"
    )
    sub.add_argument(
        "--store",
        metavar="DIR",
        help="validate the Oxigraph store in DIR (kg build --store) in SPARQL, on the store; "
        "-j queries at once",
    )
    sub.add_argument("--shapes", metavar="DIR", help="use the *.ttl shapes in DIR instead")
    sub.add_argument(
        "-f",
        "--format",
        choices=("text", "turtle", "json"),
        default="text",
        help="text: findings by study and shape; turtle or json: the SHACL report graph "
        "(default: %(default)s)",
    )
    sub.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes (default: all cores, %(default)s here)",
    )
    sub.add_argument(
        "--batch-size",
        type=int,
        default=VALIDATION_BATCH,
        metavar="N",
        help="studies per pyshacl call (default: %(default)s)",
    )
    sub.add_argument(
        "--inference",
        choices=INFERENCE,
        help="infer with the ontology first (RDFS, OWL RL or both; about 10 times slower)",
    )
    sub.set_defaults(func=_validate)


def _validate(args: argparse.Namespace) -> int:
    inputs = [*args.inputs, *map(str, sample_paths() if args.sample else [])]
    if args.store is not None:
        return _validate_store(args, inputs)
    if not inputs:
        print("kg validate: error: give INPUT paths, --sample or --store DIR", file=sys.stderr)
        return 2
    if args.batch_size < 1:
        print("kg validate: error: --batch-size must be at least 1", file=sys.stderr)
        return 2
    read_errors: list[RecordError] = []
    try:
        shapes = load_shapes(args.shapes) if args.shapes else None
        missing = [p for p in inputs if p != "-" and not os.path.exists(p)]
        if missing:
            raise InputError(f"no such file or directory: {missing[0]}")
        if any(os.path.splitext(p)[1].lower() in RDF_SUFFIXES for p in inputs):
            graph = _validation_input(inputs)
            read_errors = graph.report.errors
            report = _run_validation(args, graph, shapes)
        else:
            report = _run_validation(args, _study_records(inputs, read_errors), shapes)
    except InputError as exc:
        print(f"kg validate: error: {exc}", file=sys.stderr)
        return 2
    for error in read_errors:
        print(f"error: {error}", file=sys.stderr)
    if report.studies == 0 and not (read_errors or report.errors):
        print("kg validate: error: nothing to validate", file=sys.stderr)
        return 2
    status = _print_validation(args, report, sys.stdout)
    return max(status, 1 if read_errors or report.errors else 0)


def _validate_store(args: argparse.Namespace, inputs: list[str]) -> int:
    """``kg validate --store DIR``: the shapes as SPARQL queries on the store."""
    if inputs or args.inference:
        print("kg validate: error: --store takes no INPUT and no --inference", file=sys.stderr)
        return 2
    try:
        store = OxigraphStore.open(args.store, read_only=True)
        report = validate_store(store, shapes=args.shapes, jobs=max(1, args.jobs))
    except InputError as exc:
        print(f"kg validate: error: {exc}", file=sys.stderr)
        return 2
    return _print_validation(args, report, sys.stdout)


def _study_records(inputs: list[str], errors: list[RecordError]) -> Iterator[Record]:
    """The records of ``inputs``, for validating as they are read; those that cannot be read
    go to ``errors``."""
    for item in records(inputs):
        if isinstance(item, RecordError):
            errors.append(item)
        else:
            yield item


def _validation_input(inputs: list[str]) -> KnowledgeGraph:
    """Records built into a graph, RDF files parsed into it (triples into the default graph).

    :raises InputError: for a missing file or one that is not RDF of its extension.
    """
    rdf = [p for p in inputs if os.path.splitext(p)[1].lower() in RDF_SUFFIXES]
    record_inputs = [p for p in inputs if p not in rdf]
    graph = (
        build(record_inputs)
        if record_inputs
        else KnowledgeGraph(rdflib.Dataset(default_union=True))
    )
    for path in rdf:
        if not os.path.isfile(path):
            raise InputError(f"no such file: {path}")
        fmt = format_for(path)
        target = graph.dataset if fmt in QUAD_FORMATS else graph.dataset.default_graph
        try:
            target.parse(path, format=fmt)
        except Exception as exc:  # rdflib raises many unrelated types for bad input
            raise InputError(f"{path}: not {fmt}: {exc}") from None
    return graph


def _validate_built(args: argparse.Namespace, built: KnowledgeGraph | str) -> int:
    """``kg build --validate``: validate the graph just built, or the file just written."""
    if isinstance(built, str):
        built = _validation_input([built])
    return _print_validation(args, _run_validation(args, built, None), sys.stdout)


def _run_validation(
    args: argparse.Namespace, source: KnowledgeGraph | Iterator[Record], shapes: rdflib.Graph | None
) -> ValidationReport:
    return validate(
        source,
        shapes=shapes,
        jobs=max(1, args.jobs),
        batch_size=getattr(args, "batch_size", VALIDATION_BATCH),
        inference=getattr(args, "inference", None),
    )


def _print_validation(args: argparse.Namespace, report: ValidationReport, out: TextIO) -> int:
    fmt = getattr(args, "format", "text")
    if fmt == "text":
        out.write(report.text())
    else:
        text = report.serialize(fmt)
        out.write(text if text.endswith("\n") else text + "\n")
        for error in report.errors:
            print(f"error: {error}", file=sys.stderr)
        print(report.summary(), file=sys.stderr)
    return 0 if report.conforms else 1


# --- kg serve ------------------------------------------------------------------------------


def _add_serve(commands: argparse._SubParsersAction) -> None:
    sub = commands.add_parser(
        "serve",
        help="serve the graph over the SPARQL 1.1 protocol, with a query editor",
        description="Serve an Oxigraph store (or records built into a temporary one) over the "
        "SPARQL 1.1 protocol: /query (SELECT ASK CONSTRUCT DESCRIBE; results by the Accept "
        "header), /store (Graph Store reads), / (the YASGUI query editor, offline), /queries "
        "(the query library as GET /queries/NAME?param=value, with an OpenAPI description). "
        "Read-only unless --writable; SERVICE, FROM and LOAD refused unless --allow-network.",
    )
    source = sub.add_mutually_exclusive_group(required=True)
    source.add_argument("--store", metavar="DIR", help="an Oxigraph store made by kg build --store")
    source.add_argument(
        "--data",
        nargs="+",
        metavar="INPUT",
        help="records to build into a temporary store first (removed when the server stops)",
    )
    source.add_argument(
        "--sample", action="store_true", help="the real records shipped with the package"
    )
    sub.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default: %(default)s, this machine only)",
    )
    sub.add_argument("--port", type=int, default=7878, help="(default: %(default)s; 0: any free)")
    sub.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="stop a query after this long, answering 503 (default: %(default)g; 0: no limit)",
    )
    sub.add_argument(
        "--writable",
        action="store_true",
        help="accept SPARQL Update (/update) and Graph Store writes (/store)",
    )
    _add_allow_network(sub)
    sub.add_argument("-q", "--quiet", action="store_true", help="do not log each request")
    sub.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        return _run_server(args)
    previous = signal.signal(signal.SIGTERM, stop)  # so that oxigraph is stopped too
    try:
        return _run_server(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_server(args: argparse.Namespace) -> int:
    from kg.errors import ServerError
    from kg.serve import serve

    data = [*(args.data or []), *(sample_paths() if args.sample else [])] or None
    try:
        server = serve(
            args.store,
            data=data,
            host=args.host,
            port=args.port,
            timeout=args.timeout or None,
            writable=args.writable,
            allow_network=args.allow_network,
            log=None if args.quiet else sys.stderr,
        )
    except (InputError, ServerError) as exc:
        print(f"kg serve: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kg serve: interrupted", file=sys.stderr)
        return 130
    with server:
        if server.report is not None:
            _print_report(server.report, quiet=args.quiet)
        mode = "read-write" if args.writable else "read-only"
        limit = f"timeout {args.timeout:g} s" if args.timeout else "no timeout"
        print(
            f"kg serve: {server.url} ({mode}, {limit}): the query editor at /, SPARQL at "
            f"{server.url}query, the query library at {server.url}queries; Ctrl-C stops",
            file=sys.stderr,
        )
        try:
            server.wait()
        except KeyboardInterrupt:
            print("kg serve: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
