"""The ``scs-audit`` command line.

Exit status: 0 when everything ran, 1 when a scorer failed (the others are
still reported), 2 for bad input (no traceback unless ``--debug``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.cli.checks import describe_os_error, refuse_costly
from audit.cli.flags import as_flags
from audit.cli.options import (
    add_force_arg,
    add_population_args,
    non_negative_int,
    positive_int,
    positive_mib,
    positive_seconds,
    share,
)
from audit.errors import AuditError
from audit.output.artefacts import claim_output, commit_file, deferred_writes, naming

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow.parquet as pq

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_SCORER_FAILED, EXIT_BAD_INPUT = 0, 1, 2

# Stale artefacts of an earlier run in the same directory are removed when this
# run's results.json is committed (audit.output.artefacts.RUN_ARTEFACTS, deferred_writes).

def build_parser() -> argparse.ArgumentParser:
    from audit.version import package_version

    parser = argparse.ArgumentParser(prog="scs-audit", description="Audit systems that score people.")
    parser.add_argument("--version", action="version", version=f"scs-audit {package_version()}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="score a population and audit every scorer")
    run.add_argument("--scorer", action="append", default=[], metavar="SPEC",
                     help="scorer name, name:key=value,... variant, or module:attr (repeatable; default: all registered)")
    add_population_args(run)
    from audit.cli.supplied import add_supplied_args

    add_supplied_args(run)
    run.add_argument("--out", default="reports/latest", metavar="DIR", help="output directory (default reports/latest)")
    add_force_arg(run)
    run.add_argument("--save-scores", action="store_true", help="also write DIR/scores.parquet (one row per person per scorer)")
    run.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    run.add_argument("--min-cell-share", type=share, default=0.02, metavar="SHARE",
                     help="groups under this share of people are reported but excluded from ratios (default 0.02, NYC LL144)")
    run.add_argument("--bootstrap", type=non_negative_int, default=400, metavar="N",
                     help="bootstrap replicates for the 95%% intervals (default 400; 0 = no intervals)")
    run.add_argument("--replay-sample", "--audit-replay-sample", dest="replay_sample", type=non_negative_int, default=2000, metavar="N",
                     help="people sampled from each stratum (sanctioned, penalised, rest) for the appeal, "
                          "reversibility, spill-over and contagion audits (default 2,000; 385 give a share "
                          "+-5 points; 0 skips them)")
    run.add_argument("--scorer-timeout", type=positive_seconds, default=None, metavar="SECONDS",
                     help="fail a scorer whose single score() call takes longer (default: no limit)")
    run.add_argument("--worker-memory", type=positive_mib, default=None, metavar="MIB",
                     help="fail a scorer whose worker process holds more memory, in MiB (default: 80%% of this "
                          "machine's memory shared among the workers)")
    from audit.engine.executors import ENGINES, default_workers

    run.add_argument("--engine", choices=ENGINES, default="local",
                     help="local: this machine (a process pool of --workers); dask: a Dask cluster (default local)")
    run.add_argument("--workers", type=positive_int, default=None, metavar="N",
                     help=f"worker processes (default: every core, {default_workers()} here)")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="Dask scheduler address for --engine dask (default: start a local cluster)")
    run.add_argument("--resume", action="store_true",
                     help="continue an interrupted identical run from its last finished chunk (kept in DIR/.chunks)")
    run.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    from audit.cli.privacy import add_epsilon_for_command, add_publish_args

    add_publish_args(run)
    from audit.cli.dynamics import add_dynamics_args

    add_dynamics_args(run)  # --dynamics [--years N] (audit/dynamics)

    from audit.cli.report import add_report_parsers

    add_report_parsers(sub)  # report DIR, compare SPEC SPEC ...

    lst = sub.add_parser("scorers", help="list the registered scorers")
    lst.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    add_epsilon_for_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help/--version 0
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    # --debug is accepted before or after the subcommand (argv up to a bare "--")
    args.debug = "--debug" in argv[: argv.index("--") if "--" in argv else len(argv)]
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    _working_directory_importable()
    try:
        # a command's artefacts appear together, or not at all; only what this tool wrote is replaced (audit/output/artefacts.py)
        with deferred_writes(force=getattr(args, "force", False)):
            return _COMMANDS[args.command](args)
    except AuditError as exc:
        if args.debug:
            raise
        print(f"scs-audit: error: {one_line(as_flags(str(exc)))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # disk full, permission denied, an unwritable HOME ...
        if args.debug:
            raise
        print(f"scs-audit: error: {one_line(describe_os_error(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("scs-audit: interrupted; nothing was written (the output directory keeps its previous contents)",
              file=sys.stderr)
        if args.command == "run":  # finished chunks stay in DIR/.chunks (audit/engine/checkpoint.py)
            print("scs-audit: finished chunks are kept; rerun the same command with --resume to continue", file=sys.stderr)
        return 130


def _working_directory_importable() -> None:
    """Let ``--scorer my_module:Cls`` import ``my_module.py`` from the working directory.

    ``python -m`` puts the working directory first on ``sys.path``; the console
    script does not, so ``module:attr`` failed from the module's own directory.
    Like uvicorn's and gunicorn's ``module:attr``, the working directory is added
    here — last, so that a file there never shadows an installed package.
    """
    cwd = os.getcwd()
    if "" not in sys.path and cwd not in sys.path:
        sys.path.append(cwd)


def one_line(text: str) -> str:
    """``text`` on one line with control characters escaped (messages may quote plugins and data)."""
    from scorers.adapter import printable

    return printable(" ".join(text.split()))


def _cmd_scorers(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from scorers.registry import available_scorers, load_scorer

    table = Table(title="registered scorers", title_justify="left")
    for col in ("name", "version", "tiers (best first)", "sanctions", "description"):
        table.add_column(col)
    from audit.errors import ScorerFailed, ScorerNotFound
    from scorers.adapter import adapt, printable

    broken = []
    for name in sorted(available_scorers()):
        try:
            s = adapt(load_scorer(name))  # what a plugin declares, control sequences escaped (scorers/adapter.py)
            cells = (printable(name), s.version, " ".join(s.tiers), ", ".join(s.sanctions), s.description)
        except (ScorerFailed, ScorerNotFound) as exc:  # its module, class or declarations raised: listed, not fatal
            broken.append(f"scs-audit: scorer {printable(name)!r} failed: {one_line(str(exc))}")
            cells = (printable(name), "", "", "", "(could not be loaded)")
        except Exception as exc:  # noqa: BLE001 - a declaration that raises when read
            broken.append(f"scs-audit: scorer {printable(name)!r} failed: {type(exc).__name__}: {one_line(str(exc))}")
            cells = (printable(name), "", "", "", "(could not be loaded)")
        table.add_row(*(escape(str(c)) for c in cells))  # plugin strings are text, never rich markup
    Console().print(table)
    for line in broken:
        print(line, file=sys.stderr)
    return EXIT_SCORER_FAILED if broken else EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from rich.console import Console

    from audit.engine.contract import AuditOptions
    from audit.results.document import results_document, write_document
    from audit.runner import RunConfig, run

    console = Console(stderr=False)
    from audit.cli.privacy import precheck_from_args
    from audit.engine.executors import default_workers

    # before the output directory is touched; a remote Dask cluster's workers are not this machine's
    refuse_costly(args, workers=1 if args.scheduler else args.workers or default_workers())
    precheck_from_args(args)  # an overspend or an unusable ledger is refused before any work, not after it
    from audit.cli.dynamics import check_dynamics_args, dynamics_from_args

    check_dynamics_args(args)
    out = claim_output(args.out, force=args.force)
    options = AuditOptions(seed=args.seed, as_of=args.as_of, by=tuple(args.by), outcome=args.outcome)
    options = replace(options, scorer_timeout=args.scorer_timeout)
    options = replace(options, min_cell_share=args.min_cell_share, bootstrap=args.bootstrap)
    options = replace(options, replay_sample=args.replay_sample)
    from audit.cli.supplied import precomputed_scorer, supplied_kwargs

    config = RunConfig(population=args.population, size=args.size, seed=args.seed, chunk_size=args.chunk_size,
                       options=options, events=args.events, ties=args.ties, horizon_months=args.horizon_months,
                       **supplied_kwargs(args))
    source = _open_source(config)  # a bad table or flag is refused here, before any work
    _publishable(args, source)
    precomputed = precomputed_scorer(args, source)
    scorers = [*args.scorer, *([precomputed] if precomputed is not None else [])] or None
    from audit.engine.workers import default_worker_memory

    workers = args.workers or default_workers()
    config = replace(config, engine=args.engine, workers=workers, scheduler=args.scheduler,
                     checkpoint_dir=str(out), resume=args.resume)  # audit/engine/executors.py, audit/engine/checkpoint.py
    # every scorer runs in supervised worker processes: one that exits, hangs or overfills fails alone (audit/engine/workers.py)
    memory = args.worker_memory * 2**20 if args.worker_memory else default_worker_memory(workers)
    config = replace(config, isolate=True, worker_memory=memory)
    writer = _ScoresWriter(out / "scores.parquet") if args.save_scores else None
    try:
        result = run(scorers, config, progress=not args.quiet, sink=writer, source=source)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.close()
    for note in result.notes:
        print(f"scs-audit: warning: {one_line(note)}", file=sys.stderr)
    result, dynamics_status = dynamics_from_args(args, result)
    results = results_document(result)  # built once: results.json, the report, ll144.csv and the summary read it
    path = write_document(results, out)
    from audit.cli.privacy import publish_from_args

    publish_from_args(args, result, out, console)  # BudgetExceeded: exit 2, nothing written
    from audit.report import run_documents, write_run_report

    report_html, _ = write_run_report(out, results)  # report.html, report.md (audit/report)
    from audit.report.ll144 import write_ll144_csv

    write_ll144_csv(out, results)  # the NYC LL144 summary table (audit/report/ll144.py)
    if not args.quiet:
        from audit.cli.summary import print_run_summary

        print_run_summary(*run_documents(out, results), console)
        console.print(f"exact results (private): {path}")
        console.print(f"report (private): {report_html}")
        if writer is not None:
            console.print(f"per-person scores (private): {writer.path}")
    for r in result.failed:
        print(f"scs-audit: scorer {r.label!r} failed: {one_line(r.error or '')}", file=sys.stderr)
    return EXIT_SCORER_FAILED if result.failed or dynamics_status else EXIT_OK


def _publishable(args: argparse.Namespace, source: Any) -> None:
    """Refuse epsilon= for a supplied table without the attributes the published figures are broken down by."""
    if getattr(args, "epsilon", None) is None or source.supplied is None:
        return
    absent = [c for c in ("income_quintile", "education") if c not in source.supplied.people.columns]
    if absent:
        from audit.errors import InvalidArgument

        raise InvalidArgument(
            f"epsilon= publishes figures by income quintile and education, and the people table "
            f"{source.supplied.source} has no {' or '.join(map(repr, absent))} column; leave out epsilon= (the "
            "exact results and the LL144 summary are still written), or add the column"
        )


def _open_source(config: Any) -> Any:
    from audit.population.source import open_source

    return open_source(config.population, size=config.size, seed=config.seed, events=config.events, ties=config.ties,
                       horizon_months=config.horizon_months, scores=config.scores, score_column=config.score_column,
                       outcome=config.outcome, favourable_column=config.favourable_column,
                       date_column=config.date_column)


class _ScoresWriter:
    """Streams per-person score rows to Parquet; renamed into place only when complete.

    The partial file (``.scores.parquet.XXXXXXXX.partial``) is created mode 0600
    before its first byte: one row per person is readable by the user only, even
    when a kill leaves it behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: pq.ParquetWriter | None = None
        self._file: Any = None
        self._tmp: Path | None = None

    def __call__(self, label, chunk, frame, scorer) -> None:
        from audit.engine.contract import scores_table

        self.write_table(label, scores_table(label, chunk, frame, scorer))

    def write_table(self, label: str, rows: pd.DataFrame) -> None:
        """Append one scorer's rows of one chunk (:func:`audit.engine.contract.scores_table`), e.g. sent by a worker."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(rows, preserve_index=False)
        table = table.cast(pa.schema([f.with_type(pa.string()) if f.name == "label" else f for f in table.schema]))
        try:
            if self._writer is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent)  # 0600
                self._tmp, self._file = Path(tmp), os.fdopen(fd, "wb")
                self._writer = pq.ParquetWriter(self._file, table.schema)
            self._writer.write_table(table)
        except OSError as exc:
            raise naming(exc, self.path) from exc

    def _close_file(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._file is not None:
            self._file.close()

    def close(self) -> None:
        if self._writer is not None and self._tmp is not None:
            try:
                self._close_file()
            except OSError as exc:
                raise naming(exc, self.path) from exc
            commit_file(self._tmp, self.path)

    def abort(self) -> None:
        self._close_file()
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)


def _cmd_ledger(args: argparse.Namespace) -> int:
    from audit.cli.privacy import cmd_ledger

    return cmd_ledger(args)


def _cmd_epsilon_for(args: argparse.Namespace) -> int:
    from audit.cli.privacy import cmd_epsilon_for

    return cmd_epsilon_for(args)


def _cmd_report(args: argparse.Namespace) -> int:
    from audit.cli.report import cmd_report

    return cmd_report(args)


def _cmd_compare(args: argparse.Namespace) -> int:
    from audit.cli.report import cmd_compare

    return cmd_compare(args)


_COMMANDS = {"run": _cmd_run, "scorers": _cmd_scorers, "epsilon-for": _cmd_epsilon_for, "ledger": _cmd_ledger}
_COMMANDS.update({"report": _cmd_report, "compare": _cmd_compare})


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
