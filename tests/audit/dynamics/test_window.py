"""The lookback window: a scorer that declares how far back it reads is handed only that much of the log.

The window must not change anything a scorer sees: every figure of the
dynamics section of the reference schemes is the same with and without it,
a scorer that declares nothing sees its whole log, and each reference
scheme's declaration is checked against its own scores (events older than
the declared lookback do not move a score).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from audit.dynamics import dynamics_section, simulate
from audit.dynamics.log import BASE, GrowingLog
from audit.population.model import PopulationView, synthesize
from audit.population.spec import load_spec
from scorers.protocol import scorer_lookback
from scorers.registry import load_scorer
from tests.audit.dynamics.scorers_for_dynamics import Tally


class WholeLog:
    """A reference scorer behind a plugin that declares no lookback: it is handed the whole log."""

    def __init__(self, scorer) -> None:
        self.inner = scorer
        self.name, self.version, self.tags = scorer.name, scorer.version, scorer.tags
        self.tiers, self.favourable_tiers, self.sanctions = scorer.tiers, scorer.favourable_tiers, scorer.sanctions

    def score(self, view, *, as_of):
        return self.inner.score(view, as_of=as_of)


class Recorder(Tally):
    """Tally, recording the oldest month and the number of events of every view it is handed."""

    def __init__(self, lookback_months=None) -> None:
        if lookback_months is not None:
            self.lookback_months = lookback_months
        self.seen: list[tuple[int, int, int]] = []

    def score(self, view, *, as_of):
        months = view.events["month"].to_numpy()
        self.seen.append((as_of, int(months.min()), len(months)))
        return super().score(view, as_of=as_of)


def _figures(scorer, *, years: int, size: int = 800, seed: int = 4) -> dict:
    sec = dynamics_section(simulate(scorer, "tiny", size=size, seed=seed, years=years))
    assert sec["status"] == "ok", sec
    return {k: v for k, v in sec.items() if k != "seconds"}


@pytest.mark.parametrize("name, params, lookback", [
    ("rongcheng", {}, 36),
    ("rongcheng", {"penalty_expiry_months": 2, "reward_months": 4}, 4),
    ("sesame", {"window_months": 6}, 6),
    ("suining", {"penalty_expiry_months": 5}, 5),
])
def test_every_figure_of_the_section_is_the_same_with_and_without_the_window(name, params, lookback):
    scorer = load_scorer(name).with_params(**params) if params else load_scorer(name)
    assert scorer_lookback(scorer) == lookback
    assert scorer_lookback(WholeLog(scorer)) is None
    windowed = _figures(scorer, years=3)
    whole = _figures(WholeLog(scorer), years=3)
    assert windowed == whole


def test_a_window_shorter_than_what_a_scorer_reads_changes_its_figures():
    # the comparison above can fail: Tally counts every event ever, and a (false) 3-month window changes its scores
    assert _figures(Recorder(lookback_months=3), years=2) != _figures(Recorder(), years=2)


def test_a_scorer_that_declares_no_lookback_sees_its_whole_log():
    spec = load_spec("tiny")
    rec = Recorder()
    simulate(rec, spec, size=900, seed=6, years=2)
    start = spec.horizon_months
    drawn = synthesize(replace(spec, horizon_months=start + 24), size=900, seed=6).events
    history = int((drawn["month"].to_numpy() < start).sum())
    assert drawn["month"].min() == 0 and history > 0
    # the simulated months (the probe of what the scheme rewards scores variants of the people at start - 1)
    simulated = [(as_of, oldest, count) for as_of, oldest, count in rec.seen if as_of >= start]
    assert len(simulated) >= 24
    for as_of, oldest, count in simulated:
        assert oldest == 0, (as_of, oldest)
        assert count >= history  # every drawn month of history is there, and the simulated months on top


def test_a_declared_window_hands_exactly_the_months_it_reads():
    spec = load_spec("tiny")
    rec = Recorder(lookback_months=5)
    simulate(rec, spec, size=900, seed=6, years=2)
    simulated = [(as_of, oldest) for as_of, oldest, _ in rec.seen if as_of >= spec.horizon_months]
    assert len(simulated) >= 24
    for as_of, oldest in simulated:
        assert oldest == as_of - 4, (as_of, oldest)  # as_of - month < 5; 900 people have events in every month


@pytest.mark.parametrize("value, expected", [
    (None, None), (0, None), (-3, None), (True, None), ("12", None), (2.5, None), (12.0, None),
    (1, 1), (36, 36), (np.int64(24), 24),
])
def test_the_declaration_is_read_liberally(value, expected):
    class Plugin(Tally):
        lookback_months = value

    assert scorer_lookback(Plugin()) == expected


def test_no_declaration_or_a_raising_one_means_the_whole_log():
    class Raises(Tally):
        @property
        def lookback_months(self):
            raise RuntimeError("not known")

    assert scorer_lookback(Tally()) is None
    assert scorer_lookback(Raises()) is None


@pytest.mark.parametrize("name, params, lookback", [
    ("rongcheng", {}, 36),  # serious records: 3 years (the longest NDRC disclosure period)
    ("rongcheng", {"serious_expiry_months": 6, "reward_months": 12}, 12),
    ("rongcheng", {"penalty_expiry_months": 30, "reward_months": 12}, 30),
    ("suining", {}, None),  # deductions never expire: every month counts
    ("suining", {"penalty_expiry_months": 24}, 24),
    ("sesame", {}, 24),
    ("joint_punishment", {}, None),  # listings chain back to the first judgment
])
def test_reference_schemes_declare_their_lookback_from_their_own_rules(name, params, lookback):
    scorer = load_scorer(name).with_params(**params) if params else load_scorer(name)
    assert scorer_lookback(scorer) == lookback


@pytest.mark.parametrize("name, params", [
    ("rongcheng", {}), ("rongcheng", {"penalty_expiry_months": 2, "reward_months": 3}),
    ("sesame", {"window_months": 4}), ("suining", {"penalty_expiry_months": 7}),
])
def test_events_older_than_the_declared_lookback_do_not_move_a_score(name, params):
    scorer = load_scorer(name).with_params(**params) if params else load_scorer(name)
    lookback = scorer_lookback(scorer)
    assert lookback is not None
    pop = synthesize(replace(load_spec("tiny"), horizon_months=60), size=2000, seed=8)  # older events than any window
    view = pop.view()
    months = view.events["month"].to_numpy()
    for as_of in (pop.horizon_months - 1, lookback + 1):
        recent = view.events[months > as_of - lookback].reset_index(drop=True)
        assert len(recent) < len(view.events)
        cut = PopulationView(people=view.people, events=recent, ties=view.ties, horizon_months=view.horizon_months)
        a, b = scorer.score(view, as_of=as_of), scorer.score(cut, as_of=as_of)
        np.testing.assert_array_equal(a["score"].to_numpy(), b["score"].to_numpy())
        assert (a["tier"].astype(str).to_numpy() == b["tier"].astype(str).to_numpy()).all()


def _month(log: GrowingLog, month: int, k: int) -> None:
    ids = np.arange(k, dtype=np.int64) + 1000 * month
    log.append(ids, np.full(k, month, dtype=np.int16), np.zeros(k, dtype=np.int8), np.zeros(k, dtype=np.int8),
               ids.astype(np.float64), BASE)


def test_the_log_holds_the_window_and_its_columns_stay_bounded():
    log = GrowingLog(16)
    for month in range(200):
        _month(log, month, 10 + month % 7)
        log.forget_before(month - 2)  # keep months month-2 .. month
        want = np.concatenate([np.arange(10 + m % 7) + 1000 * m for m in range(max(month - 2, 0), month + 1)])
        np.testing.assert_array_equal(log.column("person"), want)
        np.testing.assert_array_equal(log.column("amount"), want.astype(np.float64))
        assert len(log) == len(want)
    # three months of at most 16 events; doubling from 16 with compaction before growth: never past 4 x 48
    assert len(log.cols["person"]) <= 4 * 48
    frame = log.frame()
    assert list(frame["month"].unique()) == [197, 198, 199]


def test_a_log_never_told_to_forget_keeps_everything():
    log = GrowingLog(16)
    for month in range(30):
        _month(log, month, 5)
    assert len(log) == 150
    np.testing.assert_array_equal(log.column("month"), np.repeat(np.arange(30), 5))
