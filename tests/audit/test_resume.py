"""Resumable runs: an interrupted run continues from its finished chunks, counting each chunk once."""

from __future__ import annotations

import dataclasses

import pytest

import audit.engine.streaming
from audit.cli.commands import main
from audit.engine.checkpoint import CHECKPOINT_DIRNAME, ChunkStore, run_fingerprint
from audit.errors import InvalidArgument, OutputConflict
from audit.population.groups import layout_for
from audit.population.source import open_source
from audit.population.synth import BLOCK_SIZE, chunk_ranges
from audit.runner import RunConfig, resolve_scorers, run, unique_labels
from tests.audit import _engine_scorers
from tests.audit._engine_scorers import InterruptsAtBlock
from tests.audit.test_executors import OPTIONS, audits, document

SIZE = 3 * BLOCK_SIZE + 500  # four chunks


@pytest.fixture
def counted(monkeypatch):
    """First blocks of the chunks actually computed (not resumed) by runs in this test."""
    seen: list[int] = []
    original = audit.engine.streaming.run_chunk

    def counting(task, **kw):
        seen.append(task.blocks[0])
        return original(task, **kw)

    monkeypatch.setattr(audit.engine.streaming, "run_chunk", counting)
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
    return sorted(p.name for p in (tmp_path / CHECKPOINT_DIRNAME).glob("*/*.npz"))


def test_resume_continues_from_the_last_finished_chunk(tmp_path, counted, interrupt):
    scorers = [InterruptsAtBlock(), "joint_punishment"]
    whole = document(run(scorers, RunConfig(population="tiny", size=SIZE, seed=3, chunk_size=BLOCK_SIZE, options=OPTIONS),
                         audits=audits()))
    counted.clear()
    interrupt(2)
    with pytest.raises(KeyboardInterrupt):
        run(scorers, cfg(tmp_path), audits=audits())
    assert counted == [0, 1, 2] and chunk_files(tmp_path) == ["0.npz", "1.npz"]

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
    assert chunk_files(tmp_path) == ["0.npz"]
    interrupt(None)
    counted.clear()
    run([InterruptsAtBlock()], cfg(tmp_path), audits=audits())
    assert counted == [0, 1, 2, 3]


def test_an_unreadable_chunk_is_computed_again(tmp_path, counted, interrupt):
    interrupt(2)
    with pytest.raises(KeyboardInterrupt):
        run([InterruptsAtBlock()], cfg(tmp_path), audits=audits())
    (path,) = [p for p in (tmp_path / CHECKPOINT_DIRNAME).glob("*/1.npz")]
    path.write_bytes(b"not a chunk file")
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


def test_fingerprint_of_the_default_audits_is_the_same_in_every_run():
    # the command line's audits wrap replay audits in a gate (audit.replay.gate): an object held by an
    # audit must fingerprint by its content, not by its memory address, or --resume never finds its chunks
    from audit.runner import default_audits

    assert fingerprint(audit_list=list(default_audits())) == fingerprint(audit_list=list(default_audits()))
    assert fingerprint(audit_list=list(default_audits())) != fingerprint(audit_list=list(default_audits())[:1])


def test_store_writes_are_complete_files(tmp_path):
    from audit.engine.contract import ChunkOutput

    store = ChunkStore(tmp_path, "abc")
    out = ChunkOutput(aggregates={}, errors={"x": "boom"}, seconds={"generate": 1.0}, people=5)
    store.save(3, out)
    assert store.finished() == [3]
    assert store.load(3) == out
    assert sorted(p.name for p in store.dir.iterdir()) == ["3.npz", "index.json"]  # no temporary file left behind
    store.clear()
    assert not (tmp_path / CHECKPOINT_DIRNAME).exists()


