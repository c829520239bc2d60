"""The terminal summary of ``scs-audit run``: fits an 80-column terminal and says each thing once.

Three parts, each from the same results document the report is built from:
the verdict grid (scorer × audit, the report's first table), the five most
important findings with the evidence they rest on, and one line of headline
figures per scorer. Names are never cut: a column too narrow folds its text
onto the next line instead of ending it with "…". Everything else is in the
report, whose path is printed last.
"""

from __future__ import annotations

from typing import Any

from audit.report.front import TOP_FINDINGS
from audit.report.model import Doc, Finding, attribute_words, audited_attributes, fmt_pct, is_number
from audit.report.verdicts import evidence_text, finding_outcome, grid_audits, grid_cell, rank_findings
from audit.results.model import AttributeDisparity, PublishedDocument, ResultsDocument, ScorerEntry, attribute_section

__all__ = ["OUTCOME_STYLE", "print_run_summary", "render_run_summary"]

#: How the terminal shows each grid outcome (words, since colour may be off); "not enough evidence" never looks like a pass.
OUTCOME_STYLE: dict[str, tuple[str, str]] = {
    "violation": ("violation", "bold red"),
    "warning": ("warning", "yellow"),
    "not enough evidence": ("not enough", "italic magenta"),
    "holds": ("holds", "green"),
    "not applicable": ("n/a", "dim"),
}
_LEGEND = ("not enough = not enough evidence to decide (never a pass); n/a = the audit does not apply or did not run. "
           "Each cell is the worst of the audit's checks.")


def _esc(value: Any) -> str:
    """A plugin's or a data file's string as literal text, never rich markup."""
    from rich.markup import escape

    return escape(str(value))


def _title(results: ResultsDocument) -> str:
    population = results["population"]
    seed = population["seed"]
    text = f"{_esc(population['name'])}: {population['size']:,} people"
    if population["synthetic"] is False:
        return text + f" (supplied: {_esc(population['source'])})"
    return text + (f", seed {seed}" if seed is not None else "")


def _labels(results: ResultsDocument) -> list[str]:
    return [s["label"] for s in results["scorers"]]


def _grid(results: ResultsDocument, findings: list[Finding], width: int) -> Any:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    doc = Doc(results, "results")  # the verdict grid reads the audits' sections by name (audit/report/verdicts.py)
    scorers = results["scorers"]
    audits = grid_audits(doc)
    outcomes = {i: [grid_cell(doc, i, key, findings).outcome for key, _ in audits] for i in range(len(scorers))}
    # a column that is n/a for every scorer says nothing per scorer: named once under the grid instead
    unused = [k for k in range(len(audits)) if outcomes and all(o[k] == "not applicable" for o in outcomes.values())]
    hidden = [audits[k][1] for k in unused]
    shown = [a for k, a in enumerate(audits) if k not in unused]
    rows = []
    for i, cells_all in outcomes.items():
        cells = [OUTCOME_STYLE[o] for k, o in enumerate(cells_all) if k not in unused]
        rows.append((_esc(scorers[i]["label"]), cells))
    audit_widths = [max(len(heading), 10) for _, heading in shown]
    room = width - sum(audit_widths) - 2 * len(shown)  # what the scorer column may use
    if room < 8:  # too narrow for a grid: one wrapped line per scorer
        table = Table.grid(padding=(0, 1))
        table.title, table.title_justify = "Verdicts", "left"
        table.add_column(overflow="fold")
        for label, cells in rows:
            table.add_row(f"{label}: " + " · ".join(f"{heading} [{style}]{word}[/]"
                                                    for (_, heading), (word, style) in zip(shown, cells)))
    else:
        table = Table(title="Verdicts", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                      padding=(0, 1, 0, 0))  # columns two apart: the box's separator and one space
        # whole names as long as they fit: a narrow column folds onto the next line, never cuts with "…"
        table.add_column("scorer", overflow="fold", min_width=min(max(map(len, _labels(results)), default=6), room))
        for (_, heading), w in zip(shown, audit_widths):
            table.add_column(heading, overflow="fold", min_width=w)
        for label, cells in rows:
            table.add_row(label, *(f"[{style}]{word}[/]" for word, style in cells))
    # the legend under the grid at the terminal's width, not folded into a narrow grid's
    legend = _LEGEND + (f" Not shown, n/a for every scorer: {', '.join(hidden)}." if hidden else "")
    return Group(table, Text(legend, style="italic"))


