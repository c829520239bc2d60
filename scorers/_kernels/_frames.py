"""What the reference scorers read from a view and the score frame they give back.

Rows of people (:func:`event_rows`, :func:`person_rows`), kind codes and
per-kind tables (:func:`kind_codes`, :func:`kind_weights`), the events a
scorer may count (:func:`visible_events`), and the frame a scorer returns
(:func:`score_frame`, :func:`banded_frame`, reasons from the combinations
the compiled kernels number: :func:`reasons_of`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.population.columns import category_codes
from audit.population.model import PopulationView
from audit.vocab import EVENT_KINDS
from scorers._kernels._arrays import is_consecutive
from scorers.protocol import tier_dtype

__all__ = [
    "VisibleEvents",
    "banded_frame",
    "event_rows",
    "kind_codes",
    "kind_codes_of",
    "kind_weights",
    "person_rows",
    "reason_lut",
    "reasons_of",
    "rows_of_ids",
    "score_frame",
    "visible",
    "visible_events",
    "visible_of",
]


def event_rows(view: PopulationView, events: pd.DataFrame | None = None) -> np.ndarray:
    """Row position in ``view.people`` of each event's person (-1 if the person is absent)."""
    events = view.events if events is None else events
    return rows_of_ids(view.people["person_id"].to_numpy(), events["person_id"].to_numpy())


