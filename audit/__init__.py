"""scs-audit: audit systems that score people for disparity, appeal, reversibility and spill-over.

The package is laid out in the order a run flows:

- :mod:`audit.population`: who is audited (specs, the synthetic generator, supplied tables);
- :mod:`audit.engine`: chunks scored through the scorer contract, audits collected and merged;
- :mod:`audit.disparity` and :mod:`audit.replay`: the audits;
- :mod:`audit.runner`: a whole run (:func:`run`), :mod:`audit.results`: its ``results.json``;
- :mod:`audit.privacy` and :mod:`audit.report`: differentially private publication and reports;
- :mod:`audit.cli`: the ``scs-audit`` command; :mod:`audit.testing`: the pytest plugin and assertions.

Beneath them sit the shared vocabulary, errors, evidence and output files.
Names here are imported lazily, so ``import audit`` (and the pytest plugin's
start-up) loads nothing heavy until a name is used. The sources the modules
cite are listed in ``docs/sources.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.errors import (
    AuditError,
    BudgetExceeded,
    InvalidArgument,
    InvalidScorerSpec,
    InvalidSpec,
    InvalidTable,
    OutputConflict,
    ScorerContractError,
    ScorerFailed,
    ScorerNotFound,
)
from audit.lazy import lazy_exports
from audit.version import package_version

if TYPE_CHECKING:
    from audit.population.model import Population
    from audit.runner import run
    from scorers.protocol import Scorer

    __version__: str

_EXPORTS = {
    "Population": "audit.population.model",
    "run": "audit.runner",
    "Scorer": "scorers.protocol",
}

__all__ = [
    "AuditError",
    "BudgetExceeded",
    "InvalidArgument",
    "InvalidScorerSpec",
    "InvalidSpec",
    "InvalidTable",
    "OutputConflict",
    "Population",
    "Scorer",
    "ScorerContractError",
    "ScorerFailed",
    "ScorerNotFound",
    "__version__",
    "run",
]

_lazy_getattr, _lazy_dir = lazy_exports(__name__, _EXPORTS)


def __getattr__(name: str) -> object:
    if name == "__version__":
        return package_version()
    return _lazy_getattr(name)


def __dir__() -> list[str]:
    return sorted(__all__)
