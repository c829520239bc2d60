"""Ground truth on a sample: the sampled counts equal a full re-scoring restricted to the sample."""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
import pytest

from audit.disparity.audit import DisparityAudit
from audit.disparity.ground_truth import TRUTH_STREAM, truth_rate
from audit.engine.contract import AuditOptions, process_chunk
from audit.population.groups import layout_for
from audit.population.model import synthesize
from audit.randomness import person_uniform
from scorers.registry import load_scorer

SIZE, SAMPLE, SEED = 4000, 900, 3


@pytest.fixture(scope="module")
def population():
    return synthesize("tiny", size=SIZE, seed=11)


def joint_counts(scorer, pop, cells, n_cells, rows):
    """(deserved, recorded) counts per cell for ``rows``, from two plain scorings of everyone."""
    as_of = pop.horizon_months - 1
    recorded = scorer.score(pop.view(), as_of=as_of)
    genuine = scorer.score(pop.genuine_only().view(), as_of=as_of)

    def sanctioned(frame):
        return np.any([frame[s].to_numpy() for s in scorer.sanctions], axis=0)

    code = 2 * sanctioned(genuine).astype(np.int64) + sanctioned(recorded)
    return np.bincount(cells[rows] * 4 + code[rows], minlength=n_cells * 4).reshape(n_cells, 4)


@pytest.mark.parametrize("name", ["suining", "sesame", "rongcheng"])
def test_sampled_truth_counts_are_the_full_counts_of_the_sampled_people(population, name):
    """Suining and rongcheng declare no ties (only misrecorded people re-scored); sesame reads friends (one hop)."""
    scorer = load_scorer(name)
    layout = layout_for(())
    options = AuditOptions(seed=SEED, population_size=SIZE, bootstrap=0)
    audit = DisparityAudit(attribution_sample=0, truth_sample=SAMPLE)
    out = process_chunk(population, [(name, scorer)], [audit], layout, options)
    assert not out.errors
    got = out.aggregates[name]["disparity"]["ground_truth"]["sanction"].array

    ids = population.people["person_id"].to_numpy()
    rows = np.flatnonzero(person_uniform(SEED, TRUTH_STREAM, ids) < SAMPLE / SIZE)
    cells = layout.encode(population.people)
    want = joint_counts(scorer, population, cells, layout.n_cells, rows)
    np.testing.assert_array_equal(got, want)
    # the sample is a binomial draw around SAMPLE people
    assert abs(int(got.sum()) - SAMPLE) < 5 * np.sqrt(SAMPLE)


