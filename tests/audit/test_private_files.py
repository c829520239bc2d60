"""Exact artefacts about real people are readable by their owner only."""

from __future__ import annotations

import stat

import pytest

from audit.cli import main
from audit.synth import synthesize


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def supplied(tmp_path_factory):
    root = tmp_path_factory.mktemp("supplied")
    pop = synthesize("tiny", size=800, seed=5)
    pop.people.drop(columns=["reliability"]).to_csv(root / "people.csv", index=False)
    pop.events.drop(columns=["genuine"]).to_csv(root / "events.csv", index=False)
    return root


def test_exact_artefacts_of_supplied_data_are_user_only(supplied, tmp_path):
    out = tmp_path / "out"
    status = main(["run", "--population", str(supplied / "people.csv"), "--events", str(supplied / "events.csv"),
                   "--scorer", "suining", "--replay-sample", "0", "--out", str(out), "--quiet"])
    assert status == 0
    for name in ("results.json", "report.html", "report.md"):
        assert _mode(out / name) == 0o600, name


def test_synthetic_artefacts_keep_ordinary_permissions(tmp_path):
    status = main(["run", "--population", "tiny", "--size", "800", "--scorer", "suining", "--replay-sample", "0",
                   "--out", str(tmp_path), "--quiet"])
    assert status == 0
    for name in ("results.json", "report.html", "report.md"):
        assert _mode(tmp_path / name) == 0o644, name


def test_partial_scores_file_is_user_only_from_its_first_byte_even_after_a_kill(tmp_path):
    """A kill mid-run leaves the per-person partial file behind; it was never readable by others."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    pop = synthesize("tiny", size=1500, seed=5)  # more than the 1,000-person probe: WaitsForKill waits in the run
    pop.people.drop(columns=["reliability"]).to_csv(tmp_path / "people.csv", index=False)
    pop.events.drop(columns=["genuine"]).to_csv(tmp_path / "events.csv", index=False)
    out, marker, log = tmp_path / "out", tmp_path / "scoring", tmp_path / "stderr.txt"
    faulty = Path(__file__).with_name("faulty_scorers.py")
    env = {**os.environ, "SCS_AUDIT_TEST_MARKER": str(marker), "PYTHONPATH": str(Path(__file__).parents[2])}
    argv = [sys.executable, "-m", "audit.cli", "run", "--population", str(tmp_path / "people.csv"),
            "--events", str(tmp_path / "events.csv"), "--scorer", f"{faulty}:Plain",
            "--scorer", f"{faulty}:WaitsForKill", "--replay-sample", "0", "--bootstrap", "0",
            "--save-scores", "--out", str(out), "--quiet"]
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 120
            while not marker.exists():  # Plain's rows are in the partial file; the second scorer is scoring
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the scorer never started"
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    (partial,) = out.glob(".scores.parquet*.partial")
    assert partial.stat().st_size > 0
    assert _mode(partial) == 0o600
    assert not (out / "scores.parquet").exists()
