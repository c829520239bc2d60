"""The budget belongs to the people: --dataset names it, the person-id set checks it; unusable ledgers refused early."""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import numpy as np
import pytest

from audit.cli.commands import main
from audit.errors import InvalidArgument
from audit.population.model import synthesize
from audit.population.person_ids import id_fingerprint, id_sketch, similarity
from audit.population.source import person_id_identity
from audit.privacy.ledger import PrivacyLedger, check_ledger_path, ledger_summary
from audit.privacy.publish import is_synthetic, open_ledger, publish
from tests.audit.privacy.fakes import fake_result


@pytest.fixture(scope="module")
def supplied(tmp_path_factory):
    """A supplied population as CSV files: people, events, ties; and a row-shuffled copy of each."""
    d = tmp_path_factory.mktemp("identity")
    pop = synthesize("tiny", size=400, seed=13)
    people = pop.people.drop(columns="reliability")
    events = pop.events.drop(columns="genuine")
    people.to_csv(d / "people.csv", index=False)
    events.to_csv(d / "events.csv", index=False)
    pop.ties.to_csv(d / "ties.csv", index=False)
    people.sample(frac=1.0, random_state=2).to_csv(d / "people-shuffled.csv", index=False)
    events.sample(frac=1.0, random_state=3).to_csv(d / "events-shuffled.csv", index=False)
    people.iloc[:360].to_csv(d / "people-most.csv", index=False)  # 90% of the same people
    ev = events[events["person_id"].isin(people["person_id"].iloc[:360])]
    ev.to_csv(d / "events-most.csv", index=False)
    return d


#: These tests are about whose budget a release spends, not about the audits' intervals or replays: without the
#: bootstrap and the replay sample a run still publishes (and spends) the same queries, in a fraction of the time.
QUICK = ("--bootstrap", "0", "--replay-sample", "0")


def _run(d, out, *extra, people="people.csv", events="events.csv"):
    return main(["run", "--population", str(d / people), "--events", str(d / events), "--scorer", "suining",
                 "--out", str(out), "--quiet", "--ledger-dir", str(out.parent / "ledger"), *QUICK, *extra])


def test_sketch_estimates_overlap_and_fingerprint_ignores_order():
    a = np.arange(5000)
    assert id_fingerprint(a) == id_fingerprint(a[::-1]) == id_fingerprint(np.r_[a, a[:10]])
    assert id_fingerprint(a) != id_fingerprint(a[1:])
    # Jaccard of 0..4999 and 500..5499 is 4500 / 5500 = 0.818; the estimate's sd is about 0.017 with k = 512
    est = similarity(id_sketch(a), id_sketch(np.arange(500, 5500)))
    assert abs(est - 4500 / 5500) < 5 * np.sqrt(0.818 * 0.182 / 512)
    assert similarity(id_sketch(np.arange(10)), id_sketch(np.arange(5, 15))) == pytest.approx(5 / 15)  # exact: small


def test_shuffled_rows_or_no_ties_spend_the_same_budget(supplied, tmp_path, capsys):
    """The defect: the budget was keyed by a hash of the table contents, so reshuffling bought a new one."""
    assert _run(supplied, tmp_path / "a", "--epsilon", "1", "--dataset", "register",
                "--ties", str(supplied / "ties.csv")) == 0
    capsys.readouterr()
    for extra in ([], ["--ties", str(supplied / "ties.csv")]):
        rc = _run(supplied, tmp_path / "b", "--epsilon", "1", "--dataset", "register", *extra,
                  people="people-shuffled.csv", events="events-shuffled.csv")
        assert rc == 2 and "release refused" in capsys.readouterr().err
    # the same people under a new name: warned, and still the people's (spent) budget
    rc = _run(supplied, tmp_path / "c", "--epsilon", "1", "--dataset", "register-copy",
              people="people-shuffled.csv", events="events-shuffled.csv")
    err = capsys.readouterr().err
    assert rc == 2 and "exactly those of dataset 'register'" in err and "release refused" in err


