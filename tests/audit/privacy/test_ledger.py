import copy
import json
import os
import pickle
import stat
import threading

import pytest

from audit.errors import BudgetExceeded, InvalidArgument
from audit.privacy.ledger import Charge, PrivacyLedger, default_ledger_path


def _charge(eps: float, query: str = "q") -> Charge:
    return Charge(query=query, scorer="s", mechanism="m", scale=1 / eps, sensitivity=1, epsilon=eps)


def test_in_memory_spends_and_refuses_with_both_numbers():
    led = PrivacyLedger.in_memory(fingerprint="x", budget_epsilon=1.0)
    entries = led.charge([_charge(0.25), _charge(0.5, "r")])
    assert [e.id for e in entries] == ["e1", "e2"]
    assert entries[0].release == entries[1].release
    assert led.spent_epsilon == pytest.approx(0.75)
    assert led.remaining_epsilon == pytest.approx(0.25)
    with pytest.raises(BudgetExceeded) as info:
        led.charge([_charge(0.2), _charge(0.2)])
    msg = str(info.value)
    assert "0.4" in msg and "0.25" in msg  # what it asked for, what remains
    assert len(led.entries) == 2  # all or nothing
    led.charge([_charge(0.25)])
    assert led.spent_epsilon == pytest.approx(1.0)
    with pytest.raises(BudgetExceeded):
        led.charge([_charge(1e-6)])


def test_budget_exceeded_is_a_runtime_error():
    led = PrivacyLedger.in_memory(fingerprint="x", budget_epsilon=0.1)
    with pytest.raises(RuntimeError):
        led.charge([_charge(0.2)])


def test_delta_is_budgeted_too():
    led = PrivacyLedger.in_memory(fingerprint="x", budget_epsilon=1.0, budget_delta=0.0)
    with pytest.raises(BudgetExceeded, match="delta"):
        led.charge([Charge(query="q", scorer="s", mechanism="m", scale=1, sensitivity=1, epsilon=0.1, delta=1e-9)])


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "abc"])
def test_bad_budget(bad):
    with pytest.raises(InvalidArgument, match="budget_epsilon="):
        PrivacyLedger.in_memory(fingerprint="x", budget_epsilon=bad)


def test_budget_errors_read_as_flags_on_the_command_line():
    from audit.cli.flags import as_flags

    with pytest.raises(InvalidArgument) as caught:
        PrivacyLedger.in_memory(fingerprint="x", budget_epsilon=0, budget_delta=0.0)
    assert as_flags(str(caught.value)) == "--budget 0.0: give a finite number > 0"
    with pytest.raises(InvalidArgument) as caught:
        PrivacyLedger.in_memory(fingerprint="x", budget_epsilon=1, budget_delta=-1)
    assert as_flags(str(caught.value)) == "--delta -1.0: give a finite number >= 0"


def test_cannot_be_pickled_copied_or_serialised():
    led = PrivacyLedger.in_memory(fingerprint="x", budget_epsilon=1.0)
    for attempt in (lambda: pickle.dumps(led), lambda: copy.copy(led), lambda: copy.deepcopy(led),
                    lambda: led.__getstate__()):
        with pytest.raises(TypeError, match="second budget"):
            attempt()
    with pytest.raises(TypeError):
        json.dumps(led)


def test_default_path_is_under_home(_no_real_home):
    assert default_ledger_path() == _no_real_home / ".scs-audit" / "ledger.sqlite"


