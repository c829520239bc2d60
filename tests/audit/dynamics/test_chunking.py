"""How a simulation is cut into chunks: people times months held bounded per chunk, results unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from audit.dynamics import simulate
from audit.dynamics import simulation as simulation_module
from audit.dynamics.conduct import YearlyConduct
from audit.dynamics.simulation import CHUNK_PERSON_MONTHS, chunk_people, held_months
from audit.errors import InvalidArgument
from audit.population.spec import load_spec
from audit.population.synth import BLOCK_SIZE
from tests.audit.dynamics.scorers_for_dynamics import Tally


def test_the_budget_is_four_blocks_over_four_years_of_months():
    assert BLOCK_SIZE == 65_536
    assert CHUNK_PERSON_MONTHS == 4 * 65_536 * 48 == 12_582_912


@pytest.mark.parametrize(("history", "years", "lookback", "held"), [
    (36, 1, 36, 48),    # china-2020 and rongcheng's 36-month window: the history, then the window, plus one year
    (36, 40, 36, 48),   # ... whatever the years
    (36, 5, 24, 48),    # a shorter window: the history is held at the start
    (36, 5, 60, 72),    # a longer window, once the log has grown to it
    (24, 1, 60, 48),    # a window longer than the whole simulation: the log, 24 + 12 months
    (36, 1, None, 60),  # no window: the whole log, 36 + 12 months, plus the year drawn
    (36, 10, None, 168),
])
def test_held_months_are_the_history_or_the_log_read_plus_one_year(history, years, lookback, held):
    assert held_months(history, years, lookback) == held


@pytest.mark.parametrize("years", [1, 5, 10, 20, 40])
def test_with_a_lookback_window_the_chunks_do_not_depend_on_the_years(years):
    assert chunk_people(1_000_000, held_months(36, years, 36)) == 4 * 65_536  # 192 block-months / 48


@pytest.mark.parametrize(("years", "blocks"), [
    (1, 3),   # no window: 36 + 12 + 12 = 60 months: 12,582,912 / (65,536 * 60) = 3.2
    (2, 2),   # 72 months: 192 / 72 = 2.67
    (5, 1),   # 108 months: 192 / 108 = 1.78
    (10, 1),  # 168 months: 192 / 168 = 1.14
    (40, 1),  # 528 months: less than one block fits, and a chunk is at least one block
])
def test_chunk_people_on_china_2020_months_without_a_window(years, blocks):
    months = held_months(36, years, None)
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
    # tiny: 24 months of history + 12 simulated, no window, plus one drawn year = 48 months; 192 block-months
    # allow 4 blocks: one chunk
    whole = simulate(Tally(), "tiny", size=size, seed=4, years=1)
    assert whole.chunks == 1
    # a budget of one block over 48 months leaves one block per chunk: two chunks
    monkeypatch.setattr(simulation_module, "CHUNK_PERSON_MONTHS", BLOCK_SIZE * 48)
    split = simulate(Tally(), "tiny", size=size, seed=4, years=1)
    assert split.chunks == 2
    assert whole.tally is not None and split.tally is not None
    for attr, sums in whole.tally.sums.items():
        for key, values in sums.items():  # tallied block by block and added in block order: to the last bit
            assert np.array_equal(split.tally.sums[attr][key], values), f"{attr}.{key}"


@pytest.mark.parametrize("years", [1, 3, 5, 8])
def test_two_workers_hold_no_more_person_months_than_one_process(years):
    """The budget is the run's: two chunks simulated at once hold what one process's chunk would (within one block)."""
    months = held_months(36, years, None)
    alone = chunk_people(10_000_000, months, size=10_000_000, workers=1) * months
    together = 2 * chunk_people(10_000_000, months, size=10_000_000, workers=2) * months
    assert together <= max(alone, 2 * BLOCK_SIZE * months)
    if 2 * BLOCK_SIZE * months <= CHUNK_PERSON_MONTHS:  # up to 96 months held: one block each fits in the shared budget
        assert together <= CHUNK_PERSON_MONTHS
    else:  # beyond, each worker holds its one-block minimum
        assert together == 2 * BLOCK_SIZE * months


def test_a_chunks_drawn_years_are_its_blocks_years_whatever_the_chunking():
    """Two blocks drawn as one chunk give, year after year, the events of each drawn alone, in month order."""
    spec = load_spec("tiny")
    size = BLOCK_SIZE + 400
    both = YearlyConduct(spec, seed=6, size=size, blocks=(0, 2), start=24)
    alone = [YearlyConduct(spec, seed=6, size=size, blocks=(b, b + 1), start=24) for b in (0, 1)]
    for first in (24, 36):
        year = both.next_year()
        parts = [a.next_year() for a in alone]
        assert year.first_month == first and year.months == 12
        for month in range(first, first + 12):
            rows = year.rows(month)
            for name in ("person", "month", "kind", "source", "amount"):
                expected = np.concatenate([getattr(p, name)[p.rows(month)] for p in parts])  # block 0's people first
                assert np.array_equal(getattr(year, name)[rows], expected), (month, name)
        assert np.all(year.month[year.rows(first)] == first)
