"""Where the synthetic generator writes: a chunk's columns, and per-thread work arrays.

:mod:`audit.population.synth.blocks` fills a chunk's people, event and tie columns block by block
in place (:class:`Columns`), so frames are built once per chunk without
concatenating blocks, and draws each block's random numbers and the kernels'
work arrays into buffers reused from block to block (:class:`Scratch`): fresh
memory is slow to touch the first time, and numpy would allocate every
temporary anew.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

__all__ = ["Columns", "Events", "Scratch"]

_EVENT_FIELDS = (
    ("person", np.int64), ("month", np.int16), ("kind", np.int8), ("source", np.int8),
    ("domain", np.int8), ("amount", np.float64), ("genuine", np.bool_),
)
#: Spare room when sizing a chunk's event columns from its first block.
_EVENT_SLACK = 1.02


class Events:
    """A chunk's event columns, filled block by block (grown if a block overflows them)."""

    __slots__ = ("used", "person", "month", "kind", "source", "domain", "amount", "genuine")
    used: int  # rows filled so far; the columns below have room for more
    person: np.ndarray
    month: np.ndarray
    kind: np.ndarray
    source: np.ndarray
    domain: np.ndarray
    amount: np.ndarray
    genuine: np.ndarray

    def __init__(self) -> None:
        self.used = 0
        for name, dtype in _EVENT_FIELDS:
            setattr(self, name, np.empty(0, dtype))

    def reserve(self, extra: int, *, people_done: int, people_total: int) -> slice:
        """Room for ``extra`` more events; returns their rows."""
        need = self.used + extra
        capacity = self.person.shape[0]
        if need > capacity:
            if capacity == 0:  # first block: size the chunk's columns from its rate
                capacity = max(need, int(need / people_done * people_total * _EVENT_SLACK) + 1024)
            else:
                capacity = max(need, capacity + capacity // 4)
            for name, dtype in _EVENT_FIELDS:
                grown = np.empty(capacity, dtype)
                grown[: self.used] = getattr(self, name)[: self.used]
                setattr(self, name, grown)
        rows = slice(self.used, need)
        self.used = need
        return rows


@dataclass(slots=True)
class Columns:
    """A chunk's columns as numpy arrays, written block by block (frames are built once per chunk).

    People columns have one row per person of the chunk, in id order; events
    and ties are appended block after block.
    """

    age: np.ndarray
    male: np.ndarray
    urban: np.ndarray
    region: np.ndarray
    income: np.ndarray
    quintile: np.ndarray
    education: np.ndarray
    reliability: np.ndarray
    events: Events
    tie_person: np.ndarray  # room for every draw; the first ``ties`` rows are used
    tie_friend: np.ndarray
    ties: int = 0
    most_listed: int = 0  # the most ties naming any one person as the friend (counted as tie rows are written)

    @classmethod
    def allocate(cls, people: int, friends: int) -> Columns:
        """Empty columns for ``people`` people with up to ``friends`` ties each."""
        return cls(
            age=np.empty(people, np.int16), male=np.empty(people, np.bool_), urban=np.empty(people, np.bool_),
            region=np.empty(people, np.int8), income=np.empty(people), quintile=np.empty(people, np.int8),
            education=np.empty(people, np.int8), reliability=np.empty(people), events=Events(),
            tie_person=np.empty(people * friends, np.int64), tie_friend=np.empty(people * friends, np.int64),
        )


class Scratch(threading.local):
    """Per-thread work arrays reused from block to block.

    Fresh memory is slow to touch the first time (and numpy would allocate
    every temporary anew); a block's random draws and the kernels' work arrays
    go into these instead. Nothing in here outlives a block.
    """

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, size: int, dtype: type = np.float64) -> np.ndarray:
        """A work array ``name`` of ``size`` entries (contents undefined)."""
        have = self.arrays.get(name)
        if have is None or have.shape[0] < size or have.dtype != dtype:
            have = np.empty(size + (size >> 3), dtype)  # a little room for the next, larger block
            self.arrays[name] = have
        return have[:size]

    def release(self) -> None:
        """Drop this thread's work arrays (the next :meth:`get` allocates afresh)."""
        self.arrays.clear()

    def grow(self, name: str, size: int, *, keep: int) -> np.ndarray:
        """Work array ``name`` lengthened to ``size`` entries, its first ``keep`` entries kept."""
        have = self.arrays[name]
        if have.shape[0] < size:
            grown = np.empty(size + (size >> 3), have.dtype)
            grown[:keep] = have[:keep]
            self.arrays[name] = have = grown
        return have[:size]


