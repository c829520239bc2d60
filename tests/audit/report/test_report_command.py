"""``scs-audit report DIR`` re-renders from results.json (and published.json) without re-running."""

from __future__ import annotations

import json
import shutil

from audit.cli.commands import main


def test_report_rerenders_the_same_files(run_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    (copy / "report.html").unlink()
    (copy / "report.md").unlink()
    assert main(["report", str(copy)]) == 0
    assert (copy / "report.html").read_text() == (run_dir / "report.html").read_text()
    assert (copy / "report.md").read_text() == (run_dir / "report.md").read_text()


def test_report_without_published_json_says_nothing_was_published(run_dir, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(run_dir / "results.json", copy / "results.json")
    assert main(["report", str(copy)]) == 0
    html = (copy / "report.html").read_text()
    assert "nothing was published" in html and "published#/" not in html


def test_report_of_a_directory_without_results_is_a_clear_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no results.json" in err and "scs-audit run --out" in err
    assert not (tmp_path / "report.html").exists()


def test_report_of_a_corrupt_results_file_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "results.json").write_text('{"scorers": [')
    assert main(["report", str(tmp_path)]) == 2
    assert "results.json: not valid JSON" in capsys.readouterr().err
    (tmp_path / "results.json").write_text(json.dumps([1, 2]))
    assert main(["report", str(tmp_path)]) == 2
    assert "expected a JSON object" in capsys.readouterr().err
