"""One block's conduct over a later stretch of months (audit.population.synth.draw_block_months)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.errors import InvalidArgument
from audit.population.model import synthesize
from audit.population.spec import load_spec
from audit.population.synth import FollowUps, draw_block_months
from audit.vocab import EVENT_KINDS

SPEC = load_spec("tiny")  # 24 months of history
SIZE = 3000


def _key(events: pd.DataFrame) -> np.ndarray:
    return np.stack([events["person_id"].to_numpy(), events["month"].to_numpy(), events["kind"].cat.codes.to_numpy()])


def test_events_fall_in_the_stretch_for_the_blocks_people_sorted_by_person_month_kind():
    drawn = draw_block_months(SPEC, seed=1, block=0, size=SIZE, first_month=30, months=12)
    ev = drawn.events
    assert len(ev) > 0
    assert ev["month"].min() >= 30 and ev["month"].max() < 42
    assert ev["person_id"].min() >= 0 and ev["person_id"].max() < SIZE
    key = _key(ev)
    order = np.lexsort(key[::-1])
    assert np.array_equal(order, np.arange(len(ev)))
    assert len(drawn.carried) and drawn.carried.month.min() >= 42


def test_a_stretch_has_the_static_populations_rate_of_each_kind():
    """Per person-month, each base kind is as frequent as in the static draw (Poisson: within 5 standard errors)."""
    pop = synthesize(SPEC, size=SIZE, seed=4)
    drawn = draw_block_months(SPEC, seed=4, block=0, size=SIZE, first_month=SPEC.horizon_months, months=24)
    static = pop.events["kind"].value_counts()
    later = drawn.events["kind"].value_counts()
    for ev in SPEC.events:
        if ev.follows is not None or static.get(ev.kind, 0) < 200:
            continue
        a, b = int(static[ev.kind]), int(later[ev.kind])  # both over 24 months of the same people
        assert abs(a - b) <= 5 * np.sqrt(a + b), (ev.kind, a, b)


def test_the_same_block_draws_the_same_stretch_whatever_the_population_beyond_it():
    a = draw_block_months(SPEC, seed=2, block=0, size=65_536, first_month=24, months=12).events
    b = draw_block_months(SPEC, seed=2, block=0, size=65_536 + 500, first_month=24, months=12).events
    pd.testing.assert_frame_equal(a, b)
    c = draw_block_months(SPEC, seed=3, block=0, size=65_536, first_month=24, months=12).events
    assert len(a) != len(c) or not a.equals(c)


def test_carried_follow_ups_join_the_stretch_they_fall_in_and_the_rest_wait():
    first = draw_block_months(SPEC, seed=5, block=0, size=SIZE, first_month=24, months=12)
    waiting = first.carried
    follow = EVENT_KINDS.index("judgment_performed")
    assert len(waiting) > 0 and set(waiting.kind.tolist()) == {follow}
    without = draw_block_months(SPEC, seed=5, block=0, size=SIZE, first_month=36, months=6)
    second = draw_block_months(SPEC, seed=5, block=0, size=SIZE, first_month=36, months=6, carried=waiting)
    due = waiting.month < 42
    assert 0 < due.sum() < len(waiting)  # some fall in the six months, some after
    # the stretch's own draws are the same; the due follow-ups are added to them, nothing else
    added = pd.DataFrame({"person_id": waiting.person_id[due], "month": waiting.month[due], "kind": waiting.kind[due]})
    own = pd.DataFrame({"person_id": without.events["person_id"], "month": without.events["month"],
                        "kind": without.events["kind"].cat.codes})
    got = pd.DataFrame({"person_id": second.events["person_id"], "month": second.events["month"],
                        "kind": second.events["kind"].cat.codes})
    expected = pd.concat([own, added.astype(own.dtypes.to_dict())]).sort_values(["person_id", "month", "kind"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
    # those not due wait on, with the follow-ups the new stretch draws past its end
    late = second.carried
    assert set(zip(waiting.person_id[~due].tolist(), waiting.month[~due].tolist(), strict=True)) <= set(
        zip(late.person_id.tolist(), late.month.tolist(), strict=True))
    assert late.month.min() >= 42


@pytest.mark.parametrize(("first_month", "months"), [(-1, 12), (24, 0), (32_760, 12)])
def test_a_bad_stretch_is_refused(first_month, months):
    with pytest.raises(InvalidArgument, match="first_month="):
        draw_block_months(SPEC, seed=0, block=0, size=100, first_month=first_month, months=months)


def test_follow_ups_carried_from_before_the_stretch_are_refused():
    early = FollowUps(person_id=np.array([3]), month=np.array([10]), kind=np.array([0], dtype=np.int8))
    with pytest.raises(InvalidArgument, match="before month 24"):
        draw_block_months(SPEC, seed=0, block=0, size=100, first_month=24, months=12, carried=early)
