"""Every engine gives the same results: serial, process pool, Dask, any chunk size or order."""

from __future__ import annotations

import dataclasses
import pickle
import random

import pytest

from audit.engine.contract import AuditOptions
from audit.engine.executors import (
    ChunkTask,
    ProcessExecutor,
    SerialExecutor,
    make_executor,
    run_chunk,
)
from audit.errors import InvalidArgument
from audit.population.source import open_source
from audit.population.synth import BLOCK_SIZE
from audit.results.document import results_document
from audit.runner import RunConfig, run

SIZE = 3 * BLOCK_SIZE + 1000  # four chunks of one block, the last one short
OPTIONS = AuditOptions(seed=4, bootstrap=10, replay_sample=100, probe_size=200)
SCORERS = ["suining", "joint_punishment"]


def audits():
    """The streaming audits whose statistics are cheap enough to recompute five times here.

    (The reversibility audit replays months per sampled person; it merges the
    same way and is left to the full default run in ``test_scale.py``.)
    """
    from audit.disparity.audit import DisparityAudit
    from audit.replay.appeal import AppealAudit
    from audit.replay.contagion import ContagionAudit
    from audit.replay.spillover import SpilloverAudit

    return [DisparityAudit(attribution_sample=100), AppealAudit(), SpilloverAudit(), ContagionAudit()]


def run_(scorers, cfg):
    return run(scorers, cfg, audits=audits())


def document(result) -> dict:
    """results.json without what legitimately differs between runs (time stamps, timings)."""
    doc = results_document(result)
    doc.pop("created")
    doc.pop("seconds")
    return doc


def config(**kw) -> RunConfig:
    base = {"population": "tiny", "size": SIZE, "seed": 2, "chunk_size": BLOCK_SIZE, "options": OPTIONS}
    return RunConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def serial_doc():
    return document(run_(SCORERS, config()))


def test_chunk_size_does_not_change_results(serial_doc):
    assert document(run_(SCORERS, config(chunk_size=10**7))) == serial_doc


class _Shuffled(SerialExecutor):
    """Runs all tasks, but in a shuffled order (chunks then arrive out of order)."""

    def imap_unordered(self, fn, tasks):
        tasks = list(tasks)
        random.Random(5).shuffle(tasks)
        assert [t.blocks for t in tasks] != sorted(t.blocks for t in tasks)
        for task in tasks:
            yield task, fn(task)


def test_chunk_order_does_not_change_results(serial_doc, monkeypatch):
    import audit.engine.streaming

    monkeypatch.setattr(audit.engine.streaming, "make_executor", lambda *a, **k: _Shuffled())
    assert document(run_(SCORERS, config())) == serial_doc


def test_process_pool_equals_serial(serial_doc):
    assert document(run_(SCORERS, config(workers=2))) == serial_doc


def test_dask_cluster_equals_serial(serial_doc):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        doc = document(run_(SCORERS, config(engine="dask", scheduler=cluster.scheduler_address)))
    assert doc == serial_doc


def test_a_chunk_task_is_small_and_its_output_holds_only_statistics_and_the_sample():
    """Workers get a description of the chunk, not its people; they return statistics and the sampled people only."""
    from audit.population.groups import layout_for
    from audit.runner import resolve_scorers, unique_labels

    source = open_source("tiny", size=SIZE, seed=2)

    def output_bytes(population_size, replay_sample=OPTIONS.replay_sample):
        # as in a run: the population size sets the sampling rate of the attribution sample; the replay sample
        # holds up to replay_sample people of each stratum of the chunk (audit.replay.strata)
        options = dataclasses.replace(OPTIONS, population_size=population_size, replay_sample=replay_sample)
        task = ChunkTask(
            source=source, blocks=(0, 1), scorers=tuple(unique_labels(resolve_scorers(SCORERS))),
            audits=tuple(audits()), layout=layout_for((), spec=source.spec), options=options,
        )
        assert len(pickle.dumps(task)) < 50_000
        out = run_chunk(task)
        assert out.people == BLOCK_SIZE
        return len(pickle.dumps(out))

    # 65,536 people with tens of events each would be megabytes; statistics and the sampled people are far smaller
    assert output_bytes(SIZE) < 1_000_000
    # what grows is the sample, not the chunk: a replay sample of 5 a stratum instead of 100 (and a thinner
    # attribution sample) leaves little more than the statistics. (The stratified replay sample cannot thin with
    # the population: a chunk does not know its strata's share of the population, so it sends its smallest
    # hashes, at most replay_sample a stratum, and merges keep the smallest of those.)
    assert output_bytes(100 * SIZE, replay_sample=5) < 0.75 * output_bytes(SIZE)


def test_scorer_failing_in_one_chunk_is_reported_like_a_serial_run(monkeypatch):
    """A scorer that raises on the third chunk fails with the same message whatever the order."""
    from tests.audit._engine_scorers import FailsFromBlock

    scorers = [FailsFromBlock(first_bad_block=2), "suining"]
    serial = run_(scorers, config())
    import audit.engine.streaming

    monkeypatch.setattr(audit.engine.streaming, "make_executor", lambda *a, **k: _Shuffled())
    shuffled = run_(scorers, config())
    assert [r.error for r in serial.runs] == [r.error for r in shuffled.runs]
    assert serial.runs[0].error is not None and "block 2" in serial.runs[0].error
    assert document(serial) == document(shuffled)


def test_executor_choice():
    assert isinstance(make_executor("local", workers=1, n_chunks=10), SerialExecutor)
    assert isinstance(make_executor("local", workers=4, n_chunks=1), SerialExecutor)  # one chunk: no pool
    assert isinstance(make_executor("local", workers=4, n_chunks=9, in_process=True), SerialExecutor)
    pool = make_executor("local", workers=2, n_chunks=9)
    try:
        assert isinstance(pool, ProcessExecutor) and pool.workers == 2
    finally:
        pool.close()
    with pytest.raises(InvalidArgument, match="engine=dask"):
        make_executor("local", scheduler="tcp://127.0.0.1:1")
    with pytest.raises(InvalidArgument, match="engine="):
        make_executor("spark")
    with pytest.raises(InvalidArgument, match="workers="):
        make_executor("local", workers=0)


def test_a_small_population_is_cut_into_one_chunk_per_worker():
    from audit.engine.streaming import _recut

    assert _recut([(0, 3)], 2) == [(0, 2), (2, 3)]
    assert _recut([(0, 1)], 4) == [(0, 1)]  # one block cannot be shared
    assert _recut([(0, 16)], 2) == [(0, 8), (8, 16)]
