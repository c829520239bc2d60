"""Replay pools: replaying the pooled sample gives the records of replaying it inside its chunk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.engine.contract import AuditContext, AuditOptions, ScoredChunk, score_checked
from audit.population.groups import layout_for
from audit.population.model import synthesize
from audit.replay.appeal import AppealAudit
from audit.replay.contagion import ContagionAudit
from audit.replay.pool import ReplayPool
from audit.replay.reversibility import ReversibilityAudit
from audit.replay.sample import pooled_sample, sampled_rows
from audit.replay.spillover import SpilloverAudit
from audit.replay.strata import bottom_k, hashes, strata_of, stratum_targets
from scorers.registry import load_scorer

SIZE = 3000
OPTIONS = AuditOptions(seed=5, population_size=SIZE, replay_sample=60, bootstrap=0)


@pytest.fixture(scope="module")
def population():
    return synthesize("tiny", size=SIZE, seed=21)


def scored(pop, scorer, options=OPTIONS):
    layout = layout_for(())
    as_of = pop.horizon_months - 1
    frame = score_checked(scorer, pop.view(), as_of=as_of)
    return ScoredChunk(
        population=pop, view=pop.view(), scorer=scorer, label="s", frame=frame,
        cells=layout.encode(pop.people), layout=layout, options=options, as_of=as_of,
    )


def context(pop, scorer, options=OPTIONS):
    return AuditContext(scorer=scorer, label="s", layout=layout_for(()), options=options, synthetic=True,
                        size=SIZE, horizon_months=pop.horizon_months, spec=pop.spec)


def records(measured):
    return {k: v.sorted() if hasattr(v, "sorted") else v.array for k, v in measured.items()}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], dict):
            assert a[k].keys() == b[k].keys()
            for c in a[k]:
                np.testing.assert_array_equal(a[k][c], b[k][c], err_msg=f"{k}.{c}")
        else:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def assert_same_chunk(x, y):
    """Two replayed chunks hold the same rows: people, events, ties, frame, sample and cells."""
    for name in ("people", "events", "ties"):
        pd.testing.assert_frame_equal(getattr(x.population, name), getattr(y.population, name))
    pd.testing.assert_frame_equal(x.frame, y.frame)
    np.testing.assert_array_equal(x.sample_rows, y.sample_rows)
    np.testing.assert_array_equal(x.cells, y.cells)


CASES = [(name, audit) for name in ("suining", "sesame")
         for audit in (ReversibilityAudit(), AppealAudit(), SpilloverAudit(), ContagionAudit())
         if audit.name != "contagion" or name == "sesame"]  # contagion applies to scorers that read ties


@pytest.mark.parametrize(("name", "audit"), CASES, ids=[f"{a.name}-{n}" for n, a in CASES])
def test_pooled_replay_equals_the_replay_inside_the_chunk(population, name, audit):
    """Suining reads no ties; sesame reads friends, which the pool carries as context."""
    scorer = load_scorer(name)
    chunk = scored(population, scorer)
    pool = pooled_sample(chunk)
    assert pool.sampled == sampled_rows(chunk).size > 0
    inside = audit.measure(chunk)
    pooled = audit.measure(pool.scored_chunk(context(population, scorer)))
    assert_same(records(inside), records(pooled))


def split(pop, at):
    """Two chunks of ``pop``: people with ids below ``at`` and the rest (ties kept within each)."""
    parts = []
    for keep_ids in (pop.people["person_id"] < at, pop.people["person_id"] >= at):
        ids = pop.people["person_id"][keep_ids].to_numpy()
        ev = pop.events[pop.events["person_id"].isin(ids)].reset_index(drop=True)
        ties = pop.ties[pop.ties["person_id"].isin(ids) & pop.ties["friend_id"].isin(ids)].reset_index(drop=True)
        parts.append(type(pop)(people=pop.people[keep_ids].reset_index(drop=True), events=ev, ties=ties,
                               horizon_months=pop.horizon_months, synthetic=True, spec=pop.spec))
    return parts


def test_a_pool_carries_ties_only_for_a_scorer_that_reads_them(population):
    """Sesame's pool holds every tie its sampled people name; suining, which reads none, pools no ties."""
    for name, reads_ties in (("sesame", True), ("suining", False)):
        chunk = scored(population, load_scorer(name))
        part = pooled_sample(chunk).parts[0]
        ids = population.people["person_id"].to_numpy()[sampled_rows(chunk)]
        named = population.ties[population.ties["person_id"].isin(ids)].reset_index(drop=True)
        assert len(named) > 0
        if reads_ties:
            pd.testing.assert_frame_equal(part.ties, named)
        else:
            assert len(part.ties) == 0 and list(part.ties.columns) == list(population.ties.columns)
            assert np.array_equal(np.sort(part.people["person_id"].to_numpy()), np.sort(ids))  # no friends as context


