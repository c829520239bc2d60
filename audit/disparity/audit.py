"""Disparity audit: who gets the good tiers and who gets sanctioned, by group.

Per chunk it keeps exact counts per cell — tier counts, sanction counts,
score value counts (one ``numpy.bincount`` each on the cell code) — plus,
for synthetic populations, joint (deserved, recorded) outcome counts
(:mod:`audit.disparity.ground_truth`) and, on a hashed sample of people, outcome
counts with rules removed (:mod:`audit.disparity.attribution`). At the end it
reports, for income quintile, education, their intersection and every
``--by`` attribute:

- per group: ``n``, share, tier shares, "tier X or better" rates,
  favourable rate, adverse (sanction) rate — any and per sanction — mean
  and median score, and the NYC LL144 *scoring rate* (share scoring
  strictly above the whole population's median; ties at the median are not
  above it);
- ratios with an explicit direction: favourable and scoring rates against
  the highest eligible group (impact ratio; EEOC four-fifths rule,
  29 CFR 1607.4(D): under 0.8 is generally evidence of adverse impact; NYC
  LL144 impact ratio), adverse rates as relative risk against the least
  sanctioned group;
- fairlearn's vocabulary (``overall``, ``group_min``, ``group_max``,
  ``difference``, ``ratio``) over the groups eligible for ratios;
- 95% intervals: exact Clopper–Pearson for every rate and share (0 of n
  gets an upper bound, never [0, 0]); impact ratios and relative risks from
  :mod:`audit.disparity.ratio_intervals`, which accounts for the reference group being
  chosen on the data and controls multiplicity for the attribute's verdict;
  score statistics (mean, median, scoring rate and its ratio, against the
  point estimate's reference group) from a Poisson bootstrap drawn once from
  the merged counts (:mod:`audit.disparity.bootstrap`); a scoring rate's interval also
  spans its Clopper–Pearson interval given the median, so a rate of 0 of n
  has an upper bound above 0, and the scoring-rate ratio's spans the
  pairwise intervals given the median that account for choosing the
  reference group;
- a four-fifths verdict: "violation" when the whole interval is under 0.8,
  "no violation" when it is all at or above, "inconclusive" (not enough
  evidence) otherwise, and for groups under ``MIN_OBSERVATIONS`` people or a
  reference group with under ``MIN_REFERENCE_EVENTS`` favourable outcomes,
  whose ratios are flagged ``*_unstable`` rather than reported as findings;
- groups under ``min_cell_share`` of people (default 2%, as NYC LL144
  allows) are listed with their counts but ``excluded_from_ratios``; the
  ``unknown`` category is counted in ``unknown_n``, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from audit.aggregate import SCORE_DECIMALS, Counts, ValueCounts, exact_sum_limbs, limbs_to_float
from audit.disparity.attribution import (
    DEFAULT_SAMPLE,
    PERMUTATION_PAIRS,
    AttributionPlan,
    attribution_rows,
    attribution_section,
    collect_attribution,
    driver,
    plan_for,
)
from audit.disparity.bootstrap import PoissonBootstrap, coarsen_values, interval_pair, percentile_interval
from audit.disparity.exact_ranks import ExactValueCounts, bootstrap_table, population_median, rank_figures
from audit.disparity.ground_truth import DEFAULT_TRUTH_SAMPLE, collect_truth, truth_rate, truth_section
from audit.disparity.group_stats import (
    count_above,
    eligible_min,
    fairlearn_summary,
    group_axis,
    pooled_median,
    rate,
    ratio_to_best,
    relative_risk_to_least,
    score_distribution,
)
from audit.disparity.ratio_intervals import RatioIntervals, exact_rate_interval, ratio_intervals
from audit.engine.contract import AuditContext, ScoredChunk
from audit.errors import InvalidArgument
from audit.evidence import MIN_OBSERVATIONS, MIN_REFERENCE_EVENTS
from audit.output.artefacts import finite_or_none as _num
from audit.population.groups import UNKNOWN, CellLayout
from audit.replay.pool import ReplayPool
from scorers.protocol import scorer_tags

__all__ = [
    "DisparityAudit",
    "FOUR_FIFTHS",
    "INTERSECTION",
    "MEDIAN_NOTE",
    "AttributeView",
    "attribute_views",
    "collect_counts",
    "value_counts",
    "verdict",
]

#: EEOC Uniform Guidelines, 29 CFR 1607.4(D).
FOUR_FIFTHS = 0.8

#: Key of the income x education intersection in the section.
INTERSECTION = "income_quintile×education"

MEDIAN_NOTE = (
    "scoring rate (NYC LL144) = share of people scoring strictly above the median score of the whole "
    "population; people whose score equals the median are not above it (scoring_rate_ties_above counts them "
    "as above); medians and scoring rates are exact on the unrounded scores and unchanged when every score is "
    "multiplied by a positive constant (rank_error_bound > 0 only when a very large population of distinct "
    "scores had to be pooled)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributeView:
    """One audited attribute (or intersection) as groups of cells."""

    key: str
    """Key of the attribute's entry in the section."""
    keep: tuple[str, ...]
    """Layout attributes the groups are made of."""
    labels: tuple[tuple[Any, ...], ...]
    """Label tuple of each group, in the C order of :meth:`CellLayout.marginal`."""
    known: tuple[bool, ...]
    """False for groups with an ``unknown`` component."""

    def display(self, label: tuple[Any, ...]) -> Any:
        """The group's label in JSON: the value itself, or a list for an intersection."""
        return label[0] if len(label) == 1 else list(label)