def test_a_saved_chunk_is_the_encoded_file_under_the_keyed_digest_of_its_bytes(tmp_path, monkeypatch):
    # written straight to its file (no copy of the file in memory), the file is still dumps()'s bytes, and the
    # index holds their HMAC-SHA256 under the chunk key
    import hashlib
    import hmac
    import json

    import numpy as np

    from audit.engine.checkpoint import INDEX_NAME, chunk_key
    from audit.engine.chunk_format import dumps
    from audit.engine.contract import ChunkOutput

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    store = ChunkStore(tmp_path / "out", "abc")
    out = ChunkOutput(aggregates={"s": {"a": {"n": np.arange(100_000)}}}, errors={}, seconds={"generate": 1.0}, people=7)
    store.save(0, out)
    data = store.path(0).read_bytes()
    assert data == dumps(out)
    index = json.loads((store.dir / INDEX_NAME).read_text())
    assert hmac.new(chunk_key(), data, hashlib.sha256).hexdigest() in json.dumps(index)
    np.testing.assert_array_equal(store.load(0).aggregates["s"]["a"]["n"], np.arange(100_000))


def test_resume_needs_a_directory_and_no_scores_file(tmp_path):
    with pytest.raises(InvalidArgument, match="checkpoint"):
        run(["suining"], RunConfig(population="tiny", size=SIZE, options=OPTIONS, resume=True), audits=audits())
    with pytest.raises(InvalidArgument, match="save_scores="):
        run(["suining"], cfg(tmp_path, resume=True), audits=audits(), sink=lambda *a: None)


def cli_argv(out) -> list[str]:
    """A two-chunk command-line run of suining into ``out``."""
    return ["run", "--population", "tiny", "--size", str(BLOCK_SIZE + 100), "--chunk-size", str(BLOCK_SIZE),
            "--scorer", "suining", "--out", str(out), "--quiet", "--bootstrap", "0", "--workers", "1"]


@pytest.fixture
def cli_interrupt(monkeypatch):
    """Ctrl-C in the main process as the chunk starting at ``block`` is about to be kept (``None``: never).

    The command line scores in worker processes (audit/engine/workers.py), where a
    scorer patched in this process (InterruptsAtBlock) would never raise.
    """
    save = ChunkStore.save

    def arm(block):
        def interrupted(self, first_block, output):
            if first_block == block:
                raise KeyboardInterrupt
            save(self, first_block, output)

        monkeypatch.setattr(ChunkStore, "save", interrupted if block is not None else save)

    return arm


def test_command_line_interrupt_then_resume(tmp_path, capsys, cli_interrupt):
    argv = cli_argv(tmp_path)
    cli_interrupt(1)
    assert main(argv) == 130
    assert "--resume" in capsys.readouterr().err
    assert chunk_files(tmp_path) == ["0.npz"] and not (tmp_path / "results.json").exists()
    cli_interrupt(None)
    assert main(argv + ["--resume"]) == 0
    assert (tmp_path / "results.json").exists() and not (tmp_path / CHECKPOINT_DIRNAME).exists()
    assert main(argv + ["--resume", "--save-scores"]) == 2
    assert "--save-scores" in capsys.readouterr().err


