"""Which rule drives a gap: re-score with a rule's events removed.

A scorer's *rules* are, for this purpose, the event kinds it responds to.
The contribution of a rule to the gap in favourable rate between two groups
is measured by replay: the same people are scored again with that rule's
events removed (every scorer is a fold over recorded events, so "never had
the event" is a valid input).

Method
------
- **Which rules.** The kinds whose removal changes any score, tier or
  sanction of a fixed probe population (the ``tiny`` spec, whose misconduct
  rates are raised so every rule fires in a few hundred people). The probe
  depends on the scorer alone, so every chunk of a run evaluates the same
  coalitions and the per-chunk counts merge exactly. Assumption: a kind that
  changes nothing on the probe changes nothing anywhere; whatever the
  listed rules do not explain stays in ``gap_without_rules``.
- **Coalitions.** With ``m <= 6`` rules, all ``2**m`` subsets of active rules
  are scored and each rule's Shapley value on the gap is exact. With more,
  each rule's leave-one-out effect is reported (gap with every rule minus gap
  without this one; ``m + 2`` replays), or — when ``permutation_pairs > 0`` —
  a Shapley value averaged over a fixed, seeded set of antithetic
  permutations (unbiased, and still summing exactly to the total). The
  leave-one-out effect is reported for every rule in every method.
- **Who.** People whose person-id hash (:func:`audit.randomness.person_uniform`)
  falls under ``sample / population size`` — the same people whatever the
  chunking; the sample size is reported. A sampled person without any event
  of a rule keeps their outcome in every coalition and is not replayed,
  unless the scorer reads ties; then the sample's friends are scored
  alongside them. The replay of the unchanged log must reproduce the run's
  own outcomes for the sample, or the whole chunk is replayed instead.

The gap is linear in group rates, so a rule's Shapley value on the gap is
the difference of its Shapley values on the two groups' rates, computed from
per-cell counts of favourable (and sanctioned) people per coalition.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from audit.aggregate import Counts
from audit.disparity.group_stats import group_axis, rate
from audit.engine.contract import ScoredChunk, favourable_mask, sanctioned_mask, score_checked
from audit.errors import AuditError
from audit.output.artefacts import finite_or_none as _num
from audit.population.model import Population, PopulationView, rows_with_ids
from audit.replay.pool import chunk_sample
from audit.vocab import EVENT_KINDS
from scorers.protocol import scorer_tags

__all__ = [
    "AttributionPlan",
    "plan_for",
    "make_plan",
    "attribution_section",
    "driver",
    "DRIVER_SHARE",
    "sample_rate",
    "probe_rules",
    "attribution_rows",
    "collect_attribution",
    "shapley_values",
    "leave_one_out",
    "EXACT_MAX_RULES",
    "PERMUTATION_PAIRS",
    "DEFAULT_SAMPLE",
]

#: Exact Shapley values up to this many rules (2**6 = 64 replays per chunk).
EXACT_MAX_RULES = 6
#: Antithetic permutation pairs for more rules when permutations are asked
#: for (0 = leave-one-out; 4 pairs = 8 permutations, about ``8 * m`` replays).
PERMUTATION_PAIRS = 0
#: People re-scored per run (assumption: enough that a two-group gap of a few
#: points is resolved by paired replays; cost is bounded whatever the
#: population size).
DEFAULT_SAMPLE = 10_000
#: The probe population that decides which kinds are rules.
PROBE_SPEC, PROBE_SIZE, PROBE_SEED = "tiny", 2_000, 0

_STREAM = "disparity-attribution"


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributionPlan:
    """The rules of one scorer and the coalitions every chunk replays."""

    rules: tuple[str, ...]
    """Event kinds that move the scorer's output on the probe, in vocabulary order."""
    method: str
    """``shapley-exact``, ``shapley-permutations``, ``leave-one-out`` or ``none`` (no rules, or the probe failed)."""
    masks: tuple[int, ...]
    """Coalitions replayed, as bitmasks of *active* rules (bit ``i`` = ``rules[i]`` kept), sorted."""
    permutations: tuple[tuple[int, ...], ...] = ()
    """Rule orders averaged over by ``shapley-permutations``."""
    error: str | None = None
    """Why there is no attribution, when the probe failed."""

    @property
    def full(self) -> int:
        """The mask with every rule active (the scorer as it is)."""
        return (1 << len(self.rules)) - 1

    def index(self, mask: int) -> int:
        return self.masks.index(mask)


