"""The front of a report: the executive summary and how to read the report, before any table of numbers.

The executive summary fits two printed A4 pages whatever the number of
groups: the verdict grid (scorer × audit, :mod:`audit.report.verdicts`), the
five most important findings with the evidence each rests on, and what was
audited (population, size, seed or data source, date, options). Everything
else is the appendix, linked from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from audit.evidence import NOT_ENOUGH
from audit.report.model import Cell, Doc, Facts, Finding, Paragraph, Section, Table, fmt_count
from audit.report.verdicts import GRID_FLAGS, finding_outcome, grid_table, rank_findings

__all__ = ["TOP_FINDINGS", "audited_facts", "executive_summary", "how_to_read", "top_findings"]

#: How many findings the executive summary shows (the rest are in the appendix).
TOP_FINDINGS = 5


def _evidence_text(f: Finding) -> str:
    ev = f.evidence
    if ev is None:
        return "a fact, not a check"
    text = f"{ev.observed:,} {ev.what}"
    if ev.outcome == NOT_ENOUGH and ev.needed is not None:
        text += f"; about {ev.needed:,} would decide it"
    return text


def top_findings(findings: Sequence[Finding], *, n: int = TOP_FINDINGS, id: str = "top-findings") -> Table:
    """The ``n`` most important findings, each with its verdict, the evidence it rests on and a link to it."""
    ranked = rank_findings(findings)[:n]
    rows = []
    for k, f in enumerate(ranked, 1):
        outcome = finding_outcome(f)
        rows.append((
            Cell(text=str(k)),
            Cell(text=outcome or "fact", flag=GRID_FLAGS.get(outcome or "", None)),
            Cell(text=f.text, href=f"#{f.anchor}"),
            Cell(text=_evidence_text(f)),
        ))
    return Table(id=id, caption=f"The {len(ranked)} most important findings (all {len(findings)} are in the appendix)",
                 columns=("#", "verdict", "finding", "rests on"), rows=tuple(rows))


def _options_text(options: Any) -> str:
    if not isinstance(options, dict):
        return "defaults"
    shown = {k: v for k, v in options.items() if v not in (None, [], (), "") and k not in ("seed", "population_size")}
    return ", ".join(f"{k.replace('_', ' ')} {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in shown.items()) \
        or "defaults"


def audited_facts(doc: Doc, published: dict[str, Any] | None, *, id: str = "audited") -> Facts:
    """What was audited: population, nature, size, seed or data source, date, scorers, options, publication."""
    items: list[tuple[str, Cell]] = []
    synthetic = doc.get("population", "synthetic")
    name = doc.get("population", "name")
    nature = {True: "synthetic", False: "supplied records"}.get(synthetic) if isinstance(synthetic, bool) else None
    items.append(("population", Cell(text=f"{name}" + (f" ({nature})" if nature else ""), value=name if isinstance(name, str) else None,
                                     source=doc.source("population", "name"))))
    items.append(("people", doc.cell("population", "size", fmt=fmt_count)))
    if synthetic is False or not doc.has("population", "seed"):
        items.append(("data source", doc.cell("population", "source", fmt=str)))
    else:
        items.append(("seed", doc.cell("population", "seed", fmt=str)))
    items.append(("date of the audit (UTC)", doc.cell("created", fmt=str)))
    scorers = doc.get("scorers")
    if isinstance(scorers, list):
        names = [f"{s.get('label', s.get('name', '?'))} ({s.get('name', '?')}@{s.get('version', '?')})" for s in scorers
                 if isinstance(s, dict)]
        items.append(("scorers", Cell(text=", ".join(names) or "none")))
    items.append(("options", Cell(text=_options_text(doc.get("options")), source=doc.source("options"))))
    eps = None
    if isinstance(published, dict):
        privacy = published.get("privacy")
        eps = privacy.get("epsilon") if isinstance(privacy, dict) else None
    items.append(("published with differential privacy",
                  Cell(text=(f"yes (epsilon {eps})" if eps is not None else "yes") if isinstance(published, dict)
                       else "no (every figure is exact and private)")))
    return Facts(id=id, items=tuple(items))


def executive_summary(doc: Doc, findings: Sequence[Finding], published: dict[str, Any] | None) -> Section:
    """Page one: the verdict grid, the top findings, what was audited."""
    return Section(id="summary", title="Executive summary", blocks=(
        grid_table(doc, findings),
        top_findings(findings),
        Paragraph(text="What was audited:"),
        audited_facts(doc, published),
        Paragraph(text="Everything else — every finding, the per-group tables and figures for each audit, the published "
                       "differentially private figures — is in the appendix below, each part linked from the grid and "
                       "the findings."),
    ))


def how_to_read(doc: Doc) -> Section:
    """How to read the verdicts and the numbers, before the numbers."""
    text = [
        ("Verdicts. Every check has three outcomes: it holds, it is violated, or there is not enough evidence to say. "
         "Not enough evidence is never a pass: it says how many observations the check rested on and what would "
         "decide it (a larger population or replay sample). The grid shows, per scorer and audit, the worst outcome "
         "of its checks; a violated check is a violation when a rule is broken and a warning when it is a concern."),
        ("Rule probes and estimates. A rule probe runs the scorer on constructed people: it shows what can happen "
         "(conduct in one domain leading to a sanction in another) with certainty. A population estimate says how "
         "often it happens, with a 95% interval."),
        ("Favourable rate: share of a group in one of the scorer's favourable tiers. Impact ratio: a group's favourable "
         "rate divided by the highest group's (the reference). The EEOC four-fifths rule (29 CFR 1607.4(D)) treats a "
         "ratio under 0.8 as evidence of adverse impact; when the 95% interval straddles 0.8 there is not enough "
         "evidence either way."),
        ("Scoring rate (NYC LL144): share of a group scoring strictly above the whole population's median score; ties at "
         "the median are not above it. Groups under the minimum cell share (default 2%) are shown with their counts and "
         "excluded from ratios, as LL144 allows."),
        ("Intervals are 95% bootstrap intervals over people (a Poisson bootstrap of the exact counts), seeded, so a rerun "
         "gives the same report; rates out of a small count use exact (Clopper–Pearson) intervals."),
    ]
    blocks = [Paragraph(text=t) for t in text]
    if doc.get("private") is not False:
        blocks.append(Paragraph(text="This report shows exact figures from results.json, which is private: do not publish it. "
                                     "Publish only the figures of the differentially private section."))
    return Section(id="method", title="How to read this report", blocks=tuple(blocks))
