"""Dynamics: people respond to the score over years, and the scorer scores them again.

:func:`simulate` runs one scorer through seeded months (adapt, self-censor,
unfriend; sanctions feed back into income and arrears) using only the scorer
contract; :func:`dynamics_section` turns its tallies into the ``dynamics``
section of ``results.json`` — the favourable-rate gap and impact ratio by
income quintile and education year by year, the gaming gap, isolation, the
chilling effect and the sanction-income loop, with 95% intervals.

Names are imported lazily, so importing one module of this package loads no other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.lazy import lazy_exports

if TYPE_CHECKING:
    from audit.dynamics.attach import add_dynamics, dynamics_for
    from audit.dynamics.measures import dynamics_section
    from audit.dynamics.simulation import DEFAULT_YEARS, Simulation, simulate
    from audit.dynamics.verdict import gap_growth

_EXPORTS = {
    "add_dynamics": "audit.dynamics.attach",
    "dynamics_for": "audit.dynamics.attach",
    "dynamics_section": "audit.dynamics.measures",
    "DEFAULT_YEARS": "audit.dynamics.simulation",
    "Simulation": "audit.dynamics.simulation",
    "simulate": "audit.dynamics.simulation",
    "gap_growth": "audit.dynamics.verdict",
}

__all__ = ["DEFAULT_YEARS", "Simulation", "add_dynamics", "dynamics_for", "dynamics_section", "gap_growth", "simulate"]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
