"""The flags of ``scs-audit run`` for a deployed system's own data: its scores, decisions and observed outcomes.

``--score-column`` (or ``--scores FILE``) audits the given scores as a scorer
named after the column (:class:`scorers.precomputed.PrecomputedScorer`);
``--adverse-from`` / ``--favourable-column`` / ``--lower-is-better`` say what
the scores decide; ``--outcome`` adds error rates and calibration
(:mod:`audit.disparity.observed`).
"""

from __future__ import annotations

import argparse
from typing import Any

from audit.cli.argtypes import number
from audit.errors import InvalidArgument

__all__ = ["add_supplied_args", "precomputed_scorer", "supplied_kwargs"]


def add_supplied_args(p: argparse.ArgumentParser) -> None:
    """``--scores``, ``--score-column``, ``--lower-is-better``, ``--adverse-from``, ``--favourable-column``, ``--outcome``."""
    g = p.add_argument_group("a deployed system's own data (with --population PEOPLE.csv)")
    g.add_argument("--score-column", default=None, metavar="COL",
                   help="audit the scores in this column of the people (or --scores) table, as a scorer named after it")
    g.add_argument("--scores", default=None, metavar="PATH",
                   help="table of precomputed scores: person_id and the score (optionally tier or decision columns)")
    g.add_argument("--lower-is-better", action="store_true", help="the score is a risk score: lower scores are better")
    g.add_argument("--adverse-from", type=number(float, what="score", example="5"), default=None, metavar="SCORE",
                   help="a score at or above SCORE is the adverse outcome (implies --lower-is-better)")
    g.add_argument("--favourable-column", default=None, metavar="COL",
                   help="0/1 column of decisions, 1 the favourable one (e.g. hired)")
    g.add_argument("--date-column", default=None, metavar="COL",
                   help="column of the records' dates: their range goes into the NYC LL144 summary")
    g.add_argument("--outcome", default=None, metavar="COL",
                   help="0/1 column of observed outcomes, 1 = the event the score predicts (error rates, calibration)")


def supplied_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`audit.population.source.open_source` these flags give."""
    return {"scores": args.scores, "score_column": args.score_column, "outcome": args.outcome,
            "favourable_column": args.favourable_column, "date_column": args.date_column}


def precomputed_scorer(args: argparse.Namespace, source: Any) -> Any:
    """The precomputed scorer the flags ask for (``None`` when no score was given); refuses flags without a score."""
    column = source.supplied.score_column if source.supplied is not None else None
    if column is None:
        if args.adverse_from is not None or args.lower_is_better:
            raise InvalidArgument(
                "adverse_from= and lower_is_better= describe precomputed scores; name the score column with "
                "score_column= (or give a scores table with scores=)"
            )
        if args.favourable_column is not None:
            raise InvalidArgument(
                "favourable_column= gives a deployed system's decisions; name its score column with score_column= "
                "(or give a scores table with scores=)"
            )
        return None
    from scorers.precomputed import PrecomputedScorer

    return PrecomputedScorer(column=column, lower_is_better=args.lower_is_better, adverse_from=args.adverse_from,
                             favourable_column=args.favourable_column)
