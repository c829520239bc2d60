"""--out deletes and replaces only what this tool wrote: a manifest of its artefacts, checked first."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from audit.cli.commands import main
from audit.output.outdir import MANIFEST_NAME, read_manifest

FAST = ["--population", "tiny", "--size", "300", "--quiet", "--bootstrap", "0", "--workers", "1", "--replay-sample", "0"]
RUN = ["run", "--scorer", "suining", *FAST]


def cli(capsys, *argv) -> tuple[int, str]:
    rc = main([str(a) for a in argv])
    return rc, capsys.readouterr().err


@pytest.fixture(scope="module")
def _one_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    assert main([*RUN, "--out", str(out)]) == 0
    return out


@pytest.fixture
def previous(_one_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(_one_run, out)  # copy2 keeps the modification times the manifest recorded
    return out


def plant_user_files(out: Path) -> dict[str, bytes]:
    """User files named like artefacts; returns every file below them with its bytes."""
    (out / "scores.parquet").mkdir()
    (out / "scores.parquet" / "part-0.parquet").write_bytes(b"user data")
    (out / "compare.json").write_text('{"mine": true}')
    (out / "published.json").write_text('{"mine": true}')
    return user_files(out)


def user_files(out: Path) -> dict[str, bytes]:
    names = ("scores.parquet", "compare.json", "published.json")
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.relative_to(out).parts[0] in names}


def test_a_run_records_its_artefacts_in_a_manifest(previous):
    manifest = read_manifest(previous)
    assert manifest is not None
    assert set(manifest["artefacts"]) == {"results.json", "report.html", "report.md", "ll144.csv"}
    assert manifest["artefacts"]["results.json"]["size"] == (previous / "results.json").stat().st_size


def test_user_files_named_like_artefacts_survive_a_rerun(capsys, previous):
    planted = plant_user_files(previous)
    rc, err = cli(capsys, *RUN, "--seed", "5", "--out", previous)
    assert rc == 0, err
    assert user_files(previous) == planted  # the old code removed all three as stale artefacts
    assert json.loads((previous / "results.json").read_text())["population"]["seed"] == 5


def test_a_user_directory_where_an_artefact_goes_is_never_replaced(capsys, previous):
    (previous / "report.md").unlink()
    (previous / "report.md").mkdir()
    (previous / "report.md" / "notes.md").write_text("mine")
    before = (previous / "results.json").read_bytes()
    for extra in ([], ["--force"]):
        rc, err = cli(capsys, *RUN, "--seed", "5", "--out", previous, *extra)
        assert rc == 2
        assert "report.md is a directory this tool did not write" in err and "nothing was written" in err
        assert (previous / "report.md" / "notes.md").read_text() == "mine"
        assert (previous / "results.json").read_bytes() == before


def test_an_artefact_changed_by_the_user_is_no_longer_replaced_without_force(capsys, previous):
    (previous / "report.md").write_text("my edits")
    rc, err = cli(capsys, *RUN, "--out", previous)
    assert rc == 2 and "report.md was not written by this tool" in err and "--force" in err
    assert (previous / "report.md").read_text() == "my edits"
    assert cli(capsys, *RUN, "--out", previous, "--force")[0] == 0
    assert (previous / "report.md").read_text() != "my edits"


def test_a_non_empty_directory_without_a_manifest_is_refused_unless_forced(capsys, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    planted = plant_user_files(out)
    (out / "notes.txt").write_text("mine")
    rc, err = cli(capsys, *RUN, "--out", out)
    assert rc == 2 and "holds files this tool did not write" in err and "--force" in err
    assert sorted(p.name for p in out.iterdir()) == ["compare.json", "notes.txt", "published.json", "scores.parquet"]
    rc, err = cli(capsys, *RUN, "--out", out, "--force")
    assert rc == 0, err
    assert user_files(out) == planted
    assert (out / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("where", ["root", "home"])
def test_root_and_home_are_refused(capsys, tmp_path, monkeypatch, where):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    rc, err = cli(capsys, *RUN, "--out", "/" if where == "root" else home)
    assert rc == 2 and ("root directory" if where == "root" else "home directory") in err
    assert list(home.iterdir()) == [] and not Path("/", MANIFEST_NAME).exists()


def test_a_refused_run_leaves_no_directory_it_created(capsys, tmp_path):
    out = tmp_path / "a" / "b" / "c"
    rc, _ = cli(capsys, "run", "--scorer", "suinig", *FAST, "--out", out)
    assert rc == 2
    assert list(tmp_path.iterdir()) == []


def test_a_refused_run_in_an_existing_empty_directory_leaves_it_empty(capsys, tmp_path):
    rc, _ = cli(capsys, "run", "--scorer", "suinig", *FAST, "--out", tmp_path)
    assert rc == 2 and list(tmp_path.iterdir()) == []


def test_compare_keeps_a_previous_runs_user_files_too(capsys, previous):
    planted = plant_user_files(previous)
    (previous / "compare.json").unlink()  # compare writes this one
    del planted["compare.json"]
    rc, err = cli(capsys, "compare", "suining", "suining:penalty_scale=0.5", "--population", "tiny", "--size", "300",
                  "--quiet", "--bootstrap", "20", "--out", previous)
    assert rc == 0, err
    assert {k: v for k, v in user_files(previous).items() if k != "compare.json"} == planted


def test_report_rerenders_its_own_files_and_asks_before_replacing_others(capsys, previous):
    assert cli(capsys, "report", previous)[0] == 0  # report.html and report.md are the tool's: replaced
    assert set(read_manifest(previous)["artefacts"]) == {"results.json", "report.html", "report.md", "ll144.csv"}
    (previous / MANIFEST_NAME).unlink()  # a directory written by hand (or by an older version)
    rc, err = cli(capsys, "report", previous)
    assert rc == 2 and "was not written by this tool" in err and "--force" in err
    assert cli(capsys, "report", previous, "--force")[0] == 0
