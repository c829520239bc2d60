"""Disparate impact: group rates and ratios with exact intervals, ground truth, rule attribution.

:class:`DisparityAudit` (:mod:`audit.disparity.audit`) counts favourable and
sanctioned outcomes per group cell; :mod:`audit.disparity.group_stats`,
:mod:`audit.disparity.ratio_intervals`, :mod:`audit.disparity.exact_ranks` and
:mod:`audit.disparity.bootstrap` turn the counts into figures with intervals;
:mod:`audit.disparity.ground_truth` compares with what really happened and
:mod:`audit.disparity.attribution` names the rule behind a gap.

Names are imported lazily, so importing one module of this package loads no other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.lazy import lazy_exports

if TYPE_CHECKING:
    from audit.disparity.audit import FOUR_FIFTHS, DisparityAudit

_EXPORTS = {
    "DisparityAudit": "audit.disparity.audit",
    "FOUR_FIFTHS": "audit.disparity.audit",
}

__all__ = [
    "DisparityAudit",
    "FOUR_FIFTHS",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
