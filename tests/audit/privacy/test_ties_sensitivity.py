"""Every published table's stated sensitivity holds on neighbouring datasets, ties included.

Neighbouring datasets differ by one person with all their records: their
people row, their events and every tie naming them (as person or friend).
Each reference scorer scores both datasets through the path a run uses
(:func:`audit.population.source.open_source` caps ties before scoring; the disparity
audit's :func:`audit.disparity.audit.collect_counts` builds the exact counts), the
release's tables are summed (:func:`audit.privacy.queries.exact_tables`) and
their L1 distance is measured against the sensitivity the release charges.

The adversarial table is the issue's: one person is the only friend of 1,000
people, and that person lists five friends who are each listed by 30 people
(so removing them lets other ties into the cap).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from audit.disparity.audit import collect_counts
from audit.population.groups import layout_for
from audit.population.model import synthesize
from audit.population.source import open_source
from audit.population.tie_bound import MAX_IN_DEGREE, cap_in_degree, influence
from audit.privacy.publish import DEFAULT_MAX_FRIENDS, plan_release, tie_bounds
from audit.privacy.queries import exact_tables, reads_ties, score_bounds_for
from scorers.registry import load_scorer

REFERENCE = ("joint_punishment", "rongcheng", "sesame", "suining")
HUB_LISTERS = 1000
HUB_FRIENDS = 5
FRIEND_LISTERS = 30


@pytest.fixture(scope="module")
def adversarial():
    """1,300 people; person ids[0] is the only friend of 1,000 people and lists 5 popular friends."""
    pop = synthesize("tiny", size=1300, seed=5)
    ids = pop.people["person_id"].to_numpy()
    hub = ids[0]
    listers = ids[1:1 + HUB_LISTERS]
    friends = ids[1 + HUB_LISTERS:1 + HUB_LISTERS + HUB_FRIENDS]
    rest = ids[1 + HUB_LISTERS + HUB_FRIENDS:]
    person = [*listers, *([hub] * HUB_FRIENDS)]
    friend = [*([hub] * HUB_LISTERS), *friends]
    for j, f in enumerate(friends):  # each friend of the hub is listed by 30 other people too
        for p in rest[j * FRIEND_LISTERS:(j + 1) * FRIEND_LISTERS]:
            person.append(p)
            friend.append(f)
    ties = pd.DataFrame({"person_id": np.asarray(person, np.int64), "friend_id": np.asarray(friend, np.int64)})
    ties = ties.sort_values(["person_id", "friend_id"], kind="stable").reset_index(drop=True)
    pop = replace(pop, ties=ties, synthetic=False, source="dataframe", _fingerprint=[], _sorted={})
    return pop, {"hub": hub, "lister": listers[17], "friend": friends[2], "friend_lister": rest[3], "loner": rest[-1]}


def _without(pop, pid):
    """The neighbouring dataset: ``pid`` removed with their people row, events and every tie naming them."""
    ties = pop.ties
    keep = (ties["person_id"].to_numpy() != pid) & (ties["friend_id"].to_numpy() != pid)
    return replace(pop, people=pop.people[pop.people["person_id"].to_numpy() != pid].reset_index(drop=True),
                   events=pop.events[pop.events["person_id"].to_numpy() != pid].reset_index(drop=True),
                   ties=ties[keep].reset_index(drop=True), _fingerprint=[], _sorted={})


def _tables(scorer, pop):
    source = open_source(pop)  # caps ties as a run does
    view = source.supplied.view()
    frame = scorer.score(view, as_of=pop.horizon_months - 1)
    layout = layout_for(())
    sanctions = (np.column_stack([frame[s].to_numpy(dtype=bool) for s in scorer.sanctions]) if scorer.sanctions
                 else np.zeros((len(frame), 0), dtype=bool))
    agg = collect_counts(cells=layout.encode(source.supplied.people), n_cells=layout.n_cells,
                         tier=frame["tier"].cat.codes.to_numpy().astype(np.int64), n_tiers=len(scorer.tiers),
                         sanctions=sanctions, scores=frame["score"].to_numpy())
    reach = influence(max_in_degree=MAX_IN_DEGREE, max_out_degree=DEFAULT_MAX_FRIENDS) if reads_ties(scorer) else 0
    tables = exact_tables(scorer, {"disparity": agg}, layout, score_bounds_for(scorer), affected=reach)
    return {t.query: t for t in tables}


@pytest.mark.parametrize("name", REFERENCE)
def test_neighbouring_datasets_move_no_table_beyond_its_sensitivity(adversarial, name):
    pop, people = adversarial
    scorer = load_scorer(name)
    full = _tables(scorer, pop)
    assert set(full) == {"tiers_by_cell", "adverse_by_cell", "score_sum_by_cell", "score_histogram"}
    measured = {}
    for who, pid in people.items():
        near = _tables(scorer, _without(pop, pid))
        for q, t in full.items():
            l1 = int(np.abs(t.values.astype(np.int64) - near[q].values.astype(np.int64)).sum())
            measured[(who, q)] = l1
            assert l1 <= t.sensitivity, (name, who, q, l1, t.sensitivity)
    if name == "sesame":
        # the tie term is real: removing the hub moves the tier table by more than the 1 charged before the fix
        assert measured[("hub", "tiers_by_cell")] > 1
        assert full["tiers_by_cell"].sensitivity == 1 + 2 * (MAX_IN_DEGREE + DEFAULT_MAX_FRIENDS)
    else:
        assert full["tiers_by_cell"].sensitivity == 1  # reads no ties: one person moves one count


@pytest.mark.parametrize("name", REFERENCE)
def test_natural_ties_too(name):
    """A drawn population's own ties: removing its most-listed person, a person listing 5, or anyone."""
    pop = synthesize("tiny", size=800, seed=21)
    pop = replace(pop, synthetic=False, source="dataframe", _fingerprint=[], _sorted={})
    listed = pop.ties["friend_id"].value_counts()
    rng = np.random.default_rng(4)
    who = [int(listed.index[0]), int(pop.ties["person_id"].iloc[0]),
           *rng.choice(pop.people["person_id"].to_numpy(), 4, replace=False).tolist()]
    scorer = load_scorer(name)
    full = _tables(scorer, pop)
    for pid in who:
        near = _tables(scorer, _without(pop, pid))
        for q, t in full.items():
            l1 = int(np.abs(t.values.astype(np.int64) - near[q].values.astype(np.int64)).sum())
            assert l1 <= t.sensitivity, (name, pid, q, l1, t.sensitivity)