def test_persistent_ledger_permissions_and_persistence(tmp_path):
    path = tmp_path / "dir" / "ledger.sqlite"
    led = PrivacyLedger.open(path, fingerprint="abc", budget_epsilon=None, default_epsilon=1.0)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert led.persistent and led.budget_epsilon == 1.0 and led.entries == ()
    led.charge([_charge(0.6)])
    again = PrivacyLedger.open(path, fingerprint="abc", budget_epsilon=None, default_epsilon=5.0)
    assert again.budget_epsilon == 1.0  # the stored total, not this run's epsilon
    assert again.dataset_id == led.dataset_id
    assert [e.epsilon for e in again.entries] == [pytest.approx(0.6)]
    with pytest.raises(BudgetExceeded):
        again.charge([_charge(0.6)])
    other = PrivacyLedger.open(path, fingerprint="other", budget_epsilon=None, default_epsilon=1.0)
    assert other.entries == () and other.dataset_id != led.dataset_id
    other.charge([_charge(0.6)])


def test_raising_the_budget_is_recorded(tmp_path):
    path = tmp_path / "ledger.sqlite"
    led = PrivacyLedger.open(path, fingerprint="abc", budget_epsilon=1.0)
    led.charge([_charge(1.0)])
    raised = PrivacyLedger.open(path, fingerprint="abc", budget_epsilon=3.0)
    assert raised.budget_epsilon == 3.0 and raised.remaining_epsilon == pytest.approx(2.0)
    assert [h["budget_epsilon"] for h in raised.budget_history] == [1.0, 3.0]
    raised.charge([_charge(2.0)])
    assert raised.spent_epsilon == pytest.approx(3.0)


def test_another_process_spending_is_seen(tmp_path):
    path = tmp_path / "ledger.sqlite"
    a = PrivacyLedger.open(path, fingerprint="abc", budget_epsilon=1.0)
    b = PrivacyLedger.open(path, fingerprint="abc", budget_epsilon=None)
    a.charge([_charge(0.7)])
    with pytest.raises(BudgetExceeded):
        b.charge([_charge(0.7)])  # b's view was stale; the transaction re-reads
    b.check(0.3)
    with pytest.raises(BudgetExceeded):
        b.check(0.31)


def test_concurrent_charges_cannot_overspend(tmp_path):
    path = tmp_path / "ledger.sqlite"
    PrivacyLedger.open(path, fingerprint="abc", budget_epsilon=1.0)
    n = 8
    ledgers = [PrivacyLedger.open(path, fingerprint="abc", budget_epsilon=None) for _ in range(n)]
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def spend(led):
        barrier.wait()
        try:
            led.charge([_charge(0.15), _charge(0.15)])
            outcomes.append("ok")
        except BudgetExceeded:
            outcomes.append("refused")

    threads = [threading.Thread(target=spend, args=(led,)) for led in ledgers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 5  # 3 x 0.3 fits in 1.0, a fourth does not
    final = PrivacyLedger.open(path, fingerprint="abc", budget_epsilon=None)
    assert final.spent_epsilon == pytest.approx(0.9)
    assert len(final.entries) == 6


_SPEND = """
import sys, time
from pathlib import Path
from audit.errors import BudgetExceeded
from audit.privacy.ledger import Charge, PrivacyLedger
path, go = Path(sys.argv[1]), Path(sys.argv[2])
led = PrivacyLedger.open(path, fingerprint="abc", budget_epsilon=None)
while not go.exists():
    time.sleep(0.005)
try:
    led.charge([Charge(query="q", scorer="s", mechanism="m", scale=2.5, sensitivity=1, epsilon=0.4)])
    print("ok")
except BudgetExceeded:
    print("refused")
"""


def test_concurrent_processes_cannot_overspend(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "ledger.sqlite"
    go = tmp_path / "go"
    PrivacyLedger.open(path, fingerprint="abc", budget_epsilon=1.0)
    procs = [subprocess.Popen([sys.executable, "-c", _SPEND, str(path), str(go)], stdout=subprocess.PIPE, text=True)
             for _ in range(4)]
    go.touch()
    outs = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert outs == ["ok", "ok", "refused", "refused"]  # 2 x 0.4 fit in 1.0, a third does not
    assert PrivacyLedger.open(path, fingerprint="abc", budget_epsilon=None).spent_epsilon == pytest.approx(0.8)
