"""Rongcheng (Shandong): 1,000 points, grades AAA to D, rewards and expiring records, as its executable specification.

From the published record (Rongcheng City personal-credit points management
measures and their scoring standard, China Law Translate translations):
residents start at 1,000 points; grades A (split AAA/AA/A), B, C, D;
"rewards first", "warning before punishment". The scoring standard deducts
e.g. contract non-performance -20, being found in breach by a court -50,
bank arrears -10 per monthly cycle, late utility fees -20; points are added
for volunteering, blood donation and good deeds.

Records expire by gravity, following the NDRC credit-repair disclosure
periods (NDRC credit-repair measures, 2023, and their 2025 revision): minor
records are normally not published (at most 3 months), general ones 3
months to 1 year, serious ones 1 to 3 years. This scorer keeps each record
for the longest period of its class.

Everything the scheme does is :func:`scheme`: a :class:`scorers.points.PointsScheme`
record whose formula is written out in :meth:`~scorers.points.PointsScheme.score_person`.
The public record cited here is listed in ``docs/sources.md``.
"""

from __future__ import annotations

from types import MappingProxyType

from audit.vocab import Gravity
from scorers.base import check_range
from scorers.points import PointsScheme, PointsScorer, Reward

__all__ = [
    "BASE_POINTS",
    "DEDUCTIONS",
    "GRADE_LOWER_BOUNDS",
    "GRAVITY",
    "REWARDS",
    "SANCTIONS",
    "TIERS",
    "Rongcheng",
    "scheme",
]

#: Rongcheng measures (China Law Translate translation): every resident starts at 1,000 points.
BASE_POINTS = 1000.0

#: Points deducted per recorded event.
DEDUCTIONS: MappingProxyType[str, float] = MappingProxyType(
    {
        "contract_breach": 20.0,  # Rongcheng standard: contract non-performance -20
        "court_judgment_default": 50.0,  # Rongcheng standard: found in breach by a court -50
        "loan_arrears": 10.0,  # Rongcheng standard: bank arrears -10 per monthly cycle (one event = one cycle)
        "utility_arrears": 20.0,  # Rongcheng standard: late utility fees -20
        # Assumption: the translated excerpt gives no figure for drunk driving; the
        # Suining figure (-50, Suining 2010 measures as reported by Creemers 2018) is used.
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

#: Reward rules. All assumptions: the record (Rongcheng measures) says points
#: are added for volunteering, blood donation and good deeds but gives no figures.
REWARDS: MappingProxyType[str, Reward] = MappingProxyType(
    {
        # 1 point per whole hour volunteered, at most 10 per event
        "volunteering": Reward(points=1.0, unit=1.0, cap=10.0),
        # 10 points per donation
        "blood_donation": Reward(points=10.0, unit=None, cap=10.0),
        # 1 point per whole 100 yuan given, at most 10 per event
        "charity_donation": Reward(points=1.0, unit=0.01, cap=10.0),
    }
)

#: Lowest points of AAA, AA, A, B, C (below C's bound is D). Commonly reported
#: grade thresholds, not re-checked against the primary text (Rongcheng
#: measures as commonly reported): AAA >= 1050, AA 1030-1049, A 960-1029,
#: B 850-959, C 600-849, D <= 599.
GRADE_LOWER_BOUNDS = (1050.0, 1030.0, 960.0, 850.0, 600.0)

#: Grades, best first (Rongcheng measures: A split into AAA/AA/A, then B, C, D).
TIERS = ("AAA", "AA", "A", "B", "C", "D")

#: Restrictions of grades C and D, each with the domain of life it restricts.
#: Assumption: the record describes low grades losing access to loans, public
#: posts, welfare and licences (the Suining list, Creemers 2018, applied to
#: Rongcheng's lowest grades).
SANCTIONS: MappingProxyType[str, str] = MappingProxyType(
    {
        "loans": "finance",
        "public_post": "public_post",
        "welfare": "welfare",
        "business_licence": "commerce",
    }
)


def scheme(
    *,
    minor_expiry_months: int = 3,
    general_expiry_months: int = 12,
    serious_expiry_months: int = 36,
    penalty_expiry_months: int | None = None,
    reward_months: int = 12,
    reward_cap: float = 100.0,
    penalty_scale: float = 1.0,
) -> PointsScheme:
    """The Rongcheng scheme with the parameters of :class:`Rongcheng`.

    Each deduction (times ``penalty_scale``) counts for the period of its
    gravity class (:data:`GRAVITY`), or for ``penalty_expiry_months`` when set;
    awards (:data:`REWARDS`) count for ``reward_months`` and add at most
    ``reward_cap`` at one time. Grades C and D carry every sanction.
    """
    if penalty_expiry_months is not None:
        periods = dict.fromkeys(("minor", "general", "serious"), penalty_expiry_months)
    else:
        periods = {"minor": minor_expiry_months, "general": general_expiry_months, "serious": serious_expiry_months}
    return PointsScheme(
        base=BASE_POINTS,
        deductions={kind: points * penalty_scale for kind, points in DEDUCTIONS.items()},
        expiry_months={kind: periods[gravity] for kind, gravity in GRAVITY.items()},
        rewards=REWARDS,
        reward_months=reward_months,
        reward_cap=reward_cap,
        tiers=TIERS,
        lower_bounds=GRADE_LOWER_BOUNDS,
        sanctioned_from="C",
        sanctions=SANCTIONS,
    )


class Rongcheng(PointsScorer):
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
    Grades C and D carry the restrictions of :data:`SANCTIONS`.
    """

    __slots__ = ()

    name = "rongcheng"
    version = "1.0"
    description = (
        "Rongcheng: 1,000 points, published deductions expiring by gravity, rewards for good deeds, grades AAA-D"
    )
    tiers = TIERS
    favourable_tiers = frozenset({"AAA", "AA", "A"})
    sanctions = SANCTIONS
    scheme_of = staticmethod(scheme)  # the scheme of each parameter set (the module's scheme())
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