def rows_of_ids(people_ids: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Row position in ``people_ids`` of each id in ``query`` (-1 if absent), int64.

    Consecutive ids (a synthetic chunk's people) by subtraction; sorted ids
    by binary search; any other order through a stable sort of the ids.
    """
    query = np.asarray(query)
    if people_ids.size == 0:
        return np.full(query.shape[0], -1, dtype=np.int64)
    if _consecutive(people_ids):
        return _offset_rows(people_ids, query)
    if people_ids.size < 2 or np.all(people_ids[1:] > people_ids[:-1]):
        pos = np.searchsorted(people_ids, query)
        order = None
    else:
        order = np.argsort(people_ids, kind="stable")
        pos = np.searchsorted(people_ids[order], query)
    pos_c = np.minimum(pos, people_ids.size - 1)
    found = (people_ids[pos_c] if order is None else people_ids[order][pos_c]) == query
    rows = pos_c if order is None else order[pos_c]
    return np.where(found, rows, -1).astype(np.int64)


def _consecutive(ids: np.ndarray) -> bool:
    """True when ``ids`` are consecutive integers in increasing order (a synthetic chunk's people)."""
    if ids.dtype.kind not in "iu" or ids.size == 0:
        return False
    first, last = int(ids[0]), int(ids[-1])
    if last - first != ids.size - 1:
        return False
    if ids.dtype == np.int64:
        return bool(is_consecutive(ids))
    return bool(ids.size < 2 or np.all(ids[1:] - ids[:-1] == 1))


def _offset_rows(ids: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Rows of ``query`` ids among consecutive ``ids`` by subtraction (-1 if absent), no search."""
    query = np.asarray(query)
    if query.dtype.kind not in "iu":  # e.g. float ids: compare the general way
        rows = np.full(query.shape[0], -1, dtype=np.int64)
        hit = (query >= ids[0]) & (query <= ids[-1]) & (query == np.floor(query))
        rows[hit] = (query[hit] - ids[0]).astype(np.int64)
        return rows
    rows = query.astype(np.int64) - np.int64(ids[0])
    return np.where((rows >= 0) & (rows < ids.size), rows, -1)


def visible(events: pd.DataFrame, as_of: int) -> pd.DataFrame:
    """Events a scorer may count at month ``as_of`` (``month <= as_of``)."""
    month = events["month"].to_numpy()
    if month.size == 0 or month.max() <= as_of:
        return events
    return events[month <= as_of]


def kind_codes(events: pd.DataFrame) -> np.ndarray:
    """Integer code of each event's kind (position in :data:`audit.vocab.EVENT_KINDS`)."""
    return kind_codes_of(events["kind"])


def kind_codes_of(kind: pd.Series) -> np.ndarray:
    """:func:`kind_codes` of a ``kind`` column already read (int8, -1: not a kind or missing)."""
    if isinstance(kind.dtype, pd.CategoricalDtype):
        if tuple(kind.cat.categories) == EVENT_KINDS:
            return category_codes(kind)
        # map the few categories, not every row; code -1 (missing) picks the appended -1
        lookup = np.append(_KIND_INDEX.get_indexer(kind.cat.categories.astype(object)), -1).astype(np.int8)
        return lookup[category_codes(kind)]
    return _KIND_INDEX.get_indexer(kind.astype(object).to_numpy()).astype(np.int8)  # -1: not a kind (or missing)


_KIND_INDEX = pd.Index(list(EVENT_KINDS), dtype=object)


def kind_weights(points: dict[str, float]) -> np.ndarray:
    """Per-kind-code array of points (0 for kinds not named)."""
    w = np.zeros(len(EVENT_KINDS))
    for k, v in points.items():
        w[EVENT_KINDS.index(k)] = v
    return w


def person_rows(view: PopulationView, ids: np.ndarray) -> np.ndarray:
    """Row position in ``view.people`` of each id in ``ids`` (-1 if absent).

    Like :func:`event_rows` for any array of person ids (e.g. ``view.ties['friend_id']``).
    """
    return rows_of_ids(view.people["person_id"].to_numpy(), ids)


def reason_lut(n_labels: int, k: int) -> np.ndarray:
    """An empty combination table (all -1) for keys of ``k`` digits base ``n_labels + 1``."""
    return np.full((n_labels + 1) ** k, -1, dtype=np.int32)


def reasons_of(combo: np.ndarray, keys: np.ndarray, labels: tuple[str, ...], k: int) -> np.ndarray:
    """Object array of reason tuples: row ``i`` gets the labels coded by ``keys[combo[i]]``.

    A key has ``k`` digits base ``len(labels) + 1``, most significant first;
    digit ``d > 0`` names ``labels[d - 1]`` (the keys the kernels of
    :mod:`scorers._kernels._compiled` emit). One tuple is built per
    distinct key, and remembered for later calls with the same labels.
    """
    known = _REASONS_SEEN.setdefault((tuple(labels), k), {})
    if len(known) > _REASONS_SEEN_MAX:
        known.clear()
    base = len(labels) + 1
    table = np.empty(keys.shape[0], dtype=object)
    for i, key in enumerate(keys.tolist()):
        reasons = known.get(key)
        if reasons is None:
            digits, rest = [], key
            for _ in range(k):
                rest, d = divmod(rest, base)
                digits.append(d)
            reasons = known[key] = tuple(labels[d - 1] for d in reversed(digits) if d > 0)
        table[i] = reasons
    if combo.shape[0] == 0:
        return np.empty(0, dtype=object)
    return table[combo]  # indexing copies object references faster than take (about 5 against 7.5 ns a row)


#: (labels, k) -> reason key -> tuple, shared by every call (tuples are immutable).
_REASONS_SEEN: dict[tuple[tuple[str, ...], int], dict[int, tuple[str, ...]]] = {}
_REASONS_SEEN_MAX = 1 << 16


def score_frame(
    view: PopulationView,
    *,
    score: np.ndarray,
    tier: np.ndarray,
    tiers: tuple[str, ...],
    sanctions: dict[str, np.ndarray],
    reasons: np.ndarray,
) -> pd.DataFrame:
    """Assemble a score frame aligned to ``view.people`` (same index and order).

    ``tier`` holds tier indices into ``tiers``; ``sanctions`` one bool array per
    declared sanction. The frame is in the contract's canonical form, so
    :func:`scorers.protocol.validate_score_frame` takes it as it is: the tier
    column carries :func:`scorers.protocol.tier_dtype` (no check of the
    categories per call), and the reasons, object arrays of tuples, go in as
    a Series of object dtype (pandas would otherwise scan them for a better
    dtype, allocating two arrays as long as the frame to find none).
    """
    tier = np.asarray(tier)
    codes = tier if tier.dtype.kind in "iu" else tier.astype(np.int64)
    index = view.people.index
    data: dict[str, object] = {
        "score": np.asarray(score, dtype=np.float64),
        "tier": pd.Categorical.from_codes(codes, dtype=tier_dtype(tuple(tiers))),  # type: ignore[call-overload]
    }
    for name, flags in sanctions.items():
        data[name] = np.asarray(flags, dtype=bool)
    data["reasons"] = pd.Series(reasons, index=index, dtype=object, copy=False)
    return pd.DataFrame(data, index=index, copy=False)  # fresh arrays: no need to copy them again


def banded_frame(
    view: PopulationView,
    *,
    score: np.ndarray,
    tier: np.ndarray,
    tiers: tuple[str, ...],
    sanctions: Iterable[str],
    sanctioned_from: int,
    combo: np.ndarray,
    keys: np.ndarray,
    labels: tuple[str, ...],
    k: int,
) -> pd.DataFrame:
    """:func:`score_frame` of a compiled scheme whose sanctions hit its lowest tiers.

    Every sanction named in ``sanctions`` applies to tier ``sanctioned_from``
    and the tiers below it; the reasons are the label combinations ``keys``
    picked per person by ``combo`` (:func:`reasons_of`).
    """
    low = tier >= sanctioned_from
    return score_frame(
        view,
        score=score,
        tier=tier,
        tiers=tiers,
        sanctions={s: low for s in sanctions},
        reasons=reasons_of(combo, keys, labels, k),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class VisibleEvents:
    """The events a scorer may count at ``as_of``, as aligned numpy arrays."""

    rows: np.ndarray
    """Row in ``view.people`` of each event's person (all >= 0)."""
    codes: np.ndarray
    """Kind code of each event (position in :data:`audit.vocab.EVENT_KINDS`, all >= 0)."""
    month: np.ndarray
    """Month of each event (all <= ``as_of``), int64."""
    amount: np.ndarray
    """Amount of each event (yuan or hours; 0 when the kind has none)."""


def visible_events(view: PopulationView, as_of: int, *, since: int | None = None) -> VisibleEvents:
    """Events with ``since <= month <= as_of`` of people in ``view.people``, as arrays.

    Events of people absent from ``view.people`` and kinds outside the
    vocabulary are dropped. ``since=None`` keeps everything up to ``as_of``.
    """
    ev = view.events
    return visible_of(
        view.people["person_id"].to_numpy(), ev["person_id"].to_numpy(), ev["kind"], ev["month"].to_numpy(),
        ev["amount"] if "amount" in ev.columns else None, as_of, since=since,
    )


def visible_of(
    people_ids: np.ndarray, ids: np.ndarray, kind: pd.Series, month: np.ndarray, amount: pd.Series | None,
    as_of: int, *, since: int | None = None,
) -> VisibleEvents:
    """:func:`visible_events` of a view's columns already read (each column is read from its frame once).

    ``ids``, ``kind``, ``month`` and ``amount`` (None: no such column, every
    amount 0) are the event log's columns, ``people_ids`` the people's. Events
    after ``as_of`` are masked out of the arrays rather than out of the frame.
    """
    codes = kind_codes_of(kind)
    if month.size and not month.max() <= as_of:  # NaN months fail too, as they fail month <= as_of
        shown = month <= as_of
        ids, codes, month = ids[shown], codes[shown], month[shown]
        amount = amount[shown] if amount is not None else None  # converted after the mask, as the rows kept
    rows = rows_of_ids(people_ids, ids)
    codes = codes.astype(np.int64)
    month = month.astype(np.int64)
    keep = (rows >= 0) & (codes >= 0)
    if since is not None:
        keep &= month >= since
    values = amount.to_numpy(dtype=np.float64) if amount is not None else np.zeros(month.shape[0])
    if keep.all():
        return VisibleEvents(rows=rows, codes=codes, month=month, amount=values)
    return VisibleEvents(rows=rows[keep], codes=codes[keep], month=month[keep], amount=values[keep])
