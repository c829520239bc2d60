"""``published.json``: differentially private figures from a run, with a budget ledger.

A release has three steps, in this order:

1. **Plan** (:func:`plan_release`): sum the run's exact per-cell counts to the
   published tables over public categories (numpy), fix the split of ε over
   scorers and queries, and build one OpenDP measurement per table with its
   sensitivity stated. Nothing noisy exists yet.
2. **Charge**: the ledger pays for every measurement at once, or refuses the
   whole release with :class:`~audit.errors.BudgetExceeded`.
3. **Measure and post-process** (:func:`release`): call each measurement once;
   every published figure is then computed from the noisy outputs only
   (rates, means, impact ratios, margins, non-negative versions) and carries
   its 95% interval and the ledger entries it came from.

:func:`write_published` writes the document atomically; a refused release
writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audit.errors import InvalidArgument
from audit.groups import UNKNOWN
from audit.io import atomic_write_json, to_jsonable
from audit.privacy.context import (
    ALPHA,
    MECHANISM,
    CountMeasurement,
    count_half_width,
    count_measurement,
    opendp_version,
)
from audit.privacy.figures import (
    Estimate,
    NoisyTable,
    figure,
    figures,
    half_widths,
    nonnegative_counts,
    ratio,
)
from audit.privacy.ledger import Charge, LedgerEntry, PrivacyLedger, default_ledger_path
from audit.privacy.queries import (
    APPEAL_COUNTS,
    APPEALS_PER_PERSON,
    QUERY_WEIGHTS,
    ExactTable,
    ScoreBounds,
    budget_split,
    exact_tables,
    public_labels,
    score_bounds_for,
)

__all__ = [
    "PRIVACY_UNIT",
    "SCHEMA_VERSION",
    "PlannedQuery",
    "Release",
    "ReleasePlan",
    "open_ledger",
    "plan_release",
    "publish",
    "release",
    "write_published",
]

SCHEMA_VERSION = 1

#: The privacy unit, as recorded in published.json.
PRIVACY_UNIT = ("one person, with all their records (events, appeals): neighbouring datasets differ by adding or "
                "removing one person")
#: Groups under this share of people are excluded from impact ratios (NYC LL144; as in the disparity audit).
MIN_SHARE = 0.02
#: EEOC four-fifths rule, 29 CFR 1607.4(D).
FOUR_FIFTHS = 0.8


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedQuery:
    """One table of one scorer, with the measurement that will release it."""

    scorer: str
    table: ExactTable
    measurement: CountMeasurement

    def charge(self) -> Charge:
        m = self.measurement
        return Charge(query=self.table.query, scorer=self.scorer, mechanism=MECHANISM, scale=m.scale,
                      sensitivity=m.sensitivity, epsilon=m.epsilon, delta=0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleasePlan:
    """Everything fixed before any noise is drawn."""

    epsilon: float
    """ε the release may spend (the sum of the charges is at most this)."""
    delta: float
    """δ allowed (the Laplace measurements spend none)."""
    split: dict[str, dict[str, float]]
    """Scorer label -> query -> ε allotted."""
    queries: tuple[PlannedQuery, ...]
    bounds: dict[str, ScoreBounds | None]
    """Scorer label -> public score bounds used (``None``: no mean score or histogram)."""

    @property
    def charges(self) -> list[Charge]:
        return [q.charge() for q in self.queries]

    @property
    def cost(self) -> float:
        """Sum of what each measurement's privacy map reports."""
        return float(sum(q.measurement.epsilon for q in self.queries))


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    """A finished release: the document and the ledger entries it cites."""

    document: dict[str, Any]
    """published.json, ready to write."""
    entries: tuple[LedgerEntry, ...]
    """Entries this release added to the ledger."""
    plan: ReleasePlan


