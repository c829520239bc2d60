"""Assertion helpers for audit suites: fail a test when a scoring rule crosses a line.

Each helper reads the results of an audit run — a :class:`~audit.runner.ScorerRun`
(what the pytest ``audit_run`` fixture gives), a :class:`~audit.runner.RunResult`
holding one scorer (or pick one with ``label=``), a scorer's entry of
``results.json`` or the whole document — and raises :class:`AssertionError`
with a complete message: the scorer, the groups, their values and 95%
intervals, the threshold, and what to do. Helpers set ``__tracebackhide__``
so pytest shows the message, not our internals.

An estimate whose interval straddles the threshold is **inconclusive** and
fails too: an audit that cannot tell is not a pass. The message says how many
people would decide it. Intervals shrink as ``1/sqrt(n)``, so an interval of
half-width ``h`` around an estimate at distance ``d`` from the threshold stops
straddling it at about ``n * (h / d)**2`` people; ``h`` is the half-width on
the threshold's side (bootstrap intervals need not be symmetric). The
population size it implies is given as an ``--audit-size`` to rerun with.

The replay helpers (absorbing states, recovery, appeal parity, spill-over,
overturn) give three outcomes (:mod:`audit.evidence`): violated; holds, only
on at least :data:`~audit.evidence.MIN_OBSERVATIONS` people with exact
intervals; or not enough evidence, which fails with how much evidence there
was and the ``--audit-replay-sample`` (or ``--audit-size``) that gets enough
(:mod:`audit.replay.verdicts`). They also read the rule probes
(``spillover.probes``, :mod:`audit.replay.probes`), which show with certainty what a
scorer can do.

Arguments outside their domain (an unknown attribute, a negative gap) raise
:class:`~audit.errors.InvalidArgument`, not :class:`AssertionError`: that is a
mistake in the test, not a finding.
"""

from __future__ import annotations

from audit.audited import audited_sections, people_needed
from audit.testing.assert_disparity import FOUR_FIFTHS, assert_four_fifths
from audit.testing.assert_replay import assert_appeal_parity, assert_no_spillover, assert_overturn_restores_state
from audit.testing.assert_reversibility import assert_no_absorbing_states, assert_recovers_within

__all__ = [
    "FOUR_FIFTHS",
    "assert_four_fifths",
    "assert_no_absorbing_states",
    "assert_recovers_within",
    "assert_appeal_parity",
    "assert_overturn_restores_state",
    "assert_no_spillover",
    "people_needed",
    "audited_sections",
]
