"""The terminal summary of `scs-audit run`: fits 80 columns, names never cut, each figure said once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from audit.cli.commands import main
from audit.cli.summary import print_run_summary
from tests.audit.report.documents import whole_results

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


def _supplied() -> dict:
    """A supplied table audited by race and sex with a precomputed score: no sanctions, no replay audits."""
    def node(ratio: float, ci: list[float]) -> dict:
        return {"groups": [{"group": "A", "n": 1500}, {"group": "B", "n": 1500}], "min_impact_ratio": ratio,
                "min_impact_ratio_ci": ci, "four_fifths_verdict": "no violation", "worst_group": "A",
                "favourable": {"overall": 0.3923}, "adverse": {"overall": 0.0}}
    na = {"available": False, "applicable": False, "reason": "not applicable: a precomputed score has no rules to re-run"}
    scorer = {"label": "decile_score", "name": "decile_score", "version": "precomputed", "sanctions": {},
              "favourable_tiers": ["under 5"], "disparity": {"race": node(0.99, [0.89, 1.0]), "sex": node(0.96, [0.88, 1.0])},
              "appeal": na, "reversibility": na, "spillover": na, "contagion": na}
    return whole_results({"population": {"name": "people.csv", "synthetic": False, "source": "people.csv", "size": 3000},
                          "audited_attributes": ["race", "sex"], "scorers": [scorer]})


def test_headline_figures_show_the_audited_attributes_of_supplied_data():
    text = _render(_supplied(), None, 80)
    head = text[text.index("Headline figures"):]
    assert "impact ratio: race" in head and "impact ratio: sex" in head
    assert "income" not in head and "education" not in head
    row = re.split(r"\s{2,}", next(line for line in head.splitlines() if line.startswith("decile_score")).strip())
    # favourable 39.2%; sanctioned n/a (the scorer has no sanctions, so 0% would read as a finding); each ratio with its CI
    assert row == ["decile_score", "39.2%", "n/a", "0.99 (0.89–1.00)", "0.96 (0.88–1.00)"]
    assert "the scorer imposes no sanctions" in " ".join(head.split())


def test_audits_n_a_for_every_scorer_are_named_once_not_given_a_column():
    text = _render(_supplied(), None, 80)
    grid = text[text.index("Verdicts"):text.index("most important")]
    heading = grid.splitlines()[1]
    assert heading.split() == ["scorer", "disparity"]
    assert "Not shown, n/a for every scorer: appeal, reversibility, spill-over, contagion." in " ".join(grid.split())
    assert [line for line in text.splitlines() if len(line) > 80] == []


def test_an_undecided_finding_on_supplied_data_says_audit_more_data_once():
    results = _supplied()
    results["scorers"][0]["disparity"]["race"].update(
        four_fifths_verdict="inconclusive", min_impact_ratio=0.79, min_impact_ratio_ci=[0.75, 0.83], reference_group="B")
    flat = " ".join(_render(results, None, 80).split())
    # 0.79 in [0.75, 0.83] on 3,000 people: (0.04 / 0.01)^2 x 3,000 = 48,000
    assert flat.count("would decide it") == 1 and "about 48,000 would decide it: audit more data" in flat
    assert "--size" not in flat
    results["population"]["synthetic"] = True
    assert "about 48,000 would decide it: rerun with --size 48,000" in " ".join(_render(results, None, 80).split())
