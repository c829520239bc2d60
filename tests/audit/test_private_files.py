"""Exact artefacts about real people are readable by their owner only."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from audit.cli.commands import main
from audit.population.model import synthesize


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


def _kill_once_marked(tmp_path, *args: str, also: Callable[[Path], bool] = lambda out: True) -> Path:
    """Run ``scs-audit run ARGS --out tmp_path/out --quiet``; SIGKILL it once its scorer creates the marker file
    and ``also(out)`` holds."""
    marker, log, out = tmp_path / "scoring", tmp_path / "stderr.txt", tmp_path / "out"
    env = {**os.environ, "SCS_AUDIT_TEST_MARKER": str(marker), "PYTHONPATH": str(Path(__file__).parents[2])}
    argv = [sys.executable, "-m", "audit.cli", "run", *args, "--out", str(out), "--quiet"]
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 120
            while not (marker.exists() and also(out)):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the scorer never started"
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return out


def test_partial_scores_file_is_user_only_from_its_first_byte_even_after_a_kill(tmp_path):
    """A kill mid-run leaves the per-person partial file behind; it was never readable by others."""
    pop = synthesize("tiny", size=1500, seed=5)  # more than the 1,000-person probe: WaitsForKill waits in the run
    pop.people.drop(columns=["reliability"]).to_csv(tmp_path / "people.csv", index=False)
    pop.events.drop(columns=["genuine"]).to_csv(tmp_path / "events.csv", index=False)
    faulty = Path(__file__).with_name("faulty_scorers.py")
    # killed once Plain's rows are in the partial file and the second scorer is scoring
    out = _kill_once_marked(tmp_path, "--population", str(tmp_path / "people.csv"), "--events",
                            str(tmp_path / "events.csv"), "--scorer", f"{faulty}:Plain", "--scorer",
                            f"{faulty}:WaitsForKill", "--replay-sample", "0", "--bootstrap", "0", "--save-scores")
    (partial,) = out.glob(".scores.parquet*.partial")
    assert partial.stat().st_size > 0
    assert _mode(partial) == 0o600
    assert not (out / "scores.parquet").exists()


def test_chunk_store_is_user_only_after_a_kill(tmp_path):
    """A run killed after its first chunk leaves .chunks/ at 0700 and each of its files at 0600."""
    from audit.population.synth import BLOCK_SIZE

    (tmp_path / "waits_in_block_1.py").write_text(
        "import os, time\nfrom scorers.suining import Suining\n\n"
        "class WaitsInBlock1(Suining):\n    name = 'waits'\n\n"
        "    def score(self, view, *, as_of):\n"
        f"        if (view.people['person_id'].to_numpy() == {BLOCK_SIZE + 7}).any():\n"
        "            open(os.environ['SCS_AUDIT_TEST_MARKER'], 'w').close()\n"
        "            time.sleep(120)\n"
        "        return super().score(view, as_of=as_of)\n"
    )
    # killed once chunk 0 is saved and chunk 1 is being scored (the worker is handed chunk 1 before the main
    # process saves chunk 0, so the marker alone does not say chunk 0 is saved)
    out = _kill_once_marked(tmp_path, "--population", "tiny", "--size", str(BLOCK_SIZE + 100), "--chunk-size",
                            str(BLOCK_SIZE), "--scorer", f"{tmp_path / 'waits_in_block_1.py'}:WaitsInBlock1",
                            "--workers", "1", "--bootstrap", "0", "--replay-sample", "0",
                            also=lambda out: all(any((out / ".chunks").glob(f"*/{name}")) for name in ("0.npz", "index.json")))
    chunks = out / ".chunks"
    (store,) = chunks.iterdir()
    assert _mode(chunks) == 0o700 and _mode(store) == 0o700
    assert sorted(p.name for p in store.iterdir()) == ["0.npz", "index.json"]
    assert all(_mode(p) == 0o600 for p in store.iterdir())