def plan_release(result: Any, *, epsilon: float, delta: float = 0.0,
                 score_bounds: Mapping[str, tuple[float, float]] | None = None) -> ReleasePlan:
    """Sum exact tables and build the measurements of a release of ``result`` costing ``epsilon``.

    ``score_bounds`` maps a scorer label or name to public ``(lo, hi)`` bounds.
    """
    if not (isinstance(epsilon, (int, float)) and np.isfinite(epsilon) and epsilon > 0):
        raise InvalidArgument(f"--epsilon {epsilon!r}: give a finite number > 0 (e.g. --epsilon 1)")
    if not (isinstance(delta, (int, float)) and np.isfinite(delta) and 0 <= delta < 1):
        raise InvalidArgument(f"--delta {delta!r}: give a number in [0, 1) (e.g. --delta 1e-9)")
    score_bounds = dict(score_bounds or {})
    ok = [r for r in result.runs if r.error is None]
    tables: dict[str, list[ExactTable]] = {}
    bounds: dict[str, ScoreBounds | None] = {}
    for r in ok:
        override = score_bounds.get(r.label, score_bounds.get(str(r.scorer.name)))
        bounds[r.label] = score_bounds_for(r.scorer, override)
        tables[r.label] = exact_tables(r.scorer, r.aggregates, result.layout, bounds[r.label])
    split = budget_split(float(epsilon), [r.label for r in ok], {k: [t.query for t in v] for k, v in tables.items()})
    planned = []
    for label, ts in tables.items():
        for t in ts:
            m = count_measurement(sensitivity=t.sensitivity, epsilon=split[label][t.query])
            planned.append(PlannedQuery(scorer=label, table=t, measurement=m))
    return ReleasePlan(epsilon=float(epsilon), delta=float(delta), split=split, queries=tuple(planned), bounds=bounds)


def open_ledger(result: Any, *, epsilon: float, delta: float = 0.0, budget: float | None = None,
                ledger_dir: str | Path | None = None) -> PrivacyLedger:
    """The ledger a release of ``result`` is charged to.

    Supplied populations: the persisted ledger of their fingerprint in
    ``ledger_dir/ledger.sqlite`` (default ``~/.scs-audit/ledger.sqlite``); the
    dataset's total budget is ``budget``, or what is stored, or ``epsilon`` for
    a new dataset. Synthetic populations: a fresh in-memory ledger with budget
    ``budget`` (default ``epsilon``).
    """
    pop = result.population
    if pop.get("synthetic", True):
        return PrivacyLedger.in_memory(fingerprint=str(pop["fingerprint"]),
                                       budget_epsilon=epsilon if budget is None else budget, budget_delta=delta)
    path = default_ledger_path() if ledger_dir is None else Path(ledger_dir) / "ledger.sqlite"
    return PrivacyLedger.open(path, fingerprint=str(pop["fingerprint"]), budget_epsilon=budget, budget_delta=delta,
                              default_epsilon=epsilon)


def release(result: Any, ledger: PrivacyLedger, *, epsilon: float, delta: float = 0.0,
            score_bounds: Mapping[str, tuple[float, float]] | None = None, created: str | None = None) -> Release:
    """Charge ``ledger`` for a release of ``result`` and build published.json.

    Raises
    ------
    BudgetExceeded
        When the ledger cannot pay; nothing is measured and nothing recorded.
    """
    plan = plan_release(result, epsilon=epsilon, delta=delta, score_bounds=score_bounds)
    entries = ledger.charge(plan.charges)  # all or nothing, before any noise is drawn
    noisy: dict[str, dict[str, NoisyTable]] = {}
    for q, entry in zip(plan.queries, entries):
        values = q.measurement(q.table.values.reshape(-1)).reshape(q.table.values.shape)
        noisy.setdefault(q.scorer, {})[q.table.query] = NoisyTable(
            query=q.table.query, entry=entry.id, values=values, scale=q.measurement.scale,
            sensitivity=q.measurement.sensitivity)
    scorers = []
    for r in result.runs:
        if r.error is not None:
            scorers.append({**_meta(r), "status": "failed", "error": "scorer failed; nothing published"})
            continue
        tables = {t.query: t for t in (q.table for q in plan.queries if q.scorer == r.label)}
        scorers.append(_scorer_section(r, tables, noisy[r.label], plan, result.options))
    doc = _document(result, ledger, plan, entries, scorers, created)
    return Release(document=to_jsonable(doc), entries=tuple(entries), plan=plan)


