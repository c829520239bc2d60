"""One block's conduct over later months: the same people, drawn on past the spec's horizon a stretch at a time.

The dynamics simulation needs what people would do after the history the
static audit sees, one simulated year at a time, without drawing every month
at once. :func:`draw_block_months` draws block ``b``'s events for the months
``[first_month, first_month + months)``:

- the people are the block's own (the first draws of its stream
  ``SeedSequence(seed, spawn_key=(b,))``, redrawn: ages, incomes,
  education, reliability are those of the static population);
- their events come from the same kernels as the static draw (cells,
  superposition, thinning, the radix sort, amounts) with the spec's rates
  over ``months`` months, from a stream of their own,
  ``SeedSequence(seed, spawn_key=(b, 1, first_month))``: independent of how
  the people are chunked and of the history draw;
- follow-ups (a judgment some months after a default) whose month falls
  past the range are returned as :class:`FollowUps` and, handed to the next
  stretch's draw, join the stretch they fall in (a follow-up never follows a
  carried follow-up: the spec's follow-ups follow drawn events).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from audit.errors import InvalidArgument
from audit.population.spec import PopulationSpec
from audit.population.synth.blocks import BLOCK_SIZE, block_events, block_people, draw_people, write_sorted_events
from audit.population.synth.buffers import Columns
from audit.population.synth.chunks import events_frame
from audit.population.synth.tables import compiled

__all__ = ["DrawnMonths", "FollowUps", "draw_block_months"]

#: The spawn-key entry that tells a block's later-month streams from its own ``(block,)`` stream.
_LATER_MONTHS = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUps:
    """Follow-up events drawn for months past a stretch, waiting for the stretch they fall in."""

    person_id: np.ndarray
    """Person ids (``int64``)."""
    month: np.ndarray
    """Absolute months (``int64``), each at or after the end of the stretch that drew it."""
    kind: np.ndarray
    """Event kind codes (``int8``, :data:`audit.vocab.EVENT_KINDS` order)."""

    @classmethod
    def none(cls) -> FollowUps:
        """No follow-up waiting."""
        return cls(person_id=np.zeros(0, np.int64), month=np.zeros(0, np.int64), kind=np.zeros(0, np.int8))

    def __len__(self) -> int:
        return int(self.person_id.shape[0])


@dataclass(frozen=True, slots=True, kw_only=True)
class DrawnMonths:
    """One block's events over a stretch of months, and the follow-ups left for later stretches."""

    events: pd.DataFrame
    """The canonical event frame (with ``genuine``), ordered by (person, month, kind); months absolute."""
    carried: FollowUps
    """Follow-ups falling at or after ``first_month + months``: pass them to the next stretch's draw."""


def draw_block_months(spec: PopulationSpec, *, seed: int, block: int, size: int, first_month: int, months: int,
                      carried: FollowUps | None = None) -> DrawnMonths:
    """Block ``block``'s events for months ``[first_month, first_month + months)`` of a population of ``size``.

    Parameters
    ----------
    spec : PopulationSpec
        The population's spec (its own horizon plays no part: the rates are per year).
    seed, block, size : int
        The population's seed and size, and the generation block (its people are ids
        ``block * BLOCK_SIZE ..``, exactly those of the static population).
    first_month, months : int
        The stretch drawn: ``first_month >= 0``, ``months >= 1``, ending at most at month 1200.
    carried : FollowUps, optional
        Follow-ups an earlier stretch drew for these people; those falling in this stretch join its
        events, the others are passed on in :attr:`DrawnMonths.carried`.
    """
    if first_month < 0 or months < 1 or first_month + months > (1 << 15) - 1:
        raise InvalidArgument(f"first_month={first_month}, months={months}: give first_month >= 0 and months >= 1 "
                              "ending before month 32767")
    n = block_people(size, block)
    first = block * BLOCK_SIZE
    stretch = replace(spec, horizon_months=months)
    c = compiled(stretch)
    people = Columns.allocate(n, 0)
    mine = slice(0, n)
    own = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))
    draw_people(stretch, c, own, people, mine)  # the block's people: its stream's first draws
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block, _LATER_MONTHS, first_month))))
    person, month, kind, late = block_events(
        stretch, c, rng, n=n, quintile=people.quintile, edu=people.education, urban=people.urban, age=people.age,
        reliability=people.reliability,
    )
    waiting = carried if carried is not None else FollowUps.none()
    due = (waiting.month >= first_month) & (waiting.month < first_month + months)
    if np.any(waiting.month < first_month):
        raise InvalidArgument(f"carried follow-ups fall before month {first_month}: pass each stretch's carried "
                              "follow-ups to the next stretch, in order")
    if np.any(due):
        person = np.concatenate([person, (waiting.person_id[due] - first).astype(np.int32)])
        month = np.concatenate([month, (waiting.month[due] - first_month).astype(np.int16)])
        kind = np.concatenate([kind, waiting.kind[due]])
    write_sorted_events(stretch, c, rng, people, person, month, kind, first=first, mine=mine, people_total=n)
    ev = people.events
    ev.month[: ev.used] += first_month
    later = ~due
    return DrawnMonths(events=events_frame(ev), carried=FollowUps(
        person_id=np.concatenate([waiting.person_id[later], late[0].astype(np.int64) + first]),
        month=np.concatenate([waiting.month[later], late[1] + first_month]),
        kind=np.concatenate([waiting.kind[later], late[2]]),
    ))
