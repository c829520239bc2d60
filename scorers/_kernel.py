"""Vectorised building blocks shared by the reference scorers.

A scorer folds over events; with numpy the fold is a grouped reduction keyed
by the row of ``view.people`` each event belongs to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.population import PopulationView
from audit.vocab import EVENT_KINDS

__all__ = ["event_rows", "visible", "kind_codes", "per_person_sum", "kind_weights"]


def event_rows(view: PopulationView, events: pd.DataFrame | None = None) -> np.ndarray:
    """Row position in ``view.people`` of each event's person (-1 if the person is absent)."""
    events = view.events if events is None else events
    ids = view.people["person_id"].to_numpy()
    ev_ids = events["person_id"].to_numpy()
    if ids.size == 0:
        return np.full(ev_ids.shape[0], -1, dtype=np.int64)
    if ids.size < 2 or np.all(ids[1:] > ids[:-1]):
        pos = np.searchsorted(ids, ev_ids)
        order = None
    else:
        order = np.argsort(ids, kind="stable")
        pos = np.searchsorted(ids[order], ev_ids)
    pos_c = np.minimum(pos, ids.size - 1)
    found = (ids[pos_c] if order is None else ids[order][pos_c]) == ev_ids
    rows = pos_c if order is None else order[pos_c]
    return np.where(found, rows, -1).astype(np.int64)


def visible(events: pd.DataFrame, as_of: int) -> pd.DataFrame:
    """Events a scorer may count at month ``as_of`` (``month <= as_of``)."""
    month = events["month"].to_numpy()
    if month.size == 0 or month.max() <= as_of:
        return events
    return events[month <= as_of]


def kind_codes(events: pd.DataFrame) -> np.ndarray:
    """Integer code of each event's kind (position in :data:`audit.vocab.EVENT_KINDS`)."""
    kind = events["kind"]
    if isinstance(kind.dtype, pd.CategoricalDtype) and tuple(kind.cat.categories) == EVENT_KINDS:
        return kind.cat.codes.to_numpy()
    return pd.Categorical(kind.astype(object), categories=list(EVENT_KINDS)).codes


def kind_weights(points: dict[str, float]) -> np.ndarray:
    """Per-kind-code array of points (0 for kinds not named)."""
    w = np.zeros(len(EVENT_KINDS))
    for k, v in points.items():
        w[EVENT_KINDS.index(k)] = v
    return w


def per_person_sum(rows: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Sum ``weights`` per person row (events with row -1 are ignored)."""
    keep = rows >= 0
    if not keep.all():
        rows, weights = rows[keep], weights[keep]
    return np.bincount(rows, weights=weights, minlength=n)[:n]