def publish(result: Any, out_dir: str | Path, *, epsilon: float, delta: float = 0.0, budget: float | None = None,
            ledger_dir: str | Path | None = None, ledger: PrivacyLedger | None = None,
            score_bounds: Mapping[str, tuple[float, float]] | None = None) -> Path:
    """Release ``result`` and write ``out_dir/published.json`` atomically; return its path.

    A refused release (:class:`~audit.errors.BudgetExceeded`) writes nothing.
    """
    ledger = ledger or open_ledger(result, epsilon=epsilon, delta=delta, budget=budget, ledger_dir=ledger_dir)
    rel = release(result, ledger, epsilon=epsilon, delta=delta, score_bounds=score_bounds)
    return write_published(rel.document, out_dir)


def write_published(document: Mapping[str, Any], out_dir: str | Path) -> Path:
    """Write published.json atomically into ``out_dir``."""
    return atomic_write_json(Path(out_dir) / "published.json", document)


# -- the document ------------------------------------------------------------------------


def _meta(r: Any) -> dict[str, Any]:
    s = r.scorer
    version = str(getattr(s, "version", ""))
    return {
        "label": r.label,
        "name": str(s.name),
        "version": version,
        "scorer": f"{s.name}@{version}",
        "params": dict(getattr(s, "params", {}) or {}),
        "tiers": list(s.tiers),
        "favourable_tiers": [t for t in s.tiers if t in s.favourable_tiers],
    }


def _population(result: Any, ledger: PrivacyLedger) -> dict[str, Any]:
    pop = result.population
    if pop.get("synthetic", True):
        return {"name": pop.get("name"), "synthetic": True, "size": pop.get("size"), "seed": pop.get("seed"),
                "fingerprint": pop.get("fingerprint"), "spec_fingerprint": pop.get("spec_fingerprint")}
    return {
        "name": pop.get("name"),
        "synthetic": False,
        "size": None,
        "seed": None,
        "fingerprint": None,
        "dataset_id": ledger.dataset_id,
        "withheld": ("the exact size and the data's fingerprint are private (a hash of the data would let someone "
                     "who knows all but one record test guesses about the last); the noisy number of people is "
                     "each scorer's groups.total, and dataset_id is a random id the ledger gave this dataset"),
    }


def _document(result: Any, ledger: PrivacyLedger, plan: ReleasePlan, entries: Sequence[LedgerEntry],
              scorers: list[dict[str, Any]], created: str | None) -> dict[str, Any]:
    from audit.results import package_version

    contributions: dict[str, dict[str, Any]] = {}
    for q in plan.queries:
        contributions.setdefault(q.table.query, {"sensitivity": q.measurement.sensitivity, "bound": q.table.bound,
                                                 "unit": q.table.unit})
    this = {e.id for e in entries}
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "scs-audit published statistics (differentially private)",
        "private": False,
        "package_version": package_version(),
        "opendp_version": opendp_version(),
        "created": created or result.started,
        "population": _population(result, ledger),
        "privacy": {
            "definition": "pure epsilon-differential privacy (every measurement is a discrete Laplace mechanism; "
                          "delta spent is 0)",
            "unit": PRIVACY_UNIT,
            "epsilon": plan.epsilon,
            "delta": plan.delta,
            "epsilon_spent": float(sum(e.epsilon for e in entries)),
            "delta_spent": float(sum(e.delta for e in entries)),
            "split": {
                "rule": "epsilon divided equally among scorers, then among each scorer's queries by weight",
                "weights": dict(QUERY_WEIGHTS),
                "by_scorer": plan.split,
            },
            "contribution_bounds": {**contributions, "appeals_per_person": APPEALS_PER_PERSON},
            "budget": {
                "persistent": ledger.persistent,
                "total_epsilon": ledger.budget_epsilon,
                "total_delta": ledger.budget_delta,
                "spent_epsilon": ledger.spent_epsilon,
                "remaining_epsilon": ledger.remaining_epsilon,
                "history": list(ledger.budget_history),
            },
            "intervals": ("every ci95 is a per-figure 95% interval: each covers its own true value with probability "
                          "0.95, not all at once. A table's 'simultaneous' block gives Bonferroni half-widths that "
                          "cover all its figures at once with probability at least 0.95. Single noisy counts use "
                          "OpenDP's discrete_laplacian_scale_to_accuracy; derived figures (rates, means, margins, "
                          "ratios) a delta-method, Cornish-Fisher interval from the exact noise variance and "
                          "kurtosis."),
            "signed_and_nonnegative": ("'signed' counts are the raw OpenDP outputs: unbiased, may be negative. "
                                       "'nonnegative' counts are post-processed: the closest non-negative integers "
                                       "with the same total, so margins add up; slightly biased for small cells. "
                                       "Their ci95 is the signed figure's interval clipped at 0 and widened to include the value (so it still covers the "
                                       "true count with at least 95% probability)."),
            "protected": ("every person's presence and records: no published figure depends much on any one person"),
            "not_protected": ("results.json and scores.parquet are exact and private: never share them. Group-level "
                              "facts (e.g. that a group's rate is low) are what the release is for and are not "
                              "hidden; the scorers, their parameters and the population spec are public."),
        },
        "ledger": [e.as_dict() | {"this_release": e.id in this} for e in ledger.entries],
        "scorers": scorers,
    }


