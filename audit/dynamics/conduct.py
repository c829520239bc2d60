"""What a chunk's people would do if nobody responded, drawn one simulated year at a time.

The history (the spec's own horizon) is the static population, drawn once.
The conduct of each simulated year is drawn only when the simulation reaches
it (:func:`audit.population.synth.draw_block_months`, block by block: each
block from its own seed, so the draws do not depend on the chunking) and is
dropped once its months are in the log: a chunk holds one year of drawn
conduct however many years are simulated. Follow-ups a year draws past its
end (a judgment some months after a default) are carried, per block, into
the year they fall in. The history's own follow-ups past its horizon are not
drawn (the static generator does not draw them), so none is carried out of
the history: the first simulated months miss the judgments of the history's
last defaults, as the static audit does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.population.spec import PopulationSpec
from audit.population.synth import DrawnMonths, FollowUps, draw_block_months

__all__ = ["YEAR", "DrawnConduct", "YearlyConduct"]

#: Months drawn at once: one simulated year.
YEAR = 12


@dataclass(frozen=True, slots=True, kw_only=True)
class DrawnConduct:
    """A chunk's drawn events over ``months`` months from ``first_month``, in month order (within a month by
    person, then kind: the order the static population's events have within a month)."""

    first_month: int
    months: int
    person: np.ndarray
    month: np.ndarray
    kind: np.ndarray
    """Kind codes (:data:`audit.vocab.EVENT_KINDS` order)."""
    source: np.ndarray
    """Source codes (:data:`audit.vocab.SOURCES` order)."""
    amount: np.ndarray
    starts: np.ndarray
    """``starts[i]`` is the first row of month ``first_month + i``; ``months + 1`` entries."""

    def rows(self, month: int) -> slice:
        """The rows of ``month`` (one of the drawn months)."""
        i = month - self.first_month
        if not 0 <= i < self.months:
            raise ValueError(f"month {month} is not one of the drawn months {self.first_month}.."
                             f"{self.first_month + self.months - 1}")
        return slice(int(self.starts[i]), int(self.starts[i + 1]))

    @classmethod
    def of(cls, events: pd.DataFrame, *, first_month: int, months: int) -> DrawnConduct:
        """The events of a frame sorted by person (ids ascending), put in month order (a stable sort)."""
        order = np.argsort(events["month"].to_numpy(), kind="stable")
        month = events["month"].to_numpy()[order].astype(np.int16)
        return cls(
            first_month=first_month, months=months,
            person=events["person_id"].to_numpy()[order].astype(np.int64), month=month,
            kind=events["kind"].cat.codes.to_numpy()[order].astype(np.int8),
            source=events["source"].cat.codes.to_numpy()[order].astype(np.int8),
            amount=events["amount"].to_numpy(dtype=np.float64)[order],
            starts=np.searchsorted(month, np.arange(first_month, first_month + months + 1), side="left"),
        )


class YearlyConduct:
    """One chunk's drawn conduct, a year at a time from month ``start`` (the first simulated month).

    Holds only the follow-ups carried from one year to the next; each
    :meth:`next_year` draws the following year of the chunk's blocks
    ``blocks`` (a population of ``size`` people drawn from ``spec`` with ``seed``).
    """

    def __init__(self, spec: PopulationSpec, *, seed: int, size: int, blocks: tuple[int, int], start: int) -> None:
        self.spec, self.seed, self.size = spec, seed, size
        self.blocks = range(*blocks)
        self.next_month = start
        self._carried: dict[int, FollowUps] = {b: FollowUps.none() for b in self.blocks}

    def next_year(self) -> DrawnConduct:
        """The next :data:`YEAR` months of the chunk's conduct (the blocks' draws, in block order)."""
        first = self.next_month
        drawn: list[DrawnMonths] = []
        for b in self.blocks:
            d = draw_block_months(self.spec, seed=self.seed, block=b, size=self.size, first_month=first, months=YEAR,
                                  carried=self._carried[b])
            self._carried[b] = d.carried
            drawn.append(d)
        self.next_month = first + YEAR
        events = drawn[0].events if len(drawn) == 1 else pd.concat([d.events for d in drawn], ignore_index=True)
        del drawn
        return DrawnConduct.of(events, first_month=first, months=YEAR)