def test_without_the_cap_the_hub_moves_sesame_far_beyond_its_charge(adversarial):
    """The defect: uncapped, one person moved the tier table by far more than any bound stated for it."""
    pop, people = adversarial
    scorer = load_scorer("sesame")
    uncapped = MAX_IN_DEGREE * 1000

    def tiers(p):
        view = open_source(p, max_in_degree=uncapped).supplied.view()
        frame = scorer.score(view, as_of=p.horizon_months - 1)
        return frame["tier"].cat.codes.to_numpy(), p.people["person_id"].to_numpy()

    codes, ids = tiers(pop)
    codes_near, ids_near = tiers(_without(pop, people["hub"]))
    changed = int(np.sum(codes[1:] != codes_near))  # row 0 is the hub
    assert ids[0] == people["hub"] and np.array_equal(ids[1:], ids_near)
    # each changed person moves L1 2 in the tier table: far beyond 1 + 2 (D + K)
    assert 1 + 2 * changed > 1 + 2 * (MAX_IN_DEGREE + DEFAULT_MAX_FRIENDS)


def test_cap_keeps_at_most_d_per_friend_by_a_fixed_rule(adversarial):
    pop, people = adversarial
    capped = cap_in_degree(pop.ties, MAX_IN_DEGREE)
    per_friend = capped.groupby("friend_id").size()
    assert per_friend.max() == MAX_IN_DEGREE and per_friend[people["hub"]] == MAX_IN_DEGREE
    # ties under the cap are all kept; rows keep their order (sorted by person stays sorted)
    small = pop.ties.groupby("friend_id").size()
    assert (per_friend[small[small <= MAX_IN_DEGREE].index] == small[small <= MAX_IN_DEGREE]).all()
    assert capped["person_id"].is_monotonic_increasing
    # the rule does not depend on row order: shuffled input keeps the same set of ties
    shuffled = cap_in_degree(pop.ties.sample(frac=1.0, random_state=1).reset_index(drop=True), MAX_IN_DEGREE)
    key = lambda t: set(zip(t["person_id"], t["friend_id"]))  # noqa: E731
    assert key(shuffled) == key(capped)
    # removing a lister whose only tie was dropped changes nobody else's kept ties (each friend's set is its own)
    dropped = set(zip(pop.ties["person_id"], pop.ties["friend_id"])) - key(capped)
    out = pop.ties.groupby("person_id").size()
    p = min(a for a, _ in dropped if out[a] == 1 and a != people["hub"] and a not in set(pop.ties["friend_id"]))
    near = cap_in_degree(pop.ties[(pop.ties["person_id"] != p) & (pop.ties["friend_id"] != p)], MAX_IN_DEGREE)
    assert key(near) == {t for t in key(capped) if p not in t}


