"""Atomic artefacts, all-or-nothing runs, and names that cannot become paths."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.output import artefacts as io
from audit.output.artefacts import (
    atomic_write_json,
    atomic_write_text,
    commit_file,
    deferred_writes,
    path_in,
    remove_at_commit,
    safe_filename,
)
from audit.output.outdir import MANIFEST_NAME

_ALLOWED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._=,+@-")


# ----------------------------------------------------------------------------- safe_filename


@pytest.mark.parametrize("label", ["suining", "rongcheng", "joint_punishment", "a-b.c", "x=1,y=2"])
def test_safe_labels_are_kept(label):
    assert safe_filename(label) == label


@pytest.mark.parametrize(
    "label", ["../../etc/passwd", "..", ".", "", "/abs", "a\\b", "C:\\x", "CON", "nul.txt", "-rf", ".hidden", "a\x00b"]
)
def test_hostile_labels_become_one_plain_component(label, tmp_path):
    name = safe_filename(label)
    assert set(name) <= _ALLOWED
    assert name not in ("", ".", "..") and not name.startswith((".", "-"))
    assert name.split(".")[0].upper() not in ("CON", "NUL", "PRN", "AUX")
    target = path_in(tmp_path, label, ".svg")
    assert target.parent == tmp_path
    target.write_text("x")  # really creatable, inside tmp_path
    assert list(tmp_path.iterdir()) == [target]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_safe_filename_is_always_a_harmless_bounded_name(label):
    name = safe_filename(label)
    assert 1 <= len(name) <= 100
    assert set(name) <= _ALLOWED
    assert name not in (".", "..") and not name.startswith((".", "-"))
    assert safe_filename(label) == name  # a function of the label alone


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_different_labels_get_different_names(a, b):
    if a != b:
        assert safe_filename(a) != safe_filename(b)


def test_near_collisions_are_kept_apart():
    names = {safe_filename(x) for x in ["a/b", "a_b", "a:b", "a b", "a\\b", "a?b"]}
    assert len(names) == 6


def test_path_in_refuses_a_suffix_with_a_separator(tmp_path):
    with pytest.raises(ValueError, match="separator"):
        path_in(tmp_path, "x", "/../../y")


# ----------------------------------------------------------------------------- deferred writes


def _files(d):
    return sorted(p.name for p in d.iterdir() if p.name != MANIFEST_NAME)


def _ours(path, text):
    """A file this tool wrote (recorded in the directory's manifest), as an earlier command leaves it."""
    atomic_write_text(path, text)


def test_without_a_block_writes_are_immediate(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "1")
    assert (tmp_path / "a.txt").read_text() == "1"
    remove_at_commit(tmp_path / "a.txt")
    assert _files(tmp_path) == []


def test_a_block_publishes_everything_at_its_end(tmp_path):
    _ours(tmp_path / "results.json", "old")
    _ours(tmp_path / "published.json", "old")
    (tmp_path / "notes.txt").write_text("the user's own file")
    with deferred_writes():
        atomic_write_json(tmp_path / "results.json", {"new": True})
        atomic_write_text(tmp_path / "report.md", "new report")
        remove_at_commit(tmp_path / "published.json")  # stale: this run publishes nothing
        remove_at_commit(tmp_path / "report.md")  # stale but written again: kept
        # nothing visible has changed yet
        assert (tmp_path / "results.json").read_text() == "old"
        assert not (tmp_path / "report.md").exists()
        assert (tmp_path / "published.json").exists()
    assert json.loads((tmp_path / "results.json").read_text()) == {"new": True}
    assert (tmp_path / "report.md").read_text() == "new report"
    assert _files(tmp_path) == ["notes.txt", "report.md", "results.json"]  # no temporary files left


def test_an_error_inside_a_block_changes_nothing(tmp_path):
    _ours(tmp_path / "results.json", "old")
    _ours(tmp_path / "report.html", "old")
    with pytest.raises(KeyboardInterrupt):
        with deferred_writes():
            atomic_write_text(tmp_path / "results.json", "new")
            atomic_write_text(tmp_path / "published.json", "new")
            remove_at_commit(tmp_path / "report.html")
            raise KeyboardInterrupt
    assert _files(tmp_path) == ["report.html", "results.json"]
    assert (tmp_path / "results.json").read_text() == "old"
    assert (tmp_path / "report.html").read_text() == "old"


def test_commit_file_for_a_streamed_file(tmp_path):
    tmp = tmp_path / ".scores.parquet.partial"
    with deferred_writes():
        tmp.write_bytes(b"rows")
        commit_file(tmp, tmp_path / "scores.parquet")
        assert not (tmp_path / "scores.parquet").exists()
    assert (tmp_path / "scores.parquet").read_bytes() == b"rows"
    assert _files(tmp_path) == ["scores.parquet"]


def test_results_json_is_removed_first_and_renamed_last(tmp_path, monkeypatch):
    """While a commit is under way, results.json is absent: present means complete."""
    _ours(tmp_path / "results.json", "old")
    _ours(tmp_path / "report.html", "old")
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((os.path.basename(dst), (tmp_path / "results.json").exists()))
        real_replace(src, dst)

    with deferred_writes():
        atomic_write_text(tmp_path / "results.json", "new")
        atomic_write_text(tmp_path / "report.html", "new")
        atomic_write_text(tmp_path / "report.md", "new")
        monkeypatch.setattr(io.os, "replace", spy)
    seen = [(name, present) for name, present in seen if name != MANIFEST_NAME]  # the manifest is updated after
    assert [name for name, _ in seen] == ["report.html", "report.md", "results.json"]
    assert not any(results_present for _, results_present in seen)  # old results.json gone before any rename


def test_writing_the_same_file_twice_keeps_the_later_version(tmp_path):
    with deferred_writes():
        atomic_write_text(tmp_path / "a.txt", "first")
        atomic_write_text(tmp_path / "a.txt", "second")
    assert (tmp_path / "a.txt").read_text() == "second"
    assert _files(tmp_path) == ["a.txt"]


def test_nested_blocks_commit_with_the_outer_one(tmp_path):
    with deferred_writes():
        with deferred_writes():
            atomic_write_text(tmp_path / "inner.txt", "x")
        assert not (tmp_path / "inner.txt").exists()
        atomic_write_text(tmp_path / "outer.txt", "y")
    assert _files(tmp_path) == ["inner.txt", "outer.txt"]


def test_a_stale_directory_is_never_removed(tmp_path):
    """The tool writes no directories as artefacts, so a directory is never one of its stale files."""
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "a.svg").write_text("<svg/>")
    with deferred_writes():
        remove_at_commit(tmp_path / "figures")
    assert (tmp_path / "figures" / "a.svg").read_text() == "<svg/>"


def test_writing_results_json_makes_every_other_old_artefact_stale(tmp_path):
    """A comparison written into a directory that held a run must not inherit its published figures."""
    for name in ("results.json", "published.json", "scores.parquet", "report.html"):
        _ours(tmp_path / name, "old")
    (tmp_path / "notes.txt").write_text("old")
    with deferred_writes():
        atomic_write_text(tmp_path / "results.json", "new")
        atomic_write_text(tmp_path / "compare.json", "new")
    assert _files(tmp_path) == ["compare.json", "notes.txt", "results.json"]


def test_a_report_rerender_keeps_the_run_it_renders(tmp_path):
    for name in ("results.json", "published.json"):
        _ours(tmp_path / name, "run")
    with deferred_writes():
        atomic_write_text(tmp_path / "report.html", "re-rendered")
    assert _files(tmp_path) == ["published.json", "report.html", "results.json"]
