"""Report sections for the replay audits of appeal and reversibility (spill-over and contagion: :mod:`audit.report.spillover`).

Each renders its results.json section: the known headline figures first (the
appeal funnel by education, recovery curves per income quintile, the
spill-over matrix as a heat map), then every other figure the section holds,
so nothing the audit computed is hidden. A section that is absent, or that
says it is not available (e.g. appeal on a supplied population without
ground truth), is shown as not computed with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from audit.report.model import (
    MISSING,
    Block,
    Cell,
    Doc,
    Facts,
    NotComputed,
    Section,
    Table,
    fmt_count,
    fmt_months,
    fmt_pct,
    fmt_ratio,
    group_label,
    is_number,
)
from audit.report.plots import funnel, line_chart, plot_block
from audit.report.tables import Column, facts, generic_blocks, records_table, value_cell

__all__ = ["appeal_section", "guess_columns", "recovery_curves", "replay_section", "rest_blocks", "reversibility_section",
           "sample_blocks", "unavailable"]


def unavailable(doc: Doc, path: tuple[Any, ...], what: str) -> NotComputed | None:
    node = doc.get(*path)
    if node is MISSING or node is None:
        return NotComputed(what=what)
    if isinstance(node, dict) and (node.get("available") is False or node.get("applicable") is False):
        reason = node.get("reason")
        return NotComputed(what=what, reason=str(reason) if reason else "not applicable to this scorer or population")
    if not isinstance(node, dict):
        return NotComputed(what=what, reason="the section is not a table of figures")
    return None


def _group_table(doc: Doc, path: tuple[Any, ...], attr: str, keys: list[tuple[str, str, Any]], *, id: str, caption: str) -> Block:
    cols = [Column(heading="group", key="group", label=lambda g: group_label(attr, g))]
    cols += [Column(heading=h, key=k, fmt=f, ci=f"{k}_ci") for h, k, f in keys]
    return records_table(doc, path, cols, id=id, caption=caption)


_FILING_KEYS = [
    ("people sampled", "n", fmt_count),
    ("with an adverse event", "n_adverse", fmt_count),
    ("adverse events", "adverse_events", fmt_count),
    ("appeals filed", "filed", fmt_count),
    ("appeals won", "succeeded", fmt_count),
    ("misrecorded events appealed", "wrong_filed", fmt_count),
    ("misrecorded events overturned", "wrong_succeeded", fmt_count),
    ("filing rate", "filing_rate", fmt_pct),
    ("success rate if wrong", "success_rate_if_wrong", fmt_pct),
]
_REMEDY_KEYS = [
    ("misrecorded adverse events", "wrong_events", fmt_count),
    ("people wrongly sanctioned", "n_wronged", fmt_count),
    ("remedied by appeal", "remedied", fmt_count),
    ("remedy rate", "remedy_rate", fmt_pct),
    ("wrongful sanction rate before appeals", "wrongful_sanction_rate_before", fmt_pct),
    ("wrongful sanction rate after appeals", "wrongful_sanction_rate_after", fmt_pct),
    ("median months to remedy", "median_months_to_remedy", fmt_months),
]
_APPEAL_KEYS = _FILING_KEYS + _REMEDY_KEYS


#: Funnel stages: (key in each group record, label). Misrecorded adverse events → appealed → overturned.
FUNNEL = (("wrong_events", "misrecorded adverse events"), ("wrong_filed", "appealed"), ("wrong_succeeded", "overturned"))


def appeal_funnel(doc: Doc, path: tuple[Any, ...], attr: str, *, id: str) -> Block:
    """Misrecorded adverse events → appealed → overturned, per group."""
    groups = doc.get(*path)
    name = attr.replace("_", " ")
    title = f"Appeal funnel by {name}: misrecorded adverse events → appealed → overturned"
    needed = [k for k, _ in FUNNEL]
    if not isinstance(groups, list) or not groups or not all(isinstance(g, dict) and all(k in g for k in needed) for g in groups):
        return NotComputed(what=f"appeal funnel by {name}", reason="the appeal section has no per-group funnel counts")
    labels = [group_label(attr, g.get("group")) for g in groups]
    counts = [[g[k] if is_number(g[k]) else None for k in needed] for g in groups]
    drawn = funnel(id, title, labels, [label for _, label in FUNNEL], counts)
    rows = [(Cell(text=label), *(value_cell(doc, (*path, i, k), fmt=fmt_count) for k in needed)) for i, label in enumerate(labels)]
    data = Table(id=f"{id}-data", caption=title, columns=("group", *(label for _, label in FUNNEL)), rows=tuple(rows))
    return plot_block(id, title + " (bars are shares of each group's misrecorded adverse events)", drawn, data)


def replay_section(doc: Doc, path: tuple[Any, ...], *, sid: str, title: str, what: str, known: Collection[str],
                   body: Callable[[Doc, tuple[Any, ...], str], list[Block]]) -> Section:
    """A replay audit's section: ``body``'s blocks, then every figure whose key is not in ``known``.

    When the audit is absent or says it is not available, the section holds
    only a "not computed" block naming ``what`` (and the reason, if given).
    """
    missing = unavailable(doc, path, what)
    if missing:
        return Section(id=sid, title=title, blocks=(missing,))
    blocks = body(doc, path, sid)
    if isinstance(doc.get(*path, "sample"), dict):
        blocks.extend(sample_blocks(doc, path, sid=sid))
    rest = [k for k in doc.get(*path) if k not in known and k != "sample"]
    if rest:
        blocks.extend(rest_blocks(doc, path, rest, sid))
    return Section(id=sid, title=title, blocks=tuple(blocks))


_STRATA_COLUMNS = (
    Column(heading="stratum", key="stratum", label=str),
    Column(heading="people in the population", key="population", fmt=fmt_count),
    Column(heading="people replayed", key="sampled", fmt=fmt_count),
)


def sample_blocks(doc: Doc, path: tuple[Any, ...], *, sid: str) -> list[Block]:
    """Who the replay sample holds: the size rule and each stratum's population and draw (:mod:`audit.replay.strata`)."""
    rule = doc.get(*path, "sample", "rule")
    return [records_table(doc, (*path, "sample", "strata"), _STRATA_COLUMNS, id=f"{sid}-sample",
                          caption="Replay sample by stratum (shares are weighted back to the population)",
                          note=str(rule) if isinstance(rule, str) else None)]


