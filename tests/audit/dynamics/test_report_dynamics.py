"""The report's dynamics section: drawn from results.json, absent without --dynamics, a failure shown as such."""

from __future__ import annotations

from audit.dynamics import dynamics_section, simulate
from audit.report.build import build_report
from audit.report.model import NotComputed, Plot, Table
from tests.audit.dynamics.scorers_for_dynamics import Tally
from tests.audit.report.documents import whole_results


def doc(dyn):
    entry = {"label": "tally", "name": "tally", "version": "1", "tiers": ["A", "B", "C"], "favourable_tiers": ["A", "B"],
             "sanctions": {"loans": "finance"}, "status": "ok"}
    if dyn is not None:
        entry["dynamics"] = dyn
    return whole_results({"population": {"name": "tiny", "size": 600}, "scorers": [entry]})


def section_of(report, sid):
    stack = list(report.sections)
    while stack:
        s = stack.pop()
        if s.id == sid:
            return s
        stack += list(s.children)
    return None


def test_the_gap_plot_draws_every_year_of_both_attributes():
    dyn = dynamics_section(simulate(Tally(), "tiny", size=600, seed=0, years=2))
    sec = section_of(build_report(doc(dyn)), "s0-dynamics")
    plot = next(b for b in sec.blocks if isinstance(b, Plot))
    assert plot.data is not None and len(plot.data.rows) == 2 * 3  # two attributes, years 0, 1, 2
    first = plot.data.rows[0]
    gap = dyn["by"]["income_quintile"]["years"][0]["gap"]
    assert first[0].text == "income quintile" and first[2].value == gap
    tables = [b for b in sec.blocks if isinstance(b, Table)]
    assert [t.id for t in tables] == ["s0-dynamics-income_quintile", "s0-dynamics-education", "s0-dynamics-overall"]
    assert "Does the gap grow?" in (tables[0].note or "")


def test_no_section_without_dynamics_and_a_failure_is_shown():
    assert section_of(build_report(doc(None)), "s0-dynamics") is None
    failed = section_of(build_report(doc({"status": "failed", "error": "scorer 'tally' broke"})), "s0-dynamics")
    assert isinstance(failed.blocks[0], NotComputed) and "scorer 'tally' broke" in failed.blocks[0].reason
