"""Compiled kernels of the reference scorers and what they read and give back (private).

Nothing outside :mod:`scorers` imports from here; each reference scheme states
its rules in plain Python (:mod:`scorers.points`, :mod:`scorers.sesame`,
:mod:`scorers.joint_punishment`) and compiles them to these kernels through
named fields.

- :mod:`._compiled`: the per-person kernels (points schemes, Sesame, and
  Sesame's capacity and identity from the people table) and the primitives
  they inline;
- :mod:`._listing`: the judgment-defaulter listing fold;
- :mod:`._arrays`: whole-array helpers (consecutive ids, grouping by person);
- :mod:`._events`: a view's events and ties as kernel arguments;
- :mod:`._frames`: rows, kind codes, visible events, and the score frame.
"""

from __future__ import annotations

from scorers._kernels._compiled import (
    income_for_log,
    person_components,
    points_kernel,
    sesame_kernel,
    sesame_reasons_kernel,
)
from scorers._kernels._events import (
    PersonEvents,
    month_bound,
    person_events,
    run_on_ties,
)
from scorers._kernels._frames import (
    banded_frame,
    event_rows,
    kind_weights,
    person_rows,
    reason_lut,
    score_frame,
    visible,
    visible_events,
)
from scorers._kernels._listing import listing_kernel, listing_outcome

__all__ = [
    "PersonEvents",
    "banded_frame",
    "event_rows",
    "income_for_log",
    "kind_weights",
    "listing_kernel",
    "listing_outcome",
    "month_bound",
    "person_events",
    "person_components",
    "person_rows",
    "points_kernel",
    "reason_lut",
    "run_on_ties",
    "score_frame",
    "sesame_kernel",
    "sesame_reasons_kernel",
    "visible",
    "visible_events",
]
