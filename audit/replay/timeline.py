"""Following replayed variants month by month, one score call per calendar month.

A replay audit often asks "from when on": from which month is a penalty gone,
until which month does a sanction last. :func:`run_timeline` scores every
variant at each month of its own window, batching all variants whose window
covers a calendar month into one call of the scorer; :func:`run_tracks` runs
several audits' variants together so they share those calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from audit.replay.sample import ReplaySample, Variants
from audit.replay.scoring import States, _EventIndex, score_variants

__all__ = ["COARSE_GRID", "Track", "run_tracks", "run_timeline"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Track:
    """Variants followed month by month in their own windows ``start < month <= end``."""

    variants: Variants
    start: np.ndarray | int
    end: np.ndarray | int
    step: Callable[[np.ndarray, int, States], np.ndarray]
    """``step(rows, month, states)`` records what it needs; returns which rows are done."""
    coarse: np.ndarray | bool = False
    """Variants scored on :data:`COARSE_GRID` rather than every month."""
    also: np.ndarray | None = None
    """``(variants, k)`` months each coarse variant must also be scored in (-1: none)."""


def run_tracks(scorer, sample: ReplaySample, tracks: list[Track]) -> None:
    """Run several tracks together: one score call per calendar month serves them all.

    The tracks are handed over: their variants are combined into one copy and
    ``tracks`` is emptied before the timeline runs, so variants nobody else
    holds are freed rather than kept beside their copy (a pooled sample's
    replay holds millions of variant events).
    """
    parts = [t for t in tracks if len(t.variants)]
    tracks.clear()
    if not parts:
        return
    sizes = [len(t.variants) for t in parts]
    offsets = np.r_[0, np.cumsum(sizes)]
    combined = Variants.concat([t.variants for t in parts])
    start = np.concatenate([np.broadcast_to(np.asarray(t.start, dtype=np.int64), (k,)) for t, k in zip(parts, sizes)])
    end = np.concatenate([np.broadcast_to(np.asarray(t.end, dtype=np.int64), (k,)) for t, k in zip(parts, sizes)])
    coarse = np.concatenate([np.broadcast_to(np.asarray(t.coarse, dtype=bool), (k,)) for t, k in zip(parts, sizes)])
    also = _combined_also(parts, offsets)
    steps = [t.step for t in parts]
    del parts  # the combined copy is all the timeline reads (no loop variable may keep a track either)

    def step(rows: np.ndarray, month: int, st: States) -> np.ndarray:
        done = np.zeros(rows.size, dtype=bool)
        for i, track_step in enumerate(steps):
            sel = np.flatnonzero((rows >= offsets[i]) & (rows < offsets[i + 1]))
            if sel.size:
                done[sel] = np.asarray(track_step(rows[sel] - offsets[i], month, st.take(sel)), dtype=bool)
        return done

    run_timeline(scorer, sample, combined, start=start, end=end, step=step, coarse=coarse, also=also)


def _combined_also(parts: Sequence[Track], offsets: np.ndarray) -> np.ndarray | None:
    """The tracks' ``also`` months stacked for their combined variants (-1 where a track has none)."""
    width = max([t.also.shape[1] for t in parts if t.also is not None] or [0])
    if not width:
        return None
    also = np.full((int(offsets[-1]), width), -1, dtype=np.int64)
    for t, o in zip(parts, offsets[:-1]):
        if t.also is not None:
            also[o : o + t.also.shape[0], : t.also.shape[1]] = t.also
    return also


#: Coarse grid for long replays: ``(months after start, score in calendar months divisible
#: by k)``. Every month up to 36 months after the start, then every 3rd calendar month up
#: to 60, then every 6th. Assumption: beyond three years a first-hit month known to within
#: 3-6 months is enough (it bounds the true month from above). Calendar alignment lets
#: variants with different starts share score calls.
COARSE_GRID: tuple[tuple[int, int], ...] = ((36, 1), (60, 3), (1 << 30, 6))


def _due(offset: np.ndarray, month: int) -> np.ndarray:
    """Whether a coarse variant is scored in calendar ``month``, ``offset`` months after its start."""
    due = np.zeros(offset.shape, dtype=bool)
    lower = 0
    for upto, every in COARSE_GRID:
        due |= (offset > lower) & (offset <= upto) & (month % every == 0)
        lower = upto
    return due


def run_timeline(
    scorer,
    sample: ReplaySample,
    variants: Variants,
    *,
    start: np.ndarray,
    end: np.ndarray,
    step: Callable[[np.ndarray, int, States], np.ndarray],
    coarse: np.ndarray | bool = False,
    also: np.ndarray | None = None,
) -> None:
    """Score each variant month by month in its own window ``start < month <= end``.

    For every calendar month ``M`` the variants still tracked whose window
    covers it are scored together at ``as_of = M``; ``step(rows, M, states)``
    records what it needs and returns which of ``rows`` need no further months.
    So the number of score calls is the number of distinct months, not of
    variants. Variants flagged ``coarse`` are scored on :data:`COARSE_GRID`,
    in their window's last month and in any month of their row of ``also``
    (an ``(n, k)`` array of months, -1 for none), rather than every month.
    """
    n = len(variants)
    if n == 0:
        return
    start = np.broadcast_to(np.asarray(start, dtype=np.int64), (n,))
    end = np.broadcast_to(np.asarray(end, dtype=np.int64), (n,))
    coarse = np.broadcast_to(np.asarray(coarse, dtype=bool), (n,))
    done = np.zeros(n, dtype=bool)
    index = _EventIndex(variants)
    for month in range(int(start.min()) + 1, int(end.max()) + 1):
        live = ~done & (start < month) & (month <= end)
        due = ~coarse | (month == end) | _due(month - start, month)
        if also is not None:
            due |= (also == month).any(axis=1)
        rows = np.flatnonzero(live & due)
        if rows.size == 0:
            if not (~done & (month <= end)).any():
                break
            continue
        finished = step(rows, month, score_variants(scorer, sample, variants, as_of=month, rows=rows, index=index))
        done[rows[np.asarray(finished, dtype=bool)]] = True
