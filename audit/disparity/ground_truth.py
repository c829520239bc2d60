"""Error rates against reality (synthetic populations only).

A synthetic population knows which recorded events really happened (the
``genuine`` flag) and each person's latent reliability. Scoring the genuine
events alone (:meth:`audit.engine.contract.ScoredChunk.truth_frame`) gives the outcome
each person's real behaviour deserves under the scorer's own rules. Against
it the audit reports, per group:

- the **wrongful sanction rate**: of the people sanctioned, the share who
  would not be sanctioned on their genuine record — their sanction rests on
  misrecorded events;
- the **false sanction rate**: of the people whose genuine record carries no
  sanction, the share sanctioned anyway (the false-positive rate of an
  equalised-odds comparison, Hardt et al. 2016);
- the **missed sanction rate**: of the people whose genuine record carries a
  sanction, the share not sanctioned;
- **sanction rates at equal latent reliability**: per reliability band x group
  (are poorer people sanctioned more at equal behaviour?).

Per chunk this is three integer tables of the joint (deserved, recorded)
outcome per cell, so it merges exactly like every other disparity statistic.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np

from audit.aggregate import Counts
from audit.disparity.bootstrap import PoissonBootstrap, interval_pair
from audit.disparity.group_stats import eligible_max, eligible_min, fairlearn_summary, group_axis, rate
from audit.disparity.ratio_intervals import exact_rate_interval
from audit.engine.contract import ScoredChunk, favourable_mask, sanctioned_mask, score_checked
from audit.output.artefacts import finite_or_none as _num
from audit.population.model import PopulationView, unique_ids
from audit.replay.pool import chunk_sample
from scorers.protocol import ScorerTags, scorer_tags

__all__ = ["DEFAULT_TRUTH_SAMPLE", "RELIABILITY_EDGES", "RESCORE_GROUP", "SHARED_SAMPLE", "TRUTH_STREAM", "collect_truth", "truth_rate", "truth_section"]

#: People whose genuine record is re-scored, across the whole population
#: (everyone in populations up to this size). A sampling choice, not a
#: published figure: the cost stays fixed however large the population, and
#: the bootstrap intervals, drawn over the sampled people, show what the
#: sample costs in precision.
DEFAULT_TRUTH_SAMPLE = 1_000_000
#: Stream name of the ground-truth sampling hash (:func:`audit.randomness.person_uniform`).
TRUTH_STREAM = "ground-truth"
#: Sampled people re-scored together with their friends in one ``score`` call
#: (half a block of the generator): the frames of a call are bounded by this,
#: not by the sample, which covers the whole batch in populations up to
#: :data:`DEFAULT_TRUTH_SAMPLE` and a quarter of it at four million people.
#: Half a block rather than a whole one lowers a worker's high-water mark
#: (about 60 MiB at four million people, docs/scale.md "Peak memory") at no
#: measured CPU cost; a quarter of a block saved little more and cost CPU.
RESCORE_GROUP = 32_768
#: Largest sample (people in a batch) whose re-scored views are built once per batch and shared by the scorers
#: (:func:`_shared`): the sample of a population of about 64 million people or more at the default sample; the
#: views of this many people and their friends take a few tens of megabytes, held until the batch is done.
SHARED_SAMPLE = 16_384

#: Edges of the latent-reliability bands (assumption: reliability is drawn
#: from Beta(8, 2) in the shipped specs, mean 0.8, sd about 0.12, so these
#: bands split people into groups of comparable behaviour with enough people
#: in each).
RELIABILITY_EDGES = (0.0, 0.6, 0.7, 0.8, 0.9, 1.0)

# joint outcome code per person: 2 * deserved + recorded
_NEITHER, _RECORDED_ONLY, _DESERVED_ONLY, _BOTH = 0, 1, 2, 3


def truth_rate(sample: int, population_size: int) -> float:
    """Share of people whose genuine record is re-scored: ``sample / population_size``, at most 1.

    ``sample = 0`` or an unknown population size means everyone.
    """
    if sample <= 0 or population_size <= 0 or sample >= population_size:
        return 1.0
    return sample / population_size


def collect_truth(chunk: ScoredChunk, *, sample: int = 0) -> dict[str, Counts] | None:
    """Per-cell counts of (deserved, recorded) outcomes; ``None`` without ground truth.

    With ``sample`` people (:func:`truth_rate` below 1) only a person-id hash
    sample of the chunk is re-scored and counted, so at country scale the
    error rates cost a fixed number of re-scored people rather than a second
    scoring of everyone; their intervals (bootstrap over the sampled people)
    widen accordingly.
    """
    if not chunk.population.synthetic:
        return None
    rate = truth_rate(sample, chunk.options.population_size)
    if rate >= 1.0:
        truth = chunk.truth_frame()
        if truth is None:
            return None
        rows = np.arange(len(chunk.frame))
        recorded_s, recorded_f = chunk.sanctioned, chunk.favourable
        deserved_s, deserved_f = sanctioned_mask(chunk.scorer, truth), favourable_mask(chunk.scorer, truth)
    else:
        rows = batch_sample(chunk, TRUTH_STREAM, rate)
        recorded_s = chunk.sanctioned[rows]  # the batch's mask: the replay strata read it too
        recorded_f = favourable_mask(chunk.scorer, chunk.frame, rows)  # the sample's tiers only: nothing else reads all
        deserved_s, deserved_f = _deserved_of(chunk, rows, recorded_s, recorded_f)
    n_cells = chunk.layout.n_cells
    cells = chunk.cells[rows]
    sanction = 2 * deserved_s.astype(np.int64) + recorded_s
    favourable = 2 * deserved_f.astype(np.int64) + recorded_f
    people = chunk.population.people
    reliability = (
        people["reliability"].to_numpy(dtype=np.float64)[rows] if "reliability" in people else np.full(rows.size, np.nan)
    )
    n_bands = len(RELIABILITY_EDGES) - 1
    known = np.isfinite(reliability)  # people of unknown reliability are left out of the bands
    band = np.clip(np.searchsorted(np.asarray(RELIABILITY_EDGES[1:-1]), reliability[known], side="right"), 0, n_bands - 1)
    return {
        "sanction": Counts(np.bincount(cells * 4 + sanction, minlength=n_cells * 4).reshape(n_cells, 4).astype(np.int64)),
        "favourable": Counts(np.bincount(cells * 4 + favourable, minlength=n_cells * 4).reshape(n_cells, 4).astype(np.int64)),
        "band_sanction": Counts(
            np.bincount((band * n_cells + cells[known]) * 4 + sanction[known], minlength=n_bands * n_cells * 4)
            .reshape(n_bands, n_cells, 4)
            .astype(np.int64)
        ),
    }


def batch_sample(chunk: ScoredChunk, stream: str, rate: float) -> np.ndarray:
    """Rows of the chunk's person-id hash sample of ``stream`` at ``rate`` (:func:`audit.replay.pool.chunk_sample`).

    The sample depends on the seed, the stream, the rate and the people, never on
    the scorer, so it is drawn once per batch and shared by every scorer's
    audits (:attr:`audit.engine.contract.ScoredChunk.batch_memo`; read-only).
    A pooled chunk's sample is the rows it marks.
    """
    if chunk.sample_rows is not None:
        return chunk_sample(chunk, stream, rate)
    key = ("hash sample", stream, chunk.options.seed, rate)
    memo = chunk.batch_memo
    if key not in memo:
        rows = chunk_sample(chunk, stream, rate)
        rows.flags.writeable = False
        memo[key] = rows
    return memo[key]


def _deserved_of(
    chunk: ScoredChunk, rows: np.ndarray, recorded_s: np.ndarray, recorded_f: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(sanctioned, favourable) on the genuine record, for ``rows`` of the chunk only.

    ``recorded_s`` and ``recorded_f`` are the recorded outcomes of ``rows``
    (left unchanged): the deserved ones where nothing of a person's view was
    misrecorded.

    A scorer whose tags declare it reads no ties scores each person from their
    own record, so only sampled people with a misrecorded event are re-scored
    (none: their recorded outcome is their deserved one). Otherwise the
    sampled people are re-scored with their friends (one hop, as the replay
    audits assume) even when their own records are all genuine, since a
    friend's misrecorded event can move their score; if that local view does
    not reproduce the recorded scores, the scorer reads further and the whole
    chunk is re-scored (:meth:`audit.engine.contract.ScoredChunk.truth_frame`), which is exact.
    The sampled people are re-scored :data:`RESCORE_GROUP` at a time, each
    group with its own friends, so the frames built do not grow with the
    sample (:func:`_one_hop_deserved`); a group's views are dropped once it is
    scored, so a worker never holds two groups' at once. The views re-scored depend on the
    batch and the sample, not on the scorer: a small sample's are built once
    per batch and re-scored by every scorer (:func:`_shared`).
    """
    scorer = chunk.scorer
    sanctioned, favourable = recorded_s.copy(), recorded_f.copy()
    if rows.size == 0:
        return sanctioned, favourable
    tags = getattr(scorer, "tags", None)
    if isinstance(tags, ScorerTags) and not scorer_tags(scorer).uses_ties:
        own = _shared(chunk, rows, "own records", partial(_own_records, chunk, rows))
        if own is not None:  # else own records only, all genuine: deserved is recorded
            at, local = own
            truth = score_checked(scorer, local, as_of=chunk.as_of)
            sanctioned[at] = sanctioned_mask(scorer, truth)
            favourable[at] = favourable_mask(scorer, truth)
        return sanctioned, favourable
    # one hop, group by group: the sampled people and their friends, over recorded and over genuine events
    for start in range(0, rows.size, RESCORE_GROUP):
        group = slice(start, start + RESCORE_GROUP)
        views = _shared(chunk, rows, ("one hop", start), partial(_one_hop_views, chunk, rows[group]))
        deserved = _one_hop_deserved(chunk, views, sanctioned[group], favourable[group])
        del views  # a group's views are freed before the next group's are built (unless shared through the memo)
        if deserved is None:  # the scorer reads beyond one hop: re-score everyone, exactly
            everyone = chunk.truth_frame()
            assert everyone is not None  # a synthetic chunk always has ground truth
            return sanctioned_mask(scorer, everyone.iloc[rows]), favourable_mask(scorer, everyone.iloc[rows])
        sanctioned[group], favourable[group] = deserved
    return sanctioned, favourable