class _ListingScorer:
    """Two tiers (``ok``, ``listed``) and one finance sanction for the listed; subclasses say who is listed."""

    name, version, description = "listing", "1", "lists people by a count"
    params: dict = {}
    tiers = ("ok", "listed")
    favourable_tiers = frozenset({"ok"})
    sanctions = {"listed_sanction": "finance"}

    def with_params(self, **kw):
        return self

    def frame(self, view, counts: np.ndarray, listed: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(
            {"score": counts.astype(float), "tier": pd.Categorical.from_codes(listed.astype(int), categories=list(self.tiers)),
             "listed_sanction": listed},
            index=view.people.index,
        )


class ComparesWithNextId(_ListingScorer):
    """Sanctions people with 3 more events than the person whose id follows theirs: it reads a stranger.

    It declares no tags, so the sample is re-scored with its friends, found to
    differ from the recorded scores (the next person is missing from that
    view), and the whole chunk is re-scored instead.
    """

    name, description = "next", "compares each person with the next id"

    def score(self, view, *, as_of):
        ids = view.people["person_id"].to_numpy()
        ev = view.events[view.events["month"].to_numpy() <= as_of]
        per_id = pd.Series(ev["person_id"].to_numpy()).value_counts()
        counts = per_id.reindex(ids, fill_value=0).to_numpy()
        following = per_id.reindex(ids + 1, fill_value=0).to_numpy() * np.isin(ids + 1, ids)
        return self.frame(view, counts, counts > following + 3)


def test_a_scorer_reading_beyond_friends_is_re_scored_whole(population, monkeypatch):
    from audit.engine.contract import ScoredChunk

    whole = []
    truth_frame = ScoredChunk.truth_frame
    monkeypatch.setattr(ScoredChunk, "truth_frame", lambda self: whole.append(1) or truth_frame(self))
    scorer = ComparesWithNextId()
    layout = layout_for(())
    options = AuditOptions(seed=SEED, population_size=SIZE, bootstrap=0)
    sample = 200
    out = process_chunk(population, [("r", scorer)], [DisparityAudit(attribution_sample=0, truth_sample=sample)],
                        layout, options)
    assert not out.errors, out.errors
    assert whole  # the local re-scoring did not reproduce the recorded scores
    got = out.aggregates["r"]["disparity"]["ground_truth"]["sanction"].array
    ids = population.people["person_id"].to_numpy()
    rows = np.flatnonzero(person_uniform(SEED, TRUTH_STREAM, ids) < sample / SIZE)
    want = joint_counts(scorer, population, layout.encode(population.people), layout.n_cells, rows)
    np.testing.assert_array_equal(got, want)


def test_sampled_truth_is_reported_with_its_share(population):
    scorer = load_scorer("suining")
    layout = layout_for(())
    options = AuditOptions(seed=SEED, population_size=SIZE, bootstrap=20)
    audit = DisparityAudit(attribution_sample=0, truth_sample=SAMPLE)
    out = process_chunk(population, [("s", scorer)], [audit], layout, options)
    from audit.engine.contract import AuditContext

    ctx = AuditContext(scorer=scorer, label="s", layout=layout, options=options, synthetic=True, size=SIZE,
                       horizon_months=population.horizon_months, spec=population.spec)
    truth = audit.finalize(out.aggregates["s"]["disparity"], ctx)["ground_truth"]
    assert truth["sample_share"] == pytest.approx(SAMPLE / SIZE)
    assert "hash sample" in truth["sample_note"]
    assert truth["n"] < SIZE


def test_truth_rate_is_everyone_for_small_populations_and_zero_samples():
    assert truth_rate(1_000_000, 200_000) == 1.0
    assert truth_rate(0, 10**9) == 1.0
    assert truth_rate(1_000, 0) == 1.0
    assert truth_rate(1_000_000, 1_400_000_000) == pytest.approx(1 / 1400)


def test_negative_truth_sample_is_refused_with_the_fix():
    from audit.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="truth_sample=-1"):
        DisparityAudit(truth_sample=-1)


def test_a_sampled_ground_truth_does_not_depend_on_the_chunking():
    """Two blocks and a bit, in one chunk or three: the same sampled people, the same section."""
    from audit.population.synth import BLOCK_SIZE
    from audit.runner import RunConfig, run

    options = AuditOptions(seed=2, bootstrap=20, replay_sample=0, probe_size=0)
    audits = [DisparityAudit(attribution_sample=0, truth_sample=4_000)]

    def truth(chunk_size):
        config = RunConfig(population="tiny", size=2 * BLOCK_SIZE + 500, seed=4, chunk_size=chunk_size, options=options)
        result = run(["suining", "sesame"], config, audits=audits)
        return {r.label: r.sections["disparity"]["ground_truth"] for r in result.runs}

    whole, pieces = truth(10**7), truth(BLOCK_SIZE)
    assert whole == pieces
    for section in whole.values():
        assert section["sample_share"] < 1.0 and 3_000 < section["n"] < 5_000


def test_every_scorer_of_a_batch_reads_the_same_sample_drawn_once(population):
    # the sample depends on the seed, the stream, the rate and the people: one draw per batch, read-only
    from audit.disparity.ground_truth import batch_sample
    from audit.engine.contract import ScoredChunk
    from audit.engine.person_rows import PersonRows

    options = AuditOptions(seed=SEED, population_size=SIZE, bootstrap=0)
    shared = PersonRows(population=population)
    chunks = [
        ScoredChunk(population=population, view=population.view(), scorer=load_scorer(name), label=name, frame=None,
                    cells=np.zeros(SIZE, np.int64), layout=layout_for(()), options=options, as_of=0, person_rows=shared)
        for name in ("suining", "sesame")
    ]
    first, second = (batch_sample(c, TRUTH_STREAM, truth_rate(SAMPLE, SIZE)) for c in chunks)
    assert first is second and not first.flags.writeable
    ids = population.people["person_id"].to_numpy()
    np.testing.assert_array_equal(first, np.flatnonzero(person_uniform(SEED, TRUTH_STREAM, ids) < SAMPLE / SIZE))


