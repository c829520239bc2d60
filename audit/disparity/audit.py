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
from typing import Any

import numpy as np

from audit.aggregate import SCORE_DECIMALS, Counts, ValueCounts, exact_sum_limbs
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
from audit.disparity.bootstrap import PoissonBootstrap
from audit.disparity.exact_ranks import ExactValueCounts
from audit.disparity.ground_truth import DEFAULT_TRUTH_SAMPLE, collect_truth, truth_rate, truth_section
from audit.disparity.sections import CellTables, attribute_section, score_statistics
from audit.disparity.views import FOUR_FIFTHS, INTERSECTION, MEDIAN_NOTE, AttributeView, attribute_views, verdict
from audit.engine.contract import AuditContext, ScoredChunk
from audit.errors import InvalidArgument
from audit.replay.pool import ReplayPool
from scorers.protocol import Scorer, scorer_tags

__all__ = [
    "DisparityAudit",
    "FOUR_FIFTHS",
    "INTERSECTION",
    "MEDIAN_NOTE",
    "AttributeView",
    "attribute_views",
    "collect_counts",
    "frame_counts",
    "value_counts",
    "verdict",
]

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
        return fast
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


def frame_counts(frame: Any, scorer: Scorer, *, cells: np.ndarray, n_cells: int) -> dict[str, Any]:
    """:func:`collect_counts` of a scorer's validated frame (tier categorical, one bool column per sanction).

    The group statistics :meth:`DisparityAudit.collect` keeps for every chunk,
    before the ground-truth and attribution samples; ``cells`` are the
    people's cell codes (:meth:`audit.population.groups.CellLayout.encode`).
    """
    # people x sanctions, one column after another in memory: the compiled pass reads it a sanction at a time
    sanctions = np.empty((len(frame), len(scorer.sanctions)), dtype=bool, order="F")
    for j, s in enumerate(scorer.sanctions):
        sanctions[:, j] = frame[s].to_numpy(dtype=bool)
    return collect_counts(
        cells=cells,
        n_cells=n_cells,
        tier=frame["tier"].array.codes,  # a view of the codes: .cat.codes.to_numpy() copies them
        n_tiers=len(scorer.tiers),
        sanctions=sanctions,
        scores=frame["score"].to_numpy(),
    )


def _with_exact(out: dict[str, Any], scores: np.ndarray, cells: np.ndarray, n_cells: int) -> dict[str, Any]:
    """Add the exact score counts the rank figures need (:mod:`audit.disparity.exact_ranks`)."""
    rounded = out["scores"]
    out["exact_scores"] = ExactValueCounts.on_grid(scores, cells, n_cells, rounded.keys, rounded.counts, rounded.decimals)
    return out


def _compiled_counts(
    *, cells: np.ndarray, n_cells: int, tier: np.ndarray, n_tiers: int, sanctions: np.ndarray, scores: np.ndarray
) -> dict[str, Any] | None:
    """:func:`collect_counts` in two compiled passes (:mod:`audit.disparity.cell_kernels`); ``None`` where it does not apply.

    It applies when every score is finite and below ``2**31`` and the rounded
    scores, in steps of their greatest common divisor, span a range small
    enough for a dense count (the rule of :func:`value_counts`, which has no
    steps); the tables are identical to the numpy passes'. The first pass also
    tells whether every score sits on the rounding grid, so the exact rank
    counts are read off the rounded ones without a third look at the scores.
    """
    from audit.disparity.cell_kernels import cell_tables, score_range

    values = np.ascontiguousarray(scores, dtype=np.float64)
    if values.size == 0:
        return None
    scale = float(10**SCORE_DECIMALS)
    lo, hi, step, ok, on_grid = (int(x) for x in score_range(values, scale))
    n_values = (hi - lo) // step + 1
    if not ok or n_values * n_cells > max(4 * values.size, 1 << 16):
        return None
    tier = np.ascontiguousarray(tier)
    if tier.dtype.kind not in "iu":
        tier = tier.astype(np.int64)  # tier codes as they come (int8 from a categorical): no int64 copy
    valid, tiers, per_sanction, any_sanction, counts, limbs = cell_tables(
        cells, tier, n_tiers, np.ascontiguousarray(np.asarray(sanctions, dtype=np.bool_).T), values, scale, lo, step,
        n_values, n_cells,
        bool(on_grid),
    )
    if not valid:  # a cell or tier out of range: the numpy passes say so
        return None
    nz = np.flatnonzero(counts).astype(np.int64)
    keys = (lo + nz // n_cells * step) * n_cells + nz % n_cells  # ValueCounts keys: rounded value * n_cells + cell
    rounded = ValueCounts(keys, counts[nz], n_cells, SCORE_DECIMALS, limbs)
    return {
        "tiers": Counts(tiers),
        "sanctions": Counts(per_sanction),
        "any_sanction": Counts(any_sanction),
        "scores": rounded,
        "exact_scores": (
            ExactValueCounts.from_grid(rounded.keys, rounded.counts, n_cells, SCORE_DECIMALS)
            if on_grid else ExactValueCounts.of(values, cells, n_cells)
        ),
    }


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

    def _plan(self, scorer: Scorer, seed: int) -> AttributionPlan:
        return plan_for(scorer, seed=seed, permutation_pairs=self.permutation_pairs)

    def collect(self, chunk: ScoredChunk) -> dict[str, Any]:
        scorer = chunk.scorer
        out = frame_counts(chunk.frame, scorer, cells=chunk.cells, n_cells=chunk.layout.n_cells)
        if self.ground_truth:
            truth = collect_truth(chunk, sample=self.truth_sample)
            if truth is not None:
                out["ground_truth"] = truth
        if self.attribution_sample > 0 and scorer_tags(scorer).replayable:
            # gathered here, replayed once in finalize (audit.replay.pool)
            rows = attribution_rows(chunk, sample=self.attribution_sample)
            with_friends = bool(scorer_tags(scorer).uses_ties) and len(chunk.view.ties) > 0
            # a fixed-rate hash sample: merging chunks must not trim it to the replay's strata
            out["attribution_pool"] = ReplayPool.gather(chunk, rows, with_friends=with_friends, stratified=False)
        return out

    def finalize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        scorer = ctx.scorer
        layout = ctx.layout
        options = ctx.options
        boot = PoissonBootstrap(seed=options.seed, replicates=max(int(options.bootstrap), 0))
        cells = CellTables.of(merged, scorer)
        views = attribute_views(layout)
        score_point, score_reps, median = score_statistics(cells, layout, views, boot)

        section: dict[str, Any] = {}
        info: dict[str, dict[str, Any]] = {}
        for view in views:
            section[view.key], info[view.key] = attribute_section(
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
