"""The report's section on differentially private publication (``published.json``).

Shows the privacy parameters and what they protect, the budget ledger (which
query, which mechanism, which scale, what it cost), the contribution bounds,
and each scorer's published noisy figures with their 95% intervals: per-group
rates and impact ratios (with the four-fifths line) and tier shares. Only
figures from ``published.json`` appear here; their pointers are
``published#/...``. A published figure is ``{value, ci95, ledger_entries}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from audit.report.model import (
    MISSING,
    Block,
    Cell,
    Facts,
    NotComputed,
    Paragraph,
    Ptr,
    Section,
    Table,
    cell,
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
from audit.report.tables import Column, figure, table_of
from audit.results.model import Figure, PublishedAttribute, PublishedDocument, PublishedGroup, PublishedScorer

__all__ = ["figure_cell", "published_section"]

_LEDGER_COLUMNS = (
    Column(heading="entry", key="id", fmt=str), Column(heading="query", key="query", fmt=str),
    Column(heading="scorer", key="scorer", fmt=str), Column(heading="mechanism", key="mechanism", fmt=str),
    Column(heading="noise scale", key="scale", fmt=fmt_number), Column(heading="sensitivity", key="sensitivity", fmt=fmt_number),
    Column(heading="epsilon", key="epsilon", fmt=lambda x: f"{x:.4g}"), Column(heading="delta", key="delta", fmt=lambda x: f"{x:.3g}"),
    Column(heading="this release", key="this_release"),
)

#: The top of ``published.json``.
PUBLISHED = Ptr("published")


def figure_cell(node: Figure | None, at: Ptr, fmt: Callable[[Any], str]) -> Cell:
    """A published figure ``{value, ci95}`` at ``at`` with its interval (a dash where it is ``null``)."""
    if node is None:
        return cell(None, at, fmt=fmt)
    return figure(node["value"], at / "value", fmt=fmt, ci=(node["ci95"], at / "ci95"))


def _value(node: Figure | None) -> float | None:
    v = node["value"] if node is not None else None
    return float(v) if is_number(v) else None


def _ci(node: Figure | None) -> list[float] | None:
    ci = node["ci95"] if node is not None else None
    return ci if ci is not None and len(ci) == 2 and all(is_number(x) for x in ci) else None


def _group_figures(g: PublishedGroup) -> list[tuple[str, str, Figure | None, Callable[[Any], str]]]:
    """A group's figures as ``(heading, key, figure, format)``; ``mean_score`` only when published."""
    return [("people (noisy)", "n", g["n"], fmt_count), ("favourable rate", "favourable_rate", g["favourable_rate"], fmt_pct),
            ("impact ratio", "impact_ratio", g["impact_ratio"], fmt_ratio),
            ("adverse (sanction) rate", "adverse_rate", g["adverse_rate"], fmt_pct),
            *((("mean score", "mean_score", g["mean_score"], fmt_number),) if "mean_score" in g else ())]


def _groups_blocks(node: PublishedAttribute, at: Ptr, attr: str, *, id: str) -> list[Block]:
    groups = node["groups"]
    if not groups:
        return []
    with_mean = any("mean_score" in g for g in groups)
    rows = []
    for i, g in enumerate(groups):
        gat = at / "groups" / i
        row = [Cell(text=group_label(attr, g["group"]), value=g["group"] if isinstance(g["group"], (int, str)) else None,
                    source=(gat / "group").source)]
        row += [figure_cell(f, gat / k, fmt) for _, k, f, fmt in _group_figures(g)]
        if with_mean and "mean_score" not in g:
            row.append(cell(MISSING, gat / "mean_score"))
        row.append(cell(g["excluded_from_ratios"], gat / "excluded_from_ratios"))
        rows.append(tuple(row))
    headings = [h for h, _, _, _ in _group_figures(groups[0])]
    if with_mean and "mean score" not in headings:
        headings.append("mean score")
    name = attr.replace("_x_", " × ").replace("_", " ")
    blocks: list[Block] = [Table(id=id, caption=f"Published by {name} (noisy; 95% intervals per figure)",
                                 columns=("group", *headings, "excluded from ratios"), rows=tuple(rows))]
    if "_x_" not in attr:
        labels = [group_label(attr, g["group"]) for g in groups]
        values = [_value(g["impact_ratio"]) for g in groups]
        cis = [_ci(g["impact_ratio"]) for g in groups]
        title = f"Published impact ratios by {name}, with 95% intervals and the four-fifths line"
        blocks.append(plot_block(f"{id}-impact-plot", title, interval_dots(f"{id}-impact-plot", title, labels, values, cis)))
    return blocks


def _attributes(scorer: PublishedScorer) -> dict[str, PublishedAttribute]:
    """The scorer's published attributes by key (``groups`` also holds ``total``, the noisy number of people)."""
    groups: dict[str, Any] = dict(scorer["groups"])
    return {k: v for k, v in groups.items() if k != "total"}