# -- one scorer ----------------------------------------------------------------------------


def _scorer_section(r: Any, tables: Mapping[str, ExactTable], noisy: Mapping[str, NoisyTable], plan: ReleasePlan,
                    options: Any) -> dict[str, Any]:
    scales = {t.entry: t.scale for t in noisy.values()}
    scorer = r.scorer
    tiers = list(scorer.tiers)
    fav = np.array([t in scorer.favourable_tiers for t in tiers], dtype=float)
    min_share = float(getattr(options, "min_cell_share", MIN_SHARE))
    out: dict[str, Any] = {**_meta(r), "status": "ok", "epsilon": float(sum(plan.split[r.label].values()))}
    bounds = plan.bounds[r.label]
    out["score_bounds"] = None if bounds is None else {"lo": bounds.lo, "hi": bounds.hi, "source": bounds.source}

    t = noisy["tiers_by_cell"]
    cells = t.estimate()  # (6*5*T,) figures
    n_inc, n_edu, n_t = t.values.shape
    out["tables"] = {name: _table_section(tables[name], noisy[name]) for name in noisy}

    # per-cell n and favourable counts as linear maps of the tier table
    cell_n = cells.linear(np.kron(np.eye(n_inc * n_edu), np.ones((1, n_t))))
    cell_fav = cells.linear(np.kron(np.eye(n_inc * n_edu), fav[None, :]))
    adverse = noisy["adverse_by_cell"].estimate()
    sums = noisy["score_sum_by_cell"].estimate() if "score_sum_by_cell" in noisy else None
    mid = None
    if bounds is not None:
        lo, hi = bounds.hundredths()
        mid = (lo + hi) // 2

    groups: dict[str, Any] = {}
    margin_specs = {
        "income_quintile": (np.kron(np.eye(n_inc), np.ones((1, n_edu))), public_labels("income_quintile")),
        "education": (np.kron(np.ones((1, n_inc)), np.eye(n_edu)), public_labels("education")),
        "income_quintile_x_education": (np.eye(n_inc * n_edu),
                                        [f"{a}|{b}" for a in public_labels("income_quintile")
                                         for b in public_labels("education")]),
    }
    for key, (w, labels) in margin_specs.items():
        groups[key] = _group_section(
            labels=list(labels), n=cell_n.linear(w), fav=cell_fav.linear(w), adverse=adverse.linear(w),
            sums=None if sums is None else sums.linear(w), mid=mid, bounds=bounds, scales=scales, min_share=min_share,
        )
    total = cell_n.linear(np.ones((1, n_inc * n_edu)))
    groups["total"] = figures(total, scales, lower=0.0)[0]
    out["groups"] = groups

    shares = ratio(cells.linear(np.kron(np.ones((1, n_inc * n_edu)), np.eye(n_t))),
                   cells.linear(np.ones((n_t, cells.value.size))))
    share_figs = figures(shares, scales, lower=0.0, upper=1.0)
    out["tier_shares"] = [{"tier": tier, "share": share_figs[i]} for i, tier in enumerate(tiers)]
    out["tier_shares_simultaneous"] = _simultaneous({"share": shares}, scales)
    if "score_histogram" in noisy:
        out["score_histogram"] = _histogram_section(noisy["score_histogram"], tables["score_histogram"], scales)
    if "appeal_counts" in noisy:
        out["appeal"] = _appeal_section(noisy["appeal_counts"], scales)
    return out


