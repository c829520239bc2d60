"""Command-line pieces of publication: ``run --epsilon``, ``scs-audit epsilon-for`` and ``scs-audit ledger``.

:mod:`audit.cli.commands` calls :func:`add_publish_args` on its ``run`` parser,
:func:`precheck_from_args` before any work, :func:`publish_from_args` after
results.json is written, and registers :func:`add_epsilon_for_command` and
:func:`add_ledger_command`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.cli.argtypes import number

if TYPE_CHECKING:
    from scorers.protocol import Scorer

__all__ = [
    "EPSILON_HARD_CAP",
    "EPSILON_WARN",
    "add_epsilon_for_command",
    "add_ledger_command",
    "add_publish_args",
    "check_epsilon",
    "cmd_epsilon_for",
    "cmd_ledger",
    "epsilon_for",
    "precheck_from_args",
    "publish_from_args",
]

#: Above this --epsilon a warning is printed. The US Census Bureau's 2020 redistricting
#: data used a total epsilon of 17.14 for persons (Census Bureau, "Privacy-loss budget
#: allocation", 2021), among the largest deployed; at epsilon 10 one person can change
#: the odds of any outcome by a factor e^10, about 22,000.
EPSILON_WARN = 10.0
#: Above this --epsilon a release is refused unless --allow-large-epsilon is given: at
#: epsilon 100 the factor e^100 (about 2.7e43) protects nobody, and noise is far below one person.
EPSILON_HARD_CAP = 100.0

_positive_float = number(float, lo=0, lo_inclusive=False)
_probability = number(float, lo=0, hi=1, hi_inclusive=False)
_non_negative_int = number(int, lo=0)


def add_publish_args(p: argparse.ArgumentParser) -> None:
    """Publication flags of ``scs-audit run``."""
    g = p.add_argument_group("differentially private publication (writes DIR/published.json)")
    g.add_argument("--epsilon", type=_positive_float, default=None, metavar="E",
                   help="privacy loss this release may spend, split over scorers and queries; "
                        f"without it nothing is published (a warning above {EPSILON_WARN:g}; refused above "
                        f"{EPSILON_HARD_CAP:g} without --allow-large-epsilon)")
    g.add_argument("--allow-large-epsilon", action="store_true",
                   help=f"publish with --epsilon above {EPSILON_HARD_CAP:g} (nearly exact figures: no real protection)")
    g.add_argument("--delta", type=_probability, default=0.0, metavar="D",
                   help="delta allowed (default 0; the Laplace measurements spend none)")
    g.add_argument("--budget", type=_positive_float, default=None, metavar="B",
                   help="total epsilon the dataset may ever spend (supplied data: default the stored total, or E "
                        "for a dataset not seen before)")
    g.add_argument("--dataset", default=None, metavar="NAME",
                   help="the data source's name (required to publish supplied data): its privacy budget is kept "
                        "under this name and its person-id set")
    g.add_argument("--new-dataset", action="store_true",
                   help="declare a new --dataset name a different dataset although its people nearly match a known "
                        "one (recorded in the ledger)")
    g.add_argument("--max-friends", type=_non_negative_int, default=None, metavar="K",
                   help="public bound on how many friends one person of a supplied ties table lists (default 10); "
                        "tie-reading scorers are charged for it")
    g.add_argument("--ledger-dir", default=None, metavar="DIR",
                   help="where the privacy ledger of supplied data lives (default ~/.scs-audit)")


def _ledger_path(ledger_dir: str | None) -> Path:
    from audit.privacy.ledger import LEDGER_FILENAME, default_ledger_path

    return default_ledger_path() if ledger_dir is None else Path(ledger_dir) / LEDGER_FILENAME


def check_epsilon(epsilon: float, *, allow_large: bool = False) -> str | None:
    """Refuse ``epsilon`` above :data:`EPSILON_HARD_CAP` unless allowed; the warning above :data:`EPSILON_WARN`.

    Returns the warning text, or ``None``.
    """
    from audit.errors import InvalidArgument

    if epsilon > EPSILON_HARD_CAP and not allow_large:
        raise InvalidArgument(f"--epsilon {epsilon:g} is above the cap {EPSILON_HARD_CAP:g}: the published figures "
                              "would be nearly exact and protect nobody; give a smaller --epsilon (1 is common), or "
                              "--allow-large-epsilon if that is really intended")
    if epsilon > EPSILON_WARN:
        return (f"warning: --epsilon {epsilon:g} is above {EPSILON_WARN:g}: one person can change the odds of any "
                "published outcome by a factor of e^epsilon; the figures protect little")
    return None


def precheck_from_args(args: argparse.Namespace) -> None:
    """Refuse, before any scoring, what publication would refuse after it.

    Misplaced options, an --epsilon above the cap, a missing --dataset for
    supplied data, an unusable ledger file (a directory, corrupt, read-only),
    a ties table beyond --max-friends, and a release the ledger could not pay
    for. The authoritative budget check is the ledger's transaction at
    publication; this one spares an auditor a long run. A supplied table is
    loaded once more here.
    """
    from audit.errors import InvalidArgument

    if getattr(args, "epsilon", None) is None:
        given = [f for f, v in (("--budget", args.budget), ("--ledger-dir", args.ledger_dir),
                                ("--dataset", args.dataset), ("--max-friends", args.max_friends)) if v is not None]
        given += [f for f, v in (("--delta", args.delta), ("--new-dataset", args.new_dataset),
                                 ("--allow-large-epsilon", args.allow_large_epsilon)) if v]
        if given:
            raise InvalidArgument(f"{', '.join(given)}: used only when publishing; add --epsilon E (the privacy "
                                  f"loss this release may spend), or leave {'it' if len(given) == 1 else 'them'} out")
        return
    warning = check_epsilon(args.epsilon, allow_large=args.allow_large_epsilon)
    if warning:
        print(warning, file=sys.stderr)
    from audit.population.source import open_source
    from audit.population.table_files import TABLE_SUFFIXES
    from audit.privacy.ledger import PrivacyLedger, check_ledger_path
    from audit.privacy.publish import tie_bounds

    if str(args.population).lower().endswith(TABLE_SUFFIXES):
        if args.dataset is None:
            raise InvalidArgument("--dataset NAME is required to publish supplied data: the privacy budget is kept "
                                  "under the data source's name and its people (e.g. --dataset city-register-2024)")
        check_ledger_path(_ledger_path(args.ledger_dir))  # before any work: exit 2 naming the path and the fix
    source = open_source(args.population, size=args.size, seed=args.seed, events=args.events, ties=args.ties,
                         horizon_months=getattr(args, "horizon_months", None))
    described = source.describe()
    from audit.privacy.queries import reads_ties
    from audit.runner import resolve_scorers

    needed = any(reads_ties(s) for s in resolve_scorers(args.scorer or None))
    tie_bounds(argparse.Namespace(population=described), args.max_friends, needed=needed)
    if source.synthetic:
        for flag, v in (("--dataset", args.dataset), ("--max-friends", args.max_friends)):
            if v is not None:
                raise InvalidArgument(f"{flag}: used only for supplied data (a synthetic population's budget is in "
                                      "memory and its friends per person come from the spec); leave it out")
        ledger = PrivacyLedger.in_memory(fingerprint=source.fingerprint(),
                                         budget_epsilon=args.epsilon if args.budget is None else args.budget,
                                         budget_delta=args.delta)
    else:
        ledger = PrivacyLedger.open_dataset(_ledger_path(args.ledger_dir), name=args.dataset,
                                            identity=described["person_ids"], budget_epsilon=args.budget,
                                            budget_delta=args.delta, default_epsilon=args.epsilon,
                                            new_dataset=args.new_dataset, legacy_key=source.fingerprint())
        for w in ledger.warnings:
            print(f"warning: {w}", file=sys.stderr)
    ledger.check(args.epsilon)


def publish_from_args(args: argparse.Namespace, result: Any, out: Path, console: Any = None) -> Path | None:
    """Publish ``result`` into ``out`` when ``--epsilon`` was given; ``None`` otherwise.

    Raises :class:`~audit.errors.BudgetExceeded` (exit status 2) when the
    ledger cannot pay; then no published.json is written.
    """
    if getattr(args, "epsilon", None) is None:
        return None
    failed = [r.label for r in result.runs if r.error is not None]
    if failed:  # the run's exit status (1) and its message name the failure; nothing is charged or published
        print(f"scs-audit: nothing published (no epsilon spent): scorer(s) {', '.join(map(repr, failed))} failed, "
              "and a release without them would publish that; fix the scorer or leave it out, then rerun",
              file=sys.stderr)
        return None
    from audit.privacy.publish import open_ledger, publish

    ledger = open_ledger(result, epsilon=args.epsilon, delta=args.delta, budget=args.budget,
                         ledger_dir=args.ledger_dir, dataset=args.dataset, new_dataset=args.new_dataset)
    path = publish(result, out, epsilon=args.epsilon, delta=args.delta, ledger=ledger, max_friends=args.max_friends)
    if console is not None and not getattr(args, "quiet", False):
        where = f"ledger {ledger.path}" if ledger.persistent else "in-memory ledger (synthetic population)"
        console.print(f"published (epsilon {args.epsilon:g}; {ledger.spent_epsilon:.6g} of "
                      f"{ledger.budget_epsilon:.6g} spent, {where}): {path}")
    return path


def _query_plan(scorer: Scorer, *, max_friends: int, max_in_degree: int) -> dict[str, int]:
    """Query -> sensitivity of one scorer's release, as :func:`audit.privacy.publish.plan_release` builds it."""
    import numpy as np

    from audit.aggregate import Counts, ValueCounts
    from audit.population.groups import layout_for
    from audit.population.tie_bound import influence
    from audit.privacy.queries import exact_tables, reads_ties, score_bounds_for

    affected = influence(max_in_degree=max_in_degree, max_out_degree=max_friends) if reads_ties(scorer) else 0
    layout = layout_for(())
    bounds = score_bounds_for(scorer)
    empty = np.zeros(0, dtype=np.int64)  # zero tables: only the queries and their sensitivities are wanted
    aggregates = {"disparity": {"tiers": Counts(np.zeros((layout.n_cells, len(scorer.tiers)), dtype=np.int64)),
                                "any_sanction": Counts(np.zeros(layout.n_cells, dtype=np.int64)),
                                "scores": ValueCounts(empty, empty, layout.n_cells, 2)}}
    return {t.query: t.sensitivity for t in exact_tables(scorer, aggregates, layout, bounds, affected=affected)}


