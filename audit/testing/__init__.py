"""Auditing in a test suite: the pytest plugin's fixtures, assertions and hypothesis strategies.

Names are imported lazily, so importing one module of this package loads no other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.lazy import lazy_exports

if TYPE_CHECKING:
    from audit.testing.assert_dynamics import assert_gap_does_not_grow
    from audit.testing.assertions import (
        assert_appeal_parity,
        assert_four_fifths,
        assert_no_absorbing_states,
        assert_no_spillover,
        assert_overturn_restores_state,
        assert_recovers_within,
    )
    from audit.testing.overturn import check_overturn
    from audit.testing.strategies import event_logs, population_specs, populations, scorer_params

_EXPORTS = {
    "assert_appeal_parity": "audit.testing.assertions",
    "assert_gap_does_not_grow": "audit.testing.assert_dynamics",
    "assert_four_fifths": "audit.testing.assertions",
    "assert_no_absorbing_states": "audit.testing.assertions",
    "assert_no_spillover": "audit.testing.assertions",
    "assert_overturn_restores_state": "audit.testing.assertions",
    "assert_recovers_within": "audit.testing.assertions",
    "check_overturn": "audit.testing.overturn",
    "event_logs": "audit.testing.strategies",
    "population_specs": "audit.testing.strategies",
    "populations": "audit.testing.strategies",
    "scorer_params": "audit.testing.strategies",
}

__all__ = [
    "assert_appeal_parity",
    "assert_four_fifths",
    "assert_gap_does_not_grow",
    "assert_no_absorbing_states",
    "assert_no_spillover",
    "assert_overturn_restores_state",
    "assert_recovers_within",
    "check_overturn",
    "event_logs",
    "population_specs",
    "populations",
    "scorer_params",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
