"""Report sections for the replay audits of appeal and reversibility (spill-over and contagion: :mod:`audit.report.spillover`).

Each renders its results.json section: the known headline figures first (the
appeal funnel by education, recovery curves per income quintile, the
spill-over matrix as a heat map), then every other figure the section holds,
so nothing the audit computed is hidden. A section that is absent, or that
says it is not available (e.g. appeal on a supplied population without
ground truth), is shown as not computed with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, cast

from audit.report.model import (
    MISSING,
    Block,
    Cell,
    Facts,
    NotComputed,
    Ptr,
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
from audit.report.tables import Column, blocks_of, figure, table_of
from audit.results.model import AppealGroup, AppealSection, GroupLabel, ReversibilitySection, SampleSummary, ScorerEntry
from audit.results.model.replay import CurvePoint, RecoverySection

__all__ = ["appeal_section", "guess_columns", "recovery_curves", "replay_section", "rest_blocks", "reversibility_section",
           "sample_blocks", "section_of", "unavailable"]


def unavailable(node: object, what: str) -> NotComputed | None:
    """"Not computed" for a replay section that is absent (:data:`MISSING`) or says it is not available or not
    applicable (with its reason); ``None`` for a section of figures."""
    if node is MISSING or node is None:
        return NotComputed(what=what)
    if not isinstance(node, Mapping):
        return NotComputed(what=what, reason="the section is not a table of figures")
    if node.get("available") is False or node.get("applicable") is False:
        reason = node.get("reason")
        return NotComputed(what=what, reason=str(reason) if reason else "not applicable to this scorer or population")
    return None


def section_of(entry: ScorerEntry, key: str) -> object:
    """A scorer's replay section ``key`` (``appeal``, ``reversibility``, ``spillover``, ``contagion``), or :data:`MISSING`.

    The sections are looked up by name because :func:`replay_section` treats the four alike: each is a section of
    figures or a not-applicable / unavailable record, which :func:`unavailable` tells apart.
    """
    return cast(Mapping[str, Any], entry).get(key, MISSING)


def _group_table(groups: object, at: Ptr, attr: str, keys: list[tuple[str, str, Any]], *, id: str, caption: str) -> Block:
    cols = [Column(heading="group", key="group", label=lambda g: group_label(attr, g))]
    cols += [Column(heading=h, key=k, fmt=f, ci=f"{k}_ci") for h, k, f in keys]
    return table_of(groups, at, cols, id=id, caption=caption)


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


#: Funnel stages: misrecorded adverse events → appealed → overturned.
FUNNEL = (("wrong_events", "misrecorded adverse events"), ("wrong_filed", "appealed"), ("wrong_succeeded", "overturned"))


def appeal_funnel(groups: list[AppealGroup], at: Ptr, attr: str, *, id: str) -> Block:
    """Misrecorded adverse events → appealed → overturned, per group (``at`` points to ``groups``)."""
    name = attr.replace("_", " ")
    title = f"Appeal funnel by {name}: misrecorded adverse events → appealed → overturned"
    if not groups:
        return NotComputed(what=f"appeal funnel by {name}", reason="the appeal section has no per-group funnel counts")
    labels = [group_label(attr, g["group"]) for g in groups]
    counts: list[list[int | None]] = [[g["wrong_events"], g["wrong_filed"], g["wrong_succeeded"]] for g in groups]
    drawn = funnel(id, title, labels, [label for _, label in FUNNEL], counts)
    rows = [(Cell(text=label), *(figure(value, at / i / key, fmt=fmt_count) for value, (key, _) in zip(counts[i], FUNNEL)))
            for i, label in enumerate(labels)]
    data = Table(id=f"{id}-data", caption=title, columns=("group", *(label for _, label in FUNNEL)), rows=tuple(rows))
    return plot_block(id, title + " (bars are shares of each group's misrecorded adverse events)", drawn, data)


def replay_section(node: object, at: Ptr, *, sid: str, title: str, what: str, known: Collection[str],
                   body: Callable[[Any, Ptr, str], list[Block]]) -> Section:
    """A replay audit's section (``node``, read at ``at``): ``body``'s blocks, then every figure whose key is not in
    ``known`` (rendered by :func:`rest_blocks`, so nothing an audit adds is hidden).

    When the audit is absent or says it is not available, the section holds
    only a "not computed" block naming ``what`` (and the reason, if given).
    """
    missing = unavailable(node, what)
    if missing:
        return Section(id=sid, title=title, blocks=(missing,))
    section = cast(Mapping[str, Any], node)
    blocks = body(section, at, sid)
    if isinstance(section.get("sample"), dict):
        blocks.extend(sample_blocks(section["sample"], at / "sample", sid=sid))
    rest = [k for k in section if k not in known and k != "sample"]
    if rest:
        blocks.extend(rest_blocks(section, at, rest, sid))
    return Section(id=sid, title=title, blocks=tuple(blocks))


_STRATA_COLUMNS = (
    Column(heading="stratum", key="stratum", label=str),
    Column(heading="people in the population", key="population", fmt=fmt_count),
    Column(heading="people replayed", key="sampled", fmt=fmt_count),
)


def sample_blocks(sample: SampleSummary, at: Ptr, *, sid: str) -> list[Block]:
    """Who the replay sample holds: the size rule and each stratum's population and draw (:mod:`audit.replay.strata`)."""
    return [table_of(sample["strata"], at / "strata", _STRATA_COLUMNS, id=f"{sid}-sample",
                     caption="Replay sample by stratum (shares are weighted back to the population)", note=sample["rule"])]


