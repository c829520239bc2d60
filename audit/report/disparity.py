"""Report sections for the disparity audit (NYC LL144-style tables and figures).

Per audited attribute: the unknown-category count, each group's n, rates and
impact ratios with 95% intervals, the four-fifths verdict, the tier
distribution (stacked bars), the impact ratios against the 0.8 line, and the
rule that drives the gap; then the attribution over rules and the
ground-truth error rates.
"""

from __future__ import annotations

from typing import Any

from audit.report.explain import attribution_section, ground_truth_section
from audit.report.model import (
    MISSING,
    Block,
    Cell,
    Doc,
    NotComputed,
    Paragraph,
    Section,
    Table,
    audited_attributes,
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_ratio,
    group_label,
    is_number,
    slug,
)
from audit.report.plots import interval_dots, plot_block, stacked_bars
from audit.report.tables import Column, facts, humanize, records_table, value_cell

__all__ = ["ATTRIBUTE_TITLES", "FOUR_FIFTHS", "attribute_names", "disparity_section"]

#: EEOC Uniform Guidelines, 29 CFR 1607.4(D): a rate under four-fifths of the highest group's.
FOUR_FIFTHS = 0.8

ATTRIBUTE_TITLES = {
    "income_quintile": "income quintile",
    "education": "education",
    "income_quintile×education": "income quintile × education",
}


def attribute_names(section: Any) -> list[str]:
    """Attributes in a disparity section: entries that hold a ``groups`` list, in document order."""
    if not isinstance(section, dict):
        return []
    return [k for k, v in section.items() if isinstance(v, dict) and isinstance(v.get("groups"), list)]


def _flag_four_fifths(rec: dict[str, Any]) -> str | None:
    verdict = rec.get("four_fifths")
    if verdict == "violation":
        return "bad"
    if verdict == "inconclusive":
        return "warn"
    ratio = rec.get("impact_ratio")
    if verdict is None and is_number(ratio) and ratio < FOUR_FIFTHS:
        return "bad"
    return None


def _verdict_flag(verdict: Any) -> str | None:
    return {"violation": "bad", "inconclusive": "warn", "no violation": "good"}.get(verdict)


def _verdict_words(verdict: Any) -> str:
    """A four-fifths verdict in the three outcomes' words: an undecided one is not enough evidence."""
    return "not enough evidence" if verdict == "inconclusive" else str(verdict)


def ll144_columns(attr: str) -> list[Column]:
    """The columns of the per-group table (LL144 published summary, extended)."""

    def label(g: Any) -> str:
        return group_label(attr, g)

    return [
        Column(heading="group", key="group", label=label),
        Column(heading="n", key="n", fmt=fmt_count),
        Column(heading="share of people", key="share", fmt=fmt_pct),
        Column(heading="favourable rate", key="favourable_rate", fmt=fmt_pct, ci="favourable_rate_ci"),
        Column(heading="impact ratio", key="impact_ratio", fmt=fmt_ratio, ci="impact_ratio_ci", flag=_flag_four_fifths),
        Column(heading="four-fifths", key="four_fifths", fmt=_verdict_words, flag=lambda r: _verdict_flag(r.get("four_fifths"))),
        Column(heading="scoring rate (LL144)", key="scoring_rate", fmt=fmt_pct, ci="scoring_rate_ci"),
        Column(heading="scoring impact ratio", key="scoring_impact_ratio", fmt=fmt_ratio, ci="scoring_impact_ratio_ci"),
        Column(heading="adverse (sanction) rate", key="adverse_rate", fmt=fmt_pct, ci="adverse_rate_ci"),
        Column(heading="adverse relative risk", key="adverse_relative_risk", fmt=fmt_ratio, ci="adverse_relative_risk_ci"),
        Column(heading="mean score", key="mean_score", fmt=fmt_number),
        Column(heading="median score", key="median_score", fmt=fmt_number),
        Column(heading="excluded from ratios", key="excluded_from_ratios"),
    ]


def _group_labels(attr: str, groups: list[Any]) -> list[str]:
    return [group_label(attr, g.get("group")) if isinstance(g, dict) else "?" for g in groups]


