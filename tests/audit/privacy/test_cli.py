import json
import math
import os
import stat

import pytest

from audit.cli.commands import main
from audit.population.model import synthesize


@pytest.fixture(scope="module")
def supplied(tmp_path_factory):
    """A small supplied population (CSV people and events)."""
    d = tmp_path_factory.mktemp("supplied")
    pop = synthesize("tiny", size=400, seed=11)
    pop.people.drop(columns="reliability").to_csv(d / "people.csv", index=False)
    pop.events.drop(columns="genuine").to_csv(d / "events.csv", index=False)
    return d


#: These tests are about what is published and what it spends, not about the audits' intervals or replays:
#: without the bootstrap and the replay sample a run publishes (and spends) the same queries, in a fraction of the time.
QUICK = ("--bootstrap", "0", "--replay-sample", "0")


def _run(supplied, out, *extra):
    dataset = [] if "--dataset" in extra or "--epsilon" not in extra else ["--dataset", "register"]
    return main(["run", "--population", str(supplied / "people.csv"), "--events", str(supplied / "events.csv"),
                 "--scorer", "suining", "--out", str(out), "--quiet", *QUICK, *dataset, *extra])


def test_run_publishes_then_refuses_overspend(supplied, tmp_path, _no_real_home, capsys):
    assert _run(supplied, tmp_path / "a", "--epsilon", "1") == 0
    doc = json.loads((tmp_path / "a" / "published.json").read_text())
    assert doc["privacy"]["epsilon"] == 1.0 and doc["population"]["synthetic"] is False
    ledger = _no_real_home / ".scs-audit" / "ledger.sqlite"
    assert stat.S_IMODE(os.stat(ledger).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ledger.parent).st_mode) == 0o700
    capsys.readouterr()

    # the same data again: the dataset's budget (default: the first run's epsilon) is spent
    assert _run(supplied, tmp_path / "b", "--epsilon", "0.25") == 2
    err = capsys.readouterr().err
    assert "0.25" in err and "remains" in err and "budget 1" in err
    assert not (tmp_path / "b" / "published.json").exists()

    # a separate ledger directory is a separate ledger
    assert _run(supplied, tmp_path / "c", "--epsilon", "0.25", "--ledger-dir", str(tmp_path / "ledgers")) == 0
    assert (tmp_path / "ledgers" / "ledger.sqlite").exists()


def test_synthetic_run_keeps_no_ledger(tmp_path, _no_real_home):
    rc = main(["run", "--population", "tiny", "--size", "300", "--scorer", "suining", "--out", str(tmp_path),
               "--quiet", *QUICK, "--epsilon", "0.5"])
    assert rc == 0
    doc = json.loads((tmp_path / "published.json").read_text())
    assert doc["population"]["synthetic"] is True and doc["privacy"]["budget"]["persistent"] is False
    from audit.privacy.ledger import LEDGER_FILENAME

    # the folder may hold the chunk store's key (audit.engine.checkpoint.chunk_key), never a ledger
    assert not (_no_real_home / ".scs-audit" / LEDGER_FILENAME).exists()
    assert not list(_no_real_home.rglob("*.sqlite*"))


def test_without_epsilon_nothing_is_published(tmp_path):
    assert main(["run", "--population", "tiny", "--size", "300", "--scorer", "suining", "--out", str(tmp_path),
                 "--quiet", *QUICK]) == 0
    assert (tmp_path / "results.json").exists() and not (tmp_path / "published.json").exists()


def test_epsilon_for_uses_each_scorers_real_queries_and_sensitivities(capsys):
    """The old command assumed sensitivity 1 and five queries for every table and scorer."""
    assert main(["epsilon-for", "--accuracy", "20", "--scorer", "suining", "--scorer", "sesame"]) == 0
    out = capsys.readouterr().out
    eps = float(out.split()[1])
    # two scorers share epsilon equally; each has four queries (public score bounds, no appeal counts):
    # the tier table gets 0.4 / 0.9 of a scorer's share. sesame reads ties: sensitivity 1 + 2 (D + K),
    # D = 20 (audit.population.tie_bound), K = 10 (the supplied-data default); it needs the most, so it sets epsilon.
    per_table = eps / 2 * 0.4 / 0.9
    q = math.exp(-per_table / 61)
    # P(|noise| >= 20) for discrete Laplace of scale 61 / per_table: 2 q^20 / (1 + q), the 5% the target asks for
    assert 2 * q**20 / (1 + q) == pytest.approx(0.05, rel=1e-3)
    assert "sesame: tiers_by_cell sensitivity 61, one of 4 queries" in out
    assert "suining: tiers_by_cell sensitivity 1, one of 4 queries" in out

    # the score sums are in hundredths of a point: suining's scores lie in [0, 1000], so one person moves a
    # sum by up to 500 points = 50,000 hundredths; the accuracy is read in points
    assert main(["epsilon-for", "--accuracy", "2500", "--query", "score_sum_by_cell", "--scorer", "suining"]) == 0
    out = capsys.readouterr().out
    eps = float(out.split()[1])
    q = math.exp(-(eps * 0.2 / 0.9) / 50_000)
    assert 2 * q**250_000 / (1 + q) == pytest.approx(0.05, rel=1e-2)
    assert "sensitivity 50000" in out and "points" in out and "people" not in out