def attribute_views(layout: CellLayout) -> list[AttributeView]:
    """Income quintile, education, their intersection, then each extra attribute."""
    keeps: list[tuple[str, tuple[str, ...]]] = [("income_quintile", ("income_quintile",)), ("education", ("education",))]
    keeps.append((INTERSECTION, ("income_quintile", "education")))
    keeps += [(name, (name,)) for name in layout.names if name not in ("income_quintile", "education")]
    views = []
    for key, keep in keeps:
        labels = tuple(layout.groups(keep))
        views.append(AttributeView(key=key, keep=keep, labels=labels, known=tuple(UNKNOWN not in lab for lab in labels)))
    return views


def value_counts(values: np.ndarray, cells: np.ndarray, n_cells: int, decimals: int = SCORE_DECIMALS) -> ValueCounts:
    """:meth:`ValueCounts.of`, by ``bincount`` when the value range is small (identical result)."""
    values = np.asarray(values, dtype=np.float64)
    scaled = np.rint(values * 10**decimals).astype(np.int64)
    if scaled.size:
        lo = int(scaled.min())
        span = (int(scaled.max()) - lo + 1) * n_cells
        if span <= max(4 * scaled.size, 1 << 16):
            counts = np.bincount((scaled - lo) * n_cells + cells, minlength=span)
            nz = np.flatnonzero(counts)
            limbs = exact_sum_limbs(values, cells, n_cells)
            return ValueCounts(nz.astype(np.int64) + lo * n_cells, counts[nz].astype(np.int64), n_cells, decimals, limbs)
    return ValueCounts.of(values, cells, n_cells, decimals)