def tier_plot(doc: Doc, base: tuple[Any, ...], attr: str, tiers: list[str], *, id: str) -> Block:
    """Stacked bars of each group's tier shares (best tier first)."""
    groups = doc.get(*base, attr, "groups")
    title = f"Tier distribution by {ATTRIBUTE_TITLES.get(attr, humanize(attr))}"
    if not isinstance(groups, list) or not any(isinstance(g, dict) and isinstance(g.get("tier_shares"), dict) for g in groups):
        return NotComputed(what=title.lower(), reason="the results file has no per-group tier shares")
    tiers = tiers or list(next(g["tier_shares"] for g in groups if isinstance(g.get("tier_shares"), dict)))
    shares = [[(g.get("tier_shares") or {}).get(t) for t in tiers] for g in groups]
    labels = _group_labels(attr, groups)
    rows = []
    for i, label in enumerate(labels):
        rows.append((Cell(text=label), *(value_cell(doc, (*base, attr, "groups", i, "tier_shares", t), fmt=fmt_pct) for t in tiers)))
    data = Table(id=f"{id}-data", caption=f"{title}: share of each group in each tier", columns=("group", *tiers), rows=tuple(rows))
    drawn = stacked_bars(id, title, labels, tiers, shares)
    return plot_block(id, f"{title} (share of each group in each tier, best tier first)", drawn, data)


def impact_plot(doc: Doc, base: tuple[Any, ...], attr: str, *, id: str) -> Block:
    """Impact ratios with their intervals against the four-fifths line."""
    groups = doc.get(*base, attr, "groups")
    name = ATTRIBUTE_TITLES.get(attr, humanize(attr))
    if not isinstance(groups, list) or not any(isinstance(g, dict) and "impact_ratio" in g for g in groups):
        return NotComputed(what=f"impact ratios by {name}")
    groups = [g for g in groups if isinstance(g, dict)]
    values = [g.get("impact_ratio") if is_number(g.get("impact_ratio")) else None for g in groups]
    cis = [g.get("impact_ratio_ci") if isinstance(g.get("impact_ratio_ci"), list) else None for g in groups]
    ref = doc.get(*base, attr, "reference_group")
    ref_text = f" (reference: {group_label(attr, ref)})" if ref not in (None, MISSING) else ""
    title = f"Impact ratio of the favourable rate by {name}{ref_text}, with 95% intervals and the four-fifths line"
    return plot_block(id, title, interval_dots(id, title, _group_labels(attr, groups), values, cis))


def _attribute_section(doc: Doc, base: tuple[Any, ...], attr: str, tiers: list[str], *, sid: str) -> Section:
    path = (*base, attr)
    name = ATTRIBUTE_TITLES.get(attr, humanize(attr))
    verdict = doc.get(*path, "four_fifths_verdict")
    summary = facts(doc, [
        ("people in the unknown category", (*path, "unknown_n"), {"fmt": fmt_count}),
        ("reference group (highest favourable rate)", (*path, "reference_group"),
         {"fmt": lambda g: group_label(attr, g), "optional": True}),
        ("lowest impact ratio", (*path, "min_impact_ratio"), {"fmt": fmt_ratio, "ci": (*path, "min_impact_ratio_ci")}),
        ("group with the lowest ratio", (*path, "worst_group"), {"fmt": lambda g: group_label(attr, g), "optional": True}),
        ("four-fifths verdict", (*path, "four_fifths_verdict"), {"fmt": _verdict_words, "flag": _verdict_flag(verdict)}),
        ("point estimate under 0.8", (*path, "four_fifths_violation"), {"optional": True}),
        ("rule that drives the gap", (*path, "driver", "rule" if doc.get(*path, "driver", "rule") is not None or
                                       not isinstance(doc.get(*path, "driver", "reason"), str) else "reason"), {"fmt": str}),
        ("its share of the gap", (*path, "driver", "share_of_gap"), {"fmt": fmt_pct, "optional": True}),
        ("favourable outcomes in the reference group", (*path, "reference_events"), {"fmt": fmt_count, "optional": True}),
        ("impact ratios unstable (reference group under 10 events)", (*path, "impact_ratio_unstable"), {"optional": True}),
        ("sanctioned people in the least-sanctioned group", (*path, "adverse_reference_events"),
         {"fmt": fmt_count, "optional": True}),
        ("relative risks unstable (reference group under 10 events)", (*path, "adverse_relative_risk_unstable"),
         {"optional": True}),
        ("lowest scoring-rate ratio, ties at the median counted as above", (*path, "min_scoring_impact_ratio_ties_above"),
         {"fmt": fmt_ratio, "optional": True}),
    ], id=f"{sid}-facts")
    table = records_table(doc, (*path, "groups"), ll144_columns(attr), id=f"{sid}-table",
                          caption=f"Per {name} group: n, rates and impact ratios (95% intervals in brackets)",
                          note="Impact ratio: the group's favourable rate over the reference group's. Groups under "
                               "the minimum cell share are shown with their counts but excluded from ratios (LL144).")
    blocks: list[Block] = [summary, table]
    vocab = doc.get(*path, "favourable")
    if isinstance(vocab, dict):
        blocks.append(_vocabulary_table(doc, path, id=f"{sid}-vocab"))
    blocks.append(impact_plot(doc, base, attr, id=f"{sid}-impact-plot"))
    if "×" not in attr:
        blocks.append(tier_plot(doc, base, attr, tiers, id=f"{sid}-tier-plot"))
    return Section(id=sid, title=f"By {name}", blocks=tuple(blocks))


