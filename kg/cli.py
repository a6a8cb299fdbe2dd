"""The ``kg`` command.

Exit codes: 0 all went well, 1 some records failed, 2 unusable input or usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kg.build import BuildReport, build_time, run
from kg.errors import InputError, RecordError
from kg.graph import KnowledgeGraph, format_for
from kg.resources import sample_paths
from kg.sinks import DatasetSink, NQuadsSink, stdout_binary
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
        required=True,
        help="output file; the format comes from its extension (.nq .nt .ttl .trig .jsonld "
        ".rdf); '-' writes N-Quads to standard output",
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
        "-q", "--quiet", action="store_true", help="print errors and the summary only"
    )
    build.set_defaults(func=_build, strict=False)
    return parser


def _build(args: argparse.Namespace) -> int:
    inputs = [*args.inputs, *(sample_paths() if args.sample else [])]
    if not inputs:
        print("kg build: error: give INPUT paths, '-' or --sample", file=sys.stderr)
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
        )
    except (RecordError, InputError, KeyboardInterrupt) as exc:
        if isinstance(sink, NQuadsSink):
            sink.abort()
        if progress:
            progress.done()
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
    return 0 if report.ok else 1


def _print_report(report: BuildReport, *, quiet: bool) -> None:
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    if not quiet:
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    print(report.summary(), file=sys.stderr)


class _Progress:
    """A one-line counter on the terminal, redrawn every 100 records."""

    def __call__(self, report: BuildReport) -> None:
        if report.read % 100 == 0:
            sys.stderr.write(f"\r{report.read} records read, {report.failed} failed")
            sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r\033[K")


if __name__ == "__main__":
    raise SystemExit(main())
