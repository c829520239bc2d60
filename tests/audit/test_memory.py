"""Peak memory of a run does not grow with the population: only one chunk is held at a time."""

from __future__ import annotations

import tracemalloc

from audit.population.synth import BLOCK_SIZE
from audit.runner import RunConfig, run
from tests.audit.test_executors import OPTIONS, audits


def peak_bytes(n_chunks: int) -> int:
    """Peak bytes allocated (numpy arrays included: numpy reports to tracemalloc) during a run."""
    config = RunConfig(population="tiny", size=n_chunks * BLOCK_SIZE, seed=1, chunk_size=BLOCK_SIZE, options=OPTIONS)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        run(["suining"], config, audits=audits())
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_does_not_grow_with_size():
    run(["suining"], RunConfig(population="tiny", size=1000, options=OPTIONS), audits=audits())  # warm caches
    small, large = peak_bytes(1), peak_bytes(3)
    # three times the people; a run that kept chunks (or per-person rows) would need ~3x the memory
    assert large < 1.15 * small, (small, large)
