"""What a release measures: exact integer tables over public categories, with their bounds.

The audits already merged exact counts per cell (``RunResult.runs[i].aggregates``).
Here they are summed (numpy) to the published tables — always over the public
category lists: the scorer's tiers, income quintiles 1-5, the census education
levels (:mod:`audit.vocab`) and ``unknown``; never categories found in the data
(extra ``--by`` attributes of a supplied table are summed out, not published).

The privacy unit is one person, with all their records and ties: neighbouring
datasets differ by adding or removing one person. For a scorer that reads
ties, removing a person also changes the view of at most ``A = D + K`` other
people (:mod:`audit.population.tie_bound`: ``D`` the public cap on how many people may list
one person as a friend, ``K`` the bound on how many friends one person lists);
for a scorer that does not, ``A = 0``. Each of those people can move from any
tier, sanction state or score to any other. Each query states how far that can
move it (its L1 sensitivity ``d_in``):

===================  ========================================================  =========================
query                one person contributes                                     d_in
===================  ========================================================  =========================
tiers_by_cell        1 to one (income quintile, education, tier) count;         1 + 2A
                     each affected person moves from one tier cell to another
adverse_by_cell      1 to their cell if sanctioned; each affected person        1 + A
                     gains or loses a sanction in their own cell
score_sum_by_cell    their score, clamped to public bounds, minus the bounds'   ceil((hi-lo)/2) + A r
                     midpoint, in hundredths of a point, to one cell; each      hundredths
                     affected person's clamped score moves by at most r: hi - lo,
                     or less when the scorer declares ``tie_score_reach``
score_histogram      1 to one (income quintile, score bin) count; each          1 + 2A
                     affected person moves from one bin to another
===================  ========================================================  =========================

No appeal figures are published: the appeal audit replays a sample of people
chosen by hash, and for a scorer reading ties the replayed views include
friends, so one person changes who else is sampled and what they are shown;
an honest bound would be the whole sample.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from audit.population.groups import UNKNOWN, CellLayout
from audit.vocab import EDUCATION_LEVELS, INCOME_QUINTILES

if TYPE_CHECKING:
    from scorers.protocol import Scorer

__all__ = [
    "HISTOGRAM_BINS",
    "PUBLIC_ATTRIBUTES",
    "QUERY_WEIGHTS",
    "ExactTable",
    "ScoreBounds",
    "budget_split",
    "exact_tables",
    "public_labels",
    "reads_ties",
    "score_bounds_for",
]

#: Attributes every published table is broken down by (public category lists).
PUBLIC_ATTRIBUTES = ("income_quintile", "education")

#: Share of a scorer's ε each query gets (renormalised over the queries a scorer has).
#: Assumption: the tier table carries most findings (tier shares, favourable
#: rates, impact ratios), so it gets the largest share.
QUERY_WEIGHTS: Mapping[str, float] = {
    "tiers_by_cell": 0.4,
    "adverse_by_cell": 0.2,
    "score_sum_by_cell": 0.2,
    "score_histogram": 0.1,
}

#: Equal-width bins of the published score histogram between the public bounds.
HISTOGRAM_BINS = 20

@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreBounds:
    """Public clamping bounds of a scorer's score (never read from the data)."""

    lo: float
    """Lower bound; lower scores are counted as ``lo``."""
    hi: float
    """Upper bound; higher scores are counted as ``hi``."""
    source: str
    """Where the bounds come from."""

    def hundredths(self) -> tuple[int, int]:
        return math.floor(self.lo * 100), math.ceil(self.hi * 100)


def public_labels(attribute: str) -> tuple[Any, ...]:
    """The public categories of a published attribute, then ``unknown``."""
    cats = {"income_quintile": tuple(INCOME_QUINTILES), "education": tuple(EDUCATION_LEVELS)}[attribute]
    return (*cats, UNKNOWN)


