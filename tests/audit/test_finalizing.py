"""Finalizing after the merge: scorers spread over workers, a failure while replaying reported per scorer."""

from __future__ import annotations

from audit.engine.contract import AuditOptions
from audit.runner import RunConfig, run
from tests.audit._engine_scorers import FailsOnReplay

OPTIONS = AuditOptions(seed=1, bootstrap=10, replay_sample=40, probe_size=0)


def config(**kw):
    return RunConfig(**{"population": "tiny", "size": 3000, "seed": 3, "options": OPTIONS, **kw})


def test_a_scorer_failing_only_in_the_replay_is_reported_and_the_others_finish():
    for workers in (1, 2):
        result = run(["suining", FailsOnReplay(), "rongcheng"], config(workers=workers))
        by_label = {r.label: r for r in result.runs}
        failed = by_label["fails_on_replay"]
        assert failed.error is not None and "cannot score a replayed person" in failed.error
        assert failed.sections == {}
        for label in ("suining", "rongcheng"):
            assert by_label[label].error is None
            assert {"disparity", "reversibility", "appeal", "spillover"} <= set(by_label[label].sections)


def test_finalizing_on_two_workers_equals_one():
    one = run(["suining", "sesame"], config(workers=1))
    two = run(["suining", "sesame"], config(workers=2))
    for a, b in zip(one.runs, two.runs):
        assert a.label == b.label
        assert a.sections == b.sections


def test_chunks_and_finalizing_share_one_pool(monkeypatch):
    from audit.engine import workers
    from audit.population.synth import BLOCK_SIZE

    started = []
    real_init = workers.ProcessExecutor.__init__

    def counting_init(self, *args, **kwargs):
        started.append(args)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(workers.ProcessExecutor, "__init__", counting_init)
    cfg = {"size": 2 * BLOCK_SIZE + 10}  # two chunks, so the chunks go to the pool too
    two = run(["suining", "sesame"], config(workers=2, **cfg))
    assert len(started) == 1  # one pool for the chunks and the finalizing, not one each
    # one worker, the same two chunks (two workers cut the population into one chunk each): no pool at all
    one = run(["suining", "sesame"], config(workers=1, chunk_size=BLOCK_SIZE, **cfg))
    assert len(started) == 1
    for a, b in zip(one.runs, two.runs):
        assert a.label == b.label and a.error is None
        assert a.sections == b.sections