_PROBE: list[Population] = []
_PLANS: dict[tuple[Any, int, int], tuple[Any, AttributionPlan]] = {}


def _probe_population() -> Population:
    if not _PROBE:
        from audit.population.model import synthesize

        _PROBE.append(synthesize(PROBE_SPEC, size=PROBE_SIZE, seed=PROBE_SEED))
    return _PROBE[0]


def _frames_differ(scorer: Any, a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if not np.array_equal(a["score"].to_numpy(), b["score"].to_numpy()):
        return True
    if not np.array_equal(a["tier"].cat.codes.to_numpy(), b["tier"].cat.codes.to_numpy()):
        return True
    return any(not np.array_equal(a[s].to_numpy(), b[s].to_numpy()) for s in scorer.sanctions)


def probe_rules(scorer: Any) -> tuple[str, ...]:
    """Event kinds whose removal changes the scorer's output on the probe population."""
    probe = _probe_population()
    as_of = probe.horizon_months - 1
    base = score_checked(scorer, probe.view(), as_of=as_of)
    kinds = probe.events["kind"].cat.codes.to_numpy()
    rules = []
    for code, kind in enumerate(EVENT_KINDS):
        present = kinds == code
        if not present.any():
            continue
        frame = score_checked(scorer, probe.view(probe.events[~present]), as_of=as_of)
        if _frames_differ(scorer, base, frame):
            rules.append(kind)
    return tuple(rules)


def plan_for(scorer: Any, *, seed: int, permutation_pairs: int = PERMUTATION_PAIRS) -> AttributionPlan:
    """The attribution plan of a scorer (depends only on the scorer, the seed and the method).

    Cached per scorer: by value for scorers that define equality (such as
    :class:`scorers.base.ScorerBase`, equal when class and params are), else
    per object — a scorer's behaviour need not show in its ``params``. The
    cache holds the scorer, so an object's id is never reused while cached.
    """
    by_value = type(scorer).__eq__ is not object.__eq__ and type(scorer).__hash__ is not None
    key = (scorer if by_value else id(scorer), int(seed), int(permutation_pairs))
    hit = _PLANS.get(key)
    if hit is not None and (by_value or hit[0] is scorer):
        return hit[1]
    try:
        plan = make_plan(probe_rules(scorer), seed=seed, permutation_pairs=permutation_pairs)
    except AuditError as exc:
        plan = AttributionPlan(rules=(), method="none", masks=(), error=f"probe failed: {exc}")
    _PLANS[key] = (scorer, plan)
    return plan


def make_plan(rules: tuple[str, ...], *, seed: int, permutation_pairs: int = PERMUTATION_PAIRS) -> AttributionPlan:
    """The coalitions to replay for ``rules`` (see the module docstring)."""
    m = len(rules)
    full = (1 << m) - 1
    if m == 0:
        return AttributionPlan(rules=(), method="none", masks=())
    if m <= EXACT_MAX_RULES:
        return AttributionPlan(rules=rules, method="shapley-exact", masks=tuple(range(full + 1)))
    loo = {0, full} | {full ^ (1 << k) for k in range(m)}
    if permutation_pairs <= 0:
        return AttributionPlan(rules=rules, method="leave-one-out", masks=tuple(sorted(loo)))
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0xA77B])))
    perms: list[tuple[int, ...]] = []
    for _ in range(permutation_pairs):
        p = tuple(int(i) for i in rng.permutation(m))
        perms += [p, p[::-1]]
    masks = set(loo)
    for p in perms:
        mask = 0
        for k in p:
            mask |= 1 << k
            masks.add(mask)
    return AttributionPlan(rules=rules, method="shapley-permutations", masks=tuple(sorted(masks)), permutations=tuple(perms))


def sample_rate(target: int, population_size: int) -> float:
    """Share of people re-scored: ``target / population_size`` capped at 1 (everyone when the size is unknown)."""
    if population_size <= 0 or target >= population_size:
        return 1.0
    return target / population_size


def attribution_rows(chunk: ScoredChunk, *, sample: int) -> np.ndarray:
    """Rows of ``chunk`` re-scored for attribution (a hash sample; a pooled chunk's marked rows)."""
    return chunk_sample(chunk, _STREAM, sample_rate(sample, chunk.options.population_size))


