"""The dynamics simulation: calibration against the static audit and the survey, chunk invariance, bad input."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from audit.dynamics import dynamics_section, simulate
from audit.dynamics.simulation import history_source
from audit.errors import InvalidArgument, InvalidSpec
from audit.population.model import PopulationView, synthesize
from audit.population.spec import load_spec
from audit.population.synth import draw_block_months
from scorers.registry import load_scorer
from tests.audit.dynamics.scorers_for_dynamics import DropsRowsAsTiesChange, Tally

ZERO = {k: 0.0 for k in ("adapt_share", "adapt_breadth", "offence_reduction", "act_probability", "self_censor_share",
                         "post_reduction", "unfriend_share", "income_loss", "arrears_probability")}


def zero_rates(spec):
    return replace(spec.dynamics, **ZERO)


@pytest.mark.parametrize("scorer", [Tally(), load_scorer("rongcheng")], ids=["tally", "rongcheng"])
def test_zero_rates_reproduce_the_static_audit_month_by_month(scorer):
    spec = load_spec("tiny")
    sim = simulate(scorer, spec, size=1500, seed=3, years=2, dynamics=zero_rates(spec))
    sec = dynamics_section(sim)
    assert sec["status"] == "ok"
    # the static audit: the static population plus each drawn year's events (one block: 1,500 people), scored
    # at each month by the scorer itself, rates by pandas
    pop = synthesize(spec, size=1500, seed=3)
    first = draw_block_months(spec, seed=3, block=0, size=1500, first_month=24, months=12)
    second = draw_block_months(spec, seed=3, block=0, size=1500, first_month=36, months=12, carried=first.carried)
    assert len(first.carried) > 0  # judgments after the first year's last defaults: carried into the second
    events = pd.concat([pop.events, first.events, second.events], ignore_index=True)
    view = PopulationView(people=pop.view().people, events=events, ties=pop.ties, horizon_months=48)
    quintile = pop.people["income_quintile"].to_numpy()
    for step in range(25):
        frame = scorer.score(view, as_of=spec.horizon_months - 1 + step)
        fav = frame["tier"].astype(str).isin(scorer.favourable_tiers).to_numpy()
        expected = pd.Series(fav).groupby(quintile).mean()
        got = [sec["monthly_favourable_by_group"]["income_quintile"][str(q)][step] for q in expected.index]
        np.testing.assert_allclose(got, expected.to_numpy(), rtol=0, atol=1e-12)
    assert sec["changed_first_year"]["count"] == 0
    assert sec["chilling"]["count"] == 0 and sec["loop"]["count"] == 0
    assert all(v["mean"] == 0 for v in sec["isolation"].values() if v["n"])


def test_survey_rates_give_a_first_year_share_of_changers_in_the_survey_range():
    sim = simulate(load_scorer("rongcheng"), "china-2020", size=4000, seed=1, years=1)
    sec = dynamics_section(sim)
    lo, hi = sec["changed_first_year"]["survey_range"]
    assert (lo, hi) == (0.18, 0.80)
    ci = sec["changed_first_year"]["ci"]
    assert lo <= ci[0] and ci[1] <= hi, (sec["changed_first_year"], lo, hi)
    # better-educated, higher-income people change across more activities (the survey's finding the rates encode)
    by_income = sec["by"]["income_quintile"]["changed_first_year"]
    assert by_income["5"]["rate"] > by_income["1"]["rate"]


def test_tallies_do_not_depend_on_the_chunk_size():
    size = 65_536 + 700  # two generation blocks
    a = simulate(Tally(), "tiny", size=size, seed=5, years=1, chunk_size=1)
    b = simulate(Tally(), "tiny", size=size, seed=5, years=1, chunk_size=size)
    assert a.tally is not None and b.tally is not None
    for attr, sums in a.tally.sums.items():
        for key, values in sums.items():
            np.testing.assert_allclose(values, b.tally.sums[attr][key], rtol=1e-12, atol=1e-9, err_msg=f"{attr}.{key}")


def test_same_seed_same_result_and_another_seed_differs():
    a = dynamics_section(simulate(Tally(), "tiny", size=800, seed=2, years=1))
    b = dynamics_section(simulate(Tally(), "tiny", size=800, seed=2, years=1))
    c = dynamics_section(simulate(Tally(), "tiny", size=800, seed=9, years=1))
    drop = ("seconds",)
    assert {k: v for k, v in a.items() if k not in drop} == {k: v for k, v in b.items() if k not in drop}
    assert a["by"] != c["by"]


def test_responses_follow_what_the_scheme_rewards():
    sim = simulate(Tally(), "tiny", size=1500, seed=0, years=1)
    assert sim.probe is not None
    assert set(sim.probe.penalised) == {"traffic_violation", "critical_post", "video_games"}
    assert set(sim.probe.rewarded) == {"volunteering", "charity_donation"}
    sec = dynamics_section(sim)
    q = sec["by"]["income_quintile"]
    # only charity is bought; the tally scorer rewards it one point per act, so bought gains are bought acts
    bought = sum(g["acts_bought"] for g in q["gaming"]["by_group"].values())
    assert bought > 0
    assert sec["chilling"]["count"] > 0


def test_a_scorer_returning_fewer_rows_as_ties_change_fails_named():
    sim = simulate(DropsRowsAsTiesChange(), "tiny", size=600, seed=0, years=1)
    assert sim.error is not None and "drops_rows" in sim.error and "rows" in sim.error
    sec = dynamics_section(sim)
    assert sec["status"] == "failed" and "drops_rows" in sec["error"]


@pytest.mark.parametrize("years", [0, -1, 1.5, True, 200])
def test_bad_years_are_refused(years):
    with pytest.raises(InvalidArgument, match="years="):
        simulate(Tally(), "tiny", size=100, years=years)


def test_a_spec_without_dynamics_is_refused():
    spec = replace(load_spec("tiny"), dynamics=None)
    with pytest.raises(InvalidSpec, match=r"\[dynamics\]"):
        history_source(spec, size=10, seed=0, years=1)
