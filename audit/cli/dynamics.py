"""``--dynamics [--years N]`` for ``scs-audit run`` and ``scs-audit compare`` (:mod:`audit.dynamics`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from audit.cli.options import positive_int
from audit.errors import InvalidArgument

__all__ = ["add_dynamics_args", "check_dynamics_args", "dynamics_from_args"]


def add_dynamics_args(p: argparse.ArgumentParser) -> None:
    """Add ``--dynamics`` and ``--years``."""
    p.add_argument("--dynamics", action="store_true",
                   help="also simulate how people respond to each scorer month by month (adapt, self-censor, unfriend, "
                        "income feedback) and report whether the gap between groups grows")
    p.add_argument("--years", type=positive_int, default=None, metavar="N",
                   help="years simulated with --dynamics (default 5: 60 months)")


def check_dynamics_args(args: argparse.Namespace) -> None:
    """Refuse inconsistent flags and a spec without a ``[dynamics]`` table before any work is done."""
    if args.years is not None and not args.dynamics:
        raise InvalidArgument(f"--years {args.years} goes with --dynamics; add --dynamics or drop --years")
    if not args.dynamics:
        return
    from audit.dynamics.simulation import DEFAULT_YEARS, history_source

    if args.events or args.ties or not _is_spec(args.population):
        raise InvalidArgument("--dynamics needs a synthetic population (a spec name or TOML file): the months ahead are "
                              "drawn from the spec's rates; drop --dynamics for a supplied table")
    history_source(args.population, size=args.size, seed=args.seed, years=args.years or DEFAULT_YEARS)


def _is_spec(population: str) -> bool:
    from audit.population.table_files import TABLE_SUFFIXES

    return not any(str(population).lower().endswith(s) for s in TABLE_SUFFIXES)


def dynamics_from_args(args: argparse.Namespace, result: Any) -> tuple[Any, int]:
    """The run with its ``dynamics`` sections when ``--dynamics`` is set; exit status 1 when a scorer's simulation failed."""
    if not args.dynamics:
        return result, 0
    from audit.dynamics.attach import add_dynamics, dynamics_failures
    from audit.dynamics.simulation import DEFAULT_YEARS
    from audit.engine.executors import default_workers
    from audit.engine.workers import default_worker_memory

    # chunks in supervised worker processes, as the static audits' (audit/dynamics/pool.py): both cores, and a
    # scorer that exits, hangs or overfills its worker fails alone
    workers = getattr(args, "workers", None) or default_workers()
    mib = getattr(args, "worker_memory", None)
    memory = mib * 2**20 if mib else default_worker_memory(workers)
    result = add_dynamics(result, years=args.years or DEFAULT_YEARS, chunk_size=args.chunk_size, workers=workers,
                          isolate=True, worker_memory=memory)
    failed = dynamics_failures(result)
    for label, error in failed.items():
        print(f"scs-audit: scorer {label!r} failed in the dynamics simulation: {error}", file=sys.stderr)
    return result, 1 if failed else 0