_APPEAL_KNOWN = ("available", "sample_size", "overall", "by_education", "by_income_quintile", "max_appeals_per_person",
                 "decision_months", "remedy_rate_ratio_lowest_to_highest_education")


def appeal_section(doc: Doc, index: int, *, sid: str) -> Section:
    """The appeal audit: who appeals, who wins, what wrongful sanctions remain, per group."""
    return replay_section(doc, ("scorers", index, "appeal"), sid=sid, title="Appeal: are equally wronged people remedied equally?",
                          what="appeal audit", known=_APPEAL_KNOWN, body=_appeal_blocks)


def _appeal_blocks(doc: Doc, path: tuple[Any, ...], sid: str) -> list[Block]:
    blocks: list[Block] = [facts(doc, [
        ("people sampled", (*path, "sample_size"), {"fmt": fmt_count}),
        ("appeals one person may file", (*path, "max_appeals_per_person"), {"fmt": fmt_count, "optional": True}),
        ("months until a decision", (*path, "decision_months"), {"fmt": fmt_months, "optional": True}),
        ("remedy rate, lowest ÷ highest education", (*path, "remedy_rate_ratio_lowest_to_highest_education"),
         {"fmt": fmt_ratio, "optional": True}),
    ], id=f"{sid}-facts")]
    blocks.append(appeal_funnel(doc, (*path, "by_education"), "education", id=f"{sid}-funnel"))
    for attr in ("education", "income_quintile"):
        name = attr.replace("_", " ")
        blocks.append(_with_overall(doc, path, _group_table(doc, (*path, f"by_{attr}"), attr, _FILING_KEYS, id=f"{sid}-{attr}",
                                                            caption=f"Who appeals and who wins, by {name}")))
        blocks.append(_with_overall(doc, path, _group_table(doc, (*path, f"by_{attr}"), attr, _REMEDY_KEYS,
                                                            id=f"{sid}-{attr}-remedy",
                                                            caption=f"Wrongful sanctions and their remedy, by {name}")))
    return blocks


def _with_overall(doc: Doc, path: tuple[Any, ...], table: Block) -> Block:
    """Append the section's ``overall`` record as a last row "all" (same columns)."""
    if not isinstance(table, Table) or not isinstance(doc.get(*path, "overall"), dict):
        return table
    heading_key = {h: k for h, k, _ in _APPEAL_KEYS}
    fmts = {k: f for _, k, f in _APPEAL_KEYS}
    row = [Cell(text="all")]
    for heading in table.columns[1:]:
        key = heading_key.get(heading)
        row.append(value_cell(doc, (*path, "overall", key), fmt=fmts[key], ci=(*path, "overall", f"{key}_ci"))
                   if key else Cell(text="—"))
    return Table(id=table.id, caption=table.caption, columns=table.columns, rows=(*table.rows, tuple(row)), note=table.note)


def rest_blocks(doc: Doc, path: tuple[Any, ...], keys: list[str], sid: str) -> list[Block]:
    """Every other figure of a section, rendered generically."""
    node = doc.get(*path)
    out: list[Block] = []
    sub = {k: node[k] for k in keys}
    tmp = Doc({"x": sub}, doc.name)
    for block in generic_blocks(tmp, ("x",), id=f"{sid}-more"):
        out.append(_rebase(block, doc.source(*path), tmp.source("x")))
    return out