def test_near_identical_people_under_a_new_name_are_refused_unless_declared(supplied, tmp_path, capsys):
    assert _run(supplied, tmp_path / "a", "--epsilon", "0.5", "--dataset", "register") == 0
    capsys.readouterr()
    rc = _run(supplied, tmp_path / "b", "--epsilon", "0.5", "--dataset", "other",
              people="people-most.csv", events="events-most.csv")
    err = capsys.readouterr().err
    assert rc == 2 and "dataset 'register'" in err and "--new-dataset" in err
    assert not (tmp_path / "b").exists()  # refused before any work
    rc = _run(supplied, tmp_path / "c", "--epsilon", "0.5", "--dataset", "other", "--new-dataset",
              people="people-most.csv", events="events-most.csv")
    assert rc == 0 and "a new budget is opened, as declared" in capsys.readouterr().err
    # the ledger command shows both budgets, and one with its history
    assert main(["ledger", "--ledger-dir", str(tmp_path / "ledger")]) == 0
    out = capsys.readouterr().out
    assert "register: spent epsilon 0.5 of 0.5" in out and "other: spent epsilon 0.5 of 0.5" in out
    assert main(["ledger", "--ledger-dir", str(tmp_path / "ledger"), "--dataset", "other"]) == 0
    out = capsys.readouterr().out
    assert "release" in out and "suining tiers_by_cell: sensitivity 1" in out and "register" not in out
    assert main(["ledger", "--ledger-dir", str(tmp_path / "ledger"), "--dataset", "nope"]) == 2
    assert "'nope' is not in the privacy ledger" in capsys.readouterr().err


def test_supplied_data_needs_a_dataset_name(supplied, tmp_path, capsys):
    assert _run(supplied, tmp_path / "a", "--epsilon", "1") == 2
    assert "--dataset NAME is required" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()
    with pytest.raises(InvalidArgument, match="dataset="):
        open_ledger(fake_result(synthetic=False), epsilon=1.0)


def test_ledger_command_without_a_ledger_creates_nothing(tmp_path, capsys):
    assert main(["ledger", "--ledger-dir", str(tmp_path / "none")]) == 2
    assert "no privacy ledger at" in capsys.readouterr().err and not (tmp_path / "none").exists()


@pytest.mark.parametrize("kind", ["directory", "corrupt", "read-only", "other-sqlite"])
def test_unusable_ledger_is_refused_before_any_work(supplied, tmp_path, capsys, monkeypatch, kind):
    """Issue 14: these ended in sqlite tracebacks, sometimes after the whole audit."""
    ledger_dir = tmp_path / "ledger"
    ledger_dir.mkdir()
    path = ledger_dir / "ledger.sqlite"
    if kind == "directory":
        path.mkdir()
    elif kind == "corrupt":
        path.write_bytes(b"not a database at all\x00" * 100)
    elif kind == "other-sqlite":
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE photos (x)")
        con.commit()
        con.close()
    else:
        assert _run(supplied, tmp_path / "first", "--epsilon", "0.5", "--dataset", "register", "--budget", "2") == 0
        os.chmod(path, 0o400)
        if os.access(path, os.W_OK):  # root: permissions do not bind, but the file must still not be chmodded
            assert _run(supplied, tmp_path / "root", "--epsilon", "0.5", "--dataset", "register") == 0
            assert stat.S_IMODE(path.stat().st_mode) == 0o400
            return
    before = path.stat().st_mode if path.exists() else None
    import audit.runner

    def must_not_run(*a, **k):
        raise AssertionError("the audit ran although the ledger is unusable")

    monkeypatch.setattr(audit.runner, "run", must_not_run)
    capsys.readouterr()
    assert _run(supplied, tmp_path / "a", "--epsilon", "0.5", "--dataset", "register") == 2
    err = capsys.readouterr().err
    assert str(path) in err and "--ledger-dir" in err and "Traceback" not in err
    assert not (tmp_path / "a").exists()
    assert path.stat().st_mode == before  # never chmod a user's file (a read-only ledger stays read-only)
    if kind == "read-only":
        assert stat.S_IMODE(path.stat().st_mode) == 0o400 and "read-only" in err


