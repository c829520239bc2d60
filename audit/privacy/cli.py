"""Command-line pieces of publication: ``run --epsilon`` and ``scs-audit epsilon-for``.

:mod:`audit.cli` calls :func:`add_publish_args` on its ``run`` parser,
:func:`publish_from_args` after results.json is written, and registers
:func:`add_epsilon_for_command`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from audit.argtypes import number

__all__ = [
    "add_epsilon_for_command",
    "add_publish_args",
    "cmd_epsilon_for",
    "epsilon_for",
    "precheck_from_args",
    "publish_from_args",
]


_positive_float = number(float, lo=0, lo_inclusive=False)
_probability = number(float, lo=0, hi=1, hi_inclusive=False)


def add_publish_args(p: argparse.ArgumentParser) -> None:
    """``--epsilon``, ``--delta``, ``--budget``, ``--ledger-dir`` on ``scs-audit run``."""
    g = p.add_argument_group("differentially private publication (writes DIR/published.json)")
    g.add_argument("--epsilon", type=_positive_float, default=None, metavar="E",
                   help="privacy loss this release may spend, split over scorers and queries; "
                        "without it nothing is published")
    g.add_argument("--delta", type=_probability, default=0.0, metavar="D",
                   help="delta allowed (default 0; the Laplace measurements spend none)")
    g.add_argument("--budget", type=_positive_float, default=None, metavar="B",
                   help="total epsilon the dataset may ever spend (supplied data: default the stored total, or E "
                        "for a dataset not seen before)")
    g.add_argument("--ledger-dir", default=None, metavar="DIR",
                   help="where the privacy ledger of supplied data lives (default ~/.scs-audit)")


def precheck_from_args(args: argparse.Namespace) -> None:
    """Refuse, before any scoring, a release the ledger could not pay for (and misplaced options).

    The authoritative check is the ledger's transaction at publication; this one
    only spares an auditor a long run that would end in
    :class:`~audit.errors.BudgetExceeded`. A supplied table is loaded once more
    here to compute its fingerprint.
    """
    if getattr(args, "epsilon", None) is None:
        given = [f for f, v in (("--budget", args.budget), ("--ledger-dir", args.ledger_dir)) if v is not None]
        if args.delta:
            given.append("--delta")
        if given:
            from audit.errors import InvalidArgument

            raise InvalidArgument(f"{', '.join(given)}: used only when publishing; add --epsilon E (the privacy "
                                  f"loss this release may spend), or leave {'it' if len(given) == 1 else 'them'} out")
        return
    from audit.privacy.ledger import PrivacyLedger, default_ledger_path
    from audit.source import open_source

    source = open_source(args.population, size=args.size, seed=args.seed, events=args.events, ties=args.ties,
                         horizon_months=getattr(args, "horizon_months", None))
    if source.synthetic:
        ledger = PrivacyLedger.in_memory(fingerprint=source.fingerprint(),
                                         budget_epsilon=args.epsilon if args.budget is None else args.budget,
                                         budget_delta=args.delta)
    else:
        path = default_ledger_path() if args.ledger_dir is None else Path(args.ledger_dir) / "ledger.sqlite"
        ledger = PrivacyLedger.open(path, fingerprint=source.fingerprint(), budget_epsilon=args.budget,
                                    budget_delta=args.delta, default_epsilon=args.epsilon)
    ledger.check(args.epsilon)


def publish_from_args(args: argparse.Namespace, result: Any, out: Path, console: Any = None) -> Path | None:
    """Publish ``result`` into ``out`` when ``--epsilon`` was given; ``None`` otherwise.

    Raises :class:`~audit.errors.BudgetExceeded` (exit status 2) when the
    ledger cannot pay; then no published.json is written.
    """
    if getattr(args, "epsilon", None) is None:
        return None
    from audit.privacy.publish import open_ledger, publish

    ledger = open_ledger(result, epsilon=args.epsilon, delta=args.delta, budget=args.budget,
                         ledger_dir=args.ledger_dir)
    path = publish(result, out, epsilon=args.epsilon, delta=args.delta, ledger=ledger)
    if console is not None and not getattr(args, "quiet", False):
        where = f"ledger {ledger.path}" if ledger.persistent else "in-memory ledger (synthetic population)"
        console.print(f"published (epsilon {args.epsilon:g}; {ledger.spent_epsilon:.6g} of "
                      f"{ledger.budget_epsilon:.6g} spent, {where}): {path}")
    return path


def epsilon_for(accuracy: float, *, query: str = "tiers_by_cell", scorers: int = 1, sensitivity: int = 1,
                alpha: float = 0.05) -> float:
    """Total ``--epsilon`` for which each count of ``query`` is within ``± accuracy`` with ``1 - alpha`` probability.

    Uses OpenDP's inverse accuracy helper (``accuracy_to_discrete_laplacian_scale``)
    and the default split: ε is shared equally among ``scorers`` and each
    scorer's share is split by :data:`~audit.privacy.queries.QUERY_WEIGHTS`
    (all five queries present).
    """
    from audit.errors import InvalidArgument
    from audit.privacy.context import epsilon_for_half_width
    from audit.privacy.queries import QUERY_WEIGHTS

    if query not in QUERY_WEIGHTS:
        raise InvalidArgument(f"--query {query!r}: use one of {', '.join(QUERY_WEIGHTS)}")
    if scorers < 1:
        raise InvalidArgument(f"--scorers {scorers!r}: give a whole number >= 1")
    share = QUERY_WEIGHTS[query] / sum(QUERY_WEIGHTS.values())
    return epsilon_for_half_width(accuracy, sensitivity=sensitivity, alpha=alpha) / share * scorers


def add_epsilon_for_command(sub: Any) -> None:
    """Register ``scs-audit epsilon-for --accuracy A``."""
    p = sub.add_parser("epsilon-for", help="the --epsilon that gives each published count a target 95%% accuracy")
    p.add_argument("--accuracy", type=_positive_float, required=True, metavar="A",
                   help="half-width of the 95%% interval of each count, in people")
    p.add_argument("--scorers", type=int, default=1, metavar="N", help="scorers in the run (default 1)")
    p.add_argument("--query", default="tiers_by_cell",
                   help="which published table (default tiers_by_cell: counts per income quintile x education x tier)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")


def cmd_epsilon_for(args: argparse.Namespace) -> int:
    """Print the epsilon for a target accuracy, and what that epsilon buys elsewhere."""
    from audit.privacy.context import half_width_for_epsilon
    from audit.privacy.queries import QUERY_WEIGHTS

    eps = epsilon_for(args.accuracy, query=args.query, scorers=args.scorers)
    per_query = eps / args.scorers * QUERY_WEIGHTS[args.query] / sum(QUERY_WEIGHTS.values())
    print(f"--epsilon {eps:.4g}")
    print(f"  each {args.query} count within ±{args.accuracy:g} people (95%), "
          f"spending epsilon {per_query:.4g} on that table for each of {args.scorers} scorer(s);")
    print(f"  check: the half-width at that epsilon is {half_width_for_epsilon(per_query):g} people "
          "(whole numbers, so it can be below the target)")
    return 0