_APPEAL_KNOWN = ("available", "sample_size", "overall", "by_education", "by_income_quintile", "max_appeals_per_person",
                 "decision_months", "remedy_rate_ratio_lowest_to_highest_education")


def appeal_section(entry: ScorerEntry, at: Ptr, *, sid: str) -> Section:
    """The appeal audit of the scorer ``entry`` (read at ``at``): who appeals, who wins, what wrongful sanctions remain."""
    return replay_section(section_of(entry, "appeal"), at / "appeal", sid=sid,
                          title="Appeal: are equally wronged people remedied equally?",
                          what="appeal audit", known=_APPEAL_KNOWN, body=_appeal_blocks)


def _appeal_blocks(node: AppealSection, at: Ptr, sid: str) -> list[Block]:
    items = [("people sampled", figure(node["sample_size"] if "sample_size" in node else MISSING, at / "sample_size",
                                       fmt=fmt_count))]
    if "max_appeals_per_person" in node:
        items.append(("appeals one person may file", figure(node["max_appeals_per_person"], at / "max_appeals_per_person",
                                                            fmt=fmt_count)))
    if "decision_months" in node:
        items.append(("months until a decision", figure(node["decision_months"], at / "decision_months", fmt=fmt_months)))
    if "remedy_rate_ratio_lowest_to_highest_education" in node:
        key = "remedy_rate_ratio_lowest_to_highest_education"
        items.append(("remedy rate, lowest ÷ highest education",
                      figure(node["remedy_rate_ratio_lowest_to_highest_education"], at / key, fmt=fmt_ratio)))
    blocks: list[Block] = [Facts(id=f"{sid}-facts", items=tuple(items))]
    by = {"education": node["by_education"] if "by_education" in node else MISSING,
          "income_quintile": node["by_income_quintile"] if "by_income_quintile" in node else MISSING}
    blocks.append(appeal_funnel(by["education"] or [], at / "by_education", "education", id=f"{sid}-funnel"))
    overall = node["overall"] if "overall" in node else None
    for attr, groups in by.items():
        name = attr.replace("_", " ")
        blocks.append(_with_overall(overall, at / "overall", _group_table(groups, at / f"by_{attr}", attr, _FILING_KEYS,
                                                                          id=f"{sid}-{attr}",
                                                                          caption=f"Who appeals and who wins, by {name}")))
        blocks.append(_with_overall(overall, at / "overall", _group_table(groups, at / f"by_{attr}", attr, _REMEDY_KEYS,
                                                                          id=f"{sid}-{attr}-remedy",
                                                                          caption=f"Wrongful sanctions and their remedy, by {name}")))
    return blocks


def _with_overall(overall: AppealGroup | None, at: Ptr, table: Block) -> Block:
    """Append the section's ``overall`` record (read at ``at``) as a last row "all", in the table's columns (which
    are declared by key, so the record is read by name)."""
    if not isinstance(table, Table) or overall is None:
        return table
    record = cast(Mapping[str, Any], overall)
    heading_key = {h: k for h, k, _ in _APPEAL_KEYS}
    fmts = {k: f for _, k, f in _APPEAL_KEYS}
    row = [Cell(text="all")]
    for heading in table.columns[1:]:
        key = heading_key.get(heading)
        row.append(figure(record.get(key, MISSING), at / key, fmt=fmts[key], ci=(record.get(f"{key}_ci", MISSING), at / f"{key}_ci"))
                   if key else Cell(text="—"))
    return Table(id=table.id, caption=table.caption, columns=table.columns, rows=(*table.rows, tuple(row)), note=table.note)


def rest_blocks(section: Mapping[str, Any], at: Ptr, keys: list[str], sid: str) -> list[Block]:
    """Every other figure of a section (``keys``, which the report does not know in advance), rendered generically."""
    return blocks_of({k: section[k] for k in keys}, at, id=f"{sid}-more")


# ----------------------------------------------------------------------------- reversibility


def recovery_curves(recovery: RecoverySection) -> list[tuple[GroupLabel, list[float], list[float]]]:
    """Per income quintile, ``(group, months, shares recovered)`` of a ``reversibility.recovery`` section."""
    return [(c["group"], *_curve_points(c["curve"])) for c in recovery["curve_by_income_quintile"]]


def _curve_points(curve: list[CurvePoint]) -> tuple[list[float], list[float]]:
    """Months and shares recovered of the points where the share is known."""
    points = [(p["month"], p["share_recovered"]) for p in curve]
    kept = [(float(x), float(y)) for x, y in points if is_number(x) and is_number(y)]
    return [x for x, _ in kept], [y for _, y in kept]


