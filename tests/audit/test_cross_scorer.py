"""The engine's cross-scorer hook: an audit reads every scorer's output of a chunk at once, keeping no state."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.engine.contract import AuditOptions, favourable_mask, process_chunk, sanctioned_mask
from audit.population.groups import layout_for
from audit.population.model import synthesize
from audit.report.paired import PairedAudit
from scorers.rongcheng import Rongcheng
from scorers.suining import Suining
from tests.audit._engine_scorers import FailsFromBlock


def _chunk_and_layout(size: int = 3000):
    pop = synthesize("tiny", size=size, seed=11)
    return pop, layout_for((), spec=pop.spec)


def test_paired_joint_counts_come_from_the_engine_hook_and_match_a_crosstab():
    pop, layout = _chunk_and_layout()
    scorers = [("suining", Suining()), ("rongcheng", Rongcheng())]
    out = process_chunk(pop, scorers, [PairedAudit(["suining", "rongcheng"])], layout, AuditOptions())
    assert out.aggregates["suining"]["paired"] == {}  # statistics live under the last variant only
    joint = out.aggregates["rongcheng"]["paired"]["joint"]

    # independently: score each scorer directly and count people per (joint outcome, cell) with pandas
    as_of = pop.horizon_months - 1
    codes = []
    for _, scorer in scorers:
        frame = scorer.score(pop.view(), as_of=as_of)
        codes.append(favourable_mask(scorer, frame).astype(int) + 2 * sanctioned_mask(scorer, frame).astype(int))
    cells = layout.encode(pop.people)
    key = (codes[0] + (codes[1] << 2)) * layout.n_cells + cells
    expected = pd.Series(key).value_counts().sort_index()
    assert joint.keys.tolist() == expected.index.tolist()
    assert joint.counts.tolist() == expected.to_numpy().tolist()
    assert int(joint.counts.sum()) == len(pop)


def test_paired_audit_holds_no_state_and_is_pure():
    pop, layout = _chunk_and_layout(800)
    audit = PairedAudit(["suining", "rongcheng"])
    assert PairedAudit.__slots__ == ("labels",) and not hasattr(audit, "__dict__")  # nothing hidden beside its labels
    first = process_chunk(pop, [("suining", Suining()), ("rongcheng", Rongcheng())], [audit], layout, AuditOptions())
    again = process_chunk(pop, [("suining", Suining()), ("rongcheng", Rongcheng())], [audit], layout, AuditOptions())
    a, b = first.aggregates["rongcheng"]["paired"]["joint"], again.aggregates["rongcheng"]["paired"]["joint"]
    assert np.array_equal(a.keys, b.keys) and np.array_equal(a.counts, b.counts)


def test_a_chunk_where_a_variant_failed_contributes_no_joint_counts():
    pop = synthesize("tiny", size=3 * 65_536 // 2, seed=3)  # people of blocks 0 and 1: person 7 of block 1 fails
    layout = layout_for((), spec=pop.spec)
    failing = FailsFromBlock().with_params(first_bad_block=1)
    out = process_chunk(pop, [("suining", Suining()), ("failing", failing)], [PairedAudit(["suining", "failing"])],
                        layout, AuditOptions())
    assert "failing" in out.errors
    assert out.aggregates["suining"]["paired"] == {}


class _FrameWatch:
    """A per-scorer audit that notes, as each scorer's chunk arrives, whether earlier scorers' frames still exist."""

    name = "frame_watch"

    def __init__(self) -> None:
        self.frames: list = []
        self.alive_at_collect: list[list[bool]] = []

    def collect(self, chunk):
        import gc
        import weakref

        gc.collect()
        self.alive_at_collect.append([ref() is not None for ref in self.frames])
        self.frames.append(weakref.ref(chunk.frame))
        return {}


def test_a_scorers_chunk_is_freed_before_the_next_scorer_runs_when_no_audit_reads_across_scorers():
    pop, layout = _chunk_and_layout(800)
    watch = _FrameWatch()
    scorers = [("suining", Suining()), ("rongcheng", Rongcheng()), ("suining#2", Suining())]
    process_chunk(pop, scorers, [watch], layout, AuditOptions())
    assert watch.alive_at_collect == [[], [False], [False, False]]


def test_every_scorers_chunk_is_kept_for_an_audit_reading_across_scorers():
    pop, layout = _chunk_and_layout(800)
    watch = _FrameWatch()
    scorers = [("suining", Suining()), ("rongcheng", Rongcheng())]
    out = process_chunk(pop, scorers, [watch, PairedAudit(["suining", "rongcheng"])], layout, AuditOptions())
    assert watch.alive_at_collect == [[], [True]]
    assert int(out.aggregates["rongcheng"]["paired"]["joint"].counts.sum()) == len(pop)