def _table_section(exact: ExactTable, t: NoisyTable) -> dict[str, Any]:
    """A measured table: signed counts and the non-negative consistent version, each with intervals."""
    h = count_half_width(t.scale)
    m = t.size
    h_sim = count_half_width(t.scale, alpha=ALPHA / m)
    names = [a for a, _ in exact.axes]
    key = "sum" if exact.query == "score_sum_by_cell" else "count"
    grids = np.meshgrid(*[np.arange(len(labels)) for _, labels in exact.axes], indexing="ij")
    coords = [g.reshape(-1) for g in grids]
    flat = t.values.reshape(-1)
    nonneg = nonnegative_counts(t.values).reshape(-1) if exact.query != "score_sum_by_cell" else None

    def rows(values: np.ndarray, clip: bool) -> list[dict[str, Any]]:
        out = []
        for i in range(m):
            row = {names[a]: exact.axes[a][1][coords[a][i]] for a in range(len(names))}
            lo, hi = float(flat[i]) - h, float(flat[i]) + h
            if clip:  # the signed interval clipped at 0, widened to the value: still covers at least 95%
                lo, hi = max(min(lo, float(values[i])), 0.0), max(hi, float(values[i]))
            row[key] = {"value": int(values[i]), "ci95": [int(lo), int(hi)], "ledger_entries": [t.entry],
                        "derived": clip}
            out.append(row)
        return out

    section: dict[str, Any] = {
        "query": exact.query,
        "ledger_entry": t.entry,
        "axes": {name: list(labels) for name, labels in exact.axes},
        "unit": exact.unit,
        "sensitivity": t.sensitivity,
        "scale": t.scale,
        "ci95_half_width": h,
        "simultaneous": {"method": "Bonferroni", "figures": m, "alpha_per_figure": ALPHA / m, "half_width": h_sim},
        "signed": {"label": "unbiased OpenDP output; may be negative", "rows": rows(flat, False)},
    }
    if nonneg is not None:
        section["nonnegative"] = {
            "label": "post-processed: non-negative integers with the signed total (clipped at 0); margins add up",
            "rows": rows(nonneg, True),
        }
    return section


def _group_section(*, labels: list[Any], n: Estimate, fav: Estimate, adverse: Estimate, sums: Estimate | None,
                   mid: int | None, bounds: ScoreBounds | None, scales: Mapping[str, float],
                   min_share: float) -> dict[str, Any]:
    fav_rate = ratio(fav, n)
    adv_rate = ratio(adverse, n)
    f_n = figures(n, scales, lower=0.0)
    f_f = figures(fav_rate, scales, lower=0.0, upper=1.0)
    f_a = figures(adv_rate, scales, lower=0.0, upper=1.0)
    mean = None
    if sums is not None and bounds is not None and mid is not None:
        mean = ratio(sums, n).plus(float(mid)).times(0.01)
        f_m = figures(mean, scales, lower=bounds.lo, upper=bounds.hi)
    known = np.array([UNKNOWN not in str(lab).split("|") for lab in labels])
    total = float(np.sum(n.value))
    eligible = known & (n.value > 0) & (n.value >= min_share * total) & np.isfinite(fav_rate.value)
    best = int(np.argmax(np.where(eligible, fav_rate.value, -np.inf))) if eligible.any() else None
    impact = None
    if best is not None and fav_rate.value[best] > 0:
        ref = fav_rate.take(np.full(len(labels), best))
        impact = ratio(fav_rate, ref)
        f_i = figures(impact, scales, lower=0.0)
    groups: list[dict[str, Any]] = []
    for i, label in enumerate(labels):
        g: dict[str, Any] = {
            "group": label,
            "n": f_n[i],
            "favourable_rate": f_f[i],
            "adverse_rate": f_a[i],
        }
        if mean is not None:
            g["mean_score"] = f_m[i]
        if impact is not None and eligible[i] and i != best:
            g["impact_ratio"] = f_i[i]
        elif impact is not None and i == best:
            g["impact_ratio"] = figure(1.0, 0.0, f_f[i]["ledger_entries"], derived=True)
        else:
            g["impact_ratio"] = None
        g["excluded_from_ratios"] = bool(not eligible[i])
        groups.append(g)
    ratios = [(g["impact_ratio"]["value"], g) for i, g in enumerate(groups)
              if g["impact_ratio"] and g["impact_ratio"]["value"] is not None and i != best]
    worst = min(ratios, key=lambda x: x[0])[1] if ratios else None
    m = len(labels)
    sim_half_widths = {"favourable_rate": _nan_none(half_widths(fav_rate, scales, alpha=ALPHA / m)),
                       "adverse_rate": _nan_none(half_widths(adv_rate, scales, alpha=ALPHA / m))}
    if mean is not None:
        sim_half_widths["mean_score"] = _nan_none(half_widths(mean, scales, alpha=ALPHA / m))
    sim = {"method": "Bonferroni", "figures": m, "alpha_per_figure": ALPHA / m, "half_widths": sim_half_widths}
    return {
        "groups": groups,
        "reference_group": labels[best] if best is not None else None,
        "min_impact_ratio": worst["impact_ratio"] if worst else None,
        "min_impact_ratio_group": worst["group"] if worst else None,
        "four_fifths_violation": bool(worst is not None and worst["impact_ratio"]["value"] < FOUR_FIFTHS),
        "simultaneous": sim,
    }


