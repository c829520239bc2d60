"""The synthetic generator's compiled kernels under their earlier name.

The kernels live in :mod:`audit.population.synth.event_kernels` (people and
events) and :mod:`audit.population.synth.tie_kernels` (friendship ties); this
module re-exports them so code that imported them from here keeps working.
"""

from __future__ import annotations

from audit.population.synth.event_kernels import (
    count_below,
    event_cells,
    people_columns,
    place_events,
    sort_events,
    thin_events,
    write_events,
)
from audit.population.synth.tie_kernels import pack_keys, tie_key, tie_rows, unpack_order

__all__ = [
    "count_below",
    "event_cells",
    "pack_keys",
    "people_columns",
    "place_events",
    "sort_events",
    "thin_events",
    "tie_key",
    "tie_rows",
    "unpack_order",
    "write_events",
]
