"""Suining county (Jiangsu), 2010: a points scheme with classes A-D, as its executable specification.

From the published record: Suining's 2010 "mass credit" measures scored
individual conduct; drunk driving cost 50 points and a child born without
family-planning permission 35 points; citizens were grouped into classes
A-D. A-class citizens had advantages in employment; low classes faced extra
examination when appointed to public posts and when applying for low-cost
housing, basic welfare, business licences, subsidies, loans and
state-sponsored skills training. (Suining County, "Implementation Measures
for the Construction of a Mass Credit Management System", 2010, as reported
by R. Creemers, "China's Social Credit System: An Evolving Practice of
Control", SSRN 3175792, 2018; see ``docs/sources.md``.)

The scheme as modelled here has no rewards and, by default, no expiry: a
deduction counts for ever. A person pushed into class C or D therefore can
never leave it; that absorbing state is what a reversibility audit must find.

Everything the scheme does is :func:`scheme`: a :class:`scorers.points.PointsScheme`
record whose formula is written out in :meth:`~scorers.points.PointsScheme.score_person`.
"""

from __future__ import annotations

from types import MappingProxyType

from scorers.base import check_range
from scorers.points import PointsScheme, PointsScorer

__all__ = ["BASE_POINTS", "CLASS_LOWER_BOUNDS", "DEDUCTIONS", "SANCTIONS", "TIERS", "Suining", "scheme"]

#: Everyone starts here. Assumption: the base is commonly reported as 1,000 for
#: Suining as for Rongcheng (Rongcheng City personal-credit measures, China Law
#: Translate translation; ``docs/sources.md``).
BASE_POINTS = 1000.0

#: Points deducted per recorded event.
DEDUCTIONS: MappingProxyType[str, float] = MappingProxyType(
    {
        # Suining 2010 measures (Creemers 2018, SSRN 3175792): drunk driving -50.
        "drunk_driving": 50.0,
        # Suining 2010 measures (Creemers 2018): a child without family-planning permission -35.
        "unauthorized_birth": 35.0,
        # Assumption, by analogy with Rongcheng's published scoring standard
        # ("found in breach by a court -50"; China Law Translate translation).
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

#: Classes, best first (Suining 2010 measures: classes A-D; Creemers 2018).
TIERS = ("A", "B", "C", "D")

#: Restrictions of the low classes C and D, each with the domain of life it
#: restricts. All from the record (Creemers 2018): extra examination for low
#: classes when ...
SANCTIONS: MappingProxyType[str, str] = MappingProxyType(
    {
        "public_post": "public_post",  # ... appointed to public posts
        "low_cost_housing": "housing",  # ... applying for low-cost housing
        "basic_welfare": "welfare",  # ... basic welfare
        "business_licence": "commerce",  # ... business licences
        "subsidies": "welfare",  # ... subsidies
        "loans": "finance",  # ... loans
        "skills_training": "education",  # ... state-sponsored skills training
    }
)


def scheme(*, penalty_expiry_months: int | None = None, penalty_scale: float = 1.0) -> PointsScheme:
    """The Suining scheme with the parameters of :class:`Suining`.

    Every deduction is multiplied by ``penalty_scale``; with
    ``penalty_expiry_months`` set, each counts while ``as_of - month <
    penalty_expiry_months``. Classes C and D carry every sanction.
    """
    return PointsScheme(
        base=BASE_POINTS,
        deductions={kind: points * penalty_scale for kind, points in DEDUCTIONS.items()},
        expiry_months=None if penalty_expiry_months is None else dict.fromkeys(DEDUCTIONS, penalty_expiry_months),
        tiers=TIERS,
        lower_bounds=CLASS_LOWER_BOUNDS,
        sanctioned_from="C",
        sanctions=SANCTIONS,
    )


class Suining(PointsScorer):
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
    (:data:`SANCTIONS`). Only class A is favourable: the
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
    tiers = TIERS
    favourable_tiers = frozenset({"A"})  # A-class: advantages in employment (Creemers 2018)
    sanctions = SANCTIONS
    scheme_of = staticmethod(scheme)  # the scheme of each parameter set (the module's scheme())
    default_params = MappingProxyType({"penalty_expiry_months": None, "penalty_scale": 1.0})

    def _check_params(self, params):
        check_range(self.name, params, "penalty_expiry_months", lo=1)
        check_range(self.name, params, "penalty_scale", lo=0.0)

