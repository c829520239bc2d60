"""Faulty scorers are caught, named and reported; the other scorers in the run still complete."""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.disparity.audit import DisparityAudit
from audit.engine.contract import AuditOptions, score_checked
from audit.engine.guard import TimeLimitedScorer, check_timeout, time_limit, time_limited
from audit.engine.probing import probe_population, probe_scorer, view_digest
from audit.errors import InvalidArgument, ScorerContractError, ScorerFailed
from audit.population.model import synthesize
from audit.population.source import open_source
from audit.runner import RunConfig, run
from tests.audit import faulty_scorers as fs

SIZE = 300


@pytest.fixture(scope="module")
def population():
    return synthesize("tiny", size=SIZE, seed=1)


def _run(scorers, population, **options):
    """A lean run (disparity only, no bootstrap) — the fault handling is the same for every audit."""
    config = RunConfig(population=population, options=AuditOptions(bootstrap=0, **options))
    return run(scorers, config, audits=[DisparityAudit()])


def _expected_plain(population) -> dict[str, float]:
    """Plain's tier shares worked out with pandas alone: 'bad' iff any drunk driving up to the last month."""
    ev = population.events
    drunk_ids = set(ev.loc[ev["kind"] == "drunk_driving", "person_id"])
    bad = population.people["person_id"].isin(drunk_ids).mean()
    return {"good": 1.0 - bad, "bad": bad}


FAULTS = [
    (fs.Raises, "raised ZeroDivisionError: rule table divided by zero"),
    (fs.Exits, "raised SystemExit"),
    (fs.WrongRows, f"returned {SIZE - 1} rows for {SIZE} people"),
    (fs.NanScores, "NaN or infinite"),
    (fs.UndeclaredTier, "tier 'terrible'"),
    (fs.UndeclaredSanction, "undeclared column(s) ['no_flights']"),
    (fs.NonDeterministic, "not deterministic"),
    (fs.MutatesPeople, "modified its input (view.people changed"),
    (fs.MutatesEventsInPlace, "modified its input (view.events changed"),
    (fs.MutatesTies, "modified its input (view.ties changed"),
]


@pytest.mark.parametrize("faulty, message", FAULTS, ids=[f[0].name for f in FAULTS])
def test_each_fault_is_reported_against_the_scorer_and_the_others_complete(population, faulty, message):
    result = _run([fs.Plain(), faulty()], population)
    good, bad = result.runs
    assert good.error is None
    assert good.sections["tier_shares"] == pytest.approx(_expected_plain(population), abs=1e-12)
    assert [r.label for r in result.failed] == [faulty.name]
    assert bad.error is not None and message in bad.error
    assert repr(faulty.name) in bad.error  # the message names the scorer


def test_all_faults_in_one_run_with_every_audit(population):
    result = run([fault for fault, _ in [(f(), m) for f, m in FAULTS]] + [fs.Plain()], RunConfig(population=population))
    assert sorted(r.label for r in result.failed) == sorted(f.name for f, _ in FAULTS)
    assert result.run_for("plain").sections["tier_shares"] == pytest.approx(_expected_plain(population), abs=1e-12)


def test_a_fault_beyond_the_probe_is_still_caught_on_its_chunk(population):
    """NaN only for people the probe does not contain: the chunk's own contract check reports it."""

    class LateNan(fs.Plain):
        name = "late_nan"

        def score(self, view, *, as_of):
            frame = super().score(view, as_of=as_of)
            frame.loc[view.people["person_id"].to_numpy() >= 250, "score"] = np.nan
            return frame

    result = _run([LateNan(), fs.Plain()], population, probe_size=100)
    assert [r.label for r in result.failed] == ["late_nan"]
    assert "50 scores are NaN" in result.run_for("late_nan").error


def test_probe_can_be_switched_off(population):
    result = _run([fs.NonDeterministic()], population, probe_size=0)
    assert result.failed == []


