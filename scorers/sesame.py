"""A commercial behavioural score in the style of Sesame Credit.

From the published record (DESIGN.md, secondary sources on commercial
scores): range 350-950; weights credit history 35%, capacity 25%, behaviour
20%, identity 15%, relationships 5%. Buying diapers, donating blood and
volunteering raise a score; playing video games and loud music on the train
lower it; friends' scores feed in; benefits include utility discounts and job
interviews.

Every component is a number in ``[0, 1]``; the score is
``350 + 600 * sum(weight * component)``, rounded to whole points as the
commercial score is shown to its users. How each component is computed is
not published: the formulas below are assumptions, each labelled.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from audit.population.model import PopulationView
from audit.vocab import EDUCATION_LEVELS, EVENT_KINDS, kind_code
from scorers._compiled import sesame_kernel, sesame_reasons_kernel
from scorers._kernel import banded_frame, kind_weights, reason_lut
from scorers._per_person import person_events, run_on_ties
from scorers.base import ScorerBase, check_range
from scorers.protocol import MAX_REASONS, ScorerTags

__all__ = ["REASON_LABELS", "SCORE_MAX", "SCORE_MIN", "TIER_LOWER_BOUNDS", "WEIGHTS", "Sesame"]

#: Score range 350-950 (secondary sources, DESIGN.md "More of the record").
SCORE_MIN, SCORE_MAX = 350.0, 950.0

#: Component weights (secondary sources, DESIGN.md "More of the record").
WEIGHTS: MappingProxyType[str, float] = MappingProxyType(
    {"credit_history": 0.35, "capacity": 0.25, "behaviour": 0.20, "identity": 0.15, "relationships": 0.05}
)

#: Weight of each adverse credit event against one on-time repayment. The 2:1
#: ratio of a default to a repayment is from Liu et al. 2018 ("Delayed Impact
#: of Fair Machine Learning": +75 on repayment, -150 on default). Utility
#: arrears at half and a court-found default at twice a loan arrear are
#: assumptions.
CREDIT_NEGATIVE: MappingProxyType[str, float] = MappingProxyType(
    {"loan_arrears": 2.0, "utility_arrears": 1.0, "court_judgment_default": 4.0}
)

#: Change in the behaviour component per event (assumption; the direction of
#: each is from the secondary sources in DESIGN.md "The domain, in numbers").
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
#: richest 2020 quintile, whose mean is 80,294 - NBS Statistical Communique 2020).
INCOME_FLOOR, INCOME_CEILING = 2_000.0, 200_000.0

#: Identity: education level counts 60%, age (stability, reaching full weight
#: at 35) 40% (assumption).
IDENTITY_EDUCATION_SHARE, IDENTITY_FULL_AGE = 0.6, 35.0

#: Component value when there is nothing to go on (no friends in the view;
#: assumption: neutral).
NEUTRAL = 0.5

#: Lowest scores of excellent, good, fair, medium (below is poor). Assumption.
TIER_LOWER_BOUNDS = (700.0, 650.0, 600.0, 550.0)

#: Reason codes: event kinds, then components that fall below neutral.
REASON_LABELS = EVENT_KINDS + ("capacity", "identity", "relationships")

_EDU_LEVELS = 3.0  # highest education code (tertiary)


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
    tiers = ("excellent", "good", "fair", "medium", "poor")
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

    def score(self, view: PopulationView, *, as_of: int) -> pd.DataFrame:
        """Score every person in ``view.people`` from events up to ``as_of``."""
        ev = person_events(view, as_of, since=as_of - self._params["window_months"] + 1)
        # credit history and behaviour come from each person's event counts
        # (scorers._compiled.sesame_kernel); capacity and identity from the people table

        # capacity (income, log-scaled)
        income = np.nan_to_num(view.people["income"].to_numpy(dtype=np.float64), nan=INCOME_FLOOR)
        lo, hi = np.log(INCOME_FLOOR), np.log(INCOME_CEILING)
        capacity = np.clip((np.log(np.maximum(income, 1.0)) - lo) / (hi - lo), 0.0, 1.0)

        # identity (education, age)
        edu = _education_codes(view.people["education"])
        age = np.nan_to_num(view.people["age"].to_numpy(dtype=np.float64), nan=18.0)
        identity = IDENTITY_EDUCATION_SHARE * np.clip(edu / _EDU_LEVELS, 0.0, 1.0) + (
            1.0 - IDENTITY_EDUCATION_SHARE
        ) * np.clip((age - 18.0) / (IDENTITY_FULL_AGE - 18.0), 0.0, 1.0)

        w = WEIGHTS
        span = SCORE_MAX - SCORE_MIN
        own, top_idx, top_val = ev.run(
            sesame_kernel,
            _REPAID,
            _CREDIT_NEGATIVE,
            _BEHAVIOUR_POINTS,
            _COSTLY,
            NEUTRAL,
            capacity,
            identity,
            _WEIGHTS,
            span,
            MAX_REASONS,
            _MIN_COST,
        )
        # relationships (friends' own components), the score, and the reasons
        score, tier, combo, keys, count = run_on_ties(
            view,
            sesame_reasons_kernel,
            own,
            top_idx,
            top_val,
            NEUTRAL,
            w["relationships"],
            SCORE_MIN,
            span,
            _BOUNDS,
            len(REASON_LABELS),
            MAX_REASONS,
            _MIN_COST,
            reason_lut(len(REASON_LABELS), MAX_REASONS),
        )
        return banded_frame(
            view, score=score, tier=tier, tiers=self.tiers, sanctions=self.sanctions,
            sanctioned_from=len(self.tiers) - 1,  # poor
            combo=combo, keys=keys[:count], labels=REASON_LABELS, k=MAX_REASONS,
        )


_REPAID = kind_code("on_time_repayment")
_CREDIT_NEGATIVE = kind_weights(dict(CREDIT_NEGATIVE))
_BEHAVIOUR_POINTS = kind_weights(dict(BEHAVIOUR_POINTS))
_COSTLY = np.flatnonzero((_CREDIT_NEGATIVE != 0) | (_BEHAVIOUR_POINTS < 0))  # the kinds that can cost points
_WEIGHTS = np.array([WEIGHTS[c] for c in ("credit_history", "capacity", "behaviour", "identity", "relationships")])
_BOUNDS = np.asarray(TIER_LOWER_BOUNDS, dtype=np.float64)[::-1].copy()  # increasing, as tier_codes takes them
_MIN_COST = 1e-9  # as scorers._kernel.top_reasons


def _education_codes(education: pd.Series) -> np.ndarray:
    """Education level codes 0 (primary or less) .. 3 (tertiary); unknown -> 0."""
    if isinstance(education.dtype, pd.CategoricalDtype) and tuple(education.cat.categories) == EDUCATION_LEVELS:
        codes = education.cat.codes.to_numpy()
    else:
        codes = pd.Categorical(education.astype(object), categories=list(EDUCATION_LEVELS)).codes
    return np.maximum(codes, 0).astype(np.float64)