class FriendsArrears(_ListingScorer):
    """Sanctions a person two or more of whose friends have a recorded loan arrear: it reads ties only."""

    name, description = "friends", "counts friends with arrears"

    def score(self, view, *, as_of):
        ev = view.events[(view.events["month"].to_numpy() <= as_of) & (view.events["kind"].astype(str) == "loan_arrears")]
        in_arrears = np.isin(view.ties["friend_id"].to_numpy(), ev["person_id"].to_numpy())
        per_person = pd.Series(in_arrears.astype(int)).groupby(view.ties["person_id"].to_numpy()).sum()
        counts = per_person.reindex(view.people["person_id"].to_numpy(), fill_value=0).to_numpy()
        return self.frame(view, counts, counts >= 2)


def test_sampled_people_with_clean_records_are_re_scored_when_their_friends_records_are_not(population):
    """Every sampled person's own events are genuine, every other person's arrears misrecorded: a tie-reading
    scorer's deserved outcomes still differ from the recorded ones, through the friends."""
    from dataclasses import replace

    ids = population.people["person_id"].to_numpy()
    sample = 60
    rows = np.flatnonzero(person_uniform(SEED, TRUTH_STREAM, ids) < sample / SIZE)
    ev = population.events
    mine = np.isin(ev["person_id"].to_numpy(), ids[rows])
    arrears = (ev["kind"].astype(str) == "loan_arrears").to_numpy()
    ev = ev.assign(genuine=mine | ~arrears)
    pop = replace(population, events=ev, _fingerprint=[])
    scorer = FriendsArrears()
    layout = layout_for(())
    options = AuditOptions(seed=SEED, population_size=SIZE, bootstrap=0)
    out = process_chunk(pop, [("f", scorer)], [DisparityAudit(attribution_sample=0, truth_sample=sample)], layout, options)
    assert not out.errors, out.errors
    got = out.aggregates["f"]["disparity"]["ground_truth"]["sanction"].array
    want = joint_counts(scorer, pop, layout.encode(pop.people), layout.n_cells, rows)
    wrongly_sanctioned = want[:, 1].sum()  # recorded sanction, none deserved
    assert wrongly_sanctioned > 0, "the case must have sampled people sanctioned through a friend's misrecorded arrear"
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("scorer_of", [lambda: load_scorer("sesame"), FriendsArrears, ComparesWithNextId],
                         ids=["sesame", "friends", "next"])
