"""The front of a report: the executive summary and how to read the report, before any table of numbers.

The executive summary fits two printed A4 pages whatever the number of
groups: the verdict grid (scorer × audit, :mod:`audit.report.verdicts`), the
five most important findings with the evidence each rests on, and what was
audited (population, size, seed or data source, date, options). Everything
else is the appendix, linked from here.
"""

from __future__ import annotations

from collections.abc import Sequence

from audit.report.model import Cell, Doc, Facts, Finding, Paragraph, Ptr, Section, Table, anchor, cell, fmt_count
from audit.report.verdicts import GRID_FLAGS, evidence_text, finding_outcome, grid_table, rank_findings
from audit.results.model import PublishedDocument, ResultsDocument, RunOptions

__all__ = ["TOP_FINDINGS", "appendix_links", "audited_facts", "executive_summary", "how_to_read", "top_findings"]

#: How many findings the executive summary shows (the rest are in the appendix).
TOP_FINDINGS = 5


def _evidence_text(f: Finding, supplied: bool) -> str:
    return "a fact, not a check" if f.evidence is None else evidence_text(f.evidence, supplied=supplied)


def top_findings(findings: Sequence[Finding], *, n: int = TOP_FINDINGS, id: str = "top-findings", supplied: bool = False) -> Table:
    """The ``n`` most important findings, each with its verdict, the evidence it rests on and a link to it."""
    ranked = rank_findings(findings)[:n]
    rows = []
    for k, f in enumerate(ranked, 1):
        outcome = finding_outcome(f)
        rows.append((
            Cell(text=str(k)),
            Cell(text=outcome or "fact", flag=GRID_FLAGS.get(outcome or "", None)),
            Cell(text=f.text, href=f"#{f.anchor}"),
            Cell(text=_evidence_text(f, supplied)),
        ))
    return Table(id=id, caption=f"The {len(ranked)} most important findings (all {len(findings)} are in the appendix)",
                 columns=("#", "verdict", "finding", "rests on"), rows=tuple(rows))


def _options_text(options: RunOptions) -> str:
    shown = {k: v for k, v in options.items() if v not in (None, [], (), "") and k not in ("seed", "population_size")}
    return ", ".join(f"{k.replace('_', ' ')} {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in shown.items()) \
        or "defaults"


def audited_facts(results: ResultsDocument, published: PublishedDocument | None, *, id: str = "audited") -> Facts:
    """What was audited: population, nature, size, seed or data source, date, scorers, options, publication."""
    top = Ptr("results")
    population, pop = results["population"], top / "population"
    nature = "synthetic" if population["synthetic"] else "supplied records"
    items: list[tuple[str, Cell]] = [
        ("population", Cell(text=f"{population['name']} ({nature})", value=population["name"], source=(pop / "name").source)),
        ("people", cell(population["size"], pop / "size", fmt=fmt_count)),
    ]
    if not population["synthetic"]:
        items.append(("data source", cell(population["source"], pop / "source", fmt=str)))
    else:
        items.append(("seed", cell(population["seed"], pop / "seed", fmt=str)))
    items.append(("date of the audit (UTC)", cell(results["created"], top / "created", fmt=str)))
    names = [f"{s['label']} ({s['name']}@{s['version']})" for s in results["scorers"]]
    items.append(("scorers", Cell(text=", ".join(names) or "none")))
    items.append(("options", Cell(text=_options_text(results["options"]), source=(top / "options").source)))
    items.append(("published with differential privacy",
                  Cell(text=f"yes (epsilon {published['privacy']['epsilon']})" if published is not None
                       else "no (every figure is exact and private)")))
    return Facts(id=id, items=tuple(items))


def appendix_links(results: ResultsDocument, *, id: str = "summary-links") -> Facts:
    """Links from page one to the parts of the appendix a reader of supplied data looks for first: the NYC LL144
    summary, each scorer's observed-outcome (error-rate) section and each scorer's dynamics section."""
    supplied = not results["population"]["synthetic"]
    items: list[tuple[str, Cell]] = [(
        "NYC Local Law 144 summary",
        Cell(text="per category n, selection and scoring rates, impact ratios, unknown category"
                  + ("" if supplied else " (synthetic data: the same figures as the disparity tables)"), href="#ll144"),
    )]
    for i, s in enumerate(results["scorers"]):
        if s["status"] == "failed":
            continue
        label = s["label"]
        if "observed_outcome" in s:  # its shape is not typed yet (ScorerEntry holds it as an object)
            observed = s["observed_outcome"]
            what = (f"error rates and calibration against {observed.get('outcome_column')}" if observed.get("available")
                    else f"not computed: {observed.get('reason')}")
            items.append((f"observed outcome · {label}", Cell(text=what, href=f"#{anchor(i, 'observed-outcome')}")))
        if "dynamics" in s:  # likewise
            dyn = s["dynamics"]
            what = (f"the simulation failed: {dyn.get('error')}" if dyn.get("status") == "failed"
                    else f"{dyn.get('years')} years of people responding to the score: does the gap grow")
            items.append((f"dynamics · {label}", Cell(text=what, href=f"#{anchor(i, 'dynamics')}")))
    return Facts(id=id, items=tuple(items))


def executive_summary(results: ResultsDocument, findings: Sequence[Finding], published: PublishedDocument | None) -> Section:
    """Page one: the verdict grid, the top findings, what was audited, links to the appendix's main parts."""
    return Section(id="summary", title="Executive summary", blocks=(
        grid_table(Doc(results, "results"), findings),
        top_findings(findings, supplied=not results["population"]["synthetic"]),
        Paragraph(text="What was audited:"),
        audited_facts(results, published),
        Paragraph(text="In the appendix:"),
        appendix_links(results),
        Paragraph(text="Everything else — every finding, the per-group tables and figures for each audit, the published "
                       "differentially private figures — is in the appendix below, each part linked from the grid and "
                       "the findings."),
    ))


def how_to_read(results: ResultsDocument) -> Section:
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
    entries = results["scorers"]
    if any("observed_outcome" in s for s in entries):
        text.append(
            "Error rates (observed outcome). Equalized odds compares each group's true-positive and false-positive rates "
            "against the outcome recorded afterwards (fairlearn's equalized_odds_ratio: lowest ÷ highest group). No law "
            "sets a threshold for error rates; this report applies the four-fifths threshold used for every other ratio: "
            "violated when a ratio's 95% interval lies under 0.8, holds when both intervals lie at or above it, not enough "
            "evidence otherwise. The outcome was itself recorded by people and can be biased the way the score is.")
    if any("dynamics" in s for s in entries):
        text.append(
            "Dynamics. The favourable-rate gap between the best- and worst-off groups at the start is followed over the "
            "simulated years as people respond to the score; it grows when the 95% interval of its change lies above the "
            "tolerance the run recorded (1 percentage point by default), holds when the interval lies at or below it.")
    blocks = [Paragraph(text=t) for t in text]
    if results["private"]:
        blocks.append(Paragraph(text="This report shows exact figures from results.json, which is private: do not publish it. "
                                     "Publish only the figures of the differentially private section."))
    return Section(id="method", title="How to read this report", blocks=tuple(blocks))