def recovery_plot(recovery: RecoverySection, *, id: str) -> Block:
    """Share recovered against months since the penalty, one line per income quintile (all people when the section
    has no curve per quintile)."""
    curves = recovery_curves(recovery)
    title = "Recovery curves: share who regained their pre-penalty tier, by months of best feasible behaviour, per income quintile"
    if not curves:
        xs, ys = _curve_points(recovery["curve"])
        if not xs:
            return NotComputed(what="recovery curves per income quintile")
        curves = [("all", xs, ys)]
    series = [{"name": group_label("income_quintile", g), "x": xs, "y": ys} for g, xs, ys in curves]
    drawn = line_chart(id, title, series, xlabel="months after the penalty", ylabel="share recovered", ylim=(0.0, 1.0),
                     step=True, percent=True)
    months = sorted({x for _, xs, _ in curves for x in xs})
    marks = [m for m in (3, 6, 12, 24, 36, 60, 120) if any(x >= m for x in months)]
    rows = []
    for g, xs, ys in curves:
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


def reversibility_section(entry: ScorerEntry, at: Ptr, *, sid: str) -> Section:
    """Reversibility of the scorer ``entry`` (read at ``at``): overturn restores state, recovery times, absorbing
    states, recourse cost."""
    return replay_section(section_of(entry, "reversibility"), at / "reversibility", sid=sid,
                          title="Reversibility: can a penalty be undone, and how long does it take?",
                          what="reversibility audit", known=_REVERSIBILITY_KNOWN, body=_reversibility_blocks)


def _reversibility_blocks(node: ReversibilitySection, at: Ptr, sid: str) -> list[Block]:
    rec, rat = node["recovery"], at / "recovery"
    violations = node["overturn_violations"]
    blocks: list[Block] = [Facts(id=f"{sid}-facts", items=(
        ("people sampled", figure(node["sample_size"], at / "sample_size", fmt=fmt_count)),
        ("overturn checks", figure(node["overturn_checked"], at / "overturn_checked", fmt=fmt_count)),
        ("overturn violations (state not restored)", figure(violations, at / "overturn_violations", fmt=fmt_count,
                                                            flag="bad" if violations > 0 else None)),
        ("sanctioned people in an absorbing state", figure(node["absorbing_share"], at / "absorbing_share", fmt=fmt_pct,
                                                           ci=(node["absorbing_share_ci"], at / "absorbing_share_ci"))),
        ("people with one penalty followed", figure(rec["n"], rat / "n", fmt=fmt_count)),
        ("median months to recover", figure(rec["median_months"], rat / "median_months", fmt=fmt_months,
                                            ci=(rec["median_months_ci"], rat / "median_months_ci"))),
        ("90th percentile months to recover", figure(rec["p90_months"], rat / "p90_months", fmt=fmt_months,
                                                     ci=(rec["p90_months_ci"], rat / "p90_months_ci"))),
        ("never recovering within the horizon", figure(rec["never_share"], rat / "never_share", fmt=fmt_pct,
                                                       ci=(rec["never_share_ci"], rat / "never_share_ci"))),
        ("recourse cost, poorest ÷ richest quintile (median)", figure(node["recourse_cost_ratio"], at / "recourse_cost_ratio",
                                                                     fmt=fmt_ratio)),
        ("statutory maximum sanction (months)", figure(node["duration_cap_months"], at / "duration_cap_months", fmt=fmt_months)),
        ("sanctioned people checked against it", figure(node["duration_checked"], at / "duration_checked", fmt=fmt_count)),
        ("sanctioned longer than the statutory maximum", figure(node["duration_cap_violations"], at / "duration_cap_violations",
                                                                fmt=fmt_count)),
        ("share sanctioned longer than the maximum", figure(node["duration_violation_share"], at / "duration_violation_share",
                                                            fmt=fmt_pct, ci=(node["duration_violation_share_ci"],
                                                                             at / "duration_violation_share_ci"))),
        ("longest sanction spell (months)", figure(node["longest_spell_months"], at / "longest_spell_months", fmt=fmt_months)),
        ("recovery horizon (months)", figure(node["horizon_months"], at / "horizon_months", fmt=fmt_months)),
    ))]
    blocks.append(recovery_plot(rec, id=f"{sid}-recovery-plot"))
    by = {"income_quintile": rec["by_income_quintile"] if "by_income_quintile" in rec else MISSING,
          "education": rec["by_education"] if "by_education" in rec else MISSING}
    for attr, groups in by.items():
        blocks.append(_group_table(groups, rat / f"by_{attr}", attr, _RECOVERY_KEYS, id=f"{sid}-recovery-{attr}",
                                   caption=f"Recovery by {attr.replace('_', ' ')}"))
    return blocks


def guess_columns(records: object, attr: str) -> list[Column]:
    """Columns for a list of per-group records (``group`` first, intervals with their values): every scalar key the
    records hold, read by name, so a figure an audit adds to its groups gets a column."""
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