def test_read_only_ledger_message_names_the_path_and_the_fix(tmp_path, monkeypatch):
    identity = person_id_identity(np.arange(50))
    ledger = PrivacyLedger.open_dataset(tmp_path / "l.sqlite", name="x", identity=identity, budget_epsilon=1.0)
    import audit.privacy.ledger_file as mod

    real = os.access
    monkeypatch.setattr(mod.os, "access", lambda p, mode: False if (mode & os.W_OK and str(p) == str(ledger.path))
                        else real(p, mode))
    with pytest.raises(InvalidArgument, match=r"read-only .*chmod u\+rw .*--ledger-dir"):
        PrivacyLedger.open_dataset(ledger.path, name="x", identity=identity, budget_epsilon=None)
    assert stat.S_IMODE(ledger.path.stat().st_mode) == 0o600  # what the ledger created: user-only


def test_check_ledger_path_accepts_a_new_or_good_ledger(tmp_path):
    check_ledger_path(tmp_path / "new" / "ledger.sqlite")  # creatable: fine, and nothing is created
    assert not (tmp_path / "new").exists()
    identity = person_id_identity(np.arange(50))
    ledger = PrivacyLedger.open_dataset(tmp_path / "l.sqlite", name="x", identity=identity, budget_epsilon=1.0)
    check_ledger_path(ledger.path)
    assert ledger_summary(ledger.path)[0]["names"] == ["x"]


def test_result_without_synthetic_key_fails_closed(tmp_path):
    """The defect: a result without ``synthetic`` was treated as synthetic and its size published."""
    result = fake_result(synthetic=False)
    del result.population["synthetic"]
    assert not is_synthetic(result)
    with pytest.raises(InvalidArgument, match="dataset"):
        publish(result, tmp_path, epsilon=1.0)
    path = publish(result, tmp_path, epsilon=1.0, dataset="register", ledger_dir=tmp_path / "l")
    doc = json.loads(path.read_text())
    assert doc["population"]["size"] is None and doc["population"]["synthetic"] is False
    assert doc["privacy"]["budget"]["persistent"] is True


@pytest.mark.parametrize("epsilon, rc, said", [("20", 0, "warning: --epsilon 20 is above 10"),
                                               ("1e308", 2, "above the cap 100"), ("5", 0, None)])
def test_huge_epsilon_is_warned_about_then_refused(tmp_path, capsys, epsilon, rc, said):
    args = ["run", "--population", "tiny", "--size", "300", "--scorer", "suining", "--out", str(tmp_path / "o"),
            "--quiet", *QUICK, "--epsilon", epsilon]
    assert main(args) == rc
    err = capsys.readouterr().err
    if said:
        assert said in err
    else:
        assert "warning" not in err
    if rc == 2:
        assert not (tmp_path / "o").exists()
        assert main([*args, "--allow-large-epsilon"]) == 0
        assert "warning: --epsilon 1e+308" in capsys.readouterr().err


def test_a_budget_kept_under_the_old_content_hash_is_taken_over(tmp_path):
    """Ledgers written by older versions keyed budgets by the data's content hash: that spend still counts."""
    path = tmp_path / "ledger.sqlite"
    old = PrivacyLedger.open(path, fingerprint="c" * 64, budget_epsilon=1.0)
    from audit.privacy.ledger import Charge

    old.charge([Charge(query="tiers_by_cell", scorer="suining", mechanism="m", scale=1.0, sensitivity=1, epsilon=0.75)])
    identity = person_id_identity(np.arange(300))
    ledger = PrivacyLedger.open_dataset(path, name="register", identity=identity, budget_epsilon=None,
                                        legacy_key="c" * 64)
    assert ledger.spent_epsilon == pytest.approx(0.75) and ledger.remaining_epsilon == pytest.approx(0.25)
    assert any("older version" in w for w in ledger.warnings)
    # a second name cannot take the same old budget over again: the people decide (same ids: same budget)
    again = PrivacyLedger.open_dataset(path, name="register-2", identity=identity, budget_epsilon=None,
                                       legacy_key="c" * 64)
    assert again.spent_epsilon == pytest.approx(0.75) and any("exactly those of dataset 'register'" in w
                                                               for w in again.warnings)
