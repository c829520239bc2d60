"""Does the gap grow? The verdict's three outcomes, its false-alarm rate, and assert_gap_does_not_grow."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from audit.dynamics.intervals import change_interval
from audit.dynamics.verdict import gap_growth
from audit.errors import InvalidArgument
from audit.evidence import HOLDS, NOT_ENOUGH, VIOLATED
from audit.testing import assert_gap_does_not_grow
from tests.audit.dynamics.scorers_for_dynamics import Tally


def section(change, ci, *, n=500, years=5):
    rows = [{"year": 0, "gap": 0.2, "gap_change": 0.0, "gap_change_ci": [-0.001, 0.001]},
            {"year": years, "gap": 0.2 + change, "gap_change": change, "gap_change_ci": ci}]
    return {"groups": ["1", "5"], "reference": "5", "compared": "1", "reference_n": n, "compared_n": n, "years": rows}


def entry(sec):
    return {"label": "x", "dynamics": {"status": "ok", "years": 5, "by": {"income_quintile": sec}}}


def test_three_outcomes():
    assert gap_growth(section(0.0, [-0.004, 0.006]), year=5, tolerance=0.01).outcome == HOLDS
    assert gap_growth(section(0.05, [0.03, 0.07]), year=5, tolerance=0.01).outcome == VIOLATED
    undecided = gap_growth(section(0.01, [-0.01, 0.03]), year=5, tolerance=0.01)
    assert undecided.outcome == NOT_ENOUGH and not undecided.passed
    few = gap_growth(section(0.0, [-0.001, 0.001], n=20), year=5)
    assert few.outcome == NOT_ENOUGH and few.observed == 20
    assert gap_growth(section(0.0, [-0.001, 0.001], years=2), year=5).outcome == NOT_ENOUGH


def test_assertion_passes_only_when_it_holds():
    assert_gap_does_not_grow(entry(section(0.0, [-0.004, 0.006])), by="income_quintile", years=5)
    with pytest.raises(AssertionError, match=r"the gap grows by income_quintile over 5 years") as grown:
        assert_gap_does_not_grow(entry(section(0.05, [0.03, 0.07])), years=5)
    assert "+5.0 points" in str(grown.value) and "+3.0 points to +7.0 points" in str(grown.value)
    with pytest.raises(AssertionError, match="cannot tell whether the gap grows"):
        assert_gap_does_not_grow(entry(section(0.01, [-0.01, 0.03])), years=5)


def test_assertion_refuses_bad_arguments():
    with pytest.raises(InvalidArgument, match="by="):
        assert_gap_does_not_grow(entry(section(0.0, [0, 0])), by="sex")
    with pytest.raises(InvalidArgument, match="tolerance="):
        assert_gap_does_not_grow(entry(section(0.0, [0, 0])), tolerance=2.0)
    with pytest.raises(InvalidArgument, match="no dynamics section"):
        assert_gap_does_not_grow({"label": "x"}, years=1)


def test_false_alarms_at_the_boundary_stay_within_binomial_error():
    """True growth exactly at the tolerance: 'violated' must come at most 2.5% of the time (one-sided)."""
    rng = np.random.default_rng(7)
    reps, n, tol = 2000, 400, 0.02
    p_up_ref, p_down_ref = 0.06, 0.01  # the reference group changes by 0.6 * 0.06 - 0.4 * 0.01 = 0.032
    start = 0.4
    d_ref = (1 - start) * p_up_ref - start * p_down_ref
    # the compared group's paired change chosen so the gap grows by exactly tol
    d_cmp = d_ref - tol
    p_up_cmp = max(d_cmp, 0.0) / (1 - start) + 0.02
    p_down_cmp = ((1 - start) * p_up_cmp - d_cmp) / start
    alarms = 0
    for _ in range(reps):
        counts = []
        for u, d in ((p_up_ref, p_down_ref), (p_up_cmp, p_down_cmp)):
            fav = rng.random(n) < start
            move = rng.random(n)
            counts += [int(((~fav) & (move < u)).sum()), int((fav & (move < d)).sum()), n]
        est, ci = change_interval(*counts)
        sec = section(est, list(ci), n=n)
        alarms += gap_growth(sec, year=5, tolerance=tol).outcome == VIOLATED
    assert alarms / reps <= 0.025 + 3 * math.sqrt(0.025 * 0.975 / reps)


def test_assertion_simulates_on_demand_for_the_audit_run_fixture_shape():
    run = SimpleNamespace(label="tally", scorer=Tally(), sections={},
                          population=SimpleNamespace(name="tiny", size=800, seed=0), population_size=800)
    with pytest.raises(AssertionError) as failed:  # 800 people cannot show a change within one point either way
        assert_gap_does_not_grow(run, by="education", years=1)
    assert "dynamics" in run.sections and run.sections["dynamics"]["years"] == 1
    row = run.sections["dynamics"]["by"]["education"]["years"][1]
    assert f"{100 * row['gap_change']:+.1f} points" in str(failed.value)
