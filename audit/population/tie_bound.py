"""Bounding each person's influence through ties, before any scorer reads them.

A scorer that reads ties (``sesame``, or any plugin tagged ``uses_ties``) lets
one person change the scores of everyone who lists them as a friend. The
privacy unit of a release is one person with all their records and ties, so
that influence has to be bounded by a public number, as PipelineDP and Tumult
Analytics bound contributions: at most :data:`MAX_IN_DEGREE` people may list
one person as a friend. Excess ties are dropped deterministically before
scoring (:func:`cap_in_degree`): for each friend, the ties with the smallest
:func:`tie_rank` are kept. The rank is a hash of the pair, so the rule
favours nobody by id and never depends on the data's row order.

What the cap implies, for neighbouring datasets that differ by one person X
(X's people row, events, and every tie naming X at either end):

- the kept ties naming X as a friend go: at most ``D`` people lose a friend;
- each tie X -> F that was kept leaves a free place among F's ``D`` listers,
  which the next tie in rank order may take: at most one person per kept tie
  of X (``K``, the bound on the kept ties one person lists) gains a friend;
  a dropped tie X -> F was outside F's ``D`` and changes nothing when it goes;
- no other person's kept ties change (each friend's kept set depends only on
  who lists that friend).

So removing X changes at most ``D + K`` other people's view, besides X's own
row: :func:`influence` is the number the sensitivities of
:mod:`audit.privacy.queries` are charged for. A person's own ties (how many
friends they list) are not truncated: truncating them would let X's removal
reach everyone who lists X. ``K`` is a public bound on the (kept) ties instead:
the spec's ``friends_per_person`` for a synthetic population, and for supplied
data a number the auditor states, checked against the capped table before
publishing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from audit.lazy import lazy_module
from audit.population.person_ids import GOLDEN, splitmix64

if TYPE_CHECKING:
    from audit.population import tie_bound_kernels
else:  # compiled: imported where first called (see audit.lazy)
    tie_bound_kernels = lazy_module("audit.population.tie_bound_kernels")

__all__ = [
    "MAX_IN_DEGREE",
    "cap_in_degree",
    "cap_in_degree_in_place",
    "check_in_degree_bound",
    "influence",
    "max_out_degree",
    "tie_rank",
    "ties_kept",
]

#: Default public bound D on how many people may list one person as a friend.
#: Assumption: 20 is above every in-degree the shipped specs draw (at most 14 in
#: 20,000 people of ``china-2020`` with 5 friends each), so synthetic runs keep
#: every tie, while one person's reach through ties stays bounded.
MAX_IN_DEGREE = 20

def tie_rank(person: np.ndarray, friend: np.ndarray) -> np.ndarray:
    """A fixed pseudo-random 64-bit rank of each tie ``person -> friend`` (no seed: the rule is public)."""
    p = np.asarray(person, dtype=np.int64).astype(np.uint64)
    f = np.asarray(friend, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        return splitmix64(splitmix64(p) ^ (f * GOLDEN))


def cap_in_degree(ties: pd.DataFrame, max_in_degree: int, *, most_listed: int | None = None) -> pd.DataFrame:
    """``ties`` without the ties beyond ``max_in_degree`` per friend (lowest :func:`tie_rank` kept).

    Rows keep their order (a table sorted by person stays sorted); the frame is
    returned unchanged when nothing is dropped. ``most_listed``, when the
    caller knows it (the synthetic generator counts it as it draws the ties),
    is the most rows any one ``friend_id`` has: at most ``max_in_degree``
    returns ``ties`` without counting them again.
    """
    check_in_degree_bound(max_in_degree)
    if len(ties) == 0 or (most_listed is not None and most_listed <= max_in_degree):
        return ties
    keep = ties_kept(ties["person_id"].to_numpy(), ties["friend_id"].to_numpy(), max_in_degree)
    return ties if keep is None else ties[keep].reset_index(drop=True)


def cap_in_degree_in_place(person: np.ndarray, friend: np.ndarray, max_in_degree: int) -> int:
    """:func:`cap_in_degree` of the tie columns ``person`` and ``friend``, compacted in place; returns the rows kept.

    The kept ties are moved to the front of both arrays, in their order, with
    no copy of either: the synthetic generator caps the tie columns it owns
    before building the chunk's frames, so the capped table is not built
    beside the uncapped one while the chunk is drawn.
    """
    check_in_degree_bound(max_in_degree)
    keep = ties_kept(person, friend, max_in_degree) if person.size else None
    if keep is None:
        return int(person.size)
    tie_bound_kernels.compact(person, keep)
    return int(tie_bound_kernels.compact(friend, keep))


def ties_kept(person: np.ndarray, friend: np.ndarray, max_in_degree: int) -> np.ndarray | None:
    """Which ties :func:`cap_in_degree` keeps (bool per row); ``None`` when it keeps them all."""
    busy = _ties_to_busy_friends(friend, max_in_degree)  # only ties to over-listed friends are ranked
    if busy.size == 0:
        return None
    p = person[busy]
    f = friend[busy]
    order = np.lexsort((p, tie_rank(p, f), f))  # by friend, then rank (then id, for equal ranks)
    f_sorted = f[order]
    starts = np.r_[0, np.flatnonzero(f_sorted[1:] != f_sorted[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, f_sorted.size]))
    keep = np.ones(friend.size, dtype=bool)
    keep[busy[order]] = np.arange(f_sorted.size) - run_start < max_in_degree
    return keep


def check_in_degree_bound(max_in_degree: object) -> None:
    """Refuse a ``max_in_degree`` that is not a whole number >= 1."""
    if isinstance(max_in_degree, bool) or not isinstance(max_in_degree, (int, np.integer)) or max_in_degree < 1:
        from audit.errors import InvalidArgument

        raise InvalidArgument(f"max_in_degree {max_in_degree!r}: give a whole number >= 1 (how many people may "
                              "list one person as a friend)")


def _ties_to_busy_friends(friend: np.ndarray, above: int) -> np.ndarray:
    """Rows of the ties whose friend is listed more than ``above`` times, ascending.

    Signed integer ids over a compact range (a chunk's) are counted in one compiled
    pass without a table-long temporary
    (:func:`audit.population.tie_bound_kernels.ties_to_listed_above`); others
    by :func:`_occurrences`.
    """
    if friend.size == 0:
        return np.zeros(0, dtype=np.int64)
    if friend.dtype.kind == "i" and (span := _compact_span(friend)) is not None:
        lo, width = span
        return tie_bound_kernels.ties_to_listed_above(np.ascontiguousarray(friend), lo, width, int(above))
    listed = _occurrences(friend, above=above)
    return np.zeros(0, dtype=np.int64) if listed is None else np.flatnonzero(listed > above)


def _compact_span(ids: np.ndarray) -> tuple[int, int] | None:
    """``(smallest id, how many ids the range holds)`` when the ids span a compact range (as a chunk's do), else None.

    Compact: at most four ids of range per row (plus 1,024), so a count per id costs about what the rows do.
    """
    lo, hi = int(ids.min()), int(ids.max())
    return (lo, hi - lo + 1) if hi - lo <= 4 * ids.size + 1024 else None


def _occurrences(ids: np.ndarray, *, above: int = -1) -> np.ndarray | None:
    """For each row, how many times its id occurs; ``None`` when no id occurs more than ``above`` times.

    A bincount when the ids span a compact range (as a chunk's ids do), else ``np.unique``.
    """
    span = _compact_span(ids)
    if span is not None:
        shifted = ids - span[0]
        counts = np.bincount(shifted)
        return None if counts.max() <= above else counts[shifted]
    _, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    return None if counts.max() <= above else counts[inverse]


def max_out_degree(ties: pd.DataFrame) -> int:
    """Most friends any one person lists (0 without ties)."""
    if len(ties) == 0:
        return 0
    listed = _occurrences(ties["person_id"].to_numpy())
    assert listed is not None  # every id occurs at least once, more than -1 times
    return int(listed.max())


def influence(*, max_in_degree: int, max_out_degree: int) -> int:
    """How many other people's views one person's removal can change: ``D + K`` (module docstring)."""
    return int(max_in_degree) + int(max_out_degree)
