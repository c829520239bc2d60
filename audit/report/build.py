"""Assemble a run's report from ``results.json`` (and ``published.json`` when present).

The report opens with the executive summary and how to read it
(:mod:`audit.report.front`); the appendix that follows is the list
``sections`` in :func:`build_report`, one entry per part. Its order follows the NYC Local Law 144 published summary of a bias audit
(6 RCNY 5-303: date of the audit, source and nature of the data, number of
people in the unknown category, per category n, rates and impact ratios),
extended with this harness's audits: tier distributions, the rule behind
each gap, appeal, reversibility, spill-over, contagion, and the
differentially private publication.
"""

from __future__ import annotations

from typing import Any

from audit.report.disparity import attribute_names, disparity_section
from audit.report.dynamics import dynamics_section
from audit.report.findings import build_findings
from audit.report.front import executive_summary, how_to_read
from audit.report.ll144 import ll144_section
from audit.report.model import (
    Block,
    Cell,
    Doc,
    NotComputed,
    Paragraph,
    Report,
    Section,
    Table,
    anchor,
    attribute_words,
    audited_attributes,
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_ratio,
    is_number,
)
from audit.report.observed import observed_section
from audit.report.published import published_section
from audit.report.replay import appeal_section, reversibility_section
from audit.report.spillover import contagion_section, spillover_section
from audit.report.tables import facts, value_cell

__all__ = ["build_report", "scorer_labels"]


def scorer_labels(results: dict[str, Any]) -> list[str]:
    """The label of each scorer entry, in document order."""
    scorers = results.get("scorers") if isinstance(results, dict) else None
    if not isinstance(scorers, list):
        return []
    return [str(s.get("label", s.get("name", f"scorer {i + 1}"))) if isinstance(s, dict) else f"scorer {i + 1}"
            for i, s in enumerate(scorers)]


def _params_text(params: Any) -> str:
    if not isinstance(params, dict) or not params:
        return "defaults"
    return ", ".join(f"{k}={v}" for k, v in params.items())


def about_section(doc: Doc) -> Section:
    """Date, data source and nature (synthetic or supplied), scorers, options, unknown-category counts."""
    synthetic = doc.get("population", "synthetic")
    nature = {True: "synthetic (generated from a population spec)", False: "supplied (real records)"}.get(synthetic, None)
    items = facts(doc, [
        ("date of the audit (UTC)", ("created",), {"fmt": str}),
        ("population", ("population", "name"), {"fmt": str}),
        ("data source", ("population", "source"), {"fmt": str}),
        ("people", ("population", "size"), {"fmt": fmt_count}),
        ("seed", ("population", "seed"), {"fmt": str, "optional": True}),
        ("horizon (months of events)", ("population", "horizon_months"), {"fmt": str, "optional": True}),
        ("dataset fingerprint", ("population", "fingerprint"), {"fmt": str, "optional": True}),
        ("scores taken at month", ("options", "as_of"), {"fmt": str, "optional": True}),
        ("audited attributes", ("audited_attributes",), {"fmt": lambda v: ", ".join(map(str, v)) if isinstance(v, list) else str(v)}),
        ("harness version", ("package_version",), {"fmt": str}),
        ("results schema version", ("schema_version",), {"fmt": str, "optional": True}),
    ], id="about-facts")
    if synthetic is False:  # a supplied table has no seed, event horizon or scoring month: leave them out, not "—"
        unused = {"seed", "horizon (months of events)", "scores taken at month"}
        items = type(items)(id=items.id, items=tuple((k, c) for k, c in items.items if not (k in unused and c.text == "—")))
    if nature is not None:
        items = type(items)(id=items.id, items=(*items.items[:3], ("nature of the data", Cell(text=nature, value=None,
                                                                   source=doc.source("population", "synthetic"))), *items.items[3:]))
    blocks: list[Block] = [items, scorers_table(doc), unknown_table(doc)]
    return Section(id="about", title="About this audit", blocks=tuple(blocks))


