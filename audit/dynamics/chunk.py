"""One chunk of people through the months: score, respond, append, edit ties, score again.

The chunk is the static population (the spec drawn over its own horizon):
months before ``start`` are history. The conduct of each later month, what
people would do if nobody responded, is drawn a year at a time as the
simulation reaches it (:class:`audit.dynamics.conduct.YearlyConduct`) and
dropped once appended. Each month the scorer sees the log up to that month
(through the scorer contract only: :func:`audit.engine.contract.score_checked`),
people respond to what it said (:mod:`audit.dynamics.respond`), and the
month's drawn conduct is appended with their changes. With every rate zero
nothing is changed, and each month's scores are exactly those of the static
audit of the history plus the drawn years up to that month.

A scorer that declares how far back it reads
(:func:`scorers.protocol.scorer_lookback`) is handed only that window of the
log: older events are forgotten month by month, so the log is bounded by the
window, not by the months simulated. One that declares nothing sees it all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.dynamics.conduct import YEAR, DrawnConduct, YearlyConduct
from audit.dynamics.log import BASE, BOUGHT_ACT, EARNED_ACT, FEEDBACK, GrowingLog
from audit.dynamics.probe import BOUGHT, OFFENCES, Probe, kind_source, typical_amount
from audit.dynamics.respond import added_acts, dispositions, dropped_events, feedback_arrears
from audit.dynamics.tally import GROUPINGS, PersonOutcomes, Tally, tallies_by_block
from audit.engine.contract import favourable_mask, score_checked
from audit.errors import ScorerContractError
from audit.population.dynamics_spec import DynamicsSpec
from audit.population.model import Population, PopulationView
from audit.population.spec import PopulationSpec, income_boundaries
from audit.population.synth import BLOCK_SIZE
from audit.vocab import kind_code
from scorers.protocol import scorer_lookback

__all__ = ["ECONOMIC_DOMAINS", "ChunkPlan", "simulate_chunk"]

#: Sanction domains with economic effect: loans, jobs, business licences (the issue's feedback loop).
ECONOMIC_DOMAINS = frozenset({"finance", "jobs", "commerce"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkPlan:
    """What every chunk of one simulation shares."""

    spec: PopulationSpec
    dyn: DynamicsSpec
    probe: Probe
    seed: int
    start: int
    """First simulated month (the spec's own horizon); scores at ``start - 1`` are the static audit's."""
    months: int
    size: int
    """People of the whole population (its last generation block may be short)."""


class _Outcome:
    """Score, tier code, favourable and sanction flags of one scoring."""

    def __init__(self, scorer, frame: pd.DataFrame) -> None:
        self.score = frame["score"].to_numpy(dtype=np.float64)
        self.tier = frame["tier"].cat.codes.to_numpy().astype(np.int64)
        self.favourable = favourable_mask(scorer, frame)
        names = list(scorer.sanctions)
        self.sanctioned = np.zeros(len(frame), dtype=bool)
        self.economic = np.zeros(len(frame), dtype=bool)
        for s in names:
            col = frame[s].to_numpy(dtype=bool)
            self.sanctioned |= col
            if scorer.sanctions[s] in ECONOMIC_DOMAINS:
                self.economic |= col


def simulate_chunk(scorer, handed: list[Population], plan: ChunkPlan, *, blocks: tuple[int, int]) -> list[Tally]:
    """Simulate the one chunk in ``handed`` (the static population's generation blocks ``blocks``); the
    per-group tallies of each of its blocks, in order (:mod:`audit.dynamics.tally`).

    The chunk is handed over in a list the function empties, so the drawn
    frames are freed once their columns are taken (the log is the largest
    thing a simulation holds).
    """
    spec, dyn, seed, start, months = plan.spec, plan.dyn, plan.seed, plan.start, plan.months
    view = handed.pop().view()
    people = view.people.reset_index(drop=True)
    ids = people["person_id"].to_numpy().astype(np.int64)
    if np.any(ids[1:] < ids[:-1]):
        raise ValueError("simulate_chunk: people must be sorted by person_id")
    n = len(ids)
    quintile = people["income_quintile"].to_numpy().astype(np.int64) - 1
    education = people["education"].cat.codes.to_numpy().astype(np.int64)
    age = people["age"].to_numpy()
    income0 = people["income"].to_numpy(dtype=np.float64)
    income = income0.copy()
    bounds = np.asarray(income_boundaries(spec.income))
    # the spec's median income (incomes are uniform within quintiles: the middle of the third), the same for every chunk
    median = float(spec.income.quintile_means[2])
    d = dispositions(ids, quintile, education, dyn, plan.probe, seed)

    # the history in month order (stable: within a month, by person as drawn); only what the scorer reads of it
    window = scorer_lookback(scorer)  # None: the scorer reads its whole log
    history = DrawnConduct.of(view.events, first_month=0, months=start)
    per_month = -(-len(history.person) // max(start, 1))
    log = GrowingLog(per_month * ((start + months if window is None else min(start + months, window)) + 2) + n)
    seen = history.starts[max(0, start - window)] if window is not None else 0
    log.append(history.person[seen:], history.month[seen:], history.kind[seen:], history.source[seen:],
               history.amount[seen:], BASE)
    del history
    conduct = YearlyConduct(spec, seed=seed, size=plan.size, blocks=blocks, start=start)
    drawn: DrawnConduct | None = None  # the current year's conduct
    # offences avoided (the counterfactual), by month: put back to score the log without adaptation
    avoided_log: dict[int, dict[str, np.ndarray]] = {}
    offence_codes = [kind_code(k) for k in OFFENCES]

    def forget(as_of: int) -> None:
        """Drop what a scoring at ``as_of`` cannot read (events with ``as_of - month >= window``)."""
        if window is not None:
            log.forget_before(as_of - window + 1)
            for m in [m for m in avoided_log if m <= as_of - window]:
                del avoided_log[m]

    t_person = view.ties["person_id"].to_numpy().astype(np.int64)
    t_friend_id = view.ties["friend_id"].to_numpy().astype(np.int64)
    t_owner = np.searchsorted(ids, t_person)
    t_friend = np.minimum(np.searchsorted(ids, t_friend_id), max(n - 1, 0))
    tie_alive = np.ones(len(t_person), dtype=bool)
    friend_here = ids[t_friend] == t_friend_id if n else np.zeros(0, dtype=bool)
    del view  # the drawn frames: their columns are copied above

    def score(month: int, events: pd.DataFrame | None = None) -> _Outcome:
        now = people.copy()
        now["income"] = income
        q = np.clip(np.searchsorted(bounds[1:-1], income, side="right") + 1, 1, 5)
        q = np.where(income != income0, q, quintile + 1)  # a person whose income did not move keeps the drawn quintile
        now["income_quintile"] = pd.Series(q, index=now.index).astype(people["income_quintile"].dtype)
        ties = pd.DataFrame({"person_id": t_person[tie_alive], "friend_id": t_friend_id[tie_alive]})
        frame = score_checked(scorer, PopulationView(
            people=now, events=log.frame() if events is None else events,  # the log holds months up to ``month``
            ties=ties, horizon_months=month + 1), as_of=month)
        if len(frame) != n:  # score_checked already refuses this; kept for scorers wrapped by a caller
            raise ScorerContractError(f"scorer {scorer.name!r}: returned {len(frame)} rows for {n} people")
        return _Outcome(scorer, frame)

    years = months // 12
    groups = {"income_quintile": quintile, "education": education}
    # people by generation block (ids are sorted, so each block is a run of rows): tallied block by block
    block = ids // BLOCK_SIZE - (ids[0] // BLOCK_SIZE if n else 0)
    n_blocks = int(block[-1]) + 1 if n else 1
    edges = np.searchsorted(block, np.arange(n_blocks + 1))
    block_rows = [(int(edges[i]), int(edges[i + 1])) for i in range(n_blocks)]
    monthly = {a: np.zeros((months + 1, n_blocks, len(GROUPINGS[a]))) for a in groups}
    cell = {a: block * len(GROUPINGS[a]) + codes for a, codes in groups.items()}
    fav_year = np.zeros((years + 1, n), dtype=bool)
    sanc_year = np.zeros((years + 1, n), dtype=bool)
    changed = d.adapter | d.censor
    posts_base = np.zeros(n)
    posts_dropped = np.zeros(n)
    offences_avoided = np.zeros(n)
    acts = {EARNED_ACT: np.zeros(n), BOUGHT_ACT: np.zeros(n)}
    ties_lost = np.zeros(n)
    last_blood = np.full(n, -10**6, dtype=np.int64)
    feedback = np.zeros(n, dtype=bool)
    economic_ever = np.zeros(n, dtype=bool)

    forget(start - 1)
    now = score(start - 1)
    for month in range(start, start + months + 1):
        step = month - start  # scores taken at month - 1
        for a in groups:
            g = len(GROUPINGS[a])
            monthly[a][step] = np.bincount(cell[a], weights=now.favourable, minlength=n_blocks * g).reshape(n_blocks, g)
        if step % 12 == 0:
            fav_year[step // 12], sanc_year[step // 12] = now.favourable, now.sanctioned
        economic_ever |= now.economic
        if month == start + months:
            break
        income = np.where(now.economic, np.maximum(income * (1.0 - dyn.income_loss), dyn.income_floor * income0), income)
        if step % YEAR == 0:
            drawn = None  # the last year's conduct is in the log: dropped before the next is drawn
            drawn = conduct.next_year()
        assert drawn is not None
        rows_of_month = drawn.rows(month)
        person = drawn.person[rows_of_month]
        e_month, e_kind = drawn.month[rows_of_month], drawn.kind[rows_of_month]
        e_source, e_amount = drawn.source[rows_of_month], drawn.amount[rows_of_month]
        rows = np.searchsorted(ids, person)
        avoided, censored = dropped_events(person, rows, e_kind, month, d, dyn, seed)
        critical = e_kind == kind_code("critical_post")
        posts_base += np.bincount(rows[critical], minlength=n)
        posts_dropped += np.bincount(rows[censored], minlength=n)
        offences_avoided += np.bincount(rows[avoided], minlength=n)
        back = avoided & np.isin(e_kind, offence_codes)
        avoided_log[month] = {"person": person[back], "month": e_month[back], "kind": e_kind[back],
                              "source": e_source[back], "amount": e_amount[back]}
        keep = ~(avoided | censored)
        log.append(person[keep], e_month[keep], e_kind[keep], e_source[keep], e_amount[keep], BASE)
        afford = np.minimum(income / median, 1.0)  # a bought act costs money: below the median, fewer afford it
        for name, who in added_acts(ids, age, afford, last_blood, month, d, dyn, spec, seed):
            origin = BOUGHT_ACT if name in BOUGHT else EARNED_ACT
            acts[origin] += np.bincount(who, minlength=n)
            _append(log, spec, ids[who], income[who], name, month, origin)
        fb = feedback_arrears(ids, 1.0 - income / income0, month, dyn, seed)
        feedback[fb] = True
        _append(log, spec, ids[fb], income[fb], "loan_arrears", month, FEEDBACK)

        forget(month)
        after = score(month)
        worse = (after.tier > now.tier) | (after.sanctioned & ~now.sanctioned)
        drop = tie_alive & friend_here & d.unfriends[t_owner] & worse[t_friend]
        tie_alive &= ~drop
        ties_lost += np.bincount(t_friend[drop], minlength=n)
        if step < 12:
            changed[t_owner[drop]] = True
        now = after

    del drawn
    gain_b, gain_e = _gains(score, log, start + months - 1, now, list(avoided_log.values()), bool(d.adapter.any()))
    groups_all = {**groups, "sanctioned_at_end": now.sanctioned.astype(np.int64)}
    out = PersonOutcomes(
        groups=groups_all, favourable_by_year=fav_year, sanctioned_by_year=sanc_year, changed_first_year=changed,
        adapter=d.adapter, posts_base=posts_base, posts_dropped=posts_dropped, offences_avoided=offences_avoided,
        acts_earned=acts[EARNED_ACT], acts_bought=acts[BOUGHT_ACT], ties_lost=ties_lost, gain_bought=gain_b,
        gain_earned=gain_e, feedback=feedback, caught=feedback & now.economic, economic_ever=economic_ever,
    )
    return tallies_by_block(out, monthly, block_rows)


def _append(log: GrowingLog, spec: PopulationSpec, who: np.ndarray, income: np.ndarray, kind: str, month: int,
            origin: int) -> None:
    k = len(who)
    if k:
        log.append(who, np.full(k, month, dtype=np.int16), np.full(k, kind_code(kind), dtype=np.int8),
                   np.full(k, kind_source(spec, kind), dtype=np.int8), typical_amount(spec, kind, income / 12.0), origin)


def _gains(score, log: GrowingLog, month: int, final, avoided_log: list[dict[str, np.ndarray]],
           any_adapter: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per-person score gains from bought acts and from the rest of adaptation (earned acts, offences avoided).

    Two more scorings of the final month: without the bought acts, and without
    any act and with the avoided offences put back. No adapter: no gains, no scoring.
    """
    n = len(final.score)
    if not any_adapter:
        return np.zeros(n), np.zeros(n)
    origin = log.column("origin")
    no_bought = score(month, log.frame(origin != BOUGHT_ACT))
    extra = {name: np.concatenate([a[name] for a in avoided_log]) if avoided_log else np.zeros(0, dtype=dtype)
             for name, dtype in (("person", np.int64), ("month", np.int16), ("kind", np.int8), ("source", np.int8),
                                 ("amount", np.float64))}
    none = score(month, log.frame((origin != BOUGHT_ACT) & (origin != EARNED_ACT), extra))
    return final.score - no_bought.score, no_bought.score - none.score