def collect_attribution(chunk: ScoredChunk, plan: AttributionPlan, *, sample: int) -> dict[str, Counts]:
    """Per-cell counts of sampled, favourable and sanctioned people under each coalition."""
    n_cells = chunk.layout.n_cells
    k = len(plan.masks)
    picked = attribution_rows(chunk, sample=sample)
    cells = chunk.cells[picked]
    base_fav = chunk.favourable[picked]
    base_adv = chunk.sanctioned[picked]
    fav = np.tile(np.bincount(cells[base_fav], minlength=n_cells).astype(np.int64), (k, 1))
    adv = np.tile(np.bincount(cells[base_adv], minlength=n_cells).astype(np.int64), (k, 1))
    if k and picked.size:
        for i, (at, f, a) in enumerate(_replay(chunk, plan, picked)):
            c = cells[at]
            # replace the replayed people's baseline outcome by their outcome in this coalition
            fav[i] += np.bincount(c[f], minlength=n_cells) - np.bincount(c[base_fav[at]], minlength=n_cells)
            adv[i] += np.bincount(c[a], minlength=n_cells) - np.bincount(c[base_adv[at]], minlength=n_cells)
    sample_n = np.bincount(cells, minlength=n_cells).astype(np.int64)
    return {"sample_n": Counts(sample_n), "favourable": Counts(fav), "adverse": Counts(adv)}


def _replay(chunk: ScoredChunk, plan: AttributionPlan, picked: np.ndarray):
    """Yield ``(at, favourable, sanctioned)`` for each coalition in ``plan.masks`` order.

    ``at`` indexes ``picked``: the people replayed (the others keep their
    outcome in every coalition).
    """
    scorer = chunk.scorer
    pop = chunk.population
    ids = pop.people["person_id"].to_numpy()
    rule_codes = np.array([EVENT_KINDS.index(r) for r in plan.rules], dtype=np.int64)
    uses_ties = scorer_tags(scorer).uses_ties and len(chunk.view.ties) > 0
    if uses_ties:
        at = np.arange(picked.size)
    else:
        ev = chunk.view.events
        ev_ids = ev["person_id"].to_numpy()
        mine = rows_with_ids(ev_ids, ids[picked])  # the sample's events only: a binary search, not a scan
        with_rule = ev_ids[mine][np.isin(_codes(ev.iloc[mine]), rule_codes)]
        at = np.flatnonzero(np.isin(ids[picked], with_rule))
    if at.size == 0:
        return
    rows = picked[at]
    involved = np.zeros(ids.size, dtype=bool)
    involved[rows] = True
    if uses_ties:
        ties = chunk.view.ties
        involved[rows_with_ids(ids, ties["friend_id"].to_numpy()[rows_with_ids(ties["person_id"].to_numpy(), ids[rows])])] = True
    view, codes = _local_view(chunk, involved)
    pos = np.searchsorted(np.flatnonzero(involved), rows)
    base = score_checked(scorer, view, as_of=chunk.as_of)
    if _frames_differ(scorer, chunk.frame.iloc[rows].reset_index(drop=True), base.iloc[pos].reset_index(drop=True)):
        # the scorer reads beyond a person and their friends: replay everyone in the chunk
        at = np.arange(picked.size)
        view, codes = _local_view(chunk, np.ones(ids.size, dtype=bool))
        pos = picked
    for mask in plan.masks:
        removed = rule_codes[[(mask >> i) & 1 == 0 for i in range(len(plan.rules))]]
        if removed.size:
            keep = ~np.isin(codes, removed)
            v = PopulationView(people=view.people, events=view.events[keep], ties=view.ties, horizon_months=view.horizon_months)
        else:
            v = view
        frame = score_checked(scorer, v, as_of=chunk.as_of)
        yield at, favourable_mask(scorer, frame)[pos], sanctioned_mask(scorer, frame)[pos]


def _codes(events: pd.DataFrame) -> np.ndarray:
    kind = events["kind"]
    if isinstance(kind.dtype, pd.CategoricalDtype) and tuple(kind.cat.categories) == EVENT_KINDS:
        return kind.cat.codes.to_numpy().astype(np.int64)
    return pd.Categorical(kind.astype(object), categories=list(EVENT_KINDS)).codes.astype(np.int64)


