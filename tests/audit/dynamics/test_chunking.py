"""How a simulation is cut into chunks: people times months drawn bounded per chunk, results unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from audit.dynamics import simulate
from audit.dynamics import simulation as simulation_module
from audit.dynamics.simulation import CHUNK_PERSON_MONTHS, chunk_people
from audit.errors import InvalidArgument
from audit.population.synth import BLOCK_SIZE
from tests.audit.dynamics.scorers_for_dynamics import Tally


def test_the_budget_is_four_blocks_over_four_years_of_months():
    assert BLOCK_SIZE == 65_536
    assert CHUNK_PERSON_MONTHS == 4 * 65_536 * 48 == 12_582_912


@pytest.mark.parametrize(("years", "blocks"), [
    (1, 4),   # 36 + 12 = 48 months: 12,582,912 / (65,536 * 48) = 4
    (2, 3),   # 60 months: 192 / 60 = 3.2
    (3, 2),   # 72 months: 192 / 72 = 2.67
    (5, 2),   # 96 months: 192 / 96 = 2
    (10, 1),  # 156 months: 192 / 156 = 1.23
    (40, 1),  # 516 months: less than one block fits, and a chunk is at least one block
])
def test_chunk_people_on_china_2020_months(years, blocks):
    months = 36 + 12 * years
    assert chunk_people(1_000_000, months) == blocks * 65_536
    # people times months stay within the budget whenever a whole block fits in it
    if blocks > 1 or 65_536 * months <= CHUNK_PERSON_MONTHS:
        assert chunk_people(1_000_000, months) * months <= CHUNK_PERSON_MONTHS


def test_a_smaller_chunk_size_is_kept():
    assert chunk_people(1_000, 48) == 1_000
    assert chunk_people(100_000, 48) == 100_000
    assert chunk_people(300_000, 48) == 262_144


@pytest.mark.parametrize(("size", "workers", "people"), [
    (200_000, 2, 131_072),    # budget 192 / (48 * 2) = 2 blocks; 4 blocks over 2 workers also 2 a chunk
    (3 * 65_536, 2, 131_072),  # 3 blocks over 2 workers: ceil(3 / 2) = 2 blocks a chunk, the budget's 2 too
    (1_000_000, 2, 131_072),  # 16 blocks: the budget shared by 2 workers allows 2 blocks each
    (1_000_000, 4, 65_536),   # 192 / (48 * 4) = 1 block each
    (1_000_000, 8, 65_536),   # 192 / (48 * 8) = 0.5: a chunk is at least one block
    (1_000, 2, 65_536),       # one block: one chunk, whatever the workers
    (200_000, 1, 262_144),    # one worker: the months alone decide
])
def test_with_workers_every_worker_gets_a_chunk(size, workers, people):
    assert chunk_people(1_000_000, 48, size=size, workers=workers) == people


@pytest.mark.parametrize(("chunk_size", "months"), [(0, 48), (10, 0), (-5, 12)])
def test_chunk_people_refuses_non_positive_arguments(chunk_size, months):
    with pytest.raises(InvalidArgument, match="at least 1"):
        chunk_people(chunk_size, months)


def test_a_longer_simulation_runs_in_more_chunks_with_the_same_figures(monkeypatch):
    size = BLOCK_SIZE + 300  # two generation blocks
    # tiny: 24 months of history + 12 simulated = 36 months; 192 block-months allow 5 blocks: one chunk
    whole = simulate(Tally(), "tiny", size=size, seed=4, years=1)
    assert whole.chunks == 1
    # a budget of one block over 36 months leaves one block per chunk: two chunks
    monkeypatch.setattr(simulation_module, "CHUNK_PERSON_MONTHS", BLOCK_SIZE * 36)
    split = simulate(Tally(), "tiny", size=size, seed=4, years=1)
    assert split.chunks == 2
    assert whole.tally is not None and split.tally is not None
    for attr, sums in whole.tally.sums.items():
        for key, values in sums.items():  # tallied block by block and added in block order: to the last bit
            assert np.array_equal(split.tally.sums[attr][key], values), f"{attr}.{key}"


@pytest.mark.parametrize("years", [1, 3, 5, 8])
def test_two_workers_hold_no_more_person_months_than_one_process(years):
    """The budget is the run's: two chunks drawn at once hold what one process's chunk would (within one block)."""
    months = 36 + 12 * years
    alone = chunk_people(10_000_000, months, size=10_000_000, workers=1) * months
    together = 2 * chunk_people(10_000_000, months, size=10_000_000, workers=2) * months
    assert together <= max(alone, 2 * BLOCK_SIZE * months)
    if 2 * BLOCK_SIZE * months <= CHUNK_PERSON_MONTHS:  # up to 96 months: one block each fits in the shared budget
        assert together <= CHUNK_PERSON_MONTHS
    else:  # beyond, each worker holds its one-block minimum
        assert together == 2 * BLOCK_SIZE * months
