"""Joint Punishment: the Supreme People's Court judgment-defaulter list, as its executable specification.

From the published record: under the Supreme People's Court Provisions on
Announcing the List of Dishonest Judgment Defaulters (2017 revision) a
listing lasts 2 years, extendable by 1-3 years for violent resistance or
repeated violations; a defaulter is deleted early when the obligation is
performed; a wrongful listing is revoked within 3 working days (that is an
appeal: the harness removes the event and scores again). A listed person is
restricted in unrelated parts of life - high-speed trains, flights,
star-rated hotels, loans, jobs, buying a house (State Council, Planning
Outline for the Construction of a Social Credit System 2014-2020, and the
joint-punishment memoranda that followed; by end 2017 9.36 million flight
trips and 3.67 million high-speed rail trips were blocked, as reported by
the SPC). The sources are listed in ``docs/sources.md``.

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
:func:`listing_until` is this fold in plain Python, one person at a time;
:class:`JointPunishment` runs the same fold compiled
(``tests/scorers/test_specs.py`` checks that both agree).
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from audit.lazy import lazy_module
from audit.population.model import PopulationView
from audit.vocab import kind_code
from scorers.base import ScorerBase, check_range
from scorers.points import Event

if TYPE_CHECKING:
    import scorers._kernels as kernels
else:  # compiled: imported where first called, so the command, which scores nobody itself, never loads numba
    kernels = lazy_module("scorers._kernels")

__all__ = ["SANCTIONS", "JointPunishment", "listing_until"]

_DEFAULT = kind_code("court_judgment_default")
_PERFORMED = kind_code("judgment_performed")
_NEVER = np.iinfo(np.int64).min // 4  # "listing ended long ago"


#: Restrictions of a listed person, each with the domain of life it restricts
#: (State Council Planning Outline 2014-2020 and the joint-punishment memoranda).
SANCTIONS: MappingProxyType[str, str] = MappingProxyType(
    {
        "high_speed_rail": "travel",
        "flights": "travel",
        "star_hotels": "travel",
        "loans": "finance",
        "jobs": "jobs",
        "house_purchase": "housing",
    }
)


def listing_until(
    events: Iterable[Event],
    *,
    as_of: int,
    listing_months: int = 24,
    extension_months: int = 12,
    max_listing_months: int = 60,
    honour_performance: bool = True,
) -> int | None:
    """Month one person's listing ends (exclusive) after their events up to ``as_of``; None if never listed.

    The fold of the module docstring, in plain Python: defaults and
    performances in month order, a default before a performance in the same
    month; other kinds are not looked at.
    """
    folded = sorted(
        ((e.month, e.kind == "court_judgment_default") for e in events
         if e.month <= as_of and e.kind in ("court_judgment_default", "judgment_performed")),
        key=lambda e: (e[0], not e[1]),
    )
    until: int | None = None
    start = outstanding = 0
    for month, is_default in folded:
        listed = until is not None and month < until
        if is_default and listed:
            until = min(until + extension_months, start + max_listing_months)  # type: ignore[operator]
            outstanding += 1
        elif is_default:
            start, until, outstanding = month, month + listing_months, 1
        elif honour_performance:
            outstanding = max(outstanding - 1, 0)
            if listed and outstanding == 0:
                until = month
    return until


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
    sanctions = SANCTIONS
    default_params = MappingProxyType(
        {
            "listing_months": 24,
            "extension_months": 12,
            "max_listing_months": 60,
            "honour_performance": True,
        }
    )

    #: Months of events a score reads: all of them. A judgment extends the listing it falls in or starts a new
    #: one, so whether an old listing was still running decides what a later judgment does; back-to-back
    #: listings chain that dependence back to the first judgment, and no window gives the same listings.
    lookback_months = None

    def _check_params(self, params):
        check_range(self.name, params, "listing_months", lo=1)
        check_range(self.name, params, "extension_months", lo=0)
        check_range(self.name, params, "max_listing_months", lo=params["listing_months"])

    def score(self, view: PopulationView, *, as_of: int) -> pd.DataFrame:
        """Score every person in ``view.people`` from events up to ``as_of``."""
        p = self._params
        ev = kernels.person_events(view, as_of)
        until = ev.run(
            kernels.listing_kernel,
            default_code=_DEFAULT,
            performed_code=_PERFORMED,
            listing_months=p["listing_months"],
            extension_months=p["extension_months"],
            max_listing_months=p["max_listing_months"],
            honour_performance=p["honour_performance"],
            never=_NEVER,
        )
        score, listed = kernels.listing_outcome(until, as_of)
        code = listed.view(np.int8)  # tier: 0 not listed, 1 listed
        return kernels.score_frame(
            view,
            score=score,
            tier=code,
            tiers=self.tiers,
            sanctions={s: listed for s in self.sanctions},
            reasons=_reasons_of(listed),
        )


#: Reasons of the two tiers: none, and the listing.
_REASONS = np.empty(2, dtype=object)
_REASONS[0], _REASONS[1] = (), ("court_judgment_default",)


def _reasons_of(listed: np.ndarray) -> np.ndarray:
    """Each person's reasons, ``_REASONS[listed]``: no reason, or the listing for the few listed.

    Filled with the unlisted people's reason and overwritten where listed:
    gathering a million object references by index (about 8 ms) costs
    more than filling them and writing the listed percent or so (about 5).
    """
    out = np.empty(listed.shape[0], dtype=object)
    out.fill(_REASONS[0])
    out[listed] = _REASONS[1:2]  # a one-element array: the tuple itself goes in, not its items
    return out
