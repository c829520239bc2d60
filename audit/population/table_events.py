"""Loading a supplied population's event and tie tables (the people table is :mod:`audit.population.table`'s).

Supplied data has no ground truth: every event is taken as ``genuine``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.population.columns import events_frame
from audit.population.table_checks import INT64, MAX_MONTHS, Table, check, choice, known_ids, real, whole
from audit.vocab import DOMAINS, EVENT_KINDS, KIND_DOMAIN, SOURCES

__all__ = ["BULK_SHARE", "DEFAULT_SOURCE", "OUTLIER_GAP_MONTHS", "read_events", "read_ties"]

#: Source assumed for an event whose table gives none: the body that normally
#: records that kind (the same sources as ``fixtures/populations/china-2020.toml``).
DEFAULT_SOURCE: dict[str, str] = {
    "drunk_driving": "police",
    "traffic_violation": "police",
    "loan_arrears": "bank",
    "utility_arrears": "platform",
    "contract_breach": "court",
    "court_judgment_default": "court",
    "judgment_performed": "court",
    "unauthorized_birth": "citizen_report",
    "volunteering": "platform",
    "blood_donation": "platform",
    "charity_donation": "platform",
    "diapers_purchase": "platform",
    "video_games": "platform",
    "loud_music_on_train": "citizen_report",
    "critical_post": "platform",
    "on_time_repayment": "bank",
}

_KIND_SOURCE = np.array([SOURCES.index(DEFAULT_SOURCE[k]) for k in EVENT_KINDS], dtype=np.int8)
_KIND_DOMAIN = np.array([DOMAINS.index(KIND_DOMAIN[k]) for k in EVENT_KINDS], dtype=np.int8)

#: Without horizon_months, the horizon is the last event month + 1 -- unless an event lies more than
#: OUTLIER_GAP_MONTHS after the month by which BULK_SHARE of the events happened (the lower empirical
#: quantile, so with fewer than 100 events the latest one is never its own bulk): such a row is refused.
#: A year is the longest gap a running scheme's log shows without an error (assumption: every reference
#: scheme records monthly conduct, and the synthetic logs have events in every month).
BULK_SHARE = 0.99
OUTLIER_GAP_MONTHS = 12


def read_events(t: Table, people: np.ndarray, people_label: str, horizon: int | None) -> tuple[pd.DataFrame, int]:
    f = t.frame
    pid = whole(t, "person_id", *INT64, np.int64)
    known_ids(t, "person_id", pid, people, people_label, None)
    month = whole(t, "month", 0, MAX_MONTHS - 1, np.int16, pid)
    if horizon is not None:
        check(
            t, "month", month >= horizon, f"month is outside horizon_months={horizon} (months 0 to {horizon - 1})", pid=pid,
            fix="pass a larger horizon_months, or leave it out to use the last month + 1, or remove the affected rows",
        )
    elif len(month):
        bulk_end = int(np.quantile(month, BULK_SHARE, method="lower"))
        check(
            t, "month", month > bulk_end + OUTLIER_GAP_MONTHS,
            f"month is more than {OUTLIER_GAP_MONTHS} months after month {bulk_end}, by which "
            f"{BULK_SHARE:.0%} of the events happened; one mistyped month would set the horizon (and every "
            "person's as-of month) for everyone", pid=pid,
            fix="correct or remove the row, or pass horizon_months= covering it "
                "if the log really runs that long",
        )
    kind = choice(t, "kind", EVENT_KINDS, "an event kind", pid)
    if "domain" in f.columns:
        domain = choice(t, "domain", DOMAINS, "a domain", pid, required=False)
        expected = _KIND_DOMAIN[kind]
        bad = (domain >= 0) & (domain != expected)
        if bad.any():
            i = int(np.argmax(bad))
            k = EVENT_KINDS[kind[i]]
            check(
                t, "domain", bad, f"does not match kind {k!r}, whose domain is {KIND_DOMAIN[k]!r}", pid=pid,
                fix="drop the domain column (it is derived from kind) or correct it to audit.vocab.KIND_DOMAIN",
            )
    source = _KIND_SOURCE[kind]
    if "source" in f.columns:
        given = choice(t, "source", SOURCES, "a source", pid, required=False)
        source = np.where(given >= 0, given, source).astype(np.int8)
    amount = real(t, "amount", pid, blank=0.0) if "amount" in f.columns else np.zeros(len(pid))
    horizon = horizon if horizon is not None else (int(month.max()) + 1 if len(month) else 1)
    order = np.lexsort((kind, month, pid))
    frame = events_frame(pid[order], month[order], kind[order], source[order], amount[order], np.ones(len(pid), dtype=bool))
    return frame, horizon


def read_ties(t: Table, people: np.ndarray, people_label: str) -> pd.DataFrame:
    pid = whole(t, "person_id", *INT64, np.int64)
    known_ids(t, "person_id", pid, people, people_label, None)
    friend = whole(t, "friend_id", *INT64, np.int64, pid)
    known_ids(t, "friend_id", friend, people, people_label, pid)
    order = np.lexsort((friend, pid))
    return pd.DataFrame({"person_id": pid[order], "friend_id": friend[order]})
