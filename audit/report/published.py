"""The report's section on differentially private publication (``published.json``).

Shows the privacy parameters and what they protect, the budget ledger (which
query, which mechanism, which scale, what it cost), the contribution bounds,
and each scorer's published noisy figures with their 95% intervals: per-group
rates and impact ratios (with the four-fifths line) and tier shares. Only
figures from ``published.json`` appear here; their pointers are
``published#/...``. A published figure is ``{value, ci95, ledger_entries}``.
"""

from __future__ import annotations

from typing import Any

from audit.report.model import (
    Block,
    Cell,
    Doc,
    NotComputed,
    Paragraph,
    Section,
    Table,
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_ratio,
    group_label,
    humanize_key,
    is_number,
    slug,
)
from audit.report.plots import interval_dots, plot_block
from audit.report.tables import Column, facts, generic_blocks, records_table, value_cell
from audit.results.model import PublishedDocument

__all__ = ["LEDGER_KEYS", "published_section"]

#: Keys under which a ledger may appear in published.json, in order of preference.
LEDGER_KEYS = ("ledger", "privacy_ledger", "budget_ledger")

_LEDGER_COLUMNS = (
    Column(heading="entry", key="id", fmt=str), Column(heading="query", key="query", fmt=str),
    Column(heading="scorer", key="scorer", fmt=str), Column(heading="mechanism", key="mechanism", fmt=str),
    Column(heading="noise scale", key="scale", fmt=fmt_number), Column(heading="sensitivity", key="sensitivity", fmt=fmt_number),
    Column(heading="epsilon", key="epsilon", fmt=lambda x: f"{x:.4g}"), Column(heading="delta", key="delta", fmt=lambda x: f"{x:.3g}"),
    Column(heading="this release", key="this_release"),
)


def _ledger_path(doc: Doc) -> tuple[Any, ...] | None:
    for key in LEDGER_KEYS:
        node = doc.get(key)
        if isinstance(node, list):
            return (key,)
        if isinstance(node, dict) and isinstance(node.get("entries"), list):
            return (key, "entries")
    return None


def figure_cell(doc: Doc, path: tuple[Any, ...], fmt: Any) -> Cell:
    """A published figure ``{value, ci95}`` (or a bare number) with its interval."""
    node = doc.get(*path)
    if isinstance(node, dict) and "value" in node:
        return value_cell(doc, (*path, "value"), fmt=fmt, ci=(*path, "ci95"))
    return value_cell(doc, path, fmt=fmt)


def _value(node: Any) -> float | None:
    v = node.get("value") if isinstance(node, dict) else node
    return float(v) if is_number(v) else None


def _ci(node: Any) -> list[float] | None:
    ci = node.get("ci95") if isinstance(node, dict) else None
    return ci if isinstance(ci, list) and len(ci) == 2 and all(is_number(x) for x in ci) else None


_GROUP_FIGURES = (("people (noisy)", "n", fmt_count), ("favourable rate", "favourable_rate", fmt_pct),
                  ("impact ratio", "impact_ratio", fmt_ratio), ("adverse (sanction) rate", "adverse_rate", fmt_pct),
                  ("mean score", "mean_score", fmt_number))


def _groups_blocks(doc: Doc, path: tuple[Any, ...], attr: str, *, id: str) -> list[Block]:
    groups = doc.get(*path, "groups")
    if not isinstance(groups, list) or not groups:
        return []
    keys = [(h, k, f) for h, k, f in _GROUP_FIGURES if any(isinstance(g, dict) and k in g for g in groups)]
    rows = []
    for i, g in enumerate(groups):
        if not isinstance(g, dict):
            continue
        row = [Cell(text=group_label(attr, g.get("group")), value=g.get("group") if isinstance(g.get("group"), (int, str)) else None,
                    source=doc.source(*path, "groups", i, "group"))]
        row += [figure_cell(doc, (*path, "groups", i, k), f) for _, k, f in keys]
        if "excluded_from_ratios" in g:
            row.append(doc.cell(*path, "groups", i, "excluded_from_ratios"))
        rows.append(tuple(row))
    columns = ("group", *(h for h, _, _ in keys), *(("excluded from ratios",) if any("excluded_from_ratios" in g for g in groups) else ()))
    name = attr.replace("_x_", " × ").replace("_", " ")
    blocks: list[Block] = [Table(id=id, caption=f"Published by {name} (noisy; 95% intervals per figure)", columns=columns,
                                 rows=tuple(rows))]
    if "_x_" not in attr and any(isinstance(g, dict) and "impact_ratio" in g for g in groups):
        labels = [group_label(attr, g.get("group")) for g in groups if isinstance(g, dict)]
        values = [_value(g.get("impact_ratio")) for g in groups if isinstance(g, dict)]
        cis = [_ci(g.get("impact_ratio")) for g in groups if isinstance(g, dict)]
        title = f"Published impact ratios by {name}, with 95% intervals and the four-fifths line"
        blocks.append(plot_block(f"{id}-impact-plot", title, interval_dots(f"{id}-impact-plot", title, labels, values, cis)))
    return blocks


