"""Report sections that explain a disparity: attribution over rules, and errors against the ground truth.

Attribution (``disparity.attribution``): for each audited attribute and
outcome, the gap between the two groups compared and each rule's effect on it
and share of it. Ground truth (``disparity.ground_truth``, synthetic
populations only): wrongful sanctions per group, and sanction rates among
people of equal latent reliability — the equalised-odds view: are poorer
people sanctioned more at equal behaviour?
"""

from __future__ import annotations

from functools import partial
from typing import Any

from audit.report.model import (
    MISSING,
    Block,
    Cell,
    Doc,
    NotComputed,
    Paragraph,
    Section,
    Table,
    fmt_count,
    fmt_pct,
    group_label,
    is_number,
)
from audit.report.tables import (
    Column,
    facts,
    generic_blocks,
    humanize,
    records_table,
    value_cell,
)

__all__ = ["attribution_section", "ground_truth_section"]


def _points(x: float) -> str:
    return f"{100 * x:+.2f} pts"


def attribution_section(doc: Doc, base: tuple[Any, ...], *, sid: str) -> Section:
    """Each rule's effect on each gap, largest first."""
    title = "Which rule drives each gap (attribution over rules)"
    path = (*base, "attribution")
    node = doc.get(*path)
    if node is MISSING or node is None:
        return Section(id=sid, title=title, blocks=(NotComputed(what="attribution over rules"),))
    if not isinstance(node, dict) or not isinstance(node.get("by_attribute"), dict):
        return Section(id=sid, title=title, blocks=tuple(generic_blocks(doc, path, id=sid)))
    blocks: list[Block] = [facts(doc, [
        ("method", (*path, "method"), {"fmt": str}),
        ("people re-scored (person-hash sample)", (*path, "sample_size"), {"fmt": fmt_count}),
    ], id=f"{sid}-facts")]
    if isinstance(node.get("note"), str):
        blocks.append(Paragraph(text=node["note"]))
    for attr, outcomes in node["by_attribute"].items():
        if not isinstance(outcomes, dict):
            continue
        for outcome, part in outcomes.items():
            if not isinstance(part, dict) or not isinstance(part.get("rules"), dict):
                continue
            p = (*path, "by_attribute", attr, outcome)
            groups = part.get("groups")
            between = ""
            if isinstance(groups, list) and len(groups) == 2:
                between = f" between {group_label(attr, groups[0])} and {group_label(attr, groups[1])}"
            gap = part.get("gap")
            gap_text = f" (gap {_points(gap)})" if is_number(gap) else ""
            rules = sorted(part["rules"].items(), key=lambda kv: -abs(kv[1].get("effect") or 0) if isinstance(kv[1], dict) else 0)
            rows = []
            for rule, rec in rules:
                if not isinstance(rec, dict):
                    continue
                rows.append((Cell(text=str(rule), value=str(rule)),
                             value_cell(doc, (*p, "rules", rule, "effect"), fmt=_points),
                             value_cell(doc, (*p, "rules", rule, "share_of_gap"), fmt=fmt_pct)))
            blocks.append(Table(id=f"{sid}-{_slug(attr)}-{_slug(outcome)}",
                                caption=f"{humanize(outcome).capitalize()} rate gap by {humanize(attr)}{between}{gap_text}: "
                                        "each rule's effect, largest first",
                                columns=("rule", "effect on the gap", "share of the gap"), rows=tuple(rows)))
    return Section(id=sid, title=title, blocks=tuple(blocks))


_GT_COLUMNS = (
    ("n", "n", fmt_count), ("sanctioned", "sanctioned", fmt_count), ("wrongfully sanctioned", "wrongfully_sanctioned", fmt_count),
    ("wrongful sanction rate", "wrongful_sanction_rate", fmt_pct), ("false sanction rate", "false_sanction_rate", fmt_pct),
    ("missed sanction rate", "missed_sanction_rate", fmt_pct), ("sanction rate", "sanction_rate", fmt_pct),
    ("sanction rate if only genuine events", "sanction_rate_if_genuine", fmt_pct),
    ("favourable rate", "favourable_rate", fmt_pct), ("favourable rate if only genuine events", "favourable_rate_if_genuine", fmt_pct),
    ("wrongly unfavourable", "wrongly_unfavourable_rate", fmt_pct),
)


