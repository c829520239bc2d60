"""A commercial behavioural score in the style of Sesame Credit, as its executable specification.

From the published record (secondary sources on commercial scores, e.g.
R. Botsman, "Big data meets Big Brother as China moves to rate its
citizens", Wired UK, 21 October 2017, and Botsman, *Who Can You Trust?*,
2017): range 350-950; weights credit history 35%, capacity 25%, behaviour
20%, identity 15%, relationships 5%. Buying diapers, donating blood and
volunteering raise a score; playing video games and loud music on the train
lower it; friends' scores feed in; benefits include utility discounts and
job interviews. The sources are listed in ``docs/sources.md``.

Every component is a number in ``[0, 1]``; the score is
``350 + 600 * sum(weight * component)``, rounded to whole points as the
commercial score is shown to its users. How each component is computed is
not published: the formulas below are assumptions, each labelled.

The formulas are written out in plain Python, one person at a time
(:func:`credit_history`, :func:`behaviour`, :func:`capacity`,
:func:`identity`, :func:`own_score`, :func:`final_score`, :func:`reason_costs`,
:func:`score_person`); :class:`Sesame` computes the same with the compiled
kernels (``tests/scorers/test_specs.py`` checks that both agree).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from audit.lazy import lazy_module
from audit.population.columns import category_codes
from audit.population.model import PopulationView
from audit.vocab import EDUCATION_LEVELS, EVENT_KINDS, kind_code
from scorers.base import ScorerBase, check_range
from scorers.points import Event, PersonScore
from scorers.protocol import MAX_REASONS, ScorerTags

if TYPE_CHECKING:
    import scorers._kernels as kernels
else:  # compiled: imported where first called, so the command, which scores nobody itself, never loads numba
    kernels = lazy_module("scorers._kernels")

__all__ = [
    "BEHAVIOUR_POINTS",
    "CREDIT_NEGATIVE",
    "REASON_LABELS",
    "SCORE_MAX",
    "SCORE_MIN",
    "TIERS",
    "TIER_LOWER_BOUNDS",
    "WEIGHTS",
    "Sesame",
    "behaviour",
    "capacity",
    "credit_history",
    "final_score",
    "identity",
    "own_score",
    "reason_costs",
    "score_person",
]

#: Score range 350-950 (secondary sources: Botsman, Wired UK 2017; ``docs/sources.md``).
SCORE_MIN, SCORE_MAX = 350.0, 950.0

#: Component weights (secondary sources: Botsman, Wired UK 2017; ``docs/sources.md``).
WEIGHTS: MappingProxyType[str, float] = MappingProxyType(
    {"credit_history": 0.35, "capacity": 0.25, "behaviour": 0.20, "identity": 0.15, "relationships": 0.05}
)

#: Weight of each adverse credit event against one on-time repayment. The 2:1
#: ratio of a default to a repayment is from Liu et al., ICML 2018 ("Delayed Impact
#: of Fair Machine Learning": +75 on repayment, -150 on default). Utility
#: arrears at half and a court-found default at twice a loan arrear are
#: assumptions.
CREDIT_NEGATIVE: MappingProxyType[str, float] = MappingProxyType(
    {"loan_arrears": 2.0, "utility_arrears": 1.0, "court_judgment_default": 4.0}
)

#: Change in the behaviour component per event (assumption; the direction of
#: each is from the secondary sources: Botsman, Wired UK 2017).
BEHAVIOUR_POINTS: MappingProxyType[str, float] = MappingProxyType(
    {
        "diapers_purchase": 0.02,
        "volunteering": 0.05,
        "blood_donation": 0.10,
        "charity_donation": 0.03,
        "video_games": -0.05,
        "loud_music_on_train": -0.10,
    }
)

#: Income bounds of the capacity component, yuan a year (assumption: the
#: lowest income the shipped specs draw, 2,000, and about the top of the
#: richest 2020 quintile, whose mean is 80,294 - National Bureau of Statistics,
#: Statistical Communique on the 2020 National Economic and Social Development).
INCOME_FLOOR, INCOME_CEILING = 2_000.0, 200_000.0

#: Identity: education level counts 60%, age (stability, reaching full weight
#: at 35) 40% (assumption).
IDENTITY_EDUCATION_SHARE, IDENTITY_FULL_AGE = 0.6, 35.0

#: Component value when there is nothing to go on (no friends in the view;
#: assumption: neutral).
NEUTRAL = 0.5

#: Lowest scores of excellent, good, fair, medium (below is poor). Assumption.
TIER_LOWER_BOUNDS = (700.0, 650.0, 600.0, 550.0)

#: Tiers, best first (assumption: the bands commonly shown to users).
TIERS = ("excellent", "good", "fair", "medium", "poor")

#: Reason codes: event kinds, then components that fall below neutral.
REASON_LABELS = EVENT_KINDS + ("capacity", "identity", "relationships")

_EDU_LEVELS = 3.0  # highest education code (tertiary)
_SPAN = SCORE_MAX - SCORE_MIN
_MIN_COST = 1e-9  # a reason costs more than this


# ----------------------------------------------------------------------------- the formulas, in plain Python


def credit_history(counts: Mapping[str, int]) -> float:
    """``(1 + r) / (2 + r + a)``: a Laplace-smoothed share of on-time repayments (assumption).

    ``r`` is the count of ``on_time_repayment`` events, ``a`` the adverse
    events weighted by :data:`CREDIT_NEGATIVE`; 0.5 with no history.
    """
    repaid = float(counts.get("on_time_repayment", 0))
    return (1.0 + repaid) / (2.0 + repaid + _adverse(counts))


def _adverse(counts: Mapping[str, int]) -> float:
    """Adverse credit events, weighted by :data:`CREDIT_NEGATIVE`."""
    return sum(counts.get(kind, 0) * weight for kind, weight in CREDIT_NEGATIVE.items())


def behaviour(counts: Mapping[str, int]) -> float:
    """``NEUTRAL`` plus :data:`BEHAVIOUR_POINTS` per event, clipped to [0, 1] (assumption)."""
    points = sum(counts.get(kind, 0) * change for kind, change in BEHAVIOUR_POINTS.items())
    return min(max(NEUTRAL + points, 0.0), 1.0)


def capacity(income: float) -> float:
    """Log income between :data:`INCOME_FLOOR` and :data:`INCOME_CEILING`, in [0, 1]; missing income is the floor."""
    income = INCOME_FLOOR if math.isnan(income) else income
    lo, hi = math.log(INCOME_FLOOR), math.log(INCOME_CEILING)
    return min(max((math.log(max(income, 1.0)) - lo) / (hi - lo), 0.0), 1.0)


def identity(education: str | None, age: float) -> float:
    """Education level (60%) and age, reaching full weight at 35 (40%) (assumption).

    ``education`` is one of :data:`audit.vocab.EDUCATION_LEVELS` (anything
    else counts as the lowest); a missing age counts as 18.
    """
    level = EDUCATION_LEVELS.index(education) if education in EDUCATION_LEVELS else 0
    age = 18.0 if math.isnan(age) else age
    return IDENTITY_EDUCATION_SHARE * min(max(level / _EDU_LEVELS, 0.0), 1.0) + (
        1.0 - IDENTITY_EDUCATION_SHARE
    ) * min(max((age - 18.0) / (IDENTITY_FULL_AGE - 18.0), 0.0), 1.0)


def own_score(history: float, capacity_: float, behaviour_: float, identity_: float) -> float:
    """The four components that depend on the person alone, weighted as in the score, in [0, 1].

    ``(w_h h + w_c c + w_b b + w_i i) / (1 - w_r)``: what a friend passes on
    through the relationships component.
    """
    w = WEIGHTS
    return (
        w["credit_history"] * history + w["capacity"] * capacity_ + w["behaviour"] * behaviour_
        + w["identity"] * identity_
    ) / (1.0 - w["relationships"])


def final_score(own: float, friends_own: Sequence[float]) -> float:
    """``rint(350 + 600 * (own * (1 - w_r) + w_r * relationships))``, whole points.

    Relationships is the mean ``own`` of the friends, :data:`NEUTRAL` without any.
    """
    weight = WEIGHTS["relationships"]
    relationships = _relationships(friends_own)
    return float(np.rint(SCORE_MIN + _SPAN * (own * (1.0 - weight) + weight * relationships)))


def _relationships(friends_own: Sequence[float]) -> float:
    total = 0.0
    for value in friends_own:
        total += value
    return total / len(friends_own) if friends_own else NEUTRAL


def reason_costs(
    counts: Mapping[str, int], capacity_: float, identity_: float, friends_own: Sequence[float]
) -> dict[str, float]:
    """Points each reason costs a person against neutral, by :data:`REASON_LABELS`.

    An event kind costs its share (by adverse weight) of the credit
    history's shortfall from a clean history, plus the behaviour points it
    lost; a component costs its weight times its shortfall from
    :data:`NEUTRAL`. Everything is in score points (the 600-point span).
    """
    w = WEIGHTS
    repaid = float(counts.get("on_time_repayment", 0))
    adverse = _adverse(counts)
    clean = (1.0 + repaid) / (2.0 + repaid)
    credit_cost = (_SPAN * w["credit_history"]) * (clean - credit_history(counts))
    costs = {}
    for kind in EVENT_KINDS:
        n = float(counts.get(kind, 0))
        share = n * CREDIT_NEGATIVE.get(kind, 0.0) / adverse if adverse > 0 else 0.0
        costs[kind] = credit_cost * share + (_SPAN * w["behaviour"]) * max(-(n * BEHAVIOUR_POINTS.get(kind, 0.0)), 0.0)
    costs["capacity"] = _SPAN * (w["capacity"] * max(NEUTRAL - capacity_, 0.0))
    costs["identity"] = _SPAN * (w["identity"] * max(NEUTRAL - identity_, 0.0))
    costs["relationships"] = _SPAN * (w["relationships"] * max(NEUTRAL - _relationships(friends_own), 0.0))
    return costs


def tier_of(score: float) -> str:
    """The tier of ``score``: the first whose lower bound it reaches, else ``poor``."""
    for tier, lowest in zip(TIERS, TIER_LOWER_BOUNDS):
        if score >= lowest:
            return tier
    return TIERS[-1]


def window_counts(events: Iterable[Event], *, as_of: int, window_months: int = 24) -> dict[str, int]:
    """Events of each kind with ``as_of - window_months < month <= as_of``."""
    counts: dict[str, int] = {}
    for e in events:
        if as_of - window_months < e.month <= as_of and e.kind in EVENT_KINDS:
            counts[e.kind] = counts.get(e.kind, 0) + 1
    return counts


def score_person(
    counts: Mapping[str, int],
    *,
    income: float,
    education: str | None,
    age: float,
    friends_own: Sequence[float] = (),
) -> tuple[PersonScore, float]:
    """One person's score, tier and reasons, and their own components (what they pass on to friends).

    ``counts`` are their events in the window (:func:`window_counts`);
    ``friends_own`` the :func:`own_score` of each tie to a friend present.
    """
    c, i = capacity(income), identity(education, age)
    own = own_score(credit_history(counts), c, behaviour(counts), i)
    score = final_score(own, friends_own)
    costs = reason_costs(counts, c, i, friends_own)
    ranked = sorted(
        (label for label in REASON_LABELS if costs[label] > _MIN_COST),
        key=lambda label: (-costs[label], REASON_LABELS.index(label)),
    )
    return PersonScore(score=score, tier=tier_of(score), reasons=tuple(ranked[:MAX_REASONS])), own


# ----------------------------------------------------------------------------- the scorer (compiled)


class Sesame(ScorerBase):
    """Sesame-style commercial score, 350-950, from five weighted components.

    Parameters
    ----------
    window_months : int
        Events count while ``as_of - month < window_months`` (default 24;
        assumption), so behaviour and credit history recover.

    Notes
    -----
    - credit history: ``(1 + r) / (2 + r + a)`` with ``r`` on-time repayments
      and ``a`` the weighted adverse events (:data:`CREDIT_NEGATIVE`); 0.5 with
      no history (a Laplace-smoothed repayment share; assumption).
    - capacity: log income between :data:`INCOME_FLOOR` and
      :data:`INCOME_CEILING`. Reads income, a protected attribute.
    - behaviour: 0.5 plus :data:`BEHAVIOUR_POINTS` per event, clipped to [0, 1].
    - identity: education level and age (:data:`IDENTITY_EDUCATION_SHARE`).
    - relationships: mean of the other four components (weighted as in the
      score) over the person's friends present in ``view.people``; neutral
      without any.

    Reasons name the event kinds and the components that cost the most
    points against a neutral 0.5, most points first.
    """

    __slots__ = ()

    name = "sesame"
    version = "1.0"
    description = (
        "Sesame-style commercial score 350-950: credit history, capacity (income), behaviour, identity, friends"
    )
    tiers = TIERS
    favourable_tiers = frozenset({"excellent", "good"})
    sanctions = MappingProxyType(
        {
            # assumption: the mirror image of the benefits the record names
            # (deposit-free rentals, job interviews) for the lowest tier
            "rental_deposit_required": "commerce",
            "job_interview_screening": "jobs",
        }
    )
    default_params = MappingProxyType({"window_months": 24})
    tags = ScorerTags(uses_protected_attributes=True, uses_ties=True)
    #: Most points one person can move another's score through ties (read by audit.privacy.queries):
    #: friends enter only through the relationships component, in [0, 1] and weighted 5% of the
    #: 600-point span, so 30 points, plus 1 for rounding the score to a whole number.
    tie_score_reach = (SCORE_MAX - SCORE_MIN) * 0.05 + 1.0

    def _check_params(self, params):
        check_range(self.name, params, "window_months", lo=1)

    @property
    def lookback_months(self) -> int:
        """Months of events a score reads: the window (``as_of - month < window_months``)."""
        return int(self._params["window_months"])

    def score(self, view: PopulationView, *, as_of: int) -> pd.DataFrame:
        """Score every person in ``view.people`` from events up to ``as_of``."""
        ev = kernels.person_events(view, as_of, since=as_of - self._params["window_months"] + 1)
        # credit history and behaviour come from each person's event counts
        # (scorers._kernels.sesame_kernel); capacity and identity from the people table, as
        # capacity() and identity() compute them one person at a time
        capacities, identities = _capacities_identities(view.people)
        negative, behaviour, costly = _kind_tables()
        own, top_idx, top_val = ev.run(
            kernels.sesame_kernel,
            repaid_code=_REPAID,
            neg_w=negative,
            bw=behaviour,
            costly=costly,
            neutral=NEUTRAL,
            capacity=capacities,
            identity=identities,
            w=_WEIGHTS,
            span=_SPAN,
            k=MAX_REASONS,
            min_cost=_MIN_COST,
        )
        # relationships (friends' own components), the score, and the reasons
        score, tier, combo, keys, count = kernels.run_on_ties(
            view,
            kernels.sesame_reasons_kernel,
            people_first=ev.people_first,  # the people's ids are walked once, for the events
            own=own,
            top_idx=top_idx,
            top_val=top_val,
            neutral=NEUTRAL,
            weight=WEIGHTS["relationships"],
            score_min=SCORE_MIN,
            span=_SPAN,
            bounds=_BOUNDS,
            n_labels=len(REASON_LABELS),
            k=MAX_REASONS,
            min_cost=_MIN_COST,
            lut=kernels.reason_lut(len(REASON_LABELS), MAX_REASONS),
        )
        return kernels.banded_frame(
            view, score=score, tier=tier, tiers=self.tiers, sanctions=self.sanctions,
            sanctioned_from=len(self.tiers) - 1,  # poor
            combo=combo, keys=keys[:count], labels=REASON_LABELS, k=MAX_REASONS,
        )


_REPAID = kind_code("on_time_repayment")
_WEIGHTS = np.array([WEIGHTS[c] for c in ("credit_history", "capacity", "behaviour", "identity", "relationships")])
_BOUNDS = np.asarray(TIER_LOWER_BOUNDS, dtype=np.float64)[::-1].copy()  # increasing, as the kernels take them


@functools.cache
def _kind_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per kind code: credit-history penalty weights, behaviour points, and the kinds that can cost points.

    Built on the first score, not at import: the kernels' helpers are imported
    where first called (:func:`audit.lazy.lazy_module`).
    """
    negative = kernels.kind_weights(dict(CREDIT_NEGATIVE))
    behaviour = kernels.kind_weights(dict(BEHAVIOUR_POINTS))
    return negative, behaviour, np.flatnonzero((negative != 0) | (behaviour < 0))


