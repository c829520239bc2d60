"""Rongcheng (Shandong): 1,000 points, grades AAA to D, rewards and expiring records.

From the published record (DESIGN.md, "More of the record", China Law
Translate translations of the Rongcheng personal-credit measures): residents
start at 1,000 points; grades A (split AAA/AA/A), B, C, D; "rewards first",
"warning before punishment". The scoring standard deducts e.g. contract
non-performance -20, being found in breach by a court -50, bank arrears -10
per monthly cycle, late utility fees -20; points are added for volunteering,
blood donation and good deeds (DESIGN.md, "The domain, in numbers").

Records expire by gravity, following the NDRC credit-repair disclosure
periods (DESIGN.md, "More of the record"): minor records are normally not
published (at most 3 months), general ones 3 months to 1 year, serious ones
1 to 3 years. This scorer keeps each record for the longest period of its
class.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from audit.population.model import PopulationView
from audit.vocab import EVENT_KINDS, Gravity
from scorers._compiled import points_kernel
from scorers._kernel import banded_frame, kind_weights, reason_lut
from scorers._per_person import month_bound, person_events
from scorers.base import ScorerBase, check_range
from scorers.protocol import MAX_REASONS

__all__ = ["BASE_POINTS", "DEDUCTIONS", "GRADE_LOWER_BOUNDS", "GRAVITY", "REWARDS", "Rongcheng"]

#: Rongcheng measures: every resident starts at 1,000 points.
BASE_POINTS = 1000.0

#: Points deducted per recorded event.
DEDUCTIONS: MappingProxyType[str, float] = MappingProxyType(
    {
        "contract_breach": 20.0,  # Rongcheng standard: contract non-performance -20
        "court_judgment_default": 50.0,  # Rongcheng standard: found in breach by a court -50
        "loan_arrears": 10.0,  # Rongcheng standard: bank arrears -10 per monthly cycle (one event = one cycle)
        "utility_arrears": 20.0,  # Rongcheng standard: late utility fees -20
        # Assumption: the translated excerpt gives no figure for drunk driving; the
        # Suining figure (-50, DESIGN.md "The domain, in numbers") is used.
        "drunk_driving": 50.0,
        "traffic_violation": 5.0,  # assumption: a minor traffic offence
        "loud_music_on_train": 5.0,  # assumption: "uncivil behaviour" in public transport
        "critical_post": 10.0,  # assumption: online speech penalised as "rumours"
    }
)

#: Gravity class of each penalised kind (assumption: the same classification
#: as the shipped population specs, ``fixtures/populations/*.toml``).
GRAVITY: MappingProxyType[str, Gravity] = MappingProxyType(
    {
        "traffic_violation": "minor",
        "loud_music_on_train": "minor",
        "critical_post": "minor",
        "contract_breach": "general",
        "loan_arrears": "general",
        "utility_arrears": "general",
        "drunk_driving": "serious",
        "court_judgment_default": "serious",
    }
)

#: Reward rules: kind -> (points per whole unit, unit size in ``amount`` or None
#: for a fixed award per event, cap per event). All assumptions: the record
#: says points are added for volunteering, blood donation and good deeds but
#: gives no figures.
REWARDS: MappingProxyType[str, tuple[float, float | None, float]] = MappingProxyType(
    {
        "volunteering": (1.0, 1.0, 10.0),  # 1 point per whole hour volunteered, at most 10 per event
        "blood_donation": (10.0, None, 10.0),  # 10 points per donation
        "charity_donation": (1.0, 0.01, 10.0),  # 1 point per whole 100 yuan given, at most 10 per event
    }
)

#: Lowest points of AAA, AA, A, B, C (below C's bound is D). Commonly reported
#: grade thresholds, not re-checked against the primary text (DESIGN.md "More
#: of the record"): AAA >= 1050, AA 1030-1049, A 960-1029, B 850-959, C 600-849, D <= 599.
GRADE_LOWER_BOUNDS = (1050.0, 1030.0, 960.0, 850.0, 600.0)


class Rongcheng(ScorerBase):
    """Rongcheng: 1,000 points plus rewards less expiring deductions, grades AAA-D.

    Parameters
    ----------
    minor_expiry_months, general_expiry_months, serious_expiry_months : int
        How long a deduction of each gravity class counts: while
        ``as_of - month < N``. Defaults 3, 12 and 36 months, the longest NDRC
        disclosure period of each class.
    penalty_expiry_months : int or None
        When set, overrides all three classes with one period.
    reward_months : int
        How long an award counts (default 12; assumption: awards are reviewed
        in a yearly evaluation).
    reward_cap : float
        Most points awards can add at one time (default 100; assumption, so
        that good deeds can lift a resident two grades but not buy off a
        serious record for ever).
    penalty_scale : float
        Multiplier on every deduction (1.0 as published).

    Notes
    -----
    Grades C and D carry the restrictions below; the record describes low
    grades losing access to loans, public posts, welfare and licences (the
    Suining list, DESIGN.md "The domain, in numbers", applied to Rongcheng's
    lowest grades; assumption).
    """

    __slots__ = ()

    name = "rongcheng"
    version = "1.0"
    description = (
        "Rongcheng: 1,000 points, published deductions expiring by gravity, rewards for good deeds, grades AAA-D"
    )
    tiers = ("AAA", "AA", "A", "B", "C", "D")
    favourable_tiers = frozenset({"AAA", "AA", "A"})
    sanctions = MappingProxyType(
        {
            "loans": "finance",
            "public_post": "public_post",
            "welfare": "welfare",
            "business_licence": "commerce",
        }
    )
    default_params = MappingProxyType(
        {
            "minor_expiry_months": 3,
            "general_expiry_months": 12,
            "serious_expiry_months": 36,
            "penalty_expiry_months": None,
            "reward_months": 12,
            "reward_cap": 100.0,
            "penalty_scale": 1.0,
        }
    )

    def _check_params(self, params):
        for key in (
            "minor_expiry_months",
            "general_expiry_months",
            "serious_expiry_months",
            "penalty_expiry_months",
            "reward_months",
        ):
            check_range(self.name, params, key, lo=1)
        check_range(self.name, params, "reward_cap", lo=0.0)
        check_range(self.name, params, "penalty_scale", lo=0.0)

    def _expiry_by_kind(self) -> np.ndarray:
        p = self._params
        if p["penalty_expiry_months"] is not None:
            periods = {g: p["penalty_expiry_months"] for g in ("minor", "general", "serious")}
        else:
            periods = {g: p[f"{g}_expiry_months"] for g in ("minor", "general", "serious")}
        return kind_weights({k: periods[g] for k, g in GRAVITY.items()})

    def score(self, view: PopulationView, *, as_of: int) -> pd.DataFrame:
        """Score every person in ``view.people`` from events up to ``as_of``."""
        p = self._params
        ev = person_events(view, as_of, amount=True)
        score, tier, combo, keys, count = ev.run(
            points_kernel,
            ev.amount,
            month_bound(as_of),
            # deductions, each counting for its gravity class's period
            kind_weights(dict(DEDUCTIONS)) * p["penalty_scale"],
            self._expiry_by_kind(),
            True,
            # awards within the reward window, capped per event and in total
            _REWARD_TABLE,
            p["reward_months"],
            p["reward_cap"],
            BASE_POINTS,
            _BOUNDS,
            MAX_REASONS,
            _MIN_COST,
            reason_lut(len(EVENT_KINDS), MAX_REASONS),
        )
        return banded_frame(
            view, score=score, tier=tier, tiers=self.tiers, sanctions=self.sanctions,
            sanctioned_from=4,  # grades C and D
            combo=combo, keys=keys[:count], labels=EVENT_KINDS, k=MAX_REASONS,
        )


#: REWARDS per kind code, the rows :func:`scorers._compiled.points_kernel` reads: points
#: per whole unit, unit size in ``amount`` (0 for a fixed award), 1 for a fixed award, cap per event.
_REWARD_TABLE = np.stack(
    [
        kind_weights({k: r[0] for k, r in REWARDS.items()}),
        kind_weights({k: (r[1] if r[1] is not None else 0.0) for k, r in REWARDS.items()}),
        kind_weights({k: (1.0 if r[1] is None else 0.0) for k, r in REWARDS.items()}),
        kind_weights({k: r[2] for k, r in REWARDS.items()}),
    ]
)
_BOUNDS = np.asarray(GRADE_LOWER_BOUNDS, dtype=np.float64)[::-1].copy()  # increasing, as tier_codes takes them
_MIN_COST = 1e-9  # as scorers._kernel.top_reasons
