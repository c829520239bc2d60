"""Per-batch offset tables: where each person's events and ties are, built once and shared.

Every scorer's audits of a batch look up the rows of some people: the
ground-truth re-score (:mod:`audit.disparity.ground_truth`) finds its sampled
people's events and ties, and so does each replay pool (:mod:`audit.replay.pool`),
once per scorer. A lookup by id (:func:`audit.population.columns.rows_with_ids`)
sorts the ids and runs two binary searches per id over the column. The event
and tie tables of a batch are sorted by person, and so are its people, so one
pass per table gives every person's first row and row count; a lookup is then
a gather and a run expansion, in time proportional to the rows it returns.
The table is built on the first lookup of many people, once per batch (a
few people are still found by search, cheaper than a pass over the table: binary
searches run in lockstep, :func:`audit.engine.batch_kernels.id_runs`): :func:`audit.engine.contract.process_chunk` makes one
:class:`PersonRows` per batch and hands it to every scorer's
:class:`~audit.engine.contract.ScoredChunk`, with a memo for other work on the
batch that does not depend on the scorer (the replay sample's hashes and
strata, :mod:`audit.replay.strata`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from audit.lazy import lazy_module
from audit.population.model import Population, rows_with_ids, unique_ids

if TYPE_CHECKING:
    from audit.engine import batch_kernels
else:  # compiled: imported where first called (see audit.lazy)
    batch_kernels = lazy_module("audit.engine.batch_kernels")

__all__ = ["PersonRows", "Table"]

Table = Literal["events", "ties"]

#: Lookups of fewer than ``people / _SEARCH_COST`` people search by id instead of building the offset table:
#: a search per id (:func:`audit.engine.batch_kernels.id_runs`) costs about as much as this many people's share of
#: the table's one pass (``python bench/person_rows.py``, one batch of 1,048,576 people: the table and the
#: interpolated searches of 30,000 people cost about the same; the searches in lockstep that replaced them, 7 December
#: 2026, take 0.5 to 0.8 of the table's CPU there, a threshold left where it was; the choice changes the time, never
#: the rows).
_SEARCH_COST = 32


@dataclass(slots=True, kw_only=True)
class PersonRows:
    """Offset tables of one batch: for each person (row of ``people``), their first row and row count per table.

    Built lazily, once per table, on first use. Lookups answer exactly what
    ``rows_with_ids(table.person_id, people.person_id[rows])`` answers; where the
    tables do not allow offsets (people or the table not sorted by person, ids
    repeated or not integers: a supplied table) they fall back to it.
    """

    population: Population
    """The batch (people, events and ties)."""
    memo: dict = field(default_factory=dict, repr=False)
    """Work on the batch shared by every scorer's audits, keyed by what it is (it must not depend on the scorer)."""
    _offsets: dict[str, tuple[np.ndarray, np.ndarray] | None] = field(default_factory=dict, repr=False)
    _columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    """The ``person_id`` column of each table, read once (a pandas column lookup costs tens of microseconds)."""
    _distinct: bool | None = field(default=None, repr=False)
    """Whether the people are sorted by id with no id repeated (checked on first use)."""
    _contiguous: bool | None = field(default=None, repr=False)
    """Whether the people's ids are a contiguous range in row order (checked on first use)."""

    def column(self, table: Table | Literal["people"]) -> np.ndarray:
        """The ``person_id`` column of ``table`` (read-only), looked up once per batch.

        A batch's audits find people's rows a dozen times per scorer, each
        lookup reading the ids of the people and of a table: through pandas
        that is two column lookups per call, which cost more than searching
        for a few people.
        """
        if table not in self._columns:
            self._columns[table] = getattr(self.population, table)["person_id"].to_numpy()
        return self._columns[table]

    def _people_distinct(self) -> bool:
        """Whether the people are sorted by id and no id repeats: one run per person in a sorted table."""
        if self._distinct is None:
            ids = self.column("people")
            self._distinct = bool(
                ids.dtype.kind in "iu" and self.population.sorted_by_person("people") and batch_kernels.strictly_increasing(ids)
            )
        return self._distinct

    def offsets(self, table: Table) -> tuple[np.ndarray, np.ndarray] | None:
        """``(first, count)`` per person for ``table``; ``None`` when the table cannot be indexed by offsets."""
        if table not in self._offsets:
            self._offsets[table] = self._build(table)
        return self._offsets[table]

    def _build(self, table: Table) -> tuple[np.ndarray, np.ndarray] | None:
        pop = self.population
        ids, column = self.column("people"), self.column(table)
        if ids.dtype.kind not in "iu" or column.dtype.kind != ids.dtype.kind:
            return None
        if not (self._people_distinct() and pop.sorted_by_person(table)):
            return None
        if ids.size and column.size and int(ids[-1]) - int(ids[0]) == ids.size - 1 and ids[0] <= column[0] and column[-1] <= ids[-1]:
            # a synthetic batch: ids are a contiguous range holding every id of the table; one compiled counting pass
            return batch_kernels.run_offsets(column, int(ids[0]), ids.size)
        first = np.searchsorted(column, ids, side="left")
        count = np.searchsorted(column, ids, side="right") - first
        return first.astype(np.int64, copy=False), count.astype(np.int64, copy=False)

    def people_rows(self, ids: np.ndarray) -> np.ndarray:
        """Rows of ``people`` holding one of ``ids``, ascending: ``rows_with_ids(people.person_id, ids)``.

        In a synthetic batch, whose ids are a contiguous range in row order, a
        row is its id less the first id: no search.
        """
        ids = np.asarray(ids)
        pop = self.population
        column = self.column("people")
        if self._contiguous is None:
            self._contiguous = bool(
                column.size and column.dtype.kind in "iu" and int(column[-1]) - int(column[0]) == column.size - 1
                and self._people_distinct()
            )
        if not self._contiguous or ids.size == 0 or ids.dtype.kind != column.dtype.kind:
            return rows_with_ids(column, ids, presorted=pop.sorted_by_person("people"))
        wanted = unique_ids(ids)
        wanted = wanted[(wanted >= column[0]) & (wanted <= column[-1])]
        return (wanted - column[0]).astype(np.intp)

    def rows_of(self, table: Table, people_rows: np.ndarray) -> np.ndarray:
        """Positions in ``table`` of the rows of the people at ``people_rows``, ascending.

        Equal to ``rows_with_ids(table.person_id, people.person_id[people_rows])``.
        """
        people_rows = np.asarray(people_rows)
        pop = self.population
        if table not in self._offsets and people_rows.size * _SEARCH_COST < len(pop.people):
            # a few people: searches cost less than the pass that builds the table
            return self._searched(table, self.column(table), self.column("people")[people_rows])
        off = self.offsets(table)
        if off is None:
            return rows_with_ids(self.column(table), self.column("people")[people_rows])
        if people_rows.size == 0:
            return np.zeros(0, dtype=np.intp)
        rows = people_rows
        if rows.size > 1 and not bool(np.all(rows[1:] > rows[:-1])):  # ascending and distinct, as ids would be
            rows = unique_ids(rows)
        first, count = off
        return _expanded(first[rows], count[rows])

    def _searched(self, table: Table, column: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """``rows_with_ids(column, ids)`` for the ``column`` of ``table``: searches in lockstep when it can.

        That needs a sorted int64 column and int64 ids (:func:`audit.engine.batch_kernels.id_runs`);
        anything else goes to :func:`audit.population.columns.rows_with_ids`'s binary searches.
        """
        pop = self.population
        if column.dtype != np.int64 or ids.dtype != np.int64 or not pop.sorted_by_person(table) or ids.size == 0:
            return rows_with_ids(column, ids, presorted=pop.sorted_by_person(table))
        first, count = batch_kernels.id_runs(column, unique_ids(ids))
        return _expanded(first, count)


def _expanded(first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The positions of runs of ``count`` consecutive rows from ``first`` (runs in increasing order), ascending."""
    keep = count > 0
    lo, n = first[keep], count[keep]
    start = np.repeat(lo - np.concatenate(([0], np.cumsum(n)[:-1])), n)
    return (start + np.arange(start.size)).astype(np.intp)
