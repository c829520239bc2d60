"""The executive summary: the verdict grid read from the findings' evidence, the top findings, what was audited."""

from __future__ import annotations

import json
from pathlib import Path

from audit.evidence import HOLDS, NOT_ENOUGH, VIOLATED, Evidence
from audit.report import build_report, render_markdown
from audit.report.front import top_findings
from audit.report.model import Doc, Finding
from audit.report.verdicts import grid_cell, grid_table, rank_findings

EXAMPLE = Path(__file__).resolve().parents[3] / "reports" / "example"


def _f(anchor: str, level: str, outcome: str | None, scorer: str = "x", n: int = 100) -> Finding:
    ev = None if outcome is None else Evidence(outcome=outcome, observed=n, what="people")
    return Finding(text=f"{scorer} {anchor} {level}", anchor=anchor, level=level, scorer=scorer, evidence=ev)  # type: ignore[arg-type]


DOC = Doc({"scorers": [{"label": "x", "disparity": {}, "reversibility": {}, "spillover": {}, "appeal": {},
                        "contagion": {"applicable": False, "reason": "the scorer reads no ties"}},
                       {"label": "y", "status": "failed", "error": "boom"}]}, "results")


def test_the_worst_check_decides_and_not_enough_evidence_is_never_a_pass():
    findings = [
        _f("s0-disparity-income-quintile", "ok", HOLDS), _f("s0-disparity-education", "warning", NOT_ENOUGH),
        _f("s0-spillover", "ok", HOLDS), _f("s0-spillover", "violation", VIOLATED),
        _f("s0-reversibility", "warning", VIOLATED), _f("s0-reversibility", "ok", HOLDS),
        _f("s0-appeal", "info", None),  # a neutral fact decides nothing
    ]
    cell = {key: grid_cell(DOC, 0, key, findings) for key in ("disparity", "spillover", "reversibility", "appeal", "contagion")}
    assert cell["disparity"].outcome == "not enough evidence"  # one holds, one undecided: not a pass
    assert cell["disparity"].counts == (("not enough evidence", 1), ("holds", 1))
    assert cell["spillover"].outcome == "violation"
    assert cell["reversibility"].outcome == "warning"
    assert cell["appeal"].outcome == "not enough evidence" and "none of its checks" in cell["appeal"].note
    assert cell["contagion"].outcome == "not applicable" and cell["contagion"].note == "the scorer reads no ties"
    only_holds = [_f("s0-disparity-x", "ok", HOLDS), _f("s0-disparity-y", "ok", HOLDS)]
    assert grid_cell(DOC, 0, "disparity", only_holds).outcome == "holds"
    assert grid_cell(DOC, 0, "disparity", [_f("s0-disparity", "ok", HOLDS, scorer="other")]).outcome == "not enough evidence"


def test_a_missing_audit_or_a_failed_scorer():
    doc = Doc({"scorers": [{"label": "x"}]}, "results")
    assert grid_cell(doc, 0, "appeal", []).outcome == "not applicable"
    assert grid_cell(DOC, 1, "disparity", []).outcome == "not enough evidence"


def test_grid_table_flags_each_outcome_and_links_its_section():
    findings = [_f("s0-spillover", "violation", VIOLATED), _f("s0-disparity", "ok", HOLDS)]
    table = grid_table(DOC, findings)
    assert table.columns == ("scorer", "disparity", "appeal", "reversibility", "spill-over", "contagion")
    row = table.rows[0]
    assert [c.flag for c in row[1:]] == ["good", "nee", "nee", "bad", "na"]
    assert row[4].href == "#s0-spillover" and row[5].href is None and row[0].href == "#s0"


def test_ranking_puts_violations_first_and_takes_turns_between_scorers():
    a1, a2, a3 = (_f(f"s0-spillover-{k}", "violation", VIOLATED) for k in range(3))
    b1 = _f("s1-disparity", "violation", VIOLATED, scorer="b")
    ok = _f("s0-disparity", "ok", HOLDS)
    nee = _f("s1-appeal", "info", NOT_ENOUGH, scorer="b")
    warn = _f("s0-reversibility", "warning", VIOLATED)
    assert rank_findings([ok, a1, a2, nee, a3, b1, warn]) == [a1, b1, a2, a3, warn, nee, ok]


def test_top_findings_show_five_with_the_evidence_they_rest_on():
    findings = [_f(f"s0-spillover-{k}", "violation", VIOLATED, n=1000 + k) for k in range(7)]
    findings.append(Finding(text="undecided", anchor="s0-appeal", level="info", scorer="x",
                            evidence=Evidence(outcome=NOT_ENOUGH, observed=12, what="sanctioned people", needed=30)))
    table = top_findings(findings)
    assert len(table.rows) == 5 and "all 8" in table.caption
    assert [r[3].text for r in table.rows] == [f"{1000 + k:,} people" for k in range(5)]
    assert table.rows[0][2].href == "#s0-spillover-0" and table.rows[0][1].text == "violation"
    assert top_findings(findings[-1:]).rows[0][3].text == "12 sanctioned people; about 30 would decide it"


def test_the_example_report_opens_with_the_summary_then_how_to_read_then_the_appendix():
    results = json.loads((EXAMPLE / "results.json").read_text())
    published = json.loads((EXAMPLE / "published.json").read_text())
    report = build_report(results, published)
    summary, how = report.front
    assert (summary.id, how.id) == ("summary", "method")
    grid, top, _, audited = summary.blocks[:4]
    assert [r[0].text for r in grid.rows] == [s["label"] for s in results["scorers"]]
    assert len(top.rows) == 5
    facts = dict(audited.items)
    assert facts["people"].text == f"{results['population']['size']:,}" and facts["seed"].text == str(results["population"]["seed"])
    assert facts["published with differential privacy"].text == f"yes (epsilon {published['privacy']['epsilon']})"
    md = render_markdown(report)
    assert md.index("## Executive summary") < md.index("## How to read this report") < md.index("# Appendix") \
        < md.index("## All findings") < md.index("Headline figures per scorer")