def score_bounds_for(scorer: Scorer, override: tuple[float, float] | None = None) -> ScoreBounds | None:
    """Public score bounds of a scorer, or ``None`` when none are known.

    In order: ``override`` (given by the auditor); a ``score_bounds`` attribute
    the scorer declares; the published ranges of the reference scorers below.
    A scorer without bounds gets no mean score or histogram (its counts and
    rates are still published).
    """
    if override is not None:
        return _bounds(override, "given by the auditor")
    declared = getattr(scorer, "score_bounds", None)
    if declared is not None:
        return _bounds(declared, f"declared by scorer {scorer.name!r}")
    params = dict(getattr(scorer, "params", {}) or {})
    name = getattr(scorer, "name", "")
    if name == "sesame":
        # Commercial score range 350-950 (secondary sources; docs/sources.md "Commercial behavioural scores").
        return ScoreBounds(lo=350.0, hi=950.0, source="Sesame-style range 350-950 (secondary sources)")
    if name == "suining":
        # Base 1,000 points and deductions only (scorers/suining.py); floor at 0 is an assumption.
        return ScoreBounds(lo=0.0, hi=1000.0, source="base 1,000 less deductions; assumption: floor 0")
    if name == "rongcheng" and "reward_cap" in params:
        # Base 1,000 plus capped rewards (scorers/rongcheng.py); floor at 0 is an assumption.
        cap = float(params["reward_cap"])
        return ScoreBounds(lo=0.0, hi=1000.0 + cap, source="base 1,000 plus reward_cap; assumption: floor 0")
    if name == "joint_punishment" and "max_listing_months" in params:
        # Score is minus the months of listing left, at most max_listing_months.
        return ScoreBounds(lo=-float(params["max_listing_months"]), hi=0.0, source="minus max_listing_months to 0")
    return None


def _bounds(pair: Any, source: str) -> ScoreBounds:
    from audit.errors import InvalidArgument

    try:
        lo, hi = (float(x) for x in pair)
    except (TypeError, ValueError):
        raise InvalidArgument(f"score bounds {pair!r}: give two numbers (lo, hi)") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise InvalidArgument(f"score bounds {pair!r}: need finite lo < hi")
    return ScoreBounds(lo=lo, hi=hi, source=source)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExactTable:
    """An exact (private) integer table a release measures once."""

    query: str
    """Name, also the ledger's."""
    values: np.ndarray
    """Exact int64 counts or sums; axes as in ``axes``."""
    axes: tuple[tuple[str, tuple[Any, ...]], ...]
    """``(axis name, public labels)`` per axis."""
    sensitivity: int
    """L1 distance one person can move ``values`` (``d_in``)."""
    bound: str
    """The contribution bound in words (recorded in published.json)."""
    unit: str = "people"
    """What one count is."""


def _cells(layout: CellLayout, per_cell: np.ndarray) -> np.ndarray:
    """Sum out every attribute but income quintile and education; axes (quintile, education, ...)."""
    for name in PUBLIC_ATTRIBUTES:
        labels = layout.attribute(name).labels
        if tuple(labels) != public_labels(name):  # pragma: no cover - the layout is built from audit.vocab
            raise AssertionError(f"{name} categories {labels} differ from the public list {public_labels(name)}")
    return layout.marginal(per_cell, PUBLIC_ATTRIBUTES).astype(np.int64)


def reads_ties(scorer: Scorer) -> bool:
    """Whether a scorer may read ties: tagged ``uses_ties``, or declaring no tags at all (assumed to)."""
    from scorers.protocol import ScorerTags

    tags = getattr(scorer, "tags", None)
    return not isinstance(tags, ScorerTags) or bool(tags.uses_ties)


def _reach(affected: int) -> str:
    return "" if not affected else (f"; plus up to {affected} other people whose friends change "
                                    "(tie bound D + K), each moving")


def exact_tables(scorer: Scorer, aggregates: Mapping[str, Any], layout: CellLayout,
                 bounds: ScoreBounds | None, *, affected: int = 0) -> list[ExactTable]:
    """The exact tables one scorer's release measures (numpy only; nothing noisy yet).

    ``affected`` is ``A``: how many other people's views one person's removal
    can change (``D + K`` for a scorer reading ties, else 0).
    """
    if isinstance(affected, bool) or not isinstance(affected, (int, np.integer)) or affected < 0:
        raise ValueError(f"affected {affected!r}: give a whole number >= 0")
    a = int(affected)
    disparity = aggregates["disparity"]
    inc, edu = public_labels("income_quintile"), public_labels("education")
    tiers = tuple(scorer.tiers)
    reach = _reach(a)
    out = [
        ExactTable(query="tiers_by_cell", values=_cells(layout, disparity["tiers"].array),
                   axes=(("income_quintile", inc), ("education", edu), ("tier", tiers)), sensitivity=1 + 2 * a,
                   bound=("each person is in exactly one (income quintile, education, tier) cell: contributes 1"
                          + (f"{reach} from one tier cell to another (2 each): L1 at most {1 + 2 * a}" if a else ""))),
        ExactTable(query="adverse_by_cell", values=_cells(layout, disparity["any_sanction"].array),
                   axes=(("income_quintile", inc), ("education", edu)), sensitivity=1 + a,
                   bound=("each person adds at most 1, to their own cell, when any sanction applies"
                          + (f"{reach} in or out of sanction (1 each): L1 at most {1 + a}" if a else ""))),
    ]
    if bounds is not None:
        out.extend(_score_tables(disparity["scores"], layout, bounds, a, getattr(scorer, "tie_score_reach", None)))
    return out