def collect_counts(
    *, cells: np.ndarray, n_cells: int, tier: np.ndarray, n_tiers: int, sanctions: np.ndarray, scores: np.ndarray
) -> dict[str, Any]:
    """The per-chunk group statistics: one bincount per table on the cell code.

    ``tier`` holds tier indices (0 = best), ``sanctions`` an ``(n, S)`` bool
    matrix (one column per declared sanction), ``scores`` the scores.
    """
    cells = np.asarray(cells, dtype=np.int64)
    fast = _compiled_counts(cells=cells, n_cells=n_cells, tier=tier, n_tiers=n_tiers, sanctions=sanctions, scores=scores)
    if fast is not None:
        return _with_exact(fast, scores, cells, n_cells)
    tiers = np.bincount(cells * n_tiers + tier, minlength=n_cells * n_tiers).reshape(n_cells, n_tiers)
    per_sanction = np.zeros((n_cells, sanctions.shape[1]), dtype=np.int64)
    for j in range(sanctions.shape[1]):
        per_sanction[:, j] = np.bincount(cells[sanctions[:, j]], minlength=n_cells)
    any_sanction = sanctions.any(axis=1) if sanctions.shape[1] else np.zeros(cells.size, dtype=bool)
    return _with_exact({
        "tiers": Counts(tiers.astype(np.int64)),
        "sanctions": Counts(per_sanction),
        "any_sanction": Counts(np.bincount(cells[any_sanction], minlength=n_cells).astype(np.int64)),
        "scores": value_counts(scores, cells, n_cells),
    }, scores, cells, n_cells)


def _with_exact(out: dict[str, Any], scores: np.ndarray, cells: np.ndarray, n_cells: int) -> dict[str, Any]:
    """Add the exact score counts the rank figures need (:mod:`audit.disparity.exact_ranks`)."""
    rounded = out["scores"]
    out["exact_scores"] = ExactValueCounts.on_grid(scores, cells, n_cells, rounded.keys, rounded.counts, rounded.decimals)
    return out