# ----------------------------------------------------------------------------- time limits


def test_time_limit_interrupts_a_sleeping_scorer(population):
    view = population.view()
    handler = signal.getsignal(signal.SIGALRM)
    t0 = time.perf_counter()
    with pytest.raises(ScorerFailed, match=r"'sleeps' exceeded --scorer-timeout 0.2 s \(stopped after"):
        score_checked(time_limited(fs.Sleeps(), 0.2), view, as_of=population.horizon_months - 1)
    assert time.perf_counter() - t0 < 30  # interrupted, not slept through (the sleep is 60 s)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is handler


def test_time_limit_interrupts_a_busy_loop_that_swallows_exceptions(population):
    view = population.view()
    with pytest.raises(ScorerFailed, match=r"stopped after"):
        score_checked(time_limited(fs.Spins(), 0.2), view, as_of=population.horizon_months - 1)


def test_time_limit_restores_the_previous_alarm_handler():
    def mine(signum, frame):  # pragma: no cover - never fires
        raise AssertionError("restored handler fired")

    old = signal.signal(signal.SIGALRM, mine)
    try:
        with time_limit(5.0, "x"):
            pass
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL)[0] == 0.0
    finally:
        signal.signal(signal.SIGALRM, old)


def test_time_limit_outside_the_main_thread_measures_instead():
    caught: list[BaseException] = []

    def work():
        try:
            with time_limit(0.05, "slowpoke"):
                time.sleep(0.2)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            caught.append(exc)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert len(caught) == 1 and isinstance(caught[0], ScorerFailed)
    assert "'slowpoke' exceeded --scorer-timeout 0.05 s (finished after" in str(caught[0])


def test_a_fast_call_passes_the_limit(population):
    frame = score_checked(time_limited(fs.Plain(), 30.0), population.view(), as_of=population.horizon_months - 1)
    assert len(frame) == SIZE


def test_run_with_timeout_fails_only_the_slow_scorer(population):
    result = _run([fs.Sleeps(), fs.Plain()], population, scorer_timeout=0.3)
    assert [r.label for r in result.failed] == ["sleeps"]
    assert "exceeded --scorer-timeout 0.3 s" in result.run_for("sleeps").error
    assert result.run_for("plain").sections["tier_shares"] == pytest.approx(_expected_plain(population), abs=1e-12)


def test_time_limited_wrapper_delegates_and_pickles():
    s = time_limited(fs.Plain(), 2.0)
    assert isinstance(s, TimeLimitedScorer)
    assert (s.name, s.tiers, s.sanctions) == ("plain", ("good", "bad"), {"no_train": "travel"})
    assert time_limited(s, 3.0) is s
    assert time_limited(fs.Plain, None) is fs.Plain
    back = pickle.loads(pickle.dumps(s))
    assert back.seconds == 2.0 and back.name == "plain"
    inner = fs.Plain()
    assert time_limited(inner, 2.0) == time_limited(inner, 2.0)  # one wrapper per chunk: caches keyed by scorer still hit
    assert hash(time_limited(inner, 2.0)) == hash(time_limited(inner, 2.0))
    assert time_limited(inner, 2.0) != time_limited(inner, 3.0) and time_limited(inner, 2.0) != time_limited(fs.Plain(), 2.0)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "5"])
def test_check_timeout_rejects_bad_values(bad):
    with pytest.raises(InvalidArgument, match="scorer_timeout="):
        check_timeout(bad)


# ----------------------------------------------------------------------------- the probe


def test_view_digest_sees_values_order_columns_and_dtypes(population):
    view = population.view()
    base = view_digest(view)
    people = view.people.copy()
    assert view_digest(view) == base
    changed = people.copy()
    changed.loc[0, "income"] += 1.0
    reordered = people.iloc[::-1]
    extra = people.assign(z=1)
    recast = people.astype({"age": np.int64})
    for frame in (changed, reordered, extra, recast):
        other = type(view)(people=frame, events=view.events, ties=view.ties, horizon_months=view.horizon_months)
        assert view_digest(other)["people"] != base["people"]