def test_supplied_ties_beyond_max_friends_are_refused_before_publishing(adversarial):
    pop, _ = adversarial
    described = open_source(pop).describe()
    # K bounds the ties a person keeps after the cap (only a kept tie can let another in when it goes)
    kept = cap_in_degree(pop.ties, MAX_IN_DEGREE)
    hub_kept = int((kept["person_id"] == pop.people["person_id"].iloc[0]).sum())
    assert described["ties"]["max_out_degree"] == hub_kept and 1 <= hub_kept <= HUB_FRIENDS
    assert described["ties"]["ties_dropped"] == len(pop.ties) - len(kept) > 0

    class Result:
        population = described

    assert tie_bounds(Result, hub_kept)["max_friends"] == hub_kept
    assert tie_bounds(Result, None)["max_friends"] == DEFAULT_MAX_FRIENDS
    with pytest.raises(ValueError, match=f"lists {hub_kept} friends.*max_friends={hub_kept}"):
        tie_bounds(Result, hub_kept - 1)
    assert tie_bounds(Result, hub_kept - 1, needed=False)["max_friends"] == hub_kept - 1  # no scorer reads ties


def test_a_run_without_a_recorded_tie_bound_is_not_published():
    from tests.audit.privacy.fakes import fake_result

    result = fake_result()
    del result.population["ties"]
    with pytest.raises(ValueError, match="no tie bound"):
        plan_release(result, epsilon=1.0)


def test_sesame_moves_a_friends_score_by_at_most_its_declared_reach(adversarial):
    """The score-sum sensitivity of sesame uses its declared tie_score_reach (31 points): measured, uncapped."""
    pop, people = adversarial
    scorer = load_scorer("sesame")
    assert scorer.tie_score_reach == pytest.approx(31.0)

    def scores(p):
        view = open_source(p, max_in_degree=10**6).supplied.view()
        return scorer.score(view, as_of=p.horizon_months - 1)["score"].to_numpy(), p.people["person_id"].to_numpy()

    base, ids = scores(pop)
    for who in ("hub", "friend"):
        near, near_ids = scores(_without(pop, people[who]))
        keep = np.isin(ids, near_ids)
        moved = np.abs(base[keep] - near)
        assert moved.max() <= scorer.tie_score_reach
        assert moved.max() > 0  # friends' scores do move
    tables = _tables(scorer, pop)
    assert tables["score_sum_by_cell"].sensitivity == 30_000 + (MAX_IN_DEGREE + DEFAULT_MAX_FRIENDS) * 3_100