def scorers_table(doc: Doc) -> Table | NotComputed:
    scorers = doc.get("scorers")
    if not isinstance(scorers, list) or not scorers:
        return NotComputed(what="scorers audited", reason="the results file lists no scorers")
    rows = []
    for i, s in enumerate(scorers):
        if not isinstance(s, dict):
            continue
        tiers: list[Any] = s["tiers"] if isinstance(s.get("tiers"), list) else []
        fav = set(s.get("favourable_tiers") or [])
        sanctions: dict[str, Any] = s["sanctions"] if isinstance(s.get("sanctions"), dict) else {}
        rows.append((
            doc.cell("scorers", i, "label", fmt=str),
            Cell(text=f"{s.get('name', '?')}@{s.get('version', '?')}"),
            Cell(text=_params_text(s.get("params"))),
            Cell(text=" ".join(f"{t}*" if t in fav else str(t) for t in tiers) or "—"),
            Cell(text=", ".join(f"{k} ({v})" for k, v in sanctions.items()) or "none"),
            doc.cell("scorers", i, "description", fmt=str, missing="—"),
            Cell(text=str(s.get("status", "ok")), flag="bad" if s.get("status") == "failed" else None,
                 title=str(s.get("error")) if s.get("error") else None),
        ))
    return Table(id="about-scorers", caption="Scorers audited (tiers best first; * = favourable)",
                 columns=("label", "scorer", "parameters", "tiers", "sanctions (domain)", "description", "status"), rows=tuple(rows))


def unknown_table(doc: Doc) -> Table | NotComputed:
    """LL144: the number of people whose category is unknown, per scorer and attribute."""
    scorers = doc.get("scorers")
    if not isinstance(scorers, list):
        return NotComputed(what="unknown-category counts")
    attrs: list[str] = []
    for s in scorers:
        if isinstance(s, dict):
            attrs += [a for a in attribute_names(s.get("disparity")) if a not in attrs and "×" not in a]
    if not attrs:
        return NotComputed(what="unknown-category counts")
    rows = []
    for i, s in enumerate(scorers):
        if isinstance(s, dict) and isinstance(s.get("disparity"), dict):
            rows.append((doc.cell("scorers", i, "label", fmt=str),
                         *(value_cell(doc, ("scorers", i, "disparity", a, "unknown_n"), fmt=fmt_count) for a in attrs)))
    return Table(id="about-unknown", caption="People in the unknown category (counted, not dropped)",
                 columns=("scorer", *(a.replace("_", " ") for a in attrs)), rows=tuple(rows))


def _overall(doc: Doc, i: int, outcome: str) -> Cell:
    if outcome == "adverse" and doc.get("scorers", i, "sanctions") == {}:
        return Cell(text="n/a", title="the scorer imposes no sanctions")
    for attr in audited_attributes(doc):
        if is_number(doc.get("scorers", i, "disparity", attr, outcome, "overall")):
            return value_cell(doc, ("scorers", i, "disparity", attr, outcome, "overall"), fmt=fmt_pct)
    groups = doc.get("scorers", i, "disparity", "income_quintile", "groups")
    key = {"favourable": "favourable_rate", "adverse": "adverse_rate"}[outcome]
    if isinstance(groups, list):
        num = sum(g["n"] * g[key] for g in groups if isinstance(g, dict) and is_number(g.get("n")) and is_number(g.get(key)))
        den = sum(g["n"] for g in groups if isinstance(g, dict) and is_number(g.get("n")) and is_number(g.get(key)))
        if den:
            return Cell(text=fmt_pct(num / den), value=num / den, kind="number", title="derived: n-weighted mean over income quintiles")
    return Cell(text="not computed", kind="missing")


def summary_table(doc: Doc) -> Table | NotComputed:
    """One row per scorer: overall rates and the worst impact ratio by each audited attribute."""
    scorers = doc.get("scorers")
    if not isinstance(scorers, list) or not scorers:
        return NotComputed(what="summary")
    attrs = audited_attributes(doc)
    rows = []
    for i, s in enumerate(scorers):
        if not isinstance(s, dict):
            continue
        label = doc.cell("scorers", i, "label", fmt=str)
        if s.get("status") == "failed":
            rows.append((label, Cell(text=f"failed: {s.get('error', '')}", flag="bad"),
                         *(Cell(text="—") for _ in range(1 + 2 * len(attrs)))))
            continue
        row = [label, _overall(doc, i, "favourable"), _overall(doc, i, "adverse")]
        for attr in attrs:
            p = ("scorers", i, "disparity", attr)
            verdict = doc.get(*p, "four_fifths_verdict")
            if not isinstance(verdict, str):
                v = doc.get(*p, "four_fifths_violation")
                verdict = {True: "violation", False: "no violation"}.get(v) if isinstance(v, bool) else None
            flag = {"violation": "bad", "inconclusive": "warn"}.get(verdict or "")
            cell = value_cell(doc, (*p, "min_impact_ratio"), fmt=fmt_ratio, ci=(*p, "min_impact_ratio_ci"), flag=flag)
            row.append(cell)
            driver = doc.get(*p, "driver", "rule")
            row.append(Cell(text=(verdict or "—") + (f"; driver: {driver}" if isinstance(driver, str) else ""), flag=flag))
        rows.append(tuple(row))
    return Table(id="summary-table", caption="Summary: favourable and sanction rates, lowest impact ratio (95% interval) and four-fifths verdict",
                 columns=("scorer", "favourable", "sanctioned",
                          *(f"{head} · {attribute_words(a)}" for a in attrs for head in ("lowest impact ratio", "verdict"))),
                 rows=tuple(rows))


