"""Plugin faults no exception handler catches: each ends, hangs or overfills its worker process only.

Every case runs ``scs-audit run`` as a subprocess (``python -m audit.cli``),
as a user would, with the healthy :class:`tests.audit.faulty_scorers.Plain`
beside the faulty scorer; Plain's figures are worked out with pandas from the
same synthetic population, never taken from another run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from audit.engine.executors import ChunkTask, run_chunk
from audit.engine.workers import ProcessExecutor, WorkerLost
from audit.population.model import synthesize
from tests.audit.faulty_scorers import drunk_drivers, plain_tier_shares

ROOT = Path(__file__).parents[2]
FILE = str(ROOT / "tests" / "audit" / "faulty_scorers.py")
SIZE = 1500  # above the 1,000-person probe: the faults strike on the main run
FAST = ["--population", "tiny", "--size", str(SIZE), "--seed", "5", "--bootstrap", "0", "--replay-sample", "0", "--quiet"]


def scorer(name: str) -> str:
    return f"{FILE}:{name}"


def cli(tmp_path: Path, *args: str, timeout: float = 240) -> tuple[int, str, dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "audit.cli", "run", *args, "--out", str(out), *FAST],
        env=env, capture_output=True, text=True, timeout=timeout,
    )
    doc = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    return proc.returncode, proc.stderr, doc


def expected_plain_shares() -> dict[str, float]:
    return plain_tier_shares(synthesize("tiny", size=SIZE, seed=5))


def by_label(doc: dict) -> dict[str, dict]:
    return {s["label"]: s for s in doc["scorers"]}


def assert_fails_alone(rc: int, stderr: str, doc: dict, label: str, fragment: str) -> None:
    assert rc == 1, stderr
    scorers = by_label(doc)
    assert scorers[label]["status"] == "failed" and fragment in scorers[label]["error"], scorers[label]
    assert scorers["plain"]["status"] == "ok"
    assert scorers["plain"]["tier_shares"] == pytest.approx(expected_plain_shares(), abs=1e-12)
    assert f"scs-audit: scorer '{label}' failed: " in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_os_exit_in_score_fails_that_scorer_alone(tmp_path, workers):
    # on main: exit status 0, nothing printed, the previous report left as if current (one worker);
    # BrokenProcessPool failing every chunk in flight (two)
    rc, stderr, doc = cli(tmp_path, "--scorer", scorer("ExitsHard"), "--scorer", scorer("Plain"), "--workers", workers)
    assert_fails_alone(rc, stderr, doc, "exits_hard", "ended its worker process with exit status 0")


def test_a_scorer_that_ignores_the_alarm_is_killed_at_its_timeout(tmp_path):
    t0 = time.monotonic()
    rc, stderr, doc = cli(tmp_path, "--scorer", scorer("IgnoresAlarm"), "--scorer", scorer("Plain"), "--scorer-timeout", "1")
    assert_fails_alone(rc, stderr, doc, "ignores_alarm", "did not stop when interrupted (its process was killed")
    assert time.monotonic() - t0 < 100  # the scorer would have run for 120 s


def test_a_memory_blow_up_is_killed_at_the_worker_memory_limit(tmp_path):
    rc, stderr, doc = cli(tmp_path, "--scorer", scorer("EatsMemory"), "--scorer", scorer("Plain"), "--worker-memory", "900")
    assert_fails_alone(rc, stderr, doc, "eats_memory", "used more memory than --worker-memory allows")


def test_every_process_fault_in_one_run(tmp_path):
    faults = ["ExitsHard", "IgnoresAlarm", "EatsMemory", "Raises", "HugeScores", "EmptiesEventsLate"]
    args = [a for f in faults for a in ("--scorer", scorer(f))]
    rc, stderr, doc = cli(tmp_path, *args, "--scorer", scorer("Plain"), "--scorer-timeout", "2", "--worker-memory", "900")
    assert rc == 1, stderr
    scorers = by_label(doc)
    assert {k for k, v in scorers.items() if v["status"] == "failed"} == {
        "exits_hard", "ignores_alarm", "eats_memory", "raises", "huge_scores"
    }
    assert scorers["plain"]["tier_shares"] == pytest.approx(expected_plain_shares(), abs=1e-12)
    assert scorers["empties_events"]["status"] == "ok"  # it only harmed its own copy of the events


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_the_main_process_leaves_no_worker_behind(tmp_path, sig):
    marker = tmp_path / "scoring"
    env = {**os.environ, "SCS_AUDIT_TEST_MARKER": str(marker), "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "audit.cli", "run", "--scorer", scorer("Plain"), "--scorer", scorer("WaitsForKill"),
            "--workers", "2", "--out", str(tmp_path / "out"), *FAST]
    log = tmp_path / "stderr.txt"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():  # a worker is now inside the scorer
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the scorer never started"
            time.sleep(0.05)
        children = _descendants(proc.pid)
        assert children, "the run has no worker processes to check"
        proc.send_signal(sig)
        proc.wait(timeout=60)
        gone, alive = psutil.wait_procs(children, timeout=20)
        assert not alive, [(p.pid, p.cmdline()) for p in alive]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for p in children:  # never leave one behind, even when the test fails
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass


def _task(scorers) -> ChunkTask:
    from audit.engine.contract import AuditOptions
    from audit.population.groups import layout_for
    from audit.population.source import open_source

    source = open_source("tiny", size=SIZE, seed=5)
    options = AuditOptions(bootstrap=0, replay_sample=0, population_size=SIZE)
    from audit.disparity.audit import DisparityAudit

    return ChunkTask(source=source, blocks=source.chunk_plan(10**6)[0], scorers=tuple(scorers), audits=(DisparityAudit(),),
                     layout=layout_for((), spec=source.spec), options=options)


def _exit_in_harness(task):
    os._exit(7)


def test_a_worker_dying_outside_any_scorer_is_retried_once_then_raised():
    with ProcessExecutor(1) as pool, pytest.raises(WorkerLost, match="exit status 7"):
        list(pool.imap_unordered(_exit_in_harness, iter([1])))


def test_a_chunk_is_rerun_without_the_scorer_that_ended_its_worker():
    from audit.engine.executors import chunk_fault
    from tests.audit import faulty_scorers as fs

    task = _task([("exits_hard", fs.ExitsHard()), ("plain", fs.Plain())])
    with ProcessExecutor(1) as pool:
        ((done_task, out),) = list(pool.imap_unordered(run_chunk, iter([task]), on_fault=chunk_fault))
    assert done_task is task
    assert set(out.errors) == {"exits_hard"} and "exit status 0" in out.errors["exits_hard"]
    assert set(out.aggregates) == {"plain"} and out.people == SIZE
    tiers = out.aggregates["plain"]["disparity"]["tiers"].array.sum(axis=0)
    shares = expected_plain_shares()
    assert tiers.tolist() == [round(shares["good"] * SIZE), round(shares["bad"] * SIZE)]


def test_saved_scores_come_back_from_the_workers_without_the_failed_scorer(tmp_path):
    import pandas as pd

    rc, stderr, doc = cli(tmp_path, "--scorer", scorer("ExitsHard"), "--scorer", scorer("Plain"), "--save-scores")
    assert_fails_alone(rc, stderr, doc, "exits_hard", "exit status 0")
    rows = pd.read_parquet(tmp_path / "out" / "scores.parquet")
    assert set(rows["label"]) == {"plain"}
    pop = synthesize("tiny", size=SIZE, seed=5)
    rows = rows.set_index("person_id").loc[pop.people["person_id"]]
    assert (rows["tier"].to_numpy() == np.where(drunk_drivers(pop).to_numpy(), "bad", "good")).all()
    assert (tmp_path / "out" / "scores.parquet").stat().st_mode & 0o777 == 0o600


def test_supplied_tables_are_scored_in_a_supervised_worker_too(tmp_path):
    pop = synthesize("tiny", size=SIZE, seed=5)
    pop.people.drop(columns=["reliability"]).to_csv(tmp_path / "people.csv", index=False)
    pop.events.drop(columns=["genuine"]).to_csv(tmp_path / "events.csv", index=False)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "audit.cli", "run", "--population", str(tmp_path / "people.csv"), "--events",
         str(tmp_path / "events.csv"), "--scorer", scorer("ExitsHard"), "--scorer", scorer("Plain"),
         "--bootstrap", "0", "--replay-sample", "0", "--quiet", "--out", str(tmp_path / "out")],
        env=env, capture_output=True, text=True, timeout=240,
    )
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert_fails_alone(proc.returncode, proc.stderr, doc, "exits_hard", "exit status 0")


def test_control_sequences_from_a_plugin_never_reach_the_terminal_or_the_reports(tmp_path):
    rc, stderr, doc = cli(tmp_path, "--scorer", scorer("ControlNames"), "--scorer", scorer("Plain"), "--scorer",
                          scorer("Raises"))
    assert rc == 1
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    shown = subprocess.run(  # the summary table too (--quiet above hides it)
        [sys.executable, "-m", "audit.cli", "run", "--scorer", scorer("ControlNames"), "--out", str(tmp_path / "o2"),
         *[a for a in FAST if a != "--quiet"]],
        env=env, capture_output=True, text=True, timeout=240,
    )
    assert shown.returncode == 0, shown.stderr
    outputs = [stderr, shown.stdout, shown.stderr]
    outputs += [(tmp_path / d / f).read_text() for d in ("out", "o2") for f in ("results.json", "report.md", "report.html")]
    for text in outputs:
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    labels = {s["label"] for s in doc["scorers"]}
    assert "ctl\\x1b[2J\\x1b]0;owned\\x07name" in labels


def test_a_scorer_that_cannot_be_pickled_fails_alone():
    from audit.engine.contract import AuditOptions
    from audit.runner import RunConfig, run
    from tests.audit import faulty_scorers as fs

    # (loaded by a file path it would pickle as that path and be loaded again in the worker)
    config = RunConfig(population="tiny", size=SIZE, seed=5, isolate=True, options=AuditOptions(bootstrap=0, replay_sample=0))
    result = run([fs.HoldsLock(), fs.Plain()], config)
    assert [r.label for r in result.failed] == ["holds_lock"]
    assert "cannot be sent to a worker process (TypeError" in result.run_for("holds_lock").error
    assert result.run_for("plain").sections["tier_shares"] == pytest.approx(expected_plain_shares(), abs=1e-12)
