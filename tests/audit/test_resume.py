"""Resumable runs: an interrupted run continues from its finished chunks, counting each chunk once."""

from __future__ import annotations

import dataclasses

import pytest

import audit.streaming
from audit.checkpoint import CHECKPOINT_DIRNAME, ChunkStore, run_fingerprint
from audit.cli import main
from audit.errors import InvalidArgument
from audit.groups import layout_for
from audit.runner import RunConfig, resolve_scorers, run, unique_labels
from audit.source import open_source
from audit.synth import BLOCK_SIZE, chunk_ranges
from tests.audit import _engine_scorers
from tests.audit._engine_scorers import InterruptsAtBlock
from tests.audit.test_executors import OPTIONS, audits, document

SIZE = 3 * BLOCK_SIZE + 500  # four chunks


@pytest.fixture
def counted(monkeypatch):
    """First blocks of the chunks actually computed (not resumed) by runs in this test."""
    seen: list[int] = []
    original = audit.streaming.run_chunk

    def counting(task, **kw):
        seen.append(task.blocks[0])
        return original(task, **kw)

    monkeypatch.setattr(audit.streaming, "run_chunk", counting)
    return seen


@pytest.fixture
def interrupt(monkeypatch):
    def arm(block):
        monkeypatch.setitem(_engine_scorers.INTERRUPT_AT, "block", block)

    return arm


def cfg(tmp_path, **kw) -> RunConfig:
    base = {"population": "tiny", "size": SIZE, "seed": 3, "chunk_size": BLOCK_SIZE, "options": OPTIONS,
            "checkpoint_dir": str(tmp_path)}
    return RunConfig(**{**base, **kw})


def chunk_files(tmp_path) -> list[str]:
    return sorted(p.name for p in (tmp_path / CHECKPOINT_DIRNAME).glob("*/*.pkl"))


def test_resume_continues_from_the_last_finished_chunk(tmp_path, counted, interrupt):
    scorers = [InterruptsAtBlock(), "joint_punishment"]
    whole = document(run(scorers, RunConfig(population="tiny", size=SIZE, seed=3, chunk_size=BLOCK_SIZE, options=OPTIONS),
                         audits=audits()))
    counted.clear()
    interrupt(2)
    with pytest.raises(KeyboardInterrupt):
        run(scorers, cfg(tmp_path), audits=audits())
    assert counted == [0, 1, 2] and chunk_files(tmp_path) == ["0.pkl", "1.pkl"]

    interrupt(None)
    counted.clear()
    resumed = run(scorers, cfg(tmp_path, resume=True), audits=audits())
    assert counted == [2, 3]  # chunks 0 and 1 came from disk, none twice
    assert document(resumed) == whole
    assert not (tmp_path / CHECKPOINT_DIRNAME).exists()  # deleted once the run succeeded


def test_without_resume_finished_chunks_are_discarded(tmp_path, counted, interrupt):
    interrupt(1)
    with pytest.raises(KeyboardInterrupt):
        run([InterruptsAtBlock()], cfg(tmp_path), audits=audits())
    assert chunk_files(tmp_path) == ["0.pkl"]
    interrupt(None)
    counted.clear()
    run([InterruptsAtBlock()], cfg(tmp_path), audits=audits())
    assert counted == [0, 1, 2, 3]


def test_an_unreadable_chunk_is_computed_again(tmp_path, counted, interrupt):
    interrupt(2)
    with pytest.raises(KeyboardInterrupt):
        run([InterruptsAtBlock()], cfg(tmp_path), audits=audits())
    (path,) = [p for p in (tmp_path / CHECKPOINT_DIRNAME).glob("*/1.pkl")]
    path.write_bytes(b"not a pickle")
    interrupt(None)
    counted.clear()
    resumed = run([InterruptsAtBlock()], cfg(tmp_path, resume=True), audits=audits())
    assert counted == [1, 2, 3]
    whole = run([InterruptsAtBlock()], cfg(tmp_path / "fresh"), audits=audits())
    assert document(resumed) == document(whole)


def fingerprint(*, seed=3, chunk_size=BLOCK_SIZE, scorer="suining", options=OPTIONS, audit_list=None):
    source = open_source("tiny", size=SIZE, seed=seed)
    return run_fingerprint(
        source=source, plan=chunk_ranges(SIZE, chunk_size), scorers=unique_labels(resolve_scorers([scorer])),
        audits=audit_list if audit_list is not None else audits(), layout=layout_for((), spec=source.spec), options=options,
    )


def test_fingerprint_changes_with_anything_the_statistics_depend_on():
    base = fingerprint()
    assert fingerprint() == base  # stable across separately built, equal inputs
    assert fingerprint(seed=4) != base
    assert fingerprint(chunk_size=2 * BLOCK_SIZE) != base
    assert fingerprint(scorer="suining:penalty_scale=0.5") != base
    assert fingerprint(options=dataclasses.replace(OPTIONS, bootstrap=11)) != base
    assert fingerprint(audit_list=audits()[:1]) != base


def test_store_writes_are_complete_files(tmp_path):
    from audit.engine import ChunkOutput

    store = ChunkStore(tmp_path, "abc")
    out = ChunkOutput(aggregates={}, errors={"x": "boom"}, seconds={"generate": 1.0}, people=5)
    store.save(3, out)
    assert store.finished() == [3]
    assert store.load(3) == out
    assert [p.name for p in store.dir.iterdir()] == ["3.pkl"]  # no temporary file left behind
    store.clear()
    assert not (tmp_path / CHECKPOINT_DIRNAME).exists()


def test_resume_needs_a_directory_and_no_scores_file(tmp_path):
    with pytest.raises(InvalidArgument, match="checkpoint"):
        run(["suining"], RunConfig(population="tiny", size=SIZE, options=OPTIONS, resume=True), audits=audits())
    with pytest.raises(InvalidArgument, match="--save-scores"):
        run(["suining"], cfg(tmp_path, resume=True), audits=audits(), sink=lambda *a: None)


def test_command_line_interrupt_then_resume(tmp_path, capsys, monkeypatch):
    # the command line scores in worker processes (audit/workers.py), where a scorer patched here would not
    # raise: the interruption (Ctrl-C in the main process) comes when the second chunk is about to be kept
    argv = ["run", "--population", "tiny", "--size", str(BLOCK_SIZE + 100), "--chunk-size", str(BLOCK_SIZE),
            "--scorer", "suining", "--out", str(tmp_path), "--quiet", "--bootstrap", "0", "--workers", "1"]
    save = ChunkStore.save

    def interrupted(self, first_block, output):
        if first_block == 1:
            raise KeyboardInterrupt
        save(self, first_block, output)

    monkeypatch.setattr(ChunkStore, "save", interrupted)
    assert main(argv) == 130
    assert "--resume" in capsys.readouterr().err
    assert chunk_files(tmp_path) == ["0.pkl"] and not (tmp_path / "results.json").exists()
    monkeypatch.setattr(ChunkStore, "save", save)
    assert main(argv + ["--resume"]) == 0
    assert (tmp_path / "results.json").exists() and not (tmp_path / CHECKPOINT_DIRNAME).exists()
    assert main(argv + ["--resume", "--save-scores"]) == 2
    assert "--save-scores" in capsys.readouterr().err
