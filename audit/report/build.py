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

from types import MappingProxyType
from typing import Any, Literal, cast

from audit.report.disparity import attribute_names, disparity_section
from audit.report.dynamics import dynamics_section
from audit.report.findings import build_findings
from audit.report.front import executive_summary, how_to_read
from audit.report.ll144 import ll144_section
from audit.report.model import (
    MISSING,
    Block,
    Cell,
    Facts,
    NotComputed,
    Paragraph,
    Ptr,
    Report,
    Section,
    Table,
    anchor,
    attribute_words,
    audited_attributes,
    cell,
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
from audit.report.tables import figure
from audit.results.model import (
    AttributeDisparity,
    DisparitySection,
    MetricSummary,
    PublishedDocument,
    ResultsDocument,
)

__all__ = ["EMPTY", "about_section", "attribute_of", "build_report", "scorer_labels", "summary_table"]

#: An empty record standing in for an absent optional one: ``(entry.get("disparity") or EMPTY).get("attributes")``
#: keeps the key checked against the model (the union's TypedDict member) and reads nothing.
EMPTY: Any = MappingProxyType({})

#: The top of ``results.json``.
RESULTS = Ptr("results")


def scorer_labels(results: ResultsDocument) -> list[str]:
    """The label of each scorer entry, in document order."""
    return [s["label"] for s in results["scorers"]]


def attribute_of(disparity: DisparitySection, attr: str) -> AttributeDisparity:
    """The section of the audited attribute ``attr`` (an empty record when the disparity section lacks it)."""
    node = cast(dict[str, Any], disparity).get(attr)
    return cast(AttributeDisparity, node if isinstance(node, dict) else EMPTY)


def _params_text(params: Any) -> str:
    if not isinstance(params, dict) or not params:
        return "defaults"
    return ", ".join(f"{k}={v}" for k, v in params.items())


def _list_text(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _supplied_horizon(months: list[int] | None, at: Ptr) -> tuple[str, Cell] | None:
    """The months a supplied event log spans (``event_months``), or ``None`` when there are no events: its
    ``horizon_months`` is then a placeholder of 1 month, not a fact about the data."""
    if months is None:
        return None
    first, last = months
    return ("months of supplied events", Cell(text=f"month {first} to {last} ({last - first + 1} months)",
                                              source=at.source))


def about_section(results: ResultsDocument) -> Section:
    """Date, data source and nature (synthetic or supplied), scorers, options, unknown-category counts."""
    population, options = results["population"], results["options"]
    pop, opt = RESULTS / "population", RESULTS / "options"
    synthetic = population["synthetic"]
    nature = "synthetic (generated from a population spec)" if synthetic else "supplied (real records)"
    horizon: tuple[str, Cell] | None = ("horizon (months of events)",
                                        cell(population["horizon_months"], pop / "horizon_months", fmt=str))
    if not synthetic and "event_months" in population:
        horizon = _supplied_horizon(population["event_months"], pop / "event_months")
    optional = [
        ("seed", cell(population["seed"], pop / "seed", fmt=str)),
        *((horizon,) if horizon is not None else ()),
        ("dataset fingerprint", cell(population["fingerprint"], pop / "fingerprint", fmt=str)),
        ("scores taken at month", cell(options["as_of"], opt / "as_of", fmt=str)),
    ]
    if not synthetic:  # a supplied table has no seed, event horizon or scoring month: leave them out, not "—"
        unused = {"seed", "horizon (months of events)", "scores taken at month"}
        optional = [(k, c) for k, c in optional if not (k in unused and c.text == "—")]
    items = [
        ("date of the audit (UTC)", cell(results["created"], RESULTS / "created", fmt=str)),
        ("population", cell(population["name"], pop / "name", fmt=str)),
        ("data source", cell(population["source"], pop / "source", fmt=str)),
        ("nature of the data", Cell(text=nature, value=None, source=(pop / "synthetic").source)),
        ("people", cell(population["size"], pop / "size", fmt=fmt_count)),
        *optional,
        ("audited attributes", cell(results["audited_attributes"], RESULTS / "audited_attributes", fmt=_list_text)),
        ("harness version", cell(results["package_version"], RESULTS / "package_version", fmt=str)),
        ("results schema version", cell(results["schema_version"], RESULTS / "schema_version", fmt=str)),
    ]
    blocks: list[Block] = [Facts(id="about-facts", items=tuple(items)), scorers_table(results), unknown_table(results)]
    return Section(id="about", title="About this audit", blocks=tuple(blocks))


def scorers_table(results: ResultsDocument) -> Table | NotComputed:
    scorers = results["scorers"]
    if not scorers:
        return NotComputed(what="scorers audited", reason="the results file lists no scorers")
    rows = []
    for i, s in enumerate(scorers):
        at = RESULTS / "scorers" / i
        fav = set(s["favourable_tiers"])
        error = s["error"] if "error" in s else None
        rows.append((
            cell(s["label"], at / "label", fmt=str),
            Cell(text=f"{s['name']}@{s['version']}"),
            Cell(text=_params_text(s["params"])),
            Cell(text=" ".join(f"{t}*" if t in fav else str(t) for t in s["tiers"]) or "—"),
            Cell(text=", ".join(f"{k} ({v})" for k, v in s["sanctions"].items()) or "none"),
            cell(s["description"], at / "description", fmt=str, missing="—"),
            Cell(text=s["status"], flag="bad" if s["status"] == "failed" else None, title=error or None),
        ))
    return Table(id="about-scorers", caption="Scorers audited (tiers best first; * = favourable)",
                 columns=("label", "scorer", "parameters", "tiers", "sanctions (domain)", "description", "status"), rows=tuple(rows))


def unknown_table(results: ResultsDocument) -> Table | NotComputed:
    """LL144: the number of people whose category is unknown, per scorer and attribute."""
    scorers = results["scorers"]
    attrs: list[str] = []
    for s in scorers:
        if "disparity" in s:
            attrs += [a for a in attribute_names(s["disparity"]) if a not in attrs and "×" not in a]
    if not attrs:
        return NotComputed(what="unknown-category counts")
    rows = []
    for i, s in enumerate(scorers):
        if "disparity" in s:
            at = RESULTS / "scorers" / i
            disparity = s["disparity"]
            rows.append((cell(s["label"], at / "label", fmt=str),
                         *(figure(attribute_of(disparity, a).get("unknown_n", MISSING), at / "disparity" / a / "unknown_n",
                                  fmt=fmt_count) for a in attrs)))
    return Table(id="about-unknown", caption="People in the unknown category (counted, not dropped)",
                 columns=("scorer", *(a.replace("_", " ") for a in attrs)), rows=tuple(rows))


def _overall(results: ResultsDocument, i: int, outcome: Literal["favourable", "adverse"]) -> Cell:
    entry = results["scorers"][i]
    if outcome == "adverse" and entry["sanctions"] == {}:
        return Cell(text="n/a", title="the scorer imposes no sanctions")
    disparity: DisparitySection = entry["disparity"] if "disparity" in entry else EMPTY
    for attr in audited_attributes(results):
        node = attribute_of(disparity, attr)
        summary: MetricSummary = (node.get("favourable") if outcome == "favourable" else node.get("adverse")) or EMPTY
        if is_number(summary.get("overall")):
            return figure(summary["overall"], RESULTS / "scorers" / i / "disparity" / attr / outcome / "overall", fmt=fmt_pct)
    groups = attribute_of(disparity, "income_quintile").get("groups")
    key = {"favourable": "favourable_rate", "adverse": "adverse_rate"}[outcome]
    if isinstance(groups, list):
        rows = [cast(dict[str, Any], g) for g in groups if isinstance(g, dict)]
        num = sum(g["n"] * g[key] for g in rows if is_number(g.get("n")) and is_number(g.get(key)))
        den = sum(g["n"] for g in rows if is_number(g.get("n")) and is_number(g.get(key)))
        if den:
            return Cell(text=fmt_pct(num / den), value=num / den, kind="number", title="derived: n-weighted mean over income quintiles")
    return Cell(text="not computed", kind="missing")


def summary_table(results: ResultsDocument) -> Table | NotComputed:
    """One row per scorer: overall rates and the worst impact ratio by each audited attribute."""
    scorers = results["scorers"]
    if not scorers:
        return NotComputed(what="summary")
    attrs = audited_attributes(results)
    rows = []
    for i, s in enumerate(scorers):
        label = cell(s["label"], RESULTS / "scorers" / i / "label", fmt=str)
        if s["status"] == "failed":
            rows.append((label, Cell(text=f"failed: {s['error'] if 'error' in s else ''}", flag="bad"),
                         *(Cell(text="—") for _ in range(1 + 2 * len(attrs)))))
            continue
        row = [label, _overall(results, i, "favourable"), _overall(results, i, "adverse")]
        disparity: DisparitySection = s["disparity"] if "disparity" in s else EMPTY
        for attr in attrs:
            node, at = attribute_of(disparity, attr), RESULTS / "scorers" / i / "disparity" / attr
            verdict = node.get("four_fifths_verdict")
            if not isinstance(verdict, str):
                v = node.get("four_fifths_violation")
                verdict = {True: "violation", False: "no violation"}.get(v) if isinstance(v, bool) else None
            flag = {"violation": "bad", "inconclusive": "warn"}.get(verdict or "")
            row.append(figure(node.get("min_impact_ratio", MISSING), at / "min_impact_ratio", fmt=fmt_ratio,
                              ci=(node.get("min_impact_ratio_ci"), at / "min_impact_ratio_ci"), flag=flag))
            driver = node.get("driver")
            rule = driver.get("rule") if isinstance(driver, dict) else None
            row.append(Cell(text=(verdict or "—") + (f"; driver: {rule}" if isinstance(rule, str) else ""), flag=flag))
        rows.append(tuple(row))
    return Table(id="summary-table", caption="Summary: favourable and sanction rates, lowest impact ratio (95% interval) and four-fifths verdict",
                 columns=("scorer", "favourable", "sanctioned",
                          *(f"{head} · {attribute_words(a)}" for a in attrs for head in ("lowest impact ratio", "verdict"))),
                 rows=tuple(rows))


def scorer_section(results: ResultsDocument, i: int) -> Section:
    """Everything about scorer ``i``: its tier shares and each audit's section."""
    entry = results["scorers"][i]
    label = entry["label"]
    sid = anchor(i)
    if entry["status"] == "failed":
        return Section(id=sid, title=f"Scorer {label}", blocks=(NotComputed(
            what=f"audits of {label}", reason=f"the scorer failed: {entry['error'] if 'error' in entry else MISSING}"),))
    blocks: list[Block] = []
    if entry["description"]:
        blocks.append(Paragraph(text=entry["description"]))
    shares = entry["tier_shares"] if "tier_shares" in entry else None
    if shares:
        at = RESULTS / "scorers" / i / "tier_shares"
        blocks.append(Table(id=f"{sid}-tiers", caption="Share of all people in each tier (best first)",
                            columns=tuple(str(t) for t in shares),
                            rows=(tuple(figure(v, at / t, fmt=fmt_pct) for t, v in shares.items()),)))
    observed = observed_section(entry, RESULTS / "scorers" / i, sid=anchor(i, "observed-outcome"))  # audit/report/observed.py
    children = (
        disparity_section(results, i, sid=anchor(i, "disparity")),
        *((observed,) if observed is not None else ()),
        appeal_section(entry, RESULTS / "scorers" / i, sid=anchor(i, "appeal")),
        reversibility_section(entry, RESULTS / "scorers" / i, sid=anchor(i, "reversibility")),
        spillover_section(entry, RESULTS / "scorers" / i, sid=anchor(i, "spillover")),
        contagion_section(entry, RESULTS / "scorers" / i, sid=anchor(i, "contagion")),
        *((dynamics_section(entry, sid=anchor(i, "dynamics")),) if "dynamics" in entry else ()),
    )
    return Section(id=sid, title=f"Scorer {label}", blocks=tuple(blocks), children=children)


def build_report(results: ResultsDocument, published: PublishedDocument | None = None) -> Report:
    """The report model of a run, ready for :func:`audit.report.html.render_html` or the Markdown renderer.

    ``results`` and ``published`` are the typed documents (:func:`audit.results.load.load_results` checks a file's
    shape); optional sections a document lacks are shown as "not computed".
    """
    population = results["population"]
    subtitle = " · ".join((
        f"population {population['name']}",
        f"{fmt_number(population['size'])} people",
        "synthetic" if population["synthetic"] else "supplied data",
        f"audited {results['created']}",
    ))
    findings = tuple(build_findings(results, published))
    # the appendix, in order; an audit's section registers here with one line
    sections = [
        Section(id="headline", title="Headline figures per scorer", blocks=(summary_table(results),)),
        about_section(results),
        ll144_section(results),  # audit/report/ll144.py
        *(scorer_section(results, i) for i in range(len(results["scorers"]))),
        published_section(published),
    ]
    return Report(
        title="Audit report: " + (", ".join(scorer_labels(results)) or "no scorers"),
        subtitle=subtitle,
        findings=findings,
        sections=tuple(sections),
        front=(executive_summary(results, findings, published), how_to_read(results)),
        private=results["private"] is not False,
        generated_by=f"scs-audit {results['package_version']}",
    )
