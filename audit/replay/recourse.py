"""Feasible good behaviour: the recourse plans replayed by the reversibility audit.

A plan is a set of actions a person repeats every month after a start month,
each at the most the spec's ``[recourse]`` section calls feasible:

- ``volunteering``: ``volunteering_hours_per_month`` hours a month;
- ``blood_donation``: one donation every ``blood_donation_min_interval_months``
  (the first in the first month), only at ages the spec's
  ``events.blood_donation.age_range`` allows;
- ``charity_donation``: ``charity_max_income_share`` of monthly income a month;
- ``on_time_repayment``: one loan repayment on time a month, of the size the
  spec's ``events.on_time_repayment.amount_scale`` gives (in months of income);
- ``judgment_performed``: in the first month, perform every court judgment
  still outstanding (defaults recorded minus judgments performed).

Plans are appended as synthetic events (:func:`audit.population.model.events_frame`
columns), so they reach the scorer only through the contract.

Cost is in **months of the person's own income** (money and hours, costed per
person by income): an hour costs ``hour_value_income_share`` of an hour's
income, an hour's income being monthly income over
``working_hours_per_month``; yuan cost their value. Assumptions: repaying one's
own loan on time costs nothing beyond the loan; performing a judgment costs the
mean recorded default amount per outstanding judgment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.population.spec import PopulationSpec
from audit.replay.logs import EventArrays
from audit.vocab import EVENT_KINDS, SOURCES, kind_code

__all__ = ["ACTIONS", "ALL_ACTIONS", "Recourse", "person_terms", "plan_masks", "plan_events", "plan_cost", "outstanding_judgments"]

#: Actions a recourse plan may contain; a plan is a bit mask over these.
ACTIONS: tuple[str, ...] = ("volunteering", "blood_donation", "charity_donation", "on_time_repayment", "judgment_performed")
_BIT = {a: 1 << i for i, a in enumerate(ACTIONS)}
ALL_ACTIONS = (1 << len(ACTIONS)) - 1

_DEFAULT = kind_code("court_judgment_default")
_PERFORMED = kind_code("judgment_performed")


@dataclass(frozen=True, slots=True, kw_only=True)
class Recourse:
    """What a person can feasibly do each month, and what it costs (from a spec)."""

    volunteering_hours: float
    """Hours of volunteering a month."""
    blood_interval_months: int
    """Months between whole-blood donations."""
    blood_hours: float
    """Hours one donation takes."""
    blood_age: tuple[int, int]
    """Ages ``[lo, hi)`` at which a person may donate."""
    charity_share: float
    """Share of monthly income given to charity a month."""
    repayment_share: float
    """Size of one on-time repayment in months of income."""
    hour_value_share: float
    """Cost of an hour as a share of an hour's income."""
    working_hours: float
    """Paid working hours a month."""
    source: tuple[int, ...]
    """Source code recorded with each action's event, by action."""

    @classmethod
    def from_spec(cls, spec: PopulationSpec) -> Recourse:
        rc = spec.recourse
        kinds = {e.kind: e for e in spec.events}

        def source(kind: str) -> int:
            return SOURCES.index(kinds[kind].source) if kind in kinds else SOURCES.index("platform")

        blood = kinds.get("blood_donation")
        repay = kinds.get("on_time_repayment")
        return cls(
            volunteering_hours=rc.volunteering_hours_per_month,
            blood_interval_months=max(1, rc.blood_donation_min_interval_months),
            blood_hours=rc.blood_donation_hours,
            blood_age=blood.age_range if blood is not None else (18, 60),
            charity_share=rc.charity_max_income_share,
            repayment_share=repay.amount_scale if repay is not None else 0.5,
            hour_value_share=rc.hour_value_income_share,
            working_hours=rc.working_hours_per_month,
            source=tuple(source(a) for a in ACTIONS),
        )