def epsilon_for(accuracy: float, *, query: str = "tiers_by_cell", scorers: list[Any], max_friends: int | None = None,
                max_in_degree: int | None = None, alpha: float = 0.05) -> dict[str, Any]:
    """Total ``--epsilon`` for which each figure of ``query`` is within ``± accuracy`` (``1 - alpha``) for every scorer.

    Follows the release's own split (:func:`audit.privacy.queries.budget_split`):
    ε is shared equally among the scorers, then among each scorer's real
    queries (two without public score bounds, four with them) by weight; each
    query's sensitivity is the one the release charges (ties included). For
    ``score_sum_by_cell`` the accuracy is in points of a cell's score sum.

    Returns ``{"epsilon": total, "by_scorer": {label: {"sensitivity", "queries", "epsilon_query", "needs"}}}``;
    the total is what the scorer needing most asks for.
    """
    from audit.errors import InvalidArgument
    from audit.population.tie_bound import MAX_IN_DEGREE
    from audit.privacy.context import epsilon_for_half_width
    from audit.privacy.publish import DEFAULT_MAX_FRIENDS
    from audit.privacy.queries import QUERY_WEIGHTS, budget_split
    from scorers.protocol import scorer_label

    if query not in QUERY_WEIGHTS:
        raise InvalidArgument(f"query {query!r}: use one of {', '.join(QUERY_WEIGHTS)}")
    if not scorers:
        raise InvalidArgument("scorers: give at least one scorer (--scorer NAME)")
    k = DEFAULT_MAX_FRIENDS if max_friends is None else max_friends
    d = MAX_IN_DEGREE if max_in_degree is None else max_in_degree
    plans = {scorer_label(s): _query_plan(s, max_friends=k, max_in_degree=d) for s in scorers}
    half = accuracy * 100 if query == "score_sum_by_cell" else accuracy  # the table is in hundredths of a point
    split = budget_split(1.0, list(plans), {label: list(p) for label, p in plans.items()})
    out: dict[str, Any] = {"by_scorer": {}}
    needs = []
    for label, p in plans.items():
        if query not in p:
            out["by_scorer"][label] = {"queries": len(p), "sensitivity": None, "epsilon_query": None, "needs": None}
            continue
        eps_q = epsilon_for_half_width(half, sensitivity=p[query], alpha=alpha)
        total = eps_q / split[label][query]  # split was computed for a total of 1
        needs.append(total)
        out["by_scorer"][label] = {"queries": len(p), "sensitivity": p[query], "epsilon_query": eps_q, "needs": total}
    if not needs:
        raise InvalidArgument(f"query {query!r}: none of the scorers publishes it (score tables need public score "
                              "bounds); choose tiers_by_cell or adverse_by_cell")
    out["epsilon"] = max(needs)
    return out


