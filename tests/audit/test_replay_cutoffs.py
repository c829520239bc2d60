"""Replay cut-offs sent with each chunk: chunks gather fewer people, the run's figures do not change."""

from __future__ import annotations

import json

import pytest

import audit.engine.contract as contract
import audit.replay.pool as pool_module
from audit.engine.contract import AuditOptions
from audit.population.synth import BLOCK_SIZE
from audit.runner import RunConfig, run

REPLAY = ("appeal", "reversibility", "spillover", "contagion")


def _sections(result) -> dict:
    for r in result.runs:  # the sections compared hold a sample: strata filled to the target, nothing vacuous
        appeal = r.sections["appeal"]
        assert appeal["available"] and sum(s["sampled"] for s in appeal["sample"]["strata"]) >= 2 * 40
    return {r.label: json.dumps({k: r.sections[k] for k in REPLAY if k in r.sections}, sort_keys=True)
            for r in result.runs}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_with_cutoffs_reports_what_one_without_reports(monkeypatch, workers):
    """Four chunks, a sample small enough that the first chunk fills it: later chunks are told cut-offs, gather
    fewer people, and every replay section is the same as when no chunk is told any."""
    options = AuditOptions(replay_sample=40, bootstrap=20)
    config = RunConfig(population="tiny", size=4 * BLOCK_SIZE, seed=3, chunk_size=BLOCK_SIZE, options=options,
                       workers=workers)
    told: list[dict] = []
    if workers == 1:  # in this process: see what each chunk was told
        real = contract.process_chunk

        def spy(*args, **kwargs):
            told.append(dict(kwargs.get("replay_cutoffs") or {}))
            return real(*args, **kwargs)

        monkeypatch.setattr("audit.engine.chunks.process_chunk", spy)
    with_cutoffs = _sections(run(["suining", "sesame"], config))
    if workers == 1:
        assert told[0] == {} and len(told) == 4
        later = told[-1]
        assert set(later) == {"suining", "sesame"}
        assert all(len(cut) == 3 and all(0 < c < 1 for c in cut) for cut in later.values())
    monkeypatch.setattr(pool_module, "replay_cutoffs", lambda merged: {})
    without = _sections(run(["suining", "sesame"], config))
    assert set(with_cutoffs) == {"suining", "sesame"} and all('"appeal"' in v for v in with_cutoffs.values())
    assert with_cutoffs == without
