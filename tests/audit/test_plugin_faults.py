"""Plugin faults that stay inside the process: each fails its scorer alone, or is accepted as reasonable.

The healthy scorer's figures are worked out with pandas from the population
(:class:`tests.audit.faulty_scorers.Plain`: tier ``bad`` iff any recorded
drunk driving), never taken from a run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.disparity.audit import DisparityAudit
from audit.engine.contract import AuditOptions
from audit.errors import InvalidScorerSpec, ScorerContractError, ScorerFailed
from audit.population.model import synthesize
from audit.runner import RunConfig, UnloadedScorer, resolve_scorers, run
from scorers.adapter import PluginScorer, adapt, printable
from scorers.protocol import validate_score_frame
from scorers.registry import load_scorer
from scorers.testing import check_scorer
from tests.audit import faulty_scorers as fs

SIZE = 3000  # above the 1,000-person probe: the late faults strike on the main run
FILE = "tests/audit/faulty_scorers.py"


@pytest.fixture(scope="module")
def population():
    return synthesize("tiny", size=SIZE, seed=3)


def _run(scorers, population):
    return run(scorers, RunConfig(population=population, options=AuditOptions(bootstrap=0)), audits=[DisparityAudit()])


def _expected_shares(population) -> dict[str, float]:
    return fs.plain_tier_shares(population)


def _favourable_by_quintile(population) -> dict[int, float]:
    fav = ~fs.drunk_drivers(population)
    return {int(q): float(v) for q, v in fav.groupby(population.people["income_quintile"]).mean().items()}


def _section_rates(scorer_run) -> dict[int, float]:
    return {g["group"]: g["favourable_rate"] for g in scorer_run.sections["disparity"]["income_quintile"]["groups"]}


def _healthy(result, population):
    plain = result.run_for("plain")
    assert plain.error is None
    assert plain.sections["tier_shares"] == pytest.approx(_expected_shares(population), abs=1e-12)
    assert _section_rates(plain) == pytest.approx(_favourable_by_quintile(population), abs=1e-12)


def test_scores_of_2_to_the_31_fail_that_scorer_alone(population):
    result = _run([fs.HugeScores(), fs.Plain()], population)
    _healthy(result, population)
    err = result.run_for("huge_scores").error
    assert err is not None and "2**31" in err and "'huge_scores'" in err


def test_a_score_just_below_2_to_the_31_is_accepted(population):
    view = population.view()
    frame = fs.Plain().score(view, as_of=population.horizon_months - 1)
    frame["score"] = 2.0**31 - 1
    assert (validate_score_frame(fs.Plain(), frame, view)["score"] == 2.0**31 - 1).all()
    frame["score"] = -(2.0**31)
    with pytest.raises(ScorerContractError, match="2,147,483,648"):
        validate_score_frame(fs.Plain(), frame, view)


@pytest.mark.parametrize("order", ["faulty first", "faulty last"])
def test_emptying_view_events_in_place_after_the_probe_harms_no_other_scorer(population, order):
    scorers = [fs.EmptiesEventsLate(), fs.Plain()]
    result = _run(scorers if order == "faulty first" else scorers[::-1], population)
    _healthy(result, population)
    assert len(population.events) > 0  # the caller's population is untouched too


def test_a_frozen_dataclass_with_dict_params_is_a_reasonable_scorer(population):
    scorer = fs.FrozenDictParams()
    with pytest.raises(TypeError, match="unhashable"):
        hash(scorer)
    result = _run([scorer, fs.Plain()], population)
    _healthy(result, population)
    (mine,) = [r for r in result.runs if r.label != "plain"]
    assert mine.error is None
    assert mine.sections["tier_shares"] == pytest.approx(_expected_shares(population), abs=1e-12)
    assert hash(adapt(scorer)) == hash(adapt(scorer)) and adapt(scorer) == adapt(scorer)


def test_a_constructor_or_with_params_that_raises_fails_that_scorer_alone(population):
    specs = [f"{FILE}:InitRaises", f"{FILE}:WithParamsRaises:scale=2", f"{FILE}:Plain"]
    scorers = resolve_scorers(specs)
    assert isinstance(scorers[0], UnloadedScorer) and isinstance(scorers[1], UnloadedScorer)
    result = _run(scorers, population)
    _healthy(result, population)
    failed = {r.label: r.error for r in result.failed}
    assert "missing licence file" in failed[f"{FILE}:InitRaises"]
    assert "variants are not supported yet" in failed[f"{FILE}:WithParamsRaises:scale=2"]
    assert result.run_for(f"{FILE}:InitRaises").meta()["name"] == f"{FILE}:InitRaises"


def test_load_scorer_turns_plugin_errors_into_scorer_failed():
    with pytest.raises(ScorerFailed, match="constructing InitRaises"):
        load_scorer(f"{FILE}:InitRaises")
    with pytest.raises(ScorerFailed, match=r"with_params\(scale=2\) raised RuntimeError"):
        load_scorer(f"{FILE}:WithParamsRaises:scale=2")


def test_rows_reordered_with_their_index_are_aligned_by_index(population):
    result = _run([fs.Reordered(), fs.Plain()], population)
    _healthy(result, population)
    assert _section_rates(result.run_for("reordered")) == pytest.approx(_favourable_by_quintile(population), abs=1e-12)


def test_alignment_follows_the_index_only_when_it_rearranges_the_inputs(population):
    view = population.view()
    as_of = population.horizon_months - 1
    plain = fs.Plain().score(view, as_of=as_of)
    expected = plain["score"].to_numpy()
    shuffled = plain.iloc[np.random.default_rng(0).permutation(len(plain))]  # index kept
    assert (validate_score_frame(fs.Plain(), shuffled, view)["score"].to_numpy() == expected).all()
    renumbered = plain.set_axis(pd.Index(np.arange(len(plain)) + 10**6))
    with pytest.raises(ScorerContractError, match="neither view.people's index nor a rearrangement"):
        validate_score_frame(fs.Plain(), renumbered, view)
    # indexed by person id, in another order: aligned by person id
    ids = view.people["person_id"].to_numpy()
    offset = type(view)(people=view.people.set_axis(pd.RangeIndex(len(ids)) + 7), events=view.events, ties=view.ties,
                        horizon_months=view.horizon_months)
    by_id = plain.set_axis(pd.Index(ids)).iloc[::-1]
    assert (validate_score_frame(fs.Plain(), by_id, offset)["score"].to_numpy() == expected).all()
    # a fresh frame (default RangeIndex) is read by position, whatever the input's index is
    people = view.people.iloc[::-1]
    sub = type(view)(people=people, events=view.events, ties=view.ties, horizon_months=view.horizon_months)
    fresh = fs.Plain().score(sub, as_of=as_of)
    assert isinstance(fresh.index, pd.RangeIndex)
    got = validate_score_frame(fs.Plain(), fresh, sub)["score"].to_numpy()
    assert (got == expected[::-1]).all()


def test_the_conformance_suite_flags_what_a_run_would_misread():
    # check_scorer and run share validate_score_frame: a reordered frame is aligned in both, a renumbered one refused
    results = {r.name: r for r in check_scorer(fs.Reordered())}
    assert results["check_output_contract"].passed, results["check_output_contract"].message
    assert results["check_row_order_invariance"].passed, results["check_row_order_invariance"].message


def test_reasons_given_as_lists_are_accepted_and_normalised(population):
    results = {r.name: r for r in check_scorer(fs.ListReasons())}
    assert results["check_output_contract"].passed, results["check_output_contract"].message
    assert all(r.passed for r in results.values()), [r for r in results.values() if not r.passed]


def test_only_the_required_parts_make_a_scorer(population):
    from scorers.protocol import Scorer

    assert isinstance(fs.Minimal(), Scorer)
    results = check_scorer(fs.Minimal())
    assert all(r.passed for r in results), [r for r in results if not r.passed]
    scorer = load_scorer(f"{FILE}:Minimal")
    result = _run([scorer, fs.Plain()], population)
    _healthy(result, population)
    meta = result.run_for("minimal").meta()
    assert meta["description"] == "" and meta["params"] == {}
    with pytest.raises(InvalidScorerSpec, match="has no variants"):
        load_scorer(f"{FILE}:Minimal:k=1")
    with pytest.raises(InvalidScorerSpec, match="has no variants"):
        adapt(fs.Minimal()).with_params(k=1)
    minimal = adapt(fs.Minimal())
    assert minimal.with_params() is minimal  # no parameters asked for: the scorer itself


@pytest.mark.parametrize(
    "text, expected",
    [
        ("plain name", "plain name"),
        ("信用分", "信用分"),
        ("a\x1b[2Jb", "a\\x1b[2Jb"),
        ("t\x1b]0;owned\x07", "t\\x1b]0;owned\\x07"),
        ("bad\r", "bad\\x0d"),
        ("rtl\u202eoverride", "rtl\\u202eoverride"),
        ("line\u2028sep", "line\\u2028sep"),
    ],
)
def test_printable_escapes_every_control_and_format_character(text, expected):
    assert printable(text) == expected
    assert printable(expected) == expected  # nothing left to escape


def test_control_sequences_in_plugin_labels_never_reach_the_results(population):
    result = _run([fs.ControlNames(), fs.Plain()], population)
    _healthy(result, population)
    (ctl,) = [r for r in result.runs if r.label != "plain"]
    assert ctl.error is None
    meta = ctl.meta()
    texts = [ctl.label, meta["name"], *meta["tiers"], *meta["sanctions"], *ctl.sections["tier_shares"]]
    assert all(t.isprintable() for t in texts), texts
    assert meta["tiers"] == ["good\\x1b[31m", "bad\\x0d"]
    assert ctl.sections["tier_shares"] == pytest.approx(
        {"good\\x1b[31m": _expected_shares(population)["good"], "bad\\x0d": _expected_shares(population)["bad"]}
    )
    scorer = PluginScorer(fs.ControlNames())
    frame = scorer.score(population.view(), as_of=population.horizon_months - 1)
    assert list(frame.columns) == ["score", "tier", "no_\\x1b[5mtrain", "reasons"]
    reasons = {r for rs in frame["reasons"] for r in rs}
    assert reasons == {"\x1b[8mhidden"}  # a run neither shows nor keeps reasons; the conformance suite cleans them
    from scorers.adapter import normalize_reasons

    assert {r for rs in normalize_reasons(frame["reasons"].to_numpy()) for r in rs} == {"\\x1b[8mhidden"}


@pytest.fixture
def registered(monkeypatch):
    """Registers the given ``name -> module:attr`` pairs as the only entry points."""
    from importlib.metadata import EntryPoint

    from scorers import registry

    def register(**pairs: str) -> None:
        eps = [EntryPoint(name=n, value=v, group=registry.ENTRY_POINT_GROUP) for n, v in pairs.items()]
        monkeypatch.setattr(registry, "_group_entry_points", lambda: eps)
        registry.clear_cache()

    yield register
    registry.clear_cache()


def test_a_registered_scorer_whose_class_raises_is_listed_and_fails_alone(registered, population, capsys):
    from audit.cli.commands import main

    registered(plain="tests.audit.faulty_scorers:Plain", broken="tests.audit.faulty_scorers:InitRaises")
    assert main(["scorers"]) == 1
    out, err = capsys.readouterr()
    assert "plain" in out and "could not be loaded" in out
    assert "scs-audit: scorer 'broken' failed: " in err and "missing licence file" in err
    result = _run(resolve_scorers(None), population)  # every registered scorer
    _healthy(result, population)
    assert "missing licence file" in (result.run_for("broken").error or "")