def _capacities_identities(people: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Capacity (log income) and identity (education, age) of every person, as :func:`capacity` and :func:`identity`.

    Compiled (:func:`scorers._kernels.person_components`) but for the
    logarithm, which is numpy's, as the numpy formulation took it.
    """
    income = kernels.income_for_log(people["income"].to_numpy(dtype=np.float64), INCOME_FLOOR)
    log_income = np.log(income, out=income)
    return kernels.person_components(
        log_income, float(np.log(INCOME_FLOOR)), float(np.log(INCOME_CEILING)),
        _education_codes(people["education"]), _EDU_LEVELS,
        people["age"].to_numpy(dtype=np.float64), 18.0, IDENTITY_EDUCATION_SHARE, IDENTITY_FULL_AGE,
    )


def _education_codes(education: pd.Series) -> np.ndarray:
    """Education level codes 0 (primary or less) .. 3 (tertiary), int8; unknown -> -1 (counted as 0)."""
    if isinstance(education.dtype, pd.CategoricalDtype) and tuple(education.cat.categories) == EDUCATION_LEVELS:
        codes = category_codes(education)
    else:
        codes = pd.Categorical(education.astype(object), categories=list(EDUCATION_LEVELS)).codes
    return np.ascontiguousarray(codes, dtype=np.int8)
