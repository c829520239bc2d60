"""Joint Punishment: the Supreme People's Court judgment-defaulter list.

From the published record (DESIGN.md, "More of the record" and "The domain,
in numbers"): under the SPC provisions (2017 revision) a listing lasts 2
years, extendable by 1-3 years for violent resistance or repeated violations;
a defaulter is deleted early when the obligation is performed; a wrongful
listing is revoked within 3 working days (that is an appeal: the harness
removes the event and scores again). A listed person is restricted in
unrelated parts of life - high-speed trains, flights, star-rated hotels,
loans, jobs, buying a house (2014 Planning Outline onward; by end 2017 9.36
million flight trips and 3.67 million high-speed rail trips were blocked).

The fold over a person's events, in month order (a default before a
performance in the same month):

- ``court_judgment_default`` when not listed: listed from that month for
  ``listing_months``; the episode's outstanding obligations become 1.
- ``court_judgment_default`` while listed: the listing is extended by
  ``extension_months``, at most to ``max_listing_months`` after the episode
  began; one more outstanding obligation.
- ``judgment_performed`` (when ``honour_performance``): one outstanding
  obligation is performed; when none is left the listing ends that month.
  Assumption: one performance event discharges one default.

A person is listed at ``as_of`` when ``as_of`` is before the listing's end.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from audit.population.model import PopulationView
from audit.vocab import kind_code
from scorers._compiled import listing_kernel
from scorers._kernel import score_frame
from scorers._per_person import PersonEvents, person_events
from scorers.base import ScorerBase, check_range

__all__ = ["JointPunishment", "listing_end"]

_DEFAULT = kind_code("court_judgment_default")
_PERFORMED = kind_code("judgment_performed")
_NEVER = np.iinfo(np.int64).min // 4  # "listing ended long ago"
_MONTH_MIN, _MONTH_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)  # no month window
_NONE = np.zeros(0)


def listing_end(
    rows: np.ndarray,
    month: np.ndarray,
    is_default: np.ndarray,
    n: int,
    *,
    listing_months: int,
    extension_months: int,
    max_listing_months: int,
    honour_performance: bool,
) -> np.ndarray:
    """Month each person's listing ends (exclusive) after folding their events.

    ``rows``, ``month`` and ``is_default`` describe default and performance
    events (``is_default`` False = performed) of rows ``0 .. n - 1``. Each
    person's events are folded in month order, a default before a
    performance in the same month (:func:`scorers._compiled.listing_kernel`).
    """
    events = PersonEvents(
        ids=np.ascontiguousarray(rows, dtype=np.int64), first=0, n=n,
        codes=np.where(np.asarray(is_default, dtype=bool), 0, 1).astype(np.int8),
        month=np.ascontiguousarray(month, dtype=np.int64), lo_month=_MONTH_MIN, hi_month=_MONTH_MAX, amount=_NONE,
    )
    return events.run(
        listing_kernel, 0, 1, listing_months, extension_months, max_listing_months, honour_performance, _NEVER
    )


class JointPunishment(ScorerBase):
    """SPC judgment-defaulter list: listed 2 years per default, with joint sanctions.

    Parameters
    ----------
    listing_months : int
        Length of a listing (24: "listing lasts 2 years", SPC 2017).
    extension_months : int
        Extension for a further default while listed (12: the shortest of the
        "1-3 years" extension, SPC 2017).
    max_listing_months : int
        Longest a listing episode may last (60 = 2 + 3 years, SPC 2017).
    honour_performance : bool
        Delete the listing early when the obligation is performed (True, SPC
        2017). False models a list that ignores performance.

    Notes
    -----
    Score is minus the months of listing remaining at ``as_of`` (0 when not
    listed), so a higher score is better as for every other scorer.
    """

    __slots__ = ()

    name = "joint_punishment"
    version = "1.0"
    description = "SPC judgment-defaulter list (2017): 2-year listing per default, extensions, early deletion on performance, joint sanctions"
    tiers = ("not_listed", "listed")
    favourable_tiers = frozenset({"not_listed"})
    sanctions = MappingProxyType(
        {
            # 2014 Planning Outline onward (DESIGN.md "The domain, in numbers"):
            "high_speed_rail": "travel",
            "flights": "travel",
            "star_hotels": "travel",
            "loans": "finance",
            "jobs": "jobs",
            "house_purchase": "housing",
        }
    )
    default_params = MappingProxyType(
        {
            "listing_months": 24,
            "extension_months": 12,
            "max_listing_months": 60,
            "honour_performance": True,
        }
    )

    def _check_params(self, params):
        check_range(self.name, params, "listing_months", lo=1)
        check_range(self.name, params, "extension_months", lo=0)
        check_range(self.name, params, "max_listing_months", lo=params["listing_months"])

    def score(self, view: PopulationView, *, as_of: int) -> pd.DataFrame:
        """Score every person in ``view.people`` from events up to ``as_of``."""
        p = self._params
        ev = person_events(view, as_of)
        until = ev.run(
            listing_kernel,
            _DEFAULT,
            _PERFORMED,
            p["listing_months"],
            p["extension_months"],
            p["max_listing_months"],
            p["honour_performance"],
            _NEVER,
        )
        remaining = np.maximum(until - as_of, 0)
        listed = remaining > 0
        code = listed.view(np.int8)  # tier: 0 not listed, 1 listed
        return score_frame(
            view,
            score=(-remaining).astype(np.float64),
            tier=code,
            tiers=self.tiers,
            sanctions={s: listed for s in self.sanctions},
            reasons=_REASONS.take(code),
        )


#: Reasons of the two tiers: none, and the listing.
_REASONS = np.empty(2, dtype=object)
_REASONS[0], _REASONS[1] = (), ("court_judgment_default",)