@pytest.mark.parametrize("args", [["--epsilon", "0"], ["--epsilon", "-1"], ["--epsilon", "1", "--delta", "1.5"],
                                  ["--budget", "2"], ["--ledger-dir", "x"]])
def test_bad_privacy_arguments(args, tmp_path):
    assert main(["run", "--population", "tiny", "--size", "300", "--out", str(tmp_path), "--quiet", *args]) == 2


def test_overspend_is_refused_before_the_audit_runs(supplied, tmp_path, _no_real_home, monkeypatch, capsys):
    assert _run(supplied, tmp_path / "a", "--epsilon", "1", "--ledger-dir", str(tmp_path / "l")) == 0
    import audit.runner

    def must_not_run(*a, **k):
        raise AssertionError("the audit ran although the release could not be paid for")

    monkeypatch.setattr(audit.runner, "run", must_not_run)
    assert _run(supplied, tmp_path / "b", "--epsilon", "1", "--ledger-dir", str(tmp_path / "l")) == 2
    assert "release refused" in capsys.readouterr().err
    # a synthetic population: a release larger than its in-memory budget is refused up front too
    assert main(["run", "--population", "tiny", "--size", "300", "--out", str(tmp_path / "c"), "--quiet",
                 "--epsilon", "2", "--budget", "1"]) == 2


def test_a_failed_scorer_means_nothing_is_published(tmp_path, capsys):
    """Whether a scorer fails can depend on the data: the run reports it privately, and publishes nothing."""
    from pathlib import Path

    faulty = Path(__file__).resolve().parents[1] / "faulty_scorers.py"
    rc = main(["run", "--population", "tiny", "--size", "300", "--scorer", "suining", "--scorer", f"{faulty}:Raises",
               "--out", str(tmp_path), "--quiet", *QUICK, "--epsilon", "1"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "nothing published (no epsilon spent)" in err and "'raises'" in err
    assert (tmp_path / "results.json").exists() and not (tmp_path / "published.json").exists()


def test_ties_beyond_max_friends_refuse_publishing_a_tie_reading_scorer(supplied, tmp_path, capsys):
    """Person 0 lists 12 friends: more than the default bound K = 10 a tie-reading scorer is charged for."""
    import numpy as np
    import pandas as pd

    people = pd.read_csv(supplied / "people.csv")["person_id"].to_numpy()
    ring = pd.DataFrame({"person_id": people[1:], "friend_id": np.roll(people, -1)[1:]})  # everyone has a friend
    ties = pd.concat([pd.DataFrame({"person_id": [people[0]] * 12, "friend_id": people[1:13]}), ring])
    ties.to_csv(tmp_path / "ties.csv", index=False)
    base = ["run", "--population", str(supplied / "people.csv"), "--events", str(supplied / "events.csv"),
            "--ties", str(tmp_path / "ties.csv"), "--quiet", *QUICK, "--epsilon", "1", "--dataset", "register",
            "--ledger-dir", str(tmp_path / "l")]
    assert main([*base, "--scorer", "sesame", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "lists 12 friends" in err and "--max-friends 12" in err and not (tmp_path / "a").exists()
    # a scorer that reads no ties is not charged for K: nothing to refuse
    assert main([*base, "--scorer", "suining", "--out", str(tmp_path / "b")]) == 0
    # stating the bound publishes sesame, charged 1 + 2 (D + K) on its tier table
    assert main([*base, "--scorer", "sesame", "--max-friends", "12", "--out", str(tmp_path / "c"), "--budget", "3"]) == 0
    doc = json.loads((tmp_path / "c" / "published.json").read_text())
    assert doc["privacy"]["contribution_bounds"]["sesame"]["tiers_by_cell"]["sensitivity"] == 1 + 2 * (20 + 12)
    assert doc["privacy"]["tie_bound"]["max_friends"] == 12