_Built = TypeVar("_Built")


def _shared(chunk: ScoredChunk, rows: np.ndarray, part: Hashable, build: Callable[[], _Built]) -> _Built:
    """``build()`` for the sample ``rows``, built once per batch and view and shared by every scorer's re-score.

    What is built (people, events and ties of the sampled people) depends on
    the batch, the view and the sample, never on the scorer, so the first
    scorer builds it and the others read it from the batch memo
    (:attr:`audit.engine.contract.ScoredChunk.batch_memo`); an entry counts
    only for the same view and the same sample array (the batch's drawn once,
    :func:`batch_sample`). Samples over :data:`SHARED_SAMPLE` people are built
    for each scorer, so what the memo holds through a batch stays small.
    """
    if rows.size > SHARED_SAMPLE:
        return build()
    key = ("ground truth", part)
    memo = chunk.batch_memo
    hit = memo.get(key)
    if hit is not None and hit[0] is chunk.view and hit[1] is rows:
        return hit[2]
    value = build()
    memo[key] = (chunk.view, rows, value)  # holding the view and rows: their ids are not reused while kept
    return value


def _own_records(chunk: ScoredChunk, rows: np.ndarray) -> tuple[np.ndarray, PopulationView] | None:
    """Which of ``rows`` have a misrecorded event (positions in ``rows``) and the view of their genuine events.

    ``None`` when every event of the sampled people is genuine. The view holds
    those people and their genuine events only (no ties): what a scorer that
    reads no ties needs to re-score them.
    """
    pop, view = chunk.population, chunk.view
    genuine = pop.events["genuine"].to_numpy()
    ids = pop.people["person_id"].to_numpy()
    ev_ids = pop.events["person_id"].to_numpy()
    # the batch's offset tables, shared by every scorer (audit.engine.person_rows): a gather, not a search per scorer
    sampled_events = chunk.rows_of("events", rows)
    if genuine[sampled_events].all():
        return None
    misrecorded = ev_ids[sampled_events[~genuine[sampled_events]]]
    at = np.flatnonzero(np.isin(ids[rows], misrecorded))  # sampled people with a misrecorded event
    mine = chunk.rows_of("events", rows[at])
    mine = mine[genuine[mine]]
    local = PopulationView(
        people=view.people.iloc[rows[at]], events=view.events.iloc[mine], ties=view.ties.iloc[:0],
        horizon_months=view.horizon_months,
    )
    return at, local


