"""The ``report`` and ``compare`` subcommands of ``scs-audit`` (registered by :mod:`audit.cli.commands`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audit.cli.options import add_force_arg, add_population_args

__all__ = ["add_report_parsers", "cmd_compare", "cmd_report"]


def add_report_parsers(sub: argparse._SubParsersAction) -> None:
    """Add ``report`` and ``compare`` to the subcommand parser."""
    rep = sub.add_parser("report", help="re-render report.html and report.md from a run's results.json (no re-run)")
    rep.add_argument("directory", metavar="DIR", help="a run's output directory (holds results.json, maybe published.json)")
    rep.add_argument("--force", action="store_true",
                     help="replace report.html or report.md even if this tool did not write them (never a directory)")
    rep.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")

    cmp = sub.add_parser("compare", help="audit scorer variants on the same people and compare them with paired intervals")
    cmp.add_argument("specs", nargs="+", metavar="SPEC",
                     help="scorer variants, e.g. suining suining:penalty_expiry_months=24 (the first is the reference)")
    cmp.add_argument("--grid", default=None, metavar="KEY=V1,V2,...",
                     help="sweep one parameter of each SPEC over these values (and plot the measures against it)")
    add_population_args(cmp)
    cmp.add_argument("--bootstrap", type=int, default=400, metavar="N", help="paired bootstrap replicates (default 400)")
    cmp.add_argument("--out", default="reports/compare", metavar="DIR", help="output directory (default reports/compare)")
    add_force_arg(cmp)
    cmp.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    from audit.cli.dynamics import add_dynamics_args

    add_dynamics_args(cmp)  # --dynamics [--years N]: compare the variants' long-run gap too
    cmp.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")


def cmd_report(args: argparse.Namespace) -> int:
    from audit.report import write_report

    html, md = write_report(Path(args.directory))
    print(f"report (private): {html}\nmarkdown (private): {md}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from audit.engine.contract import AuditOptions
    from audit.errors import InvalidArgument
    from audit.output.artefacts import atomic_write_json, claim_output, exact_artefact_mode
    from audit.report import write_report
    from audit.report.compare import parse_grid, run_compare
    from audit.report.compare_report import write_compare
    from audit.results.document import results_document
    from audit.runner import RunConfig

    if args.bootstrap < 20:
        raise InvalidArgument(f"--bootstrap {args.bootstrap}: use at least 20 replicates (400 is the default)")
    grid = parse_grid(args.grid) if args.grid else None
    from audit.cli.checks import refuse_costly

    refuse_costly(args)
    from audit.cli.dynamics import check_dynamics_args, dynamics_from_args

    check_dynamics_args(args)
    out = claim_output(args.out, force=args.force)
    options = AuditOptions(seed=args.seed, as_of=args.as_of, by=tuple(args.by), bootstrap=args.bootstrap)
    from audit.engine.workers import default_worker_memory

    config = RunConfig(population=args.population, size=args.size, seed=args.seed, chunk_size=args.chunk_size,
                       options=options, events=args.events, ties=args.ties, horizon_months=args.horizon_months,
                       isolate=True, worker_memory=default_worker_memory(1))  # a faulty variant fails alone
    result, doc = run_compare(args.specs, config, grid=grid, progress=not args.quiet)
    result, dynamics_status = dynamics_from_args(args, result)
    if args.dynamics:
        from audit.dynamics.long_run import long_run_comparison

        doc["long_run_gap"], lines = long_run_comparison(result)
        doc["summary"] = [*doc["summary"], *lines]
    results = results_document(result)
    for entry in results["scorers"]:
        entry.pop("paired", None)  # the joint counts live in compare.json's figures
    atomic_write_json(out / "results.json", results, mode=exact_artefact_mode(results))
    write_report(out, results, None)
    paths = write_compare(out, doc)
    if not args.quiet:
        from rich.console import Console

        from audit.cli.compare_view import render_compare

        console = Console()
        for part in render_compare(doc):
            console.print(part)
        for line in doc["summary"]:
            if "failed" in line:
                console.print(line, markup=False)
        print("comparison (private): " + ", ".join(str(p) for p in paths))
    for r in result.failed:
        print(f"scs-audit: scorer {r.label!r} failed: {r.error}", file=sys.stderr)
    return 1 if result.failed or dynamics_status else 0