def add_epsilon_for_command(sub: Any) -> None:
    """Register ``scs-audit epsilon-for --accuracy A`` (and ``scs-audit ledger``)."""
    p = sub.add_parser("epsilon-for", help="the --epsilon that gives each published figure a target 95%% accuracy")
    p.add_argument("--accuracy", type=_positive_float, required=True, metavar="A",
                   help="half-width of the 95%% interval of each figure: people for counts, points for "
                        "score_sum_by_cell")
    p.add_argument("--scorer", action="append", default=[], metavar="SPEC",
                   help="the run's scorers, as for run (repeatable; default: all registered)")
    p.add_argument("--query", default="tiers_by_cell",
                   help="which published table (default tiers_by_cell: counts per income quintile x education x tier)")
    p.add_argument("--max-friends", type=_non_negative_int, default=None, metavar="K",
                   help="the bound on friends per person the run will use (default 10)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    add_ledger_command(sub)


def cmd_epsilon_for(args: argparse.Namespace) -> int:
    """Print the epsilon for a target accuracy, per scorer, with each query's sensitivity."""
    from audit.privacy.context import half_width_for_epsilon
    from audit.runner import resolve_scorers

    plan = epsilon_for(args.accuracy, query=args.query, scorers=resolve_scorers(args.scorer),
                       max_friends=args.max_friends)
    unit = "points" if args.query == "score_sum_by_cell" else "people"
    eps = plan["epsilon"]
    print(f"--epsilon {eps:.4g}")
    n = len(plan["by_scorer"])
    for label, p in plan["by_scorer"].items():
        if p["sensitivity"] is None:
            print(f"  {label}: publishes no {args.query} ({p['queries']} queries)")
            continue
        got = eps * p["epsilon_query"] / p["needs"]
        hw = half_width_for_epsilon(got, sensitivity=p["sensitivity"])
        hw = hw / 100 if args.query == "score_sum_by_cell" else hw
        print(f"  {label}: {args.query} sensitivity {p['sensitivity']:g}, one of {p['queries']} queries, "
              f"epsilon {got:.4g} of the scorer's {eps / n:.4g}: each figure within ±{hw:g} {unit} (95%)")
    return 0


def add_ledger_command(sub: Any) -> None:
    """Register ``scs-audit ledger [--dataset NAME] [--ledger-dir DIR]``."""
    p = sub.add_parser("ledger", help="show the privacy budget spent on supplied data, per data source")
    p.add_argument("--dataset", default=None, metavar="NAME", help="only this data source, with every release")
    p.add_argument("--ledger-dir", default=None, metavar="DIR", help="where the ledger lives (default ~/.scs-audit)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")


def cmd_ledger(args: argparse.Namespace) -> int:
    """Print each budget's names, total, spend, what remains and, with --dataset, its releases."""
    from audit.privacy.ledger import ledger_summary

    path = _ledger_path(args.ledger_dir)
    budgets = ledger_summary(path, name=args.dataset)
    print(f"privacy ledger {path}")
    if not budgets:
        print("  no budgets yet")
    for b in budgets:
        names = ", ".join(b["names"]) or "(unnamed: kept under a content hash by an older version)"
        print(f"{names}: spent epsilon {b['spent_epsilon']:.6g} of {b['total_epsilon']:.6g}, "
              f"remaining {b['remaining_epsilon']:.6g}, {len(b['releases'])} release(s)")
        if args.dataset is None:
            continue
        for h in b["budget_history"]:
            print(f"  {h['changed']}  budget set to epsilon {h['budget_epsilon']:g}")
        for r in b["releases"]:
            print(f"  {r['created']}  release {r['release']}: epsilon {r['epsilon']:.6g}")
            for e in r["entries"]:
                print(f"    {e['id']}  {e['scorer']} {e['query']}: sensitivity {e['sensitivity']:g}, "
                      f"epsilon {e['epsilon']:.6g}")
    return 0
