"""Scorers: the contract a scoring system meets, how one is found, how it is checked, and the reference schemes.

The public face of the package; everything else is an implementation detail
(modules and sub-packages whose names start with ``_`` in particular).

- the contract: :class:`Scorer` (a :class:`typing.Protocol`: a third party
  need not import us), :class:`ScorerTags`, :func:`scorer_tags`,
  :func:`scorer_label`, :func:`validate_declarations`,
  :func:`validate_score_frame`, :data:`MAX_REASONS`;
- an optional mixin for the bookkeeping: :class:`ScorerBase`,
  :func:`check_range`, :func:`coerce_param`;
- discovery (entry-point group :data:`ENTRY_POINT_GROUP`, or ``module:attr``):
  :func:`load_scorer`, :func:`available_scorers`, :func:`parse_scorer_spec`,
  :func:`parse_value`, :func:`clear_cache`;
- the conformance suite (scikit-learn ``check_estimator`` style):
  :func:`check_scorer`, :func:`assert_scorer_conforms`,
  :func:`parametrize_with_checks`, :class:`CheckResult`, :data:`CHECKS`;
- the reference schemes, each readable in one place as its executable
  specification: :class:`Suining`, :class:`Rongcheng` (both
  :class:`PointsScheme` records), :class:`Sesame`, :class:`JointPunishment`.

The conformance suite and the reference schemes are imported on first use,
so importing the contract stays cheap (no compiled kernels are loaded).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from scorers.base import ScorerBase, check_range, coerce_param
from scorers.protocol import (
    MAX_REASONS,
    Scorer,
    ScorerTags,
    scorer_label,
    scorer_tags,
    validate_declarations,
    validate_score_frame,
)
from scorers.registry import (
    ENTRY_POINT_GROUP,
    available_scorers,
    clear_cache,
    load_scorer,
    parse_scorer_spec,
    parse_value,
)

if TYPE_CHECKING:
    from scorers.joint_punishment import JointPunishment
    from scorers.points import Event, PersonScore, PointsScheme, Reward
    from scorers.rongcheng import Rongcheng
    from scorers.sesame import Sesame
    from scorers.suining import Suining
    from scorers.testing import (
        CHECKS,
        CheckResult,
        assert_scorer_conforms,
        check_scorer,
        parametrize_with_checks,
    )

__all__ = [
    "CHECKS",
    "ENTRY_POINT_GROUP",
    "MAX_REASONS",
    "CheckResult",
    "Event",
    "JointPunishment",
    "PersonScore",
    "PointsScheme",
    "Reward",
    "Rongcheng",
    "Scorer",
    "ScorerBase",
    "ScorerTags",
    "Sesame",
    "Suining",
    "assert_scorer_conforms",
    "available_scorers",
    "check_range",
    "check_scorer",
    "clear_cache",
    "coerce_param",
    "load_scorer",
    "parametrize_with_checks",
    "parse_scorer_spec",
    "parse_value",
    "scorer_label",
    "scorer_tags",
    "validate_declarations",
    "validate_score_frame",
]

#: Public names imported on first use, and the module each comes from.
_LAZY = {
    "CHECKS": "scorers.testing",
    "CheckResult": "scorers.testing",
    "assert_scorer_conforms": "scorers.testing",
    "check_scorer": "scorers.testing",
    "parametrize_with_checks": "scorers.testing",
    "Event": "scorers.points",
    "PersonScore": "scorers.points",
    "PointsScheme": "scorers.points",
    "Reward": "scorers.points",
    "JointPunishment": "scorers.joint_punishment",
    "Rongcheng": "scorers.rongcheng",
    "Sesame": "scorers.sesame",
    "Suining": "scorers.suining",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'scorers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