def _band(b: Any) -> str:
    if isinstance(b, list) and len(b) == 2 and all(is_number(x) for x in b):
        return f"{b[0]:g}–{b[1]:g}"
    return str(b)


def _equalised_odds(doc: Doc, path: tuple[Any, ...], attr: str, *, id: str) -> Block:
    bands = doc.get(*path, "by_reliability")
    if not isinstance(bands, list) or not bands:
        return NotComputed(what=f"sanction rates at equal reliability by {humanize(attr)}")
    groups: list[Any] = []
    for b in bands:
        for g in (b.get("groups") or []) if isinstance(b, dict) else []:
            if isinstance(g, dict) and g.get("group") not in groups:
                groups.append(g.get("group"))
    rows = []
    for i, b in enumerate(bands):
        if not isinstance(b, dict):
            continue
        by = {g.get("group"): j for j, g in enumerate(b.get("groups") or []) if isinstance(g, dict)}
        cells = [Cell(text=_band(b.get("band"))), value_cell(doc, (*path, "by_reliability", i, "n"), fmt=fmt_count)]
        for g in groups:
            j = by.get(g)
            cells.append(value_cell(doc, (*path, "by_reliability", i, "groups", j, "sanction_rate"), fmt=fmt_pct,
                                    ci=(*path, "by_reliability", i, "groups", j, "sanction_rate_ci")) if j is not None else Cell(text="—"))
        rows.append(tuple(cells))
    return Table(id=id, caption=f"Sanction rate at equal latent reliability, by {humanize(attr)} (equalised-odds view: "
                                "within a row, people behave alike)",
                 columns=("reliability band", "n", *(group_label(attr, g) for g in groups)), rows=tuple(rows))


def ground_truth_section(doc: Doc, base: tuple[Any, ...], *, sid: str) -> Section:
    """Wrongful sanctions and error rates against the population's ground truth."""
    title = "Errors against the ground truth"
    path = (*base, "ground_truth")
    node = doc.get(*path)
    if node is MISSING:
        return Section(id=sid, title=title, blocks=(NotComputed(what="ground-truth error rates"),))
    if node is None:
        return Section(id=sid, title=title, blocks=(NotComputed(
            what="ground-truth error rates", reason="the population is supplied, so the truth is unknown"),))
    if not isinstance(node, dict):
        return Section(id=sid, title=title, blocks=(NotComputed(what="ground-truth error rates"),))
    blocks: list[Block] = []
    if isinstance(node.get("note"), str):
        blocks.append(Paragraph(text=node["note"]))
    blocks.append(facts(doc, [(label, (*path, key), {"fmt": fmt, "ci": (*path, f"{key}_ci"), "optional": True})
                              for label, key, fmt in _GT_COLUMNS], id=f"{sid}-facts"))
    by = node.get("by_attribute")
    if isinstance(by, dict):
        for attr in by:
            if "×" in attr:  # intersections stay in results.json; the report shows each attribute
                continue
            p = (*path, "by_attribute", attr)
            cols = [Column(heading="group", key="group", label=partial(group_label, attr))]
            cols += [Column(heading=h, key=k, fmt=f, ci=f"{k}_ci") for h, k, f in _GT_COLUMNS]
            blocks.append(records_table(doc, (*p, "groups"), cols, id=f"{sid}-{_slug(attr)}",
                                        caption=f"Errors by {humanize(attr)}"))
            if "×" not in attr:
                blocks.append(_equalised_odds(doc, p, attr, id=f"{sid}-{_slug(attr)}-reliability"))
    return Section(id=sid, title=title, blocks=tuple(blocks))


def _slug(text: Any) -> str:
    from audit.report.model import slug

    return slug(text)