def _compiled_counts(
    *, cells: np.ndarray, n_cells: int, tier: np.ndarray, n_tiers: int, sanctions: np.ndarray, scores: np.ndarray
) -> dict[str, Any] | None:
    """:func:`collect_counts` in one compiled pass (:mod:`audit.disparity.cell_kernels`); ``None`` where it does not apply.

    It applies when every score is finite and below ``2**31`` and the rounded
    scores, in steps of their greatest common divisor, span a range small
    enough for a dense count (the rule of :func:`value_counts`, which has no
    steps); the tables are identical to the numpy passes'.
    """
    from audit.disparity.cell_kernels import cell_tables, score_range

    values = np.ascontiguousarray(scores, dtype=np.float64)
    if values.size == 0:
        return None
    scale = float(10**SCORE_DECIMALS)
    lo, hi, step, ok = (int(x) for x in score_range(values, scale))
    n_values = (hi - lo) // step + 1
    if not ok or n_values * n_cells > max(4 * values.size, 1 << 16):
        return None
    tiers, per_sanction, any_sanction, counts, limbs = cell_tables(
        cells, np.ascontiguousarray(tier, dtype=np.int64), n_tiers, np.ascontiguousarray(sanctions, dtype=np.bool_),
        values, scale, lo, step, n_values, n_cells,
    )
    nz = np.flatnonzero(counts).astype(np.int64)
    keys = (lo + nz // n_cells * step) * n_cells + nz % n_cells  # ValueCounts keys: rounded value * n_cells + cell
    return {
        "tiers": Counts(tiers),
        "sanctions": Counts(per_sanction),
        "any_sanction": Counts(any_sanction),
        "scores": ValueCounts(keys, counts[nz], n_cells, SCORE_DECIMALS, limbs),
    }


def verdict(ratio: float | None, interval: list[float] | None, *, excluded: bool = False, enough: bool = True) -> str:
    """Four-fifths verdict from an impact ratio and its interval.

    "violation" when the interval lies wholly under 0.8, "no violation" when
    it lies wholly at or above, "inconclusive" (not enough evidence) when it
    straddles 0.8, the ratio is undefined or ``enough`` is false (a group of
    fewer than ``MIN_OBSERVATIONS`` people, a reference group with fewer than
    ``MIN_REFERENCE_EVENTS`` favourable outcomes). Without an interval
    (bootstrap off) the point estimate decides.
    """
    if excluded:
        return "excluded"
    if ratio is None or not enough:
        return "inconclusive"
    if interval is None:
        return "violation" if ratio < FOUR_FIFTHS else "no violation"
    lo, hi = interval
    if hi < FOUR_FIFTHS:
        return "violation"
    if lo >= FOUR_FIFTHS:
        return "no violation"
    return "inconclusive"


class DisparityAudit:
    """Streaming disparity statistics for income quintile, education, their intersection and extra attributes.

    Parameters
    ----------
    attribution_sample : int
        People re-scored (by person-id hash) to attribute gaps to rules;
        0 turns attribution off.
    ground_truth : bool
        Report error rates against ground truth on synthetic populations.
    truth_sample : int
        People (across the population, by person-id hash) whose genuine
        record is re-scored for those error rates; everyone in a population of
        at most this size, 0 for everyone always.
    permutation_pairs : int
        With more than six rules, average Shapley values over this many
        antithetic permutation pairs instead of reporting leave-one-out effects.
    """

    name = "disparity"

    def __init__(
        self,
        *,
        attribution_sample: int = DEFAULT_SAMPLE,
        ground_truth: bool = True,
        truth_sample: int = DEFAULT_TRUTH_SAMPLE,
        permutation_pairs: int = PERMUTATION_PAIRS,
    ) -> None:
        if int(truth_sample) < 0:
            raise InvalidArgument(f"DisparityAudit(truth_sample={truth_sample}): give 0 (everyone) or a number of people, e.g. 1000000")
        self.attribution_sample = int(attribution_sample)
        self.ground_truth = bool(ground_truth)
        self.truth_sample = int(truth_sample)
        self.permutation_pairs = int(permutation_pairs)

    def _plan(self, scorer: Any, seed: int) -> AttributionPlan:
        return plan_for(scorer, seed=seed, permutation_pairs=self.permutation_pairs)

    def collect(self, chunk: ScoredChunk) -> dict[str, Any]:
        scorer = chunk.scorer
        frame = chunk.frame
        sanctions = (
            np.column_stack([frame[s].to_numpy(dtype=bool) for s in scorer.sanctions])
            if scorer.sanctions
            else np.zeros((len(frame), 0), dtype=bool)
        )
        out = collect_counts(
            cells=chunk.cells,
            n_cells=chunk.layout.n_cells,
            tier=frame["tier"].cat.codes.to_numpy().astype(np.int64),
            n_tiers=len(scorer.tiers),
            sanctions=sanctions,
            scores=frame["score"].to_numpy(),
        )
        if self.ground_truth:
            truth = collect_truth(chunk, sample=self.truth_sample)
            if truth is not None:
                out["ground_truth"] = truth
        if self.attribution_sample > 0:
            # gathered here, replayed once in finalize (audit.replay.pool)
            rows = attribution_rows(chunk, sample=self.attribution_sample)
            with_friends = bool(scorer_tags(scorer).uses_ties) and len(chunk.view.ties) > 0
            out["attribution_pool"] = ReplayPool.gather(chunk, rows, with_friends=with_friends)
        return out

    def finalize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        scorer = ctx.scorer
        layout = ctx.layout
        options = ctx.options
        boot = PoissonBootstrap(seed=options.seed, replicates=max(int(options.bootstrap), 0))
        cells = _CellTables.of(merged, scorer)
        views = attribute_views(layout)
        score_point, score_reps, median = _score_statistics(cells, layout, views, boot)

        section: dict[str, Any] = {}
        info: dict[str, dict[str, Any]] = {}
        for view in views:
            section[view.key], info[view.key] = _attribute_section(
                view, layout, cells, score_point[view.key], score_reps.get(view.key), boot.enabled,
                min_share=options.min_cell_share, scorer=scorer,
            )
        attribution = None
        if "attribution_pool" in merged and self.attribution_sample > 0:
            plan = self._plan(scorer, options.seed)
            pooled = merged["attribution_pool"].scored_chunk(ctx)
            counts = collect_attribution(pooled, plan, sample=self.attribution_sample)
            attribution = attribution_section(counts, plan, layout, views, info, self.attribution_sample)
        for view in views:
            section[view.key]["driver"] = driver(attribution, view.key)
        section.update(
            {
                "attributes": [v.key for v in views],
                "median_score": median,
                "median_note": MEDIAN_NOTE,
                "min_cell_share": float(options.min_cell_share),
                "bootstrap_replicates": boot.replicates,
                "interval": (
                    "95% intervals: exact Clopper-Pearson for rates and shares; for impact ratios and relative risks, "
                    "Katz log intervals over every pair of groups that account for the reference group being chosen "
                    "on the data (Bonferroni over the groups compared; over all pairs for the attribute's verdict); "
                    f"for mean, median and scoring rate, percentiles of {boot.replicates} Poisson-bootstrap replicates "
                    f"of the merged counts (seed {options.seed}), spanned for scoring rates and their ratios with the "
                    "exact and pairwise intervals given the median" if boot.enabled else None
                ),
                "ground_truth": truth_section(
                    merged.get("ground_truth"), layout=layout, views=views,
                    eligible={k: v["eligible"] for k, v in info.items()}, boot=boot,
                    sample_share=truth_rate(self.truth_sample, options.population_size),
                ),
                "attribution": attribution,
            }
        )
        return section


# ----------------------------------------------------------------------------- finalize helpers


@dataclass(frozen=True, slots=True, kw_only=True)
class _CellTables:
    """Merged per-cell counts."""

    n: np.ndarray
    """People per cell."""
    favourable: np.ndarray
    """People in a favourable tier per cell."""
    adverse: np.ndarray
    """People with any sanction per cell."""
    sanctions: np.ndarray
    """``(cells, sanctions)``: people with each declared sanction."""
    tiers: np.ndarray
    """``(cells, tiers)``: people in each tier, best first."""
    values: np.ndarray
    """Distinct scores (rounded to ``SCORE_DECIMALS``), sorted."""
    table: np.ndarray
    """``table[v, cell]``: people with score ``values[v]``."""
    sum_limbs: np.ndarray | None
    """Exact per-cell score sums as integer limbs (:func:`audit.aggregate.exact_sum_limbs`), if kept."""
    exact: ExactValueCounts | None
    """Exact people per (score, cell) for the rank figures, if kept."""

    @classmethod
    def of(cls, merged: Mapping[str, Any], scorer: Any) -> _CellTables:
        tiers = merged["tiers"].array
        fav_idx = [i for i, t in enumerate(scorer.tiers) if t in scorer.favourable_tiers]
        values, table = merged["scores"].table()
        return cls(
            n=tiers.sum(axis=1),
            favourable=tiers[:, fav_idx].sum(axis=1),
            adverse=merged["any_sanction"].array,
            sanctions=merged["sanctions"].array,
            tiers=tiers,
            values=values,
            table=table,
            sum_limbs=merged["scores"].sum_limbs,
            exact=merged.get("exact_scores"),
        )


def _score_statistics(cells: _CellTables, layout: CellLayout, views: list[AttributeView], boot: PoissonBootstrap):
    """Point estimates and replicates of mean, median and LL144 scoring rate per group.

    Medians and scoring rates are exact rank figures on the unrounded scores
    (:mod:`audit.disparity.exact_ranks`); the bootstrap draws from the exact values,
    pooled into bins of near-equal mass when there are many.
    """
    values, table = cells.values, cells.table
    exact = cells.exact
    if exact is None:  # counts gathered without exact scores: ranks on the rounded values
        median = pooled_median(values, table.sum(axis=1)[None, :])
        median_keys = None
    else:
        m, a, b = population_median(exact)
        median, median_keys = np.array([m]), (a, b)
    point = {}
    for view in views:
        counts = group_axis(table[None], layout, view.keep)  # (1, V, G)
        n, mean, med = score_distribution(values, counts)
        if cells.sum_limbs is not None:  # exact means of the unrounded scores, rounded once per group
            sums = limbs_to_float(group_axis(cells.sum_limbs.T, layout, view.keep).T)
            mean = rate(sums, n[0])[None]
        point[view.key] = {"n": n[0], "mean": mean[0], "median": med[0], "above": count_above(values, counts, median)[0],
                           "at_or_above": None, "error_bound": None}
        if exact is not None and median_keys is not None:
            groups = group_axis(np.eye(layout.n_cells, dtype=np.int64), layout, view.keep).argmax(axis=1)
            ranks = rank_figures(exact, groups, n.shape[-1], median_keys)
            point[view.key].update(median=ranks.median, above=ranks.above, at_or_above=ranks.at_or_above,
                                   error_bound=ranks.error_bound)
    reps: dict[str, dict[str, np.ndarray]] = {}
    if boot.enabled and values.size:
        vals, tab = bootstrap_table(exact) if exact is not None else coarsen_values(values, table)
        rng = boot.generator("disparity/scores")
        parts: dict[str, dict[str, list[np.ndarray]]] = {v.key: {"mean": [], "median": [], "scoring": []} for v in views}
        for start, stop in boot.batches(tab.size):
            drawn = rng.poisson(tab.astype(np.float64), size=(stop - start, *tab.shape)).astype(np.int64)
            medians = pooled_median(vals, drawn.sum(axis=-1))
            for view in views:
                counts = group_axis(drawn, layout, view.keep)
                n, mean, med = score_distribution(vals, counts)
                parts[view.key]["mean"].append(mean)
                parts[view.key]["median"].append(med)
                parts[view.key]["scoring"].append(rate(count_above(vals, counts, medians), n))
        reps = {k: {s: np.concatenate(a, axis=0) for s, a in d.items()} for k, d in parts.items()}
    return point, reps, _num(median[0])


def _interval(reps: np.ndarray | None) -> tuple[np.ndarray, np.ndarray] | None:
    return None if reps is None else percentile_interval(reps)


def _attribute_section(view, layout, cells: _CellTables, score, score_reps, intervals: bool, *, min_share: float, scorer):
    keep = view.keep
    n = group_axis(cells.n, layout, keep)
    fav = group_axis(cells.favourable, layout, keep)
    adv = group_axis(cells.adverse, layout, keep)
    sanc = group_axis(cells.sanctions.T, layout, keep).T if cells.sanctions.size else np.zeros((n.size, 0), dtype=np.int64)
    tiers = group_axis(cells.tiers.T, layout, keep).T  # (G, T)
    total = int(cells.n.sum())
    known = np.array(view.known)
    eligible = known & (n > 0) & (n >= min_share * total)

    fav_rate = rate(fav, n)
    adv_rate = rate(adv, n)
    scoring = rate(score["above"], score["n"])
    ties = None if score.get("at_or_above") is None else rate(score["at_or_above"], score["n"])
    ties_ir = None if ties is None else ratio_to_best(ties[None], eligible)[0]
    ir = ratio_to_best(fav_rate[None], eligible)[0]
    sir = ratio_to_best(scoring[None], eligible)[0]
    rr = relative_risk_to_least(adv_rate[None], eligible)[0]

    ci: dict[str, tuple[np.ndarray, np.ndarray] | None] = dict.fromkeys(
        ["fav", "adv", "scoring", "mean", "median", "ir", "sir", "rr", "tier", "better", "sanction"], None
    )
    attr_ci: dict[str, list[float] | None] = {"min_ir": None, "min_sir": None, "max_rr": None}
    impact = ratio_intervals(fav, n, eligible, to="highest")
    risk = ratio_intervals(adv, n, eligible, to="lowest")
    if intervals:  # exact (Clopper-Pearson) rates; ratios to the best/least group (audit.disparity.ratio_intervals)
        ci.update(fav=exact_rate_interval(fav, n), adv=exact_rate_interval(adv, n),
                  ir=(impact.lo, impact.hi), rr=(risk.lo, risk.hi))
        ci.update(tier=exact_rate_interval(tiers.T, n[None, :]),
                  better=exact_rate_interval(np.cumsum(tiers, axis=1).T, n[None, :]))
        ci["sanction"] = exact_rate_interval(sanc.T, n[None, :])  # (S, G)
        attr_ci["min_ir"] = interval_pair(impact.extreme_lo, impact.extreme_hi)
        attr_ci["max_rr"] = interval_pair(risk.extreme_lo, risk.extreme_hi)
    if score_reps is not None:
        ref = _argbest(scoring, eligible, max)  # the reference is chosen once, on the point estimate
        sir_r = ratio_to_best(score_reps["scoring"], eligible, reference=ref)
        boot_lo, boot_hi = _interval(score_reps["scoring"])  # type: ignore[misc]
        cp_lo, cp_hi = exact_rate_interval(score["above"], score["n"])  # given the median: never [0, 0] on 0 of n
        # the LL144 ratio: the bootstrap (median re-estimated, reference fixed) spanned with the pairwise
        # intervals given the median, which account for choosing the reference (audit.disparity.ratio_intervals)
        given = ratio_intervals(score["above"], score["n"], eligible, to="highest")
        sir_lo, sir_hi = _interval(sir_r)  # type: ignore[misc]
        min_lo, min_hi = percentile_interval(eligible_min(sir_r, eligible))
        ci.update(
            scoring=(np.fmin(boot_lo, cp_lo), np.fmax(boot_hi, cp_hi)), mean=_interval(score_reps["mean"]),
            median=_interval(score_reps["median"]), sir=(np.fmin(sir_lo, given.lo), np.fmax(sir_hi, given.hi)),
        )
        attr_ci["min_sir"] = interval_pair(np.fmin(min_lo, given.extreme_lo), np.fmax(min_hi, given.extreme_hi))

    def pair(key: str, i: int) -> list[float] | None:
        c = ci[key]
        return None if c is None else interval_pair(c[0][i], c[1][i])

    def pairs(key: str, i: int, names) -> dict[str, list[float] | None] | None:
        c = ci[key]
        return None if c is None else {name: interval_pair(c[0][j, i], c[1][j, i]) for j, name in enumerate(names)}

    tier_share = rate(tiers, n[:, None])
    tier_better = rate(np.cumsum(tiers, axis=1), n[:, None])
    groups = []
    for i, label in enumerate(view.labels):
        if not known[i]:
            continue
        g_ir, g_ir_ci = _num(ir[i]), pair("ir", i)
        groups.append(
            {
                "group": view.display(label),
                "n": int(n[i]),
                "share": _num(n[i] / total) if total else None,
                "excluded_from_ratios": bool(not eligible[i]),
                "favourable_rate": _num(fav_rate[i]),
                "favourable_rate_ci": pair("fav", i),
                "adverse_rate": _num(adv_rate[i]),
                "adverse_rate_ci": pair("adv", i),
                "adverse_rate_by_sanction": {s: _num(rate(sanc[i, j], n[i])) for j, s in enumerate(scorer.sanctions)},
                "adverse_rate_by_sanction_ci": pairs("sanction", i, scorer.sanctions),
                "tier_shares": {t: _num(tier_share[i, j]) for j, t in enumerate(scorer.tiers)},
                "tier_shares_ci": pairs("tier", i, scorer.tiers),
                "tier_or_better": {t: _num(tier_better[i, j]) for j, t in enumerate(scorer.tiers)},
                "tier_or_better_ci": pairs("better", i, scorer.tiers),
                "mean_score": _num(score["mean"][i]),
                "mean_score_ci": pair("mean", i),
                "median_score": _num(score["median"][i]),
                "median_score_ci": pair("median", i),
                "scoring_rate": _num(scoring[i]),
                "scoring_rate_ci": pair("scoring", i),
                "impact_ratio": g_ir,
                "impact_ratio_ci": g_ir_ci,
                "scoring_impact_ratio": _num(sir[i]),
                "scoring_impact_ratio_ci": pair("sir", i),
                "scoring_rate_ties_above": None if ties is None else _num(ties[i]),
                "scoring_impact_ratio_ties_above": None if ties_ir is None else _num(ties_ir[i]),
                "adverse_relative_risk": _num(rr[i]),
                "adverse_relative_risk_ci": pair("rr", i),
                "four_fifths": verdict(g_ir, g_ir_ci, excluded=not eligible[i],
                                       enough=bool(n[i] >= MIN_OBSERVATIONS and not impact.unstable)),
            }
        )

    best = _argbest(fav_rate, eligible, max)
    least = _argbest(adv_rate, eligible, min)
    worst = _argbest(ir, eligible & ~np.isnan(ir), min)
    most = _argbest(rr, eligible & ~np.isnan(rr), max) if np.any(eligible & ~np.isnan(rr)) else _argbest(adv_rate, eligible, max)
    score_best = _argbest(scoring, eligible, max)
    min_ir = _num(ir[worst]) if worst is not None else None
    min_sir = _num(np.nanmin(np.where(eligible, sir, np.nan))) if np.any(eligible & ~np.isnan(sir)) else None
    max_rr = _num(rr[most]) if most is not None else None
    all_n = int(cells.n.sum())
    out = {
        "groups": groups,
        "unknown_n": int(n[~known].sum()),
        "eligible_groups": int(eligible.sum()),
        "reference_group": _label(view, best),
        "adverse_reference_group": _label(view, least),
        "scoring_reference_group": _label(view, score_best),
        "worst_group": _label(view, worst),
        "most_sanctioned_group": _label(view, most),
        "min_impact_ratio": min_ir,
        "min_impact_ratio_ci": attr_ci["min_ir"],
        "four_fifths_violation": bool(min_ir is not None and min_ir < FOUR_FIFTHS),
        "four_fifths_verdict": verdict(min_ir, attr_ci["min_ir"], enough=_enough(n, eligible, impact)),
        "reference_events": impact.reference_events,
        "impact_ratio_unstable": impact.unstable,
        "adverse_reference_events": risk.reference_events,
        "adverse_relative_risk_unstable": risk.unstable,
        "scoring_reference_events": None if score_best is None else int(score["above"][score_best]),
        "scoring_impact_ratio_unstable": bool(score_best is not None and score["above"][score_best] < MIN_REFERENCE_EVENTS),
        "min_scoring_impact_ratio": min_sir,
        "min_scoring_impact_ratio_ci": attr_ci["min_sir"],
        "min_scoring_impact_ratio_ties_above": (
            _num(np.nanmin(np.where(eligible, ties_ir, np.nan))) if ties_ir is not None and np.any(eligible & ~np.isnan(ties_ir))
            else None
        ),
        "rank_error_bound": None if score.get("error_bound") is None else float(np.max(score["error_bound"], initial=0.0)),
        "max_adverse_relative_risk": max_rr,
        "max_adverse_relative_risk_ci": attr_ci["max_rr"],
        "favourable": fairlearn_summary(float(rate(cells.favourable.sum(), all_n)), fav_rate, eligible),
        "adverse": fairlearn_summary(float(rate(cells.adverse.sum(), all_n)), adv_rate, eligible),
        "scoring_rate": fairlearn_summary(float(rate(score["above"].sum(), all_n)), scoring, eligible),
    }
    info = {"eligible": eligible, "best": best, "worst": worst, "least": least, "most": most}
    return out, info


def _enough(n: np.ndarray, eligible: np.ndarray, impact: RatioIntervals) -> bool:
    """Evidence enough for an attribute's four-fifths verdict: two eligible groups of at least
    ``MIN_OBSERVATIONS`` people each and a stable reference group."""
    return bool(eligible.sum() >= 2 and np.all(n[eligible] >= MIN_OBSERVATIONS) and not impact.unstable)


def _argbest(values: np.ndarray, mask: np.ndarray, how) -> int | None:
    ok = mask & ~np.isnan(values)
    if not ok.any():
        return None
    idx = np.flatnonzero(ok)
    vals = values[idx]
    return int(idx[np.argmax(vals)] if how is max else idx[np.argmin(vals)])


def _label(view: AttributeView, i: int | None) -> Any:
    return None if i is None else view.display(view.labels[i])