def _root(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


@pytest.mark.parametrize("replay_sample", [60, 0], ids=["sampled", "no-one-sampled"])
def test_a_pool_keeps_none_of_its_chunks_columns_alive(replay_sample):
    """A pool outlives its batch: an empty slice of the batch's ties or events must not keep their columns alive.

    (``frame.iloc[:0]`` is a view of the whole column: a scorer that reads no
    ties pooled one per batch, which kept each batch's tie columns, 80 MiB at a
    million people, until the worker's chunk was done.)
    """
    import gc
    import weakref

    pop = synthesize("tiny", size=SIZE, seed=21)
    options = AuditOptions(seed=5, population_size=SIZE, replay_sample=replay_sample, bootstrap=0)
    chunk = scored(pop, load_scorer("suining"), options)
    columns = [weakref.ref(_root(getattr(pop, table)[c].to_numpy()))
               for table in ("events", "ties") for c in ("person_id", "month", "friend_id") if c in getattr(pop, table)]
    pool = pooled_sample(chunk)
    assert (pool.sampled == 0) == (replay_sample == 0) and len(pool.parts[0].ties) == 0
    del pop, chunk
    gc.collect()
    assert [ref() is None for ref in columns] == [True] * len(columns)
    assert pool.parts  # the pool itself is alive


def test_pools_merge_in_any_order_to_the_same_chunk(population):
    scorer = load_scorer("sesame")
    a, b = (pooled_sample(scored(p, scorer)) for p in split(population, 1234))
    ctx = context(population, scorer)
    ab, ba = a.merge(b).scored_chunk(ctx), b.merge(a).scored_chunk(ctx)
    assert_same_chunk(ab, ba)
    # people in person-id order; the sampled ones are, stratum by stratum, the smallest hashes of both pools:
    # the very people the whole population in one chunk samples (the sample no longer adds up across chunks)
    ids = ab.population.people["person_id"].to_numpy()
    assert np.all(ids[1:] > ids[:-1])
    chunks = [scored(p, scorer) for p in split(population, 1234)]
    all_ids = np.concatenate([c.population.people["person_id"].to_numpy() for c in chunks])
    strata = np.concatenate([strata_of(c) for c in chunks])
    expected = all_ids[bottom_k(hashes(OPTIONS.seed, all_ids), strata, stratum_targets(OPTIONS.replay_sample))]
    np.testing.assert_array_equal(ids[ab.sample_rows], np.sort(expected))
    assert ab.sample_rows.size < a.sampled + b.sampled
    np.testing.assert_array_equal(ab._memo["replay_sizes"], np.bincount(strata, minlength=3))


def test_a_pool_that_sampled_no_one_stays_one_empty_part(population):
    scorer = load_scorer("suining")
    none = AuditOptions(seed=5, population_size=SIZE, replay_sample=0, bootstrap=0)
    empty = pooled_sample(scored(population, scorer, none))
    assert empty.sampled == 0 and len(empty.parts) == 1 and len(empty.parts[0]) == 0
    merged = empty.merge(empty).merge(empty)
    assert len(merged.parts) == 1
    full = pooled_sample(scored(population, scorer))
    assert merged.merge(full).parts == full.parts  # empty parts are dropped beside real ones
    chunk = merged.scored_chunk(context(population, scorer, none))
    assert len(chunk.population) == 0 and chunk.sample_rows.size == 0


def test_pools_of_different_horizons_do_not_merge(population):
    scorer = load_scorer("suining")
    pool = pooled_sample(scored(population, scorer))
    other = ReplayPool(parts=pool.parts, horizon_months=pool.horizon_months + 1, synthetic=True)
    with pytest.raises(ValueError, match="months"):
        pool.merge(other)


def test_many_parts_are_joined_without_changing_the_replayed_chunk(population, monkeypatch):
    import audit.replay.pool as rp

    scorer = load_scorer("sesame")
    pools = [pooled_sample(scored(p, scorer)) for p in split(population, 1500)]
    ctx = context(population, scorer)
    kept = pools[0].merge(pools[1]).scored_chunk(ctx)
    monkeypatch.setattr(rp, "MAX_PARTS", 1)
    joined_pool = pools[1].merge(pools[0])
    assert len(joined_pool.parts) == 1
    joined = joined_pool.scored_chunk(ctx)
    assert_same_chunk(kept, joined)


# ---------------------------------------------------------------- lazy trimming against cutting at every merge


def _cut_eagerly(part, keep):
    """The formulation merges used to apply at once: only the sampled rows ``keep``, their friends, events and ties."""
    ids = part["people"]["person_id"].to_numpy()
    ties = part["ties"][part["ties"]["person_id"].isin(ids[keep])].reset_index(drop=True)
    rows = np.flatnonzero(keep | np.isin(ids, ties["friend_id"].to_numpy()))
    events = part["events"][part["events"]["person_id"].isin(ids[rows])].reset_index(drop=True)
    return dict(people=part["people"].iloc[rows].reset_index(drop=True), events=events, ties=ties,
                frame=part["frame"].iloc[rows].reset_index(drop=True), cells=part["cells"][rows], sampled=keep[rows],
                u=part["u"][rows], stratum=part["stratum"][rows])


def _fields(part):
    return dict(people=part.people, events=part.events, ties=part.ties, frame=part.frame, cells=part.cells,
                sampled=part.sampled, u=part.u, stratum=part.stratum)


def _eager_merge(a, b, targets, max_parts):
    """Two eager pools (lists of part fields) merged: trimmed to the ``targets`` smallest hashes per stratum, cut at once."""
    parts = [p for p in a + b if len(p["people"])]
    u = np.concatenate([p["u"][p["sampled"]] for p in parts])
    h = np.concatenate([p["stratum"][p["sampled"]] for p in parts]).astype(np.int64)
    cut = np.full(len(targets), np.inf)
    for s in range(len(targets)):
        if (h == s).sum() > targets[s]:
            cut[s] = np.sort(u[h == s])[targets[s] - 1]
    out = []
    for p in parts:
        keep = p["sampled"] & (p["u"] <= cut[np.maximum(p["stratum"], 0)])
        q = p if np.array_equal(keep, p["sampled"]) else _cut_eagerly(p, keep)
        if len(q["people"]):
            out.append(q)
    if len(out) > max_parts:
        out = [{k: (pd.concat([q[k] for q in out], ignore_index=True) if isinstance(out[0][k], pd.DataFrame)
                    else np.concatenate([q[k] for q in out])) for k in out[0]}]
    return out


def _assert_same_parts(lazy_pool, eager_parts):
    compacted = [p.compacted() for p in lazy_pool.parts]
    assert len(compacted) == len(eager_parts)
    for got, want in zip(compacted, eager_parts, strict=True):
        for name, value in _fields(got).items():
            if isinstance(value, pd.DataFrame):
                pd.testing.assert_frame_equal(value, want[name], obj=name)
            else:
                np.testing.assert_array_equal(value, want[name], err_msg=name)


def _cuts(population, bounds):
    """The population cut into chunks at the person ids ``bounds``."""
    pieces, rest = [], population
    for at in bounds:
        first, rest = split(rest, at)
        pieces.append(first)
    return [*pieces, rest]


@pytest.mark.parametrize("max_parts", [32, 2])
@pytest.mark.parametrize("name", ["sesame", "suining"])
def test_trimming_lazily_keeps_what_cutting_at_every_merge_keeps(population, monkeypatch, name, max_parts):
    """Every part, once compacted, equals the part merges used to cut at once, in several chunkings and orders."""
    import pickle

    import audit.replay.pool as rp

    monkeypatch.setattr(rp, "MAX_PARTS", max_parts)
    scorer = load_scorer(name)
    targets = stratum_targets(OPTIONS.replay_sample)
    rng = np.random.default_rng(3)
    lazy_seen = 0
    for bounds in ([900, 1800, 2400], [300, 600, 1000, 1500, 2000, 2600], [1500]):
        pools = [pooled_sample(scored(p, scorer)) for p in _cuts(population, bounds)]
        orders = [list(range(len(pools))), list(range(len(pools)))[::-1], list(rng.permutation(len(pools)))]
        for order in orders:
            lazy, eager = pools[order[0]], [_fields(p) for p in pools[order[0]].parts]
            for i in order[1:]:
                lazy = lazy.merge(pools[i])
                eager = _eager_merge(eager, [_fields(p) for p in pools[i].parts], targets, max_parts)
                _assert_same_parts(lazy, eager)
                lazy_seen += sum(p.sampled_when_cut is not None for p in lazy.parts)
            _assert_same_parts(pickle.loads(pickle.dumps(lazy)), eager)
            assert all(p.sampled_when_cut is None for p in pickle.loads(pickle.dumps(lazy)).parts)
        # a balanced tree of merges too, and its replayed chunk
        tree = pools
        while len(tree) > 1:
            tree = [tree[i].merge(tree[i + 1]) if i + 1 < len(tree) else tree[i] for i in range(0, len(tree), 2)]
        ctx = context(population, scorer)
        by_tree, in_order = tree[0].scored_chunk(ctx), lazy.scored_chunk(ctx)
        assert_same_chunk(by_tree, in_order)
    assert lazy_seen > 0  # some parts were trimmed without being cut: the lazy path ran


# ---------------------------------------------------------------- the gather against a pandas formulation


def _gathered_by_pandas(chunk, sampled, with_friends):
    """What a chunk's part holds, found with ``isin`` masks over the whole chunk: the sampled rows, the ties they
    name and the friends in them (scorers reading ties), those rows' events, frame rows, cells, hashes and strata."""
    pop = chunk.population
    ids = pop.people["person_id"].to_numpy()
    ties = pop.ties[pop.ties["person_id"].isin(ids[sampled])] if with_friends else pop.ties.iloc[:0]
    rows = np.flatnonzero(np.isin(np.arange(ids.size), sampled) | np.isin(ids, ties["friend_id"].to_numpy()))
    return dict(
        people=pop.people.iloc[rows].reset_index(drop=True),
        events=pop.events[pop.events["person_id"].isin(ids[rows])].reset_index(drop=True),
        ties=ties.reset_index(drop=True), frame=chunk.frame.iloc[rows].reset_index(drop=True),
        cells=chunk.cells[rows], sampled=np.isin(rows, sampled), u=hashes(chunk.options.seed, ids[rows]),
        stratum=strata_of(chunk)[rows],
    )


@pytest.mark.parametrize("name", ["sesame", "suining"])
def test_a_gathered_part_holds_what_masks_over_the_chunk_find(population, name):
    """Random samples (none, one person, a person with no friends, unsorted rows, everyone), with and without friends,
    and with the batch's hashes already computed by the sample or not: the part is the pandas formulation's."""
    scorer = load_scorer(name)
    rng = np.random.default_rng(11)
    n = len(population.people)
    named = population.ties["person_id"].to_numpy()
    lonely = np.flatnonzero(~np.isin(population.people["person_id"].to_numpy(), named))[:1]
    samples = [np.zeros(0, np.int64), np.array([17]), lonely, rng.choice(n, 40, replace=False),
               np.sort(rng.choice(n, 300, replace=False)), np.arange(n)]
    for sampled in samples:
        for with_friends in (True, False):
            for hashed_first in (True, False):
                chunk = scored(population, scorer)
                if hashed_first:
                    sampled_rows(chunk)  # computes and keeps every person's hash in the batch memo
                part = ReplayPool.gather(chunk, sampled, with_friends=with_friends).parts[0]
                want = _gathered_by_pandas(chunk, np.asarray(sampled, dtype=np.int64), with_friends)
                for field, value in _fields(part).items():
                    if isinstance(value, pd.DataFrame):
                        pd.testing.assert_frame_equal(value, want[field], obj=field)
                    else:
                        np.testing.assert_array_equal(value, want[field], err_msg=field)
                        assert value.dtype == want[field].dtype, field


def test_sorted_union_is_numpys_union():
    """Ascending runs with shared, repeated and no rows, and unsorted input, against ``np.union1d``."""
    from audit.replay.pool import _sorted_union

    rng = np.random.default_rng(4)
    cases = [(np.zeros(0, np.int64), np.zeros(0, np.intp)), (np.array([3]), np.zeros(0, np.intp)),
             (np.zeros(0, np.int64), np.array([5, 5, 9])), (np.array([2, 4, 6]), np.array([1, 4, 4, 7])),
             (np.array([9, 1, 5]), np.array([5, 0]))]
    for _ in range(50):
        a = np.sort(rng.choice(1000, rng.integers(0, 60), replace=False))
        b = np.sort(rng.integers(0, 1000, rng.integers(0, 200))).astype(np.intp)
        cases.append((a, b))
    for a, b in cases:
        got = _sorted_union(a, b)
        np.testing.assert_array_equal(got, np.union1d(a, b).astype(np.int64))
        assert got.dtype == np.int64


def _with_cutoff(chunk, cut):
    from dataclasses import replace as replaced

    return replaced(chunk, replay_cutoff=None if cut is None else tuple(cut), _memo={})


def test_a_pools_cutoffs_are_each_strata_kth_smallest_hash(population):
    """The cut-off of a stratum is the ``k``-th smallest pooled hash in it (sorted by hand); inf while fewer."""
    from audit.replay.pool import replay_cutoffs

    scorer = load_scorer("sesame")
    sizes = np.bincount(strata_of(scored(population, scorer)), minlength=3)
    k = int(np.sort(sizes)[1])  # the largest stratum fills its k, the smallest does not
    options = AuditOptions(seed=5, population_size=SIZE, replay_sample=k, bootstrap=0)
    a, b = (pooled_sample(scored(p, scorer, options)) for p in split(population, 1234))
    pool = a.merge(b)
    u = np.concatenate([p.u[p.sampled] for p in pool.parts])
    h = np.concatenate([p.stratum[p.sampled] for p in pool.parts])
    expected = [np.sort(u[h == s])[k - 1] if (h == s).sum() >= k else np.inf for s in range(3)]
    assert np.isfinite(expected).any() and not np.isfinite(expected).all()
    np.testing.assert_array_equal(pool.hash_cutoffs(), expected)
    assert replay_cutoffs({"s": {"appeal": {"pool": pool}, "disparity": {}}}) == {"s": tuple(expected)}
    # a fixed-rate pool (rule attribution) is never trimmed: no cut-off; nor a pool that is not full yet
    unstratified = ReplayPool.gather(scored(population, scorer), sampled_rows(scored(population, scorer)),
                                     with_friends=True, stratified=False)
    assert unstratified.hash_cutoffs() is None
    assert replay_cutoffs({"s": {"attribution_pool": unstratified}}) == {}


@pytest.mark.parametrize("name", ["suining", "sesame"])
def test_a_chunk_told_a_cutoff_gathers_only_the_people_under_it(population, name):
    """Rows gathered under a cut-off: those of the whole sample whose hash is at most their stratum's (by mask)."""
    scorer = load_scorer(name)
    chunk = scored(population, scorer)
    rows = sampled_rows(chunk)
    u = hashes(OPTIONS.seed, population.people["person_id"].to_numpy())
    strata = strata_of(chunk)
    cut = [float(np.median(u[rows][strata[rows] == s])) if (strata[rows] == s).any() else np.inf for s in range(3)]
    cut_chunk = _with_cutoff(chunk, cut)
    pool = pooled_sample(cut_chunk)
    ids = population.people["person_id"].to_numpy()
    expected = ids[rows[u[rows] <= np.asarray(cut)[strata[rows]]]]
    part = pool.parts[0]
    np.testing.assert_array_equal(part.people["person_id"].to_numpy()[part.sampled], expected)
    assert 0 < expected.size < rows.size
    with pytest.raises(ValueError, match="one per stratum"):
        pooled_sample(_with_cutoff(chunk, cut[:2]))


def test_pools_gathered_under_cutoffs_merge_to_the_same_sample(population):
    """The second chunk told the first's cut-offs: the merged pool replays the very chunk pooling everything does."""
    from audit.replay.pool import replay_cutoffs

    scorer = load_scorer("sesame")
    first, second = (scored(p, scorer) for p in split(population, 1500))
    a = pooled_sample(first)
    cut = replay_cutoffs({"s": {"pool": a}}).get("s")
    assert cut is not None
    told = pooled_sample(_with_cutoff(second, cut))
    untold = pooled_sample(_with_cutoff(second, None))
    assert told.sampled < untold.sampled
    ctx = context(population, scorer)
    assert_same_chunk(a.merge(told).scored_chunk(ctx), a.merge(untold).scored_chunk(ctx))
