"""Suining county (Jiangsu), 2010: a points scheme with classes A-D.

From the published record (DESIGN.md, "The domain, in numbers"): Suining
scored individual conduct; drunk driving cost 50 points and a child born
without family-planning permission 35 points; citizens were grouped into
classes A-D. A-class citizens had advantages in employment; low classes faced
extra examination when appointed to public posts and when applying for
low-cost housing, basic welfare, business licences, subsidies, loans and
state-sponsored skills training.

The scheme as modelled here has no rewards and, by default, no expiry: a
deduction counts for ever. A person pushed into class C or D therefore can
never leave it; that absorbing state is what a reversibility audit must find.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from audit.population.model import PopulationView
from audit.vocab import EVENT_KINDS
from scorers._compiled import points_kernel
from scorers._kernel import banded_frame, kind_weights, reason_lut
from scorers._per_person import month_bound, person_events
from scorers.base import ScorerBase, check_range
from scorers.protocol import MAX_REASONS

__all__ = ["BASE_POINTS", "CLASS_LOWER_BOUNDS", "DEDUCTIONS", "Suining"]

#: Everyone starts here. Assumption: the base is commonly reported as 1,000 for
#: Suining as for Rongcheng (DESIGN.md "More of the record": Rongcheng base 1,000).
BASE_POINTS = 1000.0

#: Points deducted per recorded event.
DEDUCTIONS: MappingProxyType[str, float] = MappingProxyType(
    {
        # Suining 2010 (DESIGN.md "The domain, in numbers"): drunk driving -50.
        "drunk_driving": 50.0,
        # Suining 2010: a child without family-planning permission -35.
        "unauthorized_birth": 35.0,
        # Assumption, by analogy with Rongcheng's published standard ("found in
        # breach by a court -50"; DESIGN.md "More of the record").
        "court_judgment_default": 50.0,
        # Assumption, by analogy with Rongcheng: contract non-performance -20.
        "contract_breach": 20.0,
        # Assumption, by analogy with Rongcheng: bank arrears -10 per monthly cycle
        # (one recorded loan_arrears event is taken as one cycle).
        "loan_arrears": 10.0,
        # Assumption, by analogy with Rongcheng: late utility fees -20.
        "utility_arrears": 20.0,
        # Assumption: a minor traffic offence, a quarter of a late utility fee.
        "traffic_violation": 5.0,
        # Assumption: "uncivil behaviour" reported by a third party.
        "loud_music_on_train": 5.0,
        # Assumption: online speech penalised as "spreading rumours"; the
        # record shows such rules exist but not Suining's figure.
        "critical_post": 10.0,
    }
)

#: Lowest points of classes A, B, C (below C's bound is D). Assumption: the
#: thresholds commonly reported (A >= 970, B 850-969, C 600-849, D < 600) could
#: not be checked against the primary text.
CLASS_LOWER_BOUNDS = (970.0, 850.0, 600.0)


class Suining(ScorerBase):
    """Suining county 2010: 1,000 points less deductions, classes A (best) to D.

    Parameters
    ----------
    penalty_expiry_months : int or None
        ``None`` (default, as in the record: no expiry is reported) keeps every
        deduction for ever. An integer ``N`` makes a deduction count while
        ``as_of - month < N``, i.e. for ``N`` months including its own.
    penalty_scale : float
        Multiplier on every deduction (1.0 as published; 0.5 halves them).

    Notes
    -----
    Classes C and D carry every restriction the record lists for low classes
    (DESIGN.md "The domain, in numbers"). Only class A is favourable: the
    record names advantages in employment for A-class citizens and none for
    B, so B is neither rewarded nor sanctioned. Reasons are the event kinds
    that cost the most points, most points first.
    """

    __slots__ = ()

    name = "suining"
    version = "1.0"
    description = (
        "Suining county 2010: 1,000 points less deductions (drunk driving -50, unauthorized birth -35), classes A-D"
    )
    tiers = ("A", "B", "C", "D")
    favourable_tiers = frozenset({"A"})  # A-class: advantages in employment (the record)
    sanctions = MappingProxyType(
        {
            # All from the record: extra examination for low classes when ...
            "public_post": "public_post",  # ... appointed to public posts
            "low_cost_housing": "housing",  # ... applying for low-cost housing
            "basic_welfare": "welfare",  # ... basic welfare
            "business_licence": "commerce",  # ... business licences
            "subsidies": "welfare",  # ... subsidies
            "loans": "finance",  # ... loans
            "skills_training": "education",  # ... state-sponsored skills training
        }
    )
    default_params = MappingProxyType({"penalty_expiry_months": None, "penalty_scale": 1.0})

    def _check_params(self, params):
        check_range(self.name, params, "penalty_expiry_months", lo=1)
        check_range(self.name, params, "penalty_scale", lo=0.0)

    def score(self, view: PopulationView, *, as_of: int) -> pd.DataFrame:
        """Score every person in ``view.people`` from events up to ``as_of``."""
        ev = person_events(view, as_of)
        expiry = self._params["penalty_expiry_months"]
        score, tier, combo, keys, count = ev.run(
            points_kernel,
            ev.amount,
            month_bound(as_of),
            kind_weights(dict(DEDUCTIONS)) * self._params["penalty_scale"],
            np.full(len(EVENT_KINDS), 0 if expiry is None else expiry),
            expiry is not None,
            _NO_REWARD,
            0,
            0.0,
            BASE_POINTS,
            _BOUNDS,
            MAX_REASONS,
            _MIN_COST,
            reason_lut(len(EVENT_KINDS), MAX_REASONS),
        )
        return banded_frame(
            view, score=score, tier=tier, tiers=self.tiers, sanctions=self.sanctions,
            sanctioned_from=2,  # classes C and D
            combo=combo, keys=keys[:count], labels=EVENT_KINDS, k=MAX_REASONS,
        )


_BOUNDS = np.asarray(CLASS_LOWER_BOUNDS, dtype=np.float64)[::-1].copy()  # increasing, as tier_codes takes them
_NO_REWARD = np.zeros((0, len(EVENT_KINDS)))
_MIN_COST = 1e-9  # as scorers._kernel.top_reasons