def scorer_section(doc: Doc, i: int) -> Section:
    """Everything about one scorer."""
    label = str(doc.get("scorers", i, "label")) if doc.has("scorers", i, "label") else f"scorer {i + 1}"
    sid = anchor(i)
    if doc.get("scorers", i, "status") == "failed":
        return Section(id=sid, title=f"Scorer {label}", blocks=(NotComputed(
            what=f"audits of {label}", reason=f"the scorer failed: {doc.get('scorers', i, 'error')}"),))
    blocks: list[Block] = []
    desc = doc.get("scorers", i, "description")
    if isinstance(desc, str) and desc:
        blocks.append(Paragraph(text=desc))
    shares = doc.get("scorers", i, "tier_shares")
    if isinstance(shares, dict) and shares:
        blocks.append(Table(id=f"{sid}-tiers", caption="Share of all people in each tier (best first)",
                            columns=tuple(str(t) for t in shares),
                            rows=(tuple(value_cell(doc, ("scorers", i, "tier_shares", t), fmt=fmt_pct) for t in shares),)))
    observed = observed_section(doc, i, sid=anchor(i, "observed-outcome"))  # audit/report/observed.py
    children = (
        disparity_section(doc, i, sid=anchor(i, "disparity")),
        *((observed,) if observed is not None else ()),
        appeal_section(doc, i, sid=anchor(i, "appeal")),
        reversibility_section(doc, i, sid=anchor(i, "reversibility")),
        spillover_section(doc, i, sid=anchor(i, "spillover")),
        contagion_section(doc, i, sid=anchor(i, "contagion")),
        *((dynamics_section(doc, i, sid=anchor(i, "dynamics")),) if doc.has("scorers", i, "dynamics") else ()),
    )
    return Section(id=sid, title=f"Scorer {label}", blocks=tuple(blocks), children=children)


def build_report(results: dict[str, Any], published: dict[str, Any] | None = None) -> Report:
    """The report model of a run, ready for :func:`audit.report.html.render_html` or the Markdown renderer."""
    doc = Doc(results if isinstance(results, dict) else {}, "results")
    pop = doc.get("population", "name")
    size = doc.get("population", "size")
    created = doc.get("created")
    subtitle = " · ".join(x for x in (
        f"population {pop}" if isinstance(pop, str) else None,
        f"{fmt_number(size)} people" if is_number(size) else None,
        {True: "synthetic", False: "supplied data"}.get(doc.get("population", "synthetic")),
        f"audited {created}" if isinstance(created, str) else None,
    ) if x)
    scorers = doc.get("scorers")
    n = len(scorers) if isinstance(scorers, list) else 0
    findings = tuple(build_findings(results, published))
    # the appendix, in order; an audit's section registers here with one line
    sections = [
        Section(id="headline", title="Headline figures per scorer", blocks=(summary_table(doc),)),
        about_section(doc),
        ll144_section(doc),  # audit/report/ll144.py
        *(scorer_section(doc, i) for i in range(n)),
        published_section(published),
    ]
    version = doc.get("package_version")
    return Report(
        title="Audit report: " + (", ".join(scorer_labels(results)) or "no scorers"),
        subtitle=subtitle,
        findings=findings,
        sections=tuple(sections),
        front=(executive_summary(doc, findings, published), how_to_read(doc)),
        private=doc.get("private") is not False,
        generated_by=f"scs-audit {version}" if isinstance(version, str) else "scs-audit",
    )
