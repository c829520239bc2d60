"""Disk full, permission denied, an unwritable HOME: exit 2 naming the path, with a fix that fits the cause."""

from __future__ import annotations

import errno
import os
import pathlib

import pytest

import audit.population.table_files
from audit.cli.checks import describe_os_error
from audit.cli.commands import main
from audit.population.model import synthesize

FAST = ["--population", "tiny", "--size", "300", "--quiet", "--bootstrap", "0", "--workers", "1", "--replay-sample", "0"]


def failing_write(monkeypatch, code: int, name: str = "results.json"):
    """Make writing the temporary file of artefact ``name`` fail with ``code`` (as a full disk would)."""
    real = pathlib.Path.write_bytes

    def write_bytes(self, data):
        if self.name.startswith(f".{name}."):
            raise OSError(code, os.strerror(code))
        return real(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", write_bytes)


def one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("scs-audit: error: ") and "Traceback" not in err[0], err
    return err[0]


def test_disk_full_names_the_file_and_says_free_space(capsys, tmp_path, monkeypatch):
    failing_write(monkeypatch, errno.ENOSPC)
    out = tmp_path / "out"
    assert main(["run", "--scorer", "suining", *FAST, "--out", str(out)]) == 2
    line = one_error(capsys)
    assert f"{out / 'results.json'}: No space left on device. Fix: free space" in line
    assert "complete CSV" not in line
    assert not out.exists()  # nothing written, and the directory it created is gone


def test_permission_denied_names_the_file_and_says_permission(capsys, tmp_path, monkeypatch):
    failing_write(monkeypatch, errno.EACCES, "report.html")
    out = tmp_path / "out"
    assert main(["run", "--scorer", "suining", *FAST, "--out", str(out)]) == 2
    line = one_error(capsys)
    assert f"{out / 'report.html'}: Permission denied. Fix: give yourself permission" in line
    assert not out.exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_out_is_refused_before_any_work(capsys, tmp_path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        assert main(["run", "--scorer", "suining", *FAST, "--out", str(out)]) == 2
        assert "not writable" in one_error(capsys)
    finally:
        out.chmod(0o755)


def test_unreadable_input_says_permission_not_corruption(capsys, tmp_path, monkeypatch):
    pop = synthesize("tiny", size=50, seed=1)
    pop.people.drop(columns=["reliability"]).to_csv(tmp_path / "people.csv", index=False)

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "people.csv"))

    monkeypatch.setattr(audit.population.table_files, "open", denied, raising=False)
    assert main(["run", "--population", str(tmp_path / "people.csv"), "--scorer", "suining", "--quiet",
                 "--out", str(tmp_path / "out")]) == 2
    line = one_error(capsys)
    assert "people.csv: cannot be read (Permission denied). Fix: give yourself read permission" in line
    assert "complete" not in line and not (tmp_path / "out").exists()


def test_an_unwritable_home_says_set_home(capsys, tmp_path, monkeypatch):
    home = "/proc/no-such-home"  # cannot be created, even by root
    monkeypatch.setenv("HOME", home)
    exc = FileNotFoundError(errno.ENOENT, "No such file or directory", f"{home}/.local/share/scs-audit/ledger.sqlite")
    text = describe_os_error(exc)
    assert text.startswith(f"{home}/.local/share/scs-audit/ledger.sqlite: No such file or directory. Fix: ")
    assert "set HOME to a writable directory" in text
    pop = synthesize("tiny", size=50, seed=1)  # supplied data: publishing keeps a privacy ledger under HOME
    pop.people.drop(columns=["reliability"]).to_csv(tmp_path / "people.csv", index=False)
    rc = main(["run", "--population", str(tmp_path / "people.csv"), "--scorer", "suining", "--quiet", "--epsilon", "1", "--dataset", "people",
               "--out", str(tmp_path / "out")])
    line = one_error(capsys)
    assert rc == 2 and home in line and "HOME" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("code, words", [
    (errno.EDQUOT, "free space"), (errno.EROFS, "read-only"), (errno.ENOENT, "check the path exists"),
    (errno.EIO, "check the path and the disk"),
])
def test_each_cause_gets_its_fix(code, words):
    assert words in describe_os_error(OSError(code, os.strerror(code), "/data/out/results.json"))