class _WritesMarker:
    """Unpickling this runs ``open(path, "w")``: a stand-in for arbitrary code in a planted pickle."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _interrupted_store(tmp_path, interrupt) -> ChunkStore:
    interrupt(2)
    with pytest.raises(KeyboardInterrupt):
        run([InterruptsAtBlock()], cfg(tmp_path), audits=audits())
    interrupt(None)
    (store_dir,) = (tmp_path / CHECKPOINT_DIRNAME).iterdir()
    return ChunkStore(tmp_path, store_dir.name)


def test_resume_never_unpickles_a_planted_file_and_says_it_refused_it(tmp_path, counted, interrupt, capsys):
    import pickle

    store = _interrupted_store(tmp_path, interrupt)
    marker = tmp_path / "pwned"
    for name in ("1.pkl", "2.npz"):  # an old-style chunk, and a chunk the run did not write
        (store.dir / name).write_bytes(pickle.dumps(_WritesMarker(marker)))
    store.path(1).write_bytes(pickle.dumps(_WritesMarker(marker)))  # a chunk the run wrote, replaced
    counted.clear()
    resumed = run([InterruptsAtBlock()], cfg(tmp_path, resume=True), audits=audits())
    assert not marker.exists()
    assert counted == [1, 2, 3]  # only chunk 0 (written by the run, unaltered) is reused
    notes = "\n".join(resumed.notes)
    assert "1.pkl: not written by this run" in notes and "2.npz: not written by this run" in notes
    assert "1.npz: altered since this run wrote it" in notes
    whole = run([InterruptsAtBlock()], cfg(tmp_path / "fresh"), audits=audits())
    assert document(resumed) == document(whole)
    # the planted files are not the run's to delete: they survive its success
    assert sorted(p.name for p in store.dir.iterdir()) == ["1.pkl", "2.npz"]


def test_a_forged_chunk_with_a_forged_index_is_refused(tmp_path, counted, interrupt, monkeypatch):
    # someone who can write the output directory replaces chunk 1 and rewrites the index to vouch for it,
    # with a plain SHA-256 and with a digest under a key of their own: neither is the run's keyed digest
    import hashlib
    import hmac
    import json

    from audit.engine.checkpoint import INDEX_NAME, chunk_key

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    key = chunk_key()
    assert (tmp_path / "home" / ".scs-audit" / "chunk-key").stat().st_mode & 0o777 == 0o600
    store = _interrupted_store(tmp_path, interrupt)
    forged = store.path(0).read_bytes()  # a well-formed chunk, but not chunk 1's statistics
    store.path(1).write_bytes(forged)
    index_path = store.dir / INDEX_NAME
    for digest in (hashlib.sha256(forged).hexdigest(), hmac.new(b"x" * 32, forged, hashlib.sha256).hexdigest()):
        doc = json.loads(index_path.read_text())
        doc["chunks"]["1"] = digest
        index_path.write_text(json.dumps(doc))
        assert 1 not in store.finished() and any("1.npz: altered" in r for r in store.refused)
    assert chunk_key() == key  # the key is made once and kept
    counted.clear()
    resumed = run([InterruptsAtBlock()], cfg(tmp_path, resume=True), audits=audits())
    assert counted == [1, 2, 3]  # chunk 1 is computed again, never taken from the forged file
    whole = run([InterruptsAtBlock()], cfg(tmp_path / "fresh"), audits=audits())
    assert document(resumed) == document(whole)


def test_command_line_names_refused_chunk_files(tmp_path, capsys, cli_interrupt):
    import pickle

    argv = cli_argv(tmp_path)
    cli_interrupt(1)
    assert main(argv) == 130
    cli_interrupt(None)
    (store_dir,) = (tmp_path / CHECKPOINT_DIRNAME).iterdir()
    marker = tmp_path / "pwned"
    (store_dir / "0.pkl").write_bytes(pickle.dumps(_WritesMarker(marker)))
    capsys.readouterr()
    assert main(argv + ["--resume"]) == 0
    err = capsys.readouterr().err
    assert not marker.exists()
    assert "scs-audit: warning:" in err and "0.pkl: not written by this run" in err and "was not read" in err


def test_chunk_store_is_private(tmp_path, interrupt):
    import stat

    store = _interrupted_store(tmp_path, interrupt)
    modes = {p.relative_to(tmp_path).as_posix(): stat.S_IMODE(p.stat().st_mode)
             for p in [tmp_path / CHECKPOINT_DIRNAME, *(tmp_path / CHECKPOINT_DIRNAME).rglob("*")]}
    assert modes == {".chunks": 0o700, f".chunks/{store.dir.name}": 0o700,
                     f".chunks/{store.dir.name}/0.npz": 0o600, f".chunks/{store.dir.name}/1.npz": 0o600,
                     f".chunks/{store.dir.name}/index.json": 0o600}


def test_a_finished_run_removes_abandoned_stores_it_wrote_and_nothing_else(tmp_path, interrupt):
    abandoned = _interrupted_store(tmp_path, interrupt)
    user = tmp_path / CHECKPOINT_DIRNAME / "not-a-store"
    user.mkdir()
    (user / "0.npz").write_bytes(b"the user's")
    run(["suining"], cfg(tmp_path), audits=audits())  # another run (another fingerprint) in the same directory
    assert not abandoned.dir.exists()
    assert (user / "0.npz").read_bytes() == b"the user's"


def test_a_chunk_store_that_is_a_link_is_refused_and_its_target_untouched(tmp_path):
    import stat

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    elsewhere.chmod(0o755)
    out = tmp_path / "out"
    out.mkdir()
    (out / CHECKPOINT_DIRNAME).symlink_to(elsewhere)
    with pytest.raises(OutputConflict, match="not a directory this tool made"):
        run([InterruptsAtBlock()], cfg(out), audits=audits())
    assert list(elsewhere.iterdir()) == [] and stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