@dataclass(frozen=True, slots=True, kw_only=True)
class _OneHopViews:
    """One group of sampled people with their friends (one hop), over recorded and over genuine events."""

    pos: np.ndarray
    """Row of each sampled person of the group in the views' people."""
    recorded: PopulationView
    """The group, their friends, the group's ties and everyone's recorded events."""
    genuine: PopulationView
    """The same people and ties with the genuine events only."""


def _one_hop_views(chunk: ScoredChunk, rows: np.ndarray) -> _OneHopViews:
    """The views that re-score ``rows`` (ascending) with their friends, over recorded and over genuine events."""
    view = chunk.view
    ties = view.ties
    mine_t = chunk.rows_of("ties", rows) if len(ties) else np.zeros(0, np.intp)
    friends = chunk.people_rows(unique_ids(ties["friend_id"].to_numpy()[mine_t]))
    involved = unique_ids(np.concatenate([rows, friends]))
    mine = chunk.rows_of("events", involved)
    people, local_ties = view.people.iloc[involved], ties.iloc[mine_t]
    recorded = view.events.iloc[mine]
    # the genuine events taken from the gathered ones: a few thousand rows, not a second gather from the batch
    genuine = recorded.iloc[np.flatnonzero(chunk.population.events["genuine"].to_numpy()[mine])]
    return _OneHopViews(
        pos=np.searchsorted(involved, rows),
        recorded=PopulationView(people=people, events=recorded, ties=local_ties, horizon_months=view.horizon_months),
        genuine=PopulationView(people=people, events=genuine, ties=local_ties, horizon_months=view.horizon_months),
    )


