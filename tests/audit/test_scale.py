"""Scale tests, kept out of the default run: ``pytest -m slow tests/audit/test_scale.py``.

They start worker processes, a Dask LocalCluster of processes, and runs of
ten million people; a few minutes on two cores.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from audit.population.synth import BLOCK_SIZE
from audit.runner import RunConfig, run
from tests.audit.test_executors import OPTIONS, SCORERS, document

pytestmark = pytest.mark.slow


def test_every_default_audit_is_the_same_in_a_process_pool():
    config = RunConfig(population="tiny", size=3 * BLOCK_SIZE + 7, seed=5, chunk_size=BLOCK_SIZE, options=OPTIONS)
    serial = document(run(SCORERS, config))  # default audits, reversibility included
    pooled = document(run(SCORERS, RunConfig(**{**{f: getattr(config, f) for f in config.__slots__}, "workers": 2})))
    assert pooled == serial


def test_engine_dask_starts_its_own_local_cluster():
    pytest.importorskip("distributed")
    config = RunConfig(population="tiny", size=2 * BLOCK_SIZE + 7, seed=5, chunk_size=BLOCK_SIZE, options=OPTIONS)
    serial = document(run(SCORERS, config))
    dask = document(run(SCORERS, RunConfig(**{**{f: getattr(config, f) for f in config.__slots__}, "engine": "dask", "workers": 2})))
    assert dask == serial


def peak_pss(argv: list[str]) -> int:
    """Largest PSS summed over a command and all its descendants (workers), sampled every 0.1 s."""
    psutil = pytest.importorskip("psutil")
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_full_info().pss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            peak = max(peak, total)
            time.sleep(0.1)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    _, err = proc.communicate()
    done.set()
    t.join()
    assert proc.returncode == 0, err.decode()
    return peak


def test_peak_memory_of_the_command_does_not_grow_with_size(tmp_path):
    """1e6 and 1e7 people, same chunk size, both cores: memory is the chunks in flight, not the population."""
    exe = str(Path(sys.executable).with_name("scs-audit"))

    def argv(size: int) -> list[str]:
        return [exe, "run", "--size", str(size), "--chunk-size", "500000", "--workers", "2", "--quiet",
                "--scorer", "suining", "--scorer", "sesame", "--out", str(tmp_path / str(size))]

    small, large = peak_pss(argv(1_000_000)), peak_pss(argv(10_000_000))
    assert large < 1.3 * small, (small, large)
