"""Rule probes: what a scorer *can* do, shown on constructed people with certainty.

A population sample tells how often something happens; it can miss a rule
that fires rarely. A probe asks the scorer directly, through the scorer
contract alone (``score(population, as_of=...)``), so any plugin can be
probed: constructed people, one per demographic profile (income quintile x
education level x sex), each with one conduct kind alone at graded doses
(:data:`DOSES`: 1, 2, 3 and 5 records, one a month), beside a person of the
same profile with no record at all. Each is scored in the month of their last
record and at later checkpoints (:data:`CHECKPOINTS`), once doing nothing more
and once following the best feasible plan of good behaviour
(:func:`audit.replay.recourse.plan_events`, every action at its most).

What a probe shows is an existence proof, not a rate:

spill-over
    a sanction the record-free person of the same profile does not have,
    imposed on a person whose only records are of one kind: conduct in that
    kind's domain *can* cause a sanction in the sanction's domain. Unrelated
    when the domains differ and the spec does not declare the pair related
    (EU AI Act Art. 5(1)(c)).
lifting
    a sanction so imposed that is still in force at the last checkpoint
    (120 months on) with either plan *can never be lifted* within that time.
inversions
    a kind of a lighter gravity class (minor < general < serious; NDRC
    credit-repair measures) that imposes more sanctions than a graver kind at
    the same dose on the same profile, or a smaller dose of a kind that
    imposes more than a larger one: lighter conduct punished harder.
conduct
    whether any record changes any output at all; a scorer whose output
    does not depend on recorded conduct is reported as such.

Income of each quintile: national per-capita disposable income by quintile,
2020 (National Bureau of Statistics): 7,869 / 16,443 / 26,249 / 41,172 /
80,294 yuan a year.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from audit.engine.contract import score_checked
from audit.population.model import TRUTH_PEOPLE_COLUMNS, Population, PopulationView, empty_ties
from audit.replay.logs import EventArrays, added_events
from audit.replay.recourse import ALL_ACTIONS, Recourse, outstanding_judgments, person_terms, plan_events
from audit.replay.scoring import states
from audit.vocab import EDUCATION_LEVELS, EVENT_KINDS, GRAVITY_CLASSES, INCOME_QUINTILES, KIND_DOMAIN

if TYPE_CHECKING:
    from scorers.protocol import Scorer

__all__ = ["DOSES", "CHECKPOINTS", "QUINTILE_INCOME", "Witness", "Inversion", "RuleProbes", "probe_rules"]

#: Records of one kind a probe person carries (one a month, the last in month ``max(DOSES) - 1``).
DOSES: tuple[int, ...] = (1, 2, 3, 5)
#: Months after the last record at which probes are scored (0: the month of the last record).
CHECKPOINTS: tuple[int, ...] = (0, 1, 3, 6, 12, 24, 36, 60, 120)
#: Yearly per-capita disposable income of each national income quintile, 2020 (National Bureau of Statistics), yuan.
QUINTILE_INCOME: tuple[float, ...] = (7869.0, 16443.0, 26249.0, 41172.0, 80294.0)

_PLANS = ("idle", "best plan")


@dataclass(frozen=True, slots=True, kw_only=True)
class Witness:
    """One constructed person on whom a rule was seen to fire."""

    kind: str
    """The only conduct kind on the person's record."""
    dose: int
    """How many records of it."""
    profile: str
    """Income quintile, education level and sex of the person (``"Q1 primary_or_less female"``)."""
    sanction: str
    """The sanction imposed (absent for a record-free person of the same profile)."""
    conduct_domain: str
    """Domain of the conduct kind."""
    sanction_domain: str
    """Domain the sanction restricts."""
    related: bool
    """Whether the two domains are the same or declared related by the spec."""
    months_after: int
    """Months after the last record at which it was seen."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Inversion:
    """Lighter conduct imposing more sanctions than graver conduct, on one probe profile."""

    lighter: str
    """The lighter kind (and dose), e.g. ``"loud_music_on_train x1"``."""
    graver: str
    """The graver kind (and dose)."""
    lighter_sanctions: int
    graver_sanctions: int
    profile: str
    basis: str
    """``"gravity"`` (a lighter gravity class at the same dose) or ``"dose"`` (fewer records of one kind)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleProbes:
    """What the probes established ("can happen"), apart from how often it happens in a population."""

    people: int
    """Constructed people scored (each at every checkpoint and with both plans)."""
    profiles: int
    """Demographic profiles probed."""
    doses: tuple[int, ...]
    checkpoints: tuple[int, ...]
    conduct_matters: bool
    """Whether any record changed any score, tier or sanction of any probe person."""
    spillover: tuple[Witness, ...]
    """The first witness of every (conduct domain, sanction domain) pair a probe shows can happen."""
    never_lifted: tuple[Witness, ...]
    """The first witness of every sanction still in force ``max(checkpoints)`` months on under both plans."""
    inversions: tuple[Inversion, ...]
    """The first inversion of every (lighter, graver) pair of kinds."""

    def can_spill(self, from_domain: str, to_domain: str) -> Witness | None:
        """A witness that conduct in ``from_domain`` can cause a sanction in ``to_domain`` (``None``: no probe showed it)."""
        return next((w for w in self.spillover if w.conduct_domain == from_domain and w.sanction_domain == to_domain), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``spillover.probes`` in results.json): lists of plain dicts."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _profiles(spec) -> pd.DataFrame:
    """One constructed person per income quintile x education level x sex, attributes from a synthetic template."""
    template = Population.synthesize(spec, size=200, seed=0).people
    template = template.drop(columns=[c for c in TRUTH_PEOPLE_COLUMNS if c in template.columns])
    sexes = list(template["sex"].cat.categories) if isinstance(template["sex"].dtype, pd.CategoricalDtype) else ["female", "male"]
    combos = list(itertools.product(range(len(INCOME_QUINTILES)), range(len(EDUCATION_LEVELS)), range(len(sexes))))
    people = template.iloc[np.zeros(len(combos), dtype=np.int64)].reset_index(drop=True)
    q = np.array([c[0] for c in combos])
    people["income"] = np.array(QUINTILE_INCOME)[q].astype(people["income"].dtype)
    people["income_quintile"] = np.asarray(INCOME_QUINTILES)[q].astype(people["income_quintile"].dtype)
    people["education"] = pd.Categorical.from_codes([c[1] for c in combos], dtype=template["education"].dtype)  # type: ignore[call-overload]
    people["sex"] = pd.Categorical.from_codes([c[2] for c in combos], dtype=template["sex"].dtype)  # type: ignore[call-overload]
    people.attrs["labels"] = [f"Q{INCOME_QUINTILES[a]} {EDUCATION_LEVELS[b]} {sexes[c]}" for a, b, c in combos]
    return people