def _vocabulary_table(doc: Doc, path: tuple[Any, ...], *, id: str) -> Table:
    """fairlearn's vocabulary per outcome: overall, group_min, group_max, difference, ratio."""
    keys = ("overall", "group_min", "group_max", "difference", "ratio")
    rows = []
    for outcome in ("favourable", "adverse", "scoring_rate"):
        if not isinstance(doc.get(*path, outcome), dict):
            continue
        rows.append((Cell(text=humanize(outcome)),
                     *(value_cell(doc, (*path, outcome, k), fmt=fmt_ratio if k == "ratio" else fmt_pct) for k in keys)))
    return Table(id=id, caption="Between-group summary (fairlearn's vocabulary)", columns=("outcome", *keys), rows=tuple(rows))


def disparity_section(doc: Doc, index: int, *, sid: str) -> Section:
    """The disparity audit of scorer ``index``."""
    base = ("scorers", index, "disparity")
    title = "Disparity: who gets the favourable tiers, who is sanctioned"
    section = doc.get(*base)
    if not isinstance(section, dict):
        return Section(id=sid, title=title, blocks=(NotComputed(what="disparity audit"),))
    tiers = doc.get("scorers", index, "tiers")
    tiers = [str(t) for t in tiers] if isinstance(tiers, list) else []
    fav = doc.get("scorers", index, "favourable_tiers")
    blocks: list[Block] = []
    if isinstance(fav, list):
        adverse = ("Adverse outcome: none declared — the scorer imposes no sanctions, so its sanction rates are 0 by "
                   "construction; its unfavourable tiers are everyone not in a favourable one."
                   if doc.get("scorers", index, "sanctions") == {} else "Adverse outcome: any declared sanction.")
        blocks.append(Paragraph(text=f"Favourable outcome: tier {' or '.join(str(t) for t in fav)}. {adverse}"))
    blocks.append(facts(doc, [
        ("population median score", (*base, "median_score"), {"fmt": fmt_number}),
        ("minimum cell share for ratios", (*base, "min_cell_share"), {"fmt": fmt_pct}),
        ("bootstrap replicates", (*base, "bootstrap_replicates"), {"fmt": fmt_count}),
    ], id=f"{sid}-facts", keep_missing=False))
    note = doc.get(*base, "median_note")
    if isinstance(note, str):
        blocks.append(Paragraph(text=note))
    children = [_attribute_section(doc, base, attr, tiers, sid=f"{sid}-{slug(attr)}") for attr in attribute_names(section)]
    for attr in audited_attributes(doc):  # an attribute the run meant to audit but could not is said, not dropped
        if attr not in attribute_names(section) and attr in ATTRIBUTE_TITLES:
            children.append(Section(id=f"{sid}-{slug(attr)}", title=f"By {ATTRIBUTE_TITLES[attr]}",
                                    blocks=(NotComputed(what=f"disparity by {ATTRIBUTE_TITLES[attr]}"),)))
    children.append(attribution_section(doc, base, sid=f"{sid}-attribution"))
    children.append(ground_truth_section(doc, base, sid=f"{sid}-ground-truth"))
    return Section(id=sid, title=title, blocks=tuple(b for b in blocks if not (hasattr(b, "items") and not b.items)),
                   children=tuple(children))