def _local_view(chunk: ScoredChunk, involved: np.ndarray) -> tuple[PopulationView, np.ndarray]:
    """The scorer's view restricted to ``involved`` people, and the kind code of each of its events."""
    view = chunk.view
    if involved.all():
        people, events, ties = view.people, view.events, view.ties
    else:
        inv_ids = chunk.population.people["person_id"].to_numpy()[involved]
        people = view.people[involved]
        events = view.events.iloc[rows_with_ids(view.events["person_id"].to_numpy(), inv_ids)]
        ties = view.ties.iloc[rows_with_ids(view.ties["person_id"].to_numpy(), inv_ids)] if len(view.ties) else view.ties
    local = PopulationView(people=people, events=events, ties=ties, horizon_months=view.horizon_months)
    return local, _codes(events)


# ----------------------------------------------------------------------------- finalize


def shapley_values(plan: AttributionPlan, value: Mapping[int, float]) -> np.ndarray:
    """Each rule's Shapley value of the game ``value[mask of active rules]``.

    Exact over all subsets for ``shapley-exact``; the mean marginal
    contribution over ``plan.permutations`` for ``shapley-permutations``.
    Either way the values sum to ``value[full] - value[0]``.
    """
    m = len(plan.rules)
    phi = np.zeros(m)
    if plan.method == "shapley-exact":
        for k in range(m):
            bit = 1 << k
            for s in range(1 << m):
                if s & bit:
                    continue
                size = bin(s).count("1")
                w = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
                phi[k] += w * (value[s | bit] - value[s])
        return phi
    for p in plan.permutations:
        mask = 0
        for k in p:
            phi[k] += value[mask | (1 << k)] - value[mask]
            mask |= 1 << k
    return phi / max(len(plan.permutations), 1)


def leave_one_out(plan: AttributionPlan, value: Mapping[int, float]) -> np.ndarray:
    """``value[full] - value[full without rule k]`` for each rule."""
    full = plan.full
    return np.array([value[full] - value[full ^ (1 << k)] for k in range(len(plan.rules))])


# ----------------------------------------------------------------------------- report


def _gap_attribution(plan: AttributionPlan, yes: np.ndarray, n: np.ndarray, high: int, low: int) -> dict[str, Any]:
    """Each rule's effect on the gap ``rate[high] - rate[low]`` from per-coalition group counts."""
    r = rate(yes, n[None, :])  # (masks, G)
    gap = r[:, high] - r[:, low]
    value = {mask: float(gap[i]) for i, mask in enumerate(plan.masks)}
    loo = leave_one_out(plan, value)
    phi = shapley_values(plan, value) if plan.method.startswith("shapley") else loo
    total = value[plan.full]
    ok = np.isfinite(total) and total > 0
    rules = {}
    for k, rule in enumerate(plan.rules):
        rules[rule] = {
            "effect": _num(phi[k]),
            "share_of_gap": _num(phi[k] / total) if ok else None,
            "leave_one_out": _num(loo[k]),
            "leave_one_out_share": _num(loo[k] / total) if ok else None,
        }
    top = None
    if ok and np.isfinite(phi).all() and phi.size and phi.max() > 0:
        top = plan.rules[int(np.argmax(phi))]
    return {
        "gap": _num(total),
        "gap_without_rules": _num(value[0]),
        "sample_n": [int(n[high]), int(n[low])],
        "rules": rules,
        "driver": top,
    }


