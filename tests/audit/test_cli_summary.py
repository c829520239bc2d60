"""The terminal summary of `scs-audit run`: fits 80 columns, names never cut, each figure said once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from audit.cli.commands import main
from audit.cli.summary import print_run_summary

EXAMPLE = Path(__file__).resolve().parents[2] / "reports" / "example"


@pytest.fixture(scope="module")
def example() -> tuple[dict, dict]:
    return (json.loads((EXAMPLE / "results.json").read_text()), json.loads((EXAMPLE / "published.json").read_text()))


def _render(results: dict, published: dict | None, width: int) -> str:
    console = Console(width=width, record=True, force_terminal=False, color_system=None)
    print_run_summary(results, published, console)
    return console.export_text()


def _row(text: str, label: str) -> list[str]:
    """The verdict-grid row of one scorer, split into cells (columns are two or more spaces apart)."""
    line = next(line for line in text.splitlines() if line.startswith(label + " "))
    return re.split(r"\s{2,}", line.strip())


def test_fits_80_columns_and_never_cuts_a_name(example):
    results, published = example
    text = _render(results, published, 80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text  # nothing truncated with an ellipsis
    for s in results["scorers"]:
        assert sum(line.startswith(s["label"] + " ") for line in text.splitlines()) == 2  # whole, in the grid and the figures
    for heading in ("disparity", "appeal", "reversibility", "spill-over", "contagion"):
        assert heading in text.splitlines()[2]  # the grid's heading line, every audit named in full


def test_grid_cells_follow_the_results(example):
    results, published = example
    text = _render(results, published, 80)
    for s in results["scorers"]:
        cells = _row(text, s["label"])
        verdicts = {s["disparity"][a]["four_fifths_verdict"] for a in ("income_quintile", "education")}
        if "violation" in verdicts:
            assert cells[1] == "violation"
        if s["contagion"].get("applicable") is False:
            assert cells[5] == "n/a"
        if s["spillover"]["unrelated_sanctions"] >= 30:  # a population finding on enough sanctions
            assert cells[4] == "violation"


def test_each_figure_is_said_once(example):
    results, published = example
    text = _render(results, published, 80)
    for s in results["scorers"]:
        d = s["disparity"]["income_quintile"]
        lo, hi = d["min_impact_ratio_ci"]
        shown = f"{d['min_impact_ratio']:.2f} ({lo:.2f}–{hi:.2f})"
        assert text.count(shown) == 1, shown
    assert text.count("most important") == 1 and text.count("Verdicts") == 1


def test_a_narrow_terminal_gets_one_wrapped_line_per_scorer(example):
    results, published = example
    text = _render(results, published, 60)
    assert max(len(line) for line in text.splitlines()) <= 60
    flat = " ".join(text.split())
    for s in results["scorers"]:
        assert f"{s['label']}: disparity " in flat


def test_run_prints_an_80_column_summary(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("HOME", str(tmp_path))
    code = main(["run", "--population", "tiny", "--size", "300", "--scorer", "suining", "--scorer", "joint_punishment",
                 "--bootstrap", "20", "--workers", "1", "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    summary = out[out.index("tiny: 300 people"):]  # from the summary's title on (the progress bar is not the summary's)
    assert [line for line in summary.splitlines() if len(line) > 80] == []
    assert "joint_punishment" in out and "Verdicts" in out and "most important" in out
    assert "report (private):" in out