def probe_rules(scorer: Scorer, spec: Any, *, doses: tuple[int, ...] = DOSES, checkpoints: tuple[int, ...] = CHECKPOINTS) -> RuleProbes:
    """Probe ``scorer`` with constructed people (see the module docstring).

    Parameters
    ----------
    scorer
        Any object honouring the scorer contract.
    spec : PopulationSpec
        Gives the conduct kinds (with their gravity classes and amounts), the
        recourse plan's terms and the related domain pairs.
    doses, checkpoints : tuple of int
        Records per probe person, and months after the last record at which they are scored.
    """
    profiles = _profiles(spec)
    labels = profiles.attrs["labels"]
    g = len(profiles)
    kinds = np.array([EVENT_KINDS.index(e.kind) for e in spec.events], dtype=np.int64)
    doses_a = np.asarray(doses, dtype=np.int64)
    last = int(doses_a.max()) - 1
    # people: (plan, profile, trial) with trial 0 = no record, then (kind, dose)
    trials = [(-1, 0)] + [(int(k), int(d)) for k in kinds for d in doses_a]
    t = len(trials)
    n = len(_PLANS) * g * t
    plan = np.repeat(np.arange(len(_PLANS)), g * t)
    prof = np.tile(np.repeat(np.arange(g), t), len(_PLANS))
    trial = np.tile(np.arange(t), len(_PLANS) * g)
    kind = np.array([k for k, _ in trials])[trial]
    dose = np.array([d for _, d in trials])[trial]
    people = profiles.iloc[prof].reset_index(drop=True)
    people["person_id"] = np.arange(n, dtype=people["person_id"].dtype)  # type: ignore[type-var, arg-type]
    # conduct: `dose` records of `kind`, one a month, the last in month `last`
    owner = np.repeat(np.arange(n), dose)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(dose) - dose, dose)
    conduct = added_events(spec, people, kind[owner], owner, 0)
    conduct = EventArrays(person=owner, month=last - dose[owner] + 1 + offset, kind=conduct.kind, source=conduct.source,
                          amount=conduct.amount, genuine=conduct.genuine)
    # the best plan from the month after the last record
    recourse = Recourse.from_spec(spec)
    income, _, blood_ok = person_terms(recourse, people)
    judgments, _ = outstanding_judgments(conduct, conduct.person, n, np.full(n, last))
    on_plan = np.flatnonzero(plan == 1)
    pv, pev = plan_events(recourse, mask=np.full(on_plan.size, ALL_ACTIONS), start=np.full(on_plan.size, last),
                          months=max(checkpoints), monthly_income=income[on_plan], blood_ok=blood_ok[on_plan],
                          judgments=judgments[on_plan])
    events = EventArrays.concat([conduct, pev.with_person(on_plan[pv])])
    ids = people["person_id"].to_numpy()
    names = list(scorer.sanctions)
    plans = pev.with_person(on_plan[pv])

    def run(log: EventArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Score, tier and sanctions of every probe person at every checkpoint, with ``log`` as their records."""
        sanc = np.zeros((len(checkpoints), n, len(names)), dtype=bool)
        score = np.zeros((len(checkpoints), n))
        tier = np.zeros((len(checkpoints), n), dtype=np.int64)
        for i, c in enumerate(checkpoints):
            month = last + int(c)
            sel = log.month <= month
            view = PopulationView(people=people, events=log.take(sel).with_person(ids[log.person[sel]]).frame(),
                                  ties=empty_ties(), horizon_months=month + 1)
            st = states(scorer, score_checked(scorer, view, as_of=month))
            sanc[i], score[i], tier[i] = st.sanctions, st.score, st.tier
        return score, tier, sanc

    score, tier, sanc = run(events)
    # compare each person with the record-free person of the same profile and plan; a scorer that reads
    # person ids is compared with the same person (same id) scored without the records instead
    base = (plan * g + prof) * t
    if _reads_ids(scorer, people, last):
        b_score, b_tier, b_sanc = run(plans)
    else:
        b_score, b_tier, b_sanc = score[:, base], tier[:, base], sanc[:, base]
    cp = len(checkpoints)
    idle = plan == 0
    differs = (score != b_score) & ~(np.isnan(score) & np.isnan(b_score))
    differs |= tier != b_tier
    differs |= (sanc != b_sanc).any(axis=2)
    conduct_matters = bool(differs[:, idle & (kind >= 0)].any())
    imposed = sanc & ~b_sanc  # (checkpoint, person, sanction)

    related = {(a, b) for a, b in spec.recourse.related_domains}

    def witness(p: int, j: int, i: int) -> Witness:
        cd, sd = KIND_DOMAIN[EVENT_KINDS[kind[p]]], scorer.sanctions[names[j]]
        return Witness(kind=EVENT_KINDS[kind[p]], dose=int(dose[p]), profile=labels[prof[p]], sanction=names[j],
                       conduct_domain=cd, sanction_domain=sd, related=cd == sd or (cd, sd) in related, months_after=int(checkpoints[i]))

    spill: dict[tuple[str, str], Witness] = {}
    for i, p, j in zip(*np.nonzero(imposed[:, :, :] & idle[None, :, None])):
        w = witness(int(p), int(j), int(i))
        spill.setdefault((w.conduct_domain, w.sanction_domain), w)
    # never lifted: imposed when the last record is made, still in force at the last checkpoint under both plans
    twin = np.where(plan == 0, np.arange(n) + g * t, np.arange(n))  # the same trial on the best plan
    stuck = imposed[0] & sanc[-1] & sanc[-1, twin] & idle[:, None]
    never: dict[str, Witness] = {}
    for p, j in zip(*np.nonzero(stuck)):
        never.setdefault(names[int(j)], witness(int(p), int(j), cp - 1))
    inversions = _inversions(imposed[0].sum(axis=1), kind, dose, prof, idle, labels, spec)
    return RuleProbes(
        people=n, profiles=g, doses=tuple(int(d) for d in doses), checkpoints=tuple(int(c) for c in checkpoints),
        conduct_matters=conduct_matters, spillover=tuple(spill.values()), never_lifted=tuple(never.values()),
        inversions=inversions,
    )


def _reads_ids(scorer: Scorer, people: pd.DataFrame, month: int) -> bool:
    """Whether record-free probe people score differently under other ids (a lookup table, a hash)."""
    outs = []
    for shift in (0, 1 << 40):
        view = PopulationView(people=people.assign(person_id=people["person_id"].to_numpy() + shift),
                              events=EventArrays.empty().frame(), ties=empty_ties(), horizon_months=month + 1)
        outs.append(states(scorer, score_checked(scorer, view, as_of=month)))
    a, b = outs
    return not (np.array_equal(a.score, b.score, equal_nan=True) and np.array_equal(a.tier, b.tier)
                and np.array_equal(a.sanctions, b.sanctions))


def _inversions(count, kind, dose, prof, idle, labels, spec) -> tuple[Inversion, ...]:
    """Lighter conduct (a lighter gravity class, or fewer records) imposing more sanctions than graver conduct."""
    rank = {e.kind: GRAVITY_CLASSES.index(e.gravity) for e in spec.events}
    table: dict[tuple[int, int, int], int] = {}
    for p in np.flatnonzero(idle & (kind >= 0)):
        table[(int(prof[p]), int(kind[p]), int(dose[p]))] = int(count[p])
    found: dict[tuple[str, str], Inversion] = {}
    for (pr, k, d), c in table.items():
        if c == 0:
            continue
        ka = EVENT_KINDS[k]
        for (pr2, k2, d2), c2 in table.items():
            if pr2 != pr or c2 >= c:
                continue
            kb = EVENT_KINDS[k2]
            if d2 == d and rank[ka] < rank[kb]:
                basis = "gravity"
            elif k2 == k and d2 > d:
                basis = "dose"
            else:
                continue
            found.setdefault((f"{ka} x{d}", f"{kb} x{d2}"), Inversion(
                lighter=f"{ka} x{d}", graver=f"{kb} x{d2}", lighter_sanctions=c, graver_sanctions=c2,
                profile=labels[pr], basis=basis))
    return tuple(found.values())