def _simultaneous(ests: Mapping[str, Estimate], scales: Mapping[str, float]) -> dict[str, Any]:
    """Bonferroni half-widths (level ``0.05 / m`` for the ``m`` figures of each list)."""
    m = max(len(e) for e in ests.values())
    return {"method": "Bonferroni", "figures": m, "alpha_per_figure": ALPHA / m,
            "half_widths": {k: _nan_none(half_widths(e, scales, alpha=ALPHA / m)) for k, e in ests.items()}}


def _nan_none(x: np.ndarray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in x]


def _histogram_section(t: NoisyTable, exact: ExactTable, scales: Mapping[str, float]) -> dict[str, Any]:
    est = t.estimate()
    n_inc, nb = t.values.shape
    overall = est.linear(np.kron(np.ones((1, n_inc)), np.eye(nb)))
    signed = figures(overall, scales)
    nonneg = nonnegative_counts(t.values).sum(axis=0)
    return {
        "bins": list(exact.axes[1][1]),
        "overall": {
            "signed": signed,
            "nonnegative": [_nonneg_figure(int(nonneg[i]), signed[i]) for i in range(nb)],
        },
        "simultaneous": _simultaneous({"overall": overall}, scales),
        "by_income_quintile": f"see tables.score_histogram (ledger entry {t.entry})",
    }


def _nonneg_figure(value: int, signed: dict[str, Any]) -> dict[str, Any]:
    """A non-negative count with the signed figure's interval clipped at 0 and widened to include it."""
    lo, hi = signed["ci95"]
    return {"value": value, "ci95": [max(min(lo, value), 0.0), max(hi, value)],
            "ledger_entries": signed["ledger_entries"], "derived": True}


def _appeal_section(t: NoisyTable, scales: Mapping[str, float]) -> dict[str, Any]:
    """Appeal figures per income quintile and per education level, from the noisy cell table."""
    est = t.estimate()
    n_inc, n_edu, n_counts = t.values.shape
    out: dict[str, Any] = {}
    sim: dict[str, Any] = {}
    for attr, w in (("income_quintile", np.kron(np.eye(n_inc), np.ones((1, n_edu)))),
                    ("education", np.kron(np.ones((1, n_inc)), np.eye(n_edu)))):
        col = {c: est.linear(np.kron(w, np.eye(n_counts)[j][None, :])) for j, c in enumerate(APPEAL_COUNTS)}
        est_s = ratio(col["succeeded"], col["filed"])
        est_w = ratio(col["wrong_succeeded"], col["wrong_filed"])
        filed = figures(col["filed"], scales, lower=0.0)
        success = figures(est_s, scales, lower=0.0, upper=1.0)
        wrong = figures(est_w, scales, lower=0.0, upper=1.0)
        sim[f"by_{attr}"] = _simultaneous({"filed": col["filed"], "success_rate": est_s,
                                            "success_rate_if_wrong": est_w}, scales)
        out[f"by_{attr}"] = [{"group": label, "filed": filed[i], "success_rate": success[i],
                              "success_rate_if_wrong": wrong[i]} for i, label in enumerate(public_labels(attr))]
    return {**out, "simultaneous": sim, "contribution_bound_k": APPEALS_PER_PERSON,
            "note": ("from the appeal audit's replay sample; counts are appeals, each person's first k; rates are "
                     "noisy successes over noisy filings")}