def _one_hop_deserved(
    chunk: ScoredChunk, views: _OneHopViews, sanctioned: np.ndarray, favourable: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    """(sanctioned, favourable) on the genuine record of one group of sampled people, re-scored with their friends.

    ``sanctioned`` and ``favourable`` are the recorded outcomes of the group: the
    view of these people and their friends (one hop) must reproduce them over
    the recorded events, else ``None`` (the scorer reads further). A person's
    one-hop view is the same whichever other sampled people share the call, so
    re-scoring the sample in groups gives the same outcomes as in one call.
    """
    scorer, pos = chunk.scorer, views.pos
    recorded = score_checked(scorer, views.recorded, as_of=chunk.as_of)
    if not (
        np.array_equal(sanctioned_mask(scorer, recorded)[pos], sanctioned)
        and np.array_equal(favourable_mask(scorer, recorded)[pos], favourable)
    ):
        return None
    del recorded
    truth = score_checked(scorer, views.genuine, as_of=chunk.as_of)
    return sanctioned_mask(scorer, truth)[pos], favourable_mask(scorer, truth)[pos]


def _rates(j: np.ndarray) -> dict[str, np.ndarray]:
    """Rates from joint counts ``j[..., code]``."""
    n = j.sum(axis=-1)
    recorded = j[..., _RECORDED_ONLY] + j[..., _BOTH]
    deserved = j[..., _DESERVED_ONLY] + j[..., _BOTH]
    return {
        "recorded": rate(recorded, n),
        "deserved": rate(deserved, n),
        "wrongful": rate(j[..., _RECORDED_ONLY], recorded),
        "false": rate(j[..., _RECORDED_ONLY], j[..., _NEITHER] + j[..., _RECORDED_ONLY]),
        "missed": rate(j[..., _DESERVED_ONLY], deserved),
    }


def truth_section(
    merged: Mapping[str, Any] | None,
    *,
    layout,
    views,
    eligible: Mapping[str, np.ndarray],
    boot: PoissonBootstrap,
    sample_share: float = 1.0,
) -> dict[str, Any] | None:
    """The ``ground_truth`` part of the disparity section; ``None`` without ground truth.

    ``views`` are the audited attribute views (key, keep, labels, known);
    ``eligible`` maps a view key to its groups eligible for ratios.
    """
    if merged is None:
        return None
    sanction = merged["sanction"].array
    favourable = merged["favourable"].array
    bands = merged["band_sanction"].array
    intervals = boot.enabled  # exact Clopper-Pearson intervals, given only when intervals are asked for

    total_s = sanction.sum(axis=0)
    total_f = favourable.sum(axis=0)
    r_all = _rates(total_s)
    rf_all = _rates(total_f)
    out: dict[str, Any] = {
        "note": (
            "deserved = the outcome the scorer's own rules give on genuine events only; "
            "wrongful sanction rate = share of sanctioned people not sanctioned on their genuine record"
        ),
        "n": int(total_s.sum()),
        "sample_share": float(sample_share),
        "sample_note": (
            "everyone's genuine record was re-scored" if sample_share >= 1.0 else
            f"the genuine records of a person-id hash sample of {sample_share:.4%} of people were re-scored "
            "(n people); rates and intervals are over that sample"
        ),
        "sanctioned": int(total_s[_RECORDED_ONLY] + total_s[_BOTH]),
        "wrongfully_sanctioned": int(total_s[_RECORDED_ONLY]),
        "wrongful_sanction_rate": _num(r_all["wrongful"]),
        "wrongful_sanction_rate_ci": _exact(intervals, total_s[_RECORDED_ONLY], total_s[_RECORDED_ONLY] + total_s[_BOTH]),
        "false_sanction_rate": _num(r_all["false"]),
        "missed_sanction_rate": _num(r_all["missed"]),
        "sanction_rate_if_genuine": _num(r_all["deserved"]),
        "favourable_rate_if_genuine": _num(rf_all["deserved"]),
        "wrongly_unfavourable_rate": _num(rf_all["missed"]),
        "reliability_bands": [[lo, hi] for lo, hi in zip(RELIABILITY_EDGES[:-1], RELIABILITY_EDGES[1:])],
        "by_attribute": {},
    }
    for view in views:
        out["by_attribute"][view.key] = _attribute_truth(
            view, layout, sanction, favourable, bands, intervals, eligible[view.key]
        )
    return out


def _attribute_truth(view, layout, sanction, favourable, bands, intervals: bool, eligible) -> dict[str, Any]:
    keep = view.keep
    g_s = np.moveaxis(group_axis(np.moveaxis(sanction, 0, -1), layout, keep), -1, 0)  # (G, 4)
    g_f = np.moveaxis(group_axis(np.moveaxis(favourable, 0, -1), layout, keep), -1, 0)
    rs, rf = _rates(g_s), _rates(g_f)
    groups = []
    for i, label in enumerate(view.labels):
        if not view.known[i]:
            continue
        n = int(g_s[i].sum())
        groups.append(
            {
                "group": view.display(label),
                "n": n,
                "excluded_from_ratios": bool(not eligible[i]),
                "sanctioned": int(g_s[i, _RECORDED_ONLY] + g_s[i, _BOTH]),
                "wrongfully_sanctioned": int(g_s[i, _RECORDED_ONLY]),
                "wrongful_sanction_rate": _num(rs["wrongful"][i]),
                "wrongful_sanction_rate_ci": _exact(intervals, g_s[i, _RECORDED_ONLY], g_s[i, _RECORDED_ONLY] + g_s[i, _BOTH]),
                "false_sanction_rate": _num(rs["false"][i]),
                "false_sanction_rate_ci": _exact(intervals, g_s[i, _RECORDED_ONLY], g_s[i, _RECORDED_ONLY] + g_s[i, _NEITHER]),
                "missed_sanction_rate": _num(rs["missed"][i]),
                "sanction_rate": _num(rs["recorded"][i]),
                "sanction_rate_if_genuine": _num(rs["deserved"][i]),
                "favourable_rate": _num(rf["recorded"][i]),
                "favourable_rate_if_genuine": _num(rf["deserved"][i]),
                "wrongly_unfavourable_rate": _num(rf["missed"][i]),
            }
        )
    # equal latent reliability: sanction rate per band x group
    g_b = np.moveaxis(group_axis(np.moveaxis(bands, 1, -1), layout, keep), -1, 1)  # (bands, G, 4)
    rb = _rates(g_b)
    by_band = []
    for b, (lo, hi) in enumerate(zip(RELIABILITY_EDGES[:-1], RELIABILITY_EDGES[1:])):
        n_b = g_b[b].sum(axis=-1)
        ok = eligible & (n_b > 0)
        band_groups = []
        for i, label in enumerate(view.labels):
            if not view.known[i]:
                continue
            band_groups.append(
                {
                    "group": view.display(label),
                    "n": int(n_b[i]),
                    "sanction_rate": _num(rb["recorded"][b, i]),
                    "sanction_rate_ci": _exact(intervals, g_b[b, i, _RECORDED_ONLY] + g_b[b, i, _BOTH], g_b[b, i].sum()),
                    "sanction_rate_if_genuine": _num(rb["deserved"][b, i]),
                    "false_sanction_rate": _num(rb["false"][b, i]),
                }
            )
        hi_r = float(eligible_max(rb["recorded"][b], ok))
        lo_r = float(eligible_min(rb["recorded"][b], ok))
        by_band.append(
            {
                "band": [lo, hi],
                "n": int(n_b.sum()),
                "groups": band_groups,
                "sanction_rate": fairlearn_summary(float(rate(g_b[b, :, 1].sum() + g_b[b, :, 3].sum(), n_b.sum())), rb["recorded"][b], ok),
                "max_relative_risk": _num(hi_r / lo_r) if lo_r > 0 else None,
            }
        )
    false_all = float(rate(g_s[:, _RECORDED_ONLY].sum(), g_s[:, _NEITHER].sum() + g_s[:, _RECORDED_ONLY].sum()))
    wrongful_all = float(rate(g_s[:, _RECORDED_ONLY].sum(), g_s[:, _RECORDED_ONLY].sum() + g_s[:, _BOTH].sum()))
    return {
        "groups": groups,
        "wrongful_sanction_rate": fairlearn_summary(wrongful_all, rs["wrongful"], eligible),
        "false_sanction_rate": fairlearn_summary(false_all, rs["false"], eligible),
        "by_reliability": by_band,
    }


def _exact(intervals: bool, yes: Any, n: Any) -> list[float] | None:
    """The Clopper-Pearson interval of ``yes / n`` (0 of n has an upper bound above 0); ``None`` when off or ``n == 0``."""
    if not intervals:
        return None
    lo, hi = exact_rate_interval(np.array([yes]), np.array([n]))
    return interval_pair(float(lo[0]), float(hi[0]))