def attribution_section(merged, plan: AttributionPlan, layout, views, info, sample_target: int) -> dict[str, Any]:
    """The ``attribution`` part of the disparity section.

    ``info[view.key]`` holds the group indices the gaps are taken between
    (``best``/``worst`` for the favourable gap, ``most``/``least`` for the
    adverse gap), from the whole population's point estimates.
    """
    sample_n = merged["sample_n"].array
    out: dict[str, Any] = {
        "method": plan.method,
        "rules": list(plan.rules),
        "coalitions": len(plan.masks),
        "permutations": len(plan.permutations),
        "sample_size": int(sample_n.sum()),
        "sample_target": int(sample_target),
        "note": (
            "each rule's contribution to the gap between two groups, measured by re-scoring a person-hash sample "
            "with rules' events removed; effect = the rule's Shapley value on the gap (shapley-*: effects sum to "
            "gap - gap_without_rules) or, for leave-one-out, the gap minus the gap without that rule; "
            "share_of_gap = effect / gap"
        ),
        "by_attribute": {},
        "by_rule": {},
    }
    if plan.error:
        out["error"] = plan.error
    if not plan.rules:
        return out
    for view in views:
        i = info[view.key]
        g_n = group_axis(sample_n, layout, view.keep)
        entry: dict[str, Any] = {}
        if i["best"] is not None and i["worst"] is not None and i["best"] != i["worst"]:
            fav = group_axis(merged["favourable"].array, layout, view.keep)
            entry["favourable"] = {
                "groups": [_group_label(view, i["best"]), _group_label(view, i["worst"])],
                **_gap_attribution(plan, fav, g_n, i["best"], i["worst"]),
            }
        if i["most"] is not None and i["least"] is not None and i["most"] != i["least"]:
            adv = group_axis(merged["adverse"].array, layout, view.keep)
            entry["adverse"] = {
                "groups": [_group_label(view, i["most"]), _group_label(view, i["least"])],
                **_gap_attribution(plan, adv, g_n, i["most"], i["least"]),
            }
        out["by_attribute"][view.key] = entry
    for rule in plan.rules:
        out["by_rule"][rule] = {
            key: entry["favourable"]["rules"][rule]["share_of_gap"] if "favourable" in entry else None
            for key, entry in out["by_attribute"].items()
            if key in ("income_quintile", "education")
        }
    return out


#: Share of a gap one rule must explain to be called the rule driving it ("most of it").
DRIVER_SHARE = 0.5


def driver(attribution: dict[str, Any] | None, key: str) -> dict[str, Any]:
    """The rule driving the favourable gap of one attribute — only when it explains most of it — or why there is none.

    A rule drives the gap when its effect is at least ``DRIVER_SHARE`` of the
    gap. Otherwise ``rule`` is ``None`` and ``reason`` says that no rule does,
    how much the largest explains and how much of the gap remains with every
    rule's events removed (``gap_without_rules``: the score reads something
    other than conduct, such as income directly). ``share_note`` explains a
    share over 100% (other rules narrow the gap) or under 0 (the rule narrows
    it).
    """
    if attribution is None:
        return {"rule": None, "share_of_gap": None, "method": None, "reason": "attribution not run"}
    base = {"method": attribution["method"], "sample_size": attribution["sample_size"]}
    fav = attribution.get("by_attribute", {}).get(key, {}).get("favourable")
    if fav is None:
        reason = attribution.get("error") or ("the scorer has no rules over events" if not attribution["rules"] else "no gap between eligible groups")
        return {"rule": None, "share_of_gap": None, **base, "reason": reason}
    largest = fav["driver"]
    share = fav["rules"][largest]["share_of_gap"] if largest else None
    gap, without = fav["gap"], fav["gap_without_rules"]
    remains = without / gap if gap and without is not None and gap > 0 else None
    out: dict[str, Any] = {
        "rule": None, "share_of_gap": None, "effect": None, "largest_rule": largest, "largest_share": share,
        "remaining_share": remains, "groups": fav["groups"], "gap": gap, "gap_without_rules": without, **base,
    }
    if largest and share is not None and share >= DRIVER_SHARE:
        out.update(rule=largest, share_of_gap=share, effect=fav["rules"][largest]["effect"])
    else:
        out["reason"] = _no_driver_reason(largest, share, remains)
    note = _share_note(share)
    if note:
        out["share_note"] = note
    return out


def _no_driver_reason(largest: str | None, share: float | None, remains: float | None) -> str:
    text = f"no rule explains most of the gap (at least {DRIVER_SHARE:.0%})"
    if largest and share is not None:
        text += f"; the largest, {largest}, explains {share:.0%}"
    else:
        text += "; no rule widens it in the replay sample"
    if remains is not None:
        text += f"; with every rule's events removed {remains:.0%} of the gap remains"
        if remains >= DRIVER_SHARE:
            text += " (the score reads something other than recorded conduct, such as income or education directly)"
    return text


def _share_note(share: float | None) -> str | None:
    if share is None:
        return None
    if share > 1:
        return "a share over 100%: other rules narrow the gap, so this rule alone would make it wider than it is"
    if share < 0:
        return "a negative share: this rule narrows the gap"
    return None


def _group_label(view, i: int) -> Any:
    return view.display(view.labels[i])