def _scorer_section(scorer: PublishedScorer, at: Ptr, *, sid: str) -> Section:
    blocks: list[Block] = [Facts(id=f"{sid}-facts", items=(
        ("epsilon spent on this scorer", cell(scorer["epsilon"], at / "epsilon", fmt=lambda x: f"{x:.4g}")),))]
    shares = scorer["tier_shares"]
    if shares:
        rows = [(Cell(text=s["tier"]), figure_cell(s["share"], at / "tier_shares" / j / "share", fmt_pct))
                for j, s in enumerate(shares)]
        blocks.append(Table(id=f"{sid}-tiers", caption="Published share of people in each tier", columns=("tier", "share"),
                            rows=tuple(rows)))
    for attr, node in _attributes(scorer).items():
        p = at / "groups" / attr
        if "_x_" not in attr:  # the 20 intersection cells stay in published.json; their lowest ratio is shown below
            blocks.extend(_groups_blocks(node, p, attr, id=f"{sid}-{slug(attr)}"))
        lowest = node["min_impact_ratio"]
        if lowest is not None and is_number(lowest["value"]):
            blocks.append(Facts(id=f"{sid}-{slug(attr)}-facts", items=(
                (f"lowest published impact ratio by {attr.replace('_x_', ' × ').replace('_', ' ')}",
                 figure(lowest["value"], p / "min_impact_ratio" / "value", fmt=fmt_ratio,
                        ci=(lowest["ci95"], p / "min_impact_ratio" / "ci95"))),
                ("four-fifths verdict (from the noisy figures)",
                 cell(node["four_fifths_verdict"], p / "four_fifths_verdict", fmt=str)),
            )))
    return Section(id=sid, title=f"Published for {scorer['label']}", blocks=tuple(blocks))


def published_section(published: PublishedDocument | None, *, sid: str = "published") -> Section:
    """The published (noisy) figures and the privacy ledger, or "not computed" without ``--epsilon``."""
    title = "Published figures (differentially private) and the privacy ledger"
    if published is None:
        return Section(id=sid, title=title, blocks=(NotComputed(
            what="differentially private publication",
            reason="the run was not given --epsilon, so nothing was published; every figure above is exact and private"),))
    blocks: list[Block] = [Paragraph(text=(
        "Every figure in this section comes from OpenDP measurements on the exact aggregates and carries its 95% "
        "interval from the noise scale. Only these figures may leave the harness."))]
    privacy, pv = published["privacy"], PUBLISHED / "privacy"
    split, budget, ties = privacy["split"], privacy["budget"], privacy["tie_bound"]
    blocks.append(Facts(id=f"{sid}-privacy", items=(
        ("definition", cell(privacy["definition"], pv / "definition", fmt=str)),
        ("privacy unit", cell(privacy["unit"], pv / "unit", fmt=str)),
        ("epsilon", cell(privacy["epsilon"], pv / "epsilon", fmt=lambda x: f"{x:g}")),
        ("delta", cell(privacy["delta"], pv / "delta", fmt=lambda x: f"{x:g}")),
        ("epsilon spent", cell(privacy["epsilon_spent"], pv / "epsilon_spent", fmt=lambda x: f"{x:.6g}")),
        ("budget split", cell(split["rule"], pv / "split" / "rule", fmt=str)),
        ("budget persisted across runs", cell(budget["persistent"], pv / "budget" / "persistent")),
        ("total budget (epsilon)", cell(budget["total_epsilon"], pv / "budget" / "total_epsilon", fmt=lambda x: f"{x:g}")),
        ("remaining budget (epsilon)", cell(budget["remaining_epsilon"], pv / "budget" / "remaining_epsilon",
                                            fmt=lambda x: f"{x:.6g}")),
    )))
    for key, text in (("intervals", privacy["intervals"]), ("signed_and_nonnegative", privacy["signed_and_nonnegative"]),
                      ("protected", privacy["protected"]), ("not_protected", privacy["not_protected"])):
        blocks.append(Paragraph(text=f"{humanize_key(key).capitalize()}: {text}"))
    # the ledger's rows through the column-declared records table (its columns are LedgerRecord's keys)
    blocks.append(table_of(published["ledger"], PUBLISHED / "ledger", _LEDGER_COLUMNS, id=f"{sid}-ledger",
                           caption="Privacy ledger: every release and what it cost"))
    tb = pv / "tie_bound"
    blocks.append(Facts(id=f"{sid}-ties", items=(
        ("tie bound D: most people whose ties to one friend are kept",
         cell(ties["max_in_degree"], tb / "max_in_degree", fmt=fmt_number)),
        ("tie bound K: most ties one person keeps", cell(ties["max_friends"], tb / "max_friends", fmt=fmt_number)),
        ("tie rule", cell(ties["rule"], tb / "rule", fmt=str)),
    )))
    rows = []
    for scorer, queries in privacy["contribution_bounds"].items():
        for q, b in queries.items():
            p = pv / "contribution_bounds" / scorer / q
            rows.append((Cell(text=scorer), Cell(text=q), figure(b["sensitivity"], p / "sensitivity", fmt=fmt_number),
                         cell(b["bound"], p / "bound", fmt=str), cell(b["unit"], p / "unit", fmt=str)))
    blocks.append(Table(id=f"{sid}-bounds", caption="Contribution bounds: how much one person can change each query",
                        columns=("scorer", "query", "sensitivity", "bound", "unit"), rows=tuple(rows)))
    children = [_scorer_section(s, PUBLISHED / "scorers" / i, sid=f"{sid}-s{i}") for i, s in enumerate(published["scorers"])]
    return Section(id=sid, title=title, blocks=tuple(blocks), children=tuple(children))
