"""Replay audits on a population of two generation blocks: the chunking does not change them."""

from __future__ import annotations

import json

import pytest

from audit.engine.contract import AuditOptions
from audit.runner import RunConfig, run

REPLAY = ("appeal", "reversibility", "spillover", "contagion")


@pytest.mark.slow
def test_replay_sections_do_not_depend_on_the_chunk_size():
    options = AuditOptions(replay_sample=300, bootstrap=50)

    def sections(chunk_size: int) -> dict:
        config = RunConfig(population="tiny", size=70_000, seed=2, chunk_size=chunk_size, options=options)
        result = run(["suining", "sesame"], config)
        return {r.label: json.dumps({k: r.sections[k] for k in REPLAY}, sort_keys=True) for r in result.runs}

    one_chunk, two_chunks = sections(1_000_000), sections(65_536)
    assert one_chunk == two_chunks