def _rebase(block: Block, real: str, fake: str) -> Block:
    """Point a block rendered from a sub-document back into the real document."""
    def fix(cell: Cell) -> Cell:
        src = cell.source.replace(fake, real, 1) if cell.source else None
        ci = (fix(cell.ci[0]), fix(cell.ci[1])) if cell.ci else None
        return Cell(text=cell.text, value=cell.value, source=src, kind=cell.kind, flag=cell.flag, title=cell.title, ci=ci)

    if isinstance(block, Table):
        return Table(id=block.id, caption=block.caption, columns=block.columns,
                     rows=tuple(tuple(fix(c) for c in row) for row in block.rows), note=block.note)
    if isinstance(block, Facts):
        return Facts(id=block.id, items=tuple((k, fix(v)) for k, v in block.items))
    return block


# ----------------------------------------------------------------------------- reversibility


def recovery_curves(node: Any, attr: str = "income_quintile") -> list[tuple[Any, list[float], list[float], tuple[Any, ...]]]:
    """Per-group recovery curves from a ``reversibility.recovery`` section, in any of the shapes it may take.

    Returns ``(group, months, shares, path-from-recovery)`` per group. Accepted
    shapes: ``by_<attr>[i].curve = [{month, share_recovered}]``;
    ``curves_by_<attr> = {group: [{month, share_recovered}]}`` or a list of
    ``{group, curve}``.
    """
    if not isinstance(node, dict):
        return []
    out: list[tuple[Any, list[float], list[float], tuple[Any, ...]]] = []
    groups = node.get(f"by_{attr}")
    if isinstance(groups, list) and any(isinstance(g, dict) and isinstance(g.get("curve"), list) for g in groups):
        for i, g in enumerate(groups):
            if isinstance(g, dict) and isinstance(g.get("curve"), list):
                xs, ys = _curve_points(g["curve"])
                out.append((g.get("group"), xs, ys, (f"by_{attr}", i, "curve")))
        return out
    for key in (f"curves_by_{attr}", f"curve_by_{attr}", "curves"):
        curves = node.get(key)
        if isinstance(curves, dict):
            for group, curve in curves.items():
                xs, ys = _curve_points(curve)
                out.append((_group_key(group), xs, ys, (key, group)))
            return out
        if isinstance(curves, list):
            for i, c in enumerate(curves):
                if isinstance(c, dict) and isinstance(c.get("curve"), list):
                    xs, ys = _curve_points(c["curve"])
                    out.append((c.get("group"), xs, ys, (key, i, "curve")))
            return out
    return out


def _group_key(text: Any) -> Any:
    try:
        return int(text)
    except (TypeError, ValueError):
        return text


def _curve_points(curve: Any) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    if isinstance(curve, list):
        for p in curve:
            if isinstance(p, dict):
                x = p.get("month", p.get("months"))
                y = p.get("share_recovered", p.get("share"))
            elif isinstance(p, list) and len(p) == 2:
                x, y = p
            else:
                continue
            if is_number(x) and is_number(y):
                xs.append(float(x))
                ys.append(float(y))
    elif isinstance(curve, dict) and isinstance(curve.get("month"), list):
        xs = [float(x) for x in curve["month"]]
        ys = [float(y) for y in curve.get("share_recovered", [])]
    return xs, ys


def recovery_plot(doc: Doc, path: tuple[Any, ...], *, id: str) -> Block:
    """Share recovered against months since the penalty, one line per income quintile."""
    curves = recovery_curves(doc.get(*path), "income_quintile")
    title = "Recovery curves: share who regained their pre-penalty tier, by months of best feasible behaviour, per income quintile"
    if not curves:
        overall = doc.get(*path, "curve")
        xs, ys = _curve_points(overall)
        if not xs:
            return NotComputed(what="recovery curves per income quintile")
        curves = [("all", xs, ys, ("curve",))]
    series = [{"name": group_label("income_quintile", g), "x": xs, "y": ys} for g, xs, ys, _ in curves]
    drawn = line_chart(id, title, series, xlabel="months after the penalty", ylabel="share recovered", ylim=(0.0, 1.0),
                     step=True, percent=True)
    months = sorted({x for _, xs, _, _ in curves for x in xs})
    marks = [m for m in (3, 6, 12, 24, 36, 60, 120) if any(x >= m for x in months)]
    rows = []
    for g, xs, ys, _ in curves:
        cells = [Cell(text=group_label("income_quintile", g))]
        for m in marks:
            y = _at(xs, ys, m)
            cells.append(Cell(text=fmt_pct(y), value=y, kind="number") if y is not None else Cell(text="—"))
        rows.append(tuple(cells))
    data = Table(id=f"{id}-data", caption="Share recovered by month (read from the curves)",
                 columns=("group", *(f"{m:g} months" for m in marks)), rows=tuple(rows))
    return plot_block(id, title, drawn, data)


