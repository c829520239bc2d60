"""Typed readers of one scorer's sections for the assertion helpers.

Each returns the section as its type of the result model
(:mod:`audit.results.model`), after :func:`audit.audited.section`'s checks (the
section was computed and is available), so the assertions read keys the model
knows. Kept beside the assertions rather than in :mod:`audit.audited`, which the
audits themselves use and which must not depend on the results package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from audit.audited import Audited, section
from audit.errors import InvalidArgument
from audit.results.model import (
    AppealSection,
    AttributeDisparity,
    DisparitySection,
    ReversibilitySection,
    SpilloverSection,
)

__all__ = ["appeal_of", "attribute_of", "disparity_of", "reversibility_of", "spillover_of"]


def disparity_of(a: Audited) -> DisparitySection:
    """The ``disparity`` section (:class:`audit.results.model.DisparitySection`); :func:`section`'s errors."""
    __tracebackhide__ = True
    return cast(DisparitySection, section(a, "disparity"))


def attribute_of(a: Audited, disparity: DisparitySection, by: str) -> AttributeDisparity:
    """The disparity section of the audited attribute ``by``; an error naming the audited attributes otherwise."""
    __tracebackhide__ = True
    node = cast(Mapping[str, Any], disparity).get(by)
    if not isinstance(node, Mapping) or not isinstance(node.get("groups"), list):
        known = ", ".join(k for k, v in disparity.items() if isinstance(v, Mapping) and "groups" in v)
        raise InvalidArgument(f"by={by!r} is not an audited attribute of scorer {a.label!r}; audited: {known}")
    return cast(AttributeDisparity, node)


def appeal_of(a: Audited) -> AppealSection:
    """The ``appeal`` section (:class:`audit.results.model.AppealSection`); :func:`section`'s errors."""
    __tracebackhide__ = True
    return cast(AppealSection, section(a, "appeal"))


def reversibility_of(a: Audited) -> ReversibilitySection:
    """The ``reversibility`` section (:class:`audit.results.model.ReversibilitySection`); :func:`section`'s errors."""
    __tracebackhide__ = True
    return cast(ReversibilitySection, section(a, "reversibility"))


def spillover_of(a: Audited) -> SpilloverSection:
    """The ``spillover`` section (:class:`audit.results.model.SpilloverSection`); :func:`section`'s errors."""
    __tracebackhide__ = True
    return cast(SpilloverSection, section(a, "spillover"))