def outstanding_judgments(events: EventArrays, owner: np.ndarray, n: int, upto: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per person: judgments outstanding at month ``upto`` and what performing them costs (yuan).

    Outstanding = defaults recorded up to then minus judgments performed, at
    least 0; each costs the mean recorded amount of the person's defaults.
    """
    seen = events.month <= np.asarray(upto)[owner]
    d = seen & (events.kind == _DEFAULT)
    p = seen & (events.kind == _PERFORMED)
    n_def = np.bincount(owner[d], minlength=n)
    n_perf = np.bincount(owner[p], minlength=n)
    amount = np.bincount(owner[d], weights=events.amount[d], minlength=n)
    count = np.maximum(n_def - n_perf, 0)
    mean = np.divide(amount, n_def, out=np.zeros(n), where=n_def > 0)
    return count, count * np.maximum(mean, 0.0)


def plan_masks(blood_ok: np.ndarray, judgments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The plans tried for each person: waiting, each applicable action alone, all together.

    Returns ``(person index, plan mask)`` pairs. An action that does nothing
    for the person (blood at an ineligible age, performing judgments when none
    is outstanding) is left out, so no plan is tried twice.
    """
    n = len(blood_ok)
    people, masks = [], []
    for mask in [0] + [_BIT[a] for a in ACTIONS] + [ALL_ACTIONS]:
        ok = np.ones(n, dtype=bool)
        if mask == _BIT["blood_donation"]:
            ok = blood_ok.copy()
        if mask == _BIT["judgment_performed"]:
            ok = judgments > 0
        people.append(np.flatnonzero(ok))
        masks.append(np.full(int(ok.sum()), mask, dtype=np.int64))
    return np.concatenate(people), np.concatenate(masks)


def _blood_ok(r: Recourse, age: np.ndarray) -> np.ndarray:
    return (age >= r.blood_age[0]) & (age < r.blood_age[1])


def person_terms(r: Recourse, people: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monthly income (yuan), age, and blood-donation eligibility of each person."""
    income = np.nan_to_num(people["income"].to_numpy(dtype=np.float64, na_value=np.nan), nan=0.0) / 12.0
    age = np.nan_to_num(people["age"].to_numpy(dtype=np.float64, na_value=np.nan), nan=0.0)
    return np.maximum(income, 0.0), age, _blood_ok(r, age)


def plan_events(
    r: Recourse,
    *,
    mask: np.ndarray,
    start: np.ndarray,
    months: int,
    monthly_income: np.ndarray,
    blood_ok: np.ndarray,
    judgments: np.ndarray,
) -> tuple[np.ndarray, EventArrays]:
    """Events of each variant's plan in months ``start + 1 .. start + months``.

    All arguments are per variant. Returns ``(variant index, events)``; the
    events' ``person`` column holds variant indices until the caller re-issues them.
    """
    j = np.arange(1, months + 1)
    owners, month, kind, source, amount = [], [], [], [], []

    def add(rows: np.ndarray, offsets: np.ndarray, action: str, value: np.ndarray | float) -> None:
        if rows.size == 0 or offsets.size == 0:
            return
        v = np.repeat(rows, offsets.size)
        off = np.tile(offsets, rows.size)
        owners.append(v)
        month.append(start[v] + off)
        kind.append(np.full(v.size, EVENT_KINDS.index(action), dtype=np.int64))
        source.append(np.full(v.size, r.source[ACTIONS.index(action)], dtype=np.int64))
        amount.append(np.broadcast_to(np.asarray(value, dtype=np.float64), (rows.size,))[np.repeat(np.arange(rows.size), offsets.size)])

    def has(action: str) -> np.ndarray:
        return (mask & _BIT[action]) != 0

    rows = np.flatnonzero(has("volunteering"))
    add(rows, j, "volunteering", np.full(rows.size, r.volunteering_hours))
    rows = np.flatnonzero(has("blood_donation") & blood_ok)
    add(rows, j[(j - 1) % r.blood_interval_months == 0], "blood_donation", np.zeros(rows.size))
    rows = np.flatnonzero(has("charity_donation"))
    add(rows, j, "charity_donation", np.round(r.charity_share * monthly_income[rows], 2))
    rows = np.flatnonzero(has("on_time_repayment"))
    add(rows, j, "on_time_repayment", np.round(r.repayment_share * monthly_income[rows], 2))
    rows = np.flatnonzero(has("judgment_performed") & (judgments > 0))
    if rows.size:
        reps = judgments[rows].astype(np.int64)
        v = np.repeat(rows, reps)
        owners.append(v)
        month.append(start[v] + 1)
        kind.append(np.full(v.size, _PERFORMED, dtype=np.int64))
        source.append(np.full(v.size, r.source[ACTIONS.index("judgment_performed")], dtype=np.int64))
        amount.append(np.zeros(v.size))
    if not owners:
        return np.zeros(0, np.int64), EventArrays.empty()
    v = np.concatenate(owners)
    ev = EventArrays(
        person=v.copy(),
        month=np.concatenate(month).astype(np.int64),
        kind=np.concatenate(kind),
        source=np.concatenate(source),
        amount=np.concatenate(amount),
        genuine=np.ones(v.size, dtype=bool),
    )
    return v, ev


def plan_cost(
    r: Recourse,
    *,
    mask: np.ndarray,
    elapsed: np.ndarray,
    monthly_income: np.ndarray,
    blood_ok: np.ndarray,
    judgment_cost: np.ndarray,
) -> np.ndarray:
    """Cost in months of income of following each plan for ``elapsed`` months (per variant)."""
    j = np.maximum(np.asarray(elapsed, dtype=np.float64), 0.0)
    hour = r.hour_value_share / r.working_hours  # one hour, in months of income
    cost = np.zeros(len(mask))
    cost += ((mask & _BIT["volunteering"]) != 0) * j * r.volunteering_hours * hour
    donations = np.where(j >= 1, np.floor((j - 1) / r.blood_interval_months) + 1, 0.0)
    cost += ((mask & _BIT["blood_donation"]) != 0) * blood_ok * donations * r.blood_hours * hour
    cost += ((mask & _BIT["charity_donation"]) != 0) * j * r.charity_share
    with np.errstate(divide="ignore", invalid="ignore"):
        judgment = np.where(monthly_income > 0, judgment_cost / monthly_income, np.where(judgment_cost > 0, np.inf, 0.0))
    cost += ((mask & _BIT["judgment_performed"]) != 0) * (j >= 1) * judgment
    return cost
