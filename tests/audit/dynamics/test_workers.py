"""Dynamics chunks in supervised worker processes: the same figures as in this process, and faults contained."""

from __future__ import annotations

import numpy as np
import pytest

from audit.dynamics import add_dynamics, dynamics_section, simulate
from audit.engine.contract import AuditOptions
from audit.errors import InvalidArgument
from audit.population.synth import BLOCK_SIZE
from audit.runner import RunConfig, run
from tests.audit.dynamics.scorers_for_dynamics import DropsRowsAsTiesChange, ExitsLater, Tally


def _without_seconds(section):
    return {k: v for k, v in section.items() if k != "seconds"}


def test_tallies_are_identical_whatever_the_worker_count():
    size = BLOCK_SIZE + 300  # two generation blocks: one chunk in this process, one chunk for each of two workers
    here = simulate(Tally(), "tiny", size=size, seed=6, years=1)
    pooled = simulate(Tally(), "tiny", size=size, seed=6, years=1, workers=2)
    assert (here.chunks, pooled.chunks) == (1, 2)
    assert here.error is None and pooled.error is None
    assert pooled.probe == here.probe
    assert here.tally is not None and pooled.tally is not None
    assert here.tally.sums.keys() == pooled.tally.sums.keys()
    for attr, sums in here.tally.sums.items():
        assert sums.keys() == pooled.tally.sums[attr].keys()
        for key, values in sums.items():  # tallied per block, added in block order: bit for bit, not merely close
            assert np.array_equal(pooled.tally.sums[attr][key], values), f"{attr}.{key}"
    assert _without_seconds(dynamics_section(pooled)) == _without_seconds(dynamics_section(here))


def test_a_contract_breach_in_a_worker_reads_as_in_this_process():
    here = simulate(DropsRowsAsTiesChange(), "tiny", size=600, seed=0, years=1)
    pooled = simulate(DropsRowsAsTiesChange(), "tiny", size=600, seed=0, years=1, workers=2)
    assert here.error is not None and "drops_rows" in here.error
    assert pooled.error == here.error


def test_a_scorer_that_ends_its_worker_fails_alone_and_named():
    options = AuditOptions(bootstrap=0, replay_sample=0)
    # tiny has 24 months of history: the static audit scores month 23, the simulation from month 24 on
    result = run([Tally(), ExitsLater(after=24)], RunConfig(population="tiny", size=500, seed=1, options=options))
    assert not result.failed  # the static audit never reaches month 24
    with_dynamics = add_dynamics(result, years=1, workers=2)
    sections = {r.label: r.sections["dynamics"] for r in with_dynamics.runs}
    failed = sections["exits_later"]
    assert failed["status"] == "failed"
    assert "'exits_later'" in failed["error"] and "exit status 3" in failed["error"]
    # the other scorer's simulation is complete, and the same as in this process
    alone = dynamics_section(simulate(Tally(), "tiny", size=500, seed=1, years=1))
    assert sections["tally"]["status"] == "ok"
    assert _without_seconds(sections["tally"]) == _without_seconds(alone)


class _Unpicklable(Tally):
    name = "unpicklable"

    def __init__(self) -> None:
        self.hook = lambda: None  # a lambda does not pickle


def test_a_scorer_that_cannot_be_sent_to_a_worker_fails_named():
    sim = simulate(_Unpicklable(), "tiny", size=300, seed=0, years=1, workers=2)
    assert sim.error is not None
    assert "'unpicklable'" in sim.error and "cannot be sent to a worker process" in sim.error


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_bad_worker_counts_are_refused(workers):
    with pytest.raises(InvalidArgument, match="workers="):
        simulate(Tally(), "tiny", size=100, years=1, workers=workers)