def _scorer_section(doc: Doc, i: int, *, sid: str) -> Section:
    label = str(doc.get("scorers", i, "label")) if doc.has("scorers", i, "label") else f"scorer {i + 1}"
    title = f"Published for {label}"
    if doc.get("scorers", i, "status") == "failed":
        return Section(id=sid, title=title, blocks=(NotComputed(what=f"published figures for {label}", reason="the scorer failed"),))
    blocks: list[Block] = [facts(doc, [("epsilon spent on this scorer", ("scorers", i, "epsilon"), {"fmt": lambda x: f"{x:.4g}"})],
                                 id=f"{sid}-facts")]
    shares = doc.get("scorers", i, "tier_shares")
    if isinstance(shares, list) and shares:
        rows = [(Cell(text=str(s.get("tier"))), figure_cell(doc, ("scorers", i, "tier_shares", j, "share"), fmt_pct))
                for j, s in enumerate(shares) if isinstance(s, dict)]
        blocks.append(Table(id=f"{sid}-tiers", caption="Published share of people in each tier", columns=("tier", "share"),
                            rows=tuple(rows)))
    groups = doc.get("scorers", i, "groups")
    if isinstance(groups, dict):
        for attr, node in groups.items():
            if isinstance(node, dict):
                p = ("scorers", i, "groups", attr)
                if "_x_" not in attr:  # the 20 intersection cells stay in published.json; their lowest ratio is shown below
                    blocks.extend(_groups_blocks(doc, p, attr, id=f"{sid}-{slug(attr)}"))
                if is_number(_value(node.get("min_impact_ratio"))):
                    blocks.append(facts(doc, [
                        (f"lowest published impact ratio by {attr.replace('_x_', ' × ').replace('_', ' ')}",
                         (*p, "min_impact_ratio", "value"), {"fmt": fmt_ratio, "ci": (*p, "min_impact_ratio", "ci95")}),
                        ("four-fifths verdict (from the noisy figures)", (*p, "four_fifths_verdict"),
                         {"fmt": str, "optional": True}),
                    ], id=f"{sid}-{slug(attr)}-facts"))
    elif not isinstance(shares, list):
        blocks.extend(generic_blocks(doc, ("scorers", i), id=sid))
    return Section(id=sid, title=title, blocks=tuple(blocks))


def published_section(published: PublishedDocument | None, *, sid: str = "published") -> Section:
    """The published (noisy) figures and the privacy ledger, or "not computed" without ``--epsilon``."""
    title = "Published figures (differentially private) and the privacy ledger"
    if not isinstance(published, dict):
        return Section(id=sid, title=title, blocks=(NotComputed(
            what="differentially private publication",
            reason="the run was not given --epsilon, so nothing was published; every figure above is exact and private"),))
    doc = Doc(published, "published")
    blocks: list[Block] = [Paragraph(text=(
        "Every figure in this section comes from OpenDP measurements on the exact aggregates and carries its 95% "
        "interval from the noise scale. Only these figures may leave the harness."))]
    pv = ("privacy",)
    blocks.append(facts(doc, [
        ("definition", (*pv, "definition"), {"fmt": str, "optional": True}),
        ("privacy unit", (*pv, "unit"), {"fmt": str}),
        ("epsilon", (*pv, "epsilon"), {"fmt": lambda x: f"{x:g}"}),
        ("delta", (*pv, "delta"), {"fmt": lambda x: f"{x:g}"}),
        ("epsilon spent", (*pv, "epsilon_spent"), {"fmt": lambda x: f"{x:.6g}", "optional": True}),
        ("budget split", (*pv, "split", "rule"), {"fmt": str, "optional": True}),
        ("budget persisted across runs", (*pv, "budget", "persistent"), {"optional": True}),
        ("total budget (epsilon)", (*pv, "budget", "total_epsilon"), {"fmt": lambda x: f"{x:g}", "optional": True}),
        ("remaining budget (epsilon)", (*pv, "budget", "remaining_epsilon"), {"fmt": lambda x: f"{x:.6g}", "optional": True}),
    ], id=f"{sid}-privacy"))
    for key in ("intervals", "signed_and_nonnegative", "protected", "not_protected"):
        text = doc.get(*pv, key)
        if isinstance(text, str):
            blocks.append(Paragraph(text=f"{humanize_key(key).capitalize()}: {text}"))
    ledger = _ledger_path(doc)
    if ledger is not None:
        blocks.append(records_table(doc, ledger, _LEDGER_COLUMNS, id=f"{sid}-ledger",
                                    caption="Privacy ledger: every release and what it cost"))
    else:
        blocks.append(NotComputed(what="privacy ledger", reason="published.json has no ledger"))
    blocks.append(facts(doc, [
        ("tie bound D: most people whose ties to one friend are kept", (*pv, "tie_bound", "max_in_degree"),
         {"fmt": fmt_number, "optional": True}),
        ("tie bound K: most ties one person keeps", (*pv, "tie_bound", "max_friends"), {"fmt": fmt_number, "optional": True}),
        ("tie rule", (*pv, "tie_bound", "rule"), {"fmt": str, "optional": True}),
    ], id=f"{sid}-ties"))
    bounds = doc.get(*pv, "contribution_bounds")
    if isinstance(bounds, dict):
        rows = []
        for scorer, queries in bounds.items():
            if not isinstance(queries, dict):
                continue
            for q, b in queries.items():
                if isinstance(b, dict):
                    p = (*pv, "contribution_bounds", scorer, q)
                    rows.append((Cell(text=str(scorer)), Cell(text=str(q)), value_cell(doc, (*p, "sensitivity"), fmt=fmt_number),
                                 doc.cell(*p, "bound", fmt=str), doc.cell(*p, "unit", fmt=str)))
        blocks.append(Table(id=f"{sid}-bounds", caption="Contribution bounds: how much one person can change each query",
                            columns=("scorer", "query", "sensitivity", "bound", "unit"), rows=tuple(rows)))
    children = []
    scorers = doc.get("scorers")
    if isinstance(scorers, list):
        children = [_scorer_section(doc, i, sid=f"{sid}-s{i}") for i, s in enumerate(scorers) if isinstance(s, dict)]
    return Section(id=sid, title=title, blocks=tuple(blocks), children=tuple(children))