def _score_tables(scores: Any, layout: CellLayout, bounds: ScoreBounds, affected: int,
                  tie_reach: Any = None) -> list[ExactTable]:
    """Score sums and histogram; ``tie_reach`` (points) is a scorer's declared bound on its tie influence."""
    lo, hi = bounds.hundredths()
    mid = (lo + hi) // 2
    own = max(hi - mid, mid - lo)
    step = hi - lo  # how far an affected person's clamped score can move, in hundredths
    if tie_reach is not None:
        r = tie_reach
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not math.isfinite(r) or r < 0:
            raise ValueError(f"tie_score_reach {r!r}: a scorer declares a finite number of points >= 0")
        step = min(step, math.ceil(float(r) * 100))
    sens = own + affected * step
    reach = _reach(affected)
    scale = 10 ** (2 - scores.decimals)  # value counts keep ``decimals`` decimals; we work in hundredths
    hundredths = np.floor_divide(scores.keys, scores.n_cells) * scale
    cells = np.mod(scores.keys, scores.n_cells)
    clamped = np.clip(hundredths, lo, hi)
    sums = np.zeros(scores.n_cells, dtype=np.int64)
    np.add.at(sums, cells, (clamped - mid) * scores.counts)
    nb = HISTOGRAM_BINS
    bins = np.minimum((clamped - lo) * nb // (hi - lo), nb - 1)
    hist = np.zeros((scores.n_cells, nb), dtype=np.int64)
    np.add.at(hist, (cells, bins), scores.counts)
    edges = tuple(float(lo + (hi - lo) * i / nb) / 100 for i in range(nb + 1))
    inc, edu = public_labels("income_quintile"), public_labels("education")
    by_income = layout.marginal(hist, ("income_quintile",)).astype(np.int64)
    bin_labels = tuple(f"[{edges[i]:g}, {edges[i + 1]:g}{']' if i == nb - 1 else ')'}" for i in range(nb))
    return [
        ExactTable(query="score_sum_by_cell", values=_cells(layout, sums),
                   axes=(("income_quintile", inc), ("education", edu)), sensitivity=int(sens),
                   unit=f"hundredths of a point above {mid / 100:g}",
                   bound=(f"each person adds their score clamped to [{bounds.lo:g}, {bounds.hi:g}] minus {mid / 100:g}, "
                          f"in hundredths, to one cell: at most {own} in absolute value"
                          + (f"{reach} their clamped score by at most {step}: L1 at most {sens}" if affected else ""))),
        ExactTable(query="score_histogram", values=by_income,
                   axes=(("income_quintile", inc), ("score_bin", bin_labels)), sensitivity=1 + 2 * affected,
                   bound=("each person is in one (income quintile, score bin) count: contributes 1"
                          + (f"{reach} from one bin to another (2 each): L1 at most {1 + 2 * affected}"
                             if affected else ""))),
    ]


def budget_split(epsilon: float, labels: list[str], queries: Mapping[str, list[str]]) -> dict[str, dict[str, float]]:
    """ε per scorer and query, fixed before anything is measured.

    ε is divided equally among the scorers (each scorer's release is a separate
    look at the same people, so their costs add up), then among each scorer's
    queries in proportion to :data:`QUERY_WEIGHTS`.
    """
    per_scorer = epsilon / max(len(labels), 1)
    out: dict[str, dict[str, float]] = {}
    for label in labels:
        names = queries[label]
        total = sum(QUERY_WEIGHTS[q] for q in names)
        out[label] = {q: per_scorer * QUERY_WEIGHTS[q] / total for q in names}
    return out