def test_probe_population_of_a_supplied_table_keeps_only_inner_ties(population):
    source = open_source(population)
    small = probe_population(source, 50)
    ids = set(small.people["person_id"])
    assert len(small) == 50 and ids == set(population.people["person_id"].iloc[:50])
    assert set(small.events["person_id"]) <= ids
    assert set(small.ties["person_id"]) <= ids and set(small.ties["friend_id"]) <= ids
    expected_events = population.events["person_id"].isin(ids).sum()
    assert len(small.events) == expected_events


def test_probe_passes_a_good_scorer_and_leaves_the_population_alone(population):
    before = view_digest(population.view())
    probe_scorer(fs.Plain(), population, as_of=population.horizon_months - 1)
    with pytest.raises(ScorerFailed):
        probe_scorer(fs.MutatesPeople(), population, as_of=population.horizon_months - 1)
    assert view_digest(population.view()) == before  # the probe scores deep copies


def test_probe_reports_contract_errors_as_such(population):
    with pytest.raises(ScorerContractError, match="NaN"):
        probe_scorer(fs.NanScores(), population, as_of=population.horizon_months - 1)


def test_a_scorer_from_a_loose_file_can_be_sent_to_a_fresh_worker_process(tmp_path):
    """Worker processes cannot import the registry's private module for a file: the scorer travels as its spec."""
    import subprocess
    import sys

    from scorers.registry import load_scorer

    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "from tests.audit.faulty_scorers import Plain\n"
        "class Tunable(Plain):\n"
        "    name = 'tunable'\n"
        "    def __init__(self, level=1):\n"
        "        self.params = {'level': level}\n"
        "    def with_params(self, **kw):\n"
        "        return Tunable(**{**self.params, **kw})\n"
    )
    blob = pickle.dumps(load_scorer(f"{plugin}:Tunable:level=3"))
    code = "import pickle, sys; s = pickle.loads(sys.stdin.buffer.read()); print(s.name, s.params['level'])"
    out = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True, check=True,
                         env={"PYTHONPATH": str(Path(__file__).parents[2]), "PATH": os.environ.get("PATH", "")})
    assert out.stdout.decode().split() == ["tunable", "3"]


class _RecordingPool:
    """Stands in for a supervised pool: keeps each task it is given, pickled and back, and runs it here."""

    def __init__(self) -> None:
        self.tasks: list = []

    def imap_unordered(self, fn, tasks, **_):
        import pickle

        for task in tasks:
            sent = pickle.loads(pickle.dumps(task))  # what a worker would receive
            self.tasks.append(sent)
            yield task, fn(sent)


def test_a_synthetic_probe_population_is_drawn_in_the_worker_and_probes_the_same_people():
    from audit.engine.probing import ProbeTask, SyntheticProbe, probe_one, probe_scorers

    source = open_source("tiny", size=5000, seed=4)
    pool = _RecordingPool()
    failed = probe_scorers([("plain", fs.Plain()), ("mutates", fs.MutatesPeople())], source, AuditOptions(), executor=pool)
    assert list(failed) == ["mutates"]
    assert all(isinstance(t.population, SyntheticProbe) for t in pool.tasks)  # no people drawn in this process
    drawn = pool.tasks[0].population.population()
    here = probe_population(source, 1000)  # what the main process drew before
    for table in ("people", "events", "ties"):
        pd.testing.assert_frame_equal(getattr(drawn, table), getattr(here, table), check_exact=True)
    assert drawn.horizon_months == here.horizon_months
    task = ProbeTask(label="mutates", scorer=fs.MutatesPeople(), population=here, as_of=None, timeout=None)
    assert probe_one(task) == failed["mutates"]  # the same verdict as on the people drawn in this process