def test_re_scoring_the_sample_in_groups_gives_the_counts_of_everyone_re_scored(population, monkeypatch, scorer_of):
    """Groups of 50 sampled people, each re-scored with its own friends: the counts of two plain scorings of
    everyone; a scorer reading beyond its friends (``next``) still falls back to re-scoring the whole chunk."""
    import audit.disparity.ground_truth as ground_truth

    monkeypatch.setattr(ground_truth, "RESCORE_GROUP", 50)
    scorer = scorer_of()
    calls = []  # people in each view the ground truth re-scores
    checked = ground_truth.score_checked
    monkeypatch.setattr(ground_truth, "score_checked",
                        lambda s, view, *, as_of: calls.append(len(view.people)) or checked(s, view, as_of=as_of))
    layout = layout_for(())
    options = AuditOptions(seed=SEED, population_size=SIZE, bootstrap=0)
    out = process_chunk(population, [("g", scorer)], [DisparityAudit(attribution_sample=0, truth_sample=SAMPLE)],
                        layout, options)
    assert not out.errors, out.errors
    got = out.aggregates["g"]["disparity"]["ground_truth"]["sanction"].array
    ids = population.people["person_id"].to_numpy()
    rows = np.flatnonzero(person_uniform(SEED, TRUTH_STREAM, ids) < SAMPLE / SIZE)
    np.testing.assert_array_equal(got, joint_counts(scorer_of(), population, layout.encode(population.people),
                                                    layout.n_cells, rows))
    # two calls a group (over recorded, then genuine events); one for the scorer whose first group fails the check
    assert len(calls) == (1 if isinstance(scorer, ComparesWithNextId) else 2 * -(-rows.size // 50))
    assert max(calls) < SIZE // 4  # each view holds a group and its friends, not the chunk


def joint_favourable(scorer, pop, cells, n_cells, rows):
    """(deserved, recorded) favourable counts per cell for ``rows``, from two plain scorings of everyone."""
    as_of = pop.horizon_months - 1

    def favourable(frame):
        return frame["tier"].astype(str).isin(list(scorer.favourable_tiers)).to_numpy()

    code = 2 * favourable(scorer.score(pop.genuine_only().view(), as_of=as_of)).astype(np.int64)
    code += favourable(scorer.score(pop.view(), as_of=as_of))
    return np.bincount(cells[rows] * 4 + code[rows], minlength=n_cells * 4).reshape(n_cells, 4)


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "per-scorer"])
def test_the_scorers_of_a_batch_re_score_views_built_once(population, monkeypatch, shared):
    """Scorers without ties re-score one view of the misrecorded sampled people, tie readers one view of the sample
    with friends, each built by the first scorer of the batch; every scorer's counts are still those of two plain
    scorings of everyone. Over ``SHARED_SAMPLE`` people the views are built for each scorer, with the same counts."""
    import audit.disparity.ground_truth as ground_truth

    if not shared:
        monkeypatch.setattr(ground_truth, "SHARED_SAMPLE", 10)
    seen = []  # (scorer, view) of every re-score
    checked = ground_truth.score_checked
    monkeypatch.setattr(ground_truth, "score_checked",
                        lambda s, view, *, as_of: seen.append((s, view)) or checked(s, view, as_of=as_of))
    scorers = [("suining", load_scorer("suining")), ("rongcheng", load_scorer("rongcheng")),
               ("sesame", load_scorer("sesame")), ("friends", FriendsArrears())]
    layout = layout_for(())
    options = AuditOptions(seed=SEED, population_size=SIZE, bootstrap=0)
    out = process_chunk(population, scorers, [DisparityAudit(attribution_sample=0, truth_sample=SAMPLE)],
                        layout, options)
    assert not out.errors, out.errors

    ids = population.people["person_id"].to_numpy()
    rows = np.flatnonzero(person_uniform(SEED, TRUTH_STREAM, ids) < SAMPLE / SIZE)
    cells = layout.encode(population.people)
    for label, scorer in scorers:
        got = out.aggregates[label]["disparity"]["ground_truth"]
        np.testing.assert_array_equal(got["sanction"].array, joint_counts(scorer, population, cells, layout.n_cells, rows))
        np.testing.assert_array_equal(got["favourable"].array,
                                      joint_favourable(scorer, population, cells, layout.n_cells, rows))
    views = {}
    for s, view in seen:
        views.setdefault(s.name, []).append(view)
    own, one_hop = views["suining"] + views["rongcheng"], views["sesame"] + views["friends"]
    assert len(own) == 2 and len(one_hop) == 4  # one re-score each; recorded then genuine with friends
    assert (own[0] is own[1]) is shared
    assert (one_hop[0] is one_hop[2] and one_hop[1] is one_hop[3]) is shared
    assert one_hop[0].people is one_hop[1].people and len(one_hop[0].events) > len(one_hop[1].events)


def test_a_groups_views_are_freed_before_the_next_group_is_built(population, monkeypatch):
    """Re-scored one group at a time, the sample's views never pile up: when a group's views are built, the
    views of every earlier group (over recorded and over genuine events) are gone, so a worker holds one
    group's frames at a time (over ``SHARED_SAMPLE`` people, where nothing is kept for other scorers)."""
    import audit.disparity.ground_truth as ground_truth

    monkeypatch.setattr(ground_truth, "RESCORE_GROUP", 50)
    monkeypatch.setattr(ground_truth, "SHARED_SAMPLE", 10)
    built = ground_truth._one_hop_views
    earlier: list[weakref.ref] = []  # each built group's recorded and genuine events
    alive_at_build: list[int] = []

    def watched(chunk, rows):
        alive_at_build.append(sum(ref() is not None for ref in earlier))
        views = built(chunk, rows)
        earlier.extend((weakref.ref(views.recorded.events), weakref.ref(views.genuine.events)))
        return views

    monkeypatch.setattr(ground_truth, "_one_hop_views", watched)
    options = AuditOptions(seed=SEED, population_size=SIZE, bootstrap=0)
    out = process_chunk(population, [("sesame", load_scorer("sesame"))],
                        [DisparityAudit(attribution_sample=0, truth_sample=SAMPLE)], layout_for(()), options)
    assert not out.errors, out.errors
    ids = population.people["person_id"].to_numpy()
    groups = -(-int(np.count_nonzero(person_uniform(SEED, TRUTH_STREAM, ids) < SAMPLE / SIZE)) // 50)
    assert groups > 2  # the case must re-score several groups
    assert alive_at_build == [0] * groups