def _evidence(f: Finding, supplied: bool) -> str:
    ev = f.evidence
    return "" if ev is None else f" [dim](rests on {_esc(evidence_text(ev, supplied=supplied))})[/]"


def _top(findings: list[Finding], supplied: bool) -> Any:
    from rich.table import Table

    ranked = rank_findings(findings)[:TOP_FINDINGS]
    table = Table.grid(padding=(0, 1))
    table.title = f"The {len(ranked)} most important of {len(findings)} findings"
    table.title_justify = "left"
    table.add_column(justify="right", no_wrap=True)
    table.add_column(overflow="fold")
    for k, f in enumerate(ranked, 1):
        word, style = OUTCOME_STYLE.get(finding_outcome(f) or "", ("fact", "dim"))
        table.add_row(f"{k}.", f"[{style}]{word}[/]: {_esc(f.text)}{_evidence(f, supplied)}")
    return table


def _audited(results: ResultsDocument, entry: ScorerEntry) -> list[AttributeDisparity]:
    """The disparity sections of the attributes the run audited, in the run's order (those it could not are left out)."""
    if "disparity" not in entry:
        return []
    section = entry["disparity"]
    return [attribute_section(section, a) for a in audited_attributes(results) if a in section["attributes"]]


def _rate(results: ResultsDocument, entry: ScorerEntry, outcome: str) -> str:
    if outcome == "adverse" and entry["sanctions"] == {}:
        return "n/a"  # a scorer with no sanctions sanctions nobody: 0% would read as a finding
    for node in _audited(results, entry):
        value = (node["favourable"] if outcome == "favourable" else node["adverse"])["overall"]
        if is_number(value):
            return fmt_pct(value)
    return "—"


def _ratio(entry: ScorerEntry, attr: str) -> str:
    if "disparity" not in entry or attr not in entry["disparity"]["attributes"]:
        return "—"
    node = attribute_section(entry["disparity"], attr)
    r, ci = node["min_impact_ratio"], node["min_impact_ratio_ci"]
    if not is_number(r):
        return "—"
    text = f"{r:.2f}"
    if ci is not None and len(ci) == 2 and all(is_number(v) for v in ci):
        text += f" ({ci[0]:.2f}–{ci[1]:.2f})"
    return text


def _headline(results: ResultsDocument) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(title="Headline figures", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  padding=(0, 1, 0, 0))
    table.add_column("scorer", overflow="fold", min_width=min(max(map(len, _labels(results)), default=6), 20))
    table.add_column("favourable", justify="right")
    table.add_column("sanctioned", justify="right")
    attrs = audited_attributes(results)
    for attr in attrs:
        table.add_column(f"impact ratio: {_esc(attribute_words(attr))}", justify="right", overflow="fold")
    no_sanctions = False
    for entry in results["scorers"]:
        label = _esc(entry["label"])
        if entry["status"] == "failed":
            table.add_row(label, "[red]failed[/]", "", *("" for _ in attrs))
            continue
        no_sanctions = no_sanctions or entry["sanctions"] == {}
        table.add_row(label, _rate(results, entry, "favourable"), _rate(results, entry, "adverse"),
                      *(_ratio(entry, a) for a in attrs))
    table.caption = ("impact ratio: the lowest group's favourable rate ÷ the highest group's (95% interval in brackets)"
                     + ("; sanctioned n/a: the scorer imposes no sanctions" if no_sanctions else ""))
    table.caption_justify = "left"
    return table


def render_run_summary(results: ResultsDocument, published: PublishedDocument | None = None,
                       findings: list[Finding] | None = None, *, width: int = 80) -> list[Any]:
    """The summary as rich renderables for a terminal ``width`` columns wide, in order: title, verdict grid, top
    findings, headline figures."""
    from audit.report.findings import build_findings

    findings = list(findings) if findings is not None else build_findings(results, published)
    supplied = results["population"]["synthetic"] is False
    return [f"[bold]{_title(results)}[/]", _grid(results, findings, width), "", _top(findings, supplied), "", _headline(results)]


def print_run_summary(results: ResultsDocument, published: PublishedDocument | None, console: Any) -> None:
    """Print :func:`render_run_summary` on ``console`` (a :class:`rich.console.Console`)."""
    for part in render_run_summary(results, published, width=console.width):
        console.print(part)