def _at(xs: list[float], ys: list[float], m: float) -> float | None:
    best = None
    for x, y in zip(xs, ys):
        if x <= m:
            best = y
    return best


_RECOVERY_KEYS = [
    ("people", "n", fmt_count),
    ("median months", "median_months", fmt_months),
    ("90th percentile months", "p90_months", fmt_months),
    ("never recovering", "never_share", fmt_pct),
]
_REVERSIBILITY_KNOWN = {"sample_size", "overturn_checked", "overturn_violations", "absorbing_share", "absorbing_share_ci", "recovery",
                        "recourse_cost_ratio", "duration_cap_violations", "duration_cap_months", "duration_checked",
                        "duration_violation_share", "duration_violation_share_ci", "longest_spell_months", "horizon_months",
                        "overturn_restores_state"}


def reversibility_section(doc: Doc, index: int, *, sid: str) -> Section:
    """Reversibility: overturn restores state, recovery times, absorbing states, recourse cost."""
    return replay_section(doc, ("scorers", index, "reversibility"), sid=sid,
                          title="Reversibility: can a penalty be undone, and how long does it take?",
                          what="reversibility audit", known=_REVERSIBILITY_KNOWN, body=_reversibility_blocks)


def _reversibility_blocks(doc: Doc, path: tuple[Any, ...], sid: str) -> list[Block]:
    rec = (*path, "recovery")
    violations = doc.get(*path, "overturn_violations")
    blocks: list[Block] = [facts(doc, [
        ("people sampled", (*path, "sample_size"), {"fmt": fmt_count, "optional": True}),
        ("overturn checks", (*path, "overturn_checked"), {"fmt": fmt_count}),
        ("overturn violations (state not restored)", (*path, "overturn_violations"),
         {"fmt": fmt_count, "flag": "bad" if is_number(violations) and violations > 0 else None}),
        ("sanctioned people in an absorbing state", (*path, "absorbing_share"), {"fmt": fmt_pct, "ci": (*path, "absorbing_share_ci")}),
        ("people with one penalty followed", (*rec, "n"), {"fmt": fmt_count, "optional": True}),
        ("median months to recover", (*rec, "median_months"), {"fmt": fmt_months, "ci": (*rec, "median_months_ci")}),
        ("90th percentile months to recover", (*rec, "p90_months"), {"fmt": fmt_months, "ci": (*rec, "p90_months_ci")}),
        ("never recovering within the horizon", (*rec, "never_share"), {"fmt": fmt_pct, "ci": (*rec, "never_share_ci")}),
        ("recourse cost, poorest ÷ richest quintile (median)", (*path, "recourse_cost_ratio"), {"fmt": fmt_ratio}),
        ("statutory maximum sanction (months)", (*path, "duration_cap_months"), {"fmt": fmt_months, "optional": True}),
        ("sanctioned people checked against it", (*path, "duration_checked"), {"fmt": fmt_count, "optional": True}),
        ("sanctioned longer than the statutory maximum", (*path, "duration_cap_violations"), {"fmt": fmt_count}),
        ("share sanctioned longer than the maximum", (*path, "duration_violation_share"),
         {"fmt": fmt_pct, "ci": (*path, "duration_violation_share_ci"), "optional": True}),
        ("longest sanction spell (months)", (*path, "longest_spell_months"), {"fmt": fmt_months, "optional": True}),
        ("recovery horizon (months)", (*path, "horizon_months"), {"fmt": fmt_months, "optional": True}),
    ], id=f"{sid}-facts")]
    blocks.append(recovery_plot(doc, rec, id=f"{sid}-recovery-plot"))
    for attr in ("income_quintile", "education"):
        blocks.append(_group_table(doc, (*rec, f"by_{attr}"), attr, _RECOVERY_KEYS, id=f"{sid}-recovery-{attr}",
                                   caption=f"Recovery by {attr.replace('_', ' ')}"))
    return blocks


def guess_columns(doc: Doc, path: tuple[Any, ...], attr: str) -> list[Column]:
    """Columns for a list of per-group records of unknown keys (``group`` first, intervals with their values)."""
    records = doc.get(*path)
    keys: list[str] = []
    for r in records if isinstance(records, list) else []:
        if isinstance(r, dict):
            keys += [k for k, v in r.items() if k not in keys and not k.endswith("_ci") and not isinstance(v, (dict, list))]
    cols: list[Column] = []
    for k in keys:
        if k == "group":
            cols.insert(0, Column(heading="group", key="group", label=lambda g: group_label(attr, g)))
        else:
            cols.append(Column(heading=k.replace("_", " "), key=k, ci=f"{k}_ci"))
    return cols
